/*
 * What an invocation adds to the log lines (log.h, "Invocations"): the keys
 * of Powertools for AWS Lambda's logger, rendered once per change into one
 * JSON fragment that log.c appends to each line as it is (so a line costs a
 * memcpy for them, not six jansson members), and the buffer of DEBUG lines
 * kept for an error.
 *
 * Kept DEBUG lines are records (time, message, fields), formatted only when
 * an error writes them (log.c), so an invocation that ends well pays a copy
 * of each message. Past LOGCTX_RECORDS_MAX the oldest goes (the ones nearest
 * the error matter most); log.c bounds the written lines to
 * LOG_DEBUG_BUFFER_MAX bytes and says how many older ones did not fit.
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
	struct buf scratch; /* where render() builds the fragment */
	struct logctx_record rec[LOGCTX_RECORDS_MAX];
	size_t first, nrec; /* a ring: rec[first], ... nrec of them */
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
		size_t run = i;

		/* Ids are plain ASCII: copy runs of it at once. */
		while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
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
	buf_puts(b, ",\"");
	buf_puts(b, key);
	buf_puts(b, "\":");
	put_string(b, value);
}

/* Render the fragment again; the caller holds the lock. */
static void render(void)
{
	struct buf *b = &ctx.scratch; /* kept between renders: no allocation after the first */

	if (!b->cap)
		buf_init(b, sizeof(ctx.fragment) - 1);
	buf_reset(b);
	put_member(b, "service", ctx.service);
	if (ctx.in_invocation)
		buf_puts(b, ctx.cold_start ? ",\"cold_start\":true" : ",\"cold_start\":false");
	put_member(b, "function_name", ctx.function_name);
	put_member(b, "function_request_id", ctx.request_id);
	put_member(b, "xray_trace_id", ctx.trace_id);
	put_member(b, "correlation_id", ctx.correlation_id);
	ctx.fragment_len = 0;
	if (!buf_error(b)) {
		memcpy(ctx.fragment, b->ptr, b->len);
		ctx.fragment_len = b->len;
	}
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

/* Forget the kept lines; the caller holds the lock. */
static void drop_records(void)
{
	for (size_t i = 0; i < ctx.nrec; i++) {
		struct logctx_record *r = &ctx.rec[(ctx.first + i) % LOGCTX_RECORDS_MAX];

		free(r->message);
		json_decref(r->fields);
	}
	ctx.first = ctx.nrec = 0;
	ctx.dropped = 0;
}

void log_invocation_begin(const struct log_invocation *inv)
{
	pthread_mutex_lock(&ctx.lock);
	keep(ctx.request_id, sizeof(ctx.request_id), inv ? inv->request_id : NULL);
	trace_root(ctx.trace_id, inv ? inv->trace_header : NULL);
	ctx.correlation_id[0] = '\0';
	ctx.cold_start = inv && inv->cold_start;
	ctx.in_invocation = true;
	drop_records();
	render();
	pthread_mutex_unlock(&ctx.lock);
}

void log_invocation_end(void)
{
	pthread_mutex_lock(&ctx.lock);
	ctx.request_id[0] = ctx.trace_id[0] = ctx.correlation_id[0] = '\0';
	ctx.in_invocation = ctx.cold_start = false;
	drop_records();
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

void logctx_keep(int64_t ts_ms, char *message, json_t *fields)
{
	struct logctx_record *r;

	pthread_mutex_lock(&ctx.lock);
	if (!ctx.in_invocation || !message) {
		pthread_mutex_unlock(&ctx.lock);
		free(message);
		json_decref(fields);
		return;
	}
	if (ctx.nrec == LOGCTX_RECORDS_MAX) {
		r = &ctx.rec[ctx.first];
		free(r->message);
		json_decref(r->fields);
		ctx.first = (ctx.first + 1) % LOGCTX_RECORDS_MAX;
		ctx.nrec--;
		ctx.dropped++;
	}
	r = &ctx.rec[(ctx.first + ctx.nrec++) % LOGCTX_RECORDS_MAX];
	r->ts_ms = ts_ms;
	r->message = message;
	r->fields = fields;
	pthread_mutex_unlock(&ctx.lock);
}

size_t logctx_take(struct logctx_record *out, unsigned *dropped)
{
	size_t n;

	pthread_mutex_lock(&ctx.lock);
	n = ctx.nrec;
	for (size_t i = 0; i < n; i++)
		out[i] = ctx.rec[(ctx.first + i) % LOGCTX_RECORDS_MAX];
	*dropped = ctx.dropped;
	ctx.first = ctx.nrec = 0;
	ctx.dropped = 0;
	pthread_mutex_unlock(&ctx.lock);
	return n;
}
