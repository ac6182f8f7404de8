/*
 * Unit tests for the CBOR codec of CloudWatch's RPC v2 protocol
 * (src/local/cloudwatch/cw_cbor.c): RFC 8949's examples (appendix A),
 * indefinite lengths, tag 1, floats of every width, a round trip of a
 * GetMetricData answer with timestamps, and malformed inputs.
 */
#include "core/common.h"

#include <math.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/enc.h"
#include "local/cloudwatch/cw_cbor.h"

/* Decode a hex string; the caller decrefs. */
static json_t *dec(const char *hex, int expect)
{
	uint8_t b[256];
	size_t n = strlen(hex) / 2;
	json_t *v = NULL;
	char why[128];

	assert_true(n <= sizeof(b));
	assert_int_equal(hex_decode(b, n, hex, strlen(hex)), 0);
	assert_int_equal(cw_cbor_decode(b, n, &v, why, sizeof(why)), expect);
	return v;
}

static void test_rfc_examples(void **state)
{
	json_t *v;

	v = dec("00", 0);
	assert_int_equal(json_integer_value(v), 0);
	json_decref(v);
	v = dec("1903e8", 0);
	assert_int_equal(json_integer_value(v), 1000);
	json_decref(v);
	v = dec("3903e7", 0);
	assert_int_equal(json_integer_value(v), -1000);
	json_decref(v);
	v = dec("1b000000e8d4a51000", 0);
	assert_int_equal(json_integer_value(v), 1000000000000LL);
	json_decref(v);
	v = dec("f93c00", 0); /* half 1.0 */
	assert_true(json_real_value(v) == 1.0);
	json_decref(v);
	v = dec("f97bff", 0); /* half 65504.0 */
	assert_true(json_real_value(v) == 65504.0);
	json_decref(v);
	v = dec("fa47c35000", 0); /* single 100000.0 */
	assert_true(json_real_value(v) == 100000.0);
	json_decref(v);
	v = dec("fb3ff199999999999a", 0); /* double 1.1 */
	assert_true(json_real_value(v) == 1.1);
	json_decref(v);
	v = dec("f5", 0);
	assert_true(json_is_true(v));
	json_decref(v);
	v = dec("f6", 0);
	assert_true(json_is_null(v));
	json_decref(v);
	v = dec("6449455446", 0);
	assert_string_equal(json_string_value(v), "IETF");
	json_decref(v);
	v = dec("62c3bc", 0);
	assert_string_equal(json_string_value(v), "\xc3\xbc");
	json_decref(v);
	v = dec("83010203", 0);
	assert_int_equal(json_array_size(v), 3);
	json_decref(v);
	v = dec("a26161016162820203", 0); /* {"a": 1, "b": [2, 3]} */
	assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
	assert_int_equal(json_array_size(json_object_get(v, "b")), 2);
	json_decref(v);
	v = dec("4401020304", 0); /* bytes become base64 */
	assert_string_equal(json_string_value(v), "AQIDBA==");
	json_decref(v);
}

static void test_indefinite_and_tags(void **state)
{
	json_t *v;

	v = dec("9f018202039f0405ffff", 0); /* [_ 1, [2, 3], [_ 4, 5]] */
	assert_int_equal(json_array_size(v), 3);
	assert_int_equal(json_array_size(json_array_get(v, 2)), 2);
	json_decref(v);
	v = dec("bf61610161629f0203ffff", 0); /* {_ "a": 1, "b": [_ 2, 3]} */
	assert_int_equal(json_array_size(json_object_get(v, "b")), 2);
	json_decref(v);
	v = dec("7f657374726561646d696e67ff", 0); /* (_ "strea", "ming") */
	assert_string_equal(json_string_value(v), "streaming");
	json_decref(v);
	v = dec("c11a514b67b0", 0); /* 1(1363896240) */
	assert_int_equal(json_integer_value(v), 1363896240);
	json_decref(v);
	v = dec("c1fb41d452d9ec200000", 0); /* 1(1363896240.5) */
	assert_true(json_real_value(v) == 1363896240.5);
	json_decref(v);
}

static void test_malformed(void **state)
{
	assert_null(dec("", ERR_PARSE));
	assert_null(dec("19", ERR_PARSE));		   /* truncated argument */
	assert_null(dec("63616263ff", ERR_PARSE));	   /* bytes after the item */
	assert_null(dec("62c3", ERR_PARSE));		   /* string longer than the input */
	assert_null(dec("62c328", ERR_PARSE));		   /* not UTF-8 */
	assert_null(dec("a1016161", ERR_PARSE));	   /* a map key that is no text */
	assert_null(dec("c06161", ERR_PARSE));		   /* tag 0 */
	assert_null(dec("c16161", ERR_PARSE));		   /* tag 1 on text */
	assert_null(dec("9f01", ERR_PARSE));		   /* unterminated array */
	assert_null(dec("f97c00", ERR_PARSE));		   /* infinity */
	assert_null(dec("9bffffffffffffffff", ERR_PARSE)); /* a huge count */
	assert_null(dec("5f4101", ERR_PARSE));		   /* unterminated chunks */
	assert_null(dec("f0", ERR_PARSE));		   /* simple value 16 */
	/* Nesting past the limit. */
	char deep[2 * (CW_CBOR_DEPTH_MAX + 3) + 1];
	for (int i = 0; i < CW_CBOR_DEPTH_MAX + 2; i++)
		memcpy(deep + 2 * i, "81", 2);
	memcpy(deep + 2 * (CW_CBOR_DEPTH_MAX + 2), "00", 3);
	assert_null(dec(deep, ERR_PARSE));
}

static bool time_key(const char *k)
{
	return !strcmp(k, "Timestamps");
}

static void test_round_trip(void **state)
{
	json_t *in = json_pack("{s:[{s:s,s:[I,I],s:[f,f],s:b,s:n}],s:i}", "MetricDataResults", "Id",
			       "m1", "Timestamps", (json_int_t)1700000000, (json_int_t)1700000060,
			       "Values", 1.5, -2.0, "Complete", 1, "None", "Count", -7);
	struct cw_cbor_opts opts = {time_key};
	json_t *out = NULL;
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(cw_cbor_encode(in, &opts, &b), 0);
	/* Tag 1 before each timestamp: 0xc1 then a 4-byte unsigned integer. */
	assert_non_null(memmem(b.ptr, b.len, "\xc1\x1a\x65\x53\xf1\x00", 6));
	assert_int_equal(cw_cbor_decode(b.ptr, b.len, &out, NULL, 0), 0);
	assert_true(json_equal(in, out));
	json_decref(out);
	json_decref(in);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_indefinite_and_tags),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
