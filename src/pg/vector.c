/*-------------------------------------------------------------------------
 *
 * vector.c
 *	  The vector data type: I/O, casts, distance functions, arithmetic,
 *	  comparison and aggregate support.
 *
 * This file is the SQL face of the type.  Its behaviour follows pgvector's
 * `vector` so that an application can move between the two extensions
 * without changing its schema, queries or client code: the same text form
 * ("[1,2.5,3]", shortest round-trip decimals), the same binary wire format
 * (int16 dim, int16 unused = 0, dim float4, network byte order), the same
 * type modifier (vector(n), 1 <= n <= 16000), the same SQL names and the
 * same error messages where the condition is detected here.
 *
 * What lives elsewhere.  The text parser and the distance kernels belong to
 * the C++ core (include/omendb/omendb.h): the SQL operators call the very
 * SIMD kernels the index build and scan use, so an index scan orders rows
 * exactly as a sequential scan computing the operator would.  Errors from
 * the core come back as an OmenStatus and are raised by OmenRaiseError()
 * (omen_error.c).  This file never calls into the core with a PostgreSQL
 * error pending and the core never calls back, so no ereport() unwinds a
 * C++ frame.
 *
 * Symbols.  Every SQL-callable function is exported under an omendb_ prefix
 * (the SQL script maps pgvector's SQL names onto them).  PostgreSQL loads
 * extension libraries with RTLD_GLOBAL, so plain names such as vector_in
 * would collide with pgvector's if both are loaded into one backend.
 *
 * Values.  Every stored element is finite: input, casts and arithmetic
 * reject NaN and infinity (arithmetic overflow raises "value out of range:
 * overflow"; underflow to zero is accepted, as in pgvector).  Distances are
 * computed in float4 by the kernels and returned as float8; the norm and
 * normalization accumulate in double for accuracy.  The cosine distance
 * involving a zero vector is NaN, as in pgvector.
 *
 * Memory.  Results are palloc'd in the caller's context.  Comparison and
 * distance functions free detoasted copies of their arguments, since btree
 * sorts and index rechecks may call them many times in one context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/varbit.h"

#include "compat.h"
#include "vector.h"

PG_MODULE_MAGIC;

/* Transition state of avg(vector): float8[] {count, sum_1, ..., sum_dim} */
#define STATE_DIMS(arr)		(ARR_DIMS(arr)[0] - 1)

/* ------------------------------------------------------------------------
 * Checks shared by the functions below
 * ------------------------------------------------------------------------ */

/* Errors unless two vectors have the same number of dimensions. */
static inline void
CheckDims(const Vector *a, const Vector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", a->dim, b->dim)));
}

/* Errors unless dim matches the type modifier (-1 means unconstrained). */
static inline void
CheckExpectedDim(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

/* Errors unless dim is a valid number of dimensions. */
static inline void
CheckDim(int64 dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));

	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector cannot have more than %d dimensions", VECTOR_MAX_DIM)));
}

/* Errors unless value is finite. */
static inline void
CheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in vector")));

	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in vector")));
}

/* Raises "value out of range: overflow" if any element is infinite. */
static inline void
CheckOverflow(const float *x, int dim)
{
	for (int i = 0; i < dim; i++)
	{
		if (isinf(x[i]))
			float_overflow_error();
	}
}

/* Allocates a zero-filled vector of dim dimensions in the current context. */
Vector *
InitVector(int dim)
{
	Size		size = VECTOR_SIZE(dim);
	Vector	   *result = (Vector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	return result;
}

/* ------------------------------------------------------------------------
 * Type I/O
 * ------------------------------------------------------------------------ */

/* Text input: "[1, 2.5, -3e-2]" (parsed by the core). */
OMEN_FUNCTION_INFO(omendb_vector_in);
Datum
omendb_vector_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int64		bound = 1;
	uint32_t	dims = 0;
	OmenError	err;
	OmenStatus	status;
	Vector	   *result;

	/*
	 * A well-formed literal has one element more than it has commas, so
	 * counting them bounds the allocation without a second parse.  Beyond
	 * the limit the parser itself reports the excess.
	 */
	for (const char *p = lit; *p != '\0' && bound <= VECTOR_MAX_DIM; p++)
	{
		if (*p == ',')
			bound++;
	}
	if (bound > VECTOR_MAX_DIM)
		bound = VECTOR_MAX_DIM;

	result = (Vector *) palloc0(VECTOR_SIZE(bound));

	err.status = OMEN_OK;
	err.message[0] = '\0';
	status = omen_vector_parse(lit, result->x, (uint32_t) bound, &dims, &err);
	if (status != OMEN_OK)
		OmenRaiseError(status, &err);

	/* the parser promises 1 <= dims <= bound; never trust it blindly */
	if (dims < 1 || dims > (uint32_t) bound)
		elog(ERROR, "vector parser returned %u dimensions for a bound of %d",
			 dims, (int) bound);

	CheckExpectedDim(typmod, (int) dims);

	SET_VARSIZE(result, VECTOR_SIZE(dims));
	result->dim = (int16) dims;
	PG_RETURN_VECTOR_P(result);
}

/* Text output: the shortest decimals that read back to the same float4s. */
OMEN_FUNCTION_INFO(omendb_vector_out);
Datum
omendb_vector_out(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	int			dim = vec->dim;
	char	   *buf;
	char	   *ptr;

	/*
	 * Each element needs at most FLOAT_SHORTEST_DECIMAL_LEN - 1 characters
	 * plus a separator; add the brackets and the terminator.
	 */
	buf = (char *) palloc(FLOAT_SHORTEST_DECIMAL_LEN * (Size) Max(dim, 1) + 2);
	ptr = buf;

	*ptr++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*ptr++ = ',';
		ptr += float_to_shortest_decimal_bufn(vec->x[i], ptr);
	}
	*ptr++ = ']';
	*ptr = '\0';

	PG_FREE_IF_COPY(vec, 0);
	PG_RETURN_CSTRING(buf);
}

/* Type modifier input: vector(n), 1 <= n <= 16000. */
OMEN_FUNCTION_INFO(omendb_vector_typmod_in);
Datum
omendb_vector_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);

	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier")));

	if (*tl < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector must be at least 1")));

	if (*tl > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector cannot exceed %d", VECTOR_MAX_DIM)));

	PG_RETURN_INT32(*tl);
}

/* Binary input: int16 dim, int16 unused (0), dim float4, network order. */
OMEN_FUNCTION_INFO(omendb_vector_recv);
Datum
omendb_vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int16		dim;
	int16		unused;
	Vector	   *result;

	dim = (int16) pq_getmsgint(buf, sizeof(int16));
	unused = (int16) pq_getmsgint(buf, sizeof(int16));

	CheckDim(dim);
	CheckExpectedDim(typmod, dim);

	if (unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected unused to be 0, not %d", unused)));

	/* pq_getmsgfloat4 rejects a message that is too short */
	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = pq_getmsgfloat4(buf);
		CheckElement(result->x[i]);
	}

	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type vector"),
				 errdetail("A vector of %d dimensions takes %d bytes, not %d.",
						   (int) dim, buf->cursor, buf->len)));

	PG_RETURN_VECTOR_P(result);
}

/* Binary output, in the format vector_recv reads. */
OMEN_FUNCTION_INFO(omendb_vector_send);
Datum
omendb_vector_send(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, (uint16) vec->dim);
	pq_sendint16(&buf, 0);
	for (int i = 0; i < vec->dim; i++)
		pq_sendfloat4(&buf, vec->x[i]);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ------------------------------------------------------------------------
 * Casts
 * ------------------------------------------------------------------------ */

/* Length coercion vector -> vector(n): checks the type modifier. */
OMEN_FUNCTION_INFO(omendb_vector);
Datum
omendb_vector(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	CheckExpectedDim(typmod, vec->dim);

	PG_RETURN_VECTOR_P(vec);
}

/* integer[], real[], double precision[] or numeric[] -> vector. */
OMEN_FUNCTION_INFO(omendb_array_to_vector);
Datum
omendb_array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			nelems;
	Vector	   *result;

	switch (elemtype)
	{
		case INT4OID:
			typlen = sizeof(int32);
			typbyval = true;
			typalign = TYPALIGN_INT;
			break;
		case FLOAT4OID:
			typlen = sizeof(float4);
			typbyval = true;
			typalign = TYPALIGN_INT;
			break;
		case FLOAT8OID:
			typlen = sizeof(float8);
			typbyval = FLOAT8PASSBYVAL;
			typalign = TYPALIGN_DOUBLE;
			break;
		case NUMERICOID:
			typlen = -1;
			typbyval = false;
			typalign = TYPALIGN_INT;
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("unsupported array type")));
			pg_unreachable();
	}

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));

	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));

	/* check the size before converting anything */
	nelems = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	CheckDim(nelems);
	CheckExpectedDim(typmod, nelems);

	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  &elems, NULL, &nelems);

	result = InitVector(nelems);
	for (int i = 0; i < nelems; i++)
	{
		float		value;

		switch (elemtype)
		{
			case INT4OID:
				value = (float) DatumGetInt32(elems[i]);
				break;
			case FLOAT4OID:
				value = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				{
					double		d = DatumGetFloat8(elems[i]);

					/* a finite double beyond float4 range overflows */
					value = (float) d;
					if (isinf(value) && !isinf(d))
						float_overflow_error();
					break;
				}
			default:			/* NUMERICOID; errors like numeric::real */
				value = DatumGetFloat4(DirectFunctionCall1(numeric_float4,
														   elems[i]));
				break;
		}
		CheckElement(value);
		result->x[i] = value;
	}

	/* elements of by-reference types point into the array: free only this */
	pfree(elems);

	PG_RETURN_VECTOR_P(result);
}

/* vector -> real[] (the typmod argument is ignored). */
OMEN_FUNCTION_INFO(omendb_vector_to_float4);
Datum
omendb_vector_to_float4(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	Datum	   *datums;
	ArrayType  *result;

	datums = (Datum *) palloc(sizeof(Datum) * vec->dim);
	for (int i = 0; i < vec->dim; i++)
		datums[i] = Float4GetDatum(vec->x[i]);

	result = construct_array(datums, vec->dim, FLOAT4OID,
							 sizeof(float4), true, TYPALIGN_INT);
	pfree(datums);

	PG_RETURN_ARRAYTYPE_P(result);
}

/* ------------------------------------------------------------------------
 * Distances (the core's SIMD kernels)
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Distances to out-of-line vectors, remembered
 *
 * An ordered scan of a compact index (storage half or int8) has the
 * executor evaluate `column <op> query` twice for each row it returns: once
 * to recheck the index's order and once to project the ORDER BY value.
 * Each evaluation fetches the column's vector from the TOAST table (an
 * index descent and two heap pages for 784 dimensions), which costs about
 * as much as the index's own work for the row.  A TOAST value never changes
 * under its (toast relation, value id) pair, so the second evaluation can
 * take the first one's result.  The memo is a small direct-mapped table
 * from that pair to the result, valid for one distance function and one
 * query value (compared byte for byte) within one top-level statement, and
 * forgotten at the end of every transaction.  A value id names other bytes
 * only after its value was deleted, vacuumed away and the cluster-wide OID
 * counter came round to the same number again (2^32 allocations later), so
 * a stale hit needs all of that inside one statement.  Only calls with one
 * out-of-line argument and one plain in-memory argument (the query) take
 * part; everything else is computed as before.  A call whose query differs
 * from the last one's starts the memo over (a copy of the query and 64
 * cleared slots, small beside the TOAST fetch the call makes anyway).
 * ------------------------------------------------------------------------ */

#define DIST_MEMO_SLOTS		64

typedef struct DistMemoEntry
{
	Oid			toastrel;
	Oid			valueid;		/* InvalidOid: empty */
	double		result;
} DistMemoEntry;

static struct
{
	bool		valid;			/* fn and query describe the entries */
	bool		callback_registered;
	TimestampTz statement;		/* GetCurrentStatementStartTimestamp() */
	Oid			fn;
	Size		query_len;
	Size		query_cap;
	char	   *query;			/* in TopMemoryContext */
	DistMemoEntry entries[DIST_MEMO_SLOTS];
}			dist_memo;

/* Where a call's result lives in the memo (slot NULL: not memoizable). */
typedef struct DistMemoKey
{
	DistMemoEntry *slot;
	Oid			toastrel;
	Oid			valueid;
} DistMemoKey;

static void
DistMemoXactCallback(XactEvent event, void *arg)
{
	dist_memo.valid = false;
}

/*
 * Looks the call up.  Returns true with *result set on a hit; otherwise
 * fills *key so that DistMemoStore can record the result (key->slot is NULL
 * when the call does not take part).
 */
static bool
DistMemoLookup(FunctionCallInfo fcinfo, DistMemoKey *key, double *result)
{
	struct varlena *a = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0));
	struct varlena *b = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(1));
	struct varlena *stored;
	struct varlena *query;
	struct varatt_external ptr;
	Oid			fn = fcinfo->flinfo ? fcinfo->flinfo->fn_oid : InvalidOid;
	Size		len;

	key->slot = NULL;
	if (VARATT_IS_EXTERNAL_ONDISK(a) && !VARATT_IS_EXTENDED(b))
		stored = a, query = b;
	else if (VARATT_IS_EXTERNAL_ONDISK(b) && !VARATT_IS_EXTENDED(a))
		stored = b, query = a;
	else
		return false;
	if (!OidIsValid(fn))
		return false;

	VARATT_EXTERNAL_GET_POINTER(ptr, stored);
	len = VARSIZE(query);
	if (!dist_memo.valid || dist_memo.fn != fn || dist_memo.query_len != len ||
		dist_memo.statement != GetCurrentStatementStartTimestamp() ||
		memcmp(dist_memo.query, query, len) != 0)
	{
		/* A new function or query: start over (nothing below can fail midway). */
		if (!dist_memo.callback_registered)
		{
			RegisterXactCallback(DistMemoXactCallback, NULL);
			dist_memo.callback_registered = true;
		}
		if (dist_memo.query_cap < len)
		{
			char	   *buf = MemoryContextAlloc(TopMemoryContext, len);

			if (dist_memo.query != NULL)
				pfree(dist_memo.query);
			dist_memo.query = buf;
			dist_memo.query_cap = len;
		}
		memcpy(dist_memo.query, query, len);
		dist_memo.query_len = len;
		dist_memo.fn = fn;
		dist_memo.statement = GetCurrentStatementStartTimestamp();
		for (int i = 0; i < DIST_MEMO_SLOTS; i++)
			dist_memo.entries[i].valueid = InvalidOid;
		dist_memo.valid = true;
	}

	key->slot = &dist_memo.entries[ptr.va_valueid % DIST_MEMO_SLOTS];
	key->toastrel = ptr.va_toastrelid;
	key->valueid = ptr.va_valueid;
	if (key->slot->valueid == ptr.va_valueid && key->slot->toastrel == ptr.va_toastrelid)
	{
		*result = key->slot->result;
		return true;
	}
	return false;
}

/* Records a computed result under key (see DistMemoLookup). */
static inline void
DistMemoStore(const DistMemoKey *key, double result)
{
	if (key->slot != NULL && dist_memo.valid)
	{
		key->slot->toastrel = key->toastrel;
		key->slot->valueid = key->valueid;
		key->slot->result = result;
	}
}

/*
 * A distance from one of the core's kernels over the two vector arguments,
 * after the dimension check: kernel(a, b) times sign, square-rooted if asked.
 */
static Datum
VectorKernelDistance(FunctionCallInfo fcinfo, OmenDistanceFn kernel, double sign, bool root)
{
	Vector	   *a;
	Vector	   *b;
	double		result;
	DistMemoKey key;

	if (DistMemoLookup(fcinfo, &key, &result))
		PG_RETURN_FLOAT8(result);
	a = PG_GETARG_VECTOR_P(0);
	b = PG_GETARG_VECTOR_P(1);
	CheckDims(a, b);
	result = sign * (double) kernel(a->x, b->x, (size_t) a->dim);
	if (root)
		result = sqrt(result);
	DistMemoStore(&key, result);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	PG_RETURN_FLOAT8(result);
}

/* Euclidean distance. */
OMEN_FUNCTION_INFO(omendb_l2_distance);
Datum
omendb_l2_distance(PG_FUNCTION_ARGS)
{
	return VectorKernelDistance(fcinfo, omen_l2_squared, 1.0, true);
}

/* Squared Euclidean distance (what the index orders by for <->). */
OMEN_FUNCTION_INFO(omendb_vector_l2_squared_distance);
Datum
omendb_vector_l2_squared_distance(PG_FUNCTION_ARGS)
{
	return VectorKernelDistance(fcinfo, omen_l2_squared, 1.0, false);
}

/* Inner (dot) product. */
OMEN_FUNCTION_INFO(omendb_inner_product);
Datum
omendb_inner_product(PG_FUNCTION_ARGS)
{
	return VectorKernelDistance(fcinfo, omen_inner_product, 1.0, false);
}

/* Negative inner product, the <#> operator (smaller is more similar). */
OMEN_FUNCTION_INFO(omendb_vector_negative_inner_product);
Datum
omendb_vector_negative_inner_product(PG_FUNCTION_ARGS)
{
	return VectorKernelDistance(fcinfo, omen_inner_product, -1.0, false);
}

/* Taxicab distance. */
OMEN_FUNCTION_INFO(omendb_l1_distance);
Datum
omendb_l1_distance(PG_FUNCTION_ARGS)
{
	return VectorKernelDistance(fcinfo, omen_l1_distance, 1.0, false);
}

/* Cosine distance 1 - cos(a, b); NaN when either vector is zero. */
OMEN_FUNCTION_INFO(omendb_cosine_distance);
Datum
omendb_cosine_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a;
	Vector	   *b;
	double		result;
	DistMemoKey key;

	if (DistMemoLookup(fcinfo, &key, &result))
		PG_RETURN_FLOAT8(result);
	a = PG_GETARG_VECTOR_P(0);
	b = PG_GETARG_VECTOR_P(1);
	CheckDims(a, b);
	result = omen_cosine_distance(a->x, b->x, (size_t) a->dim);
	DistMemoStore(&key, result);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	PG_RETURN_FLOAT8(result);
}

/* Angular distance acos(a.b) / pi of two unit vectors, in [0, 1]. */
OMEN_FUNCTION_INFO(omendb_vector_spherical_distance);
Datum
omendb_vector_spherical_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	double		dot;

	CheckDims(a, b);
	dot = (double) omen_inner_product(a->x, b->x, (size_t) a->dim);

	/* rounding may push the dot product of unit vectors past +-1 */
	if (dot > 1.0)
		dot = 1.0;
	else if (dot < -1.0)
		dot = -1.0;

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	PG_RETURN_FLOAT8(acos(dot) / M_PI);
}

/* ------------------------------------------------------------------------
 * Other functions
 * ------------------------------------------------------------------------ */

/* Number of dimensions. */
OMEN_FUNCTION_INFO(omendb_vector_dims);
Datum
omendb_vector_dims(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int32		dim = a->dim;

	PG_FREE_IF_COPY(a, 0);
	PG_RETURN_INT32(dim);
}

/* Euclidean norm, computed in double. */
OMEN_FUNCTION_INFO(omendb_vector_norm);
Datum
omendb_vector_norm(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	double		norm = omen_unit_vector(a->x, (size_t) a->dim, NULL);

	PG_FREE_IF_COPY(a, 0);
	PG_RETURN_FLOAT8(norm);
}

/* The vector scaled to unit length; a zero vector is returned unchanged. */
OMEN_FUNCTION_INFO(omendb_l2_normalize);
Datum
omendb_l2_normalize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *result = InitVector(a->dim);

	/* result stays zero for a zero vector */
	if (omen_unit_vector(a->x, (size_t) a->dim, result->x) > 0.0)
		CheckOverflow(result->x, result->dim);

	PG_RETURN_VECTOR_P(result);
}

/* Element-wise a op b for op in + - *, with the overflow check they share. */
static Vector *
VectorElementwise(const Vector *a, const Vector *b, char op)
{
	Vector	   *result;

	CheckDims(a, b);
	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
		result->x[i] = op == '+' ? a->x[i] + b->x[i] :
			op == '-' ? a->x[i] - b->x[i] : a->x[i] * b->x[i];
	CheckOverflow(result->x, result->dim);
	return result;
}

/* Element-wise sum. */
OMEN_FUNCTION_INFO(omendb_vector_add);
Datum
omendb_vector_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(VectorElementwise(PG_GETARG_VECTOR_P(0), PG_GETARG_VECTOR_P(1), '+'));
}

/* Element-wise difference. */
OMEN_FUNCTION_INFO(omendb_vector_sub);
Datum
omendb_vector_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(VectorElementwise(PG_GETARG_VECTOR_P(0), PG_GETARG_VECTOR_P(1), '-'));
}

/* Element-wise product (underflow to zero is accepted). */
OMEN_FUNCTION_INFO(omendb_vector_mul);
Datum
omendb_vector_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(VectorElementwise(PG_GETARG_VECTOR_P(0), PG_GETARG_VECTOR_P(1), '*'));
}

/* Concatenation a || b. */
OMEN_FUNCTION_INFO(omendb_vector_concat);
Datum
omendb_vector_concat(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckDim((int64) a->dim + b->dim);
	result = InitVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(float) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);

	PG_RETURN_VECTOR_P(result);
}

/* Elements start .. start + count - 1 (1-based, clipped like substring). */
OMEN_FUNCTION_INFO(omendb_subvector);
Datum
omendb_subvector(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		end = start + (int64) PG_GETARG_INT32(2);
	Vector	   *result;

	if (start < 1)
		start = 1;
	if (end > (int64) a->dim + 1)
		end = (int64) a->dim + 1;

	CheckDim(end - start);
	result = InitVector((int) (end - start));
	memcpy(result->x, a->x + (start - 1), sizeof(float) * result->dim);

	PG_RETURN_VECTOR_P(result);
}

/* One bit per element, set where the element is positive. */
OMEN_FUNCTION_INFO(omendb_binary_quantize);
Datum
omendb_binary_quantize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int			len = VARBITTOTALLEN(a->dim);
	VarBit	   *result = (VarBit *) palloc0(len);
	bits8	   *bits = VARBITS(result);

	SET_VARSIZE(result, len);
	VARBITLEN(result) = a->dim;
	for (int i = 0; i < a->dim; i++)
	{
		if (a->x[i] > 0)
			bits[i / BITS_PER_BYTE] |= (bits8) (0x80 >> (i % BITS_PER_BYTE));
	}

	PG_FREE_IF_COPY(a, 0);
	PG_RETURN_VARBIT_P(result);
}

/* ------------------------------------------------------------------------
 * Comparison (btree operator class vector_ops)
 * ------------------------------------------------------------------------ */

/*
 * Three-way comparison: element by element, then by dimension count, the
 * order PostgreSQL uses for arrays.  -0 and 0 compare equal.
 */
int
VectorCompare(const Vector *a, const Vector *b)
{
	int			dim = Min(a->dim, b->dim);

	for (int i = 0; i < dim; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	if (a->dim < b->dim)
		return -1;
	if (a->dim > b->dim)
		return 1;
	return 0;
}

/* Compares the two vector arguments and frees detoasted copies. */
static int
VectorCompareArgs(FunctionCallInfo fcinfo)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	int			cmp = VectorCompare(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return cmp;
}

/* a < b */
OMEN_FUNCTION_INFO(omendb_vector_lt);
Datum
omendb_vector_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VectorCompareArgs(fcinfo) < 0);
}

/* a <= b */
OMEN_FUNCTION_INFO(omendb_vector_le);
Datum
omendb_vector_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VectorCompareArgs(fcinfo) <= 0);
}

/* a = b */
OMEN_FUNCTION_INFO(omendb_vector_eq);
Datum
omendb_vector_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VectorCompareArgs(fcinfo) == 0);
}

/* a <> b */
OMEN_FUNCTION_INFO(omendb_vector_ne);
Datum
omendb_vector_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VectorCompareArgs(fcinfo) != 0);
}

/* a >= b */
OMEN_FUNCTION_INFO(omendb_vector_ge);
Datum
omendb_vector_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VectorCompareArgs(fcinfo) >= 0);
}

/* a > b */
OMEN_FUNCTION_INFO(omendb_vector_gt);
Datum
omendb_vector_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VectorCompareArgs(fcinfo) > 0);
}

/* btree support function 1: -1, 0 or 1. */
OMEN_FUNCTION_INFO(omendb_vector_cmp);
Datum
omendb_vector_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(VectorCompareArgs(fcinfo));
}

/* ------------------------------------------------------------------------
 * Aggregates: avg(vector) keeps float8[] {n, sum_1 .. sum_dim}; sum(vector)
 * uses vector_add directly.
 * ------------------------------------------------------------------------ */

/* Validates an avg(vector) state array and returns its elements. */
static float8 *
CheckStateArray(ArrayType *state, const char *caller)
{
	if (ARR_NDIM(state) != 1 ||
		ARR_DIMS(state)[0] < 1 ||
		ARR_DIMS(state)[0] > VECTOR_MAX_DIM + 1 ||
		ARR_HASNULL(state) ||
		ARR_ELEMTYPE(state) != FLOAT8OID)
		elog(ERROR, "%s: expected state array", caller);
	return (float8 *) ARR_DATA_PTR(state);
}

/* Builds a state array from n and dim sums. */
static ArrayType *
MakeStateArray(float8 n, const float8 *sums, int dim)
{
	Datum	   *datums = (Datum *) palloc(sizeof(Datum) * (dim + 1));
	ArrayType  *result;

	datums[0] = Float8GetDatum(n);
	for (int i = 0; i < dim; i++)
		datums[i + 1] = Float8GetDatum(sums[i]);

	result = construct_array(datums, dim + 1, FLOAT8OID, sizeof(float8),
							 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(datums);
	return result;
}

/* Transition function of avg(vector): adds one vector to the state. */
OMEN_FUNCTION_INFO(omendb_vector_accum);
Datum
omendb_vector_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	Vector	   *value = PG_GETARG_VECTOR_P(1);
	float8	   *sv = CheckStateArray(state, "vector_accum");
	int			dim = STATE_DIMS(state);

	/* first value: the state takes its dimensions */
	if (dim == 0)
	{
		float8	   *sums = (float8 *) palloc(sizeof(float8) * value->dim);

		for (int i = 0; i < value->dim; i++)
			sums[i] = (float8) value->x[i];
		state = MakeStateArray(sv[0] + 1.0, sums, value->dim);
		pfree(sums);
		PG_RETURN_ARRAYTYPE_P(state);
	}

	if (dim != value->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", dim, value->dim)));

	/* inside an aggregate the state is ours to update in place */
	if (!AggCheckCallContext(fcinfo, NULL))
	{
		state = MakeStateArray(sv[0], sv + 1, dim);
		sv = (float8 *) ARR_DATA_PTR(state);
	}

	sv[0] += 1.0;
	for (int i = 0; i < dim; i++)
	{
		sv[i + 1] += (float8) value->x[i];
		if (isinf(sv[i + 1]))
			float_overflow_error();
	}

	PG_RETURN_ARRAYTYPE_P(state);
}

/* Combine function of avg(vector): merges two partial states. */
OMEN_FUNCTION_INFO(omendb_vector_combine);
Datum
omendb_vector_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *state1 = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *state2 = PG_GETARG_ARRAYTYPE_P(1);
	float8	   *sv1 = CheckStateArray(state1, "vector_combine");
	float8	   *sv2 = CheckStateArray(state2, "vector_combine");
	int			dim1 = STATE_DIMS(state1);
	int			dim2 = STATE_DIMS(state2);

	/* an empty side contributes nothing */
	if (sv2[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(state1);
	if (sv1[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(MakeStateArray(sv2[0], sv2 + 1, dim2));

	if (dim1 != dim2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", dim1, dim2)));

	if (!AggCheckCallContext(fcinfo, NULL))
	{
		state1 = MakeStateArray(sv1[0], sv1 + 1, dim1);
		sv1 = (float8 *) ARR_DATA_PTR(state1);
	}

	sv1[0] += sv2[0];
	for (int i = 1; i <= dim1; i++)
	{
		sv1[i] += sv2[i];
		if (isinf(sv1[i]))
			float_overflow_error();
	}

	PG_RETURN_ARRAYTYPE_P(state1);
}

/* Final function of avg(vector): sums / n, or NULL when there were no rows. */
OMEN_FUNCTION_INFO(omendb_vector_avg);
Datum
omendb_vector_avg(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	float8	   *sv = CheckStateArray(state, "vector_avg");
	int			dim = STATE_DIMS(state);
	float8		n = sv[0];
	Vector	   *result;

	/* SQL defines the average of no values to be NULL */
	if (n == 0.0)
		PG_RETURN_NULL();

	CheckDim(dim);
	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
		result->x[i] = (float) (sv[i + 1] / n);
	CheckOverflow(result->x, dim);

	PG_RETURN_VECTOR_P(result);
}
