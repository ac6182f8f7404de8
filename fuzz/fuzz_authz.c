/*
 * Fuzz the SigV4 verifier's parsers. The input is split at newlines into an
 * Authorization value, a query, a path and an X-Amz-Date value (the rest is
 * the body); the first line is parsed on its own, then the whole request is
 * verified with S3 and non-S3 rules, so that both the header and the
 * presigned paths see hostile text.
 */
#include "core/common.h"

#include "aws/sigv4.h"

static const char *lookup(void *ctx, struct str akid)
{
	return akid.len && akid.ptr[0] == 'A' ? "secret" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str rest = str_make((const char *)data, size), part[4];
	struct sigv4_authz a;
	struct sigv4_result r;
	const char *why;

	for (int i = 0; i < 4; i++)
		rest = str_split(rest, '\n', &part[i], NULL);
	sigv4_parse_authorization(part[0], &a, &why);
	struct sigv4_header hs[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("X-Amz-Date"), part[3]},
		{STR_LIT("x-amz-content-sha256"), STR_LIT("UNSIGNED-PAYLOAD")},
		{STR_LIT("Authorization"), part[0]},
	};
	struct sigv4_request req = {"GET",    part[2],	part[1], hs, part[0].len ? 4 : 3,
				    STR_NULL, rest.ptr, rest.len};
	sigv4_result_init(&r);
	for (int s3 = 0; s3 < 2; s3++) {
		struct sigv4_verify_params vp = {NULL, NULL, s3, false, 1440938160, lookup, NULL};
		sigv4_verify(&req, &vp, &r);
	}
	sigv4_result_release(&r);
	return 0;
}
