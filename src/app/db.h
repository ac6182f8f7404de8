/*
 * The functions' PostgreSQL connection: one per execution environment,
 * opened on first use, reused by every invocation, reconnected once when it
 * is found broken, authenticated as RDS Proxy wants.
 *
 * Configuration comes from libpq's standard variables, which the template
 * sets on AWS and `sluice dev` sets locally to the same shape:
 *   PGHOST, PGPORT (default 5432), PGDATABASE, PGUSER   the endpoint (RDS Proxy's)
 *   PGSSLMODE, PGSSLROOTCERT                            read by libpq itself
 *                                                       (verify-full on AWS)
 *   DB_IAM_AUTH=true    the password is an IAM authentication token for
 *                       PGHOST:PGPORT and PGUSER (aws/rds_token.h), signed with
 *                       the function's credentials (AWS_ACCESS_KEY_ID, ...,
 *                       AWS_REGION) and reused until shortly before it expires;
 *                       otherwise libpq's own (PGPASSWORD, .pgpass, none).
 *
 * Nothing sent may pin an RDS Proxy session (docs/database.md): no SET, no
 * set_config(), no named prepared statement and no SQL PREPARE, no advisory
 * lock, no temporary table, no sequence function, no cursor, no LISTEN, and
 * no statement text over 16 KB. Queries go through db_query(): the extended
 * protocol with the unnamed statement only (what RDS Proxy multiplexes since
 * its November 2023 support of the extended query protocol), the values as
 * parameters, so statement texts stay short constants whatever the data.
 * The startup packet carries user and database only (`options` is forced
 * empty, so a PGOPTIONS of the environment cannot add settings). Timeouts
 * are the role's (ALTER ROLE ... SET statement_timeout, in a migration);
 * the client side only keeps to the invocation's deadline, and past it
 * drops the connection (RDS Proxy does not support CancelRequest).
 */
#ifndef SLUICE_APP_DB_H
#define SLUICE_APP_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/config.h"
#include "aws/rds_token.h"

/* Statement texts this module sends are constants far below RDS Proxy's 16 KB pinning limit. */
#define DB_STATEMENT_MAX (16u << 10)
/* Seconds libpq may spend connecting (its own minimum is 2). */
#define DB_CONNECT_TIMEOUT_S 5

struct db_config {
	char *host, *port, *dbname, *user;
	bool iam;
};

/* One connection and what it needs to reconnect. Not thread-safe (one per process). */
struct db {
	struct db_config cfg;
	struct aws_config aws; /* for the token, when cfg.iam */
	struct rds_token_cache tokens;
	PGconn *conn; /* NULL until first use, and after a drop */
	unsigned reconnects;
};

/*
 * Read the variables above. Returns 0, or ERR_CONFIG with a sentence in `why`
 * (PGHOST or PGUSER missing, a bad PGPORT, DB_IAM_AUTH without credentials).
 */
int db_init(struct db *d /* OUT */, char *why, size_t why_len);

/* Close the connection and free everything; `d` is zeroed. NULL is a no-op. */
void db_release(struct db *d);

/* Whether a statement may run again after the connection broke under it. */
enum db_retry {
	DB_ONCE,       /* a write whose second run would be another change: never rerun */
	DB_IDEMPOTENT, /* a read, or a write that changes nothing when repeated */
};

/*
 * Run `sql` (a constant, shorter than DB_STATEMENT_MAX) with `n` text
 * parameters (NULL entries are SQL NULLs) through the unnamed statement, and
 * wait for its result until `deadline_ms` (epoch ms; 0: none). Connects
 * first when there is no connection. When the connection is found broken
 * (the server or proxy closed it), it is opened again once and, for
 * DB_IDEMPOTENT, the statement is sent again.
 *
 * Returns 0 with `*out` (a result of status PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK, which the caller PQclear()s); ERR_REMOTE when the
 * database refused the statement (`*out` holds the error result, for its
 * SQLSTATE); ERR_HTTP when it cannot be reached or the connection broke;
 * ERR_TIMEOUT at the deadline (the connection is dropped); ERR_AUTH when the
 * login was refused (28P01, 28000); ERR_THROTTLED when the server or proxy
 * is out of connections (53300); ERR_NOMEM. The failure is logged, without
 * parameter values.
 *
 * Each call writes one DEBUG line (log.h: kept for a later error of the
 * invocation, or written at DEBUG), as aws/request.c does per AWS call:
 *
 *   {"message":"db statement","operation":"INSERT","status":"ok","attempts":1,
 *    "durationMs":1.234,"connected":true}
 *
 * `operation` is the statement's verb (core/sqlverb.h), never its text nor a
 * parameter; `status` "ok" or "error", with `sqlstate` when the database
 * refused it and `error` (err_name()) for any failure; `attempts` the
 * rounds it took (2: it was sent again on a new connection); `connected`
 * when it opened a connection (the first, or one after a drop). Nothing is
 * built when log_debug_wanted() is false.
 */
int db_query(struct db *d, const char *sql, int n, const char *const *params, enum db_retry retry,
	     int64_t deadline_ms, PGresult **out /* OUT */);

/* The SQLSTATE of an error result ("23505"), or "" for NULL or no error. */
const char *db_sqlstate(const PGresult *r);

#endif
