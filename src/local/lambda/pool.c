/*
 * The warm worker pool of one function (see pool.h for the contract).
 *
 * A worker is a child process of one generation (a binary + environment +
 * limits) and moves through STARTING (spawned, no `next` yet) -> IDLE (its
 * `next` is held) -> BUSY (the event was handed over) -> AFTER (its result
 * was posted, no new `next` yet) -> IDLE ..., or to DYING once it is killed
 * or found dead. A worker struct is freed only by the SIGCHLD handler (after
 * waitpid) or pool_free(), never from a callback path, so a pointer to it
 * stays valid across the caller's callbacks.
 *
 * Invocations wait in `queue` until dispatch() hands them to an IDLE worker
 * of the serving generation; results that are known before any worker is
 * involved (THROTTLED, a worker that cannot be spawned or fails its init) are
 * delivered through a zero timer, so that no callback ever runs inside
 * pool_invoke().
 *
 * Workers inherit the log file descriptor as stdout and stderr: the
 * function's own lines and the START/END/REPORT lines land in one stream, in
 * order, without a relay.
 */
#include "core/common.h"

#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "local/lambda/pool.h"
#include "local/lambda/lambda_log.h"
#include "local/lambda/runtime_api.h"

#define POOL_NAME_MAX	    64 /* Lambda's limit on a function name */
#define POOL_REQUEST_ID_MAX 128
#define POOL_TRACE_ID_MAX   96
#define POOL_TYPE_MAX	    128
#define POOL_MESSAGE_MAX    1024
#define POOL_ARN_MAX	    192
#define POOL_ENV_ENTRY_MAX  ((size_t)128 << 10)
#define POOL_EXIT_GRACE_MS  1000 /* a runtime that posted init/error exits within */
#define POOL_REAP_MIN_MS    50
#define POOL_HWM_REFRESH_MS 100 /* VmHWM is read again at most this often per worker */
#define POOL_REAP_MAX_MS    5000
#define POOL_CHILD_PATH	    "/usr/local/bin:/usr/bin:/bin:/opt/bin"

enum wstate { W_STARTING, W_IDLE, W_BUSY, W_AFTER, W_DYING };
enum istate { I_QUEUED, I_RUNNING, I_DEFERRED };

struct gen {
	struct pool *pool;
	uint32_t number;
	char *binary, *handler, *region, *akid, *secret, *token, *log_format, *log_level;
	char *task_root;
	char **fn_env; /* NULL-terminated copies */
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
	struct gen *serving, *pending;
	struct gen_list gens;
	struct worker_list workers;
	struct inv_list queue;	/* I_QUEUED */
	struct inv_list active; /* I_RUNNING and I_DEFERRED */
	uint32_t nqueued;
	struct event *sigchld, *reaper;
	uint64_t next_ticket;
	uint32_t next_gen;
	struct pool_stats stats;
};

static void dispatch(struct pool *p);
static void worker_kill(struct worker *w);

static const struct runtime_api_ops worker_ops;

const char *pool_result_kind_name(enum pool_result_kind kind)
{
	static const char *const names[] = {"OK",	 "FUNCTION_ERROR", "TIMEOUT",  "EXIT",
					    "TOO_LARGE", "INIT_ERROR",	   "THROTTLED"};

	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

static double ms_since(int64_t ns)
{
	return (double)(time_mono_ns() - ns) / 1e6;
}

/* `ms` milliseconds as the struct timeval evtimer_add() takes. */
static struct timeval tv_of_ms(uint32_t ms)
{
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	return tv;
}

/* A pool event of its own, in the log stream beside the Lambda lines. */
static void note(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct pool *p, const char *fmt, ...)
{
	char ts[32], text[POOL_MESSAGE_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	time_rfc3339(ts, time_now_ms(), 1);
	report_line(p->log, "%s\tsluice\tfunction %s: %s", ts, p->name, text);
}

/* "exit status 2" or "signal: aborted", as Lambda (Go's ProcessState) words it. */
static void describe_status(int status, char *out, size_t cap)
{
	if (status < 0) {
		snprintf(out, cap, "exit status unknown");
	} else if (WIFEXITED(status)) {
		snprintf(out, cap, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *s = strsignal(WTERMSIG(status));
		size_t n;

		snprintf(out, cap, "signal: %s", s ? s : "unknown");
		for (n = 8; out[n]; n++)
			if (out[n] >= 'A' && out[n] <= 'Z')
				out[n] = (char)(out[n] - 'A' + 'a');
	} else {
		snprintf(out, cap, "status %d", status);
	}
}

/* ---- generations ---- */

static char *dup_or(const char *s, const char *dflt)
{
	const char *v = s ? s : dflt;

	return v ? strdup(v) : NULL;
}

static void gen_free(struct gen *g)
{
	if (!g)
		return;
	free(g->binary);
	free(g->handler);
	free(g->region);
	free(g->akid);
	free(g->secret);
	free(g->token);
	free(g->log_format);
	free(g->log_level);
	free(g->task_root);
	if (g->fn_env)
		for (char **e = g->fn_env; *e; e++)
			free(*e);
	free(g->fn_env);
	free(g);
}

/* Free a generation nobody serves with and no worker refers to. */
static void gen_maybe_free(struct gen *g)
{
	struct pool *p = g->pool;

	if (g == p->serving || g == p->pending || g->workers > 0)
		return;
	TAILQ_REMOVE(&p->gens, g, link);
	gen_free(g);
}

static int copy_env(struct gen *g, const char *const *env)
{
	size_t n = 0;

	while (env && env[n])
		n++;
	if (!(g->fn_env = calloc(n + 1, sizeof(char *))))
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(g->fn_env[i] = strdup(env[i])))
			return ERR_NOMEM;
	return 0;
}

static int gen_new(struct pool *p, const struct pool_config *cfg, struct gen **out)
{
	char resolved[PATH_MAX];
	struct gen *g = calloc(1, sizeof(*g));
	char *slash;

	*out = NULL;
	if (!g)
		return ERR_NOMEM;
	g->pool = p;
	g->binary = strdup(realpath(cfg->binary, resolved) ? resolved : cfg->binary);
	g->handler = dup_or(cfg->handler, "");
	g->region = dup_or(cfg->region, POOL_DEFAULT_REGION);
	g->akid = dup_or(cfg->access_key_id, NULL);
	g->secret = dup_or(cfg->secret_access_key, NULL);
	g->token = dup_or(cfg->session_token, NULL);
	g->log_format = dup_or(cfg->log_format, NULL);
	g->log_level = dup_or(cfg->log_level, NULL);
	if (!g->binary || !g->handler || !g->region || (cfg->access_key_id && !g->akid) ||
	    (cfg->secret_access_key && !g->secret) || (cfg->session_token && !g->token) ||
	    (cfg->log_format && !g->log_format) || (cfg->log_level && !g->log_level) ||
	    copy_env(g, cfg->env) != 0 || !(g->task_root = strdup(g->binary)))
		goto nomem;
	slash = strrchr(g->task_root, '/');
	if (slash && slash != g->task_root)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	else
		snprintf(g->task_root, strlen(g->task_root) + 1, ".");
	g->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : POOL_DEFAULT_TIMEOUT_MS;
	g->memory_mb = cfg->memory_mb ? cfg->memory_mb : POOL_DEFAULT_MEMORY_MB;
	g->max_workers = cfg->max_workers ? cfg->max_workers : POOL_DEFAULT_MAX_WORKERS;
	g->queue_max = cfg->queue_max ? cfg->queue_max : POOL_DEFAULT_QUEUE_MAX;
	g->idle_ms = cfg->idle_ms ? cfg->idle_ms : POOL_DEFAULT_IDLE_MS;
	g->start_timeout_ms =
		cfg->start_timeout_ms ? cfg->start_timeout_ms : POOL_DEFAULT_START_TIMEOUT_MS;
	snprintf(g->arn, sizeof(g->arn), "arn:aws:lambda:%s:%s:function:%s", g->region,
		 LOCAL_ACCOUNT_ID, p->name);
	g->number = ++p->next_gen;
	g->started_ns = time_mono_ns();
	TAILQ_INSERT_TAIL(&p->gens, g, link);
	*out = g;
	return 0;
nomem:
	gen_free(g);
	return ERR_NOMEM;
}

/* ---- the child's environment ---- */

struct envv {
	char **v;
	size_t n, alloc;
	int err;
};

static void env_addf(struct envv *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_addf(struct envv *e, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	if (e->err)
		return;
	if (e->n + 2 > e->alloc) {
		size_t na = e->alloc ? e->alloc * 2 : 32;
		char **v = realloc(e->v, na * sizeof(char *));

		if (!v) {
			e->err = ERR_NOMEM;
			return;
		}
		e->v = v;
		e->alloc = na;
	}
	buf_init(&b, POOL_ENV_ENTRY_MAX);
	va_start(ap, fmt);
	e->err = buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!e->err && !(e->v[e->n] = buf_detach(&b, NULL)))
		e->err = ERR_NOMEM;
	buf_release(&b);
	if (!e->err)
		e->v[++e->n] = NULL;
}

static void env_free(struct envv *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
}

/* True when the entry "K=V" names a variable the pool already set. */
static bool env_has(const struct envv *e, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);

	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->v[i], entry, klen) == 0 && e->v[i][klen] == '=')
			return true;
	return false;
}

/*
 * Lambda's variables first, then the function's own, minus any that would
 * override one of Lambda's (Lambda reserves those names).
 */
static int build_env(struct pool *p, struct gen *g, uint64_t id, struct envv *e)
{
	memset(e, 0, sizeof(*e));
	env_addf(e, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%u/w/%" PRIu64,
		 (unsigned)runtime_api_port(p->api), id);
	env_addf(e, "_HANDLER=%s", g->handler);
	env_addf(e, "AWS_LAMBDA_FUNCTION_NAME=%s", p->name);
	env_addf(e, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%" PRIu32, g->memory_mb);
	env_addf(e, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
	env_addf(e, "AWS_REGION=%s", g->region);
	env_addf(e, "AWS_DEFAULT_REGION=%s", g->region);
	if (g->akid)
		env_addf(e, "AWS_ACCESS_KEY_ID=%s", g->akid);
	if (g->secret)
		env_addf(e, "AWS_SECRET_ACCESS_KEY=%s", g->secret);
	if (g->token)
		env_addf(e, "AWS_SESSION_TOKEN=%s", g->token);
	if (g->log_format)
		env_addf(e, "AWS_LAMBDA_LOG_FORMAT=%s", g->log_format);
	if (g->log_level)
		env_addf(e, "AWS_LAMBDA_LOG_LEVEL=%s", g->log_level);
	env_addf(e, "TZ=:UTC");
	env_addf(e, "LAMBDA_TASK_ROOT=%s", g->task_root);
	env_addf(e, "PATH=%s", POOL_CHILD_PATH);
	for (char **v = g->fn_env; *v; v++)
		if (strchr(*v, '=') && **v != '=' && !env_has(e, *v))
			env_addf(e, "%s", *v);
	if (e->err) {
		env_free(e);
		return e->err;
	}
	return 0;
}

/* ---- workers ---- */

static void start_timeout_cb(evutil_socket_t fd, short what, void *arg);

/*
 * The worker's peak memory (VmHWM) for its REPORT line, into w->hwm_mb. The
 * kernel renders the whole status file for it, which cost 5% of sluice's CPU
 * when done per invocation; so under load it is read again at most every
 * POOL_HWM_REFRESH_MS (the peak only grows: a REPORT line may then show the
 * peak of up to 100 ms earlier), and always when `force` (a timeout, the
 * first result). The status file stays open: one pread instead of open, read
 * and close; the descriptor belongs to this process instance, so a reused pid
 * cannot mix in.
 */
static void worker_hwm(struct worker *w, bool force)
{
	int64_t now = time_mono_ns();
	char path[64];
	uint32_t mb;

	if (!force && w->hwm_read_ns && now - w->hwm_read_ns < POOL_HWM_REFRESH_MS * 1000000LL)
		return;
	if (w->status_fd < 0 && w->pid > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)w->pid);
		w->status_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	mb = report_vmhwm_mb_fd(w->status_fd);
	if (mb > w->hwm_mb)
		w->hwm_mb = mb;
	w->hwm_read_ns = now;
}

static void worker_free(struct worker *w)
{
	struct pool *p = w->pool;
	struct gen *g = w->gen;

	TAILQ_REMOVE(&p->workers, w, link);
	if (w->held)
		runtime_api_answer_gone(w->held);
	if (w->id)
		runtime_api_unregister(p->api, w->id);
	if (w->start_timer)
		event_free(w->start_timer);
	if (w->status_fd >= 0)
		close(w->status_fd);
	free(w);
	g->workers--;
	gen_maybe_free(g);
}

static uint32_t count_workers(struct pool *p, struct gen *g, int state)
{
	struct worker *w;
	uint32_t n = 0;

	TAILQ_FOREACH(w, &p->workers, link)
	if ((!g || w->gen == g) &&
	    (state < 0 ? w->state != W_DYING : w->state == (enum wstate)state))
		n++;
	return n;
}

static int spawn_worker(struct pool *p, struct gen *g, char *why, size_t why_cap)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	struct timeval tv;
	struct envv env;
	struct worker *w;
	char *argv[2];
	int rc, fd, err;

	if (!(w = calloc(1, sizeof(*w))))
		return ERR_NOMEM;
	w->status_fd = -1;
	w->pool = p;
	w->gen = g;
	if ((err = runtime_api_register(p->api, &worker_ops, w, &w->id)) != 0)
		goto fail;
	if (!(w->start_timer = evtimer_new(p->base, start_timeout_cb, w)))
		goto nomem;
	if ((err = build_env(p, g, w->id, &env)) != 0)
		goto fail;
	fd = fileno(p->log);
	fflush(p->log);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (fd >= 0 && fd != 1)
		posix_spawn_file_actions_adddup2(&fa, fd, 1);
	if (fd >= 0 && fd != 2)
		posix_spawn_file_actions_adddup2(&fa, fd, 2);
	posix_spawn_file_actions_addchdir_np(&fa, g->task_root);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGCHLD);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	argv[0] = g->binary;
	argv[1] = NULL;
	rc = posix_spawn(&w->pid, g->binary, &fa, &attr, argv, env.v);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	env_free(&env);
	if (rc != 0) {
		snprintf(why, why_cap, "fork/exec %s: %s", g->binary, strerror(rc));
		err = ERR_IO;
		goto fail;
	}
	w->state = W_STARTING;
	w->spawn_ns = time_mono_ns();
	tv = tv_of_ms(g->start_timeout_ms);
	evtimer_add(w->start_timer, &tv);
	TAILQ_INSERT_TAIL(&p->workers, w, link);
	g->workers++;
	if (g == p->serving) {
		uint32_t live = count_workers(p, g, -1);

		p->stats.peak_workers = MAX(p->stats.peak_workers, live);
	}
	return 0;
nomem:
	err = ERR_NOMEM;
fail:
	if (why[0] == '\0')
		snprintf(why, why_cap, "cannot start a worker: %s", err_str(err));
	if (w->id)
		runtime_api_unregister(p->api, w->id);
	if (w->start_timer)
		event_free(w->start_timer);
	free(w);
	return err;
}

/* No more routing to `w`: its held `next` is answered, its registration dropped. */
static void worker_detach(struct worker *w)
{
	if (w->held) {
		runtime_api_answer_gone(w->held);
		w->held = NULL;
	}
	if (w->id) {
		runtime_api_unregister(w->pool->api, w->id);
		w->id = 0;
	}
	evtimer_del(w->start_timer);
	w->state = W_DYING;
}

/* SIGKILL, and no more routing; the struct is freed once waitpid() reports. */
static void worker_kill(struct worker *w)
{
	if (w->state == W_DYING)
		return;
	worker_detach(w);
	kill(w->pid, SIGKILL);
}

/* ---- invocations ---- */

static void inv_free(struct inv *inv)
{
	if (inv->timer)
		event_free(inv->timer);
	free(inv->event);
	free(inv);
}

static void inv_unlink(struct inv *inv)
{
	struct pool *p = inv->pool;

	if (inv->state == I_QUEUED) {
		TAILQ_REMOVE(&p->queue, inv, link);
		p->nqueued--;
	} else {
		TAILQ_REMOVE(&p->active, inv, link);
	}
}

static char *error_json(const char *type, const char *msg)
{
	json_t *o = json_pack("{s:s, s:s}", "errorMessage", msg, "errorType", type);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

/*
 * Deliver the outcome of `inv` and free it. `status` is the REPORT's
 * ("timeout", "error" or NULL). For an invocation a worker held, the worker's
 * state has already been moved on by the caller.
 */
static void finish(struct inv *inv, enum pool_result_kind kind, const char *payload, size_t len,
		   const char *etype, const char *emsg, const char *status)
{
	struct pool *p = inv->pool;
	struct worker *w = inv->worker;
	struct pool_result res;
	char *built = NULL;

	inv_unlink(inv);
	evtimer_del(inv->timer);
	memset(&res, 0, sizeof(res));
	res.duration_ms = inv->start_ns ? ms_since(inv->start_ns) : 0;
	if (w) {
		struct report r = {
			.request_id = inv->rid,
			.duration_ms = res.duration_ms,
			.init_duration_ms = inv->init_ms,
			.memory_mb = w->gen->memory_mb,
			.max_memory_used_mb = w->hwm_mb,
			.status = status,
			.error_type = etype,
		};

		w->inv = NULL;
		snprintf(w->last_rid, sizeof(w->last_rid), "%s", inv->rid);
		report_end_report(p->log, &r);
	}
	if (!payload) {
		built = error_json(etype, emsg);
		payload = built ? built : "{}";
		len = strlen(payload);
	}
	res.kind = kind;
	res.request_id = inv->rid;
	res.payload = payload;
	res.payload_len = len;
	res.error_type = etype ? etype : "";
	res.error_message = emsg ? emsg : "";
	res.init_duration_ms = inv->init_ms;
	p->stats.invocations++;
	if (inv->done)
		inv->done(inv->arg, &res);
	free(built);
	inv_free(inv);
}

/* Deliver a result from the event loop rather than from the current call. */
static void defer(struct inv *inv, enum pool_result_kind kind, const char *type, const char *msg)
{
	struct timeval zero = {0, 0};

	inv_unlink(inv);
	inv->state = I_DEFERRED;
	TAILQ_INSERT_TAIL(&inv->pool->active, inv, link);
	inv->dkind = kind;
	snprintf(inv->dtype, sizeof(inv->dtype), "%s", type);
	snprintf(inv->dmsg, sizeof(inv->dmsg), "%s", msg);
	evtimer_add(inv->timer, &zero);
}

static void fail_queue_head(struct pool *p, enum pool_result_kind kind, const char *type,
			    const char *msg)
{
	struct inv *inv = TAILQ_FIRST(&p->queue);

	if (inv)
		defer(inv, kind, type, msg);
}

static void assign(struct worker *w, struct inv *inv)
{
	struct pool *p = w->pool;
	struct timeval tv;

	inv_unlink(inv);
	inv->state = I_RUNNING;
	TAILQ_INSERT_TAIL(&p->active, inv, link);
	inv->worker = w;
	inv->start_ns = time_mono_ns();
	if (w->cold_pending) {
		inv->init_ms = w->init_ms;
		w->cold_pending = false;
	}
	w->inv = inv;
	w->state = W_BUSY;
	report_start(p->log, inv->rid);
	runtime_api_answer_next(w->held, inv->event, inv->len, inv->rid,
				time_now_ms() + w->gen->timeout_ms, w->gen->arn, inv->trace);
	w->held = NULL;
	tv = tv_of_ms(w->gen->timeout_ms);
	evtimer_add(inv->timer, &tv);
}

static struct worker *find_idle(struct pool *p)
{
	struct worker *w, *best = NULL;

	/* The most recently idle one, so that the others grow old enough to be reaped. */
	TAILQ_FOREACH(w, &p->workers, link)
	if (w->gen == p->serving && w->state == W_IDLE &&
	    (!best || w->idle_since_ns > best->idle_since_ns))
		best = w;
	return best;
}

/*
 * Workers of `g` that will ask for `next` without help: those starting, and
 * those that have just answered (AFTER), whose `next` is on its way. A queued
 * invocation waits for one of them rather than cold-starting another worker,
 * as Lambda reuses a warm environment that is about to be free.
 */
static uint32_t workers_coming(struct pool *p, struct gen *g)
{
	return count_workers(p, g, W_STARTING) + count_workers(p, g, W_AFTER);
}

/* Hand queued invocations to idle workers; start workers for the rest, within the limits. */
static void dispatch(struct pool *p)
{
	struct gen *g = p->serving;
	struct worker *w;
	struct inv *inv;
	char why[POOL_MESSAGE_MAX];

	while ((inv = TAILQ_FIRST(&p->queue)) && (w = find_idle(p)))
		assign(w, inv);
	while (p->nqueued > workers_coming(p, g) && count_workers(p, g, -1) < g->max_workers) {
		why[0] = '\0';
		if (spawn_worker(p, g, why, sizeof(why)) == 0)
			continue;
		note(p, "%s", why);
		fail_queue_head(p, POOL_INIT_ERROR, "Runtime.InvalidEntrypoint", why);
	}
}

/* ---- generation outcomes ---- */

static void reload_finished(struct pool *p, struct gen *g, int err, const char *why)
{
	pool_reload_fn done = g->done;
	void *arg = g->done_arg;

	g->done = NULL;
	if (done)
		done(arg, err, why);
}

static void kill_generation(struct pool *p, struct gen *g, bool keep_busy)
{
	struct worker *w;

	TAILQ_FOREACH(w, &p->workers, link)
	if (w->gen == g && !(keep_busy && w->state == W_BUSY))
		worker_kill(w);
}

static void reload_failed(struct pool *p, int err, const char *why)
{
	struct gen *g = p->pending;

	p->pending = NULL;
	note(p, "reload failed: %s; generation %" PRIu32 " keeps serving", why, p->serving->number);
	kill_generation(p, g, false);
	reload_finished(p, g, err, why);
	gen_maybe_free(g);
}

/* A worker of the pending generation asked for `next`: it serves from now on. */
static void generation_ready(struct pool *p, struct gen *g)
{
	struct gen *old = p->serving;

	p->serving = g;
	p->pending = NULL;
	p->stats.generation = g->number;
	note(p,
	     "generation %" PRIu32 " serving (ready in %.2f ms); generation %" PRIu32
	     " finishes what it holds and stops",
	     g->number, ms_since(g->started_ns), old->number);
	kill_generation(p, old, true);
	reload_finished(p, g, 0, "");
	gen_maybe_free(old);
}

/* A worker failed before its first `next` (init error, exit, start timeout). */
static void init_failed(struct worker *w, int err, const char *type, const char *msg)
{
	struct pool *p = w->pool;
	char why[POOL_MESSAGE_MAX + POOL_TYPE_MAX + 32];

	snprintf(why, sizeof(why), "%s: %s", type, msg);
	if (w->gen == p->pending) {
		reload_failed(p, err, why);
		return;
	}
	note(p, "worker failed to start: %s", why);
	if (w->gen == p->serving)
		fail_queue_head(p, POOL_INIT_ERROR, type, msg);
}

/* ---- Runtime API callbacks ---- */

static enum runtime_api_verdict unknown_id(struct worker *w, const char *rid, const char **msg)
{
	if (w->last_rid[0] && strcmp(rid, w->last_rid) == 0) {
		*msg = "Invalid state transition: this invocation already has its result";
		return RT_INVALID_STATE;
	}
	*msg = "Invalid request ID";
	return RT_INVALID_ID;
}

/* After a result: an old generation's worker stops, a current one waits for `next`. */
static void after_result(struct worker *w)
{
	struct pool *p = w->pool;

	if (w->state == W_AFTER && w->gen != p->serving)
		worker_kill(w);
	dispatch(p);
}

static bool too_large(struct worker *w, struct inv *inv, size_t len, const char **msg)
{
	char text[POOL_MESSAGE_MAX];

	if (len <= POOL_RESPONSE_MAX)
		return false;
	snprintf(text, sizeof(text),
		 "Response payload size (%zu bytes) exceeded maximum allowed payload size "
		 "(%d bytes).",
		 len, POOL_RESPONSE_MAX);
	w->state = W_AFTER;
	*msg = "Exceeded maximum allowed payload size";
	finish(inv, POOL_TOO_LARGE, NULL, 0, "Function.ResponseSizeTooLarge", text, "error");
	return true;
}

static enum runtime_api_verdict on_response(void *ctx, const char *rid, const char *body,
					    size_t len, const char **msg)
{
	struct worker *w = ctx;
	struct inv *inv = w->inv;

	if (w->state != W_BUSY || !inv || strcmp(rid, inv->rid) != 0)
		return unknown_id(w, rid, msg);
	worker_hwm(w, false);
	if (too_large(w, inv, len, msg)) {
		after_result(w);
		return RT_TOO_LARGE;
	}
	w->state = W_AFTER;
	finish(inv, POOL_OK, body, len, "", "", NULL);
	after_result(w);
	return RT_ACCEPTED;
}

/* errorType and errorMessage of a posted error document; the header wins for the type. */
static void parse_error(const char *hdr_type, const char *body, size_t len, char *type, size_t tcap,
			char *msg, size_t mcap)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const char *t = jsonx_str(doc, "errorType"), *m = jsonx_str(doc, "errorMessage");

	snprintf(type, tcap, "%s", hdr_type && *hdr_type ? hdr_type : t ? t : "Unhandled");
	snprintf(msg, mcap, "%s", m ? m : "");
	json_decref(doc);
}

static enum runtime_api_verdict on_error(void *ctx, const char *rid, const char *hdr_type,
					 const char *body, size_t len, const char **msg)
{
	struct worker *w = ctx;
	struct inv *inv = w->inv;
	char type[POOL_TYPE_MAX], text[POOL_MESSAGE_MAX];

	if (w->state != W_BUSY || !inv || strcmp(rid, inv->rid) != 0)
		return unknown_id(w, rid, msg);
	worker_hwm(w, false);
	if (too_large(w, inv, len, msg)) {
		after_result(w);
		return RT_TOO_LARGE;
	}
	parse_error(hdr_type, body, len, type, sizeof(type), text, sizeof(text));
	w->state = W_AFTER;
	finish(inv, POOL_FUNCTION_ERROR, len ? body : NULL, len, type, text, "error");
	after_result(w);
	return RT_ACCEPTED;
}

static enum runtime_api_verdict on_init_error(void *ctx, const char *hdr_type, const char *body,
					      size_t len, const char **msg)
{
	struct timeval grace = tv_of_ms(POOL_EXIT_GRACE_MS);
	struct worker *w = ctx;
	char type[POOL_TYPE_MAX], text[POOL_MESSAGE_MAX];

	if (w->state != W_STARTING) {
		*msg = "Invalid state transition: init/error after the first next";
		return RT_INVALID_STATE;
	}
	parse_error(hdr_type, body, len, type, sizeof(type), text, sizeof(text));
	if (strcmp(type, "Unhandled") == 0)
		snprintf(type, sizeof(type), "Runtime.Unknown");
	/*
	 * The runtime gets its 202 and exits by itself, as Lambda's runtimes do
	 * after an init error; one that lingers is killed after a grace period.
	 */
	worker_detach(w);
	evtimer_add(w->start_timer, &grace);
	init_failed(w, ERR_CONFIG, type, text);
	dispatch(w->pool);
	return RT_ACCEPTED;
}

static void on_next(void *ctx, struct evhttp_request *req)
{
	struct worker *w = ctx;
	struct pool *p = w->pool;

	switch (w->state) {
	case W_STARTING:
		evtimer_del(w->start_timer);
		w->init_ms = ms_since(w->spawn_ns);
		w->cold_pending = true;
		p->stats.cold_starts++;
		break;
	case W_AFTER:
		break;
	case W_IDLE:
		/* A second `next` replaces the first (the runtime reconnected). */
		runtime_api_answer_gone(w->held);
		w->held = NULL;
		break;
	case W_BUSY:
		runtime_api_answer_error(req, 403, "InvalidStateTransition",
					 "Invalid state transition: next while an invocation is "
					 "in progress");
		return;
	case W_DYING:
		runtime_api_answer_gone(req);
		return;
	}
	w->state = W_IDLE;
	w->held = req;
	w->idle_since_ns = time_mono_ns();
	if (w->gen == p->pending)
		generation_ready(p, w->gen);
	dispatch(p);
}

static const struct runtime_api_ops worker_ops = {
	.next = on_next,
	.response = on_response,
	.error = on_error,
	.init_error = on_init_error,
};

/* ---- events: timers and SIGCHLD ---- */

static void start_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char msg[POOL_MESSAGE_MAX];

	if (w->state == W_DYING) {
		kill(w->pid, SIGKILL); /* not reaped yet: the pid is still ours */
		return;
	}
	if (w->state != W_STARTING)
		return;
	snprintf(msg, sizeof(msg), "no next within %" PRIu32 " ms", w->gen->start_timeout_ms);
	worker_kill(w);
	init_failed(w, ERR_TIMEOUT, "Runtime.InitTimeout", msg);
	dispatch(w->pool);
}

static void timed_out(struct inv *inv)
{
	struct worker *w = inv->worker;
	struct pool *p = inv->pool;
	char ts[32], msg[POOL_MESSAGE_MAX];

	snprintf(msg, sizeof(msg), "Task timed out after %.2f seconds",
		 (double)w->gen->timeout_ms / 1000.0);
	time_rfc3339(ts, time_now_ms(), 1);
	report_line(p->log, "%s %s %s", ts, inv->rid, msg);
	worker_hwm(w, true);
	worker_kill(w);
	finish(inv, POOL_TIMEOUT, NULL, 0, "Sandbox.Timedout", msg, "timeout");
	dispatch(p);
}

static void inv_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inv *inv = arg;

	if (inv->state == I_DEFERRED)
		finish(inv, inv->dkind, NULL, 0, inv->dtype, inv->dmsg, NULL);
	else if (inv->state == I_RUNNING)
		timed_out(inv);
}

/* A child is gone: what it held fails, and it is replaced on demand. */
static void worker_exited(struct worker *w, int status)
{
	struct pool *p = w->pool;
	enum wstate prev = w->state;
	char how[128], msg[POOL_MESSAGE_MAX];
	struct inv *inv = w->inv;

	describe_status(status, how, sizeof(how));
	worker_detach(w); /* never kill(): the pid is reaped and may be reused */
	if (prev == W_STARTING) {
		snprintf(msg, sizeof(msg), "Runtime exited with error: %s", how);
		init_failed(w, ERR_IO, "Runtime.ExitError", msg);
	} else if (prev == W_BUSY && inv) {
		snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s",
			 inv->rid, how);
		report_line(p->log, "%s\nRuntime.ExitError", msg);
		finish(inv, POOL_EXIT, NULL, 0, "Runtime.ExitError", msg, "error");
	} else if (prev != W_DYING) {
		note(p, "worker %ld exited while idle: %s", (long)w->pid, how);
	}
	worker_free(w);
}

static void sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	struct worker *w;
	bool again = true;

	while (again) {
		again = false;
		TAILQ_FOREACH(w, &p->workers, link)
		{
			int status = 0;
			/*
			 * A worker freed by worker_exited() was unlinked first: TAILQ_REMOVE
			 * writes the list head through tqe_prev, which the analyzer does not
			 * follow, so it thinks the rescan starts from the freed worker.
			 */
			/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): see above */
			pid_t r = waitpid(w->pid, &status, WNOHANG);

			if (r == w->pid || (r < 0 && errno == ECHILD)) {
				worker_exited(w, r == w->pid ? status : -1);
				again = true;
				break;
			}
		}
	}
	dispatch(p);
}

/* Stop idle workers of the serving generation past idle_ms, keeping one warm. */
static void reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	struct gen *g = p->serving;
	uint32_t live = count_workers(p, g, -1);
	int64_t now = time_mono_ns();
	struct worker *w;

	TAILQ_FOREACH(w, &p->workers, link)
	{
		if (live <= 1)
			break;
		if (w->gen == g && w->state == W_IDLE &&
		    now - w->idle_since_ns >= (int64_t)g->idle_ms * 1000000) {
			worker_kill(w);
			live--;
		}
	}
}

/* ---- the API ---- */

static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > POOL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

int pool_new(struct event_base *base, struct runtime_api *api, const struct pool_config *cfg,
	     struct pool **out)
{
	struct timeval tv;
	struct pool *p;
	uint32_t every;
	int err;

	if (!out)
		return ERR_INVAL;
	*out = NULL;
	if (!base || !cfg || !cfg->binary || !*cfg->binary || !valid_name(cfg->function_name))
		return ERR_INVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return ERR_NOMEM;
	p->base = base;
	p->log = cfg->log ? cfg->log : stderr;
	snprintf(p->name, sizeof(p->name), "%s", cfg->function_name);
	TAILQ_INIT(&p->gens);
	TAILQ_INIT(&p->workers);
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->active);
	p->api = api;
	if (!api) {
		if ((err = runtime_api_new(base, "127.0.0.1", 0, &p->api)) != 0)
			goto fail;
		p->api_owned = true;
	}
	if ((err = gen_new(p, cfg, &p->serving)) != 0)
		goto fail;
	p->stats.generation = p->serving->number;
	err = ERR_NOMEM;
	if (!(p->sigchld = evsignal_new(base, SIGCHLD, sigchld_cb, p)) ||
	    !(p->reaper = event_new(base, -1, EV_PERSIST, reaper_cb, p)))
		goto fail;
	if (evsignal_add(p->sigchld, NULL) != 0)
		goto fail;
	every = MIN(MAX(p->serving->idle_ms / 2, POOL_REAP_MIN_MS), POOL_REAP_MAX_MS);
	tv = tv_of_ms(every);
	evtimer_add(p->reaper, &tv);
	*out = p;
	return 0;
fail:
	pool_free(p);
	return err;
}

int pool_prewarm(struct pool *pool)
{
	char why[POOL_MESSAGE_MAX] = "";
	int err;

	if (!pool)
		return ERR_INVAL;
	if (count_workers(pool, pool->serving, -1) >= pool->serving->max_workers)
		return 0;
	if ((err = spawn_worker(pool, pool->serving, why, sizeof(why))) != 0)
		note(pool, "%s", why);
	return err;
}

/* "Root=1-<8 hex seconds>-<24 hex>;Sampled=0", as X-Ray formats a trace id. */
static void make_trace_id(char *out, size_t cap)
{
	char u[UUID_STR_LEN + 1], hex[25];
	size_t n = 0;

	if (uuid_v4(u) != 0) {
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; u[i] && n < 24; i++)
		if (u[i] != '-')
			hex[n++] = u[i];
	hex[n] = '\0';
	snprintf(out, cap, "Root=1-%08" PRIx64 "-%s;Sampled=0",
		 (uint64_t)(time_now_ms() / 1000) & 0xffffffffu, hex);
}

int pool_invoke(struct pool *pool, const void *event, size_t len, const char *request_id,
		pool_done_fn done, void *arg, uint64_t *out_ticket)
{
	struct gen *g;
	struct inv *inv;

	if (out_ticket)
		*out_ticket = 0;
	if (!pool || !done || (!event && len > 0))
		return ERR_INVAL;
	if (len > POOL_EVENT_MAX)
		return ERR_TOOLARGE;
	if (request_id && strlen(request_id) > POOL_REQUEST_ID_MAX)
		return ERR_INVAL;
	if (!(inv = calloc(1, sizeof(*inv))))
		return ERR_NOMEM;
	inv->pool = pool;
	if (!(inv->event = malloc(len + 1)) ||
	    !(inv->timer = evtimer_new(pool->base, inv_timer_cb, inv))) {
		inv_free(inv);
		return ERR_NOMEM;
	}
	if (len)
		memcpy(inv->event, event, len);
	inv->event[len] = '\0';
	inv->len = len;
	if (request_id && *request_id)
		snprintf(inv->rid, sizeof(inv->rid), "%s", request_id);
	else if (uuid_v4(inv->rid) != 0) {
		inv_free(inv);
		return ERR_IO;
	}
	make_trace_id(inv->trace, sizeof(inv->trace));
	inv->done = done;
	inv->arg = arg;
	inv->ticket = ++pool->next_ticket;
	inv->state = I_QUEUED;
	TAILQ_INSERT_TAIL(&pool->queue, inv, link);
	pool->nqueued++;
	dispatch(pool);
	g = pool->serving;
	if (inv->state == I_QUEUED && pool->nqueued > workers_coming(pool, g) + g->queue_max) {
		note(pool, "throttled: %" PRIu32 " workers busy and %" PRIu32 " invocations queued",
		     count_workers(pool, NULL, W_BUSY), pool->nqueued - 1);
		defer(inv, POOL_THROTTLED, "TooManyRequestsException", "Rate Exceeded.");
	}
	if (out_ticket)
		*out_ticket = inv->ticket;
	return 0;
}

void pool_cancel(struct pool *pool, uint64_t ticket)
{
	struct inv *inv;

	if (!pool || !ticket)
		return;
	TAILQ_FOREACH(inv, &pool->queue, link)
	if (inv->ticket == ticket) {
		inv_unlink(inv);
		inv_free(inv);
		return;
	}
	TAILQ_FOREACH(inv, &pool->active, link)
	if (inv->ticket == ticket) {
		inv->done = NULL;
		return;
	}
}

int pool_reload(struct pool *pool, const struct pool_config *cfg, pool_reload_fn done, void *arg)
{
	char why[POOL_MESSAGE_MAX] = "";
	struct gen *g, *old;
	int err;

	if (!pool || !cfg || !cfg->binary || !*cfg->binary)
		return ERR_INVAL;
	if (cfg->function_name && strcmp(cfg->function_name, pool->name) != 0)
		return ERR_INVAL;
	if ((err = gen_new(pool, cfg, &g)) != 0)
		return err;
	if ((err = spawn_worker(pool, g, why, sizeof(why))) != 0) {
		note(pool, "reload failed: %s; generation %" PRIu32 " keeps serving", why,
		     pool->serving->number);
		gen_maybe_free(g);
		return err;
	}
	if ((old = pool->pending) != NULL) {
		pool->pending = NULL;
		kill_generation(pool, old, false);
		reload_finished(pool, old, ERR_PRECONDITION, "superseded by a newer reload");
		gen_maybe_free(old);
	}
	pool->pending = g;
	g->done = done;
	g->done_arg = arg;
	note(pool, "reload: generation %" PRIu32 " starting (%s)", g->number, g->binary);
	return 0;
}

void pool_get_stats(const struct pool *pool, struct pool_stats *out)
{
	struct worker *w;

	memset(out, 0, sizeof(*out));
	if (!pool)
		return;
	*out = pool->stats;
	out->workers = 0;
	out->busy = 0;
	TAILQ_FOREACH(w, &pool->workers, link)
	{
		if (w->state != W_DYING)
			out->workers++;
		if (w->state == W_BUSY)
			out->busy++;
	}
	out->queued = pool->nqueued;
}

void pool_free(struct pool *pool)
{
	struct worker *w, *wnext;
	struct inv *inv, *inext;
	struct gen *g, *gnext;

	if (!pool)
		return;
	TAILQ_FOREACH(w, &pool->workers, link)
	{
		w->inv = NULL;
		worker_kill(w);
	}
	/* The lists go with the pool: their elements are freed without being unlinked. */
	for (w = TAILQ_FIRST(&pool->workers); w; w = wnext) {
		int status;

		wnext = TAILQ_NEXT(w, link);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
		w->gen->workers = 0; /* freed below with the generations */
		if (w->start_timer)
			event_free(w->start_timer);
		if (w->status_fd >= 0)
			close(w->status_fd);
		free(w);
	}
	for (inv = TAILQ_FIRST(&pool->queue); inv; inv = inext) {
		inext = TAILQ_NEXT(inv, link);
		inv_free(inv);
	}
	for (inv = TAILQ_FIRST(&pool->active); inv; inv = inext) {
		inext = TAILQ_NEXT(inv, link);
		inv_free(inv);
	}
	for (g = TAILQ_FIRST(&pool->gens); g; g = gnext) {
		gnext = TAILQ_NEXT(g, link);
		gen_free(g);
	}
	if (pool->sigchld)
		event_free(pool->sigchld);
	if (pool->reaper)
		event_free(pool->reaper);
	if (pool->api_owned)
		runtime_api_free(pool->api);
	free(pool);
}
