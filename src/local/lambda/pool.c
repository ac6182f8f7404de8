/*
 * The warm worker pool of one function (see pool.h for the contract and
 * pool_int.h for the states): the invocations' side. pool_invoke() queues an
 * invocation and dispatch hands it to the most recently idle worker of the
 * serving generation, whose held `next` is answered with the event; the
 * worker's posted result (the Runtime API callbacks below) or its timeout
 * finishes it. Workers are spawned and reaped in pool_worker.c, generations
 * swapped in pool_reload.c.
 *
 * The constraint behind most of the shapes here: no callback of the caller
 * may run inside a pool call, so results known on the spot (THROTTLED, a
 * worker that cannot start) are deferred to a zero timer; and a worker
 * struct outlives the callbacks made while it is in use (it is freed only
 * after waitpid()), so a callback may call back into the pool.
 */
#include "core/common.h"

#include <event2/event.h>
#include <jansson.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "local/lambda/lambda_log.h"
#include "local/lambda/pool_int.h"

/* A runtime that posted init/error exits within this, or it is killed. */
#define POOL_EXIT_GRACE_MS 1000
/* A log note: a sentence around an errorMessage of up to POOL_MESSAGE_MAX. */
#define POOL_NOTE_MAX (POOL_MESSAGE_MAX * 2)
/* Log lines queued in one loop turn; past it they are written at once (pool_log_add). */
#define POOL_LOG_PENDING_MAX ((size_t)256 * 1024)
/* START, END and REPORT of one invocation: Lambda's lines are about 250 bytes each. */
#define POOL_REPORT_TEXT_MAX ((size_t)8192)

const char *pool_result_kind_name(enum pool_result_kind kind)
{
	static const char *const names[] = {"OK",	 "FUNCTION_ERROR", "TIMEOUT",  "EXIT",
					    "TOO_LARGE", "INIT_ERROR",	   "THROTTLED"};

	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

double pool_ms_since(int64_t ns)
{
	return (double)(time_mono_ns() - ns) / 1e6;
}

void pool_log_flush(struct pool *p)
{
	if (!p->log_pending.len)
		return;
	fwrite(p->log_pending.ptr, 1, p->log_pending.len, p->log);
	fflush(p->log);
	buf_reset(&p->log_pending);
}

static void log_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	pool_log_flush(arg);
}

void pool_log_add(struct pool *p, const char *text, size_t len)
{
	if (!len)
		return;
	if (!p->log_ev || buf_add(&p->log_pending, text, len)) {
		pool_log_flush(p);
		fwrite(text, 1, len, p->log);
		fflush(p->log);
		return;
	}
	/* Activated, it runs in this loop turn, before the loop waits again. */
	if (!event_pending(p->log_ev, EV_TIMEOUT, NULL))
		event_active(p->log_ev, EV_TIMEOUT, 0);
}

/* A line built with the sticky buf_put*(): queued with its newline, or a marker if it failed. */
static void log_built(struct pool *p, struct buf *b)
{
	buf_putc(b, '\n');
	if (buf_error(b)) {
		buf_reset(b);
		buf_puts(b, "(log line too long)\n");
	}
	pool_log_add(p, b->ptr, b->len);
}

void pool_note(struct pool *p, const char *fmt, ...)
{
	char ts[32], text[POOL_NOTE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	time_rfc3339(ts, time_now_ms(), 1);
	pool_log_flush(p);
	report_line(p->log, "%s\tsluice\tfunction %s: %s", ts, p->name, text);
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

void pool_finish(struct inv *inv, enum pool_result_kind kind, const char *payload, size_t len,
		 const char *etype, const char *emsg, const char *status)
{
	struct pool *p = inv->pool;
	struct worker *w = inv->worker;
	struct pool_result res;
	char *built = NULL;

	inv_unlink(inv);
	evtimer_del(inv->timer);
	memset(&res, 0, sizeof(res));
	res.duration_ms = inv->start_ns ? pool_ms_since(inv->start_ns) : 0;
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

		struct buf line;

		pool_output_drain(w); /* its lines before END and REPORT, as on Lambda */
		w->inv = NULL;
		snprintf(w->last_rid, sizeof(w->last_rid), "%s", inv->rid);
		buf_init(&line, POOL_REPORT_TEXT_MAX);
		report_end_report_text(&line, &r);
		log_built(p, &line);
		buf_release(&line);
		pool_observe_report(w, &r);
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
	pool_log_flush(p); /* END and REPORT are written when the caller learns the result */
	pool_observe_done(inv, &res);
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

void pool_fail_queue_head(struct pool *p, enum pool_result_kind kind, const char *type,
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
	struct buf line;

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
	buf_init(&line, POOL_REPORT_TEXT_MAX);
	report_start_text(&line, inv->rid);
	log_built(p, &line);
	buf_release(&line);
	pool_observe_start(w, inv);
	runtime_api_answer_next(w->held, inv->event, inv->len, inv->rid,
				time_now_ms() + w->gen->timeout_ms, w->gen->arn, inv->trace);
	w->held = NULL;
	tv = time_tv_ms(w->gen->timeout_ms);
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
	return pool_worker_count(p, g, W_STARTING) + pool_worker_count(p, g, W_AFTER);
}

void pool_dispatch(struct pool *p)
{
	struct gen *g = p->serving;
	struct worker *w;
	struct inv *inv;
	char why[POOL_MESSAGE_MAX];

	while ((inv = TAILQ_FIRST(&p->queue)) && (w = find_idle(p)))
		assign(w, inv);
	while (p->nqueued > workers_coming(p, g) && pool_worker_count(p, g, -1) < g->max_workers) {
		why[0] = '\0';
		if (pool_worker_spawn(p, g, why, sizeof(why)) == 0)
			continue;
		pool_note(p, "%s", why);
		pool_fail_queue_head(p, POOL_INIT_ERROR, "Runtime.InvalidEntrypoint", why);
	}
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
		pool_worker_kill(w);
	pool_dispatch(p);
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
	pool_finish(inv, POOL_TOO_LARGE, NULL, 0, "Function.ResponseSizeTooLarge", text, "error");
	return true;
}

static enum runtime_api_verdict on_response(void *ctx, const char *rid, const char *body,
					    size_t len, const char **msg)
{
	struct worker *w = ctx;
	struct inv *inv = w->inv;

	if (w->state != W_BUSY || !inv || strcmp(rid, inv->rid) != 0)
		return unknown_id(w, rid, msg);
	pool_worker_hwm(w, false);
	if (too_large(w, inv, len, msg)) {
		after_result(w);
		return RT_TOO_LARGE;
	}
	w->state = W_AFTER;
	pool_finish(inv, POOL_OK, body, len, "", "", NULL);
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
	pool_worker_hwm(w, false);
	if (too_large(w, inv, len, msg)) {
		after_result(w);
		return RT_TOO_LARGE;
	}
	parse_error(hdr_type, body, len, type, sizeof(type), text, sizeof(text));
	w->state = W_AFTER;
	pool_finish(inv, POOL_FUNCTION_ERROR, len ? body : NULL, len, type, text, "error");
	after_result(w);
	return RT_ACCEPTED;
}

static enum runtime_api_verdict on_init_error(void *ctx, const char *hdr_type, const char *body,
					      size_t len, const char **msg)
{
	struct timeval grace = time_tv_ms(POOL_EXIT_GRACE_MS);
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
	pool_worker_detach(w);
	evtimer_add(w->start_timer, &grace);
	pool_init_failed(w, ERR_CONFIG, type, text);
	pool_dispatch(w->pool);
	return RT_ACCEPTED;
}

static void on_next(void *ctx, struct evhttp_request *req)
{
	struct worker *w = ctx;
	struct pool *p = w->pool;

	switch (w->state) {
	case W_STARTING:
		evtimer_del(w->start_timer);
		w->init_ms = pool_ms_since(w->spawn_ns);
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
		pool_generation_ready(p, w->gen);
	pool_dispatch(p);
}

const struct runtime_api_ops pool_worker_ops = {
	.next = on_next,
	.response = on_response,
	.error = on_error,
	.init_error = on_init_error,
};

/* ---- timeouts ---- */

static void timed_out(struct inv *inv)
{
	struct worker *w = inv->worker;
	struct pool *p = inv->pool;
	char ts[32], msg[POOL_MESSAGE_MAX];

	snprintf(msg, sizeof(msg), "Task timed out after %.2f seconds",
		 (double)w->gen->timeout_ms / 1000.0);
	time_rfc3339(ts, time_now_ms(), 1);
	pool_output_drain(w);
	pool_platform_line(p, w, inv->rid, "%s %s %s", ts, inv->rid, msg);
	pool_worker_hwm(w, true);
	pool_worker_kill(w);
	pool_finish(inv, POOL_TIMEOUT, NULL, 0, "Sandbox.Timedout", msg, "timeout");
	pool_dispatch(p);
}

static void inv_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inv *inv = arg;

	if (inv->state == I_DEFERRED)
		pool_finish(inv, inv->dkind, NULL, 0, inv->dtype, inv->dmsg, NULL);
	else if (inv->state == I_RUNNING)
		timed_out(inv);
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
	struct pool *p;
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
	buf_init(&p->log_pending, POOL_LOG_PENDING_MAX);
	if (!(p->log_ev = event_new(base, -1, 0, log_flush_cb, p))) {
		err = ERR_NOMEM;
		goto fail;
	}
	if (!api) {
		if ((err = runtime_api_new(base, "127.0.0.1", 0, &p->api)) != 0)
			goto fail;
		p->api_owned = true;
	}
	if ((err = pool_gen_new(p, cfg, &p->serving)) != 0)
		goto fail;
	p->stats.generation = p->serving->number;
	if ((err = pool_events_start(p)) != 0)
		goto fail;
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
	if (pool_worker_count(pool, pool->serving, -1) >= pool->serving->max_workers)
		return 0;
	if ((err = pool_worker_spawn(pool, pool->serving, why, sizeof(why))) != 0)
		pool_note(pool, "%s", why);
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
	pool_dispatch(pool);
	g = pool->serving;
	if (inv->state == I_QUEUED && pool->nqueued > workers_coming(pool, g) + g->queue_max) {
		pool_note(pool,
			  "throttled: %" PRIu32 " workers busy and %" PRIu32 " invocations queued",
			  pool_worker_count(pool, NULL, W_BUSY), pool->nqueued - 1);
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
	struct inv *inv, *inext;
	struct gen *g, *gnext;

	if (!pool)
		return;
	pool_workers_free(pool);
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
		pool_gen_free(g);
	}
	if (pool->api_owned)
		runtime_api_free(pool->api);
	pool_log_flush(pool);
	if (pool->log_ev)
		event_free(pool->log_ev);
	buf_release(&pool->log_pending);
	free(pool);
}
