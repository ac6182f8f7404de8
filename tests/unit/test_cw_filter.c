/*
 * Unit tests for CloudWatch Logs filter patterns (src/local/cloudwatch/cw_filter.c):
 * terms, ?terms, -terms, quoted phrases, regular expressions, JSON patterns
 * (every operator, selectors, && || and parentheses, wildcards, IS/NOT
 * EXISTS), space-delimited patterns, metric values, and the refusals.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"
#include "local/cloudwatch/cw_filter.h"

static bool match(const char *pattern, const char *msg)
{
	struct cw_filter *f = NULL;
	char why[256];
	bool ok;

	assert_int_equal(cw_filter_parse(pattern, strlen(pattern), &f, why, sizeof(why)), 0);
	ok = cw_filter_match(f, msg, strlen(msg));
	cw_filter_free(f);
	return ok;
}

static void refused(const char *pattern, const char *reason)
{
	struct cw_filter *f = NULL;
	char why[256] = "";

	assert_int_not_equal(cw_filter_parse(pattern, strlen(pattern), &f, why, sizeof(why)), 0);
	assert_null(f);
	assert_non_null(strstr(why, reason));
}

static const char line[] = "{\"level\":\"ERROR\",\"message\":\"request\",\"status\":503,"
			   "\"durationMs\":12.5,\"route\":\"GET /objects/{name+}\",\"ok\":false,"
			   "\"user\":{\"id\":42,\"tags\":[\"a\",\"b\"]},\"none\":null,"
			   "\"function_request_id\":\"8f5e5b1c-1b2a-4c6d-9e0f-123456789abc\"}";

static void test_terms(void **state)
{
	assert_true(match("", "anything"));
	assert_true(match("   ", "anything"));
	assert_true(match("ERROR", "[ERROR] disk full"));
	assert_false(match("ERROR", "[error] disk full")); /* case-sensitive */
	assert_true(match("ERROR disk", "[ERROR] disk full"));
	assert_false(match("ERROR memory", "[ERROR] disk full"));
	assert_true(match("?ERROR ?WARN", "WARN low disk"));
	assert_false(match("?ERROR ?WARN", "INFO fine"));
	assert_true(match("ERROR -retrying", "ERROR gave up"));
	assert_false(match("ERROR -retrying", "ERROR retrying"));
	assert_true(match("\"Task timed out\"", "2026 abc Task timed out after 3.00 seconds"));
	assert_false(match("\"Task timed out\"", "Task was timed out"));
	assert_true(match("\"8f5e5b1c-1b2a-4c6d-9e0f-123456789abc\"", line));
	assert_true(match("8f5e5b1c-1b2a-4c6d-9e0f-123456789abc", line));
	assert_true(match("REPORT \"Init Duration\"", "REPORT RequestId: x\tInit Duration: 3 ms"));
}

static void test_regex(void **state)
{
	assert_true(match("%ERR(OR)? [0-9]+%", "ERR 42 happened"));
	assert_false(match("%^ERR [0-9]+$%", "an ERR 42"));
	refused("%unclosed", "not closed");
	refused("%a%i", "case-insensitive");
}

static void test_json_equality(void **state)
{
	assert_true(match("{ $.level = \"ERROR\" }", line));
	assert_true(match("{$.level=\"ERROR\"}", line));
	assert_false(match("{ $.level = \"INFO\" }", line));
	assert_true(match("{ $.level != \"INFO\" }", line));
	assert_true(match("{ $.level = ERROR }", line)); /* bare words */
	assert_true(match("{ $.route = \"GET /objects/*\" }", line));
	assert_true(match("{ $.route = \"*objects*\" }", line));
	assert_false(match("{ $.route = \"POST*\" }", line));
	assert_true(match("{ $.user.id = 42 }", line));
	assert_true(match("{ $.user.tags[1] = \"b\" }", line));
	assert_false(match("{ $.user.tags[2] = \"b\" }", line));
	assert_true(match("{ $.level = %ERR.R% }", line));
	/* Not JSON, or not the member: no match. */
	assert_false(match("{ $.level = \"ERROR\" }", "ERROR plain text"));
	assert_false(match("{ $.missing = \"x\" }", line));
}

static void test_json_numbers(void **state)
{
	assert_true(match("{ $.status >= 500 }", line));
	assert_true(match("{ $.status > 502 }", line));
	assert_false(match("{ $.status < 500 }", line));
	assert_true(match("{ $.status <= 503 }", line));
	assert_true(match("{ $.status = 503 }", line));
	assert_true(match("{ $.status != 200 }", line));
	assert_true(match("{ $.durationMs > 12 }", line));
	assert_false(match("{ $.durationMs > 12.5 }", line));
	assert_false(match("{ $.level > 5 }", line)); /* a string is no number */
}

static void test_json_keywords(void **state)
{
	assert_true(match("{ $.ok IS FALSE }", line));
	assert_false(match("{ $.ok IS TRUE }", line));
	assert_true(match("{ $.none IS NULL }", line));
	assert_false(match("{ $.level IS NULL }", line));
	assert_true(match("{ $.absent NOT EXISTS }", line));
	assert_false(match("{ $.level NOT EXISTS }", line));
}

static void test_json_logic(void **state)
{
	assert_true(match("{ $.level = \"ERROR\" && $.status >= 500 }", line));
	assert_false(match("{ $.level = \"ERROR\" && $.status < 500 }", line));
	assert_true(match("{ $.level = \"INFO\" || $.status >= 500 }", line));
	assert_true(match("{ ($.level = \"INFO\" || $.status = 503) && $.user.id = 42 }", line));
	assert_false(match("{ ($.level = \"INFO\" || $.status = 504) && $.user.id = 42 }", line));
	assert_true(match("{ $.a = 1 || ($.b = 2 || $.level = \"ERROR\") }", line));
}

static void test_json_refusals(void **state)
{
	refused("{ $.level = \"ERROR\"", "ends with }");
	refused("{ level = \"ERROR\" }", "selector");
	refused("{ $.level }", "operator");
	refused("{ $.level > \"x\" }", "compare numbers");
	refused("{ $.* = 1 }", "$.*");
	refused("{ $.a IN [1, 2] }", "IN");
	refused("{ $.a =~ \"x\" }", "=~");
	refused("{ ($.a = 1 }", "parenthesis");
	refused("{ $.a = \"unclosed }", "not closed");
	refused("{ $.a[x] = 1 }", "index");
	refused("bad\"term", "double quotes");
}

static void test_space_delimited(void **state)
{
	static const char access[] = "127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] "
				     "\"GET /index.html HTTP/1.0\" 404 1534";

	assert_true(match("[ip, user, timestamp, request, status, bytes]", access));
	assert_true(match("[ip, user, timestamp, request, status = 404, bytes]", access));
	assert_true(match("[ip, user, timestamp, request, status = 4*, bytes > 1000]", access));
	assert_false(match("[ip, user, timestamp, request, status = 5*, bytes]", access));
	assert_true(match("[ip, ..., status = 404, bytes]", access));
	assert_true(match("[..., bytes > 1500]", access));
	assert_false(match("[ip, user]", access)); /* more fields than named */
	assert_true(match("[ip = 127.0.0.1, ...]", access));
	assert_true(match("[ip, user = frank || user = bob, ...]", access));
	refused("[ip, user", "closed with ]");
}

static void test_values(void **state)
{
	struct cw_filter *f;
	double v;

	assert_int_equal(cw_filter_parse("{ $.status >= 500 }", 19, &f, NULL, 0), 0);
	assert_int_equal(cw_filter_value(f, "1", line, strlen(line), &v), 0);
	assert_true(v == 1);
	assert_int_equal(cw_filter_value(f, "$.durationMs", line, strlen(line), &v), 0);
	assert_true(v == 12.5);
	assert_int_equal(cw_filter_value(f, "$.level", line, strlen(line), &v), ERR_NOTFOUND);
	assert_int_equal(cw_filter_value(f, "two", line, strlen(line), &v), ERR_INVAL);
	cw_filter_free(f);

	assert_int_equal(cw_filter_parse("[ip, user, ..., bytes]", 22, &f, NULL, 0), 0);
	assert_int_equal(cw_filter_value(f, "$bytes", "1.2.3.4 bob GET 512", 19, &v), 0);
	assert_true(v == 512);
	cw_filter_free(f);
}

static void test_limits(void **state)
{
	char big[CW_FILTER_MAX + 2];
	struct cw_filter *f;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(cw_filter_parse(big, strlen(big), &f, NULL, 0), ERR_TOOLARGE);
	/* Deep parentheses stay within the node limit or are refused, never crash. */
	struct buf b;
	buf_init(&b, 4096);
	buf_puts(&b, "{ ");
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "(");
	buf_puts(&b, "$.a = 1");
	for (int i = 0; i < 200; i++)
		buf_puts(&b, ")");
	buf_puts(&b, " }");
	if (cw_filter_parse(b.ptr, b.len, &f, NULL, 0) == 0)
		cw_filter_free(f);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms),	      cmocka_unit_test(test_regex),
		cmocka_unit_test(test_json_equality), cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_keywords), cmocka_unit_test(test_json_logic),
		cmocka_unit_test(test_json_refusals), cmocka_unit_test(test_space_delimited),
		cmocka_unit_test(test_values),	      cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
