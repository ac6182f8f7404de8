/*
 * A misbehaving Lambda runtime for the pool's conformance tests
 * (tests/protocol/test_local_pool.py through pool_driver). It speaks the
 * Runtime API at $AWS_LAMBDA_RUNTIME_API with libcurl and does what
 * FAKE_MODE says:
 *
 *   echo (default)  respond with the event
 *   env             respond with {"env": ["K=V", ...]}, its whole environment
 *   error           post /error (Lambda-Runtime-Function-Error-Type: Function.Custom)
 *   wrong_id        post a response for an unknown request id, then the right one
 *   two_responses   post the response twice
 *   crash           abort() while holding the invocation
 *   exit_mid        exit(2) while holding the invocation
 *   sleep           sleep FAKE_SLEEP_MS (default 5000) before responding
 *   oversized       respond with 7,000,000 bytes
 *   init_error      post /runtime/init/error (Runtime.ConfigError), then exit(1)
 *   exit_before_next  exit(3) before the first next
 *   slow_init       sleep FAKE_INIT_MS (default 300) before the first next
 *   probe           before responding: a second next while busy, a POST to
 *                   next, and a next under another worker's prefix
 *
 * With FAKE_ONCE=<path>, the misbehaviour happens only while <path> does not
 * exist; the first invocation (or init, for the init modes) that misbehaves
 * creates it, so what follows behaves (echo). What the Runtime API answered each misbehaving call
 * is printed to stderr as "fake_runtime: <what> -> <status> <body>".
 */
#include "core/common.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/buf.h"

#define FAKE_BODY_MAX  (8 << 20)
#define FAKE_OVERSIZED 7000000
#define FAKE_URL_MAX   1024

static char base_url[FAKE_URL_MAX];
static char request_id[256];

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) == 0 ? sz * n : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	static const char name[] = "lambda-runtime-aws-request-id:";
	size_t len = sz * n;

	(void)arg;
	if (len > sizeof(name) && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		const char *v = p + sizeof(name) - 1;
		size_t vl = len - (sizeof(name) - 1);

		while (vl && (*v == ' '))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		snprintf(request_id, sizeof(request_id), "%.*s", (int)vl, v);
	}
	return len;
}

/* One request; returns the HTTP status (0 on transport failure), body into `out`. */
static long call(const char *path, const char *body, size_t len, const char *error_type,
		 struct buf *out)
{
	char url[FAKE_URL_MAX * 2], hdr[256];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;

	buf_reset(out);
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		h = curl_slist_append(h, "Content-Type: application/json");
		if (error_type) {
			snprintf(hdr, sizeof(hdr), "Lambda-Runtime-Function-Error-Type: %s",
				 error_type);
			h = curl_slist_append(h, hdr);
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static void say(const char *what, long status, const struct buf *b)
{
	fprintf(stderr, "fake_runtime: %s -> %ld %s\n", what, status, b->ptr);
	fflush(stderr);
}

static long post_result(const char *rid, const char *kind, const char *body, size_t len,
			struct buf *out)
{
	char path[512];

	snprintf(path, sizeof(path), "invocation/%s/%s", rid, kind);
	return call(path, body, len, strcmp(kind, "error") == 0 ? "Function.Custom" : NULL, out);
}

static void respond_env(struct buf *out)
{
	extern char **environ;
	struct buf b;

	buf_init(&b, FAKE_BODY_MAX);
	buf_puts(&b, "{\"env\":[");
	for (char **e = environ; *e; e++) {
		buf_putf(&b, "%s\"", e == environ ? "" : ",");
		for (const char *p = *e; *p; p++)
			if (*p == '"' || *p == '\\')
				buf_putf(&b, "\\%c", *p);
			else if ((unsigned char)*p >= 0x20)
				buf_putc(&b, *p);
		buf_putc(&b, '"');
	}
	buf_puts(&b, "]}");
	if (buf_error(&b)) /* never a cut list that looks whole */
		post_result(request_id, "error", "{\"errorMessage\":\"environment too large\"}", 40,
			    out);
	else
		post_result(request_id, "response", b.ptr, b.len, out);
	buf_release(&b);
}

static bool misbehave_now(void)
{
	const char *once = getenv("FAKE_ONCE");
	int fd;

	if (!once || !*once)
		return true;
	fd = open(once, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static long env_ms(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end ? dflt : n;
}

/* Calls a runtime should not make, each printed with its answer. */
static void probe(struct buf *out)
{
	char saved[sizeof(base_url)], rid[sizeof(request_id)];
	char *w;
	long st;

	snprintf(rid, sizeof(rid), "%s", request_id);
	st = call("invocation/next", NULL, 0, NULL, out);
	say("next-while-busy", st, out);
	st = call("invocation/next", "", 0, NULL, out);
	say("post-next", st, out);
	snprintf(saved, sizeof(saved), "%s", base_url);
	if ((w = strstr(base_url, "/w/")) != NULL) {
		snprintf(w, sizeof(base_url) - (size_t)(w - base_url),
			 "/w/999999/2018-06-01/runtime/");
		st = call("invocation/next", NULL, 0, NULL, out);
		say("other-worker", st, out);
	}
	snprintf(base_url, sizeof(base_url), "%s", saved);
	snprintf(request_id, sizeof(request_id), "%s", rid);
}

/* One invocation in `mode`; the event is in `ev`. */
static void handle(const char *mode, struct buf *ev, struct buf *out)
{
	char *big;
	long st;

	if (strcmp(mode, "env") == 0) {
		respond_env(out);
	} else if (strcmp(mode, "error") == 0) {
		static const char doc[] =
			"{\"errorMessage\":\"boom\",\"errorType\":\"Function.Custom\"}";

		post_result(request_id, "error", doc, sizeof(doc) - 1, out);
	} else if (strcmp(mode, "wrong_id") == 0) {
		st = post_result("00000000-0000-4000-8000-000000000000", "response", "{}", 2, out);
		say("wrong-id", st, out);
		post_result(request_id, "response", ev->ptr, ev->len, out);
	} else if (strcmp(mode, "two_responses") == 0) {
		post_result(request_id, "response", ev->ptr, ev->len, out);
		st = post_result(request_id, "response", ev->ptr, ev->len, out);
		say("second-response", st, out);
	} else if (strcmp(mode, "probe") == 0) {
		probe(out);
		post_result(request_id, "response", ev->ptr, ev->len, out);
	} else if (strcmp(mode, "crash") == 0) {
		abort();
	} else if (strcmp(mode, "exit_mid") == 0) {
		exit(2);
	} else if (strcmp(mode, "sleep") == 0) {
		usleep((useconds_t)env_ms("FAKE_SLEEP_MS", 5000) * 1000);
		post_result(request_id, "response", ev->ptr, ev->len, out);
	} else if (strcmp(mode, "oversized") == 0) {
		if (!(big = malloc(FAKE_OVERSIZED)))
			exit(1);
		memset(big, 'x', FAKE_OVERSIZED);
		big[0] = '"';
		big[FAKE_OVERSIZED - 1] = '"';
		st = post_result(request_id, "response", big, FAKE_OVERSIZED, out);
		say("oversized", st, out);
		free(big);
	} else {
		post_result(request_id, "response", ev->ptr, ev->len, out);
	}
}

static bool init_mode(const char *mode)
{
	return strcmp(mode, "exit_before_next") == 0 || strcmp(mode, "slow_init") == 0 ||
	       strcmp(mode, "init_error") == 0;
}

int main(void)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *mode = getenv("FAKE_MODE");
	struct buf ev, out;
	long st;

	if (!api)
		return 64;
	if (!mode || !*mode)
		mode = "echo";
	if (init_mode(mode) && !misbehave_now())
		mode = "echo";
	snprintf(base_url, sizeof(base_url), "http://%s/2018-06-01/runtime/", api);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	buf_init(&ev, FAKE_BODY_MAX);
	buf_init(&out, FAKE_BODY_MAX);
	if (strcmp(mode, "exit_before_next") == 0)
		exit(3);
	if (strcmp(mode, "slow_init") == 0)
		usleep((useconds_t)env_ms("FAKE_INIT_MS", 300) * 1000);
	if (strcmp(mode, "init_error") == 0) {
		static const char doc[] = "{\"errorMessage\":\"missing "
					  "TABLE_NAME\",\"errorType\":\"Runtime.ConfigError\"}";

		st = call("init/error", doc, sizeof(doc) - 1, "Runtime.ConfigError", &out);
		say("init-error", st, &out);
		exit(1);
	}
	for (;;) {
		request_id[0] = '\0';
		st = call("invocation/next", NULL, 0, NULL, &ev);
		if (st != 200 || !request_id[0])
			break;
		handle(!init_mode(mode) && misbehave_now() ? mode : "echo", &ev, &out);
	}
	buf_release(&ev);
	buf_release(&out);
	curl_global_cleanup();
	return 0;
}
