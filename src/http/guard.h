/*
 * The request-framing guard in front of evhttp. evhttp (libevent 2.1.12)
 * gives a server no say over its own parse errors: past its caps it answers
 * an HTML 413 or 400, or closes; it takes the first of two Content-Lengths;
 * it waits two minutes for a body a Content-Length promised. The guard reads
 * every byte of a connection before evhttp does, with http/framing.h, so
 * that what evhttp sees is always well framed and within the server's caps,
 * and every refusal is answered at once in the server's own words.
 *
 * How it sits in front: http_guard_attach() gives evhttp the connection's
 * bufferevent (evhttp_set_bevcb()), a plain socket one, and adds a callback
 * to its input buffer. libevent runs that callback inside the read, after
 * the bytes are appended and before evhttp's read callback, so the guard
 * takes the new bytes off the end of the buffer and puts back only what has
 * been validated:
 *
 *   - a request head is held until it is complete, then released unchanged
 *     (a Content-Length body then flows through as it arrives, untouched);
 *   - a chunked request is held whole, its chunk framing dropped as it is
 *     read, and released as the same head with Transfer-Encoding replaced by
 *     Content-Length, followed by the payload: evhttp never parses a chunk
 *     (its chunk reader takes "0x5", skips empty lines and answers a bad size
 *     413), and the bytes it gets are the same message, framed once;
 *   - a refused request is replaced by a small request of the guard's own
 *     (GET, the refused target when it is plain, a marker field carrying a
 *     per-server random token and the reason, Connection: close), and every
 *     later byte is dropped. evhttp dispatches it in order, after the
 *     requests before it, to the guard's dispatcher, which calls the server's
 *     `refuse` callback instead of its handler; the server answers in its own
 *     words and headers, and evhttp closes the connection after writing.
 *
 * Bytes held or dropped are never copied into a new buffer: evbuffer moves
 * whole chains and copies only the part of one chain at a boundary. A
 * connection holds at most a head (head_raw_max and one read) or a chunked
 * payload (body_max), and its memory is freed when evhttp closes it; after a
 * connection that carried a large body, the freed heap is handed back to the
 * system (malloc_trim()), so that memory is returned when connections end;
 * and a second after a server's last connection ends (a load test over).
 *
 * After a refusal the connection lingers (nginx's lingering close): evhttp
 * shuts down the sending side after the answer, and the guard reads and
 * drops what the client still sends, for at most HTTP_GUARD_LINGER_S
 * seconds, before closing. A client still sending a body it was refused
 * then reads the answer instead of a connection reset.
 *
 * Everything runs on the server's event_base, single-threaded.
 */
#ifndef SLUICE_HTTP_GUARD_H
#define SLUICE_HTTP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/framing.h"

struct event_base;
struct evbuffer;
struct evhttp;
struct evhttp_request;
struct http_guard;
struct http_guard_conn;

/* After a refusal, the most seconds the connection is read (and dropped) before it is closed. */
#define HTTP_GUARD_LINGER_S 30
/* ... and the most seconds without a byte from the client. */
#define HTTP_GUARD_LINGER_IDLE_S 5
/* When a connection that carried a body this large ends, the heap is trimmed (guard.c). */
#define HTTP_GUARD_TRIM_BYTES ((uint64_t)1 << 20)
/* And when its last connection ended this long ago (a trim is cheap: no more is checked). */
#define HTTP_GUARD_IDLE_TRIM_MS 1000
/* The refused request's target is kept in the refusal only up to this length. */
#define HTTP_GUARD_TARGET_MAX 2048
/* A field named in `keep_fields` is kept only up to this length. */
#define HTTP_GUARD_FIELD_MAX 1024

/* A refused request, as the server's `refuse` callback gets it. */
struct http_guard_refusal {
	enum http_refusal kind;
	enum http_framing_reason reason;
	int status;	    /* http_refusal_status(kind): 400, 431, 413 or 501 */
	const char *method; /* the refused request's method; "" when it was not read */
	size_t head_max;    /* the server's caps, for the answer's words */
	uint64_t body_max;
};

typedef void (*http_guard_handler_fn)(struct evhttp_request *req, void *arg);

/*
 * Answer a refusal: send exactly one reply on `req`, whose URI is the
 * refused request's target when it was plain ("/" otherwise) and whose
 * input headers hold the refused request's fields named in `keep_fields`
 * (after the guard's marker, which the answer should ignore).
 */
typedef void (*http_guard_refuse_fn)(struct evhttp_request *req, const struct http_guard_refusal *r,
				     void *arg);

struct http_guard_config {
	struct event_base *base; /* the server's */
	struct http_framing_limits limits;
	http_guard_handler_fn handler; /* every request that passes */
	http_guard_refuse_fn refuse;
	void *arg; /* for both */
	/* Names (any case) of fields copied into the refusal, e.g. "X-Amz-Target"; NULL-terminated,
	 * or NULL. */
	const char *const *keep_fields;
};

/*
 * A guard for one server. `cfg` is copied (`keep_fields` is borrowed and
 * must outlive the guard). Returns 0 and *out, ERR_INVAL (NULL base,
 * handler, refuse or out), ERR_IO (no randomness for the token) or
 * ERR_NOMEM.
 */
int http_guard_new(const struct http_guard_config *cfg, struct http_guard **out /* OUT */);

/*
 * Put `g` in front of `http`: it becomes the server's bufferevent callback
 * and general callback (do not set either afterwards), and evhttp's own caps
 * are set just above the guard's so that they never answer first.
 */
void http_guard_attach(struct http_guard *g, struct evhttp *http);

/*
 * Free the guard: close the connections still lingering. Call it after
 * evhttp_free() of the server it guards. NULL is a no-op.
 */
void http_guard_free(struct http_guard *g);

/* ---- one connection's bytes, without a socket (what each read runs; tests, fuzzing) ---- */

/* A connection's state. Returns 0 or ERR_NOMEM. */
int http_guard_conn_new(struct http_guard *g, struct http_guard_conn **out /* OUT */);

/* Free `c` and what it holds. NULL is a no-op. */
void http_guard_conn_free(struct http_guard_conn *c);

/*
 * The last `n_added` bytes of `input` have just arrived: take them off,
 * read them, and append to `input` what may be passed on (validated heads
 * and payload, a de-chunked request, or the refusal request). The bytes
 * before them are left alone.
 */
void http_guard_conn_input(struct http_guard_conn *c, struct evbuffer *input, size_t n_added);

/* True once `c` has refused a request (every later byte is dropped). */
bool http_guard_conn_refused(const struct http_guard_conn *c);

/*
 * When `req` is a refusal request of `g`, fill `r` and return true. This is
 * what the guard's dispatcher checks first for every request.
 */
bool http_guard_refusal_of(const struct http_guard *g, struct evhttp_request *req,
			   struct http_guard_refusal *r /* OUT */);

#endif
