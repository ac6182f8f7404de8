/*
 * What an invocation adds to the log lines (log.h, "Invocations"): the keys
 * of Powertools for AWS Lambda's logger, rendered once per change into one
 * JSON fragment that log.c appends to each line as it is (so a line costs a
 * memcpy for them, not six jansson members), and the buffer of DEBUG lines
 * kept for an error.
 *
 * The buffer holds whole lines. When a new line does not fit, the oldest
 * lines are dropped until it does (the ones nearest the error matter most)
 * and the count of dropped lines is said once when the buffer is written.
 */
#include "core/common.h"

#include <pthread.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/log_int.h"

/* Room for the rendered keys: ids are short, the service and function names are bounded. */
#define LOGCTX_FRAGMENT_MAX 2048
#define LOGCTX_NAME_MAX	    256
#define LOGCTX_TRACE_MAX    64 /* "1-<8 hex>-<24 hex>" is 35 bytes */

static struct {
	pthread_mutex_t lock;
	char service[LOGCTX_NAME_MAX];
	char function_name[LOGCTX_NAME_MAX];
	char request_id[LOG_REQUEST_ID_MAX];
	char trace_id[LOGCTX_TRACE_MAX];
	char correlation_id[LOG_REQUEST_ID_MAX];
	bool in_invocation, cold_start;
	char fragment[LOGCTX_FRAGMENT_MAX];
	size_t fragment_len;
	char debug[LOG_DEBUG_BUFFER_MAX];
	size_t debug_len;
	unsigned dropped;
} ctx = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *const ctx_keys[] = {"service",	"cold_start",
				       "function_name", "function_request_id",
				       "xray_trace_id", "correlation_id"};

bool logctx_is_key(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctx_keys); i++)
		if (strcmp(k, ctx_keys[i]) == 0)
			return true;
	return false;
}

/* A copy that fits, cut at a character boundary's worth of care: the renderer escapes it. */
static void keep(char *field, size_t size, const char *v)
{
	snprintf(field, size, "%s", v ? v : "");
}

/* A JSON string: the plain bytes as they are, anything else escaped; invalid UTF-8 as U+FFFD. */
static void put_string(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_putf(b, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			buf_putc(b, (char)c);
			i++;
		} else {
			size_t k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

			if (k <= n - i && utf8_valid(s + i, k)) {
				buf_put(b, s + i, k);
				i += k;
			} else {
				buf_puts(b, "\\ufffd");
				i++;
			}
		}
	}
	buf_putc(b, '"');
}

static void put_member(struct buf *b, const char *key, const char *value)
{
	if (!value[0])
		return;
	buf_putf(b, ",\"%s\":", key);
	put_string(b, value);
}

/* Render the fragment again; the caller holds the lock. */
static void render(void)
{
	struct buf b;

	buf_init(&b, sizeof(ctx.fragment) - 1);
	put_member(&b, "service", ctx.service);
	if (ctx.in_invocation)
		buf_puts(&b, ctx.cold_start ? ",\"cold_start\":true" : ",\"cold_start\":false");
	put_member(&b, "function_name", ctx.function_name);
	put_member(&b, "function_request_id", ctx.request_id);
	put_member(&b, "xray_trace_id", ctx.trace_id);
	put_member(&b, "correlation_id", ctx.correlation_id);
	ctx.fragment_len = 0;
	if (!buf_error(&b)) {
		memcpy(ctx.fragment, b.ptr, b.len);
		ctx.fragment_len = b.len;
	}
	buf_release(&b);
}

/* The Root of an X-Ray trace header ("Root=1-...;Parent=...;Sampled=1"), or "". */
static void trace_root(char out[LOGCTX_TRACE_MAX], const char *header)
{
	const char *p = header ? strstr(header, "Root=") : NULL;
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	p += 5;
	n = strcspn(p, ";");
	if (n < LOGCTX_TRACE_MAX) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

void log_set_request_id(const char *id)
{
	pthread_mutex_lock(&ctx.lock);
	keep(ctx.request_id, sizeof(ctx.request_id), id);
	render();
	pthread_mutex_unlock(&ctx.lock);
}

void log_set_correlation_id(const char *id)
{
	pthread_mutex_lock(&ctx.lock);
	keep(ctx.correlation_id, sizeof(ctx.correlation_id), id);
	render();
	pthread_mutex_unlock(&ctx.lock);
}

void log_set_service(const char *service, const char *function_name)
{
	pthread_mutex_lock(&ctx.lock);
	keep(ctx.service, sizeof(ctx.service), service);
	keep(ctx.function_name, sizeof(ctx.function_name), function_name);
	render();
	pthread_mutex_unlock(&ctx.lock);
}

void log_invocation_begin(const struct log_invocation *inv)
{
	pthread_mutex_lock(&ctx.lock);
	keep(ctx.request_id, sizeof(ctx.request_id), inv ? inv->request_id : NULL);
	trace_root(ctx.trace_id, inv ? inv->trace_header : NULL);
	ctx.correlation_id[0] = '\0';
	ctx.cold_start = inv && inv->cold_start;
	ctx.in_invocation = true;
	ctx.debug_len = 0;
	ctx.dropped = 0;
	render();
	pthread_mutex_unlock(&ctx.lock);
}

void log_invocation_end(void)
{
	pthread_mutex_lock(&ctx.lock);
	ctx.request_id[0] = ctx.trace_id[0] = ctx.correlation_id[0] = '\0';
	ctx.in_invocation = ctx.cold_start = false;
	ctx.debug_len = 0;
	ctx.dropped = 0;
	render();
	pthread_mutex_unlock(&ctx.lock);
}

void logctx_put_json(struct buf *line)
{
	pthread_mutex_lock(&ctx.lock);
	buf_put(line, ctx.fragment, ctx.fragment_len);
	pthread_mutex_unlock(&ctx.lock);
}

void logctx_request_id(char out[LOG_REQUEST_ID_MAX])
{
	pthread_mutex_lock(&ctx.lock);
	memcpy(out, ctx.request_id, LOG_REQUEST_ID_MAX);
	pthread_mutex_unlock(&ctx.lock);
}

bool logctx_buffering(void)
{
	return ctx.in_invocation; /* a racy read is harmless: the function has one thread */
}

void logctx_buffer(const char *line, size_t len)
{
	pthread_mutex_lock(&ctx.lock);
	if (len > sizeof(ctx.debug)) {
		ctx.dropped++;
		goto out;
	}
	while (ctx.debug_len + len > sizeof(ctx.debug)) {
		/* Drop the oldest line. */
		char *nl = memchr(ctx.debug, '\n', ctx.debug_len);
		size_t first = nl ? (size_t)(nl - ctx.debug) + 1 : ctx.debug_len;

		memmove(ctx.debug, ctx.debug + first, ctx.debug_len - first);
		ctx.debug_len -= first;
		ctx.dropped++;
	}
	memcpy(ctx.debug + ctx.debug_len, line, len);
	ctx.debug_len += len;
out:
	pthread_mutex_unlock(&ctx.lock);
}

unsigned logctx_take(struct buf *out)
{
	unsigned dropped;

	pthread_mutex_lock(&ctx.lock);
	buf_put(out, ctx.debug, ctx.debug_len);
	dropped = ctx.dropped;
	ctx.debug_len = 0;
	ctx.dropped = 0;
	pthread_mutex_unlock(&ctx.lock);
	return dropped;
}
