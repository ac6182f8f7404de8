/*
 * Rules for Secrets Manager secrets: a customer managed KMS key, and a
 * rotation schedule (an AWS::SecretsManager::RotationSchedule whose
 * SecretId refers to the secret).
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const secret_types[] = {"AWS::SecretsManager::Secret", NULL};

/* Missing, or an AWS managed key named by its alias ("alias/aws/secretsmanager"). */
static bool default_key(const struct tval *v)
{
	const char *k = tval_str(v);

	return pr_missing(v) || (k && strstr(k, "alias/aws/"));
}

static void check_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "KmsKeyId", default_key, &hit))
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "secret '%s' is encrypted with the AWS managed aws/secretsmanager key; "
			    "set KmsKeyId to a customer managed key",
			    r->id);
}

static void check_rotation(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_referred(cx, "AWS::SecretsManager::RotationSchedule", "SecretId", r->id))
		return;
	policy_flag(cx, r, NULL,
		    "secret '%s' is never rotated; add an AWS::SecretsManager::RotationSchedule",
		    r->id);
}

const struct policy_rule policy_rules_secretsmanager[] = {
	{
		.id = "SM-001",
		.service = "Secrets Manager",
		.severity = POLICY_WARNING,
		.title = "Secret without a customer managed KMS key",
		.why = "With the default key, anyone allowed secretsmanager:GetSecretValue "
		       "can read the secret; a key policy adds a second, separate gate.",
		.fix = "Set KmsKeyId to a customer managed key.",
		.cfn_nag = "W77",
		.checkov = "CKV_AWS_149",
		.guard = "SECRETSMANAGER_USING_CMK",
		.types = secret_types,
		.check = check_kms,
	},
	{
		.id = "SM-002",
		.service = "Secrets Manager",
		.severity = POLICY_WARNING,
		.title = "Secret without rotation",
		.why = "A secret that never changes stays valid for whoever copied it once.",
		.fix = "Add an AWS::SecretsManager::RotationSchedule for the secret.",
		.guard = "SECRETSMANAGER_ROTATION_ENABLED_CHECK",
		.types = secret_types,
		.check = check_rotation,
	},
	{0},
};
