/*
 * The DynamoDB endpoint of the local cloud: DynamoDB's JSON 1.0 protocol
 * (API version 2012-08-10) answered from one SQLite file. The local AWS
 * endpoint (aws_endpoint.c) verifies SigV4, picks out requests whose
 * X-Amz-Target starts with "DynamoDB_20120810.", and hands the operation name
 * and the body to ddb_server_handle(); it then sends the answer with
 * Content-Type DDB_CONTENT_TYPE and an x-amzn-RequestId header.
 *
 * Durability: SQLite in WAL mode with synchronous=FULL by default (an
 * answered write survives a killed process and a power loss), or NORMAL
 * after ddb_server_set_fsync(s, false) (it survives a killed process, not
 * an OS crash). ddb_server_handle() commits each write before
 * it returns; with an event base (ddb_server_use_event_base()),
 * ddb_server_submit() gathers the requests of one event-loop turn into one
 * transaction and answers them all after its single commit (group commit:
 * one fsync for many writes, no answer before its write is on disk).
 * Everything runs on the caller's thread; a server is not thread-safe.
 *
 * What is implemented and what answers a ValidationException naming the
 * unsupported feature is listed in docs/local-dynamodb.md.
 */
#ifndef SLUICE_LOCAL_DYNAMODB_H
#define SLUICE_LOCAL_DYNAMODB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct ddb_server;
struct event_base;

/* The Content-Type of every answer (requests carry the same). */
#define DDB_CONTENT_TYPE "application/x-amz-json-1.0"

/* The X-Amz-Target prefix of DynamoDB requests; the operation name follows. */
#define DDB_TARGET_PREFIX "DynamoDB_20120810."

/* The largest request body accepted (DynamoDB's own cap is 16 MB). */
#define DDB_MAX_REQUEST (16u << 20)

/*
 * The largest answer: BatchGetItem's and TransactGetItems' 100 items of up to
 * 400 KB each make 40 MB of DynamoDB item size, and JSON adds quotes,
 * escapes and a third more for base64 binaries. DynamoDB pages such an
 * answer at 16 MB instead; this endpoint does not, and answers 500 when
 * the JSON would pass this cap.
 */
#define DDB_MAX_ANSWER (64u << 20)

/*
 * Open (creating when missing) the SQLite database at `sqlite_path` and its
 * schema. The directory must exist. Returns 0 and *out, or ERR_INVAL (NULL
 * argument), ERR_IO (SQLite cannot open or set up the file), ERR_NOMEM.
 * *out is NULL on failure. Free with ddb_server_free().
 */
int ddb_server_new(const char *sqlite_path, struct ddb_server **out /* OUT */);

/*
 * Answer one request. `target` is the operation: either the bare name
 * ("PutItem") or the whole X-Amz-Target value ("DynamoDB_20120810.PutItem");
 * NULL or an unknown name answers 400 UnknownOperationException. `body` is
 * the request JSON (`len` bytes, need not be NUL-terminated; NULL with len 0
 * is an empty body, a SerializationException).
 *
 * Always writes *status and appends the answer JSON to `response` (the
 * caller's buffer, whose cap should be DDB_MAX_ANSWER): 200 with the object
 * DynamoDB returns; 400 with {"__type":"com.amazonaws.dynamodb.v20120810#
 * <Name>","message":"..."} for the client's mistakes; 500 with __type
 * InternalServerError for ours (out of memory, a storage failure, an answer
 * that does not fit `response`), never with part of another answer. Should
 * even that not fit, the status is 500 and nothing is appended.
 */
void ddb_server_handle(struct ddb_server *s, const char *target, const char *body, size_t len,
		       int *status /* OUT */, struct buf *response /* OUT */);

/*
 * Create a table from a CreateTable request object (as sent on the wire:
 * TableName, KeySchema, AttributeDefinitions, GlobalSecondaryIndexes, ...),
 * e.g. built from a template's AWS::DynamoDB::Table properties. Used at
 * start for the template's tables: a table of that name that already exists
 * is left as it is (its data kept) and 0 is returned. `req` is borrowed.
 *
 * Returns 0, ERR_INVAL (NULL argument or a request DynamoDB would reject;
 * the reason is logged), ERR_IO (storage failure), ERR_NOMEM.
 */
int ddb_server_create_table_from_spec(struct ddb_server *s, json_t *create_table_request);

/*
 * Choose the durability of commits: `on` (the default) syncs the WAL at
 * every commit (SQLite synchronous=FULL); off syncs it only at checkpoints
 * (NORMAL): a committed write still survives kill -9, but not a power loss
 * or an OS crash. Delivers the pending answers first (ddb_server_flush()).
 * Returns 0, ERR_INVAL (NULL), ERR_IO.
 */
int ddb_server_set_fsync(struct ddb_server *s, bool on);

/* Called with the answer of ddb_server_submit(); `response` is borrowed for
 * the call only. */
typedef void (*ddb_done_fn)(void *arg, int status, const struct buf *response);

/* The most requests one group commit gathers before committing early. */
#define DDB_GROUP_MAX 256

/*
 * Enable group commit on `base` (which must outlive the server). Returns 0,
 * ERR_INVAL (NULL argument), ERR_NOMEM.
 */
int ddb_server_use_event_base(struct ddb_server *s, struct event_base *base);

/*
 * Answer one request like ddb_server_handle(), but through `done`. With an
 * event base the request runs now, inside the open group transaction, and
 * `done` is called from the event loop once the group is committed (or
 * with 500 InternalServerError if that commit fails: nothing was written);
 * without one, `done` is called before this returns. `body` is borrowed
 * for the call only.
 */
void ddb_server_submit(struct ddb_server *s, const char *target, const char *body, size_t len,
		       ddb_done_fn done, void *arg);

/* Commit the open group now and deliver its answers (no-op when none). */
void ddb_server_flush(struct ddb_server *s);

/* Close the database and free the server, after delivering the pending
 * answers (ddb_server_flush()). NULL is a no-op. */
void ddb_server_free(struct ddb_server *s);

#endif
