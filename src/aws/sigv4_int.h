/*
 * Internals of SigV4, shared by its three files and nobody else: the
 * canonical form (sigv4_canon.c) that both the signer (sigv4_sign.c) and the
 * verifier (sigv4_verify.c) feed. Nothing declared here may live in
 * sigv4_verify.c: the function binary links sigv4_canon.o and sigv4_sign.o
 * only, and tests/protocol/test_binary_halves.py checks that it stays so.
 */
#ifndef SLUICE_AWS_SIGV4_INT_H
#define SLUICE_AWS_SIGV4_INT_H

#include "aws/sigv4.h"

/* Scope, Authorization value, signed header list. */
#define SIGV4_SMALL_CAP ((size_t)8192)

/* The query parameters that carry a presigned signature, in this order. */
enum sigv4_presign_param {
	SIGV4_P_ALGORITHM,
	SIGV4_P_CREDENTIAL,
	SIGV4_P_DATE,
	SIGV4_P_EXPIRES,
	SIGV4_P_SIGNED_HEADERS,
	SIGV4_P_SIGNATURE,
	SIGV4_P_SECURITY_TOKEN, /* the one that is optional */
	SIGV4_P_COUNT
};

/* Their names: "X-Amz-Algorithm", ..., indexed by enum sigv4_presign_param. */
extern const char *const sigv4_presign_params[SIGV4_P_COUNT];

/* memcmp order of two byte strings, the shorter first on a common prefix. */
int sigv4_cmp_slice(const char *a, size_t alen, const char *b, size_t blen);

/* An RFC 9110 token character, other than ';' (which separates SignedHeaders). */
bool sigv4_is_tchar(unsigned char c);

/* The bytes of the names and values of `req`'s headers, to hold against SIGV4_MAX_HEADER_BYTES. */
size_t sigv4_headers_bytes(const struct sigv4_request *req);

/* True when `name` is one of the ';'-separated names of `list` (ASCII case-insensitive). */
bool sigv4_list_has(struct str list, struct str name);

/*
 * The parameters of a canonical query: each key and value re-encoded into
 * `store`, sorted when emitted. At most SIGV4_MAX_QUERY_PARAMS come from a
 * raw query, plus the presigning ones.
 */
struct sigv4_qentry {
	size_t koff, klen, voff, vlen; /* encoded key and value in sigv4_query.store */
};

struct sigv4_query {
	struct buf store;   /* encoded keys and values */
	struct buf scratch; /* decoded text being re-encoded */
	struct sigv4_qentry *e;
	size_t n, alloc;
};

void sigv4_query_init(struct sigv4_query *q);
void sigv4_query_release(struct sigv4_query *q);

/*
 * Add one parameter, encoded as SigV4 wants it; `decode` first decodes text
 * that comes from the wire. Returns 0, ERR_PARSE (a bad %-escape),
 * ERR_TOOLARGE or ERR_NOMEM.
 */
int sigv4_query_add(struct sigv4_query *q, struct str key, struct str val, bool decode);

/*
 * Add every parameter of a raw query (split with http/query.h). With
 * `skip_signature`, X-Amz-Signature is left out (verifying a presigned URL);
 * with `refuse_presign`, any presigning parameter fails with ERR_INVAL
 * (presigning a request that already has them). ERR_TOOLARGE past
 * SIGV4_MAX_QUERY_PARAMS parameters.
 */
int sigv4_query_add_raw(struct sigv4_query *q, struct str query, bool skip_signature,
			bool refuse_presign);

/* SigV4 step 1, CanonicalQueryString: append the parameters sorted by key, then value. */
int sigv4_query_emit(struct sigv4_query *q, struct buf *out);

/* Add a raw query and emit it, in one call: what signing headers and verifying do. */
int sigv4_canon_query(struct buf *out, struct str query, bool skip_signature);

/*
 * Which headers take part: when `only` is set (verifying), those named in it;
 * otherwise (signing) every request header but the skipped ones, plus `extra`.
 */
struct sigv4_header_sel {
	const struct sigv4_header *extra;
	size_t n_extra;
	const struct str *only;
};

/* The parts of a canonical request, built one by one. */
struct sigv4_canon {
	struct buf uri, query, headers, signed_list;
};

void sigv4_canon_init(struct sigv4_canon *c);
void sigv4_canon_release(struct sigv4_canon *c);

/*
 * SigV4 step 1, CanonicalURI, appended to `out`: with S3's rules (`s3`) the
 * wire path decoded once and encoded once; otherwise the wire path,
 * normalised when `normalize`, encoded (a second time). ERR_PARSE for a bad
 * %-escape with S3's rules.
 */
int sigv4_canon_uri(struct buf *out, struct str path, bool s3, bool normalize);

/*
 * SigV4 step 1, CanonicalHeaders into `block` and SignedHeaders into
 * `signed_list`. Returns 0, ERR_INVAL for an invalid header name when
 * signing, ERR_NOTFOUND when a name in `sel->only` is missing from the
 * request, ERR_TOOLARGE or ERR_NOMEM.
 */
int sigv4_canon_headers(const struct sigv4_request *req, const struct sigv4_header_sel *sel,
			struct buf *block, struct buf *signed_list);

/* SigV4 step 1: the six parts joined by newlines, appended to `out`. */
int sigv4_canon_assemble(const struct sigv4_canon *c, const char *method, struct str payload_hash,
			 struct buf *out);

/* SigV4 step 2: the string to sign for canonical request `creq`, appended to `out`. */
int sigv4_string_to_sign(struct buf *out, const char *amz_date, struct str scope,
			 const struct buf *creq);

/*
 * SigV4 steps 3 and 4: the signature of `sts` in lowercase hex. ERR_INVAL
 * when sigv4_signing_key() refuses the secret.
 */
int sigv4_signature(const char *secret, struct str date, struct str region, struct str service,
		    const struct buf *sts, char out[65] /* OUT */);

#endif
