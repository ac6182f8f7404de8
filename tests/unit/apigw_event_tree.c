/*
 * The reference for the gateway's event writer (apigw_gw.c): the API Gateway
 * event as it was built before it was written directly, a jansson tree
 * dumped compactly, kept here unchanged so that tests/unit/test_apigw_gw.c
 * can compare the two byte for byte over many requests. Not in the library.
 */
#include "core/common.h"

#include "apigw_event_tree.h"

#include "lambda/apigw_int.h"

#include "core/json.h"
#include "core/timeutil.h"
#include "core/uuid.h"

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

	for (size_t i = 0; i < n; i++) {
		struct str value = apigw_pair_value(&v[i]);

		put(err, o, v[i].name, jstr(err, value.ptr, value.len));
	}
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
		put(err, ev, "body", apigw_body_json(err, in->body, in->body_len, binary));
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
	apigw_group_pairs(err, in->headers, in->n_headers, true, false, mh, h, APIGW_SINGLE_LAST,
			  NULL);
	apigw_group_pairs(err, x->query, x->n_query, false, false, mq, q, APIGW_SINGLE_LAST, NULL);
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
	apigw_group_pairs(err, in->headers, in->n_headers, true, true, NULL, h, APIGW_SINGLE_JOIN,
			  "cookie");
	put(err, ev, "headers", h);
	apigw_group_pairs(err, x->query, x->n_query, false, false, NULL, q, APIGW_SINGLE_JOIN,
			  NULL);
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

/*
 * The raw query as pairs for the *QueryStringParameters maps. A query that
 * does not percent-decode is refused here, where the function's half would
 * keep it as sent: API Gateway answers such a request itself.
 */
static int event_query(struct arena *a, const char *raw, struct event_ctx *x)
{
	return apigw_split_query(a, str_from(raw), APIGW_QUERY_MAX, true, &x->query, &x->n_query);
}

int apigw_event_tree(const struct apigw_http_request *in, int version, struct buf *out)
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
