/*
 * AWS Signature Version 4: signing for the function's AWS clients (S3,
 * DynamoDB) and verification for the local S3/DynamoDB endpoints and the
 * gateway's AWS_IAM authorizer. One implementation serves both sides so that
 * they cannot drift, split by file so that the function binary links only
 * the signer's half:
 *
 *   sigv4_canon.c    canonical request, string to sign, signing key (both)
 *   sigv4_sign.c     sigv4_sign_headers(), sigv4_presign() (the function)
 *   sigv4_verify.c   sigv4_parse_authorization(), sigv4_verify() (the local cloud)
 *
 * The rules are AWS's ("Create a signed AWS API request", "Elements of an AWS
 * API request signature" in the IAM user guide) and are checked against AWS's
 * signing test suite (../shared/fixtures/aws-sigv4-test-suite) and against
 * botocore for S3 (tests/fixtures/sigv4-s3):
 *
 *   canonical request = METHOD \n canonical URI \n canonical query \n
 *                       canonical headers \n signed headers \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n
 *                       hex(sha256(canonical request))
 *   scope             = yyyymmdd/region/service/aws4_request
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
 *                            service), "aws4_request")
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * Canonical URI: every service except S3 normalises the path (drops "."
 * segments, resolves "..", merges repeated slashes) and URI-encodes the path
 * as it appears on the wire, which encodes it twice ("%20" becomes "%2520").
 * S3 does neither: the wire path is decoded once and encoded once, so
 * "a//b/../c" keeps its segments and "%20" stays "%20".
 * Canonical query: each name and value is decoded, then encoded with the
 * RFC 3986 unreserved set ('+' is a literal plus, never a space; a space must
 * be sent as %20), pairs are sorted by encoded name then encoded value; a
 * name without '=' gets an empty value.
 * Canonical headers: lowercase names, sorted; values trimmed, every run of
 * whitespace (spaces, tabs, obs-fold line breaks) collapsed to one space;
 * repeated headers joined with ',' in the order received.
 *
 * All input is borrowed; results land in caller-owned structures released
 * with the matching _release(). Nothing here does I/O or keeps global state.
 */
#ifndef SLUICE_AWS_SIGV4_H
#define SLUICE_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/str.h"

#define SIGV4_ALGORITHM	       "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/*
 * Caps, so that hostile requests cannot make us allocate without bound. As
 * AWS does, headers are limited by size, not by count: any number of them,
 * signed or not, passes while their bytes fit (the local servers cap the
 * whole head before, http/guard.h; these bound the work for any caller).
 */
#define SIGV4_MAX_HEADER_BYTES	   ((size_t)1 << 18) /* names and values of a request's headers */
#define SIGV4_MAX_QUERY_PARAMS	   256		     /* query parameters per request */
#define SIGV4_MAX_AUTHZ_LEN	   16384	     /* Authorization header value */
#define SIGV4_MAX_KEY_ID_LEN	   128		     /* access key id */
#define SIGV4_MAX_CANONICAL	   ((size_t)1 << 20) /* canonical request bytes */
#define SIGV4_MAX_PAYLOAD_HASH_LEN 64 /* hex digest or a keyword such as UNSIGNED-PAYLOAD */

/* Time rules enforced by sigv4_verify(). */
#define SIGV4_MAX_SKEW_SECONDS	  900	 /* 15 minutes either way */
#define SIGV4_MAX_EXPIRES_SECONDS 604800 /* presigned URLs: 7 days */

/* One HTTP header. Neither part is NUL-terminated; names compare case-insensitively. */
struct sigv4_header {
	struct str name, value;
};

/*
 * A request to sign or verify. Everything is borrowed.
 *
 * `path` is the path exactly as on the wire (percent-encoded, without '?');
 * empty means "/". An S3 client builds it as "/" + uri_encode(key, true)
 * (or "/bucket/" + ... path-style), as botocore does; the signature covers
 * that same encoding. `query` is the raw query without the '?', empty when there
 * is none; for verification of a presigned URL it holds the X-Amz-* parameters
 * too. `headers` must include Host (SigV4 signs it); duplicates are allowed.
 *
 * `payload_hash`, when not empty, is used as-is (a lowercase hex SHA-256,
 * "UNSIGNED-PAYLOAD", "STREAMING-..."); when empty it is computed from
 * `body`/`body_len` (signing) or found as sigv4_verify() says. `body` may be
 * NULL when `body_len` is 0.
 */
struct sigv4_request {
	const char *method;
	struct str path;
	struct str query;
	const struct sigv4_header *headers;
	size_t n_headers;
	struct str payload_hash;
	const void *body;
	size_t body_len;
};

/*
 * How to sign. Strings are NUL-terminated and borrowed for the duration of
 * the call (session_token for as long as the sigv4_signed output is used).
 *
 * `s3` selects S3's rules: no path normalisation, single URI encoding, and
 * the x-amz-content-sha256 header added and signed (header form).
 * `no_normalize_path` keeps "." / ".." / "//" for a non-S3 service.
 * `sign_body` adds and signs x-amz-content-sha256 for a non-S3 service too.
 * `omit_session_token` leaves X-Amz-Security-Token out of the signature and
 * adds it afterwards (the IoT style; AWS's test suite covers it).
 * `expires` is the lifetime of a presigned URL in seconds (1..604800); it is
 * ignored by sigv4_sign_headers().
 */
struct sigv4_params {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL or "" when none */
	const char *region;
	const char *service;
	time_t now;
	bool s3;
	bool no_normalize_path;
	bool sign_body;
	bool omit_session_token;
	long expires;
};

/* The most headers sigv4_sign_headers() adds. */
#define SIGV4_MAX_ADDED_HEADERS 4

/*
 * The result of signing. Every intermediate step is kept for tests and for
 * debugging signature mismatches.
 *
 * After sigv4_sign_headers(): `headers[0..n_headers)` are the headers to add
 * to the request, in this order: X-Amz-Date, X-Amz-Security-Token (when a
 * token, signed unless omit_session_token), x-amz-content-sha256 (S3 or
 * sign_body; it carries req->payload_hash when given), Authorization. Values
 * point into this structure (and into params->session_token), so they live
 * until sigv4_signed_release().
 *
 * After sigv4_presign(): `query` holds the full query string to send (without
 * '?'): the request's own parameters and the X-Amz-* ones, canonically
 * encoded and sorted, then X-Amz-Signature (then an unsigned
 * X-Amz-Security-Token with omit_session_token). `headers` is empty.
 */
struct sigv4_signed {
	struct buf canonical_request;
	struct buf string_to_sign;
	char signature[65]; /* lowercase hex, NUL-terminated */
	char amz_date[17];  /* "20150830T123600Z" */
	char payload_hash[SIGV4_MAX_PAYLOAD_HASH_LEN + 1];
	struct buf signed_headers; /* "host;x-amz-date" */
	struct buf authorization;  /* header form: the Authorization value */
	struct buf query;	   /* query form: the query string to send */
	struct sigv4_header headers[SIGV4_MAX_ADDED_HEADERS];
	size_t n_headers;
};

/* Make `s` empty. Allocates nothing. */
void sigv4_signed_init(struct sigv4_signed *s);

/* Free what signing allocated; `s` is empty again. Safe on an init'ed `s`. */
void sigv4_signed_release(struct sigv4_signed *s);

/*
 * Sign `req` in the header form (an Authorization header). `out` must have
 * been initialised; it is reset first. Headers of the request named
 * Authorization, X-Amz-Date, X-Amz-Security-Token and x-amz-content-sha256
 * are ignored (the signer produces its own); hop-by-hop headers (Connection,
 * Expect, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
 * Transfer-Encoding, Upgrade) and User-Agent and X-Amzn-Trace-Id are not
 * signed, as botocore does, because proxies change them. Every other header
 * is signed.
 *
 * Returns 0, ERR_INVAL (missing method, credentials, region or service; a
 * payload hash longer than SIGV4_MAX_PAYLOAD_HASH_LEN; a path containing '?';
 * a bad %-escape in the query, or in the path with S3 rules; an invalid
 * header name),
 * ERR_TOOLARGE (past the caps above) or ERR_NOMEM.
 */
int sigv4_sign_headers(const struct sigv4_request *req, const struct sigv4_params *p,
		       struct sigv4_signed *out /* OUT */);

/*
 * Sign `req` in the query form (a presigned URL) valid for p->expires
 * seconds from p->now. The request's query must not already carry X-Amz-*
 * signing parameters. For S3 with an empty payload_hash the payload is
 * UNSIGNED-PAYLOAD (what S3 presigned URLs use); other services hash the body.
 * Headers are signed as for sigv4_sign_headers() except that X-Amz-Date and
 * the token travel in the query.
 *
 * Returns as sigv4_sign_headers(), ERR_INVAL when expires is outside
 * 1..SIGV4_MAX_EXPIRES_SECONDS, and ERR_TOOLARGE when the URL, signing
 * parameters included, would carry more than SIGV4_MAX_QUERY_PARAMS
 * parameters (sigv4_verify() would refuse it).
 */
int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_signed *out /* OUT */);

/* The longest secret access key accepted (AWS's are 40 characters). */
#define SIGV4_MAX_SECRET_LEN 256

/*
 * The derived signing key for one day, region and service (`date` is
 * "yyyymmdd"). Exposed for the local endpoints' caches and for tests.
 * Returns 0, or ERR_INVAL when `secret` is NULL or longer than
 * SIGV4_MAX_SECRET_LEN (`key` is zeroed then).
 */
int sigv4_signing_key(const char *secret, struct str date, struct str region, struct str service,
		      unsigned char key[32] /* OUT */);

/*
 * The parts of an Authorization header value
 *   AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
 *   SignedHeaders=host;x-amz-date, Signature=<64 hex>
 * All slices point into the parsed value.
 */
struct sigv4_authz {
	struct str credential;	   /* "AKID/20150830/us-east-1/service/aws4_request" */
	struct str access_key_id;  /* "AKID" */
	struct str scope;	   /* "20150830/us-east-1/service/aws4_request" */
	struct str date;	   /* "20150830" */
	struct str region;	   /* "us-east-1" */
	struct str service;	   /* "service" */
	struct str signed_headers; /* "host;x-amz-date" */
	struct str signature;	   /* 64 lowercase hex digits */
};

/*
 * Parse an Authorization header value strictly: the algorithm, one space,
 * then Credential=, SignedHeaders= and Signature= exactly once each, in any
 * order, separated by ',' and optional spaces. The credential has five
 * '/'-separated parts ending in "aws4_request", a date of 8 digits and a key
 * id of 1..SIGV4_MAX_KEY_ID_LEN characters [A-Za-z0-9_], a region and a
 * service of 1..64 characters [a-z0-9-]; SignedHeaders is
 * non-empty lowercase names separated by ';', sorted, without duplicates (as
 * many as SIGV4_MAX_AUTHZ_LEN holds); the signature is 64 lowercase hex
 * digits. Values longer than SIGV4_MAX_AUTHZ_LEN are refused.
 *
 * Returns 0, or ERR_PARSE with `*reason` set to a static sentence saying what
 * is wrong (for a 400 response or a log). `reason` may be NULL.
 */
int sigv4_parse_authorization(struct str value, struct sigv4_authz *out /* OUT */,
			      const char **reason /* OUT */);

/* The outcome of sigv4_verify(). */
enum sigv4_status {
	SIGV4_OK = 0,
	SIGV4_MISSING,	       /* no Authorization header and no X-Amz-Signature */
	SIGV4_MALFORMED,       /* bad header/query syntax, wrong scope, missing date (400) */
	SIGV4_UNKNOWN_KEY,     /* the lookup does not know the access key id (403) */
	SIGV4_SKEW,	       /* request time more than 15 minutes from now (403) */
	SIGV4_EXPIRED,	       /* presigned URL past X-Amz-Expires (403) */
	SIGV4_MISMATCH,	       /* signature differs (403 SignatureDoesNotMatch) */
	SIGV4_HASH_MISMATCH,   /* S3: x-amz-content-sha256 is not the body's hash */
	SIGV4_UNSIGNED_HEADER, /* S3: an x-amz-* header is present but not signed (403) */
	SIGV4_WRONG_REGION,    /* the scope names another region than vp->region: scope_region */
};

/* The longest region a credential scope may name. */
#define SIGV4_MAX_REGION_LEN 64

/* "OK", "MISSING", "MALFORMED", ... for logs and tests. */
const char *sigv4_status_name(enum sigv4_status status);

/*
 * Returns the secret access key for `access_key_id`, or NULL when the key is
 * unknown. The string must stay valid until sigv4_verify() returns.
 */
typedef const char *(*sigv4_secret_lookup_fn)(void *ctx, struct str access_key_id);

/*
 * What the verifier expects. `region`, when not NULL, must match the
 * credential scope, else SIGV4_WRONG_REGION (each service words that
 * refusal its own way, so the verifier only reports it); `service`, when not
 * NULL, must match too, else SIGV4_MALFORMED. NULL accepts any. `s3` and
 * `no_normalize_path` select the canonical URI rules as in sigv4_params.
 */
struct sigv4_verify_params {
	const char *region;
	const char *service;
	bool s3;
	bool no_normalize_path;
	time_t now;
	sigv4_secret_lookup_fn lookup;
	void *lookup_ctx;
};

/*
 * What sigv4_verify() found. `message` is a human sentence for the response
 * body or a log. The canonical request and string to sign are those the
 * verifier computed (S3 returns them in SignatureDoesNotMatch); they are empty
 * when verification stopped before computing them. `access_key_id` is a
 * NUL-terminated copy once the credential was parsed.
 */
struct sigv4_result {
	enum sigv4_status status;
	bool presigned;
	char message[256];
	char access_key_id[SIGV4_MAX_KEY_ID_LEN + 1];
	char scope_region[SIGV4_MAX_REGION_LEN + 1]; /* the credential's region, once parsed */
	struct buf canonical_request;
	struct buf string_to_sign;
};

/* Make `r` empty. Allocates nothing. */
void sigv4_result_init(struct sigv4_result *r);

/* Free the buffers; `r` is empty again. */
void sigv4_result_release(struct sigv4_result *r);

/*
 * Verify a received request, signed either with an Authorization header or
 * as a presigned URL (X-Amz-Signature in `req->query`). Only the headers named
 * in SignedHeaders are used (Host must be one of them). The time comes from
 * X-Amz-Date (header, or query for presigned) and must agree with the scope
 * date; it must lie within SIGV4_MAX_SKEW_SECONDS of vp->now, and for a
 * presigned URL X-Amz-Expires must be 1..604800 and not elapsed. The
 * signature comparison is constant-time.
 *
 * The payload hash is req->payload_hash when not empty (the caller vouches
 * for the body, e.g. while streaming it); else the x-amz-content-sha256
 * header when present, for any service as botocore signs it, and then a hex
 * digest there must equal the SHA-256 of `body` (SIGV4_HASH_MISMATCH, checked
 * after the signature); else, for S3, UNSIGNED-PAYLOAD for a presigned URL
 * and SIGV4_MALFORMED for a header-signed request, which S3 requires to carry
 * the header; else, for other services, the SHA-256 of `body`.
 *
 * With S3 rules, every x-amz-* header of the request must be among the signed
 * ones (S3's "There were headers present in the request which were not
 * signed"), else SIGV4_UNSIGNED_HEADER: an unsigned x-amz-acl or x-amz-meta-*
 * could otherwise be added to a captured request.
 *
 * `out` must have been initialised; it is reset first. Returns 0 when the
 * verdict is in out->status (including every refusal), or ERR_NOMEM /
 * ERR_INVAL (NULL arguments, no lookup) when no verdict could be reached.
 */
int sigv4_verify(const struct sigv4_request *req, const struct sigv4_verify_params *vp,
		 struct sigv4_result *out /* OUT */);

#endif
