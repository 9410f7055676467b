/*-------------------------------------------------------------------------
 *
 * ombuild.c
 *	  CREATE INDEX: build the graph in memory with the core's threaded
 *	  builder, then write every page in one sequential pass.
 *
 * Phases (each shown in pg_stat_progress_create_index):
 *	loading tuples	the heap scan hands each vector to the core builder;
 *					its worker threads link a random tenth of them into the
 *					graph while the scan goes on;
 *	linking graph	the backend groups the rest by neighbourhood (in slices
 *					inside omen_builder_wait) and waits for the workers to
 *					link them, polling every 100 ms so that Ctrl-C cancels
 *					promptly and progress moves;
 *	writing pages	metapage, directory pages, the node stream in id order,
 *					then the upper-level tuples, through shared buffers with
 *					no WAL;
 *	logging pages	one bulk WAL pass over the whole relation
 *					(log_newpage_range), when the relation needs WAL.
 *
 * Threads never call PostgreSQL: only this backend thread scans, writes
 * pages, reports progress and checks for interrupts.  The builder's memory
 * is outside PostgreSQL's contexts, so a reset callback on the build's
 * memory context frees it (joining the workers first) on every path,
 * including an error or a cancel.
 *
 * maintenance_work_mem bounds the graph.  When it is full the build says so
 * in a NOTICE, writes the graph it has, and inserts the remaining rows one
 * by one through the on-disk insert path, which is slower but correct.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/backend_progress.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "omen.h"

#define U OMEN_STREAM_BYTES_PER_PAGE
#define OMEN_BUILD_SEED UINT64_C(0x6F6D656E)

/*
 * The construction (searches and the choice of links) measures int8 copies
 * of the vectors where the CPU has a fast 8-bit dot product (AVX-512 VNNI;
 * the core uses the floats elsewhere); the pages get the vectors in the
 * index's own storage.
 */
#define OMEN_BUILD_SEARCH_STORAGE OMEN_STORAGE_INT8

/*
 * The builder links a random tenth of the rows while the heap scan goes on
 * and the rest after it, grouped by neighbourhood so that consecutive
 * inserts find what they read in the CPU caches (omendb.h, link_order).
 */
#define OMEN_BUILD_LINK_ORDER OMEN_LINK_ORDER_LOCALITY

typedef struct OmenBuildState
{
	Relation	heap;
	Relation	index;
	OmenParams	p;
	OmenBuildParams params;		/* what the builder was created with */
	OmenBuilder *builder;		/* NULL once freed */
	MemoryContext buildctx;		/* holds this state; its reset frees builder */
	MemoryContext tmpctx;		/* reset after every tuple */
	float	   *normbuf;		/* one vector, for cosine normalization */
	double		indtuples;		/* vectors indexed */
	bool		on_disk;		/* graph written; insert the rest one by one */
	uint32		threads;
} OmenBuildState;

/* Sequential writer of node-stream bytes into fresh node pages. */
typedef struct OmenStreamWriter
{
	Relation	index;
	ForkNumber	fork;
	Buffer		buf;
	uint32		used;
	BlockNumber next;			/* the block the next stream page goes to */
} OmenStreamWriter;

/* Memory-context reset callback: frees the builder on every path. */
static void
OmenBuildFreeBuilder(void *arg)
{
	OmenBuildState *bs = (OmenBuildState *) arg;

	omen_builder_free(bs->builder);
	bs->builder = NULL;
}

/* Number of dimensions of the indexed column (its typmod). */
static uint32
OmenIndexDimensions(Relation index)
{
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	if (typmod < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions"),
				 errhint("Declare the column as vector(n), or index an expression such as (col::vector(n)).")));
	if (typmod > OMEN_MAX_DIMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column cannot have more than %d dimensions for omen index", OMEN_MAX_DIMS)));
	return (uint32) typmod;
}

/* Reads and checks the options; fills *p for a new index. */
static void
OmenReadOptions(Relation index, OmenParams *p)
{
	uint32		dims = OmenIndexDimensions(index);
	uint32		m = (uint32) OmenGetM(index);
	uint32		efc = (uint32) OmenGetEfConstruction(index);

	OmenCheckEfConstruction(m, efc);
	OmenSetParams(p, dims, m, efc, OmenResolveMetric(index), OmenGetStorage(index));
}

/*
 * Extends the fork, which the build writes from block 0 on, to nblocks with
 * one write of the last block: md.c fills what lies before it (a hole, or
 * whole segments), as for hash bucket pages.  Each page is then taken from
 * the buffer pool zeroed (OmenBuildNewPage) instead of extending the file
 * by one block per page, which took an extension lock and a write each:
 * most of the page-writing phase.
 */
static void
OmenBuildReserve(Relation index, ForkNumber fork, BlockNumber nblocks)
{
	PGAlignedBlock zero;

	if (nblocks == 0 || RelationGetNumberOfBlocksInFork(index, fork) >= nblocks)
		return;
	memset(zero.data, 0, BLCKSZ);
	smgrextend(RelationGetSmgr(index), fork, nblocks - 1, zero.data, false);
}

/* Takes reserved block blkno of fork, zeroed, pinned and exclusively locked. */
static Page
OmenBuildNewPage(Relation index, ForkNumber fork, BlockNumber blkno, Buffer *buf, uint16 flags)
{
	Page		page;

	*buf = ReadBufferExtended(index, fork, blkno, RBM_ZERO_AND_LOCK, NULL);
	page = BufferGetPage(*buf);
	OmenInitPage(page, flags);
	return page;
}

/* Writes out and releases a page taken by OmenBuildNewPage. */
static void
OmenBuildFinishPage(Buffer buf)
{
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

/* Appends len bytes to the node stream. */
static void
OmenStreamWrite(OmenStreamWriter *w, const char *src, uint32 len)
{
	while (len > 0)
	{
		uint32		chunk;

		if (!BufferIsValid(w->buf))
		{
			(void) OmenBuildNewPage(w->index, w->fork, w->next++, &w->buf, OMEN_PAGE_NODE);
			w->used = 0;
		}
		chunk = Min(len, U - w->used);
		memcpy(PageGetContents(BufferGetPage(w->buf)) + w->used, src, chunk);
		w->used += chunk;
		src += chunk;
		len -= chunk;
		if (w->used == U)
		{
			OmenBuildFinishPage(w->buf);
			w->buf = InvalidBuffer;
		}
	}
}

/*
 * Graph order for the node stream: breadth-first over level-0 links from
 * the entry point, then any unreached nodes in id order.  A node's
 * neighbours get neighbouring ids, so they share pages and a search touches
 * fewer of them.  Fills perm (old id -> new id) and inv (new -> old).
 */
static void
OmenGraphOrder(OmenBuilder *builder, const OmenParams *p, uint32 n, uint32 *perm, uint32 *inv)
{
	uint32		head = 0;
	uint32		tail = 0;

	memset(perm, 0xFF, sizeof(uint32) * n);
	if (n == 0)
		return;
	perm[omen_builder_entry_point(builder)] = tail;
	inv[tail++] = omen_builder_entry_point(builder);
	while (head < tail)
	{
		const uint32 *links = (const uint32 *) (omen_builder_node(builder, inv[head++]) +
												OMEN_LINKS_OFFSET);

		for (uint32 i = 0; i < 2 * p->m && links[i] != OMEN_INVALID_NODE; i++)
		{
			if (perm[links[i]] == OMEN_INVALID_NODE)
			{
				perm[links[i]] = tail;
				inv[tail++] = links[i];
			}
		}
		if ((head & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (uint32 id = 0; id < n; id++)
		if (perm[id] == OMEN_INVALID_NODE)
		{
			perm[id] = tail;
			inv[tail++] = id;
		}
}

/* Rewrites count link ids through perm (old id -> new id). */
static void
OmenRemapLinks(uint32 *links, uint32 count, const uint32 *perm)
{
	for (uint32 i = 0; i < count; i++)
		if (links[i] != OMEN_INVALID_NODE)
			links[i] = perm[links[i]];
}

/*
 * The pages OmenWriteGraph gives n nodes after the metapage: *ndir directory
 * pages, then *nstream pages of the node stream.
 */
static void
OmenGraphPages(const OmenParams *p, uint32 n, uint32 *nstream, uint32 *ndir)
{
	*nstream = (uint32) (((uint64) n * p->slot_size + U - 1) / U);
	*ndir = (*nstream + OMEN_DIR_ENTRIES_PER_PAGE - 1) / OMEN_DIR_ENTRIES_PER_PAGE;
}

/*
 * Writes the finished in-memory graph as the whole relation: metapage,
 * directory, node stream, upper pages.  The relation must be empty.
 */
static void
OmenWriteGraph(OmenBuildState *bs, ForkNumber fork)
{
	Relation	index = bs->index;
	const OmenParams *p = &bs->p;
	uint32		n = bs->builder ? omen_builder_count(bs->builder) : 0;
	uint32		nstream;
	uint32		ndir;
	BlockNumber first_upper;
	Page	   *uppers = NULL;
	uint32		nuppers = 0;
	uint32		uppers_cap = 0;
	char	   *slot = palloc(p->slot_size);
	Buffer		buf;
	Page		page;
	OmenMetaPage meta;
	OmenStreamWriter w = {index, fork, InvalidBuffer, 0, 0};
	uint32	   *perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * Max(n, 1));
	uint32	   *inv = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * Max(n, 1));
	bool		in_page_format = bs->builder != NULL &&
		omen_builder_slot_storage(bs->builder) == p->storage;

	OmenGraphPages(p, n, &nstream, &ndir);
	first_upper = 1 + ndir + nstream;
	w.next = 1 + ndir;			/* stream block 0 follows the directory */
	if (ndir > OMEN_MAX_DIR_PAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("omen index would need %u node pages, more than the %u it can address",
						nstream, (uint32) (OMEN_MAX_DIR_PAGES * OMEN_DIR_ENTRIES_PER_PAGE))));

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, OMEN_PHASE_WRITE);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, n);
	if (n > 0)
		OmenGraphOrder(bs->builder, p, n, perm, inv);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, 0);

	/* Metapage */
	OmenBuildReserve(index, fork, first_upper);
	page = OmenBuildNewPage(index, fork, OMEN_METAPAGE_BLKNO, &buf, OMEN_PAGE_META);
	OmenFillMetaPage(page, p);
	meta = OmenPageGetMeta(page);
	meta->node_count = n;
	meta->stream_blocks = nstream;
	meta->ndir = ndir;
	for (uint32 d = 0; d < ndir; d++)
		meta->dir[d] = 1 + d;
	if (n > 0)
	{
		meta->entry_point = perm[omen_builder_entry_point(bs->builder)];
		meta->max_level = omen_builder_max_level(bs->builder);
	}
	OmenMetaSetLower(page);
	OmenBuildFinishPage(buf);

	/* Directory: stream block j lives in block 1 + ndir + j. */
	for (uint32 d = 0; d < ndir; d++)
	{
		BlockNumber *entries;

		page = OmenBuildNewPage(index, fork, 1 + d, &buf, OMEN_PAGE_DIR);
		entries = (BlockNumber *) PageGetContents(page);
		for (uint32 e = 0; e < OMEN_DIR_ENTRIES_PER_PAGE; e++)
		{
			uint64		j = (uint64) d * OMEN_DIR_ENTRIES_PER_PAGE + e;

			entries[e] = j < nstream ? (BlockNumber) (1 + ndir + j) : InvalidBlockNumber;
		}
		OmenBuildFinishPage(buf);
	}

	/* Node stream in graph order, each upper-level tuple placed in an in-memory upper page. */
	for (uint32 id = 0; id < n; id++)
	{
		OmenNodeHeader *hdr = (OmenNodeHeader *) slot;
		uint32		old = inv[id];
		const uint8 *node = omen_builder_node(bs->builder, old);

		/* The builder's slots are in the page format, or hold float vectors. */
		if (in_page_format)
			memcpy(slot, node, p->slot_size);
		else
		{
			memcpy(slot, node, OMEN_VECTOR_OFFSET(p->m));
			omen_stored_encode(p->storage, p->metric,
							   (const float *) (node + OMEN_VECTOR_OFFSET(p->m)), p->dims,
							   (uint8 *) slot + OMEN_VECTOR_OFFSET(p->m));
		}
		OmenRemapLinks((uint32 *) (slot + OMEN_LINKS_OFFSET), 2 * p->m, perm);
		hdr->upper_block = InvalidBlockNumber;
		hdr->upper_offset = 0;
		if (hdr->level > 0)
		{
			Size		size = OMEN_UPPER_TUPLE_SIZE(p->m, hdr->level);
			OmenUpperTuple tup = palloc(size);
			OffsetNumber off;

			tup->node = id;
			tup->capacity = hdr->level;
			tup->unused = 0;
			for (uint32 l = 1; l <= hdr->level; l++)
				memcpy(&tup->links[(l - 1) * p->m], omen_builder_upper_links(bs->builder, old, l),
					   sizeof(uint32) * p->m);
			OmenRemapLinks(tup->links, p->m * hdr->level, perm);
			if (nuppers == 0 || PageGetFreeSpace(uppers[nuppers - 1]) < MAXALIGN(size))
			{
				if (nuppers == uppers_cap)
				{
					uppers_cap = Max(16, uppers_cap * 2);
					uppers = uppers ? repalloc(uppers, sizeof(Page) * uppers_cap)
						: palloc(sizeof(Page) * uppers_cap);
				}
				uppers[nuppers] = palloc(BLCKSZ);
				OmenInitPage(uppers[nuppers], OMEN_PAGE_UPPER);
				nuppers++;
			}
			off = PageAddItem(uppers[nuppers - 1], (Item) tup, size, InvalidOffsetNumber, false, false);
			if (off == InvalidOffsetNumber)
				elog(ERROR, "failed to add upper-level tuple to omen index \"%s\"",
					 RelationGetRelationName(index));
			hdr->upper_block = first_upper + nuppers - 1;
			hdr->upper_offset = off;
			pfree(tup);
		}
		OmenStreamWrite(&w, slot, p->slot_size);
		if ((id & 1023) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, id);
		}
	}
	if (BufferIsValid(w.buf))
		OmenBuildFinishPage(w.buf);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, n);

	Assert(w.next == first_upper);

	/* Upper pages */
	OmenBuildReserve(index, fork, first_upper + nuppers);
	for (uint32 u = 0; u < nuppers; u++)
	{
		page = OmenBuildNewPage(index, fork, first_upper + u, &buf, OMEN_PAGE_UPPER);
		memcpy(page, uppers[u], BLCKSZ);
		OmenBuildFinishPage(buf);
		pfree(uppers[u]);
	}
	if (nuppers > 0)
	{
		/* Later inserts add their upper tuples to the last upper page first. */
		buf = ReadBufferExtended(index, fork, OMEN_METAPAGE_BLKNO, RBM_NORMAL, NULL);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		OmenPageGetMeta(BufferGetPage(buf))->upper_insert = first_upper + nuppers - 1;
		OmenBuildFinishPage(buf);
		pfree(uppers);
	}
	pfree(slot);
	pfree(perm);
	pfree(inv);
}

/*
 * The blocks OmenWriteGraph fills before the upper pages (metapage,
 * directory, node stream) for the graph's n nodes, or 0 if preparing them
 * early would not pay: more than a quarter of shared_buffers (they could
 * push each other, or the heap, out again; the same limit above which a heap
 * scan takes a ring of buffers), more than the index can address (the
 * write phase reports that), or a temporary index (its buffers are the
 * backend's own few).
 */
static BlockNumber
OmenBuildPrepareTarget(OmenBuildState *bs)
{
	uint32		n = omen_builder_count(bs->builder);
	uint32		nstream;
	uint32		ndir;
	uint64		nblocks;

	OmenGraphPages(&bs->p, n, &nstream, &ndir);
	nblocks = 1 + (uint64) ndir + nstream;
	if (n == 0 || ndir > OMEN_MAX_DIR_PAGES || nblocks > (uint64) NBuffers / 4 ||
		RelationUsesLocalBuffers(bs->index))
		return 0;
	return (BlockNumber) nblocks;
}

/*
 * Waits for the builder's workers, checking for interrupts and reporting
 * progress.  Once the locality order's grouping (done inside
 * omen_builder_wait on this thread) is over, the backend has nothing to do
 * but wait, so it takes the buffers the write phase will fill: it extends
 * the relation to their number and reads each block zeroed, as the write
 * phase will, and releases it clean (the file holds zeros there too).  The
 * first touch of a fresh buffer's memory (page faults, zeroing) is then paid
 * while the workers link instead of in the single-threaded write phase,
 * which finds the buffers in the pool.
 */
static void
OmenBuildWait(OmenBuildState *bs)
{
	BlockNumber prepare;
	BlockNumber prepared = 0;
	OmenBuildProgress prog = {0};

	omen_builder_finish_adding(bs->builder);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, OMEN_PHASE_LINK);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, (int64) bs->indtuples);
	/* tuples_done now counts linked nodes, not rows read: start it afresh. */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
	prepare = OmenBuildPrepareTarget(bs);
	if (prepare > 0)
		OmenBuildReserve(bs->index, MAIN_FORKNUM, prepare);
	prog.grouping = 1;
	for (;;)
	{
		OmenError	err;
		bool		preparing = prepared < prepare && !prog.grouping;
		OmenStatus	st = omen_builder_wait(bs->builder, preparing ? 0 : 100, &prog, &err);

		if (st == OMEN_OK)
			break;
		if (st != OMEN_PENDING)
			OmenRaiseError(st, &err);
		CHECK_FOR_INTERRUPTS();
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) prog.inserted);
		if (preparing)
		{
			BlockNumber end = Min(prepare, prepared + 64);

			for (; prepared < end; prepared++)
				UnlockReleaseBuffer(ReadBufferExtended(bs->index, MAIN_FORKNUM, prepared,
													   RBM_ZERO_AND_LOCK, NULL));
		}
	}
}

/*
 * The graph no longer fits in maintenance_work_mem: say so, write what we
 * have, free the memory, and go on inserting row by row.
 */
static void
OmenBuildSpill(OmenBuildState *bs)
{
	double		reltuples = bs->heap->rd_rel->reltuples;
	size_t		per_node = omen_builder_bytes_per_node(&bs->params);
	MemoryContext old = MemoryContextSwitchTo(bs->buildctx);

	if (reltuples > bs->indtuples)
		ereport(NOTICE,
				(errmsg("omen graph no longer fits into maintenance_work_mem after %.0f tuples",
						bs->indtuples),
				 errdetail("maintenance_work_mem of %d kB holds the graph for %.0f of about %.0f rows; the remaining rows are inserted one by one, which is much slower.",
						   maintenance_work_mem, bs->indtuples, reltuples),
				 errhint("Set maintenance_work_mem to at least %.0f MB to build the whole graph in memory.",
						 ceil(reltuples * 1.05 * per_node / (1024.0 * 1024.0)))));
	else
		ereport(NOTICE,
				(errmsg("omen graph no longer fits into maintenance_work_mem after %.0f tuples",
						bs->indtuples),
				 errdetail("maintenance_work_mem of %d kB holds the graph for %.0f rows; the remaining rows are inserted one by one, which is much slower.",
						   maintenance_work_mem, bs->indtuples),
				 errhint("Increase maintenance_work_mem to build the whole graph in memory.")));

	OmenBuildWait(bs);
	OmenWriteGraph(bs, MAIN_FORKNUM);
	omen_builder_free(bs->builder);
	bs->builder = NULL;
	OmenResetCache(bs->index);
	bs->on_disk = true;
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, OMEN_PHASE_LOAD);
	MemoryContextSwitchTo(old);
}

/* table_index_build_scan callback: one heap row. */
static void
OmenBuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
				  bool tupleIsAlive, void *state)
{
	OmenBuildState *bs = (OmenBuildState *) state;
	MemoryContext old;
	const float *vec;

	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tmpctx);
	vec = OmenPrepareVector(&bs->p, values[0], bs->normbuf);
	if (vec != NULL)
	{
		if (!bs->on_disk)
		{
			OmenError	err;
			OmenStatus	st = omen_builder_add(bs->builder, vec, (const uint8 *) tid, &err);

			if (st == OMEN_FULL)
			{
				MemoryContextSwitchTo(old);
				OmenBuildSpill(bs);
				MemoryContextSwitchTo(bs->tmpctx);
			}
			else if (st != OMEN_OK)
				OmenRaiseError(st, &err);
		}
		if (bs->on_disk)
			OmenInsertVector(index, &bs->p, vec, tid);
		bs->indtuples += 1;
		if (((uint64) bs->indtuples & 1023) == 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) bs->indtuples);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpctx);
}

/* Reports how long a build phase took (DEBUG1), and restarts the clock. */
static void
OmenBuildTiming(const char *phase, TimestampTz *start)
{
	TimestampTz now = GetCurrentTimestamp();

	elog(DEBUG1, "omen build: %s took %.3f s", phase,
		 (double) (now - *start) / USECS_PER_SEC);
	*start = now;
}

/* Threads for the build: the index option, else max_parallel_maintenance_workers + 1. */
static uint32
OmenBuildThreads(Relation index)
{
	int			threads = OmenGetBuildThreads(index);

	if (threads <= 0)
		threads = max_parallel_maintenance_workers + 1;
	return (uint32) Max(threads, 1);
}

/* ambuild */
IndexBuildResult *
omenbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	OmenBuildState *bs;
	MemoryContext buildctx;
	MemoryContext old;
	MemoryContextCallback *cb;
	OmenError	err;
	OmenStatus	st;
	double		reltuples;
	double		indtuples;
	TimestampTz start;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	/* The state lives in buildctx: the reset callback must outlive our frame. */
	buildctx = AllocSetContextCreate(CurrentMemoryContext, "omen build", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(buildctx);
	bs = palloc0(sizeof(OmenBuildState));
	bs->heap = heap;
	bs->index = index;
	bs->buildctx = buildctx;
	OmenReadOptions(index, &bs->p);
	bs->threads = OmenBuildThreads(index);
	bs->tmpctx = AllocSetContextCreate(buildctx, "omen build tuple", ALLOCSET_DEFAULT_SIZES);
	bs->normbuf = palloc(sizeof(float) * bs->p.dims);

	bs->params.dims = bs->p.dims;
	bs->params.m = bs->p.m;
	bs->params.ef_construction = bs->p.ef_construction;
	bs->params.metric = bs->p.metric;
	bs->params.seed = OMEN_BUILD_SEED;
	bs->params.memory_limit = (size_t) maintenance_work_mem * 1024;
	bs->params.search_storage = OMEN_BUILD_SEARCH_STORAGE;
	bs->params.slot_storage = bs->p.storage;
	bs->params.link_order = OMEN_BUILD_LINK_ORDER;

	cb = palloc(sizeof(MemoryContextCallback));
	st = omen_builder_create(&bs->params, &bs->builder, &err);
	if (st != OMEN_OK)
		OmenRaiseError(st, &err);
	cb->func = OmenBuildFreeBuilder;
	cb->arg = bs;
	MemoryContextRegisterResetCallback(buildctx, cb);

	st = omen_builder_start(bs->builder, bs->threads, &err);
	if (st != OMEN_OK)
		OmenRaiseError(st, &err);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, OMEN_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));
	MemoryContextSwitchTo(old);
	start = GetCurrentTimestamp();
	reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
									   OmenBuildCallback, bs, NULL);
	MemoryContextSwitchTo(buildctx);
	OmenBuildTiming("heap scan", &start);

	if (!bs->on_disk)
	{
		OmenBuildWait(bs);
		OmenBuildTiming("graph linking after the scan", &start);
		OmenWriteGraph(bs, MAIN_FORKNUM);
		OmenBuildTiming("page writing", &start);
	}

	if (RelationNeedsWAL(index))
	{
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, OMEN_PHASE_WAL);
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);
		OmenBuildTiming("WAL logging", &start);
	}

	indtuples = bs->indtuples;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(buildctx);	/* frees the builder through the callback */
	OmenResetCache(index);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = reltuples;
	result->index_tuples = indtuples;
	return result;
}

/* ambuildempty: the init fork of an unlogged index is an empty graph's metapage. */
void
omenbuildempty(Relation index)
{
	OmenParams	p;
	Buffer		buf;
	Page		page;

	OmenReadOptions(index, &p);
	buf = OmenNewBuffer(index, INIT_FORKNUM);
	page = BufferGetPage(buf);
	START_CRIT_SECTION();
	OmenFillMetaPage(page, &p);
	MarkBufferDirty(buf);
	log_newpage_buffer(buf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}
