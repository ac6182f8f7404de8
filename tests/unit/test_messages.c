/*
 * Unit tests for the messages function (src/app/messages.c) over the
 * in-memory store: API Gateway 2.0 events (and one 1.0) go through
 * messages_function.handle(), and the tests read back statuses, headers and
 * exact bodies: every status, the 4096/4097 code point boundary with
 * multi-byte characters, invalid UTF-8, the count after N posts, idempotent
 * replays of one request id, and the token and id derivations.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/app.h"
#include "apptest.h"
#include "app/messages.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "lambda/apigw.h"

#define TABLE	     "messages-test"
#define REQ_TIME_MS  1700000000123LL /* 2023-11-14T22:13:20.123Z */
#define REQ_TIME_TXT "2023-11-14T22:13:20.123Z"

struct fixture {
	void *state;
	struct messages_store store; /* the same ctx as the state's copy */
	char *log_text;
	size_t log_len;
	FILE *log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(messages_store_mem_init(&f->store), 0);
	assert_int_equal(messages_state_new(TABLE, &f->store, &f->state), 0);
	apptest_logs_capture(&f->log, &f->log_text, &f->log_len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	messages_state_free(f->state);
	apptest_logs_release(f->log, &f->log_text);
	free(f);
	return 0;
}

/* ---- Events and answers ---------------------------------------------------------------- */

struct req {
	const char *method;
	const char *path;
	const char *content_type; /* NULL: none */
	const char *body;	  /* NULL: none */
	size_t body_len;	  /* 0: strlen(body) */
	const char *request_id;	  /* NULL: "req-1" */
	bool base64;
};

/* A payload format 2.0 event, as an HTTP API sends it for a "POST /messages" route. */
static char *event_v2(const struct req *r)
{
	json_t *headers = json_pack("{s:s,s:s}", "host", "abc.execute-api.eu-west-1.amazonaws.com",
				    "user-agent", "curl/8.5.0");
	size_t len = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0;
	json_t *body = apptest_body_value(r->body, len, r->base64);

	if (r->content_type)
		json_object_set_new(headers, "content-type", json_string(r->content_type));
	json_t *ev = json_pack(
		"{s:s,s:s,s:s,s:s,s:o,s:{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s},s:s,s:s,s:I},s:o,s:b}",
		"version", "2.0", "routeKey", "ANY /messages", "rawPath", r->path, "rawQueryString",
		"", "headers", headers, "requestContext", "accountId", "123456789012", "apiId",
		"abc", "domainName", "abc.execute-api.eu-west-1.amazonaws.com", "http", "method",
		r->method, "path", r->path, "protocol", "HTTP/1.1", "sourceIp", "198.51.100.7",
		"requestId", r->request_id ? r->request_id : "req-1", "stage", "$default",
		"timeEpoch", (json_int_t)REQ_TIME_MS, "body", body, "isBase64Encoded", r->base64);
	assert_non_null(ev);
	char *text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

struct answer {
	json_t *json;
	int status;
	const char *body; /* borrowed from json */
};

static void run_event(struct fixture *f, const char *event, struct answer *a)
{
	const struct lambda_function *fn = app_function_find("messages");
	const struct lambda_context ctx = {"lambda-1", "arn:aws:lambda:eu-west-1:1:function:m", "",
					   0};

	assert_ptr_equal(fn, &messages_function);
	a->json = apptest_invoke(fn, f->state, event, &ctx);
	a->status = (int)json_integer_value(json_object_get(a->json, "statusCode"));
	a->body = jsonx_str(a->json, "body");
	assert_non_null(a->body);
	assert_false(json_is_true(json_object_get(a->json, "isBase64Encoded")));
}

static void run(struct fixture *f, const struct req *r, struct answer *a)
{
	char *ev = event_v2(r);
	run_event(f, ev, a);
	free(ev);
}

static const char *header(const struct answer *a, const char *name)
{
	return jsonx_str(json_object_get(a->json, "headers"), name);
}

static void expect_error(struct fixture *f, const struct req *r, int status, const char *code,
			 const char *message)
{
	struct answer a;

	run(f, r, &a);
	apptest_assert_error(a.status, a.body, header(&a, "Content-Type"), status, code, message);
	json_decref(a.json);
}

/* POST {"message": text} with request id `rid`; the answer's status. */
static int post(struct fixture *f, const char *rid, const char *text, struct answer *a)
{
	json_t *doc = json_pack("{s:s}", "message", text);
	char *body = json_dumps(doc, JSON_COMPACT);

	run(f,
	    &(struct req){.method = "POST",
			  .path = "/messages",
			  .content_type = "application/json",
			  .body = body,
			  .request_id = rid},
	    a);
	free(body);
	json_decref(doc);
	return a->status;
}

static long long get_count(struct fixture *f)
{
	struct answer a;
	long long n;

	run(f, &(struct req){.method = "GET", .path = "/messages"}, &a);
	assert_int_equal(a.status, 200);
	json_t *doc = jsonx_parse(a.body, strlen(a.body), NULL, 0);
	assert_non_null(doc);
	assert_int_equal(json_object_size(doc), 1);
	n = json_integer_value(json_object_get(doc, "count"));
	json_decref(doc);
	json_decref(a.json);
	return n;
}

/* ---- Tests ------------------------------------------------------------------------------ */

static void test_create_and_get(void **state)
{
	struct fixture *f = *state;
	struct answer a, g;
	char id[UUID_STR_LEN + 1], want[512], path[64];

	assert_int_equal(messages_id_from_request("req-1", id), 0);
	assert_int_equal(post(f, "req-1", "hello, world", &a), 201);
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"message\":\"hello, world\",\"createdAt\":\"" REQ_TIME_TXT "\"}",
		 id);
	assert_string_equal(a.body, want);
	snprintf(path, sizeof(path), "/messages/%s", id);
	assert_string_equal(header(&a, "Location"), path);
	assert_string_equal(header(&a, "Content-Type"), "application/json");
	json_decref(a.json);

	run(f, &(struct req){.method = "GET", .path = path}, &g);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, want);
	json_decref(g.json);

	/* UUIDs are case-insensitive: the uppercase form finds the same message. */
	for (char *p = path + strlen("/messages/"); *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	run(f, &(struct req){.method = "GET", .path = path}, &g);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, want);
	json_decref(g.json);

	/* HEAD takes the GET route and loses the body. */
	run(f, &(struct req){.method = "HEAD", .path = "/messages"}, &g);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, "");
	json_decref(g.json);
}

static void test_get_errors(void **state)
{
	struct fixture *f = *state;

	expect_error(f,
		     &(struct req){.method = "GET",
				   .path = "/messages/00000000-0000-4000-8000-000000000000"},
		     404, "NotFound", "no message has this id");
	expect_error(f, &(struct req){.method = "GET", .path = "/messages/not-a-uuid"}, 400,
		     "InvalidId", "the id is not a UUID");
	expect_error(f,
		     &(struct req){.method = "GET",
				   .path = "/messages/00000000-0000-4000-8000-00000000000g"},
		     400, "InvalidId", "the id is not a UUID");
	expect_error(f,
		     &(struct req){.method = "GET",
				   .path = "/messages/00000000-0000-4000-8000-0000000000000"},
		     400, "InvalidId", "the id is not a UUID");
	expect_error(f, &(struct req){.method = "DELETE", .path = "/messages"}, 405,
		     "MethodNotAllowed",
		     "the method is not allowed on this path; see the Allow header");
	expect_error(f, &(struct req){.method = "GET", .path = "/objects"}, 404, "NotFound",
		     "no route matches the request path");
}

/* A body of `n` copies of the UTF-8 character `ch` (1 to 4 bytes). */
static char *repeat(const char *ch, size_t n)
{
	size_t w = strlen(ch);
	char *s = malloc(n * w + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * w, ch, w);
	s[n * w] = '\0';
	return s;
}

static void test_length_limits(void **state)
{
	struct fixture *f = *state;
	static const char *const chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	struct answer a;
	char rid[32];

	for (size_t i = 0; i < ARRAY_SIZE(chars); i++) {
		char *ok = repeat(chars[i], MESSAGES_TEXT_MAX);
		char *over = repeat(chars[i], MESSAGES_TEXT_MAX + 1);
		snprintf(rid, sizeof(rid), "len-%zu", i);
		assert_int_equal(post(f, rid, ok, &a), 201);
		json_t *doc = jsonx_parse(a.body, strlen(a.body), NULL, 0);
		assert_string_equal(jsonx_str(doc, "message"), ok);
		json_decref(doc);
		json_decref(a.json);
		snprintf(rid, sizeof(rid), "over-%zu", i);
		assert_int_equal(post(f, rid, over, &a), 400);
		assert_string_equal(a.body, "{\"error\":{\"code\":\"InvalidMessage\",\"message\":"
					    "\"\\\"message\\\" is longer than 4096 characters\"}}");
		json_decref(a.json);
		free(ok);
		free(over);
	}
	assert_int_equal(post(f, "empty", "", &a), 400);
	assert_string_equal(a.body, "{\"error\":{\"code\":\"InvalidMessage\",\"message\":"
				    "\"\\\"message\\\" must not be empty\"}}");
	json_decref(a.json);
	/* The 4096 astral characters as \ud83d\ude00 escapes: 49 KiB of JSON, accepted. */
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	buf_puts(&b, "{\"message\":\"");
	for (int i = 0; i < MESSAGES_TEXT_MAX; i++)
		buf_puts(&b, "\\ud83d\\ude00");
	buf_puts(&b, "\"}");
	assert_int_equal(buf_error(&b), 0);
	run(f,
	    &(struct req){.method = "POST",
			  .path = "/messages",
			  .content_type = "application/json",
			  .body = b.ptr,
			  .request_id = "escaped"},
	    &a);
	assert_int_equal(a.status, 201);
	json_decref(a.json);
	buf_release(&b);
	assert_int_equal(get_count(f), 5);
}

static void test_post_errors(void **state)
{
	struct fixture *f = *state;
	const struct req base = {
		.method = "POST", .path = "/messages", .content_type = "application/json"};
	struct req r;

	r = base;
	r.content_type = "text/plain";
	r.body = "{\"message\":\"hi\"}";
	expect_error(f, &r, 415, "UnsupportedMediaType",
		     "POST /messages takes a body of type application/json");
	r.content_type = NULL;
	expect_error(f, &r, 415, "UnsupportedMediaType",
		     "POST /messages takes a body of type application/json");

	r = base;
	r.base64 = true; /* API Gateway sends bytes that are not UTF-8 as base64 */
	r.body = "{\"message\":\"caf\xc3\"}";
	expect_error(f, &r, 400, "InvalidJson", "the body is not valid UTF-8");
	r.body = "{\"message\":\"\xed\xa0\x80\"}"; /* an encoded surrogate */
	expect_error(f, &r, 400, "InvalidJson", "the body is not valid UTF-8");
	r.body = "{\"message\":\"\xc0\xaf\"}"; /* an overlong '/' */
	expect_error(f, &r, 400, "InvalidJson", "the body is not valid UTF-8");
	r.base64 = false;
	r.body = "{\"message\":\"a\\ud800\"}"; /* a lone surrogate escape */
	struct answer a;
	run(f, &r, &a);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "\"code\":\"InvalidJson\""));
	json_decref(a.json);
	r.body = "{\"message\":\"a\\u0000b\"}"; /* NUL never reaches the store */
	run(f, &r, &a);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "\"code\":\"InvalidJson\""));
	json_decref(a.json);
	r.body = "{\"message\":";
	run(f, &r, &a);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "the body is not valid JSON: "));
	json_decref(a.json);

	r.body = "[\"hi\"]";
	expect_error(f, &r, 400, "InvalidRequest", "the body must be a JSON object");
	r.body = "{}";
	expect_error(f, &r, 400, "InvalidRequest", "\\\"message\\\" is required");
	r.body = "{\"message\":42}";
	expect_error(f, &r, 400, "InvalidRequest", "\\\"message\\\" must be a string");
	r.body = "{\"message\":\"hi\",\"author\":\"x\"}";
	expect_error(f, &r, 400, "InvalidRequest",
		     "the body has an unknown member (expected only \\\"message\\\")");
	r.body = NULL;
	run(f, &r, &a);
	assert_int_equal(a.status, 400);
	json_decref(a.json);

	char *big = repeat(" ", MESSAGES_BODY_MAX + 1);
	r.body = big;
	expect_error(f, &r, 413, "PayloadTooLarge", "the body is larger than 64 KiB");
	free(big);

	/* A base64-encoded body is decoded first; charset parameters are accepted. */
	r = base;
	r.content_type = "Application/JSON; charset=utf-8";
	r.body = "{\"message\":\"b64\"}";
	r.base64 = true;
	run(f, &r, &a);
	assert_int_equal(a.status, 201);
	json_decref(a.json);
	assert_int_equal(get_count(f), 1);
}

static void test_count_and_idempotency(void **state)
{
	struct fixture *f = *state;
	struct messages_mem_stats st;
	struct answer a, b;
	char rid[32];

	assert_int_equal(get_count(f), 0);
	for (int i = 0; i < 25; i++) {
		snprintf(rid, sizeof(rid), "req-%d", i);
		assert_int_equal(post(f, rid, "counted", &a), 201);
		json_decref(a.json);
	}
	assert_int_equal(get_count(f), 25);

	/* The same request again (a retried invocation): same answer, not counted twice. */
	assert_int_equal(post(f, "replayed", "once", &a), 201);
	assert_int_equal(post(f, "replayed", "once", &b), 201);
	assert_string_equal(a.body, b.body);
	json_decref(a.json);
	json_decref(b.json);
	assert_int_equal(get_count(f), 26);
	messages_store_mem_stats(&f->store, &st);
	assert_int_equal(st.creates, 27);
	assert_int_equal(st.writes, 26);

	/* The same request id with another message: a conflict, nothing written. */
	assert_int_equal(post(f, "replayed", "twice", &a), 409);
	assert_string_equal(a.body, "{\"error\":{\"code\":\"Conflict\",\"message\":\"this request "
				    "id was already used for another message\"}}");
	json_decref(a.json);
	assert_int_equal(get_count(f), 26);
}

/* Past the token window, the id condition still stops a second write (ERR_PRECONDITION). */
static int fake_create_exists(void *ctx, const char *table, const struct message *m,
			      const char *token, int64_t deadline_ms)
{
	return ERR_PRECONDITION;
}

static void test_replay_after_token_window(void **state)
{
	struct fixture *f = *state;
	struct messages_store s = f->store, expired;
	void *st2;
	struct answer a, b;

	assert_int_equal(post(f, "old-request", "first", &a), 201);
	/* A second state over the same memory store, whose create() says "id taken". */
	expired = s;
	expired.create = fake_create_exists;
	expired.release = NULL;
	assert_int_equal(messages_state_new(TABLE, &expired, &st2), 0);
	void *saved = f->state;
	f->state = st2;
	assert_int_equal(post(f, "old-request", "first", &b), 201);
	assert_string_equal(a.body, b.body);
	json_decref(b.json);
	assert_int_equal(post(f, "old-request", "other text", &b), 409);
	assert_string_equal(b.body, "{\"error\":{\"code\":\"Conflict\",\"message\":\"a message "
				    "with this id exists already\"}}");
	json_decref(b.json);
	f->state = saved;
	messages_state_free(st2);
	json_decref(a.json);
}

static void test_store_failures(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	messages_store_mem_fail_next(&f->store, ERR_THROTTLED);
	assert_int_equal(post(f, "t1", "x", &a), 503);
	assert_string_equal(a.body, "{\"error\":{\"code\":\"StorageThrottled\",\"message\":\"the "
				    "storage service is throttling requests; retry later\"}}");
	assert_string_equal(header(&a, "Retry-After"), "1");
	json_decref(a.json);

	messages_store_mem_fail_next(&f->store, ERR_TIMEOUT);
	expect_error(f, &(struct req){.method = "GET", .path = "/messages"}, 502, "StorageError",
		     "the storage service did not answer in time");
	messages_store_mem_fail_next(&f->store, ERR_REMOTE);
	expect_error(f,
		     &(struct req){.method = "GET",
				   .path = "/messages/00000000-0000-4000-8000-000000000000"},
		     502, "StorageError", "the storage service failed");
	messages_store_mem_fail_next(&f->store, ERR_NOMEM);
	expect_error(f, &(struct req){.method = "GET", .path = "/messages"}, 500, "InternalError",
		     "the request failed");
	/* The failed POST wrote nothing. */
	assert_int_equal(get_count(f), 0);
}

static void test_derivations(void **state)
{
	char token[MESSAGES_TOKEN_LEN + 1], id[UUID_STR_LEN + 1], id2[UUID_STR_LEN + 1];
	char hex[2 * SHA256_LEN + 1];

	/* The token: the first 36 hex digits of SHA-256 of the request id. */
	messages_request_token("JKJaXmPLvHcESHA=", token);
	sha256_hex("JKJaXmPLvHcESHA=", 16, hex);
	assert_int_equal(strlen(token), 36);
	assert_memory_equal(token, hex, 36);
	messages_request_token("abc", token);
	/* sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad */
	assert_string_equal(token, "ba7816bf8f01cfea414140de5dae2223b003");
	messages_request_token("", token);
	assert_string_equal(token, "");
	messages_request_token(NULL, token);
	assert_string_equal(token, "");

	/* The id: stable, a valid v4 layout, and not the token's bits. */
	assert_int_equal(messages_id_from_request("abc", id), 0);
	assert_int_equal(messages_id_from_request("abc", id2), 0);
	assert_string_equal(id, id2);
	assert_true(uuid_valid(id, strlen(id)));
	assert_int_equal(id[14], '4');
	assert_non_null(strchr("89ab", id[19]));
	assert_true(strncmp(id, "ba7816bf", 8) != 0);
	assert_int_equal(messages_id_from_request("abd", id2), 0);
	assert_string_not_equal(id, id2);
	/* Without a request id: random v4 ids. */
	assert_int_equal(messages_id_from_request("", id), 0);
	assert_int_equal(messages_id_from_request(NULL, id2), 0);
	assert_true(uuid_valid(id, UUID_STR_LEN) && uuid_valid(id2, UUID_STR_LEN));
	assert_string_not_equal(id, id2);

	assert_int_equal(utf8_count("", 0), 0);
	assert_int_equal(utf8_count("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 4);
}

static void test_init_requires_table(void **state)
{
	struct lambda_error lerr;
	void *st = NULL;
	char *saved = getenv("MESSAGES_TABLE") ? strdup(getenv("MESSAGES_TABLE")) : NULL;

	unsetenv("MESSAGES_TABLE");
	memset(&lerr, 0, sizeof(lerr));
	assert_int_not_equal(messages_function.init(&st, &lerr), 0);
	assert_string_equal(lerr.type, "Runtime.ConfigError");
	assert_string_equal(lerr.message, "MESSAGES_TABLE is not set");
	setenv("MESSAGES_TABLE", "", 1);
	assert_int_not_equal(messages_function.init(&st, &lerr), 0);
	assert_string_equal(lerr.message, "MESSAGES_TABLE is not set");
	assert_null(st);
	if (saved)
		setenv("MESSAGES_TABLE", saved, 1);
	else
		unsetenv("MESSAGES_TABLE");
	free(saved);
	assert_int_equal(messages_state_new("", &(struct messages_store){0}, &st), ERR_INVAL);
}

static void test_v1_event_and_log(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	const char *ev =
		"{\"version\":\"1.0\",\"resource\":\"/messages\",\"path\":\"/messages\","
		"\"httpMethod\":\"POST\",\"headers\":{\"Content-Type\":\"application/json\"},"
		"\"multiValueHeaders\":{\"Content-Type\":[\"application/json\"]},"
		"\"requestContext\":{\"requestId\":\"v1-req\",\"requestTimeEpoch\":1700000000123,"
		"\"stage\":\"Prod\"},\"body\":\"{\\\"message\\\":\\\"from REST\\\"}\","
		"\"isBase64Encoded\":false}";

	run_event(f, ev, &a);
	assert_int_equal(a.status, 201);
	assert_non_null(json_object_get(a.json, "multiValueHeaders"));
	assert_non_null(strstr(a.body, "\"createdAt\":\"" REQ_TIME_TXT "\""));
	json_decref(a.json);
	fflush(f->log);
	assert_non_null(strstr(f->log_text, "\"route\":\"POST /messages\""));
	assert_non_null(strstr(f->log_text, "\"status\":201"));
	assert_null(strstr(f->log_text, "from REST")); /* never the content */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_and_get),
		T(test_get_errors),
		T(test_length_limits),
		T(test_post_errors),
		T(test_count_and_idempotency),
		T(test_replay_after_token_window),
		T(test_store_failures),
		cmocka_unit_test(test_derivations),
		cmocka_unit_test(test_init_requires_table),
		T(test_v1_event_and_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
