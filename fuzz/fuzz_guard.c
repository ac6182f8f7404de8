/*
 * Fuzzes the framing guard's transformation of a connection's bytes
 * (src/http/guard.c): the input after the first byte arrives in reads of
 * 1 + data[0] % 13 bytes on one connection and whole on another; what evhttp
 * would read must be the same both ways, and must be well framed with no
 * chunked body left (a refusal request, when there is one, comes last).
 */
#include "core/common.h"

#include <event2/buffer.h>
#include <event2/event.h>

#include "http/guard.h"

static const struct http_framing_limits lim = {
	.head_max = 256, .head_raw_max = 512, .body_max = 64};

static void nop(struct evhttp_request *req, void *arg)
{
}

static void nop_refuse(struct evhttp_request *req, const struct http_guard_refusal *r, void *arg)
{
}

static struct evbuffer *run(struct http_guard *g, const uint8_t *in, size_t len, size_t step,
			    bool *refused)
{
	struct http_guard_conn *c;
	struct evbuffer *out = evbuffer_new();

	if (!out || http_guard_conn_new(g, &c))
		abort();
	for (size_t at = 0, n; at < len; at += n) {
		n = MIN(step, len - at);
		evbuffer_add(out, in + at, n);
		http_guard_conn_input(c, out, n);
	}
	*refused = http_guard_conn_refused(c);
	http_guard_conn_free(c);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	static struct http_guard *g;
	struct http_guard_config cfg = {.limits = lim, .handler = nop, .refuse = nop_refuse};
	struct http_framing f;
	struct http_framing_limits roomy = {4096, 4096, 64};

	if (!base && (!(base = event_base_new()) || (cfg.base = base, http_guard_new(&cfg, &g))))
		abort();
	if (size < 1)
		return 0;
	bool refused, refused_b;
	struct evbuffer *a = run(g, data + 1, size - 1, 1 + data[0] % 13, &refused);
	struct evbuffer *b = run(g, data + 1, size - 1, size, &refused_b);
	size_t len = evbuffer_get_length(a);
	const char *p = (const char *)evbuffer_pullup(a, -1),
		   *q = (const char *)evbuffer_pullup(b, -1);
	if (refused != refused_b || len != evbuffer_get_length(b) || (len && memcmp(p, q, len)))
		abort();
	http_framing_init(&f, &roomy);
	size_t at = 0, start = 0;
	while (at < len) {
		ssize_t n = http_framing_feed(&f, p + at, len - at);
		if (n <= 0 || (f.head_done && f.body == HTTP_BODY_CHUNKED))
			abort();
		at += (size_t)n;
		if (f.message_done && at < len)
			start = at;
	}
	/* A refusal request is the whole last message: GET, then the marker first. */
	const char *nl = len ? memchr(p + start, '\n', len - start) : NULL;
	if (refused && (!nl || !f.message_done || memcmp(p + start, "GET ", 4) ||
			(size_t)(p + len - nl) < 17 || memcmp(nl + 1, "X-Sluice-Guard: ", 16)))
		abort();
	evbuffer_free(a);
	evbuffer_free(b);
	return 0;
}
