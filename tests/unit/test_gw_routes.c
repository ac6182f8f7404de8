/*
 * Unit tests for the gateway's route table (src/local/apigw/gw_routes.c): API
 * Gateway's "most specific wins" priority, ANY, greedy and plain parameters,
 * stage prefixes, the HTTP API's $default route, route keys, refused
 * patterns, and pointers into the table that must stay valid as it grows.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "lambda/apigw.h"
#include "local/apigw/gw_routes.h"

static struct gateway_routes *table(void)
{
	static const struct {
		const char *method, *path, *fn;
	} rs[] = {
		{"ANY", "/objects/{name+}", "Greedy"},
		{"GET", "/objects/{name+}", "GetGreedy"},
		{"GET", "/objects/special", "Literal"},
		{"POST", "/objects", "Post"},
		{"GET", "/users/{id}/posts/{post}", "Posts"},
		{"GET", "/health", "Health"},
	};
	struct gateway_routes *rt;

	assert_int_equal(gateway_routes_new(&rt), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rs); i++) {
		struct gateway_route_spec s = {
			.version = APIGW_V2,
			.api = "HttpApi",
			.stage = "dev",
			.method = rs[i].method,
			.path = rs[i].path,
			.function = rs[i].fn,
		};
		assert_int_equal(gateway_routes_add(rt, &s), 0);
	}
	return rt;
}

static const char *fn(struct gateway_routes *rt, const char *method, const char *path,
		      struct gateway_match *m)
{
	return gateway_routes_match(rt, method, path, m) ? m->route->function : NULL;
}

static void test_priority(void **state)
{
	struct gateway_routes *rt = table();
	struct gateway_match m;

	assert_string_equal(fn(rt, "GET", "/objects/special", &m), "Literal");
	assert_string_equal(fn(rt, "GET", "/objects/a/b.txt", &m), "GetGreedy");
	assert_string_equal(fn(rt, "PUT", "/objects/a/b.txt", &m), "Greedy");
	assert_int_equal(m.nparams, 1);
	assert_true(str_eq_cstr(m.params[0].name, "name"));
	assert_true(str_eq_cstr(m.params[0].value, "a/b.txt"));
	assert_string_equal(fn(rt, "POST", "/objects", &m), "Post");
	assert_null(fn(rt, "GET", "/objects", &m));  /* no GET /objects route */
	assert_null(fn(rt, "PUT", "/objects/", &m)); /* greedy needs a byte */
	assert_null(fn(rt, "DELETE", "/health", &m));
	assert_null(fn(rt, "GET", "/nope", &m));
	gateway_routes_free(rt);
}

static void test_params_and_stage(void **state)
{
	struct gateway_routes *rt = table();
	struct gateway_match m;

	assert_string_equal(fn(rt, "GET", "/users/7/posts/42", &m), "Posts");
	assert_int_equal(m.nparams, 2);
	assert_true(str_eq_cstr(m.params[0].name, "id"));
	assert_true(str_eq_cstr(m.params[0].value, "7"));
	assert_true(str_eq_cstr(m.params[1].name, "post"));
	assert_true(str_eq_cstr(m.params[1].value, "42"));
	assert_null(m.stage);
	assert_null(fn(rt, "GET", "/users//posts/42", &m)); /* empty segment */
	assert_string_equal(fn(rt, "GET", "/dev/health", &m), "Health");
	assert_string_equal(m.stage, "dev");
	assert_null(fn(rt, "GET", "/prod/health", &m));
	assert_null(fn(rt, "GET", "health", &m));
	gateway_routes_free(rt);
}

static void test_default_route_and_refusals(void **state)
{
	struct gateway_routes *rt;
	struct gateway_match m;
	struct gateway_route_spec s = {
		.version = APIGW_V2, .method = "ANY", .path = "$default", .function = "Default"};

	assert_int_equal(gateway_routes_new(&rt), 0);
	assert_int_equal(gateway_routes_add(rt, &s), 0);
	s.path = "/x";
	s.method = "GET";
	s.function = "X";
	assert_int_equal(gateway_routes_add(rt, &s), 0);
	assert_string_equal(fn(rt, "GET", "/x", &m), "X");
	assert_string_equal(fn(rt, "DELETE", "/anything/at/all", &m), "Default");
	s.path = "/a/{rest+}/b";
	assert_int_equal(gateway_routes_add(rt, &s), ERR_INVAL);
	s.path = "/a/{open";
	assert_int_equal(gateway_routes_add(rt, &s), ERR_INVAL);
	s.path = "relative";
	assert_int_equal(gateway_routes_add(rt, &s), ERR_INVAL);
	s.path = "/ok";
	s.version = 3;
	assert_int_equal(gateway_routes_add(rt, &s), ERR_INVAL);
	assert_int_equal(gateway_routes_count(rt), 2);
	gateway_routes_free(rt);
}

static const struct gateway_cors test_cors = {.allow_origins = "https://a.example",
					      .allow_methods = "GET,POST",
					      .allow_headers = "content-type",
					      .max_age = 300};

/* A table of `n` routes GET /r<i>, each with `cors`. */
static struct gateway_routes *cors_table(int n, const struct gateway_cors *cors)
{
	struct gateway_route_spec s = {.version = APIGW_V2,
				       .api = "HttpApi",
				       .method = "GET",
				       .function = "F",
				       .cors = cors};
	struct gateway_routes *rt;
	char path[32];

	assert_int_equal(gateway_routes_new(&rt), 0);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		s.path = path;
		assert_int_equal(gateway_routes_add(rt, &s), 0);
	}
	return rt;
}

static void assert_test_cors(const struct gateway_cors *c)
{
	assert_non_null(c);
	assert_string_equal(c->allow_origins, "https://a.example");
	assert_string_equal(c->allow_methods, "GET,POST");
	assert_string_equal(c->allow_headers, "content-type");
	assert_int_equal(c->max_age, 300);
}

/*
 * The CORS block of a matched route is readable straight from the table
 * (no gateway in between) however many routes it holds: past 16 routes
 * the table's storage used to move and leave `cors` pointing at freed memory.
 */
static void test_cors_past_16_routes(void **state)
{
	struct gateway_routes *rt = cors_table(40, &test_cors);
	struct gateway_match m;
	char path[32];

	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		assert_true(gateway_routes_match(rt, "GET", path, &m));
		assert_string_equal(m.route->path, path);
		assert_test_cors(m.route->cors);
	}
	gateway_routes_free(rt);
}

/*
 * A CORS block with neither origins nor methods is no CORS (API Gateway
 * answers no preflight for it): `cors` is NULL, not a pointer into the
 * stack frame of gateway_routes_add().
 */
static void test_cors_empty_block(void **state)
{
	static const struct gateway_cors empty = {.allow_headers = "x-only", .max_age = -1};
	struct gateway_routes *rt = cors_table(3, &empty);
	struct gateway_match m;

	assert_true(gateway_routes_match(rt, "GET", "/r1", &m));
	assert_null(m.route->cors);
	gateway_routes_free(rt);
}

/* A match taken before the table grows still reads its route and CORS afterwards. */
static void test_match_survives_growth(void **state)
{
	struct gateway_route_spec s = {
		.version = APIGW_V2, .method = "GET", .function = "G", .cors = &test_cors};
	struct gateway_routes *rt = cors_table(2, &test_cors);
	struct gateway_match m;
	char path[32];

	assert_true(gateway_routes_match(rt, "GET", "/r0", &m));
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/more/%d", i);
		s.path = path;
		assert_int_equal(gateway_routes_add(rt, &s), 0);
	}
	assert_string_equal(m.route->path, "/r0");
	assert_string_equal(m.route->function, "F");
	assert_test_cors(m.route->cors);
	gateway_routes_free(rt);
}

static struct gateway_routes *routes_of(const struct gateway_route_spec *specs, size_t n)
{
	struct gateway_routes *rt;

	assert_int_equal(gateway_routes_new(&rt), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(gateway_routes_add(rt, &specs[i]), 0);
	return rt;
}

/* Segment kinds decide before method and length: a literal beats a parameter, even under ANY. */
static void test_precedence(void **state)
{
	static const struct gateway_route_spec s[] = {
		{.version = APIGW_V2, .method = "GET", .path = "/a/{x}", .function = "GetParam"},
		{.version = APIGW_V2, .method = "ANY", .path = "/a/b", .function = "AnyLit"},
		{.version = APIGW_V2, .method = "GET", .path = "/a/{x+}", .function = "GetGreedy"},
		{.version = APIGW_V2, .method = "ANY", .path = "/a/{x}/c", .function = "Deeper"},
		{.version = APIGW_V2, .method = "POST", .path = "/a/{x}", .function = "PostParam"},
	};
	struct gateway_routes *rt = routes_of(s, ARRAY_SIZE(s));
	struct gateway_match m;

	assert_string_equal(fn(rt, "GET", "/a/b", &m), "AnyLit");
	assert_string_equal(fn(rt, "GET", "/a/z", &m), "GetParam");
	assert_string_equal(fn(rt, "POST", "/a/z", &m), "PostParam");
	assert_string_equal(fn(rt, "GET", "/a/z/c", &m), "Deeper");
	assert_string_equal(fn(rt, "GET", "/a/z/d", &m), "GetGreedy");
	assert_true(str_eq_cstr(m.params[0].value, "z/d"));
	assert_null(fn(rt, "PUT", "/a/z/d", &m));
	assert_null(fn(rt, "GET", "/a", &m));
	gateway_routes_free(rt);
}

/* {proxy+} takes the rest of the path, slashes and empty segments included, at least one byte. */
static void test_greedy(void **state)
{
	static const struct gateway_route_spec s[] = {
		{.version = APIGW_V1, .method = "ANY", .path = "/{proxy+}", .function = "Root"},
		{.version = APIGW_V1,
		 .method = "GET",
		 .path = "/files/{path+}",
		 .function = "Files"},
	};
	struct gateway_routes *rt = routes_of(s, ARRAY_SIZE(s));
	struct gateway_match m;

	assert_string_equal(fn(rt, "GET", "/files/a//b/", &m), "Files");
	assert_int_equal(m.nparams, 1);
	assert_true(str_eq_cstr(m.params[0].name, "path"));
	assert_true(str_eq_cstr(m.params[0].value, "a//b/"));
	assert_string_equal(m.route_key, "/files/{path+}"); /* REST: the resource path */
	assert_string_equal(fn(rt, "GET", "/files/", &m), "Root");
	assert_true(str_eq_cstr(m.params[0].value, "files/"));
	assert_string_equal(fn(rt, "DELETE", "/x", &m), "Root");
	assert_null(fn(rt, "GET", "/", &m)); /* nothing for {proxy+} to take */
	gateway_routes_free(rt);
}

/* $default: the HTTP API's catch-all, after every other route, whatever the method. */
static void test_default_route(void **state)
{
	static const struct gateway_route_spec s[] = {
		{.version = APIGW_V2, .method = "ANY", .path = "$default", .function = "Default"},
		{.version = APIGW_V2, .method = "ANY", .path = "/{proxy+}", .function = "Proxy"},
		{.version = APIGW_V2, .method = "POST", .path = "/only", .function = "Only"},
	};
	struct gateway_routes *rt = routes_of(s, ARRAY_SIZE(s));
	struct gateway_match m;

	assert_string_equal(fn(rt, "GET", "/x/y", &m), "Proxy");
	assert_string_equal(m.route_key, "ANY /{proxy+}");
	assert_string_equal(fn(rt, "POST", "/only", &m), "Only");
	assert_string_equal(m.route_key, "POST /only");
	assert_string_equal(fn(rt, "GET", "/", &m), "Default");
	assert_string_equal(m.route_key, "$default");
	assert_int_equal(m.nparams, 0);
	assert_true(gateway_routes_has_http(rt));
	gateway_routes_free(rt);
}

/*
 * "/<stage>/..." is matched among that stage's routes; when none matches
 * there, the whole path is matched among all routes.
 */
static void test_stage_fallback(void **state)
{
	static const struct gateway_route_spec s[] = {
		{.version = APIGW_V1,
		 .stage = "dev",
		 .method = "GET",
		 .path = "/a",
		 .function = "A"},
		{.version = APIGW_V1, .method = "GET", .path = "/dev/b", .function = "DevB"},
		{.version = APIGW_V1,
		 .stage = "$default",
		 .method = "GET",
		 .path = "/c",
		 .function = "C"},
	};
	struct gateway_routes *rt = routes_of(s, ARRAY_SIZE(s));
	struct gateway_match m;

	assert_string_equal(fn(rt, "GET", "/dev/a", &m), "A");
	assert_string_equal(m.stage, "dev");
	assert_string_equal(fn(rt, "GET", "/dev/b", &m), "DevB");
	assert_null(m.stage);
	assert_string_equal(fn(rt, "GET", "/a", &m), "A");
	assert_null(m.stage);
	assert_string_equal(fn(rt, "GET", "/c", &m), "C");
	assert_null(m.route->stage); /* "$default" is no stage */
	assert_null(fn(rt, "GET", "/$default/c", &m));
	assert_false(gateway_routes_has_http(rt));
	gateway_routes_free(rt);
}

/* By path alone (a preflight), the most specific route of any method; a NULL method matches
 * nothing. */
static void test_match_path(void **state)
{
	static const struct gateway_cors cors = {.allow_origins = "*", .max_age = -1};
	static const struct gateway_route_spec s[] = {
		{.version = APIGW_V2, .method = "POST", .path = "/p/{id}", .function = "Post"},
		{.version = APIGW_V2,
		 .method = "DELETE",
		 .path = "/p/x",
		 .function = "Del",
		 .cors = &cors},
	};
	struct gateway_routes *rt = routes_of(s, ARRAY_SIZE(s));
	struct gateway_match m;

	assert_true(gateway_routes_match_path(rt, "/p/x", &m));
	assert_string_equal(m.route->function, "Del");
	assert_true(gateway_routes_match_path(rt, "/p/y", &m));
	assert_string_equal(m.route->function, "Post");
	assert_false(gateway_routes_match_path(rt, "/q", &m));
	assert_null(m.route);
	assert_false(gateway_routes_match(rt, NULL, "/p/x", &m));
	assert_false(gateway_routes_match(NULL, "GET", "/p/x", &m));
	assert_false(gateway_routes_match(rt, "POST", NULL, &m));
	assert_string_equal(gateway_routes_first_cors(rt)->function, "Del");
	assert_null(gateway_routes_first_cors(NULL));
	gateway_routes_free(rt);
}

/* Parameters past GATEWAY_MAX_PARAMS are dropped; the route still matches. */
static void test_params_cap(void **state)
{
	struct gateway_route_spec s = {.version = APIGW_V2, .method = "GET", .function = "Many"};
	char path[256] = "", req[256] = "";
	struct gateway_routes *rt;
	struct gateway_match m;
	size_t n = 0, k = 0;

	for (int i = 0; i < GATEWAY_MAX_PARAMS + 2; i++) {
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/{p%d}", i);
		k += (size_t)snprintf(req + k, sizeof(req) - k, "/v%d", i);
	}
	s.path = path;
	rt = routes_of(&s, 1);
	assert_string_equal(fn(rt, "GET", req, &m), "Many");
	assert_int_equal(m.nparams, GATEWAY_MAX_PARAMS);
	assert_true(str_eq_cstr(m.params[GATEWAY_MAX_PARAMS - 1].name, "p15"));
	assert_true(str_eq_cstr(m.params[GATEWAY_MAX_PARAMS - 1].value, "v15"));
	gateway_routes_free(rt);
}

/* The table's limits, and a table shared by references. */
static void test_limits_and_refs(void **state)
{
	struct gateway_route_spec s = {
		.version = APIGW_V2, .method = "GET", .path = "/r", .function = "F"};
	struct gateway_routes *rt;
	struct gateway_match m;
	char *long_path = malloc(GATEWAY_ROUTE_KEY_MAX + 1);

	assert_non_null(long_path);
	assert_int_equal(gateway_routes_new(&rt), 0);
	memset(long_path, 'x', GATEWAY_ROUTE_KEY_MAX);
	long_path[0] = '/';
	long_path[GATEWAY_ROUTE_KEY_MAX] = '\0';
	s.path = long_path;
	assert_int_equal(gateway_routes_add(rt, &s), ERR_TOOLARGE); /* "GET " + path */
	free(long_path);
	s.path = "/r";
	for (int i = 0; i < GATEWAY_MAX_ROUTES; i++)
		assert_int_equal(gateway_routes_add(rt, &s), 0);
	assert_int_equal(gateway_routes_add(rt, &s), ERR_TOOLARGE);
	assert_int_equal(gateway_routes_count(rt), GATEWAY_MAX_ROUTES);
	assert_int_equal(gateway_routes_add(NULL, &s), ERR_INVAL);
	assert_int_equal(gateway_routes_add(rt, NULL), ERR_INVAL);
	assert_ptr_equal(gateway_routes_ref(rt), rt);
	gateway_routes_unref(rt);
	assert_true(gateway_routes_match(rt, "GET", "/r", &m)); /* one reference left */
	gateway_routes_unref(rt);				/* freed: ASan checks */
	assert_int_equal(gateway_routes_count(NULL), 0);
	gateway_routes_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_params_and_stage),
		cmocka_unit_test(test_default_route_and_refusals),
		cmocka_unit_test(test_cors_past_16_routes),
		cmocka_unit_test(test_cors_empty_block),
		cmocka_unit_test(test_match_survives_growth),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_greedy),
		cmocka_unit_test(test_default_route),
		cmocka_unit_test(test_stage_fallback),
		cmocka_unit_test(test_match_path),
		cmocka_unit_test(test_params_cap),
		cmocka_unit_test(test_limits_and_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
