/*
 * The vendor list cache (see vendor_list_cache.h): freshness from
 * Cache-Control (RFC 9111 section 5.2), revalidation with validators (RFC
 * 9110 section 13), and a circuit breaker in front of the fetch.
 */
#include "core/common.h"

#include "app/vendor_list_cache.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/client.h"
#include "lambda/metrics.h"

static int64_t env_ms(const char *name, int64_t dflt)
{
	const char *v = getenv(name);
	long long n;

	return v && !str_to_i64(str_from(v), 0, 3600000, &n) ? n : dflt;
}

int vendor_cache_init(struct vendor_cache *c, const char *url)
{
	const char *u = url ? url : getenv("VENDOR_LIST_URL");
	int err;

	memset(c, 0, sizeof(*c));
	c->url = strdup(u && *u ? u : VENDOR_CACHE_DEFAULT_URL);
	if (!c->url)
		return ERR_NOMEM;
	c->cooldown_ms = env_ms("VENDOR_LIST_COOLDOWN_MS", VENDOR_CACHE_COOLDOWN_MS);
	c->budget_ms = env_ms("VENDOR_LIST_BUDGET_MS", VENDOR_CACHE_BUDGET_MS);
	if ((err = http_client_new(&c->http))) {
		free(c->url);
		c->url = NULL;
	}
	return err;
}

void vendor_cache_release(struct vendor_cache *c)
{
	http_client_free(c->http);
	vendor_list_free(c->list);
	free(c->url);
	memset(c, 0, sizeof(*c));
}

long vendor_cache_max_age(const char *cc)
{
	struct str rest, item;
	long age = -1;

	if (!cc)
		return -1;
	rest = str_from(cc);
	while (rest.len) {
		long long v;

		rest = str_split(rest, ',', &item, NULL);
		item = str_trim(item);
		if (str_ieq_cstr(item, "no-cache") || str_ieq_cstr(item, "no-store"))
			return 0;
		if (item.len > 8 && !strncasecmp(item.ptr, "max-age=", 8) &&
		    !str_to_i64(str_make(item.ptr + 8, item.len - 8), 0, 365L * 86400, &v))
			age = (long)v;
	}
	return age;
}

static void keep_header(const struct http_response *r, const char *name, char *dst, size_t len)
{
	const char *v = http_response_header(r, name);

	if (v && strlen(v) < len)
		snprintf(dst, len, "%s", v);
}

/* Freshness after a 200 or 304 at `now_ms`. */
static void renew(struct vendor_cache *c, const struct http_response *r, int64_t now_ms)
{
	long age = vendor_cache_max_age(http_response_header(r, "Cache-Control"));

	if (age < 0)
		age = VENDOR_CACHE_DEFAULT_MAX_AGE_S;
	c->expires_ms = now_ms + (int64_t)age * 1000;
	keep_header(r, "ETag", c->etag, sizeof(c->etag));
	keep_header(r, "Last-Modified", c->last_modified, sizeof(c->last_modified));
	c->failures = 0;
	c->open_until_ms = 0;
}

/* What one vendor_cache_get() did, for its DEBUG line. */
struct fetch_trace {
	bool fetched;	    /* a request was made */
	int status;	    /* its HTTP status; 0 when it got no answer */
	int err;	    /* the fetch's failure, 0 when it worked */
	int64_t t0;	    /* when it started (time_mono_ns()) */
	double ms;	    /* how long it took */
	const char *source; /* what the caller got: "fetched", "revalidated", "stale", "none" */
};

/* One fetch; 0 when the cache holds a good copy afterwards (new or revalidated). */
static int fetch(struct vendor_cache *c, int64_t now_ms, int64_t deadline_ms,
		 struct fetch_trace *tr)
{
	struct http_header hs[2];
	size_t nh = 0;
	int64_t budget = now_ms + c->budget_ms;
	struct http_request req = {
		.method = "GET",
		.url = c->url,
		.headers = hs,
		.deadline_ms = deadline_ms > 0 ? MIN(budget, deadline_ms) : budget,
		.max_body = VENDOR_CACHE_MAX_BODY,
		.max_error_body = 64 << 10,
		.accept_gzip = true,
	};
	struct http_response r;
	struct vendor_list *vl;
	char why[256];
	int err;

	if (c->list && c->etag[0])
		hs[nh++] = (struct http_header){"If-None-Match", c->etag};
	if (c->list && c->last_modified[0])
		hs[nh++] = (struct http_header){"If-Modified-Since", c->last_modified};
	req.n_headers = nh;
	http_response_init(&r);
	c->stats.fetches++;
	metrics_count("VendorListFetches"); /* EMF, lambda/metrics.h */
	tr->fetched = true;
	tr->t0 = time_mono_ns();
	err = http_client_do(c->http, &req, &r);
	tr->ms = (double)(time_mono_ns() - tr->t0) / 1e6;
	tr->status = err ? 0 : r.status;
	if (err) {
		log_msg(LVL_WARN, "vendor list: fetch failed: %s (%s)", err_str(err),
			http_client_last_error(c->http));
	} else if (r.status == 304 && c->list) {
		c->stats.not_modified++;
		tr->source = "revalidated";
		renew(c, &r, now_ms);
	} else if (r.status != 200) {
		log_msg(LVL_WARN, "vendor list: the server answered %d", r.status);
		err = ERR_REMOTE;
	} else if ((err = vendor_list_parse(r.body.ptr, r.body.len, &vl, why, sizeof(why)))) {
		log_msg(LVL_WARN, "vendor list: the answer is not a vendor list: %s", why);
	} else {
		log_msg(LVL_INFO,
			"vendor list: version %ld, %zu vendors, %zu bytes (%zu in memory)",
			vl->version, vl->nvendors, r.body.len, vl->bytes);
		vendor_list_free(c->list);
		c->list = vl;
		c->etag[0] = c->last_modified[0] = '\0';
		tr->source = "fetched";
		renew(c, &r, now_ms);
	}
	tr->err = err;
	if (err)
		metrics_count("VendorListFetchFailures");
	http_response_release(&r);
	return err;
}

static void failed(struct vendor_cache *c, int64_t now_ms)
{
	c->stats.failures++;
	if (++c->failures >= VENDOR_CACHE_FAILURES) {
		c->open_until_ms = now_ms + c->cooldown_ms;
		c->stats.breaker_opened++;
		metrics_count("VendorListBreakerOpen");
		log_msg(LVL_ERROR,
			"vendor list: %d failures in a row; no fetch for %lld ms (circuit open)",
			c->failures, (long long)c->cooldown_ms);
	}
}

/*
 * The DEBUG line of a use that did more than read a fresh copy, as
 * aws/request.c writes one per AWS call: what the caller got, the request's
 * status and duration when one was made, the breaker; never the body.
 */
static void log_fetch(const struct vendor_cache *c, const struct fetch_trace *tr, int64_t now_ms)
{
	bool open = c->open_until_ms > now_ms;

	log_emit(LVL_DEBUG, "vendor list fetch",
		 json_pack("{s:s,s:o*,s:o*,s:s*,s:o*,s:o*}", "source", tr->source, "status",
			   tr->fetched && tr->status ? json_integer(tr->status) : NULL,
			   "durationMs",
			   tr->fetched ? json_real((double)(int64_t)(tr->ms * 1000) / 1000) : NULL,
			   "error", tr->err ? err_name(tr->err) : NULL, "breakerOpen",
			   open ? json_true() : NULL, "version",
			   c->list ? json_integer(c->list->version) : NULL));
}

static int get(struct vendor_cache *c, int64_t now_ms, int64_t deadline_ms,
	       const struct vendor_list **out, bool *stale, struct fetch_trace *tr)
{
	/* Closed, or open past its cool-down (one trial fetch), and nobody fetching. */
	if (!c->fetching && now_ms >= c->open_until_ms) {
		c->fetching = true;
		if (fetch(c, now_ms, deadline_ms, tr))
			failed(c, now_ms);
		c->fetching = false;
		if (c->list && c->failures == 0) {
			*out = c->list;
			return 0;
		}
	} else if (now_ms < c->open_until_ms) {
		metrics_count("VendorListBreakerOpen"); /* found open: no fetch is tried */
	}
	tr->source = c->list ? "stale" : "none";
	if (!c->list)
		return ERR_REMOTE;
	c->stats.stale_served++;
	if (now_ms - c->stale_logged_ms >= VENDOR_CACHE_STALE_LOG_MS) {
		c->stale_logged_ms = now_ms;
		log_msg(LVL_WARN, "vendor list: serving a stale copy (version %ld, %s)",
			c->list->version,
			c->open_until_ms > now_ms ? "circuit open" : "fetch failed");
	}
	*out = c->list;
	*stale = true;
	return 0;
}

int vendor_cache_get(struct vendor_cache *c, int64_t now_ms, int64_t deadline_ms,
		     const struct vendor_list **out, bool *stale)
{
	struct fetch_trace tr = {false, 0, 0, 0, 0, "none"};
	int err;

	*stale = false;
	*out = NULL;
	if (c->list && now_ms < c->expires_ms) {
		*out = c->list;
		return 0;
	}
	err = get(c, now_ms, deadline_ms, out, stale, &tr);
	if (log_debug_wanted())
		log_fetch(c, &tr, now_ms);
	return err;
}
