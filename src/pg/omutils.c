/*-------------------------------------------------------------------------
 *
 * omutils.c
 *	  Page, metapage and node access shared by build, insert, scan and vacuum.
 *
 * Node bytes.  A node is a slot_size-byte range of the node stream starting
 * at id * slot_size; the stream is cut into OMEN_STREAM_BYTES_PER_PAGE-byte
 * pieces, one per node page, and the directory maps each piece to its
 * physical block.  Reading a range takes each page's share lock in turn and
 * copies; the hot case (a vector lying within one page) computes the
 * distance on the page itself without a copy.  Writes go through GenericXLog,
 * at most MAX_GENERIC_XLOG_PAGES pages per record, locked in ascending block
 * order.
 *
 * Torn reads.  A range that spans two pages is read one page at a time, so a
 * concurrent writer can be seen half-applied.  Only link lists change after a
 * node is written, and each entry is a 4-byte-aligned uint32 that never
 * straddles pages, so a torn list is a mix of old and new valid ids: good
 * enough for a search, and writers compare-and-swap whole lists under
 * exclusive locks (OmenReplaceNodeBytes), so no update is lost.
 *
 * Cache.  rd_amcache holds the frozen parameters and the directory (see
 * OmenCache in omen.h); it is allocated as one chunk in rd_indexcxt so the
 * relcache can free it at any invalidation, and is rebuilt on demand.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/generic_xlog.h"
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "omen.h"

#define U OMEN_STREAM_BYTES_PER_PAGE

/* Initializes an omen page of the given type. */
void
OmenInitPage(Page page, uint16 flags)
{
	OmenPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(OmenPageOpaqueData));
	opaque = OmenPageGetOpaque(page);
	opaque->flags = flags;
	opaque->omen_page_id = OMEN_PAGE_ID;
	/* Node and directory pages use the whole content area as raw bytes. */
	if (flags & (OMEN_PAGE_NODE | OMEN_PAGE_DIR))
		((PageHeader) page)->pd_lower = ((PageHeader) page)->pd_upper;
}

/*
 * Fills *p for an index of the given shape: the slot size and the kernels
 * follow from the storage and the metric.
 */
void
OmenSetParams(OmenParams *p, uint32 dims, uint32 m, uint32 efc, OmenMetric metric,
			  OmenStorage storage)
{
	p->dims = dims;
	p->m = m;
	p->ef_construction = efc;
	p->metric = metric;
	p->storage = storage;
	p->stored_size = omen_stored_size(storage, dims);
	p->slot_size = omen_slot_size(storage, m, dims);
	p->distance = omen_index_distance(metric);
	p->stored_distance = omen_stored_distance(storage, metric);
	p->query_size = (uint32) omen_query_size(storage, metric, dims);
}

/* Fills a fresh metapage for an empty graph with parameters p. */
void
OmenFillMetaPage(Page page, const OmenParams *p)
{
	OmenMetaPage meta;

	OmenInitPage(page, OMEN_PAGE_META);
	meta = OmenPageGetMeta(page);
	memset(meta, 0, offsetof(OmenMetaPageData, dir));
	meta->magic = OMEN_MAGIC;
	meta->version = p->storage == OMEN_STORAGE_FLOAT4 ? OMEN_FORMAT_VERSION
		: OMEN_FORMAT_VERSION_STORAGE;
	meta->dims = p->dims;
	meta->m = p->m;
	meta->ef_construction = p->ef_construction;
	meta->metric = p->metric;
	meta->storage = p->storage;
	meta->slot_size = p->slot_size;
	meta->node_count = 0;
	meta->free_count = 0;
	meta->free_head = OMEN_INVALID_NODE;
	meta->entry_point = OMEN_INVALID_NODE;
	meta->max_level = -1;
	meta->stream_blocks = 0;
	meta->upper_insert = InvalidBlockNumber;
	meta->ndir = 0;
	OmenMetaSetLower(page);
}

/* Sets pd_lower just past the metapage's used directory entries. */
void
OmenMetaSetLower(Page page)
{
	OmenMetaPage meta = OmenPageGetMeta(page);

	((PageHeader) page)->pd_lower =
		((char *) &meta->dir[meta->ndir]) - (char *) page;
}

/* Errors out unless page is an omen metapage of a version we read. */
void
OmenCheckMetaPage(Relation index, Page page)
{
	OmenMetaPage meta = OmenPageGetMeta(page);

	if (PageIsNew(page) || OmenPageGetOpaque(page)->omen_page_id != OMEN_PAGE_ID ||
		meta->magic != OMEN_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not an omen index", RelationGetRelationName(index))));
	if (meta->version != OMEN_FORMAT_VERSION && meta->version != OMEN_FORMAT_VERSION_STORAGE)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("omen index \"%s\" has format version %u, expected %u or %u",
						RelationGetRelationName(index), meta->version, OMEN_FORMAT_VERSION,
						OMEN_FORMAT_VERSION_STORAGE),
				 errhint("REINDEX the index.")));
}

/* Copies the metapage's fixed fields (not the directory list). */
void
OmenReadMeta(Relation index, OmenMetaPageData *out)
{
	Buffer		buf = ReadBuffer(index, OMEN_METAPAGE_BLKNO);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	OmenCheckMetaPage(index, page);
	memcpy(out, OmenPageGetMeta(page), offsetof(OmenMetaPageData, dir));
	UnlockReleaseBuffer(buf);
}

/* Loads rd_amcache so that it maps at least stream block need (or all there are). */
static OmenCache *
OmenLoadCache(Relation index, uint32 need)
{
	OmenCache  *old = (OmenCache *) index->rd_amcache;
	OmenCache  *cache;
	Buffer		metabuf;
	Page		metapage;
	OmenMetaPage meta;
	uint32		nblocks;
	uint32		capacity;
	uint32		from;

	metabuf = ReadBuffer(index, OMEN_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_SHARE);
	metapage = BufferGetPage(metabuf);
	OmenCheckMetaPage(index, metapage);
	meta = OmenPageGetMeta(metapage);
	nblocks = meta->stream_blocks;

	if (old != NULL && old->capacity >= nblocks)
		cache = old;
	else
	{
		/* Grow geometrically, as one chunk so the relcache can pfree it. */
		capacity = Max(nblocks, old ? old->capacity * 2 : 16);
		cache = MemoryContextAllocZero(index->rd_indexcxt,
									   MAXALIGN(sizeof(OmenCache)) +
									   (sizeof(BlockNumber) + sizeof(Buffer)) * capacity);
		cache->map = (BlockNumber *) ((char *) cache + MAXALIGN(sizeof(OmenCache)));
		cache->recent = (Buffer *) (cache->map + capacity);
		if (old != NULL)
		{
			cache->params = old->params;
			cache->nmapped = old->nmapped;
			memcpy(cache->map, old->map, sizeof(BlockNumber) * old->nmapped);
			memcpy(cache->recent, old->recent, sizeof(Buffer) * old->nmapped);
		}
		cache->capacity = capacity;
	}

	if (old == NULL)
	{
		OmenSetParams(&cache->params, meta->dims, meta->m, meta->ef_construction,
					  (OmenMetric) meta->metric, (OmenStorage) meta->storage);
		cache->nmapped = 0;
		if (cache->params.distance == NULL || cache->params.stored_distance == NULL ||
			cache->params.slot_size != meta->slot_size)
			elog(ERROR, "omen index \"%s\" has unknown metric %u or storage %u",
				 RelationGetRelationName(index), meta->metric, meta->storage);
	}

	/* Read directory entries [nmapped, nblocks). */
	from = cache->nmapped;
	while (from < nblocks)
	{
		uint32		dirno = from / OMEN_DIR_ENTRIES_PER_PAGE;
		uint32		first = from % OMEN_DIR_ENTRIES_PER_PAGE;
		uint32		count = Min(OMEN_DIR_ENTRIES_PER_PAGE - first, nblocks - from);
		Buffer		dirbuf;

		Assert(dirno < meta->ndir);
		dirbuf = ReadBuffer(index, meta->dir[dirno]);
		LockBuffer(dirbuf, BUFFER_LOCK_SHARE);
		memcpy(&cache->map[from],
			   (BlockNumber *) PageGetContents(BufferGetPage(dirbuf)) + first,
			   sizeof(BlockNumber) * count);
		UnlockReleaseBuffer(dirbuf);
		from += count;
	}
	cache->nmapped = nblocks;
	UnlockReleaseBuffer(metabuf);

	if (cache != old)
	{
		index->rd_amcache = cache;
		if (old != NULL)
			pfree(old);
	}
	if (need != InvalidBlockNumber && need >= cache->nmapped)
		elog(ERROR, "omen index \"%s\": node stream block %u is beyond its %u blocks",
			 RelationGetRelationName(index), need, cache->nmapped);
	return cache;
}

/* Copies the index's frozen parameters into *params. */
void
OmenGetParams(Relation index, OmenParams *params)
{
	OmenCache  *cache = (OmenCache *) index->rd_amcache;

	if (cache == NULL)
		cache = OmenLoadCache(index, InvalidBlockNumber);
	*params = cache->params;
}

/* Physical block of node-stream block j. */
BlockNumber
OmenStreamBlock(Relation index, uint32 j)
{
	OmenCache  *cache = (OmenCache *) index->rd_amcache;

	if (likely(cache != NULL && j < cache->nmapped))
		return cache->map[j];
	return OmenLoadCache(index, j)->map[j];
}

/* Forgets the cached directory (after the relation was rewritten in place). */
void
OmenResetCache(Relation index)
{
	if (index->rd_amcache != NULL)
		pfree(index->rd_amcache);
	index->rd_amcache = NULL;
}

/*
 * Pins stream block j.  The directory cache remembers which buffer held each
 * block last, and ReadRecentBuffer re-pins it without a buffer-table lookup
 * when it still does: on a search's hot path that lookup is the biggest
 * cost PostgreSQL adds per node.
 */
Buffer
OmenReadStream(Relation index, uint32 j)
{
	OmenCache  *cache = (OmenCache *) index->rd_amcache;
	BlockNumber blk;
	Buffer		hint;
	Buffer		buf;

	if (unlikely(cache == NULL || j >= cache->nmapped))
		cache = OmenLoadCache(index, j);
	blk = cache->map[j];
	hint = cache->recent[j];
	if (BufferIsValid(hint) && OmenReadRecentBuffer(index, MAIN_FORKNUM, blk, hint))
		return hint;
	buf = ReadBuffer(index, blk);
	cache->recent[j] = buf;
	return buf;
}

/*
 * Hints the CPU to fetch the first lines (up to 1 KiB: all of an int8
 * vector of 784 dimensions; more only competes with the distances already
 * running, measured on float4) of len bytes at offset of stream
 * block j, without pinning it: the buffer that last held the block is a
 * fixed place in the buffer pool, and a prefetch of a buffer that has since
 * been reused merely wastes a cache line.  Does nothing for a block never
 * read before.
 */
void
OmenPrefetchStream(Relation index, uint32 j, uint32 offset, uint32 len)
{
	OmenCache  *cache = (OmenCache *) index->rd_amcache;
	Buffer		hint;
	const char *at;

	if (cache == NULL || j >= cache->nmapped)
		return;
	hint = cache->recent[j];
	if (!BufferIsValid(hint))
		return;
	at = (const char *) BufferGetBlock(hint) + OMEN_PAGE_CONTENT_OFFSET + offset;
	for (uint32 b = 0; b < Min(len, 16 * 64); b += 64)
		__builtin_prefetch(at + b);
	if (hint > 0)
		__builtin_prefetch(GetBufferDescriptor(hint - 1), 1);
}

/*
 * Makes sure the directory cache maps every page of stream bytes
 * [pos, pos + len).  Code that holds several page locks at once calls this
 * first: loading the cache takes the metapage's share lock, and taking that
 * while holding a node page's lock could deadlock with an insert that holds
 * the metapage and reads a node page (lock order is metapage first).
 */
static void
OmenMapRange(Relation index, uint64 pos, uint32 len)
{
	if (len > 0)
		(void) OmenStreamBlock(index, (uint32) ((pos + len - 1) / U));
}

/* Copies len bytes of node id, from offset within its slot, into dst. */
void
OmenReadNodeBytes(Relation index, const OmenParams *p, uint32 id, uint32 offset,
				  uint32 len, void *dst)
{
	uint64		pos = (uint64) id * p->slot_size + offset;
	char	   *out = (char *) dst;

	while (len > 0)
	{
		uint32		r = pos % U;
		uint32		chunk = Min(len, U - r);
		Buffer		buf = OmenReadStream(index, (uint32) (pos / U));

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		memcpy(out, PageGetContents(BufferGetPage(buf)) + r, chunk);
		UnlockReleaseBuffer(buf);
		out += chunk;
		pos += chunk;
		len -= chunk;
	}
}

/*
 * Writes len bytes into node id's slot at offset, WAL-logged, up to
 * MAX_GENERIC_XLOG_PAGES pages per record.  Used for slots nobody else can
 * reach yet (a new node) or whose owner holds the right to overwrite them.
 */
void
OmenWriteNodeBytes(Relation index, const OmenParams *p, uint32 id, uint32 offset,
				   uint32 len, const void *src)
{
	uint64		pos = (uint64) id * p->slot_size + offset;
	const char *in = (const char *) src;

	OmenMapRange(index, pos, len);
	while (len > 0)
	{
		GenericXLogState *state = GenericXLogStart(index);
		Buffer		bufs[MAX_GENERIC_XLOG_PAGES];
		int			nbufs = 0;

		while (len > 0 && nbufs < MAX_GENERIC_XLOG_PAGES)
		{
			uint32		r = pos % U;
			uint32		chunk = Min(len, U - r);
			Page		page;

			bufs[nbufs] = ReadBuffer(index, OmenStreamBlock(index, (uint32) (pos / U)));
			LockBuffer(bufs[nbufs], BUFFER_LOCK_EXCLUSIVE);
			page = GenericXLogRegisterBuffer(state, bufs[nbufs], 0);
			memcpy(PageGetContents(page) + r, in, chunk);
			nbufs++;
			in += chunk;
			pos += chunk;
			len -= chunk;
		}
		GenericXLogFinish(state);
		for (int i = 0; i < nbufs; i++)
			UnlockReleaseBuffer(bufs[i]);
	}
}

/*
 * Compare-and-swap of a byte range of node id: under exclusive locks on its
 * pages, writes src only if the range still equals expected.  Returns false,
 * changing nothing, if it does not.  The range must span at most
 * MAX_GENERIC_XLOG_PAGES pages (a header plus link list always does).
 */
bool
OmenReplaceNodeBytes(Relation index, const OmenParams *p, uint32 id, uint32 offset,
					 uint32 len, const void *expected, const void *src)
{
	uint64		start = (uint64) id * p->slot_size + offset;
	uint64		pos;
	GenericXLogState *state;
	Buffer		bufs[MAX_GENERIC_XLOG_PAGES];
	Page		pages[MAX_GENERIC_XLOG_PAGES];
	int			nbufs = 0;
	bool		same = true;
	uint32		done;

	Assert((start + len - 1) / U - start / U < MAX_GENERIC_XLOG_PAGES);

	OmenMapRange(index, start, len);
	state = GenericXLogStart(index);
	for (pos = start - start % U; pos < start + len; pos += U)
	{
		bufs[nbufs] = ReadBuffer(index, OmenStreamBlock(index, (uint32) (pos / U)));
		LockBuffer(bufs[nbufs], BUFFER_LOCK_EXCLUSIVE);
		pages[nbufs] = GenericXLogRegisterBuffer(state, bufs[nbufs], 0);
		nbufs++;
	}

	/* Compare, then copy, piece by piece. */
	for (int pass = 0; pass < 2 && same; pass++)
	{
		pos = start;
		done = 0;
		for (int i = 0; i < nbufs; i++)
		{
			uint32		r = pos % U;
			uint32		chunk = Min(len - done, U - r);
			char	   *at = PageGetContents(pages[i]) + r;

			if (pass == 0)
				same = memcmp(at, (const char *) expected + done, chunk) == 0;
			else
				memcpy(at, (const char *) src + done, chunk);
			if (!same)
				break;
			done += chunk;
			pos += chunk;
		}
	}

	if (same)
		GenericXLogFinish(state);
	else
		GenericXLogAbort(state);
	for (int i = 0; i < nbufs; i++)
		UnlockReleaseBuffer(bufs[i]);
	return same;
}

/*
 * Index distance between a prepared query and node id's stored vector, computed on the
 * page itself when the vector lies within one page.  A float4 vector that
 * spans pages is measured piece by piece and the partial sums added (every
 * index distance is a sum over dimensions), with no copy; a half or int8
 * vector (small, and whose pieces would need its header) is copied into
 * scratch (p->stored_size bytes) first.
 */
float
OmenNodeDistance(Relation index, const OmenParams *p, uint32 id, const OmenQuery *query,
				 char *scratch)
{
	uint64		pos = (uint64) id * p->slot_size + OMEN_VECTOR_OFFSET(p->m);
	uint32		done = 0;
	float		d = 0;

	if (pos % U + p->stored_size <= U)
	{
		Buffer		buf = OmenReadStream(index, (uint32) (pos / U));

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		d = p->stored_distance(query,
							   (const uint8 *) PageGetContents(BufferGetPage(buf)) + pos % U,
							   p->dims);
		UnlockReleaseBuffer(buf);
		return d;
	}
	if (p->storage != OMEN_STORAGE_FLOAT4)
	{
		OmenReadNodeBytes(index, p, id, OMEN_VECTOR_OFFSET(p->m), p->stored_size, scratch);
		return p->stored_distance(query, (const uint8 *) scratch, p->dims);
	}
	while (done < p->dims)
	{
		uint32		r = pos % U;
		uint32		count = Min(p->dims - done, (U - r) / sizeof(float));
		Buffer		buf = OmenReadStream(index, (uint32) (pos / U));

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		/* float4's prepared query is the float query itself */
		d += p->distance((const float *) query + done,
						 (const float *) (PageGetContents(BufferGetPage(buf)) + r), count);
		UnlockReleaseBuffer(buf);
		done += count;
		pos += count * sizeof(float);
	}
	return d;
}

/*
 * Reads node id's vector as floats into out (dims floats): the stored
 * vector decoded.  scratch must hold p->stored_size bytes.
 */
void
OmenReadNodeVector(Relation index, const OmenParams *p, uint32 id, float *out, char *scratch)
{
	if (p->storage == OMEN_STORAGE_FLOAT4)
	{
		OmenReadNodeBytes(index, p, id, OMEN_VECTOR_OFFSET(p->m), p->stored_size, out);
		return;
	}
	OmenReadNodeBytes(index, p, id, OMEN_VECTOR_OFFSET(p->m), p->stored_size, scratch);
	omen_stored_decode(p->storage, (const uint8 *) scratch, p->dims, out);
}

/* Number of link entries at a level: 2m on level 0, m above. */
uint32
OmenLinkCount(const OmenParams *p, uint32 level)
{
	return level == 0 ? 2 * p->m : p->m;
}

/* Reads node id's header. */
void
OmenReadHeader(Relation index, const OmenParams *p, uint32 id, OmenNodeHeader *hdr)
{
	OmenReadNodeBytes(index, p, id, 0, sizeof(OmenNodeHeader), hdr);
}

/* Locks the upper tuple that hdr points at; returns it, pinned and locked in *buf. */
static OmenUpperTuple
OmenLockUpperTuple(Relation index, const OmenNodeHeader *hdr, int mode, Buffer *buf)
{
	Page		page;
	ItemId		itemid;

	*buf = ReadBuffer(index, hdr->upper_block);
	LockBuffer(*buf, mode);
	page = BufferGetPage(*buf);
	itemid = PageGetItemId(page, hdr->upper_offset);
	if (hdr->upper_offset < FirstOffsetNumber || hdr->upper_offset > PageGetMaxOffsetNumber(page) ||
		!ItemIdIsNormal(itemid))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("omen index \"%s\": bad upper-level pointer (%u,%u)",
						RelationGetRelationName(index), hdr->upper_block, hdr->upper_offset)));
	return (OmenUpperTuple) PageGetItem(page, itemid);
}

/*
 * Reads node id's neighbour list at level into links (OmenLinkCount
 * entries).  hdr may be NULL for level 0; above it, it must be the node's
 * header.  A node whose level is below `level` (a reused slot) has no list:
 * all entries come back invalid.
 */
void
OmenReadLinks(Relation index, const OmenParams *p, uint32 id, const OmenNodeHeader *hdr,
			  uint32 level, uint32 *links)
{
	if (level == 0)
		OmenReadNodeBytes(index, p, id, OMEN_LINKS_OFFSET, 2 * p->m * sizeof(uint32), links);
	else if (hdr->level < level || hdr->upper_block == InvalidBlockNumber)
	{
		for (uint32 i = 0; i < p->m; i++)
			links[i] = OMEN_INVALID_NODE;
	}
	else
	{
		Buffer		buf;
		OmenUpperTuple tup = OmenLockUpperTuple(index, hdr, BUFFER_LOCK_SHARE, &buf);

		if (tup->node != id || tup->capacity < level)
		{
			for (uint32 i = 0; i < p->m; i++)
				links[i] = OMEN_INVALID_NODE;
		}
		else
			memcpy(links, &tup->links[(level - 1) * p->m], p->m * sizeof(uint32));
		UnlockReleaseBuffer(buf);
	}
}

/*
 * Compare-and-swap of node id's list at level: writes links only if the
 * list still equals expected.  Returns whether it wrote.
 */
bool
OmenReplaceLinks(Relation index, const OmenParams *p, uint32 id, const OmenNodeHeader *hdr,
				 uint32 level, const uint32 *expected, const uint32 *links)
{
	Buffer		buf;
	OmenUpperTuple tup;
	GenericXLogState *state;
	Page		page;
	uint32	   *at;
	bool		same;

	if (level == 0)
		return OmenReplaceNodeBytes(index, p, id, OMEN_LINKS_OFFSET, 2 * p->m * sizeof(uint32),
									expected, links);

	if (hdr->level < level || hdr->upper_block == InvalidBlockNumber)
		return false;
	tup = OmenLockUpperTuple(index, hdr, BUFFER_LOCK_EXCLUSIVE, &buf);
	if (tup->node != id || tup->capacity < level)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	tup = (OmenUpperTuple) PageGetItem(page, PageGetItemId(page, hdr->upper_offset));
	at = &tup->links[(level - 1) * p->m];
	same = memcmp(at, expected, p->m * sizeof(uint32)) == 0;
	if (same)
	{
		memcpy(at, links, p->m * sizeof(uint32));
		GenericXLogFinish(state);
	}
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
	return same;
}

/* Extends the relation by one page; returns it pinned and exclusively locked. */
Buffer
OmenNewBuffer(Relation index, ForkNumber fork)
{
	Buffer		buf;
	bool		needLock = !RELATION_IS_LOCAL(index);

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}

/*
 * Resolves the metric of the index's operator class from its distance
 * support function, so the scan and build call the SIMD kernel directly
 * instead of going through fmgr per pair.
 */
OmenMetric
OmenResolveMetric(Relation index)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, OMEN_DISTANCE_PROC);
	PGFunction	fn = proc->fn_addr;

	if (fn == omendb_l2_distance || fn == omendb_vector_l2_squared_distance)
		return OMEN_METRIC_L2;
	if (fn == omendb_vector_negative_inner_product || fn == omendb_inner_product)
		return OMEN_METRIC_INNER_PRODUCT;
	if (fn == omendb_cosine_distance)
		return OMEN_METRIC_COSINE;
	if (fn == omendb_l1_distance)
		return OMEN_METRIC_L1;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("operator class of index \"%s\" uses a distance function omen does not support",
					RelationGetRelationName(index)),
			 errhint("Use vector_l2_ops, vector_ip_ops, vector_cosine_ops or vector_l1_ops.")));
	pg_unreachable();
}

/*
 * The one rule between two options: level 0 keeps up to 2 * m neighbours,
 * chosen among ef_construction candidates.  Checked when options are set
 * (CREATE INDEX, ALTER INDEX ... SET) and again when an index is built, for
 * options stored before the first check existed.
 */
void
OmenCheckEfConstruction(uint32 m, uint32 efc)
{
	if (efc < 2 * m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m"),
				 errdetail("ef_construction is %u and m is %u.", efc, m)));
}

/* Reloption accessors (defaults when the index has no options). */
int
OmenGetM(Relation index)
{
	OmenOptions *opts = (OmenOptions *) index->rd_options;

	return opts ? opts->m : OMEN_DEFAULT_M;
}

int
OmenGetEfConstruction(Relation index)
{
	OmenOptions *opts = (OmenOptions *) index->rd_options;

	return opts ? opts->ef_construction : OMEN_DEFAULT_EF_CONSTRUCTION;
}

int
OmenGetBuildThreads(Relation index)
{
	OmenOptions *opts = (OmenOptions *) index->rd_options;

	return opts ? opts->build_threads : 0;
}

OmenStorage
OmenGetStorage(Relation index)
{
	OmenOptions *opts = (OmenOptions *) index->rd_options;

	return opts ? (OmenStorage) opts->storage : OMEN_STORAGE_FLOAT4;
}

/*
 * Turns an indexed value into the floats the graph stores: detoasts it,
 * checks its dimensions and, for cosine, normalizes it into buf (dims
 * floats) with a norm computed in double (the error bound of compact
 * storage, storage.cpp, relies on that).  Returns NULL for a vector the
 * index cannot order (a zero vector under cosine), which is then not
 * indexed.
 */
const float *
OmenPrepareVector(const OmenParams *p, Datum value, float *buf)
{
	Vector	   *vec = DatumGetVector(value);

	if ((uint32) vec->dim != p->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %u dimensions, not %d", p->dims, vec->dim)));
	if (p->metric == OMEN_METRIC_COSINE)
	{
		double		norm = omen_unit_vector(vec->x, p->dims, buf);

		return norm > 0 && isfinite(norm) ? buf : NULL;
	}
	return vec->x;
}

/* Turns an index distance into the SQL operator's value (for xs_orderbyvals). */
double
OmenSqlDistance(OmenMetric metric, float d)
{
	switch (metric)
	{
		case OMEN_METRIC_L2:
			return sqrt((double) d);
		case OMEN_METRIC_COSINE:
			return 1.0 + (double) d;
		default:
			return (double) d;
	}
}
