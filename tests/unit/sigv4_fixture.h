/*
 * Helpers for the unit tests of SigV4 (test_sigv4, test_sigv4_canon,
 * test_sigv4_sign, test_sigv4_verify): the key and time of AWS's signing test
 * suite, a keyring for the verifier's lookup, and S3 requests signed and
 * verified in one call. cmocka assertions fail the test on the spot.
 */
#ifndef SLUICE_TESTS_SIGV4_FIXTURE_H
#define SLUICE_TESTS_SIGV4_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/sigv4.h"

/* The secret of AWS's test suite (access key id AKIDEXAMPLE). */
#define SIGV4_FIXTURE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* The suite's time, 2015-08-30T12:36:00Z. */
#define SIGV4_FIXTURE_NOW 1440938160

/* One access key id and its secret, for sigv4_fixture_lookup(). */
struct sigv4_keyring {
	const char *akid, *secret;
};

/* A sigv4_secret_lookup_fn over a struct sigv4_keyring (`ctx`). */
const char *sigv4_fixture_lookup(void *ctx, struct str akid);

/*
 * A GET to example.amazonaws.com at the suite's time, with the suite's key,
 * for service "s3" with S3's rules or "service" without; presigned URLs
 * last 3600 s.
 */
struct sigv4_params sigv4_fixture_params(bool s3);

/* The one header such a request carries: Host: example.amazonaws.com. */
extern const struct sigv4_header sigv4_fixture_host[1];

/*
 * Sign a GET of /bucket/key carrying headers `hs` with S3's rules at `now`,
 * into `s` (initialised by the caller), and write the headers to send (`hs`
 * then the signer's) to `out`, which has room for n + SIGV4_MAX_ADDED_HEADERS.
 * Returns their number.
 */
size_t sigv4_fixture_sign_s3(struct sigv4_signed *s, const struct sigv4_header *hs, size_t n,
			     struct sigv4_header *out, time_t now);

/*
 * Verify a GET of /bucket/key with headers `hs` and `query` as the local S3
 * endpoint does (region us-east-1, S3's rules, the suite's key) at `now`;
 * `r` is initialised by the caller and holds the verdict. Returns the status.
 */
enum sigv4_status sigv4_fixture_verify_s3(const struct sigv4_header *hs, size_t n, struct str query,
					  time_t now, struct sigv4_result *r);

#endif
