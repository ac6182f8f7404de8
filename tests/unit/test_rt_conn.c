/*
 * Unit tests for the Runtime API's connection (src/lambda/rt_conn.c), and for
 * the loop's answers to what only a raw server sends (a 413 or a 500 to a
 * post, a close in the middle of an event): a small server thread here
 * answers each request with the next scripted bytes, optionally one byte
 * per write, and optionally closes the connection after.
 */
#include "core/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/log.h"
#include "lambda/rt_conn.h"
#include "lambda/runtime.h"

#define REQ_MAX	 65536
#define BODY_MAX 4096
#define PREFIX	 "/2018-06-01/runtime/"

static char *log_text;
static size_t log_len;
static FILE *log_stream;

/* One scripted answer. */
struct answer {
	const char *bytes;
	bool close_after; /* close the connection once written */
	bool bytewise;	  /* one write per byte */
};

struct raw_server {
	const struct answer *script;
	size_t n;
	int family;
	int listen_fd;
	unsigned short port;
	unsigned accepts;
	size_t served;
	char requests[8][1024]; /* the first 8 requests' heads and bodies, cut */
	pthread_t thread;
};

/* Read one request: head and Content-Length body. False when the peer closed. */
static bool read_request(struct raw_server *s, int fd)
{
	static char req[REQ_MAX];
	size_t len = 0, need = 0;

	for (;;) {
		ssize_t n = read(fd, req + len, sizeof(req) - 1 - len);
		const char *end, *cl;

		if (n <= 0)
			return false;
		len += (size_t)n;
		req[len] = '\0';
		if (!need && (end = strstr(req, "\r\n\r\n"))) {
			cl = strcasestr(req, "\r\nContent-Length:");
			need = (size_t)(end - req) + 4 +
			       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (need && len >= need)
			break;
	}
	if (s->served < ARRAY_SIZE(s->requests))
		snprintf(s->requests[s->served], sizeof(s->requests[0]), "%.1000s", req);
	return true;
}

static void *serve(void *arg)
{
	struct raw_server *s = arg;

	while (s->served < s->n) {
		int fd = accept(s->listen_fd, NULL, NULL);

		if (fd < 0)
			break;
		s->accepts++;
		while (s->served < s->n && read_request(s, fd)) {
			const struct answer *a = &s->script[s->served++];
			size_t i, len = strlen(a->bytes);

			if (a->bytewise)
				for (i = 0; i < len; i++)
					assert_int_equal(write(fd, a->bytes + i, 1), 1);
			else
				assert_int_equal(write(fd, a->bytes, len), (ssize_t)len);
			if (a->close_after)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void server_start(struct raw_server *s, const struct answer *script, size_t n, int family)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl =
		family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	memset(s, 0, sizeof(*s));
	s->script = script;
	s->n = n;
	s->family = family;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	s->listen_fd = socket(family, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&ss, &sl), 0);
	s->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					   : ((struct sockaddr_in *)&ss)->sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct raw_server *s)
{
	shutdown(s->listen_fd, SHUT_RDWR); /* wakes a blocked accept */
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
}

static void connect_to(struct rt_conn *c, const struct raw_server *s, const char *suffix)
{
	char api[128];

	snprintf(api, sizeof(api), s->family == AF_INET6 ? "[::1]:%u%s" : "127.0.0.1:%u%s",
		 (unsigned)s->port, suffix);
	assert_int_equal(rt_conn_init(c, api, RT_WIRE_HEAD_MAX + BODY_MAX + RT_WIRE_READ_CHUNK), 0);
}

#define OK_202 "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"
#define NEXT_A "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nContent-Length: 2\r\n\r\n{}"

static void test_api_address(void **state)
{
	static const char *const bad[] = {
		"",	   "/w/1",   "::1:9001", "[::1",  "[]:80",    "h:",    "h:0",
		"h:65536", "h:12a",  "h:123456", "a b:1", "u@h:1",    "h:1?x", "h:1#f",
		"[::1]x",  "[::1]:", "h\\:1",	 ":80",	  "[::1]]:1", "h:1:2",
	};
	struct rt_conn c;
	size_t i;

	assert_int_equal(rt_conn_init(&c, NULL, BODY_MAX), ERR_CONFIG);
	rt_conn_release(&c);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (rt_conn_init(&c, bad[i], BODY_MAX) != ERR_CONFIG)
			fail_msg("accepted #%zu: %s", i, bad[i]);
		rt_conn_release(&c);
	}
	assert_int_equal(rt_conn_init(&c, "127.0.0.1:9001", BODY_MAX), 0);
	assert_string_equal(c.host, "127.0.0.1");
	assert_string_equal(c.port, "9001");
	assert_string_equal(c.authority, "127.0.0.1:9001");
	assert_string_equal(c.prefix, "");
	assert_int_equal(c.fd, -1);
	rt_conn_release(&c);
	assert_int_equal(rt_conn_init(&c, "[::1]:65535/w/7.abc", BODY_MAX), 0);
	assert_string_equal(c.host, "::1");
	assert_string_equal(c.port, "65535");
	assert_string_equal(c.authority, "[::1]:65535");
	assert_string_equal(c.prefix, "/w/7.abc");
	rt_conn_release(&c);
	assert_int_equal(rt_conn_init(&c, "localhost", BODY_MAX), 0);
	assert_string_equal(c.port, RT_CONN_PORT_DEFAULT);
	rt_conn_release(&c);
}

#define NEXT_LINE "GET /w/1.tok" PREFIX "invocation/next HTTP/1.1\r\nHost: 127.0.0.1:"

static void test_requests_on_one_connection(void **state)
{
	static const struct answer script[] = {
		{.bytes = NEXT_A}, {.bytes = OK_202, .bytewise = true}, /* in single bytes */
	};
	struct raw_server s;
	struct rt_wire_reader r;
	struct rt_conn c;

	server_start(&s, script, ARRAY_SIZE(script), AF_INET);
	connect_to(&c, &s, "/w/1.tok");
	assert_int_equal(
		rt_conn_request(&c, "GET", PREFIX "invocation/next", NULL, NULL, 0, BODY_MAX, &r),
		0);
	assert_int_equal(r.head.status, 200);
	assert_string_equal(rt_wire_reader_body(&r), "{}");
	assert_int_equal(rt_conn_request(&c, "POST", PREFIX "invocation/a/error", "Custom.X",
					 "{\"e\":1}", 7, BODY_MAX, &r),
			 0);
	assert_int_equal(r.head.status, 202);
	assert_string_equal(rt_wire_reader_body(&r), "{\"status\":\"OK\"}");
	rt_conn_release(&c);
	server_stop(&s);

	assert_int_equal(s.accepts, 1);
	assert_int_equal(c.connects, 1);
	/* A GET is its request line and Host, nothing else. */
	assert_true(!strncmp(s.requests[0], NEXT_LINE, strlen(NEXT_LINE)));
	assert_non_null(strstr(s.requests[0], "\r\n\r\n"));
	assert_int_equal(strlen(strstr(s.requests[0], "\r\n\r\n")), 4);
	assert_null(strstr(s.requests[0], "Content-Length"));
	assert_non_null(
		strstr(s.requests[1], "POST /w/1.tok" PREFIX "invocation/a/error HTTP/1.1\r\n"));
	assert_non_null(strstr(s.requests[1], "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(s.requests[1], "\r\nContent-Length: 7\r\n"));
	assert_non_null(strstr(s.requests[1], "\r\nLambda-Runtime-Function-Error-Type: Custom.X\r\n"
					      "\r\n{\"e\":1}"));
}

static void test_idle_close_is_retried_once(void **state)
{
	static const struct answer script[] = {
		{.bytes = NEXT_A,
		 .close_after = true}, /* then the peer closes the idle connection */
		{.bytes = OK_202},
		{.bytes = NEXT_A, .close_after = true},
	};
	struct raw_server s;
	struct rt_wire_reader r;
	struct rt_conn c;

	server_start(&s, script, ARRAY_SIZE(script), AF_INET);
	connect_to(&c, &s, "");
	assert_int_equal(
		rt_conn_request(&c, "GET", PREFIX "invocation/next", NULL, NULL, 0, BODY_MAX, &r),
		0);
	usleep(20000); /* let the close arrive */
	assert_int_equal(rt_conn_request(&c, "POST", PREFIX "invocation/a/response", NULL, "{}", 2,
					 BODY_MAX, &r),
			 0);
	assert_int_equal(r.head.status, 202);
	assert_int_equal(c.connects, 2);
	assert_int_equal(
		rt_conn_request(&c, "GET", PREFIX "invocation/next", NULL, NULL, 0, BODY_MAX, &r),
		0);
	rt_conn_release(&c);
	server_stop(&s);
	assert_int_equal(s.accepts, 2);
	assert_int_equal(s.served, 3);
}

static void test_failures(void **state)
{
	static const struct answer mid_body[] = {
		{.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"half\":",
		 .close_after = true},
	};
	static const struct answer malformed[] = {
		{.bytes = "HTTP/1.1 200 OK\nContent-Length: 0\n\n"}};
	static const struct answer close_hdr[] = {
		{.bytes =
			 "HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
		{.bytes = "HTTP/1.0 202 Accepted\r\n\r\nuntil close", .close_after = true},
		{.bytes = OK_202},
	};
	struct raw_server s;
	struct rt_wire_reader r;
	struct rt_conn c;

	/* A close in the middle of a body: an error, not retried (bytes had come). */
	server_start(&s, mid_body, ARRAY_SIZE(mid_body), AF_INET);
	connect_to(&c, &s, "");
	assert_int_equal(
		rt_conn_request(&c, "GET", PREFIX "invocation/next", NULL, NULL, 0, BODY_MAX, &r),
		ERR_HTTP);
	assert_int_equal(c.fd, -1);
	assert_int_equal(c.connects, 1);
	rt_conn_release(&c);
	server_stop(&s);

	server_start(&s, malformed, ARRAY_SIZE(malformed), AF_INET);
	connect_to(&c, &s, "");
	assert_int_equal(
		rt_conn_request(&c, "GET", PREFIX "invocation/next", NULL, NULL, 0, BODY_MAX, &r),
		ERR_HTTP);
	rt_conn_release(&c);
	server_stop(&s);

	/* Connection: close, and HTTP/1.0 with a body to the close: a new connection after each. */
	server_start(&s, close_hdr, ARRAY_SIZE(close_hdr), AF_INET);
	connect_to(&c, &s, "");
	assert_int_equal(
		rt_conn_request(&c, "POST", PREFIX "init/error", "T", "{}", 2, BODY_MAX, &r), 0);
	assert_int_equal(c.fd, -1);
	assert_int_equal(
		rt_conn_request(&c, "POST", PREFIX "init/error", "T", "{}", 2, BODY_MAX, &r), 0);
	assert_string_equal(rt_wire_reader_body(&r), "until close");
	assert_int_equal(c.fd, -1);
	assert_int_equal(
		rt_conn_request(&c, "POST", PREFIX "init/error", "T", "{}", 2, BODY_MAX, &r), 0);
	assert_int_equal(c.connects, 3);
	rt_conn_release(&c);
	server_stop(&s);
}

static void test_ipv6_literal(void **state)
{
	static const struct answer script[] = {{.bytes = NEXT_A}};
	struct raw_server s;
	struct rt_wire_reader r;
	struct rt_conn c;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};

	if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a))) {
		if (probe >= 0)
			close(probe);
		skip(); /* no IPv6 loopback on this machine */
	}
	close(probe);
	server_start(&s, script, ARRAY_SIZE(script), AF_INET6);
	connect_to(&c, &s, "");
	assert_int_equal(
		rt_conn_request(&c, "GET", PREFIX "invocation/next", NULL, NULL, 0, BODY_MAX, &r),
		0);
	assert_int_equal(r.head.status, 200);
	rt_conn_release(&c);
	server_stop(&s);
	assert_non_null(strstr(s.requests[0], "\r\nHost: [::1]:"));
}

/* The loop, against refusals of its posts. */
static int echo(void *st, const char *event, size_t len, const struct lambda_context *ctx,
		struct buf *response, struct lambda_error *err)
{
	return buf_add(response, event, len) ? lambda_fail(err, NULL, "append") : 0;
}

static void test_loop_on_refused_posts(void **state)
{
	static const struct lambda_function fn = {"echo", NULL, echo, NULL};
	static const struct answer refused_413[] = {
		{.bytes = NEXT_A},
		{.bytes = "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: "
			  "application/json\r\n"
			  "Content-Length: 72\r\n\r\n{\"errorMessage\":\"Exceeded maximum allowed "
			  "payload "
			  "size\",\"errorType\":\"x\"}"},
		{.bytes = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: b\r\nContent-Length: "
			  "2\r\n\r\n"
			  "[]"},
		{.bytes = OK_202},
	};
	static const struct answer refused_500[] = {
		{.bytes = NEXT_A},
		{.bytes = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}"},
	};
	static const struct answer event_cut[] = {
		{.bytes = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: c\r\nContent-Length: "
			  "10\r\n\r\n"
			  "{\"a\"",
		 .close_after = true},
	};
	struct raw_server s;
	char api[64];

	/* 413 to a response: logged, and the loop goes on (4xx is not the container's end). */
	server_start(&s, refused_413, ARRAY_SIZE(refused_413), AF_INET);
	snprintf(api, sizeof(api), "127.0.0.1:%u", (unsigned)s.port);
	setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
	assert_int_equal(lambda_run(&fn, 2), 0);
	server_stop(&s);
	fflush(log_stream);
	assert_non_null(strstr(log_text, "\"message\":\"Runtime API refused a post\""));
	assert_non_null(strstr(log_text, "\"status\":413"));
	assert_int_equal(s.accepts, 1);
	assert_non_null(strstr(s.requests[1], "POST " PREFIX "invocation/a/response HTTP/1.1"));
	assert_non_null(strstr(s.requests[3], "POST " PREFIX "invocation/b/response HTTP/1.1"));
	assert_non_null(strstr(s.requests[3], "\r\n\r\n[]"));

	/* 500 to a post: the container is broken, the runtime exits. */
	server_start(&s, refused_500, ARRAY_SIZE(refused_500), AF_INET);
	snprintf(api, sizeof(api), "127.0.0.1:%u", (unsigned)s.port);
	setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
	assert_int_equal(lambda_run(&fn, 5), ERR_REMOTE);
	server_stop(&s);

	/* An event cut by a close: the Runtime API is gone. */
	server_start(&s, event_cut, ARRAY_SIZE(event_cut), AF_INET);
	snprintf(api, sizeof(api), "127.0.0.1:%u", (unsigned)s.port);
	setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
	assert_int_equal(lambda_run(&fn, 5), ERR_HTTP);
	server_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_address),
		cmocka_unit_test(test_requests_on_one_connection),
		cmocka_unit_test(test_idle_close_is_retried_once),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_ipv6_literal),
		cmocka_unit_test(test_loop_on_refused_posts),
	};

	int failed;

	log_stream = open_memstream(&log_text, &log_len);
	log_configure(LVL_INFO, true);
	log_set_output(log_stream);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	log_set_output(NULL);
	fclose(log_stream);
	free(log_text);
	return failed;
}
