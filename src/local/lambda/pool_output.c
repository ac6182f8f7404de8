/*
 * What an observed pool tells its observer (pool.h, "observing a pool"):
 * every line of every worker, read from a pipe per worker and copied to
 * the pool's log as it was before, the pool's own lines about invocations,
 * and the start and end of each invocation.
 *
 * Order: a worker writes its lines before it posts its result, so when
 * the result arrives its lines are in the pipe; pool_finish() drains the
 * pipe before it writes END and REPORT, and the stream reads as Lambda's
 * does. Lines longer than POOL_LINE_MAX are cut there, as Lambda cuts a
 * log event at 256 KB.
 */
#include "core/common.h"

#include <fcntl.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/timeutil.h"
#include "local/lambda/pool_int.h"

#define POOL_LINE_MAX  ((size_t)256 * 1024)
#define POOL_READ_SIZE ((size_t)64 * 1024)

static uint64_t worker_serial;

void pool_set_observer(struct pool *pool, const struct pool_observer *obs)
{
	if (!pool)
		return;
	if (obs)
		pool->obs = *obs;
	else
		memset(&pool->obs, 0, sizeof(pool->obs));
}

static void emit(struct worker *w, const char *text, size_t len, bool platform, const char *rid)
{
	struct pool *p = w ? w->pool : NULL;
	struct pool_line l;

	if (!p || !p->obs.line)
		return;
	l.function = p->name;
	l.worker = w->serial;
	l.worker_start_ms = w->spawn_ms;
	l.request_id = rid ? rid : w->inv ? w->inv->rid : "";
	l.text = text;
	l.len = len;
	l.ts_ms = time_now_ms();
	l.platform = platform;
	p->obs.line(p->obs.arg, &l);
}

/* Hand every complete line of the buffer over, copying them to the log in one write. */
static void flush_lines(struct worker *w, bool all)
{
	struct buf *b = &w->out_buf;
	size_t start = 0, end = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->ptr[i] != '\n')
			continue;
		emit(w, b->ptr + start, i - start, false, NULL);
		start = end = i + 1;
	}
	if ((all || b->len >= POOL_LINE_MAX) && start < b->len) {
		emit(w, b->ptr + start, b->len - start, false, NULL);
		end = b->len;
	}
	if (end) {
		pool_log_add(w->pool, b->ptr, end);
		if (end == b->len && b->ptr[end - 1] != '\n')
			pool_log_add(w->pool, "\n", 1);
		memmove(b->ptr, b->ptr + end, b->len - end);
		buf_truncate(b, b->len - end);
	}
}

/* Read what is there; false at the end of the pipe (the worker closed it). */
static bool read_some(struct worker *w)
{
	char chunk[POOL_READ_SIZE];

	for (;;) {
		ssize_t n = read(w->out_rd, chunk, sizeof(chunk));

		for (size_t off = 0; n > 0 && off < (size_t)n;) {
			size_t take = MIN((size_t)n - off,
					  POOL_LINE_MAX + POOL_READ_SIZE - w->out_buf.len);

			if (buf_add(&w->out_buf, chunk + off, take))
				return true;
			off += take;
			flush_lines(w, false); /* leaves less than POOL_LINE_MAX */
		}
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	if (!read_some(w))
		pool_output_close(w);
}

int pool_output_open(struct worker *w)
{
	int fds[2];

	w->out_rd = w->out_wr = -1;
	w->serial = ++worker_serial;
	w->spawn_ms = time_now_ms();
	buf_init(&w->out_buf, POOL_LINE_MAX + POOL_READ_SIZE);
	if (!w->pool->obs.line)
		return 0;
	if (pipe2(fds, O_CLOEXEC))
		return ERR_IO;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	w->out_rd = fds[0];
	w->out_wr = fds[1];
	return 0;
}

void pool_output_started(struct worker *w)
{
	if (w->out_wr >= 0) {
		close(w->out_wr);
		w->out_wr = -1;
	}
	if (w->out_rd < 0)
		return;
	w->out_ev = event_new(w->pool->base, w->out_rd, EV_READ | EV_PERSIST, on_readable, w);
	if (!w->out_ev || event_add(w->out_ev, NULL)) {
		/* Without the event the pipe would fill and block the worker: read it at results.
		 */
		if (w->out_ev)
			event_free(w->out_ev);
		w->out_ev = NULL;
	}
}

void pool_output_drain(struct worker *w)
{
	if (w->out_rd >= 0 && !read_some(w))
		pool_output_close(w);
}

void pool_output_close(struct worker *w)
{
	if (w->out_wr >= 0)
		close(w->out_wr);
	w->out_wr = -1;
	if (w->out_rd >= 0) {
		read_some(w);
		flush_lines(w, true);
		if (w->out_ev)
			event_free(w->out_ev);
		close(w->out_rd);
	}
	w->out_ev = NULL;
	w->out_rd = -1;
	buf_release(&w->out_buf);
}

/* Each '\n'-separated line of `b` to the observer, as the pool's own. */
static void emit_lines(struct worker *w, const struct buf *b, const char *rid)
{
	size_t start = 0;

	for (size_t i = 0; i <= b->len; i++)
		if (i == b->len || b->ptr[i] == '\n') {
			emit(w, b->ptr + start, i - start, true, rid);
			start = i + 1;
		}
}

void pool_platform_line(struct pool *p, struct worker *w, const char *rid, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, POOL_LINE_MAX);
	va_start(ap, fmt);
	buf_set_error(&b, buf_vaddf(&b, fmt, ap));
	va_end(ap);
	if (!buf_error(&b)) {
		pool_log_flush(p);
		report_line(p->log, "%s", b.ptr);
		if (w)
			emit_lines(w, &b, rid);
	}
	buf_release(&b);
}

void pool_observe_start(struct worker *w, struct inv *inv)
{
	struct pool *p = w->pool;
	struct buf b;

	if (p->obs.line) {
		buf_init(&b, POOL_LINE_MAX);
		report_start_text(&b, inv->rid);
		if (!buf_error(&b))
			emit_lines(w, &b, inv->rid);
		buf_release(&b);
	}
	if (p->obs.start) {
		struct pool_invocation pi = {p->name, inv->rid, inv->trace,
					     pool_worker_count(p, NULL, W_BUSY), w->pid};

		p->obs.start(p->obs.arg, &pi);
	}
}

void pool_observe_report(struct worker *w, const struct report *r)
{
	struct buf b;

	if (!w->pool->obs.line)
		return;
	buf_init(&b, POOL_LINE_MAX);
	report_end_report_text(&b, r);
	if (!buf_error(&b))
		emit_lines(w, &b, r->request_id);
	buf_release(&b);
}

void pool_observe_done(struct inv *inv, const struct pool_result *res)
{
	struct pool *p = inv->pool;
	struct pool_invocation pi = {p->name, inv->rid, inv->trace,
				     pool_worker_count(p, NULL, W_BUSY), 0};

	if (p->obs.done)
		p->obs.done(p->obs.arg, &pi, res);
}
