/*
 * The function's metrics, in CloudWatch's Embedded Metric Format (EMF): a
 * JSON log line that CloudWatch Logs turns into metrics, so a function
 * publishes them with no API call and no extra latency. Values are added
 * during an invocation and written when it ends (metrics_flush(), which the
 * runtime loop calls), as Powertools for AWS Lambda's Metrics utility does:
 *
 *   {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"sluice",
 *     "Dimensions":[["service"]],"Metrics":[{"Name":"MessagesCreated","Unit":"Count"}]}]},
 *    "service":"sluice","MessagesCreated":1}
 *
 * The rules of the specification that these documents keep (and that the
 * local cloud's reader, src/local/cloudwatch/cw_emf.h, checks): `_aws` has
 * Timestamp (epoch milliseconds) and CloudWatchMetrics; one directive with
 * Namespace, Dimensions (sets of names of root members whose values are
 * strings) and Metrics (at most METRICS_PER_DOCUMENT definitions, Name and a
 * standard Unit); each metric's value is a root member, a number or an array
 * of at most METRICS_VALUES_MAX numbers. More metrics than fit one document
 * are written as several documents.
 *
 * Namespace: POWERTOOLS_METRICS_NAMESPACE (the template sets
 * "sluice/<stack>"), else "sluice". The one dimension is `service`
 * (POWERTOOLS_SERVICE_NAME, else "sluice"). ColdStart goes in a document of
 * its own with the dimensions function_name and service, as Powertools
 * writes it, so that it can be counted per function.
 *
 * Not thread-safe: a function serves one invocation at a time.
 */
#ifndef SLUICE_LAMBDA_METRICS_H
#define SLUICE_LAMBDA_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* EMF's limits: metric definitions per directive, values per metric. */
#define METRICS_PER_DOCUMENT 100
#define METRICS_VALUES_MAX   100
/* Distinct metrics one invocation may add (past it metrics_add() refuses). */
#define METRICS_MAX	 64
#define METRICS_NAME_MAX 255 /* CloudWatch's limit on a metric name */

/* CloudWatch's standard units (the ones the service uses). */
enum metrics_unit {
	METRICS_NONE,
	METRICS_COUNT,
	METRICS_MILLISECONDS,
	METRICS_SECONDS,
	METRICS_BYTES,
	METRICS_PERCENT,
};

/* "Count", "Milliseconds", ...: the unit's name in EMF and the CloudWatch API. */
const char *metrics_unit_name(enum metrics_unit unit);

/* Read POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME and AWS_LAMBDA_FUNCTION_NAME. */
void metrics_init_from_env(void);

/* The same, explicitly (tests, benchmarks); NULL keeps the default ("sluice", "sluice", ""). */
void metrics_configure(const char *namespace_, const char *service, const char *function_name);

/*
 * Add `value` to metric `name` (1 to METRICS_NAME_MAX bytes of printable
 * ASCII that is not one of the document's own keys: `_aws`, `service`,
 * `function_name`) for the current invocation; a metric added twice keeps
 * both values. Returns 0; ERR_INVAL for a bad name, a non-finite value or a
 * unit that differs from the metric's first; ERR_TOOLARGE past METRICS_MAX
 * metrics. A refused value is dropped and logged at WARN; the invocation
 * goes on. A metric that has METRICS_VALUES_MAX values already makes the
 * documents be written (metrics_flush()) before the value is added.
 */
int metrics_add(const char *name, enum metrics_unit unit, double value);

/* metrics_add(name, METRICS_COUNT, 1): one more of something. */
int metrics_count(const char *name);

/* The invocation is a cold start: ColdStart 1 is written with the next flush. */
void metrics_cold_start(void);

/*
 * Append the EMF documents of what was added since the last flush to `out`,
 * one line each with its newline, stamped `now_ms`, and forget them.
 * Nothing when nothing was added. Returns 0 or the buffer's error (what was
 * added is forgotten either way).
 */
int metrics_render(struct buf *out, int64_t now_ms);

/* metrics_render() to the log output (log_write_raw()), one write per document. */
void metrics_flush(void);

#endif
