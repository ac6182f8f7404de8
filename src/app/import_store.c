/*
 * The import function's statements (see import_store.h). The batch statement
 * is the heart of it: one INSERT ... ON CONFLICT over the batch's rows
 * (jsonb_to_recordset of one parameter, so the statement text stays a short
 * constant whatever the batch holds), the history rows of what it wrote, and
 * the import's progress, all or nothing, guarded by the checkpoint.
 */
#include "core/common.h"

#include "app/import_store.h"
#include "app/preferences_store.h"

/*
 * The row of a file dropped into the bucket without the API (idempotent). A
 * separate statement: an UPDATE in the same statement would not see it.
 */
static const char SQL_CREATE[] =
	"INSERT INTO imports (import_id, object_key, state, expires_at)"
	" VALUES ($1, $2, 'waiting', now()) ON CONFLICT (import_id) DO NOTHING";

/* Take the import if nobody holds it. */
static const char SQL_CLAIM[] =
	"UPDATE imports SET state = 'running', updated_at = now()"
	" WHERE import_id = $1 AND (state = 'waiting' OR (state = 'running'"
	" AND updated_at < now() - interval '60 seconds'))"
	" RETURNING state, bytes_read, line_no, rows_read, rows_written, rows_rejected,"
	" jsonb_array_length(errors)";

static const char SQL_STATE[] =
	"SELECT state, bytes_read, line_no, rows_read, rows_written, rows_rejected,"
	" jsonb_array_length(errors) FROM imports WHERE import_id = $1";

/*
 * $1 rows, $2 import id, $3 source, $4 lines read, $5 rejected, $6 errors,
 * $7 checkpoint before, $8 checkpoint after, $9 line number after.
 * A record moves forward only: the update happens when the line is newer.
 */
static const char SQL_APPLY[] =
	"WITH owned AS (SELECT 1 FROM imports WHERE import_id = $2 AND state = 'running'"
	" AND bytes_read = $7::bigint),"
	" input AS (SELECT x.u, x.p, x.v, x.t FROM jsonb_to_recordset($1::jsonb)"
	" AS x(u text, p jsonb, v jsonb, t timestamptz) WHERE EXISTS (SELECT 1 FROM owned)),"
	" up AS (INSERT INTO preferences AS cur (user_id, purposes, vendors, version, updated_at,"
	" source) SELECT u, p, v, 1, t, $3 FROM input"
	" ON CONFLICT (user_id) DO UPDATE SET purposes = EXCLUDED.purposes,"
	" vendors = EXCLUDED.vendors, version = cur.version + 1,"
	" updated_at = EXCLUDED.updated_at, source = EXCLUDED.source"
	" WHERE cur.updated_at < EXCLUDED.updated_at RETURNING *),"
	" h AS (INSERT INTO preference_history (user_id, version, purposes, vendors, changed_at,"
	" source) SELECT user_id, version, purposes, vendors, updated_at, source FROM up),"
	" prog AS (UPDATE imports SET rows_read = rows_read + $4::bigint,"
	" rows_written = rows_written + (SELECT count(*) FROM up),"
	" rows_rejected = rows_rejected + $5::bigint, errors = errors || $6::jsonb,"
	" bytes_read = $8::bigint, line_no = $9::bigint, updated_at = now()"
	" WHERE import_id = $2 AND state = 'running' AND bytes_read = $7::bigint"
	" RETURNING 1)"
	" SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM prog)";

static const char SQL_FINISH[] =
	"UPDATE imports SET state = CASE WHEN $3::text IS NULL THEN 'done' ELSE 'failed' END,"
	" failure = $3, updated_at = now()"
	" WHERE import_id = $1 AND state = 'running' AND bytes_read = $2::bigint";

static uint64_t u64_of(const PGresult *r, int row, int col)
{
	long long v = 0;

	str_to_i64(str_from(PQgetvalue(r, row, col)), 0, INT64_MAX, &v);
	return (uint64_t)v;
}

/* The columns of SQL_CLAIM and SQL_STATE. */
static void progress_of(const PGresult *r, struct import_progress *p)
{
	snprintf(p->state, sizeof(p->state), "%s", PQgetvalue(r, 0, 0));
	p->bytes_read = u64_of(r, 0, 1);
	p->line_no = u64_of(r, 0, 2);
	p->rows_read = u64_of(r, 0, 3);
	p->rows_written = u64_of(r, 0, 4);
	p->rows_rejected = u64_of(r, 0, 5);
	p->errors = (unsigned)u64_of(r, 0, 6);
}

int import_claim(struct db *db, const char *id, const char *key, int64_t deadline_ms,
		 struct import_progress *p)
{
	const char *params[2] = {id, key};
	PGresult *r;
	int err;

	memset(p, 0, sizeof(*p));
	err = db_query(db, SQL_CREATE, 2, params, DB_IDEMPOTENT, deadline_ms, &r);
	PQclear(r);
	if (err)
		return err;
	err = db_query(db, SQL_CLAIM, 1, params, DB_IDEMPOTENT, deadline_ms, &r);
	if (!err && PQntuples(r) == 1) {
		progress_of(r, p);
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if (err)
		return err;
	/* Not claimable: say where it stands. */
	err = db_query(db, SQL_STATE, 1, params, DB_IDEMPOTENT, deadline_ms, &r);
	if (!err && PQntuples(r) == 1)
		progress_of(r, p);
	PQclear(r);
	return err ? err : ERR_EXISTS;
}

int import_apply(struct db *db, const char *id, const struct import_batch *b, int64_t deadline_ms,
		 uint64_t *written)
{
	char source[160], read[24], rejected[24], from[24], to[24], line[24];
	const char *params[9] = {b->rows, id, source, read, rejected, b->errors, from, to, line};
	PGresult *r;
	int err;

	snprintf(source, sizeof(source), "import:%s", id);
	snprintf(read, sizeof(read), "%" PRIu64, b->rows_read);
	snprintf(rejected, sizeof(rejected), "%" PRIu64, b->rows_rejected);
	snprintf(from, sizeof(from), "%" PRIu64, b->from_bytes);
	snprintf(to, sizeof(to), "%" PRIu64, b->to_bytes);
	snprintf(line, sizeof(line), "%" PRIu64, b->to_line_no);
	/* Safe to send again: the checkpoint guard makes a repeated batch a no-op. */
	err = db_query(db, SQL_APPLY, 9, params, DB_IDEMPOTENT, deadline_ms, &r);
	if (!err) {
		*written = u64_of(r, 0, 0);
		if (u64_of(r, 0, 1) != 1)
			err = ERR_PRECONDITION;
	}
	PQclear(r);
	return err;
}

int import_finish(struct db *db, const char *id, uint64_t bytes, const char *failure,
		  int64_t deadline_ms)
{
	char b[24];
	const char *params[3] = {id, b, failure};
	PGresult *r;
	int err;

	snprintf(b, sizeof(b), "%" PRIu64, bytes);
	err = db_query(db, SQL_FINISH, 3, params, DB_IDEMPOTENT, deadline_ms, &r);
	PQclear(r);
	return err;
}
