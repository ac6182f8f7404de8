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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_params_and_stage),
		cmocka_unit_test(test_default_route_and_refusals),
		cmocka_unit_test(test_cors_past_16_routes),
		cmocka_unit_test(test_cors_empty_block),
		cmocka_unit_test(test_match_survives_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
