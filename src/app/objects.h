/*
 * The objects function: the service's storage API over one S3 bucket.
 *
 *   POST   /objects            JSON {"name","content","encoding"?,"contentType"?}  201
 *   PUT    /objects/{name+}    raw body: 201 new, 200 replaced, 412 with If-None-Match: *
 *   GET    /objects/{name+}    the content, its Content-Type, ETag, Last-Modified; 404
 *   HEAD   /objects/{name+}    the same without the body
 *   DELETE /objects/{name+}    204, also when absent
 *   GET    /objects?prefix=&limit=&cursor=
 * {"items":[{"key","size","etag","lastModified"}],"cursor"} GET    /health             200
 * {"status":"ok","version"}
 *
 * POST and PUT answer {"bucket","key","size","etag","event"}, where "event"
 * is the API Gateway event the function received, with secrets redacted
 * (objects_redact_event()). In JSON bodies "etag" is the entity tag without
 * its quotes ("9a0364b9e99bb480dd25e1f0284c8555"); the ETag header keeps them.
 *
 * Errors are {"error":{"code","message"}}: 400 (InvalidName, InvalidJson,
 * InvalidRequest, InvalidContentType, InvalidQuery, InvalidCursor,
 * InvalidEvent), 404 NotFound, 405 MethodNotAllowed (with Allow), 412
 * PreconditionFailed, 413 PayloadTooLarge, 415 UnsupportedMediaType, 500
 * InternalError / ObjectTooLarge / ResponseTooLarge, 502 StorageError (S3
 * failed or timed out), 503 StorageThrottled (S3 SlowDown, with Retry-After).
 *
 * Names: the greedy path parameter, taken from the event's pathParameters
 * ("name", or "key", which API Gateway has already percent-decoded) when
 * present, else percent-decoded from the raw path; then checked by
 * name_validate(). (HTTP APIs hand over a rawPath that is already decoded;
 * behind one, use a "/objects/{name+}" route so that pathParameters is set,
 * or a name holding '%' would be decoded twice.)
 *
 * Configuration: OBJECTS_BUCKET (required: init fails with
 * Runtime.ConfigError "OBJECTS_BUCKET is not set"), and the AWS_* variables
 * of the S3 client (aws/config.h).
 */
#ifndef SLUICE_APP_OBJECTS_H
#define SLUICE_APP_OBJECTS_H

#include <jansson.h>

#include "app/objects_store.h"
#include "lambda/runtime.h"

/* The most content one object may hold, after base64 decoding: 5 MiB. */
#define OBJECTS_CONTENT_MAX ((size_t)5 << 20)
/* Page sizes of GET /objects: the default and the largest accepted `limit`. */
#define OBJECTS_LIST_DEFAULT 100
#define OBJECTS_LIST_MAX     1000
/* The longest `cursor` accepted (S3 continuation tokens are far shorter). */
#define OBJECTS_CURSOR_MAX 1024
/* An echoed event body longer than this is replaced by "[omitted: N bytes]",
 * so that echoing cannot push a response past Lambda's 6 MB. */
#define OBJECTS_ECHO_BODY_MAX ((size_t)1 << 20)
/* Time kept back from the invocation deadline for S3 calls, to answer in time. */
#define OBJECTS_DEADLINE_MARGIN_MS 300
/* Seconds in the Retry-After header of a 503. */
#define OBJECTS_RETRY_AFTER_S "1"

/* The "objects" function (init reads OBJECTS_BUCKET and creates the S3 store). */
extern const struct lambda_function objects_function;

/*
 * A state for objects_function.handle() over `store` (copied; its release()
 * is called by objects_state_free()) and `bucket` (copied). This is how tests
 * run the handler on an in-memory store. Returns 0 or ERR_NOMEM / ERR_INVAL
 * (NULL or empty bucket); on failure the store is not released.
 */
int objects_state_new(const char *bucket, const struct objects_store *store,
		      void **state /* OUT */);

/* Release the store and free the state (objects_function.fini). NULL is a no-op. */
void objects_state_free(void *state);

/*
 * A copy of `event` fit to echo: the values of the headers Authorization,
 * Proxy-Authorization, Cookie, X-Api-Key and X-Amz-Security-Token (any case)
 * in "headers" and "multiValueHeaders" (each value of an array), every item
 * of the 2.0 "cookies" array, 1.0 requestContext.identity.apiKey, and the
 * query parameters X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token
 * (any case, name percent-decoded) in "queryStringParameters",
 * "multiValueQueryStringParameters" and "rawQueryString" (there the value
 * becomes "%5Bredacted%5D", the rest of the query unchanged) become
 * "[redacted]"; a string "body" longer than OBJECTS_ECHO_BODY_MAX becomes
 * "[omitted: N bytes]". `event` is not modified (unchanged members are
 * shared by reference). Returns a new reference, or NULL when `event` is not
 * an object or memory ran out.
 */
json_t *objects_redact_event(json_t *event);

#endif
