/* Unit tests for DynamoDB's 38-digit decimal Number (src/local/dynamodb/ddb_num.c):
 * parsing and normalisation, range and precision errors, exact comparison
 * and addition, and key bytes whose memcmp order is numeric order.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/dynamodb/ddb_int.h"

static struct ddb_num num(const char *s)
{
	struct ddb_num n;
	struct ddb_err e = {0};
	if (ddb_num_parse(s, strlen(s), &n, &e))
		fail_msg("parse %s: %s", s, e.msg);
	return n;
}

static void check_canon(const char *in, const char *want)
{
	struct ddb_num n = num(in);
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(ddb_num_format(&n, &b), 0);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_normalise(void **state)
{
	check_canon("0", "0");
	check_canon("-0", "0");
	check_canon("0.000", "0");
	check_canon("0E99999", "0");
	check_canon("001.500", "1.5");
	check_canon("+12", "12");
	check_canon("1E2", "100");
	check_canon("1.25e-3", "0.00125");
	check_canon("-123.456E1", "-1234.56");
	check_canon(".5", "0.5");
	check_canon("5.", "5");
	check_canon("99999999999999999999999999999999999999",
		    "99999999999999999999999999999999999999");
	check_canon("1E125", "1"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "0000000000"
			     "00000");
	/* 50 digits of which 1 significant: fine. */
	check_canon("10000000000000000000000000000000000000000000000000",
		    "10000000000000000000000000000000000000000000000000");
}

static void check_bad(const char *in, const char *msg_part)
{
	struct ddb_num n;
	struct ddb_err e = {0};
	assert_int_equal(ddb_num_parse(in, strlen(in), &n, &e), ERR_INVAL);
	assert_string_equal(e.type, "ValidationException");
	if (!strstr(e.msg, msg_part))
		fail_msg("%s: message \"%s\" lacks \"%s\"", in, e.msg, msg_part);
}

static void test_errors(void **state)
{
	check_bad("", "numeric");
	check_bad("abc", "numeric");
	check_bad("1.2.3", "numeric");
	check_bad(" 1", "numeric");
	check_bad("1e", "numeric");
	check_bad("--1", "numeric");
	check_bad("0x10", "numeric");
	check_bad("Infinity", "numeric");
	check_bad("NaN", "numeric");
	check_bad("1E126", "overflow");
	check_bad("-9.9E126", "overflow");
	check_bad("1E-131", "underflow");
	check_bad("123456789012345678901234567890123456789", "38 significant digits");
	check_bad("1.000000000000000000000000000000000000001", "38 significant digits");
	/* The limits themselves are fine. */
	num("9.9999999999999999999999999999999999999E125");
	num("1E-130");
	num("-1E-130");
}

static void test_compare(void **state)
{
	const char *ordered[] = {"-1E125", "-100",    "-10.5", "-10",	 "-1",	   "-0.123",
				 "-0.12",  "-1E-130", "0",     "1E-130", "0.12",   "0.123",
				 "1",	   "10",      "10.5",  "100",	 "9.9E125"};
	struct buf ka, kb;
	buf_init(&ka, 256);
	buf_init(&kb, 256);
	for (size_t i = 0; i < ARRAY_SIZE(ordered); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(ordered); j++) {
			struct ddb_num a = num(ordered[i]), b = num(ordered[j]);
			int want = i < j ? -1 : i > j ? 1 : 0;
			assert_int_equal(ddb_num_cmp(&a, &b), want);
			buf_reset(&ka);
			buf_reset(&kb);
			assert_int_equal(ddb_num_key(&a, &ka), 0);
			assert_int_equal(ddb_num_key(&b, &kb), 0);
			int c = memcmp(ka.ptr, kb.ptr, MIN(ka.len, kb.len));
			if (!c)
				c = ka.len < kb.len ? -1 : ka.len > kb.len ? 1 : 0;
			assert_int_equal(c < 0 ? -1 : c > 0 ? 1 : 0, want);
		}
	}
	struct ddb_num a = num("1.50"), b = num("1.5");
	assert_int_equal(ddb_num_cmp(&a, &b), 0);
	buf_release(&ka);
	buf_release(&kb);
}

static void check_add(const char *x, const char *y, bool sub, const char *want)
{
	struct ddb_num a = num(x), b = num(y), r;
	struct ddb_err e = {0};
	struct buf out;
	buf_init(&out, 1024);
	if (ddb_num_add(&a, &b, sub, &r, &e))
		fail_msg("%s %c %s: %s", x, sub ? '-' : '+', y, e.msg);
	assert_int_equal(ddb_num_format(&r, &out), 0);
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

static void test_add(void **state)
{
	check_add("1", "2", false, "3");
	check_add("0.1", "0.2", false, "0.3"); /* exact, unlike binary floating point */
	check_add("1", "1", true, "0");
	check_add("-5", "3", false, "-2");
	check_add("3", "-5", false, "-2");
	check_add("10", "0.01", true, "9.99");
	check_add("99999999999999999999999999999999999999", "-1", false,
		  "99999999999999999999999999999999999998");
	check_add("12345678901234567890123456789012345678", "1", false,
		  "12345678901234567890123456789012345679");
	check_add("1E100", "-1E100", false, "0");
	check_add("0", "-7.25", false, "-7.25");
	check_add("-7.25", "0", true, "-7.25");

	struct ddb_num a = num("99999999999999999999999999999999999999"), b = num("1"), r;
	struct ddb_err e = {0};
	/* 1E38 has one significant digit: fine. */
	assert_int_equal(ddb_num_add(&a, &b, false, &r, &e), 0);
	a = num("1E30");
	b = num("1E-30");
	assert_int_equal(ddb_num_add(&a, &b, false, &r, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "38 significant digits"));
	a = num("9.9999999999999999999999999999999999999E125");
	b = num("1E88");
	e.type = NULL;
	assert_int_equal(ddb_num_add(&a, &b, false, &r, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "overflow"));
}

static void test_size_and_small(void **state)
{
	struct ddb_num n;
	struct buf b;
	buf_init(&b, 64);
	ddb_num_from_u64(&n, 0);
	assert_int_equal(ddb_num_format(&n, &b), 0);
	assert_string_equal(b.ptr, "0");
	buf_reset(&b);
	ddb_num_from_u64(&n, 1200);
	assert_int_equal(ddb_num_format(&n, &b), 0);
	assert_string_equal(b.ptr, "1200");
	assert_int_equal(n.n, 2);
	assert_int_equal(ddb_num_size(&n), 2);
	buf_release(&b);
	n = num("123");
	assert_int_equal(ddb_num_size(&n), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_compare),	       cmocka_unit_test(test_add),
		cmocka_unit_test(test_size_and_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
