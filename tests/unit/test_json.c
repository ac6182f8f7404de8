/* Unit tests for the jansson helpers (src/core/json.c): typed lookups, capped dumps, parse errors.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"

#define LIT(s) (s), sizeof(s) - 1

static void test_lookups(void **state)
{
	json_t *v = jsonx_parse(LIT("{\"s\":\"str\",\"n\":1,\"o\":{\"x\":true},\"a\":[1,2],"
				    "\"t\":true,\"f\":false,\"z\":null}"),
				NULL, 0);
	assert_non_null(v);
	assert_string_equal(jsonx_str(v, "s"), "str");
	assert_null(jsonx_str(v, "n"));
	assert_null(jsonx_str(v, "missing"));
	assert_non_null(jsonx_obj(v, "o"));
	assert_true(jsonx_bool(jsonx_obj(v, "o"), "x", false));
	assert_null(jsonx_obj(v, "a"));
	assert_int_equal(json_array_size(jsonx_arr(v, "a")), 2);
	assert_null(jsonx_arr(v, "o"));
	assert_true(jsonx_bool(v, "t", false));
	assert_false(jsonx_bool(v, "f", true));
	assert_true(jsonx_bool(v, "z", true)); /* null is not a boolean */
	assert_false(jsonx_bool(v, "missing", false));
	/* Not an object, or NULL: the default, never a crash. */
	json_t *arr = jsonx_arr(v, "a");
	assert_null(jsonx_str(arr, "s"));
	assert_null(jsonx_str(NULL, "s"));
	assert_null(jsonx_obj(NULL, "o"));
	assert_null(jsonx_arr(NULL, "a"));
	assert_true(jsonx_bool(NULL, "t", true));
	json_decref(v);
}

static void test_strn(void **state)
{
	json_t *s = jsonx_strn(str_make("a\0b", 3));
	assert_non_null(s);
	assert_int_equal(json_string_length(s), 3);
	assert_memory_equal(json_string_value(s), "a\0b", 3);
	json_decref(s);
	s = jsonx_strn(STR_NULL);
	assert_string_equal(json_string_value(s), "");
	json_decref(s);
	assert_null(jsonx_strn(STR_LIT("\xc3\x28")));
	assert_null(jsonx_strn(STR_LIT("\xed\xa0\x80")));
}

static void test_dump(void **state)
{
	struct buf b;
	buf_init(&b, 1024);
	json_t *v = json_pack("{s:s, s:i, s:[b,n]}", "k", "v\"\n", "n", 5, "a", 1);
	assert_int_equal(buf_adds(&b, ">"), 0);
	assert_int_equal(jsonx_dump(v, &b, 0), 0);
	assert_string_equal(b.ptr, ">{\"k\":\"v\\\"\\n\",\"n\":5,\"a\":[true,null]}");
	buf_reset(&b);
	assert_int_equal(jsonx_dump(v, &b, JSON_SORT_KEYS), 0);
	assert_string_equal(b.ptr, "{\"a\":[true,null],\"k\":\"v\\\"\\n\",\"n\":5}");
	json_decref(v);

	/* Any value at the top. */
	buf_reset(&b);
	v = json_string("x");
	assert_int_equal(jsonx_dump(v, &b, 0), 0);
	assert_string_equal(b.ptr, "\"x\"");
	json_decref(v);
	assert_int_equal(jsonx_dump(NULL, &b, 0), ERR_INVAL);
	buf_release(&b);

	/* Past the cap: ERR_TOOLARGE and the buffer as it was. */
	buf_init(&b, 10);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	v = json_pack("{s:s}", "key", "a long enough value");
	assert_int_equal(jsonx_dump(v, &b, 0), ERR_TOOLARGE);
	assert_int_equal(b.len, 2);
	assert_string_equal(b.ptr, "ab");
	json_decref(v);
	buf_release(&b);
}

static void test_parse_errors(void **state)
{
	char err[160];
	json_t *v = jsonx_parse(LIT("{\n  \"a\": 1,\n  \"b\": }"), err, sizeof(err));
	assert_null(v);
	assert_non_null(strstr(err, "line 3 column"));
	v = jsonx_parse(LIT("\"\xc3\x28\""), err, sizeof(err));
	assert_null(v);
	assert_true(strncmp(err, "line 1 column", 13) == 0);
	assert_null(jsonx_parse(LIT(""), err, sizeof(err)));
	assert_null(jsonx_parse(LIT("{} extra"), NULL, 0));
	/* A tiny error buffer is filled safely. */
	char small[8];
	assert_null(jsonx_parse(LIT("[1,"), small, sizeof(small)));
	assert_int_equal(strlen(small), 7);
	/* Scalars at the top level, and input bounded by its length. */
	v = jsonx_parse(LIT("42"), NULL, 0);
	assert_int_equal(json_integer_value(v), 42);
	json_decref(v);
	v = jsonx_parse("[1][2]", 3, NULL, 0);
	assert_int_equal(json_array_size(v), 1);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_strn),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
