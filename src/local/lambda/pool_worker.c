/*
 * The pool's worker processes (see pool_int.h): spawning one with the
 * environment Lambda gives a function, reading its peak memory for the
 * REPORT line, and noticing its end through SIGCHLD, plus the reaper that
 * stops workers idle past idle_ms.
 *
 * A worker is spawned with posix_spawn, its stdout and stderr on the pool's
 * log descriptor (no relay, so its lines and the REPORT lines stay in order)
 * and stdin on /dev/null, in the directory of its binary. The pool reaps
 * only its own children, with waitpid(pid, WNOHANG) per worker on each
 * SIGCHLD: other code in the process may run children as long as it never
 * calls waitpid(-1). Once waitpid() has reported a pid it may be reused, so
 * a worker found dead is never sent a signal again.
 */
#include "core/common.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/buf.h"
#include "core/grow.h"
#include "core/timeutil.h"
#include "local/lambda/lambda_log.h"
#include "local/lambda/pool_int.h"

/*
 * One "K=V" of a worker's environment. Lambda allows 4 KB for all of a
 * function's variables; locally a template past that still runs, but one
 * entry past 128 KB is a mistake: the worker is not started (ERR_TOOLARGE).
 */
#define POOL_ENV_ENTRY_MAX ((size_t)128 << 10)
/* VmHWM is read again at most this often per worker (the kernel renders all of /proc/pid/status).
 */
#define POOL_HWM_REFRESH_MS 100
/* The reaper runs every idle_ms / 2, within these bounds. */
#define POOL_REAP_MIN_MS 50
#define POOL_REAP_MAX_MS 5000
/* PATH as a provided.al2023 function sees it. */
#define POOL_CHILD_PATH "/usr/local/bin:/usr/bin:/bin:/opt/bin"

/* ---- the child's environment ---- */

/* A NULL-terminated "K=V" array under construction, with a sticky error. */
struct envv {
	char **v;
	size_t n, alloc;
	int err; /* the first failure; later appends do nothing */
};

static void env_addf(struct envv *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_addf(struct envv *e, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	if (e->err || (e->err = ALLOC_GROW(e->v, e->n + 2, e->alloc)) != 0)
		return;
	buf_init(&b, POOL_ENV_ENTRY_MAX);
	va_start(ap, fmt);
	buf_set_error(&b, buf_vaddf(&b, fmt, ap));
	va_end(ap);
	if (!(e->err = buf_error(&b)) && !(e->v[e->n] = buf_detach(&b, NULL)))
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
 * override one of Lambda's (Lambda reserves those names). Checked once, at
 * the end: on failure nothing is left to free.
 */
static int build_env(struct pool *p, struct gen *g, const char *api_path, struct envv *e)
{
	memset(e, 0, sizeof(*e));
	env_addf(e, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%u%s", (unsigned)runtime_api_port(p->api),
		 api_path);
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

/*
 * The kernel renders the whole status file for VmHWM, which cost 5% of
 * sluice's CPU when done per invocation; so under load it is read again at
 * most every POOL_HWM_REFRESH_MS (the peak only grows: a REPORT line may
 * then show the peak of up to 100 ms earlier). The status file stays open:
 * one pread instead of open, read and close; the descriptor belongs to this
 * process instance, so a reused pid cannot mix in.
 */
void pool_worker_hwm(struct worker *w, bool force)
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
	pool_output_close(w);
	free(w);
	g->workers--;
	pool_gen_maybe_free(g);
}

uint32_t pool_worker_count(struct pool *p, struct gen *g, int state)
{
	struct worker *w;
	uint32_t n = 0;

	TAILQ_FOREACH(w, &p->workers, link)
	if ((!g || w->gen == g) &&
	    (state < 0 ? w->state != W_DYING : w->state == (enum wstate)state))
		n++;
	return n;
}

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
	pool_worker_kill(w);
	pool_init_failed(w, ERR_TIMEOUT, "Runtime.InitTimeout", msg);
	pool_dispatch(w->pool);
}

/* posix_spawn the binary of `g` as `w`, with `env`; 0 or the errno of the failure. */
static int spawn_process(struct pool *p, struct gen *g, struct worker *w, char **env)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *self[2] = {g->binary, NULL};
	char **argv = g->argv ? g->argv : self;
	int fd = w->out_wr >= 0 ? w->out_wr : fileno(p->log), rc; /* a pipe when observed */

	pool_log_flush(p);
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
	rc = posix_spawn(&w->pid, g->binary, &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int pool_worker_spawn(struct pool *p, struct gen *g, char *why, size_t why_cap)
{
	char api_path[RUNTIME_API_PATH_MAX];
	struct timeval tv;
	struct envv env;
	struct worker *w;
	int rc, err;

	if (!(w = calloc(1, sizeof(*w))))
		return ERR_NOMEM;
	w->status_fd = -1;
	w->pool = p;
	w->gen = g;
	if ((err = pool_output_open(w)) != 0)
		goto fail;
	if ((err = runtime_api_register(p->api, &pool_worker_ops, w, &w->id, api_path)) != 0)
		goto fail;
	err = ERR_NOMEM;
	if (!(w->start_timer = evtimer_new(p->base, start_timeout_cb, w)))
		goto fail;
	if ((err = build_env(p, g, api_path, &env)) != 0)
		goto fail;
	rc = spawn_process(p, g, w, env.v);
	env_free(&env);
	pool_output_started(w);
	if (rc != 0) {
		snprintf(why, why_cap, "fork/exec %s: %s", g->binary, strerror(rc));
		err = ERR_IO;
		goto fail;
	}
	w->state = W_STARTING;
	w->spawn_ns = time_mono_ns();
	tv = time_tv_ms(g->start_timeout_ms);
	evtimer_add(w->start_timer, &tv);
	TAILQ_INSERT_TAIL(&p->workers, w, link);
	g->workers++;
	if (g == p->serving) {
		uint32_t live = pool_worker_count(p, g, -1);

		p->stats.peak_workers = MAX(p->stats.peak_workers, live);
	}
	return 0;
fail:
	if (why[0] == '\0')
		snprintf(why, why_cap, "cannot start a worker: %s", err_str(err));
	if (w->id)
		runtime_api_unregister(p->api, w->id);
	if (w->start_timer)
		event_free(w->start_timer);
	pool_output_close(w);
	free(w);
	return err;
}

void pool_worker_detach(struct worker *w)
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

void pool_worker_kill(struct worker *w)
{
	if (w->state == W_DYING)
		return;
	pool_worker_detach(w);
	kill(w->pid, SIGKILL);
}

/* ---- SIGCHLD and the reaper ---- */

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

/* A child is gone: what it held fails, and it is replaced on demand. */
static void worker_exited(struct worker *w, int status)
{
	struct pool *p = w->pool;
	enum wstate prev = w->state;
	char how[128], msg[POOL_MESSAGE_MAX];
	struct inv *inv = w->inv;

	describe_status(status, how, sizeof(how));
	pool_worker_detach(w); /* never kill(): the pid is reaped and may be reused */
	if (prev == W_STARTING) {
		snprintf(msg, sizeof(msg), "Runtime exited with error: %s", how);
		pool_init_failed(w, ERR_IO, "Runtime.ExitError", msg);
	} else if (prev == W_BUSY && inv) {
		snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s",
			 inv->rid, how);
		pool_output_drain(w);
		pool_platform_line(p, w, inv->rid, "%s\nRuntime.ExitError", msg);
		pool_finish(inv, POOL_EXIT, NULL, 0, "Runtime.ExitError", msg, "error");
	} else if (prev != W_DYING) {
		pool_note(p, "worker %ld exited while idle: %s", (long)w->pid, how);
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
	pool_dispatch(p);
}

/* Stop idle workers of the serving generation past idle_ms, keeping one warm. */
static void reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	struct gen *g = p->serving;
	uint32_t live = pool_worker_count(p, g, -1);
	int64_t now = time_mono_ns();
	struct worker *w;

	TAILQ_FOREACH(w, &p->workers, link)
	{
		if (live <= 1)
			break;
		if (w->gen == g && w->state == W_IDLE &&
		    now - w->idle_since_ns >= (int64_t)g->idle_ms * 1000000) {
			pool_worker_kill(w);
			live--;
		}
	}
}

int pool_events_start(struct pool *p)
{
	uint32_t every = MIN(MAX(p->serving->idle_ms / 2, POOL_REAP_MIN_MS), POOL_REAP_MAX_MS);
	struct timeval tv = time_tv_ms(every);

	if (!(p->sigchld = evsignal_new(p->base, SIGCHLD, sigchld_cb, p)) ||
	    !(p->reaper = event_new(p->base, -1, EV_PERSIST, reaper_cb, p)))
		return ERR_NOMEM;
	if (evsignal_add(p->sigchld, NULL) != 0)
		return ERR_NOMEM;
	evtimer_add(p->reaper, &tv);
	return 0;
}

void pool_workers_free(struct pool *p)
{
	struct worker *w, *wnext;

	TAILQ_FOREACH(w, &p->workers, link)
	{
		w->inv = NULL;
		pool_worker_kill(w);
	}
	/* The list goes with the pool: its elements are freed without being unlinked. */
	for (w = TAILQ_FIRST(&p->workers); w; w = wnext) {
		int status;

		wnext = TAILQ_NEXT(w, link);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
		w->gen->workers = 0; /* freed later with the generations */
		if (w->start_timer)
			event_free(w->start_timer);
		if (w->status_fd >= 0)
			close(w->status_fd);
		pool_output_close(w);
		free(w);
	}
	TAILQ_INIT(&p->workers);
	if (p->sigchld)
		event_free(p->sigchld);
	if (p->reaper)
		event_free(p->reaper);
	p->sigchld = p->reaper = NULL;
}
