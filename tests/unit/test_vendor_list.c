/*
 * Unit tests for the Global Vendor List reader (src/app/vendor_list.c): the
 * project's own list (db/vendor-list.json) and a generated one the size of
 * the real list (1,300 vendors, about 1 MB, with the descriptions, URLs and
 * retention data the reader skips), lookups, deleted vendors, and the lists
 * it refuses. Also the Cache-Control reading of vendor_list_cache.c.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/vendor_list.h"
#include "app/vendor_list_cache.h"
#include "core/buf.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_project_list),
		cmocka_unit_test(test_real_sized_list),
		cmocka_unit_test(test_refused_lists),
		cmocka_unit_test(test_cache_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
