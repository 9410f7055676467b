/*-------------------------------------------------------------------------
 *
 * ominsert.c
 *	  Single-row inserts into the on-disk graph (INSERT-HNSW, Algorithm 1 of
 *	  Malkov & Yashunin).
 *
 * An insert
 *	1. draws the node's level and takes a slot: the head of the free list
 *	   (slots vacuum released) or a new id at the end of the node stream,
 *	   extending the stream and the directory when needed -- all under the
 *	   metapage's exclusive lock, which serializes slot allocation only;
 *	   for a node of level >= 1 it also gets its upper-level tuple;
 *	2. a node of level >= 1 (or the graph's first) is written now (header,
 *	   empty link lists, vector); nobody links to it yet;
 *	3. descends greedily from the entry point to its level, then on each
 *	   level from there down to 0 searches with width ef_construction,
 *	   selects neighbours with the heuristic (Algorithm 4) and links both
 *	   ways; a node of level 0 is written whole only here, with its list,
 *	   just before the reverse links make it reachable.  The level-0 list
 *	   comes with OMEN_NODE_COMPLETE (all its own lists written);
 *	4. becomes the entry point if its level is the new top.
 *
 * Concurrency.  Searches take share locks one page at a time and never hold
 * two.  A link list is changed by compare-and-swap: read it, compute the new
 * list with no lock held (pruning reads other nodes' vectors), then under
 * exclusive locks write it only if it is unchanged, else start over.  So an
 * insert never holds a lock while it waits for another, and concurrent
 * inserts, scans and vacuum never deadlock.  Inserts hold the
 * OMEN_UPDATE_LOCK heavyweight lock in share mode so vacuum can wait for the
 * ones in flight before it frees slots.
 *
 * Memory: everything is allocated in a context that lives for one call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "omen.h"

#define U OMEN_STREAM_BYTES_PER_PAGE

StaticAssertDecl(sizeof(ItemPointerData) == 6, "heap TIDs must fit the node payload");


/* Draws a level with probability decaying by 1/m per level. */
static uint8
OmenDrawLevel(uint32 m)
{
	return omen_random_level(m, 1.0 - OmenRandomDouble());
}

/* True if every stream block holding node id is in this backend's directory cache. */
static bool
OmenNodeMapped(Relation index, const OmenParams *p, uint32 id)
{
	OmenCache  *cache = (OmenCache *) index->rd_amcache;
	uint64		last = ((uint64) id + 1) * p->slot_size - 1;

	return cache != NULL && last / U < cache->nmapped;
}

/*
 * Appends one block to the node stream (and a directory page when the last
 * one is full).  Caller holds the metapage's exclusive lock.
 */
static void
OmenExtendStream(Relation index, Buffer metabuf)
{
	OmenMetaPage meta = OmenPageGetMeta(BufferGetPage(metabuf));
	uint32		j = meta->stream_blocks;
	uint32		entry = j % OMEN_DIR_ENTRIES_PER_PAGE;
	bool		newdir = (entry == 0);
	Buffer		dirbuf;
	Buffer		nodebuf;
	GenericXLogState *state;
	Page		mpage;
	Page		dpage;
	Page		npage;

	if (newdir)
	{
		if (meta->ndir >= OMEN_MAX_DIR_PAGES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("omen index \"%s\" cannot grow beyond %u node pages",
							RelationGetRelationName(index),
							(uint32) (OMEN_MAX_DIR_PAGES * OMEN_DIR_ENTRIES_PER_PAGE))));
		dirbuf = OmenNewBuffer(index, MAIN_FORKNUM);
	}
	else
	{
		dirbuf = ReadBuffer(index, meta->dir[j / OMEN_DIR_ENTRIES_PER_PAGE]);
		LockBuffer(dirbuf, BUFFER_LOCK_EXCLUSIVE);
	}
	nodebuf = OmenNewBuffer(index, MAIN_FORKNUM);

	state = GenericXLogStart(index);
	mpage = GenericXLogRegisterBuffer(state, metabuf, 0);
	dpage = GenericXLogRegisterBuffer(state, dirbuf, newdir ? GENERIC_XLOG_FULL_IMAGE : 0);
	npage = GenericXLogRegisterBuffer(state, nodebuf, GENERIC_XLOG_FULL_IMAGE);
	meta = OmenPageGetMeta(mpage);
	if (newdir)
	{
		OmenInitPage(dpage, OMEN_PAGE_DIR);
		meta->dir[meta->ndir++] = BufferGetBlockNumber(dirbuf);
		OmenMetaSetLower(mpage);
	}
	((BlockNumber *) PageGetContents(dpage))[entry] = BufferGetBlockNumber(nodebuf);
	OmenInitPage(npage, OMEN_PAGE_NODE);
	meta->stream_blocks++;
	GenericXLogFinish(state);

	UnlockReleaseBuffer(nodebuf);
	UnlockReleaseBuffer(dirbuf);
}

/*
 * Gives a node of `level` an upper-level tuple with empty lists: reuses the
 * slot's old tuple when it has room, else adds one to the current upper page
 * (or a new one).  Caller holds the metapage's exclusive lock.
 */
static void
OmenPrepareUpperTuple(Relation index, const OmenParams *p, Buffer metabuf, uint32 id,
					  uint8 level, const OmenNodeHeader *old, OmenNodeHeader *hdr)
{
	GenericXLogState *state;
	Buffer		buf = InvalidBuffer;
	Page		page;
	Size		size;
	OmenUpperTuple tup;
	bool		isnew = false;
	OffsetNumber off;

	if (old != NULL && old->level >= level && old->upper_block != InvalidBlockNumber)
	{
		/* Reuse: empty every list of the old tuple. */
		buf = ReadBuffer(index, old->upper_block);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		tup = (OmenUpperTuple) PageGetItem(page, PageGetItemId(page, old->upper_offset));
		if (tup->node == id)
		{
			memset(tup->links, 0xFF, sizeof(uint32) * p->m * tup->capacity);
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			hdr->upper_block = old->upper_block;
			hdr->upper_offset = old->upper_offset;
			return;
		}
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
		buf = InvalidBuffer;
	}

	size = OMEN_UPPER_TUPLE_SIZE(p->m, level);
	{
		OmenMetaPage meta = OmenPageGetMeta(BufferGetPage(metabuf));

		if (meta->upper_insert != InvalidBlockNumber)
		{
			buf = ReadBuffer(index, meta->upper_insert);
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			if (PageGetFreeSpace(BufferGetPage(buf)) < MAXALIGN(size))
			{
				UnlockReleaseBuffer(buf);
				buf = InvalidBuffer;
			}
		}
	}
	if (!BufferIsValid(buf))
	{
		buf = OmenNewBuffer(index, MAIN_FORKNUM);
		isnew = true;
	}

	tup = palloc(size);
	tup->node = id;
	tup->capacity = level;
	tup->unused = 0;
	memset(tup->links, 0xFF, sizeof(uint32) * p->m * level);

	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, isnew ? GENERIC_XLOG_FULL_IMAGE : 0);
	if (isnew)
		OmenInitPage(page, OMEN_PAGE_UPPER);
	off = PageAddItem(page, (Item) tup, size, InvalidOffsetNumber, false, false);
	if (off == InvalidOffsetNumber)
		elog(ERROR, "omen index \"%s\": failed to add upper-level tuple",
			 RelationGetRelationName(index));
	if (isnew)
	{
		Page		mpage = GenericXLogRegisterBuffer(state, metabuf, 0);

		OmenPageGetMeta(mpage)->upper_insert = BufferGetBlockNumber(buf);
	}
	GenericXLogFinish(state);
	hdr->upper_block = BufferGetBlockNumber(buf);
	hdr->upper_offset = off;
	UnlockReleaseBuffer(buf);
	pfree(tup);
}

/*
 * Takes a slot for a new node of `level`: the free list's head, or a new id
 * at the end of the stream.  Fills hdr's upper-level pointer.
 */
static uint32
OmenAllocateNode(Relation index, const OmenParams *p, uint8 level, OmenNodeHeader *hdr)
{
	for (;;)
	{
		Buffer		metabuf = ReadBuffer(index, OMEN_METAPAGE_BLKNO);
		OmenMetaPage meta;
		GenericXLogState *state;
		uint32		id;
		OmenNodeHeader old;
		bool		reused = false;

		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
		meta = OmenPageGetMeta(BufferGetPage(metabuf));

		if (meta->free_head != OMEN_INVALID_NODE)
		{
			uint32		nextfree;

			id = meta->free_head;
			if (!OmenNodeMapped(index, p, id))
			{
				/* Refreshing the cache needs the metapage's share lock: drop ours first. */
				UnlockReleaseBuffer(metabuf);
				(void) OmenStreamBlock(index, (uint32) ((((uint64) id + 1) * p->slot_size - 1) / U));
				continue;
			}
			OmenReadHeader(index, p, id, &old);
			OmenReadNodeBytes(index, p, id, OMEN_LINKS_OFFSET, sizeof(uint32), &nextfree);
			state = GenericXLogStart(index);
			meta = OmenPageGetMeta(GenericXLogRegisterBuffer(state, metabuf, 0));
			meta->free_head = nextfree;
			meta->free_count--;
			GenericXLogFinish(state);
			reused = true;
		}
		else
		{
			uint64		end;

			id = meta->node_count;
			if (id == OMEN_INVALID_NODE)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("omen index \"%s\" cannot hold more than %u nodes",
								RelationGetRelationName(index), OMEN_INVALID_NODE - 1)));
			end = ((uint64) id + 1) * p->slot_size;
			while ((uint64) meta->stream_blocks * U < end)
				OmenExtendStream(index, metabuf);
			state = GenericXLogStart(index);
			meta = OmenPageGetMeta(GenericXLogRegisterBuffer(state, metabuf, 0));
			meta->node_count++;
			GenericXLogFinish(state);
		}

		memset(hdr, 0, sizeof(*hdr));
		hdr->level = level;
		hdr->upper_block = InvalidBlockNumber;
		if (level > 0)
			OmenPrepareUpperTuple(index, p, metabuf, id, level, reused ? &old : NULL, hdr);
		UnlockReleaseBuffer(metabuf);
		return id;
	}
}

/* Makes id the entry point if the graph is empty or level is above the top. */
static bool
OmenMaybeSetEntryPoint(Relation index, uint32 id, uint8 level)
{
	Buffer		metabuf = ReadBuffer(index, OMEN_METAPAGE_BLKNO);
	OmenMetaPage meta;
	bool		set = false;

	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = OmenPageGetMeta(BufferGetPage(metabuf));
	if (meta->entry_point == OMEN_INVALID_NODE || (int32) level > meta->max_level)
	{
		GenericXLogState *state = GenericXLogStart(index);

		meta = OmenPageGetMeta(GenericXLogRegisterBuffer(state, metabuf, 0));
		meta->entry_point = id;
		meta->max_level = level;
		GenericXLogFinish(state);
		set = true;
	}
	UnlockReleaseBuffer(metabuf);
	return set;
}

/* qsort comparator: ascending distance, then id. */
int
OmenCandidateCmp(const void *a, const void *b)
{
	const OmenCandidate *x = a;
	const OmenCandidate *y = b;

	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/*
 * Reads node id's slot into st->slot; returns its vector (in st->slot, or
 * decoded into st->decoded) or NULL if the node is deleted or free.
 */
static const float *
OmenReadLiveVector(OmenLinker *st, uint32 id)
{
	OmenNodeHeader *h = (OmenNodeHeader *) st->slot;
	const char *stored = st->slot + OMEN_VECTOR_OFFSET(st->p.m);

	OmenReadNodeBytes(st->index, &st->p, id, 0, st->p.slot_size, st->slot);
	if (h->flags & (OMEN_NODE_DELETED | OMEN_NODE_FREE))
		return NULL;
	if (st->p.storage == OMEN_STORAGE_FLOAT4)
		return (const float *) stored;
	omen_stored_decode(st->p.storage, (const uint8 *) stored, st->p.dims, st->decoded);
	return st->decoded;
}

/*
 * After a prune of some neighbour's list at level kept the node being linked
 * (st->id) and dropped others: cands[0..n) are the live candidates of that
 * prune, and st->next the list it wrote.  A dropped node may have lost its
 * only in-link, which would leave it unreachable; the node being linked is
 * close to both, so each dropped node gets a link from it, as long as its
 * own list has room (on level 0 its own choice fills at most m of 2m).
 */
static void
OmenLinkerAdopt(OmenLinker *st, const OmenCandidate *cands, uint32 n, uint32 level)
{
	const OmenParams *p = &st->p;
	uint32		cap = OmenLinkCount(p, level);
	uint32		own[2 * OMEN_MAX_M];
	uint32		upd[2 * OMEN_MAX_M];

	for (uint32 i = 0; i < n; i++)
	{
		uint32		x = cands[i].id;
		bool		kept = (x == st->id);

		for (uint32 j = 0; j < cap && !kept; j++)
			kept = (st->next[j] == x);
		if (kept)
			continue;
		for (int attempt = 0; attempt < 8; attempt++)
		{
			uint32		k;
			bool		have = false;

			OmenReadLinks(st->index, p, st->id, &st->hdr, level, own);
			for (k = 0; k < cap && own[k] != OMEN_INVALID_NODE; k++)
				have |= (own[k] == x);
			if (have || k == cap)
				break;			/* already linked, or no room */
			memcpy(upd, own, sizeof(uint32) * cap);
			upd[k] = x;
			if (OmenReplaceLinks(st->index, p, st->id, &st->hdr, level, own, upd))
				break;
		}
	}
}

/*
 * Adds the node being linked (st->id) to neighbour nb's list at level: into
 * a free entry if there is one, else by re-running the heuristic over nb's
 * neighbours plus the node, which may then be left out -- unless force is
 * set, in which case it takes the place of nb's farthest neighbour.
 * Returns whether the node is in nb's list afterwards.
 */
bool
OmenLinkerAddReverse(OmenLinker *st, uint32 nb, uint32 level, bool force)
{
	const OmenParams *p = &st->p;
	uint32		cap = OmenLinkCount(p, level);
	OmenNodeHeader nbhdr;
	float	   *base = st->cvecs;	/* row 0 holds nb's vector */

	for (int attempt = 0; attempt < 8; attempt++)
	{
		uint32		n = 0;
		uint32		nkept;
		uint32		k;
		bool		found = false;

		OmenReadHeader(st->index, p, nb, &nbhdr);
		if (nbhdr.flags & (OMEN_NODE_DELETED | OMEN_NODE_FREE) || nbhdr.level < level)
			return false;
		OmenReadLinks(st->index, p, nb, &nbhdr, level, st->cur);
		for (k = 0; k < cap && st->cur[k] != OMEN_INVALID_NODE; k++)
			if (st->cur[k] == st->id)
				found = true;
		if (found)
			return true;

		if (k < cap)
		{
			memcpy(st->next, st->cur, sizeof(uint32) * cap);
			st->next[k] = st->id;
			if (OmenReplaceLinks(st->index, p, nb, &nbhdr, level, st->cur, st->next))
				return true;
			continue;
		}

		/*
		 * Full.  The heuristic below keeps the node only if no neighbour of
		 * nb is closer to it than nb is; nb's list is itself a heuristic
		 * choice, so check that first, measuring on the pages without
		 * copying any vector: most reverse links end here.
		 */
		if (!force)
		{
			float		to_nb = OmenNodeDistance(st->index, p, nb, st->vq, st->sr.scratch);
			bool		covered = false;

			for (uint32 i = 0; i < cap && !covered; i++)
				covered = OmenNodeDistance(st->index, p, st->cur[i], st->vq,
										   st->sr.scratch) < to_nb;
			if (covered)
				return false;
		}

		/* Prune nb's neighbours plus the new node with the heuristic. */
		OmenReadNodeVector(st->index, p, nb, base, st->sr.scratch);
		for (uint32 i = 0; i <= cap; i++)
		{
			uint32		cid = (i < cap) ? st->cur[i] : st->id;
			const float *v = (i < cap) ? OmenReadLiveVector(st, cid) : st->vec;

			if (v == NULL)
				continue;
			memcpy(st->cvecs + (size_t) (n + 1) * p->dims, v, p->dims * sizeof(float));
			st->cands[n].id = cid;
			st->cands[n].distance = p->distance(base, v, p->dims);
			n++;
		}
		/* Sort rows along with candidates: sort an index permutation instead. */
		{
			OmenCandidate *sorted = st->sorted;
			float	   *rows = st->cvecs + (size_t) (cap + 2) * p->dims;

			for (uint32 i = 0; i < n; i++)
			{
				sorted[i] = st->cands[i];
				sorted[i].id = i;	/* temporarily: original position */
			}
			qsort(sorted, n, sizeof(OmenCandidate), OmenCandidateCmp);
			for (uint32 i = 0; i < n; i++)
			{
				uint32		orig = sorted[i].id;

				memcpy(rows + (size_t) i * p->dims, st->cvecs + (size_t) (orig + 1) * p->dims,
					   p->dims * sizeof(float));
				sorted[i].id = st->cands[orig].id;
			}
			nkept = omen_select_neighbors(sorted, n, rows, p->dims, p->metric, cap, st->kept);
			found = false;
			for (uint32 i = 0; i < cap; i++)
				st->next[i] = OMEN_INVALID_NODE;
			for (uint32 i = 0; i < nkept; i++)
			{
				st->next[i] = sorted[st->kept[i]].id;
				if (st->next[i] == st->id)
					found = true;
			}
			if (!found && force)
			{
				/*
				 * Take the place of a dead neighbour (not among the live
				 * candidates) if there is one, else of the farthest.
				 */
				memcpy(st->next, st->cur, sizeof(uint32) * cap);
				for (uint32 j = 0; j < cap && !found; j++)
				{
					bool		live = false;

					for (uint32 i = 0; i < n && !live; i++)
						live = (sorted[i].id == st->next[j]);
					if (!live)
					{
						st->next[j] = st->id;
						found = true;
					}
				}
				for (int i = (int) n - 1; i >= 0 && !found; i--)
				{
					if (sorted[i].id == st->id)
						continue;
					for (uint32 j = 0; j < cap; j++)
						if (st->next[j] == sorted[i].id)
							st->next[j] = st->id;
					found = true;
					break;
				}
			}
		}
		if (!found)
			return false;
		if (OmenReplaceLinks(st->index, p, nb, &nbhdr, level, st->cur, st->next))
		{
			OmenLinkerAdopt(st, st->sorted, n, level);
			return true;
		}
	}
	return false;
}

/*
 * Chooses up to max_keep neighbours for a node with vector vec among cands
 * (ascending distance to vec) with the heuristic, skipping `exclude` and
 * nodes that are deleted or free.  Writes their ids to chosen; returns how
 * many.
 */
uint32
OmenLinkerSelect(OmenLinker *st, const OmenCandidate *cands, uint32 ncands,
				 uint32 max_keep, uint32 exclude, uint32 *chosen)
{
	const OmenParams *p = &st->p;
	uint32		n = 0;
	uint32		nkept;

	for (uint32 i = 0; i < ncands; i++)
	{
		const float *v;

		if (cands[i].id == exclude)
			continue;
		v = OmenReadLiveVector(st, cands[i].id);
		if (v == NULL)
			continue;
		memcpy(st->cvecs + (size_t) n * p->dims, v, p->dims * sizeof(float));
		st->cands[n++] = cands[i];
	}
	nkept = omen_select_neighbors(st->cands, n, st->cvecs, p->dims, p->metric, max_keep, st->kept);
	for (uint32 i = 0; i < nkept; i++)
		chosen[i] = st->cands[st->kept[i]].id;
	return nkept;
}

/*
 * Searches for the neighbours of vec on `level`: greedy descent from the
 * entry point, then SEARCH-LAYER of width ef_construction on every level
 * from min(level, top) down to `level`.  Results (ascending, at most
 * ef_construction) go to out; returns how many.
 */
uint32
OmenLinkerSearch(OmenLinker *st, const float *vec, uint32 level, OmenCandidate *out)
{
	OmenMetaPageData meta;
	OmenCandidate ep;
	uint32		n = 0;

	OmenSearcherSetQuery(&st->sr, &st->p, vec);
	OmenReadMeta(st->index, &meta);
	if (meta.entry_point == OMEN_INVALID_NODE || meta.max_level < (int32) level)
		return 0;
	ep.id = meta.entry_point;
	ep.distance = OmenNodeDistance(st->index, &st->p, ep.id, st->sr.query, st->sr.scratch);
	OmenDescend(&st->sr, st->index, &st->p, &ep, meta.max_level, (int) level + 1,
				meta.node_count);
	OmenSearcherBegin(&st->sr, st->p.ef_construction, meta.node_count);
	OmenSearcherSeed(&st->sr, ep.id, ep.distance);
	OmenSearcherExpand(&st->sr, st->index, &st->p, level);
	n = OmenSearcherResults(&st->sr);
	memcpy(out, st->sr.results, sizeof(OmenCandidate) * n);
	return n;
}

/*
 * Writes node st->id's whole slot from slot, with `links` (cap entries, or
 * NULL: none) as its level-0 list and `flags` in its header.
 */
static void
OmenWriteSlot(OmenLinker *st, char *slot, const uint32 *links, uint32 nlinks, uint8 flags)
{
	uint32	   *at = (uint32 *) (slot + OMEN_LINKS_OFFSET);

	st->hdr.flags = flags;
	memcpy(slot, &st->hdr, sizeof(OmenNodeHeader));
	memset(at, 0xFF, 2 * st->p.m * sizeof(uint32));
	if (nlinks > 0)
		memcpy(at, links, nlinks * sizeof(uint32));
	OmenWriteNodeBytes(st->index, &st->p, st->id, 0, st->p.slot_size, slot);
}

/*
 * Writes the node's own list at `level`: the chosen ones first, then
 * whatever others linked meanwhile, by compare-and-swap.  The level-0 list
 * is its last own list: that write also flags the node OMEN_NODE_COMPLETE
 * (header and list are adjacent, so one compare-and-swap covers both).
 */
static void
OmenWriteOwnList(OmenLinker *st, uint32 level, const uint32 *chosen, uint32 nkept)
{
	const OmenParams *p = &st->p;
	uint32		cap = OmenLinkCount(p, level);
	char		cur[OMEN_LINKS_OFFSET + 2 * OMEN_MAX_M * sizeof(uint32)];
	char		upd[OMEN_LINKS_OFFSET + 2 * OMEN_MAX_M * sizeof(uint32)];
	uint32	   *curlinks = (uint32 *) (cur + OMEN_LINKS_OFFSET);
	uint32	   *next = (uint32 *) (upd + OMEN_LINKS_OFFSET);

	for (;;)
	{
		uint32		k = 0;

		if (level == 0)
			OmenReadNodeBytes(st->index, p, st->id, 0, OMEN_LINKS_OFFSET + cap * sizeof(uint32),
							  cur);
		else
			OmenReadLinks(st->index, p, st->id, &st->hdr, level, curlinks);
		for (uint32 i = 0; i < nkept; i++)
			next[k++] = chosen[i];
		for (uint32 i = 0; i < cap && curlinks[i] != OMEN_INVALID_NODE && k < cap; i++)
		{
			bool		dup = false;

			for (uint32 j = 0; j < nkept; j++)
				dup |= (chosen[j] == curlinks[i]);
			if (!dup)
				next[k++] = curlinks[i];
		}
		while (k < cap)
			next[k++] = OMEN_INVALID_NODE;
		if (level > 0)
		{
			if (OmenReplaceLinks(st->index, p, st->id, &st->hdr, level, curlinks, next))
				return;
			continue;
		}
		memcpy(upd, cur, OMEN_LINKS_OFFSET);
		((OmenNodeHeader *) upd)->flags |= OMEN_NODE_COMPLETE;
		if (OmenReplaceNodeBytes(st->index, p, st->id, 0, OMEN_LINKS_OFFSET + cap * sizeof(uint32),
								 cur, upd))
			return;
	}
}

/*
 * Links the new node at `level` given the search results (ascending):
 * picks its neighbours with the heuristic, writes its own list, then adds
 * the reverse links.  A node not yet on its pages (`unwritten` is its slot
 * in memory; level 0 only) is written whole instead, with its list and
 * OMEN_NODE_COMPLETE: nobody can have linked to it.
 */
static void
OmenConnect(OmenLinker *st, uint32 level, const OmenCandidate *results, uint32 nresults,
			char *unwritten)
{
	uint32		chosen[2 * OMEN_MAX_M];
	uint32		nkept = OmenLinkerSelect(st, results, nresults, st->p.m, st->id, chosen);

	Assert(unwritten == NULL || level == 0);
	if (unwritten != NULL)
		OmenWriteSlot(st, unwritten, chosen, nkept, OMEN_NODE_COMPLETE);
	else
		OmenWriteOwnList(st, level, chosen, nkept);
	OmenLinkerLinkBack(st, chosen, nkept, level);
}

/*
 * Adds the reverse links from the chosen neighbours (ascending distance) to
 * the node being linked.  Each neighbour's heuristic may leave the node out;
 * if every one did, the node is forced into the nearest one's list, since a
 * node that no list points at cannot be found by any search.
 */
void
OmenLinkerLinkBack(OmenLinker *st, const uint32 *chosen, uint32 nkept, uint32 level)
{
	bool		linked = false;

	for (uint32 i = 0; i < nkept; i++)
		linked |= OmenLinkerAddReverse(st, chosen[i], level, false);
	if (!linked && nkept > 0)
		(void) OmenLinkerAddReverse(st, chosen[0], level, true);
}

/* Prepares the working memory of inserts and repairs in CurrentMemoryContext. */
void
OmenLinkerInit(OmenLinker *st, Relation index, const OmenParams *p)
{
	uint32		efc = p->ef_construction;
	uint32		cap = 2 * p->m + 2;

	memset(st, 0, sizeof(*st));
	st->index = index;
	st->p = *p;
	st->id = OMEN_INVALID_NODE;
	OmenSearcherInit(&st->sr, p, efc);
	st->slot = palloc(p->slot_size);
	st->vq_buf = palloc(p->query_size);
	st->decoded = palloc(sizeof(float) * p->dims);
	/* Selection may see ef_construction results plus a full list (vacuum's repair). */
	st->cvecs = palloc(sizeof(float) * p->dims * Max(efc + cap, 2 * cap + 2));
	st->cands = palloc(sizeof(OmenCandidate) * (efc + cap));
	st->kept = palloc(sizeof(uint32) * (efc + cap));
	st->cur = palloc(sizeof(uint32) * 2 * p->m);
	st->next = palloc(sizeof(uint32) * 2 * p->m);
	st->sorted = palloc(sizeof(OmenCandidate) * cap);
	st->entries = palloc(sizeof(OmenCandidate) * Max(efc, cap));
}

/*
 * Makes vec (dims floats, normalized for cosine) the vector being linked,
 * which the reverse links measure against (prepared once, as st->vq).
 */
void
OmenLinkerSetVector(OmenLinker *st, const float *vec)
{
	st->vec = vec;
	st->vq = omen_query_prepare(st->p.storage, st->p.metric, vec, st->p.dims, st->vq_buf);
}

/*
 * Inserts one prepared vector (dims floats, normalized for cosine) with its
 * heap TID.  A node of level 0 -- all but one in m -- is written once, after
 * its search, with its list and OMEN_NODE_COMPLETE: nobody can reach it
 * before its reverse links exist, so it need not be on the page earlier, and
 * the slot, the list and the flag then cost one WAL record instead of three
 * (each record compares its whole 8 KB page for the delta).  A node with
 * upper levels is written first, since its upper reverse links make it
 * reachable before its level-0 list is written.
 */
void
OmenInsertVector(Relation index, const OmenParams *p, const float *vec, ItemPointer heap_tid)
{
	OmenLinker	st;
	OmenMetaPageData meta;
	OmenCandidate ep;
	uint32		efc = p->ef_construction;
	char	   *slot;
	uint8		level;
	int			top;
	bool		written = false;

	OmenLinkerInit(&st, index, p);
	OmenLinkerSetVector(&st, vec);
	st.sr.query = st.vq;		/* the search measures against the same vector */

	LockPage(index, OMEN_UPDATE_LOCK, ShareLock);

	/* 1: take a slot and fill it in memory. */
	level = OmenDrawLevel(p->m);
	st.id = OmenAllocateNode(index, p, level, &st.hdr);
	memcpy(st.hdr.payload, heap_tid, sizeof(ItemPointerData));
	slot = palloc(p->slot_size);
	omen_stored_encode(p->storage, p->metric, vec, p->dims,
					   (uint8 *) slot + OMEN_VECTOR_OFFSET(p->m));

	/* 2: the first node of the graph has nothing to link to. */
	OmenReadMeta(index, &meta);
	if (meta.entry_point == OMEN_INVALID_NODE)
	{
		OmenWriteSlot(&st, slot, NULL, 0, OMEN_NODE_COMPLETE);
		written = true;
		if (OmenMaybeSetEntryPoint(index, st.id, level))
			goto done;
		OmenReadMeta(index, &meta);
	}
	if (level > 0 && !written)
	{
		OmenWriteSlot(&st, slot, NULL, 0, 0);
		written = true;
	}

	/* 3: link it. */
	ep.id = meta.entry_point;
	ep.distance = OmenNodeDistance(index, p, ep.id, st.vq, st.sr.scratch);
	top = meta.max_level;
	if (top > level)
		OmenDescend(&st.sr, index, p, &ep, top, level + 1, meta.node_count);

	{
		uint32		nentries = 1;

		st.entries[0] = ep;
		for (int lc = Min((int) level, top); lc >= 0; lc--)
		{
			uint32		n;
			OmenCandidate *found = palloc(sizeof(OmenCandidate) * efc);

			OmenSearcherBegin(&st.sr, efc, meta.node_count);
			for (uint32 i = 0; i < nentries; i++)
				OmenSearcherSeed(&st.sr, st.entries[i].id, st.entries[i].distance);
			OmenSearcherExpand(&st.sr, index, p, (uint32) lc);
			n = OmenSearcherResults(&st.sr);
			memcpy(found, st.sr.results, sizeof(OmenCandidate) * n);
			OmenConnect(&st, (uint32) lc, found, n, written ? NULL : slot);
			written = true;
			/* The next level starts from this level's results (but ourselves). */
			nentries = 0;
			for (uint32 i = 0; i < n; i++)
				if (found[i].id != st.id)
					st.entries[nentries++] = found[i];
			if (nentries == 0)
			{
				st.entries[0] = ep;
				nentries = 1;
			}
			pfree(found);
		}
	}

	/* 4: a new top level makes it the entry point. */
	if ((int) level > top)
		(void) OmenMaybeSetEntryPoint(index, st.id, level);

done:
	UnlockPage(index, OMEN_UPDATE_LOCK, ShareLock);
}

/* aminsert: adds one heap row's vector to the graph. NULLs are not indexed. */
bool
omeninsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		   Relation heap, IndexUniqueCheck checkUnique,
#if PG_VERSION_NUM >= 140000
		   bool indexUnchanged,
#endif
		   IndexInfo *indexInfo)
{
	MemoryContext ctx;
	MemoryContext old;
	OmenParams	p;
	const float *vec;

	if (isnull[0])
		return false;

	ctx = AllocSetContextCreate(CurrentMemoryContext, "omen insert", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	OmenGetParams(index, &p);
	vec = OmenPrepareVector(&p, values[0], palloc(sizeof(float) * p.dims));
	if (vec != NULL)
		OmenInsertVector(index, &p, vec, heap_tid);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	return false;
}
