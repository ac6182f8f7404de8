/*
 * Unit tests for the Runtime API loop (src/lambda/runtime.c), against the
 * stand-in Runtime API of rtstub.c: what reaches the handler, what is posted
 * where, with which headers and exact bytes, and over how many connections.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/runtime.h"
#include "rtstub.h"

#define PREFIX "/2018-06-01/runtime"

/* What the handlers saw, reset by each test. */
static struct {
	int calls;
	char event[256];
	char request_id[160], arn[160], trace[160], env_trace[160];
	bool env_trace_set;
	int64_t deadline_ms, remaining_ms;
	int fini_calls;
	void *fini_state;
} seen;

static struct rtstub stub;
static char *log_text;
static size_t log_len;
static FILE *log_stream;

static void record(const char *event, size_t len, const struct lambda_context *ctx)
{
	const char *env = getenv("_X_AMZN_TRACE_ID");

	seen.calls++;
	snprintf(seen.event, sizeof(seen.event), "%.*s", (int)MIN(len, 200u), event);
	snprintf(seen.request_id, sizeof(seen.request_id), "%s", ctx->request_id);
	snprintf(seen.arn, sizeof(seen.arn), "%s", ctx->function_arn);
	snprintf(seen.trace, sizeof(seen.trace), "%s", ctx->trace_id);
	seen.env_trace_set = env != NULL;
	snprintf(seen.env_trace, sizeof(seen.env_trace), "%s", env ? env : "");
	seen.deadline_ms = ctx->deadline_ms;
	seen.remaining_ms = lambda_remaining_ms(ctx);
}

/* Echo: "got:<event>", and a log line to check the request id on. */
static int echo_handle(void *state, const char *event, size_t len, const struct lambda_context *ctx,
		       struct buf *response, struct lambda_error *err)
{
	record(event, len, ctx);
	log_msg(LVL_INFO, "handling");
	assert_int_equal(response->len, 0);
	assert_int_equal(event[len], '\0');
	if (buf_adds(response, "got:") || buf_add(response, event, len))
		return lambda_fail(err, "Function.Buffer", "append failed");
	return 0;
}

static int fail_handle(void *state, const char *event, size_t len, const struct lambda_context *ctx,
		       struct buf *response, struct lambda_error *err)
{
	record(event, len, ctx);
	if (!strcmp(event, "unfilled"))
		return -1;
	if (!strcmp(event, "utf8"))
		return lambda_fail(err, "Custom.Bad\r\nX-Injected: 1", "bad \xff byte \xc3\xa9");
	return lambda_fail(err, "Custom.Boom", "boom %d", 42);
}

/* Echoes odd events, fails even ones. */
static int mixed_handle(void *state, const char *event, size_t len,
			const struct lambda_context *ctx, struct buf *response,
			struct lambda_error *err)
{
	if ((event[0] - '0') % 2 == 0) {
		record(event, len, ctx);
		return lambda_fail(err, "Custom.Even", "even");
	}
	return echo_handle(state, event, len, ctx, response, err);
}

/* Answers `event` ("7340032") bytes of 'x'. */
static int sized_handle(void *state, const char *event, size_t len,
			const struct lambda_context *ctx, struct buf *response,
			struct lambda_error *err)
{
	size_t n = strtoul(event, NULL, 10);

	record(event, len, ctx);
	if (buf_grow(response, n))
		return lambda_fail(err, "Function.Buffer", "grow failed");
	memset(response->ptr, 'x', n);
	response->len = n;
	response->ptr[n] = '\0';
	return 0;
}

static int state_token;

static int ok_init(void **state, struct lambda_error *err)
{
	*state = &state_token;
	return 0;
}

static int bad_init(void **state, struct lambda_error *err)
{
	return lambda_fail(err, "Runtime.ConfigError", "missing BUCKET");
}

static void count_fini(void *state)
{
	seen.fini_calls++;
	seen.fini_state = state;
}

static const struct lambda_function echo_fn = {"echo", ok_init, echo_handle, count_fini};
static const struct lambda_function fail_fn = {"fail", NULL, fail_handle, NULL};
static const struct lambda_function mixed_fn = {"mixed", NULL, mixed_handle, NULL};
static const struct lambda_function sized_fn = {"sized", NULL, sized_handle, NULL};
static const struct lambda_function bad_init_fn = {"bad", bad_init, echo_handle, count_fini};

static int setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	memset(&stub, 0, sizeof(stub));
	stub.listen_fd = -1;
	unsetenv("_X_AMZN_TRACE_ID");
	rewind(log_stream);
	fflush(log_stream);
	return 0;
}

static int teardown(void **state)
{
	rtstub_stop(&stub);
	return 0;
}

/* Stop the stub of the previous run and make a fresh one. */
static void restub(void)
{
	rtstub_stop(&stub);
	memset(&stub, 0, sizeof(stub));
	stub.listen_fd = -1;
}

/* Start the stub on `script` and run `fn` for `max` invocations. */
static int run(const struct rtstub_event *script, size_t n, const struct lambda_function *fn,
	       long max)
{
	char addr[32];

	stub.script = script;
	stub.script_len = n;
	assert_int_equal(rtstub_start(&stub), 0);
	rtstub_address(&stub, addr);
	setenv("AWS_LAMBDA_RUNTIME_API", addr, 1);
	return lambda_run(fn, max);
}

/* The value of header `name` in a raw header block, or "" (in a static buffer). */
static const char *header(const char *block, const char *name)
{
	static char value[256];
	size_t n = strlen(name);
	const char *p;

	value[0] = '\0';
	for (p = block; p && *p; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s", (int)(e ? e - v : (long)strlen(v)),
				 v);
			break;
		}
	}
	return value;
}

static void test_invocations_reach_handler_and_post_responses(void **state)
{
	char first_headers[512];
	int64_t deadline = time_now_ms() + 30000;
	struct rtstub_event script[3] = {
		{.headers = first_headers, .body = "{\"n\":1}"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: req-2\r\n", .body = "{\"n\":2}"},
		{.headers = "lambda-runtime-aws-request-id: req-3\r\n"
			    "Lambda-Runtime-Deadline-Ms: 1000\r\n",
		 .body = ""},
	};

	snprintf(first_headers, sizeof(first_headers),
		 "Lambda-Runtime-Aws-Request-Id: req-1\r\n"
		 "Lambda-Runtime-Deadline-Ms: %" PRId64 "\r\n"
		 "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-1:1:function:f\r\n"
		 "Lambda-Runtime-Trace-Id: Root=1-abc;Parent=def;Sampled=1\r\n",
		 deadline);
	setenv("_X_AMZN_TRACE_ID", "stale", 1);

	assert_int_equal(run(script, 1, &echo_fn, 1), 0);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.event, "{\"n\":1}");
	assert_string_equal(seen.request_id, "req-1");
	assert_string_equal(seen.arn, "arn:aws:lambda:eu-west-1:1:function:f");
	assert_string_equal(seen.trace, "Root=1-abc;Parent=def;Sampled=1");
	assert_true(seen.env_trace_set);
	assert_string_equal(seen.env_trace, "Root=1-abc;Parent=def;Sampled=1");
	assert_int_equal(seen.deadline_ms, deadline);
	assert_true(seen.remaining_ms > 25000 && seen.remaining_ms <= 30000);
	assert_int_equal(seen.fini_calls, 1);
	assert_ptr_equal(seen.fini_state, &state_token);

	assert_int_equal(stub.n_posts, 1);
	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/req-1/response");
	assert_string_equal(stub.posts[0].body, "got:{\"n\":1}");
	assert_string_equal(header(stub.posts[0].headers, "Expect"), "");
	assert_string_equal(header(stub.posts[0].headers, "Content-Length"), "11");

	/* The request id stamped the handler's log line, and was cleared after. */
	fflush(log_stream);
	assert_non_null(strstr(log_text, "\"message\":\"handling\""));
	assert_non_null(strstr(log_text, "\"function_request_id\":\"req-1\""));
	restub();

	/* Two more on a fresh stub: no trace id unsets the variable, no deadline is "forever". */
	assert_int_equal(run(script + 1, 2, &echo_fn, 2), 0);
	assert_int_equal(seen.calls, 3);
	assert_string_equal(seen.request_id, "req-3");
	assert_string_equal(seen.arn, "");
	assert_false(seen.env_trace_set);
	assert_int_equal(seen.deadline_ms, 1000);
	assert_true(seen.remaining_ms < 0);
	assert_int_equal(stub.n_posts, 2);
	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/req-2/response");
	assert_string_equal(stub.posts[0].body, "got:{\"n\":2}");
	assert_string_equal(stub.posts[1].path, PREFIX "/invocation/req-3/response");
	assert_string_equal(stub.posts[1].body, "got:");
	assert_int_equal(seen.fini_calls, 2);
}

static void test_connection_is_kept_alive(void **state)
{
	static const struct rtstub_event script[] = {
		{.headers = "Lambda-Runtime-Aws-Request-Id: a\r\n", .body = "1"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: b\r\n", .body = "2"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: c\r\n", .body = "3"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: d\r\n", .body = "4"},
	};

	/* Responses and errors interleaved: still one TCP connection for all. */
	assert_int_equal(run(script, ARRAY_SIZE(script), &mixed_fn, 4), 0);
	assert_int_equal(seen.calls, 4);
	assert_int_equal(stub.nexts, 4);
	assert_int_equal(stub.posts_total, 4);
	assert_int_equal(stub.connections, 1);
	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/a/response");
	assert_string_equal(stub.posts[1].path, PREFIX "/invocation/b/error");
	assert_string_equal(stub.posts[2].path, PREFIX "/invocation/c/response");
	assert_string_equal(stub.posts[3].path, PREFIX "/invocation/d/error");
}

static void test_function_error_posts_header_and_json(void **state)
{
	static const struct rtstub_event script[] = {
		{.headers = "Lambda-Runtime-Aws-Request-Id: e-1\r\n", .body = "boom"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: e-2\r\n", .body = "unfilled"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: e-3\r\n", .body = "utf8"},
	};

	assert_int_equal(run(script, ARRAY_SIZE(script), &fail_fn, 3), 0);
	assert_int_equal(stub.n_posts, 3);
	assert_int_equal(stub.connections, 1);

	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/e-1/error");
	assert_string_equal(header(stub.posts[0].headers, "Lambda-Runtime-Function-Error-Type"),
			    "Custom.Boom");
	assert_string_equal(header(stub.posts[0].headers, "Content-Type"), "application/json");
	assert_string_equal(header(stub.posts[0].headers, "Expect"), "");
	assert_string_equal(stub.posts[0].body,
			    "{\"errorMessage\":\"boom 42\",\"errorType\":\"Custom.Boom\","
			    "\"stackTrace\":[]}");

	/* A handler that fails without saying why. */
	assert_string_equal(stub.posts[1].path, PREFIX "/invocation/e-2/error");
	assert_string_equal(header(stub.posts[1].headers, "Lambda-Runtime-Function-Error-Type"),
			    "Function.Unhandled");
	assert_string_equal(stub.posts[1].body,
			    "{\"errorMessage\":\"the handler failed\","
			    "\"errorType\":\"Function.Unhandled\",\"stackTrace\":[]}");

	/* A type cannot inject a header; a message cannot carry invalid UTF-8. */
	assert_string_equal(header(stub.posts[2].headers, "Lambda-Runtime-Function-Error-Type"),
			    "Custom.Bad__X-Injected:_1");
	assert_string_equal(header(stub.posts[2].headers, "X-Injected"), "");
	assert_string_equal(stub.posts[2].body,
			    "{\"errorMessage\":\"bad ? byte \xc3\xa9\","
			    "\"errorType\":\"Custom.Bad__X-Injected:_1\",\"stackTrace\":[]}");
}

static void test_init_error_is_posted_to_init_error(void **state)
{
	static const struct rtstub_event script[] = {
		{.headers = "Lambda-Runtime-Aws-Request-Id: never\r\n", .body = "{}"},
	};

	assert_int_equal(run(script, ARRAY_SIZE(script), &bad_init_fn, 1), ERR_INVAL);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(seen.fini_calls, 0);
	assert_int_equal(stub.nexts, 0);
	assert_int_equal(stub.n_posts, 1);
	assert_string_equal(stub.posts[0].path, PREFIX "/init/error");
	assert_string_equal(header(stub.posts[0].headers, "Lambda-Runtime-Function-Error-Type"),
			    "Runtime.ConfigError");
	assert_string_equal(stub.posts[0].body,
			    "{\"errorMessage\":\"missing BUCKET\",\"errorType\":"
			    "\"Runtime.ConfigError\",\"stackTrace\":[]}");
}

static void test_oversized_response_becomes_error(void **state)
{
	static char exact[16];
	struct rtstub_event script[] = {
		{.headers = "Lambda-Runtime-Aws-Request-Id: big\r\n", .body = "7340032"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: max\r\n", .body = exact},
	};

	snprintf(exact, sizeof(exact), "%d", LAMBDA_RESPONSE_MAX);
	assert_int_equal(run(script, ARRAY_SIZE(script), &sized_fn, 2), 0);
	assert_int_equal(stub.n_posts, 2);
	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/big/error");
	assert_string_equal(header(stub.posts[0].headers, "Lambda-Runtime-Function-Error-Type"),
			    "Function.ResponseSizeTooLarge");
	assert_string_equal(stub.posts[0].body,
			    "{\"errorMessage\":\"Response payload size (7340032 bytes) exceeded "
			    "maximum allowed payload size (6291556 bytes).\",\"errorType\":"
			    "\"Function.ResponseSizeTooLarge\",\"stackTrace\":[]}");
	/* Exactly at the limit is still a response. */
	assert_string_equal(stub.posts[1].path, PREFIX "/invocation/max/response");
	assert_int_equal(stub.posts[1].body_len, LAMBDA_RESPONSE_MAX);
	assert_int_equal(stub.posts[1].body[LAMBDA_RESPONSE_MAX - 1], 'x');
	assert_int_equal(stub.connections, 1);
}

static void test_oversized_event_is_an_error_without_handler(void **state)
{
	size_t n = LAMBDA_EVENT_MAX + 1;
	char *big = malloc(n + 1);
	struct rtstub_event script[] = {
		{.headers = "Lambda-Runtime-Aws-Request-Id: huge\r\n", .body = big, .body_len = n},
		{.headers = "Lambda-Runtime-Aws-Request-Id: after\r\n", .body = "ok"},
	};

	assert_non_null(big);
	memset(big, 'e', n);
	big[n] = '\0';
	assert_int_equal(run(script, ARRAY_SIZE(script), &echo_fn, 2), 0);
	free(big);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.request_id, "after");
	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/huge/error");
	assert_string_equal(header(stub.posts[0].headers, "Lambda-Runtime-Function-Error-Type"),
			    "Runtime.EventTooLarge");
	assert_string_equal(stub.posts[1].body, "got:ok");
	/* The oversized body was drained, not cut: the connection survived. */
	assert_int_equal(stub.connections, 1);
}

static void test_answers_without_usable_request_id_are_retried(void **state)
{
	static const struct rtstub_event script[] = {
		{.body = "{\"no\":\"id\"}"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: ../../init/error\r\n", .body = "{}"},
		{.headers = "Lambda-Runtime-Aws-Request-Id: "
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			    "\r\n",
		 .body = "{}"},
		{.headers = "Lambda-Runtime-Aws-Request-Id:   ok-1  \r\n"
			    "Lambda-Runtime-Deadline-Ms: soon\r\n",
		 .body = "{\"id\":1}"},
	};

	assert_int_equal(run(script, ARRAY_SIZE(script), &echo_fn, 1), 0);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.request_id, "ok-1");
	assert_string_equal(seen.event, "{\"id\":1}");
	assert_int_equal(seen.deadline_ms, 0);
	assert_true(seen.remaining_ms == INT64_MAX);
	assert_int_equal(stub.nexts, 4);
	assert_int_equal(stub.n_posts, 1);
	assert_string_equal(stub.posts[0].path, PREFIX "/invocation/ok-1/response");
}

static void test_runtime_api_failures(void **state)
{
	static const struct rtstub_event refused[] = {{.status = 500, .body = "{}"}};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	char addr[32];
	int fd;

	unsetenv("AWS_LAMBDA_RUNTIME_API");
	assert_int_equal(lambda_run(&echo_fn, 1), ERR_CONFIG);
	/* A path prefix is allowed (sluice dev's "/w/<id>"); these are not. */
	setenv("AWS_LAMBDA_RUNTIME_API", "/w/1", 1);
	assert_int_equal(lambda_run(&echo_fn, 1), ERR_CONFIG);
	setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1?x", 1);
	assert_int_equal(lambda_run(&echo_fn, 1), ERR_CONFIG);
	setenv("AWS_LAMBDA_RUNTIME_API", "user@127.0.0.1:1", 1);
	assert_int_equal(lambda_run(&echo_fn, 1), ERR_CONFIG);
	assert_int_equal(seen.fini_calls, 0);

	/* A port nobody listens on: bound, then closed. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	setenv("AWS_LAMBDA_RUNTIME_API", addr, 1);
	assert_int_equal(lambda_run(&echo_fn, 1), ERR_HTTP);
	assert_int_equal(seen.fini_calls, 1);

	/* The Runtime API goes away after the script: the connection closes. */
	assert_int_equal(run(NULL, 0, &echo_fn, 0), ERR_HTTP);
	restub();

	/* `next` refused with 500: a container error, exit. */
	assert_int_equal(run(refused, 1, &echo_fn, 0), ERR_REMOTE);
	assert_int_equal(seen.calls, 0);
}

static void test_lambda_fail_and_remaining(void **state)
{
	struct lambda_error err;
	struct lambda_context ctx = {"", "", "", 0};
	char longer[2000];

	assert_int_equal(lambda_fail(&err, NULL, "x=%d", 7), 1);
	assert_string_equal(err.type, "Function.Unhandled");
	assert_string_equal(err.message, "x=7");
	memset(longer, 'm', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(lambda_fail(&err, "T", "%s", longer), 1);
	assert_int_equal(strlen(err.message), sizeof(err.message) - 1);

	assert_true(lambda_remaining_ms(&ctx) == INT64_MAX);
	assert_true(lambda_remaining_ms(NULL) == INT64_MAX);
	ctx.deadline_ms = time_now_ms() + 5000;
	assert_true(lambda_remaining_ms(&ctx) > 4000 && lambda_remaining_ms(&ctx) <= 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_invocations_reach_handler_and_post_responses,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_is_kept_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_error_posts_header_and_json, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_init_error_is_posted_to_init_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oversized_response_becomes_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oversized_event_is_an_error_without_handler,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_without_usable_request_id_are_retried,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_runtime_api_failures, setup, teardown),
		cmocka_unit_test(test_lambda_fail_and_remaining),
	};
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_stream = open_memstream(&log_text, &log_len);
	log_configure(LVL_INFO, true);
	log_set_output(log_stream);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	log_set_output(NULL);
	fclose(log_stream);
	free(log_text);
	curl_global_cleanup();
	return failed;
}
