/*
 * Rules for CloudWatch Logs log groups: a retention period, and encryption
 * with a KMS key.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const group_types[] = {"AWS::Logs::LogGroup", NULL};

static void check_retention(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "RetentionInDays", pr_missing, NULL))
		policy_flag(cx, r, NULL, "log group '%s' keeps logs forever; set RetentionInDays",
			    r->id);
}

static void check_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "KmsKeyId", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "log group '%s' is not encrypted with a KMS key; set KmsKeyId", r->id);
}

const struct policy_rule policy_rules_logs[] = {
	{
		.id = "LOGS-001",
		.service = "Logs",
		.severity = POLICY_ERROR,
		.title = "Log group without retention",
		.why = "Logs kept forever cost more every month and keep personal data "
		       "longer than any retention policy allows.",
		.fix = "Set RetentionInDays (for example 30, 90 or 365).",
		.cfn_nag = "W86",
		.checkov = "CKV_AWS_66",
		.guard = "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
		.types = group_types,
		.check = check_retention,
	},
	{
		.id = "LOGS-002",
		.service = "Logs",
		.severity = POLICY_WARNING,
		.title = "Log group not encrypted with a KMS key",
		.why = "With a KMS key, reading the logs also needs kms:Decrypt, and every "
		       "use of the key is recorded.",
		.fix = "Set KmsKeyId to a key whose policy allows the logs service.",
		.cfn_nag = "W84",
		.checkov = "CKV_AWS_158",
		.guard = "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
		.types = group_types,
		.check = check_kms,
	},
	{0},
};
