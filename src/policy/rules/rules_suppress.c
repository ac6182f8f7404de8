/*
 * Rules about suppressions themselves. A suppression is a reviewed
 * decision, so it must say why (SLUICE-001), and it must name a rule that
 * exists (SLUICE-002), or a typo silently suppresses nothing. The engine
 * (policy.c) applies suppressions; these rules only judge how they are
 * written, in each resource's Metadata:
 *   sluice:  { suppress: [ { id: S3-009, reason: "..." } ] }
 *   cfn_nag: { rules_to_suppress: [ { id: W35, reason: "..." } ] }
 *   checkov: { skip: [ { id: CKV_AWS_18, comment: "..." } ] }
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const struct {
	const char *tool, *list, *reason;
} kinds[] = {
	{"sluice", "sluice.suppress", "reason"},
	{"cfn_nag", "cfn_nag.rules_to_suppress", "reason"},
	{"checkov", "checkov.skip", "comment"},
};

static void check_reasons(struct policy_ctx *cx, const struct template_resource *none)
{
	const struct template *t = cx->t;

	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];

		for (size_t k = 0; r->metadata && !r->implicit && k < ARRAY_SIZE(kinds); k++) {
			const struct tval *list = tval_get_path(r->metadata, kinds[k].list);

			for (size_t j = 0; list && list->kind == TVAL_SEQ && j < list->n; j++) {
				const struct tval *e = list->items[j];
				const char *id = tval_scalar(tval_get(e, "id"));
				const char *why = tval_scalar(tval_get(e, kinds[k].reason));

				if (why && *why)
					continue;
				policy_flag(cx, r, pr_pos(e, r),
					    "%s suppression of %s on '%s' gives no %s; say why the "
					    "finding does not apply",
					    kinds[k].tool, id ? id : "?", r->id, kinds[k].reason);
			}
		}
	}
}

static void check_ids(struct policy_ctx *cx, const struct template_resource *none)
{
	const struct template *t = cx->t;

	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];
		const struct tval *list =
			r->implicit ? NULL : tval_get_path(r->metadata, "sluice.suppress");

		for (size_t j = 0; list && list->kind == TVAL_SEQ && j < list->n; j++) {
			const struct tval *e = list->items[j];
			const char *id = tval_scalar(tval_get(e, "id"));

			if (id && policy_rule_find(id))
				continue;
			policy_flag(cx, r, pr_pos(e, r),
				    "suppression on '%s' names %s%s%s; use an id from "
				    "`sluice check --list-rules`",
				    r->id, id ? "the unknown rule '" : "no rule", id ? id : "",
				    id ? "'" : "");
		}
	}
}

const struct policy_rule policy_rules_sluice[] = {
	{
		.id = "SLUICE-001",
		.service = "Sluice",
		.severity = POLICY_ERROR,
		.title = "Suppression without a reason",
		.why = "A suppression is a decision a reviewer has to be able to check; "
		       "without a reason nobody can tell whether it still holds.",
		.fix = "Add reason (sluice, cfn_nag) or comment (checkov) to the entry.",
		.types = NULL,
		.check = check_reasons,
	},
	{
		.id = "SLUICE-002",
		.service = "Sluice",
		.severity = POLICY_WARNING,
		.title = "Suppression of an unknown rule",
		.why = "A suppression naming a rule that does not exist suppresses nothing, "
		       "usually because of a typo, and hides that the finding is still there.",
		.fix = "Use a rule id listed by `sluice check --list-rules`.",
		.types = NULL,
		.check = check_ids,
	},
	{0},
};
