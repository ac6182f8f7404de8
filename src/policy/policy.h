/*
 * The policy engine of `sluice check`: a catalogue of security rules over the
 * template model (src/template/), the findings they produce, and the three
 * ways a finding is silenced: a suppression in the resource's Metadata
 * (sluice's own, or cfn_nag's and checkov's for the rules that have a
 * crosswalk to theirs), and the repository file `.sluice-check.yaml` that
 * disables rules or changes their severity, each with a reason.
 *
 * A run: policy_report_init(), policy_config_discover() (optional), then
 * policy_check_template() for every template, policy_report_sort(), and a
 * reporter from report.h. Findings are data, not errors: a function returns
 * an ERR_* code only when it could not do its work (memory, a bad config).
 *
 * A rule sees each resource it applies to once, with values already
 * resolved by the template model. Where an Fn::If could not be decided, the
 * model keeps both branches (TVAL_CHOICE) and every rule looks through them:
 * a finding in either branch counts.
 */
#ifndef SLUICE_POLICY_POLICY_H
#define SLUICE_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "template/template.h"

/* Caps, named once. */
#define POLICY_MAX_RULES	512	     /* rules in the catalogue */
#define POLICY_MAX_FINDINGS	1000000	     /* findings in one run */
#define POLICY_ARENA_CAP	(256u << 20) /* all the text findings may hold */
#define POLICY_MAX_MESSAGE	1024	     /* one finding's message */
#define POLICY_CONFIG_MAX_BYTES (1u << 20)   /* .sluice-check.yaml */
#define POLICY_CONFIG_NAME	".sluice-check.yaml"

enum policy_severity {
	POLICY_NONE = 0, /* "no override" in a config entry */
	POLICY_WARNING = 1,
	POLICY_ERROR = 2,
};

/* "error" / "warning" ("none" for POLICY_NONE). */
const char *policy_severity_name(enum policy_severity s);

/* Parse "error" or "warning" (exact, lower case); POLICY_NONE otherwise. */
enum policy_severity policy_severity_parse(const char *s);

struct policy_ctx;

/*
 * One rule of the catalogue. Rules are static data in src/policy/rules/.
 * `types` lists the resource types the rule looks at (NULL-terminated); the
 * engine calls `check` once per resource of those types whose Condition is
 * not known to be false. A rule with `types` NULL looks at the whole
 * template: `check` is called once with `r` NULL.
 * The crosswalk fields hold comma-separated ids of the same check in
 * cfn_nag ("W35"), checkov ("CKV_AWS_18") and the AWS Guard rules registry
 * ("S3_BUCKET_LOGGING_ENABLED"), or NULL where that tool has none. A rule
 * that groups several conditions lists the ids of all of them; each finding
 * carries only the ids of the condition that failed (policy_flag_as()).
 * `stricter` marks a rule that deliberately flags more than its checkov
 * counterpart (its `why` says what): --list-rules prints "stricter than"
 * instead of "same as", so a reader of both reports is not misled.
 */
struct policy_rule {
	const char *id;	     /* "S3-001": service prefix, dash, 3 digits */
	const char *service; /* "S3", "IAM", ..., as printed by --list-rules */
	enum policy_severity severity;
	const char *title; /* one line, sentence case, no period */
	const char *why;   /* why it matters: one or two sentences */
	const char *fix;   /* how to fix it, with the property to set */
	const char *cfn_nag;
	const char *checkov;
	const char *guard;
	bool stricter;
	const char *const *types;
	void (*check)(struct policy_ctx *cx, const struct template_resource *r);
	const void *spec; /* data of a table-driven check (rules.h), or NULL */
};

/*
 * The whole catalogue in a stable order (by service, then id). `*n` gets
 * the count. The array is static; never NULL.
 */
const struct policy_rule *policy_rules(size_t *n /* OUT */);

/* The rule with id `id` (exact), or NULL. */
const struct policy_rule *policy_rule_find(const char *id);

/* True when `id` is listed in the comma-separated `list` (NULL list: false). */
bool policy_id_in_list(const char *list, const char *id);

/* ----- findings ----- */

/*
 * One finding. Strings live in the report's arena. `resource` is NULL for
 * findings outside Resources (a parameter's default, say). `line`/`col` are
 * 1-based; 0 when unknown. A suppressed finding keeps its data, with
 * `suppressed_by` ("sluice", "cfn_nag W35", "checkov CKV_AWS_18",
 * ".sluice-check.yaml") and `reason` (may be "" when none was given).
 * `checkov` and `cfn_nag` are the crosswalk ids of the condition that
 * failed, comma-separated: a subset of the rule's lists, "" when no id of
 * that tool applies; never NULL.
 */
struct policy_finding {
	const struct policy_rule *rule;
	enum policy_severity severity; /* the rule's, or the config's override */
	const char *file;
	int line;
	int col;
	const char *resource;
	const char *message;
	const char *checkov;
	const char *cfn_nag;
	bool suppressed;
	const char *suppressed_by;
	const char *reason;
};

/* A file the run looked at: a checked template or a skipped file. */
struct policy_file {
	const char *path;
	bool checked; /* false: skipped, with `note` saying why */
	const char *note;
};

struct policy_report {
	struct policy_finding *items;
	size_t n;
	size_t alloc;
	struct policy_file *files;
	size_t nfiles;
	size_t files_alloc;
	struct arena arena; /* owns the findings' strings */
};

/* An empty report. Allocates nothing. */
void policy_report_init(struct policy_report *rep);

/* Free everything; `rep` is empty again. */
void policy_report_release(struct policy_report *rep);

/*
 * Record a file the run looked at (`note` NULL for a checked template, or
 * the reason it was skipped). Copies the strings. Returns 0 or ERR_NOMEM.
 */
int policy_report_add_file(struct policy_report *rep, const char *path, const char *note);

/* Sort findings by file, line, column, then rule id (stable for equal keys). */
void policy_report_sort(struct policy_report *rep);

/*
 * Count findings at `sev` exactly. Suppressed findings are counted only
 * with `suppressed` true (then only suppressed ones are counted).
 */
size_t policy_report_count(const struct policy_report *rep, enum policy_severity sev,
			   bool suppressed);

/* True when an unsuppressed finding has severity >= `threshold`. */
bool policy_report_fails(const struct policy_report *rep, enum policy_severity threshold);

/* ----- configuration: .sluice-check.yaml ----- */

/*
 * One entry of the file:
 *   rules:
 *     - id: S3-009
 *       enabled: false
 *       reason: "access logs are collected by CloudTrail data events"
 *     - id: LAMBDA-005
 *       severity: error
 *       reason: "every function must cap its concurrency"
 */
struct policy_config_rule {
	char *id;
	bool disabled;
	enum policy_severity severity; /* POLICY_NONE: unchanged */
	char *reason;
	int line;
};

struct policy_config {
	char *path; /* the file read, or NULL when there was none */
	struct policy_config_rule *rules;
	size_t n;
};

/* An empty configuration (every rule on, default severities). */
void policy_config_init(struct policy_config *cfg);
void policy_config_release(struct policy_config *cfg);

/*
 * Read the file at `path` into `cfg` (which must be empty). Returns 0;
 * ERR_NOTFOUND when there is no such file; ERR_PARSE when it is not valid
 * YAML, or an entry lacks an id or a reason, names an unknown rule, or has
 * an unknown key or severity: then `err` holds "file:line: message".
 * ERR_IO, ERR_TOOLARGE, ERR_NOMEM.
 */
int policy_config_load(struct policy_config *cfg, const char *path, char *err, size_t err_len);

/*
 * Find POLICY_CONFIG_NAME in the current directory, else in the directory
 * of `first_path` (a file or a folder; NULL: skipped) and each of its
 * parents, and load the first one found. No file at all is not an error:
 * returns 0 with `cfg->path` NULL. Other returns as policy_config_load().
 */
int policy_config_discover(struct policy_config *cfg, const char *first_path, char *err,
			   size_t err_len);

/* The entry for rule `id`, or NULL. */
const struct policy_config_rule *policy_config_rule(const struct policy_config *cfg,
						    const char *id);

/* ----- running the rules ----- */

/*
 * Run every rule over `t` and append the findings to `rep`, with
 * suppressions and `cfg` (NULL: none) applied: a suppressed finding is kept,
 * flagged. Returns 0, or ERR_NOMEM / ERR_TOOLARGE (past POLICY_MAX_FINDINGS).
 */
int policy_check_template(struct policy_report *rep, const struct template *t,
			  const struct policy_config *cfg);

/* ----- for rules (the files in src/policy/rules/) ----- */

struct policy_index;

/* What a rule's check function gets: opaque but for these fields. */
struct policy_ctx {
	const struct template *t;
	const struct policy_rule *rule;
	struct policy_report *rep;
	size_t first;		 /* index of the first finding of this check call */
	int err;		 /* the first error while recording; checks need not look */
	struct policy_index *ix; /* lookups across resources (rules.h: pr_of_type()) */
};

/*
 * Record a finding of the current rule on resource `r` (NULL: none) at
 * `pos` (NULL: the resource's logical id; neither: line 0). The message is
 * printf-formatted and should name the resource and say what to set. For a
 * resource SAM generated, " (generated by SAM for 'Origin')" is appended.
 * A second finding with the same message at the same place from the same
 * call is dropped, so a rule may report every alternative of an Fn::If
 * without duplicates. The finding carries all of the rule's crosswalk ids.
 */
void policy_flag(struct policy_ctx *cx, const struct template_resource *r, const struct tpos *pos,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The same for one condition of a rule that groups several: `checkov` and
 * `cfn_nag` (comma-separated, copied; "" for none, NULL for all of the
 * rule's) are the crosswalk ids of the condition that failed, and a
 * suppression written for another tool matches only those.
 */
void policy_flag_as(struct policy_ctx *cx, const struct template_resource *r,
		    const struct tpos *pos, const char *checkov, const char *cfn_nag,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
