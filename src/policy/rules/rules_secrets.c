/*
 * Rules for Secrets Manager secrets: a customer managed KMS key, and a
 * rotation schedule (an AWS::SecretsManager::RotationSchedule whose
 * SecretId refers to the secret).
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const secret_types[] = {"AWS::SecretsManager::Secret", NULL};

static void check_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "KmsKeyId", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "secret '%s' is encrypted with the default aws/secretsmanager key; set "
			    "KmsKeyId",
			    r->id);
}

static void check_rotation(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct template *t = cx->t;

	for (size_t i = 0; i < t->nres; i++)
		if (!strcmp(t->res[i].type, "AWS::SecretsManager::RotationSchedule") &&
		    pr_refers_to(tval_get(t->res[i].props, "SecretId"), r->id))
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
