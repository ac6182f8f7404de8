/* Unit tests for the CloudFront Function reader (src/local/web/cf_function.c). */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/web/cf_function.h"

/* The template's SiteSpaFunction, as infra/template.yaml writes it. */
static const char spa[] = "// Paths without a dot in their last segment are routes of the page.\n"
			  "function handler(event) {\n"
			  "  var request = event.request;\n"
			  "  var uri = request.uri;\n"
			  "  if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {\n"
			  "    request.uri = '/index.html';\n"
			  "  }\n"
			  "  return request;\n"
			  "}\n";

static int read_str(const char *code, struct cf_rule *r)
{
	return cf_function_read(code, strlen(code), r);
}

static void test_recognises_the_spa_function(void **state)
{
	struct cf_rule r;

	assert_int_equal(read_str(spa, &r), 0);
	assert_int_equal(r.kind, CF_RULE_SPA);
	assert_string_equal(r.uri, "/index.html");
	/* Layout, comments and quotes do not matter. */
	assert_int_equal(read_str("/* spa */ function handler(event){var request=event.request;"
				  "var uri=request.uri;if(uri.lastIndexOf(\".\")<uri.lastIndexOf("
				  "\"/\")){request.uri=\"/app.html\";}return request;}",
				  &r),
			 0);
	assert_string_equal(r.uri, "/app.html");
}

static void test_other_code_is_not_run(void **state)
{
	struct cf_rule r;
	char changed[sizeof(spa)];

	memcpy(changed, spa, sizeof(spa));
	*strstr(changed, "<") = '>';
	assert_int_equal(read_str(changed, &r), ERR_UNSUPPORTED);
	assert_int_equal(r.kind, CF_RULE_NONE);
	assert_int_equal(read_str("function handler(event) { return event.request; }", &r),
			 ERR_UNSUPPORTED);
	assert_int_equal(read_str("", &r), ERR_UNSUPPORTED);
	assert_int_equal(read_str("var s = 'unterminated", &r), ERR_PARSE);
	assert_int_equal(read_str("/* open comment", &r), ERR_PARSE);
	/* The target must be a path. */
	memcpy(changed, spa, sizeof(spa));
	memcpy(strstr(changed, "'/index.html'"), "'xindex.html'", 13);
	assert_int_equal(read_str(changed, &r), ERR_UNSUPPORTED);
}

static void test_rule(void **state)
{
	struct cf_rule r;

	assert_int_equal(read_str(spa, &r), 0);
	assert_string_equal(cf_rule_apply(&r, STR_LIT("/")), "/index.html");
	assert_string_equal(cf_rule_apply(&r, STR_LIT("/messages/42")), "/index.html");
	assert_string_equal(cf_rule_apply(&r, STR_LIT("/messages/")), "/index.html");
	assert_string_equal(cf_rule_apply(&r, STR_LIT("/v1.2/page")), "/index.html");
	assert_null(cf_rule_apply(&r, STR_LIT("/assets/main-X.js")));
	assert_null(cf_rule_apply(&r, STR_LIT("/config.json")));
	assert_null(cf_rule_apply(&r, STR_LIT("/missing.png")));
	r.kind = CF_RULE_NONE;
	assert_null(cf_rule_apply(&r, STR_LIT("/")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recognises_the_spa_function),
		cmocka_unit_test(test_other_code_is_not_run),
		cmocka_unit_test(test_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
