/*
 * Rules for SNS topics and SQS queues: encryption at rest, and topic and
 * queue policies that open them to any principal.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const topic_types[] = {"AWS::SNS::Topic", NULL};
static const char *const topic_policy_types[] = {"AWS::SNS::TopicPolicy", NULL};
static const char *const queue_types[] = {"AWS::SQS::Queue", NULL};
static const char *const queue_policy_types[] = {"AWS::SQS::QueuePolicy", NULL};

static void check_topic_kms(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "KmsMasterKeyId", pr_missing, NULL))
		policy_flag(cx, r, NULL, "topic '%s' is not encrypted at rest; set KmsMasterKeyId",
			    r->id);
}

/*
 * SQS encrypts new queues with SSE-SQS unless told otherwise; the rule asks
 * that the template say which encryption it relies on, a KMS key or
 * SqsManagedSseEnabled: true, so the choice is visible in review and not
 * left to a service default.
 */
static void check_queue_sse(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!pr_any(r->props, "KmsMasterKeyId", pr_missing, NULL))
		return;
	if (pr_any(r->props, "SqsManagedSseEnabled", pr_is_false, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "queue '%s' turns encryption at rest off; remove SqsManagedSseEnabled: "
			    "false and set KmsMasterKeyId (or SqsManagedSseEnabled: true)",
			    r->id);
	else if (pr_any(r->props, "SqsManagedSseEnabled", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "queue '%s' names no encryption at rest and relies on the SQS default; "
			    "set KmsMasterKeyId (or SqsManagedSseEnabled: true)",
			    r->id);
}

struct stmt_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
	const char *what;
};

static void star_stmt(const struct tval *stmt, void *arg)
{
	struct stmt_ctx *s = arg;

	if (pr_allow(stmt) && pr_principal_star(tval_get(stmt, "Principal")) &&
	    !tval_get(stmt, "Condition"))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "%s policy '%s' allows any principal (Principal: *); name the "
			    "principals or add a Condition such as aws:SourceArn",
			    s->what, s->r->id);
}

static void check_policy(struct policy_ctx *cx, const struct template_resource *r)
{
	struct stmt_ctx s = {cx, r, strstr(r->type, "SNS") ? "topic" : "queue"};

	pr_statements(tval_get(r->props, "PolicyDocument"), star_stmt, &s);
}

const struct policy_rule policy_rules_sns_sqs[] = {
	{
		.id = "SNS-001",
		.service = "SNS",
		.severity = POLICY_ERROR,
		.title = "Topic not encrypted at rest",
		.why = "Messages wait in the topic unencrypted at rest unless a KMS key is "
		       "set, and their readers are not limited by a key policy.",
		.fix = "Set KmsMasterKeyId (alias/aws/sns or a customer managed key).",
		.cfn_nag = "W47",
		.checkov = "CKV_AWS_26",
		.guard = "SNS_ENCRYPTED_KMS",
		.types = topic_types,
		.check = check_topic_kms,
	},
	{
		.id = "SNS-002",
		.service = "SNS",
		.severity = POLICY_ERROR,
		.title = "Topic policy allowing any principal",
		.why = "Principal * without a Condition lets any AWS account publish to or "
		       "subscribe to the topic.",
		.fix = "Name the principals, or add a Condition (aws:SourceArn, "
		       "aws:SourceAccount, aws:PrincipalOrgID).",
		.cfn_nag = "F18",
		.types = topic_policy_types,
		.check = check_policy,
	},
	{
		.id = "SQS-001",
		.service = "SQS",
		.severity = POLICY_ERROR,
		.title = "Queue without encryption at rest named",
		.why = "Messages often carry personal data. SQS encrypts new queues by "
		       "default, but a default can be switched off outside the template; "
		       "sluice asks that the template name the encryption it relies on "
		       "(stricter than the AWS default). checkov asks for a KMS key; sluice "
		       "also accepts SqsManagedSseEnabled: true.",
		.fix = "Set KmsMasterKeyId (a customer managed key, or alias/aws/sqs), or "
		       "SqsManagedSseEnabled: true; never SqsManagedSseEnabled: false alone.",
		.cfn_nag = "W48",
		.checkov = "CKV_AWS_27",
		.types = queue_types,
		.check = check_queue_sse,
	},
	{
		.id = "SQS-002",
		.service = "SQS",
		.severity = POLICY_ERROR,
		.title = "Queue policy allowing any principal",
		.why = "Principal * without a Condition lets any AWS account send, read or "
		       "delete the queue's messages.",
		.fix = "Name the principals, or add a Condition such as aws:SourceArn.",
		.cfn_nag = "F21",
		.types = queue_policy_types,
		.check = check_policy,
	},
	{0},
};
