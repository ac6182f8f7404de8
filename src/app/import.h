/*
 * The import function (Handler: import): bulk imports of preferences from
 * NDJSON files dropped in the data bucket under imports/, subscribed to
 * s3:ObjectCreated:* there (the template's Events: Type: S3).
 *
 * For each record of the S3 event whose key is imports/<importId>.ndjson it
 * claims the import (import_store.h), streams the object from its checkpoint
 * with ranged GETs (aws/s3_reader.h: memory stays flat whatever the size),
 * and reads it line by line. Each line is {"userId","purposes","vendors",
 * "updatedAt"}, checked exactly as a PUT body is (preferences_doc.h, the
 * vendor list) and with updatedAt no later than IMPORT_MAX_SKEW_MS ahead of
 * the clock. A bad line is counted and reported with its line number and the
 * reason (the first PREFS_IMPORT_ERRORS_MAX go to the import's row), and the
 * rest goes on; blank lines are skipped (they still count for line numbers).
 * Good lines are written in batches of up to IMPORT_BATCH_ROWS records, each
 * batch one statement with the import's progress.
 *
 * The import fails (state "failed", and a function error so that Lambda's
 * asynchronous retries and metrics see it) only when S3 or the database
 * fails past their own retries, or the vendor list cannot be had at all. An
 * invocation about to reach its deadline stops at a checkpoint and returns an
 * error: Lambda's retry resumes the import there once its heartbeat is stale.
 *
 * Configuration: the database variables of db.h, VENDOR_LIST_URL, and the
 * AWS_* variables of the S3 client.
 */
#ifndef SLUICE_APP_IMPORT_H
#define SLUICE_APP_IMPORT_H

#include "lambda/runtime.h"

#define IMPORT_BATCH_ROWS     1000
#define IMPORT_BATCH_BYTES    ((size_t)1 << 20) /* the rows parameter of one batch */
#define IMPORT_LINE_MAX	      ((size_t)64 << 10)
#define IMPORT_MAX_SKEW_MS    ((int64_t)5 * 60 * 1000)
#define IMPORT_STOP_MARGIN_MS 15000 /* stop at a checkpoint this long before the deadline */

extern const struct lambda_function import_function;

#endif
