/*
 * Unit tests for the worker pool (src/local/lambda/pool*.c): a pool over an
 * event_base with a private Runtime API, running real worker processes of
 * tests/protocol/fake_runtime (built beside this test: the Makefile makes it
 * first), whose FAKE_MODE chooses how each misbehaves. Checked, on values:
 * an invocation's result and Lambda's START / END / REPORT lines, the
 * environment a worker gets, a function error, a timeout, a crash, an
 * oversized response, an init error, the queue-full answer (THROTTLED, never
 * from inside pool_invoke()), cancel, reload (good and failed) and the
 * argument checks.
 */
#include "core/common.h"

#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "core/timeutil.h"
#include "local/lambda/pool.h"

#define RESULTS_MAX 8
#define WAIT_MS	    15000 /* the longest any test waits for its results */

struct result {
	enum pool_result_kind kind;
	char rid[64];
	char payload[8192];
	char type[128];
	char message[512];
	double duration_ms, init_ms;
};

struct fixture {
	struct event_base *base;
	struct pool *pool;
	FILE *log;
	char binary[PATH_MAX];
	char once[PATH_MAX]; /* FAKE_ONCE: misbehave once, then echo */
	struct result results[RESULTS_MAX];
	int n;
	int reloads, reload_err;
	char reload_why[512];
};

static void on_done(void *arg, const struct pool_result *r)
{
	struct fixture *f = arg;
	struct result *out = &f->results[f->n < RESULTS_MAX ? f->n : RESULTS_MAX - 1];

	out->kind = r->kind;
	snprintf(out->rid, sizeof(out->rid), "%s", r->request_id);
	snprintf(out->payload, sizeof(out->payload), "%.*s", (int)r->payload_len, r->payload);
	snprintf(out->type, sizeof(out->type), "%s", r->error_type);
	snprintf(out->message, sizeof(out->message), "%s", r->error_message);
	out->duration_ms = r->duration_ms;
	out->init_ms = r->init_duration_ms;
	f->n++;
}

static void on_reload(void *arg, int err, const char *why)
{
	struct fixture *f = arg;

	f->reloads++;
	f->reload_err = err;
	snprintf(f->reload_why, sizeof(f->reload_why), "%s", why);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Run the loop until `*counter` reaches `want` or WAIT_MS pass. */
static void run_until(struct fixture *f, const int *counter, int want)
{
	struct timeval every = {0, 10000};
	struct event *ev = event_new(f->base, -1, EV_PERSIST, tick, f->base);
	int64_t deadline = time_mono_ns() + (int64_t)WAIT_MS * 1000000;

	assert_non_null(ev);
	event_add(ev, &every);
	while (*counter < want && time_mono_ns() < deadline)
		event_base_dispatch(f->base);
	event_free(ev);
	assert_int_equal(*counter, want);
}

/* Run the loop for `ms` milliseconds whatever happens. */
static void run_for(struct fixture *f, uint32_t ms)
{
	struct timeval tv = time_tv_ms(ms);

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char self[PATH_MAX - 32], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd;

	assert_non_null(f);
	assert_true(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(f->binary, sizeof(f->binary), "%s/fake_runtime", self);
	assert_int_equal(access(f->binary, X_OK), 0);
	snprintf(f->once, sizeof(f->once), "/tmp/sluice-test-pool-%ld-once", (long)getpid());
	unlink(f->once);
	/* A real file: the workers write their own lines to its descriptor. */
	char path[] = "/tmp/sluice-test-pool-log-XXXXXX";
	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_non_null(f->log = fdopen(fd, "a+"));
	assert_non_null(f->base = event_base_new());
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pool_free(f->pool);
	event_base_free(f->base);
	fclose(f->log);
	unlink(f->once);
	free(f);
	return 0;
}

/*
 * Start the pool of function "Fn" in FAKE_MODE `mode` (NULL: echo) with
 * `extra` variables, a timeout of `timeout_ms` and at most `max` workers.
 */
static void start(struct fixture *f, const char *mode, const char *const *extra,
		  uint32_t timeout_ms, uint32_t max, uint32_t queue_max)
{
	char mode_var[64], once_var[PATH_MAX + 16];
	const char *env[16] = {"ASAN_OPTIONS=detect_leaks=0", "MY_VAR=1",
			       "AWS_REGION=eu-west-9" /* reserved: dropped */, mode_var, once_var};
	size_t n = 5;
	struct pool_config cfg = {
		.function_name = "Fn",
		.binary = f->binary,
		.handler = "h.main",
		.env = env,
		.timeout_ms = timeout_ms,
		.max_workers = max,
		.queue_max = queue_max,
		.log = f->log,
	};

	snprintf(mode_var, sizeof(mode_var), "FAKE_MODE=%s", mode ? mode : "echo");
	snprintf(once_var, sizeof(once_var), "FAKE_ONCE=%s", f->once);
	for (size_t i = 0; extra && extra[i] && n < ARRAY_SIZE(env) - 1; i++)
		env[n++] = extra[i];
	assert_int_equal(pool_new(f->base, NULL, &cfg, &f->pool), 0);
}

static void invoke(struct fixture *f, const char *event, const char *rid)
{
	assert_int_equal(pool_invoke(f->pool, event, strlen(event), rid, on_done, f, NULL), 0);
}

/* The whole log so far. */
static char *log_text(struct fixture *f)
{
	static char text[1 << 16];
	size_t n;

	fflush(f->log);
	rewind(f->log);
	n = fread(text, 1, sizeof(text) - 1, f->log);
	text[n] = '\0';
	return text;
}

static void test_invoke_echo(void **state)
{
	struct fixture *f = *state;
	struct pool_stats st;

	start(f, "echo", NULL, 0, 0, 0);
	invoke(f, "{\"a\":1}", "req-1");
	assert_int_equal(f->n, 0); /* never from inside pool_invoke() */
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_OK);
	assert_string_equal(f->results[0].rid, "req-1");
	assert_string_equal(f->results[0].payload, "{\"a\":1}");
	assert_string_equal(f->results[0].type, "");
	assert_true(f->results[0].init_ms > 0); /* a cold start */
	invoke(f, "{\"b\":2}", NULL);
	run_until(f, &f->n, 2);
	assert_int_equal(f->results[1].kind, POOL_OK);
	assert_string_equal(f->results[1].payload, "{\"b\":2}");
	assert_int_equal(strlen(f->results[1].rid), 36); /* a fresh UUID */
	assert_true(f->results[1].init_ms == 0);	 /* warm */
	pool_get_stats(f->pool, &st);
	assert_int_equal(st.workers, 1);
	assert_int_equal(st.busy, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.invocations, 2);
	assert_int_equal(st.cold_starts, 1);
	assert_int_equal(st.generation, 1);
	assert_non_null(strstr(log_text(f), "START RequestId: req-1 Version: $LATEST\n"
					    "END RequestId: req-1\n"
					    "REPORT RequestId: req-1\tDuration: "));
	assert_non_null(strstr(log_text(f), "\tMemory Size: 128 MB\tMax Memory Used: "));
	assert_non_null(strstr(log_text(f), "\tInit Duration: "));
}

static void test_environment(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = {"NO_EQUALS", "=nameless", NULL};
	const char *p;

	start(f, "env", extra, 0, 0, 0);
	invoke(f, "{}", "env-1");
	run_until(f, &f->n, 1);
	p = f->results[0].payload;
	assert_int_equal(f->results[0].kind, POOL_OK);
	assert_non_null(strstr(p, "\"_HANDLER=h.main\""));
	assert_non_null(strstr(p, "\"AWS_LAMBDA_FUNCTION_NAME=Fn\""));
	assert_non_null(strstr(p, "\"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128\""));
	assert_non_null(strstr(p, "\"AWS_LAMBDA_FUNCTION_VERSION=$LATEST\""));
	assert_non_null(strstr(p, "\"AWS_REGION=us-east-1\"")); /* Lambda's, not the function's */
	assert_null(strstr(p, "eu-west-9"));
	assert_non_null(strstr(p, "\"TZ=:UTC\""));
	assert_non_null(strstr(p, "\"MY_VAR=1\""));
	assert_non_null(strstr(p, "\"AWS_LAMBDA_RUNTIME_API=127.0.0.1:"));
	assert_null(strstr(p, "NO_EQUALS"));
	assert_null(strstr(p, "nameless"));
	assert_null(strstr(p, "\"HOME=")); /* nothing of the parent's own environment */
}

static void test_function_error(void **state)
{
	struct fixture *f = *state;

	start(f, "error", NULL, 0, 0, 0);
	invoke(f, "{}", "err-1");
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_FUNCTION_ERROR);
	assert_string_equal(f->results[0].type, "Function.Custom");
	assert_string_equal(f->results[0].message, "boom");
	assert_string_equal(f->results[0].payload,
			    "{\"errorMessage\":\"boom\",\"errorType\":\"Function.Custom\"}");
	assert_non_null(strstr(log_text(f), "\tStatus: error\tError Type: Function.Custom\t"));
}

static void test_timeout_then_recovers(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = {"FAKE_SLEEP_MS=5000", NULL};

	start(f, "sleep", extra, 300, 0, 0);
	invoke(f, "{}", "slow-1");
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_TIMEOUT);
	assert_string_equal(f->results[0].type, "Sandbox.Timedout");
	assert_string_equal(f->results[0].message, "Task timed out after 0.30 seconds");
	/* libevent schedules from its cached clock, so the timer may fire a little early. */
	assert_true(f->results[0].duration_ms >= 250);
	assert_true(f->results[0].duration_ms < 3000);
	assert_non_null(strstr(log_text(f), " slow-1 Task timed out after 0.30 seconds\n"));
	assert_non_null(strstr(log_text(f), "\tStatus: timeout\t"));
	/* The killed worker is replaced: FAKE_ONCE makes the next one echo. */
	invoke(f, "{\"again\":1}", "slow-2");
	run_until(f, &f->n, 2);
	assert_int_equal(f->results[1].kind, POOL_OK);
	assert_string_equal(f->results[1].payload, "{\"again\":1}");
}

static void test_crash_then_recovers(void **state)
{
	struct fixture *f = *state;

	start(f, "crash", NULL, 0, 0, 0);
	invoke(f, "{}", "crash-1");
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_EXIT);
	assert_string_equal(f->results[0].type, "Runtime.ExitError");
	assert_string_equal(f->results[0].message,
			    "RequestId: crash-1 Error: Runtime exited with error: signal: aborted");
	invoke(f, "{}", "crash-2");
	run_until(f, &f->n, 2);
	assert_int_equal(f->results[1].kind, POOL_OK);
}

static void test_response_too_large(void **state)
{
	struct fixture *f = *state;

	start(f, "oversized", NULL, 10000, 0, 0);
	invoke(f, "{}", "big-1");
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_TOO_LARGE);
	assert_string_equal(f->results[0].type, "Function.ResponseSizeTooLarge");
	assert_string_equal(f->results[0].message,
			    "Response payload size (7000000 bytes) exceeded maximum allowed "
			    "payload size (6291556 bytes).");
}

static void test_init_error(void **state)
{
	struct fixture *f = *state;

	start(f, "init_error", NULL, 0, 0, 0);
	invoke(f, "{}", "init-1");
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_INIT_ERROR);
	assert_string_equal(f->results[0].type, "Runtime.ConfigError");
	assert_string_equal(f->results[0].message, "missing TABLE_NAME");
	assert_non_null(strstr(log_text(f), "worker failed to start: Runtime.ConfigError: "
					    "missing TABLE_NAME\n"));
}

/* One worker, one waiting invocation: the third is THROTTLED, from the event loop. */
static void test_queue_full(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = {"FAKE_SLEEP_MS=300", NULL};
	int ok = 0, throttled = 0;

	start(f, "sleep", extra, 5000, 1, 1);
	unlink(f->once);
	invoke(f, "{}", "q-1");
	invoke(f, "{}", "q-2");
	invoke(f, "{}", "q-3");
	assert_int_equal(f->n, 0);
	run_until(f, &f->n, 3);
	for (int i = 0; i < 3; i++) {
		if (f->results[i].kind == POOL_OK)
			ok++;
		if (f->results[i].kind == POOL_THROTTLED) {
			throttled++;
			assert_string_equal(f->results[i].rid, "q-3");
			assert_string_equal(f->results[i].type, "TooManyRequestsException");
			assert_string_equal(f->results[i].message, "Rate Exceeded.");
		}
	}
	assert_int_equal(throttled, 1);
	assert_int_equal(ok, 2);
	assert_string_equal(f->results[0].rid, "q-3"); /* answered first, without waiting */
	assert_non_null(strstr(log_text(f), "throttled: "));
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = {"FAKE_SLEEP_MS=200", NULL};
	uint64_t ticket = 0;

	start(f, "sleep", extra, 5000, 0, 0);
	assert_int_equal(pool_invoke(f->pool, "{}", 2, "c-1", on_done, f, &ticket), 0);
	assert_true(ticket != 0);
	pool_cancel(f->pool, ticket);
	pool_cancel(f->pool, ticket + 100); /* unknown: ignored */
	run_for(f, 800);
	assert_int_equal(f->n, 0);
	invoke(f, "{\"after\":1}", "c-2");
	run_until(f, &f->n, 1);
	assert_string_equal(f->results[0].rid, "c-2");
	assert_int_equal(f->results[0].kind, POOL_OK);
}

static void reload(struct fixture *f, const char *mode, const char *var)
{
	char mode_var[64];
	const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", mode_var, var, NULL};
	struct pool_config cfg = {.function_name = "Fn", .binary = f->binary, .env = env};

	snprintf(mode_var, sizeof(mode_var), "FAKE_MODE=%s", mode);
	assert_int_equal(pool_reload(f->pool, &cfg, on_reload, f), 0);
}

static void test_reload(void **state)
{
	struct fixture *f = *state;
	struct pool_stats st;

	start(f, "echo", NULL, 0, 0, 0);
	invoke(f, "{}", "r-1");
	run_until(f, &f->n, 1);
	assert_int_equal(f->results[0].kind, POOL_OK);

	reload(f, "env", "GEN=2");
	run_until(f, &f->reloads, 1);
	assert_int_equal(f->reload_err, 0);
	assert_string_equal(f->reload_why, "");
	pool_get_stats(f->pool, &st);
	assert_int_equal(st.generation, 2);
	invoke(f, "{}", "r-2");
	run_until(f, &f->n, 2);
	assert_int_equal(f->results[1].kind, POOL_OK);
	assert_non_null(strstr(f->results[1].payload, "\"GEN=2\""));

	/* A build that fails its init: generation 2 keeps serving. */
	reload(f, "init_error", "GEN=3");
	run_until(f, &f->reloads, 2);
	assert_int_equal(f->reload_err, ERR_CONFIG);
	assert_string_equal(f->reload_why, "Runtime.ConfigError: missing TABLE_NAME");
	pool_get_stats(f->pool, &st);
	assert_int_equal(st.generation, 2);
	invoke(f, "{}", "r-3");
	run_until(f, &f->n, 3);
	assert_int_equal(f->results[2].kind, POOL_OK);
	assert_non_null(strstr(f->results[2].payload, "\"GEN=2\""));
	assert_non_null(strstr(log_text(f), "reload failed: Runtime.ConfigError: missing "
					    "TABLE_NAME; generation 2 keeps serving\n"));
}

static void test_arguments(void **state)
{
	struct fixture *f = *state;
	struct pool_config cfg = {.function_name = "bad name", .binary = f->binary};
	struct pool *p = (struct pool *)f;
	struct pool_stats st;
	char *big;

	assert_int_equal(pool_new(f->base, NULL, &cfg, &p), ERR_INVAL);
	assert_null(p);
	cfg.function_name = "Fn";
	cfg.binary = "";
	assert_int_equal(pool_new(f->base, NULL, &cfg, &p), ERR_INVAL);
	start(f, "echo", NULL, 0, 0, 0);
	assert_int_equal(pool_invoke(f->pool, NULL, 1, NULL, on_done, f, NULL), ERR_INVAL);
	assert_int_equal(pool_invoke(f->pool, "{}", 2, NULL, NULL, f, NULL), ERR_INVAL);
	assert_non_null(big = calloc(1, POOL_EVENT_MAX + 1));
	assert_int_equal(pool_invoke(f->pool, big, POOL_EVENT_MAX + 1, NULL, on_done, f, NULL),
			 ERR_TOOLARGE);
	free(big);
	cfg.binary = f->binary;
	cfg.function_name = "Other";
	assert_int_equal(pool_reload(f->pool, &cfg, on_reload, f), ERR_INVAL);
	run_for(f, 50);
	assert_int_equal(f->n + f->reloads, 0);
	pool_get_stats(f->pool, &st);
	assert_int_equal(st.workers, 0); /* nothing started before the first invocation */
	pool_get_stats(NULL, &st);
	assert_int_equal(st.invocations, 0);
	assert_string_equal(pool_result_kind_name(POOL_THROTTLED), "THROTTLED");
	assert_string_equal(pool_result_kind_name((enum pool_result_kind)99), "?");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_invoke_echo),
		T(test_environment),
		T(test_function_error),
		T(test_timeout_then_recovers),
		T(test_crash_then_recovers),
		T(test_response_too_large),
		T(test_init_error),
		T(test_queue_full),
		T(test_cancel),
		T(test_reload),
		T(test_arguments),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
