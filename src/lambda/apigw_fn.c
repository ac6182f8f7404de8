/*
 * The function's half of the API Gateway codec (apigw.h): the event the
 * function receives, parsed into struct apigw_request, and the function's
 * answer, rendered from struct apigw_response into the JSON API Gateway
 * expects back. The gateway's half is apigw_gw.c; what both use is
 * apigw_common.c. The function binary links this file and apigw_common.c
 * only, so nothing here may call into apigw_gw.c.
 *
 * Parsing keeps the jansson tree of the event alive and points into it for
 * every string that needs no change; what has to be built (decoded query
 * pairs, cookies, a base64-decoded body, the rebuilt 1.0 query) goes into the
 * request's arena. Every member read is type-checked: an event of the wrong
 * shape is ERR_PARSE with a reason, never a crash, and counts are capped
 * before anything is allocated for them.
 */
#include "core/common.h"

#include "lambda/apigw_int.h"

#include "core/json.h"

/* Epoch values below this are seconds (sam local), above it milliseconds (AWS). */
#define EPOCH_MS_MIN 100000000000LL

/* ---- parsing events ---------------------------------------------------- */

struct parser {
	struct apigw_request *req;
	char *why;
	size_t why_len;
};

#define PFAIL(p, ...) apigw_failf((p)->why, (p)->why_len, ERR_PARSE, __VA_ARGS__)
#define PNOMEM(p)     apigw_failf((p)->why, (p)->why_len, ERR_NOMEM, "out of memory")

/*
 * True when the JSON string `v` holds a NUL byte. The event is parsed with
 * NUL bytes allowed so that a path or query value decoded from "%00" reaches
 * the handler whole (apigw_path_param_str()); every string read as a C
 * string refuses them instead, so that nothing is silently cut.
 */
static bool has_nul(const json_t *v)
{
	return strlen(json_string_value(v)) != json_string_length(v);
}

/* The string member `key` of `obj` (pointing into the event), "" when absent. */
static int opt_str(struct parser *p, const json_t *obj, const char *key, const char **out)
{
	json_t *v = member(obj, key);

	*out = "";
	if (!v)
		return 0;
	if (!json_is_string(v))
		return PFAIL(p, "%s is not a string", key);
	if (has_nul(v))
		return PFAIL(p, "%s holds a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

/* The object member `key` of `obj`, NULL when absent. */
static int opt_obj(struct parser *p, const json_t *obj, const char *key, json_t **out)
{
	json_t *v = member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return PFAIL(p, "%s is not an object", key);
	*out = v;
	return 0;
}

static int opt_bool(struct parser *p, const json_t *obj, const char *key, bool *out)
{
	json_t *v = member(obj, key);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return PFAIL(p, "%s is not a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* An epoch time in seconds or milliseconds, normalised to milliseconds. */
static int opt_epoch(struct parser *p, const json_t *obj, const char *key, int64_t *out)
{
	json_t *v = member(obj, key);
	double d;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v))
		d = (double)json_integer_value(v);
	else if (json_is_real(v))
		d = json_real_value(v);
	else
		return PFAIL(p, "%s is not a number", key);
	if (!(d >= 0 && d <= 1e15))
		return PFAIL(p, "%s is out of range", key);
	*out = (int64_t)d;
	if (*out < EPOCH_MS_MIN)
		*out *= 1000;
	return 0;
}

/* An object of strings ({"name": "value"}) as pairs, nulls skipped. */
static int pairs_from_map(struct parser *p, const json_t *map, const char *what, size_t cap,
			  bool nul_ok, struct apigw_pair **out, size_t *n)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!map || json_is_null(map))
		return 0;
	if (!json_is_object(map))
		return PFAIL(p, "%s is not an object", what);
	size_t count = json_object_size(map);
	if (count > cap)
		return PFAIL(p, "%s has more than %zu entries", what, cap);
	if (!count)
		return 0;
	struct apigw_pair *items = arena_alloc(&p->req->arena, count * sizeof(*items));
	if (!items)
		return PNOMEM(p);
	json_object_foreach((json_t *)map, k, v)
	{
		if (json_is_null(v))
			continue;
		if (!json_is_string(v))
			return PFAIL(p, "%s.%s is not a string", what, k);
		if (!nul_ok && has_nul(v))
			return PFAIL(p, "%s.%s holds a NUL byte", what, k);
		items[i].name = k;
		items[i].value = json_string_value(v);
		items[i].value_len = json_string_length(v);
		i++;
	}
	*out = items;
	*n = i;
	return 0;
}

/* An object of string arrays ({"name": ["v1", "v2"]}) as one pair per value. */
static int pairs_from_multimap(struct parser *p, const json_t *map, const char *what, size_t cap,
			       bool nul_ok, struct apigw_pair **out, size_t *n)
{
	const char *k;
	json_t *v, *e;
	size_t count = 0, i = 0, j;

	*out = NULL;
	*n = 0;
	if (!json_is_object(map))
		return PFAIL(p, "%s is not an object", what);
	json_object_foreach((json_t *)map, k, v)
	{
		if (json_is_null(v))
			continue;
		if (!json_is_array(v))
			return PFAIL(p, "%s.%s is not an array", what, k);
		json_array_foreach(v, j, e)
		{
			if (!json_is_string(e))
				return PFAIL(p, "%s.%s has a value that is not a string", what, k);
			if (!nul_ok && has_nul(e))
				return PFAIL(p, "%s.%s holds a NUL byte", what, k);
		}
		count += json_array_size(v);
		if (count > cap)
			return PFAIL(p, "%s has more than %zu values", what, cap);
	}
	if (!count)
		return 0;
	struct apigw_pair *items = arena_alloc(&p->req->arena, count * sizeof(*items));
	if (!items)
		return PNOMEM(p);
	json_object_foreach((json_t *)map, k, v)
	{
		for (j = 0; j < json_array_size(v); j++, i++) {
			json_t *item = json_array_get(v, j);

			items[i].name = k;
			items[i].value = json_string_value(item);
			items[i].value_len = json_string_length(item);
		}
	}
	*out = items;
	*n = i;
	return 0;
}

/* The number of non-empty cookies of a Cookie header value ("a=1; b=2"). */
static size_t count_cookies(const char *value)
{
	struct str rest = str_from(value), seg;
	size_t n = 0;

	while (rest.len) {
		rest = str_split(rest, ';', &seg, NULL);
		if (str_trim(seg).len)
			n++;
	}
	return n;
}

/* 1.0 has no raw query: rebuild one from the decoded pairs (RFC 3986 encoding). */
static int rebuild_query(struct parser *p)
{
	struct apigw_request *r = p->req;
	struct buf b;
	int err = 0;

	buf_init(&b, BUF_NOCAP);
	for (size_t i = 0; i < r->n_query && !err; i++) {
		if (i)
			err = buf_addch(&b, '&');
		if (!err)
			err = uri_encode(&b, r->query[i].name, strlen(r->query[i].name), false);
		if (!err)
			err = buf_addch(&b, '=');
		if (!err)
			err = uri_encode(&b, r->query[i].value, strlen(r->query[i].value), false);
	}
	r->raw_query = err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
	buf_release(&b);
	return r->raw_query ? 0 : PNOMEM(p);
}

/* Cookies from every Cookie header, split on ';' and trimmed. */
static int cookies_from_headers(struct parser *p)
{
	struct apigw_request *r = p->req;
	struct str rest, seg;
	size_t count = 0, i = 0;

	for (size_t h = 0; h < r->n_headers; h++)
		if (!strcasecmp(r->headers[h].name, "cookie"))
			count += count_cookies(r->headers[h].value);
	if (count > APIGW_COOKIES_MAX)
		return PFAIL(p, "more than %d cookies", APIGW_COOKIES_MAX);
	if (!count)
		return 0;
	r->cookies = arena_alloc(&r->arena, count * sizeof(*r->cookies));
	if (!r->cookies)
		return PNOMEM(p);
	for (size_t h = 0; h < r->n_headers; h++) {
		if (strcasecmp(r->headers[h].name, "cookie"))
			continue;
		rest = str_from(r->headers[h].value);
		while (rest.len) {
			rest = str_split(rest, ';', &seg, NULL);
			seg = str_trim(seg);
			if (!seg.len)
				continue;
			r->cookies[i] = arena_strndup(&r->arena, seg.ptr, seg.len);
			if (!r->cookies[i++])
				return PNOMEM(p);
		}
	}
	r->n_cookies = i;
	return 0;
}

/* 2.0 "cookies": an array of strings. */
static int cookies_from_array(struct parser *p, const json_t *arr)
{
	struct apigw_request *r = p->req;
	size_t i;
	json_t *e;

	if (!json_is_array(arr))
		return PFAIL(p, "cookies is not an array");
	if (json_array_size(arr) > APIGW_COOKIES_MAX)
		return PFAIL(p, "more than %d cookies", APIGW_COOKIES_MAX);
	if (!json_array_size(arr))
		return 0;
	r->cookies = arena_alloc(&r->arena, json_array_size(arr) * sizeof(*r->cookies));
	if (!r->cookies)
		return PNOMEM(p);
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e) || has_nul(e))
			return PFAIL(p, "cookies has a value that is not a string or holds a NUL");
		r->cookies[i] = json_string_value(e);
	}
	r->n_cookies = json_array_size(arr);
	return 0;
}

/* body and isBase64Encoded, the same in both versions. */
static int read_body(struct parser *p, const json_t *ev)
{
	struct apigw_request *r = p->req;
	json_t *body = member(ev, "body");
	struct buf b;
	bool b64;
	int err;

	err = opt_bool(p, ev, "isBase64Encoded", &b64);
	if (err)
		return err;
	r->body = "";
	r->body_len = 0;
	if (!body)
		return 0;
	if (!json_is_string(body))
		return PFAIL(p, "body is not a string");
	if (!b64) {
		r->body = json_string_value(body);
		r->body_len = json_string_length(body);
		return 0;
	}
	buf_init(&b, APIGW_EVENT_MAX);
	err = b64_decode(&b, json_string_value(body), json_string_length(body));
	if (err) {
		buf_release(&b);
		if (err == ERR_PARSE)
			return PFAIL(p, "body is not valid base64");
		return PNOMEM(p);
	}
	char *copy = arena_alloc(&r->arena, b.len + 1);
	if (copy) {
		memcpy(copy, b.ptr, b.len + 1);
		r->body = copy;
		r->body_len = b.len;
		r->body_base64 = true;
	}
	buf_release(&b);
	return copy ? 0 : PNOMEM(p);
}

/* Fields common to both versions' requestContext. */
static int read_context_common(struct parser *p, const json_t *rc)
{
	struct apigw_context *c = &p->req->ctx;
	json_t *auth;
	int err;

	if ((err = opt_str(p, rc, "requestId", &c->request_id)) ||
	    (err = opt_str(p, rc, "stage", &c->stage)) ||
	    (err = opt_str(p, rc, "domainName", &c->domain_name)) ||
	    (err = opt_str(p, rc, "accountId", &c->account_id)) ||
	    (err = opt_str(p, rc, "apiId", &c->api_id)))
		return err;
	auth = member(rc, "authorizer");
	if (auth && !json_is_object(auth))
		return PFAIL(p, "authorizer is not an object");
	c->authorizer = auth;
	return 0;
}

static int parse_v1(struct parser *p, const json_t *ev)
{
	struct apigw_request *r = p->req;
	struct apigw_context *c = &r->ctx;
	json_t *rc, *id, *v;
	int err;

	v = member(ev, "httpMethod");
	if (!json_is_string(v) || !json_string_length(v) || has_nul(v))
		return PFAIL(p, "httpMethod is missing or not a string");
	r->method = json_string_value(v);
	if ((err = opt_str(p, ev, "path", &r->path)) ||
	    (err = opt_str(p, ev, "resource", &r->route)))
		return err;
	err = pairs_from_map(p, member(ev, "pathParameters"), "pathParameters",
			     APIGW_PATH_PARAMS_MAX, true, &r->path_params, &r->n_path_params);
	if (err)
		return err;
	if ((v = member(ev, "multiValueQueryStringParameters")))
		err = pairs_from_multimap(p, v, "multiValueQueryStringParameters", APIGW_QUERY_MAX,
					  true, &r->query, &r->n_query);
	else
		err = pairs_from_map(p, member(ev, "queryStringParameters"),
				     "queryStringParameters", APIGW_QUERY_MAX, true, &r->query,
				     &r->n_query);
	if (err || (err = rebuild_query(p)))
		return err;
	if ((v = member(ev, "multiValueHeaders")))
		err = pairs_from_multimap(p, v, "multiValueHeaders", APIGW_HEADERS_MAX, false,
					  &r->headers, &r->n_headers);
	else
		err = pairs_from_map(p, member(ev, "headers"), "headers", APIGW_HEADERS_MAX, false,
				     &r->headers, &r->n_headers);
	if (err || (err = cookies_from_headers(p)))
		return err;

	if ((err = opt_obj(p, ev, "requestContext", &rc)) || (err = read_context_common(p, rc)) ||
	    (err = opt_str(p, rc, "protocol", &c->protocol)) ||
	    (err = opt_epoch(p, rc, "requestTimeEpoch", &c->time_epoch_ms)) ||
	    (err = opt_obj(p, rc, "identity", &id)) ||
	    (err = opt_str(p, id, "sourceIp", &c->source_ip)) ||
	    (err = opt_str(p, id, "userAgent", &c->user_agent)) ||
	    (err = opt_str(p, id, "accessKey", &c->access_key)) ||
	    (err = opt_str(p, id, "userArn", &c->user_arn)) ||
	    (err = opt_str(p, id, "caller", &c->caller)))
		return err;
	/* Cognito user pool authorizers put the token's claims here. */
	c->jwt_claims = json_is_object(member(c->authorizer, "claims"))
				? member(c->authorizer, "claims")
				: NULL;
	return 0;
}

static int parse_v2(struct parser *p, const json_t *ev)
{
	struct apigw_request *r = p->req;
	struct apigw_context *c = &r->ctx;
	json_t *rc, *http, *iam, *jwt, *v;
	const char *http_path;
	int err;

	if ((err = opt_obj(p, ev, "requestContext", &rc)))
		return err;
	if ((err = opt_obj(p, rc, "http", &http)))
		return err;
	v = member(http, "method");
	if (!json_is_string(v) || !json_string_length(v) || has_nul(v))
		return PFAIL(p, "requestContext.http.method is missing or not a string");
	r->method = json_string_value(v);
	if ((err = opt_str(p, ev, "rawPath", &r->path)) ||
	    (err = opt_str(p, http, "path", &http_path)) ||
	    (err = opt_str(p, ev, "routeKey", &r->route)))
		return err;
	if (!*r->path)
		r->path = http_path;
	if (!*r->route && (err = opt_str(p, rc, "routeKey", &r->route)))
		return err;
	err = pairs_from_map(p, member(ev, "pathParameters"), "pathParameters",
			     APIGW_PATH_PARAMS_MAX, true, &r->path_params, &r->n_path_params);
	if (err || (err = opt_str(p, ev, "rawQueryString", &r->raw_query)))
		return err;
	if (member(ev, "rawQueryString")) {
		err = apigw_split_query(&r->arena, str_from(r->raw_query), APIGW_QUERY_MAX, false,
					&r->query, &r->n_query);
		if (err == ERR_TOOLARGE)
			return PFAIL(p, "rawQueryString has more than %d parameters",
				     APIGW_QUERY_MAX);
		if (err)
			return PNOMEM(p);
	} else {
		err = pairs_from_map(p, member(ev, "queryStringParameters"),
				     "queryStringParameters", APIGW_QUERY_MAX, true, &r->query,
				     &r->n_query);
		if (err || (err = rebuild_query(p)))
			return err;
	}
	err = pairs_from_map(p, member(ev, "headers"), "headers", APIGW_HEADERS_MAX, false,
			     &r->headers, &r->n_headers);
	if (err)
		return err;
	v = member(ev, "cookies");
	err = v ? cookies_from_array(p, v) : cookies_from_headers(p);
	if (err)
		return err;

	if ((err = read_context_common(p, rc)) ||
	    (err = opt_str(p, http, "sourceIp", &c->source_ip)) ||
	    (err = opt_str(p, http, "userAgent", &c->user_agent)) ||
	    (err = opt_str(p, http, "protocol", &c->protocol)) ||
	    (err = opt_epoch(p, rc, "timeEpoch", &c->time_epoch_ms)) ||
	    (err = opt_obj(p, c->authorizer, "iam", &iam)) ||
	    (err = opt_str(p, iam, "accessKey", &c->access_key)) ||
	    (err = opt_str(p, iam, "userArn", &c->user_arn)) ||
	    (err = opt_str(p, iam, "callerId", &c->caller)) ||
	    (err = opt_obj(p, c->authorizer, "jwt", &jwt)) ||
	    (err = opt_obj(p, jwt, "claims", &c->jwt_claims)))
		return err;
	v = member(jwt, "scopes");
	if (v && !json_is_array(v))
		return PFAIL(p, "authorizer.jwt.scopes is not an array");
	c->jwt_scopes = v;
	return 0;
}

/* "version" when present, else the shape: httpMethod means 1.0, requestContext.http 2.0. */
static int detect_version(struct parser *p, const json_t *ev)
{
	json_t *v = member(ev, "version");

	if (v) {
		if (!json_is_string(v))
			return PFAIL(p, "version is not a string");
		if (!strcmp(json_string_value(v), "1.0"))
			return APIGW_V1;
		if (!strcmp(json_string_value(v), "2.0"))
			return APIGW_V2;
		return PFAIL(p, "unsupported payload version \"%.16s\"", json_string_value(v));
	}
	if (member(ev, "httpMethod"))
		return APIGW_V1;
	if (member(member(ev, "requestContext"), "http"))
		return APIGW_V2;
	return PFAIL(p, "not an API Gateway event: no httpMethod nor requestContext.http");
}

int apigw_parse_event(const char *json, size_t len, struct apigw_request *out, char *why,
		      size_t why_len)
{
	struct parser p = {out, why, why_len};
	char jerr[160];
	int err;

	memset(out, 0, sizeof(*out));
	arena_init(&out->arena, APIGW_ARENA_MAX);
	if (why && why_len)
		why[0] = '\0';
	if (!json)
		return PFAIL(&p, "no event");
	if (len > APIGW_EVENT_MAX)
		return PFAIL(&p, "event larger than %u bytes", APIGW_EVENT_MAX);
	out->event = jsonx_parse_nul(json, len, jerr, sizeof(jerr));
	if (!out->event)
		return PFAIL(&p, "event is not JSON: %s", jerr);
	if (!json_is_object(out->event)) {
		err = PFAIL(&p, "event is not a JSON object");
		goto fail;
	}
	out->version = detect_version(&p, out->event);
	if (out->version < 0) {
		err = out->version;
		goto fail;
	}
	err = out->version == APIGW_V1 ? parse_v1(&p, out->event) : parse_v2(&p, out->event);
	if (err || (err = read_body(&p, out->event)))
		goto fail;
	if (!*out->path)
		out->path = "/";
	return 0;
fail:
	apigw_request_release(out);
	return err;
}

void apigw_request_release(struct apigw_request *req)
{
	if (!req)
		return;
	json_decref(req->event);
	arena_release(&req->arena);
	memset(req, 0, sizeof(*req));
}

const char *apigw_header(const struct apigw_request *req, const char *name)
{
	return req ? find_pair(req->headers, req->n_headers, name, true) : NULL;
}

const char *apigw_query(const struct apigw_request *req, const char *name)
{
	return req ? find_pair(req->query, req->n_query, name, false) : NULL;
}

const char *apigw_path_param(const struct apigw_request *req, const char *name)
{
	return req ? find_pair(req->path_params, req->n_path_params, name, false) : NULL;
}

/* The whole value of the first pair named `name`, or STR_NULL. */
static struct str pair_str(const struct apigw_pair *v, size_t n, const char *name)
{
	const struct apigw_pair *p = find_pair_at(v, n, name, false);
	return p ? apigw_pair_value(p) : STR_NULL;
}

struct str apigw_query_str(const struct apigw_request *req, const char *name)
{
	return req ? pair_str(req->query, req->n_query, name) : STR_NULL;
}

struct str apigw_path_param_str(const struct apigw_request *req, const char *name)
{
	return req ? pair_str(req->path_params, req->n_path_params, name) : STR_NULL;
}

const char *apigw_cookie(struct apigw_request *req, const char *name)
{
	struct str n, v;
	bool found;

	if (!req || !name)
		return NULL;
	for (size_t i = 0; i < req->n_cookies; i++) {
		v = str_split(str_from(req->cookies[i]), '=', &n, &found);
		if (found && str_eq_cstr(str_trim(n), name))
			return arena_strndup(&req->arena, v.ptr, v.len);
	}
	return NULL;
}

/* ---- the function's answer ----------------------------------------------- */

int apigw_response_to_json(const struct apigw_response *resp, int version, struct buf *out)
{
	const char *ct = apigw_response_header(resp, "content-type");
	bool binary = resp->binary || apigw_body_is_binary(ct, resp->body.ptr, resp->body.len);
	json_t *root, *headers, *multi = NULL, *cookies;
	int err = 0;

	if (version != APIGW_V1 && version != APIGW_V2)
		return ERR_INVAL;
	root = json_object();
	headers = json_object();
	put(&err, root, "statusCode", json_integer(resp->status));
	put(&err, root, "headers", headers);
	if (version == APIGW_V1) {
		multi = json_object();
		put(&err, root, "multiValueHeaders", multi);
		apigw_group_pairs(&err, resp->headers, resp->n_headers, true, false, multi, headers,
				  APIGW_SINGLE_FIRST, NULL);
	} else {
		apigw_group_pairs(&err, resp->headers, resp->n_headers, true, false, NULL, headers,
				  APIGW_SINGLE_JOIN, NULL);
	}
	if (resp->n_cookies) {
		cookies = json_array();
		for (size_t i = 0; i < resp->n_cookies; i++)
			append(&err, cookies, jcstr(&err, resp->cookies[i]));
		put(&err, version == APIGW_V1 ? multi : root,
		    version == APIGW_V1 ? "Set-Cookie" : "cookies", cookies);
	}
	put(&err, root, "body", apigw_body_json(&err, resp->body.ptr, resp->body.len, binary));
	put(&err, root, "isBase64Encoded", json_boolean(binary && resp->body.len));
	if (!err)
		err = jsonx_dump(root, out, 0);
	json_decref(root);
	/* Values come from add_header, which checked UTF-8: a failure here is memory. */
	return err == ERR_PARSE ? ERR_INVAL : err;
}
