/*
 * The S3 API of the local AWS endpoint: takes an evhttp request, verifies its
 * SigV4 signature with S3's rules, routes it to an S3 operation and answers
 * with S3's status codes, headers and XML (errors included), backed by
 * s3_store. endpoint.c owns the listening socket and calls
 * s3_server_handle() for every request that is not DynamoDB's.
 *
 * Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
 * GetBucketLocation, PutObject (plain, aws-chunked signed and unsigned with
 * trailers), GetObject (Range, conditionals, response-* overrides),
 * HeadObject, DeleteObject, DeleteObjects, ListObjects (v1 and v2),
 * CopyObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts. Any other subresource or parameter is
 * answered 501 NotImplemented rather than guessed at. Uploads are checked
 * against the Content-MD5 and x-amz-checksum-* (headers or aws-chunked
 * trailers) they carry before anything is stored, and objects keep their
 * checksum (docs/local-cloud.md, "Integrity: checksums").
 *
 * The files of the endpoint share s3_int.h; this header is all that other
 * modules need.
 */
#ifndef SLUICE_LOCAL_S3_SERVER_H
#define SLUICE_LOCAL_S3_SERVER_H

#include <stdbool.h>

struct evhttp_request;
struct http_guard_refusal;
struct s3_server;
struct s3_store;

/* The largest request body evhttp accepts (it answers 413 beyond). */
#define S3_MAX_BODY (64u << 20)

/*
 * Create the S3 server over the store at `root` (<data dir>/s3), accepting
 * requests signed by `access_key_id` with `secret`. Strings are copied.
 * Returns 0 and *out, ERR_INVAL (NULL argument), ERR_IO, ERR_NOMEM.
 */
int s3_server_new(const char *root, const char *access_key_id, const char *secret,
		  struct s3_server **out /* OUT */);

/* Free the server (the files stay). NULL is a no-op. */
void s3_server_free(struct s3_server *srv);

/*
 * The region requests must be signed for ("us-east-1" until set): a request
 * signed for another is refused as S3 refuses it (AuthorizationHeaderMalformed,
 * or AuthorizationQueryParametersError when presigned), naming the region
 * expected. A name longer than a region is ERR_INVAL.
 */
int s3_server_set_region(struct s3_server *srv, const char *region);

/* Sync writes to disk before answering them (s3_store_set_fsync()). NULL is a no-op. */
void s3_server_set_fsync(struct s3_server *srv, bool on);

/* Create a bucket unless it exists. 0, ERR_INVAL (bad name), ERR_IO, ERR_NOMEM. */
int s3_server_create_bucket(struct s3_server *srv, const char *name);

/*
 * The store behind the server, for the local cloud's orchestration
 * (endpoint.c), which reads and writes the site's objects for the local
 * CloudFront front. Borrowed: it lives as long as `srv`. NULL for NULL.
 */
struct s3_store *s3_server_store(struct s3_server *srv);

/* Answer one request (always sends a reply). */
void s3_server_handle(struct s3_server *srv, struct evhttp_request *req);

/*
 * Answer, in S3's words, a request the endpoint's framing guard refused
 * (http/guard.h; s3_refuse.c): `req` is the guard's stand-in, carrying the
 * refused request's path. Always sends a reply.
 */
void s3_server_refuse(struct s3_server *srv, struct evhttp_request *req,
		      const struct http_guard_refusal *r);

#endif
