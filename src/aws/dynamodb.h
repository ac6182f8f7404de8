/*
 * The DynamoDB client the service's functions use: the JSON 1.0 protocol
 * (every operation is `POST /` with Content-Type application/x-amz-json-1.0
 * and `X-Amz-Target: DynamoDB_20120810.<Operation>`), signed with SigV4
 * (service "dynamodb"), over one kept-alive HTTP connection (http/client.h),
 * configured from the AWS_* environment variables (aws/config.h). The
 * endpoint is AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL (sluice dev,
 * moto), else https://dynamodb.<region>.amazonaws.com.
 *
 * ddb_call() sends any operation: the request and the answer are jansson
 * documents in DynamoDB's wire format ({"S": "..."}, {"N": "1"}, ...). The
 * helpers below it only add TableName and the members that each operation
 * always needs, so that callers write the item shapes and nothing else.
 *
 * Retries (AWS "exponential backoff and full jitter"): an attempt that fails
 * with ProvisionedThroughputExceededException, ThrottlingException,
 * RequestLimitExceeded, InternalServerError, any HTTP 5xx, a connection
 * error, TransactionInProgressException (the same ClientRequestToken is still
 * being processed) or a TransactionCanceledException whose only reasons are
 * TransactionConflict or throttling (two transactions touched one item at
 * once: the losing one may simply run again) is sent again, at most
 * DDB_MAX_ATTEMPTS attempts in all, never sleeping past the deadline. Each
 * attempt is signed afresh; the body is byte for byte the same, so a
 * ClientRequestToken makes a repeated TransactWriteItems harmless.
 *
 * Return codes, common to every call:
 *   0                 success
 *   ERR_PRECONDITION  ConditionalCheckFailedException, or a
 *                     TransactionCanceledException with a ConditionalCheckFailed reason
 *   ERR_NOTFOUND      ResourceNotFoundException (no such table or index)
 *   ERR_EXISTS        IdempotentParameterMismatchException (a ClientRequestToken
 *                     reused with other parameters), ResourceInUseException
 *   ERR_THROTTLED     throttled (or conflicting transactions) after the retries
 *   ERR_AUTH          UnrecognizedClientException, InvalidSignatureException,
 *                     AccessDeniedException, MissingAuthenticationToken, ...
 *   ERR_REMOTE        any other error answer (ValidationException, 5xx, ...)
 *   ERR_HTTP          transport failure (connection refused, reset, bad TLS)
 *   ERR_TIMEOUT       the deadline passed
 *   ERR_PARSE         a 2xx answer that is not a JSON object
 *   ERR_TOOLARGE      the request or the answer passed DDB_MAX_REQUEST / DDB_MAX_RESPONSE
 *   ERR_INVAL         NULL client, operation or request; an operation name
 *                     that is not [A-Za-z]+; an empty table name
 *   ERR_NOMEM         allocation failed
 * Whenever DynamoDB answered with an error, `*err` (when not NULL) holds the
 * HTTP status, the exception name, its message, the request id and, for a
 * cancelled transaction, the reasons; it is zeroed on success and holds
 * status 0 on transport errors.
 *
 * A client is not thread-safe: use one per thread (Lambda runs one request at
 * a time per process, which is what this is built for).
 *
 * AWS docs: DynamoDB developer guide "Low-level API" (Programming.LowLevelAPI),
 * "Error handling" (Programming.Errors), API reference of each operation.
 */
#ifndef SLUICE_AWS_DYNAMODB_H
#define SLUICE_AWS_DYNAMODB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"

/* Attempts per call, the first included. */
#define DDB_MAX_ATTEMPTS 5
/* Backoff before retry n (1-based) is uniform in [0, min(cap, base * 2^n)). */
#define DDB_BACKOFF_BASE_MS 25
#define DDB_BACKOFF_CAP_MS  1000
/* Caps on bodies: DynamoDB requests stay far below 16 MB (an item is at most
 * 400 KB, a transaction 4 MB); BatchGetItem answers up to 16 MB. */
#define DDB_MAX_REQUEST	 ((size_t)16 << 20)
#define DDB_MAX_RESPONSE ((size_t)20 << 20)
/* The longest operation name accepted ("TransactWriteItems" is 18). */
#define DDB_MAX_OP_LEN 64
/* The JSON 1.0 protocol's constants. */
#define DDB_CONTENT_TYPE  "application/x-amz-json-1.0"
#define DDB_TARGET_PREFIX "DynamoDB_20120810."
/* ClientRequestToken: 1 to 36 characters (TransactWriteItems API reference). */
#define DDB_TOKEN_MAX 36

struct ddb_client;

/* What DynamoDB said when it refused a request. Strings are NUL-terminated, truncated to fit. */
struct ddb_error {
	int status;	/* HTTP status; 0 when DynamoDB was not reached */
	char type[128]; /* "ConditionalCheckFailedException": __type after its '#' */
	char message[512];
	char request_id[128]; /* x-amzn-RequestId */
	/* TransactionCanceledException: the CancellationReasons codes in order,
	 * comma-separated ("ConditionalCheckFailed,None"); "" otherwise. */
	char reasons[256];
};

/*
 * Create a client from the environment (aws_config_init()). Fails with
 * ERR_CONFIG when AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing or an
 * endpoint URL is invalid, ERR_NOMEM, ERR_HTTP when libcurl cannot start.
 * `*out` is set only on success; free it with ddb_client_free().
 */
int ddb_client_new(struct ddb_client **out /* OUT */);

/* The same with an explicit configuration, which is copied (tests, the CLI). */
int ddb_client_new_with_config(struct ddb_client **out /* OUT */, const struct aws_config *cfg);

/* Close the connection and free the client. NULL is a no-op. */
void ddb_client_free(struct ddb_client *c);

/*
 * Send operation `op` ("GetItem", "TransactWriteItems", ...) with `request`
 * (a JSON object, borrowed, serialised as is) and wait for the answer, with
 * the retries above, until `deadline_ms` (epoch ms; 0: none). On success
 * `*response` (when `response` is not NULL) receives a new reference to the
 * answer's JSON object ({} for an empty body), which the caller decrefs; it is
 * NULL on any failure.
 */
int ddb_call(struct ddb_client *c, const char *op, json_t *request, int64_t deadline_ms,
	     json_t **response /* OUT */, struct ddb_error *err /* OUT */);

/*
 * Classify an error answer: fill `e->type`, `e->message` and `e->reasons`
 * from a DynamoDB error body (`__type` after its last '#', "message" or
 * "Message", CancellationReasons[].Code), leaving the status and request id
 * alone, and return the code of the table above for `e->status` and the type.
 * A body that is not JSON leaves the type empty (then the status decides:
 * ERR_REMOTE). Exposed for tests.
 */
int ddb_parse_error(const char *body, size_t len, struct ddb_error *e /* IN/OUT */);

/* Expression members shared by the write helpers. Every member may be NULL. */
struct ddb_expr {
	const char *condition; /* ConditionExpression */
	json_t *names;	       /* ExpressionAttributeNames (borrowed) */
	json_t *values;	       /* ExpressionAttributeValues (borrowed) */
};

/*
 * GetItem on `key` ({"pk": {"S": "x"}}, borrowed). `*item` gets a new
 * reference to the item, or NULL when there is none (which is success).
 * `projection` (ProjectionExpression, may be NULL) may use `names` (may be NULL).
 */
int ddb_get_item(struct ddb_client *c, const char *table, json_t *key, bool consistent,
		 const char *projection, json_t *names, int64_t deadline_ms,
		 json_t **item /* OUT */, struct ddb_error *err /* OUT */);

/* PutItem of `item` (borrowed) with an optional condition. */
int ddb_put_item(struct ddb_client *c, const char *table, json_t *item, const struct ddb_expr *expr,
		 int64_t deadline_ms, struct ddb_error *err /* OUT */);

/* DeleteItem of `key` with an optional condition. Deleting a missing item is success. */
int ddb_delete_item(struct ddb_client *c, const char *table, json_t *key,
		    const struct ddb_expr *expr, int64_t deadline_ms,
		    struct ddb_error *err /* OUT */);

/*
 * UpdateItem of `key` with `update` (UpdateExpression, required) and an
 * optional condition. With `attributes` not NULL the call asks for
 * ReturnValues ALL_NEW and stores a new reference to the item's attributes
 * there (NULL on failure).
 */
int ddb_update_item(struct ddb_client *c, const char *table, json_t *key, const char *update,
		    const struct ddb_expr *expr, int64_t deadline_ms, json_t **attributes /* OUT */,
		    struct ddb_error *err /* OUT */);

/*
 * Query and Scan: `params` (borrowed, may be NULL) holds the operation's
 * members (KeyConditionExpression, IndexName, Limit, ExclusiveStartKey, ...);
 * TableName is added to a copy. `*response` as for ddb_call().
 */
int ddb_query(struct ddb_client *c, const char *table, json_t *params, int64_t deadline_ms,
	      json_t **response /* OUT */, struct ddb_error *err /* OUT */);
int ddb_scan(struct ddb_client *c, const char *table, json_t *params, int64_t deadline_ms,
	     json_t **response /* OUT */, struct ddb_error *err /* OUT */);

/*
 * TransactWriteItems of `items` (the TransactItems array, borrowed; each
 * member names its own TableName), all or nothing. `token` (NULL or "": none)
 * is the ClientRequestToken, 1 to DDB_TOKEN_MAX characters (else ERR_INVAL):
 * within DynamoDB's 10-minute window the same token with the same items
 * succeeds again without writing, with other items fails with ERR_EXISTS.
 */
int ddb_transact_write_items(struct ddb_client *c, json_t *items, const char *token,
			     int64_t deadline_ms, struct ddb_error *err /* OUT */);

/* DescribeTable: `*table_desc` gets a new reference to the "Table" object. */
int ddb_describe_table(struct ddb_client *c, const char *table, int64_t deadline_ms,
		       json_t **table_desc /* OUT */, struct ddb_error *err /* OUT */);

#endif
