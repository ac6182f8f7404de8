/*
 * Rules for KMS keys: automatic rotation of symmetric keys, and key
 * policies that open the key to any principal.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const key_types[] = {"AWS::KMS::Key", NULL};

static void check_rotation(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *spec = tval_str(tval_get(r->props, "KeySpec"));
	const char *usage = tval_str(tval_get(r->props, "KeyUsage"));
	const struct tval *hit;

	/* Only symmetric encryption keys can rotate automatically. */
	if ((spec && strcmp(spec, "SYMMETRIC_DEFAULT")) ||
	    (usage && strcmp(usage, "ENCRYPT_DECRYPT")))
		return;
	if (pr_any(r->props, "EnableKeyRotation", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "key '%s' is never rotated; set EnableKeyRotation: true", r->id);
}

struct stmt_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void star_stmt(const struct tval *stmt, void *arg)
{
	struct stmt_ctx *s = arg;

	if (pr_allow(stmt) && pr_principal_star(tval_get(stmt, "Principal")) &&
	    !tval_get(stmt, "Condition"))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "key policy of '%s' allows any principal (Principal: *); name the "
			    "account root or roles, or add a Condition",
			    s->r->id);
}

static void check_policy(struct policy_ctx *cx, const struct template_resource *r)
{
	struct stmt_ctx s = {cx, r};

	pr_statements(tval_get(r->props, "KeyPolicy"), star_stmt, &s);
}

const struct policy_rule policy_rules_kms[] = {
	{
		.id = "KMS-001",
		.service = "KMS",
		.severity = POLICY_ERROR,
		.title = "KMS key without automatic rotation",
		.why = "Rotation limits how much data one key version protects and how long "
		       "a compromised key version stays useful.",
		.fix = "Set EnableKeyRotation: true on symmetric keys.",
		.cfn_nag = "F19",
		.checkov = "CKV_AWS_7",
		.guard = "CMK_BACKING_KEY_ROTATION_ENABLED",
		.types = key_types,
		.check = check_rotation,
	},
	{
		.id = "KMS-002",
		.service = "KMS",
		.severity = POLICY_ERROR,
		.title = "KMS key policy allowing any principal",
		.why = "A key policy statement with Principal * and no Condition lets any AWS "
		       "account use or manage the key.",
		.fix = "Name the account root and the roles that use the key, or add a "
		       "Condition (kms:CallerAccount, kms:ViaService).",
		.cfn_nag = "F76",
		.checkov = "CKV_AWS_33",
		.types = key_types,
		.check = check_policy,
	},
	{0},
};
