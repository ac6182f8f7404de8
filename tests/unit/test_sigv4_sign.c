/*
 * Unit tests for SigV4 signing (src/aws/sigv4_sign.c): the headers the
 * signer adds and what it signs, presigned URLs and their limits, and a
 * presigned URL that the verifier's cap still accepts. The golden suites are
 * in test_sigv4.c.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/sigv4.h"
#include "sigv4_fixture.h"

static void test_sign_headers_output(void **state)
{
	struct sigv4_params p = sigv4_fixture_params(true);
	p.session_token = "TOKEN/+=";
	const struct sigv4_header hs[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("User-Agent"), STR_LIT("curl/8")},
		{STR_LIT("X-Amz-Date"), STR_LIT("19990101T000000Z")},
		{STR_LIT("Content-Type"), STR_LIT(" text/plain ")},
	};
	struct sigv4_request req = {
		.method = "PUT",
		.path = STR_LIT("/k"),
		.headers = hs,
		.n_headers = 4,
		.body = "hi",
		.body_len = 2,
	};
	struct sigv4_signed s;
	sigv4_signed_init(&s);
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_int_equal(s.n_headers, 4);
	assert_true(str_eq_cstr(s.headers[0].name, "X-Amz-Date"));
	assert_true(str_eq_cstr(s.headers[0].value, "20150830T123600Z"));
	assert_true(str_eq_cstr(s.headers[1].name, "X-Amz-Security-Token"));
	assert_true(str_eq_cstr(s.headers[1].value, "TOKEN/+="));
	assert_true(str_eq_cstr(s.headers[2].name, "x-amz-content-sha256"));
	assert_true(str_eq_cstr(s.headers[2].value, "8f434346648f6b96df89dda901c5176b10a6d83961dd"
						    "3c1ac88b59b2dc327aa4"));
	assert_true(str_eq_cstr(s.headers[3].name, "Authorization"));
	assert_string_equal(
		s.signed_headers.ptr,
		"content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
	char want[512];
	snprintf(want, sizeof(want),
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
		 "SignedHeaders=%s, Signature=%s",
		 s.signed_headers.ptr, s.signature);
	assert_true(str_eq_cstr(s.headers[3].value, want));
	/* The caller's X-Amz-Date and User-Agent are not signed; values are trimmed. */
	assert_non_null(strstr(s.canonical_request.ptr, "\ncontent-type:text/plain\n"));
	assert_null(strstr(s.canonical_request.ptr, "19990101"));
	assert_null(strstr(s.canonical_request.ptr, "user-agent"));

	/* Argument checks. */
	req.path = STR_LIT("/k?x=1");
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	req.path = STR_LIT("/k");
	p.region = NULL;
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	p.region = "us/east";
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	sigv4_signed_release(&s);
}

static void test_presign_limits(void **state)
{
	struct sigv4_params p = sigv4_fixture_params(true);
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/k"),
		.headers = sigv4_fixture_host,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	sigv4_signed_init(&s);
	p.expires = 0;
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_INVAL);
	p.expires = SIGV4_MAX_EXPIRES_SECONDS + 1;
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_INVAL);
	p.expires = 60;
	req.query = STR_LIT("a=1&X-Amz-Signature=00");
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_INVAL);
	req.query = STR_LIT("a=1");
	assert_int_equal(sigv4_presign(&req, &p, &s), 0);
	assert_true(str_has_prefix(str_make(s.query.ptr, s.query.len),
				   STR_LIT("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
					   "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&"
					   "X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&"
					   "X-Amz-SignedHeaders=host&a=1&X-Amz-Signature=")));
	assert_string_equal(s.payload_hash, "UNSIGNED-PAYLOAD");
	assert_int_equal(s.n_headers, 0);
	sigv4_signed_release(&s);
}

/*
 * The presigner counts its own signing parameters against the verifier's
 * cap: 250 request parameters plus 6 signing ones still verify, one more is
 * refused up front instead of making a URL we would reject (found by
 * fuzz/fuzz_presign).
 */
static void test_presign_param_cap(void **state)
{
	struct sigv4_params p = sigv4_fixture_params(true);
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.headers = sigv4_fixture_host,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	struct sigv4_result r;
	struct buf q;
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	buf_init(&q, BUF_NOCAP);
	for (int i = 0; i < SIGV4_MAX_QUERY_PARAMS - 6; i++)
		assert_int_equal(buf_addf(&q, "%sp%d=%d", i ? "&" : "", i, i), 0);
	req.query = str_make(q.ptr, q.len);
	assert_int_equal(sigv4_presign(&req, &p, &s), 0);
	assert_int_equal(sigv4_fixture_verify_s3(sigv4_fixture_host, 1,
						 str_make(s.query.ptr, s.query.len), p.now, &r),
			 SIGV4_OK);
	assert_int_equal(buf_adds(&q, "&one=more"), 0);
	req.query = str_make(q.ptr, q.len);
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_TOOLARGE);
	/* With a session token the URL carries a seventh signing parameter. */
	p.session_token = "token";
	buf_truncate(&q, q.len - strlen("&one=more"));
	req.query = str_make(q.ptr, q.len);
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_TOOLARGE);
	buf_release(&q);
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_headers_output),
		cmocka_unit_test(test_presign_limits),
		cmocka_unit_test(test_presign_param_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
