/*
 * Unit tests for the EMF reader (src/local/cloudwatch/cw_emf.c): each rule
 * of the specification, one document that keeps it and one that breaks it,
 * and the datapoints a valid document publishes.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"
#include "local/cloudwatch/cw_emf.h"

#define NOW 1700000000000LL

struct seen {
	int n;
	char names[16][64];
	double values[16];
	size_t ndims[16];
	char unit[16][32];
};

static void collect(void *arg, const struct cw_emf_datum *d)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->names[s->n], 64, "%s/%s", d->ns, d->name);
		s->values[s->n] = d->value;
		s->ndims[s->n] = d->ndims;
		snprintf(s->unit[s->n], 32, "%s", d->unit);
		s->n++;
	}
}

static int extract(const char *doc, struct seen *s, char *why)
{
	memset(s, 0, sizeof(*s));
	return cw_emf_extract(doc, strlen(doc), NOW, collect, s, why, 256);
}

#define HEAD "{\"_aws\":{\"Timestamp\":1700000000000,\"CloudWatchMetrics\":"

static void test_valid_document(void **state)
{
	struct seen s;
	char why[256];

	assert_int_equal(extract(HEAD
				 "[{\"Namespace\":\"sluice\",\"Dimensions\":[[\"service\"],"
				 "[\"service\",\"route\"]],\"Metrics\":[{\"Name\":\"Latency\","
				 "\"Unit\":\"Milliseconds\"},{\"Name\":\"Hits\"}]}]},"
				 "\"service\":\"sluice\",\"route\":\"GET /\",\"Latency\":[1,2.5],"
				 "\"Hits\":3}",
				 &s, why),
			 0);
	/* 2 dimension sets x (2 latency values + 1 hit) */
	assert_int_equal(s.n, 6);
	assert_string_equal(s.names[0], "sluice/Latency");
	assert_true(s.values[1] == 2.5);
	assert_string_equal(s.unit[0], "Milliseconds");
	assert_string_equal(s.unit[2], "None");
	assert_int_equal(s.ndims[0], 1);
	assert_int_equal(s.ndims[3], 2);
	/* No dimension set: published without dimensions. */
	assert_int_equal(extract(HEAD
				 "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":[{\"Name\":"
				 "\"x\"}]}]},\"x\":1}",
				 &s, why),
			 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ndims[0], 0);
}

static void test_not_emf(void **state)
{
	struct seen s;
	char why[256];

	assert_int_equal(extract("plain text line", &s, why), ERR_NOTFOUND);
	assert_int_equal(extract("{\"level\":\"INFO\",\"message\":\"_aws\"}", &s, why),
			 ERR_NOTFOUND);
	assert_int_equal(extract("[{\"_aws\":1}]", &s, why), ERR_NOTFOUND);
	assert_false(cw_emf_candidate("{}", 2));
}

/* Each broken rule publishes nothing and says which rule. */
static void broken(const char *doc, const char *rule)
{
	struct seen s;
	char why[256];

	assert_int_equal(extract(doc, &s, why), ERR_INVAL);
	assert_int_equal(s.n, 0);
	if (!strstr(why, rule))
		fail_msg("\"%s\" does not say \"%s\"", why, rule);
}

#define METRIC "{\"Namespace\":\"n\",\"Dimensions\":[[\"d\"]],\"Metrics\":[{\"Name\":\"m\"}]}"

static void test_rules(void **state)
{
	broken("{\"_aws\":1}", "_aws must be an object");
	broken("{\"_aws\":{\"CloudWatchMetrics\":[]}}", "Timestamp");
	broken("{\"_aws\":{\"Timestamp\":\"now\",\"CloudWatchMetrics\":[]}}", "Timestamp");
	broken("{\"_aws\":{\"Timestamp\":1500000000000,\"CloudWatchMetrics\":[]}}", "2 weeks");
	broken("{\"_aws\":{\"Timestamp\":1700000000000}}", "CloudWatchMetrics");
	broken(HEAD "[1]}}", "MetricDirective");
	broken(HEAD "[{\"Dimensions\":[],\"Metrics\":[]}]}}", "Namespace");
	broken(HEAD "[{\"Namespace\":\":bad\",\"Dimensions\":[],\"Metrics\":[]}]}}", "Namespace");
	broken(HEAD "[{\"Namespace\":\"n\",\"Metrics\":[]}]}}", "Dimensions");
	broken(HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[\"d\"],\"Metrics\":[]}]},\"d\":\"v\"}",
	       "DimensionSet");
	broken(HEAD "[" METRIC "]},\"m\":1}", "dimension d");		 /* member missing */
	broken(HEAD "[" METRIC "]},\"d\":5,\"m\":1}", "dimension d");	 /* not a string */
	broken(HEAD "[" METRIC "]},\"d\":\"\",\"m\":1}", "dimension d"); /* empty */
	broken(HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":{}}]}}", "Metrics");
	broken(HEAD "[" METRIC "]},\"d\":\"v\"}", "metric m");		   /* value missing */
	broken(HEAD "[" METRIC "]},\"d\":\"v\",\"m\":\"1\"}", "metric m"); /* text */
	broken(HEAD "[" METRIC "]},\"d\":\"v\",\"m\":[1,\"x\"]}", "a value");
	broken(HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":[{\"Name\":\"m\",\"Unit\":"
		    "\"Furlongs\"}]}]},\"m\":1}",
	       "Unit");
	broken(HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":[{\"Name\":\"m\","
		    "\"StorageResolution\":5}]}]},\"m\":1}",
	       "StorageResolution");
	broken(HEAD
	       "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":[{\"Name\":\"m\"},{\"Name\":"
	       "\"m\"}]}]},\"m\":1}",
	       "twice");
	broken("{\"_aws\":{} trailing", "not one JSON object");
}

static void test_limits(void **state)
{
	struct buf b;
	struct seen s;
	char why[256];

	/* 101 metric definitions in a directive. */
	buf_init(&b, 1 << 20);
	buf_puts(&b, HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":[");
	for (int i = 0; i <= CW_EMF_METRICS_MAX; i++)
		buf_putf(&b, "%s{\"Name\":\"m%d\"}", i ? "," : "", i);
	buf_puts(&b, "]}]}");
	for (int i = 0; i <= CW_EMF_METRICS_MAX; i++)
		buf_putf(&b, ",\"m%d\":1", i);
	buf_puts(&b, "}");
	assert_int_equal(extract(b.ptr, &s, why), ERR_INVAL);
	assert_non_null(strstr(why, "100 metrics"));
	/* 101 values of one metric. */
	buf_reset(&b);
	buf_puts(&b,
		 HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[],\"Metrics\":[{\"Name\":\"m\"}]}]},"
		      "\"m\":[");
	for (int i = 0; i <= CW_EMF_VALUES_MAX; i++)
		buf_putf(&b, "%s%d", i ? "," : "", i);
	buf_puts(&b, "]}");
	assert_int_equal(extract(b.ptr, &s, why), ERR_INVAL);
	assert_non_null(strstr(why, "100 values"));
	/* 31 dimensions in a set. */
	buf_reset(&b);
	buf_puts(&b, HEAD "[{\"Namespace\":\"n\",\"Dimensions\":[[");
	for (int i = 0; i <= 30; i++)
		buf_putf(&b, "%s\"d%d\"", i ? "," : "", i);
	buf_puts(&b, "]],\"Metrics\":[{\"Name\":\"m\"}]}]},\"m\":1");
	for (int i = 0; i <= 30; i++)
		buf_putf(&b, ",\"d%d\":\"v\"", i);
	buf_puts(&b, "}");
	assert_int_equal(extract(b.ptr, &s, why), ERR_INVAL);
	assert_non_null(strstr(why, "30 dimensions"));
	buf_release(&b);
	assert_true(cw_unit_valid("Count/Second"));
	assert_false(cw_unit_valid("count"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_document),
		cmocka_unit_test(test_not_emf),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
