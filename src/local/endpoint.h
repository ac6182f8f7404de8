/*
 * The local AWS endpoint of `sluice dev`: one evhttp server on 127.0.0.1
 * that answers the S3 API (path-style /bucket/key and virtual-host style
 * Host: bucket.localhost[:port]) from a directory on disk, with SigV4
 * verification against one configured access key id and secret, and the
 * DynamoDB API (JSON 1.0, src/local/dynamodb/ddb_server.h) for requests whose
 * X-Amz-Target header starts with "DynamoDB_": SigV4-verified with service
 * "dynamodb" (refusals are DynamoDB's 400 JSON errors: MissingAuthentication-
 * TokenException, IncompleteSignatureException, UnrecognizedClientException
 * for an unknown key, InvalidSignatureException for a bad or expired
 * signature), then answered by ddb_server_submit() with group commit, with
 * Content-Type application/x-amz-json-1.0 and an x-amzn-RequestId header.
 *
 * The endpoint runs on the caller's event_base; it owns no thread and no
 * loop. Objects live under <data_dir>/s3/<bucket>/ (see s3_store.h), tables
 * in <data_dir>/dynamodb.sqlite, opened on the first DynamoDB request or
 * aws_endpoint_create_table() (so an S3-only run creates no database). The
 * database is held in exclusive mode: one process per data directory.
 */
#ifndef SLUICE_LOCAL_AWS_ENDPOINT_H
#define SLUICE_LOCAL_AWS_ENDPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct event_base;
struct aws_endpoint;
struct cloudwatch;

/* Defaults used by `sluice dev` when nothing else is configured. */
#define AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID "sluice"
#define AWS_ENDPOINT_DEFAULT_SECRET	   "sluice-local"
#define AWS_ENDPOINT_DEFAULT_REGION	   "us-east-1"
#define AWS_ENDPOINT_DEFAULT_PORT	   4566

/* The credentials requests must be signed with. Strings are copied. */
struct aws_endpoint_credentials {
	const char *access_key_id;     /* NULL: AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID */
	const char *secret_access_key; /* NULL: AWS_ENDPOINT_DEFAULT_SECRET */
	const char *region;	       /* NULL: AWS_ENDPOINT_DEFAULT_REGION; signatures name it */
};

/*
 * Start the endpoint on `base`, listening on `address`:`port` (address NULL
 * means "127.0.0.1"; port 0 picks an ephemeral port, see aws_endpoint_port()).
 * `creds` may be NULL (defaults). `data_dir` is the stage directory (e.g.
 * ".sluice/dev"); objects go to <data_dir>/s3/, created when missing, and the
 * buckets already there are loaded. All arguments are borrowed for the call.
 *
 * Returns 0 and *out, or ERR_INVAL (NULL base/data_dir/out), ERR_IO (cannot
 * bind or cannot create/read the data directory), ERR_NOMEM. *out is NULL on
 * failure.
 */
int aws_endpoint_new(struct event_base *base, const char *address, uint16_t port,
		     const struct aws_endpoint_credentials *creds, const char *data_dir,
		     struct aws_endpoint **out /* OUT */);

/*
 * Create bucket `name` if it does not exist yet (for the template's buckets
 * at start). An existing bucket is kept with its objects and is not an
 * error. Returns 0, ERR_INVAL (NULL, or a name S3 would refuse: 3-63 of
 * [a-z0-9.-], starting and ending with a letter or digit, not an IP address),
 * ERR_IO or ERR_NOMEM.
 */
int aws_endpoint_create_bucket(struct aws_endpoint *ep, const char *name);

/*
 * Create a DynamoDB table from a CreateTable request object (TableName,
 * KeySchema, AttributeDefinitions, BillingMode, ProvisionedThroughput,
 * GlobalSecondaryIndexes), for the template's tables at start. A table of
 * that name that exists already is kept with its items (0). Opens the
 * database when it is not open yet. `create_table_request` is borrowed.
 * Returns 0, ERR_INVAL (NULL, or a request DynamoDB would refuse: the
 * reason is logged), ERR_IO (the database cannot be opened or written).
 */
int aws_endpoint_create_table(struct aws_endpoint *ep, json_t *create_table_request);

/*
 * `sluice dev --fsync`: fsync every S3 write (data file, metadata, directory)
 * before answering it, and every DynamoDB commit (SQLite synchronous=FULL
 * instead of NORMAL), so that it survives a power loss. Off by default:
 * S3 writes are atomic either way (temporary file + rename), so a killed
 * process leaves the old object or the new one, never half; a DynamoDB
 * commit is in the WAL (in the OS's page cache) before it is answered, so a
 * killed process loses no acknowledged write. NULL ep is a no-op.
 */
void aws_endpoint_set_fsync(struct aws_endpoint *ep, bool on);

/* An object of a local bucket, as aws_endpoint_object_get() describes it. */
struct aws_endpoint_object {
	uint64_t size;
	char etag[48];	    /* without quotes */
	char *content_type; /* owned: free() it */
	int64_t last_modified_ms;
};

/*
 * Read object `key` of local bucket `bucket` straight from the store (for
 * the local CloudFront front, which reads the site's bucket as CloudFront
 * reads S3, and no request to the endpoint is made). Fills *out and, when
 * `fd` is not NULL, opens the object's bytes into *fd for the caller to
 * close. Returns 0, ERR_NOTFOUND (no such key), ERR_CONFIG (no such
 * bucket), ERR_IO, ERR_NOMEM.
 */
int aws_endpoint_object_get(struct aws_endpoint *ep, const char *bucket, struct str key,
			    struct aws_endpoint_object *out /* OUT */, int *fd /* OUT */);

/*
 * Store `len` bytes of `data` as object `key` of `bucket` with
 * `content_type`, as a PutObject would (atomic, fsync'd with --fsync).
 * Returns 0, ERR_CONFIG (no such bucket), ERR_INVAL (a key S3 refuses),
 * ERR_IO, ERR_NOMEM.
 */
int aws_endpoint_object_put(struct aws_endpoint *ep, const char *bucket, struct str key,
			    const char *content_type, const void *data, size_t len);

/*
 * Report every object the S3 side creates to `fn` (local/s3/s3_notify.h),
 * for the orchestration's event notifications (dev_notify.h). NULL stops.
 */
struct s3_created;
void aws_endpoint_on_s3_created(struct aws_endpoint *ep,
				void (*fn)(void *ctx, const struct s3_created *ev), void *ctx);

/*
 * The local CloudWatch on this endpoint (src/local/cloudwatch/cw.h): the
 * Logs and metrics APIs and the /_sluice/ dashboard share its port, told
 * apart from S3 and DynamoDB by cw_classify(). The orchestration feeds it
 * (src/local/dev_obs.c). NULL for a NULL ep.
 */
struct cloudwatch *aws_endpoint_cloudwatch(struct aws_endpoint *ep);

/* The port actually bound (useful after port 0). 0 for a NULL ep. */
uint16_t aws_endpoint_port(const struct aws_endpoint *ep);

/* Stop listening and free everything; in-flight requests are dropped. NULL is a no-op. */
void aws_endpoint_free(struct aws_endpoint *ep);

#endif
