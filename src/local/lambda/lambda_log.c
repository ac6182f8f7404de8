/*
 * START / END / REPORT lines as Lambda prints them (see lambda_log.h), and
 * the peak memory of a worker from /proc. Each line is built in a capped
 * buffer with the sticky buf_put*() forms and written in one fwrite(), then
 * flushed: a line that does not fit is replaced by "(log line too long)"
 * rather than written cut, which could pass for a complete REPORT.
 */
#include "core/common.h"

#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include "core/buf.h"
#include "local/lambda/lambda_log.h"

/*
 * One log line. Lambda's own lines are about 250 bytes; the pool's notes
 * quote a runtime's errorMessage, which the pool already cuts to 1 KB.
 */
#define REPORT_LINE_MAX ((size_t)4096)
/* /proc/<pid>/status is about 1.5 KB; VmHWM is in its first half. */
#define PROC_STATUS_MAX 8192

/* Write `b` as one line (adding the newline) in one fwrite, and release it. */
static void put(FILE *f, struct buf *b)
{
	if (!f)
		f = stderr;
	if (b->len == 0 || b->ptr[b->len - 1] != '\n')
		buf_putc(b, '\n');
	if (buf_error(b)) {
		buf_reset(b);
		buf_puts(b, "(log line too long)\n");
	}
	fwrite(b->ptr, 1, b->len, f);
	fflush(f);
	buf_release(b);
}

void report_line(FILE *f, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, REPORT_LINE_MAX);
	va_start(ap, fmt);
	buf_set_error(&b, buf_vaddf(&b, fmt, ap));
	va_end(ap);
	put(f, &b);
}

void report_start_text(struct buf *b, const char *request_id)
{
	buf_putf(b, "START RequestId: %s Version: $LATEST", request_id ? request_id : "");
}

void report_start(FILE *f, const char *request_id)
{
	struct buf b;

	buf_init(&b, REPORT_LINE_MAX);
	report_start_text(&b, request_id);
	put(f, &b);
}

void report_end(FILE *f, const char *request_id)
{
	report_line(f, "END RequestId: %s", request_id ? request_id : "");
}

/* The REPORT line, without its newline, appended to `b` (sticky: put() checks). */
static void add_report(struct buf *b, const struct report *r)
{
	double billed = ceil(r->duration_ms + r->init_duration_ms);

	buf_putf(b,
		 "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\t"
		 "Memory Size: %" PRIu32 " MB\tMax Memory Used: %" PRIu32 " MB\t",
		 r->request_id ? r->request_id : "", r->duration_ms, billed < 1 ? 1 : billed,
		 r->memory_mb, r->max_memory_used_mb);
	if (r->init_duration_ms > 0)
		buf_putf(b, "Init Duration: %.2f ms\t", r->init_duration_ms);
	if (r->status && *r->status) {
		buf_putf(b, "Status: %s\t", r->status);
		if (r->error_type && *r->error_type)
			buf_putf(b, "Error Type: %s\t", r->error_type);
	}
}

void report_report(FILE *f, const struct report *r)
{
	struct buf b;

	buf_init(&b, REPORT_LINE_MAX);
	add_report(&b, r);
	put(f, &b);
}

void report_end_report_text(struct buf *b, const struct report *r)
{
	buf_putf(b, "END RequestId: %s\n", r->request_id ? r->request_id : "");
	add_report(b, r);
}

void report_end_report(FILE *f, const struct report *r)
{
	struct buf b;

	buf_init(&b, 2 * REPORT_LINE_MAX);
	report_end_report_text(&b, r);
	put(f, &b);
}

uint32_t report_vmhwm_mb(pid_t pid)
{
	char path[64];
	uint32_t mb;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (pid <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	mb = report_vmhwm_mb_fd(fd);
	close(fd);
	return mb;
}

uint32_t report_vmhwm_mb_fd(int fd)
{
	char text[PROC_STATUS_MAX];
	unsigned long long kb = 0;
	const char *p;
	char *end;
	ssize_t n;

	/* One pread from 0: /proc regenerates the file; no stdio, no fstat. */
	n = fd < 0 ? -1 : pread(fd, text, sizeof(text) - 1, 0);
	if (n < 0)
		return 0;
	text[n] = '\0';
	p = strstr(text, "\nVmHWM:");
	if (!p)
		return 0;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	kb = strtoull(p, &end, 10);
	if (end == p || errno)
		return 0;
	return (uint32_t)((kb + 1023) / 1024);
}
