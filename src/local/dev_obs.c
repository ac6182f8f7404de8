/*
 * Observability wiring of `sluice dev` (dev_obs.h): the template's logs,
 * metric filters and alarms into the local CloudWatch, and the pools' and
 * the gateway's observers turned into log events, AWS metrics, access log
 * lines and the dashboard's requests.
 */
#include "core/common.h"

#include <limits.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/apigw.h"
#include "local/apigw/gateway.h"
#include "local/cloudwatch/cw.h"
#include "local/dev_obs.h"
#include "local/dev_sql.h"
#include "local/lambda/pool.h"

#define OBS_NAME_MAX   512
#define OBS_FORMAT_MAX 4096
#define OBS_LINE_MAX   ((size_t)64 * 1024)
#define OBS_DIMS_MAX   4

/* What a function's lines and metrics need. */
struct obs_fn {
	char *id, *group, *alias;
};

/* An API's local id and access log. */
struct obs_api {
	char *id;     /* logical id */
	char *local;  /* its Ref, "<stack>-<id>": the ApiId / ApiName of its metrics */
	char *group;  /* the access log's group, or NULL */
	char *format; /* the access log's Format */
	bool rest;    /* a REST API: its metrics are named and dimensioned as REST's */
};

struct dev_obs {
	struct cloudwatch *cw;
	struct obs_fn *fns;
	size_t nfns, afns;
	struct obs_api *apis;
	size_t napis, aapis;
	uint64_t seed;	     /* makes stream names unique to this process */
	struct dev_sql *sql; /* the RDS Proxy's statements */
};

/* <dir>/web/dashboard/dist of the executable's folder or one of its two parents, as for runtimes/.
 */
static void find_dashboard(struct cloudwatch *cw)
{
	const char *env = getenv(DEV_ENV_DASHBOARD_DIR);
	char dir[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t n;

	if (env && *env) {
		cw_set_dashboard_dir(cw, env);
		return;
	}
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return;
	dir[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir)
			return;
		*slash = '\0';
		snprintf(cand, sizeof(cand), "%s/web/dashboard/dist/index.html", dir);
		if (access(cand, R_OK) == 0) {
			cand[strlen(cand) - strlen("/index.html")] = '\0';
			cw_set_dashboard_dir(cw, cand);
			return;
		}
	}
}

int dev_obs_new(struct cloudwatch *cw, struct dev_obs **out)
{
	struct dev_obs *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (!o)
		return ERR_NOMEM;
	o->cw = cw;
	if (dev_sql_new(cw, NULL, &o->sql)) {
		free(o);
		return ERR_NOMEM;
	}
	find_dashboard(cw);
	if (random_bytes(&o->seed, sizeof(o->seed)))
		o->seed = (uint64_t)time_mono_ns();
	*out = o;
	return 0;
}

static void clear(struct dev_obs *o)
{
	for (size_t i = 0; i < o->nfns; i++) {
		free(o->fns[i].id);
		free(o->fns[i].group);
		free(o->fns[i].alias);
	}
	for (size_t i = 0; i < o->napis; i++) {
		free(o->apis[i].id);
		free(o->apis[i].local);
		free(o->apis[i].group);
		free(o->apis[i].format);
	}
	o->nfns = o->napis = 0;
}

void dev_obs_free(struct dev_obs *o)
{
	if (!o)
		return;
	clear(o);
	dev_sql_free(o->sql);
	free(o->fns);
	free(o->apis);
	free(o);
}

/* ---- the template ---- */

/* The local text of `v` (a Ref, a Sub, a parameter), or NULL when it has none. */
static char *resolve(const struct dev_app *app, const char *region, const struct tval *v)
{
	struct buf b;

	if (!v)
		return NULL;
	buf_init(&b, OBS_FORMAT_MAX);
	if (dev_app_resolve(app, region, NULL, v, &b) || !b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* The local name of resource `id` as a Ref gives it. */
static char *ref_name(const struct dev_app *app, const char *region, const char *id)
{
	struct tval v = {.kind = TVAL_UNKNOWN, .unk = TUNK_REF, .ref = id, .text = id};

	return resolve(app, region, &v);
}

/* A template value as JSON for PutMetricAlarm: numbers stay numbers, Refs are resolved. */
static json_t *to_json(const struct dev_app *app, const char *region, const struct tval *v,
		       int depth)
{
	json_t *j;
	char *s;

	if (!v || depth > TEMPLATE_MAX_DEPTH)
		return json_null();
	switch (v->kind) {
	case TVAL_MAP:
		j = json_object();
		for (size_t i = 0; j && i < v->n; i++)
			json_object_set_new(j, v->pairs[i].key,
					    to_json(app, region, v->pairs[i].val, depth + 1));
		return j;
	case TVAL_SEQ:
		j = json_array();
		for (size_t i = 0; j && i < v->n; i++)
			json_array_append_new(j, to_json(app, region, v->items[i], depth + 1));
		return j;
	case TVAL_NUMBER:
		return json_real(v->num);
	case TVAL_BOOL:
		return json_boolean(v->b);
	case TVAL_CHOICE:
		return to_json(app, region, v->items[0], depth + 1);
	case TVAL_NULL:
		return json_null();
	default:
		s = resolve(app, region, v);
		j = json_string(s ? s : "");
		free(s);
		return j;
	}
}

/* A log group resource's name: its LogGroupName (what Ref gives then), else its local Ref. */
static char *log_group_name(const struct dev_app *app, const char *region, const char *id)
{
	const struct template_resource *r = template_resource(app->t, id);
	char *name = r ? resolve(app, region, tval_get(r->props, "LogGroupName")) : NULL;

	return name ? name : ref_name(app, region, id);
}

static void load_log_groups(struct dev_obs *o, const struct dev_app *app, const char *region)
{
	const struct template *t = app->t;

	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];
		long long days = -1;
		char *name;

		if (strcmp(r->type, "AWS::Logs::LogGroup") || r->cond_value == TCOND_FALSE)
			continue;
		name = log_group_name(app, region, r->id);
		tval_int(tval_get(r->props, "RetentionInDays"), &days);
		if (name)
			cw_log_group(o->cw, name, days > 0 ? (int)days : 0);
		free(name);
	}
}

/* A log group named by a Ref or by GetAtt X.Arn ("arn:...:log-group:<name>:*"). */
static char *group_of(const struct dev_app *app, const char *region, const struct tval *v)
{
	if (v && v->kind == TVAL_UNKNOWN && v->ref && (v->unk == TUNK_GETATT || v->unk == TUNK_REF))
		return log_group_name(app, region, v->ref);
	if (v && v->kind == TVAL_STRING && strstr(v->text, ":log-group:")) {
		const char *p = strstr(v->text, ":log-group:") + 11;

		return strndup(p, strcspn(p, ":"));
	}
	return resolve(app, region, v);
}

static void load_functions(struct dev_obs *o, const struct dev_app *app, const char *region)
{
	for (size_t i = 0; i < app->nfns; i++) {
		const struct template_resource *r = template_resource(app->t, app->fns[i].id);
		const struct tval *lg =
			r ? tval_get_path(r->props, "LoggingConfig.LogGroup") : NULL;
		struct obs_fn f = {strdup(app->fns[i].id), lg ? group_of(app, region, lg) : NULL,
				   NULL};

		if (!f.group && asprintf(&f.group, "/aws/lambda/%s", app->fns[i].id) < 0)
			f.group = NULL;
		f.alias = r ? resolve(app, region, tval_get(r->props, "AutoPublishAlias")) : NULL;
		if (!f.id || !f.group || ALLOC_GROW(o->fns, o->nfns + 1, o->afns)) {
			free(f.id);
			free(f.group);
			free(f.alias);
			continue;
		}
		o->fns[o->nfns++] = f;
		cw_log_group(o->cw, f.group, -1);
	}
}

static void load_apis(struct dev_obs *o, const struct dev_app *app, const char *region)
{
	const struct template *t = app->t;

	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];
		const struct tval *als;
		struct obs_api a = {0};

		if (strcmp(r->type, "AWS::Serverless::HttpApi") &&
		    strcmp(r->type, "AWS::Serverless::Api") &&
		    strcmp(r->type, "AWS::ApiGatewayV2::Api") &&
		    strcmp(r->type, "AWS::ApiGateway::RestApi"))
			continue;
		als = tval_get(r->props, "AccessLogSettings");
		if (!als)
			als = tval_get(r->props, "AccessLogSetting"); /* SAM's REST spelling */
		a.id = strdup(r->id);
		a.local = ref_name(app, region, r->id);
		a.group = als ? group_of(app, region, tval_get(als, "DestinationArn")) : NULL;
		a.format = als ? resolve(app, region, tval_get(als, "Format")) : NULL;
		a.rest = !strcmp(r->type, "AWS::Serverless::Api") ||
			 !strcmp(r->type, "AWS::ApiGateway::RestApi");
		if (!a.id || !a.local || ALLOC_GROW(o->apis, o->napis + 1, o->aapis)) {
			free(a.id);
			free(a.local);
			free(a.group);
			free(a.format);
			continue;
		}
		o->apis[o->napis++] = a;
		if (a.group)
			cw_log_group(o->cw, a.group, -1);
	}
}

static void load_filters_and_alarms(struct dev_obs *o, const struct dev_app *app,
				    const char *region)
{
	const struct template *t = app->t;
	char why[512];

	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];

		if (r->cond_value == TCOND_FALSE)
			continue;
		if (!strcmp(r->type, "AWS::Logs::MetricFilter")) {
			const struct tval *mt = tval_get_path(r->props, "MetricTransformations.0");
			char *group = group_of(app, region, tval_get(r->props, "LogGroupName"));
			char *pattern = resolve(app, region, tval_get(r->props, "FilterPattern"));
			char *ns = resolve(app, region, tval_get(mt, "MetricNamespace"));
			char *name = resolve(app, region, tval_get(mt, "MetricName"));
			char *value = resolve(app, region, tval_get(mt, "MetricValue"));
			const struct tval *dv = tval_get(mt, "DefaultValue");
			double dflt = dv && dv->kind == TVAL_NUMBER ? dv->num
				      : dv && tval_scalar(dv)	    ? strtod(tval_scalar(dv), NULL)
								    : 0;

			if (!group || !ns || !name || !value ||
			    cw_metric_filter(o->cw, group, r->id, pattern ? pattern : "", ns, name,
					     value, dv ? &dflt : NULL, why, sizeof(why)))
				log_msg(LVL_WARN, "%s: the metric filter is not run locally: %s",
					r->id,
					group && ns && name && value
						? why
						: "a member has no local value");
			free(group);
			free(pattern);
			free(ns);
			free(name);
			free(value);
		} else if (!strcmp(r->type, "AWS::CloudWatch::Alarm")) {
			json_t *spec = to_json(app, region, r->props, 0);

			if (spec && !json_object_get(spec, "AlarmName"))
				json_object_set_new(spec, "AlarmName",
						    json_pack("s++", app->stack_name, "-", r->id));
			if (!spec || cw_alarm(o->cw, spec, why, sizeof(why)))
				log_msg(LVL_WARN, "%s: the alarm is not evaluated locally: %s",
					r->id, spec ? why : "out of memory");
			json_decref(spec);
		}
	}
}

void dev_obs_load(struct dev_obs *o, const struct dev_app *app, const char *region)
{
	if (!o || !app || !app->t)
		return;
	clear(o);
	load_log_groups(o, app, region);
	load_functions(o, app, region);
	load_apis(o, app, region);
	load_filters_and_alarms(o, app, region);
}

/* ---- the pools ---- */

static const struct obs_fn *fn_of(const struct dev_obs *o, const char *id)
{
	for (size_t i = 0; id && i < o->nfns; i++)
		if (!strcmp(o->fns[i].id, id))
			return &o->fns[i];
	return NULL;
}

/* "2026/01/15/[$LATEST]<32 hex>": the date the worker started, and a name unique to it. */
static void stream_name(const struct dev_obs *o, const struct pool_line *l, char out[96])
{
	time_t t = (time_t)(l->worker_start_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 96, "%04d/%02d/%02d/[$LATEST]%016" PRIx64 "%016" PRIx64, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, o->seed, (uint64_t)(l->worker * 0x9e3779b97f4a7c15ull));
}

static void on_line(void *arg, const struct pool_line *l)
{
	struct dev_obs *o = arg;
	const struct obs_fn *f = fn_of(o, l->function);
	char stream[96], group[OBS_NAME_MAX];

	if (f)
		snprintf(group, sizeof(group), "%s", f->group);
	else
		snprintf(group, sizeof(group), "/aws/lambda/%s", l->function);
	stream_name(o, l, stream);
	cw_log(o->cw, group, stream, l->ts_ms, l->text, l->len, l->request_id);
}

/* One AWS/Lambda datapoint per dimension set of the function (and its alias). */
static void lambda_metric(struct dev_obs *o, const char *function, const char *name, double v,
			  const char *unit)
{
	const struct obs_fn *f = fn_of(o, function);
	struct cw_dim d[2] = {{"FunctionName", function}, {"Resource", NULL}};
	char resource[OBS_NAME_MAX];
	int64_t now = time_now_ms();

	cw_metric(o->cw, "AWS/Lambda", name, d, 1, v, unit, now);
	if (f && f->alias) {
		snprintf(resource, sizeof(resource), "%s:%s", function, f->alias);
		d[1].value = resource;
		cw_metric(o->cw, "AWS/Lambda", name, d, 2, v, unit, now);
	}
}

static void on_start(void *arg, const struct pool_invocation *inv)
{
	struct dev_obs *o = arg;

	cw_request_trace(o->cw, inv->request_id, inv->trace_id);
	dev_sql_start(o->sql, inv->pid, inv->request_id, inv->trace_id);
	lambda_metric(o, inv->function, "ConcurrentExecutions", inv->busy, "Count");
}

static void on_done(void *arg, const struct pool_invocation *inv, const struct pool_result *r)
{
	struct dev_obs *o = arg;
	bool throttled = r->kind == POOL_THROTTLED, failed = r->kind != POOL_OK && !throttled;

	dev_sql_done(o->sql, inv->request_id);
	lambda_metric(o, inv->function, "Throttles", throttled, "Count");
	if (throttled)
		return;
	lambda_metric(o, inv->function, "Invocations", 1, "Count");
	lambda_metric(o, inv->function, "Errors", failed, "Count");
	if (r->duration_ms > 0)
		lambda_metric(o, inv->function, "Duration", r->duration_ms, "Milliseconds");
	cw_request_result(o->cw, inv->request_id, r->duration_ms, r->init_duration_ms,
			  failed ? r->error_type : "");
}

void dev_obs_pool(struct dev_obs *o, struct pool *p)
{
	struct pool_observer obs = {o, on_line, on_start, on_done};

	if (o && p)
		pool_set_observer(p, &obs);
}

void dev_obs_proxy(struct dev_obs *o, struct pg_proxy *proxy)
{
	if (o && proxy)
		dev_sql_observe(o->sql, proxy);
}

/* ---- the gateway ---- */

static const struct obs_api *api_of(const struct dev_obs *o, const char *id)
{
	for (size_t i = 0; id && i < o->napis; i++)
		if (!strcmp(o->apis[i].local, id) || !strcmp(o->apis[i].id, id))
			return &o->apis[i];
	return NULL;
}

static void on_begin(void *arg, const char *id, const char *method, const char *path)
{
	struct dev_obs *o = arg;

	cw_request_begin(o->cw, id, method, path);
}

static void on_invoke(void *arg, const char *id, const struct gateway_route_spec *route,
		      const char *route_key, const char *event, size_t len)
{
	struct dev_obs *o = arg;
	const struct obs_api *a = api_of(o, route->api);
	const char *stage = route->stage && strcmp(route->stage, "$default") ? route->stage : NULL;

	cw_request_invoke(o->cw, id, a ? a->local : route->api, stage, route_key, route->function,
			  event, len);
}

/* An access log value: JSON-escaped (the Format quotes it), "-" when unknown, as API Gateway does.
 */
static void put_var(struct buf *b, const char *v)
{
	if (!v || !*v) {
		buf_putc(b, '-');
		return;
	}
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_putc(b, '\\');
		if ((unsigned char)*v < 0x20)
			buf_putf(b, "\\u%04x", (unsigned char)*v);
		else
			buf_putc(b, *v);
	}
}

/* $context.* of the Format for one request. */
static void access_line(const struct obs_api *a, const char *id, int status,
			const struct cw_request_info *in, struct buf *b)
{
	const char *f = a->format;
	char num[64], when[32];

	while (*f) {
		const char *v = NULL;
		size_t n;

		if (strncmp(f, "$context.", 9)) {
			buf_putc(b, *f++);
			continue;
		}
		f += 9;
		n = strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.");
		while (n && f[n - 1] == '.')
			n--;
#define IS(name) (n == sizeof(name) - 1 && !strncmp(f, name, n))
		if (IS("requestId") || IS("extendedRequestId"))
			v = id;
		else if (IS("identity.sourceIp"))
			v = "127.0.0.1";
		else if (IS("routeKey"))
			v = in->route ? in->route : "-";
		else if (IS("httpMethod"))
			v = in->method;
		else if (IS("path"))
			v = in->path;
		else if (IS("protocol"))
			v = "HTTP/1.1";
		else if (IS("stage"))
			v = in->stage ? in->stage : "$default";
		else if (IS("apiId"))
			v = a->local;
		else if (IS("status") || IS("integrationStatus")) {
			snprintf(num, sizeof(num), "%d", status);
			v = num;
		} else if (IS("responseLatency") || IS("integrationLatency")) {
			snprintf(num, sizeof(num), "%.0f",
				 IS("responseLatency") ? in->latency_ms : in->integration_ms);
			v = num;
		} else if (IS("requestTimeEpoch")) {
			snprintf(num, sizeof(num), "%" PRId64, in->start_ms);
			v = num;
		} else if (IS("requestTime")) {
			time_rfc3339(when, in->start_ms, 0);
			v = when;
		} else if (IS("integrationErrorMessage") || IS("error.message")) {
			v = in->error_type && *in->error_type ? in->error_type : NULL;
		}
#undef IS
		put_var(b, v);
		f += n;
	}
}

/*
 * The request's AWS/ApiGateway datapoints. An HTTP API: Count, 4xx, 5xx,
 * Latency, IntegrationLatency per ApiId, ApiId+Stage and ApiId+Stage+Route
 * (API Gateway's detailed metrics, recorded locally whether or not they are
 * enabled). A REST API: 4XXError and 5XXError instead, per ApiName,
 * ApiName+Stage and ApiName+Stage+Method+Resource.
 */
static void apigw_metrics(struct dev_obs *o, const struct obs_api *a, int status,
			  const struct cw_request_info *in)
{
	const char *stage = in->stage ? in->stage : "$default";
	struct cw_dim d[4] = {{a->rest ? "ApiName" : "ApiId", a->local}, {"Stage", stage}};
	const char *names[5] = {"Count", a->rest ? "4XXError" : "4xx", a->rest ? "5XXError" : "5xx",
				"Latency", "IntegrationLatency"};
	double values[5] = {1, status >= 400 && status < 500, status >= 500, in->latency_ms,
			    in->integration_ms};
	char method[16] = "";
	size_t sets[3] = {1, 2, 0}, nsets = 2;
	int64_t now = time_now_ms();

	if (in->route && !a->rest) {
		d[2] = (struct cw_dim){"Route", in->route};
		sets[2] = 3;
		nsets = 3;
	} else if (in->route && strchr(in->route, ' ')) {
		snprintf(method, sizeof(method), "%.*s", (int)strcspn(in->route, " "), in->route);
		d[2] = (struct cw_dim){"Method", method};
		d[3] = (struct cw_dim){"Resource", strchr(in->route, ' ') + 1};
		sets[2] = 4;
		nsets = 3;
	}
	for (size_t s = 0; s < nsets; s++)
		for (size_t k = 0; k < 5; k++) {
			if (k == 4 && !in->invoked)
				continue;
			cw_metric(o->cw, "AWS/ApiGateway", names[k], d, sets[s], values[k],
				  k >= 3 ? "Milliseconds" : "Count", now);
		}
}

static void on_end(void *arg, const char *id, int status)
{
	struct dev_obs *o = arg;
	struct cw_request_info in;
	const struct obs_api *a;
	struct buf line;
	char stream[64];

	if (!cw_request_end(o->cw, id, status, &in))
		return;
	a = api_of(o, in.api);
	if (!a && o->napis == 1)
		a = &o->apis[0]; /* a request no route took: the one API's */
	if (!a)
		return;
	apigw_metrics(o, a, status, &in);
	if (!a->group || !a->format)
		return;
	buf_init(&line, OBS_LINE_MAX);
	access_line(a, id, status, &in, &line);
	snprintf(stream, sizeof(stream), "%s_%s", in.stage ? in.stage : "$default", a->local);
	if (!buf_error(&line))
		cw_log(o->cw, a->group, stream, in.start_ms, line.ptr, line.len, NULL);
	buf_release(&line);
}

void dev_obs_gateway(struct dev_obs *o, struct gateway *gw)
{
	struct gateway_observer obs = {o, on_begin, on_invoke, on_end};

	if (o && gw)
		gateway_set_observer(gw, &obs);
}
