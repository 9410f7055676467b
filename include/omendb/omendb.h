/*
 * omendb.h — the only header shared by the PostgreSQL shims (C) and the
 * OmenDB core (C++).
 *
 * Everything that crosses the boundary is declared here: plain C types,
 * fixed-width POD structs, opaque handles and status codes.  The core never
 * includes postgres.h; the shims never include a C++ header.
 *
 * Errors.  Every function is noexcept on the C++ side.  A function that can
 * fail returns an OmenStatus and, when the caller passes an OmenError, fills
 * in a message.  The shim maps the status to a SQLSTATE and raises it with
 * ereport() after the call has returned, so no PostgreSQL error ever unwinds
 * a C++ frame and no C++ exception ever reaches C.
 *
 * Memory ownership.  Memory that PostgreSQL keeps (datums, scan results) is
 * palloc'd by the shims.  Objects behind opaque handles (OmenBuilder,
 * OmenSearch) are allocated by the core with the C++ allocator and freed only
 * by their *_free function; the shim that creates one registers a
 * memory-context reset callback that calls *_free, so the object is released
 * on every path, including an error or a cancel.  Buffers passed in by the
 * caller are never retained beyond the call unless the function says so.
 *
 * Threads.  Only OmenBuilder starts threads.  They run core code only; they
 * never call back into the shims, so they never touch PostgreSQL.  The
 * backend thread polls omen_builder_wait() with a short timeout and checks
 * for interrupts between polls.
 */
#ifndef OMENDB_OMENDB_H
#define OMENDB_OMENDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define OMEN_NOEXCEPT noexcept
#else
#define OMEN_NOEXCEPT
#endif

/* ------------------------------------------------------------------------
 * Status and errors
 * ------------------------------------------------------------------------ */

typedef enum OmenStatus
{
	OMEN_OK = 0,
	OMEN_FULL,					/* not an error: a memory limit was reached */
	OMEN_PENDING,				/* not an error: work still in progress */
	OMEN_ERR_OUT_OF_MEMORY,
	OMEN_ERR_INVALID_ARGUMENT,	/* a caller broke an API precondition */
	OMEN_ERR_SYNTAX,			/* malformed text input */
	OMEN_ERR_LIMIT,				/* a program limit (e.g. dimensions) exceeded */
	OMEN_ERR_NOT_FINITE,		/* NaN or infinity where a finite value is required */
	OMEN_ERR_OUT_OF_RANGE,		/* a number does not fit in float4 */
	OMEN_ERR_CANCELLED,
	OMEN_ERR_INTERNAL
} OmenStatus;

#define OMEN_ERROR_MESSAGE_LEN 256

typedef struct OmenError
{
	OmenStatus	status;
	char		message[OMEN_ERROR_MESSAGE_LEN];	/* NUL-terminated, one line */
} OmenError;

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

#define OMEN_MAX_DIMS 16000		/* most dimensions a vector may have */
#define OMEN_MAX_LEVEL 15		/* highest HNSW level a node may have */
#define OMEN_MIN_M 2
#define OMEN_MAX_M 100
#define OMEN_INVALID_NODE UINT32_C(0xFFFFFFFF)

/* ------------------------------------------------------------------------
 * Distance kernels
 *
 * SIMD kernels chosen once, at library load, for the best instruction set the
 * CPU and the operating system both support (AVX-512, AVX2+FMA, SSE2, NEON,
 * else scalar).  The same kernels serve the SQL operators, the index scan and
 * the build.  All take two arrays of n floats (any alignment, n >= 0).
 * ------------------------------------------------------------------------ */

typedef enum OmenMetric
{
	OMEN_METRIC_L2 = 1,			/* Euclidean */
	OMEN_METRIC_INNER_PRODUCT = 2,
	OMEN_METRIC_COSINE = 3,
	OMEN_METRIC_L1 = 4			/* taxicab */
} OmenMetric;

typedef float (*OmenDistanceFn) (const float *a, const float *b, size_t n);

/* Name of the instruction set the kernels use: "avx512", "avx2", "sse2", "neon" or "scalar". */
const char *omen_simd_name(void) OMEN_NOEXCEPT;

/* sum (a[i] - b[i])^2 */
float		omen_l2_squared(const float *a, const float *b, size_t n) OMEN_NOEXCEPT;

/* sum a[i] * b[i] */
float		omen_inner_product(const float *a, const float *b, size_t n) OMEN_NOEXCEPT;

/* sum |a[i] - b[i]| */
float		omen_l1_distance(const float *a, const float *b, size_t n) OMEN_NOEXCEPT;

/*
 * Cosine distance 1 - a.b / (|a| |b|), computed in one pass, with the
 * similarity clamped to [-1, 1]; sums that float would overflow or
 * underflow (a squared norm beyond float range or below 2^-60) are redone in
 * double.  Returns NaN when either vector has zero norm (the same
 * convention as pgvector).
 */
double		omen_cosine_distance(const float *a, const float *b, size_t n) OMEN_NOEXCEPT;

/* sum a[i]^2 */
float		omen_norm_squared(const float *a, size_t n) OMEN_NOEXCEPT;

/*
 * Returns ||x|| (x: n floats), summed in double, which never overflows for
 * float input.  When out is not NULL and the norm is positive and finite,
 * writes the unit vector x[i] / ||x||, each element rounded to float once,
 * into out (which may be x); otherwise out is left as it is.  The index
 * normalizes cosine vectors through this one function on every side
 * (inserts, builds, queries, the bounds of compact storage, l2_normalize),
 * so they agree bit for bit.
 */
double		omen_unit_vector(const float *x, size_t n, float *out) OMEN_NOEXCEPT;

/*
 * The distance the index orders by for a metric, a monotone function of the
 * SQL-level distance: squared L2 for L2, the negative inner product for inner
 * product and for cosine (whose vectors the index stores normalized), L1 for
 * L1.  Resolved once per build or scan, then called directly.
 */
OmenDistanceFn omen_index_distance(OmenMetric metric) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Compact vector storage (half precision)
 *
 * A stored vector may be kept as IEEE 754 binary16 ("half"), 2 bytes per
 * dimension instead of 4; the query stays in float.  Half values are passed
 * as their raw uint16_t bit patterns (host byte order).  The distance
 * functions widen each stored element to float exactly (every half value is
 * a float value) and then compute what the float functions above compute,
 * with the same kernels' accuracy.  Any alignment, n >= 0.
 * ------------------------------------------------------------------------ */

/*
 * Converts n floats to half: round to nearest, ties to even; magnitudes that
 * round beyond 65504 become +/-inf; results below 2^-14 become subnormal or
 * (signed) zero; inf stays inf; NaN stays NaN (sign and the top 10 payload
 * bits kept, a payload that would vanish becomes the quiet bit).  in and out
 * must not overlap.
 */
void		omen_float_to_half(const float *in, uint16_t *out, size_t n) OMEN_NOEXCEPT;

/* Converts n halves to float, exactly (subnormals, inf and NaN payloads included). */
void		omen_half_to_float(const uint16_t *in, float *out, size_t n) OMEN_NOEXCEPT;

/* sum (q[i] - x[i])^2, x in half */
float		omen_l2_squared_half(const float *q, const uint16_t *x, size_t n) OMEN_NOEXCEPT;

/* sum q[i] * x[i], x in half */
float		omen_inner_product_half(const float *q, const uint16_t *x, size_t n) OMEN_NOEXCEPT;

/* sum |q[i] - x[i]|, x in half */
float		omen_l1_distance_half(const float *q, const uint16_t *x, size_t n) OMEN_NOEXCEPT;

typedef float (*OmenHalfDistanceFn) (const float *q, const uint16_t *x, size_t n);

/*
 * omen_index_distance() for a half-stored vector x against a float query q:
 * squared L2 for L2, the negative inner product for inner product and
 * cosine, L1 for L1; nullptr for an unknown metric.
 */
OmenHalfDistanceFn omen_index_distance_half(OmenMetric metric) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Stored vectors: the vector part of a node slot, per storage
 *
 *   float4  float x[dims]                               4 * dims bytes
 *   half    float err; uint16 h[dims]                   4 + 2 * dims
 *   int8    float err, lo, step; uint8 c[dims]          12 + dims
 * each rounded up to a multiple of 4 bytes.  half holds IEEE binary16 values
 * (magnitudes beyond 65504 saturate to +/-65504); int8 holds one affine
 * scalar quantization per vector, x[i] ~ lo + step * c[i], with lo the
 * vector's smallest element and step its range / 255.  err bounds the norm
 * of what the storage lost, ||x - decoded x||, in the norm of the metric
 * (L1 for L1, else L2), rounded up; storage.cpp proves the lower bounds
 * below from it.  The decoded vector is the half values, or for int8
 * fmaf(c[i], step, lo) (one rounding), the same float on every machine.
 * The part starts 4-byte aligned in a slot.
 * ------------------------------------------------------------------------ */

typedef enum OmenStorage
{
	OMEN_STORAGE_FLOAT4 = 0,
	OMEN_STORAGE_HALF = 1,
	OMEN_STORAGE_INT8 = 2
} OmenStorage;

/* Bytes of a stored vector of dims dimensions (0 for an unknown storage). */
uint32_t	omen_stored_size(OmenStorage storage, uint32_t dims) OMEN_NOEXCEPT;

/* Bytes of a node slot: header, 2m links, the stored vector. */
uint32_t	omen_slot_size(OmenStorage storage, uint32_t m, uint32_t dims) OMEN_NOEXCEPT;

/* Name of a storage ("float4", "half", "int8"), or NULL. */
const char *omen_storage_name(OmenStorage storage) OMEN_NOEXCEPT;

/*
 * Encodes x (dims finite floats) into out (omen_stored_size bytes, 4-byte
 * aligned), with the error norm the metric needs.  For cosine, x must be the
 * heap vector made unit by omen_unit_vector.
 */
void		omen_stored_encode(OmenStorage storage, OmenMetric metric, const float *x,
							   uint32_t dims, uint8_t *out) OMEN_NOEXCEPT;

/* Decodes a stored vector (4-byte aligned) into dims floats (what the search measures against). */
void		omen_stored_decode(OmenStorage storage, const uint8_t *part, uint32_t dims,
							   float *out) OMEN_NOEXCEPT;

/*
 * A query prepared for one storage's and metric's stored-distance function:
 * the float query itself, or (int8 with L2, inner product or cosine, where
 * the CPU has AVX-512 VNNI) its two 8-bit code arrays and sums, which let
 * the distance come from exact integer sums instead of decoding every code
 * (storage.cpp, "Prepared queries").  omen_query_size gives the bytes for
 * dims dimensions; omen_query_prepare fills buf (that many bytes, 8-byte
 * aligned) from dims floats and returns it.  Prepare once per search.
 */
typedef struct OmenQuery OmenQuery;

size_t		omen_query_size(OmenStorage storage, OmenMetric metric, uint32_t dims) OMEN_NOEXCEPT;
const OmenQuery *omen_query_prepare(OmenStorage storage, OmenMetric metric, const float *q,
									uint32_t dims, void *buf) OMEN_NOEXCEPT;

/*
 * The index distance (as omen_index_distance) from a prepared query to a
 * stored vector, through the SIMD kernels.  part must be 4-byte aligned.
 */
typedef float (*OmenStoredDistanceFn) (const OmenQuery *q, const uint8_t *part, size_t dims);

OmenStoredDistanceFn omen_stored_distance(OmenStorage storage, OmenMetric metric) OMEN_NOEXCEPT;

/*
 * Lower bounds for exactly ordered results.  A scan prepares its query once
 * with omen_bound_query_init, then omen_stored_lower_bound gives, for a
 * stored vector, a value never larger than the SQL operator's result for
 * the heap vector it came from: l2_distance (<->), negative inner product
 * (<#>), cosine_distance (<=>) or l1_distance (<+>) of query against it, as
 * those functions compute it in float.  The derivation and every rounding
 * margin are in storage.cpp.  It is -inf (inner product) or 0 where no
 * useful bound exists (a result the float arithmetic could overflow).
 */
typedef struct OmenBoundQuery
{
	const float *query;			/* the ORDER BY argument as given (not normalized) */
	const float *buffer;		/* dims floats: the unit query (cosine) or zeros */
	double		norm;			/* ||query||, in double */
	uint32_t	dims;
	OmenMetric	metric;
	OmenStorage storage;
} OmenBoundQuery;

/*
 * Prepares b for query (dims floats, kept by pointer, not copied); buffer
 * (dims floats, caller's) is filled and must live as long as b.
 */
void		omen_bound_query_init(OmenBoundQuery *b, OmenStorage storage, OmenMetric metric,
								  const float *query, float *buffer, uint32_t dims) OMEN_NOEXCEPT;

/* The lower bound for one stored vector (omen_stored_size bytes, 4-byte aligned). */
double		omen_stored_lower_bound(const OmenBoundQuery *b, const uint8_t *part) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Text form of a vector: "[1, 2.5, -3e-2]"
 * ------------------------------------------------------------------------ */

/*
 * Parses the text form into out (room for max_dims floats) and stores the
 * number of elements in *dims.  Whitespace is allowed around the brackets,
 * the numbers and the commas.  Each number must be a complete float
 * decimal float literal (no hexadecimal floats, no nan(...)), finite and
 * within float4 range; values too small for float4 become 0 (or a denormal).
 * Errors:
 * OMEN_ERR_SYNTAX (message names the offending position/token),
 * OMEN_ERR_LIMIT (more than max_dims elements, or an empty vector),
 * OMEN_ERR_NOT_FINITE (NaN, Infinity), OMEN_ERR_OUT_OF_RANGE (overflow such as
 * 1e39).  Never reads past the terminating NUL.  After an error *dims is 0
 * and out may be partly written; out may be NULL when max_dims is 0.
 */
OmenStatus	omen_vector_parse(const char *text, float *out, uint32_t max_dims,
							  uint32_t *dims, OmenError *err) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Node slot layout (identical in the build graph and in index pages)
 *
 *   offset 0            OmenNodeHeader (16 bytes)
 *   offset 16           uint32 links[2 * m]  level-0 neighbours, filled from
 *                       the front, unused entries OMEN_INVALID_NODE
 *   offset 16 + 8 * m   the stored vector (float vector[dims] for float4;
 *                       see "Stored vectors" above for the others)
 *
 * The slot size is a multiple of 4, so links and vector are 4-byte aligned
 * wherever a slot starts on a 4-byte boundary.  Upper-level neighbour lists
 * (levels 1..level, m entries each) live apart from the slot.
 * ------------------------------------------------------------------------ */

#define OMEN_NODE_COMPLETE 0x01	/* all its own lists written */
#define OMEN_NODE_DELETED 0x02	/* heap row gone; traversed but never returned */
#define OMEN_NODE_FREE 0x04		/* slot unused; may be reused by an insert */

typedef struct OmenNodeHeader
{
	uint8_t		payload[6];		/* heap TID (ItemPointerData bytes) */
	uint8_t		level;			/* 0 .. OMEN_MAX_LEVEL */
	uint8_t		flags;			/* OMEN_NODE_* */
	uint32_t	upper_block;	/* where the upper-level lists are (shim-defined),
								 * or the next free node when OMEN_NODE_FREE */
	uint16_t	upper_offset;
	uint16_t	reserved;
} OmenNodeHeader;

#define OMEN_NODE_HEADER_SIZE 16
#define OMEN_LINKS_OFFSET OMEN_NODE_HEADER_SIZE
#define OMEN_VECTOR_OFFSET(m) (OMEN_NODE_HEADER_SIZE + 8u * (uint32_t) (m))
#define OMEN_SLOT_SIZE(m, dims) (OMEN_VECTOR_OFFSET(m) + 4u * (uint32_t) (dims))	/* float4 */

/* Level for a new node: floor(-ln(u) / ln(m)), u uniform in (0, 1], capped at OMEN_MAX_LEVEL. */
uint8_t		omen_random_level(uint32_t m, double u) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Neighbour selection (Malkov & Yashunin 2018, Algorithm 4, as in hnswlib:
 * no extension of candidates, pruned candidates are not kept)
 * ------------------------------------------------------------------------ */

typedef struct OmenCandidate
{
	float		distance;		/* index distance (omen_index_distance) */
	uint32_t	id;
} OmenCandidate;

/*
 * cands[0..n) are candidate neighbours of a base vector, sorted by ascending
 * distance to it; vectors holds their vectors, row-major, dims floats each,
 * in the same order.  Walks the candidates in order and keeps one unless it
 * is strictly closer to some candidate already kept than to the base (so
 * exact duplicates stay linked to each other), until max_keep are kept.  Writes the kept candidates' indices (into cands) to out_index
 * in ascending distance order and returns how many.
 */
uint32_t	omen_select_neighbors(const OmenCandidate *cands, uint32_t n,
								  const float *vectors, uint32_t dims,
								  OmenMetric metric, uint32_t max_keep,
								  uint32_t *out_index) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Resumable best-first search (the engine behind scans and inserts)
 *
 * The core keeps the heaps and the visited set; the caller owns the data.
 * The caller drives it as a pump:
 *
 *   omen_search_begin(s, ef, id_bound)
 *   for each entry point e: omen_search_visit(s, e); omen_search_offer(s, e, d(e))
 *   loop over rounds:
 *     while ((c = omen_search_next(s)) != OMEN_INVALID_NODE)
 *       for each neighbour e of c: if omen_search_visit(s, e) == 1:
 *           omen_search_offer(s, e, d(e))
 *     n = omen_search_results(s, out, max)    -- ascending, at most ef
 *
 * A round is Algorithm 2 of the HNSW paper (SEARCH-LAYER) with width ef: W
 * holds the ef best nodes seen, C the nodes still to expand; the round ends
 * when C is empty or its best is farther than the worst of a full W.
 * Nodes pushed out of W, or offered while W was full and not good enough,
 * are kept in a pool.  omen_search_results() hands W over (so those nodes are
 * never returned again) and primes the next round: W is refilled with the ef
 * best of the pool, each of them not yet expanded is queued for expansion,
 * and the search goes on from there.  So the first round gives exactly the
 * standard HNSW result, and every further round gives the next-best nodes
 * the graph leads to, until everything reachable has been returned.
 *
 * No function allocates once the internal arrays have grown to the size a
 * search needs; a search object is reused across scans.
 * ------------------------------------------------------------------------ */

typedef struct OmenSearch OmenSearch;

OmenStatus	omen_search_create(OmenSearch **out, OmenError *err) OMEN_NOEXCEPT;
void		omen_search_free(OmenSearch *s) OMEN_NOEXCEPT;

/*
 * Starts a new search: forgets all visited marks (O(1) epoch bump), empties
 * the heaps and the pool.  ids are expected below id_bound (the visited set
 * is sized to it; larger ids still work, the set grows).
 */
OmenStatus	omen_search_begin(OmenSearch *s, uint32_t ef, uint32_t id_bound,
							  OmenError *err) OMEN_NOEXCEPT;

/*
 * Marks id visited. Returns 1 if it was not visited before, 0 if it was, -1
 * if out of memory.  Every node must be visited before it is offered, and
 * offered at most once per search.
 */
int			omen_search_visit(OmenSearch *s, uint32_t id) OMEN_NOEXCEPT;

/*
 * Visits ids[0..n) in order, stopping at the first OMEN_INVALID_NODE (the
 * end of a link list), and writes those not visited before to fresh, in
 * order.  Returns how many, or -1 if out of memory.  Same as calling
 * omen_search_visit on each, but the visited marks are all fetched first,
 * so their cache misses overlap.
 */
int			omen_search_visit_list(OmenSearch *s, const uint32_t *ids, uint32_t n,
								   uint32_t *fresh) OMEN_NOEXCEPT;

/* Offers a visited node and its distance to the current round. Returns 0, or -1 if out of memory. */
int			omen_search_offer(OmenSearch *s, uint32_t id, float distance) OMEN_NOEXCEPT;

/* The next node whose neighbours the caller should offer, or OMEN_INVALID_NODE when the round is over. */
uint32_t	omen_search_next(OmenSearch *s) OMEN_NOEXCEPT;

/*
 * Ends the round: writes up to max of its results (ascending distance, at
 * most ef) to out, returns how many, and primes the next round.  Returns 0
 * when nothing reachable is left, or (leaving the state as it was) when
 * priming ran out of memory.
 */
uint32_t	omen_search_results(OmenSearch *s, OmenCandidate *out, uint32_t max) OMEN_NOEXCEPT;

/* Number of distinct nodes visited since omen_search_begin. */
uint64_t	omen_search_visited_count(const OmenSearch *s) OMEN_NOEXCEPT;

/* ------------------------------------------------------------------------
 * In-memory graph builder (CREATE INDEX)
 *
 * The backend thread adds vectors (in heap order, each with its heap TID as
 * payload); worker threads insert them into a compact in-memory HNSW graph
 * whose level-0 area is one contiguous array of node slots in the layout
 * above.  Workers may be started before the last add; they insert nodes as
 * they arrive.  The backend then polls omen_builder_wait() and checks for
 * interrupts between polls.  Node ids are dense, 0 .. count-1, in add order.
 * With threads == 1 the graph is deterministic for a given seed.
 * ------------------------------------------------------------------------ */

typedef struct OmenBuilder OmenBuilder;

typedef struct OmenBuildParams
{
	uint32_t	dims;
	uint32_t	m;				/* level-0 capacity 2m, upper levels m */
	uint32_t	ef_construction;
	OmenMetric	metric;			/* cosine: the caller adds normalized vectors */
	uint64_t	seed;			/* for the random levels */
	size_t		memory_limit;	/* bytes the graph may use; 0 = no limit */

	/*
	 * What the construction's searches measure: OMEN_STORAGE_FLOAT4 (0, the
	 * vectors themselves) or a compact copy of every vector kept beside the
	 * graph (OMEN_STORAGE_INT8: a quarter of the bytes to read per
	 * distance).  The neighbour heuristic and the pruning of full lists
	 * measure the copies too, so they compare distances of one measure
	 * (re-measuring the candidates in float cost a third of the build and
	 * gave the same recall; bench/core), and so does the final repair of
	 * nodes left unreachable.  The copies count against memory_limit.
	 */
	OmenStorage search_storage;

	/*
	 * The format the slots keep vectors in (omen_builder_node): the index's
	 * own page format (omen_stored_encode), so that writing the index is a
	 * copy and the graph holds a quarter (int8) or half (half) of the bytes.
	 * Only the compact copies are measured then, so a format other than
	 * OMEN_STORAGE_FLOAT4 takes effect only where the copies are used
	 * (search_storage int8 with a fast code dot product); elsewhere the
	 * slots keep float vectors.  omen_builder_slot_storage() says which.
	 */
	OmenStorage slot_storage;

	/*
	 * The order the workers link nodes in.  OMEN_LINK_ORDER_ARRIVAL (0): as
	 * they were added.  OMEN_LINK_ORDER_LOCALITY: a seeded random tenth of
	 * them (the skeleton, which gives the graph its long links) as they
	 * arrive, and the rest only once adding is finished, grouped by their
	 * nearest of a few hundred sampled nodes (about a thousand per group), so
	 * that consecutive inserts search the same neighbourhood while it is
	 * still in the CPU caches.  The held-back nodes are renumbered (their
	 * slots moved before any is linked) so that they are linked in id
	 * order, each group's nodes side by side in memory: node ids then do
	 * not follow the order of omen_builder_add(), and the payload is what
	 * names a node's row.  Either way the order is a pure function of the
	 * inputs and the seed, not of the thread count.  The grouping runs in
	 * the thread that calls omen_builder_wait(), in slices of at most its
	 * timeout; it costs 12 bytes per node (counted in memory_used).
	 */
	uint32_t	link_order;
} OmenBuildParams;

#define OMEN_LINK_ORDER_ARRIVAL 0u
#define OMEN_LINK_ORDER_LOCALITY 1u

typedef struct OmenBuildProgress
{
	uint64_t	added;			/* vectors added */
	uint64_t	inserted;		/* vectors linked into the graph */
	size_t		memory_used;	/* bytes of slots and upper lists: what memory_limit
								 * bounds (not the per-node index, the lock table
								 * or per-thread scratch) */
	uint32_t	grouping;		/* 1 while the locality order still has grouping
								 * for wait() to do on the caller's thread (the
								 * caller's other work should wait for it), else 0 */
} OmenBuildProgress;

OmenStatus	omen_builder_create(const OmenBuildParams *params, OmenBuilder **out,
								OmenError *err) OMEN_NOEXCEPT;

/* Bytes one more node is expected to need (slot plus its share of upper-level lists). */
size_t		omen_builder_bytes_per_node(const OmenBuildParams *params) OMEN_NOEXCEPT;

/*
 * Adds one vector (dims floats; stored in the slot storage's format) and its
 * 6-byte payload to the graph.  Returns OMEN_FULL, adding nothing, when the
 * node would exceed memory_limit.
 */
OmenStatus	omen_builder_add(OmenBuilder *b, const float *vector,
							 const uint8_t payload[6], OmenError *err) OMEN_NOEXCEPT;

/* Starts `threads` workers (>= 1). Call once. */
OmenStatus	omen_builder_start(OmenBuilder *b, uint32_t threads, OmenError *err) OMEN_NOEXCEPT;

/* Declares that no more vectors will be added. */
void		omen_builder_finish_adding(OmenBuilder *b) OMEN_NOEXCEPT;

/*
 * Waits up to timeout_ms for the workers. Returns OMEN_OK when every added
 * vector is in the graph (and finish_adding was called), OMEN_PENDING if the
 * timeout came first, or an error status.  Fills *progress if not NULL.
 */
OmenStatus	omen_builder_wait(OmenBuilder *b, uint32_t timeout_ms,
							  OmenBuildProgress *progress, OmenError *err) OMEN_NOEXCEPT;

/* Asks the workers to stop soon (each checks between two node inserts). */
void		omen_builder_cancel(OmenBuilder *b) OMEN_NOEXCEPT;

/* Cancels and joins any workers, then frees everything. NULL is a no-op. */
void		omen_builder_free(OmenBuilder *b) OMEN_NOEXCEPT;

/* The finished graph (call after omen_builder_wait returned OMEN_OK). */
uint32_t	omen_builder_count(const OmenBuilder *b) OMEN_NOEXCEPT;
uint32_t	omen_builder_slot_size(const OmenBuilder *b) OMEN_NOEXCEPT;
uint32_t	omen_builder_entry_point(const OmenBuilder *b) OMEN_NOEXCEPT;	/* OMEN_INVALID_NODE if empty */
int			omen_builder_max_level(const OmenBuilder *b) OMEN_NOEXCEPT;	/* -1 if empty */

/* The format of the vectors in the slots: params.slot_storage or OMEN_STORAGE_FLOAT4. */
OmenStorage omen_builder_slot_storage(const OmenBuilder *b) OMEN_NOEXCEPT;

/*
 * The slot of node id (header, level-0 links, vector in the slot storage's
 * format, omen_builder_slot_size bytes); header.upper_* are zero.
 */
const uint8_t *omen_builder_node(const OmenBuilder *b, uint32_t id) OMEN_NOEXCEPT;

/* m neighbour ids of node id at level (1 .. its level), padded with OMEN_INVALID_NODE. */
const uint32_t *omen_builder_upper_links(const OmenBuilder *b, uint32_t id,
										 uint32_t level) OMEN_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif							/* OMENDB_OMENDB_H */
