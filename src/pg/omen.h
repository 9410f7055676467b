/*-------------------------------------------------------------------------
 *
 * omen.h
 *	  The `omen` index access method: page layout, shared declarations.
 *
 * An omen index is an HNSW graph (Malkov & Yashunin 2018) stored in the
 * index relation itself.  The graph's nodes are fixed-size slots in the
 * layout omendb.h defines (header, level-0 neighbour ids, vector inline);
 * node ids are dense integers and a neighbour costs 4 bytes.
 *
 * Relation layout
 * ---------------
 *	block 0			metapage: options frozen at build time, entry point,
 *					counters, free-slot list head, and the block numbers of
 *					the directory pages.
 *	directory pages	arrays of BlockNumber: entry j is the physical block that
 *					holds byte range [j*U, (j+1)*U) of the node stream.
 *	node pages		the node stream: slots laid end to end, U bytes of it per
 *					page.  A slot may span a page boundary, so no page tail is
 *					wasted whatever the dimension: node id i starts at stream
 *					byte i * slot_size.
 *	upper pages		ordinary item pages holding one OmenUpperTuple per node
 *					of level >= 1 (about 1 node in m): its neighbour lists for
 *					levels 1..level.  A node's header points at its tuple.
 *
 * Pages are allocated at the end of the relation only, so stream block j's
 * physical block grows with j, and every lock order below is "ascending
 * block number": the metapage first, then directory pages, then node pages
 * in stream order.  Upper pages are never locked together with other pages.
 *
 * Every page has PageInit'd headers with an OmenPageOpaque special space
 * ending in OMEN_PAGE_ID, as contrib/bloom does.  Changes after the build are
 * WAL-logged with GenericXLog; the build WAL-logs the whole relation in one
 * pass at its end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMEN_H
#define OMEN_H

#include "postgres.h"

#include "compat.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/reloptions.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "utils/relcache.h"

#include "omendb/omendb.h"
#include "vector.h"

/* Page ids and types */
#define OMEN_PAGE_ID 0xFF90
#define OMEN_PAGE_META 0x0001
#define OMEN_PAGE_DIR 0x0002
#define OMEN_PAGE_NODE 0x0004
#define OMEN_PAGE_UPPER 0x0008

#define OMEN_MAGIC 0x4F4D454E	/* "OMEN" */
/*
 * Format 1: float4 slots.  Format 2: the same layout with the metapage's
 * storage field in use (half, int8).  Float4 indexes are still written as
 * format 1, so binaries from before compact storage keep reading them and
 * refuse the others instead of misreading their slots.
 */
#define OMEN_FORMAT_VERSION 1
#define OMEN_FORMAT_VERSION_STORAGE 2
#define OMEN_METAPAGE_BLKNO 0

/* Heavyweight lock tag (a page lock on block 0): inserts share, vacuum waits. */
#define OMEN_UPDATE_LOCK 0

/* Reloption defaults and limits */
#define OMEN_DEFAULT_M 16
#define OMEN_DEFAULT_EF_CONSTRUCTION 64
#define OMEN_MIN_EF_CONSTRUCTION 4
#define OMEN_MAX_EF_CONSTRUCTION 1000
#define OMEN_DEFAULT_EF_SEARCH 40
#define OMEN_MAX_EF_SEARCH 1000
#define OMEN_DEFAULT_MAX_SCAN_TUPLES 20000

/* Support function numbers */
#define OMEN_DISTANCE_PROC 1
#define OMEN_NPROCS 1

/* Progress sub-phases of CREATE INDEX (amphasename) */
#define OMEN_PHASE_LOAD 2
#define OMEN_PHASE_LINK 3
#define OMEN_PHASE_WRITE 4
#define OMEN_PHASE_WAL 5

typedef struct OmenPageOpaqueData
{
	uint16		flags;			/* OMEN_PAGE_* */
	uint16		omen_page_id;	/* OMEN_PAGE_ID, last as in bloom */
} OmenPageOpaqueData;

typedef OmenPageOpaqueData *OmenPageOpaque;

#define OmenPageGetOpaque(page) ((OmenPageOpaque) PageGetSpecialPointer(page))

/* Bytes of the node stream per node page, and ids per directory page */
#define OMEN_PAGE_CONTENT_OFFSET MAXALIGN(SizeOfPageHeaderData)
#define OMEN_STREAM_BYTES_PER_PAGE \
	(BLCKSZ - OMEN_PAGE_CONTENT_OFFSET - MAXALIGN(sizeof(OmenPageOpaqueData)))
#define OMEN_DIR_ENTRIES_PER_PAGE (OMEN_STREAM_BYTES_PER_PAGE / sizeof(BlockNumber))

/* Metapage contents */
typedef struct OmenMetaPageData
{
	uint32		magic;
	uint32		version;
	uint32		dims;
	uint16		m;
	uint16		ef_construction;
	uint16		metric;			/* OmenMetric */
	uint16		storage;		/* OmenStorage */
	uint32		slot_size;
	uint32		node_count;		/* ids 0 .. node_count-1 have slots */
	uint32		free_count;		/* slots on the free list */
	uint32		free_head;		/* first free slot, OMEN_INVALID_NODE if none */
	uint32		entry_point;	/* OMEN_INVALID_NODE when the graph is empty */
	int32		max_level;		/* -1 when empty */
	uint32		stream_blocks;	/* node-stream blocks in the directory */
	BlockNumber upper_insert;	/* upper page to try first, or InvalidBlockNumber */
	uint32		ndir;			/* directory pages */
	BlockNumber dir[FLEXIBLE_ARRAY_MEMBER];
} OmenMetaPageData;

typedef OmenMetaPageData *OmenMetaPage;

#define OmenPageGetMeta(page) ((OmenMetaPage) PageGetContents(page))
#define OMEN_MAX_DIR_PAGES \
	((OMEN_STREAM_BYTES_PER_PAGE - offsetof(OmenMetaPageData, dir)) / sizeof(BlockNumber))

/* An upper-level tuple: lists for levels 1..capacity, m ids each */
typedef struct OmenUpperTupleData
{
	uint32		node;
	uint16		capacity;		/* levels it has room for */
	uint16		unused;
	uint32		links[FLEXIBLE_ARRAY_MEMBER];	/* (level-1)*m .. level*m-1 */
} OmenUpperTupleData;

typedef OmenUpperTupleData *OmenUpperTuple;

#define OMEN_UPPER_TUPLE_SIZE(m, levels) \
	(offsetof(OmenUpperTupleData, links) + sizeof(uint32) * (m) * (levels))

/* Reloptions */
typedef struct OmenOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			m;
	int			ef_construction;
	int			build_threads;	/* 0 = max_parallel_maintenance_workers + 1 */
	int			storage;		/* OmenStorage */
} OmenOptions;

/* An index's parameters, frozen at build time (copied, never pointed at). */
typedef struct OmenParams
{
	uint32		dims;
	uint32		m;
	uint32		ef_construction;
	uint32		slot_size;
	OmenMetric	metric;
	OmenStorage storage;
	uint32		stored_size;	/* bytes of a node's stored vector */
	OmenDistanceFn distance;	/* index distance kernel, float against float */
	OmenStoredDistanceFn stored_distance;	/* prepared query against a stored vector */
	uint32		query_size;		/* bytes of a prepared query (omen_query_size) */
} OmenParams;

/*
 * Backend-local cache of an index's parameters and directory, kept in
 * rd_amcache as one chunk.  Directory entries never change once written, so
 * the cache only grows; it is reloaded when a node lies beyond it.  The
 * relcache may free it at any invalidation, so code never keeps a pointer to
 * it: OmenGetParams copies the parameters, OmenStreamBlock looks up a block.
 */
typedef struct OmenCache
{
	OmenParams	params;
	uint32		nmapped;		/* stream blocks known */
	uint32		capacity;
	BlockNumber *map;			/* stream block -> physical block */
	Buffer	   *recent;			/* stream block -> buffer that last held it */
	/* both arrays follow in the same chunk */
} OmenCache;

/* GUCs */
extern int	omen_ef_search;
extern int	omen_max_scan_tuples;

/* omen.c */
extern void OmenInitGucs(void);

/* omutils.c */
extern void OmenInitPage(Page page, uint16 flags);
extern void OmenFillMetaPage(Page page, const OmenParams *p);
extern void OmenMetaSetLower(Page page);
extern void OmenCheckMetaPage(Relation index, Page page);
extern void OmenReadMeta(Relation index, OmenMetaPageData *out);
extern void OmenGetParams(Relation index, OmenParams *params);
extern BlockNumber OmenStreamBlock(Relation index, uint32 j);
extern Buffer OmenReadStream(Relation index, uint32 j);
extern void OmenPrefetchStream(Relation index, uint32 j, uint32 offset, uint32 len);
extern void OmenResetCache(Relation index);
extern void OmenReadNodeBytes(Relation index, const OmenParams *p, uint32 id, uint32 offset,
							  uint32 len, void *dst);
extern void OmenWriteNodeBytes(Relation index, const OmenParams *p, uint32 id, uint32 offset,
							   uint32 len, const void *src);
extern bool OmenReplaceNodeBytes(Relation index, const OmenParams *p, uint32 id, uint32 offset,
								 uint32 len, const void *expected, const void *src);
extern float OmenNodeDistance(Relation index, const OmenParams *p, uint32 id,
							  const OmenQuery *query, char *scratch);
extern void OmenReadNodeVector(Relation index, const OmenParams *p, uint32 id, float *out,
							   char *scratch);
extern void OmenSetParams(OmenParams *p, uint32 dims, uint32 m, uint32 efc, OmenMetric metric,
						  OmenStorage storage);
extern uint32 OmenLinkCount(const OmenParams *p, uint32 level);
extern void OmenReadHeader(Relation index, const OmenParams *p, uint32 id, OmenNodeHeader *hdr);
extern void OmenReadLinks(Relation index, const OmenParams *p, uint32 id,
						  const OmenNodeHeader *hdr, uint32 level, uint32 *links);
extern bool OmenReplaceLinks(Relation index, const OmenParams *p, uint32 id,
							 const OmenNodeHeader *hdr, uint32 level,
							 const uint32 *expected, const uint32 *links);
extern Buffer OmenNewBuffer(Relation index, ForkNumber fork);
extern OmenMetric OmenResolveMetric(Relation index);
extern void OmenCheckEfConstruction(uint32 m, uint32 efc);
extern int	OmenGetM(Relation index);
extern int	OmenGetEfConstruction(Relation index);
extern int	OmenGetBuildThreads(Relation index);
extern OmenStorage OmenGetStorage(Relation index);
extern const float *OmenPrepareVector(const OmenParams *p, Datum value, float *buf);
extern double OmenSqlDistance(OmenMetric metric, float d);

/* omsearch.c: the page-reading side of the core's search pump */
typedef struct OmenSearcher
{
	OmenSearch *search;			/* core engine, from a backend-wide pool */
	char	   *scratch;		/* one stored vector, for those that span pages */
	void	   *query_buf;		/* p->query_size bytes */
	const OmenQuery *query;		/* the vector searched for, prepared (OmenSearcherSetQuery) */
	uint32	   *links;			/* one link list */
	OmenCandidate *results;		/* one round's results */
	uint32		results_cap;
} OmenSearcher;

extern void OmenSearcherInit(OmenSearcher *sr, const OmenParams *p, uint32 ef_max);
extern void OmenSearcherSetQuery(OmenSearcher *sr, const OmenParams *p, const float *vec);
extern void OmenSearcherBegin(OmenSearcher *sr, uint32 ef, uint32 id_bound);
extern void OmenSearcherSeed(OmenSearcher *sr, uint32 id, float distance);
extern void OmenSearcherExpand(OmenSearcher *sr, Relation index, const OmenParams *p,
							   uint32 level);
extern uint32 OmenSearcherResults(OmenSearcher *sr);
extern void OmenDescend(OmenSearcher *sr, Relation index, const OmenParams *p,
						OmenCandidate *ep, int from_level, int to_level, uint32 id_bound);

/* ominsert.c: shared by inserts and vacuum's repairs */
typedef struct OmenLinker
{
	Relation	index;
	OmenParams	p;
	OmenSearcher sr;
	uint32		id;				/* the node being linked */
	OmenNodeHeader hdr;			/* its header */
	const float *vec;			/* its vector (OmenLinkerSetVector) */
	void	   *vq_buf;			/* p->query_size bytes */
	const OmenQuery *vq;		/* vec, prepared */
	char	   *slot;			/* one slot, for reading candidates */
	float	   *decoded;		/* one candidate's vector, decoded from the slot */
	float	   *cvecs;			/* candidate vectors, row-major */
	OmenCandidate *cands;		/* candidates */
	uint32	   *kept;			/* indices chosen by the heuristic */
	uint32	   *cur;			/* a link list as read */
	uint32	   *next;			/* a link list to write */
	OmenCandidate *sorted;		/* candidates while pruning a neighbour's list */
	OmenCandidate *entries;		/* entry points for the next level */
} OmenLinker;

extern void OmenLinkerInit(OmenLinker *st, Relation index, const OmenParams *p);
extern void OmenLinkerSetVector(OmenLinker *st, const float *vec);
extern uint32 OmenLinkerSearch(OmenLinker *st, const float *vec, uint32 level,
							   OmenCandidate *out);
extern uint32 OmenLinkerSelect(OmenLinker *st, const OmenCandidate *cands, uint32 ncands,
							   uint32 max_keep, uint32 exclude, uint32 *chosen);
extern bool OmenLinkerAddReverse(OmenLinker *st, uint32 nb, uint32 level, bool force);
extern void OmenLinkerLinkBack(OmenLinker *st, const uint32 *chosen, uint32 nkept, uint32 level);
extern int	OmenCandidateCmp(const void *a, const void *b);

/* ombuild.c */
extern IndexBuildResult *omenbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void omenbuildempty(Relation index);

/* ominsert.c */
extern bool omeninsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
					   Relation heap, IndexUniqueCheck checkUnique,
#if PG_VERSION_NUM >= 140000
					   bool indexUnchanged,
#endif
					   IndexInfo *indexInfo);
extern void OmenInsertVector(Relation index, const OmenParams *p, const float *vec,
							 ItemPointer heap_tid);

/* omscan.c */
extern IndexScanDesc omenbeginscan(Relation index, int nkeys, int norderbys);
extern void omenrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys,
					   int norderbys);
extern bool omengettuple(IndexScanDesc scan, ScanDirection dir);
extern void omenendscan(IndexScanDesc scan);

/* omvacuum.c */
extern IndexBulkDeleteResult *omenbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
											 IndexBulkDeleteCallback callback,
											 void *callback_state);
extern IndexBulkDeleteResult *omenvacuumcleanup(IndexVacuumInfo *info,
												IndexBulkDeleteResult *stats);

/* omvalidate.c */
extern bool omenvalidate(Oid opclassoid);

#endif							/* OMEN_H */
