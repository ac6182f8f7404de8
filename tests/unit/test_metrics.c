/*
 * Unit tests for the function's EMF metrics (src/lambda/metrics.c): the
 * documents it writes, every one checked against the specification's rules
 * by the local cloud's reader (cw_emf.c), so the function and the reader
 * cannot drift; ColdStart's own document; several values of one metric;
 * more than 100 values; refused names and values; the flush through the
 * log output.
 */
#include "core/common.h"

#include <math.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"
#include "local/cloudwatch/cw_emf.h"

struct published {
	int n;
	char what[256][128];
};

static void collect(void *arg, const struct cw_emf_datum *d)
{
	struct published *p = arg;
	char dims[96] = "";

	for (size_t i = 0; i < d->ndims; i++) {
		size_t len = strlen(dims);
		snprintf(dims + len, sizeof(dims) - len, "%s%s=%s", i ? "," : "", d->dims[i].name,
			 d->dims[i].value);
	}
	if (p->n < 256)
		snprintf(p->what[p->n++], 128, "%s %s %g %s [%s]", d->ns, d->name, d->value,
			 d->unit, dims);
}

/* Render, check every line against the rules, and collect the datapoints. */
static int render_checked(struct published *p)
{
	struct buf b;
	int64_t now = time_now_ms();
	int docs = 0;

	memset(p, 0, sizeof(*p));
	buf_init(&b, BUF_NOCAP);
	assert_int_equal(metrics_render(&b, now), 0);
	for (char *line = b.ptr, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		char why[256];
		assert_int_equal(cw_emf_extract(line, (size_t)(nl - line), now, collect, p, why,
						sizeof(why)),
				 0);
		docs++;
	}
	buf_release(&b);
	return docs;
}

static int setup(void **state)
{
	metrics_configure("sluice/sluice-dev", "sluice", "ObjectsFunction");
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	(void)metrics_render(&b, 0); /* forget anything left */
	buf_release(&b);
	return 0;
}

static void test_nothing_added(void **state)
{
	struct published p;

	assert_int_equal(render_checked(&p), 0);
	assert_int_equal(p.n, 0);
}

static void test_cold_start_document(void **state)
{
	struct published p;

	metrics_cold_start();
	assert_int_equal(metrics_count("MessagesCreated"), 0);
	assert_int_equal(render_checked(&p), 2);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.what[0], "sluice/sluice-dev ColdStart 1 Count "
				       "[function_name=ObjectsFunction,service=sluice]");
	assert_string_equal(p.what[1],
			    "sluice/sluice-dev MessagesCreated 1 Count [service=sluice]");
	/* Written once: the next render has nothing. */
	assert_int_equal(render_checked(&p), 0);
}

static void test_values_and_units(void **state)
{
	struct published p;

	assert_int_equal(metrics_add("PageLoadTime", METRICS_MILLISECONDS, 812.5), 0);
	assert_int_equal(metrics_add("PageLoadTime", METRICS_MILLISECONDS, 90), 0);
	assert_int_equal(metrics_add("ImportRows", METRICS_COUNT, 1e6), 0);
	assert_int_equal(metrics_add("PageLoadTime", METRICS_COUNT, 1), ERR_INVAL); /* other unit */
	assert_int_equal(render_checked(&p), 1);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.what[0], "sluice/sluice-dev PageLoadTime 812.5 Milliseconds "
				       "[service=sluice]");
	assert_string_equal(p.what[1], "sluice/sluice-dev PageLoadTime 90 Milliseconds "
				       "[service=sluice]");
	assert_string_equal(p.what[2], "sluice/sluice-dev ImportRows 1e+06 Count [service=sluice]");
}

static void test_refusals(void **state)
{
	struct published p;
	char long_name[METRICS_NAME_MAX + 2];

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	log_configure(LVL_ERROR, true); /* the WARN lines of refusals are not the point here */
	assert_int_equal(metrics_count(""), ERR_INVAL);
	assert_int_equal(metrics_count(long_name), ERR_INVAL);
	assert_int_equal(metrics_count("quote\"d"), ERR_INVAL);
	assert_int_equal(metrics_count("_aws"), ERR_INVAL);
	assert_int_equal(metrics_count("service"), ERR_INVAL);
	assert_int_equal(metrics_add("x", METRICS_COUNT, NAN), ERR_INVAL);
	assert_int_equal(metrics_add("x", METRICS_COUNT, INFINITY), ERR_INVAL);
	for (int i = 0; i < METRICS_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "m%d", i);
		assert_int_equal(metrics_count(name), 0);
	}
	assert_int_equal(metrics_count("one-too-many"), ERR_TOOLARGE);
	assert_int_equal(render_checked(&p), 1);
	assert_int_equal(p.n, METRICS_MAX);
	log_configure(LVL_INFO, true);
}

static void test_more_than_100_values_flush(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct published p;
	int docs = 0;

	log_set_output(f);
	for (int i = 0; i < METRICS_VALUES_MAX + 5; i++)
		assert_int_equal(metrics_add("Latency", METRICS_MILLISECONDS, i), 0);
	metrics_flush();
	log_set_output(NULL);
	fclose(f);
	/* One document of 100 values written when the 101st came, one of 5 at the flush. */
	memset(&p, 0, sizeof(p));
	for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		assert_int_equal(cw_emf_extract(line, (size_t)(nl - line), time_now_ms(), collect,
						&p, NULL, 0),
				 0);
		docs++;
	}
	assert_int_equal(docs, 2);
	assert_int_equal(p.n, 256 > METRICS_VALUES_MAX + 5 ? METRICS_VALUES_MAX + 5 : 256);
	free(out);
}

static void test_configuration(void **state)
{
	struct published p;

	setenv("POWERTOOLS_METRICS_NAMESPACE", "custom", 1);
	setenv("POWERTOOLS_SERVICE_NAME", "shop", 1);
	setenv("AWS_LAMBDA_FUNCTION_NAME", "fn", 1);
	metrics_init_from_env();
	metrics_cold_start();
	assert_int_equal(render_checked(&p), 1);
	assert_string_equal(p.what[0], "custom ColdStart 1 Count [function_name=fn,service=shop]");
	/* A value that could not be written between quotes falls back to the default. */
	setenv("POWERTOOLS_METRICS_NAMESPACE", "bad\"ns", 1);
	metrics_init_from_env();
	assert_int_equal(metrics_count("x"), 0);
	assert_int_equal(render_checked(&p), 1);
	assert_string_equal(p.what[0], "sluice x 1 Count [service=shop]");
	unsetenv("POWERTOOLS_METRICS_NAMESPACE");
	unsetenv("POWERTOOLS_SERVICE_NAME");
	unsetenv("AWS_LAMBDA_FUNCTION_NAME");
	assert_string_equal(metrics_unit_name(METRICS_PERCENT), "Percent");
	assert_string_equal(metrics_unit_name((enum metrics_unit)99), "None");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nothing_added, setup),
		cmocka_unit_test_setup(test_cold_start_document, setup),
		cmocka_unit_test_setup(test_values_and_units, setup),
		cmocka_unit_test_setup(test_refusals, setup),
		cmocka_unit_test_setup(test_more_than_100_values_flush, setup),
		cmocka_unit_test_setup(test_configuration, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
