/*
 * Unit tests for the framing guard (src/http/guard.c) without sockets: what
 * a connection's reads turn into in the buffer evhttp reads (held heads,
 * bodies flowing through, de-chunked requests, the refusal request), and
 * how the dispatcher recognises a refusal.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>

#include "core/uuid.h"
#include "http/guard.h"

struct fixture {
	struct event_base *base;
	struct http_guard *g;
	struct http_guard_conn *c;
	struct evbuffer *in; /* what evhttp would read */
};

static const char *const keep[] = {"X-Amz-Target", NULL};

static void handler(struct evhttp_request *req, void *arg)
{
}

static void refuse(struct evhttp_request *req, const struct http_guard_refusal *r, void *arg)
{
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct http_guard_config cfg = {
		.limits = {.head_max = 200, .head_raw_max = 400, .body_max = 32},
		.handler = handler,
		.refuse = refuse,
		.keep_fields = keep,
	};

	assert_non_null(f);
	assert_non_null(f->base = event_base_new());
	cfg.base = f->base;
	assert_int_equal(http_guard_new(&cfg, &f->g), 0);
	assert_int_equal(http_guard_conn_new(f->g, &f->c), 0);
	assert_non_null(f->in = evbuffer_new());
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	evbuffer_free(f->in);
	http_guard_conn_free(f->c);
	http_guard_free(f->g);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* One read of `s`. */
static void read_bytes(struct fixture *f, const char *s, size_t n)
{
	evbuffer_add(f->in, s, n);
	http_guard_conn_input(f->c, f->in, n);
}

static void read_str(struct fixture *f, const char *s)
{
	read_bytes(f, s, strlen(s));
}

/* What evhttp would read now, as a string (the buffer is left as it is). */
static const char *seen(struct fixture *f)
{
	static char out[4096];
	size_t n = evbuffer_copyout(f->in, out, sizeof(out) - 1);

	out[n] = '\0';
	return out;
}

static void test_head_held_until_complete(void **state)
{
	struct fixture *f = *state;

	read_str(f, "GET /a HTTP/1.1\r\nHo");
	assert_string_equal(seen(f), "");
	read_str(f, "st: x\r\n\r\nGET /b HT");
	assert_string_equal(seen(f), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	read_str(f, "TP/1.1\r\n\r\n");
	assert_string_equal(seen(f), "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	assert_false(http_guard_conn_refused(f->c));
}

/* A Content-Length body is passed as it comes; bytes evhttp has not read stay first. */
static void test_length_body_flows(void **state)
{
	struct fixture *f = *state;

	evbuffer_add(f->in, "left", 4);
	read_str(f, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123");
	assert_string_equal(seen(f), "leftPOST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123");
	read_str(f, "456789GET");
	assert_string_equal(seen(f), "leftPOST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
}

#define CHUNKED_IN                                                      \
	"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n" \
	"X: y\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\n\r\n"
#define CHUNKED_OUT                                                                    \
	"POST /x HTTP/1.1\r\nHost: a\r\nX: y\r\nContent-Length: 11\r\n\r\nhello world" \
	"GET / HTTP/1.1\r\n\r\n"

/* A chunked request is released whole, framed by Content-Length. */
static void test_dechunked(void **state)
{
	struct fixture *f = *state;
	const char *in = CHUNKED_IN;

	read_bytes(f, in, 60);
	assert_string_equal(seen(f), "");
	read_str(f, in + 60);
	assert_string_equal(seen(f), CHUNKED_OUT);
}

static void test_dechunked_byte_by_byte(void **state)
{
	struct fixture *f = *state;
	const char *in = CHUNKED_IN;

	for (size_t i = 0; in[i]; i++)
		read_bytes(f, in + i, 1);
	assert_string_equal(seen(f), CHUNKED_OUT);
}

/* The marker's value, from the refusal request in `f->in`, into `out`. */
static void marker_value(struct fixture *f, char *out, size_t cap)
{
	const char *s = seen(f), *m = strstr(s, "X-Sluice-Guard: "), *e;

	assert_non_null(m);
	m += strlen("X-Sluice-Guard: ");
	e = strstr(m, "\r\n");
	assert_non_null(e);
	snprintf(out, cap, "%.*s", (int)(e - m), m);
}

static void test_refusal_request(void **state)
{
	struct fixture *f = *state;
	char value[256], expect[64];
	const char *s;

	read_str(f, "GET /ok HTTP/1.1\r\n\r\nPOST /m?x=1 HTTP/1.1\r\nX-Amz-Target:  T.Op \r\n"
		    "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
	assert_true(http_guard_conn_refused(f->c));
	s = seen(f);
	assert_true(!strncmp(
		s, "GET /ok HTTP/1.1\r\n\r\nGET /m?x=1 HTTP/1.1\r\nX-Sluice-Guard: ",
		strlen("GET /ok HTTP/1.1\r\n\r\nGET /m?x=1 HTTP/1.1\r\nX-Sluice-Guard: ")));
	assert_non_null(strstr(s, "\r\nX-Amz-Target: T.Op\r\nContent-Length: 0\r\n"
				  "Connection: close\r\n\r\n"));
	marker_value(f, value, sizeof(value));
	snprintf(expect, sizeof(expect), " %d POST", (int)HTTP_REASON_CL_REPEATED);
	assert_string_equal(value + UUID_STR_LEN, expect);

	/* Everything after a refusal is dropped. */
	read_str(f, "GET /later HTTP/1.1\r\n\r\n");
	assert_null(strstr(seen(f), "/later"));
}

/* A refusal before the request line is read: "/" and no method. */
static void test_refusal_without_request_line(void **state)
{
	struct fixture *f = *state;
	char value[256], expect[64];

	read_str(f, "\r\nGET / HTTP/1.1\r\n\r\n");
	assert_true(!strncmp(seen(f), "GET / HTTP/1.1\r\nX-Sluice-Guard: ", 32));
	marker_value(f, value, sizeof(value));
	snprintf(expect, sizeof(expect), " %d ", (int)HTTP_REASON_REQUEST_LINE);
	assert_string_equal(value + UUID_STR_LEN, expect);
}

/* A head past the cap is refused in the read that passes it: nothing of it reaches evhttp. */
static void test_head_too_large(void **state)
{
	struct fixture *f = *state;
	char piece[60];

	/* 17 bytes of request line and 3 x 60 of values fit in 200; a fourth value does not. */
	read_str(f, "GET /big HTTP/1.1\r\n");
	memset(piece, 'a', sizeof(piece));
	for (int i = 0; i < 3; i++) {
		read_str(f, "A: ");
		read_bytes(f, piece, sizeof(piece));
		read_str(f, "\r\n");
	}
	assert_string_equal(seen(f), "");
	read_str(f, "A: ");
	read_bytes(f, piece, sizeof(piece));
	assert_true(http_guard_conn_refused(f->c));
	assert_true(!strncmp(seen(f), "GET /big HTTP/1.1\r\nX-Sluice-Guard: ", 35));
	assert_true(evbuffer_get_length(f->in) < 200);
}

/* A declared body past the cap is refused at the end of the head, before the body. */
static void test_body_too_large_at_once(void **state)
{
	struct fixture *f = *state;
	char value[256], expect[64];

	read_str(f, "PUT /o HTTP/1.1\r\nContent-Length: 33\r\n\r\n");
	assert_true(http_guard_conn_refused(f->c));
	marker_value(f, value, sizeof(value));
	snprintf(expect, sizeof(expect), " %d PUT", (int)HTTP_REASON_BODY_SIZE);
	assert_string_equal(value + UUID_STR_LEN, expect);
}

/* A target evhttp might not parse is not carried over. */
static void test_refusal_target_plain(void **state)
{
	struct fixture *f = *state;

	read_str(f, "GET http://h/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n");
	assert_true(!strncmp(seen(f), "GET / HTTP/1.1\r\n", 16));
}

static struct evhttp_request *request_with(const char *k1, const char *v1, const char *k2,
					   const char *v2)
{
	struct evhttp_request *req = evhttp_request_new(NULL, NULL);

	assert_non_null(req);
	evhttp_add_header(evhttp_request_get_input_headers(req), k1, v1);
	if (k2)
		evhttp_add_header(evhttp_request_get_input_headers(req), k2, v2);
	return req;
}

static void test_refusal_of(void **state)
{
	struct fixture *f = *state;
	struct http_guard_refusal r;
	struct evhttp_request *req;
	char value[256], forged[256];

	read_str(f, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
	marker_value(f, value, sizeof(value));

	req = request_with("x-sluice-guard", value, NULL, NULL);
	assert_true(http_guard_refusal_of(f->g, req, &r));
	assert_int_equal(r.reason, HTTP_REASON_TE_UNSUPPORTED);
	assert_int_equal(r.kind, HTTP_REFUSAL_NOT_IMPLEMENTED);
	assert_int_equal(r.status, 501);
	assert_string_equal(r.method, "POST");
	assert_int_equal(r.head_max, 200);
	assert_int_equal(r.body_max, 32);
	evhttp_request_free(req);

	/* Without a method, as evhttp hands the value over (trailing space trimmed). */
	snprintf(forged, sizeof(forged), "%.*s %d", UUID_STR_LEN, value, (int)HTTP_REASON_FIELD);
	req = request_with("X-Sluice-Guard", forged, NULL, NULL);
	assert_true(http_guard_refusal_of(f->g, req, &r));
	assert_int_equal(r.reason, HTTP_REASON_FIELD);
	assert_string_equal(r.method, "");
	evhttp_request_free(req);

	/* Not first, a wrong token, a bad reason: an ordinary request. */
	req = request_with("Host", "x", "X-Sluice-Guard", value);
	assert_false(http_guard_refusal_of(f->g, req, &r));
	evhttp_request_free(req);
	snprintf(forged, sizeof(forged), "%s", value);
	forged[0] = forged[0] == '0' ? '1' : '0';
	req = request_with("X-Sluice-Guard", forged, NULL, NULL);
	assert_false(http_guard_refusal_of(f->g, req, &r));
	evhttp_request_free(req);
	snprintf(forged, sizeof(forged), "%.*s 999 GET", UUID_STR_LEN, value);
	req = request_with("X-Sluice-Guard", forged, NULL, NULL);
	assert_false(http_guard_refusal_of(f->g, req, &r));
	evhttp_request_free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_head_held_until_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_length_body_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dechunked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dechunked_byte_by_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_without_request_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_too_large_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_target_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_of, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
