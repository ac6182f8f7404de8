/*
 * The rule engine: gathers the per-service rule tables into one catalogue,
 * runs the rules over a template, records findings, and applies the
 * suppressions found in each resource's Metadata and in .sluice-check.yaml.
 *
 * Suppressions are matched after the rules ran, so a rule never needs to
 * know about them, and a suppressed finding is kept (flagged) for
 * --show-suppressed. A resource SAM generated (a function's execution role)
 * has no Metadata of its own: the Metadata of the resource that implies it
 * applies, which is where its author can write one.
 */
#include "core/common.h"

#include "core/grow.h"
#include "policy/policy_int.h"
#include "policy/rules/rules.h"

static const struct policy_rule *const rule_tables[] = {
	policy_rules_s3,	 policy_rules_iam,	   policy_rules_lambda,
	policy_rules_apigw,	 policy_rules_dynamodb,	   policy_rules_rds,
	policy_rules_kms,	 policy_rules_sns_sqs,	   policy_rules_logs,
	policy_rules_ec2,	 policy_rules_codebuild,   policy_rules_secretsmanager,
	policy_rules_cloudtrail, policy_rules_credentials, policy_rules_cloudfront,
	policy_rules_acm,	 policy_rules_elb,	   policy_rules_containers,
	policy_rules_analytics,	 policy_rules_databases,   policy_rules_other,
	policy_rules_sluice,
};

static struct policy_rule catalogue[POLICY_MAX_RULES];
static size_t catalogue_n;

const struct policy_rule *policy_rules(size_t *n)
{
	if (!catalogue_n) {
		for (size_t t = 0; t < ARRAY_SIZE(rule_tables); t++)
			for (const struct policy_rule *r = rule_tables[t]; r->id; r++)
				if (catalogue_n < POLICY_MAX_RULES)
					catalogue[catalogue_n++] = *r;
	}
	*n = catalogue_n;
	return catalogue;
}

const struct policy_rule *policy_rule_find(const char *id)
{
	size_t n;
	const struct policy_rule *all = policy_rules(&n);

	if (!id)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].id, id) == 0)
			return &all[i];
	return NULL;
}

bool policy_id_in_list(const char *list, const char *id)
{
	size_t idlen;

	if (!list || !id || !*id)
		return false;
	idlen = strlen(id);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == idlen && strncasecmp(p, id, len) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
		while (*p == ' ')
			p++;
	}
	return false;
}

const char *policy_severity_name(enum policy_severity s)
{
	switch (s) {
	case POLICY_ERROR:
		return "error";
	case POLICY_WARNING:
		return "warning";
	default:
		return "none";
	}
}

enum policy_severity policy_severity_parse(const char *s)
{
	if (s && strcmp(s, "error") == 0)
		return POLICY_ERROR;
	if (s && strcmp(s, "warning") == 0)
		return POLICY_WARNING;
	return POLICY_NONE;
}

/* ----- the report ----- */

void policy_report_init(struct policy_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	arena_init(&rep->arena, POLICY_ARENA_CAP);
}

void policy_report_release(struct policy_report *rep)
{
	free(rep->items);
	free(rep->files);
	arena_release(&rep->arena);
	memset(rep, 0, sizeof(*rep));
	arena_init(&rep->arena, POLICY_ARENA_CAP);
}

int policy_report_add_file(struct policy_report *rep, const char *path, const char *note)
{
	struct policy_file *f;
	int err = ALLOC_GROW(rep->files, rep->nfiles + 1, rep->files_alloc);

	if (err)
		return err;
	f = &rep->files[rep->nfiles];
	f->path = arena_strdup(&rep->arena, path);
	f->checked = note == NULL;
	f->note = note ? arena_strdup(&rep->arena, note) : NULL;
	if (!f->path || (note && !f->note))
		return ERR_NOMEM;
	rep->nfiles++;
	return 0;
}

static int finding_cmp(const void *pa, const void *pb)
{
	const struct policy_finding *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	c = strcmp(a->rule->id, b->rule->id);
	if (c)
		return c;
	c = strcmp(a->resource ? a->resource : "", b->resource ? b->resource : "");
	return c ? c : strcmp(a->message, b->message);
}

void policy_report_sort(struct policy_report *rep)
{
	if (rep->n > 1)
		qsort(rep->items, rep->n, sizeof(rep->items[0]), finding_cmp);
}

size_t policy_report_count(const struct policy_report *rep, enum policy_severity sev,
			   bool suppressed)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->n; i++)
		if (rep->items[i].severity == sev && rep->items[i].suppressed == suppressed)
			n++;
	return n;
}

bool policy_report_fails(const struct policy_report *rep, enum policy_severity threshold)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!rep->items[i].suppressed && rep->items[i].severity >= threshold)
			return true;
	return false;
}

/* ----- recording findings ----- */

static int report_push(struct policy_report *rep, struct policy_finding **out)
{
	int err;

	if (rep->n >= POLICY_MAX_FINDINGS)
		return ERR_TOOLARGE;
	err = ALLOC_GROW(rep->items, rep->n + 1, rep->alloc);
	if (err)
		return err;
	*out = &rep->items[rep->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* The ids to record: the rule's own list, or a copy of the condition's. */
static const char *finding_ids(struct policy_report *rep, const char *rule_ids, const char *ids)
{
	if (!ids)
		return rule_ids ? rule_ids : "";
	return *ids ? arena_strdup(&rep->arena, ids) : "";
}

static void flag(struct policy_ctx *cx, const struct template_resource *r, const struct tpos *pos,
		 const char *checkov, const char *cfn_nag, const char *fmt, va_list ap)
{
	struct policy_report *rep = cx->rep;
	struct policy_finding *f;
	char msg[POLICY_MAX_MESSAGE];
	const char *file = cx->t->path;
	int line = 0, col = 0, len, err;

	if (cx->err)
		return;
	if (!pos && r)
		pos = &r->pos;
	if (pos) {
		file = pos->file ? pos->file : file;
		line = pos->line;
		col = pos->col;
	}
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (len < 0)
		len = 0;
	if (r && r->implicit && r->origin && (size_t)len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - (size_t)len, " (generated by SAM for '%s')",
			 r->origin);
	for (size_t i = cx->first; i < rep->n; i++)
		if (rep->items[i].line == line && rep->items[i].col == col &&
		    !strcmp(rep->items[i].message, msg))
			return;
	err = report_push(rep, &f);
	if (err) {
		cx->err = err;
		return;
	}
	f->rule = cx->rule;
	f->severity = cx->rule->severity;
	f->file = arena_strdup(&rep->arena, file);
	f->line = line;
	f->col = col;
	f->resource = r ? arena_strdup(&rep->arena, r->id) : NULL;
	f->message = arena_strdup(&rep->arena, msg);
	f->checkov = finding_ids(rep, cx->rule->checkov, checkov);
	f->cfn_nag = finding_ids(rep, cx->rule->cfn_nag, cfn_nag);
	if (!f->file || !f->message || (r && !f->resource) || !f->checkov || !f->cfn_nag) {
		rep->n--;
		cx->err = ERR_NOMEM;
	}
}

void policy_flag(struct policy_ctx *cx, const struct template_resource *r, const struct tpos *pos,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	flag(cx, r, pos, NULL, NULL, fmt, ap);
	va_end(ap);
}

void policy_flag_as(struct policy_ctx *cx, const struct template_resource *r,
		    const struct tpos *pos, const char *checkov, const char *cfn_nag,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	flag(cx, r, pos, checkov, cfn_nag, fmt, ap);
	va_end(ap);
}

/* ----- suppressions ----- */

/* The id and reason of a suppression entry; reason "" when none. */
static bool entry_matches(const struct tval *entry, const char *reason_key, const char *id,
			  const char *crosswalk, const char **reason)
{
	const char *eid = tval_scalar(tval_get(entry, "id"));
	const char *why = tval_scalar(tval_get(entry, reason_key));

	if (!eid)
		return false;
	if (id ? strcmp(eid, id) != 0 : !policy_id_in_list(crosswalk, eid))
		return false;
	*reason = why ? why : "";
	return true;
}

/*
 * Look for a suppression of `rule` in `meta` (a resource's Metadata):
 * sluice's own by rule id, cfn_nag's and checkov's by the crosswalk ids.
 */
static bool find_suppression(struct policy_report *rep, const struct tval *meta,
			     struct policy_finding *f)
{
	static const struct {
		const char *tool, *list, *reason;
	} kinds[] = {
		{"sluice", "sluice.suppress", "reason"},
		{"cfn_nag", "cfn_nag.rules_to_suppress", "reason"},
		{"checkov", "checkov.skip", "comment"},
	};
	const char *reason;

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		const struct tval *list = tval_get_path(meta, kinds[k].list);
		const char *xw = k == 1 ? f->cfn_nag : f->checkov;

		if (!list || list->kind != TVAL_SEQ)
			continue;
		for (size_t i = 0; i < list->n; i++) {
			const struct tval *e = list->items[i];

			if (!entry_matches(e, kinds[k].reason, k == 0 ? f->rule->id : NULL, xw,
					   &reason))
				continue;
			f->suppressed = true;
			f->reason = arena_strdup(&rep->arena, reason);
			f->suppressed_by =
				k == 0 ? "sluice"
				       : arena_printf(&rep->arena, "%s %s", kinds[k].tool,
						      tval_scalar(tval_get(e, "id")));
			return f->reason && f->suppressed_by;
		}
	}
	return false;
}

static void apply_suppressions(struct policy_report *rep, const struct template *t,
			       const struct policy_config *cfg, size_t first)
{
	for (size_t i = first; i < rep->n; i++) {
		struct policy_finding *f = &rep->items[i];
		const struct policy_config_rule *c =
			cfg ? policy_config_rule(cfg, f->rule->id) : NULL;
		const struct template_resource *r;

		if (c && c->severity != POLICY_NONE)
			f->severity = c->severity;
		if (c && c->disabled) {
			f->suppressed = true;
			f->suppressed_by = POLICY_CONFIG_NAME;
			f->reason = c->reason;
			continue;
		}
		/* Sluice's own meta-findings cannot be silenced from Metadata. */
		if (!f->resource || strncmp(f->rule->id, "SLUICE-", 7) == 0)
			continue;
		r = template_resource(t, f->resource);
		if (!r)
			continue;
		if (r->metadata && find_suppression(rep, r->metadata, f))
			continue;
		if (r->implicit && r->origin) {
			const struct template_resource *o = template_resource(t, r->origin);

			if (o && o->metadata)
				find_suppression(rep, o->metadata, f);
		}
	}
}

/* ----- running ----- */

static bool rule_applies(const struct policy_rule *rule, const char *type)
{
	for (const char *const *p = rule->types; *p; p++)
		if (strcmp(*p, type) == 0)
			return true;
	return false;
}

/* Run the rules for `type` over the `n` resources of that type in `rs`. */
static void run_group(struct policy_ctx *cx, const struct template_resource *const *rs, size_t n)
{
	const struct policy_rule *all, *mine[POLICY_MAX_RULES];
	size_t nrules, nmine = 0;

	all = policy_rules(&nrules);
	for (size_t k = 0; k < nrules; k++)
		if (all[k].types && rule_applies(&all[k], rs[0]->type))
			mine[nmine++] = &all[k];
	for (size_t i = 0; i < n && !cx->err; i++) {
		if (rs[i]->cond_value == TCOND_FALSE)
			continue;
		for (size_t k = 0; k < nmine && !cx->err; k++) {
			cx->rule = mine[k];
			cx->first = cx->rep->n;
			mine[k]->check(cx, rs[i]);
		}
	}
}

int policy_check_template(struct policy_report *rep, const struct template *t,
			  const struct policy_config *cfg)
{
	struct policy_ctx cx = {.t = t, .rep = rep};
	const struct template_resource *const *rs;
	const struct policy_rule *all;
	size_t nrules, n, first = rep->n;

	cx.err = policy_index_new(t, &cx.ix);
	if (cx.err)
		return cx.err;
	/* Resources come grouped by type: the rules for a type are found once. */
	rs = policy_index_groups(cx.ix, &n);
	for (size_t i = 0, j; i < n && !cx.err; i = j) {
		for (j = i + 1; j < n && !strcmp(rs[j]->type, rs[i]->type); j++)
			;
		run_group(&cx, rs + i, j - i);
	}
	all = policy_rules(&nrules);
	for (size_t k = 0; k < nrules && !cx.err; k++) {
		if (all[k].types)
			continue;
		cx.rule = &all[k];
		cx.first = rep->n;
		all[k].check(&cx, NULL);
	}
	policy_index_free(cx.ix);
	apply_suppressions(rep, t, cfg, first);
	return cx.err;
}
