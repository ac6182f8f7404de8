/*
 * http/client.c against a scripted server thread on 127.0.0.1: status and
 * header lookup, keep-alive, body caps, deadlines, transport errors, and
 * what goes on the wire (no Expect, no form Content-Type).
 */
#include "core/common.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "http/client.h"

#define SRV_MAX_REQ (8u << 20)
#define HANG	    NULL /* a scripted answer that never comes */

struct server {
	const char *const *script; /* raw answers, in order; HANG holds the connection */
	size_t n_script;
	int listen_fd;
	unsigned short port;
	unsigned accepts;
	size_t served;
	char last_head[8192]; /* the last request's header block */
	size_t last_body_len;
	volatile bool stop;
	pthread_t thread;
};

/* Read one request (head and Content-Length body). False when the peer went away. */
static bool read_request(struct server *s, int fd)
{
	static char req[SRV_MAX_REQ];
	size_t len = 0, head_len = 0, body_len = 0;
	const char *end;

	for (;;) {
		ssize_t n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		req[len] = '\0';
		if (!head_len && (end = strstr(req, "\r\n\r\n"))) {
			const char *cl = strcasestr(req, "\r\ncontent-length:");
			head_len = (size_t)(end - req) + 4;
			if (cl && cl < end)
				body_len = strtoul(cl + 17, NULL, 10);
			snprintf(s->last_head, sizeof(s->last_head), "%.*s", (int)head_len, req);
		}
		if (head_len && len >= head_len + body_len) {
			s->last_body_len = body_len;
			return true;
		}
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;

	while (!s->stop) {
		struct pollfd p = {s->listen_fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		s->accepts++;
		while (!s->stop && read_request(s, fd)) {
			const char *answer = s->served < s->n_script ? s->script[s->served] : HANG;
			s->served++;
			if (answer == HANG) {
				while (!s->stop)
					usleep(10000);
				break;
			}
			if (write(fd, answer, strlen(answer)) < 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *s, const char *const *script, size_t n)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(addr);

	memset(s, 0, sizeof(*s));
	s->script = script;
	s->n_script = n;
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen), 0);
	s->port = ntohs(addr.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	s->stop = true;
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
}

static void url(char *out, size_t size, const struct server *s, const char *path)
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
	struct server s;
	struct http_client *c;
	struct http_response r;
	char u[64];

	server_start(&s, script, ARRAY_SIZE(script));
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
	server_stop(&s);
}

static void test_put_wire_format(void **state)
{
	static const char *const script[] = {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
					     "HTTP/1.1 204 No Content\r\n\r\n"};
	struct server s;
	struct http_client *c;
	struct http_response r;
	char u[64];
	size_t n = 2u << 20;
	char *body = malloc(n);
	const struct http_header h[] = {{"x-amz-meta-empty", ""}, {"X-Test", "v"}};

	assert_non_null(body);
	memset(body, 'x', n);
	server_start(&s, script, ARRAY_SIZE(script));
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
	server_stop(&s);
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
	struct server s;
	struct http_client *c;
	struct http_response r;
	char u[64];

	server_start(&s, script, ARRAY_SIZE(script));
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
	server_stop(&s);
}

static void test_deadlines_and_transport_errors(void **state)
{
	static const char *const script[] = {HANG};
	struct server s;
	struct http_client *c;
	struct http_response r;
	char u[64];
	int64_t start;

	server_start(&s, script, ARRAY_SIZE(script));
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
	server_stop(&s);

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
