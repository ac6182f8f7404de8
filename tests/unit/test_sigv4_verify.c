/*
 * Unit tests for SigV4 verification (src/aws/sigv4_verify.c): parsing
 * Authorization headers and what is refused, the verifier's refusals (S3's
 * unsigned x-amz-* headers, two mechanisms, a missing content hash, scope and
 * date), and presigned URLs inside and outside their window. The golden
 * suites are in test_sigv4.c.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/sigv4.h"
#include "sigv4_fixture.h"

static void test_parse_authorization(void **state)
{
	struct sigv4_authz a;
	const char *why = NULL;
	struct str v = STR_LIT("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
			       "service/aws4_request, SignedHeaders=host;x-amz-date, "
			       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d"
			       "763fbf31");

	assert_int_equal(sigv4_parse_authorization(v, &a, &why), 0);
	assert_true(str_eq_cstr(a.access_key_id, "AKIDEXAMPLE"));
	assert_true(
		str_eq_cstr(a.credential, "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"));
	assert_true(str_eq_cstr(a.scope, "20150830/us-east-1/service/aws4_request"));
	assert_true(str_eq_cstr(a.date, "20150830"));
	assert_true(str_eq_cstr(a.region, "us-east-1"));
	assert_true(str_eq_cstr(a.service, "service"));
	assert_true(str_eq_cstr(a.signed_headers, "host;x-amz-date"));
	assert_true(str_eq_cstr(a.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8"
					     "aae1d763fbf31"));

	/* Any order, no spaces after commas. */
	struct str w = STR_LIT("AWS4-HMAC-SHA256 Signature=5fa00fa31553b73ebf1942676e86291e8372"
			       "ff2a2260956d9b8aae1d763fbf31,SignedHeaders=host,Credential=AKID/"
			       "20150830/us-east-1/s3/aws4_request");
	assert_int_equal(sigv4_parse_authorization(w, &a, &why), 0);
	assert_true(str_eq_cstr(a.service, "s3"));
	assert_true(str_eq_cstr(a.signed_headers, "host"));
}

#define SIG64 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
#define CRED  "Credential=AKID/20150830/us-east-1/service/aws4_request"

static const char *const bad_authz[][2] = {
	{"", "must start with"},
	{"AWS AKID:abc", "must start with"},
	{"AWS4-HMAC-SHA256", "must start with"},
	{"AWS4-HMAC-SHA1 " CRED ", SignedHeaders=host, Signature=" SIG64, "must start with"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host", "lacks Signature"},
	{"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" SIG64, "lacks Credential"},
	{"AWS4-HMAC-SHA256 " CRED ", Signature=" SIG64, "lacks SignedHeaders"},
	{"AWS4-HMAC-SHA256 " CRED ", " CRED ", SignedHeaders=host, Signature=" SIG64, "repeats"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" SIG64 ", Foo=bar",
	 "unknown component"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature", "without '='"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" SIG64 "0", "64 lowercase"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=5FA00FA31553B73EBF1942676E8629"
	 "1E8372FF2A2260956D9B8AAE1D763FBF31",
	 "64 lowercase"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=x-amz-date;host, Signature=" SIG64,
	 "sorted and unique"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;host, Signature=" SIG64,
	 "sorted and unique"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=Host, Signature=" SIG64, "invalid name"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;;x, Signature=" SIG64, "invalid name"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=, Signature=" SIG64, "is empty"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service, SignedHeaders=host, "
	 "Signature=" SIG64,
	 "AKID/date/region/service/aws4_request"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request/x, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "more than five"},
	{"AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "8 digits"},
	{"AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "access key id"},
	{"AWS4-HMAC-SHA256 Credential=AK ID/20150830/us-east-1/service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "access key id"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830//service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "invalid region"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/Service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "invalid service"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws5_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "aws4_request"},
};

static void test_parse_authorization_rejects(void **state)
{
	struct sigv4_authz a;

	for (size_t i = 0; i < ARRAY_SIZE(bad_authz); i++) {
		const char *why = NULL;
		int err = sigv4_parse_authorization(str_from(bad_authz[i][0]), &a, &why);
		if (err != ERR_PARSE || !why || !strstr(why, bad_authz[i][1]))
			fail_msg("case %zu (%s): err %d, reason '%s'", i, bad_authz[i][0], err,
				 why ? why : "(none)");
		assert_null(a.signature.ptr);
	}
	/* Signed header names are not counted, only the value's length is capped. */
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_adds(&b, "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host"), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, ";x-%03d", i), 0);
	assert_int_equal(buf_adds(&b, ", Signature=" SIG64), 0);
	const char *why = NULL;
	assert_int_equal(sigv4_parse_authorization(str_make(b.ptr, b.len), &a, &why), 0);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host"), 0);
	while (b.len <= SIGV4_MAX_AUTHZ_LEN)
		assert_int_equal(buf_adds(&b, ";zzzzzzzz"), 0);
	assert_int_equal(sigv4_parse_authorization(str_make(b.ptr, b.len), &a, &why), ERR_PARSE);
	assert_non_null(strstr(why, "too long"));
	buf_release(&b);
}

static void test_verify_refusals(void **state)
{
	const time_t now = SIGV4_FIXTURE_NOW;
	const struct sigv4_header hs[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("X-Custom"), STR_LIT("a")},
	};
	struct sigv4_header all[8];
	struct sigv4_signed s;
	struct sigv4_result r;
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	size_t n = sigv4_fixture_sign_s3(&s, hs, 2, all, now);

	assert_int_equal(sigv4_fixture_verify_s3(all, n, STR_NULL, now, &r), SIGV4_OK);
	assert_string_equal(r.canonical_request.ptr, s.canonical_request.ptr);
	assert_string_equal(r.string_to_sign.ptr, s.string_to_sign.ptr);

	/* Unsigned headers may be added on the way; a signed one may not vanish. */
	all[n] = (struct sigv4_header){STR_LIT("Via"), STR_LIT("proxy")};
	assert_int_equal(sigv4_fixture_verify_s3(all, n + 1, STR_NULL, now, &r), SIGV4_OK);
	assert_int_equal(sigv4_fixture_verify_s3(all + 1, n - 1, STR_NULL, now, &r),
			 SIGV4_MISMATCH);
	/* ...but S3 refuses an x-amz-* header outside the signature. */
	all[n] = (struct sigv4_header){STR_LIT("X-Amz-Acl"), STR_LIT("public-read")};
	assert_int_equal(sigv4_fixture_verify_s3(all, n + 1, STR_NULL, now, &r),
			 SIGV4_UNSIGNED_HEADER);
	assert_non_null(strstr(r.message, "X-Amz-Acl"));
	/* Not signed at all. */
	assert_int_equal(sigv4_fixture_verify_s3(hs, 2, STR_NULL, now, &r), SIGV4_MISSING);
	/* Two mechanisms at once, or two Authorization headers. */
	assert_int_equal(sigv4_fixture_verify_s3(
				 all, n, STR_LIT("X-Amz-Algorithm=AWS4-HMAC-SHA256"), now, &r),
			 SIGV4_MALFORMED);
	all[n] = all[n - 1];
	assert_int_equal(sigv4_fixture_verify_s3(all, n + 1, STR_NULL, now, &r), SIGV4_MALFORMED);
	/* A malformed header says why. */
	all[n - 1].value = STR_LIT("AWS4-HMAC-SHA256 Credential=x");
	assert_int_equal(sigv4_fixture_verify_s3(all, n, STR_NULL, now, &r), SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "lacks SignedHeaders"));
	assert_int_equal(r.canonical_request.len, 0);
	sigv4_signed_release(&s);

	/* S3 needs x-amz-content-sha256 in the request. */
	n = sigv4_fixture_sign_s3(&s, hs, 2, all, now);
	for (size_t i = 0; i < n; i++)
		if (str_ieq_cstr(all[i].name, "x-amz-content-sha256"))
			all[i].name = STR_LIT("x-amz-content-sha255");
	assert_int_equal(sigv4_fixture_verify_s3(all, n, STR_NULL, now, &r), SIGV4_MALFORMED);

	/* Signed just before midnight, dated just after: scope and date disagree. */
	n = sigv4_fixture_sign_s3(&s, hs, 2, all, 1440979190 /* 23:59:50 */);
	for (size_t i = 0; i < n; i++)
		if (str_ieq_cstr(all[i].name, "x-amz-date"))
			all[i].value = STR_LIT("20150831T000010Z");
	assert_int_equal(sigv4_fixture_verify_s3(all, n, STR_NULL, 1440979210, &r),
			 SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "credential date"));
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

/* Headers are limited by their size, as AWS limits them, not by a count. */
static void test_verify_many_headers(void **state)
{
	enum { N = 300 };
	static struct sigv4_header hs[N], all[N + SIGV4_MAX_ADDED_HEADERS];
	static char names[N][16];
	const time_t now = SIGV4_FIXTURE_NOW;
	struct sigv4_signed s;
	struct sigv4_result r;
	size_t n;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "x-h-%03d", i);
		hs[i].name = str_from(names[i]);
		hs[i].value = STR_LIT("v");
	}
	hs[0].name = STR_LIT("Host");
	hs[0].value = STR_LIT("example.amazonaws.com");
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	n = sigv4_fixture_sign_s3(&s, hs, N, all, now);
	assert_int_equal(sigv4_fixture_verify_s3(all, n, STR_NULL, now, &r), SIGV4_OK);

	/* Past SIGV4_MAX_HEADER_BYTES: refused before any work. */
	char *big = malloc(SIGV4_MAX_HEADER_BYTES);
	assert_non_null(big);
	memset(big, 'a', SIGV4_MAX_HEADER_BYTES);
	all[1].value = str_make(big, SIGV4_MAX_HEADER_BYTES);
	assert_int_equal(sigv4_fixture_verify_s3(all, n, STR_NULL, now, &r), SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "larger than the limit"));
	free(big);
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

static void test_verify_presign_window(void **state)
{
	const time_t now = SIGV4_FIXTURE_NOW;
	struct sigv4_params p = sigv4_fixture_params(true);
	p.expires = SIGV4_MAX_EXPIRES_SECONDS;
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.headers = sigv4_fixture_host,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	struct sigv4_result r;
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	assert_int_equal(sigv4_presign(&req, &p, &s), 0);
	struct str q = str_make(s.query.ptr, s.query.len);
	assert_int_equal(sigv4_fixture_verify_s3(sigv4_fixture_host, 1, q, now + 604800, &r),
			 SIGV4_OK);
	assert_true(r.presigned);
	assert_int_equal(sigv4_fixture_verify_s3(sigv4_fixture_host, 1, q, now + 604801, &r),
			 SIGV4_EXPIRED);
	assert_int_equal(sigv4_fixture_verify_s3(sigv4_fixture_host, 1, q, now - 901, &r),
			 SIGV4_SKEW);
	const struct sigv4_header meta[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("x-amz-meta-owner"), STR_LIT("mallory")},
	};
	assert_int_equal(sigv4_fixture_verify_s3(meta, 2, q, now, &r), SIGV4_UNSIGNED_HEADER);

	/* Past the 7-day cap is malformed, whatever the signature. */
	char *edited = str_dup(q);
	char *e = strstr(edited, "X-Amz-Expires=604800");
	assert_non_null(e);
	e[strlen("X-Amz-Expires=60480")] = '1';
	assert_int_equal(sigv4_fixture_verify_s3(sigv4_fixture_host, 1, str_from(edited), now, &r),
			 SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "604800"));
	/* A repeated parameter, or a missing one. */
	free(edited);
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_addf(&b, "%s&X-Amz-Date=20150830T123600Z", s.query.ptr), 0);
	assert_int_equal(
		sigv4_fixture_verify_s3(sigv4_fixture_host, 1, str_make(b.ptr, b.len), now, &r),
		SIGV4_MALFORMED);
	assert_int_equal(sigv4_fixture_verify_s3(sigv4_fixture_host, 1,
						 STR_LIT("X-Amz-Signature=" SIG64), now, &r),
			 SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "lacks X-Amz-Algorithm"));
	buf_release(&b);
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_authorization),
		cmocka_unit_test(test_parse_authorization_rejects),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_verify_many_headers),
		cmocka_unit_test(test_verify_presign_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
