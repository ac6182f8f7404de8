/*
 * Where the messages function keeps its messages: a small table of function
 * pointers, so that the handler logic (messages.c) is unit-tested against an
 * in-memory store (messages_store_mem.c) and runs against DynamoDB
 * (messages_store_ddb.c) in production.
 *
 * The count must be exact and cost O(1): create() writes the message and
 * increments a counter in one atomic step, and count() reads the counter.
 * create() is idempotent per `token`: a second call with the same token and
 * the same message succeeds without writing or counting again (DynamoDB's
 * ClientRequestToken, kept for 10 minutes there; forever in memory).
 *
 * Every operation returns 0 or one of these codes, which the handler maps to
 * HTTP statuses:
 *   ERR_NOTFOUND      get: no message has this id                          -> 404
 *   ERR_PRECONDITION  create: a message with this id exists already
 *   ERR_EXISTS        create: `token` was used before for another message
 *   ERR_THROTTLED     the store asks us to slow down                       -> 503
 *   ERR_REMOTE, ERR_HTTP, ERR_TIMEOUT, ERR_PARSE, ERR_AUTH  the store failed -> 502
 *   ERR_NOMEM                                                              -> 500
 * A store logs the details of its own failures; the handler only sees the code.
 */
#ifndef SLUICE_APP_MESSAGES_STORE_H
#define SLUICE_APP_MESSAGES_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/uuid.h"

/* Partition key values: "MSG#<id>" for a message, "COUNTER" for the count. */
#define MESSAGES_PK_PREFIX  "MSG#"
#define MESSAGES_PK_COUNTER "COUNTER"

/*
 * One message. `text` is UTF-8 (checked by the handler) and belongs to
 * whoever filled the struct: the handler for create(), the caller of get()
 * after it (release with messages_message_release()).
 */
struct message {
	char id[UUID_STR_LEN + 1]; /* lowercase UUID */
	char created_at[32];	   /* RFC 3339 with milliseconds, UTC */
	char *text;
	size_t text_len;
};

/* Free `m->text`; `m` is zeroed. NULL is a no-op. */
void messages_message_release(struct message *m);

/*
 * The operations. `ctx` is the store's own pointer; `table` the function's
 * configured table; `deadline_ms` is epoch milliseconds (0: none).
 */
struct messages_store {
	void *ctx;

	/*
	 * Store `m` and add one to the count, both or neither. `token` (NULL
	 * or "": none) makes a repeated call harmless, as said above.
	 */
	int (*create)(void *ctx, const char *table, const struct message *m, const char *token,
		      int64_t deadline_ms);

	/* Fill `out` (zeroed first) with the message `id` (lowercase UUID). */
	int (*get)(void *ctx, const char *table, const char *id, int64_t deadline_ms,
		   struct message *out /* OUT */);

	/* The number of messages created (0 before the first). */
	int (*count)(void *ctx, const char *table, int64_t deadline_ms, uint64_t *out /* OUT */);

	/* Free `ctx` when the function ends. May be NULL. */
	void (*release)(void *ctx);
};

/*
 * The store over DynamoDB (aws/dynamodb.h), with a client configured from
 * the environment. The table has one string partition key, "pk". Fills
 * `*store`; returns 0 or the error of ddb_client_new() (ERR_CONFIG without
 * credentials or with a bad endpoint, ERR_NOMEM, ERR_HTTP).
 */
int messages_store_ddb_init(struct messages_store *store /* OUT */);

/*
 * An in-memory store (unit tests, experiments): a growable array of messages
 * and of the tokens seen, not thread-safe, forgotten at release. It keeps
 * tokens forever where DynamoDB keeps them for 10 minutes. Returns 0 or
 * ERR_NOMEM.
 */
int messages_store_mem_init(struct messages_store *store /* OUT */);

/* Make the next operation of an in-memory store return `err` (tests of failure paths). */
void messages_store_mem_fail_next(struct messages_store *store, int err);

/* Operations an in-memory store has carried out (create calls that wrote, all get/count). */
struct messages_mem_stats {
	unsigned creates, writes, gets, counts;
};
void messages_store_mem_stats(const struct messages_store *store,
			      struct messages_mem_stats *out /* OUT */);

#endif
