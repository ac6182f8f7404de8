/*
 * A scripted PostgreSQL backend for the unit tests of the functions'
 * database connection (test_db): a thread on 127.0.0.1 (ephemeral port)
 * that admits any client (SSLRequest and GSSENCRequest answered 'N', then
 * AuthenticationOk, a few ParameterStatus, BackendKeyData, ReadyForQuery)
 * and answers each Sync (the end of what libpq's PQsendQueryParams sends)
 * or simple Query with the next step of its script:
 *
 *   PGSTUB_OK      ParseComplete, BindComplete, NoData, CommandComplete,
 *                  ReadyForQuery: a statement that worked
 *   PGSTUB_ERROR   an ErrorResponse with the step's SQLSTATE, then
 *                  ReadyForQuery: a statement the database refused
 *   PGSTUB_CLOSE   the connection closed without an answer: the proxy
 *                  hung up under the statement
 *
 * Past the script every statement is answered PGSTUB_OK. It records the SQL
 * text of every Parse and Query it received, and the connections it
 * accepted. Read them once the call under test has returned.
 */
#ifndef SLUICE_TESTS_PGSTUB_H
#define SLUICE_TESTS_PGSTUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define PGSTUB_MAX_STATEMENTS 32
#define PGSTUB_SQL_MAX	      4096

enum pgstub_action { PGSTUB_OK, PGSTUB_ERROR, PGSTUB_CLOSE };

struct pgstub_step {
	enum pgstub_action action;
	const char *sqlstate; /* PGSTUB_ERROR: "23505"... */
};

struct pgstub {
	const struct pgstub_step *script; /* borrowed until pgstub_stop() */
	size_t n_script, step;
	int listen_fd;
	unsigned short port;
	unsigned accepts;
	size_t nsql;
	char sql[PGSTUB_MAX_STATEMENTS][PGSTUB_SQL_MAX];
	volatile bool stop;
	pthread_t thread;
};

/*
 * Start serving `script` (`n` steps). `s` is zeroed first. Fails the test
 * (cmocka assertions) when the socket or the thread cannot be set up.
 */
void pgstub_start(struct pgstub *s, const struct pgstub_step *script, size_t n);

/* Stop the thread and close the socket. */
void pgstub_stop(struct pgstub *s);

#endif
