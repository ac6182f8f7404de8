/*
 * Where the objects function keeps its objects: a small table of function
 * pointers, so that the handler logic (objects.c) can be unit-tested against
 * an in-memory store and runs against S3 (objects_store_s3.c) in production.
 *
 * Every operation returns 0 or one of these codes, which the handler maps to
 * HTTP statuses:
 *   ERR_NOTFOUND      the object (get, head) or the bucket (put, delete, list) is missing
 *   ERR_PRECONDITION  put with `create_only` found the key taken         -> 412
 *   ERR_INVAL         list was given a cursor the store does not accept  -> 400
 *   ERR_TOOLARGE      get: the object is larger than the room in `body`
 *   ERR_THROTTLED     the store asks us to slow down                      -> 503
 *   ERR_REMOTE, ERR_HTTP, ERR_TIMEOUT   the store failed or was unreachable -> 502
 *   ERR_NOMEM                                                             -> 500
 * A store logs the details of its own failures (S3 error code, request id);
 * the handler only sees the code.
 */
#ifndef SLUICE_APP_OBJECTS_STORE_H
#define SLUICE_APP_OBJECTS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* What a store knows about one object. Strings are NUL-terminated, "" when unknown. */
struct objects_meta {
	char content_type[256];
	char etag[128]; /* the entity tag with its quotes, as HTTP and S3 write it */
	uint64_t size;
	int64_t last_modified_ms; /* epoch ms; 0 when unknown */
};

/* One entry of a listing; `key` is heap memory owned by the page. */
struct objects_item {
	char *key;
	uint64_t size;
	char etag[128]; /* quotes included */
	int64_t last_modified_ms;
};

/* One page of a listing. Release with objects_page_release(). */
struct objects_page {
	struct objects_item *items; /* malloc'd array of `count` items, in key order */
	size_t count;
	char *next_cursor; /* malloc'd; NULL on the last page */
};

/* Free the keys, the items and the cursor (all from malloc); `p` is empty again. NULL is a no-op.
 */
void objects_page_release(struct objects_page *p);

/*
 * The operations. `ctx` is the store's own pointer; `bucket` is the
 * function's configured bucket; `deadline_ms` is epoch milliseconds (0: none).
 */
struct objects_store {
	void *ctx;

	/*
	 * Store `len` bytes under `key` with `content_type` (never NULL). With
	 * `create_only`, refuse (ERR_PRECONDITION) when the key exists. `out`
	 * receives at least the new entity tag and the size.
	 */
	int (*put)(void *ctx, const char *bucket, const char *key, const void *data, size_t len,
		   const char *content_type, bool create_only, int64_t deadline_ms,
		   struct objects_meta *out /* OUT */);

	/* Append the object's bytes to `body` (its cap bounds the size) and fill `meta`. */
	int (*get)(void *ctx, const char *bucket, const char *key, struct buf *body,
		   int64_t deadline_ms, struct objects_meta *meta /* OUT */);

	/* The object's metadata only. */
	int (*head)(void *ctx, const char *bucket, const char *key, int64_t deadline_ms,
		    struct objects_meta *meta /* OUT */);

	/* Remove `key`; a missing key is success. */
	int (*delete)(void *ctx, const char *bucket, const char *key, int64_t deadline_ms);

	/*
	 * Up to `limit` keys starting with `prefix` ("" for all), in key order,
	 * after the position `cursor` (NULL for the first page) names. `out` is
	 * initialised by the call and must be released whatever the result.
	 */
	int (*list)(void *ctx, const char *bucket, const char *prefix, const char *cursor,
		    int limit, int64_t deadline_ms, struct objects_page *out /* OUT */);

	/* Free `ctx` when the function ends. May be NULL. */
	void (*release)(void *ctx);
};

/*
 * The store over S3 (aws/s3.h), with a client configured from the
 * environment. Fills `*store`; returns 0, or the error of s3_client_new()
 * (ERR_CONFIG without credentials or with a bad endpoint, ERR_NOMEM, ERR_HTTP).
 */
int objects_store_s3_init(struct objects_store *store /* OUT */);

#endif
