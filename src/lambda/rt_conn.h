/*
 * The Runtime API's connection: one persistent TCP connection to
 * AWS_LAMBDA_RUNTIME_API, spoken to in plain HTTP/1.1 with blocking
 * sockets, for the loop of runtime.c. A request goes out in one sendmsg()
 * (request line, fields and body in one iovec); the answer comes in through
 * rt_wire.h's reader with as few reads as its size allows (one, typically).
 *
 * Why not libcurl: on a loopback connection to a fixed, four-call protocol,
 * libcurl's general machinery (its multi loop polls about ten times per
 * round trip) was most of the worker's CPU per request (docs/design.md has
 * the figures). libcurl stays for AWS's services: TLS, proxies, redirects.
 *
 * Timeouts: connecting gives up after RT_CONN_CONNECT_TIMEOUT_MS; a request
 * and its answer have none, since `next` legitimately waits for as long as
 * no invocation comes (Lambda freezes the process meanwhile), and the old
 * libcurl client had none on posts either.
 *
 * A kept-alive connection that the peer closed while idle is reopened once:
 * when a request on a connection that served an earlier one fails before a
 * byte of its answer arrives, it is sent again on a new connection.
 */
#ifndef SLUICE_LAMBDA_RT_CONN_H
#define SLUICE_LAMBDA_RT_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "lambda/rt_wire.h"

#define RT_CONN_API_MAX		   255	/* AWS_LAMBDA_RUNTIME_API, host:port[/prefix] */
#define RT_CONN_CONNECT_TIMEOUT_MS 5000 /* as libcurl's CONNECTTIMEOUT was */
#define RT_CONN_PORT_DEFAULT	   "80" /* http:// without a port, as libcurl read it */

struct rt_conn {
	char host[RT_CONN_API_MAX + 1];	     /* for getaddrinfo: no brackets */
	char port[8];			     /* decimal */
	char authority[RT_CONN_API_MAX + 1]; /* the Host field: host[:port] as given */
	char prefix[RT_CONN_API_MAX + 1];    /* "" or "/w/<id>": before every path */
	int fd;				     /* -1 while not connected */
	bool used;			     /* the connection has served a request */
	unsigned connects;		     /* connections opened, for tests and logs */
	struct buf in;			     /* answers: head and body (rt_wire_reader) */
};

/*
 * Read `api` ("host:port[/prefix]", the host a name, an IPv4 literal or an
 * IPv6 one in brackets; as AWS_LAMBDA_RUNTIME_API holds it). Connects
 * nothing. `in_max` caps the answer buffer (see rt_wire_reader). Returns 0 or
 * ERR_CONFIG (NULL, empty, too long, a control byte or space, '?', '#', '@',
 * '\\', a leading '/', a malformed host or port), logged. rt_conn_release()
 * is safe after any return.
 */
int rt_conn_init(struct rt_conn *c, const char *api, size_t in_max);

/* Close the connection and free the buffer. */
void rt_conn_release(struct rt_conn *c);

/* Close the connection (the next request opens a new one); keep the buffer. */
void rt_conn_close(struct rt_conn *c);

/*
 * One request and its answer. `method` is "GET" or "POST"; `path` follows
 * the prefix ("/2018-06-01/runtime/..."). A POST carries `body` (`len`
 * bytes; NULL when 0) as application/json, and the field
 * Lambda-Runtime-Function-Error-Type when `error_type` is given (the caller
 * keeps it to header-safe bytes). The answer is read into `r` with
 * `body_max` (rt_wire_reader: longer bodies are drained, `truncated`).
 *
 * Returns 0 with `r` done (any status: the caller judges it), ERR_HTTP when
 * the Runtime API cannot be reached, drops the connection or answers
 * something that is not HTTP (logged, with `path`), ERR_NOMEM. The
 * connection is closed after an error, after an answer that asks for it, and
 * after one that it cannot be trusted past.
 */
int rt_conn_request(struct rt_conn *c, const char *method, const char *path, const char *error_type,
		    const void *body, size_t len, size_t body_max,
		    struct rt_wire_reader *r /* OUT */);

#endif
