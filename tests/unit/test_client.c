/*
 * http/client.c against a scripted server thread on 127.0.0.1: status and
 * header lookup, keep-alive, body caps, deadlines, transport errors, and
 * what goes on the wire (no Expect, no form Content-Type).
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "http/client.h"
#include "script_server.h"

#define HANG SCRIPT_HANG /* a scripted answer that never comes */

static void url(char *out, size_t size, const struct script_server *s, const char *path)
{
	snprintf(out, size, "http://127.0.0.1:%u%s", (unsigned)s->port, path);
}

static void test_status_headers_keepalive(void **state)
{
	static const char *const script[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amz-Request-Id: ABC\r\n"
		"ETag: \"e1\"\r\n\r\nhello",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n<Error/>\n",
	};
	struct script_server s;
	struct http_client *c;
	struct http_response r;
	char u[64];

	script_server_start(&s, script, ARRAY_SIZE(script));
	url(u, sizeof(u), &s, "/a/./b/../c");
	assert_int_equal(http_client_new(&c), 0);
	http_response_init(&r);
	struct http_request req = {.method = "GET", .url = u, .max_body = 100};
	assert_int_equal(http_client_do(c, &req, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 5);
	assert_string_equal(r.body.ptr, "hello");
	assert_string_equal(http_response_header(&r, "x-amz-request-id"), "ABC");
	assert_string_equal(http_response_header(&r, "ETAG"), "\"e1\"");
	assert_null(http_response_header(&r, "X-Missing"));
	/* Dot segments reach the server untouched. */
	assert_non_null(strstr(s.last_head, "GET /a/./b/../c HTTP/1.1\r\n"));

	assert_int_equal(http_client_do(c, &req, &r), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body.ptr, "<Error/>\n");
	assert_string_equal(http_client_last_error(c), "");
	assert_int_equal(s.accepts, 1); /* one connection for both */

	http_response_release(&r);
	http_client_free(c);
	script_server_stop(&s);
}

static void test_put_wire_format(void **state)
{
	static const char *const script[] = {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
					     "HTTP/1.1 204 No Content\r\n\r\n"};
	struct script_server s;
	struct http_client *c;
	struct http_response r;
	char u[64];
	size_t n = 2u << 20;
	char *body = malloc(n);
	const struct http_header h[] = {{"x-amz-meta-empty", ""}, {"X-Test", "v"}};

	assert_non_null(body);
	memset(body, 'x', n);
	script_server_start(&s, script, ARRAY_SIZE(script));
	url(u, sizeof(u), &s, "/obj");
	assert_int_equal(http_client_new(&c), 0);
	http_response_init(&r);
	struct http_request req = {.method = "PUT",
				   .url = u,
				   .headers = h,
				   .n_headers = 2,
				   .body = body,
				   .body_len = n,
				   .max_body = 100};
	assert_int_equal(http_client_do(c, &req, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(s.last_body_len, n);
	assert_non_null(strstr(s.last_head, "PUT /obj HTTP/1.1\r\n"));
	assert_null(strcasestr(s.last_head, "Expect:"));
	assert_null(strcasestr(s.last_head, "Content-Type:"));
	assert_non_null(strstr(s.last_head, "\r\nx-amz-meta-empty:"));
	assert_non_null(strstr(s.last_head, "\r\nX-Test: v\r\n"));

	/* DELETE without a body sends none. */
	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	req.n_headers = 0;
	assert_int_equal(http_client_do(c, &req, &r), 0);
	assert_int_equal(r.status, 204);
	assert_non_null(strstr(s.last_head, "DELETE /obj HTTP/1.1\r\n"));
	assert_int_equal(s.last_body_len, 0);

	free(body);
	http_response_release(&r);
	http_client_free(c);
	script_server_stop(&s);
}

static void test_body_caps(void **state)
{
	static const char *const script[] = {
		/* Announced too large: refused before the body. */
		"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
		/* Chunked, no length: refused while reading. */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello "
		"\r\n5\r\nworld\r\n0\r\n\r\n",
		/* Error answers have their own cap. */
		"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\n\r\nhello world",
	};
	struct script_server s;
	struct http_client *c;
	struct http_response r;
	char u[64];

	script_server_start(&s, script, ARRAY_SIZE(script));
	url(u, sizeof(u), &s, "/");
	assert_int_equal(http_client_new(&c), 0);
	http_response_init(&r);
	struct http_request req = {
		.method = "GET", .url = u, .max_body = 10, .max_error_body = 100};
	assert_int_equal(http_client_do(c, &req, &r), ERR_TOOLARGE);
	assert_int_equal(r.body.len, 0);
	assert_int_equal(http_client_do(c, &req, &r), ERR_TOOLARGE);
	assert_true(r.body.len <= 10);
	assert_int_equal(http_client_do(c, &req, &r), 0);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body.ptr, "hello world");
	http_response_release(&r);
	http_client_free(c);
	script_server_stop(&s);
}

static void test_deadlines_and_transport_errors(void **state)
{
	static const char *const script[] = {HANG};
	struct script_server s;
	struct http_client *c;
	struct http_response r;
	char u[64];
	int64_t start;

	script_server_start(&s, script, ARRAY_SIZE(script));
	url(u, sizeof(u), &s, "/");
	assert_int_equal(http_client_new(&c), 0);
	http_response_init(&r);

	struct http_request past = {
		.method = "GET", .url = u, .max_body = 10, .deadline_ms = time_now_ms() - 1};
	assert_int_equal(http_client_do(c, &past, &r), ERR_TIMEOUT);
	assert_int_equal(s.accepts, 0); /* nothing was sent */

	start = time_now_ms();
	struct http_request hang = {
		.method = "GET", .url = u, .max_body = 10, .deadline_ms = start + 300};
	assert_int_equal(http_client_do(c, &hang, &r), ERR_TIMEOUT);
	assert_true(time_now_ms() - start >= 290);
	assert_true(time_now_ms() - start < 3000);
	assert_int_equal(r.status, 0);
	script_server_stop(&s);

	/* The listener is gone: connection refused. */
	struct http_request refused = {.method = "GET", .url = u, .max_body = 10};
	assert_int_equal(http_client_do(c, &refused, &r), ERR_HTTP);
	assert_true(strlen(http_client_last_error(c)) > 0);

	/* Header injection is refused before anything is sent. */
	const struct http_header bad[] = {{"X-A", "v\r\nX-Injected: 1"}};
	struct http_request inj = {
		.method = "GET", .url = u, .headers = bad, .n_headers = 1, .max_body = 10};
	assert_int_equal(http_client_do(c, &inj, &r), ERR_INVAL);
	struct http_request nourl = {.method = "GET"};
	assert_int_equal(http_client_do(c, &nourl, &r), ERR_INVAL);

	http_response_release(&r);
	http_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_headers_keepalive),
		cmocka_unit_test(test_put_wire_format),
		cmocka_unit_test(test_body_caps),
		cmocka_unit_test(test_deadlines_and_transport_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
