/*
 * Unit tests for the objects function (src/app/objects.c) and the shared
 * pipeline (serve.c), with no S3: API Gateway events of both payload
 * versions, shaped as AWS sends them, go through objects_function.handle()
 * over an in-memory store, and the tests read back the Lambda response JSON:
 * statuses, headers, exact bodies, the echoed and redacted event, base64
 * round trips, the limits, conditional writes, paging and the log line.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/app.h"
#include "app/health.h"
#include "apptest.h"
#include "app/objects.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "lambda/apigw.h"

#define BUCKET		"test-bucket"
#define MEM_MAX_OBJECTS 64
#define MEM_MTIME_MS	1700000000123LL /* 2023-11-14T22:13:20.123Z */

/* ---- An in-memory store -------------------------------------------------------------- */

struct mem_obj {
	char *key;
	struct buf data;
	char content_type[256];
	char etag[128];
};

struct memstore {
	struct mem_obj objs[MEM_MAX_OBJECTS]; /* sorted by key */
	size_t n;
	int fail_next; /* error code the next call returns, then 0 again */
	int puts, create_only_puts;
	char last_bucket[64];
};

static int mem_fail(struct memstore *m, const char *bucket)
{
	int err = m->fail_next;
	snprintf(m->last_bucket, sizeof(m->last_bucket), "%s", bucket);
	m->fail_next = 0;
	return err;
}

static struct mem_obj *mem_find(struct memstore *m, const char *key, size_t *pos)
{
	size_t i = 0;
	while (i < m->n && strcmp(m->objs[i].key, key) < 0)
		i++;
	if (pos)
		*pos = i;
	return i < m->n && strcmp(m->objs[i].key, key) == 0 ? &m->objs[i] : NULL;
}

static void mem_meta(const struct mem_obj *o, struct objects_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	snprintf(meta->content_type, sizeof(meta->content_type), "%s", o->content_type);
	snprintf(meta->etag, sizeof(meta->etag), "%s", o->etag);
	meta->size = o->data.len;
	meta->last_modified_ms = MEM_MTIME_MS;
}

static int mem_put(void *ctx, const char *bucket, const char *key, const void *data, size_t len,
		   const char *content_type, bool create_only, int64_t deadline_ms,
		   struct objects_meta *out)
{
	struct memstore *m = ctx;
	size_t pos;
	int err = mem_fail(m, bucket);
	if (err)
		return err;
	m->puts++;
	m->create_only_puts += create_only;
	struct mem_obj *o = mem_find(m, key, &pos);
	if (o && create_only)
		return ERR_PRECONDITION;
	if (!o) {
		assert_true(m->n < MEM_MAX_OBJECTS);
		memmove(&m->objs[pos + 1], &m->objs[pos], (m->n - pos) * sizeof(m->objs[0]));
		o = &m->objs[pos];
		m->n++;
		o->key = strdup(key);
		buf_init(&o->data, OBJECTS_CONTENT_MAX);
	}
	buf_reset(&o->data);
	assert_int_equal(buf_add(&o->data, data, len), 0);
	snprintf(o->content_type, sizeof(o->content_type), "%s", content_type);
	uint8_t d[MD5_LEN];
	char hex[2 * MD5_LEN + 1];
	md5(data, len, d);
	hex_lower(hex, d, sizeof(d));
	snprintf(o->etag, sizeof(o->etag), "\"%s\"", hex);
	mem_meta(o, out);
	return 0;
}

static int mem_get(void *ctx, const char *bucket, const char *key, struct buf *body,
		   int64_t deadline_ms, struct objects_meta *meta)
{
	struct memstore *m = ctx;
	int err = mem_fail(m, bucket);
	if (err)
		return err;
	struct mem_obj *o = mem_find(m, key, NULL);
	if (!o)
		return ERR_NOTFOUND;
	err = buf_add(body, o->data.ptr, o->data.len);
	if (err)
		return err;
	mem_meta(o, meta);
	return 0;
}

static int mem_head(void *ctx, const char *bucket, const char *key, int64_t deadline_ms,
		    struct objects_meta *meta)
{
	struct memstore *m = ctx;
	int err = mem_fail(m, bucket);
	if (err)
		return err;
	struct mem_obj *o = mem_find(m, key, NULL);
	if (!o)
		return ERR_NOTFOUND;
	mem_meta(o, meta);
	return 0;
}

static int mem_delete(void *ctx, const char *bucket, const char *key, int64_t deadline_ms)
{
	struct memstore *m = ctx;
	size_t pos;
	int err = mem_fail(m, bucket);
	if (err)
		return err;
	struct mem_obj *o = mem_find(m, key, &pos);
	if (!o)
		return 0;
	free(o->key);
	buf_release(&o->data);
	memmove(&m->objs[pos], &m->objs[pos + 1], (m->n - pos - 1) * sizeof(m->objs[0]));
	m->n--;
	return 0;
}

/* Cursors are "c1:" and the last key returned. */
static int mem_list(void *ctx, const char *bucket, const char *prefix, const char *cursor,
		    int limit, int64_t deadline_ms, struct objects_page *out)
{
	struct memstore *m = ctx;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	int err = mem_fail(m, bucket);
	if (err)
		return err;
	if (cursor && strncmp(cursor, "c1:", 3) != 0)
		return ERR_INVAL;
	if (cursor)
		while (i < m->n && strcmp(m->objs[i].key, cursor + 3) <= 0)
			i++;
	out->items = calloc(MEM_MAX_OBJECTS, sizeof(*out->items));
	for (; i < m->n; i++) {
		const struct mem_obj *o = &m->objs[i];
		if (strncmp(o->key, prefix, strlen(prefix)) != 0)
			continue;
		if (out->count == (size_t)limit) {
			char next[1100];
			snprintf(next, sizeof(next), "c1:%s", out->items[out->count - 1].key);
			out->next_cursor = strdup(next);
			break;
		}
		struct objects_item *it = &out->items[out->count++];
		it->key = strdup(o->key);
		it->size = o->data.len;
		snprintf(it->etag, sizeof(it->etag), "%s", o->etag);
		it->last_modified_ms = MEM_MTIME_MS;
	}
	return 0;
}

static void mem_release(void *ctx)
{
	struct memstore *m = ctx;
	for (size_t i = 0; i < m->n; i++) {
		free(m->objs[i].key);
		buf_release(&m->objs[i].data);
	}
	free(m);
}

/* ---- Fixture: a function state over a fresh store, logs captured ---------------------- */

struct fixture {
	void *state;
	struct memstore *mem;
	char *log_text;
	size_t log_len;
	FILE *log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct objects_store store = {
		.put = mem_put,
		.get = mem_get,
		.head = mem_head,
		.delete = mem_delete,
		.list = mem_list,
		.release = mem_release,
	};
	f->mem = calloc(1, sizeof(*f->mem));
	store.ctx = f->mem;
	assert_int_equal(objects_state_new(BUCKET, &store, &f->state), 0);
	apptest_logs_capture(&f->log, &f->log_text, &f->log_len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	objects_state_free(f->state);
	apptest_logs_release(f->log, &f->log_text);
	free(f);
	return 0;
}

/* ---- Events as API Gateway sends them -------------------------------------------------- */

/* What a test sends: headers and query are NULL-terminated name, value lists. */
struct req {
	const char *method;
	const char *path;
	const char *const *headers;
	const char *const *query;
	const void *body;
	size_t body_len;
	bool base64;	   /* send the body base64-encoded (isBase64Encoded) */
	const char *param; /* 1.0 only: pathParameters.name, with resource /objects/{name+} */
	const char *const *cookies; /* 2.0 only */
	const char *stage;	    /* 2.0 only: requestContext.stage, "$default" when NULL */
};

static json_t *body_value(const struct req *r)
{
	return apptest_body_value(r->body, r->body_len, r->base64);
}

static char *raw_query(const struct req *r)
{
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	for (size_t i = 0; r->query && r->query[i]; i += 2) {
		if (i)
			buf_putc(&b, '&');
		assert_int_equal(uri_encode(&b, r->query[i], strlen(r->query[i]), false), 0);
		buf_putc(&b, '=');
		assert_int_equal(uri_encode(&b, r->query[i + 1], strlen(r->query[i + 1]), false),
				 0);
	}
	assert_int_equal(buf_error(&b), 0);
	return buf_detach(&b, NULL);
}

/* A payload format 2.0 event (HTTP API, $default stage, catch-all route). */
static char *event_v2(const struct req *r)
{
	json_t *headers = json_pack("{s:s,s:s,s:s,s:s}", "accept", "*/*", "host",
				    "abcdef1234.execute-api.eu-west-1.amazonaws.com", "user-agent",
				    "curl/8.5.0", "x-forwarded-proto", "https");
	json_t *qs = r->query ? json_object() : json_null();
	char *rq = raw_query(r);

	for (size_t i = 0; r->headers && r->headers[i]; i += 2)
		json_object_set_new(headers, r->headers[i], json_string(r->headers[i + 1]));
	for (size_t i = 0; r->query && r->query[i]; i += 2)
		json_object_set_new(qs, r->query[i], json_string(r->query[i + 1]));
	json_t *ev = json_pack(
		"{s:s,s:s,s:s,s:s,s:o,s:o,s:{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,"
		"s:s,s:I},s:o,s:b}",
		"version", "2.0", "routeKey", "ANY /{proxy+}", "rawPath", r->path, "rawQueryString",
		rq, "headers", headers, "queryStringParameters", qs, "requestContext", "accountId",
		"123456789012", "apiId", "abcdef1234", "domainName",
		"abcdef1234.execute-api.eu-west-1.amazonaws.com", "domainPrefix", "abcdef1234",
		"http", "method", r->method, "path", r->path, "protocol", "HTTP/1.1", "sourceIp",
		"198.51.100.7", "userAgent", "curl/8.5.0", "requestId",
		"JKJaXmPLvHcESHA=", "routeKey", "ANY /{proxy+}", "stage",
		r->stage ? r->stage : "$default", "time", "14/Nov/2023:22:13:20 +0000", "timeEpoch",
		(json_int_t)1700000000123LL, "body", body_value(r), "isBase64Encoded", r->base64);
	assert_non_null(ev);
	if (r->cookies) {
		json_t *c = json_array();
		for (size_t i = 0; r->cookies[i]; i++)
			json_array_append_new(c, json_string(r->cookies[i]));
		json_object_set_new(ev, "cookies", c);
	}
	char *text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	free(rq);
	return text;
}

/* A payload format 1.0 event (REST API, stage Prod, catch-all or /objects/{name+} route). */
static char *event_v1(const struct req *r)
{
	json_t *headers =
		json_pack("{s:s,s:s}", "Host", "abcdef1234.execute-api.eu-west-1.amazonaws.com",
			  "User-Agent", "curl/8.5.0");
	json_t *mvh =
		json_pack("{s:[s],s:[s]}", "Host", "abcdef1234.execute-api.eu-west-1.amazonaws.com",
			  "User-Agent", "curl/8.5.0");
	json_t *qs = r->query ? json_object() : json_null();
	json_t *mvq = r->query ? json_object() : json_null();

	for (size_t i = 0; r->headers && r->headers[i]; i += 2) {
		json_object_set_new(headers, r->headers[i], json_string(r->headers[i + 1]));
		json_object_set_new(mvh, r->headers[i], json_pack("[s]", r->headers[i + 1]));
	}
	for (size_t i = 0; r->query && r->query[i]; i += 2) {
		json_object_set_new(qs, r->query[i], json_string(r->query[i + 1]));
		json_object_set_new(mvq, r->query[i], json_pack("[s]", r->query[i + 1]));
	}
	json_t *params = r->param ? json_pack("{s:s}", "name", r->param)
				  : json_pack("{s:s}", "proxy", r->path + 1);
	json_t *ev = json_pack(
		"{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:n,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,"
		"s:s,s:s,s:{s:s,s:s,s:s,s:n},s:n},s:o,s:b}",
		"version", "1.0", "resource", r->param ? "/objects/{name+}" : "/{proxy+}", "path",
		r->path, "httpMethod", r->method, "headers", headers, "multiValueHeaders", mvh,
		"queryStringParameters", qs, "multiValueQueryStringParameters", mvq,
		"pathParameters", params, "stageVariables", "requestContext", "accountId",
		"123456789012", "apiId", "abcdef1234", "domainName",
		"abcdef1234.execute-api.eu-west-1.amazonaws.com", "httpMethod", r->method, "path",
		"/Prod/x", "protocol", "HTTP/1.1", "requestId",
		"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "requestTime", "14/Nov/2023:22:13:20 +0000",
		"requestTimeEpoch", (json_int_t)1700000000123LL, "resourcePath", "/{proxy+}",
		"stage", "Prod", "identity", "sourceIp", "198.51.100.7", "userAgent", "curl/8.5.0",
		"apiKey", "", "accessKey", "authorizer", "body", body_value(r), "isBase64Encoded",
		r->base64);
	assert_non_null(ev);
	char *text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

/* ---- Running the function and reading its answer -------------------------------------- */

struct answer {
	json_t *json; /* the whole Lambda response */
	int status;
	struct buf body; /* decoded */
	bool base64;
};

static void answer_release(struct answer *a)
{
	json_decref(a->json);
	buf_release(&a->body);
}

static void run_event(struct fixture *f, const char *event, struct answer *a)
{
	const struct lambda_function *fn = app_function_find("objects");
	const struct lambda_context ctx = {"lambda-req-1", "arn:aws:lambda:eu-west-1:1:function:o",
					   "", 0};

	memset(a, 0, sizeof(*a));
	a->json = apptest_invoke(fn, f->state, event, &ctx);
	a->status = (int)json_integer_value(json_object_get(a->json, "statusCode"));
	a->base64 = json_is_true(json_object_get(a->json, "isBase64Encoded"));
	buf_init(&a->body, BUF_NOCAP);
	const char *body = jsonx_str(a->json, "body");
	if (body && a->base64)
		assert_int_equal(b64_decode(&a->body, body, strlen(body)), 0);
	else if (body)
		assert_int_equal(buf_adds(&a->body, body), 0);
}

static void run(struct fixture *f, int version, const struct req *r, struct answer *a)
{
	char *ev = version == 1 ? event_v1(r) : event_v2(r);
	run_event(f, ev, a);
	free(ev);
}

/* The first value of response header `name` (any case), from headers or multiValueHeaders. */
static const char *header(const struct answer *a, const char *name)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(a->json, "headers"), k, v)
	{
		if (strcasecmp(k, name) == 0)
			return json_string_value(v);
	}
	json_object_foreach(json_object_get(a->json, "multiValueHeaders"), k, v)
	{
		if (strcasecmp(k, name) == 0)
			return json_string_value(json_array_get(v, 0));
	}
	return NULL;
}

static json_t *body_json(const struct answer *a)
{
	json_t *v = jsonx_parse(a->body.ptr, a->body.len, NULL, 0);
	assert_non_null(v);
	return v;
}

static void assert_error(const struct answer *a, int status, const char *code, const char *message)
{
	apptest_assert_error(a->status, a->body.ptr, header(a, "Content-Type"), status, code,
			     message);
}

#define HDRS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- Tests ----------------------------------------------------------------------------- */

static void test_health(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	for (int v = 1; v <= 2; v++) {
		run(f, v, &(struct req){.method = "GET", .path = "/health"}, &a);
		assert_int_equal(a.status, 200);
		assert_string_equal(a.body.ptr, "{\"status\":\"ok\",\"version\":\"0.1.0\"}");
		assert_string_equal(header(&a, "Content-Type"), "application/json");
		assert_false(a.base64);
		/* The response has the shape of the event's payload version. */
		assert_true(v == 1 ? json_object_get(a.json, "multiValueHeaders") != NULL
				   : json_object_get(a.json, "multiValueHeaders") == NULL);
		answer_release(&a);
	}
	assert_string_equal(app_version(), "0.1.0");
}

/* A named HTTP API stage is in rawPath ("/dev/health"); the app routes without it. */
static void test_named_stage_in_raw_path(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	run(f, 2, &(struct req){.method = "GET", .path = "/dev/health", .stage = "dev"}, &a);
	assert_int_equal(a.status, 200);
	answer_release(&a);
	run(f, 2, &(struct req){.method = "GET", .path = "/health", .stage = "dev"}, &a);
	assert_int_equal(a.status, 200);
	answer_release(&a);
	/* Only a whole leading segment that names the stage is dropped. */
	run(f, 2, &(struct req){.method = "GET", .path = "/devx/health", .stage = "dev"}, &a);
	assert_int_equal(a.status, 404);
	answer_release(&a);
	run(f, 2, &(struct req){.method = "GET", .path = "/dev", .stage = "dev"}, &a);
	assert_int_equal(a.status, 404);
	answer_release(&a);
	/* $default keeps the path as it is. */
	run(f, 2, &(struct req){.method = "GET", .path = "/dev/health"}, &a);
	assert_int_equal(a.status, 404);
	answer_release(&a);
}

static void test_health_function_alone(void **state)
{
	const struct lambda_function *fn = app_function_find("health");
	struct lambda_error lerr;
	struct buf out;
	char *ev = event_v2(&(struct req){.method = "GET", .path = "/health"});

	assert_non_null(fn);
	assert_ptr_equal(fn, &health_function);
	assert_null(fn->init);
	buf_init(&out, LAMBDA_RESPONSE_MAX);
	assert_int_equal(fn->handle(NULL, ev, strlen(ev), NULL, &out, &lerr), 0);
	assert_string_equal(out.ptr, "{\"statusCode\":200,\"headers\":{\"Content-Type\":"
				     "\"application/json\"},\"body\":\"{\\\"status\\\":\\\"ok\\\","
				     "\\\"version\\\":\\\"0.1.0\\\"}\",\"isBase64Encoded\":false}");
	free(ev);
	buf_reset(&out);
	ev = event_v2(&(struct req){.method = "GET", .path = "/objects"});
	assert_int_equal(fn->handle(NULL, ev, strlen(ev), NULL, &out, &lerr), 0);
	assert_non_null(strstr(out.ptr, "\"statusCode\":404"));
	free(ev);
	buf_release(&out);
}

static void test_app_table(void **state)
{
	assert_ptr_equal(app_function_find("objects"), &objects_function);
	assert_null(app_function_find("nope"));
	assert_null(app_function_find(NULL));
	assert_string_equal(app_function_names(),
			    "objects, health, messages, migrate, preferences, import");
}

static void test_init_requires_bucket(void **state)
{
	struct lambda_error lerr;
	void *st = NULL;
	char *saved = getenv("OBJECTS_BUCKET") ? strdup(getenv("OBJECTS_BUCKET")) : NULL;

	unsetenv("OBJECTS_BUCKET");
	memset(&lerr, 0, sizeof(lerr));
	assert_int_not_equal(objects_function.init(&st, &lerr), 0);
	assert_string_equal(lerr.type, "Runtime.ConfigError");
	assert_string_equal(lerr.message, "OBJECTS_BUCKET is not set");
	setenv("OBJECTS_BUCKET", "", 1);
	assert_int_not_equal(objects_function.init(&st, &lerr), 0);
	assert_string_equal(lerr.message, "OBJECTS_BUCKET is not set");
	assert_null(st);
	if (saved)
		setenv("OBJECTS_BUCKET", saved, 1);
	else
		unsetenv("OBJECTS_BUCKET");
	free(saved);
}

static void test_put_new_then_replace(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	const char content[] = "hello, world";
	struct req r = {.method = "PUT",
			.path = "/objects/docs/hello.txt",
			.headers = HDRS("content-type", "text/plain"),
			.body = content,
			.body_len = strlen(content)};

	run(f, 2, &r, &a);
	assert_int_equal(a.status, 201);
	assert_string_equal(header(&a, "Location"), "/objects/docs/hello.txt");
	assert_string_equal(header(&a, "ETag"), "\"e4d7f1b4ed2e42d15898f4b27b019da4\"");
	assert_string_equal(header(&a, "Content-Type"), "application/json");
	json_t *b = body_json(&a);
	assert_string_equal(jsonx_str(b, "bucket"), BUCKET);
	assert_string_equal(jsonx_str(b, "key"), "docs/hello.txt");
	assert_int_equal(json_integer_value(json_object_get(b, "size")), strlen(content));
	assert_string_equal(jsonx_str(b, "etag"), "e4d7f1b4ed2e42d15898f4b27b019da4");
	/* The echoed event is the event received. */
	json_t *ev = json_object_get(b, "event");
	assert_string_equal(jsonx_str(ev, "rawPath"), "/objects/docs/hello.txt");
	assert_string_equal(jsonx_str(ev, "body"), content);
	assert_string_equal(jsonx_str(jsonx_obj(ev, "requestContext"), "requestId"),
			    "JKJaXmPLvHcESHA=");
	/* Keys in this order, exactly. */
	const char *keys[] = {"bucket", "key", "size", "etag", "event"};
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) assert_string_equal(k, keys[i++]);
	assert_int_equal(i, 5);
	json_decref(b);
	answer_release(&a);
	assert_string_equal(f->mem->last_bucket, BUCKET);
	assert_string_equal(f->mem->objs[0].content_type, "text/plain");

	/* The same PUT again replaces: 200, same body shape. */
	r.body = "bye";
	r.body_len = 3;
	run(f, 2, &r, &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(header(&a, "Location"), "/objects/docs/hello.txt");
	b = body_json(&a);
	assert_int_equal(json_integer_value(json_object_get(b, "size")), 3);
	json_decref(b);
	answer_release(&a);
	assert_int_equal(f->mem->n, 1);
	assert_string_equal(f->mem->objs[0].data.ptr, "bye");
}

static void test_put_if_none_match(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	struct req r = {.method = "PUT",
			.path = "/objects/once",
			.headers = HDRS("If-None-Match", "*"),
			.body = "1",
			.body_len = 1};

	run(f, 1, &r, &a);
	assert_int_equal(a.status, 201);
	answer_release(&a);
	r.body = "2";
	run(f, 1, &r, &a);
	assert_error(&a, 412, "PreconditionFailed", "an object with this name already exists");
	answer_release(&a);
	assert_string_equal(f->mem->objs[0].data.ptr, "1");

	r.headers = HDRS("If-None-Match", "\"abc\"");
	run(f, 1, &r, &a);
	assert_error(&a, 400, "InvalidRequest", "If-None-Match supports only the value \\\"*\\\"");
	answer_release(&a);
}

static void test_put_binary_round_trip(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	unsigned char bytes[256];

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(255 - i);
	for (int v = 1; v <= 2; v++) {
		run(f, v,
		    &(struct req){.method = "PUT",
				  .path = "/objects/bin/all-bytes",
				  .headers = HDRS("Content-Type", "application/octet-stream"),
				  .body = bytes,
				  .body_len = sizeof(bytes),
				  .base64 = true},
		    &a);
		assert_int_equal(a.status, v == 1 ? 201 : 200);
		answer_release(&a);
		assert_int_equal(f->mem->objs[0].data.len, sizeof(bytes));
		assert_memory_equal(f->mem->objs[0].data.ptr, bytes, sizeof(bytes));

		run(f, v, &(struct req){.method = "GET", .path = "/objects/bin/all-bytes"}, &a);
		assert_int_equal(a.status, 200);
		assert_true(a.base64);
		assert_int_equal(a.body.len, sizeof(bytes));
		assert_memory_equal(a.body.ptr, bytes, sizeof(bytes));
		assert_string_equal(header(&a, "Content-Type"), "application/octet-stream");
		assert_string_equal(header(&a, "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
		assert_non_null(header(&a, "ETag"));
		answer_release(&a);
	}
}

static void test_get_head_delete(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	run(f, 2,
	    &(struct req){.method = "PUT",
			  .path = "/objects/a%20b/caf%C3%A9.txt",
			  .headers = HDRS("content-type", "text/plain; charset=utf-8"),
			  .body = "caf\xc3\xa9",
			  .body_len = 5},
	    &a);
	assert_int_equal(a.status, 201);
	assert_string_equal(header(&a, "Location"), "/objects/a%20b/caf%C3%A9.txt");
	answer_release(&a);
	assert_string_equal(f->mem->objs[0].key, "a b/caf\xc3\xa9.txt");

	run(f, 2, &(struct req){.method = "GET", .path = "/objects/a%20b/caf%C3%A9.txt"}, &a);
	assert_int_equal(a.status, 200);
	assert_false(a.base64);
	assert_string_equal(a.body.ptr, "caf\xc3\xa9");
	assert_string_equal(header(&a, "Content-Type"), "text/plain; charset=utf-8");
	assert_string_equal(header(&a, "ETag"), f->mem->objs[0].etag);
	answer_release(&a);

	run(f, 1, &(struct req){.method = "HEAD", .path = "/objects/a%20b/caf%C3%A9.txt"}, &a);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.body.len, 0);
	assert_string_equal(header(&a, "Content-Type"), "text/plain; charset=utf-8");
	assert_string_equal(header(&a, "ETag"), f->mem->objs[0].etag);
	answer_release(&a);

	run(f, 1, &(struct req){.method = "DELETE", .path = "/objects/a%20b/caf%C3%A9.txt"}, &a);
	assert_int_equal(a.status, 204);
	assert_int_equal(a.body.len, 0);
	answer_release(&a);
	assert_int_equal(f->mem->n, 0);

	run(f, 1, &(struct req){.method = "DELETE", .path = "/objects/a%20b/caf%C3%A9.txt"}, &a);
	assert_int_equal(a.status, 204);
	answer_release(&a);

	run(f, 2, &(struct req){.method = "GET", .path = "/objects/a%20b/caf%C3%A9.txt"}, &a);
	assert_error(&a, 404, "NotFound", "no object has this name");
	answer_release(&a);

	run(f, 2, &(struct req){.method = "HEAD", .path = "/objects/missing"}, &a);
	assert_int_equal(a.status, 404);
	assert_int_equal(a.body.len, 0);
	answer_release(&a);
}

static void test_v1_path_parameter_is_used(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	/* REST: pathParameters are decoded, the path is not; a '%' in a name survives. */
	run(f, 1,
	    &(struct req){.method = "PUT",
			  .path = "/objects/100%25%20sure",
			  .param = "100% sure",
			  .body = "x",
			  .body_len = 1},
	    &a);
	assert_int_equal(a.status, 201);
	assert_string_equal(header(&a, "Location"), "/objects/100%25%20sure");
	answer_release(&a);
	assert_string_equal(f->mem->objs[0].key, "100% sure");
	assert_string_equal(f->mem->objs[0].content_type, "application/octet-stream");
}

static void test_invalid_names(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	static const struct {
		const char *path, *why;
	} cases[] = {
		{"/objects/a/../b", "name contains a '.' or '..' path segment"},
		{"/objects/%2E%2E", "name contains a '.' or '..' path segment"},
		{"/objects/a//b", "name contains an empty path segment"},
		{"/objects/a/", "name contains an empty path segment"},
		{"/objects//etc", "name starts with '/'"},
		{"/objects/%FF", "name is not valid UTF-8"},
		{"/objects/%C0%AF", "name is not valid UTF-8"},
		{"/objects/a%00b", "name contains a control character"},
		{"/objects/a%0Ab", "name contains a control character"},
		{"/objects/50%", "name is not validly percent-encoded"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *methods[] = {"GET", "PUT", "DELETE"};
		for (size_t m = 0; m < 3; m++) {
			run(f, 2,
			    &(struct req){.method = methods[m],
					  .path = cases[i].path,
					  .body = "x",
					  .body_len = 1},
			    &a);
			assert_error(&a, 400, "InvalidName", cases[i].why);
			answer_release(&a);
		}
	}
	char long_path[1100];
	snprintf(long_path, sizeof(long_path), "/objects/%01025d", 0);
	run(f, 2, &(struct req){.method = "GET", .path = long_path}, &a);
	assert_error(&a, 400, "InvalidName", "name is longer than 1024 bytes");
	answer_release(&a);
	snprintf(long_path, sizeof(long_path), "/objects/%01024d", 0);
	run(f, 2, &(struct req){.method = "GET", .path = long_path}, &a);
	assert_int_equal(a.status, 404);
	answer_release(&a);
	assert_int_equal(f->mem->puts, 0);
}

static void test_put_limits(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	char *big = calloc(1, OBJECTS_CONTENT_MAX + 1);

	memset(big, 'a', OBJECTS_CONTENT_MAX + 1);
	run(f, 2,
	    &(struct req){.method = "PUT",
			  .path = "/objects/big",
			  .body = big,
			  .body_len = OBJECTS_CONTENT_MAX + 1},
	    &a);
	assert_error(&a, 413, "PayloadTooLarge", "the content is larger than 5 MiB");
	answer_release(&a);
	assert_int_equal(f->mem->puts, 0);

	/* Exactly 5 MiB is accepted, and the echoed body is replaced by a note. */
	run(f, 2,
	    &(struct req){.method = "PUT",
			  .path = "/objects/big",
			  .body = big,
			  .body_len = OBJECTS_CONTENT_MAX},
	    &a);
	assert_int_equal(a.status, 201);
	json_t *b = body_json(&a);
	assert_int_equal(json_integer_value(json_object_get(b, "size")), OBJECTS_CONTENT_MAX);
	assert_string_equal(jsonx_str(jsonx_obj(b, "event"), "body"), "[omitted: 5242880 bytes]");
	json_decref(b);
	answer_release(&a);

	run(f, 2,
	    &(struct req){.method = "PUT",
			  .path = "/objects/ct",
			  .headers = HDRS("content-type", "text/plain\x01"),
			  .body = "x",
			  .body_len = 1},
	    &a);
	assert_error(&a, 400, "InvalidContentType",
		     "Content-Type must be 1 to 255 printable ASCII characters");
	answer_release(&a);
	free(big);
}

/* POST /objects with a JSON body built from `doc` (stolen). */
static void post(struct fixture *f, int version, const char *ct, const char *body, struct answer *a)
{
	run(f, version,
	    &(struct req){.method = "POST",
			  .path = "/objects",
			  .headers = ct ? HDRS("Content-Type", ct) : NULL,
			  .body = body,
			  .body_len = strlen(body)},
	    a);
}

static void test_post_utf8_and_base64(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	post(f, 1, "application/json", "{\"name\":\"notes/today.md\",\"content\":\"# Hi \\u00e9\"}",
	     &a);
	assert_int_equal(a.status, 201);
	assert_string_equal(header(&a, "Location"), "/objects/notes/today.md");
	json_t *b = body_json(&a);
	assert_string_equal(jsonx_str(b, "key"), "notes/today.md");
	assert_int_equal(json_integer_value(json_object_get(b, "size")), 7);
	assert_string_equal(jsonx_str(jsonx_obj(b, "event"), "httpMethod"), "POST");
	json_decref(b);
	answer_release(&a);
	assert_string_equal(f->mem->objs[0].data.ptr, "# Hi \xc3\xa9");
	assert_string_equal(f->mem->objs[0].content_type, "text/plain; charset=utf-8");

	post(f, 2, "application/json; charset=UTF-8",
	     "{\"name\":\"bin\",\"content\":\"AAEC/w==\",\"encoding\":\"base64\","
	     "\"contentType\":\"image/x-test\"}",
	     &a);
	assert_int_equal(a.status, 201);
	answer_release(&a);
	assert_int_equal(f->mem->objs[0].data.len, 4);
	assert_memory_equal(f->mem->objs[0].data.ptr, "\x00\x01\x02\xff", 4);
	assert_string_equal(f->mem->objs[0].content_type, "image/x-test");

	run(f, 2, &(struct req){.method = "GET", .path = "/objects/bin"}, &a);
	assert_int_equal(a.status, 200);
	assert_true(a.base64);
	assert_int_equal(a.body.len, 4);
	assert_memory_equal(a.body.ptr, "\x00\x01\x02\xff", 4);
	assert_string_equal(header(&a, "Content-Type"), "image/x-test");
	answer_release(&a);

	/* POST replaces without a condition, and still answers 201. */
	post(f, 2, "application/json", "{\"name\":\"bin\",\"content\":\"x\",\"encoding\":null}",
	     &a);
	assert_int_equal(a.status, 201);
	answer_release(&a);
	assert_string_equal(f->mem->objs[0].data.ptr, "x");
	assert_string_equal(f->mem->objs[0].content_type, "text/plain; charset=utf-8");
}

static void test_post_errors(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	static const struct {
		const char *body, *code, *message;
	} cases[] = {
		{"[1]", "InvalidRequest", "the body must be a JSON object"},
		{"{\"content\":\"x\"}", "InvalidRequest", "\\\"name\\\" is required"},
		{"{\"name\":1,\"content\":\"x\"}", "InvalidRequest",
		 "\\\"name\\\" must be a string"},
		{"{\"name\":\"a\"}", "InvalidRequest", "\\\"content\\\" is required"},
		{"{\"name\":\"a\",\"content\":{}}", "InvalidRequest",
		 "\\\"content\\\" must be a string"},
		{"{\"name\":\"a\",\"content\":\"x\",\"encoding\":\"latin1\"}", "InvalidRequest",
		 "\\\"encoding\\\" must be \\\"utf-8\\\" or \\\"base64\\\""},
		{"{\"name\":\"a\",\"content\":\"x\",\"contentType\":7}", "InvalidRequest",
		 "\\\"contentType\\\" must be a string"},
		{"{\"name\":\"a\",\"content\":\"x\",\"contentType\":\"\"}", "InvalidRequest",
		 "\\\"contentType\\\" must be 1 to 255 printable ASCII characters"},
		{"{\"name\":\"a\",\"content\":\"x\",\"extra\":1}", "InvalidRequest",
		 "the body has an unknown member (expected name, content, encoding, contentType)"},
		{"{\"name\":\"a\",\"content\":\"!!\",\"encoding\":\"base64\"}", "InvalidRequest",
		 "\\\"content\\\" is not valid base64"},
		{"{\"name\":\"../x\",\"content\":\"x\"}", "InvalidName",
		 "name contains a '.' or '..' path segment"},
		{"{\"name\":\"\",\"content\":\"x\"}", "InvalidName", "name is empty"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		post(f, 2, "application/json", cases[i].body, &a);
		assert_error(&a, 400, cases[i].code, cases[i].message);
		answer_release(&a);
	}
	post(f, 2, "application/json", "{\"name\":", &a);
	assert_int_equal(a.status, 400);
	json_t *b = body_json(&a);
	assert_string_equal(jsonx_str(jsonx_obj(b, "error"), "code"), "InvalidJson");
	assert_non_null(strstr(jsonx_str(jsonx_obj(b, "error"), "message"),
			       "the body is not valid JSON: "));
	json_decref(b);
	answer_release(&a);

	const char *bad_types[] = {"text/plain", "application/jsonx",
				   "application/x-www-form-urlencoded", NULL};
	for (size_t i = 0; i < ARRAY_SIZE(bad_types); i++) {
		post(f, 1, bad_types[i], "{\"name\":\"a\",\"content\":\"x\"}", &a);
		assert_error(&a, 415, "UnsupportedMediaType",
			     "POST /objects takes a body of type application/json");
		answer_release(&a);
	}
	assert_int_equal(f->mem->puts, 0);
}

static void test_post_too_large(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	struct buf body, raw;

	/* base64 of 5 MiB + 1 bytes. */
	buf_init(&raw, BUF_NOCAP);
	buf_init(&body, BUF_NOCAP);
	assert_int_equal(buf_grow(&raw, OBJECTS_CONTENT_MAX + 1), 0);
	memset(raw.ptr, 'z', OBJECTS_CONTENT_MAX + 1);
	raw.len = OBJECTS_CONTENT_MAX + 1;
	buf_puts(&body, "{\"name\":\"big\",\"encoding\":\"base64\",\"content\":\"");
	assert_int_equal(b64_encode(&body, raw.ptr, raw.len), 0);
	buf_puts(&body, "\"}");
	assert_int_equal(buf_error(&body), 0);
	post(f, 2, "application/json", body.ptr, &a);
	assert_error(&a, 413, "PayloadTooLarge", "the content is larger than 5 MiB");
	answer_release(&a);

	/* The same as UTF-8 text. */
	buf_reset(&body);
	buf_puts(&body, "{\"name\":\"big\",\"content\":\"");
	buf_put(&body, raw.ptr, raw.len);
	buf_puts(&body, "\"}");
	assert_int_equal(buf_error(&body), 0);
	post(f, 1, "application/json", body.ptr, &a);
	assert_error(&a, 413, "PayloadTooLarge", "the content is larger than 5 MiB");
	answer_release(&a);
	assert_int_equal(f->mem->puts, 0);
	buf_release(&body);
	buf_release(&raw);
}

static void test_list_paging(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	const char *names[] = {"a/1", "a/2", "a/3", "b/1", "a/4"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/objects/%s", names[i]);
		run(f, 2,
		    &(struct req){.method = "PUT", .path = path, .body = "abc", .body_len = 3}, &a);
		assert_int_equal(a.status, 201);
		answer_release(&a);
	}
	run(f, 2,
	    &(struct req){.method = "GET",
			  .path = "/objects",
			  .query = HDRS("prefix", "a/", "limit", "3")},
	    &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(
		a.body.ptr,
		"{\"items\":["
		"{\"key\":\"a/1\",\"size\":3,\"etag\":\"900150983cd24fb0d6963f7d28e17f72\","
		"\"lastModified\":\"2023-11-14T22:13:20.123Z\"},"
		"{\"key\":\"a/2\",\"size\":3,\"etag\":\"900150983cd24fb0d6963f7d28e17f72\","
		"\"lastModified\":\"2023-11-14T22:13:20.123Z\"},"
		"{\"key\":\"a/3\",\"size\":3,\"etag\":\"900150983cd24fb0d6963f7d28e17f72\","
		"\"lastModified\":\"2023-11-14T22:13:20.123Z\"}],"
		"\"cursor\":\"c1:a/3\"}");
	answer_release(&a);

	run(f, 1,
	    &(struct req){.method = "GET",
			  .path = "/objects",
			  .query = HDRS("prefix", "a/", "limit", "3", "cursor", "c1:a/3")},
	    &a);
	assert_int_equal(a.status, 200);
	json_t *b = body_json(&a);
	assert_int_equal(json_array_size(jsonx_arr(b, "items")), 1);
	assert_string_equal(jsonx_str(json_array_get(jsonx_arr(b, "items"), 0), "key"), "a/4");
	assert_true(json_is_null(json_object_get(b, "cursor")));
	json_decref(b);
	answer_release(&a);

	/* No query: everything, default limit. */
	run(f, 2, &(struct req){.method = "GET", .path = "/objects"}, &a);
	b = body_json(&a);
	assert_int_equal(json_array_size(jsonx_arr(b, "items")), 5);
	json_decref(b);
	answer_release(&a);

	static const struct {
		const char *name, *value, *code, *message;
	} bad[] = {
		{"limit", "0", "InvalidQuery", "limit must be an integer from 1 to 1000"},
		{"limit", "1001", "InvalidQuery", "limit must be an integer from 1 to 1000"},
		{"limit", "ten", "InvalidQuery", "limit must be an integer from 1 to 1000"},
		{"limit", "-1", "InvalidQuery", "limit must be an integer from 1 to 1000"},
		{"prefix", "/a", "InvalidQuery", "prefix cannot start any valid name"},
		{"prefix", "a//", "InvalidQuery", "prefix cannot start any valid name"},
		{"prefix", "\x01", "InvalidQuery", "prefix cannot start any valid name"},
		{"cursor", "bogus", "InvalidCursor", "the cursor is not one this API returned"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		run(f, 2,
		    &(struct req){.method = "GET",
				  .path = "/objects",
				  .query = HDRS(bad[i].name, bad[i].value)},
		    &a);
		assert_error(&a, 400, bad[i].code, bad[i].message);
		answer_release(&a);
	}
}

static void test_routes_404_405(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	run(f, 2, &(struct req){.method = "GET", .path = "/nothing/here"}, &a);
	assert_error(&a, 404, "NotFound", "no route matches the request path");
	assert_null(header(&a, "Allow"));
	answer_release(&a);

	run(f, 1, &(struct req){.method = "DELETE", .path = "/objects"}, &a);
	assert_error(&a, 405, "MethodNotAllowed",
		     "the method is not allowed on this path; see the Allow header");
	assert_string_equal(header(&a, "Allow"), "GET, HEAD, POST");
	answer_release(&a);

	run(f, 2, &(struct req){.method = "PATCH", .path = "/objects/x"}, &a);
	assert_int_equal(a.status, 405);
	assert_string_equal(header(&a, "Allow"), "DELETE, GET, HEAD, PUT");
	answer_release(&a);

	run(f, 2, &(struct req){.method = "POST", .path = "/health"}, &a);
	assert_int_equal(a.status, 405);
	assert_string_equal(header(&a, "Allow"), "GET, HEAD");
	answer_release(&a);
}

static void test_redaction(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	for (int v = 1; v <= 2; v++) {
		run(f, v,
		    &(struct req){.method = "PUT",
				  .path = v == 1 ? "/objects/secret1" : "/objects/secret2",
				  .headers = HDRS("authorization", "Bearer t0ken", "COOKIE",
						  "sid=s3cr3t", "X-Api-Key", "k3y",
						  "x-amz-security-token", "FwoGZX",
						  "Proxy-Authorization",
						  "Basic cHJveHk=", "X-Other", "visible"),
				  .cookies = HDRS("sid=s3cr3t", "theme=dark"),
				  .body = "x",
				  .body_len = 1},
		    &a);
		assert_int_equal(a.status, 201);
		assert_null(strstr(a.body.ptr, "t0ken"));
		assert_null(strstr(a.body.ptr, "s3cr3t"));
		assert_null(strstr(a.body.ptr, "k3y"));
		assert_null(strstr(a.body.ptr, "FwoGZX"));
		assert_null(strstr(a.body.ptr, "cHJveHk="));
		json_t *b = body_json(&a);
		json_t *ev = jsonx_obj(b, "event");
		json_t *h = jsonx_obj(ev, "headers");
		assert_string_equal(jsonx_str(h, "authorization"), "[redacted]");
		assert_string_equal(jsonx_str(h, "COOKIE"), "[redacted]");
		assert_string_equal(jsonx_str(h, "X-Api-Key"), "[redacted]");
		assert_string_equal(jsonx_str(h, "x-amz-security-token"), "[redacted]");
		assert_string_equal(jsonx_str(h, "X-Other"), "visible");
		if (v == 1) {
			json_t *mvh = jsonx_obj(ev, "multiValueHeaders");
			assert_string_equal(json_string_value(json_array_get(
						    jsonx_arr(mvh, "authorization"), 0)),
					    "[redacted]");
			assert_int_equal(json_array_size(jsonx_arr(mvh, "COOKIE")), 1);
			assert_string_equal(
				json_string_value(json_array_get(jsonx_arr(mvh, "X-Other"), 0)),
				"visible");
			assert_null(json_object_get(ev, "cookies"));
		} else {
			json_t *c = jsonx_arr(ev, "cookies");
			assert_int_equal(json_array_size(c), 2);
			assert_string_equal(json_string_value(json_array_get(c, 0)), "[redacted]");
			assert_string_equal(json_string_value(json_array_get(c, 1)), "[redacted]");
		}
		json_decref(b);
		answer_release(&a);
	}
}

static void test_redact_event_directly(void **state)
{
	json_t *ev = json_pack("{s:{s:[s,s,n]},s:{s:{s:s,s:s}},s:n,s:s}", "multiValueHeaders",
			       "x-API-key", "a", "b", "requestContext", "identity", "apiKey",
			       "theApiKey", "sourceIp", "1.2.3.4", "cookies", "body", "hi");
	json_t *r = objects_redact_event(ev);

	assert_non_null(r);
	char *text = json_dumps(r, JSON_COMPACT);
	assert_string_equal(text, "{\"multiValueHeaders\":{\"x-API-key\":[\"[redacted]\","
				  "\"[redacted]\",null]},\"requestContext\":{\"identity\":"
				  "{\"apiKey\":\"[redacted]\",\"sourceIp\":\"1.2.3.4\"}},"
				  "\"cookies\":null,\"body\":\"hi\"}");
	free(text);
	/* The original is untouched. */
	text = json_dumps(ev, JSON_COMPACT);
	assert_non_null(strstr(text, "theApiKey"));
	assert_non_null(strstr(text, "\"a\",\"b\""));
	free(text);
	json_decref(r);
	json_decref(ev);
	assert_null(objects_redact_event(NULL));
	json_t *arr = json_array();
	assert_null(objects_redact_event(arr));
	json_decref(arr);
}

/*
 * A presigned call carries its signature in the query: the echoed event hides
 * those values in queryStringParameters, multiValueQueryStringParameters and
 * rawQueryString, whatever the case or percent-encoding of the name.
 */
static void test_redact_query_signature(void **state)
{
	json_t *ev = json_pack(
		"{s:s,s:{s:s,s:s,s:s,s:s},s:{s:[s,s],s:[s]}}", "rawQueryString",
		"a=1&X-Amz-Signature=deadbeef&x-amz-credential=AKID%2F2026&X%2DAmz-Security-Token="
		"FwoG&&b",
		"queryStringParameters", "X-Amz-Signature", "deadbeef", "X-Amz-Credential",
		"AKID/2026", "x-amz-security-token", "FwoG", "a", "1",
		"multiValueQueryStringParameters", "X-Amz-Signature", "deadbeef", "cafe", "a", "1");
	json_t *r = objects_redact_event(ev);
	char *text;

	assert_non_null(r);
	text = json_dumps(r, JSON_COMPACT);
	assert_null(strstr(text, "deadbeef"));
	assert_null(strstr(text, "cafe"));
	assert_null(strstr(text, "AKID"));
	assert_null(strstr(text, "FwoG"));
	free(text);
	assert_string_equal(jsonx_str(r, "rawQueryString"),
			    "a=1&X-Amz-Signature=%5Bredacted%5D&x-amz-credential=%5Bredacted%5D&"
			    "X%2DAmz-Security-Token=%5Bredacted%5D&&b");
	json_t *q = jsonx_obj(r, "queryStringParameters");
	assert_string_equal(jsonx_str(q, "X-Amz-Signature"), "[redacted]");
	assert_string_equal(jsonx_str(q, "x-amz-security-token"), "[redacted]");
	assert_string_equal(jsonx_str(q, "a"), "1");
	json_t *mv = jsonx_obj(r, "multiValueQueryStringParameters");
	assert_int_equal(json_array_size(jsonx_arr(mv, "X-Amz-Signature")), 2);
	assert_string_equal(json_string_value(json_array_get(jsonx_arr(mv, "X-Amz-Signature"), 1)),
			    "[redacted]");
	json_decref(r);
	json_decref(ev);
}

static void test_store_failures(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	f->mem->fail_next = ERR_THROTTLED;
	run(f, 2, &(struct req){.method = "GET", .path = "/objects/x"}, &a);
	assert_error(&a, 503, "StorageThrottled",
		     "the storage service is throttling requests; retry later");
	assert_string_equal(header(&a, "Retry-After"), "1");
	answer_release(&a);

	f->mem->fail_next = ERR_REMOTE;
	run(f, 1, &(struct req){.method = "PUT", .path = "/objects/x", .body = "1", .body_len = 1},
	    &a);
	assert_error(&a, 502, "StorageError", "the storage service failed");
	assert_null(header(&a, "Location"));
	answer_release(&a);

	f->mem->fail_next = ERR_HTTP;
	run(f, 1, &(struct req){.method = "DELETE", .path = "/objects/x"}, &a);
	assert_error(&a, 502, "StorageError", "the storage service failed");
	answer_release(&a);

	f->mem->fail_next = ERR_TIMEOUT;
	run(f, 2, &(struct req){.method = "GET", .path = "/objects"}, &a);
	assert_error(&a, 502, "StorageError", "the storage service did not answer in time");
	answer_release(&a);

	/* A missing bucket on a write is the store failing, not a missing object. */
	f->mem->fail_next = ERR_NOTFOUND;
	run(f, 2, &(struct req){.method = "PUT", .path = "/objects/x", .body = "1", .body_len = 1},
	    &a);
	assert_int_equal(a.status, 502);
	answer_release(&a);

	f->mem->fail_next = ERR_NOMEM;
	run(f, 2, &(struct req){.method = "GET", .path = "/objects/x"}, &a);
	assert_error(&a, 500, "InternalError", "the request failed");
	answer_release(&a);
}

static void test_malformed_events(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	static const char *events[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"version\":\"2.0\",\"rawPath\":\"/health\"}",
		"{\"version\":\"1.0\",\"httpMethod\":7,\"path\":\"/health\"}",
		"{\"httpMethod\":\"PUT\",\"path\":\"/objects/x\",\"body\":\"***\","
		"\"isBase64Encoded\":true}",
		"{\"httpMethod\":\"GET\",\"path\":\"/health\",\"headers\":[1,2]}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(events); i++) {
		run_event(f, events[i], &a);
		assert_int_equal(a.status, 400);
		json_t *b = body_json(&a);
		assert_string_equal(jsonx_str(jsonx_obj(b, "error"), "code"), "InvalidEvent");
		json_decref(b);
		/* A 2.0 event gets a 2.0 response. */
		assert_true((json_object_get(a.json, "multiValueHeaders") == NULL) == (i == 4));
		answer_release(&a);
	}

	/* Enormous headers: many of them, each long. */
	json_t *h = json_object();
	char name[32];
	char *value = malloc(8192);
	memset(value, 'v', 8191);
	value[8191] = '\0';
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "x-h%d", i);
		json_object_set_new(h, name, json_string(value));
	}
	json_t *ev = json_pack("{s:s,s:s,s:s,s:o}", "httpMethod", "GET", "path", "/health",
			       "version", "1.0", "headers", h);
	char *text = json_dumps(ev, JSON_COMPACT);
	run_event(f, text, &a);
	assert_int_equal(a.status, 400);
	answer_release(&a);
	free(text);
	json_decref(ev);
	free(value);
	assert_int_equal(f->mem->puts, 0);
}

static void test_log_line(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	run(f, 1,
	    &(struct req){.method = "PUT",
			  .path = "/objects/logged",
			  .headers = HDRS("Authorization", "Bearer t0ken"),
			  .body = "the-secret-body",
			  .body_len = 15},
	    &a);
	assert_int_equal(a.status, 201);
	answer_release(&a);
	fflush(f->log);
	assert_non_null(f->log_text);
	assert_null(strstr(f->log_text, "t0ken"));
	assert_null(strstr(f->log_text, "the-secret-body"));
	assert_null(strstr(f->log_text, "logged")); /* nor the path */

	/* The last line is the request's. */
	char *line = f->log_text;
	for (char *p = strchr(line, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		line = p + 1;
	json_t *l = jsonx_parse(line, strcspn(line, "\n"), NULL, 0);
	assert_non_null(l);
	assert_string_equal(jsonx_str(l, "message"), "request");
	assert_string_equal(jsonx_str(l, "level"), "INFO");
	assert_string_equal(jsonx_str(l, "method"), "PUT");
	assert_string_equal(jsonx_str(l, "route"), "PUT /objects/{name+}");
	assert_int_equal(json_integer_value(json_object_get(l, "status")), 201);
	assert_true(json_is_number(json_object_get(l, "durationMs")));
	assert_true(json_number_value(json_object_get(l, "durationMs")) >= 0);
	assert_string_equal(jsonx_str(l, "function_request_id"), "lambda-req-1");
	assert_string_equal(jsonx_str(l, "apiRequestId"), "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	/* Powertools' correlation_id is the API request id. */
	assert_string_equal(jsonx_str(l, "correlation_id"), "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	json_decref(l);
}

/* AWS's own REST event (aws-lambda-go testdata), when ../shared is there. */
static void test_shared_rest_event(void **state)
{
	struct fixture *f = *state;
	const char *root = getenv("SLUICE_SHARED");
	char path[1024];
	struct buf b;
	struct answer a;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/fixtures/apigw-events/aws-lambda-go/apigw-request.json",
		 root && *root ? root : "../shared");
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		printf("test_objects: %s absent, skipped\n", path);
		skip();
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(fp);
	/* POST /hello/world: no such route here. */
	run_event(f, b.ptr, &a);
	assert_error(&a, 404, "NotFound", "no route matches the request path");
	answer_release(&a);
	buf_release(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_health),
		T(test_named_stage_in_raw_path),
		cmocka_unit_test(test_health_function_alone),
		cmocka_unit_test(test_app_table),
		cmocka_unit_test(test_init_requires_bucket),
		T(test_put_new_then_replace),
		T(test_put_if_none_match),
		T(test_put_binary_round_trip),
		T(test_get_head_delete),
		T(test_v1_path_parameter_is_used),
		T(test_invalid_names),
		T(test_put_limits),
		T(test_post_utf8_and_base64),
		T(test_post_errors),
		T(test_post_too_large),
		T(test_list_paging),
		T(test_routes_404_405),
		T(test_redaction),
		cmocka_unit_test(test_redact_event_directly),
		cmocka_unit_test(test_redact_query_signature),
		T(test_store_failures),
		T(test_malformed_events),
		T(test_log_line),
		T(test_shared_rest_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
