/*
 * The API Gateway proxy event codec (payload formats 1.0 and 2.0), shared by
 * the function and the local gateway; see apigw.h for the model.
 *
 * Parsing keeps the jansson tree of the event alive and points into it for
 * every string that needs no change; what has to be built (decoded query
 * pairs, cookies, a base64-decoded body, the rebuilt 1.0 query) goes into the
 * request's arena. Every member read is type-checked: an event of the wrong
 * shape is ERR_PARSE with a reason, never a crash, and counts are capped
 * before anything is allocated for them.
 */
#include "core/common.h"

#include "lambda/apigw.h"

#include "core/enc.h"
#include "core/json.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "core/uuid.h"

/* Epoch values below this are seconds (sam local), above it milliseconds (AWS). */
#define EPOCH_MS_MIN 100000000000LL

__attribute__((format(printf, 4, 5))) static int failf(char *why, size_t why_len, int err,
						       const char *fmt, ...)
{
	if (why && why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- parsing events ---------------------------------------------------- */

struct parser {
	struct apigw_request *req;
	char *why;
	size_t why_len;
};

#define PFAIL(p, ...) failf((p)->why, (p)->why_len, ERR_PARSE, __VA_ARGS__)
#define PNOMEM(p)     failf((p)->why, (p)->why_len, ERR_NOMEM, "out of memory")

/* Member `key` of `obj` with JSON null read as absent. */
static json_t *member(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_null(v) ? NULL : v;
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
			  struct apigw_pair **out, size_t *n)
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
		items[i].name = k;
		items[i].value = json_string_value(v);
		i++;
	}
	*out = items;
	*n = i;
	return 0;
}

/* An object of string arrays ({"name": ["v1", "v2"]}) as one pair per value. */
static int pairs_from_multimap(struct parser *p, const json_t *map, const char *what, size_t cap,
			       struct apigw_pair **out, size_t *n)
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
	json_object_foreach((json_t *)map, k, v){json_array_foreach(v, j, e){items[i].name = k;
	items[i].value = json_string_value(e);
	i++;
}
}
*out = items;
*n = i;
return 0;
}

/*
 * A percent-decoded copy of `s` in the arena ('+' is a space); the text as
 * sent when it does not decode or decodes to a NUL byte.
 */
static const char *decode_dup(struct arena *a, const char *s, size_t len)
{
	struct buf b;
	const char *r;

	buf_init(&b, len + 1);
	if (uri_decode(&b, s, len, true) == 0 && !memchr(b.ptr, '\0', b.len))
		r = arena_strndup(a, b.ptr, b.len);
	else
		r = arena_strndup(a, s, len);
	buf_release(&b);
	return r;
}

/* Number of non-empty segments of `s` between `sep` bytes. */
static size_t count_segments(struct str s, char sep)
{
	size_t n = 0;
	struct str head;

	while (s.len) {
		s = str_split(s, sep, &head, NULL);
		if (str_trim(head).len)
			n++;
	}
	return n;
}

/* Split "a=1&b=2&a" into decoded pairs in the arena, at most `cap` of them. */
static int split_query(struct arena *a, struct str raw, size_t cap, struct apigw_pair **out,
		       size_t *n)
{
	struct str seg, name;
	size_t count = count_segments(raw, '&'), i = 0;

	*out = NULL;
	*n = 0;
	if (count > cap)
		return ERR_TOOLARGE;
	if (!count)
		return 0;
	struct apigw_pair *items = arena_alloc(a, count * sizeof(*items));
	if (!items)
		return ERR_NOMEM;
	while (raw.len) {
		raw = str_split(raw, '&', &seg, NULL);
		if (!str_trim(seg).len)
			continue;
		struct str value = str_split(seg, '=', &name, NULL);
		items[i].name = decode_dup(a, name.ptr, name.len);
		items[i].value = decode_dup(a, value.ptr ? value.ptr : "", value.len);
		if (!items[i].name || !items[i].value)
			return ERR_NOMEM;
		i++;
	}
	*out = items;
	*n = i;
	return 0;
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
			count += count_segments(str_from(r->headers[h].value), ';');
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
		if (!json_is_string(e))
			return PFAIL(p, "cookies has a value that is not a string");
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
	if (!json_is_string(v) || !json_string_length(v))
		return PFAIL(p, "httpMethod is missing or not a string");
	r->method = json_string_value(v);
	if ((err = opt_str(p, ev, "path", &r->path)) ||
	    (err = opt_str(p, ev, "resource", &r->route)))
		return err;
	err = pairs_from_map(p, member(ev, "pathParameters"), "pathParameters",
			     APIGW_PATH_PARAMS_MAX, &r->path_params, &r->n_path_params);
	if (err)
		return err;
	if ((v = member(ev, "multiValueQueryStringParameters")))
		err = pairs_from_multimap(p, v, "multiValueQueryStringParameters", APIGW_QUERY_MAX,
					  &r->query, &r->n_query);
	else
		err = pairs_from_map(p, member(ev, "queryStringParameters"),
				     "queryStringParameters", APIGW_QUERY_MAX, &r->query,
				     &r->n_query);
	if (err || (err = rebuild_query(p)))
		return err;
	if ((v = member(ev, "multiValueHeaders")))
		err = pairs_from_multimap(p, v, "multiValueHeaders", APIGW_HEADERS_MAX, &r->headers,
					  &r->n_headers);
	else
		err = pairs_from_map(p, member(ev, "headers"), "headers", APIGW_HEADERS_MAX,
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
	if (!json_is_string(v) || !json_string_length(v))
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
			     APIGW_PATH_PARAMS_MAX, &r->path_params, &r->n_path_params);
	if (err || (err = opt_str(p, ev, "rawQueryString", &r->raw_query)))
		return err;
	if (member(ev, "rawQueryString")) {
		err = split_query(&r->arena, str_from(r->raw_query), APIGW_QUERY_MAX, &r->query,
				  &r->n_query);
		if (err == ERR_TOOLARGE)
			return PFAIL(p, "rawQueryString has more than %d parameters",
				     APIGW_QUERY_MAX);
		if (err)
			return PNOMEM(p);
	} else {
		err = pairs_from_map(p, member(ev, "queryStringParameters"),
				     "queryStringParameters", APIGW_QUERY_MAX, &r->query,
				     &r->n_query);
		if (err || (err = rebuild_query(p)))
			return err;
	}
	err = pairs_from_map(p, member(ev, "headers"), "headers", APIGW_HEADERS_MAX, &r->headers,
			     &r->n_headers);
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
	out->event = jsonx_parse(json, len, jerr, sizeof(jerr));
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

static const char *find_pair(const struct apigw_pair *v, size_t n, const char *name, bool icase)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (icase ? !strcasecmp(v[i].name, name) : !strcmp(v[i].name, name))
			return v[i].value;
	return NULL;
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

/* ---- responses ---------------------------------------------------------- */

void apigw_response_init(struct apigw_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	buf_init(&resp->body, APIGW_EVENT_MAX);
	arena_init(&resp->arena, APIGW_ARENA_MAX);
}

void apigw_response_release(struct apigw_response *resp)
{
	if (!resp)
		return;
	free(resp->headers);
	free(resp->cookies);
	buf_release(&resp->body);
	arena_release(&resp->arena);
	apigw_response_init(resp);
}

/* Make room for one more item in a realloc'd array of at most `cap` items. */
static int grow_array(void **arr, size_t *alloc, size_t n, size_t size, size_t cap)
{
	if (n < *alloc)
		return 0;
	if (n >= cap)
		return ERR_TOOLARGE;
	size_t na = *alloc ? MIN(*alloc * 2, cap) : 8;
	void *p = realloc(*arr, na * size);
	if (!p)
		return ERR_NOMEM;
	*arr = p;
	*alloc = na;
	return 0;
}

static bool header_text_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n") && utf8_valid(s, strlen(s));
}

int apigw_response_add_cookie(struct apigw_response *resp, const char *cookie)
{
	void *arr = (void *)resp->cookies;
	int err;

	if (!header_text_ok(cookie))
		return ERR_INVAL;
	err = grow_array(&arr, &resp->cookies_alloc, resp->n_cookies, sizeof(*resp->cookies),
			 APIGW_COOKIES_MAX);
	resp->cookies = arr;
	if (err)
		return err;
	const char *copy = arena_strdup(&resp->arena, cookie);
	if (!copy)
		return ERR_NOMEM;
	resp->cookies[resp->n_cookies++] = copy;
	return 0;
}

int apigw_response_add_header(struct apigw_response *resp, const char *name, const char *value)
{
	void *arr = resp->headers;
	int err;

	if (!name || !*name || !header_text_ok(name) || strchr(name, ':') || !header_text_ok(value))
		return ERR_INVAL;
	if (!strcasecmp(name, "set-cookie"))
		return apigw_response_add_cookie(resp, value);
	err = grow_array(&arr, &resp->headers_alloc, resp->n_headers, sizeof(*resp->headers),
			 APIGW_HEADERS_MAX);
	resp->headers = arr;
	if (err)
		return err;
	struct apigw_pair *h = &resp->headers[resp->n_headers];
	h->name = arena_strdup(&resp->arena, name);
	h->value = arena_strdup(&resp->arena, value);
	if (!h->name || !h->value)
		return ERR_NOMEM;
	resp->n_headers++;
	return 0;
}

int apigw_response_set_body(struct apigw_response *resp, const void *data, size_t len)
{
	buf_reset(&resp->body);
	return len ? buf_add(&resp->body, data, len) : 0;
}

const char *apigw_response_header(const struct apigw_response *resp, const char *name)
{
	return resp ? find_pair(resp->headers, resp->n_headers, name, true) : NULL;
}

/* A media type API Gateway would pass as text: text/..., *json*, *xml*, *javascript*. */
static bool textual_type(const char *content_type)
{
	struct str t = str_trim(str_from(content_type)), type;
	char low[128];
	size_t n;

	str_split(t, ';', &type, NULL);
	type = str_trim(type);
	if (!type.len)
		return true;
	n = MIN(type.len, sizeof(low) - 1);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)((type.ptr[i] >= 'A' && type.ptr[i] <= 'Z') ? type.ptr[i] + 32
									   : type.ptr[i]);
	low[n] = '\0';
	return !strncmp(low, "text/", 5) || strstr(low, "json") || strstr(low, "xml") ||
	       strstr(low, "javascript") || !strcmp(low, "application/x-www-form-urlencoded");
}

bool apigw_body_is_binary(const char *content_type, const void *body, size_t len)
{
	if (!len)
		return false;
	if (!utf8_valid(body, len))
		return true;
	return content_type ? !textual_type(content_type) : false;
}

/* Remember the first failure: a NULL value (allocation or UTF-8) or a failed set. */
static void put(int *err, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v)) {
		if (!*err)
			*err = ERR_NOMEM;
	}
}

static void append(int *err, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v)) {
		if (!*err)
			*err = ERR_NOMEM;
	}
}

/* A JSON string, or NULL with *err = ERR_PARSE when `s` is not UTF-8. */
static json_t *jstr(int *err, const char *s, size_t len)
{
	if (!utf8_valid(s, len)) {
		if (!*err)
			*err = ERR_PARSE;
		return NULL;
	}
	return json_stringn(s, len);
}

static json_t *jcstr(int *err, const char *s)
{
	return jstr(err, s ? s : "", s ? strlen(s) : 0);
}

enum single_mode { SINGLE_FIRST, SINGLE_LAST, SINGLE_JOIN };

/*
 * Group pairs by name (ASCII case-insensitively when `icase`, under the first
 * spelling, lowercased when `lower`) into `multi` ({name: [values]}) and
 * `single` ({name: first | last | comma-joined}); either may be NULL. Pairs
 * named `skip` are left out.
 */
static void group_pairs(int *err, const struct apigw_pair *v, size_t n, bool icase, bool lower,
			json_t *multi, json_t *single, enum single_mode mode, const char *skip)
{
	struct buf joined, key;

	buf_init(&joined, BUF_NOCAP);
	buf_init(&key, BUF_NOCAP);
	for (size_t i = 0; i < n && !*err; i++) {
		size_t j = 0, last = i;
		for (j = 0; j < i; j++)
			if (icase ? !strcasecmp(v[j].name, v[i].name)
				  : !strcmp(v[j].name, v[i].name))
				break;
		if (j < i || (skip && !strcasecmp(v[i].name, skip)))
			continue;
		buf_reset(&key);
		if (buf_adds(&key, v[i].name)) {
			*err = ERR_NOMEM;
			break;
		}
		for (size_t k = 0; lower && k < key.len; k++)
			if (key.ptr[k] >= 'A' && key.ptr[k] <= 'Z')
				key.ptr[k] = (char)(key.ptr[k] + 32);
		json_t *arr = multi ? json_array() : NULL;
		buf_reset(&joined);
		for (size_t k = i; k < n; k++) {
			if (icase ? strcasecmp(v[k].name, v[i].name) : strcmp(v[k].name, v[i].name))
				continue;
			last = k;
			if (arr)
				append(err, arr, jcstr(err, v[k].value));
			if ((joined.len && buf_addch(&joined, ',')) ||
			    buf_adds(&joined, v[k].value))
				*err = ERR_NOMEM;
		}
		if (multi)
			put(err, multi, key.ptr, arr);
		if (!single)
			continue;
		if (mode == SINGLE_JOIN)
			put(err, single, key.ptr, jstr(err, joined.ptr, joined.len));
		else
			put(err, single, key.ptr,
			    jcstr(err, v[mode == SINGLE_FIRST ? i : last].value));
	}
	buf_release(&joined);
	buf_release(&key);
}

/* The body as a JSON string, base64 when `binary`. */
static json_t *body_json(int *err, const char *body, size_t len, bool binary)
{
	struct buf b;
	json_t *s;

	if (!binary)
		return jstr(err, body, len);
	buf_init(&b, BUF_NOCAP);
	if (b64_encode(&b, body, len)) {
		buf_release(&b);
		return NULL;
	}
	s = json_stringn(b.ptr, b.len);
	buf_release(&b);
	return s;
}

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
		group_pairs(&err, resp->headers, resp->n_headers, true, false, multi, headers,
			    SINGLE_FIRST, NULL);
	} else {
		group_pairs(&err, resp->headers, resp->n_headers, true, false, NULL, headers,
			    SINGLE_JOIN, NULL);
	}
	if (resp->n_cookies) {
		cookies = json_array();
		for (size_t i = 0; i < resp->n_cookies; i++)
			append(&err, cookies, jcstr(&err, resp->cookies[i]));
		put(&err, version == APIGW_V1 ? multi : root,
		    version == APIGW_V1 ? "Set-Cookie" : "cookies", cookies);
	}
	put(&err, root, "body", body_json(&err, resp->body.ptr, resp->body.len, binary));
	put(&err, root, "isBase64Encoded", json_boolean(binary && resp->body.len));
	if (!err)
		err = jsonx_dump(root, out, 0);
	json_decref(root);
	/* Values come from add_header, which checked UTF-8: a failure here is memory. */
	return err == ERR_PARSE ? ERR_INVAL : err;
}

/* ---- what a function returned (the gateway side) ------------------------- */

#define RFAIL(...) failf(why, why_len, ERR_PARSE, __VA_ARGS__)

/* Add the headers of a 1.0/2.0 "headers" map, skipping names in `except` (a multimap). */
static int response_headers(struct apigw_response *out, const json_t *map, const json_t *except,
			    char *why, size_t why_len)
{
	const char *k, *ek;
	json_t *v, *ev;

	if (!map)
		return 0;
	if (!json_is_object(map))
		return RFAIL("headers is not an object");
	json_object_foreach((json_t *)map, k, v)
	{
		bool shadowed = false;
		json_object_foreach((json_t *)except, ek, ev) shadowed =
			shadowed || !strcasecmp(ek, k);
		if (json_is_null(v) || shadowed)
			continue;
		if (!json_is_string(v))
			return RFAIL("header %s is not a string", k);
		int err = apigw_response_add_header(out, k, json_string_value(v));
		if (err == ERR_NOMEM)
			return err;
		if (err)
			return RFAIL("header %s is invalid or there are too many", k);
	}
	return 0;
}

static int response_multi_headers(struct apigw_response *out, const json_t *map, char *why,
				  size_t why_len)
{
	const char *k;
	json_t *v, *e;
	size_t i;

	if (!map)
		return 0;
	if (!json_is_object(map))
		return RFAIL("multiValueHeaders is not an object");
	json_object_foreach((json_t *)map, k, v)
	{
		if (json_is_null(v))
			continue;
		if (!json_is_array(v))
			return RFAIL("multiValueHeaders.%s is not an array", k);
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e))
				return RFAIL(
					"multiValueHeaders.%s has a value that is not a string", k);
			int err = apigw_response_add_header(out, k, json_string_value(e));
			if (err == ERR_NOMEM)
				return err;
			if (err)
				return RFAIL("header %s is invalid or there are too many", k);
		}
	}
	return 0;
}

static int response_cookies(struct apigw_response *out, const json_t *arr, char *why,
			    size_t why_len)
{
	size_t i;
	json_t *e;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return RFAIL("cookies is not an array");
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e))
			return RFAIL("cookies has a value that is not a string");
		int err = apigw_response_add_cookie(out, json_string_value(e));
		if (err == ERR_NOMEM)
			return err;
		if (err)
			return RFAIL("a cookie is invalid or there are too many");
	}
	return 0;
}

static int response_body(struct apigw_response *out, const json_t *root, char *why, size_t why_len)
{
	json_t *body = member(root, "body"), *b64 = member(root, "isBase64Encoded");
	int err;

	if (b64 && !json_is_boolean(b64))
		return RFAIL("isBase64Encoded is not a boolean");
	if (!body)
		return 0;
	if (!json_is_string(body))
		return RFAIL("body is not a string");
	if (json_is_true(b64)) {
		out->binary = true;
		err = b64_decode(&out->body, json_string_value(body), json_string_length(body));
		if (err == ERR_PARSE)
			return RFAIL("body is not valid base64");
		return err;
	}
	return buf_add(&out->body, json_string_value(body), json_string_length(body));
}

static int parse_structured(struct apigw_response *out, const json_t *root, int version, char *why,
			    size_t why_len)
{
	json_t *sc = json_object_get(root, "statusCode"), *multi = NULL;
	int err;

	if (!json_is_integer(sc))
		return RFAIL("statusCode is missing or not an integer");
	if (json_integer_value(sc) < 100 || json_integer_value(sc) > 599)
		return RFAIL("statusCode %" JSON_INTEGER_FORMAT " is out of range",
			     json_integer_value(sc));
	out->status = (int)json_integer_value(sc);
	if (version == APIGW_V1) {
		multi = member(root, "multiValueHeaders");
		if (multi && !json_is_object(multi))
			return RFAIL("multiValueHeaders is not an object");
	}
	/* API Gateway merges the two maps; for a name in both, multiValueHeaders wins. */
	if ((err = response_headers(out, member(root, "headers"), multi, why, why_len)) ||
	    (err = response_multi_headers(out, multi, why, why_len)))
		return err;
	if (version == APIGW_V2 &&
	    (err = response_cookies(out, member(root, "cookies"), why, why_len)))
		return err;
	return response_body(out, root, why, why_len);
}

int apigw_parse_function_response(const char *json, size_t len, int version,
				  struct apigw_response *out, char *why, size_t why_len)
{
	char jerr[160];
	json_t *root;
	int err;

	apigw_response_init(out);
	if (why && why_len)
		why[0] = '\0';
	if (version != APIGW_V1 && version != APIGW_V2)
		return failf(why, why_len, ERR_INVAL, "unknown payload version %d", version);
	if (len > APIGW_EVENT_MAX)
		return RFAIL("response larger than %u bytes", APIGW_EVENT_MAX);
	root = jsonx_parse(json, len, jerr, sizeof(jerr));
	if (!root)
		return RFAIL("response is not JSON: %s", jerr);
	if (version == APIGW_V2 &&
	    (!json_is_object(root) || !json_object_get(root, "statusCode"))) {
		/* HTTP API infers the format: the whole payload is a JSON body. */
		err = apigw_response_add_header(out, "Content-Type", "application/json");
		if (!err)
			err = apigw_response_set_body(out, json, len);
	} else if (!json_is_object(root)) {
		err = RFAIL("response is not a JSON object");
	} else {
		err = parse_structured(out, root, version, why, why_len);
	}
	json_decref(root);
	if (err == ERR_NOMEM || err == ERR_TOOLARGE)
		failf(why, why_len, err, "%s", err_str(err));
	return err;
}

/* ---- building events (the gateway side) --------------------------------- */

/* "28/Jan/2024:11:05:46 +0000", the form of requestTime and time. */
static void clf_time(char out[32], int64_t ms)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, 32, "01/Jan/1970:00:00:00 +0000");
		return;
	}
	snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The first value of header `name` among the request's headers, or "". */
static const char *http_header(const struct apigw_http_request *in, const char *name)
{
	const char *v = find_pair(in->headers, in->n_headers, name, true);
	return v ? v : "";
}

static json_t *pairs_object(int *err, const struct apigw_pair *v, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		put(err, o, v[i].name, jcstr(err, v[i].value));
	return o;
}

static const char *or_default(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

/* Fields shared by both versions: body, isBase64Encoded. */
static void put_body(int *err, json_t *ev, const struct apigw_http_request *in, int version)
{
	const char *ct = find_pair(in->headers, in->n_headers, "content-type", true);
	bool binary = apigw_body_is_binary(ct, in->body, in->body_len);

	if (!in->body_len)
		put(err, ev, "body", version == APIGW_V1 ? json_null() : json_string(""));
	else
		put(err, ev, "body", body_json(err, in->body, in->body_len, binary));
	put(err, ev, "isBase64Encoded", json_boolean(binary));
}

struct event_ctx {
	const char *request_id;
	int64_t time_ms;
	char time_str[32];
	struct apigw_pair *query;
	size_t n_query;
};

static json_t *event_v1(int *err, const struct apigw_http_request *in, const struct event_ctx *x)
{
	json_t *ev = json_object(), *rc = json_object(), *id = json_object();
	json_t *h = json_object(), *mh = json_object(), *q = json_object(), *mq = json_object();
	static const char *const nulls[] = {"accountId",
					    "apiKey",
					    "cognitoAuthenticationProvider",
					    "cognitoAuthenticationType",
					    "cognitoIdentityPoolId",
					    "user"};
	const char *route = in->route ? in->route : in->path;

	put(err, ev, "version", json_string("1.0"));
	put(err, ev, "resource", jcstr(err, route));
	put(err, ev, "path", jcstr(err, in->path));
	put(err, ev, "httpMethod", jcstr(err, in->method));
	group_pairs(err, in->headers, in->n_headers, true, false, mh, h, SINGLE_LAST, NULL);
	group_pairs(err, x->query, x->n_query, false, false, mq, q, SINGLE_LAST, NULL);
	put(err, ev, "headers", json_object_size(h) ? h : (json_decref(h), json_null()));
	put(err, ev, "multiValueHeaders",
	    json_object_size(mh) ? mh : (json_decref(mh), json_null()));
	put(err, ev, "queryStringParameters", x->n_query ? q : (json_decref(q), json_null()));
	put(err, ev, "multiValueQueryStringParameters",
	    x->n_query ? mq : (json_decref(mq), json_null()));
	put(err, ev, "pathParameters",
	    in->n_path_params ? pairs_object(err, in->path_params, in->n_path_params)
			      : json_null());
	put(err, ev, "stageVariables", json_null());

	put(err, rc, "accountId", jcstr(err, or_default(in->account_id, LOCAL_ACCOUNT_ID)));
	put(err, rc, "apiId", jcstr(err, or_default(in->api_id, "1234567890")));
	if (in->authorizer)
		put(err, rc, "authorizer", json_incref(in->authorizer));
	put(err, rc, "domainName", jcstr(err, or_default(in->domain_name, "localhost")));
	put(err, rc, "extendedRequestId", json_null());
	put(err, rc, "httpMethod", jcstr(err, in->method));
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		put(err, id, nulls[i], json_null());
	put(err, id, "accessKey",
	    in->iam_access_key ? jcstr(err, in->iam_access_key) : json_null());
	put(err, id, "caller", in->iam_caller ? jcstr(err, in->iam_caller) : json_null());
	put(err, id, "sourceIp", jcstr(err, or_default(in->source_ip, "127.0.0.1")));
	put(err, id, "userAgent", jcstr(err, http_header(in, "user-agent")));
	put(err, id, "userArn", in->iam_user_arn ? jcstr(err, in->iam_user_arn) : json_null());
	put(err, rc, "identity", id);
	put(err, rc, "path", jcstr(err, in->path));
	put(err, rc, "protocol", jcstr(err, or_default(in->protocol, "HTTP/1.1")));
	put(err, rc, "requestId", jcstr(err, x->request_id));
	put(err, rc, "requestTime", json_string(x->time_str));
	put(err, rc, "requestTimeEpoch", json_integer(x->time_ms));
	put(err, rc, "resourceId", json_string("123456"));
	put(err, rc, "resourcePath", jcstr(err, route));
	put(err, rc, "stage", jcstr(err, or_default(in->stage, "Prod")));
	put(err, ev, "requestContext", rc);
	put_body(err, ev, in, APIGW_V1);
	return ev;
}

/* 2.0 cookies: every Cookie header split on ';'. */
static json_t *cookie_array(int *err, const struct apigw_http_request *in)
{
	json_t *arr = json_array();
	struct str rest, seg;

	for (size_t i = 0; i < in->n_headers; i++) {
		if (strcasecmp(in->headers[i].name, "cookie"))
			continue;
		rest = str_from(in->headers[i].value);
		while (rest.len) {
			rest = str_split(rest, ';', &seg, NULL);
			seg = str_trim(seg);
			if (seg.len)
				append(err, arr, jstr(err, seg.ptr, seg.len));
		}
	}
	return arr;
}

static json_t *iam_authorizer(int *err, const struct apigw_http_request *in)
{
	json_t *auth = json_object(), *iam = json_object();

	put(err, iam, "accessKey", jcstr(err, in->iam_access_key));
	put(err, iam, "callerId", jcstr(err, in->iam_caller));
	put(err, iam, "userArn", jcstr(err, in->iam_user_arn));
	put(err, auth, "iam", iam);
	return auth;
}

static json_t *event_v2(int *err, const struct apigw_http_request *in, const struct event_ctx *x)
{
	json_t *ev = json_object(), *rc = json_object(), *http = json_object();
	json_t *h = json_object(), *q = json_object();
	const char *route = in->route ? in->route : "$default";
	const char *domain = or_default(in->domain_name, "localhost");
	struct str prefix;

	put(err, ev, "version", json_string("2.0"));
	put(err, ev, "routeKey", jcstr(err, route));
	put(err, ev, "rawPath", jcstr(err, in->path));
	put(err, ev, "rawQueryString", jcstr(err, or_default(in->raw_query, "")));
	put(err, ev, "cookies", cookie_array(err, in));
	group_pairs(err, in->headers, in->n_headers, true, true, NULL, h, SINGLE_JOIN, "cookie");
	put(err, ev, "headers", h);
	group_pairs(err, x->query, x->n_query, false, false, NULL, q, SINGLE_JOIN, NULL);
	if (x->n_query)
		put(err, ev, "queryStringParameters", q);
	else
		json_decref(q);
	put(err, ev, "pathParameters", pairs_object(err, in->path_params, in->n_path_params));
	put(err, ev, "stageVariables", json_null());

	put(err, rc, "accountId", jcstr(err, or_default(in->account_id, LOCAL_ACCOUNT_ID)));
	put(err, rc, "apiId", jcstr(err, or_default(in->api_id, "1234567890")));
	if (in->authorizer)
		put(err, rc, "authorizer", json_incref(in->authorizer));
	else if (in->iam_access_key)
		put(err, rc, "authorizer", iam_authorizer(err, in));
	put(err, rc, "domainName", jcstr(err, domain));
	str_split(str_from(domain), '.', &prefix, NULL);
	put(err, rc, "domainPrefix", jstr(err, prefix.ptr ? prefix.ptr : "", prefix.len));
	put(err, http, "method", jcstr(err, in->method));
	put(err, http, "path", jcstr(err, in->path));
	put(err, http, "protocol", jcstr(err, or_default(in->protocol, "HTTP/1.1")));
	put(err, http, "sourceIp", jcstr(err, or_default(in->source_ip, "127.0.0.1")));
	put(err, http, "userAgent", jcstr(err, http_header(in, "user-agent")));
	put(err, rc, "http", http);
	put(err, rc, "requestId", jcstr(err, x->request_id));
	put(err, rc, "routeKey", jcstr(err, route));
	put(err, rc, "stage", jcstr(err, or_default(in->stage, "$default")));
	put(err, rc, "time", json_string(x->time_str));
	put(err, rc, "timeEpoch", json_integer(x->time_ms));
	put(err, ev, "requestContext", rc);
	put_body(err, ev, in, APIGW_V2);
	return ev;
}

/* Split and strictly decode the raw query for the *QueryStringParameters maps. */
static int event_query(struct arena *a, const char *raw, struct event_ctx *x)
{
	struct str rest = str_from(raw), seg, name, value;
	struct buf b;
	int err;

	err = split_query(a, rest, APIGW_QUERY_MAX, &x->query, &x->n_query);
	if (err)
		return err;
	/* split_query keeps undecodable text as sent; the gateway must refuse it instead. */
	buf_init(&b, BUF_NOCAP);
	while (!err && rest.len) {
		rest = str_split(rest, '&', &seg, NULL);
		value = str_split(seg, '=', &name, NULL);
		err = uri_decode(&b, name.ptr ? name.ptr : "", name.len, true);
		if (!err)
			err = uri_decode(&b, value.ptr ? value.ptr : "", value.len, true);
	}
	buf_release(&b);
	return err;
}

int apigw_event_from_http(const struct apigw_http_request *in, int version, struct buf *out)
{
	struct event_ctx x = {0};
	struct arena a;
	char rid[UUID_STR_LEN + 1];
	json_t *ev = NULL;
	int err = 0;

	if (!in || !in->method || !*in->method || !in->path || !*in->path ||
	    (version != APIGW_V1 && version != APIGW_V2))
		return ERR_INVAL;
	x.request_id = in->request_id;
	if (!x.request_id) {
		err = uuid_v4(rid);
		if (err)
			return err;
		x.request_id = rid;
	}
	x.time_ms = in->time_ms ? in->time_ms : time_now_ms();
	clf_time(x.time_str, x.time_ms);
	arena_init(&a, APIGW_ARENA_MAX);
	err = event_query(&a, or_default(in->raw_query, ""), &x);
	if (err)
		goto fail;
	ev = version == APIGW_V1 ? event_v1(&err, in, &x) : event_v2(&err, in, &x);
	if (!err)
		err = jsonx_dump(ev, out, 0);
fail:
	json_decref(ev);
	arena_release(&a);
	return err;
}
