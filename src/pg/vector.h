/*-------------------------------------------------------------------------
 *
 * vector.h
 *	  The vector data type: on-disk layout, accessors and the C entry points
 *	  the index shims share with the SQL functions.
 *
 * A vector is a varlena holding a 16-bit dimension count, a 16-bit field
 * that is always zero, and dim float4 values.  The layout, the text form and
 * the binary wire format are identical to pgvector's `vector`, so a dump
 * taken with one extension restores into the other and clients that speak
 * pgvector's binary format keep working.
 *
 *   offset 0  int32 vl_len_   varlena header
 *   offset 4  int16 dim       1 .. OMEN_MAX_DIMS
 *   offset 6  int16 unused    always 0 (reserved)
 *   offset 8  float4 x[dim]   finite values only
 *
 * On disk a small vector may carry a 1-byte (short) varlena header and a
 * large one may live in the TOAST table, so always go through
 * DatumGetVector() / PG_GETARG_VECTOR_P(): they detoast into the layout
 * above, 4-byte aligned, so x[] can be handed straight to the core's SIMD
 * kernels (which accept any alignment anyway).
 *
 * The type uses STORAGE = external: large vectors go out of line but are
 * never compressed (float data does not compress, and detoasting compressed
 * data on every distance call would be wasted work).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMENDB_PG_VECTOR_H
#define OMENDB_PG_VECTOR_H

#include "postgres.h"

#include "compat.h"
#include "fmgr.h"

#include "omendb/omendb.h"

typedef struct Vector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;			/* number of dimensions */
	int16		unused;			/* reserved for future use, always zero */
	float		x[FLEXIBLE_ARRAY_MEMBER];
} Vector;

#define VECTOR_MAX_DIM			OMEN_MAX_DIMS
#define VECTOR_SIZE(_dim)		(offsetof(Vector, x) + sizeof(float) * (_dim))

#define DatumGetVector(x)		((Vector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_VECTOR_P(x)	DatumGetVector(PG_GETARG_DATUM(x))
#define PG_RETURN_VECTOR_P(x)	PG_RETURN_POINTER(x)

/* Allocates a zero-filled vector of dim dimensions in the current context. */
extern Vector *InitVector(int dim);

/* Three-way comparison used by the btree operator class. */
extern int	VectorCompare(const Vector *a, const Vector *b);

/*
 * Raises the PostgreSQL error for a failed core call (never returns).
 * status is what the core function returned; err may be NULL or carry the
 * core's message.  Defined in omen_error.c; shared by every shim.
 */
extern void OmenRaiseError(OmenStatus status, const OmenError *err) pg_attribute_noreturn();

/*
 * SQL-callable functions (exported; the SQL script binds pgvector's names to
 * these symbols).  The index shims compare against the distance functions.
 * They carry the omendb_ prefix: omen_ is the core's, and unprefixed names
 * would clash with pgvector's symbols when both libraries are loaded.
 */
extern PGDLLEXPORT Datum omendb_l2_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_vector_l2_squared_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_inner_product(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_vector_negative_inner_product(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_cosine_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_l1_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_vector_spherical_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_vector_norm(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum omendb_l2_normalize(PG_FUNCTION_ARGS);

#endif							/* OMENDB_PG_VECTOR_H */
