/*
 * The local API Gateway's server (see gateway.h): each request is read,
 * matched against the current route table (gw_routes.c), answered as a CORS
 * preflight (gw_cors.c) or checked by the AWS_IAM authorizer (gw_iam.c) when
 * its route says so, turned into an API Gateway event and handed to the
 * function's pool; the function's answer, or API Gateway's own, goes back.
 *
 * A request that reaches a function becomes a struct gw_call that lives
 * until the function answers or the integration timeout fires, whichever
 * comes first; the other is then cancelled. The call holds a reference to
 * the route table it matched in, so that its route stays valid if the table
 * is swapped meanwhile. The evhttp request is owned (evhttp_request_own())
 * while it waits so that a client hanging up cannot free it under us; evhttp
 * frees it once it has been answered.
 */
#include "core/common.h"

#include "http/server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "http/guard.h"
#include "local/apigw/gw_int.h"
#include "local/lambda/pool.h"

/* "GET", "OPTIONS", ...: what evhttp accepts is at most 7 bytes. */
#define GW_METHOD_MAX 16
/* "arn:aws:iam::<account>:user/<access key id of up to 128>". */
#define GW_ARN_MAX 160
/* Why a function's answer could not be used, from apigw_parse_function_response(). */
#define GW_WHY_MAX 256
/* The integration timeout's log message. */
#define GW_TIMEOUT_MESSAGE_MAX 160
/* A connection idle for this long is closed (API Gateway's idle timeout is 10 minutes). */
#define GW_CONN_TIMEOUT_S 120
/* The path an observer is told (the dashboard shows it). */
#define GW_OBS_PATH_MAX 1024

struct gw_call;

struct gateway {
	struct event_base *base;
	struct evhttp *http;
	uint16_t port;
	struct gateway_routes *routes;
	struct http_guard *guard; /* reads every request before evhttp (http/guard.h) */
	struct gw_creds creds;
	uint32_t rest_timeout_ms, http_timeout_ms;
	struct gw_call *calls; /* waiting for a function, doubly linked */
	struct gateway_observer obs;
};

struct gw_call {
	struct gateway *gw;
	struct gateway_routes *rt;		/* one reference: `route` lives in it */
	const struct gateway_route_spec *route; /* stable in `rt` */
	const char *route_key;			/* likewise */
	struct evhttp_request *req;
	struct event *timer;
	uint64_t ticket;
	int64_t start_ns;
	char request_id[UUID_STR_LEN + 1];
	char method[GW_METHOD_MAX];
	struct gw_call *prev, *next;
};

/* ---- API Gateway's answers ---- */

void gw_add_common_headers(struct evhttp_request *req, int version, const char *request_id)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (version == APIGW_V1) {
		evhttp_add_header(h, "x-amzn-RequestId", request_id);
		evhttp_add_header(h, "x-amz-apigw-id", "c2x1aWNlLWxvY2Fs");
	} else {
		evhttp_add_header(h, "apigw-requestid", request_id);
	}
}

void gw_send_json(struct evhttp_request *req, int version, const char *request_id, int status,
		  const char *error_type, const char *body)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	gw_add_common_headers(req, version, request_id);
	evhttp_add_header(h, "Content-Type", "application/json");
	if (error_type)
		evhttp_add_header(h, "x-amzn-ErrorType", error_type);
	if (out)
		evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, status, http_status_phrase(status), out);
	if (out)
		evbuffer_free(out);
}

void gw_send_message(struct evhttp_request *req, int version, const char *request_id, int status,
		     const char *error_type, const char *text)
{
	json_t *o = json_pack("{s:s}", "message", text);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;

	gw_send_json(req, version, request_id, status, error_type,
		     body ? body : "{\"message\":\"Forbidden\"}");
	free(body);
	json_decref(o);
}

void gw_send_internal_error(struct evhttp_request *req, int version, const char *request_id)
{
	if (version == APIGW_V1)
		gw_send_json(req, version, request_id, 502, NULL,
			     "{\"message\": \"Internal server error\"}");
	else
		gw_send_json(req, version, request_id, 500, NULL,
			     "{\"message\":\"Internal Server Error\"}");
}

void gw_log_refusal(enum log_level lvl, const char *method, const char *path,
		    const struct gateway_route_spec *route, const char *route_key, int status,
		    const char *why, const char *error_type, const char *error_message)
{
	json_t *f;

	if (!log_enabled(lvl))
		return;
	f = json_pack("{s:s, s:s, s:i}", "method", method, "path", path, "status", status);
	if (f && route) {
		json_object_set_new(f, "route", json_string(route_key));
		json_object_set_new(f, "function", json_string(route->function));
	}
	if (f && error_type && *error_type)
		json_object_set_new(f, "errorType", json_string(error_type));
	if (f && error_message && *error_message)
		json_object_set_new(f, "errorMessage", json_string(error_message));
	log_emit(lvl, why, f);
}

/* Copy the function's response (already parsed) onto the HTTP answer. */
static void send_function_response(struct evhttp_request *req, int version, const char *request_id,
				   const struct apigw_response *resp,
				   const struct gateway_cors *cors, const char *origin)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	bool has_ct = false;

	for (size_t i = 0; i < resp->n_headers; i++) {
		const char *name = resp->headers[i].name;

		/* evhttp writes these itself from what it sends. */
		if (!strcasecmp(name, "content-length") || !strcasecmp(name, "transfer-encoding") ||
		    !strcasecmp(name, "connection"))
			continue;
		if (!strcasecmp(name, "content-type"))
			has_ct = true;
		evhttp_add_header(h, name, resp->headers[i].value);
	}
	for (size_t i = 0; i < resp->n_cookies; i++)
		evhttp_add_header(h, "Set-Cookie", resp->cookies[i]);
	if (!has_ct)
		evhttp_add_header(h, "Content-Type", "application/json");
	gw_cors_add_headers(h, cors, origin);
	gw_add_common_headers(req, version, request_id);
	if (out && resp->body.len)
		evbuffer_add(out, resp->body.ptr, resp->body.len);
	evhttp_send_reply(req, resp->status, NULL, out);
	if (out)
		evbuffer_free(out);
}

/* ---- calls waiting for a function ---- */

static void call_free(struct gw_call *c)
{
	struct gateway *gw = c->gw;

	if (c->prev)
		c->prev->next = c->next;
	else
		gw->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->timer)
		event_free(c->timer);
	gateway_routes_unref(c->rt);
	free(c);
}

static const char *request_path(struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);

	return uri ? uri : "";
}

static void call_refused(struct gw_call *c, enum log_level lvl, int status, const char *why,
			 const char *error_type, const char *error_message)
{
	gw_log_refusal(lvl, c->method, request_path(c->req), c->route, c->route_key, status, why,
		       error_type, error_message);
}

static void call_done(void *arg, const struct pool_result *res)
{
	struct gw_call *c = arg;
	int version = c->route->version;
	struct apigw_response resp;
	char why[GW_WHY_MAX] = "";
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Origin");

	switch (res->kind) {
	case POOL_OK:
		if (apigw_parse_function_response(res->payload, res->payload_len, version, &resp,
						  why, sizeof(why))) {
			call_refused(c, LVL_ERROR, version == APIGW_V1 ? 502 : 500,
				     "malformed Lambda proxy response", "Gateway.MalformedResponse",
				     why);
			gw_send_internal_error(c->req, version, c->request_id);
		} else {
			send_function_response(c->req, version, c->request_id, &resp,
					       c->route->cors, origin);
		}
		apigw_response_release(&resp);
		break;
	case POOL_THROTTLED:
		call_refused(c, LVL_WARN, 429,
			     "function throttled: every worker is busy and the queue is full "
			     "(raise ReservedConcurrentExecutions?)",
			     res->error_type, res->error_message);
		gw_send_json(c->req, version, c->request_id, 429, "TooManyRequestsException",
			     "{\"message\":\"Too Many Requests\"}");
		break;
	default:
		call_refused(c, LVL_ERROR, version == APIGW_V1 ? 502 : 500, "function failed",
			     res->error_type, res->error_message);
		gw_send_internal_error(c->req, version, c->request_id);
		break;
	}
	call_free(c);
}

static void call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct gw_call *c = arg;
	int version = c->route->version;
	uint32_t ms = version == APIGW_V1 ? c->gw->rest_timeout_ms : c->gw->http_timeout_ms;
	char msg[GW_TIMEOUT_MESSAGE_MAX];

	pool_cancel(c->route->pool, c->ticket);
	snprintf(msg, sizeof(msg),
		 "integration timed out after %u ms (API Gateway's limit); "
		 "the function is still running",
		 ms);
	call_refused(c, LVL_ERROR, version == APIGW_V1 ? 504 : 503, msg, NULL, NULL);
	if (version == APIGW_V1)
		gw_send_json(c->req, APIGW_V1, c->request_id, 504, NULL,
			     "{\"message\": \"Endpoint request timed out\"}");
	else
		gw_send_json(c->req, APIGW_V2, c->request_id, 503, NULL,
			     "{\"message\":\"Service Unavailable\"}");
	call_free(c);
}

/* ---- requests ---- */

static int gw_req_read(struct evhttp_request *req, struct gw_req *g)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	struct evkeyval *kv;
	size_t len;
	char *q;

	g->method = http_method_name(evhttp_request_get_command(req));
	g->path = NULL;
	if (!uri || uri[0] != '/')
		return ERR_PARSE;
	len = strcspn(uri, "#");
	g->path = malloc(len + 2);
	if (!g->path)
		return ERR_NOMEM;
	memcpy(g->path, uri, len);
	g->path[len] = '\0';
	g->path[len + 1] = '\0';
	q = strchr(g->path, '?');
	if (q) {
		*q = '\0';
		g->query = q + 1;
	} else {
		g->query = g->path + len + 1;
	}
	g->nheaders = 0;
	for (kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		if (g->nheaders == GATEWAY_MAX_HEADERS)
			break;
		g->headers[g->nheaders].name = kv->key;
		g->headers[g->nheaders].value = kv->value;
		g->headers[g->nheaders].value_len = 0;
		g->sheaders[g->nheaders].name = str_from(kv->key);
		g->sheaders[g->nheaders].value = str_from(kv->value);
		g->nheaders++;
	}
	g->body_len = body ? evbuffer_get_length(body) : 0;
	g->body = g->body_len ? (const char *)evbuffer_pullup(body, -1) : NULL;
	return 0;
}

/* Path parameters, percent-decoded when they decode, into `params` (`names`/`vals` own them). */
static int decode_params(const struct gateway_match *m, struct apigw_pair *params, char **names,
			 struct buf *vals)
{
	int err = 0;

	for (size_t i = 0; i < m->nparams; i++) {
		/* A value is a slice of the request path, itself within evhttp's limits. */
		buf_init(&vals[i], GATEWAY_BODY_MAX);
		names[i] = str_dup(m->params[i].name);
		if (!names[i])
			err = ERR_NOMEM;
		if (!err &&
		    uri_decode(&vals[i], m->params[i].value.ptr, m->params[i].value.len, false)) {
			buf_reset(&vals[i]);
			err = buf_add(&vals[i], m->params[i].value.ptr, m->params[i].value.len);
		}
		params[i].name = names[i];
		params[i].value = vals[i].ptr;
		params[i].value_len = vals[i].len; /* a decoded %00 stays, with what follows it */
	}
	return err;
}

static int build_event(struct evhttp_request *req, const struct gw_req *g,
		       const struct gateway_match *m, const char *rid, const char *access_key,
		       struct buf *event)
{
	const struct gateway_route_spec *r = m->route;
	struct apigw_pair params[GATEWAY_MAX_PARAMS];
	struct buf vals[GATEWAY_MAX_PARAMS];
	char *names[GATEWAY_MAX_PARAMS] = {0};
	const char *path = g->path;
	char arn[GW_ARN_MAX];
	int err;

	/* REST events carry the path without the stage; HTTP APIs keep it in rawPath. */
	if (m->stage && r->version == APIGW_V1)
		path = g->path + 1 + strlen(m->stage);
	if (!*path)
		path = "/";
	err = decode_params(m, params, names, vals);
	snprintf(arn, sizeof(arn), "arn:aws:iam::" LOCAL_ACCOUNT_ID ":user/%s", access_key);
	struct apigw_http_request in = {
		.method = g->method,
		.path = path,
		.raw_query = g->query,
		.headers = g->headers,
		.n_headers = g->nheaders,
		.body = g->body,
		.body_len = g->body_len,
		.source_ip = "127.0.0.1",
		.stage = r->stage ? r->stage : (r->version == APIGW_V1 ? "Prod" : "$default"),
		.route = m->route_key,
		.path_params = m->nparams ? params : NULL,
		.n_path_params = m->nparams,
		.request_id = rid,
		.domain_name = evhttp_find_header(evhttp_request_get_input_headers(req), "Host"),
		.iam_access_key = *access_key ? access_key : NULL,
		.iam_user_arn = *access_key ? arn : NULL,
		.iam_caller = *access_key ? access_key : NULL,
	};
	if (!err)
		err = apigw_event_from_http(&in, r->version, event);
	for (size_t i = 0; i < m->nparams; i++) {
		free(names[i]);
		buf_release(&vals[i]);
	}
	return err;
}

/*
 * No route: REST APIs answer 403 Missing Authentication Token, HTTP APIs 404.
 * With several APIs on one port, a path that some REST API's route has (in
 * another method) is that API's, and answers as it does.
 */
static void send_no_route(struct evhttp_request *req, const struct gateway_routes *rt,
			  const struct gw_req *g, const char *rid)
{
	struct gateway_match m;
	bool http = gateway_routes_has_http(rt);

	if (http && gateway_routes_match_path(rt, g->path, &m) && m.route->version == APIGW_V1)
		http = false;

	gw_log_refusal(LVL_INFO, g->method, g->path, NULL, NULL, http ? 404 : 403,
		       "no route matches this method and path", NULL, NULL);
	if (http)
		gw_send_json(req, APIGW_V2, rid, 404, NULL, "{\"message\":\"Not Found\"}");
	else
		gw_send_json(req, APIGW_V1, rid, 403, "MissingAuthenticationTokenException",
			     "{\"message\":\"Missing Authentication Token\"}");
}

/* A call for the matched route, linked into the gateway; NULL when out of memory. */
static struct gw_call *call_new(struct gateway *gw, struct evhttp_request *req,
				const struct gateway_match *m, const char *method, const char *rid)
{
	struct gw_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->gw = gw;
	c->route = m->route;
	c->route_key = m->route_key;
	c->req = req;
	c->start_ns = time_mono_ns();
	snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
	snprintf(c->method, sizeof(c->method), "%s", method);
	c->timer = evtimer_new(gw->base, call_timeout, c);
	if (!c->timer) {
		free(c);
		return NULL;
	}
	c->rt = gateway_routes_ref(gw->routes);
	c->next = gw->calls;
	if (gw->calls)
		gw->calls->prev = c;
	gw->calls = c;
	return c;
}

/* Hand the event to the route's pool and wait, within the integration timeout. */
static void invoke(struct gateway *gw, struct evhttp_request *req, const struct gw_req *g,
		   const struct gateway_match *m, const char *rid, const struct buf *event)
{
	const struct gateway_route_spec *r = m->route;
	struct gw_call *c = call_new(gw, req, m, g->method, rid);
	struct timeval tv;
	int err;

	if (!c) {
		gw_send_internal_error(req, r->version, rid);
		return;
	}
	err = pool_invoke(r->pool, event->ptr, event->len, rid, call_done, c, &c->ticket);
	if (err) {
		gw_log_refusal(LVL_ERROR, g->method, g->path, r, m->route_key,
			       err == ERR_TOOLARGE ? 413 : 500, "the function could not be invoked",
			       err_name(err), err_str(err));
		if (err == ERR_TOOLARGE)
			gw_send_json(req, r->version, rid, 413, NULL,
				     "{\"message\":\"Request Entity Too Large\"}");
		else
			gw_send_internal_error(req, r->version, rid);
		call_free(c);
		return;
	}
	tv = time_tv_ms(r->version == APIGW_V1 ? gw->rest_timeout_ms : gw->http_timeout_ms);
	evtimer_add(c->timer, &tv);
	evhttp_request_own(req);
	if (gw->obs.invoke)
		gw->obs.invoke(gw->obs.arg, rid, r, m->route_key, event->ptr, event->len);
}

/* ---- observers ---- */

/* Once an answer has been written: its status, found again by the request id it carries. */
static void observe_end(struct evhttp_request *req, void *arg)
{
	struct gateway *gw = arg;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *id = evhttp_find_header(h, "apigw-requestid");

	if (!id)
		id = evhttp_find_header(h, "x-amzn-RequestId");
	if (id && gw->obs.end)
		gw->obs.end(gw->obs.arg, id, evhttp_request_get_response_code(req));
}

static void observe_begin(struct gateway *gw, struct evhttp_request *req, const char *rid)
{
	const char *uri = evhttp_request_get_uri(req);
	char path[GW_OBS_PATH_MAX];

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri ? uri : "", "?#"), uri ? uri : "");
	gw->obs.begin(gw->obs.arg, rid, http_method_name(evhttp_request_get_command(req)), path);
	evhttp_request_set_on_complete_cb(req, observe_end, gw);
}

void gateway_set_observer(struct gateway *gw, const struct gateway_observer *obs)
{
	if (!gw)
		return;
	if (obs)
		gw->obs = *obs;
	else
		memset(&gw->obs, 0, sizeof(gw->obs));
}

static void gw_handle(struct evhttp_request *req, void *arg)
{
	struct gateway *gw = arg;
	struct gateway_routes *rt = gw->routes;
	struct gw_req *g = malloc(sizeof(*g)); /* ~12 KB: gw_req_read() sets every field */
	struct gateway_match m;
	char rid[UUID_STR_LEN + 1] = "00000000-0000-4000-8000-000000000000";
	char access_key[SIGV4_MAX_KEY_ID_LEN + 1] = "";
	struct buf event;
	int err;

	buf_init(&event, APIGW_EVENT_MAX);
	uuid_v4(rid);
	if (gw->obs.begin)
		observe_begin(gw, req, rid);
	if (!g) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (gw_req_read(req, g)) {
		gw_send_json(req, gateway_routes_has_http(rt) ? APIGW_V2 : APIGW_V1, rid, 400, NULL,
			     "{\"message\":\"Bad Request\"}");
		goto done;
	}
	if (gw_cors_preflight(rt, req, g, rid))
		goto done;
	if (!gateway_routes_match(rt, g->method, g->path, &m)) {
		send_no_route(req, rt, g, rid);
		goto done;
	}
	if (m.route->iam && !gw_iam_check(&gw->creds, req, m.route, m.route_key, rid, g, access_key,
					  sizeof(access_key)))
		goto done;
	err = build_event(req, g, &m, rid, access_key, &event);
	if (err) {
		gw_log_refusal(LVL_WARN, g->method, g->path, m.route, m.route_key, 400,
			       "request cannot be turned into an API Gateway event", err_name(err),
			       err_str(err));
		gw_send_json(req, m.route->version, rid, 400, NULL,
			     "{\"message\":\"Bad Request\"}");
		goto done;
	}
	invoke(gw, req, g, &m, rid, &event);
done:
	buf_release(&event);
	free(g->path);
	free(g);
}

/* A request the framing guard refused: API Gateway's answer (gw_guard.c). */
static void gw_refuse(struct evhttp_request *req, const struct http_guard_refusal *r, void *arg)
{
	struct gateway *gw = arg;

	gw_guard_answer(gw->routes, req, r);
}

/* ---- lifecycle ---- */

/* The port `sock` is bound to. */
static uint16_t bound_port(struct evhttp_bound_socket *sock)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss)); /* clang's analyzer does not see getsockname() fill it */
	if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sl))
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

int gateway_new(struct event_base *base, const struct gateway_config *cfg,
		struct gateway_routes *routes, struct gateway **out)
{
	struct gateway *gw = NULL;
	struct evhttp_bound_socket *sock;
	int err = ERR_INVAL;

	if (out)
		*out = NULL;
	if (!base || !cfg || !out || !routes)
		goto fail;
	err = ERR_NOMEM;
	gw = calloc(1, sizeof(*gw));
	if (!gw)
		goto fail;
	gw->base = base;
	gw->routes = routes;
	routes = NULL;
	gw->rest_timeout_ms = cfg->rest_timeout_ms ? cfg->rest_timeout_ms : GATEWAY_REST_TIMEOUT_MS;
	gw->http_timeout_ms = cfg->http_timeout_ms ? cfg->http_timeout_ms : GATEWAY_HTTP_TIMEOUT_MS;
	gw->creds.access_key_id = strdup(cfg->access_key_id ? cfg->access_key_id : "");
	gw->creds.secret = strdup(cfg->secret_access_key ? cfg->secret_access_key : "");
	gw->creds.region = strdup(cfg->region ? cfg->region : "us-east-1");
	gw->http = evhttp_new(base);
	if (!gw->creds.access_key_id || !gw->creds.secret || !gw->creds.region || !gw->http)
		goto fail;
	struct http_guard_config guard = {
		.base = base,
		.limits = {GATEWAY_HEAD_MAX, GATEWAY_HEAD_RAW_MAX, GATEWAY_BODY_MAX},
		.handler = gw_handle,
		.refuse = gw_refuse,
		.arg = gw,
	};
	if ((err = http_guard_new(&guard, &gw->guard)))
		goto fail;
	http_guard_attach(gw->guard, gw->http); /* its caps, bufferevents and callback */
	evhttp_set_flags(gw->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(gw->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(gw->http, GW_CONN_TIMEOUT_S);
	err = ERR_IO;
	sock = evhttp_bind_socket_with_handle(gw->http, cfg->address ? cfg->address : "127.0.0.1",
					      cfg->port);
	if (!sock || !(gw->port = bound_port(sock)))
		goto fail;
	*out = gw;
	return 0;
fail:
	gateway_routes_free(routes);
	gateway_free(gw);
	return err;
}

void gateway_set_routes(struct gateway *gw, struct gateway_routes *routes)
{
	if (!gw || !routes)
		return;
	gateway_routes_unref(gw->routes);
	gw->routes = routes;
}

uint16_t gateway_port(const struct gateway *gw)
{
	return gw ? gw->port : 0;
}

void gateway_free(struct gateway *gw)
{
	if (!gw)
		return;
	/* Neither pool_cancel() nor gw_send_json() calls back into the gateway: `next` stays valid.
	 */
	for (struct gw_call *c = gw->calls, *next; c; c = next) {
		next = c->next;
		pool_cancel(c->route->pool, c->ticket);
		gw_send_json(c->req, c->route->version, c->request_id, 503, NULL,
			     "{\"message\":\"Service Unavailable\"}");
		call_free(c);
	}
	if (gw->http)
		evhttp_free(gw->http);
	http_guard_free(gw->guard);
	gateway_routes_unref(gw->routes);
	free(gw->creds.access_key_id);
	free(gw->creds.region);
	free(gw->creds.secret);
	free(gw);
}
