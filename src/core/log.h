/*
 * Structured logs: one JSON object per line on stderr (stdout is the Lambda
 * response channel for nobody, but stderr is what Lambda and `sluice dev`
 * collect), with "timestamp" (RFC 3339, milliseconds), "level", "message",
 * "requestId" when one is set, and the caller's fields.
 *
 * As Lambda's advanced logging controls do: AWS_LAMBDA_LOG_FORMAT=JSON (the
 * default here) or Text, and AWS_LAMBDA_LOG_LEVEL=TRACE|DEBUG|INFO|WARN|ERROR|FATAL
 * (default INFO) filters what is written. Text lines read
 * "<timestamp>\t<requestId>\t<LEVEL>\t<message> key=value ...".
 */
#ifndef SLUICE_CORE_LOG_H
#define SLUICE_CORE_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level { LVL_TRACE, LVL_DEBUG, LVL_INFO, LVL_WARN, LVL_ERROR, LVL_FATAL };

/* Read AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL. Unknown values keep the defaults. */
void log_init_from_env(void);

/* Explicit settings (tests, the CLI). `json` false means Text. */
void log_configure(enum log_level min, bool json);

/* Where lines go (stderr by default); tests pass a memstream. NULL restores stderr. */
void log_set_output(FILE *f);

/* The request id stamped on each line until changed; NULL or "" clears it. Copied. */
void log_set_request_id(const char *id);

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
