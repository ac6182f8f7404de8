/*
 * Unit tests for the gateway's half of the API Gateway codec
 * (src/lambda/apigw_gw.c): function responses as the gateway reads them, in
 * both payload versions, AWS's sample response in ../shared (skipped when
 * absent), and the round trip HTTP request -> event -> parsed request.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apigw_event_tree.h"
#include "apigw_fixture.h"
#include "core/buf.h"
#include "lambda/apigw.h"
#include "lambda/apigw_gw_int.h"

/* AWS's sample function response, read as the REST gateway does. */
static void test_shared_response(void **state)
{
	char dir[1024], path[1200];

	if (!apigw_fixture_shared_dir("test_apigw_gw", dir, sizeof(dir))) {
		skip();
		return;
	}
	struct apigw_response resp;
	struct buf b;
	char why[128];
	snprintf(path, sizeof(path), "%s/aws-lambda-go/apigw-response.json", dir);
	assert_true(apigw_fixture_read(path, &b));
	assert_int_equal(
		apigw_parse_function_response(b.ptr, b.len, APIGW_V1, &resp, why, sizeof(why)), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.n_headers, 17);
	assert_string_equal(apigw_response_header(&resp, "x-forwarded-port"), "443");
	assert_int_equal(resp.body.len, 11);
	assert_string_equal(resp.body.ptr, "Hello World");
	apigw_response_release(&resp);
	buf_release(&b);
}

static void test_function_response_v1(void **state)
{
	struct apigw_response r;
	char why[256];

	assert_int_equal(
		apigw_parse_function_response(
			LIT("{\"statusCode\":404,\"headers\":{\"Content-Type\":\"text/plain\","
			    "\"X-One\":\"h\",\"X-Null\":null},\"multiValueHeaders\":{\"x-one\":"
			    "[\"m1\",\"m2\"],\"Set-Cookie\":[\"a=1\",\"b=2\"]},\"body\":\"nope\","
			    "\"isBase64Encoded\":false,\"extra\":[1]}"),
			APIGW_V1, &r, why, sizeof(why)),
		0);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.n_headers, 3); /* Content-Type, x-one twice: multiValueHeaders win */
	assert_string_equal(r.headers[0].name, "Content-Type");
	assert_string_equal(r.headers[1].value, "m1");
	assert_string_equal(r.headers[2].value, "m2");
	assert_int_equal(r.n_cookies, 2);
	assert_string_equal(r.cookies[1], "b=2");
	assert_string_equal(r.body.ptr, "nope");
	assert_false(r.binary);
	apigw_response_release(&r);

	assert_int_equal(
		apigw_parse_function_response(
			LIT("{\"statusCode\":200,\"body\":\"AP8=\",\"isBase64Encoded\":true}"),
			APIGW_V1, &r, why, sizeof(why)),
		0);
	assert_int_equal(r.body.len, 2);
	assert_memory_equal(r.body.ptr, "\x00\xff", 2);
	assert_true(r.binary);
	apigw_response_release(&r);

	/* No body at all, or null: an empty body. */
	assert_int_equal(apigw_parse_function_response(LIT("{\"statusCode\":302,\"body\":null}"),
						       APIGW_V1, &r, why, sizeof(why)),
			 0);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.body.len, 0);
	apigw_response_release(&r);

	static const char *const bad[] = {
		"not json",
		"[]",
		"\"hello\"",
		"{}",
		"{\"body\":\"x\"}",
		"{\"statusCode\":\"200\"}",
		"{\"statusCode\":200.5}",
		"{\"statusCode\":99}",
		"{\"statusCode\":600}",
		"{\"statusCode\":200,\"body\":{}}",
		"{\"statusCode\":200,\"body\":5}",
		"{\"statusCode\":200,\"headers\":[]}",
		"{\"statusCode\":200,\"headers\":{\"a\":1}}",
		"{\"statusCode\":200,\"headers\":{\"a\":\"x\\r\\nb: y\"}}",
		"{\"statusCode\":200,\"multiValueHeaders\":{\"a\":\"x\"}}",
		"{\"statusCode\":200,\"multiValueHeaders\":{\"a\":[true]}}",
		"{\"statusCode\":200,\"multiValueHeaders\":[]}",
		"{\"statusCode\":200,\"isBase64Encoded\":\"yes\",\"body\":\"\"}",
		"{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"!!\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		int err = apigw_parse_function_response(bad[i], strlen(bad[i]), APIGW_V1, &r, why,
							sizeof(why));
		if (err != ERR_PARSE || !why[0])
			fail_msg("%s: got %d (%s)", bad[i], err, why);
		apigw_response_release(&r);
	}
	assert_int_equal(apigw_parse_function_response(LIT("{}"), 7, &r, NULL, 0), ERR_INVAL);
	apigw_response_release(&r);
}

static void test_function_response_v2(void **state)
{
	struct apigw_response r;
	char why[256];

	/* Any JSON without statusCode is a 200 JSON body (HTTP API infers the format). */
	static const char *const inferred[] = {"\"hello\"", "{\"message\":\"hi\"}", "[1,2]", "42",
					       "null",	    "{\"StatusCode\":500}"};
	for (size_t i = 0; i < ARRAY_SIZE(inferred); i++) {
		assert_int_equal(apigw_parse_function_response(inferred[i], strlen(inferred[i]),
							       APIGW_V2, &r, why, sizeof(why)),
				 0);
		assert_int_equal(r.status, 200);
		assert_string_equal(apigw_response_header(&r, "content-type"), "application/json");
		assert_string_equal(r.body.ptr, inferred[i]);
		apigw_response_release(&r);
	}

	assert_int_equal(
		apigw_parse_function_response(
			LIT("{\"statusCode\":201,\"headers\":{\"x-a\":\"1,2\",\"set-cookie\":"
			    "\"s=1\"},\"cookies\":[\"c=1\",\"d=2; Secure\"],\"body\":\"b\"}"),
			APIGW_V2, &r, why, sizeof(why)),
		0);
	assert_int_equal(r.status, 201);
	assert_int_equal(r.n_headers, 1);
	assert_string_equal(apigw_response_header(&r, "X-A"), "1,2");
	assert_int_equal(r.n_cookies, 3);
	assert_string_equal(r.cookies[0], "s=1");
	assert_string_equal(r.cookies[2], "d=2; Secure");
	assert_string_equal(r.body.ptr, "b");
	apigw_response_release(&r);

	static const char *const bad[] = {
		"not json",
		"{\"statusCode\":\"201\"}",
		"{\"statusCode\":null}",
		"{\"statusCode\":200,\"cookies\":\"a=b\"}",
		"{\"statusCode\":200,\"cookies\":[1]}",
		"{\"statusCode\":200,\"headers\":{\"a\":[\"x\"]}}",
		"{\"statusCode\":200,\"body\":\"%%%\",\"isBase64Encoded\":true}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		int err = apigw_parse_function_response(bad[i], strlen(bad[i]), APIGW_V2, &r, why,
							sizeof(why));
		if (err != ERR_PARSE || !why[0])
			fail_msg("%s: got %d (%s)", bad[i], err, why);
		apigw_response_release(&r);
	}
}

/* The request used by the round-trip tests. */
static const struct apigw_pair rt_headers[] = {
	{"Host", "localhost:3000", 0}, {"User-Agent", "sluice-test/2", 0},
	{"X-Multi", "one", 0},	       {"Cookie", "session=abc; theme=dark", 0},
	{"x-multi", "two", 0},	       {"Content-Type", "application/json", 0},
};
static const struct apigw_pair rt_params[] = {{"key", "docs/read me.txt", 0}};

static struct apigw_http_request rt_request(void)
{
	struct apigw_http_request in = {
		.method = "POST",
		.path = "/objects/docs/read%20me.txt",
		.raw_query = "tag=a&tag=b%20c&plus=x+y&flag",
		.headers = rt_headers,
		.n_headers = ARRAY_SIZE(rt_headers),
		.body = "{\"a\":1}",
		.body_len = 7,
		.source_ip = "10.0.0.9",
		.path_params = rt_params,
		.n_path_params = 1,
		.request_id = "11111111-2222-4333-8444-555555555555",
		.time_ms = 1706443748123,
		.iam_access_key = "AKIDEXAMPLE",
		.iam_user_arn = "arn:aws:iam::123456789012:user/dev",
		.iam_caller = "AIDAEXAMPLE",
	};
	return in;
}

static void check_round_trip(const struct apigw_request *r, int version)
{
	assert_int_equal(r->version, version);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->path, "/objects/docs/read%20me.txt");
	assert_string_equal(apigw_path_param(r, "key"), "docs/read me.txt");
	assert_int_equal(apigw_fixture_query_count(r, "tag"), 2);
	assert_string_equal(apigw_fixture_query_nth(r, "tag", 1), "b c");
	assert_string_equal(apigw_query(r, "plus"), "x y");
	assert_string_equal(apigw_query(r, "flag"), "");
	assert_string_equal(apigw_header(r, "host"), "localhost:3000");
	assert_string_equal(apigw_header(r, "content-type"), "application/json");
	assert_int_equal(r->n_cookies, 2);
	assert_string_equal(r->cookies[1], "theme=dark");
	assert_int_equal(r->body_len, 7);
	assert_string_equal(r->body, "{\"a\":1}");
	assert_false(r->body_base64);
	assert_string_equal(r->ctx.request_id, "11111111-2222-4333-8444-555555555555");
	assert_string_equal(r->ctx.source_ip, "10.0.0.9");
	assert_string_equal(r->ctx.user_agent, "sluice-test/2");
	assert_string_equal(r->ctx.access_key, "AKIDEXAMPLE");
	assert_string_equal(r->ctx.user_arn, "arn:aws:iam::123456789012:user/dev");
	assert_string_equal(r->ctx.caller, "AIDAEXAMPLE");
	assert_int_equal(r->ctx.time_epoch_ms, 1706443748123);
	assert_string_equal(r->ctx.account_id, "123456789012");
	assert_string_equal(r->ctx.protocol, "HTTP/1.1");
}

static void test_round_trip_v2(void **state)
{
	struct apigw_http_request in = rt_request();
	struct apigw_request r;
	struct buf b;
	char why[256];

	in.route = "POST /objects/{key+}";
	buf_init(&b, 1 << 20);
	assert_int_equal(apigw_event_from_http(&in, APIGW_V2, &b), 0);
	assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, why, sizeof(why)), 0);
	check_round_trip(&r, APIGW_V2);
	assert_string_equal(r.route, "POST /objects/{key+}");
	assert_string_equal(r.raw_query, "tag=a&tag=b%20c&plus=x+y&flag");
	assert_string_equal(r.ctx.stage, "$default");
	/* The 2.0 shapes: lowercase names, comma-joined repeats, cookies apart. */
	assert_string_equal(apigw_header(&r, "x-multi"), "one,two");
	assert_null(apigw_header(&r, "cookie"));
	assert_string_equal(r.headers[0].name, "host");
	json_t *ev = r.event, *rc = json_object_get(ev, "requestContext");
	assert_string_equal(json_string_value(json_object_get(ev, "version")), "2.0");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(ev, "queryStringParameters"), "tag")),
			    "a,b c");
	assert_string_equal(json_string_value(json_object_get(rc, "time")),
			    "28/Jan/2024:12:09:08 +0000");
	assert_string_equal(json_string_value(json_object_get(rc, "domainPrefix")), "localhost");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(rc, "http"), "sourceIp")),
		"10.0.0.9");
	assert_false(json_is_true(json_object_get(ev, "isBase64Encoded")));
	apigw_request_release(&r);

	/* A binary body travels as base64 and comes back byte for byte; no query, no cookies. */
	static const struct apigw_pair bin_headers[] = {{"content-type", "image/png", 0}};
	memset(&in, 0, sizeof(in));
	in.method = "PUT";
	in.path = "/x";
	in.headers = bin_headers;
	in.n_headers = 1;
	in.body = "\x89PNG\0\xff";
	in.body_len = 6;
	buf_reset(&b);
	assert_int_equal(apigw_event_from_http(&in, APIGW_V2, &b), 0);
	assert_non_null(strstr(b.ptr, "\"body\":\"iVBORwD/\",\"isBase64Encoded\":true"));
	assert_non_null(strstr(b.ptr, "\"routeKey\":\"$default\""));
	assert_non_null(strstr(b.ptr, "\"cookies\":[]"));
	assert_null(strstr(b.ptr, "queryStringParameters"));
	assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, why, sizeof(why)), 0);
	assert_true(r.body_base64);
	assert_int_equal(r.body_len, 6);
	assert_memory_equal(r.body, "\x89PNG\0\xff", 6);
	assert_int_equal(r.n_query, 0);
	assert_int_equal(strlen(r.ctx.request_id), 36);	  /* generated */
	assert_true(r.ctx.time_epoch_ms > 1700000000000); /* now */
	apigw_request_release(&r);
	buf_release(&b);
}

static void test_round_trip_v1(void **state)
{
	struct apigw_http_request in = rt_request();
	struct apigw_request r;
	struct buf b;
	char why[256];

	in.route = "/objects/{key+}";
	in.stage = "Prod";
	buf_init(&b, 1 << 20);
	assert_int_equal(apigw_event_from_http(&in, APIGW_V1, &b), 0);
	assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, why, sizeof(why)), 0);
	check_round_trip(&r, APIGW_V1);
	assert_string_equal(r.route, "/objects/{key+}");
	assert_string_equal(r.ctx.stage, "Prod");
	/* multiValueHeaders groups repeats case-insensitively under the first spelling. */
	assert_int_equal(r.n_headers, 6);
	assert_string_equal(apigw_header(&r, "x-multi"), "one");
	json_t *ev = r.event, *rc = json_object_get(ev, "requestContext");
	json_t *mh = json_object_get(ev, "multiValueHeaders");
	assert_int_equal(json_array_size(json_object_get(mh, "X-Multi")), 2);
	assert_null(json_object_get(mh, "x-multi"));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ev, "headers"), "X-Multi")),
		"two");
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(ev, "multiValueQueryStringParameters"), "tag")),
			 2);
	assert_string_equal(json_string_value(json_object_get(rc, "requestTime")),
			    "28/Jan/2024:12:09:08 +0000");
	assert_string_equal(json_string_value(json_object_get(rc, "resourcePath")),
			    "/objects/{key+}");
	assert_true(json_is_null(json_object_get(ev, "stageVariables")));
	apigw_request_release(&r);

	/* No headers, no query, no body: nulls, as API Gateway sends them. */
	memset(&in, 0, sizeof(in));
	in.method = "GET";
	in.path = "/health";
	in.request_id = "r-1";
	in.time_ms = 1000;
	buf_reset(&b);
	assert_int_equal(apigw_event_from_http(&in, APIGW_V1, &b), 0);
	assert_non_null(strstr(b.ptr, "\"headers\":null,\"multiValueHeaders\":null,"
				      "\"queryStringParameters\":null,"
				      "\"multiValueQueryStringParameters\":null,"
				      "\"pathParameters\":null"));
	assert_non_null(strstr(b.ptr, "\"body\":null,\"isBase64Encoded\":false"));
	assert_non_null(strstr(b.ptr, "\"requestTime\":\"01/Jan/1970:00:00:01 +0000\""));
	assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, why, sizeof(why)), 0);
	assert_string_equal(r.route, "/health");
	assert_int_equal(r.n_headers, 0);
	assert_int_equal(r.body_len, 0);
	assert_int_equal(r.ctx.time_epoch_ms, 1000000); /* 1000 reads as seconds */
	apigw_request_release(&r);
	buf_release(&b);
}

/*
 * A path parameter that decodes to bytes with a NUL travels whole, in both
 * payload versions: the function sees every byte with its length (and may
 * refuse it), never a name cut at the NUL (hardening: %00 once overwrote
 * "victim.txt" through "victim.txt%00.x").
 */
static void test_nul_in_path_param(void **state)
{
	static const struct apigw_pair nul_params[] = {{"name", "victim.txt\0.x", 13}};
	struct apigw_http_request in = rt_request();
	struct apigw_request r;
	struct buf b;
	char why[256];

	in.path = "/objects/victim.txt%00.x";
	in.path_params = nul_params;
	for (int v = APIGW_V1; v <= APIGW_V2; v++) {
		in.route = v == APIGW_V2 ? "PUT /objects/{name+}" : "/objects/{name+}";
		buf_init(&b, 1 << 20);
		assert_int_equal(apigw_event_from_http(&in, v, &b), 0);
		assert_non_null(strstr(b.ptr, "\"name\":\"victim.txt\\u0000.x\""));
		assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, why, sizeof(why)), 0);
		struct str got = apigw_path_param_str(&r, "name");
		assert_int_equal(got.len, 13);
		assert_memory_equal(got.ptr, "victim.txt\0.x", 13);
		assert_null(apigw_path_param_str(&r, "missing").ptr);
		apigw_request_release(&r);
		buf_release(&b);
	}
}

static void test_event_from_http_errors(void **state)
{
	struct apigw_http_request in = rt_request();
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(apigw_event_from_http(NULL, APIGW_V2, &b), ERR_INVAL);
	assert_int_equal(apigw_event_from_http(&in, 0, &b), ERR_INVAL);
	in.method = "";
	assert_int_equal(apigw_event_from_http(&in, APIGW_V2, &b), ERR_INVAL);
	in = rt_request();
	in.path = NULL;
	assert_int_equal(apigw_event_from_http(&in, APIGW_V1, &b), ERR_INVAL);
	in = rt_request();
	in.raw_query = "a=%zz";
	assert_int_equal(apigw_event_from_http(&in, APIGW_V2, &b), ERR_PARSE);
	static const struct apigw_pair latin1[] = {{"X-Name", "caf\xe9", 0}};
	in = rt_request();
	in.headers = latin1;
	in.n_headers = 1;
	assert_int_equal(apigw_event_from_http(&in, APIGW_V1, &b), ERR_PARSE);
	assert_int_equal(b.len, 0);
	/* Past the output buffer's cap: ERR_TOOLARGE, the buffer as it was. */
	struct buf small;
	buf_init(&small, 64);
	in = rt_request();
	assert_int_equal(apigw_event_from_http(&in, APIGW_V2, &small), ERR_TOOLARGE);
	assert_int_equal(small.len, 0);
	buf_release(&small);
	buf_release(&b);
}

/* ---- the event writer against the jansson tree it replaced -------------- */

/* Deterministic choices for the generated requests (xorshift64). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static size_t pick(size_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % n);
}

/* Header values and path parameters: quotes, controls, NUL, bad UTF-8, long runs. */
static const struct {
	const char *s;
	size_t len;
} tricky[] = {
	{"", 0},
	{"plain", 5},
	{"two words", 9},
	{"caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80", 14},
	{"q\"uo\\te/", 8},
	{"\b\f\n\r\t\x01\x1f\x7f", 8},
	{"nul\0inside", 10},
	{"a=1; b=2;; c=3 ;", 16},
	{"one,two", 7},
	{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	 160},
	/* Not UTF-8, last: Latin-1, a surrogate, an overlong '/'. */
	{"caf\xe9", 4},
	{"\xed\xa0\x80", 3},
	{"\xc0\xaf", 2},
};

/* The valid entries of tricky[] and of header_names[]. */
#define TRICKY_UTF8 (ARRAY_SIZE(tricky) - 3)
#define NAMES_UTF8  (ARRAY_SIZE(header_names) - 1)

/* An index into a table of `all` entries whose first `valid` are UTF-8: rarely a bad one. */
static size_t pick_mostly(size_t valid, size_t all)
{
	return pick(16) ? pick(valid) : pick(all);
}

static const char *const header_names[] = {
	"Host",		"host",	      "X-Multi",    "x-MULTI",	  "Cookie",  "cookie",
	"Content-Type", "User-Agent", "user-agent", "X-\xc3\xa9", "X-\"q\\", "X-\xff",
};

static const char *const content_types[] = {
	"text/plain", "application/json", "image/png", "application/octet-stream", "",
};

static const char *const queries[] = {
	"",	 "a=1",	      "a=1&a=2&b", "c=%00&C=x", "e=caf%C3%A9&e=%E2%82%AC",
	"f=%FF", "+=+&%41=y", "x=%zz",	   "k&k=&k==",	"%22q%5C=%0A%01",
};

static const struct {
	const void *p;
	size_t len;
} bodies[] = {
	{"", 0},
	{"{\"name\":\"a\",\"n\":1}", 18},
	{"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16},
	{"caf\xe9 latin-1", 12},
	{"line\nwith \"quotes\" and \\ and \x01", 31},
	{"\0", 1},
};

/* One generated request in `in`, its strings in `hs`/`ps` (static tables). */
static void random_request(struct apigw_http_request *in, struct apigw_pair *hs, size_t hmax,
			   struct apigw_pair *ps, json_t *authorizer)
{
	static const char *const routes[] = {NULL, "GET /objects/{key+}", "$default", "/a/{b}"};
	static const char *const domains[] = {NULL, "", "localhost", "api.example.com", ".x"};
	static const char *const param_names[] = {"key", "name", "key", "n\xc3\xa9"};

	memset(in, 0, sizeof(*in));
	in->method = pick(4) ? "GET" : "P\"OST";
	in->path = pick(5) ? "/objects/a%20b" : "/caf\xc3\xa9/\"x\\";
	in->raw_query = queries[pick(ARRAY_SIZE(queries))];
	in->n_headers = pick(hmax + 1);
	for (size_t i = 0; i < in->n_headers; i++) {
		size_t v = pick_mostly(TRICKY_UTF8, ARRAY_SIZE(tricky));
		hs[i].name = header_names[pick_mostly(NAMES_UTF8, ARRAY_SIZE(header_names))];
		if (!strcasecmp(hs[i].name, "content-type") && pick(2))
			hs[i].value = content_types[pick(ARRAY_SIZE(content_types))];
		else
			hs[i].value = tricky[v].s;
		hs[i].value_len = 0;
	}
	in->headers = hs;
	in->n_path_params = pick(4);
	for (size_t i = 0; i < in->n_path_params; i++) {
		size_t v = pick_mostly(TRICKY_UTF8, ARRAY_SIZE(tricky));
		ps[i] = (struct apigw_pair){param_names[pick(ARRAY_SIZE(param_names))], tricky[v].s,
					    tricky[v].len};
	}
	in->path_params = ps;
	size_t b = pick(ARRAY_SIZE(bodies));
	in->body = bodies[b].p;
	in->body_len = bodies[b].len;
	in->route = routes[pick(ARRAY_SIZE(routes))];
	in->domain_name = domains[pick(ARRAY_SIZE(domains))];
	in->source_ip = pick(2) ? "10.0.0.9" : NULL;
	in->stage = pick(2) ? "Prod" : NULL;
	in->request_id = "c0ffee00-0000-4000-8000-000000000001";
	static const int64_t times[] = {1706443748123, -1, 951782400000, 253402300800000};
	in->time_ms = times[pick(ARRAY_SIZE(times))]; /* 2024, 1969, 29 Feb 2000, year 10000 */
	in->authorizer = pick(4) ? NULL : authorizer;
	if (!pick(3)) {
		in->iam_access_key = "AKIDEXAMPLE";
		in->iam_user_arn = "arn:aws:iam::123456789012:user/\"me\"";
		in->iam_caller = pick(2) ? "AIDAEXAMPLE" : NULL;
	}
}

/*
 * apigw_event_from_http() writes what the jansson tree of earlier versions
 * dumped, byte for byte, over thousands of generated requests (both payload
 * versions), and fails where it failed: a key that is not UTF-8 was
 * ERR_NOMEM from jansson and is ERR_PARSE now, as apigw.h documents.
 */
static void test_event_matches_tree(void **state)
{
	struct apigw_pair hs[24], ps[4];
	struct apigw_http_request in;
	struct buf got, want;
	json_t *authorizer = json_pack("{s:{s:i,s:s,s:[b,n,f]}}", "lambda", "n", 7, "s",
				       "\xc3\xa9\"\n", "l", 1, 0.5);
	size_t same = 0, refused = 0;

	assert_non_null(authorizer);
	buf_init(&got, 1 << 20);
	buf_init(&want, 1 << 20);
	for (int i = 0; i < 4000; i++) {
		random_request(&in, hs, i % 2 ? 6 : ARRAY_SIZE(hs), ps, authorizer);
		int version = i % 2 ? APIGW_V1 : APIGW_V2;
		buf_reset(&got);
		buf_reset(&want);
		int err_got = apigw_event_from_http(&in, version, &got);
		int err_want = apigw_event_tree(&in, version, &want);
		if (err_want == ERR_NOMEM)
			err_want = ERR_PARSE;
		if (err_got != err_want)
			fail_msg("request %d: error %d, the tree's %d: %s", i, err_got, err_want,
				 got.ptr);
		if (err_got) {
			assert_int_equal(got.len, 0);
			refused++;
			continue;
		}
		if (got.len != want.len || memcmp(got.ptr, want.ptr, got.len))
			fail_msg("request %d differs:\n got %s\nwant %s", i, got.ptr, want.ptr);
		json_t *parsed = json_loadb(got.ptr, got.len, JSON_ALLOW_NUL, NULL);
		assert_non_null(parsed);
		json_decref(parsed);
		same++;
	}
	/* Most generated requests must build, or the comparison says little. */
	print_message("%zu events the same, %zu refused by both\n", same, refused);
	assert_true(same > 2000 && refused > 100);
	json_decref(authorizer);
	buf_release(&got);
	buf_release(&want);
}

/* ---- the fast path of a function's answer against the full parser ------- */

/*
 * The common answers take the fast path (apigw_gw_fast.c) and read as the
 * full parser reads them; the others decline it, and every answer gives
 * apigw_parse_function_response() the full parser's result and reason.
 */
static void test_answer_fast_path(void **state)
{
	static const struct {
		const char *json;
		bool fast; /* taken in both versions */
	} answers[] = {
		{"{\"statusCode\":200,\"headers\":{\"Content-Type\":\"application/json\"},"
		 "\"body\":\"{\\\"status\\\":\\\"ok\\\"}\",\"isBase64Encoded\":false}",
		 true},
		{" {\"statusCode\" : 201 ,\n\"headers\":{\"X-A\":\"1\",\"x-a\":null,\"Set-Cookie\":"
		 "\"s=1\"},\"multiValueHeaders\":{\"X-A\":[\"m1\",\"m2\"],\"X-B\":null,\"X-C\":[]},"
		 "\"cookies\":[\"c=1\",\"d=\\t2\"],\"body\":\"aGk=\",\"isBase64Encoded\":true,"
		 "\"extra\":[]}\r\n",
		 true},
		{"{\"statusCode\":204,\"body\":null,\"headers\":null,\"x\":\"\\/\\b\\f\\n\\r\"}",
		 true},
		{"{\"statusCode\":200,\"statusCode\":404,\"body\":\"dup\"}", false},
		{"{\"statusCode\":200,\"body\":\"\\u00e9\"}", false},
		{"{\"statusCode\":200.0,\"body\":\"x\"}", false},
		{"{\"statusCode\":0200}", false},
		{"{\"statusCode\":99}", false},
		{"{\"statusCode\":200,\"headers\":{\"a\":1}}", false},
		{"{\"statusCode\":200,\"headers\":{\"Bad\":\"a\\r\\nb\"}}", false},
		{"{\"statusCode\":200,\"body\":\"caf\xe9\"}", false},
		{"{\"statusCode\":200,\"body\":\"!!\",\"isBase64Encoded\":true}", false},
		{"{\"statusCode\":200,\"nested\":{\"a\":{}}}", false},
		{"{\"statusCode\":200} x", false},
		{"[1,2]", false},
		{"\"text\"", false},
		{"", false},
	};
	struct apigw_response fast, full;
	char why_fast[256], why_full[256];

	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		const char *json = answers[i].json;
		size_t len = strlen(json);
		for (int v = APIGW_V1; v <= APIGW_V2; v++) {
			apigw_response_init(&fast);
			int taken = apigw_response_fast(json, len, v, &fast) == 0;
			apigw_response_release(&fast);
			if (taken != answers[i].fast)
				fail_msg("answer %zu, version %d: fast path %s", i, v,
					 taken ? "taken" : "declined");
			int err_fast = apigw_parse_function_response(json, len, v, &fast, why_fast,
								     sizeof(why_fast));
			int err_full = apigw_parse_response_tree(json, len, v, &full, why_full,
								 sizeof(why_full));
			assert_int_equal(err_fast, err_full);
			assert_string_equal(why_fast, why_full);
			assert_int_equal(fast.status, full.status);
			assert_int_equal(fast.binary, full.binary);
			assert_int_equal(fast.n_headers, full.n_headers);
			for (size_t h = 0; h < fast.n_headers; h++) {
				assert_string_equal(fast.headers[h].name, full.headers[h].name);
				assert_string_equal(fast.headers[h].value, full.headers[h].value);
			}
			assert_int_equal(fast.n_cookies, full.n_cookies);
			for (size_t c = 0; c < fast.n_cookies; c++)
				assert_string_equal(fast.cookies[c], full.cookies[c]);
			assert_int_equal(fast.body.len, full.body.len);
			assert_memory_equal(fast.body.ptr, full.body.ptr, fast.body.len);
			apigw_response_release(&fast);
			apigw_response_release(&full);
		}
	}
	/* What the second answer reads as (REST: multiValueHeaders win for X-A). */
	const char *json = answers[1].json;
	assert_int_equal(apigw_response_fast(json, strlen(json), APIGW_V1,
					     (apigw_response_init(&fast), &fast)),
			 0);
	assert_int_equal(fast.status, 201);
	assert_int_equal(fast.n_headers, 2);
	assert_string_equal(fast.headers[0].value, "m1");
	assert_int_equal(fast.n_cookies, 1); /* Set-Cookie; "cookies" is 2.0's */
	assert_true(fast.binary);
	assert_string_equal(fast.body.ptr, "hi");
	apigw_response_release(&fast);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_response),
		cmocka_unit_test(test_function_response_v1),
		cmocka_unit_test(test_function_response_v2),
		cmocka_unit_test(test_round_trip_v2),
		cmocka_unit_test(test_round_trip_v1),
		cmocka_unit_test(test_nul_in_path_param),
		cmocka_unit_test(test_event_from_http_errors),
		cmocka_unit_test(test_event_matches_tree),
		cmocka_unit_test(test_answer_fast_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
