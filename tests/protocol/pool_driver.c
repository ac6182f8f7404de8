/*
 * Runs one worker pool (src/local/lambda/pool.h) over an event loop for the Python
 * tests (tests/protocol/test_local_pool.py). Options set the function:
 *
 *   pool_driver --binary PATH [--timeout-ms N] [--max-workers N] [--queue-max N]
 *               [--idle-ms N] [--start-timeout-ms N] [--memory N] [--name NAME]
 *               [--handler H] [--env K=V]...
 *
 * Commands come one per line on stdin, results go one JSON object per line to
 * stdout; the pool's log (START/END/REPORT, the workers' output) is stderr.
 *
 *   invoke ID EVENT      {"id":ID,"kind":"OK","payload":...,"errorType":...,
 *                         "errorMessage":...,"initMs":...,"durationMs":...}
 *   burst N EVENT        N invocations at once, ids b0..b<N-1>, one line each
 *   reload [K=V ...]     a new generation with the same binary and these
 *                        variables instead of the --env ones;
 *                        {"reload":ERR,"why":...} when it is ready or failed
 *   reload-binary PATH   the same with another binary
 *   stats                {"stats":{"workers":...,"peak":...,...}}
 *   quit                 exit (also at end of input once nothing is pending)
 *
 * The driver prints {"ready":true} first and exits by itself after
 * DRIVER_LIFETIME_S whatever happens, so that a broken test cannot leave it
 * running.
 */
#include "core/common.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <signal.h>
#include <unistd.h>

#include "local/lambda/pool.h"

#define DRIVER_LIFETIME_S 120
#define DRIVER_ENV_MAX	  64
#define DRIVER_LINE_MAX	  (1 << 20)

struct driver {
	struct event_base *base;
	struct pool *pool;
	struct pool_config cfg;
	const char *env[DRIVER_ENV_MAX + 1];
	char *reload_env[DRIVER_ENV_MAX + 1];
	char *reload_binary;
	unsigned pending;
	bool eof;
};

static void emit(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s) {
		fprintf(stdout, "%s\n", s);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

static void maybe_exit(struct driver *d)
{
	if (d->eof && d->pending == 0)
		event_base_loopbreak(d->base);
}

struct call {
	struct driver *d;
	char id[64];
};

static void on_done(void *arg, const struct pool_result *r)
{
	struct call *c = arg;
	struct driver *d = c->d;
	json_t *o = json_pack("{s:s, s:s, s:s%, s:s, s:s, s:f, s:f}", "id", c->id, "kind",
			      pool_result_kind_name(r->kind), "payload", r->payload,
			      r->payload_len > 4096 ? (size_t)4096 : r->payload_len, "errorType",
			      r->error_type, "errorMessage", r->error_message, "initMs",
			      r->init_duration_ms, "durationMs", r->duration_ms);

	if (o && json_object_set_new(o, "payloadLen", json_integer((json_int_t)r->payload_len)))
		o = NULL;
	emit(o);
	free(c);
	d->pending--;
	maybe_exit(d);
}

static void invoke(struct driver *d, const char *id, const char *event)
{
	struct call *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return;
	c->d = d;
	snprintf(c->id, sizeof(c->id), "%s", id);
	err = pool_invoke(d->pool, event, strlen(event), NULL, on_done, c, NULL);
	if (err) {
		emit(json_pack("{s:s, s:s}", "id", id, "invokeError", err_name(err)));
		free(c);
		return;
	}
	d->pending++;
}

static void on_reload(void *arg, int err, const char *why)
{
	struct driver *d = arg;

	emit(json_pack("{s:s, s:s}", "reload", err_name(err), "why", why));
	d->pending--;
	maybe_exit(d);
}

static void free_reload_env(struct driver *d)
{
	for (size_t i = 0; d->reload_env[i]; i++) {
		free(d->reload_env[i]);
		d->reload_env[i] = NULL;
	}
}

static void reload(struct driver *d, char *args, const char *binary)
{
	struct pool_config cfg = d->cfg;
	size_t n = 0;
	char *save = NULL, *tok;
	int err;

	free_reload_env(d);
	for (tok = strtok_r(args, " ", &save); tok && n < DRIVER_ENV_MAX;
	     tok = strtok_r(NULL, " ", &save))
		d->reload_env[n++] = strdup(tok);
	if (binary)
		cfg.binary = binary;
	else
		cfg.env = (const char *const *)d->reload_env;
	err = pool_reload(d->pool, &cfg, on_reload, d);
	if (err) {
		emit(json_pack("{s:s, s:s}", "reload", err_name(err), "why", "pool_reload failed"));
		return;
	}
	d->pending++;
}

static void stats(struct driver *d)
{
	struct pool_stats s;

	pool_get_stats(d->pool, &s);
	emit(json_pack("{s:{s:i, s:i, s:i, s:i, s:i, s:I, s:I}}", "stats", "workers", s.workers,
		       "busy", s.busy, "queued", s.queued, "peak", s.peak_workers, "generation",
		       s.generation, "invocations", (json_int_t)s.invocations, "coldStarts",
		       (json_int_t)s.cold_starts));
}

static void command(struct driver *d, char *line)
{
	char *rest = strchr(line, ' ');
	char *arg2;

	if (rest)
		*rest++ = '\0';
	else
		rest = line + strlen(line);
	if (strcmp(line, "invoke") == 0 && (arg2 = strchr(rest, ' '))) {
		*arg2++ = '\0';
		invoke(d, rest, arg2);
	} else if (strcmp(line, "burst") == 0 && (arg2 = strchr(rest, ' '))) {
		long n = strtol(rest, NULL, 10);
		char id[32];

		*arg2++ = '\0';
		for (long i = 0; i < n && i < 1000; i++) {
			snprintf(id, sizeof(id), "b%ld", i);
			invoke(d, id, arg2);
		}
	} else if (strcmp(line, "reload") == 0) {
		reload(d, rest, NULL);
	} else if (strcmp(line, "reload-binary") == 0) {
		reload(d, rest, rest);
	} else if (strcmp(line, "stats") == 0) {
		stats(d);
	} else if (strcmp(line, "quit") == 0) {
		event_base_loopbreak(d->base);
	} else {
		emit(json_pack("{s:s}", "unknownCommand", line));
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
		if (n > 0)
			command(arg, line);
		free(line);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct driver *d = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_disable(bev, EV_READ);
		d->eof = true;
		maybe_exit(d);
	}
}

static void on_lifetime(evutil_socket_t fd, short what, void *arg)
{
	fprintf(stderr, "pool_driver: lifetime of %d s is over\n", DRIVER_LIFETIME_S);
	event_base_loopbreak(arg);
}

static uint32_t num(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 10);
}

static int parse_args(struct driver *d, int argc, char **argv)
{
	size_t n = 0;

	d->cfg.function_name = "fake";
	d->cfg.handler = "fake.handler";
	d->cfg.access_key_id = "sluice";
	d->cfg.secret_access_key = "sluice-local";
	d->cfg.log_format = "Text";
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--binary") == 0)
			d->cfg.binary = v;
		else if (strcmp(k, "--timeout-ms") == 0)
			d->cfg.timeout_ms = num(v);
		else if (strcmp(k, "--max-workers") == 0)
			d->cfg.max_workers = num(v);
		else if (strcmp(k, "--queue-max") == 0)
			d->cfg.queue_max = num(v);
		else if (strcmp(k, "--idle-ms") == 0)
			d->cfg.idle_ms = num(v);
		else if (strcmp(k, "--start-timeout-ms") == 0)
			d->cfg.start_timeout_ms = num(v);
		else if (strcmp(k, "--memory") == 0)
			d->cfg.memory_mb = num(v);
		else if (strcmp(k, "--handler") == 0)
			d->cfg.handler = v;
		else if (strcmp(k, "--name") == 0)
			d->cfg.function_name = v;
		else if (strcmp(k, "--env") == 0 && n < DRIVER_ENV_MAX)
			d->env[n++] = v;
		else
			return -1;
	}
	d->env[n] = NULL;
	d->cfg.env = d->env;
	return d->cfg.binary ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct driver d;
	struct timeval life = {DRIVER_LIFETIME_S, 0};
	struct bufferevent *bev;
	struct event *lifetime;
	int err;

	signal(SIGPIPE, SIG_IGN);
	if (parse_args(&d, argc, argv) != 0) {
		fprintf(stderr, "usage: pool_driver --binary PATH [options]\n");
		return 2;
	}
	d.base = event_base_new();
	if ((err = pool_new(d.base, NULL, &d.cfg, &d.pool)) != 0) {
		fprintf(stderr, "pool_new: %s\n", err_str(err));
		return 1;
	}
	bev = bufferevent_socket_new(d.base, 0, 0);
	bufferevent_setcb(bev, on_read, NULL, on_event, &d);
	bufferevent_setwatermark(bev, EV_READ, 0, DRIVER_LINE_MAX);
	bufferevent_enable(bev, EV_READ);
	lifetime = evtimer_new(d.base, on_lifetime, d.base);
	evtimer_add(lifetime, &life);
	emit(json_pack("{s:b}", "ready", 1));
	event_base_dispatch(d.base);
	pool_free(d.pool);
	free_reload_env(&d);
	bufferevent_free(bev);
	event_free(lifetime);
	event_base_free(d.base);
	return 0;
}
