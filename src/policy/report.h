/*
 * Reporters for `sluice check`: the same sorted findings (policy.h) written
 * for a person (text), for scripts (JSON), for GitHub code scanning (SARIF
 * 2.1.0) and for CI test reports (JUnit XML).
 *
 * Suppressed findings: text shows them only with `show_suppressed`; JSON and
 * SARIF always carry them, flagged ("suppressed": true, SARIF
 * "suppressions" with the justification), so that an audit sees every
 * decision; JUnit shows a rule whose findings are all suppressed as skipped.
 *
 * Each function writes one complete document to `out` and returns 0, or
 * ERR_IO when writing fails, ERR_NOMEM.
 */
#ifndef SLUICE_POLICY_REPORT_H
#define SLUICE_POLICY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "policy/policy.h"

struct report_opts {
	bool color;		      /* ANSI colours (text only) */
	bool show_suppressed;	      /* text: list suppressed findings with their reason */
	enum policy_severity fail_on; /* JUnit: findings below it are not failures */
	const char *version;	      /* the tool's version, e.g. "0.1.0" */
};

/*
 * Lines "file:line:col severity RULE message", grouped by file (a blank line
 * between files), the rule's why and fix under its first finding, and a
 * closing summary line ("2 errors, 1 warning in 3 templates (1 suppressed)").
 */
int report_text(FILE *out, const struct policy_report *rep, const struct report_opts *o);

/*
 * {"tool", "version", "templates": [paths], "skipped": [{"path", "reason"}],
 *  "findings": [{"rule", "severity", "title", "file", "line", "column",
 *  "resource", "message", "checkov": [ids], "cfn_nag": [ids], "suppressed",
 *  ["suppressedBy", "reason"]}],
 * where "checkov" and "cfn_nag" are the crosswalk ids of the condition that
 * failed (policy_finding), possibly empty.
 *  "summary": {"errors", "warnings", "suppressed"}}
 */
int report_json(FILE *out, const struct policy_report *rep, const struct report_opts *o);

/*
 * One SARIF 2.1.0 log with one run: tool.driver.rules holds the whole
 * catalogue (id, name, short/full description, help, default level, and
 * properties: tags, security-severity, precision and the crosswalk ids);
 * each finding is a result with ruleId, ruleIndex, level, message, a
 * physical location (artifact uri, startLine, startColumn) and, when the
 * condition has crosswalk ids, properties {checkov, cfn_nag}.
 */
int report_sarif(FILE *out, const struct policy_report *rep, const struct report_opts *o);

/*
 * JUnit XML: one testsuite per checked template, one testcase per rule of
 * the catalogue; a testcase fails when the rule has an unsuppressed finding
 * at or above `fail_on` in that template (one <failure> per finding), and
 * carries findings below it in <system-out>. The document is built whole
 * with core/xml.h before it is written, so a failure never leaves half of
 * one: ERR_TOOLARGE past its cap (1 GiB), ERR_NOMEM, ERR_IO. Text that XML
 * 1.0 cannot carry (control characters, bytes that are not UTF-8) is
 * written as U+FFFD.
 */
int report_junit(FILE *out, const struct policy_report *rep, const struct report_opts *o);

/* The rule's name for SARIF: its title in CamelCase ("BucketWithoutVersioning"). */
void report_rule_name(const struct policy_rule *r, char *out, size_t len);

/*
 * Print the catalogue, one block per rule (--list-rules): id, severity,
 * title, why, fix and the crosswalk ("same as: ...", or "stricter than:
 * checkov ..." for a rule that deliberately flags more).
 */
int report_rules(FILE *out, bool color);

#endif
