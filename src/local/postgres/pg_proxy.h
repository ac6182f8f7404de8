/*
 * The local RDS Proxy: a PostgreSQL-protocol listener on 127.0.0.1 that
 * admits a client the way RDS Proxy with IAM authentication does, then
 * relays it to the stage's PostgreSQL (pg_server.h) through its Unix socket.
 *
 * - Admission: after the startup packet the proxy asks for a cleartext
 *   password (AuthenticationCleartextPassword, what RDS Proxy asks for over
 *   TLS) and accepts it only when it is a valid rds-db:connect token
 *   (aws/rds_token.h) for this proxy's own endpoint (host and port), for the
 *   startup packet's user, in the local region, signed with the local
 *   credentials, at most 15 minutes old. Anything else gets PostgreSQL's own
 *   answer: FATAL 28P01 "password authentication failed for user ...". The
 *   token is never logged; the reason it was refused is.
 * - SSLRequest and GSSENCRequest are answered 'N' (no TLS locally: the
 *   functions connect with sslmode=disable here, verify-full on AWS);
 *   CancelRequest is ignored and logged, since RDS Proxy does not support it.
 * - Relay: the backend gets the client's own startup packet and answers
 *   the rest of the handshake itself (trust over the Unix socket); then bytes
 *   flow both ways unchanged. Client messages are framed as they pass, and
 *   every Query and Parse is checked against RDS Proxy's pinning rules
 *   (pg_wire.h: pg_pin_reason()); a statement that would pin is logged at
 *   WARN with the reason and the statement (its first 200 bytes). A named
 *   Parse is logged the same way. The local proxy never actually pins or
 *   multiplexes: it keeps one backend connection per client.
 * - Statements, for an observer (pg_proxy_set_observer()): with one set,
 *   each statement of an admitted client is followed until the backend is
 *   ready again (pg_watch.h) and reported with its verb, its text without
 *   values (pg_normalize()), its pinning reason, its SQLSTATE, its timing
 *   and the client's TCP port, by which the observer finds the process
 *   that sent it. Never a parameter's value: Bind messages are not read.
 *
 * It runs on the caller's event_base; it owns no thread and no loop.
 */
#ifndef SLUICE_LOCAL_PG_PROXY_H
#define SLUICE_LOCAL_PG_PROXY_H

#include <stdint.h>

#include "aws/sigv4.h"

struct event_base;
struct pg_proxy;

/* A client message larger than this is refused (PostgreSQL's own limit is 1 GB). */
#define PG_PROXY_MAX_MESSAGE ((size_t)64 << 20)
/* Relay buffering per direction before the reading side is paused. */
#define PG_PROXY_HIGH_WATER ((size_t)4 << 20)

struct pg_proxy_config {
	const char *address;	    /* NULL: "127.0.0.1"; also the host tokens must name */
	uint16_t port;		    /* 0: a free port */
	const char *backend_socket; /* the Unix socket folder of the backend */
	uint16_t backend_port;	    /* its port (the socket is <folder>/.s.PGSQL.<port>) */
	const char *region;	    /* NULL: us-east-1 */
	const char *access_key_id;  /* the local credentials tokens are signed with */
	const char *secret_access_key;
};

/*
 * Start listening. All strings are copied. Returns 0 and `*out`, or ERR_IO
 * (cannot bind; the address is taken), ERR_INVAL (a backend socket path too
 * long for a Unix socket), ERR_NOMEM.
 */
int pg_proxy_new(struct event_base *base, const struct pg_proxy_config *cfg,
		 struct pg_proxy **out /* OUT */);

/* The port it listens on (useful after port 0). */
uint16_t pg_proxy_port(const struct pg_proxy *p);

/* Counters, for tests and the log. */
struct pg_proxy_stats {
	uint64_t clients;  /* connections accepted */
	uint64_t admitted; /* clients whose token was valid */
	uint64_t refused;  /* clients refused (28P01) */
	uint64_t pins;	   /* statements that would have pinned a session */
};
void pg_proxy_get_stats(const struct pg_proxy *p, struct pg_proxy_stats *out /* OUT */);

/* A statement one client ran; borrowed for the call. */
struct pg_proxy_statement {
	uint64_t client;      /* the proxy's number for the connection, unique in the process */
	uint16_t client_port; /* the client's own port on 127.0.0.1 */
	uint16_t proxy_port;  /* the proxy's */
	const char *user, *database;
	const char *verb;     /* core/sqlverb.h's word, or "EXECUTE" */
	const char *text;     /* pg_normalize()'s text: no literal, no parameter value */
	const char *pin;      /* why it would pin an RDS Proxy session, or NULL */
	const char *sqlstate; /* "" when it worked */
	int64_t start_ms;     /* when its first message reached the proxy */
	double duration_ms;   /* from then to the backend's ReadyForQuery */
};

struct pg_proxy_observer {
	void *arg;
	void (*statement)(void *arg, const struct pg_proxy_statement *s);
};

/*
 * Report the statements of clients admitted from now on to `obs` (copied;
 * NULL stops). Callbacks come from the event loop, never from inside a
 * pg_proxy call.
 */
void pg_proxy_set_observer(struct pg_proxy *p, const struct pg_proxy_observer *obs);

/* Close every connection and the listener, and free `p`. NULL is a no-op. */
void pg_proxy_free(struct pg_proxy *p);

#endif
