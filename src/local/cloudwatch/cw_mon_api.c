/*
 * The CloudWatch metrics operations of the local endpoint, protocol-neutral
 * (cw_server.c decodes CBOR, JSON 1.0 or the query protocol into the same
 * object): PutMetricData, GetMetricData (metric stats and metric math),
 * GetMetricStatistics, ListMetrics, and the alarms' operations, which
 * cw_alarms.c implements. Periods are aligned to multiples of the period
 * since the epoch, as CloudWatch aligns them; periods without data have no
 * value, as in CloudWatch.
 */
#include "core/common.h"

#include <math.h>

#include "core/grow.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_emf.h"
#include "local/cloudwatch/cw_int.h"

#define CW_PUT_DATA_MAX	     1000
#define CW_QUERIES_MAX	     500
#define CW_LIST_PAGE	     500
#define CW_DATAPOINTS_MAX    100800 /* GetMetricData's per-call limit */
#define CW_STATISTICS_POINTS 1440   /* GetMetricStatistics' limit */

void cw_values_release(struct cw_values *x)
{
	free(x->ts);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

static int values_push(struct cw_values *x, size_t *alloc, int64_t ts, double v)
{
	size_t a2 = *alloc;

	if (ALLOC_GROW(x->ts, x->n + 1, a2))
		return ERR_NOMEM;
	if (ALLOC_GROW(x->v, x->n + 1, *alloc))
		return ERR_NOMEM;
	x->ts[x->n] = ts;
	x->v[x->n++] = v;
	return 0;
}

/* Dimensions [{Name, Value}] of `in` into `out`; 1 with `e` when malformed. */
static int read_dims(const json_t *list, struct cw_dim *out, size_t *n, struct cw_error *e)
{
	*n = 0;
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > CW_METRICS_DIMS_MAX)
		return cw_fail(e, "InvalidParameterValue",
			       "Dimensions must be a list of at most 30 {Name, Value}.");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *d = json_array_get(list, i);

		out[i].name = jsonx_str(d, "Name");
		out[i].value = jsonx_str(d, "Value");
		if (!out[i].name || !out[i].value)
			return cw_fail(e, "InvalidParameterValue",
				       "Each dimension needs a Name and a Value.");
		(*n)++;
	}
	return 0;
}

static int64_t align_down(int64_t t, int64_t period_ms)
{
	return t >= 0 ? t - t % period_ms : t - (period_ms + t % period_ms) % period_ms;
}

int cw_metric_stat_values(struct cloudwatch *cw, const json_t *ms, int64_t from, int64_t to,
			  struct cw_values *out, struct cw_error *e)
{
	const json_t *metric = json_object_get(ms, "Metric");
	const char *ns = jsonx_str(metric, "Namespace"), *name = jsonx_str(metric, "MetricName");
	const char *stat = jsonx_str(ms, "Stat"), *unit = jsonx_str(ms, "Unit");
	struct cw_dim dims[CW_METRICS_DIMS_MAX];
	struct cw_series *s;
	enum cw_stat kind;
	double pct;
	long long period;
	size_t nd, alloc = 0;

	memset(out, 0, sizeof(*out));
	if (!ns || !name)
		return cw_fail(e, "InvalidParameterValue",
			       "A MetricStat needs Metric.Namespace and Metric.MetricName.");
	if (!stat || !cw_stat_parse(stat, &kind, &pct))
		return cw_fail(e, "InvalidParameterValue",
			       "The statistic %s is not supported (SampleCount, Sum, Average, "
			       "Minimum, Maximum, pNN).",
			       stat ? stat : "(none)");
	if (cw_in_int(ms, "Period", 1, 86400LL * 31, 60, &period, e) ||
	    read_dims(json_object_get(metric, "Dimensions"), dims, &nd, e))
		return 1;
	s = cw_metrics_find(cw->metrics, ns, name, dims, nd);
	if (!s)
		return 0;
	for (int64_t t = align_down(from, period * 1000); t < to; t += period * 1000) {
		double v;

		if (out->n >= CW_DATAPOINTS_MAX)
			break;
		if (cw_series_stat(s, MAX(t, from), MIN(t + period * 1000, to), kind, pct, unit,
				   &v) &&
		    values_push(out, &alloc, t, v)) {
			cw_values_release(out);
			return ERR_NOMEM;
		}
	}
	return 0;
}

/* ---- PutMetricData ---- */

static int put_datum(struct cloudwatch *cw, const char *ns, const json_t *d, int64_t now,
		     struct cw_error *e)
{
	const char *name = jsonx_str(d, "MetricName"), *unit = jsonx_str(d, "Unit");
	const json_t *values = json_object_get(d, "Values"), *counts = json_object_get(d, "Counts");
	const json_t *sv = json_object_get(d, "StatisticValues");
	struct cw_dim dims[CW_METRICS_DIMS_MAX];
	struct cw_point p = {0};
	size_t nd;
	double v;
	int err;

	if (!name)
		return cw_fail(e, "MissingParameter",
			       "The parameter MetricData.member.N.MetricName "
			       "is required.");
	if (unit && !cw_unit_valid(unit))
		return cw_fail(e, "InvalidParameterValue", "The unit %s is not valid.", unit);
	if (read_dims(json_object_get(d, "Dimensions"), dims, &nd, e) ||
	    cw_in_time(d, "Timestamp", now, &p.ts, e))
		return 1;
	if (sv) {
		if (!cw_in_num(sv, "SampleCount", &p.count) || !cw_in_num(sv, "Sum", &p.sum) ||
		    !cw_in_num(sv, "Minimum", &p.min) || !cw_in_num(sv, "Maximum", &p.max))
			return cw_fail(
				e, "MissingParameter",
				"StatisticValues needs SampleCount, Sum, Minimum and Maximum.");
		err = cw_metrics_put(cw->metrics, ns, name, dims, nd, unit, &p);
	} else if (json_is_array(values)) {
		err = 0;
		for (size_t i = 0; !err && i < json_array_size(values); i++) {
			double c = 1;

			if (!(json_is_number(json_array_get(values, i)) ||
			      json_is_string(json_array_get(values, i))))
				return cw_fail(e, "InvalidParameterValue",
					       "Values must be numbers.");
			if (json_is_array(counts) && i < json_array_size(counts)) {
				const json_t *cj = json_array_get(counts, i);

				c = json_is_number(cj)
					    ? json_number_value(cj)
					    : strtod(json_string_value(cj) ? json_string_value(cj)
									   : "1",
						     NULL);
			}
			v = json_is_number(json_array_get(values, i))
				    ? json_number_value(json_array_get(values, i))
				    : strtod(json_string_value(json_array_get(values, i)), NULL);
			p.sum = v * c;
			p.min = p.max = v;
			p.count = c;
			err = cw_metrics_put(cw->metrics, ns, name, dims, nd, unit, &p);
		}
	} else if (cw_in_num(d, "Value", &v)) {
		p.sum = p.min = p.max = v;
		p.count = 1;
		err = cw_metrics_put(cw->metrics, ns, name, dims, nd, unit, &p);
	} else {
		return cw_fail(e, "MissingParameter",
			       "A datum needs Value, Values or StatisticValues.");
	}
	if (err == ERR_INVAL)
		return cw_fail(e, "InvalidParameterValue",
			       "The metric %s has a name, dimension or value CloudWatch refuses.",
			       name);
	if (err == ERR_TOOLARGE)
		return cw_fail(e, "LimitExceeded", "Too many metrics in the local store.");
	return err;
}

static int op_put_metric_data(struct cloudwatch *cw, const json_t *in, json_t **out,
			      struct cw_error *e)
{
	const char *ns = cw_in_str(in, "Namespace", true, e);
	const json_t *data = json_object_get(in, "MetricData");
	int64_t now = time_now_ms();
	int rc;

	if (!ns)
		return 1;
	if (!strncmp(ns, "AWS/", 4))
		return cw_fail(e, "InvalidParameterValue",
			       "The value AWS/ for parameter Namespace is invalid.");
	if (!json_is_array(data) || json_array_size(data) == 0 ||
	    json_array_size(data) > CW_PUT_DATA_MAX)
		return cw_fail(e, "InvalidParameterValue", "MetricData holds 1 to 1000 items.");
	for (size_t i = 0; i < json_array_size(data); i++)
		if ((rc = put_datum(cw, ns, json_array_get(data, i), now, e)))
			return rc;
	return 0;
}

/* ---- GetMetricData ---- */

static bool valid_id(const char *id)
{
	if (!id || !(id[0] >= 'a' && id[0] <= 'z'))
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return strlen(id) <= 255;
}

static json_t *result_json(const char *id, const char *label, const struct cw_values *x,
			   bool descending)
{
	json_t *ts = json_array(), *vs = json_array();

	for (size_t k = 0; k < x->n; k++) {
		size_t i = descending ? x->n - 1 - k : k;

		json_array_append_new(ts, json_integer(x->ts[i] / 1000));
		json_array_append_new(vs, json_real(x->v[i]));
	}
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:[]}", "Id", id, "Label", label, "Timestamps", ts,
			 "Values", vs, "StatusCode", "Complete", "Messages");
}

static int op_get_metric_data(struct cloudwatch *cw, const json_t *in, json_t **out,
			      struct cw_error *e)
{
	const json_t *qs = json_object_get(in, "MetricDataQueries");
	const char *scan = jsonx_str(in, "ScanBy");
	bool desc = !scan || strcmp(scan, "TimestampAscending");
	int64_t from, to;
	size_t n;
	const char **ids = NULL;
	struct cw_values *vals = NULL;
	json_t *results;
	int rc = 0;

	if (!json_object_get(in, "StartTime") || !json_object_get(in, "EndTime"))
		return cw_fail(e, "MissingParameter", "StartTime and EndTime are required.");
	if (cw_in_time(in, "StartTime", 0, &from, e) || cw_in_time(in, "EndTime", 0, &to, e))
		return 1;
	if (from >= to)
		return cw_fail(e, "InvalidParameterValue",
			       "The parameter StartTime must be less than the parameter EndTime.");
	if (!json_is_array(qs) || !(n = json_array_size(qs)) || n > CW_QUERIES_MAX)
		return cw_fail(e, "InvalidParameterValue",
			       "MetricDataQueries holds 1 to 500 queries.");
	ids = calloc(n, sizeof(*ids));
	vals = calloc(n, sizeof(*vals));
	results = json_array();
	if (!ids || !vals || !results) {
		rc = ERR_NOMEM;
		goto done;
	}
	/* Metric stats first, then expressions in order (an expression may use any id). */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (size_t i = 0; i < n && !rc; i++) {
			const json_t *q = json_array_get(qs, i);
			const char *expr = jsonx_str(q, "Expression");
			char why[256];

			ids[i] = jsonx_str(q, "Id");
			if (pass == 0 && !valid_id(ids[i])) {
				rc = cw_fail(e, "InvalidParameterValue",
					     "The Id of a query must start with a lowercase letter "
					     "and hold only letters, digits and _.");
			} else if (pass == 0 && !expr) {
				rc = cw_metric_stat_values(cw, json_object_get(q, "MetricStat"),
							   from, to, &vals[i], e);
			} else if (pass == 1 && expr) {
				struct cw_math_env env = {ids, vals, n};
				int err = cw_math_eval(expr, &env, &vals[i], why, sizeof(why));

				if (err == ERR_PARSE)
					rc = cw_fail(e, "ValidationError",
						     "Invalid expression %s: %s", expr, why);
				else
					rc = err;
			}
		}
	}
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *q = json_array_get(qs, i);
		const char *label = jsonx_str(q, "Label");

		if (!cw_in_bool(q, "ReturnData", true))
			continue;
		if (!label)
			label = jsonx_str(q, "Expression")
					? ids[i]
					: jsonx_str(
						  json_object_get(json_object_get(q, "MetricStat"),
								  "Metric"),
						  "MetricName");
		json_array_append_new(results,
				      result_json(ids[i], label ? label : ids[i], &vals[i], desc));
	}
	if (!rc) {
		*out = json_pack("{s:O,s:[]}", "MetricDataResults", results, "Messages");
		rc = *out ? 0 : ERR_NOMEM;
	}
done:
	for (size_t i = 0; vals && i < n; i++)
		cw_values_release(&vals[i]);
	free(vals);
	free(ids);
	json_decref(results);
	return rc;
}

/* ---- GetMetricStatistics ---- */

static int op_get_metric_statistics(struct cloudwatch *cw, const json_t *in, json_t **out,
				    struct cw_error *e)
{
	static const char *const basic[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};
	const char *ns = cw_in_str(in, "Namespace", true, e);
	const char *name = ns ? cw_in_str(in, "MetricName", true, e) : NULL;
	const json_t *stats = json_object_get(in, "Statistics");
	const json_t *ext = json_object_get(in, "ExtendedStatistics");
	const char *unit = jsonx_str(in, "Unit");
	struct cw_dim dims[CW_METRICS_DIMS_MAX];
	struct cw_series *s;
	int64_t from, to;
	long long period;
	size_t nd;
	json_t *points;

	if (!name)
		return 1;
	if (cw_in_time(in, "StartTime", 0, &from, e) || cw_in_time(in, "EndTime", 0, &to, e) ||
	    cw_in_int(in, "Period", 1, 86400LL * 31, 60, &period, e) ||
	    read_dims(json_object_get(in, "Dimensions"), dims, &nd, e))
		return 1;
	if (!json_array_size(stats) && !json_array_size(ext))
		return cw_fail(e, "MissingParameter",
			       "Statistics or ExtendedStatistics must be given.");
	if ((to - from) / (period * 1000) > CW_STATISTICS_POINTS)
		return cw_fail(
			e, "InvalidParameterCombination",
			"You have requested up to 1,440 datapoints, which exceeds the limit.");
	points = json_array();
	*out = json_pack("{s:s,s:o}", "Label", name, "Datapoints", points);
	if (!*out)
		return ERR_NOMEM;
	s = cw_metrics_find(cw->metrics, ns, name, dims, nd);
	for (int64_t t = align_down(from, period * 1000); s && t < to; t += period * 1000) {
		int64_t a = MAX(t, from), b = MIN(t + period * 1000, to);
		json_t *p;
		double v;

		if (!cw_series_stat(s, a, b, CW_SAMPLES, 0, unit, &v))
			continue;
		p = json_pack("{s:I,s:s}", "Timestamp", (json_int_t)(t / 1000), "Unit", s->unit);
		for (size_t i = 0; p && i < ARRAY_SIZE(basic); i++) {
			enum cw_stat k;
			double pct;

			for (size_t j = 0; j < json_array_size(stats); j++)
				if (json_is_string(json_array_get(stats, j)) &&
				    !strcmp(json_string_value(json_array_get(stats, j)),
					    basic[i]) &&
				    cw_stat_parse(basic[i], &k, &pct) &&
				    cw_series_stat(s, a, b, k, pct, unit, &v))
					json_object_set_new(p, basic[i], json_real(v));
		}
		if (p && json_array_size(ext)) {
			json_t *x = json_object();

			for (size_t j = 0; x && j < json_array_size(ext); j++) {
				const char *es = json_string_value(json_array_get(ext, j));
				enum cw_stat k;
				double pct;

				if (es && cw_stat_parse(es, &k, &pct) && k == CW_PCT &&
				    cw_series_stat(s, a, b, k, pct, unit, &v))
					json_object_set_new(x, es, json_real(v));
			}
			json_object_set_new(p, "ExtendedStatistics", x);
		}
		json_array_append_new(points, p);
	}
	return 0;
}

/* ---- ListMetrics ---- */

static bool dims_match(const struct cw_series *s, const json_t *filters)
{
	for (size_t i = 0; i < json_array_size(filters); i++) {
		const json_t *f = json_array_get(filters, i);
		const char *n = jsonx_str(f, "Name"), *v = jsonx_str(f, "Value");
		bool hit = false;

		for (size_t k = 0; n && k < s->ndims; k++)
			hit |= !strcmp(s->dims[k].name, n) && (!v || !strcmp(s->dims[k].value, v));
		if (!hit)
			return false;
	}
	return true;
}

static int op_list_metrics(struct cloudwatch *cw, const json_t *in, json_t **out,
			   struct cw_error *e)
{
	const char *ns = jsonx_str(in, "Namespace"), *name = jsonx_str(in, "MetricName");
	const json_t *filters = json_object_get(in, "Dimensions");
	const char *tok = jsonx_str(in, "NextToken");
	long long start = tok ? strtoll(tok, NULL, 10) : 0, seen = 0, shown = 0;
	int64_t active = jsonx_str(in, "RecentlyActive") ? time_now_ms() - 3LL * 3600 * 1000 : 0;
	size_t n;
	struct cw_series *const *all = cw_metrics_all(cw->metrics, &n);
	json_t *list = json_array();

	*out = json_pack("{s:o}", "Metrics", list);
	if (!*out)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct cw_series *s = all[i];
		json_t *dims;

		if ((ns && strcmp(ns, s->ns)) || (name && strcmp(name, s->name)) ||
		    !dims_match(s, filters) || s->last_ts < active || s->head == s->n)
			continue;
		if (seen++ < start)
			continue;
		if (shown == CW_LIST_PAGE) {
			char t[32];

			snprintf(t, sizeof(t), "%lld", start + shown);
			json_object_set_new(*out, "NextToken", json_string(t));
			break;
		}
		dims = json_array();
		for (size_t k = 0; dims && k < s->ndims; k++)
			json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", s->dims[k].name,
							      "Value", s->dims[k].value));
		json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "Namespace", s->ns,
						      "MetricName", s->name, "Dimensions", dims));
		shown++;
	}
	return 0;
}

/* ---- alarms ---- */

static int op_put_metric_alarm(struct cloudwatch *cw, const json_t *in, json_t **out,
			       struct cw_error *e)
{
	return cw_alarms_put(cw, in, e);
}

static int op_describe_alarms(struct cloudwatch *cw, const json_t *in, json_t **out,
			      struct cw_error *e)
{
	return cw_alarms_describe(cw, in, out, e);
}

static int op_delete_alarms(struct cloudwatch *cw, const json_t *in, json_t **out,
			    struct cw_error *e)
{
	return cw_alarms_delete(cw, in, e);
}

static int op_set_alarm_state(struct cloudwatch *cw, const json_t *in, json_t **out,
			      struct cw_error *e)
{
	return cw_alarms_set_state(cw, in, e);
}

static int op_describe_alarm_history(struct cloudwatch *cw, const json_t *in, json_t **out,
				     struct cw_error *e)
{
	return cw_alarms_history(cw, in, out, e);
}

static const struct {
	const char *name;
	cw_op_fn fn;
} ops[] = {
	{"PutMetricData", op_put_metric_data},
	{"GetMetricData", op_get_metric_data},
	{"GetMetricStatistics", op_get_metric_statistics},
	{"ListMetrics", op_list_metrics},
	{"PutMetricAlarm", op_put_metric_alarm},
	{"DescribeAlarms", op_describe_alarms},
	{"DeleteAlarms", op_delete_alarms},
	{"SetAlarmState", op_set_alarm_state},
	{"DescribeAlarmHistory", op_describe_alarm_history},
};

cw_op_fn cw_mon_op(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(ops[i].name, name))
			return ops[i].fn;
	return NULL;
}
