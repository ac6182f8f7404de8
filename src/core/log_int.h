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

/* Keep one formatted line (with its newline) for a later error; the oldest go first. */
void logctx_buffer(const char *line, size_t len);

/*
 * Move the kept lines into `out` (sticky buf_put()) and forget them.
 * Returns how many older lines did not fit and were dropped.
 */
unsigned logctx_take(struct buf *out);

#endif
