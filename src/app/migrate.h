/*
 * The migrator: applies db/migrations (read and planned by migrate_plan.h)
 * to a PostgreSQL database over libpq, for `sluice migrate`, for `sluice dev`
 * at start, and for the migrate function (Handler: migrate) that a pipeline
 * runs inside the VPC.
 *
 * It talks to the database directly, never through RDS Proxy: it holds a
 * session-level advisory lock for the whole run, and advisory locks pin a
 * proxy session. The lock (pg_advisory_lock(MIGRATE_LOCK_KEY)) serialises
 * concurrent runs: ten started together apply each migration exactly once,
 * the others wait, then find nothing left to do. A run that dies (killed,
 * network gone) leaves nothing behind: its transaction is rolled back and its
 * lock released when the server notices the connection is gone, which the
 * connection's client_connection_check_interval makes quick even while a
 * statement runs.
 *
 * Applied migrations are recorded in schema_migrations(version, name,
 * sha256, applied_at, duration_ms), which the migrator creates; a
 * transactional migration's row is written in its own transaction, so a
 * migration is either applied and recorded or neither. A no-transaction one
 * is recorded after its last statement succeeded.
 *
 * Inside the lock the session sets lock_timeout (MIGRATE_LOCK_TIMEOUT): a
 * DDL statement that cannot get its table lock fails after that long instead
 * of queueing every request of the service behind it.
 */
#ifndef SLUICE_APP_MIGRATE_H
#define SLUICE_APP_MIGRATE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>

#include "app/migrate_plan.h"

/* The advisory lock of the migrator: "sluicemg" as a big-endian 64-bit integer. */
#define MIGRATE_LOCK_KEY     "8317151707346070887"
#define MIGRATE_LOCK_TIMEOUT "5s"
/* How often a busy backend checks that the migrator is still there (ms). */
#define MIGRATE_CHECK_INTERVAL_MS 1000
#define MIGRATE_APPLICATION_NAME  "sluice-migrate"

/*
 * Connect for migrating: `conninfo` is a libpq connection string or URI
 * ("" takes everything from libpq's environment: PGHOST, PGPORT, ...),
 * with application_name and the connection check interval added. `password`
 * (may be NULL) overrides any other (an IAM token). Returns 0 with `*out`,
 * or ERR_REMOTE with libpq's reason in `why` (`*out` is NULL then).
 */
int migrate_connect(const char *conninfo, const char *password, PGconn **out /* OUT */, char *why,
		    size_t why_len);

/* What a run did, for the caller's summary and the migrate function's answer. */
struct migrate_result {
	long applied;	     /* migrations applied by this run */
	long version;	     /* the highest applied version afterwards (0: none) */
	long pending;	     /* still pending afterwards (0 after a good `up`) */
	long unknown;	     /* versions the database has and the files do not */
	long failed_version; /* the migration that failed, or 0 */
};

/*
 * `status`: one line per version to `out` ("0002 preferences   applied
 * 2026-03-14T15:09:26Z (12 ms)", "pending", "CHANGED: applied sha256 <a>,
 * file <b>", "unknown to this release"). Reads schema_migrations when it
 * exists and changes nothing. Returns 0, ERR_PRECONDITION when a file
 * changed (after printing everything), ERR_REMOTE when the database failed
 * (`why` says how).
 */
int migrate_status(PGconn *conn, const struct migration_set *set, FILE *out,
		   struct migrate_result *res /* OUT */, char *why, size_t why_len);

/*
 * `plan`: print the SQL `up` would run, file by file, with a header line per
 * migration saying whether it runs in a transaction, and change nothing.
 * Returns as migrate_status().
 */
int migrate_print_plan(PGconn *conn, const struct migration_set *set, FILE *out,
		       struct migrate_result *res /* OUT */, char *why, size_t why_len);

/*
 * `up`: take the lock, create schema_migrations if needed, and apply every
 * pending migration in version order, one line per migration to `out`
 * (may be NULL). Stops at the first failure, which is rolled back, with
 * "<file>:<line>: <PostgreSQL's message> (SQLSTATE)" in `why`. Returns 0,
 * ERR_PRECONDITION (a changed file: nothing is applied), ERR_REMOTE (the
 * database refused a migration or failed), ERR_NOMEM.
 */
int migrate_up(PGconn *conn, const struct migration_set *set, FILE *out,
	       struct migrate_result *res /* OUT */, char *why, size_t why_len);

/* The "migrate" function (Handler: migrate), for pipelines; see migrate_fn.c. */
struct lambda_function;
extern const struct lambda_function migrate_function;

#endif
