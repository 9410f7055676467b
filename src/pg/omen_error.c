/*-------------------------------------------------------------------------
 *
 * omen_error.c
 *	  Turns an OmenStatus returned by the C++ core into a PostgreSQL error.
 *
 * The core never raises PostgreSQL errors itself: every boundary function
 * returns a status and fills an OmenError with a one-line message (see
 * include/omendb/omendb.h).  Once the core call has returned -- so no C++
 * frame is on the stack -- the shim hands both to OmenRaiseError(), which
 * picks the SQLSTATE for the status and calls ereport(ERROR).  Keeping the
 * mapping in one place means every shim (type I/O, build, scan, insert)
 * reports the same condition with the same SQLSTATE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "vector.h"

/* Maps a core status to the SQLSTATE reported for it. */
static int
OmenStatusSqlState(OmenStatus status)
{
	switch (status)
	{
		case OMEN_ERR_SYNTAX:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case OMEN_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case OMEN_ERR_NOT_FINITE:
			return ERRCODE_DATA_EXCEPTION;
		case OMEN_ERR_OUT_OF_RANGE:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
		case OMEN_ERR_OUT_OF_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		case OMEN_ERR_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
		case OMEN_ERR_INVALID_ARGUMENT:
		case OMEN_ERR_INTERNAL:
		default:
			return ERRCODE_INTERNAL_ERROR;
	}
}

/* Fallback text when the core left no message. */
static const char *
OmenStatusText(OmenStatus status)
{
	switch (status)
	{
		case OMEN_OK:
			return "unexpected success status";
		case OMEN_FULL:
			return "unexpected memory-limit status";
		case OMEN_PENDING:
			return "unexpected pending status";
		case OMEN_ERR_OUT_OF_MEMORY:
			return "out of memory";
		case OMEN_ERR_INVALID_ARGUMENT:
			return "invalid argument";
		case OMEN_ERR_SYNTAX:
			return "invalid input syntax";
		case OMEN_ERR_LIMIT:
			return "program limit exceeded";
		case OMEN_ERR_NOT_FINITE:
			return "value is not finite";
		case OMEN_ERR_OUT_OF_RANGE:
			return "value out of range";
		case OMEN_ERR_CANCELLED:
			return "canceling statement due to user request";
		case OMEN_ERR_INTERNAL:
			return "internal error";
	}
	return "unknown error";
}

/*
 * Raises the error for a failed core call.  status is what the core
 * returned (authoritative); err may be NULL or hold the core's message.
 */
void
OmenRaiseError(OmenStatus status, const OmenError *err)
{
	const char *message = OmenStatusText(status);

	/*
	 * The core only reports a cancel because the shim's interrupt check
	 * asked it to stop: let PostgreSQL raise the real reason (cancel,
	 * statement timeout, termination) if it is still pending.
	 */
	if (status == OMEN_ERR_CANCELLED)
		CHECK_FOR_INTERRUPTS();

	if (err != NULL && err->message[0] != '\0')
		message = err->message;

	/* the core NUL-terminates, but never trust a buffer across a boundary */
	ereport(ERROR,
			(errcode(OmenStatusSqlState(status)),
			 errmsg("%.*s", OMEN_ERROR_MESSAGE_LEN - 1, message)));

	pg_unreachable();
}
