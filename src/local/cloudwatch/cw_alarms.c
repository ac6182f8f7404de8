/*
 * Metric alarms (cw_int.h), from the template's AWS::CloudWatch::Alarm
 * resources or PutMetricAlarm, evaluated against the local metrics every
 * CW_ALARM_EVAL_MS. An alarm looks at its last EvaluationPeriods periods,
 * the current one included so that a local alarm reacts within seconds
 * (CloudWatch waits for the period to end), and goes to ALARM when at
 * least DatapointsToAlarm of them breach, as CloudWatch's "M out of N".
 * Periods without data follow TreatMissingData: missing (no data at all
 * is INSUFFICIENT_DATA), notBreaching, breaching, ignore (keep the state).
 * A change of state is logged, kept in the alarm's history and pushed to
 * the dashboard. Alarm actions (SNS) are not run locally.
 *
 * An alarm on a namespace nothing local publishes (AWS/ namespaces other
 * than AWS/Lambda and AWS/ApiGateway, CloudWatchSynthetics) is kept, shown
 * by DescribeAlarms, and never evaluated: it stays INSUFFICIENT_DATA with a
 * reason that says why, instead of firing on data that cannot exist here.
 */
#include "core/common.h"

#include <math.h>

#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

#define CW_ALARM_EVAL_MS     5000
#define CW_ALARMS_MAX	     5000
#define CW_ALARM_HISTORY_MAX 100
#define CW_ACCOUNT	     "123456789012"

struct alarm {
	char *name;
	json_t *spec; /* the PutMetricAlarm input, as given */
	long long period, evals, to_alarm;
	double threshold;
	char cmp[48], missing[16];
	char state[24], reason[512];
	int64_t updated, transitioned, configured;
	json_t *history;   /* [{Timestamp, HistorySummary, HistoryData}], newest last */
	char unlocal[128]; /* a namespace no local service publishes, or "" */
};

struct cw_alarms {
	struct alarm *a;
	size_t n, alloc;
	int64_t last_eval;
};

int cw_alarms_new(struct cw_alarms **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : ERR_NOMEM;
}

static void alarm_release(struct alarm *a)
{
	free(a->name);
	json_decref(a->spec);
	json_decref(a->history);
	memset(a, 0, sizeof(*a));
}

void cw_alarms_free(struct cw_alarms *as)
{
	if (!as)
		return;
	for (size_t i = 0; i < as->n; i++)
		alarm_release(&as->a[i]);
	free(as->a);
	free(as);
}

static struct alarm *find(struct cw_alarms *as, const char *name)
{
	for (size_t i = 0; name && i < as->n; i++)
		if (!strcmp(as->a[i].name, name))
			return &as->a[i];
	return NULL;
}

static const char *const comparisons[] = {
	"GreaterThanOrEqualToThreshold",
	"GreaterThanThreshold",
	"LessThanThreshold",
	"LessThanOrEqualToThreshold",
};

static bool breaches(const struct alarm *a, double v)
{
	if (!strcmp(a->cmp, "GreaterThanOrEqualToThreshold"))
		return v >= a->threshold;
	if (!strcmp(a->cmp, "GreaterThanThreshold"))
		return v > a->threshold;
	if (!strcmp(a->cmp, "LessThanThreshold"))
		return v < a->threshold;
	return v <= a->threshold;
}

/* Check PutMetricAlarm's members; 1 with `e` when one is wrong. */
static int check_spec(const json_t *in, struct alarm *a, struct cw_error *e)
{
	const char *cmp = jsonx_str(in, "ComparisonOperator");
	const char *missing = jsonx_str(in, "TreatMissingData");
	const json_t *metrics = json_object_get(in, "Metrics");
	bool ok = false;

	if (!json_is_array(metrics) &&
	    (!jsonx_str(in, "MetricName") || !jsonx_str(in, "Namespace") ||
	     (!jsonx_str(in, "Statistic") && !jsonx_str(in, "ExtendedStatistic"))))
		return cw_fail(e, "MissingParameter",
			       "An alarm needs MetricName, Namespace and Statistic (or "
			       "ExtendedStatistic), or Metrics.");
	for (size_t i = 0; cmp && i < ARRAY_SIZE(comparisons); i++)
		ok |= !strcmp(cmp, comparisons[i]);
	if (!ok)
		return cw_fail(e, "ValidationError",
			       "ComparisonOperator %s is not supported locally (anomaly detection "
			       "bands are not).",
			       cmp ? cmp : "(none)");
	if (missing && strcmp(missing, "missing") && strcmp(missing, "notBreaching") &&
	    strcmp(missing, "breaching") && strcmp(missing, "ignore"))
		return cw_fail(
			e, "ValidationError",
			"TreatMissingData must be missing, notBreaching, breaching or ignore.");
	if (cw_in_int(in, "EvaluationPeriods", 1, 1440, 1, &a->evals, e) ||
	    cw_in_int(in, "DatapointsToAlarm", 1, a->evals, a->evals, &a->to_alarm, e) ||
	    cw_in_int(in, "Period", 1, 86400, 60, &a->period, e))
		return 1;
	if (!cw_in_num(in, "Threshold", &a->threshold))
		return cw_fail(e, "MissingParameter", "Threshold is required.");
	if (json_is_array(metrics)) {
		bool one = false;

		for (size_t i = 0; i < json_array_size(metrics); i++)
			if (cw_in_bool(json_array_get(metrics, i), "ReturnData", true)) {
				if (one)
					return cw_fail(e, "ValidationError",
						       "Exactly one of Metrics must return data.");
				one = true;
			}
		a->period = 0; /* from the metrics' own periods */
		for (size_t i = 0; i < json_array_size(metrics); i++) {
			long long p = 0;
			const json_t *m = json_array_get(metrics, i);

			if (cw_in_int(json_object_get(m, "MetricStat"), "Period", 1, 86400, 0, &p,
				      e) ||
			    cw_in_int(m, "Period", 1, 86400, p, &p, e))
				return 1;
			a->period = MAX(a->period, p);
		}
		if (!a->period)
			a->period = 60;
	}
	snprintf(a->cmp, sizeof(a->cmp), "%s", cmp);
	snprintf(a->missing, sizeof(a->missing), "%s", missing ? missing : "missing");
	return 0;
}

/* AWS/Lambda, AWS/ApiGateway and custom namespaces have local data; the others cannot. */
static bool published_locally(const char *ns)
{
	if (!ns)
		return true;
	if (!strcmp(ns, "AWS/Lambda") || !strcmp(ns, "AWS/ApiGateway"))
		return true;
	return strncmp(ns, "AWS/", 4) && strcmp(ns, "CloudWatchSynthetics");
}

/* The first namespace of the alarm that nothing local publishes, into `out` ("" when none). */
static void find_unlocal(const json_t *in, char *out, size_t cap)
{
	const json_t *metrics = json_object_get(in, "Metrics");
	const char *ns = jsonx_str(in, "Namespace");

	out[0] = '\0';
	if (!published_locally(ns))
		snprintf(out, cap, "%s", ns);
	for (size_t i = 0; !out[0] && i < json_array_size(metrics); i++) {
		ns = jsonx_str(
			json_object_get(json_object_get(json_array_get(metrics, i), "MetricStat"),
					"Metric"),
			"Namespace");
		if (!published_locally(ns))
			snprintf(out, cap, "%s", ns);
	}
}

int cw_alarms_put(struct cloudwatch *cw, const json_t *in, struct cw_error *e)
{
	struct cw_alarms *as = cw->alarms;
	const char *name = cw_in_str(in, "AlarmName", true, e);
	struct alarm a = {0}, *old;
	int rc;

	if (!name)
		return 1;
	if ((rc = check_spec(in, &a, e)))
		return rc;
	old = find(as, name);
	if (!old && as->n == CW_ALARMS_MAX)
		return cw_fail(e, "LimitExceeded", "Too many alarms.");
	a.spec = json_deep_copy(in);
	a.name = strdup(name);
	a.history = json_array();
	if (!a.spec || !a.name || !a.history) {
		alarm_release(&a);
		return ERR_NOMEM;
	}
	a.configured = time_now_ms();
	find_unlocal(in, a.unlocal, sizeof(a.unlocal));
	if (old) {
		/* Keep the state: a changed template does not reset what is happening. */
		memcpy(a.state, old->state, sizeof(a.state));
		memcpy(a.reason, old->reason, sizeof(a.reason));
		a.updated = old->updated;
		a.transitioned = old->transitioned;
		json_decref(a.history);
		a.history = json_incref(old->history);
		alarm_release(old);
		*old = a;
		return 0;
	}
	snprintf(a.state, sizeof(a.state), "INSUFFICIENT_DATA");
	if (a.unlocal[0])
		snprintf(a.reason, sizeof(a.reason),
			 "Not evaluated locally: nothing in sluice dev publishes %s metrics.",
			 a.unlocal);
	else
		snprintf(a.reason, sizeof(a.reason), "Unchecked: Initial alarm creation");
	a.updated = a.transitioned = a.configured;
	if (ALLOC_GROW(as->a, as->n + 1, as->alloc)) {
		alarm_release(&a);
		return ERR_NOMEM;
	}
	as->a[as->n++] = a;
	return 0;
}

/* ---- evaluation ---- */

/* The alarm's values per period over [from, to): its metric, or its Metrics' expression. */
static int alarm_values(struct cloudwatch *cw, struct alarm *a, int64_t from, int64_t to,
			struct cw_values *out)
{
	const json_t *s = a->spec, *metrics = json_object_get(s, "Metrics");
	struct cw_error e = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(metrics)) {
		json_t *ms = json_pack(
			"{s:{s:s,s:s,s:O?},s:I,s:s,s:s?}", "Metric", "Namespace",
			jsonx_str(s, "Namespace"), "MetricName", jsonx_str(s, "MetricName"),
			"Dimensions", json_object_get(s, "Dimensions"), "Period",
			(json_int_t)a->period, "Stat",
			jsonx_str(s, "Statistic") ? jsonx_str(s, "Statistic")
						  : jsonx_str(s, "ExtendedStatistic"),
			"Unit", jsonx_str(s, "Unit"));

		if (!ms)
			return ERR_NOMEM;
		rc = cw_metric_stat_values(cw, ms, from, to, out, &e);
		json_decref(ms);
		return rc;
	}
	size_t n = json_array_size(metrics), want = 0;
	const char **ids = calloc(n, sizeof(*ids));
	struct cw_values *vals = calloc(n, sizeof(*vals));

	rc = ids && vals ? 0 : ERR_NOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *m = json_array_get(metrics, i);

		ids[i] = jsonx_str(m, "Id");
		if (cw_in_bool(m, "ReturnData", true))
			want = i;
		if (json_object_get(m, "MetricStat"))
			rc = cw_metric_stat_values(cw, json_object_get(m, "MetricStat"), from, to,
						   &vals[i], &e);
	}
	for (size_t i = 0; !rc && i < n; i++) {
		const char *expr = jsonx_str(json_array_get(metrics, i), "Expression");
		struct cw_math_env env = {ids, vals, n};
		char why[128];

		if (expr)
			rc = cw_math_eval(expr, &env, &vals[i], why, sizeof(why));
	}
	if (!rc) {
		*out = vals[want];
		memset(&vals[want], 0, sizeof(vals[want]));
	}
	for (size_t i = 0; vals && i < n; i++)
		cw_values_release(&vals[i]);
	free(vals);
	free(ids);
	return rc;
}

static void set_state(struct cloudwatch *cw, struct alarm *a, const char *state, const char *reason,
		      int64_t now)
{
	char summary[128], prev[24];
	json_t *item;

	if (!strcmp(a->state, state)) {
		snprintf(a->reason, sizeof(a->reason), "%s", reason);
		return;
	}
	memcpy(prev, a->state, sizeof(prev));
	snprintf(a->state, sizeof(a->state), "%s", state);
	snprintf(a->reason, sizeof(a->reason), "%s", reason);
	a->updated = a->transitioned = now;
	snprintf(summary, sizeof(summary), "Alarm updated from %s to %s", prev, state);
	item = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "AlarmName", a->name, "AlarmType",
			 "MetricAlarm", "Timestamp", (json_int_t)(now / 1000), "HistoryItemType",
			 "StateUpdate", "HistorySummary", summary, "HistoryData", reason);
	if (item) {
		json_array_append_new(a->history, item);
		if (json_array_size(a->history) > CW_ALARM_HISTORY_MAX)
			json_array_remove(a->history, 0);
	}
	/* ALARM is news, and so is its end; an alarm finding its feet at start is not. */
	log_emit(!strcmp(state, "ALARM")  ? LVL_WARN
		 : !strcmp(prev, "ALARM") ? LVL_INFO
					  : LVL_DEBUG,
		 "alarm state changed",
		 json_pack("{s:s,s:s,s:s,s:s}", "alarm", a->name, "from", prev, "to", state,
			   "reason", reason));
	cw_dash_publish(cw->dash, "alarm",
			json_pack("{s:s,s:s,s:s,s:I}", "name", a->name, "state", state, "reason",
				  reason, "updated", (json_int_t)now));
}

static void evaluate(struct cloudwatch *cw, struct alarm *a, int64_t now)
{
	int64_t p = a->period * 1000, end = now - now % p + p, from = end - a->evals * p;
	struct cw_values v;
	long long bad = 0, have = 0;
	char reason[512];
	double last = NAN;

	if (alarm_values(cw, a, from, end, &v))
		return;
	for (size_t i = 0; i < v.n; i++) {
		have++;
		bad += breaches(a, v.v[i]);
		last = v.v[i];
	}
	cw_values_release(&v);
	if (!strcmp(a->missing, "breaching"))
		bad += a->evals - have;
	if (!have && !strcmp(a->missing, "ignore"))
		return;
	if (!have && !strcmp(a->missing, "missing")) {
		set_state(cw, a, "INSUFFICIENT_DATA",
			  "Insufficient Data: no datapoints were received for the evaluation "
			  "periods.",
			  now);
		return;
	}
	if (have)
		snprintf(reason, sizeof(reason),
			 "Threshold Crossed: %lld of the last %lld periods breached the threshold "
			 "(%g); the most recent value was %g.",
			 bad, a->evals, a->threshold, last);
	else
		snprintf(reason, sizeof(reason),
			 "No datapoints in the last %lld periods, treated as %s (TreatMissingData "
			 "%s).",
			 a->evals, bad ? "breaching" : "not breaching", a->missing);
	set_state(cw, a, bad >= a->to_alarm ? "ALARM" : "OK", reason, now);
}

void cw_alarms_evaluate(struct cloudwatch *cw, int64_t now_ms)
{
	struct cw_alarms *as = cw->alarms;
	const char *every = getenv("SLUICE_DEV_ALARM_EVAL_MS");
	long long ms = every && *every ? strtoll(every, NULL, 10) : CW_ALARM_EVAL_MS;

	if (now_ms - as->last_eval < (ms > 0 ? ms : CW_ALARM_EVAL_MS))
		return;
	as->last_eval = now_ms;
	for (size_t i = 0; i < as->n; i++)
		if (!as->a[i].unlocal[0])
			evaluate(cw, &as->a[i], now_ms);
}

/* ---- describing ---- */

static json_t *alarm_json(const struct cloudwatch *cw, const struct alarm *a)
{
	static const char *const copy[] = {"AlarmDescription",
					   "MetricName",
					   "Namespace",
					   "Statistic",
					   "ExtendedStatistic",
					   "Dimensions",
					   "Unit",
					   "Metrics",
					   "OKActions",
					   "AlarmActions",
					   "InsufficientDataActions"};
	json_t *o = json_pack(
		"{s:s,s:s+++,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:s,s:s,s:b}", "AlarmName",
		a->name, "AlarmArn", "arn:aws:cloudwatch:", cw->region,
		":" CW_ACCOUNT ":alarm:", a->name, "StateValue", a->state, "StateReason", a->reason,
		"StateUpdatedTimestamp", (json_int_t)(a->updated / 1000),
		"StateTransitionedTimestamp", (json_int_t)(a->transitioned / 1000),
		"AlarmConfigurationUpdatedTimestamp", (json_int_t)(a->configured / 1000), "Period",
		(json_int_t)a->period, "EvaluationPeriods", (json_int_t)a->evals,
		"DatapointsToAlarm", (json_int_t)a->to_alarm, "Threshold", a->threshold,
		"ComparisonOperator", a->cmp, "TreatMissingData", a->missing, "ActionsEnabled",
		cw_in_bool(a->spec, "ActionsEnabled", true));

	for (size_t i = 0; o && i < ARRAY_SIZE(copy); i++) {
		json_t *v = json_object_get(a->spec, copy[i]);

		if (v)
			json_object_set(o, copy[i], v);
		else if (strstr(copy[i], "Actions"))
			json_object_set_new(o, copy[i], json_array());
	}
	return o;
}

static bool in_list(const json_t *list, const char *s)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_is_string(json_array_get(list, i)) &&
		    !strcmp(json_string_value(json_array_get(list, i)), s))
			return true;
	return false;
}

int cw_alarms_describe(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e)
{
	struct cw_alarms *as = cw->alarms;
	const json_t *names = json_object_get(in, "AlarmNames");
	const json_t *types = json_object_get(in, "AlarmTypes");
	const char *prefix = jsonx_str(in, "AlarmNamePrefix"), *state = jsonx_str(in, "StateValue");
	const char *tok = jsonx_str(in, "NextToken");
	long long max, start = tok ? strtoll(tok, NULL, 10) : 0, seen = 0, shown = 0;
	json_t *list = json_array();

	if (cw_in_int(in, "MaxRecords", 1, 100, 50, &max, e)) {
		json_decref(list);
		return 1;
	}
	*out = json_pack("{s:o,s:[]}", "MetricAlarms", list, "CompositeAlarms");
	if (!*out)
		return ERR_NOMEM;
	if (types && !in_list(types, "MetricAlarm"))
		return 0;
	for (size_t i = 0; i < as->n; i++) {
		const struct alarm *a = &as->a[i];

		if ((json_array_size(names) && !in_list(names, a->name)) ||
		    (prefix && strncmp(a->name, prefix, strlen(prefix))) ||
		    (state && strcmp(state, a->state)) || seen++ < start)
			continue;
		if (shown == max) {
			char t[32];

			snprintf(t, sizeof(t), "%lld", start + shown);
			json_object_set_new(*out, "NextToken", json_string(t));
			break;
		}
		json_array_append_new(list, alarm_json(cw, a));
		shown++;
	}
	return 0;
}

int cw_alarms_delete(struct cloudwatch *cw, const json_t *in, struct cw_error *e)
{
	struct cw_alarms *as = cw->alarms;
	const json_t *names = json_object_get(in, "AlarmNames");

	if (!json_is_array(names))
		return cw_fail(e, "MissingParameter", "AlarmNames is required.");
	for (size_t i = 0; i < json_array_size(names); i++)
		if (!json_is_string(json_array_get(names, i)) ||
		    !find(as, json_string_value(json_array_get(names, i))))
			return cw_fail(e, "ResourceNotFound", "An alarm named does not exist.");
	for (size_t i = 0; i < as->n;) {
		if (in_list(names, as->a[i].name)) {
			alarm_release(&as->a[i]);
			memmove(&as->a[i], &as->a[i + 1], (as->n - i - 1) * sizeof(*as->a));
			as->n--;
			continue;
		}
		i++;
	}
	return 0;
}

int cw_alarms_set_state(struct cloudwatch *cw, const json_t *in, struct cw_error *e)
{
	const char *name = cw_in_str(in, "AlarmName", true, e);
	const char *state = name ? cw_in_str(in, "StateValue", true, e) : NULL;
	const char *reason = state ? cw_in_str(in, "StateReason", true, e) : NULL;
	struct alarm *a;

	if (!reason)
		return 1;
	if (!(a = find(cw->alarms, name)))
		return cw_fail(e, "ResourceNotFound", "Alarm %s not found", name);
	if (strcmp(state, "OK") && strcmp(state, "ALARM") && strcmp(state, "INSUFFICIENT_DATA"))
		return cw_fail(e, "InvalidParameterValue",
			       "StateValue must be OK, ALARM or INSUFFICIENT_DATA.");
	set_state(cw, a, state, reason, time_now_ms());
	return 0;
}

int cw_alarms_history(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e)
{
	struct cw_alarms *as = cw->alarms;
	const char *name = jsonx_str(in, "AlarmName");
	json_t *list = json_array();

	*out = json_pack("{s:o}", "AlarmHistoryItems", list);
	if (!*out)
		return ERR_NOMEM;
	for (size_t i = 0; i < as->n; i++) {
		if (name && strcmp(name, as->a[i].name))
			continue;
		for (size_t k = json_array_size(as->a[i].history); k > 0; k--)
			json_array_append(list, json_array_get(as->a[i].history, k - 1));
	}
	return 0;
}

json_t *cw_alarms_summary(struct cloudwatch *cw)
{
	struct cw_alarms *as = cw->alarms;
	json_t *list = json_array();

	for (size_t i = 0; list && i < as->n; i++)
		json_array_append_new(
			list, json_pack("{s:s,s:s,s:s,s:I,s:s?}", "name", as->a[i].name, "state",
					as->a[i].state, "reason", as->a[i].reason, "updated",
					(json_int_t)as->a[i].updated, "description",
					jsonx_str(as->a[i].spec, "AlarmDescription")));
	return list;
}
