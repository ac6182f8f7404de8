/* Unit tests for the object-name validator (src/app/names.c): every rule, both sides of it. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/names.h"

/* Validate a literal that may contain NUL bytes; returns the reason or NULL. */
#define CHECK(lit) check_bytes((lit), sizeof(lit) - 1)

static const char *check_bytes(const char *s, size_t len)
{
	const char *reason = "unset";
	int err = name_validate(s, len, &reason);
	if (err == 0) {
		assert_null(reason);
		return NULL;
	}
	assert_int_equal(err, ERR_INVAL);
	assert_non_null(reason);
	return reason;
}

static void test_accepts_ordinary_names(void **state)
{
	assert_null(CHECK("a"));
	assert_null(CHECK("hello.txt"));
	assert_null(CHECK("dir/sub/file.bin"));
	assert_null(CHECK("with space+plus%25~tilde"));
	assert_null(CHECK(".hidden"));
	assert_null(CHECK("a/.b/..c/...")); /* dots inside segments are fine */
	assert_null(CHECK("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80"));
	assert_null(CHECK("\xc2\xa0nbsp"));	/* U+00A0, first after C1 */
	assert_null(CHECK("\xef\xbf\xbf"));	/* U+FFFF */
	assert_null(CHECK("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
	assert_null(CHECK("\xed\x9f\xbf"));	/* U+D7FF, just below surrogates */
	assert_null(CHECK("\xee\x80\x80"));	/* U+E000, just above */
}

static void test_length_limits(void **state)
{
	char big[NAME_MAX_BYTES + 1];

	memset(big, 'x', sizeof(big));
	assert_string_equal(check_bytes(big, 0), "name is empty");
	assert_string_equal(check_bytes(NULL, 0), "name is empty");
	assert_null(check_bytes(big, 1));
	assert_null(check_bytes(big, NAME_MAX_BYTES));
	assert_string_equal(check_bytes(big, NAME_MAX_BYTES + 1), "name is longer than 1024 bytes");

	/* 1024 bytes of multi-byte characters (341 x 3 + 1) are accepted. */
	for (size_t i = 0; i + 3 <= 1023; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);
	big[1023] = 'e';
	assert_null(check_bytes(big, NAME_MAX_BYTES));
}

static void test_rejects_invalid_utf8(void **state)
{
	const char *bad = "name is not valid UTF-8";

	assert_string_equal(CHECK("\x80"), bad);	     /* lone continuation */
	assert_string_equal(CHECK("a\xc3"), bad);	     /* truncated 2-byte */
	assert_string_equal(CHECK("\xe2\x82"), bad);	     /* truncated 3-byte */
	assert_string_equal(CHECK("\xf0\x9f\x98"), bad);     /* truncated 4-byte */
	assert_string_equal(CHECK("\xc3\x28"), bad);	     /* bad continuation */
	assert_string_equal(CHECK("\xc0\xaf"), bad);	     /* overlong '/' */
	assert_string_equal(CHECK("\xc1\xbf"), bad);	     /* overlong 2-byte */
	assert_string_equal(CHECK("\xe0\x80\xaf"), bad);     /* overlong 3-byte '/' */
	assert_string_equal(CHECK("\xe0\x9f\xbf"), bad);     /* overlong U+07FF */
	assert_string_equal(CHECK("\xf0\x80\x80\xaf"), bad); /* overlong 4-byte '/' */
	assert_string_equal(CHECK("\xf0\x8f\xbf\xbf"), bad); /* overlong U+FFFF */
	assert_string_equal(CHECK("\xed\xa0\x80"), bad);     /* surrogate U+D800 */
	assert_string_equal(CHECK("\xed\xbf\xbf"), bad);     /* surrogate U+DFFF */
	assert_string_equal(CHECK("\xf4\x90\x80\x80"), bad); /* U+110000 */
	assert_string_equal(CHECK("\xf5\x80\x80\x80"), bad); /* lead F5 */
	assert_string_equal(CHECK("\xff"), bad);
	assert_string_equal(CHECK("\xfe"), bad);
	/* Invalid UTF-8 is reported even when a control character comes first. */
	assert_string_equal(CHECK("\x7f\x05%/\xff.b"), bad);
	assert_string_equal(CHECK("\n\xc3"), bad);
}

static void test_rejects_control_characters(void **state)
{
	const char *ctl = "name contains a control character";

	assert_string_equal(CHECK("a\0b"), ctl);
	assert_string_equal(CHECK("\x01"), ctl);
	assert_string_equal(CHECK("line\nbreak"), ctl);
	assert_string_equal(CHECK("tab\there"), ctl);
	assert_string_equal(CHECK("\x1b[31mred"), ctl);
	assert_string_equal(CHECK("\x1f"), ctl);
	assert_string_equal(CHECK("del\x7f"), ctl);
	assert_string_equal(CHECK("c1\xc2\x80"), ctl); /* U+0080 */
	assert_string_equal(CHECK("c1\xc2\x85"), ctl); /* U+0085 NEL */
	assert_string_equal(CHECK("c1\xc2\x9f"), ctl); /* U+009F */
	assert_null(CHECK("\x20space-is-fine"));
}

static void test_rejects_bad_segments(void **state)
{
	const char *empty = "name contains an empty path segment";
	const char *dots = "name contains a '.' or '..' path segment";

	assert_string_equal(CHECK("/abs"), "name starts with '/'");
	assert_string_equal(CHECK("/"), "name starts with '/'");
	assert_string_equal(CHECK("a//b"), empty);
	assert_string_equal(CHECK("a/"), empty);
	assert_string_equal(CHECK("."), dots);
	assert_string_equal(CHECK(".."), dots);
	assert_string_equal(CHECK("./a"), dots);
	assert_string_equal(CHECK("a/./b"), dots);
	assert_string_equal(CHECK("a/../b"), dots);
	assert_string_equal(CHECK("a/.."), dots);
	assert_string_equal(CHECK("../../etc/passwd"), dots);
}

static void test_reason_may_be_null(void **state)
{
	assert_int_equal(name_validate("ok", 2, NULL), 0);
	assert_int_equal(name_validate("..", 2, NULL), ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_ordinary_names),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_rejects_invalid_utf8),
		cmocka_unit_test(test_rejects_control_characters),
		cmocka_unit_test(test_rejects_bad_segments),
		cmocka_unit_test(test_reason_may_be_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
