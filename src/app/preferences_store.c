/*
 * The preferences statements (see preferences_store.h).
 *
 * updated_at is kept at millisecond precision (what the API shows) and only
 * ever moves forward: a PUT takes the later of the clock and the stored
 * value plus one millisecond, so that "newer updatedAt wins" (imports) and
 * the order of versions always agree, even across clocks.
 */
#include "core/common.h"

#include "app/preferences_store.h"
#include "core/json.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The columns every record answer reads, in this order. */
#define RECORD_COLUMNS "user_id, purposes::text, vendors::text, version, " TS("updated_at")

static const char SQL_GET[] = "SELECT " RECORD_COLUMNS " FROM preferences WHERE user_id = $1";

/* Insert or replace, and the history row, in one statement. */
static const char SQL_PUT[] =
	"WITH up AS ("
	" INSERT INTO preferences AS cur (user_id, purposes, vendors, version, updated_at, source)"
	" VALUES ($1, $2::jsonb, $3::jsonb, 1, date_trunc('milliseconds', clock_timestamp()),"
	" 'api')"
	" ON CONFLICT (user_id) DO UPDATE SET purposes = EXCLUDED.purposes,"
	" vendors = EXCLUDED.vendors, version = cur.version + 1,"
	" updated_at = greatest(EXCLUDED.updated_at, cur.updated_at + interval '1 millisecond'),"
	" source = 'api'"
	" RETURNING *),"
	" h AS (INSERT INTO preference_history (user_id, version, purposes, vendors, changed_at,"
	" source) SELECT user_id, version, purposes, vendors, updated_at, source FROM up)"
	" SELECT " RECORD_COLUMNS " FROM up";

/* Replace an existing record, of one version or any ($4 NULL). */
static const char SQL_PUT_IF_MATCH[] =
	"WITH up AS ("
	" UPDATE preferences SET purposes = $2::jsonb, vendors = $3::jsonb, version = version + 1,"
	" updated_at = greatest(date_trunc('milliseconds', clock_timestamp()),"
	" updated_at + interval '1 millisecond'), source = 'api'"
	" WHERE user_id = $1 AND ($4::bigint IS NULL OR version = $4::bigint)"
	" RETURNING *),"
	" h AS (INSERT INTO preference_history (user_id, version, purposes, vendors, changed_at,"
	" source) SELECT user_id, version, purposes, vendors, updated_at, source FROM up)"
	" SELECT " RECORD_COLUMNS " FROM up";

static const char SQL_HISTORY[] = "SELECT version, purposes::text, vendors::text, " TS(
	"changed_at") ", source"
		      " FROM preference_history WHERE user_id = $1 AND ($2::bigint IS NULL OR "
		      "version < $2)"
		      " ORDER BY version DESC LIMIT $3";

/* The history rows go with the record (ON DELETE CASCADE). */
static const char SQL_DELETE[] = "DELETE FROM preferences WHERE user_id = $1";

static const char SQL_IMPORT_CREATE[] =
	"INSERT INTO imports (import_id, object_key, state, expires_at)"
	" VALUES ($1, $2, 'waiting', to_timestamp($3::bigint / 1000.0))";

static const char SQL_IMPORT_GET[] =
	"SELECT state, rows_read, rows_written, rows_rejected, bytes_read, errors::text"
	" FROM imports WHERE import_id = $1";

/* A jsonb column's text as JSON; NULL when out of memory (PostgreSQL's text is valid JSON). */
static json_t *json_of(const PGresult *r, int row, int col)
{
	return jsonx_parse(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col), NULL, 0);
}

static long long int_of(const PGresult *r, int row, int col)
{
	long long v = 0;

	str_to_i64(str_from(PQgetvalue(r, row, col)), INT64_MIN, INT64_MAX, &v);
	return v;
}

/* The record of the first row of a result with RECORD_COLUMNS. */
static int record_of(const PGresult *r, json_t **out, long long *version)
{
	*version = int_of(r, 0, 3);
	*out = json_pack("{s:s,s:o?,s:o?,s:I,s:s}", "userId", PQgetvalue(r, 0, 0), "purposes",
			 json_of(r, 0, 1), "vendors", json_of(r, 0, 2), "version",
			 (json_int_t)*version, "updatedAt", PQgetvalue(r, 0, 4));
	return *out ? 0 : ERR_NOMEM;
}

int prefs_store_get(struct db *db, const char *user_id, int64_t deadline_ms, json_t **out,
		    long long *version)
{
	const char *params[1] = {user_id};
	PGresult *r;
	int err = db_query(db, SQL_GET, 1, params, DB_IDEMPOTENT, deadline_ms, &r);

	if (!err)
		err = PQntuples(r) == 0 ? ERR_NOTFOUND : record_of(r, out, version);
	PQclear(r);
	return err;
}

int prefs_store_put(struct db *db, const char *user_id, const char *purposes, const char *vendors,
		    long long if_match, int64_t deadline_ms, json_t **out, long long *version)
{
	char v[24];
	const char *params[4] = {user_id, purposes, vendors, NULL};
	PGresult *r;
	int err;

	if (if_match > 0) {
		snprintf(v, sizeof(v), "%lld", if_match);
		params[3] = v;
	}
	/* A conditional write is safe to send again: the version it names moves on. */
	if (if_match >= 0)
		err = db_query(db, SQL_PUT_IF_MATCH, 4, params, DB_IDEMPOTENT, deadline_ms, &r);
	else
		err = db_query(db, SQL_PUT, 3, params, DB_ONCE, deadline_ms, &r);
	if (!err)
		err = PQntuples(r) == 0 ? ERR_PRECONDITION : record_of(r, out, version);
	PQclear(r);
	return err;
}

int prefs_store_history(struct db *db, const char *user_id, long long before, int limit,
			int64_t deadline_ms, json_t **items, long long *next)
{
	char b[24], l[16];
	const char *params[3] = {user_id, before > 0 ? b : NULL, l};
	PGresult *r;
	int err, n;

	snprintf(b, sizeof(b), "%lld", before);
	snprintf(l, sizeof(l), "%d", limit + 1); /* one more tells whether a page follows */
	err = db_query(db, SQL_HISTORY, 3, params, DB_IDEMPOTENT, deadline_ms, &r);
	if (err) {
		PQclear(r);
		return err;
	}
	n = PQntuples(r);
	*next = 0;
	*items = json_array();
	if (!*items) {
		PQclear(r);
		return ERR_NOMEM;
	}
	for (int i = 0; i < n && i < limit; i++) {
		json_t *item =
			json_pack("{s:I,s:o?,s:o?,s:s,s:s}", "version", (json_int_t)int_of(r, i, 0),
				  "purposes", json_of(r, i, 1), "vendors", json_of(r, i, 2),
				  "changedAt", PQgetvalue(r, i, 3), "source", PQgetvalue(r, i, 4));
		if (!item || json_array_append_new(*items, item)) {
			err = ERR_NOMEM;
			break;
		}
	}
	if (!err && n > limit)
		*next = int_of(r, limit - 1, 0);
	/* Every record has at least one version: none at all means no record. */
	if (!err && n == 0 && before <= 0)
		err = ERR_NOTFOUND;
	PQclear(r);
	if (err) {
		json_decref(*items);
		*items = NULL;
	}
	return err;
}

int prefs_store_delete(struct db *db, const char *user_id, int64_t deadline_ms, bool *erased)
{
	const char *params[1] = {user_id};
	PGresult *r;
	int err = db_query(db, SQL_DELETE, 1, params, DB_IDEMPOTENT, deadline_ms, &r);

	/* DELETE's command tag counts the rows: "DELETE 1" or "DELETE 0". */
	*erased = !err && strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	return err;
}

int prefs_store_import_create(struct db *db, const char *import_id, const char *key,
			      int64_t expires_ms, int64_t deadline_ms)
{
	char e[24];
	const char *params[3] = {import_id, key, e};
	PGresult *r;
	int err;

	snprintf(e, sizeof(e), "%lld", (long long)expires_ms);
	err = db_query(db, SQL_IMPORT_CREATE, 3, params, DB_ONCE, deadline_ms, &r);
	PQclear(r);
	return err;
}

int prefs_store_import_get(struct db *db, const char *import_id, int64_t deadline_ms, json_t **out)
{
	const char *params[1] = {import_id};
	PGresult *r;
	int err = db_query(db, SQL_IMPORT_GET, 1, params, DB_IDEMPOTENT, deadline_ms, &r);

	if (!err && PQntuples(r) == 0)
		err = ERR_NOTFOUND;
	if (!err) {
		*out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o?}", "importId", import_id, "state",
				 PQgetvalue(r, 0, 0), "rowsRead", (json_int_t)int_of(r, 0, 1),
				 "rowsWritten", (json_int_t)int_of(r, 0, 2), "rowsRejected",
				 (json_int_t)int_of(r, 0, 3), "bytesRead",
				 (json_int_t)int_of(r, 0, 4), "errors", json_of(r, 0, 5));
		if (!*out)
			err = ERR_NOMEM;
	}
	PQclear(r);
	return err;
}
