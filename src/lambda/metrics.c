/*
 * EMF documents of one invocation (metrics.h). Metrics live in a small
 * fixed table until the flush, which writes them by hand: the values are
 * numbers and the names were checked when added, so nothing needs escaping
 * but the service and function names, which are checked once at
 * configuration. An invocation that adds nothing costs one comparison.
 */
#include "core/common.h"

#include <math.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"

#define METRICS_DEFAULT_NAMESPACE "sluice"
#define METRICS_DEFAULT_SERVICE	  "sluice"
#define METRICS_CONFIG_MAX	  256 /* a namespace is at most 255 characters */
/* One document: 100 metrics of 100 values, each value at most ~24 bytes. */
#define METRICS_DOCUMENT_MAX ((size_t)256 * 1024)

struct metric {
	char name[METRICS_NAME_MAX + 1];
	enum metrics_unit unit;
	unsigned n;
	double values[METRICS_VALUES_MAX];
};

static struct {
	char ns[METRICS_CONFIG_MAX];
	char service[METRICS_CONFIG_MAX];
	char function_name[METRICS_CONFIG_MAX];
	struct metric m[METRICS_MAX];
	unsigned n;
	bool cold_start;
} mx; /* zero-initialised (bss, not 70 KB of the binary): "" means the default */

static const char *ns_of(void)
{
	return mx.ns[0] ? mx.ns : METRICS_DEFAULT_NAMESPACE;
}

static const char *service_of(void)
{
	return mx.service[0] ? mx.service : METRICS_DEFAULT_SERVICE;
}

const char *metrics_unit_name(enum metrics_unit unit)
{
	static const char *const names[] = {"None",    "Count", "Milliseconds",
					    "Seconds", "Bytes", "Percent"};

	return (unsigned)unit < ARRAY_SIZE(names) ? names[unit] : "None";
}

/* Printable ASCII other than '"' and '\\': safe to write between quotes as is. */
static bool plain(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static void set(char *field, const char *v, const char *dflt)
{
	if (v && plain(v, METRICS_CONFIG_MAX - 1))
		snprintf(field, METRICS_CONFIG_MAX, "%s", v);
	else
		snprintf(field, METRICS_CONFIG_MAX, "%s", dflt);
}

void metrics_configure(const char *namespace_, const char *service, const char *function_name)
{
	set(mx.ns, namespace_, METRICS_DEFAULT_NAMESPACE);
	set(mx.service, service, METRICS_DEFAULT_SERVICE);
	set(mx.function_name, function_name, "");
}

void metrics_init_from_env(void)
{
	metrics_configure(getenv("POWERTOOLS_METRICS_NAMESPACE"), getenv("POWERTOOLS_SERVICE_NAME"),
			  getenv("AWS_LAMBDA_FUNCTION_NAME"));
}

static bool reserved(const char *name)
{
	return !strcmp(name, "_aws") || !strcmp(name, "service") || !strcmp(name, "function_name");
}

static int refuse(const char *name, int err, const char *why)
{
	log_emit(LVL_WARN, "metric dropped",
		 json_pack("{s:s,s:s}", "metric", name ? name : "", "reason", why));
	return err;
}

int metrics_add(const char *name, enum metrics_unit unit, double value)
{
	struct metric *m = NULL;

	if (!name || !plain(name, METRICS_NAME_MAX) || reserved(name))
		return refuse(name, ERR_INVAL, "not a valid metric name");
	if (!isfinite(value))
		return refuse(name, ERR_INVAL, "the value is not a finite number");
	for (unsigned i = 0; i < mx.n && !m; i++)
		if (!strcmp(mx.m[i].name, name))
			m = &mx.m[i];
	if (!m) {
		if (mx.n == METRICS_MAX)
			return refuse(name, ERR_TOOLARGE, "too many metrics in one invocation");
		m = &mx.m[mx.n++];
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->unit = unit;
		m->n = 0;
	}
	if (m->unit != unit)
		return refuse(name, ERR_INVAL, "the unit differs from the metric's first");
	if (m->n == METRICS_VALUES_MAX) {
		/* EMF's limit: write what is there and start again, as Powertools does. */
		metrics_flush();
		return metrics_add(name, unit, value);
	}
	m->values[m->n++] = value;
	return 0;
}

int metrics_count(const char *name)
{
	return metrics_add(name, METRICS_COUNT, 1);
}

void metrics_cold_start(void)
{
	mx.cold_start = true;
}

static void put_value(struct buf *b, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		buf_putf(b, "%.0f", v);
	else
		buf_putf(b, "%.17g", v);
}

/* One document of metrics [from, to) of `ms`, dimensioned by service (and function_name). */
static void put_document(struct buf *b, int64_t now_ms, const struct metric *ms, unsigned from,
			 unsigned to, bool with_function)
{
	buf_putf(b,
		 "{\"_aws\":{\"Timestamp\":%" PRId64
		 ",\"CloudWatchMetrics\":[{\"Namespace\":\"%s\","
		 "\"Dimensions\":[[%s\"service\"]],\"Metrics\":[",
		 now_ms, ns_of(), with_function ? "\"function_name\"," : "");
	for (unsigned i = from; i < to; i++)
		buf_putf(b, "%s{\"Name\":\"%s\",\"Unit\":\"%s\"}", i > from ? "," : "", ms[i].name,
			 metrics_unit_name(ms[i].unit));
	buf_putf(b, "]}]},\"service\":\"%s\"", service_of());
	if (with_function)
		buf_putf(b, ",\"function_name\":\"%s\"", mx.function_name);
	for (unsigned i = from; i < to; i++) {
		buf_putf(b, ",\"%s\":", ms[i].name);
		if (ms[i].n == 1) {
			put_value(b, ms[i].values[0]);
			continue;
		}
		buf_putc(b, '[');
		for (unsigned k = 0; k < ms[i].n; k++) {
			if (k)
				buf_putc(b, ',');
			put_value(b, ms[i].values[k]);
		}
		buf_putc(b, ']');
	}
	buf_puts(b, "}\n");
}

int metrics_render(struct buf *out, int64_t now_ms)
{
	if (mx.cold_start) {
		static const struct metric cold = {"ColdStart", METRICS_COUNT, 1, {1}};

		put_document(out, now_ms, &cold, 0, 1, mx.function_name[0] != '\0');
	}
	for (unsigned from = 0; from < mx.n; from += METRICS_PER_DOCUMENT)
		put_document(out, now_ms, mx.m, from, MIN(mx.n, from + METRICS_PER_DOCUMENT),
			     false);
	mx.n = 0;
	mx.cold_start = false;
	return buf_error(out);
}

void metrics_flush(void)
{
	static struct buf b; /* kept between invocations: no allocation after the first */

	if (!mx.n && !mx.cold_start)
		return;
	if (!b.cap)
		buf_init(&b, METRICS_DOCUMENT_MAX * (METRICS_MAX / METRICS_PER_DOCUMENT + 2));
	buf_reset(&b);
	/* One write for all the documents, one line each (a line is an event). */
	if (metrics_render(&b, time_now_ms()) == 0 && b.len)
		log_write_raw(b.ptr, b.len - 1);
	if (b.alloc > METRICS_DOCUMENT_MAX)
		buf_release(&b);
}
