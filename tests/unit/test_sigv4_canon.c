/*
 * Unit tests for SigV4's canonical form (src/aws/sigv4_canon.c): the signing
 * key, the canonical URI and query as a signed request shows them, and the
 * query set's own rules and caps. The golden suites are in test_sigv4.c.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/sigv4_int.h"
#include "core/enc.h"
#include "sigv4_fixture.h"

static void test_signing_key(void **state)
{
	/* The worked example of AWS's "derive a signing key" documentation. */
	unsigned char key[32];
	char hex[65];
	assert_int_equal(sigv4_signing_key(SIGV4_FIXTURE_SECRET, STR_LIT("20120215"),
					   STR_LIT("us-east-1"), STR_LIT("iam"), key),
			 0);
	hex_lower(hex, key, sizeof(key));
	assert_string_equal(hex,
			    "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");

	char long_secret[SIGV4_MAX_SECRET_LEN + 2];
	memset(long_secret, 'a', sizeof(long_secret) - 1);
	long_secret[sizeof(long_secret) - 1] = '\0';
	assert_int_equal(sigv4_signing_key(long_secret, STR_LIT("20120215"), STR_LIT("r"),
					   STR_LIT("s"), key),
			 ERR_INVAL);
	assert_int_equal(
		sigv4_signing_key(NULL, STR_LIT("20120215"), STR_LIT("r"), STR_LIT("s"), key),
		ERR_INVAL);
}

/* Line `n` (0-based) of a canonical request. */
static struct str line_of(const struct buf *b, int n)
{
	struct str rest = str_make(b->ptr, b->len), line = STR_NULL;
	for (int i = 0; i <= n; i++)
		rest = str_split(rest, '\n', &line, NULL);
	return line;
}

static void test_canonical_uri_and_query(void **state)
{
	struct sigv4_params p = sigv4_fixture_params(false);
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/a%20b/./c//d/../e"),
		.query = STR_LIT("b=2&a=3&&a=1&c&%41=x+y&sp=%20~%7e"),
		.headers = sigv4_fixture_host,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	sigv4_signed_init(&s);

	/* Other services: normalised, then encoded a second time. */
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/a%2520b/c/e"));
	/* Decoded then encoded; '+' is a plus; sorted by key then value; bare key gets '='. */
	assert_true(
		str_eq_cstr(line_of(&s.canonical_request, 2), "A=x%2By&a=1&a=3&b=2&c=&sp=%20~~"));
	/* S3: the path keeps its segments and is encoded once. */
	p = sigv4_fixture_params(true);
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/a%20b/./c//d/../e"));
	/* No normalisation for a non-S3 service that asks for none. */
	p = sigv4_fixture_params(false);
	p.no_normalize_path = true;
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/a%2520b/./c//d/../e"));
	/* Empty path is "/"; "/.." stays at the root. */
	req.path = STR_NULL;
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/"));
	p.no_normalize_path = false;
	req.path = STR_LIT("/../../x/");
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/x/"));
	/* A bad escape in the query is the caller's error. */
	req.query = STR_LIT("a=%zz");
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	assert_int_equal(s.canonical_request.len, 0);
	sigv4_signed_release(&s);
}

/* The query set directly: encoding, order, X-Amz-Signature left out, the caps. */
static void test_canon_query(void **state)
{
	struct sigv4_query q;
	struct buf out, raw;

	buf_init(&out, 1 << 16);
	buf_init(&raw, 1 << 16);
	/* Empty pieces are skipped; '+' stays a plus; keys sort before values. */
	assert_int_equal(sigv4_canon_query(&out, STR_LIT("b=2&&a=%2a&a=1&c&d=x+y"), false), 0);
	assert_string_equal(out.ptr, "a=%2A&a=1&b=2&c=&d=x%2By");
	/* Verifying a presigned URL leaves the signature out, wherever it is. */
	buf_reset(&out);
	assert_int_equal(
		sigv4_canon_query(&out, STR_LIT("X-Amz-Signature=ab&a=1&X-Amz-Date=d"), true), 0);
	assert_string_equal(out.ptr, "X-Amz-Date=d&a=1");
	buf_reset(&out);
	assert_int_equal(sigv4_canon_query(&out, STR_LIT("a=%zz"), false), ERR_PARSE);
	/* Presigning refuses a request that already carries signing parameters. */
	sigv4_query_init(&q);
	assert_int_equal(sigv4_query_add_raw(&q, STR_LIT("a=1&X-Amz-Expires=5"), false, true),
			 ERR_INVAL);
	sigv4_query_release(&q);
	/* At most SIGV4_MAX_QUERY_PARAMS from the wire... */
	for (int i = 0; i < SIGV4_MAX_QUERY_PARAMS; i++)
		assert_int_equal(buf_addf(&raw, "%sp%d=%d", i ? "&" : "", i, i), 0);
	sigv4_query_init(&q);
	assert_int_equal(sigv4_query_add_raw(&q, str_make(raw.ptr, raw.len), false, false), 0);
	assert_int_equal(q.n, SIGV4_MAX_QUERY_PARAMS);
	/* ...plus the signing parameters, and not one more. */
	for (int i = 0; i < SIGV4_P_COUNT; i++)
		assert_int_equal(
			sigv4_query_add(&q, str_from(sigv4_presign_params[i]), STR_LIT("v"), false),
			0);
	assert_int_equal(sigv4_query_add(&q, STR_LIT("x"), STR_LIT("y"), false), ERR_TOOLARGE);
	sigv4_query_release(&q);
	assert_int_equal(buf_adds(&raw, "&one=more"), 0);
	buf_reset(&out);
	assert_int_equal(sigv4_canon_query(&out, str_make(raw.ptr, raw.len), false), ERR_TOOLARGE);
	buf_release(&raw);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signing_key),
		cmocka_unit_test(test_canonical_uri_and_query),
		cmocka_unit_test(test_canon_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
