/*
 * A scripted HTTP/1.1 server for the unit tests of HTTP clients
 * (test_client, test_dynamodb): a thread on 127.0.0.1 (ephemeral port)
 * that reads each request (head and Content-Length body) and writes the
 * next raw answer of its script, byte for byte, keeping the connection open.
 * A SCRIPT_HANG entry, or the end of the script, holds the connection
 * without answering until the server stops (deadline tests).
 *
 * It records the last request's header block and body, the first request's
 * body, how many requests it served and how many connections it accepted.
 * Read them once the client call under test has returned.
 */
#ifndef SLUICE_TESTS_SCRIPT_SERVER_H
#define SLUICE_TESTS_SCRIPT_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* The largest request it reads (head and body together). */
#define SCRIPT_SERVER_MAX_REQ (8u << 20)
/* A scripted answer that never comes. */
#define SCRIPT_HANG NULL

struct script_server {
	const char *const *script; /* raw answers, in order (borrowed) */
	size_t n_script;
	int listen_fd;
	unsigned short port;
	unsigned accepts;     /* TCP connections accepted */
	size_t served;	      /* requests read, answered or not */
	char last_head[8192]; /* the last request's header block, NUL-terminated */
	char *last_body;      /* the last complete request's body, NUL-terminated */
	size_t last_body_len;
	char *first_body; /* the first request's body, NUL-terminated */
	char *req;	  /* internal: the read buffer */
	volatile bool stop;
	pthread_t thread;
};

/*
 * Start serving `script` (`n` answers, borrowed until script_server_stop();
 * entries may be SCRIPT_HANG). `s` is zeroed first. Fails the test (cmocka
 * assertions) when the socket or the thread cannot be set up.
 */
/* A socket listening on 127.0.0.1 at an ephemeral port (in `*port`); cmocka asserts each step. */
int script_server_listen(unsigned short *port);

void script_server_start(struct script_server *s, const char *const *script, size_t n);

/* Stop the thread, close the socket and free the buffers. */
void script_server_stop(struct script_server *s);

#endif
