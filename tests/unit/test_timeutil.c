/* Unit tests for clocks and timestamp formats (src/core/timeutil.c): known epochs, round trips,
 * strict parsing. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/timeutil.h"

#define LIT(s) (s), sizeof(s) - 1

static void test_clocks(void **state)
{
	int64_t now = time_now_ms();
	assert_true(now > 1700000000000LL); /* after November 2023 */
	assert_true(now / 1000 - (int64_t)time(NULL) <= 1);
	int64_t a = time_mono_ns(), b = time_mono_ns();
	assert_true(a > 0);
	assert_true(b >= a);
}

static void test_rfc3339_format(void **state)
{
	char out[32];
	time_rfc3339(out, 0, 0);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_rfc3339(out, 0, 1);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	time_rfc3339(out, 1440938160123LL, 1);
	assert_string_equal(out, "2015-08-30T12:36:00.123Z");
	time_rfc3339(out, 1440938160999LL, 0);
	assert_string_equal(out, "2015-08-30T12:36:00Z");
	time_rfc3339(out, -1, 1);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	time_rfc3339(out, 951782400000LL, 0); /* leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	time_rfc3339(out, 253402300799000LL, 1);
	assert_string_equal(out, "9999-12-31T23:59:59.000Z");
}

static void test_rfc3339_parse(void **state)
{
	int64_t ms = 0;
	assert_int_equal(time_parse_rfc3339(LIT("2015-08-30T12:36:00Z"), &ms), 0);
	assert_int_equal(ms, 1440938160000LL);
	assert_int_equal(time_parse_rfc3339(LIT("2015-08-30T12:36:00.5Z"), &ms), 0);
	assert_int_equal(ms, 1440938160500LL);
	assert_int_equal(time_parse_rfc3339(LIT("2015-08-30T12:36:00.123456789Z"), &ms), 0);
	assert_int_equal(ms, 1440938160123LL);
	assert_int_equal(time_parse_rfc3339(LIT("2015-08-30t12:36:00z"), &ms), 0);
	assert_int_equal(ms, 1440938160000LL);
	/* Offsets: local time minus the offset is UTC. */
	assert_int_equal(time_parse_rfc3339(LIT("2015-08-30T14:36:00+02:00"), &ms), 0);
	assert_int_equal(ms, 1440938160000LL);
	assert_int_equal(time_parse_rfc3339(LIT("2015-08-30T07:06:00.010-05:30"), &ms), 0);
	assert_int_equal(ms, 1440938160010LL);
	assert_int_equal(time_parse_rfc3339(LIT("1970-01-01T00:00:00Z"), &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(time_parse_rfc3339(LIT("2000-02-29T00:00:00Z"), &ms), 0);
	assert_int_equal(ms, 951782400000LL);

	/* Round trip through the formatter. */
	char out[32];
	int64_t samples[] = {0, 1, 999, 1440938160123LL, 1798230375123LL, 4102444799999LL};
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		time_rfc3339(out, samples[i], 1);
		assert_int_equal(time_parse_rfc3339(out, strlen(out), &ms), 0);
		assert_int_equal(ms, samples[i]);
	}
}

static void test_rfc3339_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"2015-08-30",
		"2015-08-30T12:36:00",	/* no zone */
		"2015-08-30 12:36:00Z", /* space separator */
		"2015-8-30T12:36:00Z",	/* short month */
		"2015-13-01T00:00:00Z", /* month 13 */
		"2015-00-01T00:00:00Z",
		"2015-02-29T00:00:00Z", /* not a leap year */
		"2100-02-29T00:00:00Z", /* century, not leap */
		"2015-04-31T00:00:00Z",
		"2015-08-30T24:00:00Z",
		"2015-08-30T12:60:00Z",
		"2015-08-30T12:36:60Z",		   /* leap second */
		"2015-08-30T12:36:00.Z",	   /* empty fraction */
		"2015-08-30T12:36:00.1234567890Z", /* ten digits */
		"2015-08-30T12:36:00+0200",
		"2015-08-30T12:36:00+24:00",
		"2015-08-30T12:36:00Zjunk",
		"2015-08-30T12:36:00ZZ",
		"+015-08-30T12:36:00Z",
		"2015-08-30T12:36:0aZ",
	};
	int64_t ms = 42;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(time_parse_rfc3339(bad[i], strlen(bad[i]), &ms), ERR_PARSE);
	/* The length bounds the parse: a cut-off copy is not read past. */
	assert_int_equal(time_parse_rfc3339("2015-08-30T12:36:00Z", 19, &ms), ERR_PARSE);
	assert_int_equal(time_parse_rfc3339(NULL, 0, &ms), ERR_PARSE);
	assert_int_equal(ms, 42);
}

static void test_amz(void **state)
{
	char out[17];
	time_t t = 0;
	time_amz(out, 1440938160);
	assert_string_equal(out, "20150830T123600Z");
	time_amz(out, 0);
	assert_string_equal(out, "19700101T000000Z");
	assert_int_equal(time_parse_amz(LIT("20150830T123600Z"), &t), 0);
	assert_int_equal(t, 1440938160);
	assert_int_equal(time_parse_amz(LIT("20240229T235959Z"), &t), 0);
	time_amz(out, t);
	assert_string_equal(out, "20240229T235959Z");

	static const char *const bad[] = {
		"20150830T123600",   "20150830T123600z",
		"20150830 123600Z",  "2015083T1236000Z",
		"20150230T123600Z",  "20150830T250000Z",
		"20150830T123600Z ", "2015-08-30T12:36Z",
		"2015083aT123600Z",  "",
	};
	t = 7;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(time_parse_amz(bad[i], strlen(bad[i]), &t), ERR_PARSE);
	assert_int_equal(t, 7);
}

static void test_http_date(void **state)
{
	char out[32];
	time_t t = 0;
	/* RFC 9110 section 5.6.7's example. */
	time_http(out, 784111777);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	time_http(out, 0);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(time_parse_http(LIT("Sun, 06 Nov 1994 08:49:37 GMT"), &t), 0);
	assert_int_equal(t, 784111777);
	time_http(out, 1798230375);
	assert_int_equal(strlen(out), 29);
	assert_int_equal(time_parse_http(out, strlen(out), &t), 0);
	assert_int_equal(t, 1798230375);

	static const char *const bad[] = {
		"Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850: obsolete, not accepted */
		"Sun Nov  6 08:49:37 1994",	  /* asctime */
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		"sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:3x GMT",
		"",
	};
	t = 7;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(time_parse_http(bad[i], strlen(bad[i]), &t), ERR_PARSE);
	assert_int_equal(t, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks),	      cmocka_unit_test(test_rfc3339_format),
		cmocka_unit_test(test_rfc3339_parse), cmocka_unit_test(test_rfc3339_rejects),
		cmocka_unit_test(test_amz),	      cmocka_unit_test(test_http_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
