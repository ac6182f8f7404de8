/*
 * Between log.c (lines: format, filter, write) and log_ctx.c (what one
 * invocation adds to them: the Powertools keys and the buffer of DEBUG
 * lines). Nothing else includes this header; log.h is the manual.
 */
#ifndef SLUICE_CORE_LOG_INT_H
#define SLUICE_CORE_LOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"

/* The longest request id kept for a line (Lambda's are 36-byte UUIDs). */
#define LOG_REQUEST_ID_MAX 128

/*
 * Append the context's members, each preceded by a comma
 * (`,"service":"...","cold_start":true,...`), to `line` with the sticky
 * buf_put*(). Nothing when no context is set.
 */
void logctx_put_json(struct buf *line);

/* The function request id for Text lines, copied into `out` ("" when none). */
void logctx_request_id(char out[LOG_REQUEST_ID_MAX]);

/* True for the names of the context's keys, which a caller's fields may not replace. */
bool logctx_is_key(const char *k);

/* True when a DEBUG line that the level filters out is to be kept for a later error. */
bool logctx_buffering(void);

/*
 * A DEBUG line kept for a later error, not formatted: keeping one costs a
 * copy of its message, so an invocation that ends well pays almost nothing
 * for its debug lines; they are formatted only when an error writes them.
 */
struct logctx_record {
	int64_t ts_ms;
	char *message;	/* owned */
	json_t *fields; /* one reference, or NULL */
};

/* The most kept lines; past it the oldest goes. */
#define LOGCTX_RECORDS_MAX 256

/*
 * Keep one line: `message` (malloc'd) and the reference of `fields` are
 * taken, also when the invocation is over (they are then freed at once).
 */
void logctx_keep(int64_t ts_ms, char *message, json_t *fields);

/*
 * Move the kept lines, oldest first, to `out` (room for LOGCTX_RECORDS_MAX);
 * returns their number, and in `*dropped` how many older ones were dropped.
 * The caller frees each message and drops each reference.
 */
size_t logctx_take(struct logctx_record *out, unsigned *dropped);

#endif
