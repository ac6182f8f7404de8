/*
 * Rules for DynamoDB tables (AWS::DynamoDB::Table, which is also what the
 * template model turns a SAM SimpleTable into, and GlobalTable): point-in-
 * time recovery, encryption with a KMS key, deletion protection on tables
 * the stack retains.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const table_types[] = {
	"AWS::DynamoDB::Table",
	"AWS::DynamoDB::GlobalTable",
	NULL,
};
static const char *const plain_types[] = {"AWS::DynamoDB::Table", NULL};

static bool global(const struct template_resource *r)
{
	return strcmp(r->type, "AWS::DynamoDB::GlobalTable") == 0;
}

static const char *hint(const struct template_resource *r)
{
	return r->sam_type ? " (a SimpleTable cannot: declare an AWS::DynamoDB::Table)" : "";
}

static void check_pitr(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *path =
		global(r) ? "Replicas.0.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"
			  : "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled";
	const struct tval *hit;

	if (pr_any(r->props, path, pr_not_true, &hit))
		policy_flag_as(
			cx, r, pr_pos(hit, r), global(r) ? "CKV_AWS_165" : "CKV_AWS_28",
			global(r) ? "" : "W78",
			"table '%s' has no point-in-time recovery; set "
			"PointInTimeRecoverySpecification PointInTimeRecoveryEnabled: true%s",
			r->id, hint(r));
}

/*
 * SSE on with an AWS managed key is one condition (cfn_nag's), SSE on with a
 * key of the account's own another (checkov's asks for the key too).
 */
static void check_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "SSESpecification.SSEEnabled", pr_not_true, &hit)) {
		policy_flag_as(cx, r, pr_pos(hit, r), global(r) ? "" : "CKV_AWS_119",
			       global(r) ? "" : "W74",
			       "table '%s' is encrypted with an AWS owned key only; set "
			       "SSESpecification SSEEnabled: true with a KMSMasterKeyId%s",
			       r->id, hint(r));
		return;
	}
	if (!global(r) && pr_any(r->props, "SSESpecification.KMSMasterKeyId", pr_missing, NULL))
		policy_flag_as(cx, r, pr_pos(tval_get(r->props, "SSESpecification"), r),
			       "CKV_AWS_119", "",
			       "table '%s' is encrypted with the AWS managed key aws/dynamodb; set "
			       "SSESpecification KMSMasterKeyId to a customer managed key",
			       r->id);
}

static void check_deletion(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;
	const char *dp = r->deletion_policy;

	if (!dp || (strcmp(dp, "Retain") && strcmp(dp, "RetainExceptOnCreate")))
		return;
	if (pr_any(r->props, "DeletionProtectionEnabled", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "table '%s' is retained by the stack but can be deleted by any caller "
			    "with dynamodb:DeleteTable; set DeletionProtectionEnabled: true",
			    r->id);
}

const struct policy_rule policy_rules_dynamodb[] = {
	{
		.id = "DDB-001",
		.service = "DynamoDB",
		.severity = POLICY_ERROR,
		.title = "Table without point-in-time recovery",
		.why = "Without PITR a bad deploy or a buggy batch job that overwrites items "
		       "cannot be undone; PITR restores to any second of the last 35 days.",
		.fix = "Set PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled: true.",
		.cfn_nag = "W78",
		.checkov = "CKV_AWS_28,CKV_AWS_165",
		.guard = "DYNAMODB_PITR_ENABLED",
		.types = table_types,
		.check = check_pitr,
	},
	{
		.id = "DDB-002",
		.service = "DynamoDB",
		.severity = POLICY_WARNING,
		.title = "Table not encrypted with a customer managed KMS key",
		.why = "With the default AWS owned key, key use is not logged in CloudTrail "
		       "and access cannot be limited by a key policy; the AWS managed key "
		       "aws/dynamodb logs its use but its policy cannot be changed.",
		.fix = "Set SSESpecification with SSEEnabled: true (SSEType KMS) and a "
		       "customer managed KMSMasterKeyId.",
		.cfn_nag = "W74",
		.checkov = "CKV_AWS_119",
		.guard = "DYNAMODB_TABLE_ENCRYPTED_KMS",
		.types = table_types,
		.check = check_kms,
	},
	{
		.id = "DDB-003",
		.service = "DynamoDB",
		.severity = POLICY_WARNING,
		.title = "Retained table without deletion protection",
		.why = "DeletionPolicy Retain protects the table from the stack, not from a "
		       "DeleteTable call by a person or a script.",
		.fix = "Set DeletionProtectionEnabled: true on tables the stack retains.",
		.types = plain_types,
		.check = check_deletion,
	},
	{0},
};
