/*
 * The vendor list as the functions hold it: fetched server-side from the
 * IAB's host (VENDOR_LIST_URL) the way its publisher requires, kept for the
 * life of the execution environment, and served stale rather than not at all.
 *
 * - Fetch: GET with Accept-Encoding: gzip (the publisher asks for a
 *   compressed transfer), a total budget of VENDOR_CACHE_BUDGET_MS (and never
 *   past the invocation's deadline), a decoded body of at most
 *   VENDOR_CACHE_MAX_BODY.
 * - Freshness: the copy is used without asking for the max-age of the
 *   Cache-Control header the server sent (VENDOR_CACHE_DEFAULT_MAX_AGE_S
 *   when it sent none; no-cache and no-store mean 0); after that the next use
 *   revalidates with If-None-Match (its ETag) and If-Modified-Since (its
 *   Last-Modified); a 304 renews the copy for the new max-age.
 * - One fetch at a time: a use that finds a fetch under way gets the copy
 *   it has (a Lambda execution environment runs one request at a time, so
 *   this only matters when the cache is shared by threads; it is not).
 * - Circuit breaker: after VENDOR_CACHE_FAILURES consecutive failures (a
 *   transport error, a timeout, a status other than 200 and 304, a body that
 *   is not a vendor list) no fetch is tried for VENDOR_CACHE_COOLDOWN_MS;
 *   meanwhile the last good copy is served and the log says it is stale (at
 *   most every VENDOR_CACHE_STALE_LOG_MS). After the cool-down one fetch is
 *   tried: success closes the breaker, failure opens it again.
 * - No copy at all (the first fetches failed): vendor_cache_get() fails,
 *   and the caller answers 503.
 *
 * What it tells (lambda/metrics.h, core/log.h): the EMF counts
 * VendorListFetches (each request made), VendorListFetchFailures (each
 * that failed) and VendorListBreakerOpen (1 each time a failure opens the
 * breaker or a use finds it open: VendorListBreakerAlarm reads it), and one
 * DEBUG line "vendor list fetch" per use that did more than read a fresh
 * copy: `source` (what the caller got: "fetched", "revalidated", "stale",
 * "none"), the request's `status` and `durationMs` when one was made, the
 * failure's `error`, `breakerOpen`, and the list's `version`; never the
 * body. A use that reads a fresh copy makes no request and writes nothing.
 *
 * Test hooks, from the environment: VENDOR_LIST_COOLDOWN_MS and
 * VENDOR_LIST_BUDGET_MS replace the cool-down and the budget.
 */
#ifndef SLUICE_APP_VENDOR_LIST_CACHE_H
#define SLUICE_APP_VENDOR_LIST_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "app/vendor_list.h"

#define VENDOR_CACHE_DEFAULT_URL       "https://vendor-list.consensu.org/v3/vendor-list.json"
#define VENDOR_CACHE_BUDGET_MS	       2000
#define VENDOR_CACHE_MAX_BODY	       ((size_t)16 << 20)
#define VENDOR_CACHE_DEFAULT_MAX_AGE_S 300
#define VENDOR_CACHE_FAILURES	       3
#define VENDOR_CACHE_COOLDOWN_MS       30000
#define VENDOR_CACHE_STALE_LOG_MS      10000

struct http_client;

struct vendor_cache_stats {
	unsigned long fetches, not_modified, failures, stale_served, breaker_opened;
};

struct vendor_cache {
	char *url;
	struct http_client *http;
	struct vendor_list *list; /* the last good copy, or NULL */
	char etag[256], last_modified[64];
	int64_t expires_ms;    /* fresh until then */
	int failures;	       /* consecutive */
	int64_t open_until_ms; /* the breaker is open until then (0: closed) */
	int64_t stale_logged_ms;
	bool fetching;
	int64_t cooldown_ms, budget_ms;
	struct vendor_cache_stats stats;
};

/*
 * Set up for `url` (NULL: VENDOR_LIST_URL, else VENDOR_CACHE_DEFAULT_URL).
 * Fetches nothing yet. 0, ERR_NOMEM or ERR_HTTP (libcurl).
 */
int vendor_cache_init(struct vendor_cache *c /* OUT */, const char *url);

void vendor_cache_release(struct vendor_cache *c);

/*
 * The list to use at `now_ms`: fresh, revalidated or fetched, or the last good
 * copy when fetching failed (`*stale` true then). `deadline_ms` (epoch ms, 0:
 * none) bounds the fetch besides the budget. Returns 0 with `*out` (owned by
 * the cache, valid until its next use), or ERR_REMOTE when there is no copy
 * at all.
 */
int vendor_cache_get(struct vendor_cache *c, int64_t now_ms, int64_t deadline_ms,
		     const struct vendor_list **out /* OUT */, bool *stale /* OUT */);

/* The max-age of a Cache-Control value, in seconds: -1 when none is given, 0 for no-cache. */
long vendor_cache_max_age(const char *cache_control);

#endif
