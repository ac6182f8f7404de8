/*
 * Unit tests for the JSON writer (src/core/json_out.c): jansson's escaping
 * reproduced byte for byte, integers at their limits, lowercasing, and the
 * sticky error that leaves the buffer as it was.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/json_out.h"

/* Every byte value in a string, as jansson dumps it (valid UTF-8 only). */
static void test_escapes_like_jansson(void **state)
{
	char all[128 + 4];
	struct buf got, want;
	struct json_out o;

	for (int i = 0; i < 128; i++)
		all[i] = (char)i;
	memcpy(all + 128, "\xc3\xa9\xc3\xa9", 4); /* é é: multi-byte runs pass as they are */
	buf_init(&got, BUF_NOCAP);
	buf_init(&want, BUF_NOCAP);
	json_out_init(&o, &got);
	json_out_str(&o, all, sizeof(all));
	assert_int_equal(json_out_finish(&o), 0);
	json_t *s = json_stringn(all, sizeof(all));
	assert_int_equal(jsonx_dump(s, &want, 0), 0);
	json_decref(s);
	assert_string_equal(got.ptr, want.ptr);
	assert_non_null(strstr(got.ptr, "\\u0000\\u0001"));
	assert_non_null(strstr(got.ptr, "\\b\\t\\n\\u000B\\f\\r"));
	buf_release(&got);
	buf_release(&want);
}

static void test_values(void **state)
{
	struct buf b;
	struct json_out o;

	buf_init(&b, BUF_NOCAP);
	json_out_init(&o, &b);
	json_out_int(&o, INT64_MIN);
	JSON_OUT_LIT(&o, ",");
	json_out_int(&o, 0);
	JSON_OUT_LIT(&o, ",");
	json_out_int(&o, 1706443748123);
	JSON_OUT_LIT(&o, ",");
	json_out_cstr(&o, NULL);
	JSON_OUT_LIT(&o, ",\"");
	json_out_chars(&o, "X-Amz-Date\"", 11, true);
	JSON_OUT_LIT(&o, "\",");
	json_out_b64(&o, "\x89PNG\0\xff", 6);
	assert_int_equal(json_out_finish(&o), 0);
	assert_string_equal(b.ptr, "-9223372036854775808,0,1706443748123,\"\","
				   "\"x-amz-date\\\"\",\"iVBORwD/\"");
	buf_release(&b);
}

/* Not UTF-8, or past the cap: the error sticks and the buffer is as it was. */
static void test_errors(void **state)
{
	struct buf b;
	struct json_out o;

	buf_init(&b, 16);
	assert_int_equal(buf_add(&b, "kept", 4), 0);
	json_out_init(&o, &b);
	json_out_str(&o, "caf\xe9", 4);
	JSON_OUT_LIT(&o, "more");
	assert_int_equal(json_out_finish(&o), ERR_PARSE);
	assert_string_equal(b.ptr, "kept");
	json_out_init(&o, &b);
	json_out_str(&o, "0123456789abcdef", 16);
	assert_int_equal(json_out_finish(&o), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "kept");
	assert_int_equal(buf_error(&b), 0);
	json_out_init(&o, &b);
	json_out_str(&o, "\xed\xa0\x80", 3); /* a surrogate, as jansson refuses it */
	assert_int_equal(json_out_finish(&o), ERR_PARSE);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_like_jansson),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
