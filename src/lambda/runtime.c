/*
 * The Lambda Runtime API client loop (runtime.h): next, handle, response or
 * error, forever. It talks to the Runtime API over one kept-alive TCP
 * connection (rt_conn.h: plain HTTP/1.1, one sendmsg per request, the answer
 * read in as few reads as its size allows), so the per-invocation cost is
 * two small HTTP exchanges over loopback. The buffers for the event and the
 * response are kept between invocations and only given back after an
 * unusually large one, so a warm loop allocates nothing.
 *
 * Everything that comes from the Runtime API is bounded: the head has
 * RT_WIRE_HEAD_MAX, header values have fixed sizes here, the event has
 * LAMBDA_EVENT_MAX, and a request id must be made of URL-safe bytes before
 * it is put into a path.
 */
#include "core/common.h"

#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"
#include "lambda/rt_conn.h"
#include "lambda/rt_wire.h"
#include "lambda/runtime.h"

#define RT_PREFIX	  "/2018-06-01/runtime/"
#define RT_REQUEST_ID_MAX 128			   /* Lambda's are UUIDs (36 bytes) */
#define RT_PATH_MAX	  (RT_REQUEST_ID_MAX + 64) /* RT_PREFIX "invocation/<id>/response" */
#define RT_ARN_MAX	  512		    /* an ARN with a qualifier is at most ~170 bytes */
#define RT_TRACE_MAX	  512		    /* X-Ray header: Root, Parent, Sampled, Lineage */
#define RT_DEADLINE_MAX	  24		    /* decimal int64 */
#define RT_REPLY_MAX	  4096		    /* what we keep of the Runtime API's answers to posts */
#define RT_ERROR_BODY_MAX 16384		    /* error JSON: a 1 KiB message escaped at worst 6x */
#define RT_KEEP_MAX	  ((size_t)1 << 20) /* buffers above this are freed after an invocation */
#define RT_RETRY_MAX_MS	  1000 /* backoff ceiling for answers to `next` without an id */
/* The answer buffer: a head, an event, and room to drain what passes the cap. */
#define RT_IN_MAX (RT_WIRE_HEAD_MAX + (size_t)LAMBDA_EVENT_MAX + RT_WIRE_READ_CHUNK)

/* The invocation fields of an answer to `next`, copied out of the answer's head. */
struct rt_headers {
	char request_id[RT_REQUEST_ID_MAX];
	char function_arn[RT_ARN_MAX];
	char trace_id[RT_TRACE_MAX];
	char deadline[RT_DEADLINE_MAX];
	bool request_id_bad; /* present but too long to keep, or given twice */
};

struct rt {
	struct rt_conn conn;	 /* the connection and its answer buffer */
	struct rt_wire_reader r; /* the last answer: the event lives in conn.in */
	struct rt_headers hdr;
	struct buf response;
	bool warm; /* an invocation has been served: the next is not a cold start */
};

int lambda_fail(struct lambda_error *err, const char *type, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->type, sizeof(err->type), "%s", type && *type ? type : "Function.Unhandled");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return 1;
}

int64_t lambda_remaining_ms(const struct lambda_context *ctx)
{
	if (!ctx || ctx->deadline_ms <= 0)
		return INT64_MAX;
	return ctx->deadline_ms - time_now_ms();
}

/*
 * Replace, in place, every byte that is not part of a well-formed UTF-8
 * sequence (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF)
 * with '?': jansson refuses invalid strings, and a truncated message may end
 * in half a character.
 */
static void utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		unsigned c = p[0], n, min, cp, i;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			goto bad;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		p += n + 1;
		continue;
	bad:
		*p++ = '?';
	}
}

/* Keep an error type fit for an HTTP header value: [A-Za-z0-9._:-], never empty. */
static void error_type_sanitize(char *t, size_t size)
{
	size_t i;

	if (!t[0])
		snprintf(t, size, "%s", "Function.Unhandled");
	for (i = 0; t[i]; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			t[i] = '_';
	}
}

/* A request id goes into a URL path: RFC 3986 unreserved bytes only. */
static bool request_id_valid(const char *id)
{
	size_t i;

	if (!id[0])
		return false;
	for (i = 0; id[i]; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~'))
			return false;
	}
	return true;
}

/* Copy a header value into a fixed field; false when it does not fit (field left ""). */
static bool header_keep(char *field, size_t size, struct str value)
{
	if (value.len >= size) {
		field[0] = '\0';
		return false;
	}
	memcpy(field, value.ptr, value.len);
	field[value.len] = '\0';
	return true;
}

static int rt_init(struct rt *rt)
{
	memset(rt, 0, sizeof(*rt));
	buf_init(&rt->response, LAMBDA_RESPONSE_BUF_MAX);
	return rt_conn_init(&rt->conn, getenv("AWS_LAMBDA_RUNTIME_API"), RT_IN_MAX);
}

static void rt_release(struct rt *rt)
{
	rt_conn_release(&rt->conn);
	buf_release(&rt->response);
}

/*
 * POST `len` bytes to `path` (under the runtime prefix), with an error type
 * header when `error_type` is given. A 500 means the container is broken
 * and the runtime must exit (ERR_REMOTE); other refusals are logged.
 */
static int rt_post(struct rt *rt, const char *path, const char *body, size_t len,
		   const char *error_type)
{
	struct rt_wire_reader *r = &rt->r;
	char full[RT_PATH_MAX];
	int err, status;

	snprintf(full, sizeof(full), RT_PREFIX "%s", path);
	err = rt_conn_request(&rt->conn, "POST", full, error_type, body, len, RT_REPLY_MAX, r);
	if (err)
		return err;
	status = r->head.status;
	if (status >= 200 && status < 300)
		return 0;
	log_emit(status >= 500 ? LVL_FATAL : LVL_ERROR, "Runtime API refused a post",
		 json_pack("{s:s,s:I,s:s%}", "path", path, "status", (json_int_t)status, "body",
			   rt_wire_reader_body(r), r->body_len));
	return status >= 500 ? ERR_REMOTE : 0;
}

/* POST {"errorMessage","errorType","stackTrace":[]} to `path`. */
static int rt_post_error(struct rt *rt, const char *path, struct lambda_error *lerr)
{
	struct buf body;
	json_t *v;
	int err;

	error_type_sanitize(lerr->type, sizeof(lerr->type));
	utf8_sanitize(lerr->message);
	log_emit(LVL_ERROR, "function error",
		 json_pack("{s:s,s:s}", "errorType", lerr->type, "errorMessage", lerr->message));
	v = json_pack("{s:s,s:s,s:[]}", "errorMessage", lerr->message, "errorType", lerr->type,
		      "stackTrace");
	if (!v)
		return ERR_NOMEM;
	buf_init(&body, RT_ERROR_BODY_MAX);
	err = jsonx_dump(v, &body, 0);
	json_decref(v);
	if (!err)
		err = rt_post(rt, path, body.ptr, body.len, lerr->type);
	buf_release(&body);
	return err;
}

/* Copy the invocation's fields out of the answer's head (`r`, done). */
static void headers_from_answer(struct rt *rt)
{
	const struct rt_wire_reader *r = &rt->r;
	const char *base = rt->conn.in.ptr;
	struct rt_headers *h = &rt->hdr;
#define RT_FIELD(f) str_make(base + r->head.field[f].off, r->head.field[f].len)

	memset(h, 0, sizeof(*h));
	if (!header_keep(h->request_id, sizeof(h->request_id), RT_FIELD(RT_WIRE_REQUEST_ID)) ||
	    r->head.duplicate)
		h->request_id_bad = true;
	header_keep(h->deadline, sizeof(h->deadline), RT_FIELD(RT_WIRE_DEADLINE));
	header_keep(h->function_arn, sizeof(h->function_arn), RT_FIELD(RT_WIRE_FUNCTION_ARN));
	header_keep(h->trace_id, sizeof(h->trace_id), RT_FIELD(RT_WIRE_TRACE_ID));
#undef RT_FIELD
}

/*
 * GET `next` until an answer carries a usable request id; rt->hdr and
 * the body of rt->r then describe the invocation.
 */
static int rt_next(struct rt *rt, bool *event_too_large /* OUT */)
{
	struct rt_wire_reader *r = &rt->r;
	unsigned misses = 0;
	int err;

	for (;;) {
		err = rt_conn_request(&rt->conn, "GET", RT_PREFIX "invocation/next", NULL, NULL, 0,
				      LAMBDA_EVENT_MAX, r);
		if (err)
			return err;
		if (r->head.status != 200) {
			log_emit(LVL_FATAL, "Runtime API refused next",
				 json_pack("{s:I,s:s%}", "status", (json_int_t)r->head.status,
					   "body", rt_wire_reader_body(r),
					   MIN(r->body_len, (size_t)RT_REPLY_MAX)));
			return ERR_REMOTE;
		}
		headers_from_answer(rt);
		if (!rt->hdr.request_id_bad && request_id_valid(rt->hdr.request_id))
			break;
		/* Nothing to answer to: say so, and ask again (backing off if it persists). */
		log_msg(LVL_ERROR, "next answered without a usable Lambda-Runtime-Aws-Request-Id");
		if (misses++) {
			unsigned ms = MIN(RT_RETRY_MAX_MS, 10u << MIN(misses, 7u));
			struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	*event_too_large = r->truncated;
	return 0;
}

/* Free buffers that one big invocation grew, so that a warm process stays small. */
static void rt_trim(struct rt *rt)
{
	if (rt->conn.in.alloc > RT_KEEP_MAX)
		buf_release(&rt->conn.in);
	if (rt->response.alloc > RT_KEEP_MAX)
		buf_release(&rt->response);
	buf_reset(&rt->response);
}

/*
 * _X_AMZN_TRACE_ID, as Lambda sets it for each invocation. Not setenv():
 * glibc keeps every value ever given to setenv() (a process may still hold
 * a pointer from getenv()), so a new trace id per invocation grew a warm
 * worker by ~130 bytes an invocation: massif found 2 MB of setenv's copies
 * and its tsearch() tree after 23,000 invocations, and RssAnon went from
 * 1.4 to 16.8 MiB over 10 minutes of wrk. putenv() takes this buffer
 * itself, so a new value is written over the old one.
 */
static char trace_env[sizeof("_X_AMZN_TRACE_ID=") + RT_TRACE_MAX];

static void trace_env_set(const char *trace_id)
{
	if (!trace_id[0]) {
		unsetenv("_X_AMZN_TRACE_ID");
		return;
	}
	snprintf(trace_env, sizeof(trace_env), "_X_AMZN_TRACE_ID=%s", trace_id);
	if (putenv(trace_env))
		log_msg(LVL_WARN, "could not set _X_AMZN_TRACE_ID: %s", strerror(errno));
}

static void context_from_headers(struct rt *rt, struct lambda_context *ctx)
{
	long long deadline = 0;

	ctx->request_id = rt->hdr.request_id;
	ctx->function_arn = rt->hdr.function_arn;
	ctx->trace_id = rt->hdr.trace_id;
	if (rt->hdr.deadline[0] &&
	    str_to_i64(str_from(rt->hdr.deadline), 0, INT64_MAX, &deadline)) {
		log_msg(LVL_WARN, "ignoring a malformed Lambda-Runtime-Deadline-Ms");
		deadline = 0;
	}
	ctx->deadline_ms = deadline;
	trace_env_set(ctx->trace_id);
}

/* One invocation: next, handle, then response or error. */
static int rt_invoke(struct rt *rt, const struct lambda_function *fn, void *state)
{
	char path[RT_PATH_MAX];
	struct lambda_context ctx;
	struct lambda_error lerr;
	bool too_large = false;
	int failed, err;

	err = rt_next(rt, &too_large);
	if (err)
		return err;
	context_from_headers(rt, &ctx);
	/* Powertools' keys on every line, DEBUG lines kept for an error, ColdStart once. */
	log_invocation_begin(&(struct log_invocation){ctx.request_id, ctx.trace_id, !rt->warm});
	if (!rt->warm)
		metrics_cold_start();
	rt->warm = true;
	lerr.type[0] = lerr.message[0] = '\0';
	buf_reset(&rt->response);

	if (too_large)
		failed = lambda_fail(&lerr, "Runtime.EventTooLarge",
				     "Event payload exceeded the runtime's limit (%d bytes).",
				     LAMBDA_EVENT_MAX);
	else
		failed = fn->handle(state, rt_wire_reader_body(&rt->r), rt->r.body_len, &ctx,
				    &rt->response, &lerr);
	if (!failed && rt->response.len > LAMBDA_RESPONSE_MAX)
		failed = lambda_fail(&lerr, "Function.ResponseSizeTooLarge",
				     "Response payload size (%zu bytes) exceeded maximum allowed "
				     "payload size (%d bytes).",
				     rt->response.len, LAMBDA_RESPONSE_MAX);
	metrics_flush(); /* inside the invocation, before its result, as Powertools does */

	if (failed) {
		if (!lerr.message[0])
			snprintf(lerr.message, sizeof(lerr.message), "%s", "the handler failed");
		snprintf(path, sizeof(path), "invocation/%s/error", ctx.request_id);
		err = rt_post_error(rt, path, &lerr);
	} else {
		snprintf(path, sizeof(path), "invocation/%s/response", ctx.request_id);
		err = rt_post(rt, path, rt->response.ptr, rt->response.len, NULL);
	}
	rt_trim(rt);
	log_invocation_end();
	return err;
}

int lambda_run(const struct lambda_function *fn, long max_invocations)
{
	struct lambda_error lerr;
	void *state = NULL;
	struct rt rt;
	long n;
	int err;

	err = rt_init(&rt);
	if (err)
		goto out;
	metrics_init_from_env();
	if (fn->init) {
		lerr.type[0] = lerr.message[0] = '\0';
		if (fn->init(&state, &lerr)) {
			if (!lerr.type[0])
				snprintf(lerr.type, sizeof(lerr.type), "%s", "Runtime.InitError");
			if (!lerr.message[0])
				snprintf(lerr.message, sizeof(lerr.message), "%s",
					 "the function's initialisation failed");
			err = rt_post_error(&rt, "init/error", &lerr);
			if (!err)
				err = ERR_INVAL;
			goto out;
		}
	}
	for (n = 0; !err && (max_invocations <= 0 || n < max_invocations); n++)
		err = rt_invoke(&rt, fn, state);
	if (fn->fini)
		fn->fini(state);
out:
	rt_release(&rt);
	return err;
}
