/*
 * Unit tests for what both halves of the API Gateway codec share
 * (src/lambda/apigw_common.c): the response setters and their checks, the
 * text/binary rule for bodies, and the query splitter of apigw_int.h.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apigw_fixture.h"
#include "lambda/apigw_int.h"

/* Invalid headers are refused and leave the response as it was; caps hold. */
static void test_response_setters(void **state)
{
	struct apigw_response r;

	apigw_response_init(&r);
	assert_int_equal(apigw_response_add_header(&r, "Content-Type", "text/plain"), 0);
	assert_int_equal(apigw_response_set_body(&r, LIT("hi")), 0);
	assert_int_equal(apigw_response_add_header(&r, "", "v"), ERR_INVAL);
	assert_int_equal(apigw_response_add_header(&r, NULL, "v"), ERR_INVAL);
	assert_int_equal(apigw_response_add_header(&r, "X", NULL), ERR_INVAL);
	assert_int_equal(apigw_response_add_header(&r, "X:Y", "v"), ERR_INVAL);
	assert_int_equal(apigw_response_add_header(&r, "X", "a\r\nInjected: 1"), ERR_INVAL);
	assert_int_equal(apigw_response_add_header(&r, "X", "\xff"), ERR_INVAL);
	assert_int_equal(apigw_response_add_cookie(&r, "a=b\n"), ERR_INVAL);
	assert_int_equal(r.n_headers, 1);
	assert_int_equal(r.n_cookies, 0);
	for (int i = 1; i < APIGW_HEADERS_MAX; i++)
		assert_int_equal(apigw_response_add_header(&r, "X-Many", "v"), 0);
	assert_int_equal(apigw_response_add_header(&r, "X-Many", "v"), ERR_TOOLARGE);
	assert_int_equal(r.n_headers, APIGW_HEADERS_MAX);
	/* Cookies have a cap of their own, Set-Cookie headers included. */
	for (int i = 0; i < APIGW_COOKIES_MAX; i++)
		assert_int_equal(apigw_response_add_cookie(&r, "c=1"), 0);
	assert_int_equal(apigw_response_add_header(&r, "Set-Cookie", "c=2"), ERR_TOOLARGE);
	assert_int_equal(r.n_cookies, APIGW_COOKIES_MAX);
	apigw_response_release(&r);
	apigw_response_release(&r);
}

static void test_body_is_binary(void **state)
{
	assert_false(apigw_body_is_binary(NULL, "", 0));
	assert_false(apigw_body_is_binary("image/png", "", 0));
	assert_false(apigw_body_is_binary(NULL, LIT("text")));
	assert_true(apigw_body_is_binary(NULL, LIT("\xc3\x28")));
	assert_false(apigw_body_is_binary("text/html; charset=utf-8", LIT("<p>")));
	assert_false(apigw_body_is_binary("Application/JSON", LIT("{}")));
	assert_false(apigw_body_is_binary("application/problem+json", LIT("{}")));
	assert_false(apigw_body_is_binary("image/svg+xml", LIT("<svg/>")));
	assert_false(apigw_body_is_binary("application/javascript", LIT("x()")));
	assert_false(apigw_body_is_binary("application/x-www-form-urlencoded", LIT("a=b")));
	assert_false(apigw_body_is_binary("", LIT("x")));
	assert_true(apigw_body_is_binary("application/octet-stream", LIT("abc")));
	assert_true(apigw_body_is_binary("image/png", LIT("abc")));
	assert_true(apigw_body_is_binary("text/plain", LIT("\xff")));
}

/* Split `raw` with the codec's splitter; the pairs live in `a`. */
static int split(struct arena *a, const char *raw, size_t cap, bool strict, struct apigw_pair **out,
		 size_t *n)
{
	return apigw_split_query(a, str_from(raw), cap, strict, out, n);
}

static void test_split_query(void **state)
{
	struct apigw_pair *q;
	struct arena a;
	size_t n;

	arena_init(&a, 1 << 20);
	/* Empty segments are skipped; '+' is a space; a name without '=' has an empty value. */
	assert_int_equal(split(&a, "a=1&&b=x+y%21&flag&", 8, false, &q, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(q[0].name, "a");
	assert_string_equal(q[0].value, "1");
	assert_string_equal(q[1].value, "x y!");
	assert_string_equal(q[2].name, "flag");
	assert_string_equal(q[2].value, "");
	/* Nothing to split: no pairs, no array. */
	assert_int_equal(split(&a, "", 8, true, &q, &n), 0);
	assert_int_equal(n, 0);
	assert_null(q);
	assert_int_equal(split(&a, "&&", 8, true, &q, &n), 0);
	assert_int_equal(n, 0);
	/* A decoded NUL stays in a value, with its length (never cut); a name keeps it encoded. */
	assert_int_equal(split(&a, "k=a%00b&n%00=1", 8, true, &q, &n), 0);
	assert_int_equal(q[0].value_len, 3);
	assert_memory_equal(q[0].value, "a\0b", 3);
	assert_string_equal(q[1].name, "n%00");
	/* Text that does not decode: kept as sent (the function), or refused (the gateway). */
	assert_int_equal(split(&a, "k=%zz&%g=1", 8, false, &q, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].value, "%zz");
	assert_string_equal(q[1].name, "%g");
	assert_int_equal(split(&a, "k=%zz", 8, true, &q, &n), ERR_PARSE);
	assert_int_equal(split(&a, "%g=1", 8, true, &q, &n), ERR_PARSE);
	/* The cap counts pairs, not segments; past it nothing is allocated. */
	assert_int_equal(split(&a, "a&&b&c", 3, true, &q, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(split(&a, "a&b&c&d", 3, true, &q, &n), ERR_TOOLARGE);
	assert_int_equal(n, 0);
	assert_null(q);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_setters),
		cmocka_unit_test(test_body_is_binary),
		cmocka_unit_test(test_split_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
