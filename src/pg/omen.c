/*-------------------------------------------------------------------------
 *
 * omen.c
 *	  The `omen` access method's handler: the IndexAmRoutine, reloptions,
 *	  GUCs and the planner's cost estimate.
 *
 * Every IndexAmRoutine field is set explicitly.  The index supports one
 * thing: ORDER BY <vector column> <distance operator> <constant>, answered
 * approximately by an HNSW search (amcanorderbyop).  It has no WHERE-clause
 * strategies, so the planner only uses it for ordering.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amapi.h"
#include "access/reloptions.h"
#include "access/relation.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/spccache.h"

#include "omen.h"

int			omen_ef_search = OMEN_DEFAULT_EF_SEARCH;
int			omen_max_scan_tuples = OMEN_DEFAULT_MAX_SCAN_TUPLES;

static relopt_kind omen_relopt_kind;

/* Values of the storage option, in the OmenStorage order. */
static relopt_enum_elt_def omen_storage_values[] = {
	{"float4", OMEN_STORAGE_FLOAT4},
	{"half", OMEN_STORAGE_HALF},
	{"int8", OMEN_STORAGE_INT8},
	{(const char *) NULL}
};

OMEN_FUNCTION_INFO(omenhandler);

extern PGDLLEXPORT void _PG_init(void);

/* Library load: registers the index options and the omen.* settings. */
void
_PG_init(void)
{
	OmenInitGucs();
}

/* Registers the reloptions and GUCs; called from _PG_init. */
void
OmenInitGucs(void)
{
	omen_relopt_kind = add_reloption_kind();
	add_int_reloption(omen_relopt_kind, "m",
					  "Maximum number of neighbours per node on upper levels (twice that on level 0)",
					  OMEN_DEFAULT_M, OMEN_MIN_M, OMEN_MAX_M, AccessExclusiveLock);
	add_int_reloption(omen_relopt_kind, "ef_construction",
					  "Size of the dynamic candidate list while building the graph",
					  OMEN_DEFAULT_EF_CONSTRUCTION, OMEN_MIN_EF_CONSTRUCTION,
					  OMEN_MAX_EF_CONSTRUCTION, AccessExclusiveLock);
	add_int_reloption(omen_relopt_kind, "build_threads",
					  "Threads for CREATE INDEX (0: max_parallel_maintenance_workers + 1)",
					  0, 0, 64, AccessExclusiveLock);
	add_enum_reloption(omen_relopt_kind, "storage",
					   "How nodes keep their vectors: float4, half (2 bytes per dimension) or int8 (1 byte)",
					   omen_storage_values, OMEN_STORAGE_FLOAT4,
					   "Valid values are \"float4\", \"half\" and \"int8\".",
					   AccessExclusiveLock);

	DefineCustomIntVariable("omen.ef_search",
							"Size of the dynamic candidate list for search.",
							"Larger values raise recall and cost speed.",
							&omen_ef_search, OMEN_DEFAULT_EF_SEARCH, 1, OMEN_MAX_EF_SEARCH,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("omen.max_scan_tuples",
							"Most tuples one index scan returns when the query asks for more than ef_search gives.",
							"Bounds filtered queries and large LIMITs.",
							&omen_max_scan_tuples, OMEN_DEFAULT_MAX_SCAN_TUPLES, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("omen");
}

/* Parses and validates reloptions (amoptions). */
static bytea *
omenoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"m", RELOPT_TYPE_INT, offsetof(OmenOptions, m)},
		{"ef_construction", RELOPT_TYPE_INT, offsetof(OmenOptions, ef_construction)},
		{"build_threads", RELOPT_TYPE_INT, offsetof(OmenOptions, build_threads)},
		{"storage", RELOPT_TYPE_ENUM, offsetof(OmenOptions, storage)},
	};

	OmenOptions *opts = (OmenOptions *) build_reloptions(reloptions, validate, omen_relopt_kind,
														 sizeof(OmenOptions), tab,
														 lengthof(tab));

	/* An ALTER INDEX ... SET would otherwise store a pair only REINDEX refuses. */
	if (validate && opts != NULL)
		OmenCheckEfConstruction((uint32) opts->m, (uint32) opts->ef_construction);
	return (bytea *) opts;
}

/* Names the CREATE INDEX sub-phases for pg_stat_progress_create_index. */
static char *
omenbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case OMEN_PHASE_LOAD:
			return "loading tuples";
		case OMEN_PHASE_LINK:
			return "linking graph";
		case OMEN_PHASE_WRITE:
			return "writing pages";
		case OMEN_PHASE_WAL:
			return "logging pages";
		default:
			return NULL;
	}
}

/*
 * Estimates the cost of an ordered scan (amcostestimate).
 *
 * An HNSW search computes about ef_search * m distances on level 0 plus m
 * per upper level, each on a node read from a page; all of it happens before
 * the first tuple comes back, so it is startup cost.  The pages it touches
 * are random, but an index that fits in effective_cache_size is mostly in
 * memory while it is being queried, so only the share that does not fit is
 * charged as random reads; the metapage and the descent through the upper
 * levels always are, which keeps a sequential scan cheaper on tiny tables.
 * A distance costs more the more dimensions it has.  Without an ORDER BY the
 * index is useless and the path is priced out.
 */
static void
omencostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				 Cost *indexStartupCost, Cost *indexTotalCost,
				 Selectivity *indexSelectivity, double *indexCorrelation,
				 double *indexPages)
{
	IndexOptInfo *index = path->indexinfo;
	double		tuples = Max(index->tuples, 1.0);
	double		pages = Max((double) index->pages, 1.0);
	double		spc_random_page_cost;
	double		spc_seq_page_cost;
	double		levels;
	double		visited;
	double		touched;
	double		uncached;
	double		per_distance;
	int			m = OMEN_DEFAULT_M;
	int			dims = 0;
	Relation	indexRel;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	indexRel = index_open(index->indexoid, NoLock);
	m = OmenGetM(indexRel);
	dims = TupleDescAttr(RelationGetDescr(indexRel), 0)->atttypmod;
	index_close(indexRel, NoLock);
	get_tablespace_page_costs(index->reltablespace, &spc_random_page_cost, &spc_seq_page_cost);

	levels = log(tuples) / log(Max(m, 2));
	visited = Min(tuples, (double) omen_ef_search * m + m * levels);
	touched = Min(pages, visited * pages / tuples);
	uncached = 1.0 - Min(1.0, (double) effective_cache_size / pages);
	per_distance = cpu_operator_cost * (1.0 + Max(dims, 1) / 64.0);

	*indexStartupCost = spc_random_page_cost * (1.0 + levels) +
		touched * (spc_random_page_cost * uncached + cpu_index_tuple_cost) +
		visited * per_distance;
	/* Every further row costs about m more distances as the search goes on. */
	*indexTotalCost = *indexStartupCost +
		tuples * (cpu_index_tuple_cost + m * per_distance);
	*indexSelectivity = 1.0;
	*indexCorrelation = 0;
	*indexPages = touched;
}

/* Returns the IndexAmRoutine of the omen access method. */
static IndexAmRoutine *
omen_am_routine(void)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = 0;
	amroutine->amsupport = OMEN_NPROCS;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = false;
	amroutine->amcanorderbyop = true;
	amroutine->amcanbackward = false;
	amroutine->amcanunique = false;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = false;
	amroutine->amsearchnulls = false;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
#if PG_VERSION_NUM >= 170000
	amroutine->amcanbuildparallel = false;
#endif
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = true;
#if PG_VERSION_NUM >= 160000
	amroutine->amsummarizing = false;
#endif
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = omenbuild;
	amroutine->ambuildempty = omenbuildempty;
	amroutine->aminsert = omeninsert;
#if PG_VERSION_NUM >= 170000
	amroutine->aminsertcleanup = NULL;
#endif
	amroutine->ambulkdelete = omenbulkdelete;
	amroutine->amvacuumcleanup = omenvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = omencostestimate;
	amroutine->amoptions = omenoptions;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = omenbuildphasename;
	amroutine->amvalidate = omenvalidate;
#if PG_VERSION_NUM >= 140000
	amroutine->amadjustmembers = NULL;
#endif
	amroutine->ambeginscan = omenbeginscan;
	amroutine->amrescan = omenrescan;
	amroutine->amgettuple = omengettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = omenendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	return amroutine;
}

/* SQL-callable handler: CREATE ACCESS METHOD omen TYPE INDEX HANDLER omenhandler. */
Datum
omenhandler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(omen_am_routine());
}
