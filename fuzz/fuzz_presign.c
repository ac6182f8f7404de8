/*
 * Fuzz the presigned-URL side of sigv4_verify (src/aws/sigv4_verify.c). Line 1 of
 * the input is a raw query carrying X-Amz-* parameters, line 2 the path, the
 * other lines "name:value" headers after Host; it is verified with S3 and
 * non-S3 rules. When the query has no X-Amz-* parameters of its own and no
 * header is one the signer makes itself (which it ignores: Authorization,
 * X-Amz-Date, ...), the request is also presigned, and the URL must verify.
 */
#include "core/common.h"

#include "aws/sigv4.h"

#define FUZZ_MAX_HEADERS 8
#define FUZZ_SECRET	 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define FUZZ_NOW	 1440938160 /* 2015-08-30T12:36:00Z, the seeds' X-Amz-Date */

static const char *lookup(void *ctx, struct str akid)
{
	return str_eq(akid, STR_LIT("AKIDEXAMPLE")) ? FUZZ_SECRET : NULL;
}

static bool signer_own(struct str n)
{
	return str_ieq_cstr(n, "authorization") || str_ieq_cstr(n, "x-amz-date") ||
	       str_ieq_cstr(n, "x-amz-security-token") || str_ieq_cstr(n, "x-amz-content-sha256");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str rest = str_make((const char *)data, size), query, line;
	struct sigv4_header hs[FUZZ_MAX_HEADERS + 1] = {{STR_LIT("Host"), STR_LIT("example.com")}};
	struct sigv4_request req = {"GET", STR_NULL, STR_NULL, hs, 1, STR_NULL, NULL, 0};
	struct sigv4_verify_params vp = {"us-east-1", NULL, false, false, FUZZ_NOW, lookup, NULL};
	struct sigv4_params p = {.access_key_id = "AKIDEXAMPLE",
				 .secret_access_key = FUZZ_SECRET,
				 .region = "us-east-1",
				 .service = "s3",
				 .now = FUZZ_NOW,
				 .expires = 60};
	struct sigv4_result r;
	struct sigv4_signed sig;
	bool own = false;

	rest = str_split(str_split(rest, '\n', &query, NULL), '\n', &req.path, NULL);
	for (; rest.len && req.n_headers <= FUZZ_MAX_HEADERS; req.n_headers++) {
		rest = str_split(rest, '\n', &line, NULL);
		hs[req.n_headers].value = str_split(line, ':', &hs[req.n_headers].name, NULL);
		own |= signer_own(hs[req.n_headers].name);
	}
	sigv4_result_init(&r);
	sigv4_signed_init(&sig);
	for (int s3 = 0; s3 < 2; s3++) {
		req.query = query;
		vp.s3 = p.s3 = s3;
		sigv4_verify(&req, &vp, &r);
		if (!own && !sigv4_presign(&req, &p, &sig)) {
			req.query = str_make(sig.query.ptr, sig.query.len);
			if (sigv4_verify(&req, &vp, &r) || r.status != SIGV4_OK || !r.presigned)
				abort(); /* what we presign, we accept */
		}
	}
	sigv4_signed_release(&sig);
	sigv4_result_release(&r);
	return 0;
}
