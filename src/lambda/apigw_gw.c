/*
 * The gateway's half of the API Gateway codec (apigw.h): the event the local
 * gateway builds from an HTTP request, shaped as API Gateway (and `sam local`)
 * shape it, and the reading of what a function returned, by API Gateway's
 * rules for each payload version. Only build/sluice links this file; the
 * function's half (apigw_fn.c) must never call into it, which keeps the
 * function binary to its own half.
 *
 * Both directions go through the same model as the function's half: events
 * are read back by apigw_parse_event() in the round-trip tests, and a
 * function's answer is read into struct apigw_response with the setters of
 * apigw_common.c, so a header the function could not have set is refused
 * here too.
 */
#include "core/common.h"

#include "lambda/apigw_gw_int.h"
#include "lambda/apigw_int.h"

#include "core/json.h"
#include "core/json_out.h"
#include "core/timeutil.h"
#include "core/uuid.h"

/* ---- what a function returned (the gateway side) ------------------------- */

#define RFAIL(...) apigw_failf(why, why_len, ERR_PARSE, __VA_ARGS__)

/* True when object `obj` (NULL allowed) has a member `name`, ASCII case-insensitively. */
static bool has_key_icase(const json_t *obj, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v)
	{
		if (!strcasecmp(k, name))
			return true;
	}
	return false;
}

/* Add the headers of a 1.0/2.0 "headers" map, skipping names in `except` (a multimap). */
static int response_headers(struct apigw_response *out, const json_t *map, const json_t *except,
			    char *why, size_t why_len)
{
	const char *k;
	json_t *v;

	if (!map)
		return 0;
	if (!json_is_object(map))
		return RFAIL("headers is not an object");
	json_object_foreach((json_t *)map, k, v)
	{
		if (json_is_null(v) || has_key_icase(except, k))
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
	/* The common shapes without a tree (apigw_gw_fast.c); the rest, and every refusal, below.
	 */
	if ((version == APIGW_V1 || version == APIGW_V2) && len <= APIGW_EVENT_MAX) {
		apigw_response_init(out);
		if (why && why_len)
			why[0] = '\0';
		if (!apigw_response_fast(json, len, version, out))
			return 0;
		apigw_response_release(out);
	}
	return apigw_parse_response_tree(json, len, version, out, why, why_len);
}

int apigw_parse_response_tree(const char *json, size_t len, int version, struct apigw_response *out,
			      char *why, size_t why_len)
{
	char jerr[160];
	json_t *root;
	int err;

	apigw_response_init(out);
	if (why && why_len)
		why[0] = '\0';
	if (version != APIGW_V1 && version != APIGW_V2)
		return apigw_failf(why, why_len, ERR_INVAL, "unknown payload version %d", version);
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
		apigw_failf(why, why_len, err, "%s", err_str(err));
	return err;
}

/* ---- building events (the gateway side) --------------------------------- */

/*
 * The event is written straight into the caller's buffer with json_out.h,
 * one pass and each string escaped once, in the key order the jansson tree
 * of earlier versions had (tests/unit/apigw_event_tree.c keeps that tree as
 * the reference the tests compare with): building and dumping it was most
 * of the gateway's CPU per request.
 */

/* `v` as `width` decimal digits at `p`, zero-padded (v < 10^width). */
static void put_digits(char *p, int v, int width)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "28/Jan/2024:11:05:46 +0000", the form of requestTime and time (no snprintf: every request). */
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
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) { /* not four digits: as printf does */
		snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
			 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		return;
	}
	memcpy(out, "dd/Mon/yyyy:hh:mm:ss +0000", 27);
	put_digits(out, tm.tm_mday, 2);
	memcpy(out + 3, months[tm.tm_mon % 12], 3);
	put_digits(out + 7, tm.tm_year + 1900, 4);
	put_digits(out + 12, tm.tm_hour, 2);
	put_digits(out + 15, tm.tm_min, 2);
	put_digits(out + 18, tm.tm_sec, 2);
}

/* The first value of header `name` among the request's headers, or "". */
static const char *http_header(const struct apigw_http_request *in, const char *name)
{
	const char *v = find_pair(in->headers, in->n_headers, name, true);
	return v ? v : "";
}

static const char *or_default(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

/* What write_group() writes for each name. */
enum group_form {
	GROUP_LAST,  /* "name":"last value" */
	GROUP_JOIN,  /* "name":"v1,v2" */
	GROUP_ARRAY, /* "name":["v1","v2"] */
};

static bool same_name(const struct apigw_pair *a, const struct apigw_pair *b, bool icase)
{
	return icase ? !strcasecmp(a->name, b->name) : !strcmp(a->name, b->name);
}

/*
 * An object of `n` pairs grouped by name (ASCII case-insensitively when
 * `icase`), in the order names first appear, under their first spelling
 * (lowercased when `lower`); pairs named `skip` (any case, NULL for none)
 * left out. What apigw_group_pairs() builds as a tree, written directly.
 */
static void write_group(struct json_out *o, const struct apigw_pair *v, size_t n, bool icase,
			bool lower, enum group_form form, const char *skip)
{
	bool first = true;

	JSON_OUT_LIT(o, "{");
	for (size_t i = 0; i < n && !o->err; i++) {
		size_t j, last = i, count = 0;
		for (j = 0; j < i; j++)
			if (same_name(&v[j], &v[i], icase))
				break;
		if (j < i || (skip && !strcasecmp(v[i].name, skip)))
			continue;
		if (!first)
			JSON_OUT_LIT(o, ",");
		first = false;
		JSON_OUT_LIT(o, "\"");
		json_out_chars(o, v[i].name, strlen(v[i].name), lower);
		JSON_OUT_LIT(o, "\":");
		if (form == GROUP_LAST) {
			for (size_t k = i + 1; k < n; k++)
				if (same_name(&v[k], &v[i], icase))
					last = k;
			struct str one = apigw_pair_value(&v[last]);
			json_out_str(o, one.ptr, one.len);
			continue;
		}
		json_out_raw(o, form == GROUP_ARRAY ? "[" : "\"", 1);
		/* Joined values take a comma only after text: "" then "b" is "b". */
		size_t at = o->b->len;
		for (size_t k = i; k < n; k++) {
			if (!same_name(&v[k], &v[i], icase))
				continue;
			struct str value = apigw_pair_value(&v[k]);
			if (form == GROUP_ARRAY ? count++ > 0 : o->b->len > at)
				JSON_OUT_LIT(o, ",");
			if (form == GROUP_ARRAY)
				json_out_str(o, value.ptr, value.len);
			else
				json_out_chars(o, value.ptr, value.len, false);
		}
		json_out_raw(o, form == GROUP_ARRAY ? "]" : "\"", 1);
	}
	JSON_OUT_LIT(o, "}");
}

/*
 * Path parameters as an object; a repeated name keeps its first place and
 * last value, and every value must be UTF-8, the replaced ones too (as when
 * each was set into a jansson object in turn).
 */
static void write_params(struct json_out *o, const struct apigw_pair *v, size_t n)
{
	for (size_t i = 0; i < n && !o->err; i++) {
		struct str value = apigw_pair_value(&v[i]);
		if (!utf8_valid(value.ptr, value.len))
			o->err = ERR_PARSE;
	}
	write_group(o, v, n, false, false, GROUP_LAST, NULL);
}

/* Fields shared by both versions: body, isBase64Encoded (closing the event). */
static void write_body(struct json_out *o, const struct apigw_http_request *in, int version)
{
	const char *ct = find_pair(in->headers, in->n_headers, "content-type", true);
	bool binary = apigw_body_is_binary(ct, in->body, in->body_len);

	JSON_OUT_LIT(o, ",\"body\":");
	if (!in->body_len) {
		if (version == APIGW_V1)
			JSON_OUT_LIT(o, "null");
		else
			JSON_OUT_LIT(o, "\"\"");
	} else if (binary) {
		json_out_b64(o, in->body, in->body_len);
	} else {
		json_out_str(o, in->body, in->body_len);
	}
	if (binary)
		JSON_OUT_LIT(o, ",\"isBase64Encoded\":true}");
	else
		JSON_OUT_LIT(o, ",\"isBase64Encoded\":false}");
}

struct event_ctx {
	const char *request_id;
	int64_t time_ms;
	char time_str[32];
	struct apigw_pair *query;
	size_t n_query;
};

/* A C string, or null for NULL. */
static void cstr_or_null(struct json_out *o, const char *s)
{
	if (s)
		json_out_cstr(o, s);
	else
		JSON_OUT_LIT(o, "null");
}

static void identity_v1(struct json_out *o, const struct apigw_http_request *in)
{
	JSON_OUT_LIT(o, ",\"identity\":{\"accountId\":null,\"apiKey\":null,"
			"\"cognitoAuthenticationProvider\":null,"
			"\"cognitoAuthenticationType\":null,\"cognitoIdentityPoolId\":null,"
			"\"user\":null,\"accessKey\":");
	cstr_or_null(o, in->iam_access_key);
	JSON_OUT_LIT(o, ",\"caller\":");
	cstr_or_null(o, in->iam_caller);
	JSON_OUT_LIT(o, ",\"sourceIp\":");
	json_out_cstr(o, or_default(in->source_ip, "127.0.0.1"));
	JSON_OUT_LIT(o, ",\"userAgent\":");
	json_out_cstr(o, http_header(in, "user-agent"));
	JSON_OUT_LIT(o, ",\"userArn\":");
	cstr_or_null(o, in->iam_user_arn);
	JSON_OUT_LIT(o, "}");
}

static void context_v1(struct json_out *o, const struct apigw_http_request *in,
		       const struct event_ctx *x, const char *route)
{
	JSON_OUT_LIT(o, ",\"requestContext\":{\"accountId\":");
	json_out_cstr(o, or_default(in->account_id, LOCAL_ACCOUNT_ID));
	JSON_OUT_LIT(o, ",\"apiId\":");
	json_out_cstr(o, or_default(in->api_id, "1234567890"));
	if (in->authorizer) {
		JSON_OUT_LIT(o, ",\"authorizer\":");
		json_out_value(o, in->authorizer);
	}
	JSON_OUT_LIT(o, ",\"domainName\":");
	json_out_cstr(o, or_default(in->domain_name, "localhost"));
	JSON_OUT_LIT(o, ",\"extendedRequestId\":null,\"httpMethod\":");
	json_out_cstr(o, in->method);
	identity_v1(o, in);
	JSON_OUT_LIT(o, ",\"path\":");
	json_out_cstr(o, in->path);
	JSON_OUT_LIT(o, ",\"protocol\":");
	json_out_cstr(o, or_default(in->protocol, "HTTP/1.1"));
	JSON_OUT_LIT(o, ",\"requestId\":");
	json_out_cstr(o, x->request_id);
	JSON_OUT_LIT(o, ",\"requestTime\":");
	json_out_cstr(o, x->time_str);
	JSON_OUT_LIT(o, ",\"requestTimeEpoch\":");
	json_out_int(o, x->time_ms);
	JSON_OUT_LIT(o, ",\"resourceId\":\"123456\",\"resourcePath\":");
	json_out_cstr(o, route);
	JSON_OUT_LIT(o, ",\"stage\":");
	json_out_cstr(o, or_default(in->stage, "Prod"));
	JSON_OUT_LIT(o, "}");
}

static void event_v1(struct json_out *o, const struct apigw_http_request *in,
		     const struct event_ctx *x)
{
	const char *route = in->route ? in->route : in->path;

	JSON_OUT_LIT(o, "{\"version\":\"1.0\",\"resource\":");
	json_out_cstr(o, route);
	JSON_OUT_LIT(o, ",\"path\":");
	json_out_cstr(o, in->path);
	JSON_OUT_LIT(o, ",\"httpMethod\":");
	json_out_cstr(o, in->method);
	/* 1.0 sends an absent map as null. */
	if (in->n_headers) {
		JSON_OUT_LIT(o, ",\"headers\":");
		write_group(o, in->headers, in->n_headers, true, false, GROUP_LAST, NULL);
		JSON_OUT_LIT(o, ",\"multiValueHeaders\":");
		write_group(o, in->headers, in->n_headers, true, false, GROUP_ARRAY, NULL);
	} else {
		JSON_OUT_LIT(o, ",\"headers\":null,\"multiValueHeaders\":null");
	}
	if (x->n_query) {
		JSON_OUT_LIT(o, ",\"queryStringParameters\":");
		write_group(o, x->query, x->n_query, false, false, GROUP_LAST, NULL);
		JSON_OUT_LIT(o, ",\"multiValueQueryStringParameters\":");
		write_group(o, x->query, x->n_query, false, false, GROUP_ARRAY, NULL);
	} else {
		JSON_OUT_LIT(
			o,
			",\"queryStringParameters\":null,\"multiValueQueryStringParameters\":null");
	}
	JSON_OUT_LIT(o, ",\"pathParameters\":");
	if (in->n_path_params)
		write_params(o, in->path_params, in->n_path_params);
	else
		JSON_OUT_LIT(o, "null");
	JSON_OUT_LIT(o, ",\"stageVariables\":null");
	context_v1(o, in, x, route);
	write_body(o, in, APIGW_V1);
}

/* 2.0 cookies: every Cookie header split on ';'. */
static void cookie_array(struct json_out *o, const struct apigw_http_request *in)
{
	struct str rest, seg;
	bool first = true;

	JSON_OUT_LIT(o, "[");
	for (size_t i = 0; i < in->n_headers; i++) {
		if (strcasecmp(in->headers[i].name, "cookie"))
			continue;
		rest = str_from(in->headers[i].value);
		while (rest.len) {
			rest = str_split(rest, ';', &seg, NULL);
			seg = str_trim(seg);
			if (!seg.len)
				continue;
			if (!first)
				JSON_OUT_LIT(o, ",");
			first = false;
			json_out_str(o, seg.ptr, seg.len);
		}
	}
	JSON_OUT_LIT(o, "]");
}

static void context_v2(struct json_out *o, const struct apigw_http_request *in,
		       const struct event_ctx *x, const char *route)
{
	const char *domain = or_default(in->domain_name, "localhost");
	struct str prefix;

	JSON_OUT_LIT(o, ",\"requestContext\":{\"accountId\":");
	json_out_cstr(o, or_default(in->account_id, LOCAL_ACCOUNT_ID));
	JSON_OUT_LIT(o, ",\"apiId\":");
	json_out_cstr(o, or_default(in->api_id, "1234567890"));
	if (in->authorizer) {
		JSON_OUT_LIT(o, ",\"authorizer\":");
		json_out_value(o, in->authorizer);
	} else if (in->iam_access_key) {
		JSON_OUT_LIT(o, ",\"authorizer\":{\"iam\":{\"accessKey\":");
		json_out_cstr(o, in->iam_access_key);
		JSON_OUT_LIT(o, ",\"callerId\":");
		json_out_cstr(o, in->iam_caller);
		JSON_OUT_LIT(o, ",\"userArn\":");
		json_out_cstr(o, in->iam_user_arn);
		JSON_OUT_LIT(o, "}}");
	}
	JSON_OUT_LIT(o, ",\"domainName\":");
	json_out_cstr(o, domain);
	str_split(str_from(domain), '.', &prefix, NULL);
	JSON_OUT_LIT(o, ",\"domainPrefix\":");
	json_out_str(o, prefix.ptr ? prefix.ptr : "", prefix.len);
	JSON_OUT_LIT(o, ",\"http\":{\"method\":");
	json_out_cstr(o, in->method);
	JSON_OUT_LIT(o, ",\"path\":");
	json_out_cstr(o, in->path);
	JSON_OUT_LIT(o, ",\"protocol\":");
	json_out_cstr(o, or_default(in->protocol, "HTTP/1.1"));
	JSON_OUT_LIT(o, ",\"sourceIp\":");
	json_out_cstr(o, or_default(in->source_ip, "127.0.0.1"));
	JSON_OUT_LIT(o, ",\"userAgent\":");
	json_out_cstr(o, http_header(in, "user-agent"));
	JSON_OUT_LIT(o, "},\"requestId\":");
	json_out_cstr(o, x->request_id);
	JSON_OUT_LIT(o, ",\"routeKey\":");
	json_out_cstr(o, route);
	JSON_OUT_LIT(o, ",\"stage\":");
	json_out_cstr(o, or_default(in->stage, "$default"));
	JSON_OUT_LIT(o, ",\"time\":");
	json_out_cstr(o, x->time_str);
	JSON_OUT_LIT(o, ",\"timeEpoch\":");
	json_out_int(o, x->time_ms);
	JSON_OUT_LIT(o, "}");
}

static void event_v2(struct json_out *o, const struct apigw_http_request *in,
		     const struct event_ctx *x)
{
	const char *route = in->route ? in->route : "$default";

	JSON_OUT_LIT(o, "{\"version\":\"2.0\",\"routeKey\":");
	json_out_cstr(o, route);
	JSON_OUT_LIT(o, ",\"rawPath\":");
	json_out_cstr(o, in->path);
	JSON_OUT_LIT(o, ",\"rawQueryString\":");
	json_out_cstr(o, or_default(in->raw_query, ""));
	JSON_OUT_LIT(o, ",\"cookies\":");
	cookie_array(o, in);
	JSON_OUT_LIT(o, ",\"headers\":");
	write_group(o, in->headers, in->n_headers, true, true, GROUP_JOIN, "cookie");
	/* 2.0 leaves queryStringParameters out without a query. */
	if (x->n_query) {
		JSON_OUT_LIT(o, ",\"queryStringParameters\":");
		write_group(o, x->query, x->n_query, false, false, GROUP_JOIN, NULL);
	}
	JSON_OUT_LIT(o, ",\"pathParameters\":");
	write_params(o, in->path_params, in->n_path_params);
	JSON_OUT_LIT(o, ",\"stageVariables\":null");
	context_v2(o, in, x, route);
	write_body(o, in, APIGW_V2);
}

/*
 * The raw query as pairs for the *QueryStringParameters maps. A query that
 * does not percent-decode is refused here, where the function's half would
 * keep it as sent: API Gateway answers such a request itself.
 */
static int event_query(struct arena *a, const char *raw, struct event_ctx *x)
{
	return apigw_split_query(a, str_from(raw), APIGW_QUERY_MAX, true, &x->query, &x->n_query);
}

int apigw_event_from_http(const struct apigw_http_request *in, int version, struct buf *out)
{
	struct event_ctx x = {0};
	struct json_out o;
	struct arena a;
	char rid[UUID_STR_LEN + 1];
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
	if (!err) {
		json_out_init(&o, out);
		if (version == APIGW_V1)
			event_v1(&o, in, &x);
		else
			event_v2(&o, in, &x);
		err = json_out_finish(&o);
	}
	arena_release(&a);
	return err;
}
