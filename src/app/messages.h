/*
 * The messages function: short texts kept in DynamoDB, and their exact count.
 *
 *   POST /messages       {"message": "..."}  201 {"id","message","createdAt"}, Location
 *   GET  /messages       200 {"count": N}
 *   GET  /messages/{id}  200 {"id","message","createdAt"}; 404; 400 when id is not a UUID
 *
 * A message is 1 to MESSAGES_TEXT_MAX characters (Unicode code points) of
 * UTF-8; the body must be application/json, a JSON object whose only member
 * is "message", a string. "createdAt" is RFC 3339 with milliseconds in UTC.
 *
 * Errors are {"error":{"code","message"}}: 400 InvalidJson (not UTF-8, not
 * JSON), InvalidRequest (not an object, "message" missing, not a string, an
 * unknown member), InvalidMessage (empty or longer than 4096 characters),
 * InvalidId; 404 NotFound; 405 MethodNotAllowed (with Allow); 409 Conflict
 * (the request id was used for another message); 413 PayloadTooLarge
 * (a body over MESSAGES_BODY_MAX bytes); 415 UnsupportedMediaType; 500
 * InternalError; 502 StorageError (DynamoDB failed or timed out); 503
 * StorageThrottled (with Retry-After).
 *
 * Retries are harmless. The API Gateway request id (requestContext.requestId)
 * determines the ClientRequestToken of the write (messages_request_token()),
 * the message's id (messages_id_from_request()) and its createdAt (the
 * gateway's request time): a second invocation with the same event sends
 * DynamoDB the same transaction under the same token, which succeeds without
 * writing or counting again, and answers the same 201. (A random id would
 * make the replayed transaction differ from the first, which DynamoDB
 * refuses with IdempotentParameterMismatchException.) After DynamoDB's
 * 10-minute token window the id condition still stops a second write, and the
 * stored message is returned. Ids stay unique because request ids are; an
 * event without a request id gets a random UUID v4 and no token.
 *
 * The count is exact and O(1): see messages_store.h. CORS headers are the
 * gateway's business (the HTTP API's CorsConfiguration), not the function's.
 *
 * Configuration: MESSAGES_TABLE (required: init fails with
 * Runtime.ConfigError "MESSAGES_TABLE is not set"), and the AWS_* variables
 * of the DynamoDB client (aws/config.h).
 */
#ifndef SLUICE_APP_MESSAGES_H
#define SLUICE_APP_MESSAGES_H

#include "app/messages_store.h"
#include "lambda/runtime.h"

/* The most characters (code points) one message may hold. */
#define MESSAGES_TEXT_MAX 4096
/* The largest request body read: 4096 characters as JSON \uXXXX\uXXXX escapes fit. */
#define MESSAGES_BODY_MAX ((size_t)64 << 10)
/* Time kept back from the invocation deadline for DynamoDB calls, to answer in time. */
#define MESSAGES_DEADLINE_MARGIN_MS 300
/* Seconds in the Retry-After header of a 503. */
#define MESSAGES_RETRY_AFTER_S "1"
/* Length of a ClientRequestToken derived by messages_request_token(). */
#define MESSAGES_TOKEN_LEN 36

/* The "messages" function (init reads MESSAGES_TABLE and creates the DynamoDB store). */
extern const struct lambda_function messages_function;

/*
 * A state for messages_function.handle() over `store` (copied; its
 * release() is called by messages_state_free()) and `table` (copied). This is
 * how tests run the handler on the in-memory store. Returns 0 or ERR_NOMEM /
 * ERR_INVAL (NULL or empty table, NULL store); on failure the store is not
 * released.
 */
int messages_state_new(const char *table, const struct messages_store *store,
		       void **state /* OUT */);

/* Release the store and free the state (messages_function.fini). NULL is a no-op. */
void messages_state_free(void *state);

/*
 * The ClientRequestToken for API request `request_id`: the first 36 lowercase
 * hex digits of SHA-256(request_id) (DynamoDB takes 1 to 36 characters) and a
 * NUL. An empty or NULL request id gives "" (no token).
 */
void messages_request_token(const char *request_id, char out[MESSAGES_TOKEN_LEN + 1]);

/*
 * The message id for API request `request_id`: 122 bits of
 * SHA-256("sluice-message-id:" request_id) laid out as a lowercase UUID with
 * version 4 and the RFC 9562 variant bits. An empty or NULL request id gives
 * a random UUID v4 (uuid_v4()). Returns 0 or ERR_IO.
 */
int messages_id_from_request(const char *request_id, char out[UUID_STR_LEN + 1]);

#endif
