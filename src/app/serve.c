/*
 * The shared request pipeline of the service's functions (see serve.h):
 * event -> request -> route -> handler -> response JSON, and the log line.
 */
#include "core/common.h"

#include "app/serve.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"

/* Room for the route label of the log line ("DELETE /objects/{name+}"). */
#define SERVE_ROUTE_LABEL_MAX 160

/* Make `call->resp` a `status` answer with the JSON `text` as its body. */
static int set_json(struct serve_call *call, int status, const struct buf *text)
{
	int err = apigw_response_set_body(&call->resp, text->ptr, text->len);

	if (!err && !apigw_response_header(&call->resp, "Content-Type"))
		err = apigw_response_add_header(&call->resp, "Content-Type", "application/json");
	if (!err)
		call->resp.status = status;
	return err;
}

int serve_json(struct serve_call *call, int status, json_t *body)
{
	struct buf text;
	int err;

	if (!body)
		return ERR_NOMEM;
	buf_init(&text, APIGW_EVENT_MAX);
	err = jsonx_dump(body, &text, 0);
	json_decref(body);
	if (!err)
		err = set_json(call, status, &text);
	buf_release(&text);
	return err;
}

int serve_error(struct serve_call *call, int status, const char *code, const char *message)
{
	struct buf text;
	int err;

	buf_init(&text, 64 << 10);
	err = router_error_json(&text, code, message);
	if (!err)
		err = set_json(call, status, &text);
	buf_release(&text);
	return err;
}

/* True when the media type (before any parameters) is application/json. */
static bool is_json_media_type(const char *ct)
{
	struct str type;

	if (!ct)
		return false;
	str_split(str_from(ct), ';', &type, NULL);
	return str_ieq_cstr(str_trim(type), "application/json");
}

int serve_json_body(struct serve_call *call, const struct serve_body_rules *rules, json_t **doc)
{
	char why[160], msg[320];

	*doc = NULL;
	if (!is_json_media_type(apigw_header(&call->req, "Content-Type"))) {
		snprintf(msg, sizeof(msg), "%s takes a body of type application/json", rules->what);
		return serve_error(call, 415, "UnsupportedMediaType", msg);
	}
	if (rules->max_len && call->req.body_len > rules->max_len)
		return serve_error(call, 413, "PayloadTooLarge", rules->too_large);
	if (rules->utf8 && !utf8_valid(call->req.body, call->req.body_len))
		return serve_error(call, 400, "InvalidJson", "the body is not valid UTF-8");
	*doc = jsonx_parse(call->req.body, call->req.body_len, why, sizeof(why));
	if (*doc)
		return 0;
	snprintf(msg, sizeof(msg), "the body is not valid JSON: %s", why);
	return serve_error(call, 400, "InvalidJson", msg);
}

int serve_store_failure(struct serve_call *call, int err, const char *retry_after)
{
	switch (err) {
	case ERR_NOMEM:
		return err;
	case ERR_THROTTLED:
		err = apigw_response_add_header(&call->resp, "Retry-After", retry_after);
		return err ? err
			   : serve_error(call, 503, "StorageThrottled",
					 "the storage service is throttling requests; retry later");
	case ERR_TIMEOUT:
		return serve_error(call, 502, "StorageError",
				   "the storage service did not answer in time");
	default:
		return serve_error(call, 502, "StorageError", "the storage service failed");
	}
}

int64_t serve_deadline_ms(const struct serve_call *call, int64_t margin_ms)
{
	if (!call->ctx || call->ctx->deadline_ms <= 0)
		return 0;
	return call->ctx->deadline_ms - margin_ms;
}

/* Start the response over as a bare error: used when a handler failed. */
static int reset_to_error(struct serve_call *call, int status, const char *code,
			  const char *message)
{
	apigw_response_release(&call->resp);
	apigw_response_init(&call->resp);
	return serve_error(call, status, code, message);
}

/* The payload version of an event apigw_parse_event() refused, so the 400 can match it. */
static int guess_version(const char *event, size_t len)
{
	int version = APIGW_V1;
	json_t *v = len <= APIGW_EVENT_MAX ? jsonx_parse(event, len, NULL, 0) : NULL;
	const char *s = jsonx_str(v, "version");

	if (s && strcmp(s, "2.0") == 0)
		version = APIGW_V2;
	json_decref(v);
	return version;
}

/*
 * The path to route on. An HTTP API with a named stage puts the stage in
 * rawPath ("/dev/objects" on https://id.execute-api.../dev/objects), the
 * $default stage does not; REST APIs keep it out of `path`. So for payload
 * 2.0 a leading "/<stage>" segment is dropped when the stage is named.
 */
static struct str route_path(const struct apigw_request *req)
{
	struct str path = str_from(req->path);
	const char *stage = req->ctx.stage;
	size_t n = stage ? strlen(stage) : 0;

	if (req->version != APIGW_V2 || n == 0 || strcmp(stage, "$default") == 0)
		return path;
	if (path.len < n + 1 || path.ptr[0] != '/' || memcmp(path.ptr + 1, stage, n) != 0)
		return path;
	if (path.len == n + 1)
		return STR_LIT("/");
	if (path.ptr[n + 1] != '/')
		return path;
	return str_make(path.ptr + n + 1, path.len - n - 1);
}

/* Route and dispatch a parsed request; every outcome ends as a response in `call->resp`. */
static int dispatch(const struct route *routes, size_t nroutes, const struct serve_handler *h,
		    struct serve_call *call)
{
	enum router_result r = router_match(routes, nroutes, str_from(call->req.method),
					    route_path(&call->req), &call->match);
	struct buf text;
	int status = 500, err;

	if (r == ROUTER_FOUND) {
		err = h->handle(h->state, call);
		if (err) {
			log_msg(LVL_ERROR, "handler failed: %s", err_str(err));
			err = reset_to_error(call, 500, "InternalError", "the request failed");
		}
		return err;
	}
	buf_init(&text, 4096);
	err = router_reject(r, &call->match, &status, &text);
	if (!err)
		err = apigw_response_set_body(&call->resp, text.ptr, text.len);
	buf_release(&text);
	if (!err)
		err = apigw_response_add_header(&call->resp, "Content-Type", "application/json");
	if (!err && r == ROUTER_BAD_METHOD && call->match.allow[0])
		err = apigw_response_add_header(&call->resp, "Allow", call->match.allow);
	if (!err)
		call->resp.status = status;
	return err;
}

static void log_request(const struct serve_call *call, int status, int64_t t0)
{
	char label[SERVE_ROUTE_LABEL_MAX];
	json_t *route = json_null();
	double ms = (double)(time_mono_ns() - t0) / 1e6;

	if (call->match.route) {
		snprintf(label, sizeof(label), "%s %s", call->match.route->method,
			 call->match.route->pattern);
		route = json_string(label);
	}
	log_emit(status >= 500 ? LVL_ERROR : LVL_INFO, "request",
		 json_pack("{s:s?,s:o?,s:i,s:f,s:s?}", "method", call->req.method, "route", route,
			   "status", status, "durationMs", (double)(int64_t)(ms * 1000) / 1000,
			   "apiRequestId", call->req.ctx.request_id));
}

/* Serialise `call->resp`, falling back to a 500 when it does not fit. */
static int render(struct serve_call *call, int version, struct buf *response)
{
	size_t mark = response->len;
	int err = apigw_response_to_json(&call->resp, version, response);

	if (err == ERR_TOOLARGE) {
		buf_truncate(response, mark);
		err = reset_to_error(call, 500, "ResponseTooLarge",
				     "the response is larger than a Lambda function may return");
		if (!err)
			err = apigw_response_to_json(&call->resp, version, response);
	}
	if (err)
		buf_truncate(response, mark);
	return err;
}

int serve_event(const struct route *routes, size_t nroutes, const struct serve_handler *h,
		const char *event, size_t event_len, const struct lambda_context *ctx,
		struct buf *response, struct lambda_error *lerr)
{
	struct serve_call call;
	char why[256] = "";
	int64_t t0 = time_mono_ns();
	int version, err;

	memset(&call, 0, sizeof(call));
	call.ctx = ctx;
	apigw_response_init(&call.resp);
	if (ctx && ctx->request_id && ctx->request_id[0])
		log_set_request_id(ctx->request_id);

	err = apigw_parse_event(event, event_len, &call.req, why, sizeof(why));
	if (err == ERR_PARSE) {
		char msg[320];
		version = guess_version(event, event_len);
		snprintf(msg, sizeof(msg), "the event is not an API Gateway proxy event: %s", why);
		err = serve_error(&call, 400, "InvalidEvent", msg);
	} else if (!err) {
		version = call.req.version;
		log_set_correlation_id(call.req.ctx.request_id); /* Powertools' correlation_id */
		err = dispatch(routes, nroutes, h, &call);
	} else {
		version = APIGW_V1;
	}
	if (!err && call.req.method && strcmp(call.req.method, "HEAD") == 0)
		buf_reset(&call.resp.body);
	if (!err)
		err = render(&call, version, response);
	log_request(&call, err ? 500 : call.resp.status, t0);
	apigw_response_release(&call.resp);
	apigw_request_release(&call.req);
	if (err)
		return lambda_fail(lerr, "Function.Unhandled", "could not build the response: %s",
				   err_str(err));
	return 0;
}
