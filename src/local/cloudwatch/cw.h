/*
 * The local CloudWatch of `sluice dev`: a room of the local cloud that
 * answers, on the AWS endpoint's port, the CloudWatch Logs API (JSON 1.1,
 * X-Amz-Target "Logs_20140328.*", SigV4 service "logs") and the CloudWatch
 * metrics API (service "monitoring") in the three protocols clients speak
 * to it: Smithy RPC v2 CBOR (botocore, boto3 and awscli since late 2025,
 * and the newer SDKs: POST /service/GraniteServiceVersion20100801/
 * operation/<Op>), JSON 1.0 (X-Amz-Target "GraniteServiceVersion20100801.*")
 * and the query protocol (form POSTs with Action=...&Version=2010-08-01,
 * XML answers: older SDKs and awscli v2 releases). It also serves the
 * /_sluice/ dashboard.
 *
 * What feeds it is wired by the orchestration (src/local/dev_obs.c): each
 * worker's output lines as log events in its function's group (one stream
 * per worker, as Lambda names them), START/END/REPORT among them; EMF
 * documents in those lines become metrics; the metric filters and alarms of
 * the template; the gateway's and the pool's figures as AWS/ApiGateway and
 * AWS/Lambda metrics; the requests, their events, log lines and AWS calls
 * for the dashboard.
 *
 * Everything runs on the caller's event_base: no thread of its own.
 */
#ifndef SLUICE_LOCAL_CW_H
#define SLUICE_LOCAL_CW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "local/cloudwatch/cw_metrics.h"

struct event_base;
struct evhttp_request;
struct cloudwatch;

struct cw_config {
	const char *data_dir; /* the stage directory; logs go to <data_dir>/logs/; NULL: memory */
	const char *region;   /* signatures must name it; NULL: us-east-1 */
	const char *access_key_id; /* the local credentials */
	const char *secret_access_key;
	size_t logs_max_bytes;	   /* 0: CW_LOGS_DEFAULT_MAX_BYTES */
	const char *dashboard_dir; /* the dashboard page's files; NULL: the API only */
};

/* Start the room on `base`. Returns 0 and *out, ERR_IO (the logs directory), ERR_NOMEM. */
int cw_new(struct event_base *base, const struct cw_config *cfg, struct cloudwatch **out /* OUT */);

/* Stop and free; open dashboard streams are closed. NULL is a no-op. */
void cw_free(struct cloudwatch *cw);

/* ---- requests to the AWS endpoint ---- */

enum cw_service { CW_NONE, CW_LOGS, CW_MONITORING, CW_DASHBOARD };

/*
 * Whether a request of the AWS endpoint is this room's: CW_DASHBOARD for
 * /_sluice/..., CW_LOGS or CW_MONITORING by X-Amz-Target, the CBOR path, or
 * (the query protocol) a form POST to "/" signed for "monitoring" or
 * naming Version=2010-08-01; CW_NONE for everything else (S3, DynamoDB).
 */
enum cw_service cw_classify(struct evhttp_request *req);

/* Answer a request cw_classify() claimed. */
void cw_handle(struct cloudwatch *cw, struct evhttp_request *req, enum cw_service svc);

/* ---- what the rest of the local cloud tells it ---- */

/* Make sure log group `name` exists, with `retention_days` (0: never expire; <0: leave it). */
void cw_log_group(struct cloudwatch *cw, const char *name, int retention_days);

/*
 * One log event: `len` bytes of `msg` (one line, no newline) in stream
 * `stream` of group `group` (both created when missing), at `ts_ms`. EMF
 * documents publish their metrics, metric filters run, and when
 * `request_id` is not NULL the line is shown with that request.
 */
void cw_log(struct cloudwatch *cw, const char *group, const char *stream, int64_t ts_ms,
	    const char *msg, size_t len, const char *request_id);

/* A metric filter, as AWS::Logs::MetricFilter declares it. 0, or ERR_INVAL with `why`. */
int cw_metric_filter(struct cloudwatch *cw, const char *group, const char *name,
		     const char *pattern, const char *ns, const char *metric, const char *value,
		     const double *default_value, char *why, size_t why_len);

/* One datapoint, as PutMetricData records it (`unit` NULL: None). 0 or ERR_INVAL. */
int cw_metric(struct cloudwatch *cw, const char *ns, const char *name, const struct cw_dim *dims,
	      size_t ndims, double value, const char *unit, int64_t ts_ms);

/*
 * A metric alarm from PutMetricAlarm's members (as AWS::CloudWatch::Alarm
 * declares them: AlarmName, MetricName, Namespace, Dimensions, Statistic or
 * ExtendedStatistic, Period, EvaluationPeriods, DatapointsToAlarm,
 * Threshold, ComparisonOperator, TreatMissingData, Metrics). 0, or
 * ERR_INVAL with `why`.
 */
int cw_alarm(struct cloudwatch *cw, const json_t *spec, char *why, size_t why_len);

/* ---- the dashboard's view of requests ---- */

/* A request reached the gateway (the id is API Gateway's request id). */
void cw_request_begin(struct cloudwatch *cw, const char *id, const char *method, const char *path);

/*
 * It went to `function` through `route` ("GET /health") of `api` (its
 * local id) and `stage` (NULL: none); `event` is what the function got.
 */
void cw_request_invoke(struct cloudwatch *cw, const char *id, const char *api, const char *stage,
		       const char *route, const char *function, const char *event, size_t len);

/* The invocation's trace header ("Root=1-...;Sampled=0"), which ties AWS calls to it. */
void cw_request_trace(struct cloudwatch *cw, const char *id, const char *trace_header);

/* The function's outcome: duration, init duration (> 0: a cold start), error type ("": none). */
void cw_request_result(struct cloudwatch *cw, const char *id, double duration_ms, double init_ms,
		       const char *error_type);

/* What is known of a request once it is answered; strings live until the next request. */
struct cw_request_info {
	const char *method, *path, *route, *api, *stage, *function, *error_type;
	int64_t start_ms;
	double latency_ms, integration_ms;
	bool invoked;
};

/*
 * The answer went out with `status`: the request's line of the dashboard is
 * pushed, and `info` (may be NULL) filled for the metrics and the access
 * log. False when the request has left the dashboard's ring.
 */
bool cw_request_end(struct cloudwatch *cw, const char *id, int status,
		    struct cw_request_info *info /* OUT */);

/*
 * A call a function made to an AWS service of the local cloud, or a
 * PostgreSQL statement through the local RDS Proxy, attributed to the
 * invocation whose trace Root it carried (or, for a statement, that the
 * worker which sent it was running). `warning` (may be NULL) is shown
 * beside it ("would pin the RDS Proxy session: ..."). A statement has no
 * HTTP status (0): `text` is its text without values and `error` its
 * SQLSTATE when it failed; both NULL for an AWS call.
 */
struct cw_call {
	const char *trace_root;
	const char *service, *operation, *target; /* target: a bucket, a table, a database, "" */
	int status;
	int64_t start_ms;
	double duration_ms;
	const char *warning;
	const char *text, *error;
};
void cw_request_call(struct cloudwatch *cw, const struct cw_call *c);

/*
 * Where the dashboard page's files are (index.html, assets/); NULL: the
 * page answers 404 and the API still works. Copied.
 */
void cw_set_dashboard_dir(struct cloudwatch *cw, const char *dir);

#endif
