/*
 * The CloudWatch room (cw.h): its stores and what CloudWatch does with each
 * log event as it arrives. An event is stored, then read as CloudWatch
 * reads it: metric filters of its group, EMF (only for lines that look like
 * a document: one memmem), and the dashboard's view of requests. A timer
 * drives the rest once a second: retention and files, metric retention,
 * and the alarms.
 */
#include "core/common.h"

#include <event2/event.h>

#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_emf.h"
#include "local/cloudwatch/cw_int.h"

#define CW_TICK_MS 1000

/* ---- metric filters ---- */

static void mfilter_release(struct cw_mfilter *f)
{
	free(f->group);
	free(f->name);
	free(f->pattern_text);
	free(f->ns);
	free(f->metric);
	free(f->value);
	free(f->unit);
	cw_filter_free(f->pattern);
	memset(f, 0, sizeof(*f));
}

long cw_mfilter_next(const struct cloudwatch *cw, const char *group, size_t from)
{
	for (size_t i = from; i < cw->nmfilters; i++)
		if (!group || !strcmp(cw->mfilters[i].group, group))
			return (long)i;
	return -1;
}

bool cw_mfilter_delete(struct cloudwatch *cw, const char *group, const char *name)
{
	for (size_t i = 0; i < cw->nmfilters; i++) {
		if (strcmp(cw->mfilters[i].group, group) || strcmp(cw->mfilters[i].name, name))
			continue;
		mfilter_release(&cw->mfilters[i]);
		memmove(&cw->mfilters[i], &cw->mfilters[i + 1],
			(cw->nmfilters - i - 1) * sizeof(*cw->mfilters));
		cw->nmfilters--;
		return true;
	}
	return false;
}

int cw_mfilter_put(struct cloudwatch *cw, const char *group, const char *name, const char *pattern,
		   const char *ns, const char *metric, const char *value, const double *dflt,
		   const char *unit, struct cw_error *e)
{
	struct cw_mfilter f = {0};
	char why[256];
	double probe;
	int err;

	if (!group || !name || !pattern || !ns || !metric || !value)
		return cw_fail(e, "InvalidParameterException",
			       "A metric filter needs a group, a name, a pattern and a metric.");
	err = cw_filter_parse(pattern, strlen(pattern), &f.pattern, why, sizeof(why));
	if (err == ERR_NOMEM)
		return err;
	if (err)
		return cw_fail(e, "InvalidParameterException", "Invalid filter pattern: %s", why);
	if (value[0] != '$' && cw_filter_value(f.pattern, value, "", 0, &probe)) {
		cw_filter_free(f.pattern);
		return cw_fail(e, "InvalidParameterException",
			       "metricValue must be a number or a $.selector / $field.");
	}
	f.group = strdup(group);
	f.name = strdup(name);
	f.pattern_text = strdup(pattern);
	f.ns = strdup(ns);
	f.metric = strdup(metric);
	f.value = strdup(value);
	f.unit = unit ? strdup(unit) : NULL;
	f.has_default = dflt != NULL;
	f.dflt = dflt ? *dflt : 0;
	if (!f.group || !f.name || !f.pattern_text || !f.ns || !f.metric || !f.value ||
	    (unit && !f.unit)) {
		mfilter_release(&f);
		return ERR_NOMEM;
	}
	cw_mfilter_delete(cw, group, name);
	if (ALLOC_GROW(cw->mfilters, cw->nmfilters + 1, cw->amfilters)) {
		mfilter_release(&f);
		return ERR_NOMEM;
	}
	cw->mfilters[cw->nmfilters++] = f;
	return 0;
}

/* Metric filters of `g` on one event: a match publishes its value; a miss, the default. */
static void run_mfilters(struct cloudwatch *cw, const struct cw_group *g, int64_t ts,
			 const char *msg, size_t len)
{
	for (long i = cw_mfilter_next(cw, g->name, 0); i >= 0;
	     i = cw_mfilter_next(cw, g->name, (size_t)i + 1)) {
		const struct cw_mfilter *f = &cw->mfilters[i];
		struct cw_point p = {ts, 0, 0, 0, 1};
		double v;

		if (cw_filter_match(f->pattern, msg, len)) {
			if (cw_filter_value(f->pattern, f->value, msg, len, &v))
				continue;
		} else if (f->has_default) {
			v = f->dflt;
		} else {
			continue;
		}
		p.sum = p.min = p.max = v;
		cw_metrics_put(cw->metrics, f->ns, f->metric, NULL, 0, f->unit, &p);
	}
}

/* ---- EMF ---- */

static void emf_datum(void *arg, const struct cw_emf_datum *d)
{
	struct cloudwatch *cw = arg;
	struct cw_point p = {d->ts, d->value, d->value, d->value, 1};

	cw_metrics_put(cw->metrics, d->ns, d->name, d->dims, d->ndims, d->unit, &p);
}

static void run_emf(struct cloudwatch *cw, const char *msg, size_t len, int64_t now)
{
	char why[256];
	int err;

	if (!cw_emf_candidate(msg, len))
		return;
	err = cw_emf_extract(msg, len, now, emf_datum, cw, why, sizeof(why));
	if (err == ERR_INVAL) {
		/* CloudWatch counts these in AWS/Logs EMFValidationErrors; we say why, once each.
		 */
		cw->emf_rejected++;
		log_msg(LVL_WARN, "cloudwatch: an EMF document published nothing: %s", why);
	}
}

/* A function's "client error" line (what the website reported, POST /client-events). */
static void run_client(struct cloudwatch *cw, const char *msg, size_t len)
{
	static const char marker[] = "\"message\":\"client error\"";
	json_t *j;

	if (len < 2 || msg[0] != '{' || !memmem(msg, len, marker, sizeof(marker) - 1))
		return;
	j = jsonx_parse(msg, len, NULL, 0);
	if (json_is_object(j))
		cw_client_event(cw, j);
	json_decref(j);
}

void cw_ingest(struct cloudwatch *cw, struct cw_group *g, long stream, int64_t ts, const char *msg,
	       size_t len)
{
	int64_t now = time_now_ms();

	if (!cw_logs_append(cw->logs, g, stream, ts, msg, len, now))
		return;
	if (cw_mfilter_next(cw, g->name, 0) >= 0)
		run_mfilters(cw, g, ts, msg, len);
	run_emf(cw, msg, len, now);
	run_client(cw, msg, len);
}

/* ---- the public face ---- */

void cw_log_group(struct cloudwatch *cw, const char *name, int retention_days)
{
	struct cw_group *g = cw_logs_group_ensure(cw->logs, name, time_now_ms(), NULL);

	if (g && retention_days >= 0)
		cw_logs_set_retention(cw->logs, g, retention_days);
}

void cw_log(struct cloudwatch *cw, const char *group, const char *stream, int64_t ts_ms,
	    const char *msg, size_t len, const char *request_id)
{
	int64_t now = time_now_ms();
	struct cw_group *g = cw_logs_group_ensure(cw->logs, group, now, NULL);
	long s = g ? cw_logs_stream(g, stream, true, now) : -1;

	if (s < 0)
		return;
	cw_ingest(cw, g, s, ts_ms, msg, len);
	if (request_id && *request_id)
		cw_trace_line(cw, request_id, ts_ms, group, msg, len);
}

int cw_metric_filter(struct cloudwatch *cw, const char *group, const char *name,
		     const char *pattern, const char *ns, const char *metric, const char *value,
		     const double *default_value, char *why, size_t why_len)
{
	struct cw_error e = {0};
	int rc = cw_mfilter_put(cw, group, name, pattern, ns, metric, value, default_value, NULL,
				&e);

	if (rc == 1) {
		snprintf(why, why_len, "%s", e.message);
		return ERR_INVAL;
	}
	return rc;
}

int cw_metric(struct cloudwatch *cw, const char *ns, const char *name, const struct cw_dim *dims,
	      size_t ndims, double value, const char *unit, int64_t ts_ms)
{
	struct cw_point p = {ts_ms, value, value, value, 1};

	return cw_metrics_put(cw->metrics, ns, name, dims, ndims, unit, &p);
}

int cw_alarm(struct cloudwatch *cw, const json_t *spec, char *why, size_t why_len)
{
	struct cw_error e = {0};
	int rc = cw_alarms_put(cw, spec, &e);

	if (rc == 1) {
		snprintf(why, why_len, "%s", e.message);
		return ERR_INVAL;
	}
	return rc;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct cloudwatch *cw = arg;
	int64_t now = time_now_ms();

	if (now / 60000 != cw->last_minute) {
		cw->last_minute = now / 60000;
		cw_metrics_maintain(cw->metrics, now);
	}
	cw_logs_maintain(cw->logs, now);
	cw_alarms_evaluate(cw, now);
}

int cw_new(struct event_base *base, const struct cw_config *cfg, struct cloudwatch **out)
{
	struct cloudwatch *cw = calloc(1, sizeof(*cw));
	struct timeval tv = time_tv_ms(CW_TICK_MS);
	char *dir = NULL;
	int err = ERR_NOMEM;

	*out = NULL;
	if (!cw)
		return ERR_NOMEM;
	cw->base = base;
	cw->region = strdup(cfg->region ? cfg->region : "us-east-1");
	cw->akid = strdup(cfg->access_key_id ? cfg->access_key_id : "");
	cw->secret = strdup(cfg->secret_access_key ? cfg->secret_access_key : "");
	if (!cw->region || !cw->akid || !cw->secret)
		goto fail;
	if (cfg->data_dir && asprintf(&dir, "%s/logs", cfg->data_dir) < 0)
		goto fail;
	if ((err = cw_logs_new(dir, cfg->logs_max_bytes, &cw->logs)) ||
	    (err = cw_metrics_new(&cw->metrics)) || (err = cw_alarms_new(&cw->alarms)) ||
	    (err = cw_trace_new(&cw->trace)) ||
	    (err = cw_dash_new(cw, cfg->dashboard_dir, &cw->dash)))
		goto fail;
	err = ERR_NOMEM;
	if (base) {
		cw->tick = event_new(base, -1, EV_PERSIST, tick, cw);
		if (!cw->tick || event_add(cw->tick, &tv))
			goto fail;
	}
	free(dir);
	*out = cw;
	return 0;
fail:
	free(dir);
	cw_free(cw);
	return err;
}

void cw_free(struct cloudwatch *cw)
{
	if (!cw)
		return;
	if (cw->tick)
		event_free(cw->tick);
	cw_dash_free(cw->dash);
	if (cw->logs)
		cw_logs_maintain(cw->logs, time_now_ms());
	cw_logs_free(cw->logs);
	cw_metrics_free(cw->metrics);
	cw_alarms_free(cw->alarms);
	cw_trace_free(cw->trace);
	for (size_t i = 0; i < cw->nmfilters; i++)
		mfilter_release(&cw->mfilters[i]);
	free(cw->mfilters);
	free(cw->region);
	free(cw->akid);
	free(cw->secret);
	free(cw);
}
