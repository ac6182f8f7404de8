/*
 * The insides of the CloudWatch room, shared by its files and by nothing
 * else (cw.h is the room's public face):
 *
 *   cw.c            the room: stores, ingestion (EMF, metric filters), timers
 *   cw_server.c     HTTP: which API, SigV4, the protocols' framing and errors
 *   cw_proto.c      query-protocol forms and XML, JSON and CBOR bodies
 *   cw_logs_api.c   the CloudWatch Logs operations
 *   cw_mon_api.c    the CloudWatch metrics operations
 *   cw_math.c       metric math expressions of GetMetricData and alarms
 *   cw_alarms.c     metric alarms and their evaluation
 *   cw_trace.c      recent requests for the dashboard: events, lines, AWS calls
 *   cw_dash.c       the /_sluice/ dashboard: its API, server-sent events, files
 *
 * An operation reads a JSON object (whatever the wire protocol was) and
 * writes one; timestamps are numbers of epoch seconds on the way in (query
 * strings in ISO 8601 are converted) and out (the protocol layer writes
 * them as ISO 8601 in XML and with tag 1 in CBOR, by member name).
 */
#ifndef SLUICE_LOCAL_CW_INT_H
#define SLUICE_LOCAL_CW_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "local/cloudwatch/cw.h"
#include "local/cloudwatch/cw_filter.h"
#include "local/cloudwatch/cw_logs.h"
#include "local/cloudwatch/cw_metrics.h"

struct event_base;
struct event;
struct evhttp_request;
struct cw_alarms;
struct cw_trace;
struct cw_dash;

/* A metric filter of a log group (PutMetricFilter, or AWS::Logs::MetricFilter). */
struct cw_mfilter {
	char *group, *name, *pattern_text, *ns, *metric, *value, *unit;
	bool has_default;
	double dflt;
	struct cw_filter *pattern;
};

struct cloudwatch {
	struct event_base *base;
	char *region, *akid, *secret;
	struct cw_logs *logs;
	struct cw_metrics *metrics;
	struct cw_mfilter *mfilters;
	size_t nmfilters, amfilters;
	struct cw_alarms *alarms;
	struct cw_trace *trace;
	struct cw_dash *dash;
	struct event *tick; /* maintenance and alarm evaluation, every second */
	int64_t last_minute;
	uint64_t emf_rejected; /* EMF documents that broke a rule */
};

/* An error for the client: `code` as the query protocol names it ("InvalidParameterValue"). */
struct cw_error {
	int status; /* 400 unless set */
	char code[64];
	char message[512];
	bool receiver; /* a fault of ours (Type Receiver) rather than the caller's */
};

/* Fill `e` and return 1 (for `return cw_fail(e, ...)` in operations). */
int cw_fail(struct cw_error *e, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An operation: 0 and *out (a new object), 1 with `e` filled, or ERR_NOMEM. */
typedef int (*cw_op_fn)(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e);

/* The operations of each API by name, or NULL. */
cw_op_fn cw_logs_op(const char *name);
cw_op_fn cw_mon_op(const char *name);

/* ---- reading inputs (numbers may arrive as text from the query protocol) ---- */

/* An integer member in [lo, hi]: 0 and *out; 1 with `e` filled when out of range; absent: dflt. */
int cw_in_int(const json_t *in, const char *key, long long lo, long long hi, long long dflt,
	      long long *out, struct cw_error *e);
/* A timestamp member (epoch seconds, or ISO 8601 text) as epoch ms; absent: dflt. */
int cw_in_time(const json_t *in, const char *key, int64_t dflt, int64_t *out_ms,
	       struct cw_error *e);
/* A number member (number or text); false when absent or not a number. */
bool cw_in_num(const json_t *in, const char *key, double *out);
/* A boolean member (true/false or their text); dflt when absent. */
bool cw_in_bool(const json_t *in, const char *key, bool dflt);
/* A required string member: it, or NULL with `e` filled (MissingParameter / InvalidParameterValue).
 */
const char *cw_in_str(const json_t *in, const char *key, bool required, struct cw_error *e);

/* ---- cw_proto.c ---- */

enum cw_proto { CW_PROTO_JSON11, CW_PROTO_JSON10, CW_PROTO_CBOR, CW_PROTO_QUERY };

/* True for the members written as timestamps (Timestamp, Timestamps, StateUpdatedTimestamp...). */
bool cw_is_time_key(const char *key);

/*
 * The query protocol's form body ("Action=GetMetricData&Version=2010-08-01&
 * MetricDataQueries.member.1.Id=a...") as a JSON object, lists rebuilt from
 * ".member.N", the action in `action`. Returns 0, or ERR_PARSE with `why`.
 */
int cw_query_decode(const char *body, size_t len, json_t **out /* OUT */, char *action,
		    size_t action_len, char *why, size_t why_len);

/* <OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata>... of `out`. */
int cw_query_encode(const char *op, const json_t *out, const char *request_id, struct buf *b);

/* <ErrorResponse><Error><Type><Code><Message></Error><RequestId></ErrorResponse>. */
int cw_query_error(const struct cw_error *e, const char *request_id, struct buf *b);

/* ---- cw.c ---- */

/* Store one log event and run what CloudWatch runs on it: metric filters, EMF, the dashboard. */
void cw_ingest(struct cloudwatch *cw, struct cw_group *g, long stream, int64_t ts, const char *msg,
	       size_t len);

/* The metric filters of group `name`: the index of the first at or after `from`, or -1. */
long cw_mfilter_next(const struct cloudwatch *cw, const char *group, size_t from);

/* Add or replace a metric filter (name unique per group). 0, or 1 with `e`, or ERR_NOMEM. */
int cw_mfilter_put(struct cloudwatch *cw, const char *group, const char *name, const char *pattern,
		   const char *ns, const char *metric, const char *value, const double *dflt,
		   const char *unit, struct cw_error *e);

/* Remove one; false when there was none. */
bool cw_mfilter_delete(struct cloudwatch *cw, const char *group, const char *name);

/* ---- cw_math.c ---- */

/* A series of GetMetricData: (timestamp ms, value) pairs, sorted by time. */
struct cw_values {
	int64_t *ts;
	double *v;
	size_t n;
};
void cw_values_release(struct cw_values *x);

/* What an expression's identifiers stand for: the results computed so far. */
struct cw_math_env {
	const char *const *ids;
	const struct cw_values *values;
	size_t n;
};

/*
 * Evaluate metric math `expr` (+ - * /, parentheses, numbers, the ids of
 * other queries, and the functions FILL(x, v), ABS, SUM, AVG, MIN, MAX of a
 * list [a, b, ...] per timestamp) over the timestamps of its operands. A
 * division by zero gives no value at that timestamp. Returns 0 and *out, or
 * ERR_PARSE with `why` (an unknown id or function, a syntax error).
 */
int cw_math_eval(const char *expr, const struct cw_math_env *env, struct cw_values *out, char *why,
		 size_t why_len);

/* ---- cw_alarms.c ---- */

int cw_alarms_new(struct cw_alarms **out);
void cw_alarms_free(struct cw_alarms *a);

/* PutMetricAlarm's input: create or replace. 0, 1 with `e`, ERR_NOMEM. */
int cw_alarms_put(struct cloudwatch *cw, const json_t *in, struct cw_error *e);

/* DescribeAlarms' MetricAlarms for `in`'s filters, and a NextToken when more remain. */
int cw_alarms_describe(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e);
int cw_alarms_delete(struct cloudwatch *cw, const json_t *in, struct cw_error *e);
int cw_alarms_set_state(struct cloudwatch *cw, const json_t *in, struct cw_error *e);
int cw_alarms_history(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e);

/* Evaluate every alarm whose period has ended; state changes are logged and sent to the dashboard.
 */
void cw_alarms_evaluate(struct cloudwatch *cw, int64_t now_ms);

/* The alarms as the dashboard shows them: [{name, state, reason, updated}]. */
json_t *cw_alarms_summary(struct cloudwatch *cw);

/*
 * The values of one MetricStat over [from, to) per `period_s`, oldest
 * first, for GetMetricData and the alarms: only periods with data.
 */
int cw_metric_stat_values(struct cloudwatch *cw, const json_t *metric_stat, int64_t from,
			  int64_t to, struct cw_values *out, struct cw_error *e);

/* ---- cw_trace.c and cw_dash.c ---- */

int cw_trace_new(struct cw_trace **out);
void cw_trace_free(struct cw_trace *t);

/* A log line of a request (the dashboard shows them with it). */
void cw_trace_line(struct cloudwatch *cw, const char *request_id, int64_t ts, const char *group,
		   const char *msg, size_t len);

/* The list of recent requests and one request's detail, as the dashboard's API answers. */
json_t *cw_trace_list(struct cw_trace *t, size_t limit);
json_t *cw_trace_detail(struct cw_trace *t, const char *id);
json_t *cw_trace_client_errors(struct cw_trace *t);

/* An error the website reported (a "client error" line of a function), for the dashboard. */
void cw_client_event(struct cloudwatch *cw, const json_t *event);

int cw_dash_new(struct cloudwatch *cw, const char *dir, struct cw_dash **out);
int cw_dash_set_dir(struct cw_dash *d, const char *dir);
void cw_dash_free(struct cw_dash *d);

/* Serve a /_sluice/ request. */
void cw_dash_handle(struct cw_dash *d, struct evhttp_request *req);

/* Send one server-sent event (`type`, JSON `data`, taken) to every open stream. */
void cw_dash_publish(struct cw_dash *d, const char *type, json_t *data);

#endif
