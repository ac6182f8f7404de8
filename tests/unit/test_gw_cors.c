/*
 * Unit tests for the gateway's CORS origin check (src/local/apigw/gw_cors.c):
 * "*", a list compared item by item, whole, after trimming spaces. The
 * preflight answers themselves are checked end to end by
 * tests/protocol/test_local_gateway_errors.py.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/apigw/gw_int.h"

static void test_origin_allowed(void **state)
{
	const char *list = "https://a.example, https://b.example ,http://localhost:3000";

	assert_true(gw_cors_origin_allowed("*", "https://anything.example"));
	assert_true(gw_cors_origin_allowed(list, "https://a.example"));
	assert_true(gw_cors_origin_allowed(list, "https://b.example"));
	assert_true(gw_cors_origin_allowed(list, "http://localhost:3000"));
	assert_false(gw_cors_origin_allowed(list, "https://a.example.evil"));
	assert_false(gw_cors_origin_allowed(list, "https://a.exampl"));
	assert_false(gw_cors_origin_allowed(list, "http://localhost"));
	assert_false(gw_cors_origin_allowed(list, ""));
	assert_false(gw_cors_origin_allowed(NULL, "https://a.example"));
	assert_false(gw_cors_origin_allowed("", "https://a.example"));
	assert_false(gw_cors_origin_allowed("**", "https://a.example")); /* no wildcards inside */
	assert_true(gw_cors_origin_allowed("https://a.example,", "https://a.example"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
