/*
 * `sluice dev` at run time (dev.h): the AWS endpoint (S3 and DynamoDB, with
 * the template's buckets and tables), one pool per function
 * on a shared Runtime API server, the gateway, the file watcher and the
 * signals, all on one event_base. The template-reading half is dev_app.c.
 *
 * Reload: the watcher (dev_watch.c) reports the template and function
 * binaries that changed and then stayed quiet for DEV_QUIET_MS; changed
 * binaries are reloaded (pool_reload()), and a changed template is loaded
 * again and swapped in whole, or kept out with the reason logged.
 */
#include "core/common.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/apigw.h"
#include "local/endpoint.h"
#include "local/dev.h"
#include "local/dev_db.h"
#include "local/dev_notify.h"
#include "local/dev_obs.h"
#include "local/dev_watch.h"
#include "local/static_file.h"
#include "local/apigw/gateway.h"
#include "local/lambda/pool.h"
#include "local/lambda/runtime_api.h"
#include "local/web/web_front.h"
#include "local/web/web_publish.h"

/* The pool of one function, kept across template reloads by logical id. */
struct dev_pool {
	char *id;
	struct pool *pool;
};

struct dev {
	const struct dev_options *o;
	struct event_base *base;
	struct aws_endpoint *aws;
	struct runtime_api *rt;
	struct gateway *gw;
	struct dev_obs *obs; /* the local CloudWatch's view of all this (dev_obs.h) */
	struct dev_app app;
	struct dev_pool pools[DEV_MAX_FUNCTIONS * 4];
	size_t npools;
	char aws_url[64];
	char data_dir[4096];
	struct dev_watch *watch; /* NULL with --no-watch */
	struct event *sigint, *sigterm;
	/* The site (the template's distribution), when there is one. */
	struct web_front *web;
	char *site_id;	      /* the distribution's logical id */
	char *site_bucket;    /* the local bucket it serves */
	char *site_content;   /* the folder mirrored into it, or NULL */
	char *site_watched;   /* <site_content>/index.html, the last file a build writes */
	char *site_config;    /* the key config.json goes to, or NULL */
	char site_notes[256]; /* function and policy, for the banner */
	/* The caller's options plus the parameters the local cloud fills (dev_db.h). */
	struct dev_options opts;
	struct template_params local_params;
	struct dev_db *db;		 /* NULL when the template asks for no database */
	struct static_file *vendor_list; /* NULL without --vendor-list */
	struct dev_notify *notify;	 /* S3 event notifications (dev_notify.h) */
};

static const char *opt_or(const char *v, const char *dflt)
{
	return v ? v : dflt;
}

/*
 * A test hook from the environment (DEV_ENV_INTEGRATION_TIMEOUT_MS,
 * DEV_ENV_QUEUE_MAX): a decimal in [1, max], else 0 (the default applies).
 */
static uint32_t dev_env_u32(const char *name, uint32_t max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n == 0 || n > max) {
		log_msg(LVL_WARN, "%s=%s ignored: not a number in [1, %u]", name, v, (unsigned)max);
		return 0;
	}
	return (uint32_t)n;
}

static struct pool *dev_pool_find(struct dev *d, const char *id)
{
	for (size_t i = 0; i < d->npools; i++)
		if (!strcmp(d->pools[i].id, id))
			return d->pools[i].pool;
	return NULL;
}

/* The pool's copy of the id: it lives as long as `d`, unlike the app's. */
static char *dev_pool_id(struct dev *d, const char *id)
{
	for (size_t i = 0; i < d->npools; i++)
		if (!strcmp(d->pools[i].id, id))
			return d->pools[i].id;
	return NULL;
}

static void pool_cfg(const struct dev *d, const struct dev_function *f, struct pool_config *c)
{
	memset(c, 0, sizeof(*c));
	c->function_name = f->id;
	c->binary = f->binary;
	c->argv = (const char *const *)f->argv;
	c->task_root = f->task_root;
	c->handler = f->handler;
	c->env = (const char *const *)f->env;
	c->timeout_ms = f->timeout_ms;
	c->memory_mb = f->memory_mb;
	c->max_workers = f->max_workers;
	c->queue_max = dev_env_u32(DEV_ENV_QUEUE_MAX, 1u << 20);
	c->region = opt_or(d->o->region, AWS_ENDPOINT_DEFAULT_REGION);
	c->access_key_id = opt_or(d->o->access_key_id, AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID);
	c->secret_access_key = opt_or(d->o->secret_access_key, AWS_ENDPOINT_DEFAULT_SECRET);
}

/* Pools for every function of `app`: existing ones are reloaded when asked, new ones made. */
static int dev_pools_sync(struct dev *d, const struct dev_app *app, bool reload_existing)
{
	for (size_t i = 0; i < app->nfns; i++) {
		const struct dev_function *f = &app->fns[i];
		struct pool *p = dev_pool_find(d, f->id);
		struct pool_config c;
		int err;

		pool_cfg(d, f, &c);
		if (p) {
			if (reload_existing && (err = pool_reload(p, &c, NULL, NULL)))
				log_msg(LVL_ERROR, "%s: reload failed: %s", f->id, err_str(err));
			continue;
		}
		if (d->npools == ARRAY_SIZE(d->pools))
			return ERR_TOOLARGE;
		err = pool_new(d->base, d->rt, &c, &p);
		if (err) {
			log_msg(LVL_ERROR, "%s: cannot create its worker pool: %s", f->id,
				err_str(err));
			return err;
		}
		dev_obs_pool(d->obs, p);
		d->pools[d->npools].id = strdup(f->id);
		d->pools[d->npools].pool = p;
		d->npools++;
		if (!d->o->no_prewarm && access(f->binary, X_OK) == 0)
			pool_prewarm(p);
	}
	return 0;
}

static int dev_routes_build(struct dev *d, const struct dev_app *app, struct gateway_routes **out)
{
	struct gateway_routes *rt;
	int err = gateway_routes_new(&rt);

	if (err)
		return err;
	for (size_t i = 0; i < app->nroutes; i++) {
		const struct dev_route *r = &app->routes[i];
		struct gateway_cors cors = {
			.allow_origins = r->cors.allow_origins,
			.allow_methods = r->cors.allow_methods,
			.allow_headers = r->cors.allow_headers,
			.expose_headers = r->cors.expose_headers,
			.max_age = r->cors.max_age,
			.allow_credentials = r->cors.allow_credentials,
		};
		struct gateway_route_spec s = {
			.version = r->version,
			.api = r->api,
			.stage = r->stage,
			.method = r->method,
			.path = r->path,
			.function = app->fns[r->function].id,
			.iam = r->iam,
			.pool = dev_pool_find(d, app->fns[r->function].id),
			.cors = r->has_cors ? &cors : NULL,
		};

		err = gateway_routes_add(rt, &s);
		if (err) {
			log_msg(LVL_ERROR, "route %s %s: %s", r->method, r->path, err_str(err));
			gateway_routes_free(rt);
			return err;
		}
	}
	*out = rt;
	return 0;
}

static void dev_create_buckets(struct dev *d, const struct dev_app *app)
{
	for (size_t i = 0; i < app->nbuckets; i++) {
		int err = aws_endpoint_create_bucket(d->aws, app->buckets[i]);

		if (err)
			log_msg(LVL_ERROR, "bucket %s (%s): %s", app->buckets[i],
				app->bucket_ids[i], err_str(err));
	}
}

static void dev_create_tables(struct dev *d, const struct dev_app *app)
{
	for (size_t i = 0; i < app->ntables; i++) {
		int err = aws_endpoint_create_table(d->aws, app->table_specs[i]);

		if (err)
			log_msg(LVL_ERROR, "table %s (%s): %s", app->tables[i], app->table_ids[i],
				err_str(err));
	}
}

static void dev_print_banner(struct dev *d)
{
	FILE *f = d->o->out ? d->o->out : stdout;
	const struct dev_app *app = &d->app;
	const char *stage = opt_or(d->o->stage, DEV_DEFAULT_STAGE);
	unsigned port = gateway_port(d->gw);

	fprintf(f, "sluice dev: stage %s (stack %s), data in %s\n", stage, app->stack_name,
		d->data_dir);
	fprintf(f, "  API            http://127.0.0.1:%u\n", port);
	for (size_t i = 0; i < app->nroutes; i++) {
		if (!app->routes[i].stage)
			continue;
		fprintf(f, "                 http://127.0.0.1:%u/%s (stage %s)\n", port,
			app->routes[i].stage, app->routes[i].stage);
		break;
	}
	fprintf(f, "  AWS endpoint   %s (S3, DynamoDB)\n", d->aws_url);
	fprintf(f, "  CloudWatch     %s (Logs, metrics, alarms); dashboard %s/_sluice/\n",
		d->aws_url, d->aws_url);
	if (d->web && d->site_id)
		fprintf(f, "  Site           http://127.0.0.1:%u (%s: bucket %s%s%s%s%s)\n",
			(unsigned)web_front_port(d->web), d->site_id, d->site_bucket,
			d->site_content ? " from " : "", d->site_content ? d->site_content : "",
			d->site_notes[0] ? "; " : "", d->site_notes);
	dev_db_banner(d->db, f);
	if (d->vendor_list)
		fprintf(f, "  Vendor list    %s\n", static_file_url(d->vendor_list));
	fprintf(f, "  Routes:\n");
	for (size_t i = 0; i < app->nroutes; i++) {
		const struct dev_route *r = &app->routes[i];

		fprintf(f, "    %-7s %-28s -> %s%s%s\n", r->method, r->path,
			app->fns[r->function].id, r->iam ? "  (AWS_IAM)" : "",
			r->version == APIGW_V1 ? "  [REST]" : "");
	}
	for (size_t i = 0; i < app->nnot_running; i++)
		fprintf(f, "  Not served     %s\n", app->not_running[i]);
	for (size_t i = 0; i < app->nbuckets; i++)
		fprintf(f, "  Bucket         %s = %s\n", app->bucket_ids[i], app->buckets[i]);
	for (size_t i = 0; i < app->ntables; i++)
		fprintf(f, "  Table          %s = %s\n", app->table_ids[i], app->tables[i]);
	fprintf(f,
		"  Credentials for awscli and boto3:\n"
		"    export AWS_ACCESS_KEY_ID=%s\n"
		"    export AWS_SECRET_ACCESS_KEY=%s\n"
		"    export AWS_DEFAULT_REGION=%s\n"
		"    export AWS_ENDPOINT_URL=%s\n",
		opt_or(d->o->access_key_id, AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID),
		opt_or(d->o->secret_access_key, AWS_ENDPOINT_DEFAULT_SECRET),
		opt_or(d->o->region, AWS_ENDPOINT_DEFAULT_REGION), d->aws_url);
	fprintf(f, "sluice dev: ready\n");
	fflush(f);
}

/* ---- The site (the local CloudFront front) ----------------------------------------------- */

static int dev_origin_get(void *ctx, const char *bucket, struct str key, struct web_object *obj,
			  int *fd)
{
	struct aws_endpoint_object o;
	int err = aws_endpoint_object_get(ctx, bucket, key, &o, fd);

	if (err)
		return err;
	obj->size = o.size;
	memcpy(obj->etag, o.etag, sizeof(obj->etag));
	obj->content_type = o.content_type;
	obj->last_modified_ms = o.last_modified_ms;
	return 0;
}

static int dev_origin_put(void *ctx, const char *bucket, struct str key, const char *type,
			  const void *data, size_t len)
{
	return aws_endpoint_object_put(ctx, bucket, key, type, data, len);
}

static void dev_api_origin(const struct dev *d, char out[64])
{
	snprintf(out, 64, "http://127.0.0.1:%u", (unsigned)gateway_port(d->gw));
}

/* The site's strings (its CSP names the API) with the local gateway for the API. */
static int dev_site_resolve(void *ctx, const struct tval *v, struct buf *out)
{
	struct dev *d = ctx;
	char origin[64];

	dev_api_origin(d, origin);
	return dev_app_resolve(&d->app, d->o->region, origin, v, out);
}

/* {"apiUrl": the local API, with its stage as the deployed ApiUrl has it}. */
static char *dev_site_config(const struct dev *d)
{
	char url[128];
	json_t *j;
	char *text;

	dev_api_origin(d, url);
	for (size_t i = 0; i < d->app.nroutes; i++)
		if (d->app.routes[i].stage) {
			size_t n = strlen(url);

			snprintf(url + n, sizeof(url) - n, "/%s", d->app.routes[i].stage);
			break;
		}
	j = json_pack("{s:s}", "apiUrl", url);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return text;
}

/* Mirror the site's folder into its bucket and write config.json (web_publish.h). */
static void dev_site_publish(struct dev *d)
{
	struct web_origin origin = {d->aws, dev_origin_get, dev_origin_put};
	struct web_publish_stats st;
	char *config;
	int err;

	if (!d->site_content)
		return;
	config = d->site_config ? dev_site_config(d) : NULL;
	err = web_publish(&origin, d->site_bucket, d->site_content, d->site_config, config,
			  config ? strlen(config) : 0, &st);
	free(config);
	if (err == ERR_NOTFOUND)
		log_msg(LVL_WARN, "site: %s does not exist yet (make web builds it)",
			d->site_content);
	else if (err)
		log_msg(LVL_ERROR, "site: cannot publish %s to %s: %s", d->site_content,
			d->site_bucket, err_str(err));
	else
		log_msg(LVL_INFO, "site: %s published to %s (%zu written, %zu unchanged)",
			d->site_content, d->site_bucket, st.written, st.unchanged);
}

static void dev_site_clear(struct dev *d)
{
	free(d->site_id);
	free(d->site_bucket);
	free(d->site_content);
	free(d->site_watched);
	free(d->site_config);
	d->site_id = d->site_bucket = d->site_content = d->site_watched = d->site_config = NULL;
	d->site_notes[0] = '\0';
}

/* The local name of bucket `logical_id`, or NULL. */
static const char *dev_bucket_of(const struct dev_app *app, const char *logical_id)
{
	for (size_t i = 0; i < app->nbuckets; i++)
		if (!strcmp(app->bucket_ids[i], logical_id))
			return app->buckets[i];
	return NULL;
}

/*
 * Read the template's distribution into `dist`: 0, or ERR_NOTFOUND when
 * there is none to serve (said in the log when there is one that cannot be).
 */
static int dev_site_read(struct dev *d, struct web_dist *dist)
{
	char why[1024];
	int err = web_dist_load(d->app.t, dev_site_resolve, d, dist, why, sizeof(why));

	if (err && why[0])
		log_msg(LVL_WARN, "%s", why);
	if (!err && !dev_bucket_of(&d->app, dist->bucket_id)) {
		web_dist_release(dist);
		err = ERR_NOTFOUND;
	}
	return err;
}

/* Serve `dist` (taken) and publish its files. */
static void dev_site_use(struct dev *d, struct web_dist *dist)
{
	char *watched = NULL;

	dev_site_clear(d);
	if (dist->content_dir && asprintf(&watched, "%s/index.html", dist->content_dir) < 0)
		watched = NULL;
	d->site_id = strdup(dist->id);
	d->site_bucket = strdup(dev_bucket_of(&d->app, dist->bucket_id));
	d->site_content = dist->content_dir ? strdup(dist->content_dir) : NULL;
	d->site_config = dist->config_key ? strdup(dist->config_key) : NULL;
	d->site_watched = watched;
	snprintf(d->site_notes, sizeof(d->site_notes), "%s%s%s%s",
		 dist->rule.kind == CF_RULE_SPA ? "SPA function " : "",
		 dist->rule.kind == CF_RULE_SPA ? dist->function_id : "",
		 dist->policy_id ? (dist->rule.kind == CF_RULE_SPA ? ", headers " : "headers ")
				 : "",
		 dist->policy_id ? dist->policy_id : "");
	dev_site_publish(d);
	if (web_front_set_site(d->web, dist, d->site_bucket))
		log_msg(LVL_ERROR, "site: out of memory");
	web_dist_release(dist);
}

/* Start the front when the template has a distribution. */
static int dev_site_start(struct dev *d)
{
	struct web_origin origin = {d->aws, dev_origin_get, dev_origin_put};
	uint16_t port = d->o->web_port_given ? d->o->web_port : WEB_DEFAULT_PORT;
	struct web_dist dist;
	int err;

	if (dev_site_read(d, &dist))
		return 0;
	err = web_front_new(d->base, d->o->address, port, &origin, &d->web);
	if (err) {
		web_dist_release(&dist);
		if (d->o->web_port_given) {
			fprintf(stderr, "sluice: cannot start the site on port %u: %s\n",
				(unsigned)port, err_str(err));
			return err;
		}
		log_msg(LVL_WARN, "site: port %u is taken; the site is not served (--web-port N)",
			(unsigned)port);
		return 0;
	}
	dev_site_use(d, &dist);
	return 0;
}

/* After a template reload: serve its distribution, or none. */
static void dev_site_reload(struct dev *d)
{
	struct web_dist dist;

	if (!d->web)
		return;
	if (dev_site_read(d, &dist)) {
		dev_site_clear(d);
		web_front_set_site(d->web, NULL, NULL);
		return;
	}
	dev_site_use(d, &dist);
}

/* ---- Reloading ------------------------------------------------------------------------ */

static void dev_watch_all(struct dev *d)
{
	dev_watch_clear(d->watch);
	dev_watch_file(d->watch, opt_or(d->o->template_path, DEV_DEFAULT_TEMPLATE));
	for (size_t i = 0; i < d->app.nfns; i++) {
		const struct dev_function *f = &d->app.fns[i];
		struct stat st;

		if (!f->argv)
			dev_watch_file(d->watch, f->binary);
		/* A code folder or a zip: a change there loads the template again (dev_fn.h). */
		if (f->watch && !stat(f->watch, &st) && S_ISDIR(st.st_mode))
			dev_watch_dir(d->watch, f->watch);
		else if (f->watch)
			dev_watch_file(d->watch, f->watch);
	}
	if (d->site_watched)
		dev_watch_file(d->watch, d->site_watched);
}

static void dev_reload_template(struct dev *d)
{
	struct dev_app app;
	struct gateway_routes *rt;
	char why[2048];
	int err = dev_app_load(d->o, d->aws_url, &app, why, sizeof(why));

	if (err) {
		log_msg(LVL_ERROR, "template not reloaded, the previous routes stay: %s", why);
		return;
	}
	if (dev_pools_sync(d, &app, true) || dev_routes_build(d, &app, &rt)) {
		log_msg(LVL_ERROR, "template not reloaded, the previous routes stay");
		dev_app_release(&app);
		return;
	}
	dev_create_buckets(d, &app);
	dev_create_tables(d, &app);
	gateway_set_routes(d->gw, rt);
	dev_app_release(&d->app);
	d->app = app;
	dev_obs_load(d->obs, &d->app, d->o->region);
	dev_site_reload(d);
	if (d->notify && dev_notify_load(d->notify, &d->app))
		log_msg(LVL_ERROR, "S3 notifications could not be read again");
	dev_watch_all(d);
	log_msg(LVL_INFO, "template reloaded: %zu routes, %zu functions", app.nroutes, app.nfns);
}

static void dev_reload_done(void *arg, int err, const char *why)
{
	const char *id = arg;

	if (err == 0)
		log_msg(LVL_INFO, "%s: reloaded, the new build serves", id);
	else if (err != ERR_PRECONDITION)
		log_msg(LVL_ERROR, "%s: the new build did not start, the old one keeps serving: %s",
			id, why);
}

/* Reload one function whose binary changed, keeping the old workers when the new one is missing. */
static void dev_reload_function(struct dev *d, const struct dev_function *f)
{
	struct pool *p = dev_pool_find(d, f->id);
	struct pool_config c;

	if (!p)
		return;
	if (access(f->binary, X_OK)) {
		log_msg(LVL_WARN, "%s: %s is gone or not executable; keeping the old workers",
			f->id, f->binary);
		return;
	}
	pool_cfg(d, f, &c);
	log_msg(LVL_INFO, "%s: %s changed, reloading", f->id, f->binary);
	if (pool_reload(p, &c, dev_reload_done, dev_pool_id(d, f->id)))
		log_msg(LVL_ERROR, "%s: reload could not start", f->id);
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* The watcher's callback: a changed template reloads everything, else each changed binary. */
static void dev_changed(void *arg, const char *const *changed, size_t n)
{
	struct dev *d = arg;

	bool code = false;

	for (size_t i = 0; i < d->app.nfns; i++)
		code |= d->app.fns[i].watch && in_list(changed, n, d->app.fns[i].watch);
	if (code || in_list(changed, n, opt_or(d->o->template_path, DEV_DEFAULT_TEMPLATE))) {
		dev_reload_template(d); /* reloads every pool too */
		return;
	}
	for (size_t i = 0; i < d->app.nfns; i++)
		if (in_list(changed, n, d->app.fns[i].binary))
			dev_reload_function(d, &d->app.fns[i]);
	if (d->site_watched && in_list(changed, n, d->site_watched))
		dev_site_publish(d); /* a rebuilt site: shown on the next request */
}

/* ---- Start and stop -------------------------------------------------------------------- */

static void dev_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dev *d = arg;

	log_msg(LVL_INFO, "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	event_base_loopbreak(d->base);
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return ERR_INVAL;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return ERR_IO;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return ERR_IO;
	return 0;
}

static void dev_release(struct dev *d)
{
	web_front_free(d->web);
	dev_site_clear(d);
	gateway_free(d->gw);
	for (size_t i = 0; i < d->npools; i++) {
		pool_free(d->pools[i].pool);
		free(d->pools[i].id);
	}
	runtime_api_free(d->rt);
	aws_endpoint_free(d->aws);
	dev_notify_free(d->notify);
	dev_db_free(d->db);
	static_file_free(d->vendor_list);
	template_params_release(&d->local_params);
	dev_obs_free(d->obs); /* after the pools, whose last lines it took */
	dev_watch_free(d->watch);
	if (d->sigint)
		event_free(d->sigint);
	if (d->sigterm)
		event_free(d->sigterm);
	dev_app_release(&d->app);
	if (d->base)
		event_base_free(d->base);
}

/*
 * The event loop. With epoll's change list, the many enable/disable calls
 * evhttp makes on a connection during one request collapse into one
 * epoll_ctl() per descriptor per loop iteration (about 12 calls a request
 * became 4 in the benchmark). It is safe here: no descriptor is dup()ed.
 */
static struct event_base *dev_event_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg && !event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST))
		base = event_base_new_with_config(cfg);
	if (cfg)
		event_config_free(cfg);
	return base ? base : event_base_new();
}

/*
 * The services the template's parameters point at: the stage's database and
 * proxy (dev_db.h) when the template asks for one, and the local copy of the
 * vendor list (--vendor-list); their parameters go to d->local_params.
 */
static int dev_local_services(struct dev *d, char *why, size_t why_len)
{
	struct dev_db_spec spec;
	int err = dev_db_probe(d->o, &spec, why, why_len);

	if (!err && spec.enabled &&
	    !(err = dev_db_start(d->base, d->o, d->data_dir, &spec, &d->db, why, why_len)))
		err = dev_db_params(d->db, &d->local_params);
	if (!err && d->o->vendor_list) {
		err = static_file_new(d->base, d->o->vendor_list, "/v3/vendor-list.json", 0, 300,
				      &d->vendor_list);
		if (err)
			snprintf(why, why_len, "--vendor-list %s: %s", d->o->vendor_list,
				 err_str(err));
		else
			err = template_params_set(&d->local_params, "VendorListUrl",
						  static_file_url(d->vendor_list));
	}
	return err;
}

static struct pool *dev_notify_pool(void *ctx, const char *id)
{
	return dev_pool_find(ctx, id);
}

/* S3 event notifications to the template's subscribers (dev_notify.h). */
static int dev_notifications(struct dev *d)
{
	int err = dev_notify_new(d->base, d->o->region, dev_notify_pool, d, &d->notify);

	if (!err)
		err = dev_notify_load(d->notify, &d->app);
	if (!err)
		aws_endpoint_on_s3_created(d->aws, dev_notify_created, d->notify);
	return err;
}

/* Everything but the gateway and the watcher: shared by dev_run() and dev_invoke(). */
static int dev_start_backend(struct dev *d, const struct dev_options *o, uint16_t aws_port)
{
	struct aws_endpoint_credentials creds = {o->access_key_id, o->secret_access_key, o->region};
	const char *stage = opt_or(o->stage, DEV_DEFAULT_STAGE);
	char why[2048];
	int err, n;

	d->opts = *o;
	d->o = &d->opts;
	template_params_init(&d->local_params);
	d->opts.local_params = &d->local_params;
	signal(SIGPIPE, SIG_IGN);
	d->base = dev_event_base_new();
	if (!d->base)
		return ERR_NOMEM;
	/* Check the stage before it becomes a directory name. */
	err = dev_stage_check(stage, why, sizeof(why));
	if (err) {
		fprintf(stderr, "sluice: %s\n", why);
		return err;
	}
	n = snprintf(d->data_dir, sizeof(d->data_dir), "%s/%s",
		     opt_or(o->data_dir, DEV_DEFAULT_DATA_DIR), stage);
	if (n < 0 || (size_t)n >= sizeof(d->data_dir) || mkdir_p(d->data_dir)) {
		fprintf(stderr, "sluice: cannot create the data directory %s: %s\n", d->data_dir,
			strerror(errno));
		return ERR_IO;
	}
	err = aws_endpoint_new(d->base, o->address, aws_port, &creds, d->data_dir, &d->aws);
	if (err) {
		fprintf(stderr, "sluice: cannot start the AWS endpoint on port %u: %s\n",
			(unsigned)aws_port, err_str(err));
		return err;
	}
	aws_endpoint_set_fsync(d->aws, o->fsync);
	snprintf(d->aws_url, sizeof(d->aws_url), "http://127.0.0.1:%u",
		 (unsigned)aws_endpoint_port(d->aws));
	err = dev_local_services(d, why, sizeof(why));
	if (err) {
		fprintf(stderr, "sluice: %s\n", why);
		return err;
	}
	err = dev_app_load(d->o, d->aws_url, &d->app, why, sizeof(why));
	if (err) {
		fprintf(stderr, "sluice: %s\n", why);
		return err;
	}
	dev_create_buckets(d, &d->app);
	dev_create_tables(d, &d->app);
	if ((err = dev_obs_new(aws_endpoint_cloudwatch(d->aws), &d->obs)))
		return err;
	dev_obs_load(d->obs, &d->app, o->region);
	dev_obs_proxy(d->obs, dev_db_proxy(d->db));
	err = runtime_api_new(d->base, o->address, 0, &d->rt);
	if (err) {
		fprintf(stderr, "sluice: cannot start the Runtime API: %s\n", err_str(err));
		return err;
	}
	return 0;
}

int dev_run(const struct dev_options *o)
{
	struct dev *d = calloc(1, sizeof(*d));
	struct gateway_routes *rt = NULL;
	struct gateway_config gc = {0};
	int err;

	if (!d)
		return ERR_NOMEM;
	err = dev_start_backend(d, o, o->aws_port);
	if (err)
		goto out;
	err = dev_pools_sync(d, &d->app, false);
	if (!err)
		err = dev_routes_build(d, &d->app, &rt);
	if (!err)
		err = dev_notifications(d);
	if (err) {
		fprintf(stderr, "sluice: cannot start the functions: %s\n", err_str(err));
		goto out;
	}
	gc.address = o->address;
	gc.port = o->port;
	gc.access_key_id = opt_or(o->access_key_id, AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID);
	gc.secret_access_key = opt_or(o->secret_access_key, AWS_ENDPOINT_DEFAULT_SECRET);
	gc.region = o->region;
	gc.rest_timeout_ms = gc.http_timeout_ms =
		dev_env_u32(DEV_ENV_INTEGRATION_TIMEOUT_MS, 15u * 60 * 1000);
	err = gateway_new(d->base, &gc, rt, &d->gw);
	if (err) {
		fprintf(stderr, "sluice: cannot start the gateway on port %u: %s\n",
			(unsigned)o->port, err_str(err));
		goto out;
	}
	dev_obs_gateway(d->obs, d->gw);
	err = dev_site_start(d);
	if (err)
		goto out;
	d->sigint = evsignal_new(d->base, SIGINT, dev_signal, d);
	d->sigterm = evsignal_new(d->base, SIGTERM, dev_signal, d);
	if (!d->sigint || !d->sigterm || evsignal_add(d->sigint, NULL) ||
	    evsignal_add(d->sigterm, NULL)) {
		err = ERR_NOMEM;
		goto out;
	}
	if (!o->no_watch) {
		err = dev_watch_new(d->base, DEV_QUIET_MS, dev_changed, d, &d->watch);
		if (err)
			goto out;
		dev_watch_all(d);
	}
	dev_print_banner(d);
	event_base_dispatch(d->base);
	err = 0;
out:
	dev_release(d);
	free(d);
	return err;
}

/* ---- sluice invoke --------------------------------------------------------------------- */

struct invoke_wait {
	struct event_base *base;
	FILE *out;
	bool done;
	int err;
};

static void invoke_done(void *arg, const struct pool_result *res)
{
	struct invoke_wait *w = arg;

	fwrite(res->payload, 1, res->payload_len, w->out);
	fputc('\n', w->out);
	fflush(w->out);
	if (res->kind != POOL_OK) {
		fprintf(stderr, "sluice: invocation failed (%s): %s: %s\n",
			pool_result_kind_name(res->kind), res->error_type, res->error_message);
		w->err = ERR_REMOTE;
	}
	w->done = true;
	event_base_loopbreak(w->base);
}

int dev_invoke(const struct dev_options *o, const char *id, const char *event, size_t len,
	       FILE *out)
{
	struct dev *d = calloc(1, sizeof(*d));
	struct invoke_wait w = {0};
	struct pool *p;
	int fi, err;

	if (!d)
		return ERR_NOMEM;
	err = dev_start_backend(d, o, 0);
	if (err)
		goto out;
	fi = dev_app_function(&d->app, id);
	if (fi < 0) {
		fprintf(stderr, "sluice: no function '%s' in %s; functions:", id, d->app.t->path);
		for (size_t i = 0; i < d->app.nfns; i++)
			fprintf(stderr, " %s", d->app.fns[i].id);
		fputc('\n', stderr);
		err = ERR_NOTFOUND;
		goto out;
	}
	err = dev_pools_sync(d, &d->app, false);
	if (err)
		goto out;
	p = dev_pool_find(d, id);
	w.base = d->base;
	w.out = out;
	err = pool_invoke(p, event, len, NULL, invoke_done, &w, NULL);
	if (err) {
		fprintf(stderr, "sluice: cannot invoke %s: %s\n", id, err_str(err));
		goto out;
	}
	while (!w.done)
		if (event_base_loop(d->base, EVLOOP_ONCE) < 0)
			break;
	err = w.done ? w.err : ERR_IO;
out:
	dev_release(d);
	free(d);
	return err;
}
