/*
 * Rules for the remaining services checkov covers in CloudFormation, each
 * with one or two settings: Amazon MQ, Transfer Family, WorkSpaces, AWS
 * Backup, AppSync, Cognito identity pools, Bedrock agents, EFS, WAF and
 * SageMaker notebooks.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const mq_types[] = {"AWS::AmazonMQ::Broker", NULL};
static const char *const transfer_types[] = {"AWS::Transfer::Server", NULL};
static const char *const workspace_types[] = {"AWS::WorkSpaces::Workspace", NULL};
static const char *const vault_types[] = {"AWS::Backup::BackupVault", NULL};
static const char *const appsync_types[] = {"AWS::AppSync::GraphQLApi", NULL};
static const char *const pool_types[] = {"AWS::Cognito::IdentityPool", NULL};
static const char *const agent_types[] = {"AWS::Bedrock::Agent", NULL};
static const char *const efs_types[] = {"AWS::EFS::FileSystem", NULL};
static const char *const webacl_types[] = {"AWS::WAFv2::WebACL", NULL};
static const char *const notebook_types[] = {"AWS::SageMaker::NotebookInstance", NULL};

static const struct pr_spec mq_private = {
	.path = "PubliclyAccessible",
	.want = PR_WANT_NOT_TRUE,
	.noun = "broker",
	.problem = "is reachable from the internet",
	.fix = "set PubliclyAccessible: false",
};

/* Audit logs exist for ActiveMQ brokers only. */
static void check_mq_audit(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (tval_str_eq(tval_get(r->props, "EngineType"), "RabbitMQ"))
		return;
	if (pr_any(r->props, "Logs.Audit", pr_not_true, &hit))
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "broker '%s' keeps no audit log; set Logs Audit: true", r->id);
}

static const struct pr_spec transfer_private = {
	.path = "EndpointType",
	.want = PR_WANT_ONE_OF,
	.values = "VPC|VPC_ENDPOINT",
	.noun = "server",
	.problem = "has a public endpoint",
	.fix = "set EndpointType: VPC with EndpointDetails",
};

/* WS-001: the root and the user volume are checkov's two checks. */
static void check_workspace(struct policy_ctx *cx, const struct template_resource *r)
{
	static const struct {
		const char *key, *what, *id;
	} vols[] = {
		{"RootVolumeEncryptionEnabled", "root", "CKV_AWS_156"},
		{"UserVolumeEncryptionEnabled", "user", "CKV_AWS_155"},
	};
	const struct tval *hit;

	for (size_t i = 0; i < ARRAY_SIZE(vols); i++)
		if (pr_any(r->props, vols[i].key, pr_not_true, &hit))
			policy_flag_as(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r), vols[i].id,
				       NULL,
				       "workspace '%s' has its %s volume unencrypted; set %s: true "
				       "and a VolumeEncryptionKey",
				       r->id, vols[i].what, vols[i].key);
}

static const struct pr_spec vault_key = {
	.path = "EncryptionKeyArn",
	.want = PR_WANT_SET,
	.noun = "backup vault",
	.problem = "encrypts backups with the AWS managed key only",
	.fix = "set EncryptionKeyArn to a customer managed key",
};

static const struct pr_spec appsync_logs = {
	.path = "LogConfig.CloudWatchLogsRoleArn",
	.want = PR_WANT_SET,
	.noun = "API",
	.problem = "writes no logs",
	.fix = "set LogConfig with a CloudWatchLogsRoleArn",
};

static const struct pr_spec appsync_field_logs = {
	.path = "LogConfig.FieldLogLevel",
	.want = PR_WANT_ONE_OF,
	.values = "ALL|ERROR|INFO|DEBUG",
	.noun = "API",
	.problem = "does not log resolver errors",
	.fix = "set LogConfig FieldLogLevel: ERROR (or ALL)",
};

/* APPSYNC-003: a WAFv2 web ACL association naming the API. */
static void check_appsync_waf(struct policy_ctx *cx, const struct template_resource *r)
{
	if (!pr_referred(cx, "AWS::WAFv2::WebACLAssociation", "ResourceArn", r->id))
		policy_flag(cx, r, NULL,
			    "API '%s' has no WAF web ACL; add an AWS::WAFv2::WebACLAssociation "
			    "with ResourceArn !GetAtt %s.Arn",
			    r->id, r->id);
}

static const struct pr_spec pool_guests = {
	.path = "AllowUnauthenticatedIdentities",
	.want = PR_WANT_NOT_TRUE,
	.noun = "identity pool",
	.problem = "hands AWS credentials to unauthenticated guests",
	.fix = "set AllowUnauthenticatedIdentities: false",
};

static const struct pr_spec agent_key = {
	.path = "CustomerEncryptionKeyArn",
	.want = PR_WANT_SET,
	.noun = "agent",
	.problem = "is encrypted with an AWS owned key only",
	.fix = "set CustomerEncryptionKeyArn",
};

static const struct pr_spec efs_encrypted = {
	.path = "Encrypted",
	.want = PR_WANT_TRUE,
	.noun = "file system",
	.problem = "stores files unencrypted",
	.fix = "set Encrypted: true (with a KmsKeyId)",
};

static const struct pr_spec notebook_key = {
	.path = "KmsKeyId",
	.want = PR_WANT_SET,
	.noun = "notebook instance",
	.problem = "encrypts its storage with the AWS managed key only",
	.fix = "set KmsKeyId to a customer managed key",
};

/*
 * WAF-001: the managed rule group AWSManagedRulesKnownBadInputsRuleSet,
 * with its Log4JRCE rule neither excluded nor set to count, and the group
 * not overridden to count.
 */
static bool log4j_counted(const struct tval *group)
{
	const struct tval *ex = tval_get(group, "ExcludedRules");
	const struct tval *ov = tval_get(group, "RuleActionOverrides");

	for (size_t i = 0; ex && ex->kind == TVAL_SEQ && i < ex->n; i++)
		if (tval_str_eq(tval_get(ex->items[i], "Name"), "Log4JRCE"))
			return true;
	for (size_t i = 0; ov && ov->kind == TVAL_SEQ && i < ov->n; i++)
		if (tval_str_eq(tval_get(ov->items[i], "Name"), "Log4JRCE") &&
		    !tval_get_path(ov->items[i], "ActionToUse.Block"))
			return true;
	return false;
}

static void check_log4j(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *rules = tval_get(r->props, "Rules");

	for (size_t i = 0; rules && rules->kind == TVAL_SEQ && i < rules->n; i++) {
		const struct tval *rule = rules->items[i];
		const struct tval *g = tval_get_path(rule, "Statement.ManagedRuleGroupStatement");

		if (!tval_str_eq(tval_get(g, "Name"), "AWSManagedRulesKnownBadInputsRuleSet"))
			continue;
		if (log4j_counted(g) || tval_get_path(rule, "OverrideAction.Count"))
			policy_flag(
				cx, r, pr_pos(rule, r),
				"web ACL '%s' only counts Log4Shell requests "
				"(AWSManagedRulesKnownBadInputsRuleSet's Log4JRCE); let the rule "
				"block them",
				r->id);
		return;
	}
	if (rules && rules->kind != TVAL_SEQ && rules->kind != TVAL_MAP)
		return;
	policy_flag(cx, r, pr_pos(rules, r),
		    "web ACL '%s' does not block Log4Shell (CVE-2021-44228) requests; add the "
		    "managed rule group AWSManagedRulesKnownBadInputsRuleSet",
		    r->id);
}

const struct policy_rule policy_rules_other[] = {
	{
		.id = "MQ-001",
		.service = "Amazon MQ",
		.severity = POLICY_ERROR,
		.title = "Broker publicly accessible",
		.why = "A public broker is reachable, and its credentials attackable, from "
		       "the whole internet.",
		.fix = "Set PubliclyAccessible: false and reach it from the VPC.",
		.checkov = "CKV_AWS_69",
		.guard = "MQ_NO_PUBLIC_ACCESS",
		.types = mq_types,
		.check = pr_check_spec,
		.spec = &mq_private,
	},
	{
		.id = "MQ-002",
		.service = "Amazon MQ",
		.severity = POLICY_WARNING,
		.title = "Broker without audit logs",
		.why = "Audit logs record management actions on the broker (users, queues, "
		       "permissions).",
		.fix = "Set Logs.Audit: true (ActiveMQ brokers).",
		.checkov = "CKV_AWS_197",
		.types = mq_types,
		.check = check_mq_audit,
	},
	{
		.id = "TRANSFER-001",
		.service = "Transfer",
		.severity = POLICY_WARNING,
		.title = "Transfer server with a public endpoint",
		.why = "A public endpoint exposes the SFTP server to the whole internet "
		       "instead of the networks that send files.",
		.fix = "Set EndpointType: VPC with EndpointDetails (and security groups).",
		.checkov = "CKV_AWS_164",
		.types = transfer_types,
		.check = pr_check_spec,
		.spec = &transfer_private,
	},
	{
		.id = "WS-001",
		.service = "WorkSpaces",
		.severity = POLICY_ERROR,
		.title = "WorkSpace volume not encrypted",
		.why = "The root and user volumes of a WorkSpace hold a person's files and "
		       "cached credentials.",
		.fix = "Set RootVolumeEncryptionEnabled and UserVolumeEncryptionEnabled: true "
		       "with a VolumeEncryptionKey.",
		.cfn_nag = "F29",
		.checkov = "CKV_AWS_155,CKV_AWS_156",
		.types = workspace_types,
		.check = check_workspace,
	},
	{
		.id = "BACKUP-001",
		.service = "Backup",
		.severity = POLICY_WARNING,
		.title = "Backup vault without a customer managed key",
		.why = "With the AWS managed key, who may restore a backup cannot be limited "
		       "by a key policy.",
		.fix = "Set EncryptionKeyArn to a customer managed key.",
		.checkov = "CKV_AWS_166",
		.types = vault_types,
		.check = pr_check_spec,
		.spec = &vault_key,
	},
	{
		.id = "APPSYNC-001",
		.service = "AppSync",
		.severity = POLICY_WARNING,
		.title = "GraphQL API without logs",
		.why = "Without logs, errors and abuse of the API leave no record.",
		.fix = "Set LogConfig.CloudWatchLogsRoleArn (and a FieldLogLevel).",
		.checkov = "CKV_AWS_193",
		.guard = "APPSYNC_LOGGING_ENABLED",
		.types = appsync_types,
		.check = pr_check_spec,
		.spec = &appsync_logs,
	},
	{
		.id = "APPSYNC-002",
		.service = "AppSync",
		.severity = POLICY_WARNING,
		.title = "GraphQL API without field-level logs",
		.why = "Field-level logs record resolver errors, the first sign of a broken or "
		       "abused resolver.",
		.fix = "Set LogConfig.FieldLogLevel: ERROR (or ALL).",
		.checkov = "CKV_AWS_194",
		.types = appsync_types,
		.check = pr_check_spec,
		.spec = &appsync_field_logs,
	},
	{
		.id = "APPSYNC-003",
		.service = "AppSync",
		.severity = POLICY_WARNING,
		.title = "GraphQL API without a WAF web ACL",
		.why = "A web ACL filters floods and malicious queries before they reach the "
		       "resolvers and the data sources behind them.",
		.fix = "Add an AWS::WAFv2::WebACLAssociation whose ResourceArn is the API's "
		       "Arn.",
		.checkov = "CKV2_AWS_33",
		.guard = "APPSYNC_ASSOCIATED_WITH_WAF",
		.types = appsync_types,
		.check = check_appsync_waf,
	},
	{
		.id = "COGNITO-001",
		.service = "Cognito",
		.severity = POLICY_ERROR,
		.title = "Identity pool allowing unauthenticated guests",
		.why = "Guest identities get AWS credentials without signing in; whatever the "
		       "guest role allows, anyone on the internet can do.",
		.fix = "Set AllowUnauthenticatedIdentities: false.",
		.checkov = "CKV_AWS_366",
		.types = pool_types,
		.check = pr_check_spec,
		.spec = &pool_guests,
	},
	{
		.id = "BEDROCK-001",
		.service = "Bedrock",
		.severity = POLICY_WARNING,
		.title = "Bedrock agent without a customer managed key",
		.why = "With an AWS owned key the agent's data cannot be protected by a key "
		       "policy nor its use audited.",
		.fix = "Set CustomerEncryptionKeyArn.",
		.checkov = "CKV_AWS_373",
		.types = agent_types,
		.check = pr_check_spec,
		.spec = &agent_key,
	},
	{
		.id = "EFS-001",
		.service = "EFS",
		.severity = POLICY_ERROR,
		.title = "File system not encrypted",
		.why = "An unencrypted file system exposes its files on the storage and in "
		       "backups; encryption cannot be turned on later.",
		.fix = "Set Encrypted: true.",
		.cfn_nag = "F32",
		.checkov = "CKV_AWS_42",
		.guard = "EFS_ENCRYPTED_CHECK",
		.types = efs_types,
		.check = pr_check_spec,
		.spec = &efs_encrypted,
	},
	{
		.id = "WAF-001",
		.service = "WAF",
		.severity = POLICY_ERROR,
		.title = "Web ACL not blocking Log4Shell",
		.why = "CVE-2021-44228 lets a single request header run code on Java "
		       "back ends; the KnownBadInputs managed rules block it.",
		.fix = "Add AWSManagedRulesKnownBadInputsRuleSet with OverrideAction None and "
		       "Log4JRCE neither excluded nor counted.",
		.checkov = "CKV_AWS_192",
		.types = webacl_types,
		.check = check_log4j,
	},
	{
		.id = "SAGEMAKER-001",
		.service = "SageMaker",
		.severity = POLICY_WARNING,
		.title = "Notebook instance without a customer managed key",
		.why = "Notebook storage holds data and credentials worked with; a customer "
		       "managed key puts a key policy in front of it.",
		.fix = "Set KmsKeyId.",
		.checkov = "CKV2_AWS_24",
		.guard = "SAGEMAKER_NOTEBOOK_INSTANCE_KMS_KEY_CONFIGURED",
		.types = notebook_types,
		.check = pr_check_spec,
		.spec = &notebook_key,
	},
	{0},
};
