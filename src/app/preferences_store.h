/*
 * The preferences service's statements on PostgreSQL (schema:
 * db/migrations/0002_preferences.sql and 0003_imports.sql), over the
 * connection of db.h. Every statement is a short constant sent with its
 * values as parameters through the unnamed statement, and each API call is
 * one statement (one implicit transaction): a record and its history row are
 * written by the same statement, an import batch and its progress too.
 *
 * Results are built as JSON for the handlers: the stored purposes and
 * vendors come back as the jsonb text PostgreSQL prints, parsed once.
 *
 * Return codes: 0; ERR_NOTFOUND (no such record or import); ERR_PRECONDITION
 * (If-Match did not match); and db_query()'s (ERR_HTTP, ERR_TIMEOUT,
 * ERR_AUTH, ERR_THROTTLED: the database is unavailable; ERR_REMOTE: it
 * refused the statement); ERR_NOMEM.
 */
#ifndef SLUICE_APP_PREFERENCES_STORE_H
#define SLUICE_APP_PREFERENCES_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/db.h"

#define PREFS_HISTORY_MAX_LIMIT 100
#define PREFS_IMPORT_ERRORS_MAX 100

/*
 * GET: {"userId","purposes","vendors","version","updatedAt"} into `*out`
 * (a new reference) and the version into `*version`.
 */
int prefs_store_get(struct db *db, const char *user_id, int64_t deadline_ms, json_t **out,
		    long long *version);

/*
 * PUT: write the record (`purposes` and `vendors` are JSON objects as text)
 * as a new version, with its history row, source "api". `if_match` < 0 writes
 * whatever the current version; 0 writes only an existing record (If-Match:
 * *); > 0 only that version. The answer as for prefs_store_get().
 */
int prefs_store_put(struct db *db, const char *user_id, const char *purposes, const char *vendors,
		    long long if_match, int64_t deadline_ms, json_t **out, long long *version);

/*
 * History, newest first: up to `limit` items with a version below `before`
 * (0: from the newest) into `*items` (a new array), and in `*next` the
 * cursor for the next page (0 when this is the last). ERR_NOTFOUND when the
 * user has no record.
 */
int prefs_store_history(struct db *db, const char *user_id, long long before, int limit,
			int64_t deadline_ms, json_t **items, long long *next);

/*
 * Erase the record and its history (204 either way: absent is not an
 * error); `*erased` says whether there was one.
 */
int prefs_store_delete(struct db *db, const char *user_id, int64_t deadline_ms,
		       bool *erased /* OUT */);

/* A new import, waiting for its file at `key`, the upload URL valid until `expires_ms`. */
int prefs_store_import_create(struct db *db, const char *import_id, const char *key,
			      int64_t expires_ms, int64_t deadline_ms);

/*
 * {"importId","state","rowsRead","rowsWritten","rowsRejected","bytesRead",
 * "errors"} of an import.
 */
int prefs_store_import_get(struct db *db, const char *import_id, int64_t deadline_ms, json_t **out);

#endif
