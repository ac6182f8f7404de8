/*
 * Following the statements of one connection through the local RDS Proxy,
 * for the dashboard: what each statement was (its verb, its text without
 * values), whether it would pin an RDS Proxy session, how long the backend
 * took to be ready again, and the SQLSTATE when it failed.
 *
 * The proxy hands over every client message it frames (pg_watch_client())
 * and every byte the backend sends (pg_watch_backend(), in any chunks: the
 * backend's stream is framed here as it passes, without being held or
 * copied, except the first PG_WATCH_ERROR_MAX bytes of an ErrorResponse).
 * A statement ends at the backend's ReadyForQuery ('Z'), which PostgreSQL
 * sends once per simple Query and once per Sync of the extended protocol
 * (chapter 55.2 of the PostgreSQL manual); the statements in flight wait in
 * a queue in the order they were sent, so a client that pipelines several
 * is followed too. What comes before the first statement (the backend's
 * answer to the startup packet, its own ReadyForQuery) matches nothing in
 * the queue and is ignored.
 *
 * An extended-protocol batch (Parse, Bind, Describe, Execute, then Sync) is
 * one statement: the Parse's text, or "EXECUTE" for an Execute of a
 * statement prepared earlier. A batch with neither (a Sync alone) and a
 * FunctionCall are counted but not reported. More than PG_WATCH_PENDING
 * statements in flight, or a backend message whose length is malformed,
 * and the watch stops following the connection for good (`blind`): the
 * relay itself goes on unchanged.
 *
 * Nothing here allocates or does I/O; time comes from the caller.
 */
#ifndef SLUICE_LOCAL_PG_WATCH_H
#define SLUICE_LOCAL_PG_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sqlverb.h"
#include "core/str.h"

#define PG_WATCH_TEXT_MAX  200 /* bytes of a statement's normalized text, "..." included */
#define PG_WATCH_PENDING   32  /* statements in flight followed on one connection */
#define PG_WATCH_ERROR_MAX 512 /* bytes of an ErrorResponse read for its SQLSTATE */

/* One statement, as reported. */
struct pg_statement {
	char verb[SQL_VERB_MAX];	  /* "SELECT", "INSERT", ..., "EXECUTE" */
	char text[PG_WATCH_TEXT_MAX + 1]; /* pg_normalize()'s text, "" for an EXECUTE */
	const char *pin;		  /* why it would pin (a static phrase), or NULL */
	char sqlstate[6];		  /* the error's SQLSTATE, "" when it worked */
	int64_t start_ms;		  /* wall clock, when its first message passed */
	int64_t start_ns;		  /* monotonic, the same instant */
	bool report;			  /* a statement, not a Sync alone */
};

struct pg_watch {
	struct pg_statement q[PG_WATCH_PENDING]; /* in flight, oldest at `head` */
	size_t head, count;
	struct pg_statement cur; /* the extended-protocol batch being sent */
	bool cur_open;
	bool blind;
	/* the backend's stream */
	uint8_t hdr[5];
	size_t hdr_have;
	size_t left; /* bytes of the current message's body still to come */
	char err[PG_WATCH_ERROR_MAX];
	size_t err_len;
};

/* Called for each statement that ended; `s` is borrowed for the call. */
typedef void (*pg_watch_fn)(void *arg, const struct pg_statement *s, double duration_ms);

/* Start following a connection (zeroes `w`). */
void pg_watch_init(struct pg_watch *w);

/*
 * A client message of `type` passed at `now_ms` / `now_ns`. For a Query
 * ('Q') or Parse ('P'), `sql` is its text and `pin` what pg_pin_reason()
 * (or the proxy) found, NULL for nothing; other types ignore both.
 */
void pg_watch_client(struct pg_watch *w, char type, struct str sql, const char *pin, int64_t now_ms,
		     int64_t now_ns);

/*
 * `len` bytes the backend sent, at `now_ns`: each ReadyForQuery ends the
 * oldest statement in flight and calls `fn` for it when it is one to report.
 */
void pg_watch_backend(struct pg_watch *w, const uint8_t *data, size_t len, int64_t now_ns,
		      pg_watch_fn fn, void *arg);

#endif
