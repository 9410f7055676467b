/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  PostgreSQL version gates for the OmenDB shims, kept in one place.
 *
 * OmenDB builds against PostgreSQL 13 through 17.  Every difference between
 * those versions that the shims care about is papered over here, so the rest
 * of src/pg can be written against one API.  Include this header right after
 * postgres.h (and before fmgr.h users declare any function).
 *
 * Symbol visibility.  The module is compiled with -fvisibility=hidden so
 * that the C++ core's symbols never clash with other libraries loaded into
 * the same backend (PostgreSQL loads extension libraries RTLD_GLOBAL, and
 * pgvector may be loaded too).  Everything PostgreSQL looks up by name --
 * Pg_magic_func, _PG_init, the pg_finfo_* records and the SQL-callable
 * functions -- must therefore be exported explicitly.  PostgreSQL 16 and
 * later define PGDLLEXPORT as the default-visibility attribute; earlier
 * versions define it as nothing outside Windows, so we supply it.  Because
 * fmgr.h's macros expand PGDLLEXPORT at their point of use, redefining it
 * here (after postgres.h) is enough for PG_MODULE_MAGIC and
 * PG_FUNCTION_INFO_V1 to pick it up.
 *
 * Every SQL-callable function is declared with OMEN_FUNCTION_INFO(name),
 * which exports both the function and its info record.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMENDB_PG_COMPAT_H
#define OMENDB_PG_COMPAT_H

#include "fmgr.h"

/* PostgreSQL 16 split the varlena macros out of postgres.h. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* Default visibility for symbols PostgreSQL resolves with dlsym(). */
#if PG_VERSION_NUM < 160000 && !defined(WIN32) && \
	(defined(__GNUC__) || defined(__clang__))
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

/* Declares an exported V1 SQL-callable function and its info record. */
#define OMEN_FUNCTION_INFO(funcname) \
	extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
	PG_FUNCTION_INFO_V1(funcname)

/* A uniform double in [0, 1) from the backend's PRNG (pg_prng arrived in 15). */
#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#define OmenRandomDouble() pg_prng_double(&pg_global_prng_state)
#else
#define OmenRandomDouble() ((double) random() / ((double) MAX_RANDOM_VALUE + 1))
#endif

/* Reserving a GUC prefix is MarkGUCPrefixReserved since 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Pins a buffer we believe still holds a block, skipping the buffer-table
 * lookup (PostgreSQL 14+); false when it does not, or on 13.
 */
#if PG_VERSION_NUM >= 160000
#define OmenReadRecentBuffer(rel, fork, blk, buf) \
	ReadRecentBuffer((rel)->rd_locator, (fork), (blk), (buf))
#elif PG_VERSION_NUM >= 140000
#define OmenReadRecentBuffer(rel, fork, blk, buf) \
	ReadRecentBuffer((rel)->rd_node, (fork), (blk), (buf))
#else
#define OmenReadRecentBuffer(rel, fork, blk, buf) false
#endif

#endif							/* OMENDB_PG_COMPAT_H */
