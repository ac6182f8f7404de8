/*
 * Clocks and timestamp formats: RFC 3339 (logs, JSON), the SigV4 basic ISO
 * 8601 form (20150830T123600Z), and the HTTP date of RFC 9110 section 5.6.7
 * (Last-Modified). All formatting is in UTC with gmtime_r.
 */
#ifndef SLUICE_CORE_TIMEUTIL_H
#define SLUICE_CORE_TIMEUTIL_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

/* Wall-clock milliseconds since the epoch. */
int64_t time_now_ms(void);

/* Monotonic nanoseconds, for durations. */
int64_t time_mono_ns(void);

/* `ms` milliseconds as the struct timeval that event timers take. */
static inline struct timeval time_tv_ms(uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

/*
 * "2026-11-24T20:26:15.123Z" (with millis) or "2026-11-24T20:26:15Z" into
 * `out`, which must hold 32 bytes (24 and the NUL for years up to 9999).
 */
void time_rfc3339(char out[32], int64_t epoch_ms, int with_millis);

/*
 * Parse a whole RFC 3339 date-time ("...Z" or "+hh:mm", 'T' or 't', an
 * optional fraction of 1 to 9 digits truncated to milliseconds) to epoch ms.
 * Ranges are checked (February 29 only in leap years); a leap second (:60)
 * is rejected. Returns 0 or ERR_PARSE, leaving `*out_ms` untouched then.
 */
int time_parse_rfc3339(const char *s, size_t len, int64_t *out_ms /* OUT */);

/* "20150830T123600Z"; `out` needs 17 bytes. Years past 9999 are clamped to 9999. */
void time_amz(char out[17], time_t t);

/* Parse the basic form "YYYYMMDDTHHMMSSZ" (exactly 16 bytes, ranges checked). 0 or ERR_PARSE. */
int time_parse_amz(const char *s, size_t len, time_t *out /* OUT */);

/* "Tue, 24 Nov 2026 20:26:15 GMT"; `out` must hold 32 bytes (29 and the NUL). */
void time_http(char out[32], time_t t);

/*
 * Parse an IMF-fixdate as above (exactly 29 bytes; the day name must be one
 * but is not checked against the date). The obsolete RFC 850 and asctime
 * forms are not accepted. 0 or ERR_PARSE.
 */
int time_parse_http(const char *s, size_t len, time_t *out /* OUT */);

#endif
