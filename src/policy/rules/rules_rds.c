/*
 * Rules for RDS: DB instances, Aurora clusters and RDS Proxy. An instance
 * that belongs to a cluster (DBClusterIdentifier) takes encryption,
 * password, backups and deletion protection from the cluster, so those
 * rules look at the cluster instead. Replicas and snapshot restores inherit
 * encryption and are skipped by RDS-001.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const db_types[] = {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster", NULL};
static const char *const instance_types[] = {"AWS::RDS::DBInstance", NULL};
static const char *const proxy_types[] = {"AWS::RDS::DBProxy", NULL};

static bool in_cluster(const struct template_resource *r)
{
	return !strcmp(r->type, "AWS::RDS::DBInstance") &&
	       !pr_any(r->props, "DBClusterIdentifier", pr_missing, NULL);
}

static const char *noun(const struct template_resource *r)
{
	return strcmp(r->type, "AWS::RDS::DBCluster") ? "database" : "cluster";
}

static void check_encrypted(struct policy_ctx *cx, const struct template_resource *r)
{
	static const char *const inherit[] = {
		"SourceDBInstanceIdentifier",
		"DBSnapshotIdentifier",
		"SnapshotIdentifier",
		"SourceDBClusterIdentifier",
	};
	const struct tval *hit;

	if (in_cluster(r) || tval_str_eq(tval_get(r->props, "EngineMode"), "serverless"))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(inherit); i++)
		if (tval_get(r->props, inherit[i]))
			return;
	if (pr_any(r->props, "StorageEncrypted", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "%s '%s' stores data unencrypted; set StorageEncrypted: true", noun(r),
			    r->id);
}

static void check_public(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "PubliclyAccessible", pr_is_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "database '%s' is reachable from the internet; set "
			    "PubliclyAccessible: false",
			    r->id);
}

static bool plaintext_or_default(const struct tval *v)
{
	return pr_literal(v) ||
	       (v && v->kind == TVAL_STRING && (v->flags & TVAL_F_DEFAULT) && v->len > 0);
}

static void check_password(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (in_cluster(r))
		return;
	if (pr_any(r->props, "MasterUserPassword", plaintext_or_default, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "%s '%s' has its master password %s; set ManageMasterUserPassword: "
			    "true or use {{resolve:secretsmanager:...}}",
			    noun(r), r->id,
			    (hit->flags & TVAL_F_DEFAULT) ? "in a parameter default"
							  : "in plain text");
}

static void check_deletion(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (in_cluster(r))
		return;
	if (pr_any(r->props, "DeletionProtection", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "%s '%s' can be deleted by one API call; set DeletionProtection: true",
			    noun(r), r->id);
}

static bool zero(const struct tval *v)
{
	long long n;

	return v && tval_int(v, &n) == 0 && n == 0;
}

static void check_backups(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (in_cluster(r))
		return;
	if (pr_any(r->props, "BackupRetentionPeriod", zero, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "%s '%s' has automated backups off; set BackupRetentionPeriod to 7 or "
			    "more",
			    noun(r), r->id);
}

static void check_iam_auth(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *engine = tval_str(tval_get(r->props, "Engine"));
	const struct tval *hit;

	/* Only MySQL, MariaDB and PostgreSQL engines support IAM authentication. */
	if (in_cluster(r) || (engine && !strstr(engine, "mysql") && !strstr(engine, "postgres") &&
			      !strstr(engine, "mariadb")))
		return;
	if (pr_any(r->props, "EnableIAMDatabaseAuthentication", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "%s '%s' accepts passwords only; set EnableIAMDatabaseAuthentication: "
			    "true",
			    noun(r), r->id);
}

static void check_proxy_tls(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "RequireTLS", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "proxy '%s' accepts connections without TLS; set RequireTLS: true",
			    r->id);
}

const struct policy_rule policy_rules_rds[] = {
	{
		.id = "RDS-001",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "Database storage not encrypted",
		.why = "Unencrypted storage exposes data in snapshots and backups, and "
		       "encryption cannot be turned on later without a copy and restore.",
		.fix = "Set StorageEncrypted: true (and a KmsKeyId).",
		.cfn_nag = "F26,F27",
		.checkov = "CKV_AWS_16",
		.guard = "RDS_STORAGE_ENCRYPTED",
		.types = db_types,
		.check = check_encrypted,
	},
	{
		.id = "RDS-002",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "Database publicly accessible",
		.why = "A public endpoint exposes the database to password guessing and to "
		       "every vulnerability of its engine.",
		.fix = "Set PubliclyAccessible: false and reach it from the VPC.",
		.cfn_nag = "F22",
		.checkov = "CKV_AWS_17",
		.guard = "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
		.types = instance_types,
		.check = check_public,
	},
	{
		.id = "RDS-003",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "Master password in plain text or a parameter default",
		.why = "A password written in the template or as a parameter Default is in "
		       "the repository and in the stack's template for anyone who can read it.",
		.fix = "Set ManageMasterUserPassword: true, or MasterUserPassword to "
		       "{{resolve:secretsmanager:...}}.",
		.cfn_nag = "F23",
		.types = db_types,
		.check = check_password,
	},
	{
		.id = "RDS-004",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "Database without deletion protection",
		.why = "Without it a stack update that replaces the resource, or one "
		       "mistaken call, deletes the database.",
		.fix = "Set DeletionProtection: true.",
		.checkov = "CKV_AWS_293",
		.guard = "RDS_INSTANCE_DELETION_PROTECTION_ENABLED,"
			 "RDS_CLUSTER_DELETION_PROTECTION_ENABLED",
		.types = db_types,
		.check = check_deletion,
	},
	{
		.id = "RDS-005",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "Automated backups turned off",
		.why = "BackupRetentionPeriod 0 disables automated backups and point-in-time "
		       "restore.",
		.fix = "Set BackupRetentionPeriod to 7 days or more.",
		.checkov = "CKV_AWS_133",
		.guard = "DB_INSTANCE_BACKUP_ENABLED",
		.types = db_types,
		.check = check_backups,
	},
	{
		.id = "RDS-006",
		.service = "RDS",
		.severity = POLICY_WARNING,
		.title = "Database without IAM authentication",
		.why = "IAM authentication replaces long-lived database passwords in the "
		       "application with short-lived tokens from its role.",
		.fix = "Set EnableIAMDatabaseAuthentication: true.",
		.checkov = "CKV_AWS_161",
		.guard = "RDS_INSTANCE_IAM_AUTHENTICATION_ENABLED,"
			 "RDS_CLUSTER_IAM_AUTHENTICATION_ENABLED",
		.types = db_types,
		.check = check_iam_auth,
	},
	{
		.id = "RDS-007",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "RDS Proxy without required TLS",
		.why = "Without RequireTLS clients may send credentials and data to the "
		       "proxy in clear text.",
		.fix = "Set RequireTLS: true.",
		.types = proxy_types,
		.check = check_proxy_tls,
	},
	{0},
};
