/*
 * S3 event notifications in `sluice dev` (see dev_notify.h): subscriptions
 * read from the template model, matching of an object-created event against
 * them, and asynchronous delivery with Lambda's retries on the event loop.
 */
#include "core/common.h"

#include <sys/queue.h>

#include <event2/event.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/dev_notify.h"
#include "local/lambda/pool.h"
#include "local/s3/s3_notify.h"

#define MAX_EVENTS 8

struct subscription {
	char *bucket;	/* local name */
	char *function; /* logical id */
	char *config_id;
	char *events[MAX_EVENTS]; /* "s3:ObjectCreated:*" ... */
	size_t nevents;
	char *prefix, *suffix;
};

/* One delivery, from its first attempt to its outcome. */
struct delivery {
	struct dev_notify *n;
	char *function, *what; /* "ObjectCreated:Put s3://bucket/key", for the log */
	char *event;
	size_t len;
	int failures, throttles;
	struct event *timer;
	LIST_ENTRY(delivery) link;
};

struct dev_notify {
	struct event_base *base;
	char *region;
	dev_notify_pool_fn find;
	void *find_ctx;
	struct subscription *subs;
	size_t nsubs;
	uint32_t retry_ms;
	LIST_HEAD(, delivery) pending;
};

static void subs_free(struct dev_notify *n)
{
	for (size_t i = 0; i < n->nsubs; i++) {
		struct subscription *s = &n->subs[i];

		free(s->bucket);
		free(s->function);
		free(s->config_id);
		for (size_t k = 0; k < s->nevents; k++)
			free(s->events[k]);
		free(s->prefix);
		free(s->suffix);
	}
	free(n->subs);
	n->subs = NULL;
	n->nsubs = 0;
}

/* ---- Reading the template ---------------------------------------------------------------- */

static const char *local_bucket(const struct dev_app *app, const struct tval *ref)
{
	const char *id = ref && ref->kind == TVAL_UNKNOWN ? ref->ref : tval_str(ref);

	for (size_t i = 0; id && i < app->nbuckets; i++)
		if (!strcmp(app->bucket_ids[i], id) || !strcmp(app->buckets[i], id))
			return app->buckets[i];
	return NULL;
}

/* Prefix and suffix of a Filter: {S3Key: {Rules: [{Name, Value}]}}. */
static int read_filter(const struct tval *filter, struct subscription *s)
{
	const struct tval *rules = tval_get(tval_get(filter, "S3Key"), "Rules");

	for (size_t i = 0; rules && rules->kind == TVAL_SEQ && i < rules->n; i++) {
		const char *name = tval_str(tval_get(rules->items[i], "Name"));
		const char *value = tval_str(tval_get(rules->items[i], "Value"));
		char **slot = NULL;

		if (name && !strcasecmp(name, "prefix"))
			slot = &s->prefix;
		else if (name && !strcasecmp(name, "suffix"))
			slot = &s->suffix;
		if (!slot || !value)
			continue;
		free(*slot);
		if (!(*slot = strdup(value)))
			return ERR_NOMEM;
	}
	return 0;
}

static int add_sub(struct dev_notify *n, const char *bucket, const char *function,
		   const char *config_id, const struct tval *events, const struct tval *filter)
{
	const struct tval *items[MAX_EVENTS];
	size_t nitems = tval_as_list(events, items, ARRAY_SIZE(items));
	struct subscription *s, *grown = realloc(n->subs, (n->nsubs + 1) * sizeof(*n->subs));

	if (!grown)
		return ERR_NOMEM;
	n->subs = grown;
	s = &n->subs[n->nsubs++];
	memset(s, 0, sizeof(*s));
	s->bucket = strdup(bucket);
	s->function = strdup(function);
	s->config_id = strdup(config_id);
	if (!s->bucket || !s->function || !s->config_id)
		return ERR_NOMEM;
	for (size_t i = 0; i < nitems; i++)
		if (tval_str(items[i]) && !(s->events[s->nevents++] = strdup(tval_str(items[i]))))
			return ERR_NOMEM;
	return read_filter(filter, s);
}

/* SAM: Events of Type S3 on each function. */
static int load_function_events(struct dev_notify *n, const struct dev_app *app,
				const struct template_resource *r)
{
	const struct tval *events = tval_get(r->props, "Events");
	int err = 0;

	for (size_t i = 0; !err && events && events->kind == TVAL_MAP && i < events->n; i++) {
		const struct tval *e = events->pairs[i].val, *p = tval_get(e, "Properties");
		const char *type = tval_str(tval_get(e, "Type")), *bucket;

		if (!type || strcmp(type, "S3"))
			continue;
		bucket = local_bucket(app, tval_get(p, "Bucket"));
		if (!bucket) {
			log_msg(LVL_WARN,
				"%s: event %s: its Bucket is not a bucket of the template; "
				"S3 notifications are not emulated for it",
				r->id, events->pairs[i].key);
			continue;
		}
		err = add_sub(n, bucket, r->id, events->pairs[i].key, tval_get(p, "Events"),
			      tval_get(p, "Filter"));
	}
	return err;
}

/* The function a LambdaConfiguration names: !GetAtt Fn.Arn, !Ref Fn, or an ARN. */
static const char *config_function(const struct tval *f)
{
	const char *arn = tval_str(f), *colon;

	if (f && f->kind == TVAL_UNKNOWN && f->ref)
		return f->ref;
	if (arn && (colon = strstr(arn, ":function:")))
		return colon + strlen(":function:");
	return arn;
}

/* CloudFormation: a bucket's NotificationConfiguration.LambdaConfigurations. */
static int load_bucket_config(struct dev_notify *n, const struct dev_app *app,
			      const struct template_resource *r)
{
	const struct tval *lc =
		tval_get_path(r->props, "NotificationConfiguration.LambdaConfigurations");
	const char *bucket = NULL;
	int err = 0;

	for (size_t i = 0; i < app->nbuckets; i++)
		if (!strcmp(app->bucket_ids[i], r->id))
			bucket = app->buckets[i];
	for (size_t i = 0; !err && bucket && lc && lc->kind == TVAL_SEQ && i < lc->n; i++) {
		const char *fn = config_function(tval_get(lc->items[i], "Function"));
		char id[48];

		if (!fn || dev_app_function(app, fn) < 0)
			continue;
		snprintf(id, sizeof(id), "LambdaConfiguration%zu", i + 1);
		err = add_sub(n, bucket, fn, id, tval_get(lc->items[i], "Event"),
			      tval_get(lc->items[i], "Filter"));
	}
	return err;
}

int dev_notify_load(struct dev_notify *n, const struct dev_app *app)
{
	int err = 0;

	subs_free(n);
	for (size_t i = 0; !err && i < app->t->nres; i++) {
		const struct template_resource *r = &app->t->res[i];

		if (r->cond_value == TCOND_FALSE)
			continue;
		if (!strcmp(r->type, "AWS::Serverless::Function") &&
		    dev_app_function(app, r->id) >= 0)
			err = load_function_events(n, app, r);
		else if (!strcmp(r->type, "AWS::S3::Bucket"))
			err = load_bucket_config(n, app, r);
	}
	return err;
}

size_t dev_notify_count(const struct dev_notify *n)
{
	return n ? n->nsubs : 0;
}

/* ---- Matching ---------------------------------------------------------------------------- */

/* "s3:ObjectCreated:*" and "s3:ObjectCreated:Put" against the event name "ObjectCreated:Put". */
static bool event_matches(const struct subscription *s, const char *name)
{
	for (size_t i = 0; i < s->nevents; i++) {
		const char *e = s->events[i];
		size_t n;

		if (strncmp(e, "s3:", 3))
			continue;
		e += 3;
		n = strlen(e);
		if (n >= 2 && !strcmp(e + n - 2, ":*") && !strncmp(e, name, n - 1))
			return true;
		if (!strcmp(e, name))
			return true;
	}
	return false;
}

static bool key_matches(const struct subscription *s, const struct s3_created *ev)
{
	size_t p = s->prefix ? strlen(s->prefix) : 0, x = s->suffix ? strlen(s->suffix) : 0;

	if (p && (ev->key_len < p || memcmp(ev->key, s->prefix, p)))
		return false;
	return !x || (ev->key_len >= x && !memcmp(ev->key + ev->key_len - x, s->suffix, x));
}

/* ---- Delivery ---------------------------------------------------------------------------- */

static void delivery_free(struct delivery *d)
{
	LIST_REMOVE(d, link);
	if (d->timer)
		event_free(d->timer);
	free(d->function);
	free(d->what);
	free(d->event);
	free(d);
}

static void attempt(struct delivery *d);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	attempt(arg);
}

static void retry_in(struct delivery *d, uint32_t ms)
{
	struct timeval tv = time_tv_ms(ms);

	if (!d->timer && !(d->timer = evtimer_new(d->n->base, on_timer, d))) {
		delivery_free(d);
		return;
	}
	evtimer_add(d->timer, &tv);
}

static void on_done(void *arg, const struct pool_result *res)
{
	struct delivery *d = arg;
	uint32_t delay;

	if (res->kind == POOL_OK) {
		log_msg(LVL_INFO, "s3 notification: %s -> %s: delivered (%.0f ms)", d->what,
			d->function, res->duration_ms);
		delivery_free(d);
		return;
	}
	if (res->kind == POOL_THROTTLED) {
		if (++d->throttles > DEV_NOTIFY_THROTTLE_RETRIES) {
			log_msg(LVL_ERROR,
				"s3 notification: %s -> %s: throttled for too long; dropped",
				d->what, d->function);
			delivery_free(d);
		} else {
			retry_in(d, DEV_NOTIFY_THROTTLE_RETRY_MS);
		}
		return;
	}
	if (++d->failures > DEV_NOTIFY_RETRIES) {
		log_msg(LVL_ERROR, "s3 notification: %s -> %s: %s: %s; gave up after %d attempts",
			d->what, d->function, res->error_type, res->error_message, d->failures);
		delivery_free(d);
		return;
	}
	delay = d->n->retry_ms << (d->failures - 1); /* 1 minute, then 2, as Lambda */
	log_msg(LVL_WARN, "s3 notification: %s -> %s: %s: %s; retry %d of %d in %u ms", d->what,
		d->function, res->error_type, res->error_message, d->failures, DEV_NOTIFY_RETRIES,
		(unsigned)delay);
	retry_in(d, delay);
}

static void attempt(struct delivery *d)
{
	struct pool *p = d->n->find(d->n->find_ctx, d->function);
	int err = p ? pool_invoke(p, d->event, d->len, NULL, on_done, d, NULL) : ERR_NOTFOUND;

	if (err) {
		log_msg(LVL_ERROR, "s3 notification: %s -> %s: cannot invoke: %s", d->what,
			d->function, err_str(err));
		delivery_free(d);
	}
}

static void deliver(struct dev_notify *n, const struct subscription *s, const struct s3_created *ev)
{
	struct delivery *d = calloc(1, sizeof(*d));
	struct buf event, what;

	if (!d)
		return;
	d->n = n;
	LIST_INSERT_HEAD(&n->pending, d, link);
	buf_init(&event, POOL_EVENT_MAX);
	buf_init(&what, 4096);
	s3_notify_event(ev, n->region, s->config_id, &event);
	buf_putf(&what, "%s s3://%s/%.*s", ev->event_name, ev->bucket, (int)MIN(ev->key_len, 1024),
		 ev->key);
	d->function = strdup(s->function);
	d->event = buf_error(&event) ? NULL : buf_detach(&event, &d->len);
	d->what = buf_error(&what) ? NULL : buf_detach(&what, NULL);
	buf_release(&event);
	buf_release(&what);
	if (!d->function || !d->event || !d->what) {
		log_msg(LVL_ERROR, "s3 notification: out of memory; an event was dropped");
		delivery_free(d);
		return;
	}
	attempt(d);
}

void dev_notify_created(void *arg, const struct s3_created *ev)
{
	struct dev_notify *n = arg;

	for (size_t i = 0; n && i < n->nsubs; i++) {
		const struct subscription *s = &n->subs[i];

		if (!strcmp(s->bucket, ev->bucket) && event_matches(s, ev->event_name) &&
		    key_matches(s, ev))
			deliver(n, s, ev);
	}
}

/* ---- Lifecycle --------------------------------------------------------------------------- */

int dev_notify_new(struct event_base *base, const char *region, dev_notify_pool_fn find,
		   void *find_ctx, struct dev_notify **out)
{
	struct dev_notify *n = calloc(1, sizeof(*n));
	const char *env = getenv(DEV_ENV_ASYNC_RETRY_MS);
	long long ms;

	*out = NULL;
	if (!n)
		return ERR_NOMEM;
	n->base = base;
	n->find = find;
	n->find_ctx = find_ctx;
	n->region = strdup(region ? region : "us-east-1");
	n->retry_ms = DEV_NOTIFY_RETRY_MS;
	if (env && !str_to_i64(str_from(env), 1, 3600000, &ms))
		n->retry_ms = (uint32_t)ms;
	LIST_INIT(&n->pending);
	if (!n->region) {
		free(n);
		return ERR_NOMEM;
	}
	*out = n;
	return 0;
}

void dev_notify_free(struct dev_notify *n)
{
	if (!n)
		return;
	for (struct delivery *d = LIST_FIRST(&n->pending), *next; d; d = next) {
		next = LIST_NEXT(d, link);
		delivery_free(d);
	}
	subs_free(n);
	free(n->region);
	free(n);
}
