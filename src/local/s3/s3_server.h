/*
 * The S3 API of the local AWS endpoint: takes an evhttp request, verifies its
 * SigV4 signature with S3's rules, routes it to an S3 operation and answers
 * with S3's status codes, headers and XML (errors included), backed by
 * s3_store. aws_endpoint.c owns the listening socket and calls
 * s3_server_handle() for every request that is not DynamoDB's.
 *
 * Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
 * GetBucketLocation, PutObject (plain, aws-chunked signed and unsigned with
 * trailers), GetObject (Range, conditionals, response-* overrides),
 * HeadObject, DeleteObject, DeleteObjects, ListObjects (v1 and v2),
 * CopyObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts. Any other subresource or parameter is
 * answered 501 NotImplemented rather than guessed at.
 */
#ifndef SLUICE_LOCAL_S3_SERVER_H
#define SLUICE_LOCAL_S3_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct evhttp_request;
struct s3_server;
struct s3_store;

/* The largest request body evhttp accepts (it answers 413 beyond). */
#define S3_MAX_BODY (64u << 20)
/* The largest object a single PutObject may create, as S3 (5 GiB). */
#define S3_MAX_OBJECT_SIZE (5ull << 30)
/* The smallest part but the last of a multipart upload, as S3 (5 MiB). */
#define S3_MIN_PART_SIZE (5u << 20)
/* Keys in one DeleteObjects request, and the most max-keys may be. */
#define S3_MAX_DELETE_KEYS 1000
#define S3_MAX_LIST_KEYS   1000
/* Bytes of an XML request body (DeleteObjects, CompleteMultipartUpload). */
#define S3_MAX_XML_BODY (2u << 20)

/*
 * Create the S3 server over the store at `root` (<data dir>/s3), accepting
 * requests signed by `access_key_id` with `secret`. Strings are copied.
 * Returns 0 and *out, ERR_INVAL (NULL argument), ERR_IO, ERR_NOMEM.
 */
int s3_server_new(const char *root, const char *access_key_id, const char *secret,
		  struct s3_server **out /* OUT */);

/* Free the server (the files stay). NULL is a no-op. */
void s3_server_free(struct s3_server *srv);

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
 * Called by s3_chunked_decode() for every chunk with data (the final empty
 * chunk included, with an empty `data`), with the chunk's signature (empty
 * when the chunk carries none). A non-zero return stops decoding and is
 * returned by s3_chunked_decode().
 */
typedef int (*s3_chunk_fn)(void *ctx, struct str data, struct str signature);

/*
 * Decode an aws-chunked body as awscli and boto3 send it:
 *   <hex size>[;chunk-signature=<64 hex>]\r\n<size bytes>\r\n ... 0[;...]\r\n
 * followed by optional trailer lines "name:value\r\n" and a final "\r\n".
 * With `signed_chunks` every chunk must carry a chunk-signature. `*trailer`
 * receives the trailer lines (a slice of `in`, possibly empty). Sizes are
 * bounded: the decoded total may not pass `max_decoded`.
 *
 * Returns 0, ERR_PARSE (malformed framing, bytes after the end),
 * ERR_TOOLARGE, or what the callback returned.
 */
int s3_chunked_decode(const char *in, size_t len, bool signed_chunks, uint64_t max_decoded,
		      s3_chunk_fn fn, void *ctx, struct str *trailer /* OUT */);

#endif
