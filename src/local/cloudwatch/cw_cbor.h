/*
 * CBOR (RFC 8949) for CloudWatch's Smithy RPC v2 CBOR protocol, the one
 * botocore (boto3, awscli) and the newer SDKs speak to CloudWatch metrics:
 * a request body decodes into the JSON value the handlers read, and their
 * JSON answer encodes back into CBOR.
 *
 * Decoding: maps (text keys only), arrays, text strings (UTF-8 checked),
 * byte strings (become base64 text), integers, half/single/double floats,
 * true/false/null/undefined (null), and tag 1 (epoch time, kept as its
 * number of seconds); definite and indefinite lengths. Other tags and
 * simple values are refused. Encoding writes definite lengths, doubles for
 * reals, and tag 1 before the numbers under the keys `is_time` names.
 */
#ifndef SLUICE_LOCAL_CW_CBOR_H
#define SLUICE_LOCAL_CW_CBOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* The largest body decoded (CloudWatch's PutMetricData takes 1 MB) and the deepest nesting. */
#define CW_CBOR_MAX	  ((size_t)1 << 20)
#define CW_CBOR_DEPTH_MAX 32

/*
 * Decode exactly one data item of `len` bytes. Returns 0 and *out (a new
 * reference), or ERR_PARSE with a reason in `why` (which may be NULL),
 * ERR_NOMEM. *out is NULL on failure.
 */
int cw_cbor_decode(const void *data, size_t len, json_t **out /* OUT */, char *why, size_t why_len);

/* How to encode: which members are timestamps (NULL: none). */
struct cw_cbor_opts {
	bool (*is_time)(const char *key);
};

/*
 * Append the CBOR of `v` to `out` (sticky buf_put()); numbers under a key
 * that `o->is_time` accepts, in a list or alone, get tag 1. Returns 0, the
 * buffer's error, ERR_INVAL for a NULL `v`, ERR_TOOLARGE when nested past
 * CW_CBOR_DEPTH_MAX.
 */
int cw_cbor_encode(const json_t *v, const struct cw_cbor_opts *o, struct buf *out);

#endif
