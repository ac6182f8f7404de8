/*
 * The worker pool of one Lambda function in `sluice dev`: warm worker
 * processes running the function's binary (build/bootstrap), each speaking
 * the Lambda Runtime API to a shared local server (runtime_api.h) under its
 * own path prefix, AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>/w/<worker-id>.
 *
 * As Lambda does, a worker holds one invocation at a time. A new worker is
 * started when every live worker is busy, up to `max_workers` (the function's
 * reserved concurrency, or POOL_DEFAULT_MAX_WORKERS); past that, invocations
 * wait in a bounded queue (`queue_max`), and past that they are THROTTLED
 * (the gateway answers 429). Idle workers are reaped after `idle_ms`, always
 * keeping one warm. A worker that exits or crashes costs the one invocation it
 * held (EXIT, "Runtime.ExitError"); a worker past the function's timeout is
 * killed with SIGKILL (TIMEOUT, "Task timed out after N.NN seconds"). Either
 * way it is replaced on demand.
 *
 * pool_reload() swaps the binary and environment without downtime: a new
 * generation starts, invocations keep going to the old one until a new worker
 * has asked for `next`, then the old workers finish what they hold and stop.
 * A new generation that fails to start (init error, exit before its first
 * `next`, no `next` within `start_timeout_ms`) is discarded; the old one keeps
 * serving and the log says why.
 *
 * Logs: START / END / REPORT lines as Lambda prints them (lambda_log.h), "Task
 * timed out" lines and the pool's own events ("<time>\tsluice\tfunction
 * <name>: ...") are written, one line per fwrite and flushed, to `log`
 * (stderr when NULL). The workers' stdout and stderr are that same file
 * descriptor (inherited, no relay), so the function's own log lines sit beside
 * them in order. A worker starts in the directory of its binary
 * (LAMBDA_TASK_ROOT), with stdin on /dev/null.
 *
 * The pool reaps its own children with waitpid(pid, WNOHANG) per worker, so
 * other code in the process may run children too, as long as it does not
 * call waitpid(-1).
 *
 * Everything runs on the caller's event_base: no thread, no loop of its own.
 * Child exits are observed with an evsignal on SIGCHLD and a waitpid loop, so
 * the pool installs a SIGCHLD handler on that base; pools of one process must
 * share one event_base. No callback is ever called from inside pool_invoke()
 * or pool_reload(); results arrive from the event loop.
 */
#ifndef SLUICE_LOCAL_POOL_H
#define SLUICE_LOCAL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lambda/runtime.h"

struct event_base;
struct runtime_api;
struct pool;

/* Defaults used when a field of struct pool_config is 0. */
#define POOL_DEFAULT_MAX_WORKERS      10
#define POOL_DEFAULT_QUEUE_MAX	      100
#define POOL_DEFAULT_IDLE_MS	      60000
#define POOL_DEFAULT_START_TIMEOUT_MS 10000
#define POOL_DEFAULT_TIMEOUT_MS	      3000 /* SAM's default Timeout: 3 s */
#define POOL_DEFAULT_MEMORY_MB	      128  /* SAM's default MemorySize */
#define POOL_DEFAULT_REGION	      "us-east-1"

/* Lambda's caps on a synchronous invocation (lambda/runtime.h has the one definition). */
#define POOL_RESPONSE_MAX LAMBDA_RESPONSE_MAX
#define POOL_EVENT_MAX	  LAMBDA_REQUEST_MAX

/*
 * How one function runs. Strings and the env array are copied by pool_new()
 * and pool_reload(); nothing is borrowed after the call.
 */
struct pool_config {
	const char *function_name; /* required: AWS_LAMBDA_FUNCTION_NAME, the ARN, logs */
	const char *binary;	   /* required: path of the executable (build/bootstrap) */
	const char *handler;	   /* _HANDLER; NULL gives "" */
	/*
	 * The worker's argument vector, argv[0] first, NULL-terminated; NULL
	 * runs `binary` with no arguments (a provided.* function). An
	 * interpreted function runs its runtime's bootstrap with the
	 * interpreter as `binary`: {"node", ".../bootstrap.cjs", NULL}.
	 */
	const char *const *argv;
	/*
	 * LAMBDA_TASK_ROOT and the worker's working directory: the function's
	 * code folder. NULL: the directory of `binary`.
	 */
	const char *task_root;
	/*
	 * The function's Environment as "K=V" strings, NULL-terminated; may be
	 * NULL. An entry naming a variable the pool sets itself (the Lambda
	 * ones below, TZ, PATH, LAMBDA_TASK_ROOT) is dropped, as Lambda
	 * reserves those names; an entry without '=' is ignored. Nothing of the
	 * parent's own environment reaches a worker.
	 */
	const char *const *env;
	uint32_t timeout_ms;	   /* the function's Timeout; 0: POOL_DEFAULT_TIMEOUT_MS */
	uint32_t memory_mb;	   /* MemorySize; 0: POOL_DEFAULT_MEMORY_MB */
	uint32_t max_workers;	   /* reserved concurrency; 0: POOL_DEFAULT_MAX_WORKERS */
	uint32_t queue_max;	   /* waiting invocations; 0: POOL_DEFAULT_QUEUE_MAX */
	uint32_t idle_ms;	   /* idle worker reaping; 0: POOL_DEFAULT_IDLE_MS */
	uint32_t start_timeout_ms; /* reload: first `next` within; 0: the default */
	const char *region;	   /* AWS_REGION/AWS_DEFAULT_REGION; NULL: us-east-1 */
	const char *access_key_id; /* the local credentials given to workers; NULL: unset */
	const char *secret_access_key;
	const char *session_token;
	const char *log_format; /* AWS_LAMBDA_LOG_FORMAT; NULL: unset */
	const char *log_level;	/* AWS_LAMBDA_LOG_LEVEL; NULL: unset */
	FILE *log;		/* START/END/REPORT and pool events; NULL: stderr */
};

enum pool_result_kind {
	POOL_OK,	     /* the runtime posted a response: `payload` */
	POOL_FUNCTION_ERROR, /* the runtime posted /error: error_type, error_message, payload */
	POOL_TIMEOUT,	     /* past the function's timeout; the worker was killed */
	POOL_EXIT,	     /* the worker exited or crashed holding it ("Runtime.ExitError") */
	POOL_TOO_LARGE,	     /* the response passed POOL_RESPONSE_MAX (the runtime got 413) */
	POOL_INIT_ERROR,     /* the worker failed init (/runtime/init/error, or exit before next) */
	POOL_THROTTLED,	     /* over max_workers and the queue is full (429) */
};

/* The name of a kind ("OK", "FUNCTION_ERROR", ...); "?" when out of range. */
const char *pool_result_kind_name(enum pool_result_kind kind);

/*
 * What the caller gets for one invocation. Everything is borrowed for the
 * duration of the callback only. Strings are never NULL ("" when absent).
 *
 * error_type / error_message: POOL_FUNCTION_ERROR and POOL_INIT_ERROR carry
 * the runtime's (the Lambda-Runtime-Function-Error-Type header, else the
 * body's errorType; the body's errorMessage). The pool fills them in for the
 * others as Lambda reports them: TIMEOUT "Sandbox.Timedout" / "Task timed out
 * after 3.00 seconds", EXIT "Runtime.ExitError" / "RequestId: ... Error:
 * Runtime exited with error: exit status 2" (or "signal: aborted"), TOO_LARGE
 * "Function.ResponseSizeTooLarge", THROTTLED "TooManyRequestsException".
 *
 * payload: the response body (OK), the error document as posted
 * (FUNCTION_ERROR, INIT_ERROR), or a Lambda-style error JSON
 * {"errorMessage":...,"errorType":...} built by the pool (the other kinds).
 */
struct pool_result {
	enum pool_result_kind kind;
	const char *request_id;
	const char *payload;
	size_t payload_len;
	const char *error_type;
	const char *error_message;
	double duration_ms; /* from handing the event to the worker to the outcome; 0 if never */
	double init_duration_ms; /* > 0 on a cold start only: worker spawn to its first `next` */
};

/*
 * Called once per accepted invocation, from the event loop, unless the
 * invocation was cancelled with pool_cancel() first. The pool stays usable
 * inside the callback (pool_invoke() may be called from it; pool_free() may
 * not).
 */
typedef void (*pool_done_fn)(void *arg, const struct pool_result *res);

/*
 * Called once when a generation started by pool_reload() is ready and serving
 * (err 0, why "") or has failed to start (err ERR_CONFIG, ERR_TIMEOUT or
 * ERR_IO, and `why` in words: "init error: Runtime.ConfigError: ...", "exited
 * before its first next: exit status 1", "no next within 10000 ms"). A
 * reload superseded by a later pool_reload() reports err ERR_PRECONDITION.
 */
typedef void (*pool_reload_fn)(void *arg, int err, const char *why);

/*
 * Create the pool of one function on `base`. `api` is the shared Runtime API
 * server the workers talk to (runtime_api_new()); when NULL the pool starts a
 * private one on 127.0.0.1 with an ephemeral port and frees it with the pool.
 * No worker is started until the first invocation (or pool_prewarm()).
 *
 * Returns 0 and *out, or ERR_INVAL (NULL base/cfg/out, no function_name or
 * binary, a name with characters outside [A-Za-z0-9_-]), ERR_IO (the private
 * server could not bind), ERR_NOMEM. *out is NULL on failure.
 */
int pool_new(struct event_base *base, struct runtime_api *api, const struct pool_config *cfg,
	     struct pool **out /* OUT */);

/*
 * Start one worker now (so that the first request is warm). Returns 0, or
 * ERR_IO when the process could not be spawned. A worker failing its init
 * is logged; the next invocation then starts another.
 */
int pool_prewarm(struct pool *pool);

/*
 * Invoke the function with `event` (`len` bytes, usually JSON; copied).
 * `request_id` NULL or "" gets a fresh UUID; it is copied. `done` is called
 * later with the outcome, including POOL_THROTTLED. `out_ticket` (may be NULL)
 * receives a non-zero handle for pool_cancel().
 *
 * Returns 0 when the invocation was accepted (the callback will come), or
 * ERR_INVAL (NULL pool/done, NULL event with len > 0), ERR_TOOLARGE (len over
 * POOL_EVENT_MAX), ERR_NOMEM; no callback is made then.
 */
int pool_invoke(struct pool *pool, const void *event, size_t len, const char *request_id,
		pool_done_fn done, void *arg, uint64_t *out_ticket /* OUT, may be NULL */);

/*
 * Forget the callback of invocation `ticket` (the caller went away). A queued
 * invocation is dropped; a running one runs to its end, and its worker is
 * reused, but nobody is called. Unknown or finished tickets are ignored.
 */
void pool_cancel(struct pool *pool, uint64_t ticket);

/*
 * Start a new generation of workers with `cfg` (a rebuilt binary, a new
 * environment or limits from a changed template; function_name must stay the
 * same). Returns 0 when the new generation is starting (the outcome comes to
 * `done`, which may be NULL, and to the log), or ERR_INVAL / ERR_NOMEM / ERR_IO
 * (spawn failed; the current generation is untouched and `done` is not called).
 * A reload already in progress is abandoned in favour of this one: its `done`
 * gets ERR_PRECONDITION, from inside this call (the one exception to "no
 * callback from inside a pool call").
 */
int pool_reload(struct pool *pool, const struct pool_config *cfg, pool_reload_fn done, void *arg);

/* Counters, for tests, `sluice dev` status and benchmarks. */
struct pool_stats {
	uint32_t workers;      /* live worker processes, all generations */
	uint32_t busy;	       /* workers holding an invocation */
	uint32_t queued;       /* invocations waiting for a worker */
	uint32_t peak_workers; /* most live workers of the serving generation at any time */
	uint32_t generation;   /* the serving generation, 1 at pool_new(), +1 per good reload */
	uint64_t invocations;  /* results delivered (all kinds) */
	uint64_t cold_starts;  /* workers that reached their first `next` */
};

/* Fill `out` (zeros for a NULL pool). */
void pool_get_stats(const struct pool *pool, struct pool_stats *out /* OUT */);

/* ---- observing a pool (the local CloudWatch; src/local/dev_obs.c wires it) ---- */

/*
 * One line a worker wrote (its stdout and stderr), or one of the lines the
 * pool writes for an invocation (START, END and REPORT, "Task timed out",
 * a runtime's exit). Borrowed for the callback; `text` has no newline.
 */
struct pool_line {
	const char *function;
	uint64_t worker;	 /* unique in the process, for the stream it goes to */
	int64_t worker_start_ms; /* when the worker was spawned (Lambda names the stream so) */
	const char *request_id;	 /* the invocation the worker held, "" between invocations */
	const char *text;
	size_t len;
	int64_t ts_ms;
	bool platform; /* written by the pool, not the function */
};

/* An invocation handed to a worker (`start`) or ended (`done`); borrowed. */
struct pool_invocation {
	const char *function;
	const char *request_id;
	const char *trace_id; /* "Root=1-...;Sampled=0", as the worker got it */
	uint32_t busy;	      /* the function's invocations running, this one included */
	pid_t pid;	      /* the worker's process (start only; 0 in done) */
};

struct pool_observer {
	void *arg;
	void (*line)(void *arg, const struct pool_line *l);	     /* may be NULL */
	void (*start)(void *arg, const struct pool_invocation *inv); /* may be NULL */
	void (*done)(void *arg, const struct pool_invocation *inv, const struct pool_result *r);
};

/*
 * Observe `pool` (NULL `obs` stops). With a `line` callback, workers
 * started from now on write to a pipe the pool reads, instead of the log
 * descriptor itself: each line is copied to the log as before and handed to
 * `line`, the worker's output is read to its end before an invocation's END
 * and REPORT lines, so the order stays. `done` is called for every result
 * (throttles included) before the caller's callback. `obs` is copied.
 */
void pool_set_observer(struct pool *pool, const struct pool_observer *obs);

/*
 * Kill every worker (SIGKILL, then reaped), answer nothing more: pending
 * callbacks are not called. Frees a private Runtime API server. Must be called
 * before the shared runtime_api_free() and before event_base_free(). NULL is a
 * no-op.
 */
void pool_free(struct pool *pool);

#endif
