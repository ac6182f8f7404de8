/* Unit tests for the local front's request readers (src/local/web/web_req.c). */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/web/web_req.h"

static void test_key_from_path(void **state)
{
	struct buf k;

	buf_init(&k, 1024);
	assert_int_equal(web_key_from_path(STR_LIT("/assets/a%20b.js"), &k), 0);
	assert_string_equal(k.ptr, "assets/a b.js");
	buf_reset(&k);
	assert_int_equal(web_key_from_path(STR_LIT("/"), &k), 0);
	assert_int_equal(k.len, 0);
	assert_int_equal(web_key_from_path(STR_LIT("/caf%C3%A9"), &k), 0);
	assert_string_equal(k.ptr, "caf\xc3\xa9");
	buf_reset(&k);
	assert_int_equal(web_key_from_path(STR_LIT("relative"), &k), ERR_PARSE);
	assert_int_equal(web_key_from_path(STR_LIT("/bad%zz"), &k), ERR_PARSE);
	assert_int_equal(web_key_from_path(STR_LIT("/nul%00"), &k), ERR_PARSE);
	assert_int_equal(web_key_from_path(STR_LIT("/latin1%E9"), &k), ERR_PARSE);
	assert_int_equal(k.len, 0); /* a failure leaves the key as it was */
	buf_release(&k);
}

static void expect_range(const char *h, uint64_t size, enum web_range_kind kind, uint64_t first,
			 uint64_t last)
{
	struct web_range r = web_range_parse(str_from(h), size);

	assert_int_equal(r.kind, kind);
	if (kind == WEB_RANGE_OK) {
		assert_int_equal(r.first, first);
		assert_int_equal(r.last, last);
	}
}

static void test_range(void **state)
{
	expect_range("bytes=0-9", 100, WEB_RANGE_OK, 0, 9);
	expect_range("bytes=90-200", 100, WEB_RANGE_OK, 90, 99); /* cut to the end */
	expect_range("bytes=10-", 100, WEB_RANGE_OK, 10, 99);
	expect_range("bytes=-10", 100, WEB_RANGE_OK, 90, 99);
	expect_range("bytes=-500", 100, WEB_RANGE_OK, 0, 99);
	expect_range("bytes=100-", 100, WEB_RANGE_UNSATISFIABLE, 0, 0);
	expect_range("bytes=-0", 100, WEB_RANGE_UNSATISFIABLE, 0, 0);
	expect_range("bytes=0-0", 0, WEB_RANGE_UNSATISFIABLE, 0, 0);
	expect_range("bytes=5-1", 100, WEB_RANGE_NONE, 0, 0); /* invalid: ignored */
	expect_range("bytes=0-1,4-5", 100, WEB_RANGE_NONE, 0, 0);
	expect_range("items=0-1", 100, WEB_RANGE_NONE, 0, 0);
	expect_range("bytes=-", 100, WEB_RANGE_NONE, 0, 0);
	expect_range("bytes=99999999999999999999-", 100, WEB_RANGE_NONE, 0, 0);
}

static void test_accept_encoding(void **state)
{
	assert_int_equal(web_accept_encoding(STR_LIT("gzip, deflate, br"), true), WEB_ENC_BR);
	assert_int_equal(web_accept_encoding(STR_LIT("gzip, deflate, br"), false), WEB_ENC_GZIP);
	assert_int_equal(web_accept_encoding(STR_LIT("br;q=0, GZIP"), true), WEB_ENC_GZIP);
	assert_int_equal(web_accept_encoding(STR_LIT("gzip;q=0.0"), true), WEB_ENC_IDENTITY);
	assert_int_equal(web_accept_encoding(STR_LIT("gzip;q=0.5"), true), WEB_ENC_GZIP);
	assert_int_equal(web_accept_encoding(STR_LIT("*"), true), WEB_ENC_BR);
	assert_int_equal(web_accept_encoding(STR_LIT("deflate, zstd"), true), WEB_ENC_IDENTITY);
	assert_int_equal(web_accept_encoding(STR_LIT(""), true), WEB_ENC_IDENTITY);
	assert_string_equal(web_encoding_name(WEB_ENC_BR), "br");
	assert_null(web_encoding_name(WEB_ENC_IDENTITY));
}

static void test_compressible_types(void **state)
{
	assert_true(web_compressible_type("text/html; charset=utf-8"));
	assert_true(web_compressible_type("Application/JSON"));
	assert_true(web_compressible_type("text/javascript; charset=utf-8"));
	assert_false(web_compressible_type("image/png"));
	assert_false(web_compressible_type("binary/octet-stream"));
	assert_false(web_compressible_type(NULL));
}

static void test_etag_matches(void **state)
{
	const char *e = "0123abcd";

	assert_true(web_etag_matches(STR_LIT("\"0123abcd\""), e));
	assert_true(web_etag_matches(STR_LIT("W/\"0123abcd\""), e)); /* weak comparison */
	assert_true(web_etag_matches(STR_LIT("\"x\", W/\"0123abcd\""), e));
	assert_true(web_etag_matches(STR_LIT(" * "), e));
	assert_false(web_etag_matches(STR_LIT("\"0123abc\""), e));
	assert_false(web_etag_matches(STR_LIT("0123abcd"), e)); /* unquoted: malformed */
	assert_false(web_etag_matches(STR_LIT("\"x\" \"0123abcd\""), e));
	assert_false(web_etag_matches(STR_LIT("\"0123abcd"), e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_from_path),	cmocka_unit_test(test_range),
		cmocka_unit_test(test_accept_encoding), cmocka_unit_test(test_compressible_types),
		cmocka_unit_test(test_etag_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
