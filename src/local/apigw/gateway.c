/*
 * The API Gateway emulator (see gateway.h): route tables and matching, the
 * AWS_IAM check, event building, the pool invocation and API Gateway's
 * answers. A request that reaches a function becomes a struct gw_call that
 * lives until the function answers or the integration timeout fires,
 * whichever comes first; the other is then cancelled. The evhttp request is
 * owned (evhttp_request_own()) while it waits so that a client hanging up
 * cannot free it under us; evhttp frees it once it has been answered.
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

#include "aws/sigv4.h"
#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "lambda/apigw.h"
#include "local/apigw/gateway.h"
#include "local/lambda/pool.h"

enum seg_kind { SEG_GREEDY = 1, SEG_PARAM = 2, SEG_LIT = 3 };

struct gw_seg {
	enum seg_kind kind;
	const char *text; /* literal bytes, or the parameter name */
	size_t len;
};

struct gw_route {
	struct gateway_route_spec spec; /* strings owned by `strings` below */
	struct gateway_cors cors;
	char *strings[12]; /* everything this route allocated */
	size_t nstrings;
	const char *route_key; /* 2.0 "POST /objects"; 1.0 resource "/objects" */
	struct gw_seg *segs;
	size_t nsegs;
	bool catch_all; /* HTTP API "$default" */
};

/*
 * Each route is allocated on its own and `routes` holds pointers to them, so
 * that a route never moves: spec.cors points into the route itself, and a
 * match hands out pointers to the route, both of which must outlive growth.
 */
struct gateway_routes {
	int refs;
	struct gw_route **routes;
	size_t n, alloc;
	bool has_http;
};

struct gw_call;

struct gateway {
	struct event_base *base;
	struct evhttp *http;
	uint16_t port;
	struct gateway_routes *routes;
	char *access_key_id;
	char *secret;
	uint32_t rest_timeout_ms, http_timeout_ms;
	struct gw_call *calls; /* waiting for a function, doubly linked */
};

struct gw_call {
	struct gateway *gw;
	struct gateway_routes *rt; /* one reference */
	const struct gw_route *route;
	struct evhttp_request *req;
	struct event *timer;
	uint64_t ticket;
	int64_t start_ns;
	char request_id[UUID_STR_LEN + 1];
	char method[16];
	struct gw_call *prev, *next;
};

/* ---- Route tables ---------------------------------------------------------------------- */

static char *route_strdup(struct gw_route *r, const char *s)
{
	char *d;

	if (!s || r->nstrings >= ARRAY_SIZE(r->strings))
		return NULL;
	d = strdup(s);
	if (d)
		r->strings[r->nstrings++] = d;
	return d;
}

static void route_free(struct gw_route *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nstrings; i++)
		free(r->strings[i]);
	free(r->segs);
	free(r);
}

/* Split r->spec.path, "/a/{b}/{c+}", into segments; they point into that string (owned by r). */
static int route_parse_path(struct gw_route *r)
{
	const char *path = r->spec.path;
	size_t n = 0, cap = 1;

	for (const char *p = path; *p; p++)
		cap += *p == '/';
	r->segs = calloc(cap, sizeof(*r->segs));
	if (!r->segs)
		return ERR_NOMEM;
	if (!strcmp(path, "/"))
		return 0;
	for (const char *p = path + 1;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct gw_seg *s = &r->segs[n++];

		if (len >= 3 && p[0] == '{' && p[len - 1] == '}') {
			bool greedy = p[len - 2] == '+';

			s->kind = greedy ? SEG_GREEDY : SEG_PARAM;
			s->text = p + 1;
			s->len = len - 2 - greedy;
			if (s->len == 0 || (greedy && end))
				return ERR_INVAL;
		} else {
			if (memchr(p, '{', len) || memchr(p, '}', len))
				return ERR_INVAL;
			s->kind = SEG_LIT;
			s->text = p;
			s->len = len;
		}
		if (!end)
			break;
		p = end + 1;
	}
	r->nsegs = n;
	return 0;
}

int gateway_routes_new(struct gateway_routes **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return ERR_NOMEM;
	(*out)->refs = 1;
	return 0;
}

size_t gateway_routes_count(const struct gateway_routes *rt)
{
	return rt ? rt->n : 0;
}

static int route_copy_cors(struct gw_route *r, const struct gateway_cors *c)
{
	r->cors.max_age = c->max_age;
	r->cors.allow_credentials = c->allow_credentials;
	if ((c->allow_origins && !(r->cors.allow_origins = route_strdup(r, c->allow_origins))) ||
	    (c->allow_methods && !(r->cors.allow_methods = route_strdup(r, c->allow_methods))) ||
	    (c->allow_headers && !(r->cors.allow_headers = route_strdup(r, c->allow_headers))) ||
	    (c->expose_headers && !(r->cors.expose_headers = route_strdup(r, c->expose_headers))))
		return ERR_NOMEM;
	/* Neither origins nor methods: nothing to answer a preflight with, so no CORS. */
	if (r->cors.allow_origins || r->cors.allow_methods)
		r->spec.cors = &r->cors;
	return 0;
}

int gateway_routes_add(struct gateway_routes *rt, const struct gateway_route_spec *spec)
{
	struct gw_route *r;
	struct buf key;
	int err = ERR_INVAL;

	if (!rt || !spec || (spec->version != APIGW_V1 && spec->version != APIGW_V2) ||
	    !spec->method || !*spec->method || !spec->function || !spec->path)
		return ERR_INVAL;
	if (rt->n >= GATEWAY_MAX_ROUTES)
		return ERR_TOOLARGE;
	if (strcmp(spec->path, "$default") && spec->path[0] != '/')
		return ERR_INVAL;
	if (!(r = calloc(1, sizeof(*r))))
		return ERR_NOMEM;
	r->spec = *spec;
	r->spec.cors = NULL;
	r->catch_all = !strcmp(spec->path, "$default");
	if (spec->stage && (!*spec->stage || !strcmp(spec->stage, "$default")))
		r->spec.stage = NULL;
	err = ERR_NOMEM;
	if (!(r->spec.method = route_strdup(r, spec->method)) ||
	    !(r->spec.path = route_strdup(r, spec->path)) ||
	    !(r->spec.function = route_strdup(r, spec->function)) ||
	    (spec->api && !(r->spec.api = route_strdup(r, spec->api))) ||
	    (r->spec.stage && !(r->spec.stage = route_strdup(r, spec->stage))))
		goto fail;
	if (spec->cors && route_copy_cors(r, spec->cors))
		goto fail;
	buf_init(&key, 4096);
	if (spec->version == APIGW_V2 && !r->catch_all)
		err = buf_addf(&key, "%s %s", r->spec.method, r->spec.path);
	else
		err = buf_adds(&key, r->spec.path);
	if (err || !(r->route_key = route_strdup(r, key.ptr))) {
		buf_release(&key);
		err = err ? err : ERR_NOMEM;
		goto fail;
	}
	buf_release(&key);
	if (!r->catch_all && (err = route_parse_path(r)))
		goto fail;
	if ((err = ALLOC_GROW(rt->routes, rt->n + 1, rt->alloc)))
		goto fail;
	rt->routes[rt->n++] = r;
	if (spec->version == APIGW_V2)
		rt->has_http = true;
	return 0;
fail:
	route_free(r);
	return err;
}

void gateway_routes_free(struct gateway_routes *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++)
		route_free(rt->routes[i]);
	free(rt->routes);
	free(rt);
}

static void routes_unref(struct gateway_routes *rt)
{
	if (rt && --rt->refs == 0)
		gateway_routes_free(rt);
}

/* ---- Matching -------------------------------------------------------------------------- */

struct req_seg {
	const char *p;
	size_t len;
};

#define MAX_REQ_SEGS 128

static size_t split_path(const char *path, struct req_seg *segs, size_t max, bool *too_many)
{
	size_t n = 0;

	*too_many = false;
	if (!strcmp(path, "/"))
		return 0;
	for (const char *p = path + 1;;) {
		const char *end = strchr(p, '/');

		if (n == max) {
			*too_many = true;
			return n;
		}
		segs[n].p = p;
		segs[n].len = end ? (size_t)(end - p) : strlen(p);
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

/* Does `r` match these segments? Fills params of `m` when it does. */
static bool route_matches(const struct gw_route *r, const char *path_end,
			  const struct req_seg *segs, size_t n, struct gateway_match *m)
{
	size_t np = 0;

	if (r->catch_all) {
		m->nparams = 0;
		return true;
	}
	for (size_t i = 0; i < r->nsegs; i++) {
		const struct gw_seg *s = &r->segs[i];

		if (s->kind == SEG_GREEDY) {
			if (i >= n || path_end == segs[i].p)
				return false;
			if (np < ARRAY_SIZE(m->params)) {
				m->params[np].name = s->text;
				m->params[np].name_len = s->len;
				m->params[np].value = segs[i].p;
				m->params[np].value_len = (size_t)(path_end - segs[i].p);
				np++;
			}
			m->nparams = np;
			return true;
		}
		if (i >= n)
			return false;
		if (s->kind == SEG_LIT) {
			if (s->len != segs[i].len || memcmp(s->text, segs[i].p, s->len))
				return false;
		} else {
			if (segs[i].len == 0)
				return false;
			if (np < ARRAY_SIZE(m->params)) {
				m->params[np].name = s->text;
				m->params[np].name_len = s->len;
				m->params[np].value = segs[i].p;
				m->params[np].value_len = segs[i].len;
				np++;
			}
		}
	}
	if (r->nsegs != n)
		return false;
	m->nparams = np;
	return true;
}

/* > 0 when `a` is more specific than `b` (API Gateway's route priority). */
static int route_cmp(const struct gw_route *a, const struct gw_route *b)
{
	bool a_any, b_any;

	if (a->catch_all != b->catch_all)
		return a->catch_all ? -1 : 1;
	for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++)
		if (a->segs[i].kind != b->segs[i].kind)
			return (int)a->segs[i].kind - (int)b->segs[i].kind;
	if (a->nsegs != b->nsegs)
		return a->nsegs > b->nsegs ? 1 : -1;
	a_any = !strcmp(a->spec.method, "ANY");
	b_any = !strcmp(b->spec.method, "ANY");
	if (a_any != b_any)
		return a_any ? -1 : 1;
	return 0;
}

/* A NULL `method` accepts every route (the path alone decides, for CORS preflights). */
static bool method_ok(const struct gw_route *r, const char *method)
{
	return !method || !strcmp(r->spec.method, "ANY") || !strcmp(r->spec.method, method);
}

static bool match_in(const struct gateway_routes *rt, const char *method, const char *path,
		     const char *stage, size_t stage_len, struct gateway_match *m)
{
	struct req_seg segs[MAX_REQ_SEGS];
	struct gateway_match cur;
	const struct gw_route *best = NULL;
	bool too_many;
	size_t n = split_path(path, segs, MAX_REQ_SEGS, &too_many);
	const char *end = path + strlen(path);

	if (too_many)
		return false;
	for (size_t i = 0; i < rt->n; i++) {
		const struct gw_route *r = rt->routes[i];

		if (stage && (!r->spec.stage || strlen(r->spec.stage) != stage_len ||
			      memcmp(r->spec.stage, stage, stage_len)))
			continue;
		if (!method_ok(r, method))
			continue;
		memset(&cur, 0, sizeof(cur));
		if (!route_matches(r, end, segs, n, &cur))
			continue;
		if (!best || route_cmp(r, best) > 0) {
			best = r;
			*m = cur;
		}
	}
	if (!best)
		return false;
	m->route = &best->spec;
	return true;
}

static bool routes_match(const struct gateway_routes *rt, const char *method, const char *path,
			 struct gateway_match *m)
{
	memset(m, 0, sizeof(*m));
	if (!rt || !path || path[0] != '/')
		return false;
	/* "/<stage>/rest": the routes of the APIs deployed to that stage. */
	if (path[1]) {
		const char *slash = strchr(path + 1, '/');
		size_t len = slash ? (size_t)(slash - path - 1) : strlen(path + 1);

		for (size_t i = 0; i < rt->n; i++) {
			const char *st = rt->routes[i]->spec.stage;

			if (st && strlen(st) == len && !memcmp(st, path + 1, len)) {
				if (match_in(rt, method, slash ? slash : "/", path + 1, len, m)) {
					m->stage = st;
					return true;
				}
				break;
			}
		}
	}
	return match_in(rt, method, path, NULL, 0, m);
}

bool gateway_routes_match(const struct gateway_routes *rt, const char *method, const char *path,
			  struct gateway_match *m)
{
	if (!method) {
		memset(m, 0, sizeof(*m));
		return false;
	}
	return routes_match(rt, method, path, m);
}

/* ---- Answers --------------------------------------------------------------------------- */

static void add_common_headers(struct evhttp_request *req, int version, const char *request_id)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (version == APIGW_V1) {
		evhttp_add_header(h, "x-amzn-RequestId", request_id);
		evhttp_add_header(h, "x-amz-apigw-id", "c2x1aWNlLWxvY2Fs");
	} else {
		evhttp_add_header(h, "apigw-requestid", request_id);
	}
}

/* An answer of API Gateway's own: a JSON body and an optional x-amzn-ErrorType. */
static void send_json(struct evhttp_request *req, int version, const char *request_id, int status,
		      const char *error_type, const char *body)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	add_common_headers(req, version, request_id);
	evhttp_add_header(h, "Content-Type", "application/json");
	if (error_type)
		evhttp_add_header(h, "x-amzn-ErrorType", error_type);
	if (out)
		evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, status, NULL, out);
	if (out)
		evbuffer_free(out);
}

/* {"message":"<text>"} with the text JSON-escaped. */
static void send_message(struct evhttp_request *req, int version, const char *request_id,
			 int status, const char *error_type, const char *text)
{
	json_t *o = json_pack("{s:s}", "message", text);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;

	send_json(req, version, request_id, status, error_type,
		  body ? body : "{\"message\":\"Forbidden\"}");
	free(body);
	json_decref(o);
}

static void send_internal_error(struct evhttp_request *req, int version, const char *request_id)
{
	if (version == APIGW_V1)
		send_json(req, version, request_id, 502, NULL,
			  "{\"message\": \"Internal server error\"}");
	else
		send_json(req, version, request_id, 500, NULL,
			  "{\"message\":\"Internal Server Error\"}");
}

static void log_refusal(enum log_level lvl, const char *method, const char *path,
			const struct gw_route *r, int status, const char *why,
			const char *error_type, const char *error_message)
{
	json_t *f;

	if (!log_enabled(lvl))
		return;
	f = json_pack("{s:s, s:s, s:i}", "method", method, "path", path, "status", status);
	if (f && r) {
		json_object_set_new(f, "route", json_string(r->route_key));
		json_object_set_new(f, "function", json_string(r->spec.function));
	}
	if (f && error_type && *error_type)
		json_object_set_new(f, "errorType", json_string(error_type));
	if (f && error_message && *error_message)
		json_object_set_new(f, "errorMessage", json_string(error_message));
	log_emit(lvl, why, f);
}

/* Is `origin` allowed by `list` ("*", or origins separated by commas, compared whole)? */
static bool origin_allowed(const char *list, const char *origin)
{
	size_t olen = strlen(origin);

	if (!list)
		return false;
	if (!strcmp(list, "*"))
		return true;
	for (const char *item = list; *item;) {
		size_t len = strcspn(item, ",");
		const char *b = item, *e = item + len;

		while (b < e && *b == ' ')
			b++;
		while (e > b && e[-1] == ' ')
			e--;
		if ((size_t)(e - b) == olen && !memcmp(b, origin, olen))
			return true;
		item += len + (item[len] == ',');
	}
	return false;
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
	if (cors && origin && !evhttp_find_header(h, "Access-Control-Allow-Origin")) {
		const char *ao = cors->allow_origins;

		if (origin_allowed(ao, origin)) {
			evhttp_add_header(h, "Access-Control-Allow-Origin",
					  strcmp(ao, "*") ? origin : "*");
			if (cors->expose_headers)
				evhttp_add_header(h, "Access-Control-Expose-Headers",
						  cors->expose_headers);
			if (cors->allow_credentials)
				evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
		}
	}
	add_common_headers(req, version, request_id);
	if (out && resp->body.len)
		evbuffer_add(out, resp->body.ptr, resp->body.len);
	evhttp_send_reply(req, resp->status, NULL, out);
	if (out)
		evbuffer_free(out);
}

/* ---- Calls waiting for a function -------------------------------------------------------- */

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
	routes_unref(c->rt);
	free(c);
}

static const char *request_path(struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);

	return uri ? uri : "";
}

static void call_done(void *arg, const struct pool_result *res)
{
	struct gw_call *c = arg;
	const struct gw_route *r = c->route;
	int version = r->spec.version;
	struct apigw_response resp;
	char why[256] = "";
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Origin");

	switch (res->kind) {
	case POOL_OK:
		if (apigw_parse_function_response(res->payload, res->payload_len, version, &resp,
						  why, sizeof(why))) {
			log_refusal(LVL_ERROR, c->method, request_path(c->req), r,
				    version == APIGW_V1 ? 502 : 500,
				    "malformed Lambda proxy response", "Gateway.MalformedResponse",
				    why);
			send_internal_error(c->req, version, c->request_id);
		} else {
			send_function_response(c->req, version, c->request_id, &resp, r->spec.cors,
					       origin);
		}
		apigw_response_release(&resp);
		break;
	case POOL_THROTTLED:
		log_refusal(LVL_WARN, c->method, request_path(c->req), r, 429,
			    "function throttled: every worker is busy and the queue is full "
			    "(raise ReservedConcurrentExecutions?)",
			    res->error_type, res->error_message);
		send_json(c->req, version, c->request_id, 429, "TooManyRequestsException",
			  "{\"message\":\"Too Many Requests\"}");
		break;
	default:
		log_refusal(LVL_ERROR, c->method, request_path(c->req), r,
			    version == APIGW_V1 ? 502 : 500, "function failed", res->error_type,
			    res->error_message);
		send_internal_error(c->req, version, c->request_id);
		break;
	}
	call_free(c);
}

static void call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct gw_call *c = arg;
	const struct gw_route *r = c->route;
	uint32_t ms = r->spec.version == APIGW_V1 ? c->gw->rest_timeout_ms : c->gw->http_timeout_ms;
	char msg[160];

	pool_cancel(r->spec.pool, c->ticket);
	snprintf(msg, sizeof(msg),
		 "integration timed out after %u ms (API Gateway's limit); "
		 "the function is still running",
		 ms);
	log_refusal(LVL_ERROR, c->method, request_path(c->req), r,
		    r->spec.version == APIGW_V1 ? 504 : 503, msg, NULL, NULL);
	if (r->spec.version == APIGW_V1)
		send_json(c->req, APIGW_V1, c->request_id, 504, NULL,
			  "{\"message\": \"Endpoint request timed out\"}");
	else
		send_json(c->req, APIGW_V2, c->request_id, 503, NULL,
			  "{\"message\":\"Service Unavailable\"}");
	call_free(c);
}

/* ---- Requests -------------------------------------------------------------------------- */

/* Everything one request borrows while its event is built. */
struct gw_req {
	const char *method;
	char *path;	   /* raw path, heap copy */
	const char *query; /* into `path`'s allocation, after the NUL; "" when none */
	struct apigw_pair headers[GATEWAY_MAX_HEADERS];
	struct sigv4_header sheaders[GATEWAY_MAX_HEADERS];
	size_t nheaders;
	const char *body;
	size_t body_len;
};

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
		g->sheaders[g->nheaders].name = str_from(kv->key);
		g->sheaders[g->nheaders].value = str_from(kv->value);
		g->nheaders++;
	}
	g->body_len = body ? evbuffer_get_length(body) : 0;
	g->body = g->body_len ? (const char *)evbuffer_pullup(body, -1) : NULL;
	return 0;
}

static const char *secret_lookup(void *ctx, struct str key_id)
{
	struct gateway *gw = ctx;

	return str_eq_cstr(key_id, gw->access_key_id) ? gw->secret : NULL;
}

/* The body of a refused signature, as API Gateway words it. */
static void send_sig_refusal(struct evhttp_request *req, const struct gw_route *r, const char *rid,
			     const struct gw_req *g, const struct sigv4_result *res)
{
	int v = r->spec.version;
	char msg[320];
	struct buf text;

	switch (res->status) {
	case SIGV4_MISSING:
		if (v == APIGW_V1)
			send_json(req, v, rid, 403, "MissingAuthenticationTokenException",
				  "{\"message\":\"Missing Authentication Token\"}");
		else
			send_json(req, v, rid, 403, "ForbiddenException",
				  "{\"message\":\"Forbidden\"}");
		break;
	case SIGV4_UNKNOWN_KEY:
		send_json(
			req, v, rid, 403, "UnrecognizedClientException",
			"{\"message\":\"The security token included in the request is invalid.\"}");
		break;
	case SIGV4_SKEW:
	case SIGV4_EXPIRED:
		snprintf(msg, sizeof(msg), "Signature expired: %s", res->message);
		send_message(req, v, rid, 403, "InvalidSignatureException", msg);
		break;
	case SIGV4_MISMATCH:
	case SIGV4_HASH_MISMATCH:
		buf_init(&text, 1 << 20);
		buf_adds(&text,
			 "The request signature we calculated does not match the signature "
			 "you provided. Check your AWS Secret Access Key and signing method. "
			 "Consult the service documentation for details.");
		/* REST APIs add what they computed, which helps a client find its bug. */
		if (v == APIGW_V1 && res->canonical_request.len)
			buf_addf(&text,
				 "\n\nThe Canonical String for this request should have "
				 "been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
				 res->canonical_request.ptr, res->string_to_sign.ptr);
		send_message(req, v, rid, 403, "InvalidSignatureException", text.ptr);
		buf_release(&text);
		break;
	default:
		if (v == APIGW_V1)
			send_message(req, v, rid, 403, "IncompleteSignatureException",
				     res->message);
		else
			send_json(req, v, rid, 403, "ForbiddenException",
				  "{\"message\":\"Forbidden\"}");
		break;
	}
	(void)g;
}

/* AWS_IAM: true when the signature is good; otherwise the request has been answered. */
static bool check_iam(struct gateway *gw, struct evhttp_request *req, const struct gw_route *r,
		      const char *rid, const struct gw_req *g, char *access_key, size_t ak_len)
{
	struct sigv4_request sr = {
		.method = g->method,
		.path = str_from(g->path),
		.query = str_from(g->query),
		.headers = g->sheaders,
		.n_headers = g->nheaders,
		.body = g->body,
		.body_len = g->body_len,
	};
	struct sigv4_verify_params vp = {
		.service = "execute-api",
		.now = time(NULL),
		.lookup = secret_lookup,
		.lookup_ctx = gw,
	};
	struct sigv4_result res;
	bool ok = false;

	sigv4_result_init(&res);
	if (sigv4_verify(&sr, &vp, &res)) {
		send_internal_error(req, r->spec.version, rid);
		goto out;
	}
	if (res.status == SIGV4_OK) {
		snprintf(access_key, ak_len, "%s", res.access_key_id);
		ok = true;
		goto out;
	}
	log_refusal(LVL_WARN, g->method, g->path, r, 403, "AWS_IAM authorization refused",
		    sigv4_status_name(res.status), res.message);
	send_sig_refusal(req, r, rid, g, &res);
out:
	sigv4_result_release(&res);
	return ok;
}

/* A CORS preflight answered by the gateway itself, as HTTP APIs do. */
static bool try_preflight(struct gateway_routes *rt, struct evhttp_request *req,
			  const struct gw_req *g, const char *rid)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *want = evhttp_find_header(in, "Access-Control-Request-Method");
	const struct gateway_cors *c = NULL;
	struct gateway_match m;
	struct evkeyvalq *h;
	char age[32];
	int v = APIGW_V2;

	if (strcmp(g->method, "OPTIONS") || !origin || !want)
		return false;
	/*
	 * The API that owns the path answers, with its own configuration: the
	 * route the browser means to call, else any route of that path. A path
	 * no API has falls to the first API with CORS, as there is one host.
	 */
	if (routes_match(rt, want, g->path, &m) || routes_match(rt, NULL, g->path, &m)) {
		c = m.route->cors;
		v = m.route->version;
	} else {
		for (size_t i = 0; i < rt->n && !c; i++) {
			c = rt->routes[i]->spec.cors;
			v = rt->routes[i]->spec.version;
		}
	}
	if (!c)
		return false;
	h = evhttp_request_get_output_headers(req);
	if (origin_allowed(c->allow_origins, origin)) {
		evhttp_add_header(h, "Access-Control-Allow-Origin",
				  strcmp(c->allow_origins, "*") ? origin : "*");
		evhttp_add_header(h, "Access-Control-Allow-Methods",
				  c->allow_methods ? c->allow_methods : want);
		if (c->allow_headers)
			evhttp_add_header(h, "Access-Control-Allow-Headers", c->allow_headers);
		if (c->max_age >= 0) {
			snprintf(age, sizeof(age), "%ld", c->max_age);
			evhttp_add_header(h, "Access-Control-Max-Age", age);
		}
		if (c->allow_credentials)
			evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
	}
	add_common_headers(req, v, rid);
	evhttp_send_reply(req, 204, NULL, NULL);
	return true;
}

static int build_event(struct evhttp_request *req, const struct gw_req *g, const struct gw_route *r,
		       const struct gateway_match *m, const char *rid, const char *access_key,
		       struct buf *event)
{
	struct apigw_pair params[ARRAY_SIZE(m->params)];
	struct buf vals[ARRAY_SIZE(m->params)];
	char *names[ARRAY_SIZE(m->params)] = {0};
	const char *path = g->path;
	char arn[160];
	int err = 0;

	/* REST events carry the path without the stage; HTTP APIs keep it in rawPath. */
	if (m->stage && r->spec.version == APIGW_V1)
		path = g->path + 1 + strlen(m->stage);
	if (!*path)
		path = "/";
	for (size_t i = 0; i < m->nparams; i++) {
		buf_init(&vals[i], GATEWAY_BODY_MAX);
		names[i] = strndup(m->params[i].name, m->params[i].name_len);
		if (!names[i])
			err = ERR_NOMEM;
		if (!err &&
		    uri_decode(&vals[i], m->params[i].value, m->params[i].value_len, false)) {
			buf_reset(&vals[i]);
			err = buf_add(&vals[i], m->params[i].value, m->params[i].value_len);
		}
		params[i].name = names[i];
		params[i].value = vals[i].ptr;
	}
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
		.stage = r->spec.stage ? r->spec.stage
				       : (r->spec.version == APIGW_V1 ? "Prod" : "$default"),
		.route = r->catch_all ? "$default" : r->route_key,
		.path_params = m->nparams ? params : NULL,
		.n_path_params = m->nparams,
		.request_id = rid,
		.domain_name = evhttp_find_header(evhttp_request_get_input_headers(req), "Host"),
		.iam_access_key = *access_key ? access_key : NULL,
		.iam_user_arn = *access_key ? arn : NULL,
		.iam_caller = *access_key ? access_key : NULL,
	};
	if (!err)
		err = apigw_event_from_http(&in, r->spec.version, event);
	for (size_t i = 0; i < m->nparams; i++) {
		free(names[i]);
		buf_release(&vals[i]);
	}
	return err;
}

static void gw_handle(struct evhttp_request *req, void *arg)
{
	struct gateway *gw = arg;
	struct gateway_routes *rt = gw->routes;
	struct gw_req *g = malloc(sizeof(*g)); /* ~12 KB: gw_req_read() sets every field */
	struct gateway_match m;
	const struct gw_route *r;
	struct gw_call *c = NULL;
	char rid[UUID_STR_LEN + 1] = "00000000-0000-4000-8000-000000000000";
	char access_key[SIGV4_MAX_KEY_ID_LEN + 1] = "";
	struct buf event;
	int err;

	buf_init(&event, APIGW_EVENT_MAX);
	uuid_v4(rid);
	if (!g) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (gw_req_read(req, g)) {
		send_json(req, rt->has_http ? APIGW_V2 : APIGW_V1, rid, 400, NULL,
			  "{\"message\":\"Bad Request\"}");
		goto done;
	}
	if (try_preflight(rt, req, g, rid))
		goto done;
	if (!gateway_routes_match(rt, g->method, g->path, &m)) {
		log_refusal(LVL_INFO, g->method, g->path, NULL, rt->has_http ? 404 : 403,
			    "no route matches this method and path", NULL, NULL);
		if (rt->has_http)
			send_json(req, APIGW_V2, rid, 404, NULL, "{\"message\":\"Not Found\"}");
		else
			send_json(req, APIGW_V1, rid, 403, "MissingAuthenticationTokenException",
				  "{\"message\":\"Missing Authentication Token\"}");
		goto done;
	}
	r = (const struct gw_route *)((const char *)m.route - offsetof(struct gw_route, spec));
	if (r->spec.iam && !check_iam(gw, req, r, rid, g, access_key, sizeof(access_key)))
		goto done;
	err = build_event(req, g, r, &m, rid, access_key, &event);
	if (err) {
		log_refusal(LVL_WARN, g->method, g->path, r, 400,
			    "request cannot be turned into an API Gateway event", err_name(err),
			    err_str(err));
		send_json(req, r->spec.version, rid, 400, NULL, "{\"message\":\"Bad Request\"}");
		goto done;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto oom;
	c->gw = gw;
	c->rt = rt;
	c->route = r;
	c->req = req;
	c->start_ns = time_mono_ns();
	snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
	snprintf(c->method, sizeof(c->method), "%s", g->method);
	c->timer = evtimer_new(gw->base, call_timeout, c);
	if (!c->timer) {
		free(c);
		goto oom;
	}
	rt->refs++;
	c->next = gw->calls;
	if (gw->calls)
		gw->calls->prev = c;
	gw->calls = c;
	err = pool_invoke(r->spec.pool, event.ptr, event.len, rid, call_done, c, &c->ticket);
	if (err) {
		log_refusal(LVL_ERROR, g->method, g->path, r, err == ERR_TOOLARGE ? 413 : 500,
			    "the function could not be invoked", err_name(err), err_str(err));
		if (err == ERR_TOOLARGE)
			send_json(req, r->spec.version, rid, 413, NULL,
				  "{\"message\":\"Request Entity Too Large\"}");
		else
			send_internal_error(req, r->spec.version, rid);
		call_free(c);
		goto done;
	}
	{
		uint32_t ms =
			r->spec.version == APIGW_V1 ? gw->rest_timeout_ms : gw->http_timeout_ms;
		struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

		evtimer_add(c->timer, &tv);
	}
	evhttp_request_own(req);
	goto done;
oom:
	send_internal_error(req, r->spec.version, rid);
done:
	buf_release(&event);
	free(g->path);
	free(g);
}

/* ---- Lifecycle ------------------------------------------------------------------------- */

int gateway_new(struct event_base *base, const struct gateway_config *cfg,
		struct gateway_routes *routes, struct gateway **out)
{
	struct gateway *gw = NULL;
	struct evhttp_bound_socket *sock;
	evutil_socket_t fd;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
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
	gw->access_key_id = strdup(cfg->access_key_id ? cfg->access_key_id : "");
	gw->secret = strdup(cfg->secret_access_key ? cfg->secret_access_key : "");
	gw->http = evhttp_new(base);
	if (!gw->access_key_id || !gw->secret || !gw->http)
		goto fail;
	evhttp_set_max_body_size(gw->http, GATEWAY_BODY_MAX);
	evhttp_set_flags(gw->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(gw->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(gw->http, 120);
	evhttp_set_gencb(gw->http, gw_handle, gw);
	err = ERR_IO;
	sock = evhttp_bind_socket_with_handle(gw->http, cfg->address ? cfg->address : "127.0.0.1",
					      cfg->port);
	if (!sock)
		goto fail;
	fd = evhttp_bound_socket_get_fd(sock);
	memset(&ss, 0, sizeof(ss)); /* clang's analyzer does not see getsockname() fill it */
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		goto fail;
	gw->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
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
	routes_unref(gw->routes);
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
	/* Neither pool_cancel() nor send_json() calls back into the gateway: `next` stays valid. */
	for (struct gw_call *c = gw->calls, *next; c; c = next) {
		next = c->next;
		pool_cancel(c->route->spec.pool, c->ticket);
		send_json(c->req, c->route->spec.version, c->request_id, 503, NULL,
			  "{\"message\":\"Service Unavailable\"}");
		call_free(c);
	}
	if (gw->http)
		evhttp_free(gw->http);
	routes_unref(gw->routes);
	free(gw->access_key_id);
	free(gw->secret);
	free(gw);
}
