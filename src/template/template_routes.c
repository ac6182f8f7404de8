/*
 * template_routes.h: routes of plain CloudFormation APIs and OpenAPI
 * bodies, read from the resolved model after SAM's event routes, so that a
 * route SAM generated from an event and the same route in a DefinitionBody
 * are one route. A resource whose Condition is false serves nothing.
 */
#include "core/common.h"

#include "template/template_int.h"
#include "template/template_routes.h"

/* Resources walked up from a method to its API's root: API Gateway allows far fewer levels. */
#define TROUTES_MAX_DEPTH 64

/* ----- pure string work ----- */

bool template_uri_function(const char *uri, struct str *out, bool *by_name)
{
	const char *p, *end;

	if (!uri)
		return false;
	/* API Gateway's wrapping: ...:lambda:path/2015-03-31/functions/<ARN>/invocations */
	p = strstr(uri, ":lambda:path/");
	if (p && (p = strstr(p, "/functions/"))) {
		p += strlen("/functions/");
		end = strstr(p, "/invocations");
		if (!end)
			return false;
	} else {
		p = uri;
		end = uri + strlen(uri);
	}
	if (end - p > 3 && p[0] == '$' && p[1] == '{') {
		/* "${Fn.Arn}", "${Fn}", "${Fn.Arn}:live": the logical id before '.' or '}'. */
		const char *q = p + 2;

		while (q < end && *q != '.' && *q != '}')
			q++;
		if (q == p + 2 || q == end)
			return false;
		*out = str_make(p + 2, (size_t)(q - p - 2));
		*by_name = false;
		return true;
	}
	/* arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>] */
	if (strncmp(p, "arn:", 4))
		return false;
	for (int colons = 0; p < end && colons < 6; p++)
		if (*p == ':')
			colons++;
	if (p >= end || strncmp(p - strlen(":function:"), ":function:", strlen(":function:")))
		return false;
	for (end = p; *end && *end != ':' && *end != '/'; end++)
		;
	if (end == p)
		return false;
	*out = str_make(p, (size_t)(end - p));
	*by_name = true;
	return true;
}

bool template_route_key(const char *key, struct str *method, struct str *path)
{
	const char *sp;

	if (!key)
		return false;
	if (!strcmp(key, "$default")) {
		*method = str_from("ANY");
		*path = str_from(key);
		return true;
	}
	sp = strchr(key, ' ');
	if (!sp || sp == key || sp[1] != '/' || strchr(sp + 1, ' '))
		return false;
	*method = str_make(key, (size_t)(sp - key));
	*path = str_from(sp + 1);
	return true;
}

/* ----- reading the model ----- */

static bool live(const struct template_resource *r, const char *type)
{
	return r->cond_value != TCOND_FALSE && !strcmp(r->type, type);
}

/* The logical id a Ref or GetAtt names, or a "${Id}" string names; NULL otherwise. */
static const char *ref_of(const struct tval *v)
{
	if (v && v->kind == TVAL_UNKNOWN && (v->unk == TUNK_REF || v->unk == TUNK_GETATT))
		return v->ref;
	return NULL;
}

static const char *ref_or_empty(const struct tval *v)
{
	const char *r = ref_of(v);

	return r ? r : "";
}

static bool is_function(const struct template_resource *r)
{
	return r && (!strcmp(r->type, "AWS::Lambda::Function") ||
		     !strcmp(r->type, "AWS::Serverless::Function"));
}

/* The function `name` names: its FunctionName, else its logical id. */
static const struct template_resource *function_named(const struct template *t, struct str name)
{
	for (size_t i = 0; i < t->nres; i++) {
		const char *fn = tval_str(tval_get(t->res[i].props, "FunctionName"));

		if (is_function(&t->res[i]) && fn && str_eq_cstr(name, fn))
			return &t->res[i];
	}
	for (size_t i = 0; i < t->nres; i++)
		if (is_function(&t->res[i]) && str_eq_cstr(name, t->res[i].id))
			return &t->res[i];
	return NULL;
}

/* The function an integration URI invokes, through aliases and versions; NULL if none. */
const char *troutes_uri_function(struct tctx *c, const struct tval *uri)
{
	const struct template_resource *r = NULL;
	const char *id = ref_of(uri);
	struct str s;
	bool by_name;

	if (id) {
		r = template_resource(c->t, id);
	} else if (uri && uri->kind == TVAL_STRING &&
		   template_uri_function(uri->text, &s, &by_name)) {
		if (by_name) {
			r = function_named(c->t, s);
		} else {
			char *tmp = arena_strndup(c->a, s.ptr, s.len);

			r = tmp ? template_resource(c->t, tmp) : NULL;
		}
	}
	for (int hops = 0; r && hops < 2 && !is_function(r); hops++) {
		if (strcmp(r->type, "AWS::Lambda::Alias") &&
		    strcmp(r->type, "AWS::Lambda::Version"))
			return NULL;
		id = ref_of(tval_get(r->props, "FunctionName"));
		r = id ? template_resource(c->t, id) : NULL;
	}
	return is_function(r) ? r->id : NULL;
}

static int add_note(struct tctx *c, struct tpos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_note(struct tctx *c, struct tpos pos, const char *fmt, ...)
{
	struct template *t = c->t;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (t->nroute_notes == c->nnotes_alloc) {
		size_t na = c->nnotes_alloc ? 2 * c->nnotes_alloc : 8;
		const char **n = arena_alloc(c->a, na * sizeof(*n));

		if (!n)
			return tctx_fail(c, pos, ERR_NOMEM, "out of memory");
		if (t->nroute_notes)
			memcpy(n, t->route_notes, t->nroute_notes * sizeof(*n));
		t->route_notes = n;
		c->nnotes_alloc = na;
	}
	t->route_notes[t->nroute_notes] = arena_strdup(c->a, text);
	if (!t->route_notes[t->nroute_notes])
		return tctx_fail(c, pos, ERR_NOMEM, "out of memory");
	t->nroute_notes++;
	return 0;
}

static const char *upper_method(struct tctx *c, struct str m)
{
	char *u;

	if (str_ieq_cstr(m, "any") || str_eq_cstr(m, "x-amazon-apigateway-any-method"))
		return "ANY";
	u = arena_strndup(c->a, m.ptr, m.len);
	for (size_t i = 0; u && u[i]; i++)
		if (u[i] >= 'a' && u[i] <= 'z')
			u[i] = (char)(u[i] - 'a' + 'A');
	return u;
}

/* Add `r` unless its API already has that method and path (a SAM event and its DefinitionBody). */
static int add_route(struct tctx *c, const struct template_route *r)
{
	struct template *t = c->t;

	for (size_t i = 0; i < t->nroutes; i++)
		if (t->routes[i].api && r->api && !strcmp(t->routes[i].api, r->api) &&
		    !strcmp(t->routes[i].method, r->method) && !strcmp(t->routes[i].path, r->path))
			return 0;
	if (t->nroutes == c->nroutes_alloc) {
		size_t na = c->nroutes_alloc ? 2 * c->nroutes_alloc : 8;
		struct template_route *n = arena_alloc(c->a, na * sizeof(*n));

		if (!n)
			return tctx_fail(c, r->pos, ERR_NOMEM, "out of memory");
		if (t->nroutes)
			memcpy(n, t->routes, t->nroutes * sizeof(*n));
		t->routes = n;
		c->nroutes_alloc = na;
	}
	t->routes[t->nroutes++] = *r;
	return 0;
}

/* The stage of a CloudFormation API: a Stage resource's, else a Deployment's StageName. */
static const char *api_stage(const struct template *t, const char *api, bool v2)
{
	const char *stage_type = v2 ? "AWS::ApiGatewayV2::Stage" : "AWS::ApiGateway::Stage";
	const char *api_key = v2 ? "ApiId" : "RestApiId";
	const char *s = NULL;

	for (size_t i = 0; i < t->nres && !s; i++)
		if (live(&t->res[i], stage_type) &&
		    !strcmp(ref_or_empty(tval_get(t->res[i].props, api_key)), api))
			s = tval_str(tval_get(t->res[i].props, "StageName"));
	for (size_t i = 0; i < t->nres && !s && !v2; i++)
		if (live(&t->res[i], "AWS::ApiGateway::Deployment") &&
		    !strcmp(ref_or_empty(tval_get(t->res[i].props, api_key)), api))
			s = tval_str(tval_get(t->res[i].props, "StageName"));
	return s && strcmp(s, "$default") ? s : NULL;
}

/* A REST resource's path, walking ParentId up to the API's RootResourceId. */
static const char *rest_path(struct tctx *c, const struct tval *resource_id)
{
	const char *parts[TROUTES_MAX_DEPTH];
	const struct tval *id = resource_id;
	size_t n = 0, len = 0;
	char *path, *p;

	while (n < TROUTES_MAX_DEPTH) {
		const struct template_resource *r;

		if (id && id->kind == TVAL_UNKNOWN && id->unk == TUNK_GETATT && id->attr &&
		    !strcmp(id->attr, "RootResourceId"))
			break;
		r = template_resource(c->t, ref_of(id));
		if (!r || strcmp(r->type, "AWS::ApiGateway::Resource") ||
		    !tval_str(tval_get(r->props, "PathPart")))
			return NULL;
		parts[n++] = tval_str(tval_get(r->props, "PathPart"));
		len += 1 + strlen(parts[n - 1]);
		id = tval_get(r->props, "ParentId");
	}
	if (n == TROUTES_MAX_DEPTH)
		return NULL;
	if (!n)
		return "/";
	path = p = arena_alloc(c->a, len + 1);
	if (!path)
		return NULL;
	while (n--) {
		*p++ = '/';
		memcpy(p, parts[n], strlen(parts[n]));
		p += strlen(parts[n]);
	}
	*p = '\0';
	return path;
}

static const char *authorizer_of(const struct tval *type, const struct tval *id)
{
	const char *s = tval_str(type);

	if (!s || !strcmp(s, "NONE"))
		return NULL;
	if (!strcmp(s, "AWS_IAM"))
		return "AWS_IAM";
	return ref_of(id) ? ref_of(id) : s;
}

static int rest_method(struct tctx *c, const struct template_resource *m)
{
	const struct tval *p = m->props, *integ = tval_get(p, "Integration");
	const char *api = ref_of(tval_get(p, "RestApiId"));
	const char *type = tval_str(tval_get(integ, "Type"));
	const char *method = tval_str(tval_get(p, "HttpMethod"));
	struct template_route r;

	if (!api || !method)
		return 0;
	memset(&r, 0, sizeof(r));
	r.path = rest_path(c, tval_get(p, "ResourceId"));
	if (!r.path)
		return add_note(c, m->pos, "%s: its resource path cannot be read before deployment",
				m->id);
	r.method = upper_method(c, str_from(method));
	if (!type || strcmp(type, "AWS_PROXY"))
		return add_note(c, m->pos,
				"%s %s (%s): integration %s is not emulated, only AWS_PROXY",
				r.method, r.path, api, type ? type : "(none)");
	r.function = troutes_uri_function(c, tval_get(integ, "Uri"));
	if (!r.function)
		return add_note(c, m->pos,
				"%s %s (%s): its integration names no function of the "
				"template",
				r.method, r.path, api);
	r.event = m->id;
	r.pos = m->pos;
	r.kind = TAPI_REST;
	r.api = api;
	r.authorizer = authorizer_of(tval_get(p, "AuthorizationType"), tval_get(p, "AuthorizerId"));
	r.api_key_required = tval_is_true(tval_get(p, "ApiKeyRequired"));
	r.stage = api_stage(c->t, api, false);
	r.payload_version = "1.0";
	return add_route(c, &r);
}

/* "integrations/${Integ}" (a Join or a Sub of a Ref): the integration's logical id. */
static const struct template_resource *route_integration(struct tctx *c, const struct tval *target)
{
	const char *s = tval_str(target), *p;
	size_t n;
	char *id;

	if (!s || strncmp(s, "integrations/", 13))
		return NULL;
	p = s + 13;
	if (p[0] == '$' && p[1] == '{')
		p += 2;
	n = strcspn(p, "}");
	id = arena_strndup(c->a, p, n);
	return id ? template_resource(c->t, id) : NULL;
}

static bool websocket(const struct template *t, const char *api)
{
	const struct template_resource *r = template_resource(t, api);

	return r && tval_str_eq(tval_get(r->props, "ProtocolType"), "WEBSOCKET");
}

static int v2_route(struct tctx *c, const struct template_resource *rr)
{
	const struct tval *p = rr->props;
	const char *api = ref_of(tval_get(p, "ApiId"));
	const struct template_resource *integ;
	struct template_route r;
	struct str method, path;
	const char *itype;

	if (!api || websocket(c->t, api))
		return 0; /* the API itself is noted */
	memset(&r, 0, sizeof(r));
	if (!template_route_key(tval_str(tval_get(p, "RouteKey")), &method, &path))
		return add_note(c, rr->pos, "%s: RouteKey is not \"METHOD /path\" or $default",
				rr->id);
	r.method = upper_method(c, method);
	r.path = arena_strndup(c->a, path.ptr, path.len);
	integ = route_integration(c, tval_get(p, "Target"));
	itype = integ ? tval_str(tval_get(integ->props, "IntegrationType")) : NULL;
	if (!integ || !itype || strcmp(itype, "AWS_PROXY"))
		return add_note(c, rr->pos,
				"%s %s (%s): integration %s is not emulated, only AWS_PROXY",
				r.method, r.path, api, itype ? itype : "(none)");
	r.function = troutes_uri_function(c, tval_get(integ->props, "IntegrationUri"));
	if (!r.function)
		return add_note(c, rr->pos,
				"%s %s (%s): its integration names no function of the "
				"template",
				r.method, r.path, api);
	r.event = rr->id;
	r.pos = rr->pos;
	r.kind = TAPI_HTTP;
	r.api = api;
	r.authorizer = authorizer_of(tval_get(p, "AuthorizationType"), tval_get(p, "AuthorizerId"));
	r.stage = api_stage(c->t, api, true);
	r.payload_version = tval_str(tval_get(integ->props, "PayloadFormatVersion"));
	if (!r.payload_version)
		r.payload_version = "1.0";
	return add_route(c, &r);
}

/* An HTTP API made by quick create: Target is the function, RouteKey defaults to $default. */
static int v2_quick_create(struct tctx *c, const struct template_resource *a)
{
	const char *key = tval_str(tval_get(a->props, "RouteKey"));
	struct template_route r;
	struct str method, path;

	memset(&r, 0, sizeof(r));
	if (!template_route_key(key ? key : "$default", &method, &path))
		return add_note(c, a->pos, "%s: RouteKey is not \"METHOD /path\" or $default",
				a->id);
	r.method = upper_method(c, method);
	r.path = arena_strndup(c->a, path.ptr, path.len);
	r.function = troutes_uri_function(c, tval_get(a->props, "Target"));
	if (!r.function)
		return add_note(c, a->pos, "%s: its Target names no function of the template",
				a->id);
	r.event = a->id;
	r.pos = a->pos;
	r.kind = TAPI_HTTP;
	r.api = a->id;
	r.payload_version = "2.0";
	return add_route(c, &r);
}

/* One operation of an OpenAPI body (openapi.c read it) as a route, or a note. */
static int openapi_route(struct tctx *c, const struct template_resource *api, bool http,
			 const struct template_api_op *op)
{
	const char *type = op->integration_type;
	struct template_route r;

	if (!type || strcasecmp(type, "aws_proxy"))
		return add_note(c, op->pos,
				"%s %s (%s): integration %s is not emulated, only aws_proxy",
				op->method, op->path, api->id, type ? type : "(none)");
	if (!op->function)
		return add_note(c, op->pos,
				"%s %s (%s): its integration names no function of the template",
				op->method, op->path, api->id);
	memset(&r, 0, sizeof(r));
	r.method = op->method;
	r.path = op->path;
	r.function = op->function;
	r.event = api->id;
	r.pos = op->pos;
	r.kind = http ? TAPI_HTTP : TAPI_REST;
	r.api = api->id;
	r.authorizer = op->authorizer;
	r.api_key_required = op->api_key_required;
	r.stage = tval_str(tval_get(api->props, "StageName"));
	if (!r.stage)
		r.stage = api_stage(c->t, api->id, http);
	if (r.stage && !strcmp(r.stage, "$default"))
		r.stage = NULL;
	r.payload_version = op->payload_version ? op->payload_version : http ? "2.0" : "1.0";
	return add_route(c, &r);
}

/* The routes of API `api`'s OpenAPI body: its operations, in document order. */
static int openapi(struct tctx *c, const struct template_resource *api, bool http)
{
	const struct template *t = c->t;
	int err = 0;

	for (size_t i = 0; !err && i < t->napi_ops; i++)
		if (!strcmp(t->api_ops[i].api, api->id))
			err = openapi_route(c, api, http, &t->api_ops[i]);
	return err;
}

static int read_api(struct tctx *c, const struct template_resource *r)
{
	bool rest = !strcmp(r->type, "AWS::ApiGateway::RestApi");
	bool v2 = !strcmp(r->type, "AWS::ApiGatewayV2::Api");
	bool sam_rest = !strcmp(r->type, "AWS::Serverless::Api");
	bool sam_http = !strcmp(r->type, "AWS::Serverless::HttpApi");
	const struct tval *body;

	if (r->cond_value == TCOND_FALSE || !(rest || v2 || sam_rest || sam_http))
		return 0;
	if (v2 && tval_str_eq(tval_get(r->props, "ProtocolType"), "WEBSOCKET"))
		return add_note(c, r->pos, "%s: a WEBSOCKET API is not served locally", r->id);
	if (v2 && tval_get(r->props, "Target")) {
		int err = v2_quick_create(c, r);

		if (err)
			return err;
	}
	body = tval_get(r->props, rest || v2 ? "Body" : "DefinitionBody");
	if (!body && (tval_get(r->props, "BodyS3Location") || tval_get(r->props, "DefinitionUri")))
		return add_note(c, r->pos,
				"%s: an OpenAPI definition in S3 or a file is not read; "
				"its routes are not served",
				r->id);
	return body && body->kind == TVAL_MAP ? openapi(c, r, v2 || sam_http) : 0;
}

int troutes_read(struct tctx *c)
{
	const struct template *t = c->t;
	int err = 0;

	for (size_t i = 0; !err && i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];

		if (live(r, "AWS::ApiGateway::Method"))
			err = rest_method(c, r);
		else if (live(r, "AWS::ApiGatewayV2::Route"))
			err = v2_route(c, r);
		else if (live(r, "AWS::AppSync::GraphQLApi"))
			err = add_note(c, r->pos, "%s: AppSync is not served locally", r->id);
		else
			err = read_api(c, r);
	}
	return err;
}
