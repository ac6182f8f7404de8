/*
 * The S3 client the service's functions use: PutObject, GetObject,
 * HeadObject, DeleteObject and ListObjectsV2 over one kept-alive HTTP
 * connection (http/client.h), signed with SigV4 (aws/sigv4.h) and configured
 * from the standard AWS_* environment variables (aws/config.h).
 *
 * On AWS the client uses virtual-hosted addressing
 * (https://<bucket>.s3.<region>.amazonaws.com/<key>); when an endpoint is
 * given by AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (sluice dev, moto) it uses
 * path-style addressing (<endpoint>/<bucket>/<key>). Keys are sent exactly as
 * given: percent-encoded byte for byte with '/' kept, never normalised, so
 * "a//b/../c" names the object "a//b/../c".
 *
 * Every call takes a deadline in epoch milliseconds (0: none). Failed
 * attempts on HTTP 500, 503 (SlowDown) and connection errors are retried with
 * exponential backoff and full jitter, at most S3_MAX_ATTEMPTS attempts in
 * all, never sleeping past the deadline.
 *
 * Return codes, common to every call:
 *   0                 success
 *   ERR_NOTFOUND      404 (NoSuchKey, NoSuchBucket, or "NotFound" for HEAD)
 *   ERR_PRECONDITION  412 (If-None-Match: * on an existing key)
 *   ERR_THROTTLED     503 SlowDown, after the retries
 *   ERR_REMOTE        any other S3 error answer (AccessDenied, ...)
 *   ERR_HTTP          transport failure (connection refused, reset, bad TLS)
 *   ERR_TIMEOUT       the deadline passed
 *   ERR_TOOLARGE      GetObject's body passed the cap of the caller's buf
 *   ERR_INVAL         NULL or empty bucket; NULL, empty or over-long key
 *                     (more than S3_MAX_KEY_LEN bytes); NULL data with len > 0
 *   ERR_NOMEM         allocation failed
 * Whenever S3 answered with an error, `*err` (when not NULL) holds its HTTP
 * status, Code, Message and RequestId; it is zeroed on success and on
 * transport errors (status 0).
 *
 * A client is not thread-safe: use one per thread (Lambda runs one request at
 * a time per process, which is what this is built for).
 */
#ifndef SLUICE_AWS_S3_H
#define SLUICE_AWS_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"
#include "core/buf.h"

/* Attempts per call, the first included. */
#define S3_MAX_ATTEMPTS 3
/* Backoff before retry n (1-based) is uniform in [0, min(cap, base * 2^n)). */
#define S3_BACKOFF_BASE_MS 50
#define S3_BACKOFF_CAP_MS  2000
/* Caps on what we read back from S3 besides GetObject's body. */
#define S3_MAX_XML_BODY	 (4u << 20)	/* a ListObjectsV2 page of 1000 keys fits easily */
#define S3_MAX_KEY_LEN	 ((size_t)1024) /* S3's own limit on key length, in bytes */
#define S3_MAX_LIST_KEYS 1000		/* ListObjectsV2's largest page */

struct s3_client;

/* What S3 said when it refused a request. Strings are NUL-terminated, truncated to fit. */
struct s3_error {
	int status;    /* HTTP status; 0 when S3 was not reached */
	char code[64]; /* "NoSuchKey", "PreconditionFailed", "SlowDown", ... */
	char message[512];
	char request_id[128]; /* from the XML body, else from x-amz-request-id */
};

/* What PutObject returns. */
struct s3_put_result {
	char etag[128];	      /* as S3 sends it, quotes included: "\"9a0364b9...\"" */
	char version_id[256]; /* "" when the bucket is not versioned */
};

/* Metadata of one object, from GetObject or HeadObject. */
struct s3_object_info {
	char content_type[256];	  /* "" when S3 sent none */
	char etag[128];		  /* quotes included */
	uint64_t size;		  /* Content-Length of the object */
	int64_t last_modified_ms; /* epoch ms (second precision); 0 when absent or unparsable */
	char version_id[256];	  /* "" when not versioned */
};

/* One entry of a ListObjectsV2 page. */
struct s3_list_item {
	char *key; /* heap, NUL-terminated, owned by the s3_list_result */
	uint64_t size;
	char etag[128];		  /* quotes included */
	int64_t last_modified_ms; /* epoch ms (millisecond precision) */
};

/* One ListObjectsV2 page. Release with s3_list_result_release(). */
struct s3_list_result {
	struct s3_list_item *items; /* in S3's order (UTF-8 binary order of keys) */
	size_t count;
	bool truncated;	  /* IsTruncated: another page follows */
	char *next_token; /* NextContinuationToken (heap), NULL on the last page */
	long key_count;	  /* KeyCount as S3 reported it; -1 when absent */
};

/*
 * Create a client from the environment (aws_config_init()). Fails with
 * ERR_CONFIG when AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing or
 * an endpoint URL is invalid, ERR_NOMEM, ERR_HTTP when libcurl cannot start.
 * `*out` is set only on success; free it with s3_client_free().
 */
int s3_client_new(struct s3_client **out /* OUT */);

/* The same with an explicit configuration, which is copied (tests, the CLI). */
int s3_client_new_with_config(struct s3_client **out /* OUT */, const struct aws_config *cfg);

/* Close the connection and free the client. NULL is a no-op. */
void s3_client_free(struct s3_client *c);

/*
 * PutObject: store `len` bytes of `data` (NULL allowed when len is 0) under
 * `key` in `bucket`. `content_type` NULL sends none (S3 then stores
 * "binary/octet-stream"). With `if_none_match_star` the request carries
 * "If-None-Match: *" and S3 refuses to overwrite an existing key: the call
 * returns ERR_PRECONDITION. The body is signed (x-amz-content-sha256 is its
 * SHA-256). `result` may be NULL; it is zeroed on failure.
 */
int s3_put_object(struct s3_client *c, const char *bucket, const char *key, const void *data,
		  size_t len, const char *content_type, bool if_none_match_star,
		  int64_t deadline_ms, struct s3_put_result *result /* OUT */,
		  struct s3_error *err /* OUT */);

/*
 * GetObject: append the object's bytes to `body`, whose cap (buf_init())
 * bounds the size: an object larger than the room left gives ERR_TOOLARGE
 * (checked against Content-Length before reading when S3 sends it). On any
 * failure `body` is left as it was. `info` may be NULL.
 */
int s3_get_object(struct s3_client *c, const char *bucket, const char *key, struct buf *body,
		  int64_t deadline_ms, struct s3_object_info *info /* OUT */,
		  struct s3_error *err /* OUT */);

/*
 * HeadObject: the object's metadata without its bytes. A missing key (or
 * bucket) gives ERR_NOTFOUND with err->code "NotFound" (HEAD answers carry no
 * body to say which). `info` may be NULL, to ask only whether it exists.
 */
int s3_head_object(struct s3_client *c, const char *bucket, const char *key, int64_t deadline_ms,
		   struct s3_object_info *info /* OUT */, struct s3_error *err /* OUT */);

/*
 * DeleteObject. S3 answers 204 whether or not the key existed, so deleting a
 * missing key returns 0; a missing bucket gives ERR_NOTFOUND.
 */
int s3_delete_object(struct s3_client *c, const char *bucket, const char *key, int64_t deadline_ms,
		     struct s3_error *err /* OUT */);

/*
 * ListObjectsV2: one page of keys starting with `prefix` (NULL or "": all),
 * continuing from `continuation_token` (NULL or "": the first page), at most
 * `max_keys` of them (0: S3's default of 1000; more than 1000 is capped by
 * S3). `out` is initialised by the call (no need to zero it first) and must
 * be released with s3_list_result_release() whatever the return code.
 */
int s3_list_objects_v2(struct s3_client *c, const char *bucket, const char *prefix,
		       const char *continuation_token, int max_keys, int64_t deadline_ms,
		       struct s3_list_result *out /* OUT */, struct s3_error *err /* OUT */);

/* Free the keys, items and token of `r`, which is empty again. NULL is a no-op. */
void s3_list_result_release(struct s3_list_result *r);

/*
 * The XML parsers behind the calls, exposed for tests and fuzzing (expat;
 * no DTDs or entities beyond the five predefined ones are honoured).
 *
 * s3_parse_error(): fill `out->code`, `message` and `request_id` from an
 * <Error> document, leaving `out->status` alone. 0, or ERR_PARSE when the
 * input is not well-formed XML or has no <Error> root.
 *
 * s3_parse_list(): parse a <ListBucketResult> into `out` (initialised by the
 * call; release it whatever the result). Contents entries without a Key are
 * skipped; more than S3_MAX_LIST_KEYS entries, a key longer than
 * S3_MAX_KEY_LEN or malformed numbers give ERR_PARSE.
 */
int s3_parse_error(const char *xml, size_t len, struct s3_error *out /* OUT */);
int s3_parse_list(const char *xml, size_t len, struct s3_list_result *out /* OUT */);

#endif
