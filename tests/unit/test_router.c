/* Unit tests for the router (src/app/router.c): patterns, parameters, 404, 405 and Allow. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/router.h"

enum { R_LIST, R_CREATE, R_PUT, R_GET, R_DELETE, R_HEALTH, R_USER_POST, R_ANY };

static const struct route routes[] = {
	{"GET", "/objects", R_LIST},
	{"POST", "/objects", R_CREATE},
	{"PUT", "/objects/{name+}", R_PUT},
	{"GET", "/objects/{name+}", R_GET},
	{"DELETE", "/objects/{name+}", R_DELETE},
	{"GET", "/health", R_HEALTH},
	{"POST", "/users/{user}/posts/{post}", R_USER_POST},
	{"ANY", "/any/{rest+}", R_ANY},
};

static enum router_result match(const char *method, const char *path, struct route_match *m)
{
	return router_match(routes, ARRAY_SIZE(routes), str_from(method), str_from(path), m);
}

static void assert_param(const struct route_match *m, const char *name, const char *want)
{
	struct str v = route_param(m, name);
	assert_non_null(v.ptr);
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.ptr, want, v.len);
}

static void test_literal_routes(void **state)
{
	struct route_match m;

	assert_int_equal(match("GET", "/objects", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_LIST);
	assert_int_equal(m.nparams, 0);
	assert_string_equal(m.allow, "");
	assert_int_equal(match("POST", "/objects", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_CREATE);
	assert_int_equal(match("GET", "/health", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_HEALTH);
}

static void test_greedy_parameter(void **state)
{
	struct route_match m;

	assert_int_equal(match("PUT", "/objects/a", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_PUT);
	assert_int_equal(m.nparams, 1);
	assert_param(&m, "name", "a");

	assert_int_equal(match("GET", "/objects/dir/sub/file%20x.txt", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_GET);
	assert_param(&m, "name", "dir/sub/file%20x.txt");

	/* Slashes are the parameter's own: trailing and doubled ones are kept. */
	assert_int_equal(match("GET", "/objects/a//b/", &m), ROUTER_FOUND);
	assert_param(&m, "name", "a//b/");

	/* The greedy parameter needs at least one byte. */
	assert_int_equal(match("GET", "/objects/", &m), ROUTER_NOT_FOUND);
	assert_null(m.route);
	assert_int_equal(match("DELETE", "/objects/x", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_DELETE);
	assert_null(route_param(&m, "other").ptr);
}

static void test_plain_parameters(void **state)
{
	struct route_match m;

	assert_int_equal(match("POST", "/users/42/posts/abc", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_USER_POST);
	assert_int_equal(m.nparams, 2);
	assert_param(&m, "user", "42");
	assert_param(&m, "post", "abc");
	assert_true(str_eq_cstr(m.params[0].name, "user"));

	/* A plain parameter is one non-empty segment. */
	assert_int_equal(match("POST", "/users//posts/abc", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("POST", "/users/42/posts/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("POST", "/users/42/posts/a/b", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("POST", "/users/42/posts", &m), ROUTER_NOT_FOUND);
}

static void test_not_found(void **state)
{
	struct route_match m;

	assert_int_equal(match("GET", "/nope", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/objects/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/health/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/healthz", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/Health", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "health", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("", "/health", &m), ROUTER_NOT_FOUND);
	assert_null(m.route);
	assert_string_equal(m.allow, "");
}

static void test_method_not_allowed(void **state)
{
	struct route_match m;

	assert_int_equal(match("DELETE", "/objects", &m), ROUTER_BAD_METHOD);
	assert_null(m.route);
	assert_string_equal(m.allow, "GET, HEAD, POST");

	assert_int_equal(match("POST", "/objects/a/b", &m), ROUTER_BAD_METHOD);
	assert_string_equal(m.allow, "DELETE, GET, HEAD, PUT");

	assert_int_equal(match("POST", "/health", &m), ROUTER_BAD_METHOD);
	assert_string_equal(m.allow, "GET, HEAD");

	/* Methods are case-sensitive (RFC 9110 section 9.1). */
	assert_int_equal(match("get", "/health", &m), ROUTER_BAD_METHOD);
}

static void test_head_and_any(void **state)
{
	struct route_match m;

	assert_int_equal(match("HEAD", "/objects/x", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_GET);
	assert_int_equal(match("HEAD", "/health", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_HEALTH);
	assert_int_equal(match("PATCH", "/any/x/y", &m), ROUTER_FOUND);
	assert_int_equal(m.route->id, R_ANY);
	assert_param(&m, "rest", "x/y");

	/* HEAD on a path without a GET route is a 405. */
	static const struct route put_only[] = {{"PUT", "/p", 1}};
	assert_int_equal(router_match(put_only, 1, STR_LIT("HEAD"), STR_LIT("/p"), &m),
			 ROUTER_BAD_METHOD);
	assert_string_equal(m.allow, "PUT");
}

static void test_first_match_wins(void **state)
{
	static const struct route r[] = {
		{"GET", "/files/special", 1},
		{"GET", "/files/{name+}", 2},
	};
	struct route_match m;

	assert_int_equal(router_match(r, 2, STR_LIT("GET"), STR_LIT("/files/special"), &m),
			 ROUTER_FOUND);
	assert_int_equal(m.route->id, 1);
	assert_int_equal(router_match(r, 2, STR_LIT("GET"), STR_LIT("/files/special/x"), &m),
			 ROUTER_FOUND);
	assert_int_equal(m.route->id, 2);
}

static void test_malformed_patterns_never_match(void **state)
{
	static const struct route r[] = {
		{"GET", "/a/{name+}/b", 1}, /* greedy not last */
		{"GET", "/c/{}", 2},	    /* empty name */
		{"GET", "/d/{x", 3},	    /* unclosed */
		{"GET", "no-slash", 4},	    {"GET", "/e/{a}{b}", 5}, {NULL, "/f", 6},
		{"GET", NULL, 7},
	};
	struct route_match m;
	const char *paths[] = {"/a/x/b", "/c/x", "/d/{x", "no-slash", "/e/xy", "/f", "/"};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		assert_int_equal(
			router_match(r, ARRAY_SIZE(r), STR_LIT("GET"), str_from(paths[i]), &m),
			ROUTER_NOT_FOUND);
}

static void test_too_many_params(void **state)
{
	static const struct route r[] = {
		{"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", 1},
		{"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", 2},
	};
	struct route_match m;

	assert_int_equal(router_match(r, 2, STR_LIT("GET"), STR_LIT("/1/2/3/4/5/6/7/8"), &m),
			 ROUTER_FOUND);
	assert_int_equal(m.nparams, 8);
	assert_param(&m, "h", "8");
	assert_int_equal(router_match(r, 2, STR_LIT("GET"), STR_LIT("/1/2/3/4/5/6/7/8/9"), &m),
			 ROUTER_NOT_FOUND);
}

static void test_error_bodies(void **state)
{
	struct buf b;
	struct route_match m;
	int status = 0;

	buf_init(&b, 4096);
	assert_int_equal(match("GET", "/nope", &m), ROUTER_NOT_FOUND);
	assert_int_equal(router_reject(ROUTER_NOT_FOUND, &m, &status, &b), 0);
	assert_int_equal(status, 404);
	assert_string_equal(b.ptr, "{\"error\":{\"code\":\"NotFound\","
				   "\"message\":\"no route matches the request path\"}}");

	buf_reset(&b);
	assert_int_equal(match("PUT", "/health", &m), ROUTER_BAD_METHOD);
	assert_int_equal(router_reject(ROUTER_BAD_METHOD, &m, &status, &b), 0);
	assert_int_equal(status, 405);
	assert_string_equal(b.ptr, "{\"error\":{\"code\":\"MethodNotAllowed\","
				   "\"message\":\"the method is not allowed on this path; "
				   "see the Allow header\"}}");
	assert_int_equal(router_reject(ROUTER_FOUND, &m, &status, &b), ERR_INVAL);

	buf_reset(&b);
	assert_int_equal(router_error_json(&b, "Bad", "quote \" and \\ and \n"), 0);
	assert_string_equal(b.ptr, "{\"error\":{\"code\":\"Bad\","
				   "\"message\":\"quote \\\" and \\\\ and \\n\"}}");

	/* Text that is not UTF-8 falls back to a generic message. */
	buf_reset(&b);
	assert_int_equal(router_error_json(&b, "Bad", "\xff"), 0);
	assert_string_equal(b.ptr, "{\"error\":{\"code\":\"InternalError\","
				   "\"message\":\"the error could not be described\"}}");

	/* The cap is honoured. */
	struct buf small;
	buf_init(&small, 8);
	assert_int_equal(router_error_json(&small, "Bad", "x"), ERR_TOOLARGE);
	buf_release(&small);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_routes),
		cmocka_unit_test(test_greedy_parameter),
		cmocka_unit_test(test_plain_parameters),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_head_and_any),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_malformed_patterns_never_match),
		cmocka_unit_test(test_too_many_params),
		cmocka_unit_test(test_error_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
