/* The helpers of sigv4_fixture.h. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "sigv4_fixture.h"

const struct sigv4_header sigv4_fixture_host[1] = {
	{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
};

const char *sigv4_fixture_lookup(void *ctx, struct str akid)
{
	const struct sigv4_keyring *k = ctx;
	return str_eq_cstr(akid, k->akid) ? k->secret : NULL;
}

struct sigv4_params sigv4_fixture_params(bool s3)
{
	struct sigv4_params p = {
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = SIGV4_FIXTURE_SECRET,
		.region = "us-east-1",
		.service = s3 ? "s3" : "service",
		.now = SIGV4_FIXTURE_NOW,
		.s3 = s3,
		.expires = 3600,
	};
	return p;
}

size_t sigv4_fixture_sign_s3(struct sigv4_signed *s, const struct sigv4_header *hs, size_t n,
			     struct sigv4_header *out, time_t now)
{
	struct sigv4_params p = sigv4_fixture_params(true);
	p.now = now;
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.headers = hs,
		.n_headers = n,
	};
	assert_int_equal(sigv4_sign_headers(&req, &p, s), 0);
	memcpy(out, hs, n * sizeof(*hs));
	memcpy(out + n, s->headers, s->n_headers * sizeof(*hs));
	return n + s->n_headers;
}

enum sigv4_status sigv4_fixture_verify_s3(const struct sigv4_header *hs, size_t n, struct str query,
					  time_t now, struct sigv4_result *r)
{
	static struct sigv4_keyring keys = {"AKIDEXAMPLE", SIGV4_FIXTURE_SECRET};
	struct sigv4_verify_params vp = {
		.region = "us-east-1",
		.service = "s3",
		.s3 = true,
		.now = now,
		.lookup = sigv4_fixture_lookup,
		.lookup_ctx = &keys,
	};
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.query = query,
		.headers = hs,
		.n_headers = n,
	};
	assert_int_equal(sigv4_verify(&req, &vp, r), 0);
	return r->status;
}
