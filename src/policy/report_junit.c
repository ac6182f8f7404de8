/*
 * The JUnit XML reporter, for CodeBuild and GitLab test reports: a template
 * is a test suite and each rule of the catalogue a test case in it, so a
 * report shows which policies every template passes, not only the failures.
 * Findings below the --fail-on threshold do not fail their test case; they
 * are listed in its <system-out>.
 */
#include "core/common.h"

#include "policy/report.h"

static void xml_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
				fputc('?', out);
			else
				fputc(c, out);
		}
	}
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

static void print_case(FILE *out, const struct policy_report *rep, const char *file,
		       const struct policy_rule *rule, enum policy_severity fail_on)
{
	struct case_count c = count(rep, file, rule, fail_on);

	fputs("    <testcase classname=\"", out);
	xml_text(out, file);
	fprintf(out, "\" name=\"%s ", rule->id);
	xml_text(out, rule->title);
	fputs("\"", out);
	if (!c.failing && !c.below && !c.suppressed) {
		fputs("/>\n", out);
		return;
	}
	fputs(">\n", out);
	if (!c.failing && !c.below)
		fputs("      <skipped message=\"every finding is suppressed\"/>\n", out);
	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_finding *f = &rep->items[i];

		if (f->rule != rule || strcmp(f->file, file) || f->suppressed ||
		    f->severity < fail_on)
			continue;
		fprintf(out, "      <failure type=\"%s\" message=\"",
			policy_severity_name(f->severity));
		xml_text(out, f->message);
		fputs("\">", out);
		xml_text(out, f->file);
		fprintf(out, ":%d:%d ", f->line, f->col);
		xml_text(out, f->message);
		fputs("\nWhy: ", out);
		xml_text(out, rule->why);
		fputs("\nFix: ", out);
		xml_text(out, rule->fix);
		fputs("</failure>\n", out);
	}
	if (c.below) {
		fputs("      <system-out>", out);
		for (size_t i = 0; i < rep->n; i++) {
			const struct policy_finding *f = &rep->items[i];

			if (f->rule != rule || strcmp(f->file, file) || f->suppressed ||
			    f->severity >= fail_on)
				continue;
			xml_text(out, f->file);
			fprintf(out, ":%d:%d %s ", f->line, f->col,
				policy_severity_name(f->severity));
			xml_text(out, f->message);
			fputc('\n', out);
		}
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
}

int report_junit(FILE *out, const struct policy_report *rep, const struct report_opts *o)
{
	size_t nrules, ntemplates = 0, nfail = 0;
	const struct policy_rule *all = policy_rules(&nrules);
	enum policy_severity fail_on = o->fail_on ? o->fail_on : POLICY_ERROR;

	for (size_t i = 0; i < rep->nfiles; i++)
		ntemplates += rep->files[i].checked;
	for (size_t i = 0; i < rep->nfiles; i++)
		for (size_t k = 0; rep->files[i].checked && k < nrules; k++)
			nfail += count(rep, rep->files[i].path, &all[k], fail_on).failing > 0;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"sluice check\" tests=\"%zu\" failures=\"%zu\">\n",
		ntemplates * nrules, nfail);
	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct policy_file *f = &rep->files[i];
		size_t fails = 0, skipped = 0;

		if (!f->checked)
			continue;
		for (size_t k = 0; k < nrules; k++) {
			struct case_count c = count(rep, f->path, &all[k], fail_on);

			fails += c.failing > 0;
			skipped += !c.failing && !c.below && c.suppressed;
		}
		fputs("  <testsuite name=\"", out);
		xml_text(out, f->path);
		fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
			nrules, fails, skipped);
		for (size_t k = 0; k < nrules; k++)
			print_case(out, rep, f->path, &all[k], fail_on);
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
	return ferror(out) ? ERR_IO : 0;
}
