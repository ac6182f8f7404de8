/*
 * The insides of the worker pool (pool.h), shared by its three files and by
 * nothing else:
 *
 *   pool.c         invocations: the queue, dispatch to idle workers, results,
 *                  timeouts, cancel, stats, and the Runtime API callbacks that
 *                  move a worker through its states; pool_new() and pool_free()
 *   pool_worker.c  worker processes: spawning one with Lambda's environment,
 *                  its peak memory, SIGCHLD and the reaping of exited and idle
 *                  workers
 *   pool_reload.c  generations (a binary, an environment, limits) and reload
 *
 * A worker moves through STARTING (spawned, no `next` yet) -> IDLE (its `next`
 * is held) -> BUSY (the event was handed over) -> AFTER (its result was
 * posted, no new `next` yet) -> IDLE ..., or to DYING once it is killed or
 * found dead. A worker struct is freed only by the SIGCHLD handler (after
 * waitpid) or pool_free(), never from a callback path, so a pointer to it
 * stays valid across the caller's callbacks.
 *
 * An invocation is QUEUED until dispatch hands it to an IDLE worker of the
 * serving generation (RUNNING), or DEFERRED when its result is known before
 * any worker holds it (THROTTLED, a worker that cannot start): that result
 * is delivered through a zero timer, so that no callback ever runs inside
 * pool_invoke().
 *
 * Everything runs on the pool's event_base, single-threaded.
 */
#ifndef SLUICE_LOCAL_POOL_INT_H
#define SLUICE_LOCAL_POOL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "core/buf.h"
#include "local/lambda/lambda_log.h"
#include "local/lambda/pool.h"
#include "local/lambda/runtime_api.h"

#define POOL_NAME_MAX 64 /* Lambda's limit on a function name */
/* A caller's request id (pool_invoke()); the pool's own are UUIDs (36). */
#define POOL_REQUEST_ID_MAX 128
/* "Root=1-<8 hex>-<24 hex>;Sampled=0" is 50 bytes. */
#define POOL_TRACE_ID_MAX 96
/* An errorType kept for a result ("Runtime.ExitError"); a longer one is cut. */
#define POOL_TYPE_MAX 128
/* An errorMessage kept for a result or a log note; a longer one is cut. */
#define POOL_MESSAGE_MAX 1024
/* "arn:aws:lambda:<region>:<account>:function:<name up to 64>". */
#define POOL_ARN_MAX 192

enum wstate { W_STARTING, W_IDLE, W_BUSY, W_AFTER, W_DYING };
enum istate { I_QUEUED, I_RUNNING, I_DEFERRED };

/* What one generation runs: copies of the config, owned. */
struct gen {
	struct pool *pool;
	uint32_t number;
	char *binary, *handler, *region, *akid, *secret, *token, *log_format, *log_level;
	char *task_root;
	char **fn_env; /* NULL-terminated copies */
	char **argv;   /* NULL-terminated copies, or NULL: {binary} */
	char arn[POOL_ARN_MAX];
	uint32_t timeout_ms, memory_mb, max_workers, queue_max, idle_ms, start_timeout_ms;
	uint32_t workers; /* worker structs still referring to this generation */
	pool_reload_fn done;
	void *done_arg;
	int64_t started_ns;
	TAILQ_ENTRY(gen) link;
};

struct worker {
	struct pool *pool;
	struct gen *gen;
	uint64_t id; /* runtime_api registration, 0 once unregistered */
	pid_t pid;
	enum wstate state;
	struct evhttp_request *held; /* the held `next` while IDLE */
	struct inv *inv;	     /* while BUSY */
	char last_rid[POOL_REQUEST_ID_MAX + 1];
	int64_t spawn_ns, idle_since_ns;
	double init_ms;	   /* spawn to first `next` */
	bool cold_pending; /* init_ms not reported yet */
	uint32_t hwm_mb;
	int status_fd;	     /* /proc/<pid>/status, opened at the first result; -1 */
	int64_t hwm_read_ns; /* when hwm_mb was read; 0: never */
	/* Its output through a pipe when the pool is observed (pool_output.c); -1 otherwise. */
	int out_rd, out_wr;
	struct event *out_ev;
	struct buf out_buf; /* a line not ended yet */
	uint64_t serial;
	int64_t spawn_ms;
	struct event *start_timer;
	TAILQ_ENTRY(worker) link;
};

struct inv {
	struct pool *pool;
	uint64_t ticket;
	enum istate state;
	char rid[POOL_REQUEST_ID_MAX + 1];
	char trace[POOL_TRACE_ID_MAX];
	char *event;
	size_t len;
	pool_done_fn done;
	void *arg;
	struct worker *worker;
	struct event *timer;
	int64_t start_ns;
	double init_ms;
	/* a deferred result */
	enum pool_result_kind dkind;
	char dtype[POOL_TYPE_MAX];
	char dmsg[POOL_MESSAGE_MAX];
	TAILQ_ENTRY(inv) link;
};

TAILQ_HEAD(gen_list, gen);
TAILQ_HEAD(worker_list, worker);
TAILQ_HEAD(inv_list, inv);

struct pool {
	struct event_base *base;
	struct runtime_api *api;
	bool api_owned;
	FILE *log;
	char name[POOL_NAME_MAX + 1];
	struct gen *serving, *pending; /* serving is never NULL after pool_new() */
	struct gen_list gens;
	struct worker_list workers;
	struct inv_list queue;	/* I_QUEUED */
	struct inv_list active; /* I_RUNNING and I_DEFERRED */
	uint32_t nqueued;
	struct event *sigchld, *reaper;
	uint64_t next_ticket;
	uint32_t next_gen;
	struct pool_stats stats;
	struct pool_observer obs; /* all NULL when nobody observes */
	/*
	 * Lines for `log` (START, the workers' lines, END and REPORT), written in
	 * one fwrite at the end of the loop turn (`log_ev`) or when a result is
	 * delivered, whichever comes first, rather than one write(2) each: one
	 * or two per invocation instead of three.
	 */
	struct buf log_pending;
	struct event *log_ev;
};

/* ---- pool.c ---- */

/* A pool event of its own, "<time>\tsluice\tfunction <name>: <text>", in the log stream. */
void pool_note(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Queue `len` bytes of whole lines for the pool's log, written before the
 * loop next waits (pool_log_flush()). Lines that do not fit the cap are
 * written at once, after what is queued.
 */
void pool_log_add(struct pool *p, const char *text, size_t len);

/* Write what pool_log_add() queued; before any direct write to the log. */
void pool_log_flush(struct pool *p);

/* Milliseconds since `ns` (time_mono_ns()). */
double pool_ms_since(int64_t ns);

/*
 * Hand queued invocations to idle workers of the serving generation and
 * start workers for the rest, within max_workers. A worker that cannot be
 * spawned fails the head of the queue (deferred INIT_ERROR).
 */
void pool_dispatch(struct pool *p);

/* Fail the oldest queued invocation with `kind` (deferred); no-op on an empty queue. */
void pool_fail_queue_head(struct pool *p, enum pool_result_kind kind, const char *type,
			  const char *msg);

/*
 * Deliver the outcome of `inv` to its caller and free it. `payload` NULL
 * makes a Lambda-style {"errorMessage","errorType"} document of `emsg` and
 * `etype`. `status` is the REPORT line's ("timeout", "error" or NULL); the
 * END and REPORT lines are written when a worker held `inv`, whose state the
 * caller has already moved on.
 */
void pool_finish(struct inv *inv, enum pool_result_kind kind, const char *payload, size_t len,
		 const char *etype, const char *emsg, const char *status);

/* What the Runtime API calls for each worker (its ctx is the struct worker). */
extern const struct runtime_api_ops pool_worker_ops;

/* ---- pool_worker.c ---- */

/*
 * Start one worker of generation `g`: register it with the Runtime API,
 * spawn the binary with Lambda's environment, arm its start timeout. Returns
 * 0, or ERR_NOMEM / ERR_IO with `why` (at least `why_cap` bytes, "" on entry)
 * saying what failed; nothing is left behind then.
 */
int pool_worker_spawn(struct pool *p, struct gen *g, char *why, size_t why_cap);

/* No more routing to `w`: its held `next` is answered, its registration dropped; DYING. */
void pool_worker_detach(struct worker *w);

/* SIGKILL and pool_worker_detach(); the struct is freed once waitpid() reports. */
void pool_worker_kill(struct worker *w);

/*
 * Refresh w->hwm_mb, the worker's peak memory (VmHWM) for its REPORT line:
 * at most every POOL_HWM_REFRESH_MS (pool_worker.c) under load, always when
 * `force` (a timeout).
 */
void pool_worker_hwm(struct worker *w, bool force);

/* Workers of `g` (NULL: every generation) in `state`; state < 0 counts all but DYING. */
uint32_t pool_worker_count(struct pool *p, struct gen *g, int state);

/* Install the SIGCHLD handler and the idle reaper on the pool's base. 0 or ERR_NOMEM. */
int pool_events_start(struct pool *p);

/* For pool_free(): SIGKILL, wait for and free every worker, and free the events. */
void pool_workers_free(struct pool *p);

/* ---- pool_output.c (observed pools) ---- */

/* Before a spawn: the pipe a worker writes to when `line` observes the pool. 0 or ERR_IO. */
int pool_output_open(struct worker *w);

/* After a spawn: the parent's end is read from the event loop. */
void pool_output_started(struct worker *w);

/* Read what the worker has written so far (before an invocation's END and REPORT lines). */
void pool_output_drain(struct worker *w);

/* Close the pipe (the worker is gone); what is left is handed over first. */
void pool_output_close(struct worker *w);

/*
 * A line of the pool about an invocation of `w` (may be NULL): written to
 * the log and, when observed, handed to the observer as a platform line.
 */
void pool_platform_line(struct pool *p, struct worker *w, const char *rid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* START, and END with REPORT, to the observer (the log has them from lambda_log.h already). */
void pool_observe_start(struct worker *w, struct inv *inv);
void pool_observe_report(struct worker *w, const struct report *r);

/* Tell the observer an invocation ended (before the caller's callback). */
void pool_observe_done(struct inv *inv, const struct pool_result *res);

/* ---- pool_reload.c ---- */

/*
 * A new generation from `cfg` (copied), linked into p->gens with the next
 * number. Returns 0 and *out, or ERR_NOMEM (*out NULL).
 */
int pool_gen_new(struct pool *p, const struct pool_config *cfg, struct gen **out /* OUT */);

/* Free a generation's copies; NULL is a no-op. It must be unlinked or its list dropped. */
void pool_gen_free(struct gen *g);

/* Unlink and free `g` if nobody serves with it and no worker refers to it. */
void pool_gen_maybe_free(struct gen *g);

/* A worker of the pending generation asked for `next`: that generation serves from now on. */
void pool_generation_ready(struct pool *p, struct gen *g);

/*
 * A worker failed before its first `next` (init error, exit, start timeout):
 * a pending generation is discarded (reload failed); for the serving one the
 * oldest queued invocation fails with `type` and `msg`.
 */
void pool_init_failed(struct worker *w, int err, const char *type, const char *msg);

#endif
