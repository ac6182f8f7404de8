/*
 * The dashboard's memory of recent requests (cw.h, "the dashboard's view
 * of requests"): a ring of the last CW_TRACE_MAX requests, each with what
 * the gateway saw, the event its function received (at most
 * CW_TRACE_EVENT_MAX bytes of it), its log lines and the AWS calls the
 * function made, found by the trace Root each call carried. Lookups scan
 * the ring from the newest: a few hundred string comparisons per line,
 * which is nothing beside the line's own trip through a pipe.
 */
#include "core/common.h"

#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

#define CW_TRACE_MAX	    500
#define CW_TRACE_EVENT_MAX  ((size_t)64 << 10)
#define CW_TRACE_LINES_MAX  200
#define CW_TRACE_LINE_MAX   4096 /* bytes of one line kept for the dashboard */
#define CW_TRACE_CALLS_MAX  100
#define CW_TRACE_CLIENT_MAX 100
#define CW_TRACE_ID_MAX	    64
#define CW_TRACE_TEXT_MAX   256
/*
 * Bytes of one request's lines kept for the dashboard (the logs store has
 * them all): with the event's cap, the ring holds at most ~64 MB of them,
 * where 200 lines of 4 KB a request would have been ~400 MB.
 */
#define CW_TRACE_LINES_BYTES_MAX ((size_t)64 << 10)

struct treq {
	bool used;
	char id[CW_TRACE_ID_MAX];
	char trace[CW_TRACE_ID_MAX];
	char method[16], path[CW_TRACE_TEXT_MAX], route[CW_TRACE_TEXT_MAX];
	char function[CW_TRACE_ID_MAX], error[CW_TRACE_ID_MAX];
	char api[CW_TRACE_ID_MAX], stage[CW_TRACE_ID_MAX];
	bool invoked;
	int64_t start, start_ns;
	int status;
	double latency, duration, init;
	bool ended;
	char *event;
	size_t event_len;
	bool event_cut;
	json_t *lines, *calls;
	size_t lines_bytes; /* of the messages in `lines` */
};

struct cw_trace {
	struct treq r[CW_TRACE_MAX];
	size_t next; /* the slot the next request takes */
	json_t *client_errors;
};

int cw_trace_new(struct cw_trace **out)
{
	struct cw_trace *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t || !(t->client_errors = json_array())) {
		free(t);
		return ERR_NOMEM;
	}
	*out = t;
	return 0;
}

static void treq_clear(struct treq *q)
{
	free(q->event);
	json_decref(q->lines);
	json_decref(q->calls);
	memset(q, 0, sizeof(*q));
}

void cw_trace_free(struct cw_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < CW_TRACE_MAX; i++)
		treq_clear(&t->r[i]);
	json_decref(t->client_errors);
	free(t);
}

/* The request `id`, newest first; NULL when it has left the ring. */
static struct treq *find(struct cw_trace *t, const char *id, bool by_trace)
{
	for (size_t k = 1; id && *id && k <= CW_TRACE_MAX; k++) {
		struct treq *q = &t->r[(t->next + CW_TRACE_MAX - k) % CW_TRACE_MAX];

		if (!q->used)
			return NULL;
		if (!strcmp(by_trace ? q->trace : q->id, id))
			return q;
	}
	return NULL;
}

static json_t *summary(const struct treq *q)
{
	return json_pack(
		"{s:s,s:s,s:s,s:s?,s:s?,s:I,s:i,s:f,s:f,s:b,s:s?,s:b}", "id", q->id, "method",
		q->method, "path", q->path, "route", q->route[0] ? q->route : NULL, "function",
		q->function[0] ? q->function : NULL, "start", (json_int_t)q->start, "status",
		q->status, "latencyMs", q->latency, "durationMs", q->duration, "coldStart",
		q->init > 0, "errorType", q->error[0] ? q->error : NULL, "done", q->ended);
}

void cw_request_begin(struct cloudwatch *cw, const char *id, const char *method, const char *path)
{
	struct cw_trace *t = cw->trace;
	struct treq *q = &t->r[t->next];

	treq_clear(q);
	t->next = (t->next + 1) % CW_TRACE_MAX;
	q->used = true;
	q->start = time_now_ms();
	q->start_ns = time_mono_ns();
	snprintf(q->id, sizeof(q->id), "%s", id ? id : "");
	snprintf(q->method, sizeof(q->method), "%s", method ? method : "");
	snprintf(q->path, sizeof(q->path), "%s", path ? path : "");
	q->lines = json_array();
	q->calls = json_array();
}

void cw_request_invoke(struct cloudwatch *cw, const char *id, const char *api, const char *stage,
		       const char *route, const char *function, const char *event, size_t len)
{
	struct treq *q = find(cw->trace, id, false);

	if (!q)
		return;
	q->invoked = true;
	snprintf(q->api, sizeof(q->api), "%s", api ? api : "");
	snprintf(q->stage, sizeof(q->stage), "%s", stage ? stage : "");
	snprintf(q->route, sizeof(q->route), "%s", route ? route : "");
	snprintf(q->function, sizeof(q->function), "%s", function ? function : "");
	free(q->event);
	q->event_len = MIN(len, CW_TRACE_EVENT_MAX);
	q->event_cut = len > CW_TRACE_EVENT_MAX;
	q->event = event ? strndup(event, q->event_len) : NULL;
}

void cw_request_trace(struct cloudwatch *cw, const char *id, const char *trace_header)
{
	struct treq *q = find(cw->trace, id, false);
	const char *root = trace_header ? strstr(trace_header, "Root=") : NULL;

	if (q && root)
		snprintf(q->trace, sizeof(q->trace), "%.*s", (int)strcspn(root + 5, ";"), root + 5);
}

void cw_request_result(struct cloudwatch *cw, const char *id, double duration_ms, double init_ms,
		       const char *error_type)
{
	struct treq *q = find(cw->trace, id, false);

	if (!q)
		return;
	q->duration = duration_ms;
	q->init = init_ms;
	snprintf(q->error, sizeof(q->error), "%s", error_type ? error_type : "");
}

bool cw_request_end(struct cloudwatch *cw, const char *id, int status, struct cw_request_info *info)
{
	struct treq *q = find(cw->trace, id, false);

	if (!q)
		return false;
	q->status = status;
	q->latency = (double)(time_mono_ns() - q->start_ns) / 1e6;
	q->ended = true;
	if (info) {
		info->method = q->method;
		info->path = q->path;
		info->route = q->route[0] ? q->route : NULL;
		info->api = q->api[0] ? q->api : NULL;
		info->stage = q->stage[0] ? q->stage : NULL;
		info->function = q->function[0] ? q->function : NULL;
		info->error_type = q->error;
		info->start_ms = q->start;
		info->latency_ms = q->latency;
		info->integration_ms = q->duration;
		info->invoked = q->invoked;
	}
	cw_dash_publish(cw->dash, "request", summary(q));
	return true;
}

void cw_request_call(struct cloudwatch *cw, const struct cw_call *c)
{
	struct treq *q = find(cw->trace, c->trace_root, true);
	json_t *j;

	if (!q || json_array_size(q->calls) >= CW_TRACE_CALLS_MAX)
		return;
	j = json_pack("{s:s,s:s,s:s,s:i,s:I,s:f,s:s?,s:s?}", "service", c->service, "operation",
		      c->operation, "target", c->target ? c->target : "", "status", c->status,
		      "start", (json_int_t)c->start_ms, "durationMs", c->duration_ms, "warning",
		      c->warning, "error", c->error && *c->error ? c->error : NULL);
	if (!j)
		return;
	if (c->text) /* a statement's text that is not UTF-8 is left out */
		json_object_set_new(j, "text", json_string(c->text));
	json_array_append_new(q->calls, j);
	cw_dash_publish(cw->dash, "call", json_pack("{s:s,s:O}", "id", q->id, "call", j));
}

void cw_trace_line(struct cloudwatch *cw, const char *request_id, int64_t ts, const char *group,
		   const char *msg, size_t len)
{
	struct treq *q = find(cw->trace, request_id, false);
	json_t *j;

	len = MIN(len, (size_t)CW_TRACE_LINE_MAX);
	if (!q || json_array_size(q->lines) >= CW_TRACE_LINES_MAX ||
	    q->lines_bytes + len > CW_TRACE_LINES_BYTES_MAX)
		return;
	q->lines_bytes += len;
	j = json_pack("{s:I,s:s,s:s%}", "t", (json_int_t)ts, "group", group, "message", msg, len);
	if (!j) /* not UTF-8: shown as far as it is */
		j = json_pack("{s:I,s:s,s:s}", "t", (json_int_t)ts, "group", group, "message",
			      "(a line that is not UTF-8)");
	json_array_append_new(q->lines, j);
}

json_t *cw_trace_list(struct cw_trace *t, size_t limit)
{
	json_t *list = json_array();

	for (size_t k = 1; list && k <= CW_TRACE_MAX && json_array_size(list) < limit; k++) {
		const struct treq *q = &t->r[(t->next + CW_TRACE_MAX - k) % CW_TRACE_MAX];

		if (!q->used)
			break;
		json_array_append_new(list, summary(q));
	}
	return list;
}

/* The event as the function got it, with credentials' header values hidden. */
static json_t *event_json(const struct treq *q)
{
	static const char *const secret[] = {"authorization", "cookie", "x-api-key",
					     "x-amz-security-token"};
	json_t *ev;

	if (!q->event)
		return json_null();
	ev = q->event_cut ? NULL : jsonx_parse(q->event, q->event_len, NULL, 0);
	if (!ev)
		return json_pack("{s:s%,s:b}", "text", q->event, q->event_len, "truncated",
				 q->event_cut);
	for (int h = 0; h < 2; h++) {
		json_t *hs = json_object_get(ev, h ? "multiValueHeaders" : "headers");
		const char *k;
		json_t *v;

		json_object_foreach(hs, k, v)
		{
			for (size_t i = 0; i < ARRAY_SIZE(secret); i++)
				if (!strcasecmp(k, secret[i]))
					json_object_set_new(hs, k, json_string("(hidden)"));
		}
	}
	return ev;
}

json_t *cw_trace_detail(struct cw_trace *t, const char *id)
{
	struct treq *q = find(t, id, false);
	json_t *o;

	if (!q)
		return NULL;
	o = summary(q);
	if (o) {
		json_object_set_new(o, "event", event_json(q));
		json_object_set(o, "lines", q->lines);
		json_object_set(o, "calls", q->calls);
		json_object_set_new(o, "traceId", json_string(q->trace));
		json_object_set_new(o, "initMs", json_real(q->init));
	}
	return o;
}

void cw_client_event(struct cloudwatch *cw, const json_t *event)
{
	struct cw_trace *t = cw->trace;

	json_array_append(t->client_errors, (json_t *)event);
	if (json_array_size(t->client_errors) > CW_TRACE_CLIENT_MAX)
		json_array_remove(t->client_errors, 0);
	cw_dash_publish(cw->dash, "client", json_incref((json_t *)event));
}

json_t *cw_trace_client_errors(struct cw_trace *t)
{
	return json_incref(t->client_errors);
}
