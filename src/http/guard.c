/*
 * The framing guard (guard.h): per connection, an input-buffer callback
 * that routes each run http_framing_feed() returns; per server, evhttp's
 * bufferevent callback, the dispatcher that tells refusals from requests,
 * and the lingering close of refused connections.
 *
 * A connection's state must be freed when evhttp frees the connection, and
 * evhttp 2.1 tells only through the connection's close callback, which
 * needs the evhttp_connection the bufferevent callback is not given. So a
 * new connection is queued and registered by an event activated from the
 * bufferevent callback: it runs in the same loop turn, once evhttp has set
 * the connection up and before any of its reads, and finds the connection
 * as the bufferevent's callback argument (every bufferevent_setcb() of
 * evhttp's http.c passes it). A reference on the bufferevent keeps it valid
 * until then, even if evhttp dropped the connection meanwhile.
 */
#include "core/common.h"

#include "http/guard.h"

#include <malloc.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "core/uuid.h"

#define MARKER "X-Sluice-Guard"
/* The interim answer a held chunked request with Expect: 100-continue gets. */
#define CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

enum mode {
	M_PASS,	   /* between requests, or a Content-Length body flowing through */
	M_HEAD,	   /* a head being read, held */
	M_CHUNKED, /* a chunked request being read, held */
	M_REFUSED, /* every later byte is dropped */
	M_LINGER,  /* evhttp is done with the connection; dropping until EOF or timeout */
};

struct http_guard {
	struct http_guard_config cfg;
	char token[UUID_STR_LEN + 1];
	struct evbuffer *stage; /* the bytes of the read being routed; empty between reads */
	struct evbuffer *front; /* scratch: the bytes before them */
	struct event *register_ev;
	struct event *trim_ev;
	size_t live;			   /* connections, for the trim when the last one ends */
	struct http_guard_conn *pending;   /* waiting for their evhttp_connection */
	struct http_guard_conn *lingering; /* after a refusal, evhttp done with them */
};

struct http_guard_conn {
	struct http_guard *g;
	struct bufferevent *bev; /* NULL without a socket */
	struct evbuffer_cb_entry *cb;
	struct http_framing fr;
	struct evbuffer *hold; /* the current request's head (M_HEAD, M_CHUNKED) */
	struct evbuffer *body; /* a chunked request's payload */
	size_t held;	       /* bytes in `hold` */
	size_t pass; /* bytes at the front of the stage decided for evhttp, not moved yet */
	enum mode mode;
	bool in_cb;
	bool large; /* carried a body of HTTP_GUARD_TRIM_BYTES or more */
	struct event *linger_ev;
	struct http_guard_conn *next; /* in g->pending or g->lingering */
};

/* ---- connections ---- */

int http_guard_conn_new(struct http_guard *g, struct http_guard_conn **out)
{
	struct http_guard_conn *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return ERR_NOMEM;
	c->g = g;
	g->live++;
	c->hold = evbuffer_new();
	c->body = evbuffer_new();
	if (!c->hold || !c->body) {
		http_guard_conn_free(c);
		return ERR_NOMEM;
	}
	http_framing_init(&c->fr, &g->cfg.limits);
	*out = c;
	return 0;
}

void http_guard_conn_free(struct http_guard_conn *c)
{
	if (!c)
		return;
	c->g->live--;
	if (c->linger_ev)
		event_free(c->linger_ev);
	if (c->hold)
		evbuffer_free(c->hold);
	if (c->body)
		evbuffer_free(c->body);
	free(c);
}

bool http_guard_conn_refused(const struct http_guard_conn *c)
{
	return c->mode == M_REFUSED || c->mode == M_LINGER;
}

/* ---- the refusal request ---- */

/* A target evhttp will parse as a path: "/" and visible ASCII, not too long. */
static bool plain_target(const char *t, size_t len)
{
	if (len == 0 || len > HTTP_GUARD_TARGET_MAX || t[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

static bool kept(const struct http_guard *g, const char *name, size_t len)
{
	for (const char *const *k = g->cfg.keep_fields; k && *k; k++)
		if (strlen(*k) == len && !strncasecmp(*k, name, len))
			return true;
	return false;
}

/*
 * The fields of `head` (the request's first `len` accepted bytes, as read:
 * complete lines are well formed) named in keep_fields, into `out`.
 */
static void add_kept_fields(const struct http_guard *g, const char *head, size_t len,
			    struct evbuffer *out)
{
	const char *p = memchr(head, '\n', len), *end = head + len;

	while (p && ++p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *e;
		if (!nl || nl == p || (nl == p + 1 && *p == '\r'))
			break; /* an incomplete line or the blank line */
		colon = memchr(p, ':', (size_t)(nl - p));
		e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (colon && kept(g, p, (size_t)(colon - p))) {
			for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
				;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e - v <= HTTP_GUARD_FIELD_MAX)
				evbuffer_add_printf(out, "%.*s: %.*s\r\n", (int)(colon - p), p,
						    (int)(e - v), v);
		}
		p = nl;
	}
}

/*
 * Replace the refused request with the guard's own: the request line and
 * fields come from `head`, the bytes of the request accepted before the
 * refusal.
 */
static void add_refusal_request(struct http_guard_conn *c, const char *head, size_t len,
				struct evbuffer *out)
{
	const struct http_framing *f = &c->fr;
	struct str target = STR_LIT("/"), method = STR_LIT("");
	bool line = head && f->line_done; /* the request line is in `head` */

	if (line && f->target.off + f->target.len <= len &&
	    plain_target(head + f->target.off, f->target.len))
		target = str_make(head + f->target.off, f->target.len);
	if (line && f->method.len <= MIN(len, 16))
		method = str_make(head, f->method.len);
	evbuffer_add_printf(out, "GET %.*s HTTP/1.1\r\n" MARKER ": %s %d %.*s\r\n", STR_FMT(target),
			    c->g->token, (int)f->reason, STR_FMT(method));
	if (line && len)
		add_kept_fields(c->g, head, len, out);
	evbuffer_add_printf(out, "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

/*
 * Move the bytes decided for evhttp to `input`. They are moved together, as
 * late as possible: a read of whole requests is then one chain move, not a
 * copy of each head.
 */
static void flush_pass(struct http_guard_conn *c, struct evbuffer *input)
{
	if (c->pass)
		evbuffer_remove_buffer(c->g->stage, input, c->pass);
	c->pass = 0;
}

/* The request being read is refused: what it sent so far is dropped. */
static void refuse(struct http_guard_conn *c, struct evbuffer *input)
{
	struct evbuffer *stage = c->g->stage;
	const char *head;
	size_t len;

	flush_pass(c, input);
	/* The head's bytes accepted in this read are still in the stage. */
	if (c->mode != M_CHUNKED && c->fr.pos > c->held)
		evbuffer_remove_buffer(stage, c->hold, (size_t)(c->fr.pos - c->held));
	len = evbuffer_get_length(c->hold);
	head = len ? (const char *)evbuffer_pullup(c->hold, -1) : NULL;
	add_refusal_request(c, head, head ? len : 0, input);
	evbuffer_drain(c->hold, len);
	evbuffer_drain(c->body, evbuffer_get_length(c->body));
	evbuffer_drain(stage, evbuffer_get_length(stage));
	c->held = 0;
	c->mode = M_REFUSED;
}

/* ---- routing what the reader returns ---- */

/*
 * A chunked request is read whole: release its head without the
 * Transfer-Encoding lines and with a Content-Length, then its payload.
 */
static void release_dechunked(struct http_guard_conn *c, struct evbuffer *input)
{
	const struct http_framing *f = &c->fr;
	size_t at = 0;

	for (size_t i = 0; i < f->n_te; i++) {
		evbuffer_remove_buffer(c->hold, input, f->te[i].off - at);
		evbuffer_drain(c->hold, f->te[i].len);
		at = f->te[i].off + f->te[i].len;
	}
	evbuffer_remove_buffer(c->hold, input, f->head_len - f->head_end_len - at);
	evbuffer_drain(c->hold, evbuffer_get_length(c->hold));
	evbuffer_add_printf(input, "Content-Length: %" PRIu64 "\r\n\r\n", f->decoded);
	evbuffer_add_buffer(input, c->body);
	c->held = 0;
	c->mode = M_PASS;
}

/*
 * A held chunked request asks for 100-continue: evhttp, which sees it only
 * whole, cannot. Say it when nothing of evhttp's is waiting to be sent
 * (so the interim answer cannot land inside one of its answers); else the
 * client sends the body after its own timeout (curl's is one second).
 */
static void send_continue(struct http_guard_conn *c)
{
	evutil_socket_t fd = c->bev ? bufferevent_getfd(c->bev) : -1;

	if (fd >= 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		(void)send(fd, CONTINUE, sizeof(CONTINUE) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void route_head(struct http_guard_conn *c, struct evbuffer *input, size_t n)
{
	const struct http_framing *f = &c->fr;
	struct evbuffer *stage = c->g->stage;

	if (c->mode == M_PASS && f->head_done && f->body != HTTP_BODY_CHUNKED) {
		c->pass += n; /* a whole head in one read: straight through */
		return;
	}
	flush_pass(c, input);
	evbuffer_remove_buffer(stage, c->hold, n);
	c->held += n;
	c->mode = M_HEAD;
	if (!f->head_done)
		return;
	if (f->body == HTTP_BODY_CHUNKED) {
		c->mode = M_CHUNKED;
		if (f->expect_continue)
			send_continue(c);
		return;
	}
	evbuffer_add_buffer(input, c->hold);
	c->held = 0;
	c->mode = M_PASS;
}

/* A head just read: remember a large body, to trim the heap when the connection ends. */
static void note_head(struct http_guard_conn *c)
{
	c->large |= c->fr.head_done && c->fr.content_length >= HTTP_GUARD_TRIM_BYTES;
}

/* Does the run just read go to evhttp as it is (a whole head not chunked, Content-Length payload)?
 */
static bool run_passes(const struct http_guard_conn *c)
{
	const struct http_framing *f = &c->fr;

	return c->mode == M_PASS &&
	       (f->part == HTTP_PART_DATA ||
		(f->part == HTTP_PART_HEAD && f->head_done && f->body != HTTP_BODY_CHUNKED));
}

/* The bytes of `b` from `off` on that are contiguous in memory; false when there are none. */
static bool peek_at(struct evbuffer *b, size_t off, struct evbuffer_iovec *v)
{
	struct evbuffer_ptr at;

	return !evbuffer_ptr_set(b, &at, off, EVBUFFER_PTR_SET) &&
	       evbuffer_peek(b, -1, &at, v, 1) >= 1 && v->iov_len > 0;
}

/* Route `n` bytes of the stage (after those passed), the run the reader just returned. */
static void route(struct http_guard_conn *c, struct evbuffer *input, size_t n)
{
	struct evbuffer *stage = c->g->stage;

	switch (c->fr.part) {
	case HTTP_PART_HEAD:
		route_head(c, input, n);
		note_head(c);
		break;
	case HTTP_PART_DATA:
		if (c->mode != M_CHUNKED) {
			c->pass += n;
			break;
		}
		flush_pass(c, input);
		evbuffer_remove_buffer(stage, c->body, n);
		break;
	case HTTP_PART_FRAMING:
		flush_pass(c, input);
		evbuffer_drain(stage, n);
		break;
	}
	if (c->fr.message_done && c->mode == M_CHUNKED) {
		c->large |= c->fr.decoded >= HTTP_GUARD_TRIM_BYTES;
		release_dechunked(c, input);
	}
}

void http_guard_conn_input(struct http_guard_conn *c, struct evbuffer *input, size_t n_added)
{
	struct evbuffer *stage = c->g->stage, *front = c->g->front;
	size_t total = evbuffer_get_length(input), at;
	struct evbuffer_iovec v;
	ssize_t n = 0;

	n_added = MIN(n_added, total);
	at = total - n_added;
	if (c->mode == M_LINGER || (c->mode == M_REFUSED && at == 0)) {
		evbuffer_drain(input, total);
		return;
	}
	/* While every run goes to evhttp as it is, read the new bytes where they are. */
	while (c->mode == M_PASS && at < total && peek_at(input, at, &v)) {
		n = http_framing_feed(&c->fr, v.iov_base, v.iov_len);
		if (n <= 0 || !run_passes(c))
			break;
		note_head(c);
		at += (size_t)n;
		n = 0;
	}
	if (at == total)
		return;
	/*
	 * The rest is held or dropped: take it off the end (only chains move, and
	 * the part of one at the cut) and route it from the stage, starting with
	 * the run just read, if any.
	 */
	if (at)
		evbuffer_remove_buffer(input, front, at);
	evbuffer_add_buffer(stage, input);
	if (at)
		evbuffer_add_buffer(input, front);
	if (n < 0)
		refuse(c, input);
	else if (n > 0)
		route(c, input, (size_t)n);
	while (c->mode != M_REFUSED && evbuffer_get_length(stage) > c->pass &&
	       peek_at(stage, c->pass, &v)) {
		n = http_framing_feed(&c->fr, v.iov_base, v.iov_len);
		if (n < 0)
			refuse(c, input);
		else if (n > 0)
			route(c, input, (size_t)n);
		else
			break;
	}
	flush_pass(c, input);
	evbuffer_drain(stage, evbuffer_get_length(stage));
}

/* ---- refusals, as the dispatcher sees them ---- */

bool http_guard_refusal_of(const struct http_guard *g, struct evhttp_request *req,
			   struct http_guard_refusal *r)
{
	const struct evkeyval *first = TAILQ_FIRST(evhttp_request_get_input_headers(req));
	const char *v;
	int reason = 0;

	/* The guard writes its marker first: one look decides for every request. */
	if (!first || strcasecmp(first->key, MARKER))
		return false;
	v = first->value;
	if (strncmp(v, g->token, UUID_STR_LEN) || v[UUID_STR_LEN] != ' ')
		return false;
	for (v += UUID_STR_LEN + 1; *v >= '0' && *v <= '9' && reason < HTTP_REASON_COUNT_; v++)
		reason = reason * 10 + (*v - '0');
	/* evhttp trims a value's trailing space: without a method the reason ends it. */
	if (reason <= HTTP_REASON_NONE || reason >= HTTP_REASON_COUNT_ || (*v != ' ' && *v))
		return false;
	r->reason = (enum http_framing_reason)reason;
	r->kind = http_framing_reason_refusal(r->reason);
	r->status = http_refusal_status(r->kind);
	r->method = *v ? v + 1 : "";
	r->head_max = g->cfg.limits.head_max;
	r->body_max = g->cfg.limits.body_max;
	return true;
}

static void dispatch(struct evhttp_request *req, void *arg)
{
	struct http_guard *g = arg;
	struct http_guard_refusal r;

	if (http_guard_refusal_of(g, req, &r))
		g->cfg.refuse(req, &r, g->cfg.arg);
	else
		g->cfg.handler(req, g->cfg.arg);
}

/* ---- connections on a socket ---- */

static void unlink_from(struct http_guard_conn **list, struct http_guard_conn *c)
{
	for (struct http_guard_conn **p = list; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			c->next = NULL;
			return;
		}
	}
}

static void on_input(struct evbuffer *input, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_guard_conn *c = arg;

	/* Our own changes to `input` call us again: they are not new bytes. */
	if (c->in_cb || info->n_added == 0)
		return;
	c->in_cb = true;
	http_guard_conn_input(c, input, info->n_added);
	c->in_cb = false;
}

/*
 * Give the heap back to the system once a connection that carried a large
 * body is gone, and once the server has had no connection for
 * HTTP_GUARD_IDLE_TRIM_MS. glibc keeps freed memory for reuse, and after one
 * large buffer its mmap threshold rises, so the next ones come from the
 * heap too: four 10 MiB bodies in parallel left sluice 15 MiB larger for
 * good; and after a load test the freed pages of its requests stay in the
 * heap's free lists. malloc_trim() returns the free pages; it runs from a
 * timer, after evhttp and libevent's finalizers have freed the connection's
 * buffers.
 */
static void trim(evutil_socket_t fd, short what, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Stop watching the bufferevent and free the state; the caller drops its reference, if any. */
static void conn_detach_free(struct http_guard_conn *c)
{
	struct timeval now = {0, 0}, idle = time_tv_ms(HTTP_GUARD_IDLE_TRIM_MS);

	if (c->large)
		evtimer_add(c->g->trim_ev, &now);
	else if (c->g->live == 1) /* the last one, freed below */
		evtimer_add(c->g->trim_ev, &idle);
	if (c->bev && c->cb)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->cb);
	http_guard_conn_free(c);
}

static void linger_end(struct http_guard_conn *c)
{
	struct bufferevent *bev = c->bev;

	unlink_from(&c->g->lingering, c);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	conn_detach_free(c);
	bufferevent_decref(bev); /* the last reference: the socket closes */
}

static void linger_event(struct bufferevent *bev, short what, void *arg)
{
	linger_end(arg); /* EOF, an error, or the idle timeout */
}

static void linger_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_guard_conn *c = arg;
	struct timeval idle = {HTTP_GUARD_LINGER_IDLE_S, 0}, total = {HTTP_GUARD_LINGER_S, 0};

	if (c->mode == M_LINGER) {
		linger_end(c); /* the whole lingering time is up */
		return;
	}
	/* evhttp has let go of the bufferevent: read and drop until EOF or a timeout. */
	c->mode = M_LINGER;
	bufferevent_setcb(c->bev, NULL, NULL, linger_event, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_disable(c->bev, EV_WRITE);
	if (bufferevent_enable(c->bev, EV_READ) || evtimer_add(c->linger_ev, &total))
		linger_end(c);
	else
		evbuffer_drain(bufferevent_get_input(c->bev),
			       evbuffer_get_length(bufferevent_get_input(c->bev)));
}

/*
 * evhttp is freeing the connection (its close callback). A refused one
 * lingers: a reference keeps the socket open past evhttp's
 * bufferevent_free(), and the timer takes over once evhttp has returned.
 */
static void on_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_guard_conn *c = arg;
	struct timeval now = {0, 0};

	if (c->mode == M_REFUSED && bufferevent_getfd(c->bev) >= 0 &&
	    (c->linger_ev = evtimer_new(c->g->cfg.base, linger_timer, c)) &&
	    !evtimer_add(c->linger_ev, &now)) {
		bufferevent_incref(c->bev);
		c->next = c->g->lingering;
		c->g->lingering = c;
		return;
	}
	conn_detach_free(c);
}

/* Give each new connection's state to its evhttp_connection (see the top of the file). */
static void register_pending(evutil_socket_t fd, short what, void *arg)
{
	struct http_guard *g = arg;
	struct http_guard_conn *c;

	while ((c = g->pending)) {
		struct bufferevent *bev = c->bev;
		void *evcon = NULL;

		g->pending = c->next;
		c->next = NULL;
		bufferevent_getcb(bev, NULL, NULL, NULL, &evcon);
		if (evcon && evhttp_connection_get_bufferevent(evcon) == bev)
			evhttp_connection_set_closecb(evcon, on_closed, c);
		else
			conn_detach_free(c); /* evhttp dropped it while setting it up */
		bufferevent_decref(bev);
	}
}

static struct bufferevent *new_bufferevent(struct event_base *base, void *arg)
{
	struct http_guard *g = arg;
	/* CLOSE_ON_FREE: evhttp then shuts the socket down but leaves closing it to the
	 * bufferevent, which lets a refused connection linger. */
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct http_guard_conn *c = NULL;

	if (!bev || http_guard_conn_new(g, &c) ||
	    !(c->cb = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c))) {
		log_msg(LVL_ERROR, "http guard: out of memory; a connection goes unguarded");
		http_guard_conn_free(c);
		if (bev)
			bufferevent_free(bev);
		return NULL;
	}
	c->bev = bev;
	bufferevent_incref(bev);
	c->next = g->pending;
	g->pending = c;
	event_active(g->register_ev, EV_TIMEOUT, 1);
	return bev;
}

/* ---- the guard ---- */

int http_guard_new(const struct http_guard_config *cfg, struct http_guard **out)
{
	struct http_guard *g;

	if (!out)
		return ERR_INVAL;
	*out = NULL;
	if (!cfg || !cfg->base || !cfg->handler || !cfg->refuse)
		return ERR_INVAL;
	if (!(g = calloc(1, sizeof(*g))))
		return ERR_NOMEM;
	g->cfg = *cfg;
	if (uuid_v4(g->token)) {
		free(g);
		return ERR_IO;
	}
	g->stage = evbuffer_new();
	g->front = evbuffer_new();
	g->register_ev = event_new(cfg->base, -1, 0, register_pending, g);
	g->trim_ev = evtimer_new(cfg->base, trim, g);
	if (!g->stage || !g->front || !g->register_ev || !g->trim_ev) {
		http_guard_free(g);
		return ERR_NOMEM;
	}
	*out = g;
	return 0;
}

void http_guard_attach(struct http_guard *g, struct evhttp *http)
{
	const struct http_framing_limits *l = &g->cfg.limits;

	evhttp_set_bevcb(http, new_bufferevent, g);
	evhttp_set_gencb(http, dispatch, g);
	/*
	 * Backstops that never answer first: evhttp counts less of a head than the
	 * guard does (no line ends), and a de-chunked head trades its
	 * Transfer-Encoding line for a Content-Length line of about the same size.
	 */
	evhttp_set_max_headers_size(
		http, (ev_ssize_t)MIN(l->head_raw_max, (size_t)EV_SSIZE_MAX / 2) + 64);
	evhttp_set_max_body_size(http, (ev_ssize_t)MIN(l->body_max, (uint64_t)EV_SSIZE_MAX));
}

void http_guard_free(struct http_guard *g)
{
	if (!g)
		return;
	/* evhttp_free() has run: pending ones were dropped by it, lingering ones are ours. */
	register_pending(-1, 0, g);
	for (struct http_guard_conn *c = g->lingering, *next; c; c = next) {
		next = c->next;
		linger_end(c);
	}
	if (g->register_ev)
		event_free(g->register_ev);
	if (g->trim_ev)
		event_free(g->trim_ev);
	if (g->stage)
		evbuffer_free(g->stage);
	if (g->front)
		evbuffer_free(g->front);
	free(g);
}
