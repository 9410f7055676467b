/*-------------------------------------------------------------------------
 *
 * omsearch.c
 *	  Drives the core's search engine over index pages: the C side of the
 *	  search pump declared in omendb.h.
 *
 * The algorithm (SEARCH-LAYER, Algorithm 2 of Malkov & Yashunin, with
 * resumable rounds) lives in the core, which keeps the heaps and the visited
 * set.  This file only fetches what the core asks for: the neighbour list of
 * the node to expand, and the distance from the query to each neighbour not
 * yet visited.  So no PostgreSQL call happens inside C++ code, and an error
 * raised here (a bad page, a cancel) unwinds only C frames.
 *
 * Search engines come from a small backend-wide pool: an engine's visited
 * set is sized to the index and reset in O(1) per search, so reusing one
 * across queries saves allocating and zeroing it each time.  An engine is
 * returned to the pool when the memory context of its user goes away, also
 * on error, through a reset callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "omen.h"

#define OMEN_SEARCH_POOL_SIZE 4

static OmenSearch *search_pool[OMEN_SEARCH_POOL_SIZE];
static int	search_pool_count = 0;

/* Returns an engine to the pool, or frees it when the pool is full. */
static void
OmenSearchRelease(void *arg)
{
	OmenSearch *s = (OmenSearch *) arg;

	if (search_pool_count < OMEN_SEARCH_POOL_SIZE)
		search_pool[search_pool_count++] = s;
	else
		omen_search_free(s);
}

/* Takes an engine from the pool (or makes one), owned by CurrentMemoryContext. */
static OmenSearch *
OmenSearchAcquire(void)
{
	OmenSearch *s = NULL;
	MemoryContextCallback *cb;

	/* Allocate the callback first so that nothing can fail after we own s. */
	cb = MemoryContextAlloc(CurrentMemoryContext, sizeof(MemoryContextCallback));
	if (search_pool_count > 0)
		s = search_pool[--search_pool_count];
	else
	{
		OmenError	err;
		OmenStatus	st = omen_search_create(&s, &err);

		if (st != OMEN_OK)
			OmenRaiseError(st, &err);
	}
	cb->func = OmenSearchRelease;
	cb->arg = s;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return s;
}

/* Prepares a searcher in CurrentMemoryContext for results of up to ef_max nodes. */
void
OmenSearcherInit(OmenSearcher *sr, const OmenParams *p, uint32 ef_max)
{
	sr->search = OmenSearchAcquire();
	sr->scratch = palloc(p->stored_size);
	sr->query_buf = palloc(p->query_size);
	sr->query = NULL;
	sr->links = palloc(sizeof(uint32) * 2 * p->m);
	sr->results_cap = Max(ef_max, 1);
	sr->results = palloc(sizeof(OmenCandidate) * sr->results_cap);
}

/*
 * Makes vec (dims floats, normalized for cosine) the vector the searcher
 * measures against, prepared once for the index's stored-distance kernel.
 */
void
OmenSearcherSetQuery(OmenSearcher *sr, const OmenParams *p, const float *vec)
{
	sr->query = omen_query_prepare(p->storage, p->metric, vec, p->dims, sr->query_buf);
}

/* Starts a new search of width ef over ids below id_bound. */
void
OmenSearcherBegin(OmenSearcher *sr, uint32 ef, uint32 id_bound)
{
	OmenError	err;
	OmenStatus	st;

	Assert(ef <= sr->results_cap);
	st = omen_search_begin(sr->search, ef, id_bound, &err);
	if (st != OMEN_OK)
		OmenRaiseError(st, &err);
}

/* Adds an entry point with its distance. */
void
OmenSearcherSeed(OmenSearcher *sr, uint32 id, float distance)
{
	int			r = omen_search_visit(sr->search, id);

	if (r < 0 || (r == 1 && omen_search_offer(sr->search, id, distance) < 0))
		OmenRaiseError(OMEN_ERR_OUT_OF_MEMORY, NULL);
}

/* A neighbour waiting for its distance, located in the node stream. */
typedef struct OmenPending
{
	uint32		id;
	uint32		stream_block;
	uint32		offset;			/* of its vector within the page's stream bytes */
} OmenPending;

/*
 * Computes the distances from query to the nodes in todo[0..n) and offers
 * them.  Nodes are taken in stream order so that each page is pinned and
 * share-locked once for all the neighbours it holds (the build writes nodes
 * in graph order, so neighbours often share pages); a vector that spans two
 * pages goes through OmenNodeDistance.
 *
 * Prefetching is staged: OmenSearcherExpand hinted the first line of each
 * node (and its buffer descriptor) as it found it; here the next node's
 * vector is hinted whole while the current one is measured.  Hinting every
 * node's whole vector at once filled the core's miss buffers and stalled
 * the loop issuing the hints (int8 and half queries ran 12-18% slower;
 * float4 the same).
 */
static void
OmenOfferDistances(OmenSearcher *sr, Relation index, const OmenParams *p, OmenPending *todo,
				   uint32 n)
{
	const OmenQuery *query = sr->query;
	uint32		vlen = p->stored_size;

	/* Insertion sort by stream block: n is at most 2m. */
	for (uint32 i = 1; i < n; i++)
	{
		OmenPending x = todo[i];
		uint32		j = i;

		while (j > 0 && todo[j - 1].stream_block > x.stream_block)
		{
			todo[j] = todo[j - 1];
			j--;
		}
		todo[j] = x;
	}

	if (n > 0)
		OmenPrefetchStream(index, todo[0].stream_block, todo[0].offset, vlen);
	for (uint32 i = 0; i < n;)
	{
		if (todo[i].offset + vlen > OMEN_STREAM_BYTES_PER_PAGE)
		{
			float		d;

			if (i + 1 < n)
				OmenPrefetchStream(index, todo[i + 1].stream_block, todo[i + 1].offset, vlen);
			d = OmenNodeDistance(index, p, todo[i].id, query, sr->scratch);

			if (omen_search_offer(sr->search, todo[i].id, d) < 0)
				OmenRaiseError(OMEN_ERR_OUT_OF_MEMORY, NULL);
			i++;
			continue;
		}
		{
			Buffer		buf = OmenReadStream(index, todo[i].stream_block);
			const char *contents;
			uint32		block = todo[i].stream_block;
			int			failed = 0;

			LockBuffer(buf, BUFFER_LOCK_SHARE);
			contents = PageGetContents(BufferGetPage(buf));
			for (; i < n && todo[i].stream_block == block &&
				 todo[i].offset + vlen <= OMEN_STREAM_BYTES_PER_PAGE; i++)
			{
				if (i + 1 < n)
					OmenPrefetchStream(index, todo[i + 1].stream_block, todo[i + 1].offset, vlen);
				failed |= omen_search_offer(sr->search, todo[i].id,
											p->stored_distance(query,
															   (const uint8 *) contents + todo[i].offset,
															   p->dims));
			}
			UnlockReleaseBuffer(buf);
			if (failed < 0)
				OmenRaiseError(OMEN_ERR_OUT_OF_MEMORY, NULL);
		}
	}
}

/*
 * Runs the current round on one level: expands nodes as the core asks,
 * reading their neighbour lists and the neighbours' vectors from pages.
 */
void
OmenSearcherExpand(OmenSearcher *sr, Relation index, const OmenParams *p, uint32 level)
{
	uint32		c;
	uint32		nlinks = OmenLinkCount(p, level);
	OmenNodeHeader hdr;
	OmenPending todo[2 * OMEN_MAX_M];
	uint32		fresh[2 * OMEN_MAX_M];

	while ((c = omen_search_next(sr->search)) != OMEN_INVALID_NODE)
	{
		uint32		n = 0;
		int			nfresh;

		CHECK_FOR_INTERRUPTS();
		if (level > 0)
			OmenReadHeader(index, p, c, &hdr);
		OmenReadLinks(index, p, c, &hdr, level, sr->links);
		nfresh = omen_search_visit_list(sr->search, sr->links, nlinks, fresh);
		if (nfresh < 0)
			OmenRaiseError(OMEN_ERR_OUT_OF_MEMORY, NULL);
		for (int i = 0; i < nfresh; i++)
		{
			uint32		e = fresh[i];
			uint64		pos = (uint64) e * p->slot_size + OMEN_VECTOR_OFFSET(p->m);

			todo[n].id = e;
			todo[n].stream_block = (uint32) (pos / OMEN_STREAM_BYTES_PER_PAGE);
			todo[n].offset = (uint32) (pos % OMEN_STREAM_BYTES_PER_PAGE);
			OmenPrefetchStream(index, todo[n].stream_block, todo[n].offset, 64);
			n++;
		}
		OmenOfferDistances(sr, index, p, todo, n);
	}
}

/* Ends the round; its results, ascending, are in sr->results. Returns how many. */
uint32
OmenSearcherResults(OmenSearcher *sr)
{
	return omen_search_results(sr->search, sr->results, sr->results_cap);
}

/*
 * Greedy descent (search with ef = 1) from ep through levels from_level down
 * to to_level; ep (id and distance) is updated in place.
 */
void
OmenDescend(OmenSearcher *sr, Relation index, const OmenParams *p, OmenCandidate *ep,
			int from_level, int to_level, uint32 id_bound)
{
	for (int level = from_level; level >= to_level; level--)
	{
		OmenSearcherBegin(sr, 1, id_bound);
		OmenSearcherSeed(sr, ep->id, ep->distance);
		OmenSearcherExpand(sr, index, p, (uint32) level);
		if (OmenSearcherResults(sr) > 0)
			*ep = sr->results[0];
	}
}
