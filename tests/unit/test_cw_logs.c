/*
 * Unit tests for the local CloudWatch Logs (src/local/cloudwatch/cw_logs.c
 * and cw_logs_api.c): the store's order, its file surviving a restart (a
 * torn last record included), retention, the cap, the rewrite in slices of
 * a store at its cap; the operations as the
 * endpoint calls them: groups, streams, PutLogEvents' checks, GetLogEvents'
 * tokens, FilterLogEvents' patterns, stream choice, time range and paging
 * (what `aws logs tail` reads), metric filters publishing metrics, and EMF
 * lines publishing metrics.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/sluice-cw-logs-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct cloudwatch *open_cw(void)
{
	struct cw_config cfg = {dir, "us-east-1", "k", "s", 0, NULL};
	struct cloudwatch *cw = NULL;

	assert_int_equal(cw_new(NULL, &cfg, &cw), 0);
	return cw;
}

/* Call operation `op` with the JSON text `in`; the answer or the error code. */
static json_t *call(struct cloudwatch *cw, const char *op, const char *in, const char **code)
{
	static struct cw_error e;
	json_t *j = jsonx_parse(in, strlen(in), NULL, 0), *out = NULL;
	cw_op_fn fn = cw_logs_op(op);
	int rc;

	assert_non_null(j);
	assert_non_null(fn);
	memset(&e, 0, sizeof(e));
	rc = fn(cw, j, &out, &e);
	json_decref(j);
	*code = rc == 1 ? e.code : NULL;
	if (rc == 0 && !out)
		out = json_object();
	return out;
}

static json_t *ok(struct cloudwatch *cw, const char *op, const char *in)
{
	const char *code;
	json_t *out = call(cw, op, in, &code);

	if (code)
		fail_msg("%s: %s", op, code);
	return out;
}

static void failed(struct cloudwatch *cw, const char *op, const char *in, const char *want)
{
	const char *code;
	json_t *out = call(cw, op, in, &code);

	assert_null(out);
	assert_non_null(code);
	assert_string_equal(code, want);
}

static void test_groups_and_streams(void **state)
{
	struct cloudwatch *cw = open_cw();
	json_t *r;

	json_decref(ok(cw, "CreateLogGroup", "{\"logGroupName\":\"/aws/lambda/Fn\"}"));
	failed(cw, "CreateLogGroup", "{\"logGroupName\":\"/aws/lambda/Fn\"}",
	       "ResourceAlreadyExistsException");
	failed(cw, "CreateLogGroup", "{\"logGroupName\":\"bad name\"}",
	       "InvalidParameterException");
	failed(cw, "CreateLogGroup", "{}", "MissingParameter");
	json_decref(ok(cw, "CreateLogGroup", "{\"logGroupName\":\"other\"}"));
	json_decref(ok(cw, "PutRetentionPolicy",
		       "{\"logGroupName\":\"other\",\"retentionInDays\":30}"));
	failed(cw, "PutRetentionPolicy", "{\"logGroupName\":\"other\",\"retentionInDays\":31}",
	       "InvalidParameterException");
	r = ok(cw, "DescribeLogGroups", "{\"logGroupNamePrefix\":\"/aws\"}");
	assert_int_equal(json_array_size(json_object_get(r, "logGroups")), 1);
	json_decref(r);
	r = ok(cw, "DescribeLogGroups", "{\"limit\":1}");
	assert_int_equal(json_array_size(json_object_get(r, "logGroups")), 1);
	assert_string_equal(jsonx_str(r, "nextToken"), "/aws/lambda/Fn");
	json_decref(r);
	r = ok(cw, "DescribeLogGroups", "{\"nextToken\":\"/aws/lambda/Fn\"}");
	assert_string_equal(
		jsonx_str(json_array_get(json_object_get(r, "logGroups"), 0), "logGroupName"),
		"other");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(r, "logGroups"), 0), "retentionInDays")),
		30);
	json_decref(r);
	json_decref(
		ok(cw, "CreateLogStream", "{\"logGroupName\":\"other\",\"logStreamName\":\"s1\"}"));
	failed(cw, "CreateLogStream", "{\"logGroupName\":\"other\",\"logStreamName\":\"s1\"}",
	       "ResourceAlreadyExistsException");
	failed(cw, "CreateLogStream", "{\"logGroupName\":\"nope\",\"logStreamName\":\"s1\"}",
	       "ResourceNotFoundException");
	json_decref(ok(cw, "DeleteLogGroup", "{\"logGroupName\":\"other\"}"));
	failed(cw, "DeleteLogGroup", "{\"logGroupName\":\"other\"}", "ResourceNotFoundException");
	cw_free(cw);
}

static void test_put_and_get(void **state)
{
	struct cloudwatch *cw = open_cw();
	int64_t now = time_now_ms();
	char in[512];
	json_t *r, *evs;

	cw_log(cw, "g", "s", now - 3000, "one", 3, NULL);
	cw_log(cw, "g", "s", now - 2000, "two", 3, NULL);
	cw_log(cw, "g", "t", now - 1500, "other stream", 12, NULL);
	cw_log(cw, "g", "s", now - 1000, "three", 5, NULL);
	/* Out of order: PutLogEvents with an older timestamp lands in its place. */
	snprintf(in, sizeof(in),
		 "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":"
		 "%" PRId64 ",\"message\":\"half\"}]}",
		 now - 2500);
	json_decref(ok(cw, "PutLogEvents", in));
	snprintf(in, sizeof(in),
		 "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":2,"
		 "\"message\":\"a\"},{\"timestamp\":1,\"message\":\"b\"}]}");
	failed(cw, "PutLogEvents", in, "InvalidParameterException"); /* not in order */
	snprintf(in, sizeof(in),
		 "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":"
		 "1000,"
		 "\"message\":\"ancient\"}]}");
	r = ok(cw, "PutLogEvents", in);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "rejectedLogEventsInfo"),
						   "tooOldLogEventEndIndex")),
		0);
	json_decref(r);

	r = ok(cw, "GetLogEvents",
	       "{\"logGroupName\":\"g\",\"logStreamName\":\"s\","
	       "\"startFromHead\":true,\"limit\":2}");
	evs = json_object_get(r, "events");
	assert_int_equal(json_array_size(evs), 2);
	assert_string_equal(jsonx_str(json_array_get(evs, 0), "message"), "one");
	assert_string_equal(jsonx_str(json_array_get(evs, 1), "message"), "half");
	snprintf(in, sizeof(in),
		 "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"nextToken\":\"%s\"}",
		 jsonx_str(r, "nextForwardToken"));
	json_decref(r);
	r = ok(cw, "GetLogEvents", in);
	evs = json_object_get(r, "events");
	assert_int_equal(json_array_size(evs), 2);
	assert_string_equal(jsonx_str(json_array_get(evs, 1), "message"), "three");
	/* At the end the forward token comes back unchanged (boto3's paginator stops on it). */
	snprintf(in, sizeof(in),
		 "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"nextToken\":\"%s\"}",
		 jsonx_str(r, "nextForwardToken"));
	json_t *end = ok(cw, "GetLogEvents", in);
	assert_int_equal(json_array_size(json_object_get(end, "events")), 0);
	assert_string_equal(jsonx_str(end, "nextForwardToken"), jsonx_str(r, "nextForwardToken"));
	json_decref(end);
	json_decref(r);
	/* Without startFromHead: the newest `limit`. */
	r = ok(cw, "GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"limit\":1}");
	assert_string_equal(jsonx_str(json_array_get(json_object_get(r, "events"), 0), "message"),
			    "three");
	json_decref(r);
	failed(cw, "GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"x\"}",
	       "ResourceNotFoundException");
	cw_free(cw);
}

static void test_filter(void **state)
{
	struct cloudwatch *cw = open_cw();
	int64_t now = time_now_ms();
	char in[512], msg[128];
	json_t *r, *evs;
	size_t total = 0;
	const char *tok = NULL;

	for (int i = 0; i < 50; i++) {
		snprintf(msg, sizeof(msg),
			 "{\"level\":\"%s\",\"n\":%d,\"function_request_id\":\"r%d\"}",
			 i % 10 == 0 ? "ERROR" : "INFO", i, i);
		cw_log(cw, "/aws/lambda/Fn", i % 2 ? "b" : "a", now - 50000 + i * 1000, msg,
		       strlen(msg), NULL);
	}
	r = ok(cw, "FilterLogEvents",
	       "{\"logGroupName\":\"/aws/lambda/Fn\","
	       "\"filterPattern\":\"{ $.level = \\\"ERROR\\\" }\"}");
	evs = json_object_get(r, "events");
	assert_int_equal(json_array_size(evs), 5);
	assert_non_null(jsonx_str(json_array_get(evs, 0), "eventId"));
	assert_string_equal(jsonx_str(json_array_get(evs, 0), "logStreamName"), "a");
	json_decref(r);
	r = ok(cw, "FilterLogEvents",
	       "{\"logGroupName\":\"/aws/lambda/Fn\",\"filterPattern\":"
	       "\"\\\"r17\\\"\"}");
	assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
	json_decref(r);
	/* Streams by name and by prefix, a time range. */
	r = ok(cw, "FilterLogEvents",
	       "{\"logGroupName\":\"/aws/lambda/Fn\",\"logStreamNames\":[\"b\"]}");
	assert_int_equal(json_array_size(json_object_get(r, "events")), 25);
	json_decref(r);
	snprintf(in, sizeof(in),
		 "{\"logGroupName\":\"/aws/lambda/Fn\",\"startTime\":%" PRId64
		 ",\"endTime\":%" PRId64 "}",
		 now - 10000, now - 5000);
	r = ok(cw, "FilterLogEvents", in);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 6); /* both ends included */
	json_decref(r);
	failed(cw, "FilterLogEvents",
	       "{\"logGroupName\":\"/aws/lambda/Fn\",\"filterPattern\":\"{\"}",
	       "InvalidParameterException");
	failed(cw, "FilterLogEvents",
	       "{\"logGroupName\":\"/aws/lambda/Fn\",\"logStreamNames\":[\"a\"],"
	       "\"logStreamNamePrefix\":\"a\"}",
	       "InvalidParameterException");
	/* Paging 7 at a time visits every event once, in time order. */
	int64_t last = 0;
	do {
		if (tok)
			snprintf(in, sizeof(in),
				 "{\"logGroupIdentifier\":\"arn:aws:logs:us-east-1:123456789012:"
				 "log-group:/aws/lambda/Fn:*\",\"limit\":7,\"nextToken\":\"%s\"}",
				 tok);
		else
			snprintf(in, sizeof(in),
				 "{\"logGroupName\":\"/aws/lambda/Fn\",\"limit\":7}");
		r = ok(cw, "FilterLogEvents", in);
		evs = json_object_get(r, "events");
		for (size_t i = 0; i < json_array_size(evs); i++) {
			int64_t ts = json_integer_value(
				json_object_get(json_array_get(evs, i), "timestamp"));
			assert_true(ts >= last);
			last = ts;
		}
		total += json_array_size(evs);
		free((char *)tok);
		tok = jsonx_str(r, "nextToken") ? strdup(jsonx_str(r, "nextToken")) : NULL;
		json_decref(r);
	} while (tok);
	assert_int_equal(total, 50);
	cw_free(cw);
}

static void test_persistence_and_bounds(void **state)
{
	struct cloudwatch *cw = open_cw();
	int64_t now = time_now_ms();
	char path[512];
	FILE *f;
	json_t *r;

	cw_log_group(cw, "kept", 1);
	cw_log(cw, "kept", "s", now - 1000, "fresh", 5, NULL);
	cw_log(cw, "kept", "s", now - 2 * 86400000LL, "expired", 7, NULL);
	cw_free(cw); /* the store is written out */
	/* A record cut short at the end of the file (a killed sluice) is dropped. */
	snprintf(path, sizeof(path), "%s/logs/6b657074.log", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("1 2 99 1:s5:trun", f);
	fclose(f);
	cw = open_cw();
	/* The fresh event came back; the expired one went with the retention at shutdown. */
	r = ok(cw, "FilterLogEvents", "{\"logGroupName\":\"kept\"}");
	assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
	json_decref(r);
	/* Retention drops what is older than a day, the group's retention having been kept. */
	cw_log(cw, "kept", "s", now - 2 * 86400000LL, "expired", 7, NULL);
	cw_logs_maintain(cw->logs, now);
	r = ok(cw, "FilterLogEvents", "{\"logGroupName\":\"kept\"}");
	assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
	assert_string_equal(jsonx_str(json_array_get(json_object_get(r, "events"), 0), "message"),
			    "fresh");
	json_decref(r);
	cw_free(cw);

	/* The cap drops the oldest events first. */
	struct cw_config cfg = {NULL, "us-east-1", "k", "s", 1000, NULL};
	assert_int_equal(cw_new(NULL, &cfg, &cw), 0);
	char line[100];
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 30; i++) {
		line[0] = (char)('A' + i % 26);
		cw_log(cw, "capped", "s", now + i, line, sizeof(line), NULL);
	}
	assert_true(cw_logs_bytes(cw->logs) <= 1000);
	r = ok(cw, "FilterLogEvents", "{\"logGroupName\":\"capped\"}");
	assert_int_equal(json_array_size(json_object_get(r, "events")), 10);
	json_decref(r);
	cw_free(cw);
}

static void test_metric_filters_and_emf(void **state)
{
	struct cloudwatch *cw = open_cw();
	int64_t now = time_now_ms();
	char emf[512];
	struct cw_series *s;
	struct cw_dim dim = {"service", "svc"};
	double v;

	failed(cw, "PutMetricFilter", "{\"logGroupName\":\"access\",\"filterName\":\"f\"}",
	       "ResourceNotFoundException");
	cw_log_group(cw, "access", 0);
	json_decref(
		ok(cw, "PutMetricFilter",
		   "{\"logGroupName\":\"access\",\"filterName\":\"f\",\"filterPattern\":"
		   "\"{ $.status >= 500 }\",\"metricTransformations\":[{\"metricName\":\"Api5xx\","
		   "\"metricNamespace\":\"ns\",\"metricValue\":\"1\",\"defaultValue\":0}]}"));
	cw_log(cw, "access", "s", now, "{\"status\":503}", 14, NULL);
	cw_log(cw, "access", "s", now, "{\"status\":200}", 14, NULL);
	cw_log(cw, "access", "s", now, "{\"status\":500}", 14, NULL);
	s = cw_metrics_find(cw->metrics, "ns", "Api5xx", NULL, 0);
	assert_non_null(s);
	assert_true(cw_series_stat(s, now - 1, now + 1, CW_SUM, 0, NULL, &v));
	assert_true(v == 2);
	assert_true(cw_series_stat(s, now - 1, now + 1, CW_SAMPLES, 0, NULL, &v));
	assert_true(v == 3); /* the default value counts the miss */
	json_t *r = ok(cw, "DescribeMetricFilters", "{\"logGroupName\":\"access\"}");
	assert_int_equal(json_array_size(json_object_get(r, "metricFilters")), 1);
	json_decref(r);

	snprintf(emf, sizeof(emf),
		 "{\"_aws\":{\"Timestamp\":%" PRId64
		 ",\"CloudWatchMetrics\":[{\"Namespace\":\"app\","
		 "\"Dimensions\":[[\"service\"]],\"Metrics\":[{\"Name\":\"Created\",\"Unit\":"
		 "\"Count\"}]}]},\"service\":\"svc\",\"Created\":[1,1,1]}",
		 now);
	cw_log(cw, "/aws/lambda/Fn", "s", now, emf, strlen(emf), NULL);
	s = cw_metrics_find(cw->metrics, "app", "Created", &dim, 1);
	assert_non_null(s);
	assert_true(cw_series_stat(s, now - 1, now + 1, CW_SUM, 0, "Count", &v));
	assert_true(v == 3);
	assert_false(cw_series_stat(s, now - 1, now + 1, CW_SUM, 0, "Bytes", &v));
	cw_free(cw);
}

/* The size of a file, 0 when it is missing. */
static long file_size(const char *path)
{
	FILE *f = fopen(path, "r");
	long n;

	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

/*
 * A store at its cap drops an event per append: the file is rewritten in
 * slices, never grows past a bound, and a restart finds the newest events.
 */
static void test_rewrite_in_slices(void **state)
{
	char sub[128], path[192], line[100];
	struct cw_logs *s;
	struct cw_group *g;
	int64_t now = time_now_ms();
	long stream, biggest = 0;
	bool created;
	size_t n;

	snprintf(sub, sizeof(sub), "%s/sliced", dir);
	snprintf(path, sizeof(path), "%s/6c6f67.log", sub); /* "log" in hex */
	assert_int_equal(cw_logs_new(sub, 10000, &s), 0);
	g = cw_logs_group_ensure(s, "log", now, &created);
	assert_non_null(g);
	stream = cw_logs_stream(g, "s", true, now);
	assert_true(stream >= 0);
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "%08d", i);
		line[8] = 'x';
		assert_non_null(cw_logs_append(s, g, stream, now + i, line, sizeof(line), now));
		if (i % 50 == 49) {
			cw_logs_maintain(s, now);
			biggest = MAX(biggest, file_size(path));
		}
	}
	/* 100 events of 100 bytes live, each record about 140 bytes on disk. */
	assert_int_equal(g->nev - g->head, 100);
	assert_true(biggest > 0 && biggest < 3 * 100 * 150);
	cw_logs_free(s);
	/* Shut down cleanly, the file holds the live events only. */
	assert_true(file_size(path) < 100 * 150);
	assert_int_equal(cw_logs_new(sub, 10000, &s), 0);
	g = cw_logs_group(s, "log");
	assert_non_null(g);
	n = g->nev - g->head;
	assert_int_equal(n, 100);
	assert_memory_equal(g->ev[g->head].msg, "00004900", 8);
	assert_memory_equal(g->ev[g->nev - 1].msg, "00004999", 8);
	cw_logs_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_groups_and_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence_and_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metric_filters_and_emf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewrite_in_slices, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
