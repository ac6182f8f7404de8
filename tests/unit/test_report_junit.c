/*
 * Unit tests for the JUnit reporter (src/policy/report_junit.c): the shape
 * of suites and cases, failures at or above --fail-on and the others in
 * <system-out>, suppressed cases as skipped, XML escaping of everything a
 * template author wrote (file names, messages), and a failed write reported
 * as ERR_IO. The golden cases of tests/policy cover whole runs.
 */
#include "core/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/report.h"

/* A report on `file` with the findings given, as policy_check_template() would leave it. */
static void make_report(struct policy_report *rep, const char *file,
			const struct policy_finding *items, size_t n)
{
	policy_report_init(rep);
	assert_int_equal(policy_report_add_file(rep, file, NULL), 0);
	assert_int_equal(policy_report_add_file(rep, "skipped.txt", "not a template"), 0);
	if (!n)
		return;
	rep->items = calloc(n, sizeof(*rep->items));
	assert_non_null(rep->items);
	memcpy(rep->items, items, n * sizeof(*items));
	rep->n = rep->alloc = n;
}

/* The JUnit document for `rep`, NUL-terminated; the caller frees it. */
static char *junit(const struct policy_report *rep, enum policy_severity fail_on)
{
	struct report_opts o = {.fail_on = fail_on};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(report_junit(f, rep, &o), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static size_t occurrences(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_clean_template(void **state)
{
	struct policy_report rep;
	char head[128];
	size_t nrules;
	char *doc;

	policy_rules(&nrules);
	make_report(&rep, "template.yaml", NULL, 0);
	doc = junit(&rep, POLICY_ERROR);
	assert_true(!strncmp(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39));
	snprintf(head, sizeof(head),
		 "<testsuites name=\"sluice check\" tests=\"%zu\" failures=\"0\">", nrules);
	assert_non_null(strstr(doc, head));
	/* The skipped file is no suite; the checked one has one case per rule, all passing. */
	assert_int_equal(occurrences(doc, "<testsuite "), 1);
	assert_null(strstr(doc, "skipped.txt"));
	assert_int_equal(occurrences(doc, "<testcase "), nrules);
	assert_int_equal(occurrences(doc, "\"/>\n"), nrules);
	assert_true(strlen(doc) > 14 && !strcmp(doc + strlen(doc) - 14, "</testsuites>\n"));
	free(doc);
	policy_report_release(&rep);
}

static void test_failures_below_and_suppressed(void **state)
{
	const struct policy_rule *s3 = policy_rule_find("S3-001");
	const struct policy_rule *lambda = policy_rule_find("LAMBDA-001");
	struct policy_report rep;
	char *doc;

	assert_non_null(s3);
	assert_non_null(lambda);
	const struct policy_finding items[] = {
		{.rule = s3,
		 .severity = POLICY_ERROR,
		 .file = "t.yaml",
		 .line = 3,
		 .col = 5,
		 .message = "bucket Data is public"},
		{.rule = s3,
		 .severity = POLICY_WARNING,
		 .file = "t.yaml",
		 .line = 9,
		 .col = 7,
		 .message = "bucket Logs has no policy"},
		{.rule = lambda,
		 .severity = POLICY_ERROR,
		 .file = "t.yaml",
		 .line = 12,
		 .col = 1,
		 .message = "function Fn",
		 .suppressed = true,
		 .suppressed_by = "sluice",
		 .reason = "reviewed"},
	};
	make_report(&rep, "t.yaml", items, ARRAY_SIZE(items));

	doc = junit(&rep, POLICY_ERROR);
	assert_non_null(strstr(doc, "failures=\"1\" errors=\"0\" skipped=\"1\">"));
	assert_int_equal(occurrences(doc, "<failure "), 1);
	assert_non_null(strstr(doc, "<failure type=\"error\" message=\"bucket Data is public\">"
				    "t.yaml:3:5 bucket Data is public\nWhy: "));
	assert_non_null(strstr(
		doc, "<system-out>t.yaml:9:7 warning bucket Logs has no policy\n</system-out>"));
	assert_non_null(strstr(doc, "<skipped message=\"every finding is suppressed\"/>"));
	free(doc);

	/* With --fail-on warning the warning fails too, and nothing is left for system-out. */
	doc = junit(&rep, POLICY_WARNING);
	assert_int_equal(occurrences(doc, "<failure "), 2);
	assert_null(strstr(doc, "<system-out>"));
	free(doc);
	policy_report_release(&rep);
}

static void test_escaping(void **state)
{
	const struct policy_rule *s3 = policy_rule_find("S3-001");
	const struct policy_finding items[] = {
		{.rule = s3,
		 .severity = POLICY_ERROR,
		 .file = "a&b<c>.yaml",
		 .line = 1,
		 .col = 2,
		 .message = "say \"hi\" & 'bye'\x01\r\xff"},
	};
	struct policy_report rep;
	char *doc;

	make_report(&rep, "a&b<c>.yaml", items, ARRAY_SIZE(items));
	doc = junit(&rep, POLICY_ERROR);
	assert_non_null(strstr(doc, "<testsuite name=\"a&amp;b&lt;c&gt;.yaml\""));
	assert_non_null(strstr(doc, "classname=\"a&amp;b&lt;c&gt;.yaml\""));
	/* Quotes escaped for attributes; a control byte and a byte that is not UTF-8 become
	 * U+FFFD, which XML 1.0 can carry; CR survives end-of-line normalisation as &#13;. */
	assert_non_null(strstr(doc, "message=\"say &quot;hi&quot; &amp; &apos;bye&apos;"
				    "\xef\xbf\xbd&#13;\xef\xbf\xbd\">"));
	assert_null(strchr(doc, '\x01'));
	assert_null(strchr(doc, '\r'));
	free(doc);
	policy_report_release(&rep);
}

static void test_write_error(void **state)
{
	struct report_opts o = {.fail_on = POLICY_ERROR};
	struct policy_report rep;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	make_report(&rep, "template.yaml", NULL, 0);
	assert_int_equal(report_junit(f, &rep, &o), ERR_IO);
	fclose(f);
	policy_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_template),
		cmocka_unit_test(test_failures_below_and_suppressed),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
