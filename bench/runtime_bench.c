/*
 * Runtime API benchmarks (bench/runtime.sh builds and runs this), against the
 * stand-in Runtime API of tests/unit/rtstub.c:
 *
 *   runtime_bench init BOOTSTRAP [RUNS]   exec of BOOTSTRAP to its first `next`
 *   runtime_bench loop [N]                the loop in-process, trivial handlers
 *   runtime_bench rss BOOTSTRAP [N]       VmRSS/VmHWM of BOOTSTRAP after N invocations
 *
 * BOOTSTRAP runs with _HANDLER=$HANDLER (default "health") and gets API
 * Gateway v2 "GET /health" events. Figures are printed as plain lines; the
 * program fails only when the measurement itself could not be made.
 */
#include "core/common.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "lambda/apigw.h"
#include "lambda/runtime.h"
#include "rtstub.h"

extern char **environ;

#define BENCH_ENV_MAX 512
#define BENCH_WAIT_NS (60LL * 1000000000LL)

static const char health_event[] =
	"{\"version\":\"2.0\",\"routeKey\":\"GET /health\",\"rawPath\":\"/health\","
	"\"rawQueryString\":\"\",\"headers\":{\"accept\":\"*/*\","
	"\"host\":\"abc123.execute-api.us-east-1.amazonaws.com\",\"user-agent\":\"curl/8.5.0\","
	"\"x-amzn-trace-id\":\"Root=1-65f0c3a0-0a1b2c3d4e5f60718293a4b5\","
	"\"x-forwarded-for\":\"203.0.113.7\",\"x-forwarded-port\":\"443\","
	"\"x-forwarded-proto\":\"https\"},\"requestContext\":{\"accountId\":\"123456789012\","
	"\"apiId\":\"abc123\",\"domainName\":\"abc123.execute-api.us-east-1.amazonaws.com\","
	"\"domainPrefix\":\"abc123\",\"http\":{\"method\":\"GET\",\"path\":\"/health\","
	"\"protocol\":\"HTTP/1.1\",\"sourceIp\":\"203.0.113.7\",\"userAgent\":\"curl/8.5.0\"},"
	"\"requestId\":\"JKJaXmPLvHcESHA=\",\"routeKey\":\"GET /health\",\"stage\":\"$default\","
	"\"time\":\"10/Mar/2025:14:20:00 +0000\",\"timeEpoch\":1741616400000},"
	"\"isBase64Encoded\":false}";

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted `v`. */
static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)n + 0.999999);

	return v[i ? MIN(i, n) - 1 : 0];
}

/* Start BOOTSTRAP against `stub`, stderr to /dev/null. Returns the pid or -1. */
static pid_t spawn_bootstrap(const char *bootstrap, struct rtstub *stub)
{
	static char api[64], handler[128];
	char *envp[BENCH_ENV_MAX], *argv[] = {(char *)bootstrap, NULL}, addr[32];
	const char *h = getenv("HANDLER");
	posix_spawn_file_actions_t fa;
	size_t n = 0, i;
	pid_t pid;
	int rc;

	rtstub_address(stub, addr);
	snprintf(api, sizeof(api), "AWS_LAMBDA_RUNTIME_API=%s", addr);
	snprintf(handler, sizeof(handler), "_HANDLER=%s", h && *h ? h : "health");
	for (i = 0; environ[i] && n < BENCH_ENV_MAX - 3; i++) {
		if (strncmp(environ[i], "AWS_LAMBDA_RUNTIME_API=", 23) &&
		    strncmp(environ[i], "_HANDLER=", 9))
			envp[n++] = environ[i];
	}
	envp[n++] = api;
	envp[n++] = handler;
	envp[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, bootstrap, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "runtime_bench: cannot run %s: %s\n", bootstrap, strerror(rc));
		return -1;
	}
	return pid;
}

/* (a) exec to first `next`: the stub answers nothing, so the bootstrap exits after it. */
static int bench_init(const char *bootstrap, int runs)
{
	double *ms;
	int i, ok = 0;

	runs = MAX(runs, 1);
	ms = calloc((size_t)runs, sizeof(*ms));
	if (!ms)
		return 1;
	for (i = -1; i < runs; i++) { /* run -1 warms the page cache */
		struct rtstub stub = {0};
		int64_t t0;
		pid_t pid;

		if (rtstub_start(&stub))
			break;
		t0 = rtstub_now_ns();
		pid = spawn_bootstrap(bootstrap, &stub);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		rtstub_stop(&stub);
		if (pid <= 0 || !stub.first_next_ns) {
			fprintf(stderr, "runtime_bench: %s never asked for `next`\n", bootstrap);
			break;
		}
		if (i >= 0)
			ms[ok++] = (double)(stub.first_next_ns - t0) / 1e6;
	}
	if (ok) {
		qsort(ms, (size_t)ok, sizeof(*ms), cmp_double);
		printf("init_ms p50=%.2f p99=%.2f min=%.2f max=%.2f runs=%d\n", pct(ms, ok, 50),
		       pct(ms, ok, 99), ms[0], ms[ok - 1], ok);
	}
	free(ms);
	return ok == runs ? 0 : 1;
}

/* The cheapest possible function: "{}" in, "{}" out. */
static int raw_handle(void *state, const char *event, size_t len, const struct lambda_context *ctx,
		      struct buf *response, struct lambda_error *err)
{
	return buf_add(response, "{}", 2) ? lambda_fail(err, NULL, "append failed") : 0;
}

/* The codec around a trivial answer: parse the API Gateway event, render a v2 response. */
static int codec_handle(void *state, const char *event, size_t len,
			const struct lambda_context *ctx, struct buf *response,
			struct lambda_error *err)
{
	static const char body[] = "{\"status\":\"ok\"}";
	struct apigw_request req;
	struct apigw_response resp;
	char why[128];
	int rc;

	if (apigw_parse_event(event, len, &req, why, sizeof(why)))
		return lambda_fail(err, "Runtime.BadEvent", "%s", why);
	apigw_response_init(&resp);
	rc = apigw_response_add_header(&resp, "content-type", "application/json");
	if (!rc)
		rc = apigw_response_set_body(&resp, body, sizeof(body) - 1);
	if (!rc)
		rc = apigw_response_to_json(&resp, req.version, response);
	apigw_response_release(&resp);
	apigw_request_release(&req);
	return rc ? lambda_fail(err, NULL, "%s", err_str(rc)) : 0;
}

/* CPU time of the calling thread: the runtime's own cost, without the stand-in's. */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int loop_once(const char *label, const struct lambda_function *fn, unsigned long n)
{
	struct rtstub stub = {
		.generate = n, .generate_body = health_event, .record_bodies_off = true};
	char addr[32];
	int64_t t0, t1, c0, c1;
	bool first_failed;
	double us;
	int err;

	if (rtstub_start(&stub))
		return 1;
	rtstub_address(&stub, addr);
	setenv("AWS_LAMBDA_RUNTIME_API", addr, 1);
	t0 = rtstub_now_ns();
	c0 = thread_cpu_ns();
	err = lambda_run(fn, (long)n);
	c1 = thread_cpu_ns();
	t1 = rtstub_now_ns();
	first_failed = stub.n_posts && strstr(stub.posts[0].path, "/error");
	rtstub_stop(&stub);
	if (err || stub.posts_total != n || stub.connections != 1) {
		fprintf(stderr, "runtime_bench: %s: %s, %lu posts, %u connections\n", label,
			err_str(err), stub.posts_total, stub.connections);
		return 1;
	}
	if (first_failed) {
		fprintf(stderr, "runtime_bench: %s: the handler failed\n", label);
		return 1;
	}
	us = (double)(t1 - t0) / 1e3 / (double)n;
	printf("%s invocations=%lu rps=%.0f us_per_invocation=%.1f cpu_us_per_invocation=%.1f "
	       "connections=%u\n",
	       label, n, 1e6 / us, us, (double)(c1 - c0) / 1e3 / (double)n, stub.connections);
	return 0;
}

/*
 * (b) the loop in-process. us_per_invocation is wall time and includes the
 * stand-in's work and the thread hand-offs; cpu_us_per_invocation is the
 * runtime thread's own CPU time (user and system), the steadier figure.
 */
static int bench_loop(unsigned long n)
{
	static const struct lambda_function raw = {"raw", NULL, raw_handle, NULL};
	static const struct lambda_function codec = {"codec", NULL, codec_handle, NULL};

	if (loop_once("loop_warmup", &raw, 1000 < n ? 1000 : n))
		return 1;
	return loop_once("loop_raw", &raw, n) || loop_once("loop_codec", &codec, n);
}

/* "VmRSS:  1234 kB" from /proc/<pid>/status; -1 when missing. */
static long status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* (c) a warm bootstrap: N invocations served, the next one held while we look. */
static int bench_rss(const char *bootstrap, unsigned long n)
{
	struct rtstub stub = {.generate = n,
			      .generate_body = health_event,
			      .record_bodies_off = true,
			      .hold = true};
	int64_t t0, t1 = 0, deadline;
	bool ready = false;
	size_t i, errors = 0;
	pid_t pid;
	int rc = 1;

	if (rtstub_start(&stub))
		return 1;
	t0 = rtstub_now_ns();
	deadline = t0 + BENCH_WAIT_NS;
	pid = spawn_bootstrap(bootstrap, &stub);
	if (pid <= 0)
		goto out;
	while (!ready && rtstub_now_ns() < deadline) {
		struct timespec ts = {0, 1000000};

		rtstub_lock(&stub);
		ready = stub.holding;
		rtstub_unlock(&stub);
		if (!ready && waitpid(pid, NULL, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		if (!ready)
			nanosleep(&ts, NULL);
	}
	t1 = rtstub_now_ns();
	if (!ready) {
		fprintf(stderr, "runtime_bench: %s did not serve %lu invocations\n", bootstrap, n);
		goto out;
	}
	for (i = 0; i < stub.n_posts; i++)
		errors += strstr(stub.posts[i].path, "/error") != NULL;
	printf("rss_kb vmrss=%ld vmhwm=%ld rss_anon=%ld rss_file=%ld invocations=%lu\n",
	       status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM"), status_kb(pid, "RssAnon"),
	       status_kb(pid, "RssFile"), n);
	printf("bootstrap_e2e invocations=%lu us_per_invocation=%.1f (init included)\n", n,
	       (double)(t1 - t0) / 1e3 / (double)n);
	if (errors)
		fprintf(stderr, "runtime_bench: %zu of the first %zu invocations were errors\n",
			errors, stub.n_posts);
	rc = errors ? 1 : 0;
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	rtstub_stop(&stub);
	return rc;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int rc = 2;

	log_init_from_env();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(mode, "init") && argc > 2)
		rc = bench_init(argv[2], argc > 3 ? (int)strtol(argv[3], NULL, 10) : 50);
	else if (!strcmp(mode, "loop"))
		rc = bench_loop(argc > 2 ? strtoul(argv[2], NULL, 10) : 20000);
	else if (!strcmp(mode, "rss") && argc > 2)
		rc = bench_rss(argv[2], argc > 3 ? strtoul(argv[3], NULL, 10) : 1000);
	else
		fprintf(stderr, "usage: runtime_bench init|rss BOOTSTRAP [N] | loop [N]\n");
	curl_global_cleanup();
	return rc;
}
