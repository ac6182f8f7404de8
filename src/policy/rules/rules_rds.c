/*
 * Rules for RDS: DB instances, Aurora clusters, their parameter groups and
 * RDS Proxy. An instance
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

static bool cluster(const struct template_resource *r)
{
	return !strcmp(r->type, "AWS::RDS::DBCluster");
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
		policy_flag_as(cx, r, pr_pos(hit, r), cluster(r) ? "CKV_AWS_96" : "CKV_AWS_16",
			       cluster(r) ? "F26" : "F27",
			       "%s '%s' stores data unencrypted; set StorageEncrypted: true",
			       noun(r), r->id);
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
		policy_flag_as(cx, r, pr_pos(hit, r), "", cluster(r) ? "F34" : "F23",
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
		policy_flag_as(
			cx, r, pr_pos(hit, r), cluster(r) ? "CKV_AWS_162" : "CKV_AWS_161", NULL,
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

/* RDS-008: Aurora keeps its copies across zones by itself. */
static bool aurora(const struct template_resource *r)
{
	const char *engine = tval_str(tval_get(r->props, "Engine"));

	return engine && !strncmp(engine, "aurora", 6);
}

static void check_multi_az(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (in_cluster(r) || aurora(r))
		return;
	if (pr_any(r->props, "MultiAZ", pr_not_true, &hit))
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "database '%s' runs in one availability zone; set MultiAZ: true",
			    r->id);
}

/* RDS-009 */
static bool no_monitoring(const struct tval *v)
{
	long long n;

	return pr_missing(v) || (tval_int(v, &n) == 0 && n <= 0);
}

static void check_monitoring(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "MonitoringInterval", no_monitoring, &hit))
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "database '%s' has no enhanced monitoring; set MonitoringInterval "
			    "(1 to 60 seconds) and a MonitoringRoleArn",
			    r->id);
}

/* RDS-010 */
struct proxy_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void proxy_auth(const struct tval *item, void *arg)
{
	struct proxy_ctx *p = arg;
	const struct tval *iam = tval_get(item, "IAMAuth");

	if (!tval_str_eq(iam, "REQUIRED") && (!iam || iam->kind == TVAL_STRING))
		policy_flag(p->cx, p->r, pr_pos(iam ? iam : item, p->r),
			    "proxy '%s' lets clients connect with the database password; set "
			    "IAMAuth: REQUIRED on its Auth entries",
			    p->r->id);
}

static void check_proxy_iam(struct policy_ctx *cx, const struct template_resource *r)
{
	struct proxy_ctx p = {cx, r};

	pr_items(r->props, "Auth", proxy_auth, &p);
}

/* RDS-011 */
static bool no_exports(const struct tval *v)
{
	return pr_missing(v) || (v->kind == TVAL_SEQ && v->n == 0);
}

static void check_cluster_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!aurora(r))
		return;
	if (pr_any(r->props, "EnableCloudwatchLogsExports", no_exports, &hit))
		policy_flag(
			cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			"cluster '%s' exports no logs to CloudWatch; set "
			"EnableCloudwatchLogsExports (postgresql, or audit, error and slowquery)",
			r->id);
}

/*
 * RDS-012: PostgreSQL and SQL Server enforce TLS with rds.force_ssl, MySQL
 * and MariaDB with require_secure_transport, set in the parameter group
 * the database names. A database on the engine's default group, or on a
 * group defined elsewhere, is not judged.
 */
static bool param_on(const struct tval *v)
{
	const char *s = tval_scalar(v);

	return s && (!strcmp(s, "1") || !strcasecmp(s, "on") || !strcasecmp(s, "true"));
}

static void check_tls_params(struct policy_ctx *cx, const struct template_resource *r)
{
	bool is_cluster = cluster(r);
	const struct tval *ref = tval_get(r->props, is_cluster ? "DBClusterParameterGroupName"
							       : "DBParameterGroupName");
	const struct template_resource *pg;
	const char *family, *param;

	if (is_cluster ? 0 : in_cluster(r))
		return;
	if (!ref || ref->kind != TVAL_UNKNOWN || ref->unk != TUNK_REF)
		return;
	pg = template_resource(cx->t, ref->ref);
	if (!pg || !strstr(pg->type, "ParameterGroup"))
		return;
	family = tval_str(tval_get(pg->props, "Family"));
	if (!family)
		return;
	if (strstr(family, "postgres") || strstr(family, "sqlserver"))
		param = "rds.force_ssl";
	else if (strstr(family, "mysql") || strstr(family, "mariadb"))
		param = "require_secure_transport";
	else
		return;
	if (param_on(tval_get(tval_get(pg->props, "Parameters"), param)))
		return;
	policy_flag_as(cx, r, pr_pos(ref, r), is_cluster ? "" : "CKV2_AWS_69", "",
		       "%s '%s' accepts connections without TLS: its parameter group '%s' does "
		       "not set %s to 1",
		       noun(r), r->id, pg->id, param);
}

static const char *const cluster_types[] = {"AWS::RDS::DBCluster", NULL};

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
		.checkov = "CKV_AWS_16,CKV_AWS_96",
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
		.cfn_nag = "F23,F34",
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
		.checkov = "CKV_AWS_161,CKV_AWS_162",
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
	{
		.id = "RDS-008",
		.service = "RDS",
		.severity = POLICY_WARNING,
		.title = "Database in a single availability zone",
		.why = "A single-AZ instance is down for the whole of a zone outage, an "
		       "instance failure or a maintenance reboot.",
		.fix = "Set MultiAZ: true (Aurora clusters replicate across zones by "
		       "themselves).",
		.checkov = "CKV_AWS_157",
		.guard = "RDS_MULTI_AZ_SUPPORT",
		.types = instance_types,
		.check = check_multi_az,
	},
	{
		.id = "RDS-009",
		.service = "RDS",
		.severity = POLICY_WARNING,
		.title = "Database without enhanced monitoring",
		.why = "Enhanced monitoring shows the operating system's view (processes, "
		       "memory, I/O) that CloudWatch's instance metrics do not.",
		.fix = "Set MonitoringInterval (1 to 60 seconds) and MonitoringRoleArn.",
		.checkov = "CKV_AWS_118",
		.guard = "RDS_ENHANCED_MONITORING_ENABLED",
		.types = instance_types,
		.check = check_monitoring,
	},
	{
		.id = "RDS-010",
		.service = "RDS",
		.severity = POLICY_WARNING,
		.title = "RDS Proxy without required IAM authentication",
		.why = "Without IAMAuth REQUIRED, clients reach the proxy with the "
		       "database's long-lived password instead of short-lived tokens from "
		       "their role.",
		.fix = "Set IAMAuth: REQUIRED on each entry of Auth.",
		.types = proxy_types,
		.check = check_proxy_iam,
	},
	{
		.id = "RDS-011",
		.service = "RDS",
		.severity = POLICY_WARNING,
		.title = "Aurora cluster exporting no logs",
		.why = "Without log exports the database's own audit, error and slow query "
		       "logs stay on the instances and are lost with them.",
		.fix = "Set EnableCloudwatchLogsExports (postgresql; or audit, error, "
		       "general, slowquery for MySQL).",
		.types = cluster_types,
		.check = check_cluster_logs,
	},
	{
		.id = "RDS-012",
		.service = "RDS",
		.severity = POLICY_ERROR,
		.title = "Database parameter group not enforcing TLS",
		.why = "Unless the parameter group requires it, clients may connect without "
		       "TLS and send credentials and data in clear text.",
		.fix = "Set rds.force_ssl: 1 (PostgreSQL, SQL Server) or "
		       "require_secure_transport: 1 (MySQL, MariaDB) in the DBParameterGroup "
		       "(or DBClusterParameterGroup) the database uses.",
		.checkov = "CKV2_AWS_69",
		.types = db_types,
		.check = check_tls_params,
	},
	{0},
};
