/*
 * Rules for CloudTrail trails: encryption with a KMS key, log file
 * integrity validation, and coverage of every region, whether written as
 * values, conditions (an Fn::If with an AWS::NoValue branch) or parameters.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const trail_types[] = {"AWS::CloudTrail::Trail", NULL};

/* Missing, an AWS::NoValue branch, or an empty key (a parameter defaulting to ""). */
static bool no_key(const struct tval *v)
{
	return pr_missing(v) || (v->kind == TVAL_STRING && v->len == 0);
}

static void check_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "KMSKeyId", no_key, &hit))
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "trail '%s' is not encrypted with a KMS key%s; set KMSKeyId", r->id,
			    pr_missing(hit) ? "" : " (the key is empty)");
}

/*
 * The settings below are often parameters; a parameter the deployer may set
 * to false is reported, since the template then allows an unprotected trail.
 */
static void flag_off(struct policy_ctx *cx, const struct template_resource *r,
		     const struct tval *hit, const char *what, const char *key)
{
	if (hit && hit->kind == TVAL_UNKNOWN)
		policy_flag(cx, r, pr_pos(hit, r),
			    "trail '%s' %s when parameter %s is false; set %s: true or allow "
			    "only true",
			    r->id, what, hit->ref, key);
	else
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "trail '%s' %s; set %s: true", r->id, what, key);
}

static void check_validation(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_may_be_off(cx->t, r->props, "EnableLogFileValidation", &hit))
		flag_off(cx, r, hit, "cannot prove its logs were not altered",
			 "EnableLogFileValidation");
}

static void check_multi_region(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_may_be_off(cx->t, r->props, "IsMultiRegionTrail", &hit))
		flag_off(cx, r, hit, "records one region only", "IsMultiRegionTrail");
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
