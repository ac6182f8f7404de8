/*
 * The JUnit XML reporter, for CodeBuild and GitLab test reports: a template
 * is a test suite and each rule of the catalogue a test case in it, so a
 * report shows which policies every template passes, not only the failures.
 * Findings below the --fail-on threshold do not fail their test case; they
 * are listed in its <system-out>.
 */
#include "core/common.h"

#include "policy/report.h"

#include "core/xml.h"

/*
 * The most one report may take. It is built whole before it is written, so
 * that a failure never leaves a truncated document behind; past this it
 * fails with ERR_TOOLARGE.
 */
#define JUNIT_MAX_BYTES ((size_t)1 << 30)

/* A C string as XML text (attribute or element); NULL is "". */
static void text(struct buf *b, const char *s)
{
	xml_text(b, s ? s : "", s ? strlen(s) : 0);
}

struct case_count {
	size_t failing, below, suppressed;
};

static struct case_count count(const struct policy_report *rep, const char *file,
			       const struct policy_rule *rule, enum policy_severity fail_on)
{
	struct case_count c = {0, 0, 0};

	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_finding *f = &rep->items[i];

		if (f->rule != rule || strcmp(f->file, file))
			continue;
		if (f->suppressed)
			c.suppressed++;
		else if (f->severity >= fail_on)
			c.failing++;
		else
			c.below++;
	}
	return c;
}

/* One <failure> per finding at or above `fail_on`: where, what, why and how to fix it. */
static void put_failures(struct buf *b, const struct policy_report *rep, const char *file,
			 const struct policy_rule *rule, enum policy_severity fail_on)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_finding *f = &rep->items[i];

		if (f->rule != rule || strcmp(f->file, file) || f->suppressed ||
		    f->severity < fail_on)
			continue;
		buf_putf(b, "      <failure type=\"%s\" message=\"",
			 policy_severity_name(f->severity));
		text(b, f->message);
		buf_puts(b, "\">");
		text(b, f->file);
		buf_putf(b, ":%d:%d ", f->line, f->col);
		text(b, f->message);
		buf_puts(b, "\nWhy: ");
		text(b, rule->why);
		buf_puts(b, "\nFix: ");
		text(b, rule->fix);
		buf_puts(b, "</failure>\n");
	}
}

/* Findings below `fail_on`, one line each in <system-out>. */
static void put_below(struct buf *b, const struct policy_report *rep, const char *file,
		      const struct policy_rule *rule, enum policy_severity fail_on)
{
	buf_puts(b, "      <system-out>");
	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_finding *f = &rep->items[i];

		if (f->rule != rule || strcmp(f->file, file) || f->suppressed ||
		    f->severity >= fail_on)
			continue;
		text(b, f->file);
		buf_putf(b, ":%d:%d %s ", f->line, f->col, policy_severity_name(f->severity));
		text(b, f->message);
		buf_putc(b, '\n');
	}
	buf_puts(b, "</system-out>\n");
}

static void put_case(struct buf *b, const struct policy_report *rep, const char *file,
		     const struct policy_rule *rule, enum policy_severity fail_on)
{
	struct case_count c = count(rep, file, rule, fail_on);

	buf_puts(b, "    <testcase classname=\"");
	text(b, file);
	buf_puts(b, "\" name=\"");
	text(b, rule->id);
	buf_putc(b, ' ');
	text(b, rule->title);
	buf_putc(b, '"');
	if (!c.failing && !c.below && !c.suppressed) {
		buf_puts(b, "/>\n");
		return;
	}
	buf_puts(b, ">\n");
	if (!c.failing && !c.below)
		buf_puts(b, "      <skipped message=\"every finding is suppressed\"/>\n");
	put_failures(b, rep, file, rule, fail_on);
	if (c.below)
		put_below(b, rep, file, rule, fail_on);
	buf_puts(b, "    </testcase>\n");
}

static void put_suite(struct buf *b, const struct policy_report *rep, const char *path,
		      const struct policy_rule *all, size_t nrules, enum policy_severity fail_on)
{
	size_t fails = 0, skipped = 0;

	for (size_t k = 0; k < nrules; k++) {
		struct case_count c = count(rep, path, &all[k], fail_on);

		fails += c.failing > 0;
		skipped += !c.failing && !c.below && c.suppressed;
	}
	buf_puts(b, "  <testsuite name=\"");
	text(b, path);
	buf_putf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", nrules,
		 fails, skipped);
	for (size_t k = 0; k < nrules; k++)
		put_case(b, rep, path, &all[k], fail_on);
	buf_puts(b, "  </testsuite>\n");
}

int report_junit(FILE *out, const struct policy_report *rep, const struct report_opts *o)
{
	size_t nrules, ntemplates = 0, nfail = 0;
	const struct policy_rule *all = policy_rules(&nrules);
	enum policy_severity fail_on = o->fail_on ? o->fail_on : POLICY_ERROR;
	struct buf b;
	int err;

	for (size_t i = 0; i < rep->nfiles; i++)
		ntemplates += rep->files[i].checked;
	for (size_t i = 0; i < rep->nfiles; i++)
		for (size_t k = 0; rep->files[i].checked && k < nrules; k++)
			nfail += count(rep, rep->files[i].path, &all[k], fail_on).failing > 0;
	buf_init(&b, JUNIT_MAX_BYTES);
	buf_puts(&b, XML_DECL);
	buf_putf(&b, "<testsuites name=\"sluice check\" tests=\"%zu\" failures=\"%zu\">\n",
		 ntemplates * nrules, nfail);
	for (size_t i = 0; i < rep->nfiles; i++)
		if (rep->files[i].checked)
			put_suite(&b, rep, rep->files[i].path, all, nrules, fail_on);
	buf_puts(&b, "</testsuites>\n");
	err = buf_error(&b);
	if (!err && (fwrite(b.ptr, 1, b.len, out) != b.len || fflush(out) || ferror(out)))
		err = ERR_IO;
	buf_release(&b);
	return err;
}
