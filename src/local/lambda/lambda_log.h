/*
 * The per-invocation lines Lambda writes to a function's log stream, in its
 * exact words, for `sluice dev`:
 *
 *   START RequestId: <id> Version: $LATEST
 *   END RequestId: <id>
 *   REPORT RequestId: <id>\tDuration: 1.52 ms\tBilled Duration: 2 ms\t
 *     Memory Size: 128 MB\tMax Memory Used: 37 MB\tInit Duration: 130.61 ms\t
 *
 * (one line; Init Duration only on a cold start; a failed invocation adds
 * "Status: timeout" or "Status: error\tError Type: <type>", as Lambda's
 * newer REPORT lines do). Each line is written with one fwrite and flushed,
 * so that it does not interleave with the workers' own output on the same
 * file.
 */
#ifndef SLUICE_LOCAL_LAMBDA_LOG_H
#define SLUICE_LOCAL_LAMBDA_LOG_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/buf.h"

/* The figures of one REPORT line. */
struct report {
	const char *request_id;
	double duration_ms;
	double init_duration_ms; /* 0: not a cold start, no Init Duration */
	uint32_t memory_mb;
	uint32_t max_memory_used_mb;
	const char *status;	/* NULL or "": a success; "timeout", "error" */
	const char *error_type; /* with status "error"; NULL or "" for none */
};

/* "START RequestId: <id> Version: $LATEST". */
void report_start(FILE *f, const char *request_id);

/* "END RequestId: <id>". */
void report_end(FILE *f, const char *request_id);

/*
 * The REPORT line. Billed Duration is the duration plus the init duration
 * (custom runtimes are billed for init) rounded up to the millisecond.
 */
void report_report(FILE *f, const struct report *r);

/* END and REPORT together, in one write (what the pool prints when an invocation ends). */
void report_end_report(FILE *f, const struct report *r);

/*
 * The same lines as text, appended to `b` with the sticky buf_put*() and
 * without a final newline (END and REPORT are separated by one), for the
 * pool's observer (the local CloudWatch Logs).
 */
void report_start_text(struct buf *b, const char *request_id);
void report_end_report_text(struct buf *b, const struct report *r);

/*
 * Any line, with a trailing newline added, in one write: "Task timed out
 * after 3.00 seconds" and the pool's own notes.
 */
void report_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The peak resident set of process `pid` in MB (VmHWM of /proc/<pid>/status,
 * rounded up), or 0 when it cannot be read (the process is gone).
 */
uint32_t report_vmhwm_mb(pid_t pid);

/*
 * The same from `fd`, an open /proc/<pid>/status, read again from its start
 * (one pread, so a pool can keep the file open for the life of a worker).
 * 0 when it cannot be read (the process is gone, fd < 0).
 */
uint32_t report_vmhwm_mb_fd(int fd);

#endif
