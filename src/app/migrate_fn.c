/*
 * The migrate function (Handler: migrate): the migrator of migrate.h as a
 * Lambda function, so that a pipeline can run it inside the VPC where the
 * database is. Its event is {"command": "up" | "status" | "plan"} ("up"
 * when absent); its answer {"command", "applied", "version", "pending",
 * "unknown", "output"}, where "output" is what `sluice migrate` would print.
 *
 * A preview stage has a database of its own on dev's instance
 * (docs/database.md): "create-database" creates PGDATABASE when it is missing
 * and "drop-database" drops it (WITH (FORCE): a preview's leftover sessions
 * must not keep it alive), both from the maintenance database "postgres".
 * Only a name of the previews' shape, sluice_pr_[a-z0-9_]*, is touched: the
 * function can never drop dev's or prod's database by a wrong setting. The
 * answer is {"command", "database", "changed"}.
 * A failure is a function error "Migrate.Failed" (or "Migrate.Changed" for a
 * changed file) whose message names the file, the line and PostgreSQL's
 * reason, so that the pipeline's step fails with it.
 *
 * It connects directly to the database (PGHOST and friends name the
 * instance, not the proxy: advisory locks pin proxy sessions), with an IAM
 * token when DB_IAM_AUTH=true, as db.h describes. The migrations are read
 * from MIGRATIONS_DIR, else from migrations/ beside the binary
 * (LAMBDA_TASK_ROOT), where the package puts db/migrations.
 */
#include "core/common.h"

#include "app/db.h"
#include "app/migrate.h"
#include "core/json.h"
#include "lambda/runtime.h"

/* The most output the answer carries (a status of a few thousand migrations fits). */
#define MIGRATE_FN_OUTPUT_MAX ((size_t)256 << 10)

static int migrations_dir(char *out, size_t len)
{
	const char *dir = getenv("MIGRATIONS_DIR"), *root = getenv("LAMBDA_TASK_ROOT");
	int n;

	if (dir && *dir)
		n = snprintf(out, len, "%s", dir);
	else
		n = snprintf(out, len, "%s/migrations", root && *root ? root : ".");
	return n < 0 || (size_t)n >= len ? ERR_TOOLARGE : 0;
}

/* The IAM token for the direct connection, or NULL without DB_IAM_AUTH. */
static int token_for(struct db *cfg, struct buf *token, const char **out)
{
	struct rds_token_params p = {
		.host = cfg->cfg.host,
		.port = (unsigned)strtoul(cfg->cfg.port, NULL, 10),
		.user = cfg->cfg.user,
		.region = cfg->aws.region,
		.access_key_id = cfg->aws.access_key_id,
		.secret_access_key = cfg->aws.secret_access_key,
		.session_token = cfg->aws.session_token,
		.now = time(NULL),
	};

	*out = NULL;
	if (!cfg->cfg.iam || cfg->cfg.host[0] == '/') /* no IAM over a Unix socket */
		return 0;
	int err = rds_token_generate(&p, token);
	if (!err)
		*out = token->ptr;
	return err;
}

/* A preview's database: "sluice_pr_" and [a-z0-9_], within PostgreSQL's 63-byte names. */
static bool preview_database(const char *name)
{
	size_t n = strlen(name);

	if (n > 63 || strncmp(name, "sluice_pr_", 10) || n == 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return false;
	return true;
}

/*
 * create-database / drop-database on `conn` (connected to "postgres"):
 * `*changed` tells whether the database was created or dropped. The name is
 * checked by preview_database(), so quoting it is enough.
 */
static int preview_command(PGconn *conn, const char *command, const char *name, bool *changed,
			   char *why, size_t why_len)
{
	const char *params[1] = {name};
	char sql[128];
	PGresult *res;
	bool exists;

	res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, params,
			   NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(why, why_len, "%s", PQerrorMessage(conn));
		PQclear(res);
		return ERR_REMOTE;
	}
	exists = PQntuples(res) > 0;
	PQclear(res);
	*changed = !strcmp(command, "create-database") ? !exists : exists;
	if (!*changed)
		return 0;
	snprintf(sql, sizeof(sql),
		 !strcmp(command, "create-database")
			 ? "CREATE DATABASE \"%s\""
			 : "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
		 name);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(why, why_len, "%s: %s", sql, PQerrorMessage(conn));
		PQclear(res);
		return ERR_REMOTE;
	}
	PQclear(res);
	return 0;
}

/* The preview commands, from the environment's PGDATABASE, with the answer in `response`. */
static int preview_handle(const char *command, struct buf *response, struct lambda_error *lerr)
{
	char name[64], why[512];
	const char *password;
	struct buf token;
	struct db cfg;
	PGconn *conn = NULL;
	bool changed = false;
	json_t *answer;
	int err, rc = 0;

	if (db_init(&cfg, why, sizeof(why)))
		return lambda_fail(lerr, "Runtime.ConfigError", "%s", why);
	if (!preview_database(cfg.cfg.dbname)) {
		rc = lambda_fail(
			lerr, "Migrate.BadDatabase",
			"%s touches only a preview's database (sluice_pr_...), not \"%.63s\"",
			command, cfg.cfg.dbname);
		db_release(&cfg);
		return rc;
	}
	snprintf(name, sizeof(name), "%s", cfg.cfg.dbname);
	buf_init(&token, RDS_TOKEN_MAX);
	err = token_for(&cfg, &token, &password);
	db_release(&cfg);
	if (!err)
		err = migrate_connect("dbname=postgres", password, &conn, why, sizeof(why));
	if (!err)
		err = preview_command(conn, command, name, &changed, why, sizeof(why));
	if (err) {
		rc = lambda_fail(lerr, "Migrate.Failed", "%s", why[0] ? why : err_str(err));
		goto done;
	}
	answer = json_pack("{s:s,s:s,s:b}", "command", command, "database", name, "changed",
			   changed);
	err = answer ? jsonx_dump(answer, response, 0) : ERR_NOMEM;
	json_decref(answer);
	if (err)
		rc = lambda_fail(lerr, "Runtime.Error", "%s", err_str(err));
done:
	if (conn)
		PQfinish(conn);
	explicit_bzero(token.ptr, token.len);
	buf_release(&token);
	return rc;
}

struct run {
	const char *command;
	struct migrate_result res;
	char why[2048];
	char *output;
	size_t output_len;
};

static int run_command(struct run *run, PGconn *conn, const struct migration_set *set)
{
	FILE *out = open_memstream(&run->output, &run->output_len);
	int err;

	if (!out)
		return ERR_NOMEM;
	if (!strcmp(run->command, "status"))
		err = migrate_status(conn, set, out, &run->res, run->why, sizeof(run->why));
	else if (!strcmp(run->command, "plan"))
		err = migrate_print_plan(conn, set, out, &run->res, run->why, sizeof(run->why));
	else
		err = migrate_up(conn, set, out, &run->res, run->why, sizeof(run->why));
	fclose(out);
	return err;
}

static int migrate_handle(void *state, const char *event, size_t event_len,
			  const struct lambda_context *ctx, struct buf *response,
			  struct lambda_error *lerr)
{
	json_t *ev = jsonx_parse(event, event_len, NULL, 0), *answer;
	struct migration_set set;
	struct run run = {.command = jsonx_str(ev, "command")};
	struct buf token;
	struct db cfg;
	char dir[4096], why[512];
	const char *password;
	PGconn *conn = NULL;
	int err, rc = 0;

	if (!run.command)
		run.command = "up";
	if (!strcmp(run.command, "create-database") || !strcmp(run.command, "drop-database")) {
		rc = preview_handle(run.command, response, lerr);
		json_decref(ev);
		return rc;
	}
	if (strcmp(run.command, "up") && strcmp(run.command, "status") &&
	    strcmp(run.command, "plan")) {
		json_decref(ev);
		return lambda_fail(lerr, "Migrate.BadCommand",
				   "command must be \"up\", \"status\", \"plan\", "
				   "\"create-database\" or \"drop-database\"");
	}
	migrate_set_init(&set);
	buf_init(&token, RDS_TOKEN_MAX);
	if (migrations_dir(dir, sizeof(dir)) ||
	    migrate_set_load_dir(&set, dir, run.why, sizeof(run.why))) {
		rc = lambda_fail(lerr, "Migrate.Files", "%s", run.why);
		goto done;
	}
	if (db_init(&cfg, why, sizeof(why))) {
		rc = lambda_fail(lerr, "Runtime.ConfigError", "%s", why);
		goto done;
	}
	err = token_for(&cfg, &token, &password);
	if (!err)
		err = migrate_connect("", password, &conn, run.why, sizeof(run.why));
	db_release(&cfg);
	if (!err)
		err = run_command(&run, conn, &set);
	if (err) {
		rc = lambda_fail(lerr,
				 err == ERR_PRECONDITION ? "Migrate.Changed" : "Migrate.Failed",
				 "%s", run.why[0] ? run.why : err_str(err));
		goto done;
	}
	answer = json_pack("{s:s,s:I,s:I,s:I,s:I,s:s%}", "command", run.command, "applied",
			   (json_int_t)run.res.applied, "version", (json_int_t)run.res.version,
			   "pending", (json_int_t)run.res.pending, "unknown",
			   (json_int_t)run.res.unknown, "output", run.output ? run.output : "",
			   MIN(run.output_len, MIGRATE_FN_OUTPUT_MAX));
	err = answer ? jsonx_dump(answer, response, 0) : ERR_NOMEM;
	json_decref(answer);
	if (err)
		rc = lambda_fail(lerr, "Runtime.Error", "%s", err_str(err));
done:
	if (conn)
		PQfinish(conn);
	explicit_bzero(token.ptr, token.len);
	buf_release(&token);
	free(run.output);
	migrate_set_release(&set);
	json_decref(ev);
	return rc;
}

const struct lambda_function migrate_function = {
	.name = "migrate",
	.handle = migrate_handle,
};
