/*
 * Helpers for the unit tests of the API Gateway codec (test_apigw_fn,
 * test_apigw_gw, test_apigw_common): reading fixture files, finding AWS's
 * published events in ../shared, and reading multi-valued query parameters
 * of a parsed request. cmocka assertions fail the test on the spot.
 */
#ifndef SLUICE_TESTS_APIGW_FIXTURE_H
#define SLUICE_TESTS_APIGW_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "lambda/apigw.h"

/* A string literal as the (pointer, length) pair the codec takes. */
#define LIT(s) (s), sizeof(s) - 1

/* Our own events, relative to the repository root. */
#define APIGW_OWN_DIR "tests/fixtures/apigw"

/*
 * Read a whole file into `b`, which this initialises (cap 4 MiB); false when
 * it cannot be opened. Release `b` either way.
 */
bool apigw_fixture_read(const char *path, struct buf *b);

/* Parse the event in file `path` into `r`; the test fails with the reason when it does not parse.
 */
void apigw_fixture_parse(const char *path, struct apigw_request *r);

/*
 * The folder of AWS's events ($SLUICE_SHARED/fixtures/apigw-events, else
 * ../shared/...) written into `out`, or NULL (after one printed line naming
 * `test`) when it is absent.
 */
const char *apigw_fixture_shared_dir(const char *test, char *out, size_t len);

/* The number of values of query parameter `name`. */
size_t apigw_fixture_query_count(const struct apigw_request *r, const char *name);

/* The `nth` value (0-based) of query parameter `name`, or NULL. */
const char *apigw_fixture_query_nth(const struct apigw_request *r, const char *name, size_t nth);

#endif
