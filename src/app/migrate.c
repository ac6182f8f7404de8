/*
 * The migrator over libpq (see migrate.h). Every statement goes through the
 * simple query protocol (PQexec) except the bookkeeping insert, whose values
 * travel as parameters; the connection is a direct one, so nothing here has
 * to avoid pinning a proxy session.
 */
#include "core/common.h"

#include "app/migrate.h"
#include "core/log.h"
#include "core/timeutil.h"

#define CREATE_TABLE                                               \
	"CREATE TABLE IF NOT EXISTS schema_migrations ("           \
	" version bigint PRIMARY KEY,"                             \
	" name text NOT NULL,"                                     \
	" sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')," \
	" applied_at timestamptz NOT NULL DEFAULT now(),"          \
	" duration_ms integer NOT NULL CHECK (duration_ms >= 0))"

#define SELECT_APPLIED                                                  \
	"SELECT version, name, sha256,"                                 \
	" (extract(epoch FROM applied_at) * 1000)::bigint, duration_ms" \
	" FROM schema_migrations ORDER BY version"

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* libpq's notices (CREATE ... IF NOT EXISTS says "already exists") go to the debug log. */
static void on_notice(void *arg, const char *message)
{
	log_msg(LVL_DEBUG, "migrate: %s", message);
}

int migrate_connect(const char *conninfo, const char *password, PGconn **out, char *why,
		    size_t why_len)
{
	char options[64];
	const char *keys[5] = {"dbname", "application_name", "options", NULL, NULL};
	const char *vals[5] = {conninfo ? conninfo : "", MIGRATE_APPLICATION_NAME, options, NULL,
			       NULL};
	PGconn *c;

	snprintf(options, sizeof(options), "-c client_connection_check_interval=%d",
		 MIGRATE_CHECK_INTERVAL_MS);
	if (password) {
		keys[3] = "password";
		vals[3] = password;
	}
	*out = NULL;
	c = PQconnectdbParams(keys, vals, 1);
	if (!c)
		return ERR_NOMEM;
	if (PQstatus(c) != CONNECTION_OK) {
		say(why, why_len, "cannot connect to the database: %s", PQerrorMessage(c));
		/* libpq's message ends with a newline. */
		if (why && why_len && strlen(why) && why[strlen(why) - 1] == '\n')
			why[strlen(why) - 1] = '\0';
		PQfinish(c);
		return ERR_REMOTE;
	}
	PQsetNoticeProcessor(c, on_notice, NULL);
	*out = c;
	return 0;
}

/* "<message> (SQLSTATE)" of a failed result, without libpq's trailing newline. */
static void describe(const PGresult *r, PGconn *c, char *out, size_t len)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (!out || !len)
		return;
	if (msg)
		snprintf(out, len, "%s (%s)", msg, state ? state : "?");
	else
		snprintf(out, len, "%s", PQerrorMessage(c));
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
}

/* Run `sql`; 0 when it succeeded, else ERR_REMOTE with the reason in `why`. */
static int exec(PGconn *c, const char *sql, char *why, size_t why_len)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int err = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		describe(r, c, why, why_len);
		err = ERR_REMOTE;
	}
	PQclear(r);
	return err;
}

/* The rows of schema_migrations, or none when the table does not exist (yet). */
static int read_applied(PGconn *c, struct migration_applied **out, size_t *n, char *why,
			size_t why_len)
{
	PGresult *r = PQexec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	int rows, err = 0;

	*out = NULL;
	*n = 0;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		describe(r, c, why, why_len);
		PQclear(r);
		return ERR_REMOTE;
	}
	bool exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!exists)
		return 0;
	r = PQexec(c, SELECT_APPLIED);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		describe(r, c, why, why_len);
		PQclear(r);
		return ERR_REMOTE;
	}
	rows = PQntuples(r);
	*out = calloc((size_t)rows + 1, sizeof(**out));
	if (!*out) {
		PQclear(r);
		return ERR_NOMEM;
	}
	for (int i = 0; i < rows; i++) {
		struct migration_applied *a = &(*out)[i];
		long long v = 0, at = 0, ms = 0;

		if (str_to_i64(str_from(PQgetvalue(r, i, 0)), 1, MIGRATE_MAX_VERSION, &v) ||
		    str_to_i64(str_from(PQgetvalue(r, i, 3)), INT64_MIN, INT64_MAX, &at) ||
		    str_to_i64(str_from(PQgetvalue(r, i, 4)), 0, INT32_MAX, &ms)) {
			say(why, why_len, "schema_migrations has a row that is not a migration's");
			err = ERR_REMOTE;
			break;
		}
		a->version = (long)v;
		a->applied_at_ms = at;
		a->duration_ms = (long)ms;
		snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(r, i, 1));
		snprintf(a->sha256, sizeof(a->sha256), "%s", PQgetvalue(r, i, 2));
	}
	*n = (size_t)rows;
	PQclear(r);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

static void summarise(const struct migrate_plan *plan, struct migrate_result *res)
{
	res->pending = (long)plan->pending;
	res->unknown = (long)plan->unknown;
	res->version = 0;
	for (size_t i = 0; i < plan->n; i++)
		if (plan->steps[i].state != MIGRATE_PENDING)
			res->version = MAX(res->version, plan->steps[i].version);
}

/* Read the database's rows and plan against `set`. */
static int load_plan(PGconn *c, const struct migration_set *set, struct migration_applied **applied,
		     struct migrate_plan *plan, struct migrate_result *res, char *why,
		     size_t why_len)
{
	size_t n;
	int err;

	memset(plan, 0, sizeof(*plan));
	err = read_applied(c, applied, &n, why, why_len);
	if (err)
		return err;
	err = migrate_plan_make(set, *applied, n, plan, why, why_len);
	summarise(plan, res);
	return err;
}

static void print_step(FILE *out, const struct migrate_step *s)
{
	char when[32];
	const char *name = s->file ? s->file->name : s->applied->name;

	fprintf(out, "%04ld %-32s ", s->version, name);
	switch (s->state) {
	case MIGRATE_APPLIED:
		time_rfc3339(when, s->applied->applied_at_ms, 0);
		fprintf(out, "applied %s (%ld ms)\n", when, s->applied->duration_ms);
		break;
	case MIGRATE_PENDING:
		fprintf(out, "pending%s%s\n",
			s->file && s->file->no_transaction ? " (no transaction)" : "",
			s->out_of_order ? " (older than an applied version)" : "");
		break;
	case MIGRATE_CHANGED:
		fprintf(out, "CHANGED after it was applied: applied sha256 %s, file sha256 %s\n",
			s->applied->sha256, s->file->sha256);
		break;
	default:
		fprintf(out, "applied, but unknown to these files (the database is ahead)\n");
		break;
	}
}

int migrate_status(PGconn *conn, const struct migration_set *set, FILE *out,
		   struct migrate_result *res, char *why, size_t why_len)
{
	struct migration_applied *applied = NULL;
	struct migrate_plan plan;
	int err;

	memset(res, 0, sizeof(*res));
	err = load_plan(conn, set, &applied, &plan, res, why, why_len);
	if (!err || err == ERR_PRECONDITION) {
		for (size_t i = 0; out && i < plan.n; i++)
			print_step(out, &plan.steps[i]);
		if (out)
			fprintf(out, "%ld pending, database at version %ld\n", res->pending,
				res->version);
	}
	migrate_plan_release(&plan);
	free(applied);
	return err;
}

int migrate_print_plan(PGconn *conn, const struct migration_set *set, FILE *out,
		       struct migrate_result *res, char *why, size_t why_len)
{
	struct migration_applied *applied = NULL;
	struct migrate_plan plan;
	int err;

	memset(res, 0, sizeof(*res));
	err = load_plan(conn, set, &applied, &plan, res, why, why_len);
	for (size_t i = 0; !err && out && i < plan.n; i++) {
		const struct migration *m = plan.steps[i].file;

		if (plan.steps[i].state != MIGRATE_PENDING)
			continue;
		fprintf(out, "-- %s: %s\n", m->file,
			m->no_transaction ? "statement by statement, outside a transaction"
					  : "in one transaction");
		fwrite(m->sql, 1, m->sql_len, out);
		if (m->sql_len && m->sql[m->sql_len - 1] != '\n')
			fputc('\n', out);
	}
	if (!err && out)
		fprintf(out, "-- %ld pending, database at version %ld; nothing was changed\n",
			res->pending, res->version);
	migrate_plan_release(&plan);
	free(applied);
	return err;
}

/* "<file>:<line>: <message>" for a failure inside migration `m`. */
static void fail_in(const struct migration *m, const char *sql, size_t len, const PGresult *r,
		    PGconn *c, char *why, size_t why_len)
{
	const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
	long long p = 0;
	long line = 1;
	char msg[1024];

	describe(r, c, msg, sizeof(msg));
	if (pos && !str_to_i64(str_from(pos), 1, INT32_MAX, &p))
		line = migrate_line_of(sql, len, (long)p);
	/* The statement's own line, when `sql` is a statement cut out of the file. */
	if (sql != m->sql)
		line += migrate_line_of(m->sql, m->sql_len, 1 + (long)(sql - m->sql)) - 1;
	say(why, why_len, "%s:%ld: %s", m->file, line, msg);
}

static int record(PGconn *c, const struct migration *m, long ms, char *why, size_t why_len)
{
	char version[24], duration[24];
	const char *params[4] = {version, m->name, m->sha256, duration};
	PGresult *r;
	int err = 0;

	snprintf(version, sizeof(version), "%ld", m->version);
	snprintf(duration, sizeof(duration), "%ld", ms);
	r = PQexecParams(c,
			 "INSERT INTO schema_migrations (version, name, sha256, duration_ms)"
			 " VALUES ($1, $2, $3, $4)",
			 4, NULL, params, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		describe(r, c, why, why_len);
		err = ERR_REMOTE;
	}
	PQclear(r);
	return err;
}

/* Apply a transactional migration and record it, all in one transaction. */
static int apply_in_transaction(PGconn *c, const struct migration *m, int64_t t0, char *why,
				size_t why_len)
{
	PGresult *r;
	int err = exec(c, "BEGIN", why, why_len);

	if (err)
		return err;
	r = PQexec(c, m->sql);
	if (!r || PQresultStatus(r) == PGRES_FATAL_ERROR ||
	    PQresultStatus(r) == PGRES_BAD_RESPONSE || PQresultStatus(r) == PGRES_NONFATAL_ERROR) {
		fail_in(m, m->sql, m->sql_len, r, c, why, why_len);
		PQclear(r);
		exec(c, "ROLLBACK", NULL, 0);
		return ERR_REMOTE;
	}
	PQclear(r);
	err = record(c, m, (long)((time_mono_ns() - t0) / 1000000), why, why_len);
	if (!err)
		err = exec(c, "COMMIT", why, why_len);
	if (err)
		exec(c, "ROLLBACK", NULL, 0);
	return err;
}

struct stmt_run {
	PGconn *c;
	const struct migration *m;
	char *why;
	size_t why_len;
};

static int run_stmt(void *ctx, struct str s)
{
	struct stmt_run *run = ctx;
	char *sql = str_dup(s);
	PGresult *r;
	int rc = 0;

	if (!sql)
		return ERR_NOMEM;
	r = PQexec(run->c, sql);
	if (!r || (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK &&
		   PQresultStatus(r) != PGRES_EMPTY_QUERY)) {
		fail_in(run->m, s.ptr, s.len, r, run->c, run->why, run->why_len);
		rc = ERR_REMOTE;
	}
	PQclear(r);
	free(sql);
	return rc;
}

/* Apply a no-transaction migration statement by statement, then record it. */
static int apply_outside(PGconn *c, const struct migration *m, int64_t t0, char *why,
			 size_t why_len)
{
	struct stmt_run run = {c, m, why, why_len};
	long n = migrate_split(m->sql, m->sql_len, run_stmt, &run);

	if (n < 0)
		return (int)n;
	return record(c, m, (long)((time_mono_ns() - t0) / 1000000), why, why_len);
}

/* Take the lock, make the table, and load the plan inside the lock. */
static int lock_and_plan(PGconn *c, const struct migration_set *set,
			 struct migration_applied **applied, struct migrate_plan *plan,
			 struct migrate_result *res, char *why, size_t why_len)
{
	int err = exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", why, why_len);

	if (!err)
		err = exec(c, "SET lock_timeout = '" MIGRATE_LOCK_TIMEOUT "'", why, why_len);
	if (!err)
		err = exec(c, "SET statement_timeout = 0", why, why_len);
	if (!err)
		err = exec(c, CREATE_TABLE, why, why_len);
	if (!err)
		err = load_plan(c, set, applied, plan, res, why, why_len);
	return err;
}

int migrate_up(PGconn *conn, const struct migration_set *set, FILE *out, struct migrate_result *res,
	       char *why, size_t why_len)
{
	struct migration_applied *applied = NULL;
	struct migrate_plan plan;
	int err;

	memset(res, 0, sizeof(*res));
	memset(&plan, 0, sizeof(plan));
	err = lock_and_plan(conn, set, &applied, &plan, res, why, why_len);
	for (size_t i = 0; !err && i < plan.n; i++) {
		const struct migration *m = plan.steps[i].file;
		int64_t t0 = time_mono_ns();

		if (plan.steps[i].state != MIGRATE_PENDING)
			continue;
		err = m->no_transaction ? apply_outside(conn, m, t0, why, why_len)
					: apply_in_transaction(conn, m, t0, why, why_len);
		if (err) {
			res->failed_version = m->version;
			break;
		}
		res->applied++;
		res->pending--;
		res->version = MAX(res->version, m->version);
		if (out)
			fprintf(out, "migrate: %s applied in %ld ms%s\n", m->file,
				(long)((time_mono_ns() - t0) / 1000000),
				m->no_transaction ? " (no transaction)" : "");
	}
	if (!err && out)
		fprintf(out, "migrate: %ld applied, database at version %ld\n", res->applied,
			res->version);
	/* Ending the session releases the lock too; say so explicitly while it lives on. */
	if (PQstatus(conn) == CONNECTION_OK)
		exec(conn, "SELECT pg_advisory_unlock_all()", NULL, 0);
	migrate_plan_release(&plan);
	free(applied);
	return err;
}
