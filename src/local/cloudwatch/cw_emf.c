/*
 * EMF documents (cw_emf.h): one pass that checks every rule and a second
 * that publishes, so that a document broken anywhere publishes nothing.
 */
#include "core/common.h"

#include "core/json.h"
#include "local/cloudwatch/cw_emf.h"

static const char *const units[] = {
	"Seconds",
	"Microseconds",
	"Milliseconds",
	"Bytes",
	"Kilobytes",
	"Megabytes",
	"Gigabytes",
	"Terabytes",
	"Bits",
	"Kilobits",
	"Megabits",
	"Gigabits",
	"Terabits",
	"Percent",
	"Count",
	"Bytes/Second",
	"Kilobytes/Second",
	"Megabytes/Second",
	"Gigabytes/Second",
	"Terabytes/Second",
	"Bits/Second",
	"Kilobits/Second",
	"Megabits/Second",
	"Gigabits/Second",
	"Terabits/Second",
	"Count/Second",
	"None",
};

bool cw_unit_valid(const char *unit)
{
	for (size_t i = 0; unit && i < ARRAY_SIZE(units); i++)
		if (!strcmp(unit, units[i]))
			return true;
	return false;
}

bool cw_emf_candidate(const char *msg, size_t len)
{
	return len > 8 && msg[0] == '{' && memmem(msg, len, "\"_aws\"", 6) != NULL;
}

static int bad(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return ERR_INVAL;
}

static bool str_len_in(const json_t *v, size_t lo, size_t hi)
{
	return json_is_string(v) && json_string_length(v) >= lo && json_string_length(v) <= hi;
}

/* One dimension set: names of root members holding strings. */
static int check_dimset(const json_t *root, const json_t *set, char *why, size_t why_len)
{
	size_t i;
	json_t *d;

	if (!json_is_array(set))
		return bad(why, why_len, "a DimensionSet must be an array of names");
	if (json_array_size(set) > CW_METRICS_DIMS_MAX)
		return bad(why, why_len, "a DimensionSet has more than 30 dimensions");
	json_array_foreach(set, i, d)
	{
		json_t *v;

		if (!str_len_in(d, 1, 255))
			return bad(why, why_len, "a dimension name must be a string of 1 to 255");
		v = json_object_get(root, json_string_value(d));
		if (!str_len_in(v, 1, 1024))
			return bad(why, why_len,
				   "dimension %s must be a root member holding a string of 1 to "
				   "1024 characters",
				   json_string_value(d));
	}
	return 0;
}

static int check_metric(const json_t *root, const json_t *m, char *why, size_t why_len)
{
	const json_t *name = json_object_get(m, "Name"), *unit = json_object_get(m, "Unit");
	const json_t *res = json_object_get(m, "StorageResolution"), *v;

	if (!json_is_object(m) || !str_len_in(name, 1, 1024))
		return bad(why, why_len, "a MetricDefinition needs a Name of 1 to 1024 characters");
	if (unit && (!json_is_string(unit) || !cw_unit_valid(json_string_value(unit))))
		return bad(why, why_len, "metric %s: Unit is not a CloudWatch unit",
			   json_string_value(name));
	if (res && (!json_is_integer(res) ||
		    (json_integer_value(res) != 1 && json_integer_value(res) != 60)))
		return bad(why, why_len, "metric %s: StorageResolution must be 1 or 60",
			   json_string_value(name));
	v = json_object_get(root, json_string_value(name));
	if (json_is_number(v))
		return 0;
	if (!json_is_array(v))
		return bad(why, why_len, "metric %s: no root member with a number or numbers",
			   json_string_value(name));
	if (json_array_size(v) > CW_EMF_VALUES_MAX)
		return bad(why, why_len, "metric %s has more than 100 values",
			   json_string_value(name));
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_number(json_array_get(v, i)))
			return bad(why, why_len, "metric %s: a value is not a number",
				   json_string_value(name));
	return 0;
}

static int check_directive(const json_t *root, const json_t *d, char *why, size_t why_len)
{
	const json_t *ns = json_object_get(d, "Namespace"),
		     *dims = json_object_get(d, "Dimensions");
	const json_t *ms = json_object_get(d, "Metrics");
	int err;

	if (!json_is_object(d))
		return bad(why, why_len, "a MetricDirective must be an object");
	if (!str_len_in(ns, 1, 255) || json_string_value(ns)[0] == ':')
		return bad(why, why_len, "Namespace must be a string of 1 to 255 characters");
	if (!json_is_array(dims))
		return bad(why, why_len, "Dimensions must be an array of DimensionSets");
	for (size_t i = 0; i < json_array_size(dims); i++)
		if ((err = check_dimset(root, json_array_get(dims, i), why, why_len)))
			return err;
	if (!json_is_array(ms))
		return bad(why, why_len, "Metrics must be an array");
	if (json_array_size(ms) > CW_EMF_METRICS_MAX)
		return bad(why, why_len, "a directive has more than 100 metrics");
	for (size_t i = 0; i < json_array_size(ms); i++) {
		const json_t *m = json_array_get(ms, i);

		if ((err = check_metric(root, m, why, why_len)))
			return err;
		for (size_t k = 0; k < i; k++)
			if (json_equal(json_object_get(json_array_get(ms, k), "Name"),
				       json_object_get(m, "Name")))
				return bad(why, why_len, "metric %s is defined twice",
					   jsonx_str(m, "Name"));
	}
	return 0;
}

static int check(const json_t *root, int64_t now_ms, char *why, size_t why_len)
{
	const json_t *aws = json_object_get(root, "_aws"), *ts, *cwm;
	int err;

	if (!json_is_object(aws))
		return bad(why, why_len, "_aws must be an object");
	ts = json_object_get(aws, "Timestamp");
	cwm = json_object_get(aws, "CloudWatchMetrics");
	if (!json_is_number(ts))
		return bad(why, why_len, "_aws.Timestamp must be a number of epoch milliseconds");
	if (json_number_value(ts) < (double)(now_ms - CW_EMF_PAST_MS) ||
	    json_number_value(ts) > (double)(now_ms + CW_EMF_FUTURE_MS))
		return bad(why, why_len,
			   "_aws.Timestamp is more than 2 weeks old or 2 hours ahead");
	if (!json_is_array(cwm))
		return bad(why, why_len, "_aws.CloudWatchMetrics must be an array");
	for (size_t i = 0; i < json_array_size(cwm); i++)
		if ((err = check_directive(root, json_array_get(cwm, i), why, why_len)))
			return err;
	return 0;
}

/* Publish one directive's metrics for one dimension set. */
static void publish(const json_t *root, const json_t *d, const json_t *set, int64_t ts,
		    cw_emf_fn fn, void *arg)
{
	struct cw_dim dims[CW_METRICS_DIMS_MAX];
	const json_t *ms = json_object_get(d, "Metrics");
	struct cw_emf_datum x = {jsonx_str(d, "Namespace"), NULL, NULL, dims, 0, 0, ts, 60};

	for (size_t i = 0; i < json_array_size(set); i++) {
		const char *k = json_string_value(json_array_get(set, i));

		dims[x.ndims].name = k;
		dims[x.ndims++].value = jsonx_str(root, k);
	}
	for (size_t i = 0; i < json_array_size(ms); i++) {
		const json_t *m = json_array_get(ms, i), *v;

		x.name = jsonx_str(m, "Name");
		x.unit = jsonx_str(m, "Unit") ? jsonx_str(m, "Unit") : "None";
		x.resolution =
			json_integer_value(json_object_get(m, "StorageResolution")) == 1 ? 1 : 60;
		v = json_object_get(root, x.name);
		if (json_is_number(v)) {
			x.value = json_number_value(v);
			fn(arg, &x);
			continue;
		}
		for (size_t k = 0; k < json_array_size(v); k++) {
			x.value = json_number_value(json_array_get(v, k));
			fn(arg, &x);
		}
	}
}

int cw_emf_extract(const char *msg, size_t len, int64_t now_ms, cw_emf_fn fn, void *arg, char *why,
		   size_t why_len)
{
	json_t *root;
	int err;

	if (why && why_len)
		why[0] = '\0';
	if (!cw_emf_candidate(msg, len))
		return ERR_NOTFOUND;
	root = jsonx_parse(msg, len, why, why_len);
	if (!root)
		return bad(why, why_len, "not one JSON object");
	if (!json_is_object(root) || !json_object_get(root, "_aws")) {
		json_decref(root);
		return ERR_NOTFOUND;
	}
	err = check(root, now_ms, why, why_len);
	if (!err) {
		const json_t *cwm =
			json_object_get(json_object_get(root, "_aws"), "CloudWatchMetrics");
		int64_t ts = (int64_t)json_number_value(
			json_object_get(json_object_get(root, "_aws"), "Timestamp"));

		for (size_t i = 0; i < json_array_size(cwm); i++) {
			const json_t *d = json_array_get(cwm, i),
				     *dims = json_object_get(d, "Dimensions");

			if (json_array_size(dims) == 0) {
				json_t *none = json_array(); /* no set: no dimensions */

				if (none)
					publish(root, d, none, ts, fn, arg);
				json_decref(none);
				continue;
			}
			for (size_t k = 0; k < json_array_size(dims); k++)
				publish(root, d, json_array_get(dims, k), ts, fn, arg);
		}
	}
	json_decref(root);
	return err;
}
