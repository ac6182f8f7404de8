/*
 * Structured logs: one JSON object per line on stderr (stdout is the Lambda
 * response channel for nobody, but stderr is what Lambda and `sluice dev`
 * collect), with "timestamp" (RFC 3339, milliseconds), "level", "message",
 * the caller's fields, then the keys of Powertools for AWS Lambda's logger
 * that are known (see "Invocations" below), so that the Logs Insights
 * queries people have for Powertools work unchanged:
 *
 *   service              POWERTOOLS_SERVICE_NAME (log_init_from_env())
 *   function_name        AWS_LAMBDA_FUNCTION_NAME (log_init_from_env())
 *   cold_start           true on the first invocation of a process
 *   function_request_id  the Lambda request id (log_set_request_id())
 *   xray_trace_id        the Root of the invocation's trace header
 *   correlation_id       the API Gateway request id (log_set_correlation_id())
 *
 * As Lambda's advanced logging controls do: AWS_LAMBDA_LOG_FORMAT=JSON (the
 * default here) or Text, and AWS_LAMBDA_LOG_LEVEL=TRACE|DEBUG|INFO|WARN|ERROR|FATAL
 * (default INFO) filters what is written. Text lines read
 * "<timestamp>\t<requestId>\t<LEVEL>\t<message> key=value ...".
 *
 * Debug lines of an invocation are kept, not lost: between
 * log_invocation_begin() and log_invocation_end(), a DEBUG line that the
 * level filters out is kept as it was given (its message and fields, not
 * formatted), and the first ERROR or FATAL line of the invocation writes
 * them, in order and with their own timestamps, before itself: the newest
 * that fit in LOG_DEBUG_BUFFER_MAX bytes, after a note of how many older
 * ones did not. So the detail is there when something fails, and an
 * invocation that ends well pays a copy of each message (Powertools calls
 * this log buffering, flushed on error). At DEBUG they are written as they
 * come.
 */
#ifndef SLUICE_CORE_LOG_H
#define SLUICE_CORE_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level { LVL_TRACE, LVL_DEBUG, LVL_INFO, LVL_WARN, LVL_ERROR, LVL_FATAL };

/*
 * Read AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL (unknown values keep
 * the defaults), POWERTOOLS_SERVICE_NAME and AWS_LAMBDA_FUNCTION_NAME.
 */
void log_init_from_env(void);

/* Explicit settings (tests, the CLI). `json` false means Text. */
void log_configure(enum log_level min, bool json);

/* Where lines go (stderr by default); tests pass a memstream. NULL restores stderr. */
void log_set_output(FILE *f);

/* The request id stamped on each line until changed; NULL or "" clears it. Copied. */
void log_set_request_id(const char *id);

/* The bytes of DEBUG lines an invocation keeps for a later error (Powertools' default is 20 KB). */
#define LOG_DEBUG_BUFFER_MAX ((size_t)16 * 1024)

/* One invocation, as the runtime loop knows it. Strings are copied; NULL means none. */
struct log_invocation {
	const char *request_id;	  /* function_request_id */
	const char *trace_header; /* "Root=1-...;Parent=...;Sampled=0": xray_trace_id is the Root */
	bool cold_start;
};

/*
 * Start stamping an invocation's keys on every line and keeping its DEBUG
 * lines (see above); replaces the request id and clears the correlation id.
 */
void log_invocation_begin(const struct log_invocation *inv);

/*
 * The invocation is over: its keys are cleared and its kept DEBUG lines
 * dropped unless an error wrote them. A no-op outside an invocation.
 */
void log_invocation_end(void);

/* correlation_id on each line until the invocation ends (the API request id); NULL clears it. */
void log_set_correlation_id(const char *id);

/*
 * "service" and "function_name" for every line (NULL or "" leaves a key
 * out); log_init_from_env() takes them from POWERTOOLS_SERVICE_NAME and
 * AWS_LAMBDA_FUNCTION_NAME. Copied.
 */
void log_set_service(const char *service, const char *function_name);

/*
 * True when a DEBUG line would be written or kept: test it before building
 * the fields of a debug line (an AWS call's figures), so a process outside
 * any invocation at INFO pays nothing for them.
 */
bool log_debug_wanted(void);

/*
 * Write `len` bytes of `line` and a newline to the log output as they are,
 * in one write (Embedded Metric Format documents, which must be whole
 * lines; several may be given separated by newlines). More than 256 KiB is
 * dropped, as Lambda would cut it.
 */
void log_write_raw(const char *line, size_t len);

/* True when a line at `lvl` would be written: test before building costly fields. */
bool log_enabled(enum log_level lvl);

/* The level's name ("INFO"), and parsing one (case-insensitive). -1 when unknown. */
const char *log_level_name(enum log_level lvl);
int log_level_parse(const char *s);

/*
 * Write one line. `fields` is an object whose members are added after the
 * standard keys (a member named like a standard key is ignored); its
 * reference is stolen (also when the level is filtered out), and it may be
 * NULL; a non-object is ignored. Invalid UTF-8 in `message` becomes U+FFFD.
 * A line past 256 KiB is replaced by one with the first 1 KiB of the message,
 * no fields, and "logTruncated": true. The line goes out in one fwrite().
 */
void log_emit(enum log_level lvl, const char *message, json_t *fields);

/* log_emit() with a printf-formatted message and no fields. */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
