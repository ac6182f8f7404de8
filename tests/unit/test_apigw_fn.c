/*
 * Unit tests for the function's half of the API Gateway codec
 * (src/lambda/apigw_fn.c): AWS's published events in ../shared (skipped when
 * absent), our own events in tests/fixtures/apigw/, malformed events and the
 * caps, and the response JSON the function returns in both payload versions.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apigw_fixture.h"
#include "core/buf.h"
#include "lambda/apigw.h"

struct shared_case {
	const char *file;
	int version;
	const char *method, *path, *route;
	const char *header, *header_value;
	const char *query, *query_value;
	size_t query_values;
	const char *param, *param_value;
	const char *request_id, *stage, *source_ip;
	const char *access_key, *user_arn, *caller;
	int64_t time_ms;
};

static const struct shared_case shared_cases[] = {
	{"aws-lambda-go/apigw-request.json", 1, "POST", "/hello/world", "/{proxy+}", "content-type",
	 "application/json", "name", "me", 1, "proxy", "hello/world",
	 "deef4878-7910-11e6-8f14-25afc3e9ae33", "testStage", "192.168.196.186",
	 "ANEXAMPLEOFACCESSKEY", "theUserArn", "theCaller", 1589522469693},
	{"aws-lambda-go/apigw-restapi-openapi-request.json", 1, "POST", "/hello/world", "/{proxy+}",
	 "X-FORWARDED-PORT", "443", "name", "me", 1, "proxy", "hello/world",
	 "deef4878-7910-11e6-8f14-25afc3e9ae33", "testStage", "192.168.196.186",
	 "ANEXAMPLEOFACCESSKEY", "theUserArn", "theCaller", 1589522469693},
	{"aws-lambda-go/apigw-v2-request-iam.json", 2, "GET", "/my/path", "$default", "header1",
	 "value1", "parameter1", "value2", 2, "proxy", "hello/world", "id", "$default", "IP",
	 "ARIA2ZJZYVUEREEIHAKY", "arn:aws:iam::1234567890:user/Admin",
	 "AROA7ZJZYVRE7C3DUXHH6:CognitoIdentityCredentials", 1583348638390},
	{"aws-lambda-go/apigw-v2-request-jwt-authorizer.json", 2, "GET", "/my/path", "$default",
	 "Header2", "value2", "parameter2", "value", 1, "proxy", "hello/world", "id", "$default",
	 "IP", "", "", "", 1583348638390},
	{"aws-lambda-go/apigw-v2-request-lambda-authorizer.json", 2, "GET", "/my/path", "$default",
	 "header1", "value1", "parameter1", "value2", 2, "proxy", "hello/world", "id", "$default",
	 "IP", "", "", "", 1583348638390},
	{"aws-lambda-go/apigw-v2-request-no-authorizer.json", 2, "GET", "/", "$default",
	 "user-agent", "curl/7.58.0", NULL, NULL, 0, NULL, NULL, "LV7fzho-PHcEJPw=", "$default",
	 "1.2.3.4", "", "", "", 1587481701067},
	{"aws-lambda-rust-runtime/apigw_proxy_request.json", 1, "GET", "/hello", "/{proxy+}",
	 "x-forwarded-for", "192.168.100.1, 192.168.1.1", "name", "me", 1, "proxy", "hello",
	 "41b45ea3-70b5-11e6-b7bd-69b5aaebc7d9", "test", "192.168.100.1", "", "", "",
	 1583798639428},
	{"aws-lambda-rust-runtime/apigw_v2_proxy_request_minimal.json", 2, "GET", "/", "$default",
	 "host", "xxx.execute-api.us-east-1.amazonaws.com", NULL, NULL, 0, NULL, NULL,
	 "MIZRNhJtIAMEMDw=", "$default", "65.78.31.245", "", "", "", 1588804615616},
	{"aws-lambda-rust-runtime/example-apigw-request.json", 1, "POST", "/hello/world",
	 "/{proxy+}", "Content-Type", "application/json", "name", "me", 1, "proxy", "hello/world",
	 "deef4878-7910-11e6-8f14-25afc3e9ae33", "testStage", "192.168.196.186",
	 "ANEXAMPLEOFACCESSKEY", "theUserArn", "theCaller", 1589522469693},
	/* sam local sends epoch seconds: they come out as milliseconds. */
	{"aws-lambda-rust-runtime/example-apigw-sam-http-request.json", 2, "GET", "/dump",
	 "GET /dump", "host", "127.0.0.1:3000", "foo", "bar", 1, NULL, NULL,
	 "b3ea2f1a-9f2a-48a4-8791-0db24e5d40e5", "$default", "127.0.0.1", "", "", "",
	 1706443748000},
	{"aws-lambda-rust-runtime/example-apigw-sam-rest-request.json", 1, "GET", "/test", "/test",
	 "sec-fetch-mode", "navigate", NULL, NULL, 0, NULL, NULL,
	 "ea86b9eb-c688-4bbb-8309-a1671442bea9", "Prod", "127.0.0.1", "", "", "", 1706439946000},
	{"aws-lambda-rust-runtime/example-apigw-v2-request-no-authorizer.json", 2, "GET", "/",
	 "$default", "x-forwarded-proto", "https", NULL, NULL, 0, NULL, NULL,
	 "LV7fzho-PHcEJPw=", "$default", "1.2.3.4", "", "", "", 1587481701067},
};

static void check_shared_case(const char *dir, const struct shared_case *c)
{
	struct apigw_request r;
	char path[1200];

	snprintf(path, sizeof(path), "%s/%s", dir, c->file);
	apigw_fixture_parse(path, &r);
	assert_int_equal(r.version, c->version);
	assert_string_equal(r.method, c->method);
	assert_string_equal(r.path, c->path);
	assert_string_equal(r.route, c->route);
	assert_non_null(apigw_header(&r, c->header));
	assert_string_equal(apigw_header(&r, c->header), c->header_value);
	if (c->query) {
		assert_int_equal(apigw_fixture_query_count(&r, c->query), c->query_values);
		assert_string_equal(apigw_fixture_query_nth(&r, c->query, c->query_values - 1),
				    c->query_value);
	} else {
		assert_int_equal(r.n_query, 0);
	}
	if (c->param)
		assert_string_equal(apigw_path_param(&r, c->param), c->param_value);
	else
		assert_null(apigw_path_param(&r, "proxy"));
	assert_string_equal(r.ctx.request_id, c->request_id);
	assert_string_equal(r.ctx.stage, c->stage);
	assert_string_equal(r.ctx.source_ip, c->source_ip);
	assert_string_equal(r.ctx.access_key, c->access_key);
	assert_string_equal(r.ctx.user_arn, c->user_arn);
	assert_string_equal(r.ctx.caller, c->caller);
	assert_int_equal(r.ctx.time_epoch_ms, c->time_ms);
	apigw_request_release(&r);
}

static void test_shared_events(void **state)
{
	char dir[1024], path[1200];
	struct apigw_request r;

	if (!apigw_fixture_shared_dir("test_apigw_fn", dir, sizeof(dir))) {
		skip();
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(shared_cases); i++)
		check_shared_case(dir, &shared_cases[i]);

	/* Details the table does not carry. */
	snprintf(path, sizeof(path), "%s/aws-lambda-go/apigw-v2-request-iam.json", dir);
	apigw_fixture_parse(path, &r);
	assert_int_equal(r.n_cookies, 2);
	assert_string_equal(r.cookies[1], "cookie2");
	assert_string_equal(r.raw_query, "parameter1=value1&parameter1=value2&parameter2=value");
	assert_int_equal(r.body_len, 13);
	assert_memory_equal(r.body, "{\r\n\t\"a\": 1\r\n}", 13);
	assert_false(r.body_base64);
	assert_string_equal(r.ctx.account_id, "123456789012");
	assert_string_equal(r.ctx.api_id, "api-id");
	assert_string_equal(r.ctx.domain_name, "id.execute-api.us-east-1.amazonaws.com");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(r.ctx.authorizer, "iam"), "principalOrgId")),
			    "AwsOrgId");
	apigw_request_release(&r);

	snprintf(path, sizeof(path), "%s/aws-lambda-go/apigw-v2-request-jwt-authorizer.json", dir);
	apigw_fixture_parse(path, &r);
	assert_string_equal(json_string_value(json_object_get(r.ctx.jwt_claims, "claim1")),
			    "value1");
	assert_int_equal(json_array_size(r.ctx.jwt_scopes), 2);
	assert_string_equal(json_string_value(json_array_get(r.ctx.jwt_scopes, 1)), "scope2");
	apigw_request_release(&r);

	snprintf(path, sizeof(path), "%s/aws-lambda-go/apigw-v2-request-lambda-authorizer.json",
		 dir);
	apigw_fixture_parse(path, &r);
	assert_null(r.ctx.jwt_claims);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(r.ctx.authorizer, "lambda"), "key")),
			    "value");
	apigw_request_release(&r);

	/* REST: multiValueHeaders win over headers; the body is the raw JSON text. */
	snprintf(path, sizeof(path), "%s/aws-lambda-go/apigw-request.json", dir);
	apigw_fixture_parse(path, &r);
	assert_int_equal(r.n_headers, 19);
	assert_string_equal(r.raw_query, "name=me");
	assert_int_equal(r.body_len, 13);
	assert_memory_equal(r.body, "{\r\n\t\"a\": 1\r\n}", 13);
	assert_int_equal(json_integer_value(json_object_get(r.ctx.authorizer, "clientId")), 1);
	apigw_request_release(&r);
}

static void test_own_v1(void **state)
{
	static const unsigned char png[] = {0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0a};
	struct apigw_request r;

	apigw_fixture_parse(APIGW_OWN_DIR "/v1-put-binary-iam.json", &r);
	assert_int_equal(r.version, APIGW_V1);
	assert_string_equal(r.method, "PUT");
	assert_string_equal(r.path, "/objects/photos/cat%20one.png");
	assert_string_equal(r.route, "/objects/{key+}");
	assert_string_equal(apigw_path_param(&r, "key"), "photos/cat one.png");
	/* multiValueQueryStringParameters is preferred over queryStringParameters. */
	assert_int_equal(r.n_query, 3);
	assert_string_equal(apigw_fixture_query_nth(&r, "tag", 0), "a");
	assert_string_equal(apigw_fixture_query_nth(&r, "tag", 1), "b c");
	assert_string_equal(apigw_query(&r, "overwrite"), "true");
	assert_null(apigw_query(&r, "Tag"));
	assert_string_equal(r.raw_query, "tag=a&tag=b%20c&overwrite=true");
	/* multiValueHeaders is preferred over headers. */
	assert_int_equal(r.n_headers, 5);
	assert_string_equal(apigw_header(&r, "x-multi"), "one");
	assert_string_equal(r.headers[2].value, "two");
	assert_null(apigw_header(&r, "x-missing"));
	/* Cookies come from the Cookie header. */
	assert_int_equal(r.n_cookies, 2);
	assert_string_equal(r.cookies[0], "session=abc");
	assert_string_equal(r.cookies[1], "theme=dark");
	assert_string_equal(apigw_cookie(&r, "theme"), "dark");
	assert_null(apigw_cookie(&r, "missing"));
	/* The base64 body is decoded, NUL byte included. */
	assert_true(r.body_base64);
	assert_int_equal(r.body_len, sizeof(png));
	assert_memory_equal(r.body, png, sizeof(png));
	assert_string_equal(r.ctx.request_id, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	assert_string_equal(r.ctx.stage, "Prod");
	assert_string_equal(r.ctx.source_ip, "203.0.113.7");
	assert_string_equal(r.ctx.user_agent, "sluice-test/1.0");
	assert_string_equal(r.ctx.account_id, "111122223333");
	assert_string_equal(r.ctx.api_id, "abc123defg");
	assert_string_equal(r.ctx.access_key, "AKIDEXAMPLE");
	assert_string_equal(r.ctx.user_arn, "arn:aws:iam::111122223333:user/alice");
	assert_string_equal(r.ctx.caller, "AIDACKCEVSQ6C2EXAMPLE");
	assert_null(r.ctx.authorizer); /* null counts as absent */
	assert_int_equal(r.ctx.time_epoch_ms, 1428582896000);
	apigw_request_release(&r);
	apigw_request_release(&r); /* twice is safe */
}

static void test_own_v2(void **state)
{
	struct apigw_request r;

	apigw_fixture_parse(APIGW_OWN_DIR "/v2-get-jwt.json", &r);
	assert_int_equal(r.version, APIGW_V2);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/objects/docs/read%20me.txt");
	assert_string_equal(r.route, "GET /objects/{key+}");
	assert_string_equal(apigw_path_param(&r, "key"), "docs/read me.txt");
	/* rawQueryString is split and decoded, in order, repeated names kept apart. */
	assert_int_equal(r.n_query, 6);
	assert_int_equal(apigw_fixture_query_count(&r, "tag"), 2);
	assert_string_equal(apigw_fixture_query_nth(&r, "tag", 0), "a");
	assert_string_equal(apigw_fixture_query_nth(&r, "tag", 1), "b c");
	assert_string_equal(apigw_query(&r, "plus"), "x y");
	assert_string_equal(apigw_query(&r, "empty"), "");
	assert_string_equal(apigw_query(&r, "flag"), "");
	assert_string_equal(apigw_query(&r, "bad"), "%zz"); /* kept as sent */
	/* 2.0 headers keep their comma-joined values. */
	assert_string_equal(apigw_header(&r, "X-Multi"), "one,two");
	assert_int_equal(r.n_cookies, 2);
	assert_string_equal(apigw_cookie(&r, "session"), "xyz");
	assert_true(r.body_base64);
	assert_int_equal(r.body_len, 9);
	assert_string_equal(r.body, "hello \xe2\x9c\x93");
	assert_string_equal(r.ctx.request_id, "JKJaXmPLvHcESHA=");
	assert_string_equal(r.ctx.source_ip, "198.51.100.23");
	assert_string_equal(r.ctx.user_agent, "curl/8.5.0");
	assert_string_equal(r.ctx.domain_name, "api.example.com");
	assert_int_equal(r.ctx.time_epoch_ms, 1710057600123);
	assert_string_equal(json_string_value(json_object_get(r.ctx.jwt_claims, "sub")), "user-42");
	assert_string_equal(json_string_value(json_array_get(r.ctx.jwt_scopes, 0)), "objects.read");
	assert_string_equal(r.ctx.access_key, "");
	apigw_request_release(&r);

	apigw_fixture_parse(APIGW_OWN_DIR "/v2-sam-post.json", &r);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.route, "POST /messages");
	assert_int_equal(r.n_query, 0);
	assert_int_equal(r.n_cookies, 0);
	assert_int_equal(r.n_path_params, 0);
	assert_string_equal(r.body, "{\"text\":\"hi\"}");
	assert_false(r.body_base64);
	assert_int_equal(r.ctx.time_epoch_ms, 1706443748000);
	assert_null(r.ctx.authorizer);
	apigw_request_release(&r);
}

/* The version guessed from the shape when "version" is absent; defaults for absent members. */
static void test_minimal_events(void **state)
{
	struct apigw_request r;
	char why[128];

	assert_int_equal(
		apigw_parse_event(LIT("{\"httpMethod\":\"DELETE\"}"), &r, why, sizeof(why)), 0);
	assert_int_equal(r.version, APIGW_V1);
	assert_string_equal(r.method, "DELETE");
	assert_string_equal(r.path, "/");
	assert_string_equal(r.route, "");
	assert_string_equal(r.raw_query, "");
	assert_string_equal(r.body, "");
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.ctx.request_id, "");
	assert_int_equal(r.ctx.time_epoch_ms, 0);
	apigw_request_release(&r);

	assert_int_equal(apigw_parse_event(LIT("{\"requestContext\":{\"http\":{\"method\":\"HEAD\","
					       "\"path\":\"/p\"}},\"queryStringParameters\":"
					       "{\"a\":\"1 2\"}}"),
					   &r, why, sizeof(why)),
			 0);
	assert_int_equal(r.version, APIGW_V2);
	assert_string_equal(r.path, "/p"); /* from requestContext.http.path */
	assert_string_equal(apigw_query(&r, "a"), "1 2");
	assert_string_equal(r.raw_query, "a=1%202");
	apigw_request_release(&r);
}

static void expect_bad_event(const char *json, size_t len, const char *why_part)
{
	struct apigw_request r;
	char why[256] = "";

	memset(&r, 0x5a, sizeof(r));
	int err = apigw_parse_event(json, len, &r, why, sizeof(why));
	if (err != ERR_PARSE)
		fail_msg("expected ERR_PARSE, got %d for %.80s", err, json);
	if (!strstr(why, why_part))
		fail_msg("reason \"%s\" lacks \"%s\"", why, why_part);
	assert_null(r.event);
	apigw_request_release(&r);
}

#define BAD(json, why) expect_bad_event(LIT(json), why)

static void test_malformed_events(void **state)
{
	BAD("", "not JSON");
	BAD("{\"httpMethod\":\"GET\"", "not JSON");
	BAD("[1,2]", "not a JSON object");
	BAD("\"GET\"", "not a JSON object");
	BAD("{}", "no httpMethod");
	BAD("{\"version\":\"1.0\"}", "httpMethod");
	BAD("{\"version\":\"1.0\",\"httpMethod\":5}", "httpMethod");
	BAD("{\"version\":\"1.0\",\"httpMethod\":\"\"}", "httpMethod");
	BAD("{\"version\":\"2.0\",\"requestContext\":{\"http\":{}}}", "http.method");
	BAD("{\"version\":\"2.0\",\"requestContext\":{\"http\":\"GET\"}}", "http is not an object");
	BAD("{\"version\":\"2.0\",\"requestContext\":[]}", "requestContext is not an object");
	BAD("{\"version\":\"3.0\",\"httpMethod\":\"GET\"}", "unsupported payload version");
	BAD("{\"version\":2,\"httpMethod\":\"GET\"}", "version is not a string");
	BAD("{\"httpMethod\":\"GET\",\"path\":[]}", "path is not a string");
	BAD("{\"httpMethod\":\"GET\",\"headers\":{\"a\":1}}", "headers.a is not a string");
	BAD("{\"httpMethod\":\"GET\",\"headers\":[]}", "headers is not an object");
	BAD("{\"httpMethod\":\"GET\",\"multiValueHeaders\":{\"a\":\"x\"}}", "not an array");
	BAD("{\"httpMethod\":\"GET\",\"multiValueHeaders\":{\"a\":[1]}}", "not a string");
	BAD("{\"httpMethod\":\"GET\",\"multiValueQueryStringParameters\":[]}", "not an object");
	BAD("{\"httpMethod\":\"GET\",\"pathParameters\":{\"k\":{}}}", "pathParameters.k");
	BAD("{\"httpMethod\":\"GET\",\"body\":5}", "body is not a string");
	BAD("{\"httpMethod\":\"GET\",\"body\":\"x\",\"isBase64Encoded\":\"true\"}", "boolean");
	BAD("{\"httpMethod\":\"GET\",\"body\":\"aGk\",\"isBase64Encoded\":true}", "base64");
	BAD("{\"httpMethod\":\"GET\",\"body\":\"a*==\",\"isBase64Encoded\":true}", "base64");
	BAD("{\"httpMethod\":\"GET\",\"requestContext\":{\"requestId\":7}}", "requestId");
	BAD("{\"httpMethod\":\"GET\",\"requestContext\":{\"identity\":\"x\"}}", "identity");
	BAD("{\"httpMethod\":\"GET\",\"requestContext\":{\"requestTimeEpoch\":\"1\"}}",
	    "requestTimeEpoch is not a number");
	BAD("{\"httpMethod\":\"GET\",\"requestContext\":{\"requestTimeEpoch\":1e300}}",
	    "out of range");
	BAD("{\"httpMethod\":\"GET\",\"requestContext\":{\"requestTimeEpoch\":-5}}",
	    "out of range");
	BAD("{\"httpMethod\":\"GET\",\"requestContext\":{\"authorizer\":[]}}", "authorizer");
	BAD("{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"}},"
	    "\"cookies\":\"a=b\"}",
	    "cookies is not an array");
	BAD("{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"}},"
	    "\"cookies\":[1]}",
	    "cookies");
	BAD("{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"},"
	    "\"authorizer\":{\"jwt\":{\"scopes\":\"a\"}}}}",
	    "scopes");
	BAD("{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"}},"
	    "\"rawQueryString\":5}",
	    "rawQueryString");
	/* A NUL byte is refused wherever a string is read as a C string... */
	BAD("{\"httpMethod\":\"G\\u0000ET\"}", "httpMethod");
	BAD("{\"httpMethod\":\"GET\",\"path\":\"/a\\u0000b\"}", "path holds a NUL byte");
	BAD("{\"httpMethod\":\"GET\",\"headers\":{\"h\":\"a\\u0000\"}}",
	    "headers.h holds a NUL byte");
	/* ...and kept whole, with its length, in path and query values. */
	struct apigw_request r;
	assert_int_equal(apigw_parse_event(LIT("{\"httpMethod\":\"GET\",\"pathParameters\":"
					       "{\"name\":\"a\\u0000b\"},\"queryStringParameters\":"
					       "{\"q\":\"\\u0000\"}}"),
					   &r, NULL, 0),
			 0);
	assert_int_equal(apigw_path_param_str(&r, "name").len, 3);
	assert_string_equal(apigw_path_param(&r, "name"), "a"); /* the C string stops there */
	assert_int_equal(apigw_query_str(&r, "q").len, 1);
	apigw_request_release(&r);
	/* Invalid UTF-8 too. */
	BAD("{\"httpMethod\":\"\xff\"}", "not JSON");
	/* No input at all. */
	expect_bad_event(NULL, 0, "no event");
	expect_bad_event("{}", APIGW_EVENT_MAX + 1, "larger than");
}

/* Events that pass the caps: many headers, values, parameters, cookies; deep junk. */
static void test_event_caps(void **state)
{
	struct buf b;
	buf_init(&b, BUF_NOCAP);

	/* 10,000 single-valued headers. */
	assert_int_equal(buf_adds(&b, "{\"httpMethod\":\"GET\",\"headers\":{"), 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_addf(&b, "%s\"h%d\":\"v\"", i ? "," : "", i), 0);
	assert_int_equal(buf_adds(&b, "}}"), 0);
	expect_bad_event(b.ptr, b.len, "more than 512 entries");

	/* 10,000 values of one multi-valued header. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "{\"httpMethod\":\"GET\",\"multiValueHeaders\":{\"h\":["), 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_addf(&b, "%s\"v\"", i ? "," : ""), 0);
	assert_int_equal(buf_adds(&b, "]}}"), 0);
	expect_bad_event(b.ptr, b.len, "more than 512 values");

	/* 2.0 raw query with 5,000 parameters; exactly the cap passes. */
	for (int n = APIGW_QUERY_MAX; n <= 5000; n += 5000 - APIGW_QUERY_MAX) {
		buf_reset(&b);
		assert_int_equal(buf_adds(&b, "{\"version\":\"2.0\",\"requestContext\":{\"http\":"
					      "{\"method\":\"GET\"}},\"rawQueryString\":\""),
				 0);
		for (int i = 0; i < n; i++)
			assert_int_equal(buf_addf(&b, "%sq%d=%d", i ? "&" : "", i, i), 0);
		assert_int_equal(buf_adds(&b, "\"}"), 0);
		if (n > APIGW_QUERY_MAX) {
			expect_bad_event(b.ptr, b.len, "more than 1024 parameters");
			continue;
		}
		struct apigw_request r;
		assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, NULL, 0), 0);
		assert_int_equal(r.n_query, APIGW_QUERY_MAX);
		assert_string_equal(apigw_query(&r, "q1023"), "1023");
		apigw_request_release(&r);
	}

	/* 1,000 cookies in one Cookie header. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "{\"httpMethod\":\"GET\",\"headers\":{\"Cookie\":\""), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, "c%d=%d; ", i, i), 0);
	assert_int_equal(buf_adds(&b, "\"}}"), 0);
	expect_bad_event(b.ptr, b.len, "more than 256 cookies");

	/* Deeply nested junk: 100,000 arrays under an unread member. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "{\"httpMethod\":\"GET\",\"junk\":"), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_addch(&b, '['), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_addch(&b, ']'), 0);
	assert_int_equal(buf_adds(&b, "}"), 0);
	expect_bad_event(b.ptr, b.len, "not JSON");

	/* Nested junk within the parser's depth limit in an unread member is ignored. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "{\"httpMethod\":\"GET\",\"junk\":"), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(buf_adds(&b, "{\"a\":["), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(buf_adds(&b, "]}"), 0);
	assert_int_equal(buf_adds(&b, "}"), 0);
	struct apigw_request r;
	assert_int_equal(apigw_parse_event(b.ptr, b.len, &r, NULL, 0), 0);
	assert_string_equal(r.method, "GET");
	apigw_request_release(&r);
	buf_release(&b);
}

static void expect_json(const struct apigw_response *resp, int version, const char *want)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(apigw_response_to_json(resp, version, &b), 0);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_response_json(void **state)
{
	struct apigw_response r;

	apigw_response_init(&r);
	r.status = 201;
	assert_int_equal(apigw_response_add_header(&r, "Content-Type", "application/json"), 0);
	assert_int_equal(apigw_response_add_header(&r, "X-A", "1"), 0);
	assert_int_equal(apigw_response_add_header(&r, "set-cookie", "a=b; Path=/"), 0);
	assert_int_equal(apigw_response_add_header(&r, "x-a", "2"), 0);
	assert_int_equal(apigw_response_add_cookie(&r, "c=d"), 0);
	assert_int_equal(apigw_response_set_body(&r, LIT("{\"ok\":true}")), 0);
	assert_int_equal(r.n_headers, 3);
	assert_int_equal(r.n_cookies, 2);
	assert_string_equal(apigw_response_header(&r, "x-A"), "1");
	expect_json(&r, APIGW_V1,
		    "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"application/json\","
		    "\"X-A\":\"1\"},\"multiValueHeaders\":{\"Content-Type\":[\"application/json\"],"
		    "\"X-A\":[\"1\",\"2\"],\"Set-Cookie\":[\"a=b; Path=/\",\"c=d\"]},"
		    "\"body\":\"{\\\"ok\\\":true}\",\"isBase64Encoded\":false}");
	expect_json(&r, APIGW_V2,
		    "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"application/json\","
		    "\"X-A\":\"1,2\"},\"cookies\":[\"a=b; Path=/\",\"c=d\"],"
		    "\"body\":\"{\\\"ok\\\":true}\",\"isBase64Encoded\":false}");
	apigw_response_release(&r);

	/* An empty response. */
	apigw_response_init(&r);
	r.status = 204;
	expect_json(&r, APIGW_V1,
		    "{\"statusCode\":204,\"headers\":{},\"multiValueHeaders\":{},\"body\":\"\","
		    "\"isBase64Encoded\":false}");
	expect_json(&r, APIGW_V2,
		    "{\"statusCode\":204,\"headers\":{},\"body\":\"\",\"isBase64Encoded\":false}");
	struct buf b;
	buf_init(&b, 64);
	assert_int_equal(apigw_response_to_json(&r, 3, &b), ERR_INVAL);
	buf_release(&b);

	/* A binary content type gives base64. */
	assert_int_equal(apigw_response_add_header(&r, "Content-Type", "image/png"), 0);
	assert_int_equal(apigw_response_set_body(&r, LIT("\x89PNG")), 0);
	r.status = 200;
	expect_json(&r, APIGW_V2,
		    "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"image/png\"},"
		    "\"body\":\"iVBORw==\",\"isBase64Encoded\":true}");
	apigw_response_release(&r);

	/* Bytes that are not UTF-8 are base64 whatever the type; so is a forced binary. */
	apigw_response_init(&r);
	assert_int_equal(apigw_response_add_header(&r, "Content-Type", "text/plain"), 0);
	assert_int_equal(apigw_response_set_body(&r, LIT("a\xff")), 0);
	expect_json(&r, APIGW_V1,
		    "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"},"
		    "\"multiValueHeaders\":{\"Content-Type\":[\"text/plain\"]},"
		    "\"body\":\"Yf8=\",\"isBase64Encoded\":true}");
	assert_int_equal(apigw_response_set_body(&r, LIT("hi")), 0);
	r.binary = true;
	expect_json(&r, APIGW_V2,
		    "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"},"
		    "\"body\":\"aGk=\",\"isBase64Encoded\":true}");
	r.binary = false;
	expect_json(&r, APIGW_V2,
		    "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"},"
		    "\"body\":\"hi\",\"isBase64Encoded\":false}");
	apigw_response_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_events),	 cmocka_unit_test(test_own_v1),
		cmocka_unit_test(test_own_v2),		 cmocka_unit_test(test_minimal_events),
		cmocka_unit_test(test_malformed_events), cmocka_unit_test(test_event_caps),
		cmocka_unit_test(test_response_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
