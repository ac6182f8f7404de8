/*
 * The text reporter, for a person at a terminal or reading CI logs: one line
 * per finding in the file:line:col form editors and CI annotators jump to,
 * the rule's why and fix once per rule, and a one-line summary. Colour only
 * when the caller asks for it (the CLI does on a terminal without NO_COLOR).
 */
#include "core/common.h"

#include <ctype.h>

#include "policy/report.h"

#define C_RESET	 "\033[0m"
#define C_BOLD	 "\033[1m"
#define C_DIM	 "\033[2m"
#define C_RED	 "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN	 "\033[36m"

static const char *col(const struct report_opts *o, const char *code)
{
	return o->color ? code : "";
}

static void print_finding(FILE *out, const struct policy_finding *f, const struct report_opts *o,
			  bool first_of_rule)
{
	const char *sev = f->suppressed ? "suppressed" : policy_severity_name(f->severity);
	const char *sc = f->suppressed ? C_DIM : f->severity == POLICY_ERROR ? C_RED : C_YELLOW;

	fprintf(out, "%s%s:%d:%d%s %s%s%s %s%s%s %s\n", col(o, C_BOLD), f->file, f->line, f->col,
		col(o, C_RESET), col(o, sc), sev, col(o, C_RESET), col(o, C_CYAN), f->rule->id,
		col(o, C_RESET), f->message);
	if (f->suppressed)
		fprintf(out, "    %ssuppressed by %s: %s%s\n", col(o, C_DIM), f->suppressed_by,
			f->reason && *f->reason ? f->reason : "(no reason given)", col(o, C_RESET));
	if (first_of_rule && !f->suppressed) {
		fprintf(out, "    %swhy:%s %s\n", col(o, C_DIM), col(o, C_RESET), f->rule->why);
		fprintf(out, "    %sfix:%s %s\n", col(o, C_DIM), col(o, C_RESET), f->rule->fix);
	}
}

static void plural(char *buf, size_t len, size_t n, const char *word)
{
	snprintf(buf, len, "%zu %s%s", n, word, n == 1 ? "" : "s");
}

int report_text(FILE *out, const struct policy_report *rep, const struct report_opts *o)
{
	size_t nrules;
	const struct policy_rule *all = policy_rules(&nrules);
	bool *seen = calloc(nrules + 1, sizeof(*seen));
	const char *last_file = NULL;
	size_t ntemplates = 0, nsupp = 0;
	char e[32], w[32], t[32];

	if (!seen)
		return ERR_NOMEM;
	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_finding *f = &rep->items[i];
		size_t idx = (size_t)(f->rule - all);

		if (f->suppressed) {
			nsupp++;
			if (!o->show_suppressed)
				continue;
		}
		if (last_file && strcmp(last_file, f->file))
			fputc('\n', out);
		last_file = f->file;
		print_finding(out, f, o, idx < nrules && !seen[idx] && !f->suppressed);
		if (idx < nrules && !f->suppressed)
			seen[idx] = true;
	}
	free(seen);
	for (size_t i = 0; i < rep->nfiles; i++)
		ntemplates += rep->files[i].checked;
	plural(e, sizeof(e), policy_report_count(rep, POLICY_ERROR, false), "error");
	plural(w, sizeof(w), policy_report_count(rep, POLICY_WARNING, false), "warning");
	plural(t, sizeof(t), ntemplates, "template");
	if (last_file)
		fputc('\n', out);
	fprintf(out, "%s%s, %s%s in %s", col(o, C_BOLD), e, w, col(o, C_RESET), t);
	if (nsupp)
		fprintf(out, " (%zu suppressed%s)", nsupp,
			o->show_suppressed ? "" : ", see --show-suppressed");
	fputc('\n', out);
	return ferror(out) ? ERR_IO : 0;
}

void report_rule_name(const struct policy_rule *r, char *out, size_t len)
{
	size_t n = 0;
	bool up = true;

	for (const char *p = r->title; *p && n + 1 < len; p++) {
		if (!isalnum((unsigned char)*p)) {
			up = true;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = false;
	}
	out[n] = '\0';
}

/*
 * "same as: cfn_nag W35 checkov CKV_AWS_18 guard ...", with the checkov ids
 * on a line of their own ("stricter than: checkov ...") when the rule
 * deliberately flags more than checkov does.
 */
static void print_crosswalk(FILE *out, const struct policy_rule *r)
{
	const char *same_checkov = r->stricter ? NULL : r->checkov;

	if (r->cfn_nag || same_checkov || r->guard)
		fprintf(out, "      same as:%s%s%s%s%s%s\n", r->cfn_nag ? " cfn_nag " : "",
			r->cfn_nag ? r->cfn_nag : "", same_checkov ? " checkov " : "",
			same_checkov ? same_checkov : "", r->guard ? " guard " : "",
			r->guard ? r->guard : "");
	if (r->stricter && r->checkov)
		fprintf(out, "      stricter than: checkov %s\n", r->checkov);
}

int report_rules(FILE *out, bool color)
{
	struct report_opts o = {.color = color};
	size_t n;
	const struct policy_rule *all = policy_rules(&n);
	const char *service = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = &all[i];

		if (!service || strcmp(service, r->service)) {
			fprintf(out, "%s%s%s\n", col(&o, C_BOLD), r->service, col(&o, C_RESET));
			service = r->service;
		}
		fprintf(out, "  %s%-11s%s %-7s %s\n", col(&o, C_CYAN), r->id, col(&o, C_RESET),
			policy_severity_name(r->severity), r->title);
		fprintf(out, "      why: %s\n      fix: %s\n", r->why, r->fix);
		print_crosswalk(out, r);
	}
	fprintf(out, "%zu rules\n", n);
	return ferror(out) ? ERR_IO : 0;
}
