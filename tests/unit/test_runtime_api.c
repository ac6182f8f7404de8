/*
 * Unit tests for the local Runtime API server (src/local/lambda/runtime_api.c):
 * it is started on 127.0.0.1:0 with one registered stand-in worker, and
 * spoken to over HTTP/1.1 by a client thread while the test's thread runs
 * the event loop. Checked: `next` answered with the event and the
 * Lambda-Runtime-* headers, response / error / init/error reaching the
 * worker's callbacks with their request id, error type and body, the
 * answers to each verdict (202, 400, 403, 413), 404 for an unknown worker
 * or path, 405 for a wrong method, and 413 from the server itself for a
 * body past RUNTIME_API_BODY_MAX.
 */
#include "core/common.h"

#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "local/lambda/runtime_api.h"

#define ANSWER_MAX (64 << 10)

/* What the stand-in worker was called with, and what it answers. */
struct worker {
	int nexts, responses, errors, init_errors;
	char rid[64], type[64], body[256];
	enum runtime_api_verdict verdict;
	const char *message;
};

struct fixture {
	struct event_base *base;
	struct runtime_api *api;
	struct worker w;
	uint64_t id;
	char path[RUNTIME_API_PATH_MAX]; /* "/w/<id>.<token>" */
	/* one exchange */
	const char *request;
	size_t request_len;
	char answer[ANSWER_MAX];
	atomic_bool done;
};

static void on_next(void *ctx, struct evhttp_request *req)
{
	struct worker *w = ctx;

	w->nexts++;
	runtime_api_answer_next(req, "{\"n\":1}", 7, "rid-1", 1700000000123,
				"arn:aws:lambda:us-east-1:123456789012:function:F", "Root=1-x");
}

static void record(struct worker *w, const char *rid, const char *type, const char *body,
		   size_t len, const char **message)
{
	snprintf(w->rid, sizeof(w->rid), "%s", rid ? rid : "(none)");
	snprintf(w->type, sizeof(w->type), "%s", type ? type : "(none)");
	snprintf(w->body, sizeof(w->body), "%.*s", (int)len, body);
	*message = w->message;
}

static enum runtime_api_verdict on_response(void *ctx, const char *rid, const char *body,
					    size_t len, const char **message)
{
	struct worker *w = ctx;

	w->responses++;
	record(w, rid, NULL, body, len, message);
	return w->verdict;
}

static enum runtime_api_verdict on_error(void *ctx, const char *rid, const char *type,
					 const char *body, size_t len, const char **message)
{
	struct worker *w = ctx;

	w->errors++;
	record(w, rid, type, body, len, message);
	return w->verdict;
}

static enum runtime_api_verdict on_init_error(void *ctx, const char *type, const char *body,
					      size_t len, const char **message)
{
	struct worker *w = ctx;

	w->init_errors++;
	record(w, NULL, type, body, len, message);
	return w->verdict;
}

static const struct runtime_api_ops ops = {on_next, on_response, on_error, on_init_error};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->base = event_base_new());
	assert_int_equal(runtime_api_new(f->base, "127.0.0.1", 0, &f->api), 0);
	assert_true(runtime_api_port(f->api) > 0);
	assert_int_equal(runtime_api_register(f->api, &ops, &f->w, &f->id, f->path), 0);
	assert_true(f->id > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	runtime_api_free(f->api);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* The client thread: send the request whole (as far as the server reads it), read to EOF. */
static void *client(void *arg)
{
	struct fixture *f = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(runtime_api_port(f->api))};
	size_t sent = 0, got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		while (sent < f->request_len &&
		       (n = send(fd, f->request + sent, f->request_len - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		while (got < sizeof(f->answer) - 1 &&
		       (n = read(fd, f->answer + got, sizeof(f->answer) - 1 - got)) > 0)
			got += (size_t)n;
	}
	f->answer[got] = '\0';
	if (fd >= 0)
		close(fd);
	atomic_store(&f->done, true);
	return NULL;
}

static void poll_done(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	if (atomic_load(&f->done))
		event_base_loopbreak(f->base);
}

/* One request over its own connection; returns the status code, the answer in f->answer. */
static int exchange(struct fixture *f, const char *request, size_t len)
{
	struct timeval tick = {0, 5000};
	struct event *ev = event_new(f->base, -1, EV_PERSIST, poll_done, f);
	pthread_t t;
	int status = 0;

	assert_non_null(ev);
	f->request = request;
	f->request_len = len;
	f->answer[0] = '\0';
	atomic_store(&f->done, false);
	event_add(ev, &tick);
	assert_int_equal(pthread_create(&t, NULL, client, f), 0);
	event_base_dispatch(f->base);
	pthread_join(t, NULL);
	event_free(ev);
	if (sscanf(f->answer, "HTTP/1.1 %d", &status) != 1)
		return 0;
	return status;
}

/* "<METHOD> <worker><path>" with a body and extra header lines. */
static int call(struct fixture *f, const char *method, const char *worker, const char *path,
		const char *headers, const char *body)
{
	char req[2048];
	int n = snprintf(req, sizeof(req),
			 "%s %s%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			 "%sContent-Length: %zu\r\n\r\n%s",
			 method, worker, path, headers ? headers : "", body ? strlen(body) : 0,
			 body ? body : "");

	assert_true(n > 0 && (size_t)n < sizeof(req));
	return exchange(f, req, (size_t)n);
}

static const char *answer_body(const struct fixture *f)
{
	const char *b = strstr(f->answer, "\r\n\r\n");

	return b ? b + 4 : "";
}

static void test_next(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, "GET", f->path, "/2018-06-01/runtime/invocation/next", NULL, NULL),
			 200);
	assert_int_equal(f->w.nexts, 1);
	assert_string_equal(answer_body(f), "{\"n\":1}");
	assert_non_null(strstr(f->answer, "Lambda-Runtime-Aws-Request-Id: rid-1\r\n"));
	assert_non_null(strstr(f->answer, "Lambda-Runtime-Deadline-Ms: 1700000000123\r\n"));
	assert_non_null(strstr(f->answer, "Lambda-Runtime-Invoked-Function-Arn: "
					  "arn:aws:lambda:us-east-1:123456789012:function:F\r\n"));
	assert_non_null(strstr(f->answer, "Lambda-Runtime-Trace-Id: Root=1-x\r\n"));
}

static void test_response_and_error(void **state)
{
	struct fixture *f = *state;

	f->w.verdict = RT_ACCEPTED;
	assert_int_equal(call(f, "POST", f->path, "/2018-06-01/runtime/invocation/rid-1/response",
			      NULL, "{\"ok\":true}"),
			 202);
	assert_string_equal(answer_body(f), "{\"status\":\"OK\"}");
	assert_int_equal(f->w.responses, 1);
	assert_string_equal(f->w.rid, "rid-1");
	assert_string_equal(f->w.body, "{\"ok\":true}");

	assert_int_equal(call(f, "POST", f->path, "/2018-06-01/runtime/invocation/rid-2/error",
			      "Lambda-Runtime-Function-Error-Type: Function.Custom\r\n",
			      "{\"errorMessage\":\"boom\"}"),
			 202);
	assert_int_equal(f->w.errors, 1);
	assert_string_equal(f->w.rid, "rid-2");
	assert_string_equal(f->w.type, "Function.Custom");
	assert_string_equal(f->w.body, "{\"errorMessage\":\"boom\"}");

	/* No error type header: the callback gets "". */
	assert_int_equal(
		call(f, "POST", f->path, "/2018-06-01/runtime/init/error", NULL, "{\"x\":1}"), 202);
	assert_int_equal(f->w.init_errors, 1);
	assert_string_equal(f->w.type, "");
	assert_string_equal(f->w.body, "{\"x\":1}");
}

static void test_verdicts(void **state)
{
	static const struct {
		enum runtime_api_verdict v;
		const char *message;
		int status;
		const char *body;
	} cases[] = {
		{RT_INVALID_ID, NULL, 400,
		 "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}"},
		{RT_INVALID_STATE, "already answered", 403,
		 "{\"errorMessage\":\"already "
		 "answered\",\"errorType\":\"InvalidStateTransition\"}"},
		{RT_TOO_LARGE, NULL, 413,
		 "{\"errorMessage\":\"Exceeded maximum allowed payload size\","
		 "\"errorType\":\"RequestEntityTooLarge\"}"},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		f->w.verdict = cases[i].v;
		f->w.message = cases[i].message;
		assert_int_equal(call(f, "POST", f->path,
				      "/2018-06-01/runtime/invocation/rid-9/response", NULL, "{}"),
				 cases[i].status);
		assert_string_equal(answer_body(f), cases[i].body);
	}
	assert_int_equal(f->w.responses, 3);
}

static void test_not_found_and_methods(void **state)
{
	struct fixture *f = *state;

	char other[RUNTIME_API_PATH_MAX + 8];

	/* Unknown worker, then a worker that is no longer registered. */
	snprintf(other, sizeof(other), "/w/%" PRIu64 "%s", f->id + 1, strchr(f->path, '.'));
	assert_int_equal(call(f, "GET", other, "/2018-06-01/runtime/invocation/next", NULL, NULL),
			 404);
	assert_non_null(strstr(answer_body(f), "\"errorType\":\"NotFound\""));
	assert_int_equal(call(f, "GET", f->path, "/2018-06-01/runtime/nothing", NULL, NULL), 405);
	assert_int_equal(call(f, "POST", f->path, "/2018-06-01/runtime/nothing", NULL, "{}"), 404);
	assert_int_equal(
		call(f, "POST", f->path, "/2019-01-01/runtime/invocation/next", NULL, "{}"), 404);
	assert_int_equal(
		call(f, "POST", f->path, "/2018-06-01/runtime/invocation/next", NULL, "{}"), 405);
	assert_int_equal(call(f, "GET", f->path, "/2018-06-01/runtime/invocation/rid-1/response",
			      NULL, NULL),
			 405);
	assert_int_equal(f->w.nexts + f->w.responses + f->w.errors + f->w.init_errors, 0);
	runtime_api_unregister(f->api, f->id);
	assert_int_equal(call(f, "GET", f->path, "/2018-06-01/runtime/invocation/next", NULL, NULL),
			 404);
	assert_int_equal(f->w.nexts, 0);
}

/*
 * Any process on the machine can reach the port: a worker's path is its id
 * and 128 random bits, and a wrong or missing token gets 404 without the pool
 * hearing of it (hardening: GET /w/1/.../next once made the pool retire the
 * real worker 1).
 */
static void test_worker_token(void **state)
{
	struct fixture *f = *state;
	char guess[RUNTIME_API_PATH_MAX + 8], *dot = strchr(f->path, '.');
	const char *next = "/2018-06-01/runtime/invocation/next";

	assert_non_null(dot);
	assert_int_equal(strlen(dot + 1), 32);
	snprintf(guess, sizeof(guess), "/w/%" PRIu64, f->id);
	assert_int_equal(call(f, "GET", guess, next, NULL, NULL), 404);
	snprintf(guess, sizeof(guess), "%s", f->path);
	guess[strlen(guess) - 1] ^= 1; /* one bit off */
	assert_int_equal(call(f, "GET", guess, next, NULL, NULL), 404);
	snprintf(guess, sizeof(guess), "%.*s", (int)strlen(f->path) - 1, f->path);
	assert_int_equal(call(f, "GET", guess, next, NULL, NULL), 404);
	snprintf(guess, sizeof(guess), "%sff", f->path);
	assert_int_equal(call(f, "POST", guess, "/2018-06-01/runtime/init/error", NULL, "{}"), 404);
	assert_int_equal(f->w.nexts + f->w.responses + f->w.errors + f->w.init_errors, 0);

	/* A second worker's token does not open the first. */
	struct worker w2 = {0};
	uint64_t id2;
	char path2[RUNTIME_API_PATH_MAX];
	assert_int_equal(runtime_api_register(f->api, &ops, &w2, &id2, path2), 0);
	assert_string_not_equal(strchr(path2, '.'), dot);
	snprintf(guess, sizeof(guess), "/w/%" PRIu64 "%s", f->id, strchr(path2, '.'));
	assert_int_equal(call(f, "GET", guess, next, NULL, NULL), 404);
	assert_int_equal(f->w.nexts + w2.nexts, 0);
	runtime_api_unregister(f->api, id2);
}

/* A body past RUNTIME_API_BODY_MAX is refused by the server before the worker hears of it. */
static void test_body_past_cap(void **state)
{
	struct fixture *f = *state;
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "POST %s/2018-06-01/runtime/invocation/rid-1/response "
			 "HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
			 f->path, RUNTIME_API_BODY_MAX + 1);

	assert_int_equal(exchange(f, req, (size_t)n), 413);
	assert_int_equal(f->w.responses, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_and_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_past_cap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
