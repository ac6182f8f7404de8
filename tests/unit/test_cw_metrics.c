/*
 * Unit tests for the local CloudWatch metrics (src/local/cloudwatch/
 * cw_metrics.c, cw_mon_api.c, cw_math.c, cw_alarms.c, cw_proto.c): series
 * found by exact dimensions, statistics and percentiles, periods, metric
 * math, the operations from query-protocol forms and their XML answers,
 * and alarms: M out of N, missing data, DescribeAlarms, SetAlarmState,
 * history.
 */
#include "core/common.h"

#include <math.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

static struct cloudwatch *open_cw(void)
{
	struct cw_config cfg = {NULL, "us-east-1", "k", "s", 0, NULL};
	struct cloudwatch *cw = NULL;

	assert_int_equal(cw_new(NULL, &cfg, &cw), 0);
	return cw;
}

static json_t *op(struct cloudwatch *cw, const char *name, json_t *in, const char **code)
{
	static struct cw_error e;
	json_t *out = NULL;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = cw_mon_op(name)(cw, in, &out, &e);
	json_decref(in);
	*code = rc == 1 ? e.code : NULL;
	assert_true(rc == 0 || rc == 1);
	if (rc == 0 && !out)
		out = json_object();
	return out;
}

/* An operation from a query-protocol form, as awscli v1's older releases send it. */
static json_t *form(struct cloudwatch *cw, const char *body, const char **code)
{
	char action[64], why[128];
	json_t *in;

	assert_int_equal(
		cw_query_decode(body, strlen(body), &in, action, sizeof(action), why, sizeof(why)),
		0);
	return op(cw, action, in, code);
}

static void test_store_and_stats(void **state)
{
	struct cloudwatch *cw = open_cw();
	struct cw_dim ab[2] = {{"b", "2"}, {"a", "1"}}, ba[2] = {{"a", "1"}, {"b", "2"}};
	struct cw_dim a = {"a", "1"};
	struct cw_series *s;
	double v;

	for (int i = 1; i <= 100; i++)
		assert_int_equal(cw_metric(cw, "ns", "Latency", ab, 2, i, "Milliseconds", 1000 + i),
				 0);
	/* The order of dimensions does not matter; their set does. */
	s = cw_metrics_find(cw->metrics, "ns", "Latency", ba, 2);
	assert_non_null(s);
	assert_null(cw_metrics_find(cw->metrics, "ns", "Latency", &a, 1));
	assert_true(cw_series_stat(s, 0, 5000, CW_SAMPLES, 0, NULL, &v) && v == 100);
	assert_true(cw_series_stat(s, 0, 5000, CW_SUM, 0, NULL, &v) && v == 5050);
	assert_true(cw_series_stat(s, 0, 5000, CW_AVG, 0, NULL, &v) && v == 50.5);
	assert_true(cw_series_stat(s, 0, 5000, CW_MIN, 0, NULL, &v) && v == 1);
	assert_true(cw_series_stat(s, 0, 5000, CW_MAX, 0, NULL, &v) && v == 100);
	assert_true(cw_series_stat(s, 0, 5000, CW_PCT, 50, NULL, &v) && v == 50);
	assert_true(cw_series_stat(s, 0, 5000, CW_PCT, 99, NULL, &v) && v == 99);
	assert_true(cw_series_stat(s, 0, 5000, CW_PCT, 99.9, NULL, &v) && v == 100);
	assert_false(cw_series_stat(s, 5000, 6000, CW_SUM, 0, NULL, &v)); /* no data */
	assert_false(cw_series_stat(s, 0, 5000, CW_SUM, 0, "Count", &v)); /* another unit */
	enum cw_stat k;
	double p;
	assert_true(cw_stat_parse("p99.9", &k, &p) && k == CW_PCT && p == 99.9);
	assert_false(cw_stat_parse("p101", &k, &p));
	assert_false(cw_stat_parse("tm99", &k, &p));
	/* What CloudWatch refuses. */
	struct cw_dim bad = {":x", "1"}, twice[2] = {{"a", "1"}, {"a", "2"}};
	assert_int_equal(cw_metric(cw, "ns", "m", &bad, 1, 1, NULL, 1), ERR_INVAL);
	assert_int_equal(cw_metric(cw, "ns", "m", twice, 2, 1, NULL, 1), ERR_INVAL);
	assert_int_equal(cw_metric(cw, "", "m", NULL, 0, 1, NULL, 1), ERR_INVAL);
	assert_int_equal(cw_metric(cw, "ns", "m", NULL, 0, NAN, NULL, 1), ERR_INVAL);
	cw_free(cw);
}

static void test_put_and_get(void **state)
{
	struct cloudwatch *cw = open_cw();
	int64_t now = time_now_ms(), t0 = now - now % 60000 - 120000;
	char body[1024], start[32], end[32];
	const char *code;
	json_t *r, *res;

	time_rfc3339(start, t0 - 60000, 0);
	time_rfc3339(end, t0 + 180000, 0);
	/* Requests and errors in three minutes, through the query protocol. */
	for (int m = 0; m < 3; m++) {
		char ts[32];

		time_rfc3339(ts, t0 + m * 60000 + 1000, 0);
		snprintf(body, sizeof(body),
			 "Action=PutMetricData&Version=2010-08-01&Namespace=App&"
			 "MetricData.member.1.MetricName=Requests&MetricData.member.1.Value=%d&"
			 "MetricData.member.1.Timestamp=%s&MetricData.member.1.Unit=Count&"
			 "MetricData.member.2.MetricName=Errors&MetricData.member.2.Values.member."
			 "1=%d&"
			 "MetricData.member.2.Timestamp=%s&"
			 "MetricData.member.2.Dimensions.member.1.Name=Route&"
			 "MetricData.member.2.Dimensions.member.1.Value=GET%%20%%2F",
			 10 * (m + 1), ts, m, ts);
		json_decref(form(cw, body, &code));
		assert_null(code);
	}
	json_decref(form(cw,
			 "Action=PutMetricData&Namespace=AWS%2FLambda&MetricData.member.1."
			 "MetricName=x&MetricData.member.1.Value=1",
			 &code));
	assert_string_equal(code, "InvalidParameterValue");

	r = op(cw, "GetMetricData",
	       json_pack("{s:[{s:s,s:{s:{s:s,s:s},s:i,s:s}},{s:s,s:{s:{s:s,s:s,s:[{s:s,s:s}]},s:i,"
			 "s:s},s:b},{s:s,s:s}],s:s,s:s,s:s}",
			 "MetricDataQueries", "Id", "req", "MetricStat", "Metric", "Namespace",
			 "App", "MetricName", "Requests", "Period", 60, "Stat", "Sum", "Id", "err",
			 "MetricStat", "Metric", "Namespace", "App", "MetricName", "Errors",
			 "Dimensions", "Name", "Route", "Value", "GET /", "Period", 60, "Stat",
			 "Sum", "ReturnData", 0, "Id", "rate", "Expression", "err / req * 100",
			 "StartTime", start, "EndTime", end, "ScanBy", "TimestampAscending"),
	       &code);
	assert_null(code);
	res = json_object_get(r, "MetricDataResults");
	assert_int_equal(json_array_size(res), 2); /* err has ReturnData false */
	json_t *req = json_array_get(res, 0), *rate = json_array_get(res, 1);
	assert_string_equal(jsonx_str(req, "Label"), "Requests");
	assert_int_equal(json_array_size(json_object_get(req, "Values")), 3);
	assert_true(json_real_value(json_array_get(json_object_get(req, "Values"), 2)) == 30);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(req, "Timestamps"), 0)),
			 t0 / 1000);
	/* err / req * 100 per minute: 0, 5, 6.67 */
	assert_true(json_real_value(json_array_get(json_object_get(rate, "Values"), 1)) == 5);
	assert_true(fabs(json_real_value(json_array_get(json_object_get(rate, "Values"), 2)) -
			 200.0 / 30) < 1e-9);
	/* Query XML of the same answer. */
	struct buf xml;
	buf_init(&xml, 1 << 20);
	assert_int_equal(cw_query_encode("GetMetricData", r, "rid", &xml), 0);
	assert_non_null(strstr(xml.ptr, "<GetMetricDataResponse xmlns=\"http://monitoring."
					"amazonaws.com/doc/2010-08-01/\"><GetMetricDataResult>"
					"<MetricDataResults><member><Id>req</Id>"));
	assert_non_null(strstr(xml.ptr, "<Timestamps><member>"));
	assert_non_null(strstr(xml.ptr, "<RequestId>rid</RequestId>"));
	buf_release(&xml);
	json_decref(r);

	/* Errors of the expression and of the times. */
	r = op(cw, "GetMetricData",
	       json_pack("{s:[{s:s,s:s}],s:s,s:s}", "MetricDataQueries", "Id", "x", "Expression",
			 "nope * 2", "StartTime", start, "EndTime", end),
	       &code);
	assert_string_equal(code, "ValidationError");
	r = op(cw, "GetMetricData",
	       json_pack("{s:[{s:s,s:s}],s:s,s:s}", "MetricDataQueries", "Id", "Bad", "Expression",
			 "1", "StartTime", start, "EndTime", end),
	       &code);
	assert_string_equal(code, "InvalidParameterValue");
	r = op(cw, "GetMetricData",
	       json_pack("{s:[{s:s,s:s}],s:s,s:s}", "MetricDataQueries", "Id", "x", "Expression",
			 "1", "StartTime", end, "EndTime", start),
	       &code);
	assert_string_equal(code, "InvalidParameterValue");

	r = op(cw, "GetMetricStatistics",
	       json_pack("{s:s,s:s,s:s,s:s,s:i,s:[s,s],s:[s]}", "Namespace", "App", "MetricName",
			 "Requests", "StartTime", start, "EndTime", end, "Period", 60, "Statistics",
			 "Sum", "SampleCount", "ExtendedStatistics", "p90"),
	       &code);
	assert_null(code);
	assert_int_equal(json_array_size(json_object_get(r, "Datapoints")), 3);
	json_t *dp = json_array_get(json_object_get(r, "Datapoints"), 0);
	assert_non_null(json_object_get(dp, "Sum"));
	assert_non_null(json_object_get(json_object_get(dp, "ExtendedStatistics"), "p90"));
	assert_string_equal(jsonx_str(dp, "Unit"), "Count");
	json_decref(r);

	r = form(cw,
		 "Action=ListMetrics&Version=2010-08-01&Namespace=App&Dimensions.member.1.Name="
		 "Route",
		 &code);
	assert_int_equal(json_array_size(json_object_get(r, "Metrics")), 1);
	assert_string_equal(
		jsonx_str(json_array_get(json_object_get(r, "Metrics"), 0), "MetricName"),
		"Errors");
	json_decref(r);
	cw_free(cw);
}

/*
 * Memory (issue 11): equal values in one second are counted into one point,
 * and points of whole minutes older than CW_METRICS_RAW_MS are rolled up
 * per minute and value class, keeping Sum, SampleCount, Minimum and Maximum
 * exact and percentiles within a value class (1/64).
 */
static void test_roll_up(void **state)
{
	struct cw_metrics *m;
	struct cw_series *s, *v;
	int64_t t0 = 1700000000000LL / 60000 * 60000; /* a minute boundary */
	double x;

	assert_int_equal(cw_metrics_new(&m), 0);
	for (int i = 0; i < 1000; i++) {
		struct cw_point one = {t0 + i, 1, 1, 1, 1};
		double val = 10 + (i % 100); /* 10 .. 109 ms */
		struct cw_point lat = {t0 + i * 60, val, val, val, 1};

		assert_int_equal(cw_metrics_put(m, "ns", "Count", NULL, 0, "Count", &one), 0);
		assert_int_equal(cw_metrics_put(m, "ns", "Latency", NULL, 0, NULL, &lat), 0);
	}
	s = cw_metrics_find(m, "ns", "Count", NULL, 0);
	v = cw_metrics_find(m, "ns", "Latency", NULL, 0);
	/* 1000 ones within one second: one point counted 1000 times. */
	assert_int_equal(s->n - s->head, 1);
	assert_true(cw_series_stat(s, t0, t0 + 1000, CW_SUM, 0, NULL, &x));
	assert_true(x == 1000);
	/* 1000 different values over a minute: raw until rolled up. */
	assert_int_equal(v->n - v->head, 1000);
	cw_metrics_maintain(m, t0 + 60000 + CW_METRICS_RAW_MS - 1);
	assert_int_equal(v->n - v->head, 1000);
	cw_metrics_maintain(m, t0 + 60000 + CW_METRICS_RAW_MS);
	assert_int_equal(v->n - v->head, 100); /* one per value: each is a class of its own */
	assert_int_equal(v->rolled, v->n);
	assert_true(cw_series_stat(v, t0, t0 + 60000, CW_SAMPLES, 0, NULL, &x));
	assert_true(x == 1000);
	assert_true(cw_series_stat(v, t0, t0 + 60000, CW_SUM, 0, NULL, &x));
	assert_true(x == 59500); /* 10 .. 109, ten times each */
	assert_true(cw_series_stat(v, t0, t0 + 60000, CW_MIN, 0, NULL, &x));
	assert_true(x == 10);
	assert_true(cw_series_stat(v, t0, t0 + 60000, CW_MAX, 0, NULL, &x));
	assert_true(x == 109);
	assert_true(cw_series_stat(v, t0, t0 + 60000, CW_PCT, 99, NULL, &x));
	assert_true(fabs(x - 108) <= 108.0 / 64);
	assert_true(cw_series_stat(v, t0, t0 + 60000, CW_PCT, 50, NULL, &x));
	assert_true(fabs(x - 59) <= 59.0 / 64);
	/* New raw points after the rolled ones; a later roll-up leaves them be until they age. */
	struct cw_point late = {t0 + 130000, 5, 5, 5, 1};
	assert_int_equal(cw_metrics_put(m, "ns", "Latency", NULL, 0, NULL, &late), 0);
	cw_metrics_maintain(m, t0 + 130000);
	assert_int_equal(v->n - v->rolled, 1);
	cw_metrics_free(m);
}

static void test_math(void **state)
{
	int64_t ts1[] = {60000, 120000, 180000}, ts2[] = {120000, 180000};
	double v1[] = {10, 20, 30}, v2[] = {0, 3};
	struct cw_values vals[2] = {{ts1, v1, 3}, {ts2, v2, 2}}, out;
	const char *ids[] = {"a", "b"};
	struct cw_math_env env = {ids, vals, 2};
	char why[128];

	assert_int_equal(cw_math_eval("a + b", &env, &out, why, sizeof(why)), 0);
	assert_int_equal(out.n, 2); /* only the timestamps both have */
	assert_true(out.v[0] == 20 && out.v[1] == 33);
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("b / a * 100", &env, &out, why, sizeof(why)), 0);
	assert_true(out.v[0] == 0 && out.v[1] == 10);
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("a / b", &env, &out, why, sizeof(why)), 0);
	assert_int_equal(out.n, 1); /* 20 / 0 has no value */
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("FILL(b, 0) + -(1 - 2)", &env, &out, why, sizeof(why)), 0);
	assert_int_equal(out.n, 3);
	assert_true(out.v[0] == 1 && out.v[2] == 4);
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("SUM([a, b])", &env, &out, why, sizeof(why)), 0);
	assert_true(out.n == 3 && out.v[0] == 10 && out.v[1] == 20 && out.v[2] == 33);
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("MAX([a, 25])", &env, &out, why, sizeof(why)), 0);
	assert_true(out.v[0] == 25 && out.v[2] == 30);
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("ABS(0 - a)", &env, &out, why, sizeof(why)), 0);
	assert_true(out.v[1] == 20);
	cw_values_release(&out);
	assert_int_equal(cw_math_eval("c + 1", &env, &out, why, sizeof(why)), ERR_PARSE);
	assert_non_null(strstr(why, "id c"));
	assert_int_equal(cw_math_eval("SEARCH('x', 'Sum', 60)", &env, &out, why, sizeof(why)),
			 ERR_PARSE);
	assert_int_equal(cw_math_eval("(a + 1", &env, &out, why, sizeof(why)), ERR_PARSE);
	assert_int_equal(cw_math_eval("a +", &env, &out, why, sizeof(why)), ERR_PARSE);
	assert_int_equal(cw_math_eval("a b", &env, &out, why, sizeof(why)), ERR_PARSE);
}

static void test_alarms(void **state)
{
	struct cloudwatch *cw = open_cw();
	int64_t now = time_now_ms();
	const char *code;
	char why[256];
	json_t *spec, *r, *a;

	spec = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s}],s:s,s:i,s:i,s:i,s:f,s:s,s:s}", "AlarmName",
			 "errors", "Namespace", "AWS/Lambda", "MetricName", "Errors", "Dimensions",
			 "Name", "FunctionName", "Value", "Fn", "Statistic", "Sum", "Period", 60,
			 "EvaluationPeriods", 3, "DatapointsToAlarm", 2, "Threshold", 1.0,
			 "ComparisonOperator", "GreaterThanOrEqualToThreshold", "TreatMissingData",
			 "missing");
	assert_int_equal(cw_alarm(cw, spec, why, sizeof(why)), 0);
	json_decref(spec);
	cw_alarms_evaluate(cw, now);
	r = op(cw, "DescribeAlarms", json_pack("{s:[s]}", "AlarmNames", "errors"), &code);
	a = json_array_get(json_object_get(r, "MetricAlarms"), 0);
	assert_string_equal(jsonx_str(a, "StateValue"), "INSUFFICIENT_DATA");
	assert_int_equal(json_integer_value(json_object_get(a, "EvaluationPeriods")), 3);
	json_decref(r);

	struct cw_dim fn = {"FunctionName", "Fn"};
	/* One breaching period of the last three: not yet (2 of 3 needed). */
	cw_metric(cw, "AWS/Lambda", "Errors", &fn, 1, 1, "Count", now);
	cw_alarms_evaluate(cw, now + 10000);
	r = op(cw, "DescribeAlarms", json_pack("{s:s}", "StateValue", "OK"), &code);
	assert_int_equal(json_array_size(json_object_get(r, "MetricAlarms")), 1);
	json_decref(r);
	/* A second one, a period earlier: ALARM. */
	cw_metric(cw, "AWS/Lambda", "Errors", &fn, 1, 2, "Count", now - 60000);
	cw_alarms_evaluate(cw, now + 20000);
	r = op(cw, "DescribeAlarms", json_pack("{s:s}", "AlarmNamePrefix", "err"), &code);
	a = json_array_get(json_object_get(r, "MetricAlarms"), 0);
	assert_string_equal(jsonx_str(a, "StateValue"), "ALARM");
	assert_non_null(strstr(jsonx_str(a, "StateReason"), "2 of the last 3"));
	json_decref(r);
	r = op(cw, "DescribeAlarmHistory", json_pack("{s:s}", "AlarmName", "errors"), &code);
	assert_string_equal(jsonx_str(json_array_get(json_object_get(r, "AlarmHistoryItems"), 0),
				      "HistorySummary"),
			    "Alarm updated from OK to ALARM");
	json_decref(r);
	r = op(cw, "SetAlarmState",
	       json_pack("{s:s,s:s,s:s}", "AlarmName", "errors", "StateValue", "OK", "StateReason",
			 "testing"),
	       &code);
	assert_null(code);
	json_decref(r);
	json_t *summary = cw_alarms_summary(cw);
	assert_string_equal(jsonx_str(json_array_get(summary, 0), "state"), "OK");
	json_decref(summary);

	/* An alarm on metric math: a rate. */
	spec = json_pack("{s:s,s:[{s:s,s:{s:{s:s,s:s},s:i,s:s},s:b},{s:s,s:s}],s:i,s:f,s:s,s:s}",
			 "AlarmName", "rate", "Metrics", "Id", "e", "MetricStat", "Metric",
			 "Namespace", "AWS/Lambda", "MetricName", "Errors", "Period", 60, "Stat",
			 "Sum", "ReturnData", 0, "Id", "x", "Expression", "e * 10",
			 "EvaluationPeriods", 1, "Threshold", 5.0, "ComparisonOperator",
			 "GreaterThanThreshold", "TreatMissingData", "notBreaching");
	assert_int_equal(cw_alarm(cw, spec, why, sizeof(why)), 0);
	json_decref(spec);
	/* Refusals. */
	spec = json_pack("{s:s,s:s}", "AlarmName", "bad", "ComparisonOperator",
			 "LessThanThreshold");
	assert_int_equal(cw_alarm(cw, spec, why, sizeof(why)), ERR_INVAL);
	json_decref(spec);
	spec = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s}", "AlarmName", "bad", "Namespace", "n",
			 "MetricName", "m", "Statistic", "Sum", "Threshold", 1.0,
			 "ComparisonOperator", "LessThanLowerThreshold");
	assert_int_equal(cw_alarm(cw, spec, why, sizeof(why)), ERR_INVAL);
	json_decref(spec);
	r = op(cw, "DeleteAlarms", json_pack("{s:[s,s]}", "AlarmNames", "errors", "rate"), &code);
	assert_null(code);
	json_decref(r);
	r = op(cw, "DescribeAlarms", json_object(), &code);
	assert_int_equal(json_array_size(json_object_get(r, "MetricAlarms")), 0);
	json_decref(r);
	cw_free(cw);
}

static void test_query_forms(void **state)
{
	char action[64], why[128];
	json_t *in;
	const char *body = "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.2=b&"
			   "AlarmNames.member.1=a%20b&MaxRecords=10";

	assert_int_equal(
		cw_query_decode(body, strlen(body), &in, action, sizeof(action), why, sizeof(why)),
		0);
	assert_string_equal(action, "DescribeAlarms");
	assert_string_equal(json_string_value(json_array_get(json_object_get(in, "AlarmNames"), 0)),
			    "a b");
	assert_string_equal(jsonx_str(in, "MaxRecords"), "10");
	json_decref(in);
	body = "A.member.1=x&A.member.1.B=y"; /* a list item that is both text and a structure */
	assert_int_equal(
		cw_query_decode(body, strlen(body), &in, action, sizeof(action), why, sizeof(why)),
		ERR_PARSE);
	body = "A.member.5000=x";
	assert_int_equal(
		cw_query_decode(body, strlen(body), &in, action, sizeof(action), why, sizeof(why)),
		0);
	json_decref(in); /* not a list index: taken as keys, harmless */
	struct cw_error e = {0};
	struct buf b;
	cw_fail(&e, "InvalidParameterValue", "bad <thing>");
	buf_init(&b, 4096);
	assert_int_equal(cw_query_error(&e, "rid", &b), 0);
	assert_non_null(strstr(b.ptr, "<Error><Type>Sender</Type><Code>InvalidParameterValue</Code>"
				      "<Message>bad &lt;thing&gt;</Message></Error>"));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_and_stats),
		cmocka_unit_test(test_put_and_get),
		cmocka_unit_test(test_roll_up), /* memory: issue 11 */
		cmocka_unit_test(test_math),
		cmocka_unit_test(test_alarms),
		cmocka_unit_test(test_query_forms),
	};
	setenv("SLUICE_DEV_ALARM_EVAL_MS", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
