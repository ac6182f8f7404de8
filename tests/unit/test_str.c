/* Unit tests for borrowed slices (src/core/str.c): comparison, trimming, splitting, integers. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/str.h"

static void test_equality(void **state)
{
	assert_true(str_eq(STR_LIT("abc"), STR_LIT("abc")));
	assert_false(str_eq(STR_LIT("abc"), STR_LIT("abd")));
	assert_false(str_eq(STR_LIT("abc"), STR_LIT("ab")));
	assert_true(str_eq(STR_NULL, STR_LIT("")));
	assert_true(str_eq_cstr(STR_LIT("x-amz-date"), "x-amz-date"));
	assert_true(str_eq_cstr(STR_NULL, NULL));
	assert_true(str_ieq(STR_LIT("Content-Type"), STR_LIT("content-TYPE")));
	assert_false(str_ieq(STR_LIT("Content-Type"), STR_LIT("Content-Typ")));
	assert_true(str_ieq_cstr(STR_LIT("HOST"), "host"));
	/* Only ASCII letters fold: '@' (0x40) and '`' (0x60) differ. */
	assert_false(str_ieq_cstr(STR_LIT("@"), "`"));
	assert_true(str_eq(STR_LIT("a\0b"), str_make("a\0b", 3)));
	assert_false(str_eq(STR_LIT("a\0b"), STR_LIT("a\0c")));
}

static void test_prefix_suffix_index(void **state)
{
	assert_true(str_has_prefix(STR_LIT("/bucket/key"), STR_LIT("/bucket")));
	assert_false(str_has_prefix(STR_LIT("/b"), STR_LIT("/bucket")));
	assert_true(str_has_prefix(STR_LIT("x"), STR_NULL));
	assert_true(str_has_suffix(STR_LIT("file.json"), STR_LIT(".json")));
	assert_false(str_has_suffix(STR_LIT("file.json"), STR_LIT(".yaml")));
	assert_true(str_has_suffix(STR_NULL, STR_NULL));
	assert_int_equal(str_index(STR_LIT("a=b=c"), '='), 1);
	assert_int_equal(str_index(STR_LIT("abc"), '='), -1);
	assert_int_equal(str_index(STR_NULL, 'a'), -1);
}

static void test_trim(void **state)
{
	struct str t = str_trim(STR_LIT(" \t value with space \t "));
	assert_true(str_eq_cstr(t, "value with space"));
	t = str_trim(STR_LIT(" \t "));
	assert_int_equal(t.len, 0);
	t = str_trim(STR_LIT("\nx\n")); /* only SP and HTAB are OWS */
	assert_true(str_eq_cstr(t, "\nx\n"));
	t = str_trim(STR_NULL);
	assert_int_equal(t.len, 0);
}

static void test_split(void **state)
{
	struct str head, rest;
	bool found = false;

	rest = str_split(STR_LIT("key=value=more"), '=', &head, &found);
	assert_true(found);
	assert_true(str_eq_cstr(head, "key"));
	assert_true(str_eq_cstr(rest, "value=more"));

	rest = str_split(STR_LIT("novalue"), '=', &head, &found);
	assert_false(found);
	assert_true(str_eq_cstr(head, "novalue"));
	assert_null(rest.ptr);
	assert_int_equal(rest.len, 0);

	rest = str_split(STR_LIT("trailing="), '=', &head, NULL);
	assert_true(str_eq_cstr(head, "trailing"));
	assert_non_null(rest.ptr);
	assert_int_equal(rest.len, 0);

	/* Iterating over a list. */
	struct str s = STR_LIT("a,bb,,c");
	const char *want[] = {"a", "bb", "", "c"};
	size_t n = 0;
	found = true;
	while (found) {
		s = str_split(s, ',', &head, &found);
		assert_true(n < ARRAY_SIZE(want));
		assert_true(str_eq_cstr(head, want[n]));
		n++;
	}
	assert_int_equal(n, 4);
}

static void test_to_i64(void **state)
{
	long long v = 7;
	assert_int_equal(str_to_i64(STR_LIT("0"), 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_i64(STR_LIT("1234567"), 0, LLONG_MAX, &v), 0);
	assert_int_equal(v, 1234567);
	assert_int_equal(str_to_i64(STR_LIT("9223372036854775807"), 0, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(str_to_i64(STR_LIT("-9223372036854775808"), LLONG_MIN, 0, &v), 0);
	assert_true(v == LLONG_MIN);
	assert_int_equal(str_to_i64(STR_LIT("-42"), -100, 100, &v), 0);
	assert_int_equal(v, -42);

	v = 7;
	assert_int_equal(str_to_i64(STR_LIT("9223372036854775808"), 0, LLONG_MAX, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("-9223372036854775809"), LLONG_MIN, 0, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("99999999999999999999999"), 0, LLONG_MAX, &v),
			 ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("-1"), 0, 10, &v), ERR_PARSE); /* no sign */
	assert_int_equal(str_to_i64(STR_LIT("+1"), 0, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("11"), 0, 10, &v), ERR_PARSE); /* range */
	assert_int_equal(str_to_i64(STR_LIT(""), 0, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("-"), -10, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT(" 1"), 0, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("1 "), 0, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("1x"), 0, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_LIT("0x1"), 0, 10, &v), ERR_PARSE);
	assert_int_equal(str_to_i64(STR_NULL, 0, 10, &v), ERR_PARSE);
	assert_int_equal(v, 7); /* untouched on error */
	/* The slice ends where it says, whatever follows. */
	assert_int_equal(str_to_i64(str_make("12345", 2), 0, 100, &v), 0);
	assert_int_equal(v, 12);
}

static void test_dup(void **state)
{
	char *p = str_dup(str_make("hello world", 5));
	assert_string_equal(p, "hello");
	free(p);
	p = str_dup(STR_NULL);
	assert_string_equal(p, "");
	free(p);
	struct str s = str_from("abc");
	assert_int_equal(s.len, 3);
	s = str_from(NULL);
	assert_int_equal(s.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality), cmocka_unit_test(test_prefix_suffix_index),
		cmocka_unit_test(test_trim),	 cmocka_unit_test(test_split),
		cmocka_unit_test(test_to_i64),	 cmocka_unit_test(test_dup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
