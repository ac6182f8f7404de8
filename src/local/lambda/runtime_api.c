/*
 * The HTTP side of the local Lambda Runtime API (see runtime_api.h): one
 * evhttp server, a small table of registered workers, and the routing of
 * /w/<worker-id>/2018-06-01/runtime/... to their callbacks. The state machine
 * behind the callbacks is pool.c's.
 *
 * A `next` is a long poll: the request is handed to the pool and answered
 * when an invocation is assigned, possibly minutes later, so the server's
 * connection timeout is set far beyond any idle time the pool keeps a worker.
 */
#include "core/common.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "core/enc.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "http/guard.h"
#include "http/server.h"
#include "local/lambda/runtime_api.h"

/* A Runtime API path is about 100 bytes; anything far longer is not ours (404). */
#define RT_PATH_MAX 2048
/* Request ids are the pool's (UUIDs, or the caller's, at most 128 bytes): a longer one is 404. */
#define RT_REQUEST_ID_MAX 256
/* Lambda-Runtime-Function-Error-Type: "Runtime.ExitError"-like names; longer ones are cut. */
#define RT_ERROR_TYPE_MAX 256
/* Far beyond any idle time the pool keeps a worker's `next` waiting. */
#define RT_CONN_TIMEOUT_S (24 * 3600)
/* A runtime's request head: a path, a request id and a few fields; this is far beyond. */
#define RT_HEAD_MAX	  (64u << 10)
#define RT_VERSION_PREFIX "/2018-06-01/runtime/"

#define RT_TOKEN_BYTES ((size_t)16) /* 128 bits: not guessable, not worth brute force */

struct rt_entry {
	uint64_t id;
	char token[2 * RT_TOKEN_BYTES + 1]; /* lowercase hex */
	const struct runtime_api_ops *ops;
	void *ctx;
};

struct runtime_api {
	struct event_base *base;
	struct evhttp *http;
	struct http_guard *guard; /* reads every request before evhttp (http/guard.h) */
	uint16_t port;
	uint64_t next_id;
	struct rt_entry *entries;
	size_t n, alloc;
};

static void reply_json(struct evhttp_request *req, int code, const char *reason, const char *json)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	if (out)
		evbuffer_add(out, json, strlen(json));
	evhttp_send_reply(req, code, reason, out);
	if (out)
		evbuffer_free(out);
}

void runtime_api_answer_error(struct evhttp_request *req, int code, const char *type,
			      const char *message)
{
	json_t *o = json_pack("{s:s, s:s}", "errorMessage", message ? message : "", "errorType",
			      type ? type : "");
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	const char *phrase = http_status_phrase(code);

	reply_json(req, code, phrase ? phrase : "Internal Server Error", text ? text : "{}");
	free(text);
	json_decref(o);
}

void runtime_api_answer_gone(struct evhttp_request *req)
{
	runtime_api_answer_error(req, 500, "Runtime.Shutdown", "the worker is being stopped");
}

void runtime_api_answer_next(struct evhttp_request *req, const char *event, size_t len,
			     const char *request_id, int64_t deadline_ms, const char *function_arn,
			     const char *trace_id)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	char num[32];

	evhttp_add_header(h, "Content-Type", "application/json");
	if (request_id && *request_id)
		evhttp_add_header(h, "Lambda-Runtime-Aws-Request-Id", request_id);
	if (deadline_ms > 0) {
		snprintf(num, sizeof(num), "%" PRId64, deadline_ms);
		evhttp_add_header(h, "Lambda-Runtime-Deadline-Ms", num);
	}
	if (function_arn && *function_arn)
		evhttp_add_header(h, "Lambda-Runtime-Invoked-Function-Arn", function_arn);
	if (trace_id && *trace_id)
		evhttp_add_header(h, "Lambda-Runtime-Trace-Id", trace_id);
	if (out && len)
		evbuffer_add(out, event, len);
	evhttp_send_reply(req, 200, "OK", out);
	if (out)
		evbuffer_free(out);
}

/*
 * The entry of worker `id`, or NULL. Entries move when the table grows or a
 * worker unregisters (the last one fills the hole), and a callback may do
 * either: read what is needed from the entry before calling out, never after.
 */
static struct rt_entry *find_entry(struct runtime_api *api, uint64_t id)
{
	for (size_t i = 0; i < api->n; i++)
		if (api->entries[i].id == id)
			return &api->entries[i];
	return NULL;
}

int runtime_api_register(struct runtime_api *api, const struct runtime_api_ops *ops, void *ctx,
			 uint64_t *out_id, char out_path[RUNTIME_API_PATH_MAX])
{
	uint8_t raw[RT_TOKEN_BYTES];
	struct rt_entry *e;
	int err;

	if (!api || !ops || !out_id || !out_path)
		return ERR_INVAL;
	if ((err = random_bytes(raw, sizeof(raw))) != 0)
		return err;
	if ((err = ALLOC_GROW(api->entries, api->n + 1, api->alloc)) != 0)
		return err;
	e = &api->entries[api->n++];
	e->id = ++api->next_id;
	hex_lower(e->token, raw, sizeof(raw));
	e->ops = ops;
	e->ctx = ctx;
	*out_id = e->id;
	snprintf(out_path, RUNTIME_API_PATH_MAX, "/w/%" PRIu64 ".%s", e->id, e->token);
	return 0;
}

/* The worker `/w/<id>.<token>` names, or NULL when either part is wrong. */
static struct rt_entry *find_worker(struct runtime_api *api, struct str part)
{
	struct str token, idtext;
	struct rt_entry *e;
	long long id;
	bool found;

	token = str_split(part, '.', &idtext, &found);
	if (!found || str_to_i64(idtext, 1, INT64_MAX, &id) != 0 ||
	    !(e = find_entry(api, (uint64_t)id)))
		return NULL;
	if (token.len != 2 * RT_TOKEN_BYTES || !ct_equal(token.ptr, e->token, token.len))
		return NULL;
	return e;
}

void runtime_api_unregister(struct runtime_api *api, uint64_t id)
{
	struct rt_entry *e = api ? find_entry(api, id) : NULL;

	if (!e)
		return;
	*e = api->entries[api->n - 1];
	api->n--;
}

/* The answer to a posted result, as RIE words it. */
static void answer_verdict(struct evhttp_request *req, enum runtime_api_verdict v, const char *msg)
{
	switch (v) {
	case RT_ACCEPTED:
		reply_json(req, 202, "Accepted", "{\"status\":\"OK\"}");
		break;
	case RT_INVALID_ID:
		runtime_api_answer_error(req, 400, "InvalidRequestID",
					 msg ? msg : "Invalid request ID");
		break;
	case RT_INVALID_STATE:
		runtime_api_answer_error(req, 403, "InvalidStateTransition",
					 msg ? msg : "Invalid state transition");
		break;
	case RT_TOO_LARGE:
		runtime_api_answer_error(req, 413, "RequestEntityTooLarge",
					 msg ? msg : "Exceeded maximum allowed payload size");
		break;
	}
}

/* The body as one contiguous NUL-terminated block (evbuffer_pullup adds no NUL). */
static char *body_of(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	evbuffer_remove(in, p, n);
	p[n] = '\0';
	*len = n;
	return p;
}

static void copy_header(struct evhttp_request *req, const char *name, char *out, size_t cap)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);

	snprintf(out, cap, "%s", v ? v : "");
}

/* POST .../invocation/<id>/response|error, POST .../init/error. */
static void handle_post(struct evhttp_request *req, struct rt_entry *e, struct str rest)
{
	char rid[RT_REQUEST_ID_MAX], etype[RT_ERROR_TYPE_MAX];
	const char *msg = NULL;
	enum runtime_api_verdict v;
	struct str head;
	size_t len = 0;
	char *body;

	copy_header(req, "Lambda-Runtime-Function-Error-Type", etype, sizeof(etype));
	if (str_eq_cstr(rest, "init/error")) {
		if (!(body = body_of(req, &len)))
			goto oom;
		v = e->ops->init_error(e->ctx, etype, body, len, &msg);
		free(body);
		answer_verdict(req, v, msg);
		return;
	}
	if (!str_has_prefix(rest, STR_LIT("invocation/")))
		goto notfound;
	rest = str_make(rest.ptr + 11, rest.len - 11);
	rest = str_split(rest, '/', &head, NULL);
	if (head.len >= sizeof(rid) ||
	    !(str_eq_cstr(rest, "response") || str_eq_cstr(rest, "error")))
		goto notfound;
	memcpy(rid, head.ptr, head.len);
	rid[head.len] = '\0';
	if (!(body = body_of(req, &len)))
		goto oom;
	if (str_eq_cstr(rest, "response"))
		v = e->ops->response(e->ctx, rid, body, len, &msg);
	else
		v = e->ops->error(e->ctx, rid, etype, body, len, &msg);
	free(body);
	answer_verdict(req, v, msg);
	return;
notfound:
	runtime_api_answer_error(req, 404, "NotFound", "unknown Runtime API path");
	return;
oom:
	runtime_api_answer_error(req, 500, "ServiceException", "out of memory");
}

/* Every request: /w/<id>.<token>/2018-06-01/runtime/<rest>. */
static void on_request(struct evhttp_request *req, void *arg)
{
	struct runtime_api *api = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct str path = str_from(uri), idpart, rest;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct rt_entry *e;
	bool found;

	(void)str_split(path, '?', &path, NULL);
	if (path.len > RT_PATH_MAX || !str_has_prefix(path, STR_LIT("/w/")))
		goto notfound;
	path = str_make(path.ptr + 3, path.len - 3);
	rest = str_split(path, '/', &idpart, &found);
	if (!found || !(e = find_worker(api, idpart)))
		goto notfound;
	rest = str_make(rest.ptr - 1, rest.len + 1); /* back to the leading '/' */
	if (!str_has_prefix(rest, STR_LIT(RT_VERSION_PREFIX)))
		goto notfound;
	rest = str_make(rest.ptr + strlen(RT_VERSION_PREFIX), rest.len - strlen(RT_VERSION_PREFIX));
	if (str_eq_cstr(rest, "invocation/next")) {
		if (cmd != EVHTTP_REQ_GET)
			goto badmethod;
		e->ops->next(e->ctx, req);
		return;
	}
	if (cmd != EVHTTP_REQ_POST)
		goto badmethod;
	handle_post(req, e, rest);
	return;
badmethod:
	runtime_api_answer_error(req, 405, "MethodNotAllowed", "method not allowed");
	return;
notfound:
	runtime_api_answer_error(req, 404, "NotFound", "unknown worker or Runtime API path");
}

/* A request the framing guard refused, in the Runtime API's JSON error (docs/security.md). */
static void on_refused(struct evhttp_request *req, const struct http_guard_refusal *r, void *arg)
{
	char msg[96];

	log_msg(LVL_WARN, "runtime api: refused %s %s: %s", *r->method ? r->method : "-",
		evhttp_request_get_uri(req), http_framing_reason_text(r->reason));
	switch (r->kind) {
	case HTTP_REFUSAL_BODY_TOO_LARGE:
		snprintf(msg, sizeof(msg),
			 "Exceeded maximum allowed payload size (%" PRIu64 " bytes).", r->body_max);
		runtime_api_answer_error(req, 413, "RequestEntityTooLarge", msg);
		break;
	case HTTP_REFUSAL_HEAD_TOO_LARGE:
		runtime_api_answer_error(req, 431, "RequestHeaderFieldsTooLarge",
					 http_framing_reason_text(r->reason));
		break;
	case HTTP_REFUSAL_NOT_IMPLEMENTED:
		runtime_api_answer_error(req, 501, "NotImplemented",
					 http_framing_reason_text(r->reason));
		break;
	default:
		runtime_api_answer_error(req, 400, "InvalidRequest",
					 http_framing_reason_text(r->reason));
		break;
	}
}

int runtime_api_new(struct event_base *base, const char *address, uint16_t port,
		    struct runtime_api **out)
{
	struct evhttp_bound_socket *sock;
	struct runtime_api *api;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);

	if (!out)
		return ERR_INVAL;
	*out = NULL;
	if (!base)
		return ERR_INVAL;
	if (!(api = calloc(1, sizeof(*api))))
		return ERR_NOMEM;
	api->base = base;
	if (!(api->http = evhttp_new(base)))
		goto nomem;
	struct http_guard_config guard = {
		.base = base,
		.limits = {RT_HEAD_MAX, RT_HEAD_MAX, RUNTIME_API_BODY_MAX},
		.handler = on_request,
		.refuse = on_refused,
		.arg = api,
	};
	if (http_guard_new(&guard, &api->guard))
		goto nomem;
	http_guard_attach(api->guard, api->http); /* its caps, bufferevents and callback */
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_timeout(api->http, RT_CONN_TIMEOUT_S);
	sock = evhttp_bind_socket_with_handle(api->http, address ? address : "127.0.0.1", port);
	if (!sock)
		goto io;
	memset(&ss, 0, sizeof(ss)); /* clang's analyzer does not see getsockname() fill it */
	if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sl) != 0)
		goto io;
	if (ss.ss_family == AF_INET)
		api->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		api->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	*out = api;
	return 0;
io:
	runtime_api_free(api);
	return ERR_IO;
nomem:
	runtime_api_free(api);
	return ERR_NOMEM;
}

uint16_t runtime_api_port(const struct runtime_api *api)
{
	return api ? api->port : 0;
}

void runtime_api_free(struct runtime_api *api)
{
	if (!api)
		return;
	if (api->http)
		evhttp_free(api->http);
	http_guard_free(api->guard);
	free(api->entries);
	free(api);
}
