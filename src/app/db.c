/*
 * The functions' PostgreSQL connection (see db.h). Queries go out with
 * PQsendQueryParams() and the answer is awaited with poll() on libpq's
 * socket, so that a hung database costs the invocation its deadline and no
 * more. Before a statement is sent on a connection that sat idle, the socket
 * is polled once: a proxy that closed an idle client (RDS Proxy's
 * IdleClientTimeout) is noticed there, and the connection is replaced before
 * anything was sent on it.
 */
#include "core/common.h"

#include <poll.h>

#include "app/db.h"
#include "core/log.h"
#include "core/sqlverb.h"
#include "core/timeutil.h"

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

static char *env_dup(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return strdup(v && *v ? v : dflt ? dflt : "");
}

int db_init(struct db *d, char *why, size_t why_len)
{
	const char *iam = getenv("DB_IAM_AUTH");
	long long port;
	int err;

	memset(d, 0, sizeof(*d));
	rds_token_cache_init(&d->tokens);
	d->cfg.host = env_dup("PGHOST", NULL);
	d->cfg.port = env_dup("PGPORT", "5432");
	d->cfg.user = env_dup("PGUSER", NULL);
	d->cfg.dbname = env_dup("PGDATABASE", NULL);
	d->cfg.iam = iam && (!strcmp(iam, "true") || !strcmp(iam, "1"));
	if (!d->cfg.host || !d->cfg.port || !d->cfg.user || !d->cfg.dbname) {
		db_release(d);
		return ERR_NOMEM;
	}
	err = ERR_CONFIG;
	if (!*d->cfg.host || !*d->cfg.user)
		say(why, why_len, "PGHOST and PGUSER must name the database endpoint and user");
	else if (str_to_i64(str_from(d->cfg.port), 1, 65535, &port))
		say(why, why_len, "PGPORT is not a port number: %s", d->cfg.port);
	else if (d->cfg.iam && (aws_config_init(&d->aws) || !aws_config_has_credentials(&d->aws)))
		say(why, why_len, "DB_IAM_AUTH needs AWS credentials and a region to sign tokens");
	else
		err = 0;
	if (err)
		db_release(d);
	return err;
}

void db_release(struct db *d)
{
	if (!d)
		return;
	if (d->conn)
		PQfinish(d->conn);
	rds_token_cache_release(&d->tokens);
	aws_config_release(&d->aws);
	free(d->cfg.host);
	free(d->cfg.port);
	free(d->cfg.user);
	free(d->cfg.dbname);
	memset(d, 0, sizeof(*d));
}

const char *db_sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/* The message of a failed connection, one line, without the password. */
static const char *conn_error(PGconn *c)
{
	static char msg[512];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", c ? PQerrorMessage(c) : "out of memory");
	for (n = strlen(msg); n && (msg[n - 1] == '\n' || msg[n - 1] == ' ');)
		msg[--n] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return msg;
}

/* Map a refused login to our codes by the server's SQLSTATE in the message. */
static int connect_failure(PGconn *c)
{
	const char *m = conn_error(c);

	if (strstr(m, "password authentication failed") || strstr(m, "28P01") || strstr(m, "28000"))
		return ERR_AUTH;
	if (strstr(m, "too many") || strstr(m, "53300"))
		return ERR_THROTTLED;
	return ERR_HTTP;
}

static int db_connect(struct db *d)
{
	const char *keys[12], *vals[12], *token = NULL;
	char timeout[8];
	size_t n = 0;
	int err;

	/* IAM authentication is for the network; over a Unix socket (PGHOST a folder) there is
	 * none. */
	if (d->cfg.iam && d->cfg.host[0] != '/') {
		struct rds_token_params tp = {
			.host = d->cfg.host,
			.port = (unsigned)strtoul(d->cfg.port, NULL, 10),
			.user = d->cfg.user,
			.region = d->aws.region,
			.access_key_id = d->aws.access_key_id,
			.secret_access_key = d->aws.secret_access_key,
			.session_token = d->aws.session_token,
			.now = time(NULL),
		};
		if ((err = rds_token_cache_get(&d->tokens, &tp, &token))) {
			log_msg(LVL_ERROR, "db: cannot sign an IAM token: %s", err_str(err));
			return err;
		}
	}
	snprintf(timeout, sizeof(timeout), "%d", DB_CONNECT_TIMEOUT_S);
	keys[n] = "host", vals[n++] = d->cfg.host;
	keys[n] = "port", vals[n++] = d->cfg.port;
	keys[n] = "user", vals[n++] = d->cfg.user;
	keys[n] = "dbname", vals[n++] = d->cfg.dbname;
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "options", vals[n++] = "";	       /* no settings in the startup packet */
	keys[n] = "gssencmode", vals[n++] = "disable"; /* RDS Proxy speaks TLS, not GSSAPI */
	if (token)
		keys[n] = "password", vals[n++] = token;
	keys[n] = NULL, vals[n] = NULL;
	d->conn = PQconnectdbParams(keys, vals, 0);
	if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
		err = d->conn ? connect_failure(d->conn) : ERR_NOMEM;
		log_msg(LVL_ERROR, "db: cannot connect to %s:%s as %s: %s", d->cfg.host,
			d->cfg.port, d->cfg.user, conn_error(d->conn));
		/* A refused token is not reused: the next attempt signs another. */
		if (err == ERR_AUTH)
			rds_token_cache_release(&d->tokens);
		if (d->conn)
			PQfinish(d->conn);
		d->conn = NULL;
		return err;
	}
	return 0;
}

static void db_drop(struct db *d)
{
	if (d->conn)
		PQfinish(d->conn);
	d->conn = NULL;
}

/* True when the server closed an idle connection (EOF or an error is waiting on the socket). */
static bool closed_while_idle(PGconn *c)
{
	struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};

	if (PQstatus(c) != CONNECTION_OK || p.fd < 0)
		return true;
	if (poll(&p, 1, 0) <= 0)
		return false;
	/* Readable while idle: a notice, or the end. Let libpq read it and tell. */
	return !PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK;
}

/* Wait for the whole result; ERR_TIMEOUT at the deadline, ERR_HTTP when the connection broke. */
static int await(PGconn *c, int64_t deadline_ms, PGresult **out)
{
	PGresult *r, *last = NULL;

	for (;;) {
		while (PQisBusy(c)) {
			struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
			int wait = -1;

			if (deadline_ms > 0) {
				int64_t left = deadline_ms - time_now_ms();
				if (left <= 0)
					goto timeout;
				wait = (int)MIN(left, (int64_t)INT_MAX);
			}
			int rc = poll(&p, 1, wait);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc == 0)
				goto timeout;
			if (rc < 0 || !PQconsumeInput(c))
				goto broken;
		}
		r = PQgetResult(c);
		if (!r)
			break;
		PQclear(last);
		last = r;
	}
	if (!last || PQstatus(c) != CONNECTION_OK)
		goto broken;
	*out = last;
	return 0;
timeout:
	PQclear(last);
	return ERR_TIMEOUT;
broken:
	/* A fatal result that says the connection is gone is a transport failure. */
	if (last && PQstatus(c) == CONNECTION_OK) {
		*out = last;
		return 0;
	}
	PQclear(last);
	return ERR_HTTP;
}

/* One attempt on the current connection. */
static int attempt(struct db *d, const char *sql, int n, const char *const *params,
		   int64_t deadline_ms, PGresult **out)
{
	if (!PQsendQueryParams(d->conn, sql, n, NULL, params, NULL, NULL, 0))
		return ERR_HTTP;
	return await(d->conn, deadline_ms, out);
}

/* What one db_query() did, for its debug line. */
struct db_trace {
	int attempts;	/* rounds that sent the statement, or tried to connect for it */
	bool connected; /* it opened a connection (the first, or after a drop) */
};

static int connect_for(struct db *d, struct db_trace *tr)
{
	tr->connected = true;
	return db_connect(d);
}

static int run(struct db *d, const char *sql, int n, const char *const *params, enum db_retry retry,
	       int64_t deadline_ms, PGresult **out, struct db_trace *tr)
{
	ExecStatusType st;
	int err;

	if (d->conn && closed_while_idle(d->conn)) {
		log_msg(LVL_INFO, "db: the connection was closed while idle; reconnecting");
		db_drop(d);
	}
	for (int round = 0; round < 2; round++) {
		tr->attempts = round + 1;
		if (!d->conn && (err = connect_for(d, tr)))
			return err;
		err = attempt(d, sql, n, params, deadline_ms, out);
		if (err == ERR_TIMEOUT) {
			log_msg(LVL_ERROR,
				"db: no answer before the deadline; dropping the connection");
			db_drop(d);
			return err;
		}
		if (err == ERR_HTTP) {
			log_msg(LVL_WARN, "db: the connection broke: %s", conn_error(d->conn));
			db_drop(d);
			d->reconnects++;
			if (round == 0 && retry == DB_IDEMPOTENT)
				continue;
			/* Reconnect now, so that the next request finds a connection. */
			if (round == 0 && db_connect(d) == 0)
				log_msg(LVL_INFO, "db: reconnected");
			return ERR_HTTP;
		}
		break;
	}
	if (err)
		return err;
	st = PQresultStatus(*out);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return 0;
	log_msg(LVL_WARN, "db: statement refused: %s (%s)",
		PQresultErrorField(*out, PG_DIAG_MESSAGE_PRIMARY)
			? PQresultErrorField(*out, PG_DIAG_MESSAGE_PRIMARY)
			: "?",
		db_sqlstate(*out));
	if (!strcmp(db_sqlstate(*out), "53300"))
		return ERR_THROTTLED;
	/* 57014: canceled by statement_timeout (the role's); 57P01: admin shutdown. */
	if (!strcmp(db_sqlstate(*out), "57014"))
		return ERR_TIMEOUT;
	return ERR_REMOTE;
}

/*
 * The statement's DEBUG line, as aws/request.c writes one per AWS call: its
 * verb (core/sqlverb.h), never its text nor a parameter, the outcome and
 * the SQLSTATE of a refusal, the rounds it took, its duration.
 */
static void log_statement(const char *sql, const PGresult *r, int err, const struct db_trace *tr,
			  int64_t t0)
{
	char verb[SQL_VERB_MAX];
	double ms = (double)(time_mono_ns() - t0) / 1e6;
	const char *state = r && err ? db_sqlstate(r) : "";

	log_emit(LVL_DEBUG, "db statement",
		 json_pack("{s:s,s:s,s:s*,s:s*,s:i,s:f,s:o*}", "operation",
			   sql_verb(sql, strlen(sql), verb), "status", err ? "error" : "ok",
			   "sqlstate", *state ? state : NULL, "error", err ? err_name(err) : NULL,
			   "attempts", tr->attempts, "durationMs",
			   (double)(int64_t)(ms * 1000) / 1000, "connected",
			   tr->connected ? json_true() : NULL));
}

int db_query(struct db *d, const char *sql, int n, const char *const *params, enum db_retry retry,
	     int64_t deadline_ms, PGresult **out)
{
	struct db_trace tr = {0, false};
	int64_t t0;
	int err;

	*out = NULL;
	if (strlen(sql) >= DB_STATEMENT_MAX)
		return ERR_INVAL;
	t0 = time_mono_ns();
	err = run(d, sql, n, params, retry, deadline_ms, out, &tr);
	if (log_debug_wanted())
		log_statement(sql, *out, err, &tr, t0);
	return err;
}
