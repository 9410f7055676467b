/*-------------------------------------------------------------------------
 *
 * omvacuum.c
 *	  VACUUM: remove dead rows' nodes, repair the graph around them, and
 *	  put their slots on the free list for later inserts.
 *
 * ambulkdelete works in three passes over the node stream:
 *	1. mark: every node whose heap row the callback reports dead gets
 *	   OMEN_NODE_DELETED.  From then on scans skip it (but still walk
 *	   through it) and inserts never pick it as a neighbour.
 *	2. repair: after waiting for the inserts already in flight (they might
 *	   have picked a node before it was marked), every live node with a
 *	   deleted neighbour on some level gets those entries replaced: by the
 *	   heuristic's (Algorithm 4) choice among its live neighbours and the
 *	   result of a fresh search for its vector, so recall holds even after
 *	   heavy deletes.  Its live entries stay: each may be the in-link that
 *	   another node depends on.  A deleted entry point is replaced by a live
 *	   node of the highest level.
 *	   The candidates also include the live neighbours of the deleted
 *	   neighbours, and afterwards every live node that no live node links to
 *	   on level 0 (it was reachable only through deleted nodes) is linked
 *	   from its nearest neighbours, so scans can still reach every row.
 *	3. free: deleted nodes, now unreferenced, become OMEN_NODE_FREE and go on
 *	   the metapage's free list (linked through links[0]); their upper-level
 *	   tuple stays with the slot for reuse.
 *
 * An insert takes its slot and writes its node in two WAL records, so a
 * crash (or an error) in between leaves a slot that nobody will write.
 * Between passes 1 and 2, while no insert is in flight, VACUUM deletes such
 * a slot taken from the end of the node stream (it has no heap TID) and puts
 * one taken from the free list (still marked free, but off the list) back on
 * the list.  Only ambulkdelete does this: a VACUUM that skips it (no dead
 * rows) leaves them to the next one.
 *
 * Locks follow the rest of the AM: one page at a time for reads, compare-
 * and-swap for lists, the metapage before node pages.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "omen.h"

typedef struct OmenVacuumState
{
	Relation	index;
	OmenParams	p;
	OmenLinker	linker;
	uint8	   *deleted;		/* bitmap over node ids */
	uint32		nnodes;
	OmenCandidate *found;		/* repair candidates */
	uint32	   *hop;			/* a deleted neighbour's list */
	uint32		best_live;		/* live node of the highest level seen */
	int			best_level;
} OmenVacuumState;

/* Bitmaps over node ids (nnodes / 8 + 1 bytes, zeroed). */
#define BIT_IS_SET(map, id) (((map)[(id) >> 3] & (1 << ((id) & 7))) != 0)
#define BIT_SET(map, id) ((map)[(id) >> 3] |= (1 << ((id) & 7)))

#define IS_DELETED(vs, id) ((id) < (vs)->nnodes && BIT_IS_SET((vs)->deleted, id))
#define SET_DELETED(vs, id) BIT_SET((vs)->deleted, id)

/* Sets flags on node id's header (compare-and-swap until it sticks). */
static void
OmenSetNodeFlags(Relation index, const OmenParams *p, uint32 id, uint8 flags)
{
	for (;;)
	{
		OmenNodeHeader cur;
		OmenNodeHeader upd;

		OmenReadHeader(index, p, id, &cur);
		upd = cur;
		upd.flags |= flags;
		if (upd.flags == cur.flags ||
			OmenReplaceNodeBytes(index, p, id, 0, sizeof(OmenNodeHeader), &cur, &upd))
			return;
	}
}

/*
 * Appends candidate c (with its distance to the vector the linker's searcher
 * holds, which OmenLinkerSearch prepared) to vs->found[0..n) unless it is
 * the node itself, deleted, or already there.  Returns the new count.
 */
static uint32
OmenAddCandidate(OmenVacuumState *vs, uint32 c, uint32 self, uint32 n)
{
	if (c == self || IS_DELETED(vs, c) || c >= vs->nnodes)
		return n;
	for (uint32 j = 0; j < n; j++)
		if (vs->found[j].id == c)
			return n;
	vs->found[n].id = c;
	vs->found[n].distance = OmenNodeDistance(vs->index, &vs->p, c, vs->linker.sr.query,
											 vs->linker.sr.scratch);
	return n + 1;
}

/*
 * Gives live node id a new list at level without deleted nodes.  Returns
 * once the list holds no deleted node (or the node itself went away).
 */
static void
OmenRepairList(OmenVacuumState *vs, uint32 id, const OmenNodeHeader *hdr, uint32 level)
{
	OmenLinker *st = &vs->linker;
	const OmenParams *p = &vs->p;
	uint32		cap = OmenLinkCount(p, level);
	float	   *base = palloc(sizeof(float) * p->dims);
	uint32		chosen[2 * OMEN_MAX_M];

	OmenReadNodeVector(vs->index, p, id, base, st->sr.scratch);

	for (int attempt = 0; attempt < 8; attempt++)
	{
		bool		stale = false;
		uint32		n;
		uint32		nkept;

		OmenReadLinks(vs->index, p, id, hdr, level, st->cur);
		for (uint32 i = 0; i < cap && st->cur[i] != OMEN_INVALID_NODE; i++)
			stale |= IS_DELETED(vs, st->cur[i]);
		if (!stale)
			break;

		/*
		 * Candidates: a fresh search, plus the live current neighbours.  The
		 * search walks through deleted nodes and they take places in its
		 * results, so after heavy deletes one round may hold few live nodes
		 * or none: resume it round by round until it has m live ones (or
		 * ef_construction, or the graph is exhausted).  Without this, the
		 * last few live nodes of a mostly deleted graph end up with empty
		 * lists and cannot be reached.
		 */
		n = OmenLinkerSearch(st, base, level, vs->found);
		{
			uint32		searched = n;
			uint32		nlive = 0;
			uint32		want = Min(p->m, p->ef_construction);

			for (uint32 i = 0; i < n; i++)
				if (!IS_DELETED(vs, vs->found[i].id))
					vs->found[nlive++] = vs->found[i];
			n = nlive;
			while (searched > 0 && n < want + 1)
			{
				uint32		r;

				OmenSearcherExpand(&st->sr, vs->index, p, level);
				r = OmenSearcherResults(&st->sr);
				if (r == 0)
					break;
				for (uint32 i = 0; i < r && n < p->ef_construction; i++)
					if (!IS_DELETED(vs, st->sr.results[i].id))
						vs->found[n++] = st->sr.results[i];
			}
		}
		/*
		 * Plus the live current neighbours, and the live neighbours of the
		 * deleted ones: those may have been reachable only through the
		 * deleted node, and linking them here keeps them in the graph.
		 */
		for (uint32 i = 0; i < cap && st->cur[i] != OMEN_INVALID_NODE; i++)
		{
			uint32		c = st->cur[i];

			if (IS_DELETED(vs, c))
			{
				OmenNodeHeader dhdr;

				OmenReadHeader(vs->index, p, c, &dhdr);
				OmenReadLinks(vs->index, p, c, &dhdr, level, vs->hop);
				for (uint32 h = 0; h < cap && vs->hop[h] != OMEN_INVALID_NODE; h++)
					n = OmenAddCandidate(vs, vs->hop[h], id, n);
			}
			else
				n = OmenAddCandidate(vs, c, id, n);
		}
		qsort(vs->found, n, sizeof(OmenCandidate), OmenCandidateCmp);
		nkept = OmenLinkerSelect(st, vs->found, Min(n, p->ef_construction + cap), cap, id,
								 chosen);

		/*
		 * Only the deleted entries are replaced: every live entry stays, as
		 * it may be the in-link its node depends on (an insert's link back
		 * was appended here without the heuristic, and dropping it now
		 * would leave that node weakly reachable).  The heuristic's choice
		 * fills the places the deleted entries leave, best first.
		 */
		{
			uint32		k = 0;

			for (uint32 i = 0; i < cap && st->cur[i] != OMEN_INVALID_NODE; i++)
				if (!IS_DELETED(vs, st->cur[i]))
					st->next[k++] = st->cur[i];
			for (uint32 j = 0; j < nkept && k < cap; j++)
			{
				bool		present = false;

				for (uint32 i = 0; i < k && !present; i++)
					present = (st->next[i] == chosen[j]);
				if (!present)
					st->next[k++] = chosen[j];
			}
			for (; k < cap; k++)
				st->next[k] = OMEN_INVALID_NODE;
		}
		if (OmenReplaceLinks(vs->index, p, id, hdr, level, st->cur, st->next))
			break;
	}
	pfree(base);
}

/*
 * Links live nodes that no live node links to on level 0 -- a scan could
 * never reach them -- from their nearest neighbours, as an insert would, and
 * forcing one link in if the heuristic turns them all down.
 */
static void
OmenReconnectOrphans(OmenVacuumState *vs)
{
	const OmenParams *p = &vs->p;
	OmenLinker *st = &vs->linker;
	uint32		head_len = OMEN_LINKS_OFFSET + 2 * p->m * sizeof(uint32);
	char	   *head = palloc(head_len);
	uint8	   *linked = palloc0(vs->nnodes / 8 + 1);
	float	   *base = palloc(sizeof(float) * p->dims);
	OmenMetaPageData meta;
	uint32		chosen[2 * OMEN_MAX_M];

	OmenReadMeta(vs->index, &meta);
	for (uint32 id = 0; id < vs->nnodes; id++)
	{
		const OmenNodeHeader *h = (const OmenNodeHeader *) head;
		const uint32 *links = (const uint32 *) (head + OMEN_LINKS_OFFSET);

		if ((id & 255) == 0)
			vacuum_delay_point();
		OmenReadNodeBytes(vs->index, p, id, 0, head_len, head);
		if (h->flags & (OMEN_NODE_FREE | OMEN_NODE_DELETED))
			continue;
		for (uint32 i = 0; i < 2 * p->m && links[i] != OMEN_INVALID_NODE; i++)
			if (links[i] < vs->nnodes)
				BIT_SET(linked, links[i]);
	}

	for (uint32 id = 0; id < vs->nnodes; id++)
	{
		uint32		n;
		uint32		nkept;
		if (BIT_IS_SET(linked, id) || IS_DELETED(vs, id) || id == meta.entry_point)
			continue;
		OmenReadHeader(vs->index, p, id, &st->hdr);
		if (st->hdr.flags & (OMEN_NODE_FREE | OMEN_NODE_DELETED))
			continue;
		OmenReadNodeVector(vs->index, p, id, base, st->sr.scratch);
		st->id = id;
		OmenLinkerSetVector(st, base);
		n = OmenLinkerSearch(st, base, 0, vs->found);
		nkept = OmenLinkerSelect(st, vs->found, n, p->m, id, chosen);
		OmenLinkerLinkBack(st, chosen, nkept, 0);
	}
	pfree(head);
	pfree(linked);
	pfree(base);
	st->id = OMEN_INVALID_NODE;
}

/* Replaces a deleted entry point by a live node of the highest level (or none). */
static void
OmenRepairEntryPoint(OmenVacuumState *vs)
{
	Buffer		metabuf = ReadBuffer(vs->index, OMEN_METAPAGE_BLKNO);
	OmenMetaPage meta;

	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = OmenPageGetMeta(BufferGetPage(metabuf));
	if (meta->entry_point != OMEN_INVALID_NODE && IS_DELETED(vs, meta->entry_point))
	{
		GenericXLogState *state = GenericXLogStart(vs->index);

		meta = OmenPageGetMeta(GenericXLogRegisterBuffer(state, metabuf, 0));
		meta->entry_point = vs->best_live;
		meta->max_level = vs->best_live == OMEN_INVALID_NODE ? -1 : vs->best_level;
		GenericXLogFinish(state);
	}
	UnlockReleaseBuffer(metabuf);
}

/* Turns deleted node id into a free slot at the head of the free list. */
static void
OmenFreeNode(OmenVacuumState *vs, uint32 id)
{
	const OmenParams *p = &vs->p;
	uint32		len = OMEN_LINKS_OFFSET + sizeof(uint32);
	char		cur[OMEN_LINKS_OFFSET + sizeof(uint32)];
	char		upd[OMEN_LINKS_OFFSET + sizeof(uint32)];
	Buffer		metabuf;
	OmenMetaPage meta;

	/*
	 * Map the node's pages before taking the metapage's exclusive lock:
	 * loading the directory cache needs the metapage's share lock.
	 */
	(void) OmenStreamBlock(vs->index,
						   (uint32) (((uint64) id * p->slot_size + len - 1) / OMEN_STREAM_BYTES_PER_PAGE));
	metabuf = ReadBuffer(vs->index, OMEN_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = OmenPageGetMeta(BufferGetPage(metabuf));
	for (;;)
	{
		OmenNodeHeader *h = (OmenNodeHeader *) upd;

		OmenReadNodeBytes(vs->index, p, id, 0, len, cur);
		memcpy(upd, cur, len);
		memset(h->payload, 0, sizeof(h->payload));
		h->flags = OMEN_NODE_FREE;
		memcpy(upd + OMEN_LINKS_OFFSET, &meta->free_head, sizeof(uint32));
		if (OmenReplaceNodeBytes(vs->index, p, id, 0, len, cur, upd))
			break;
	}
	{
		GenericXLogState *state = GenericXLogStart(vs->index);

		meta = OmenPageGetMeta(GenericXLogRegisterBuffer(state, metabuf, 0));
		meta->free_head = id;
		meta->free_count++;
		GenericXLogFinish(state);
	}
	UnlockReleaseBuffer(metabuf);
}

/*
 * Puts back on the free list the slots in free[0..nfree) (slots pass 1 saw
 * free) that are free but off the list: an insert took each from the list
 * and then crashed or failed before writing its node.  Must run while no
 * insert is in flight (the update lock held exclusively), when every slot an
 * insert took has been written.
 */
static void
OmenRelinkLostFreeSlots(OmenVacuumState *vs, const uint32 *free, uint32 nfree)
{
	OmenMetaPageData meta;
	uint32		still = 0;
	uint8	   *listed;
	uint32		id;

	OmenReadMeta(vs->index, &meta);
	for (uint32 i = 0; i < nfree; i++)
	{
		OmenNodeHeader hdr;

		OmenReadHeader(vs->index, &vs->p, free[i], &hdr);
		still += (hdr.flags & OMEN_NODE_FREE) != 0;
	}
	/* Only VACUUM frees slots, so every free slot is among free[]. */
	if (still <= meta.free_count)
		return;

	/* Some are off the list: walk it to tell which. */
	listed = palloc0(vs->nnodes / 8 + 1);
	id = meta.free_head;
	for (uint32 n = 0; n < meta.free_count && id < vs->nnodes; n++)
	{
		if (BIT_IS_SET(listed, id))
			break;				/* a cycle would be corruption: stop rather than loop */
		BIT_SET(listed, id);
		OmenReadNodeBytes(vs->index, &vs->p, id, OMEN_LINKS_OFFSET, sizeof(uint32), &id);
		if ((n & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (uint32 i = 0; i < nfree; i++)
	{
		OmenNodeHeader hdr;

		if (BIT_IS_SET(listed, free[i]))
			continue;
		OmenReadHeader(vs->index, &vs->p, free[i], &hdr);
		if (!(hdr.flags & OMEN_NODE_FREE))
			continue;
		OmenFreeNode(vs, free[i]);
	}
	pfree(listed);
}

/*
 * True for a slot an insert took but has not written (yet, or ever: the
 * allocation and the node are two WAL records): not free, not deleted, no
 * heap TID.
 */
static bool
OmenNodeUnwritten(const OmenNodeHeader *hdr)
{
	ItemPointerData tid;

	memcpy(&tid, hdr->payload, sizeof(tid));
	return !(hdr->flags & (OMEN_NODE_FREE | OMEN_NODE_DELETED)) && !ItemPointerIsValid(&tid);
}

/* Appends id to a growing array in CurrentMemoryContext. */
static void
OmenAppendId(uint32 **ids, uint32 *n, uint32 *cap, uint32 id)
{
	if (*n == *cap)
	{
		*cap = Max(16, 2 * *cap);
		*ids = *ids ? repalloc_huge(*ids, sizeof(uint32) * *cap)
			: MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * *cap);
	}
	(*ids)[(*n)++] = id;
}

/* ambulkdelete */
IndexBulkDeleteResult *
omenbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	OmenVacuumState vs;
	OmenMetaPageData meta;
	MemoryContext ctx;
	MemoryContext old;
	uint32		ndeleted = 0;
	double		live = 0;
	uint32	   *unwritten = NULL;	/* slots allocated but never written */
	uint32		nunwritten = 0;
	uint32		unwritten_cap = 0;
	uint32	   *freeslots = NULL;	/* slots marked free */
	uint32		nfree = 0;
	uint32		free_cap = 0;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));

	ctx = AllocSetContextCreate(CurrentMemoryContext, "omen vacuum", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);

	memset(&vs, 0, sizeof(vs));
	vs.index = index;
	OmenGetParams(index, &vs.p);
	OmenReadMeta(index, &meta);
	vs.nnodes = meta.node_count;
	vs.deleted = MemoryContextAllocHuge(ctx, vs.nnodes / 8 + 1);
	memset(vs.deleted, 0, vs.nnodes / 8 + 1);
	vs.best_live = OMEN_INVALID_NODE;
	vs.best_level = -1;

	/* Pass 1: mark dead rows' nodes deleted. */
	for (uint32 id = 0; id < vs.nnodes; id++)
	{
		OmenNodeHeader hdr;
		ItemPointerData tid;

		if ((id & 255) == 0)
			vacuum_delay_point();
		OmenReadHeader(index, &vs.p, id, &hdr);
		if (hdr.flags & OMEN_NODE_FREE)
		{
			OmenAppendId(&freeslots, &nfree, &free_cap, id);
			continue;
		}
		if (OmenNodeUnwritten(&hdr))
		{
			/* Decided below, once no insert is in flight. */
			OmenAppendId(&unwritten, &nunwritten, &unwritten_cap, id);
			continue;
		}
		memcpy(&tid, hdr.payload, sizeof(tid));
		if ((hdr.flags & OMEN_NODE_DELETED) || callback(&tid, callback_state))
		{
			if (!(hdr.flags & OMEN_NODE_DELETED))
			{
				OmenSetNodeFlags(index, &vs.p, id, OMEN_NODE_DELETED);
				stats->tuples_removed += 1;
			}
			SET_DELETED(&vs, id);
			ndeleted++;
			continue;
		}
		live += 1;
		if ((int) hdr.level > vs.best_level)
		{
			vs.best_level = hdr.level;
			vs.best_live = id;
		}
	}

	/*
	 * More free slots than the list holds means an insert took one and never
	 * wrote it (pass 1 may also have counted slots that inserts took since:
	 * checked again below, under the lock).
	 */
	OmenReadMeta(index, &meta);
	if (ndeleted > 0 || nunwritten > 0 || nfree > meta.free_count)
	{
		/*
		 * Wait for inserts that may have chosen a node before we marked it.
		 * Inserts hold this lock from taking a slot until the node is
		 * complete, so a slot still unwritten while we hold it was left by a
		 * crash: it is deleted (and freed below) like a dead row's node; and
		 * a free slot off the free list was taken by an insert that died
		 * before writing it: it goes back on the list.
		 */
		LockPage(index, OMEN_UPDATE_LOCK, ExclusiveLock);
		if (nfree > 0)
			OmenRelinkLostFreeSlots(&vs, freeslots, nfree);
		for (uint32 i = 0; i < nunwritten; i++)
		{
			OmenNodeHeader hdr;

			OmenReadHeader(index, &vs.p, unwritten[i], &hdr);
			if (!OmenNodeUnwritten(&hdr))
				continue;
			OmenSetNodeFlags(index, &vs.p, unwritten[i], OMEN_NODE_DELETED);
			SET_DELETED(&vs, unwritten[i]);
			ndeleted++;
		}
		UnlockPage(index, OMEN_UPDATE_LOCK, ExclusiveLock);
	}

	if (ndeleted > 0)
	{
		/* Pass 2: repair lists that point at deleted nodes. */
		OmenLinkerInit(&vs.linker, index, &vs.p);
		/* Search results, the current list, and every deleted neighbour's list. */
		vs.found = palloc(sizeof(OmenCandidate) *
						  (vs.p.ef_construction + 2 * vs.p.m * (2 * vs.p.m + 1)));
		vs.hop = palloc(sizeof(uint32) * 2 * vs.p.m);
		OmenRepairEntryPoint(&vs);
		for (uint32 id = 0; id < vs.nnodes; id++)
		{
			OmenNodeHeader hdr;

			if ((id & 63) == 0)
				vacuum_delay_point();
			if (IS_DELETED(&vs, id))
				continue;
			OmenReadHeader(index, &vs.p, id, &hdr);
			if (hdr.flags & (OMEN_NODE_FREE | OMEN_NODE_DELETED))
				continue;
			for (uint32 level = 0; level <= hdr.level; level++)
				OmenRepairList(&vs, id, &hdr, level);
		}

		/* Reconnect nodes that only deleted nodes linked to. */
		OmenReconnectOrphans(&vs);

		/* Pass 3: free the deleted slots. */
		for (uint32 id = 0; id < vs.nnodes; id++)
		{
			if (!IS_DELETED(&vs, id))
				continue;
			if ((id & 255) == 0)
				vacuum_delay_point();
			OmenFreeNode(&vs, id);
		}
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);

	stats->num_pages = RelationGetNumberOfBlocks(index);
	stats->num_index_tuples = live;
	stats->estimated_count = false;
	return stats;
}

/* amvacuumcleanup: reports the index's size and live nodes. */
IndexBulkDeleteResult *
omenvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	Relation	index = info->index;

	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		OmenMetaPageData meta;

		/* No bulkdelete ran: count what the metapage knows. */
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		OmenReadMeta(index, &meta);
		stats->num_index_tuples = (double) meta.node_count - meta.free_count;
		stats->estimated_count = true;
	}
	stats->num_pages = RelationGetNumberOfBlocks(index);
	return stats;
}
