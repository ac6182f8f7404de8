/*
 * Unit tests for preferences documents (src/app/preferences_doc.c and the
 * scanner of preferences_json.c): userId validation, PUT bodies and import
 * lines under one set of rules, every refusal with its message, and the JSON
 * the records are stored as.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/preferences_doc.h"
#include "app/preferences_json.h"

#define LINE (PREFS_USER_ID | PREFS_PURPOSES | PREFS_VENDORS | PREFS_UPDATED_AT)
#define BODY (PREFS_PURPOSES | PREFS_VENDORS)

static struct prefs_doc doc;
static char why[512];

static int parse(const char *json, unsigned allowed)
{
	why[0] = '\0';
	return prefs_parse(json, strlen(json), allowed, allowed, &doc, why, sizeof(why));
}

static void test_user_ids(void **state)
{
	char max[PREFS_USER_ID_MAX + 2];

	assert_true(prefs_user_id_valid("alice", 5));
	assert_true(prefs_user_id_valid("a.b_c:d@e-f.9", 13));
	memset(max, 'x', sizeof(max));
	assert_true(prefs_user_id_valid(max, PREFS_USER_ID_MAX));
	assert_false(prefs_user_id_valid(max, PREFS_USER_ID_MAX + 1));
	assert_false(prefs_user_id_valid("", 0));
	assert_false(prefs_user_id_valid("a b", 3));
	assert_false(prefs_user_id_valid("a/b", 3));
	assert_false(prefs_user_id_valid("a%2F", 4));
	assert_false(prefs_user_id_valid("caf\xc3\xa9", 5));
	assert_false(prefs_user_id_valid("a\0b", 3));
}

static void test_body(void **state)
{
	struct buf out;

	assert_int_equal(
		parse("{\"purposes\":{\"3\":false,\"1\":true},\"vendors\":{\"755\":true}}", BODY),
		0);
	assert_int_equal(doc.npurposes, 2);
	assert_int_equal(doc.purposes[0].id, 1);
	assert_true(doc.purposes[0].granted);
	assert_int_equal(doc.purposes[1].id, 3);
	assert_false(doc.purposes[1].granted);
	assert_int_equal(doc.nvendors, 1);
	assert_int_equal(doc.vendors[0].id, 755);
	buf_init(&out, 1024);
	prefs_put_choices(&out, doc.purposes, doc.npurposes);
	buf_putc(&out, ' ');
	prefs_put_choices(&out, doc.vendors, 0);
	assert_string_equal(out.ptr, "{\"1\":true,\"3\":false} {}");
	buf_release(&out);
	/* Whitespace anywhere JSON allows it; empty objects; escaped names. */
	assert_int_equal(
		parse(" \n{ \"vendors\" : { } ,\t\"purp\\u006fses\":{\"\\u0031\":true} }\r\n",
		      BODY),
		0);
	assert_int_equal(doc.npurposes, 1);
	assert_int_equal(doc.purposes[0].id, 1);
}

static void test_line(void **state)
{
	assert_int_equal(parse("{\"userId\":\"u-1@x\",\"purposes\":{},\"vendors\":{\"1\":false},"
			       "\"updatedAt\":\"2026-03-14T15:09:26.5+01:00\"}",
			       LINE),
			 0);
	assert_string_equal(doc.user_id, "u-1@x");
	assert_int_equal(doc.updated_at_ms, 1773497366500LL);
	assert_int_equal(doc.nvendors, 1);
	/* A PUT body may not carry a userId; a line must. */
	assert_int_equal(parse("{\"userId\":\"a\",\"purposes\":{},\"vendors\":{}}", BODY),
			 ERR_INVAL);
	assert_string_equal(why, "unknown member: \"userId\" (allowed: \"purposes\", \"vendors\")");
	assert_int_equal(parse("{\"purposes\":{},\"vendors\":{}}", LINE), ERR_INVAL);
	assert_string_equal(why, "missing: \"userId\", \"updatedAt\"");
}

static void test_refusals(void **state)
{
	static const struct {
		const char *json;
		int err;
		const char *why;
	} cases[] = {
		{"", ERR_PARSE, "the document is empty"},
		{"[1]", ERR_INVAL, "the document must be a JSON object"},
		{"{\"purposes\":{},\"vendors\":{}", ERR_PARSE,
		 "not valid JSON: column 28: expected ',' or '}'"},
		{"{\"purposes\":{},\"vendors\":{}} x", ERR_PARSE,
		 "not valid JSON: column 30: unexpected text after the object"},
		{"{\"purposes\":{\"1\":1},\"vendors\":{}}", ERR_INVAL,
		 "purpose 1 must be true or false"},
		{"{\"purposes\":{\"01\":true},\"vendors\":{}}", ERR_INVAL,
		 "purpose id \"01\" is not an integer from 1 to 65535"},
		{"{\"purposes\":{\"0\":true},\"vendors\":{}}", ERR_INVAL,
		 "purpose id \"0\" is not an integer from 1 to 65535"},
		{"{\"purposes\":{},\"vendors\":{\"65536\":true}}", ERR_INVAL,
		 "vendor id \"65536\" is not an integer from 1 to 65535"},
		{"{\"purposes\":{},\"vendors\":{\"-1\":true}}", ERR_INVAL,
		 "vendor id \"-1\" is not an integer from 1 to 65535"},
		{"{\"purposes\":{},\"vendors\":{\"7\":true,\"7\":false}}", ERR_INVAL,
		 "vendor 7 is given twice"},
		{"{\"purposes\":[],\"vendors\":{}}", ERR_INVAL,
		 "\"purposes\" must be an object of \"<id>\": true or false"},
		{"{\"purposes\":{},\"purposes\":{},\"vendors\":{}}", ERR_INVAL,
		 "\"purposes\" is given twice"},
		{"{\"purposes\":{},\"vendors\":{},\"a\":[1,{\"b\":null}],\"c\":2}", ERR_INVAL,
		 "unknown members: \"a\", \"c\" (allowed: \"purposes\", \"vendors\")"},
		{"{\"purposes\":{},\"vendors\":{\"1\":tru}}", ERR_PARSE,
		 "not valid JSON: column 31: expected true or false"},
		{"{\"purposes\":{},\"vendors\":{},\"x\":\"\\ud800\"}", ERR_PARSE,
		 "not valid JSON: column 34: invalid escape in a string"},
		{"{\"purposes\":{},\"vendors\":{},\"x\":\"\xc3\"}", ERR_PARSE,
		 "not valid JSON: column 34: invalid UTF-8 in a string"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int err = parse(cases[i].json, BODY);

		if (err != cases[i].err || strcmp(why, cases[i].why))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", cases[i].json, err, why,
				 cases[i].err, cases[i].why);
	}
	/* Lines: bad userId, bad updatedAt. */
	assert_int_equal(parse("{\"userId\":\"a b\",\"purposes\":{},\"vendors\":{},"
			       "\"updatedAt\":\"2026-01-01T00:00:00Z\"}",
			       LINE),
			 ERR_INVAL);
	assert_non_null(strstr(why, "\"userId\" must be 1 to 128 characters"));
	assert_int_equal(parse("{\"userId\":\"a\",\"purposes\":{},\"vendors\":{},"
			       "\"updatedAt\":\"2026-02-30T00:00:00Z\"}",
			       LINE),
			 ERR_INVAL);
	assert_string_equal(why, "\"updatedAt\" is not an RFC 3339 date-time");
	assert_int_equal(parse("{\"userId\":\"a\\u0000\",\"purposes\":{},\"vendors\":{},"
			       "\"updatedAt\":\"2026-01-01T00:00:00Z\"}",
			       LINE),
			 ERR_INVAL);
}

static void test_scanner(void **state)
{
	struct jscan s;
	struct jstring js;
	char out[32];
	long long v;

	jscan_init(&s, "\"a\\n\\u00e9\\ud83d\\ude00\"", 24);
	assert_true(jscan_string(&s, &js));
	assert_true(js.escaped);
	assert_int_equal(jscan_decode(&js, out, sizeof(out)), 8);
	assert_string_equal(out, "a\n\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(jscan_decode(&js, out, 4), -1);
	jscan_init(&s, "[1, -2, 3.5]", 12);
	bool first = true;
	assert_true(jscan_array_begin(&s));
	assert_int_equal(jscan_array_next(&s, &first), 1);
	assert_true(jscan_int(&s, 0, 10, &v));
	assert_int_equal(v, 1);
	assert_int_equal(jscan_array_next(&s, &first), 1);
	assert_false(jscan_int(&s, 0, 10, &v)); /* -2 is out of range */
	assert_string_equal(s.err, "expected an integer in range");
	/* Deep nesting stops at JSCAN_MAX_DEPTH. */
	char deep[200];
	memset(deep, '[', sizeof(deep));
	jscan_init(&s, deep, sizeof(deep));
	assert_false(jscan_skip(&s));
	assert_string_equal(s.err, "nested too deeply");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_ids), cmocka_unit_test(test_body),
		cmocka_unit_test(test_line),	 cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_scanner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
