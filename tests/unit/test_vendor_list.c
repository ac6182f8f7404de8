/*
 * Unit tests for the Global Vendor List reader (src/app/vendor_list.c): the
 * project's own list (db/vendor-list.json) and a generated one the size of
 * the real list (1,300 vendors, about 1 MB, with the descriptions, URLs and
 * retention data the reader skips), lookups, deleted vendors, and the lists
 * it refuses. Also the Cache-Control reading of vendor_list_cache.c, and
 * the cache against a scripted host (script_server.h): one DEBUG line per
 * use that did more than read a fresh copy (fetched, revalidated, stale
 * through failures and an open breaker) and the EMF counts
 * (VendorListFetches, VendorListFetchFailures, VendorListBreakerOpen),
 * checked against the specification by the local cloud's reader.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apptest.h"
#include "app/vendor_list.h"
#include "app/vendor_list_cache.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"
#include "local/cloudwatch/cw_emf.h"
#include "script_server.h"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	assert_non_null(f);
	buf_init(&b, 1 << 24);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	return buf_detach(&b, len);
}

static void test_project_list(void **state)
{
	size_t len;
	char *json = read_all("db/vendor-list.json", &len), why[256] = "";
	struct vendor_list *vl = NULL;
	const struct gvl_vendor *v;

	assert_int_equal(vendor_list_parse(json, len, &vl, why, sizeof(why)), 0);
	assert_int_equal(vl->version, 1);
	assert_int_equal(vl->spec_version, 3);
	assert_int_equal(vl->policy_version, 5);
	assert_int_equal(vl->npurposes, 11);
	assert_true(vendor_list_has_purpose(vl, 1));
	assert_true(vendor_list_has_purpose(vl, 11));
	assert_false(vendor_list_has_purpose(vl, 12));
	assert_false(vendor_list_has_purpose(vl, 0));
	v = vendor_list_find(vl, 755);
	assert_non_null(v);
	assert_string_equal(v->name, "Example Advertising Inc.");
	assert_int_equal(v->npurposes, 7);
	assert_int_equal(v->purposes[0], 1);
	assert_int_equal(v->purposes[6], 10);
	assert_int_equal(v->nfeatures, 3);
	assert_null(vendor_list_find(vl, 3));
	assert_null(vendor_list_find(vl, 60000));
	/* Vendor 1000 was deleted on 2025-01-01: known, but not usable after. */
	assert_non_null(vendor_list_find(vl, 1000));
	assert_true(vendor_list_usable(vl, 1000, 1700000000000LL));
	assert_false(vendor_list_usable(vl, 1000, 1800000000000LL));
	assert_true(vendor_list_usable(vl, 755, 1800000000000LL));
	vendor_list_free(vl);
	free(json);
}

/* A list like the real one: `n` vendors with everything the format carries. */
static char *big_list(int n, size_t *len)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	buf_puts(&b,
		 "{\"gvlSpecificationVersion\":3,\"vendorListVersion\":150,"
		 "\"tcfPolicyVersion\":5,\"lastUpdated\":\"2026-03-12T16:05:26Z\",\"purposes\":{");
	for (int p = 1; p <= 11; p++)
		buf_putf(&b,
			 "%s\"%d\":{\"id\":%d,\"name\":\"Purpose %d\",\"description\":\"A "
			 "description that takes some room, with \\\"quotes\\\" and \\u00e9.\","
			 "\"illustrations\":[\"one\",\"two\"]}",
			 p > 1 ? "," : "", p, p, p);
	buf_puts(&b,
		 "},\"features\":{\"1\":{\"id\":1},\"2\":{\"id\":2}},\"stacks\":{\"1\":{\"id\":1,"
		 "\"purposes\":[1,2]}},\"vendors\":{");
	for (int v = 1; v <= n; v++)
		buf_putf(&b,
			 "%s\"%d\":{\"id\":%d,\"name\":\"Vendor n\\u00b0%d \\\"quoted\\\"\","
			 "\"purposes\":[1,3,4],\"legIntPurposes\":[2,7],\"flexiblePurposes\":[2],"
			 "\"specialPurposes\":[1,2],\"features\":[1,2],\"specialFeatures\":[],"
			 "\"cookieMaxAgeSeconds\":31536000,\"usesCookies\":true,\"cookieRefresh\":"
			 "false,"
			 "\"usesNonCookieAccess\":true,\"deviceStorageDisclosureUrl\":"
			 "\"https://example.invalid/v%d/"
			 "disclosure.json\",\"urls\":[{\"langId\":\"en\","
			 "\"privacy\":\"https://example.invalid/v%d/privacy\",\"legIntClaim\":"
			 "\"https://example.invalid/v%d/"
			 "li\"}],\"dataRetention\":{\"stdRetention\":365,"
			 "\"purposes\":{\"3\":180},\"specialPurposes\":{}},\"dataDeclaration\":[1,"
			 "2,3,"
			 "4,5,6,7,8,9,10,11]%s}",
			 v > 1 ? "," : "", v, v, v, v, v, v,
			 v % 100 == 0 ? ",\"deletedDate\":\"2020-01-01T00:00:00Z\"" : "");
	buf_puts(&b, "},\"dataCategories\":{}}");
	assert_int_equal(buf_error(&b), 0);
	return buf_detach(&b, len);
}

static void test_real_sized_list(void **state)
{
	size_t len;
	char *json = big_list(1300, &len), why[256] = "";
	struct vendor_list *vl = NULL;

	assert_true(len > 700000);
	assert_int_equal(vendor_list_parse(json, len, &vl, why, sizeof(why)), 0);
	assert_int_equal(vl->nvendors, 1300);
	assert_int_equal(vl->max_vendor_id, 1300);
	/* What is kept is a small part of the text (names and id lists, the index). */
	assert_true(vl->bytes < len / 5);
	for (uint32_t id = 1; id <= 1300; id++) {
		const struct gvl_vendor *v = vendor_list_find(vl, id);
		char name[64];

		assert_non_null(v);
		assert_int_equal(v->id, id);
		snprintf(name, sizeof(name), "Vendor n\xc2\xb0%u \"quoted\"", id);
		assert_string_equal(v->name, name);
		assert_int_equal(v->nleg_int, 2);
		assert_int_equal(v->leg_int_purposes[1], 7);
		assert_int_equal(v->deleted_ms != 0, id % 100 == 0);
	}
	vendor_list_free(vl);
	free(json);
}

static int parse(const char *json, char *why, size_t why_len)
{
	struct vendor_list *vl = NULL;
	int err = vendor_list_parse(json, strlen(json), &vl, why, why_len);

	vendor_list_free(vl);
	return err;
}

static void test_refused_lists(void **state)
{
	char why[256];
	static const char *const bad[] = {
		"",
		"[]",
		"{\"vendorListVersion\":1}", /* no vendors */
		"{\"vendorListVersion\":1,\"vendors\":{\"1\":{\"id\":2,\"name\":\"x\"}}}", /* key !=
											      id */
		"{\"vendorListVersion\":1,\"vendors\":{\"1\":{\"id\":1}}}", /* no name */
		"{\"vendorListVersion\":1,\"vendors\":{\"x\":{\"id\":1,\"name\":\"x\"}}}",
		"{\"vendorListVersion\":1,\"vendors\":{\"1\":{\"id\":1,\"name\":\"x\","
		"\"purposes\":[\"1\"]}}}",
		"{\"vendorListVersion\":1,\"vendors\":{\"1\":{\"id\":1,\"name\":\"x\","
		"\"purposes\":{}}}}",
		"{\"vendorListVersion\":1,\"vendors\":{\"1\":{\"id\":1,\"name\":\"x\"},"
		"\"1\":{\"id\":1,\"name\":\"y\"}}}", /* listed twice */
		"{\"vendorListVersion\":1,\"vendors\":{\"70000\":{\"id\":70000,\"name\":\"x\"}}}",
		"{\"vendorListVersion\":1,\"vendors\":{}} trailing",
		"{\"vendorListVersion\":1,\"vendors\":{\"1\":{\"id\":1,\"name\":\"x\","
		"\"deletedDate\":\"yesterday\"}}}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		if (parse(bad[i], why, sizeof(why)) != ERR_PARSE)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strlen(why) > 0);
	}
	assert_int_equal(parse("{\"vendorListVersion\":1,\"vendors\":{}}", why, sizeof(why)), 0);
}

static void test_cache_control(void **state)
{
	assert_int_equal(vendor_cache_max_age("max-age=604800"), 604800);
	assert_int_equal(vendor_cache_max_age("public, MAX-AGE=60, immutable"), 60);
	assert_int_equal(vendor_cache_max_age("no-cache"), 0);
	assert_int_equal(vendor_cache_max_age("max-age=60, no-store"), 0);
	assert_int_equal(vendor_cache_max_age("public"), -1);
	assert_int_equal(vendor_cache_max_age("max-age=abc"), -1);
	assert_int_equal(vendor_cache_max_age(NULL), -1);
}

/* ---- The cache ------------------------------------------------------------------------- */

static char *cap_buf;
static size_t cap_len;
static FILE *cap;

/* The "vendor list fetch" lines written since the last call, parsed. */
static json_t *fetch_lines(void)
{
	static const char *const never[] = {"\"vendors\":{", NULL}; /* never the body */

	return apptest_logs_lines(cap, &cap_buf, &cap_len, "vendor list fetch", never);
}

static const char *source(json_t *lines, size_t i)
{
	return json_string_value(json_object_get(json_array_get(lines, i), "source"));
}

static long long member(json_t *lines, size_t i, const char *k)
{
	return json_integer_value(json_object_get(json_array_get(lines, i), k));
}

static void count(void *arg, const struct cw_emf_datum *d)
{
	int *n = arg;

	assert_string_equal(d->unit, "Count");
	if (!strcmp(d->name, "VendorListFetches"))
		n[0]++;
	else if (!strcmp(d->name, "VendorListFetchFailures"))
		n[1]++;
	else if (!strcmp(d->name, "VendorListBreakerOpen"))
		n[2]++;
}

/* The EMF documents of what was counted, checked against the rules: {fetches, failures, open}. */
static void emf_counts(int n[3])
{
	struct buf b;

	n[0] = n[1] = n[2] = 0;
	buf_init(&b, BUF_NOCAP);
	assert_int_equal(metrics_render(&b, 1700000000000), 0);
	for (char *line = b.ptr, *nl; b.len && (nl = strchr(line, '\n')); line = nl + 1) {
		char why[256];
		assert_int_equal(cw_emf_extract(line, (size_t)(nl - line), 1700000000000, count, n,
						why, sizeof(why)),
				 0);
	}
	buf_release(&b);
}

static char *ok_answer(void)
{
	size_t len;
	char *json = read_all("db/vendor-list.json", &len);
	struct buf b;

	buf_init(&b, BUF_NOCAP);
	assert_int_equal(buf_addf(&b,
				  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				  "Cache-Control: max-age=60\r\nETag: \"v1\"\r\n"
				  "Content-Length: %zu\r\n\r\n%s",
				  len, json),
			 0);
	free(json);
	return buf_detach(&b, NULL);
}

static void test_cache_lines_and_metrics(void **state)
{
	static const char not_modified[] = "HTTP/1.1 304 Not Modified\r\nCache-Control: "
					   "max-age=60\r\nContent-Length: 0\r\n\r\n";
	static const char failing[] = "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\noops";
	char *ok = ok_answer(), url[64];
	const char *script[] = {ok, not_modified, failing, failing, failing};
	struct script_server srv;
	struct vendor_cache c;
	const struct vendor_list *vl;
	int64_t t = time_now_ms(); /* the fetch's deadline is counted from it */
	bool stale;
	json_t *l;
	int n[3];

	apptest_logs_capture(&cap, &cap_buf, &cap_len);
	log_configure(LVL_DEBUG, true);
	emf_counts(n); /* nothing left from elsewhere */
	script_server_start(&srv, script, ARRAY_SIZE(script));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v3/vendor-list.json", (unsigned)srv.port);
	assert_int_equal(vendor_cache_init(&c, url), 0);

	/* Fetched, then fresh (no line, no request), then revalidated. */
	assert_int_equal(vendor_cache_get(&c, t, 0, &vl, &stale), 0);
	assert_int_equal(vendor_cache_get(&c, t + 1000, 0, &vl, &stale), 0);
	assert_int_equal(vendor_cache_get(&c, t + 61000, 0, &vl, &stale), 0);
	l = fetch_lines();
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(source(l, 0), "fetched");
	assert_int_equal(member(l, 0, "status"), 200);
	assert_int_equal(member(l, 0, "version"), 1);
	assert_true(json_number_value(json_object_get(json_array_get(l, 0), "durationMs")) >= 0);
	assert_null(json_object_get(json_array_get(l, 0), "breakerOpen"));
	assert_string_equal(source(l, 1), "revalidated");
	assert_int_equal(member(l, 1, "status"), 304);
	json_decref(l);
	emf_counts(n);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1] + n[2], 0);

	/* Three failures: the last copy is served stale, and the third opens the breaker. */
	for (int i = 0; i < VENDOR_CACHE_FAILURES; i++) {
		assert_int_equal(vendor_cache_get(&c, t + 200000 + i, 0, &vl, &stale), 0);
		assert_true(stale);
	}
	/* Open: no request at all, the copy served stale. */
	assert_int_equal(vendor_cache_get(&c, t + 200010, 0, &vl, &stale), 0);
	assert_true(stale);
	assert_int_equal(srv.served, 5);
	l = fetch_lines();
	assert_int_equal(json_array_size(l), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(source(l, i), "stale");
		assert_int_equal(member(l, i, "version"), 1);
	}
	assert_int_equal(member(l, 0, "status"), 500);
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "error")),
			    "REMOTE");
	assert_null(json_object_get(json_array_get(l, 1), "breakerOpen"));
	assert_true(json_is_true(json_object_get(json_array_get(l, 2), "breakerOpen")));
	assert_null(json_object_get(json_array_get(l, 3), "status"));
	assert_null(json_object_get(json_array_get(l, 3), "durationMs"));
	assert_true(json_is_true(json_object_get(json_array_get(l, 3), "breakerOpen")));
	json_decref(l);
	emf_counts(n);
	assert_int_equal(n[0], 3); /* three requests */
	assert_int_equal(n[1], 3); /* that failed */
	assert_int_equal(n[2], 2); /* opened, then found open */

	vendor_cache_release(&c);
	script_server_stop(&srv);
	free(ok);
	log_configure(LVL_INFO, true);
	apptest_logs_release(cap, &cap_buf);
	cap_len = 0;
}

static void test_cache_without_any_copy(void **state)
{
	const char *script[] = {"HTTP/1.1 503 No\r\nContent-Length: 0\r\n\r\n"};
	struct script_server srv;
	struct vendor_cache c;
	const struct vendor_list *vl;
	char url[64];
	bool stale;
	json_t *l;
	int n[3];

	apptest_logs_capture(&cap, &cap_buf, &cap_len);
	log_configure(LVL_DEBUG, true);
	emf_counts(n);
	script_server_start(&srv, script, ARRAY_SIZE(script));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v3/vendor-list.json", (unsigned)srv.port);
	assert_int_equal(vendor_cache_init(&c, url), 0);
	assert_int_equal(vendor_cache_get(&c, time_now_ms(), 0, &vl, &stale), ERR_REMOTE);
	l = fetch_lines();
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(source(l, 0), "none");
	assert_int_equal(member(l, 0, "status"), 503);
	assert_null(json_object_get(json_array_get(l, 0), "version"));
	json_decref(l);
	emf_counts(n);
	assert_int_equal(n[0], 1);
	assert_int_equal(n[1], 1);
	vendor_cache_release(&c);
	script_server_stop(&srv);
	log_configure(LVL_INFO, true);
	apptest_logs_release(cap, &cap_buf);
	cap_len = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_project_list),
		cmocka_unit_test(test_real_sized_list),
		cmocka_unit_test(test_refused_lists),
		cmocka_unit_test(test_cache_control),
		cmocka_unit_test(test_cache_lines_and_metrics),
		cmocka_unit_test(test_cache_without_any_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
