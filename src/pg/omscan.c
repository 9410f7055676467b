/*-------------------------------------------------------------------------
 *
 * omscan.c
 *	  Ordered index scans: ORDER BY <column> <distance operator> <query>.
 *
 * The first call descends greedily from the entry point to level 1
 * (K-NN-SEARCH, Algorithm 5 of Malkov & Yashunin), then runs one round of
 * SEARCH-LAYER on level 0 with width omen.ef_search and returns its results
 * in ascending distance.  When the executor wants more -- a WHERE clause
 * filtered rows out, or LIMIT exceeds ef_search -- the core's search resumes
 * from where it stopped and yields the next-best round, until the graph is
 * exhausted or omen.max_scan_tuples tuples have been returned.  Later rounds
 * are each in order, and start at or after the distances already returned
 * for nodes the graph leads to in order; like every approximate index, a
 * later round can hold a node closer than one already returned.
 *
 * Deleted nodes (vacuum marked them, their repair is pending) are traversed
 * but never returned; free slots are never returned.
 *
 * Compact storage (half, int8).  The search measures the decoded vectors,
 * which are close to, not equal to, the heap's.  So each round's rows are
 * handed over with xs_recheckorderby and, as their ORDER BY value, a lower
 * bound of the exact distance (omen_stored_lower_bound, proven in the core's
 * storage.cpp), sorted by that bound: the executor recomputes the distance
 * from the heap row, holds rows in its reorder queue and returns one only
 * once no later index row can have a smaller bound.  Within a round the
 * output is therefore in exact distance order.  float4 stores the vectors
 * themselves; its distances are exact (up to cosine's normalization) and are
 * returned as they are, with no recheck.
 *
 * Memory: all scan state lives in a context that dies with the scan; the
 * core search engine goes back to its pool through that context's reset
 * callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "omen.h"

/* A row of the current round, ready to return. */
typedef struct OmenScanItem
{
	ItemPointerData tid;
	double		order;			/* xs_orderbyvals[0]: exact distance or lower bound */
	uint32		rank;			/* position in the round, to break ties */
} OmenScanItem;

typedef struct OmenScanOpaqueData
{
	MemoryContext ctx;			/* lives as long as the scan */
	OmenParams	p;
	OmenSearcher sr;
	bool		started;
	bool		exhausted;
	bool		query_null;		/* ORDER BY col <-> NULL */
	bool		lossy;			/* compact storage: return lower bounds, recheck */
	float	   *query;			/* dims floats, normalized for cosine */
	float	   *raw_query;		/* dims floats, the ORDER BY argument as given */
	float	   *bound_buf;		/* dims floats that bound keeps (unit query or zeros) */
	OmenBoundQuery bound;		/* prepared for the lower bounds (lossy only) */
	char	   *slot;			/* one node slot, read for its bound */
	OmenScanItem *batch;		/* current round's rows */
	uint32		nbatch;
	uint32		pos;
	uint32		id_bound;
	uint32		rounds;			/* level-0 rounds run so far */
	uint64		returned;
} OmenScanOpaqueData;

typedef OmenScanOpaqueData *OmenScanOpaque;

/* ambeginscan */
IndexScanDesc
omenbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	OmenScanOpaque so;
	MemoryContext old;

	so = palloc0(sizeof(OmenScanOpaqueData));
	so->ctx = AllocSetContextCreate(CurrentMemoryContext, "omen scan", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(so->ctx);
	OmenGetParams(index, &so->p);
	OmenSearcherInit(&so->sr, &so->p, OMEN_MAX_EF_SEARCH);
	so->query = palloc(sizeof(float) * so->p.dims);
	so->raw_query = palloc(sizeof(float) * so->p.dims);
	so->bound_buf = palloc(sizeof(float) * so->p.dims);
	so->slot = palloc(so->p.slot_size);
	so->batch = palloc(sizeof(OmenScanItem) * OMEN_MAX_EF_SEARCH);
	MemoryContextSwitchTo(old);

	/* The AM owns the arrays for ORDER BY values (like GiST). */
	scan->xs_orderbyvals = palloc0(sizeof(Datum) * Max(norderbys, 1));
	scan->xs_orderbynulls = palloc(sizeof(bool) * Max(norderbys, 1));
	for (int i = 0; i < Max(norderbys, 1); i++)
		scan->xs_orderbynulls[i] = true;
	scan->opaque = so;
	return scan;
}

/* amrescan: remembers nothing but that the next call starts afresh. */
void
omenrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	OmenScanOpaque so = (OmenScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
	so->started = false;
	so->exhausted = false;
	so->nbatch = 0;
	so->pos = 0;
	so->rounds = 0;
	so->returned = 0;
}

/*
 * Sets up the query vector from the ORDER BY argument.  A NULL argument
 * orders nothing, so any order is right: the zero vector is used and every
 * reachable row comes back.
 */
static void
OmenScanSetQuery(IndexScanDesc scan, OmenScanOpaque so)
{
	ScanKey		key = &scan->orderByData[0];

	so->query_null = (key->sk_flags & SK_ISNULL) != 0;
	if (so->query_null)
	{
		memset(so->query, 0, sizeof(float) * so->p.dims);
		return;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(so->ctx);
		Vector	   *vec = DatumGetVector(key->sk_argument);

		if ((uint32) vec->dim != so->p.dims)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("expected %u dimensions, not %d", so->p.dims, vec->dim)));
		memcpy(so->query, vec->x, sizeof(float) * so->p.dims);
		memcpy(so->raw_query, vec->x, sizeof(float) * so->p.dims);
		MemoryContextSwitchTo(old);
	}
	/* As the indexed vectors were; a zero query (NaN distance to everything) stays as it is. */
	if (so->p.metric == OMEN_METRIC_COSINE)
		(void) omen_unit_vector(so->query, so->p.dims, so->query);
}

/* Runs the first round: greedy descent, then level 0 with width ef_search. */
static void
OmenScanStart(IndexScanDesc scan, OmenScanOpaque so)
{
	OmenMetaPageData meta;
	OmenCandidate ep;
	uint32		ef = (uint32) Min(Max(omen_ef_search, 1), OMEN_MAX_EF_SEARCH);

	OmenScanSetQuery(scan, so);
	so->lossy = so->p.storage != OMEN_STORAGE_FLOAT4 && !so->query_null;
	if (so->lossy)
		omen_bound_query_init(&so->bound, so->p.storage, so->p.metric, so->raw_query,
							  so->bound_buf, so->p.dims);
	OmenReadMeta(scan->indexRelation, &meta);
	so->started = true;
	if (meta.entry_point == OMEN_INVALID_NODE)
	{
		so->exhausted = true;
		return;
	}
	so->id_bound = meta.node_count;
	OmenSearcherSetQuery(&so->sr, &so->p, so->query);
	ep.id = meta.entry_point;
	ep.distance = OmenNodeDistance(scan->indexRelation, &so->p, ep.id, so->sr.query,
								   so->sr.scratch);
	if (meta.max_level > 0)
		OmenDescend(&so->sr, scan->indexRelation, &so->p, &ep, meta.max_level, 1,
					so->id_bound);
	OmenSearcherBegin(&so->sr, ef, so->id_bound);
	OmenSearcherSeed(&so->sr, ep.id, ep.distance);
}

/* Orders a round's rows by ascending ORDER BY value, ties in search order. */
static int
OmenScanItemCmp(const void *a, const void *b)
{
	const OmenScanItem *x = a;
	const OmenScanItem *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->rank < y->rank ? -1 : (x->rank > y->rank);
}

/*
 * Reads node id's header and the lower bound of its row's ORDER BY value
 * (lossy storage).  A slot within one page is read in place under one share
 * lock.  A slot spanning pages is copied a page at a time, so an insert
 * reusing it (vacuum freed it meanwhile) could leave us the old vector's
 * start and the new one's end, and a bound that is nobody's.  Such a write
 * always changes the header, so reading it again after the vector tells:
 * returns false then, and the row is skipped (its old occupant is dead).
 */
static bool
OmenScanReadLossy(Relation index, OmenScanOpaque so, uint32 id, OmenNodeHeader *hdr,
				  double *order)
{
	const OmenParams *p = &so->p;
	uint64		start = (uint64) id * p->slot_size;
	OmenNodeHeader again;

	if (start % OMEN_STREAM_BYTES_PER_PAGE + p->slot_size <= OMEN_STREAM_BYTES_PER_PAGE)
	{
		Buffer		buf = OmenReadStream(index, (uint32) (start / OMEN_STREAM_BYTES_PER_PAGE));
		const char *slot;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		slot = PageGetContents(BufferGetPage(buf)) + start % OMEN_STREAM_BYTES_PER_PAGE;
		memcpy(hdr, slot, sizeof(*hdr));
		*order = omen_stored_lower_bound(&so->bound, (const uint8 *) slot + OMEN_VECTOR_OFFSET(p->m));
		UnlockReleaseBuffer(buf);
		return true;
	}
	OmenReadNodeBytes(index, p, id, 0, p->slot_size, so->slot);
	memcpy(hdr, so->slot, sizeof(*hdr));
	OmenReadHeader(index, p, id, &again);
	if (memcmp(hdr, &again, sizeof(*hdr)) != 0)
		return false;
	*order = omen_stored_lower_bound(&so->bound, (const uint8 *) so->slot + OMEN_VECTOR_OFFSET(p->m));
	return true;
}

/*
 * Runs one level-0 round and turns its results into so->batch: live rows
 * only, each with its ORDER BY value (see the header comment).  Returns
 * false when the graph has nothing left.
 */
static bool
OmenScanNextRound(IndexScanDesc scan, OmenScanOpaque so)
{
	Relation	index = scan->indexRelation;
	const OmenParams *p = &so->p;
	uint32		n;

	OmenSearcherExpand(&so->sr, index, p, 0);
	n = OmenSearcherResults(&so->sr);
	so->nbatch = 0;
	so->pos = 0;
	so->rounds++;
	for (uint32 i = 0; i < n; i++)
	{
		const OmenCandidate *c = &so->sr.results[i];
		OmenNodeHeader hdr;
		OmenScanItem *item = &so->batch[so->nbatch];

		if (so->lossy)
		{
			if (!OmenScanReadLossy(index, so, c->id, &hdr, &item->order))
				continue;
		}
		else
			OmenReadHeader(index, p, c->id, &hdr);
		if (hdr.flags & (OMEN_NODE_DELETED | OMEN_NODE_FREE))
			continue;
		memcpy(&item->tid, hdr.payload, sizeof(ItemPointerData));
		if (!ItemPointerIsValid(&item->tid))
			continue;
		if (!so->lossy)
			item->order = OmenSqlDistance(p->metric, c->distance);
		item->rank = i;
		so->nbatch++;
	}
	if (so->lossy && so->nbatch > 1)
		qsort(so->batch, so->nbatch, sizeof(OmenScanItem), OmenScanItemCmp);
	return n > 0;
}

/* amgettuple: the next heap TID in (approximately) ascending distance. */
bool
omengettuple(IndexScanDesc scan, ScanDirection dir)
{
	OmenScanOpaque so = (OmenScanOpaque) scan->opaque;
	MemoryContext old;

	if (dir != ForwardScanDirection)
		elog(ERROR, "omen index scans only go forward");
	if (scan->orderByData == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot scan an omen index without ORDER BY"),
				 errhint("Use ORDER BY column <-> value (or <#>, <=>, <+>) with a LIMIT.")));

	old = MemoryContextSwitchTo(so->ctx);
	if (!so->started)
		OmenScanStart(scan, so);

	while (!so->exhausted)
	{
		if (so->pos < so->nbatch)
		{
			const OmenScanItem *item;

			/*
			 * The first round (ef_search wide) is always returned whole;
			 * later rounds stop exactly at omen.max_scan_tuples.
			 */
			if (so->rounds > 1 && so->returned >= (uint64) omen_max_scan_tuples)
			{
				so->exhausted = true;
				break;
			}
			item = &so->batch[so->pos++];
			scan->xs_heaptid = item->tid;
			scan->xs_recheck = false;
			scan->xs_recheckorderby = so->lossy;
			if (scan->numberOfOrderBys > 0)
			{
				scan->xs_orderbyvals[0] = so->query_null ? (Datum) 0 : Float8GetDatum(item->order);
				scan->xs_orderbynulls[0] = so->query_null;
			}
			so->returned++;
			MemoryContextSwitchTo(old);
			return true;
		}
		if (so->returned >= (uint64) omen_max_scan_tuples || !OmenScanNextRound(scan, so))
			so->exhausted = true;
	}
	MemoryContextSwitchTo(old);
	return false;
}

/* amendscan: frees the scan's memory (and returns the search engine to its pool). */
void
omenendscan(IndexScanDesc scan)
{
	OmenScanOpaque so = (OmenScanOpaque) scan->opaque;

	MemoryContextDelete(so->ctx);
	pfree(so);
	scan->opaque = NULL;
}
