/*
 * SQLite storage of the local DynamoDB: table descriptions, items keyed by
 * (table, partition key bytes, sort key bytes) with the item as JSON text,
 * index entries of global secondary indexes, and the idempotency tokens of
 * TransactWriteItems. Key bytes come from ddb_key_bytes(), built so that
 * SQLite's BLOB order (memcmp) is DynamoDB's order; a table without a sort
 * key stores an empty sort key.
 *
 * WAL mode with synchronous=FULL by default: a commit returns only once the
 * WAL is on disk, so an acknowledged write survives kill -9 (and power loss
 * as far as the disk honours fsync). ddb_store_set_synchronous(st, false)
 * (`sluice dev` without --fsync) selects NORMAL: the commit still reaches
 * the OS before it returns, so kill -9 loses nothing; only an OS crash or a
 * power loss may lose the last commits. The process holds the file in exclusive locking
 * mode (one `sluice dev` per stage; no lock calls per transaction), so
 * inspect it with the sqlite3 shell only while sluice is stopped.
 */
#include "core/common.h"

#include <sqlite3.h>

#include "core/log.h"
#include "local/dynamodb/ddb_int.h"

#define STORE_BUSY_MS	   5000
#define STORE_CACHED_STMTS 32 /* the fixed statements, prepared once each */

/* The SQL of a range read: a few fixed clauses of at most ~150 bytes each. */
#define RANGE_SQL_MAX 4096

/* A key column read back: what ddb_key_bytes() stored, never past DynamoDB's
 * key limits (2048 bytes for a partition key, the larger of the two). */
#define KEY_COLUMN_MAX DDB_KEY_MAX

struct cached_stmt {
	const char *sql; /* a string literal: compared by address */
	sqlite3_stmt *stmt;
};

struct ddb_store {
	sqlite3 *db;
	struct cached_stmt cache[STORE_CACHED_STMTS];
	int ncache;
	bool group; /* a group transaction is open: operations use savepoints */
};

static const char schema[] =
	"PRAGMA locking_mode=EXCLUSIVE;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS ddb_tables(name TEXT PRIMARY KEY, spec TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ddb_items(tbl TEXT NOT NULL, pk BLOB NOT NULL,"
	" sk BLOB NOT NULL, item TEXT NOT NULL, size INTEGER NOT NULL,"
	" PRIMARY KEY(tbl, pk, sk)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS ddb_index(tbl TEXT NOT NULL, idx TEXT NOT NULL,"
	" ipk BLOB NOT NULL, isk BLOB NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,"
	" PRIMARY KEY(tbl, idx, ipk, isk, pk, sk)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS ddb_index_item ON ddb_index(tbl, pk, sk);"
	"CREATE TABLE IF NOT EXISTS ddb_tokens(token TEXT PRIMARY KEY, digest TEXT NOT NULL,"
	" at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ddb_tokens_at ON ddb_tokens(at);";

static int fail_db(struct ddb_store *st, const char *what)
{
	log_msg(LVL_ERROR, "dynamodb store: %s: %s", what, sqlite3_errmsg(st->db));
	return ERR_IO;
}

int ddb_store_open(const char *path, struct ddb_store **out)
{
	struct ddb_store *st;
	char *msg = NULL;
	*out = NULL;
	if (!path)
		return ERR_INVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		log_msg(LVL_ERROR, "dynamodb store: %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	if (st->db)
		log_msg(LVL_ERROR, "dynamodb store: open %s: %s", path, sqlite3_errmsg(st->db));
	sqlite3_close(st->db);
	free(st);
	return ERR_IO;
}

void ddb_store_close(struct ddb_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st);
}

static int exec(struct ddb_store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail_db(st, sql);
}

int ddb_store_begin(struct ddb_store *st)
{
	return exec(st, st->group ? "SAVEPOINT op" : "BEGIN IMMEDIATE");
}

int ddb_store_commit(struct ddb_store *st)
{
	return exec(st, st->group ? "RELEASE op" : "COMMIT");
}

void ddb_store_rollback(struct ddb_store *st)
{
	if (st->group)
		sqlite3_exec(st->db, "ROLLBACK TO op; RELEASE op", NULL, NULL, NULL);
	else if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int ddb_store_group_begin(struct ddb_store *st)
{
	if (st->group)
		return 0;
	if (exec(st, "BEGIN IMMEDIATE"))
		return ERR_IO;
	st->group = true;
	return 0;
}

int ddb_store_group_commit(struct ddb_store *st)
{
	if (!st->group)
		return 0;
	st->group = false;
	if (exec(st, "COMMIT")) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return ERR_IO;
	}
	return 0;
}

int ddb_store_set_synchronous(struct ddb_store *st, bool full)
{
	if (st->group)
		return ERR_IO;
	return exec(st, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

/* A statement for dynamic SQL (Query and Scan): finalize() after use. */
static int prep_dynamic(struct ddb_store *st, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
		return fail_db(st, sql);
	return 0;
}

/*
 * A statement for one of the fixed SQL literals of this file, prepared once
 * and kept: preparing costs more than running these one-row statements.
 * Hand it back with done() (reset, bindings cleared).
 */
static int prep(struct ddb_store *st, const char *sql, sqlite3_stmt **out)
{
	for (int i = 0; i < st->ncache; i++) {
		if (st->cache[i].sql == sql) {
			*out = st->cache[i].stmt;
			return 0;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
		return fail_db(st, sql);
	if (st->ncache < STORE_CACHED_STMTS) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache++].stmt = *out;
	}
	return 0;
}

static void done(struct ddb_store *st, sqlite3_stmt *s)
{
	for (int i = 0; i < st->ncache; i++) {
		if (st->cache[i].stmt == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return;
		}
	}
	sqlite3_finalize(s);
}

static void bind_blob(sqlite3_stmt *s, int i, const struct buf *b)
{
	sqlite3_bind_blob(s, i, b && b->len ? b->ptr : "", b ? (int)b->len : 0, SQLITE_TRANSIENT);
}

/* Run a statement that returns no rows. */
static int run(struct ddb_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	int err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail_db(st, "step");
	done(st, s);
	return err;
}

static json_t *column_json(sqlite3_stmt *s, int col)
{
	const char *text = (const char *)sqlite3_column_text(s, col);
	int len = sqlite3_column_bytes(s, col);
	return text ? json_loadb(text, (size_t)len, JSON_ALLOW_NUL, NULL) : NULL;
}

int ddb_store_table_get(struct ddb_store *st, const char *name, json_t **out)
{
	sqlite3_stmt *s;
	*out = NULL;
	if (prep(st, "SELECT spec FROM ddb_tables WHERE name = ?", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = column_json(s, 0);
	done(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail_db(st, "table get");
	return rc == SQLITE_ROW && !*out ? ERR_IO : 0;
}

int ddb_store_table_put(struct ddb_store *st, const char *name, const json_t *desc)
{
	sqlite3_stmt *s;
	char *text = json_dumps(desc, JSON_COMPACT);
	if (!text)
		return ERR_NOMEM;
	if (prep(st, "INSERT OR REPLACE INTO ddb_tables(name, spec) VALUES(?, ?)", &s)) {
		free(text);
		return ERR_IO;
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	free(text);
	return run(st, s);
}

int ddb_store_table_delete(struct ddb_store *st, const char *name)
{
	static const char *const sql[] = {
		"DELETE FROM ddb_tables WHERE name = ?",
		"DELETE FROM ddb_items WHERE tbl = ?",
		"DELETE FROM ddb_index WHERE tbl = ?",
	};
	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		sqlite3_stmt *s;
		if (prep(st, sql[i], &s))
			return ERR_IO;
		sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
		if (run(st, s))
			return ERR_IO;
	}
	return 0;
}

/* Append the names of the rows of `s` to `out`, at most `limit`. */
static int list_names(sqlite3_stmt *s, int limit, json_t *out, bool *more)
{
	int rc, n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ == limit) {
			*more = true;
			return SQLITE_DONE;
		}
		if (json_array_append_new(out,
					  json_string((const char *)sqlite3_column_text(s, 0))))
			return SQLITE_NOMEM;
	}
	return rc;
}

int ddb_store_table_list(struct ddb_store *st, const char *start, int limit, json_t **out,
			 bool *more)
{
	sqlite3_stmt *s;
	json_t *names;
	int rc;
	*more = false;
	*out = NULL;
	if (prep(st, "SELECT name FROM ddb_tables WHERE name > ? ORDER BY name", &s))
		return ERR_IO;
	if (!(names = json_array())) {
		done(st, s);
		return ERR_NOMEM;
	}
	sqlite3_bind_text(s, 1, start ? start : "", -1, SQLITE_TRANSIENT);
	rc = list_names(s, limit, names, more);
	done(st, s);
	if (rc != SQLITE_DONE) {
		json_decref(names);
		return rc == SQLITE_NOMEM ? ERR_NOMEM : fail_db(st, "list tables");
	}
	*out = names;
	return 0;
}

int ddb_store_table_stats(struct ddb_store *st, const char *name, int64_t *count, int64_t *bytes)
{
	sqlite3_stmt *s;
	int rc;
	*count = *bytes = 0;
	if (prep(st, "SELECT count(*), total(size) FROM ddb_items WHERE tbl = ?", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(s, 0);
		*bytes = (int64_t)sqlite3_column_double(s, 1);
	}
	done(st, s);
	return rc == SQLITE_ROW ? 0 : fail_db(st, "table stats");
}

int ddb_store_item_get(struct ddb_store *st, const char *table, const struct buf *pk,
		       const struct buf *sk, json_t **out)
{
	sqlite3_stmt *s;
	*out = NULL;
	if (prep(st, "SELECT item FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
	bind_blob(s, 2, pk);
	bind_blob(s, 3, sk);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = column_json(s, 0);
	done(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail_db(st, "item get");
	return rc == SQLITE_ROW && !*out ? ERR_IO : 0;
}

int ddb_store_item_put(struct ddb_store *st, const char *table, const struct buf *pk,
		       const struct buf *sk, const json_t *item, size_t size)
{
	sqlite3_stmt *s;
	char *text = json_dumps(item, JSON_COMPACT);
	if (!text)
		return ERR_NOMEM;
	if (prep(st,
		 "INSERT OR REPLACE INTO ddb_items(tbl, pk, sk, item, size) "
		 "VALUES(?, ?, ?, ?, ?)",
		 &s)) {
		free(text);
		return ERR_IO;
	}
	sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
	bind_blob(s, 2, pk);
	bind_blob(s, 3, sk);
	sqlite3_bind_text(s, 4, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)size);
	free(text);
	return run(st, s);
}

int ddb_store_item_delete(struct ddb_store *st, const char *table, const struct buf *pk,
			  const struct buf *sk)
{
	sqlite3_stmt *s;
	if (prep(st, "DELETE FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
	bind_blob(s, 2, pk);
	bind_blob(s, 3, sk);
	return run(st, s);
}

int ddb_store_index_put(struct ddb_store *st, const char *table, const char *index,
			const struct buf *ipk, const struct buf *isk, const struct buf *pk,
			const struct buf *sk)
{
	sqlite3_stmt *s;
	if (prep(st,
		 "INSERT OR REPLACE INTO ddb_index(tbl, idx, ipk, isk, pk, sk) "
		 "VALUES(?, ?, ?, ?, ?, ?)",
		 &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, index, -1, SQLITE_TRANSIENT);
	bind_blob(s, 3, ipk);
	bind_blob(s, 4, isk);
	bind_blob(s, 5, pk);
	bind_blob(s, 6, sk);
	return run(st, s);
}

int ddb_store_index_delete(struct ddb_store *st, const char *table, const struct buf *pk,
			   const struct buf *sk)
{
	sqlite3_stmt *s;
	if (prep(st, "DELETE FROM ddb_index WHERE tbl = ? AND pk = ? AND sk = ?", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
	bind_blob(s, 2, pk);
	bind_blob(s, 3, sk);
	return run(st, s);
}

/*
 * Build the range read. Columns: the keys in read order, then the item.
 * Parameters are numbered: 1 table, 2 index, 3 pk, 4 lo, 5 hi, 6 prefix,
 * 7 prefix length, 8..11 the exclusive start.
 */
static int range_sql(const struct ddb_range *r, struct buf *q)
{
	bool ix = r->index != NULL;
	const char *dir = r->forward ? "" : " DESC", *op = r->forward ? ">" : "<";
	const char *p = ix ? "i.ipk" : "t.pk", *sk = ix ? "i.isk" : "t.sk";
	if (ix)
		buf_puts(q, "SELECT i.ipk, i.isk, i.pk, i.sk, t.item FROM ddb_index i "
			    "JOIN ddb_items t ON t.tbl = i.tbl AND t.pk = i.pk AND "
			    "t.sk = i.sk WHERE i.tbl = ?1 AND i.idx = ?2");
	else
		buf_puts(q, "SELECT t.pk, t.sk, NULL, NULL, t.item FROM ddb_items t "
			    "WHERE t.tbl = ?1");
	if (r->pk)
		buf_putf(q, " AND %s = ?3", p);
	if (r->lo)
		buf_putf(q, " AND %s %s ?4", sk, r->lo_incl ? ">=" : ">");
	if (r->hi)
		buf_putf(q, " AND %s %s ?5", sk, r->hi_incl ? "<=" : "<");
	if (r->prefix)
		buf_putf(q, " AND substr(%s, 1, ?7) = ?6", sk);
	if (r->start[0] && ix)
		buf_putf(q, " AND (i.ipk, i.isk, i.pk, i.sk) %s (?8, ?9, ?10, ?11)", op);
	else if (r->start[0])
		buf_putf(q, " AND (t.pk, t.sk) %s (?8, ?9)", op);
	if (ix)
		buf_putf(q, " ORDER BY i.ipk%s, i.isk%s, i.pk%s, i.sk%s", dir, dir, dir, dir);
	else
		buf_putf(q, " ORDER BY t.pk%s, t.sk%s", dir, dir);
	return buf_error(q);
}

/* The statement of `r`, prepared with its parameters bound. */
static int range_stmt(struct ddb_store *st, const struct ddb_range *r, sqlite3_stmt **out)
{
	struct buf q;
	sqlite3_stmt *s;
	int err;
	buf_init(&q, RANGE_SQL_MAX);
	err = range_sql(r, &q);
	if (!err)
		err = prep_dynamic(st, q.ptr, &s);
	buf_release(&q);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, r->table, -1, SQLITE_TRANSIENT);
	if (r->index)
		sqlite3_bind_text(s, 2, r->index, -1, SQLITE_TRANSIENT);
	if (r->pk)
		bind_blob(s, 3, r->pk);
	if (r->lo)
		bind_blob(s, 4, r->lo);
	if (r->hi)
		bind_blob(s, 5, r->hi);
	if (r->prefix) {
		bind_blob(s, 6, r->prefix);
		sqlite3_bind_int(s, 7, (int)r->prefix->len);
	}
	for (int i = 0; r->start[0] && i < (r->index ? 4 : 2); i++)
		bind_blob(s, 8 + i, r->start[i]);
	*out = s;
	return 0;
}

/* Hand the current row to `fn`: its 1 (stop), 0 (go on) or error. */
static int range_row(sqlite3_stmt *s, struct buf keys[4], ddb_row_fn fn, void *arg)
{
	json_t *item;
	int stop;
	for (int i = 0; i < 4; i++) {
		const void *b = sqlite3_column_blob(s, i);
		int err;
		buf_reset(&keys[i]);
		if (b && (err = buf_add(&keys[i], b, (size_t)sqlite3_column_bytes(s, i))))
			return err == ERR_TOOLARGE ? ERR_IO : err; /* a key no write could store */
	}
	if (!(item = column_json(s, 4)))
		return ERR_IO;
	stop = fn(arg, item, keys);
	json_decref(item);
	return stop;
}

int ddb_store_range(struct ddb_store *st, const struct ddb_range *r, ddb_row_fn fn, void *arg)
{
	struct buf keys[4];
	sqlite3_stmt *s;
	int rc = SQLITE_DONE, stop = 0, err = range_stmt(st, r, &s);
	if (err)
		return err;
	for (int i = 0; i < 4; i++)
		buf_init(&keys[i], KEY_COLUMN_MAX);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = range_row(s, keys, fn, arg);
	if (stop < 0)
		err = stop;
	else if (!stop && rc != SQLITE_DONE)
		err = fail_db(st, "range");
	for (int i = 0; i < 4; i++)
		buf_release(&keys[i]);
	done(st, s);
	return err;
}

int ddb_store_token_get(struct ddb_store *st, const char *token, int64_t now_ms, char **digest_out)
{
	sqlite3_stmt *s;
	*digest_out = NULL;
	if (prep(st, "SELECT digest FROM ddb_tokens WHERE token = ? AND at > ?", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now_ms - DDB_TOKEN_TTL_MS);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*digest_out = strdup((const char *)sqlite3_column_text(s, 0));
		if (!*digest_out) {
			done(st, s);
			return ERR_NOMEM;
		}
	}
	done(st, s);
	return 0;
}

int ddb_store_token_put(struct ddb_store *st, const char *token, const char *digest, int64_t now_ms)
{
	sqlite3_stmt *s;
	if (prep(st, "DELETE FROM ddb_tokens WHERE at <= ?", &s))
		return ERR_IO;
	sqlite3_bind_int64(s, 1, now_ms - DDB_TOKEN_TTL_MS);
	if (run(st, s))
		return ERR_IO;
	if (prep(st, "INSERT OR REPLACE INTO ddb_tokens(token, digest, at) VALUES(?, ?, ?)", &s))
		return ERR_IO;
	sqlite3_bind_text(s, 1, token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, digest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now_ms);
	return run(st, s);
}
