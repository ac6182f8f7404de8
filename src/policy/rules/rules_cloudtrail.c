/*
 * Rules for CloudTrail trails: encryption with a KMS key, log file
 * integrity validation, and coverage of every region.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const trail_types[] = {"AWS::CloudTrail::Trail", NULL};

static void check_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "KMSKeyId", pr_missing, NULL))
		policy_flag(cx, r, NULL, "trail '%s' is not encrypted with a KMS key; set KMSKeyId",
			    r->id);
}

static void check_validation(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "EnableLogFileValidation", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "trail '%s' cannot prove its logs were not altered; set "
			    "EnableLogFileValidation: true",
			    r->id);
}

static void check_multi_region(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "IsMultiRegionTrail", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "trail '%s' records one region only; set IsMultiRegionTrail: true",
			    r->id);
}

const struct policy_rule policy_rules_cloudtrail[] = {
	{
		.id = "CT-001",
		.service = "CloudTrail",
		.severity = POLICY_ERROR,
		.title = "Trail not encrypted with a KMS key",
		.why = "Trail logs describe every API call in the account; a KMS key limits "
		       "who can read them beyond S3 permissions.",
		.fix = "Set KMSKeyId to a key whose policy allows CloudTrail.",
		.checkov = "CKV_AWS_35",
		.guard = "CLOUD_TRAIL_ENCRYPTION_ENABLED",
		.types = trail_types,
		.check = check_kms,
	},
	{
		.id = "CT-002",
		.service = "CloudTrail",
		.severity = POLICY_ERROR,
		.title = "Trail without log file validation",
		.why = "Without digest files, an attacker who reaches the log bucket can "
		       "delete or edit records unnoticed.",
		.fix = "Set EnableLogFileValidation: true.",
		.checkov = "CKV_AWS_36",
		.guard = "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
		.types = trail_types,
		.check = check_validation,
	},
	{
		.id = "CT-003",
		.service = "CloudTrail",
		.severity = POLICY_ERROR,
		.title = "Trail covering one region",
		.why = "Activity in other regions, a favourite place to hide resources, "
		       "goes unrecorded.",
		.fix = "Set IsMultiRegionTrail: true.",
		.checkov = "CKV_AWS_67",
		.guard = "MULTI_REGION_CLOUD_TRAIL_ENABLED",
		.types = trail_types,
		.check = check_multi_region,
	},
	{0},
};
