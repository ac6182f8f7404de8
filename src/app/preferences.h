/*
 * The preferences function (Handler: preferences): each end user's consent
 * choices per purpose and per vendor, kept in PostgreSQL with every version,
 * vendor ids checked against the IAB TCF Global Vendor List.
 *
 *   PUT    /preferences/{userId}          {"purposes":{"1":true},"vendors":{"755":true}}
 *          200 {"userId","purposes","vendors","version","updatedAt"}, ETag "<version>";
 *          If-Match "<version>" (or *): 412 when stale; 422 naming every unknown id;
 *          503 when the vendor list cannot be had at all
 *   GET    /preferences/{userId}          200 the record, ETag; 404
 *   GET    /preferences/{userId}/history  ?limit=1..100 (20)&cursor=: 200
 *          {"items":[{"version","purposes","vendors","changedAt","source"}],"cursor"}, newest
 *          first; "source" is "api" or "import:<importId>"; 404 when there is no record
 *   DELETE /preferences/{userId}          204, the record and its history erased; 204 also
 *          when absent
 *   POST   /preferences/imports           {"format":"ndjson"}: 201 {"importId","key",
 *          "uploadUrl","expiresAt"}, a presigned S3 PUT for imports/<importId>.ndjson in
 *          the data bucket, valid PREFS_UPLOAD_EXPIRES seconds
 *   GET    /preferences/imports/{importId} 200 {"importId","state","rowsRead","rowsWritten",
 *          "rowsRejected","bytesRead","errors":[{"line","message"}]}; 404
 *   GET    /vendors/{vendorId}            200 {"id","name","purposes","legIntPurposes",
 *          "features"} (and "deletedDate" for a deleted vendor); 404
 *
 * Bodies are application/json of at most PREFS_BODY_MAX bytes; their rules
 * are preferences_doc.h's (unknown members are a 400 naming them). Errors are
 * {"error":{"code","message"}}: 400 InvalidJson, InvalidRequest, InvalidUserId,
 * InvalidCursor, InvalidLimit; 404 NotFound; 412 PreconditionFailed; 413;
 * 415; 422 UnknownIds (with "unknownPurposes" and "unknownVendors" arrays
 * beside the message); 503 VendorListUnavailable, DatabaseUnavailable (with
 * Retry-After).
 *
 * Configuration: the database variables of db.h, VENDOR_LIST_URL
 * (vendor_list_cache.h), IMPORTS_BUCKET (the data bucket) and the AWS_*
 * variables for presigning.
 */
#ifndef SLUICE_APP_PREFERENCES_H
#define SLUICE_APP_PREFERENCES_H

#include "lambda/runtime.h"

#define PREFS_BODY_MAX		 ((size_t)64 << 10)
#define PREFS_UPLOAD_EXPIRES	 900 /* seconds: 15 minutes */
#define PREFS_HISTORY_DEFAULT	 20
#define PREFS_DEADLINE_MARGIN_MS 300
#define PREFS_RETRY_AFTER_S	 "1"
#define PREFS_IMPORT_PREFIX	 "imports/"
#define PREFS_IMPORT_SUFFIX	 ".ndjson"

extern const struct lambda_function preferences_function;

#endif
