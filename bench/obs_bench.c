/*
 * Observability benchmarks (bench/observability.sh builds and runs this):
 *
 *   obs_bench function [N]   the function's cost per invocation for its logs
 *                            and metrics at INFO: what an invocation wrote
 *                            before (request id, one JSON request line)
 *                            against what it writes now (Powertools' keys,
 *                            the correlation id, a kept DEBUG line for an
 *                            AWS call or a PostgreSQL statement, an EMF
 *                            document), to /dev/null
 *   obs_bench filter [LINES] FilterLogEvents by request id over LINES local
 *                            log lines (100,000 by default), in process
 *
 * Figures are printed as plain lines; nothing passes or fails.
 */
#include "core/common.h"

#include <math.h>

#include "core/json.h"
#include "core/log.h"
#include "core/sqlverb.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"
#include "local/cloudwatch/cw_int.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The request line serve.c writes, as it writes it. */
static void request_line(void)
{
	log_emit(LVL_INFO, "request",
		 json_pack("{s:s,s:s,s:i,s:f,s:s}", "method", "POST", "route", "POST /messages",
			   "status", 201, "durationMs", 2.345, "apiRequestId",
			   "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"));
}

/* Before: a request id set and cleared around the request line. */
static void before(void)
{
	log_set_request_id("8f5e5b1c-1b2a-4c6d-9e0f-123456789abc");
	request_line();
	log_set_request_id(NULL);
}

/* Now, for a request with no AWS call and no business metric (GET /health). */
static void now_plain(void)
{
	struct log_invocation inv = {
		"8f5e5b1c-1b2a-4c6d-9e0f-123456789abc",
		"Root=1-65f0c3a0-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;"
		"Sampled=0",
		false};

	log_invocation_begin(&inv);
	log_set_correlation_id("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	request_line();
	metrics_flush();
	log_invocation_end();
}

/* Now, for POST /messages: one AWS call's DEBUG line kept, one business metric. */
static void now_full(void)
{
	struct log_invocation inv = {
		"8f5e5b1c-1b2a-4c6d-9e0f-123456789abc",
		"Root=1-65f0c3a0-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;"
		"Sampled=0",
		false};

	log_invocation_begin(&inv);
	log_set_correlation_id("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	if (log_debug_wanted())
		log_emit(LVL_DEBUG, "aws call",
			 json_pack("{s:s,s:s,s:i,s:i,s:f,s:s}", "awsService", "dynamodb",
				   "operation", "TransactWriteItems", "status", 200, "attempts", 1,
				   "durationMs", 3.21, "awsRequestId",
				   "Q8B2N3KJ4LP5M6N7O8P9Q0R1S2T3U4V5W6X7Y8Z9A0B1C2D3"));
	metrics_count("MessagesCreated");
	request_line();
	metrics_flush();
	log_invocation_end();
}

/* The statement of PUT /preferences (src/app/preferences_store.c's SQL_PUT), as long. */
static const char SQL_PUT[] =
	"WITH up AS ( INSERT INTO preferences AS cur (user_id, purposes, vendors, version, "
	"updated_at, source) VALUES ($1, $2::jsonb, $3::jsonb, 1, date_trunc('milliseconds', "
	"clock_timestamp()), 'api') ON CONFLICT (user_id) DO UPDATE SET purposes = "
	"EXCLUDED.purposes, vendors = EXCLUDED.vendors, version = cur.version + 1, updated_at = "
	"greatest(EXCLUDED.updated_at, cur.updated_at + interval '1 millisecond'), source = 'api' "
	"RETURNING *), h AS (INSERT INTO preference_history (user_id, version, purposes, vendors, "
	"changed_at, source) SELECT user_id, version, purposes, vendors, updated_at, source FROM "
	"up) SELECT user_id, purposes::text, vendors::text, version, to_char(updated_at AT TIME "
	"ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM up";

/*
 * Now, for PUT /preferences: its statement's DEBUG line kept, as db.c's
 * log_statement() builds it (the verb found in the text), and one business
 * metric; the vendor list is a fresh copy (no line).
 */
static void now_prefs(void)
{
	struct log_invocation inv = {
		"8f5e5b1c-1b2a-4c6d-9e0f-123456789abc",
		"Root=1-65f0c3a0-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;"
		"Sampled=0",
		false};
	char verb[SQL_VERB_MAX];

	log_invocation_begin(&inv);
	log_set_correlation_id("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	if (log_debug_wanted())
		log_emit(LVL_DEBUG, "db statement",
			 json_pack("{s:s,s:s,s:s*,s:s*,s:i,s:f,s:o*}", "operation",
				   sql_verb(SQL_PUT, strlen(SQL_PUT), verb), "status", "ok",
				   "sqlstate", NULL, "error", NULL, "attempts", 1, "durationMs",
				   1.234, "connected", NULL));
	metrics_count("PreferencesUpdated");
	request_line();
	metrics_flush();
	log_invocation_end();
}

/* Median ns per call of `fn` over `runs` rounds of `n` calls. */
static double time_ns(void (*fn)(void), long n, int runs)
{
	double per[16];

	for (int r = 0; r < runs && r < 16; r++) {
		int64_t t0 = time_mono_ns();

		for (long i = 0; i < n; i++)
			fn();
		per[r] = (double)(time_mono_ns() - t0) / (double)n;
	}
	qsort(per, (size_t)runs, sizeof(per[0]), cmp_double);
	return per[runs / 2];
}

static int bench_function(long n)
{
	FILE *null = fopen("/dev/null", "w");
	double b, p, f, q;

	if (!null)
		return 1;
	log_set_output(null);
	log_configure(LVL_INFO, true);
	log_set_service("sluice", "MessagesFunction");
	metrics_configure("sluice/sluice-dev", "sluice", "MessagesFunction");
	for (long i = 0; i < n / 10; i++) { /* warm up */
		before();
		now_full();
		now_prefs();
	}
	b = time_ns(before, n, 7);
	p = time_ns(now_plain, n, 7);
	f = time_ns(now_full, n, 7);
	q = time_ns(now_prefs, n, 7);
	log_set_output(NULL);
	fclose(null);
	printf("function logs and metrics at INFO, per invocation (median of 7 x %ld):\n", n);
	printf("  before (request id, one request line)          %7.2f us\n", b / 1000);
	printf("  now, GET /health (keys, correlation id, EMF)   %7.2f us   extra %+.2f us\n",
	       p / 1000, (p - b) / 1000);
	printf("  now, POST /messages (+ kept DEBUG line, metric) %6.2f us   extra %+.2f us\n",
	       f / 1000, (f - b) / 1000);
	printf("  now, PUT /preferences (+ db statement, metric)  %6.2f us   extra %+.2f us\n",
	       q / 1000, (q - b) / 1000);
	return 0;
}

static int bench_filter(long lines)
{
	struct cw_config cfg = {NULL, "us-east-1", "k", "s", (size_t)1 << 30, NULL};
	struct cloudwatch *cw;
	char msg[512], rid[64], want[256];
	int64_t now = time_now_ms();
	double ms[7];
	size_t found = 0;

	if (cw_new(NULL, &cfg, &cw))
		return 1;
	for (long i = 0; i < lines; i++) {
		snprintf(rid, sizeof(rid), "%08lx-1b2a-4c6d-9e0f-%012lx", i / 6, i / 6);
		switch (i % 6) {
		case 0:
			snprintf(msg, sizeof(msg), "START RequestId: %s Version: $LATEST", rid);
			break;
		case 4:
			snprintf(msg, sizeof(msg), "END RequestId: %s", rid);
			break;
		case 5:
			snprintf(msg, sizeof(msg),
				 "REPORT RequestId: %s\tDuration: 1.52 ms\tBilled Duration: 2 ms\t"
				 "Memory Size: 128 MB\tMax Memory Used: 37 MB\t",
				 rid);
			break;
		default:
			snprintf(msg, sizeof(msg),
				 "{\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"level\":\"INFO\","
				 "\"message\":\"request\",\"method\":\"GET\",\"route\":\"GET "
				 "/health\","
				 "\"status\":200,\"durationMs\":0.1,\"service\":\"sluice\","
				 "\"cold_start\":false,\"function_name\":\"ObjectsFunction\","
				 "\"function_request_id\":\"%s\",\"correlation_id\":\"%s\"}",
				 rid, rid);
		}
		cw_log(cw, "/aws/lambda/ObjectsFunction", "2026/01/01/[$LATEST]0123",
		       now - lines + i, msg, strlen(msg), NULL);
	}
	snprintf(want, sizeof(want),
		 "{\"logGroupName\":\"/aws/lambda/ObjectsFunction\",\"filterPattern\":"
		 "\"\\\"%08lx-1b2a-4c6d-9e0f-%012lx\\\"\"}",
		 lines / 12, lines / 12);
	for (int r = 0; r < 7; r++) {
		json_t *in = jsonx_parse(want, strlen(want), NULL, 0), *out = NULL;
		struct cw_error e = {0};
		int64_t t0 = time_mono_ns();

		if (cw_logs_op("FilterLogEvents")(cw, in, &out, &e))
			return 1;
		ms[r] = (double)(time_mono_ns() - t0) / 1e6;
		found = json_array_size(json_object_get(out, "events"));
		json_decref(out);
		json_decref(in);
	}
	qsort(ms, 7, sizeof(ms[0]), cmp_double);
	printf("FilterLogEvents by request id over %ld log lines (%.1f MB): median %.2f ms, "
	       "max %.2f ms, %zu events found\n",
	       lines, (double)cw_logs_bytes(cw->logs) / 1e6, ms[3], ms[6], found);
	cw_free(cw);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	if (argc > 1 && !strcmp(argv[1], "function"))
		return bench_function(n > 0 ? n : 200000);
	if (argc > 1 && !strcmp(argv[1], "filter"))
		return bench_filter(n > 0 ? n : 100000);
	fprintf(stderr, "usage: obs_bench function [N] | filter [LINES]\n");
	return 2;
}
