/*
 * Generations and reload (see pool_int.h). A generation is what one set of
 * workers runs: the binary, the environment and the limits of one
 * pool_config, copied. pool_reload() starts a pending generation with one
 * worker; the first `next` of that worker makes it the serving generation
 * (generation_ready), and the old one finishes what it holds and stops. A
 * pending generation whose worker fails before that is discarded and the
 * serving one never noticed it.
 *
 * A generation is freed only once nobody serves with it and no worker
 * struct refers to it (pool_gen_maybe_free), since dying workers of an old
 * generation still read its limits until SIGCHLD reaps them.
 */
#include "core/common.h"

#include "core/timeutil.h"
#include "local/lambda/pool_int.h"

static char *dup_or(const char *s, const char *dflt)
{
	const char *v = s ? s : dflt;

	return v ? strdup(v) : NULL;
}

void pool_gen_free(struct gen *g)
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
	if (g->argv)
		for (char **a = g->argv; *a; a++)
			free(*a);
	free(g->argv);
	if (g->fn_env)
		for (char **e = g->fn_env; *e; e++)
			free(*e);
	free(g->fn_env);
	free(g);
}

void pool_gen_maybe_free(struct gen *g)
{
	struct pool *p = g->pool;

	if (g == p->serving || g == p->pending || g->workers > 0)
		return;
	TAILQ_REMOVE(&p->gens, g, link);
	pool_gen_free(g);
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

/* A NULL-terminated copy of `v` into *out; NULL `v` leaves *out NULL. */
static int copy_strv(char ***out, const char *const *v)
{
	size_t n = 0;

	*out = NULL;
	while (v && v[n])
		n++;
	if (!v)
		return 0;
	if (!(*out = calloc(n + 1, sizeof(char *))))
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (!((*out)[i] = strdup(v[i])))
			return ERR_NOMEM;
	return 0;
}

/*
 * LAMBDA_TASK_ROOT: the configured code folder, else the directory of the
 * binary ("/" for "/x", "." for "x").
 */
static int set_task_root(struct gen *g, const char *task_root)
{
	char *slash;

	if (task_root)
		return (g->task_root = strdup(task_root)) ? 0 : ERR_NOMEM;
	if (!(g->task_root = strdup(g->binary)))
		return ERR_NOMEM;
	slash = strrchr(g->task_root, '/');
	if (slash && slash != g->task_root)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	else
		snprintf(g->task_root, strlen(g->task_root) + 1, ".");
	return 0;
}

static void set_limits(struct gen *g, const struct pool_config *cfg)
{
	g->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : POOL_DEFAULT_TIMEOUT_MS;
	g->memory_mb = cfg->memory_mb ? cfg->memory_mb : POOL_DEFAULT_MEMORY_MB;
	g->max_workers = cfg->max_workers ? cfg->max_workers : POOL_DEFAULT_MAX_WORKERS;
	g->queue_max = cfg->queue_max ? cfg->queue_max : POOL_DEFAULT_QUEUE_MAX;
	g->idle_ms = cfg->idle_ms ? cfg->idle_ms : POOL_DEFAULT_IDLE_MS;
	g->start_timeout_ms =
		cfg->start_timeout_ms ? cfg->start_timeout_ms : POOL_DEFAULT_START_TIMEOUT_MS;
}

int pool_gen_new(struct pool *p, const struct pool_config *cfg, struct gen **out)
{
	char resolved[PATH_MAX];
	struct gen *g = calloc(1, sizeof(*g));

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
	    copy_env(g, cfg->env) != 0 || copy_strv(&g->argv, cfg->argv) != 0 ||
	    set_task_root(g, cfg->task_root) != 0) {
		pool_gen_free(g);
		return ERR_NOMEM;
	}
	set_limits(g, cfg);
	snprintf(g->arn, sizeof(g->arn), "arn:aws:lambda:%s:%s:function:%s", g->region,
		 LOCAL_ACCOUNT_ID, p->name);
	g->number = ++p->next_gen;
	g->started_ns = time_mono_ns();
	TAILQ_INSERT_TAIL(&p->gens, g, link);
	*out = g;
	return 0;
}

/* ---- outcomes ---- */

static void reload_finished(struct gen *g, int err, const char *why)
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
		pool_worker_kill(w);
}

static void reload_failed(struct pool *p, int err, const char *why)
{
	struct gen *g = p->pending;

	p->pending = NULL;
	pool_note(p, "reload failed: %s; generation %" PRIu32 " keeps serving", why,
		  p->serving->number);
	kill_generation(p, g, false);
	reload_finished(g, err, why);
	pool_gen_maybe_free(g);
}

void pool_generation_ready(struct pool *p, struct gen *g)
{
	struct gen *old = p->serving;

	p->serving = g;
	p->pending = NULL;
	p->stats.generation = g->number;
	pool_note(p,
		  "generation %" PRIu32 " serving (ready in %.2f ms); generation %" PRIu32
		  " finishes what it holds and stops",
		  g->number, pool_ms_since(g->started_ns), old->number);
	kill_generation(p, old, true);
	reload_finished(g, 0, "");
	pool_gen_maybe_free(old);
}

void pool_init_failed(struct worker *w, int err, const char *type, const char *msg)
{
	struct pool *p = w->pool;
	char why[POOL_MESSAGE_MAX + POOL_TYPE_MAX + 32];

	snprintf(why, sizeof(why), "%s: %s", type, msg);
	if (w->gen == p->pending) {
		reload_failed(p, err, why);
		return;
	}
	pool_note(p, "worker failed to start: %s", why);
	if (w->gen == p->serving)
		pool_fail_queue_head(p, POOL_INIT_ERROR, type, msg);
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
	if ((err = pool_gen_new(pool, cfg, &g)) != 0)
		return err;
	if ((err = pool_worker_spawn(pool, g, why, sizeof(why))) != 0) {
		pool_note(pool, "reload failed: %s; generation %" PRIu32 " keeps serving", why,
			  pool->serving->number);
		pool_gen_maybe_free(g);
		return err;
	}
	if ((old = pool->pending) != NULL) {
		pool->pending = NULL;
		kill_generation(pool, old, false);
		reload_finished(old, ERR_PRECONDITION, "superseded by a newer reload");
		pool_gen_maybe_free(old);
	}
	pool->pending = g;
	g->done = done;
	g->done_arg = arg;
	pool_note(pool, "reload: generation %" PRIu32 " starting (%s)", g->number, g->binary);
	return 0;
}
