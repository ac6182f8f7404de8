/*
 * A stand-in for the Lambda Runtime API, for test_runtime and
 * bench/runtime_bench: a thread serving HTTP/1.1 on 127.0.0.1 (ephemeral
 * port) with plain sockets, one connection at a time, as a real runtime uses
 * it. It answers `next` from a script (then from a generator, for benches),
 * records every POST, counts the TCP connections it accepted and timestamps
 * the first `next` (CLOCK_MONOTONIC) for the init-time bench.
 *
 * Fill the configuration fields of a zeroed struct, then rtstub_start().
 * Read the results after the runtime under test has finished (or under
 * rtstub_lock()), and always rtstub_stop().
 */
#ifndef SLUICE_TESTS_RTSTUB_H
#define SLUICE_TESTS_RTSTUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One scripted answer to `next`. */
struct rtstub_event {
	int status;	     /* 0 means 200 */
	const char *headers; /* extra lines, each "Name: value\r\n"; may be NULL */
	const char *body;    /* may be NULL (empty) */
	size_t body_len;     /* 0 means strlen(body) */
};

/* One request the runtime posted. `headers` is the raw header block, `body` NUL-terminated. */
struct rtstub_post {
	char path[256];
	char *headers;
	char *body;
	size_t body_len;
};

struct rtstub {
	/* Configuration. */
	const struct rtstub_event *script; /* answered first, in order */
	size_t script_len;
	unsigned long generate;	   /* then this many generated events: id "gen-<n>" */
	const char *generate_body; /* their body ("{}" when NULL) */
	bool record_bodies_off;	   /* benches: keep paths, not headers and bodies */
	bool hold;		   /* when all is served: hold `next` until stop (else close) */

	/* Results. */
	unsigned connections;	   /* TCP connections accepted */
	unsigned long nexts;	   /* `next` requests read */
	unsigned long posts_total; /* POSTs read */
	bool holding;		   /* a `next` is being held */
	int64_t first_next_ns;	   /* CLOCK_MONOTONIC when the first `next` was read; 0 before */
	struct rtstub_post *posts; /* recorded POSTs (the first RTSTUB_POSTS_MAX) */
	size_t n_posts;

	/* Internal. */
	unsigned short port;
	int listen_fd, conn_fd;
	bool stopping;
	size_t served;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

#define RTSTUB_POSTS_MAX 64

/* Bind 127.0.0.1:0 and start serving. Returns 0 or -1 (errno set). */
int rtstub_start(struct rtstub *s);

/* "127.0.0.1:<port>", for AWS_LAMBDA_RUNTIME_API; `out` needs 32 bytes. */
void rtstub_address(const struct rtstub *s, char out[32]);

/* Stop the thread, close every socket, free the records. */
void rtstub_stop(struct rtstub *s);

/* Guard reads of the results while the stub runs. */
void rtstub_lock(struct rtstub *s);
void rtstub_unlock(struct rtstub *s);

/* Monotonic nanoseconds, the clock of first_next_ns. */
int64_t rtstub_now_ns(void);

#endif
