/*
 * Rules for the managed databases other than RDS and DynamoDB: DocumentDB,
 * Neptune, ElastiCache for Redis, DAX, DMS replication instances and QLDB
 * ledgers. Parameter groups (DocumentDB) hold their settings as a map of
 * names to string values.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const docdb_types[] = {"AWS::DocDB::DBCluster", NULL};
static const char *const docdb_pg_types[] = {"AWS::DocDB::DBClusterParameterGroup", NULL};
static const char *const neptune_types[] = {"AWS::Neptune::DBCluster", NULL};
static const char *const redis_types[] = {"AWS::ElastiCache::ReplicationGroup", NULL};
static const char *const dax_types[] = {"AWS::DAX::Cluster", NULL};
static const char *const dms_types[] = {"AWS::DMS::ReplicationInstance", NULL};
static const char *const qldb_types[] = {"AWS::QLDB::Ledger", NULL};

/* ----- DocumentDB ----- */

static const struct pr_spec docdb_encrypted = {
	.path = "StorageEncrypted",
	.want = PR_WANT_TRUE,
	.noun = "cluster",
	.problem = "stores data unencrypted",
	.fix = "set StorageEncrypted: true (with a KmsKeyId)",
};

static const struct pr_spec docdb_backups = {
	.path = "BackupRetentionPeriod",
	.want = PR_WANT_AT_LEAST,
	.min = 7,
	.dflt = 1,
	.noun = "cluster",
	.problem = "keeps backups for less than 7 days",
	.fix = "set BackupRetentionPeriod to 7 or more",
};

/* Every log type of `need` in EnableCloudwatchLogsExports. */
static void check_exports(struct policy_ctx *cx, const struct template_resource *r,
			  const char *const *need, size_t n, const char *what)
{
	const struct tval *list = tval_get(r->props, "EnableCloudwatchLogsExports");

	if (list && list->kind != TVAL_SEQ && !pr_missing(list))
		return; /* decided at deploy time */
	for (size_t i = 0; i < n; i++)
		if (!pr_has(list, need[i])) {
			policy_flag(cx, r, pr_pos(list, r),
				    "cluster '%s' does not export its %s log; set "
				    "EnableCloudwatchLogsExports to %s",
				    r->id, need[i], what);
			return;
		}
}

static void check_docdb_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	static const char *const need[] = {"audit", "profiler"};

	check_exports(cx, r, need, ARRAY_SIZE(need), "[audit, profiler]");
}

/* A parameter of a DocumentDB cluster parameter group, or NULL. */
static const struct tval *docdb_param(const struct template_resource *r, const char *name)
{
	return tval_get(tval_get(r->props, "Parameters"), name);
}

static void check_docdb_tls(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *tls = docdb_param(r, "tls");

	if (tval_str_eq(tls, "disabled"))
		policy_flag(cx, r, pr_pos(tls, r),
			    "parameter group '%s' turns TLS off (tls: disabled); set tls: enabled",
			    r->id);
}

static void check_docdb_audit(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *audit = docdb_param(r, "audit_logs");

	if (!tval_str_eq(audit, "enabled") && !(audit && audit->kind == TVAL_UNKNOWN))
		policy_flag(cx, r, audit ? pr_pos(audit, r) : NULL,
			    "parameter group '%s' does not record audit events; set the parameter "
			    "audit_logs: enabled",
			    r->id);
}

/* ----- Neptune ----- */

static const struct pr_spec neptune_encrypted = {
	.path = "StorageEncrypted",
	.want = PR_WANT_TRUE,
	.noun = "cluster",
	.problem = "stores data unencrypted",
	.fix = "set StorageEncrypted: true (with a KmsKeyId)",
};

static const struct pr_spec neptune_backups = {
	.path = "BackupRetentionPeriod",
	.want = PR_WANT_AT_LEAST,
	.min = 7,
	.dflt = 1,
	.noun = "cluster",
	.problem = "keeps backups for less than 7 days",
	.fix = "set BackupRetentionPeriod to 7 or more",
};

static void check_neptune_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	static const char *const need[] = {"audit"};

	check_exports(cx, r, need, ARRAY_SIZE(need), "[audit]");
}

/* ----- ElastiCache ----- */

static const struct pr_spec redis_at_rest = {
	.path = "AtRestEncryptionEnabled",
	.want = PR_WANT_TRUE,
	.noun = "replication group",
	.problem = "stores data and backups unencrypted",
	.fix = "set AtRestEncryptionEnabled: true",
};

/*
 * checkov asks for encryption in transit (CKV_AWS_30) and, separately, for
 * it together with an AUTH token (CKV_AWS_31): transit off fails both, an
 * encrypted group without a token fails the second only.
 */
static void check_redis_transit(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "TransitEncryptionEnabled", pr_not_true, &hit))
		policy_flag_as(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			       "CKV_AWS_30,CKV_AWS_31", "F33",
			       "replication group '%s' accepts connections without TLS; set "
			       "TransitEncryptionEnabled: true",
			       r->id);
	else if (pr_any(r->props, "AuthToken", pr_missing, NULL))
		policy_flag_as(cx, r, NULL, "CKV_AWS_31", "",
			       "replication group '%s' lets any client on its network connect "
			       "without authentication; set AuthToken (from Secrets Manager) or "
			       "use RBAC user groups",
			       r->id);
}

/* ----- DAX, DMS, QLDB ----- */

static const struct pr_spec dax_sse = {
	.path = "SSESpecification.SSEEnabled",
	.want = PR_WANT_TRUE,
	.noun = "DAX cluster",
	.problem = "caches data unencrypted",
	.fix = "set SSESpecification SSEEnabled: true",
};

static const struct pr_spec dms_private = {
	.path = "PubliclyAccessible",
	.want = PR_WANT_FALSE,
	.noun = "replication instance",
	.problem = "is reachable from the internet (DMS makes it public unless told)",
	.fix = "set PubliclyAccessible: false",
};

static const struct pr_spec qldb_standard = {
	.path = "PermissionsMode",
	.want = PR_WANT_ONE_OF,
	.values = "STANDARD",
	.noun = "ledger",
	.problem = "grants all of its tables to anyone with ledger access (ALLOW_ALL)",
	.fix = "set PermissionsMode: STANDARD",
};

static void check_qldb_deletion(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	/* Deletion protection is on unless the template turns it off. */
	if (pr_any(r->props, "DeletionProtection", pr_is_false, &hit))
		policy_flag(
			cx, r, pr_pos(hit, r),
			"ledger '%s' can be deleted by one API call; remove DeletionProtection: "
			"false",
			r->id);
}

const struct policy_rule policy_rules_databases[] = {
	{
		.id = "DOCDB-001",
		.service = "DocumentDB",
		.severity = POLICY_ERROR,
		.title = "DocumentDB cluster not encrypted",
		.why = "An unencrypted cluster exposes its data in snapshots and storage, and "
		       "encryption cannot be turned on later.",
		.fix = "Set StorageEncrypted: true.",
		.checkov = "CKV_AWS_74",
		.guard = "DOCDB_CLUSTER_ENCRYPTED",
		.types = docdb_types,
		.check = pr_check_spec,
		.spec = &docdb_encrypted,
	},
	{
		.id = "DOCDB-002",
		.service = "DocumentDB",
		.severity = POLICY_WARNING,
		.title = "DocumentDB cluster not exporting its logs",
		.why = "The audit and profiler logs are the record of who ran which "
		       "operation; kept on the cluster they are lost with it.",
		.fix = "Set EnableCloudwatchLogsExports: [audit, profiler].",
		.checkov = "CKV_AWS_85",
		.types = docdb_types,
		.check = check_docdb_logs,
	},
	{
		.id = "DOCDB-003",
		.service = "DocumentDB",
		.severity = POLICY_ERROR,
		.title = "DocumentDB parameter group turning TLS off",
		.why = "With tls disabled, clients connect and send credentials and "
		       "documents in clear text.",
		.fix = "Remove the tls parameter or set it to enabled.",
		.checkov = "CKV_AWS_90",
		.types = docdb_pg_types,
		.check = check_docdb_tls,
	},
	{
		.id = "DOCDB-004",
		.service = "DocumentDB",
		.severity = POLICY_WARNING,
		.title = "DocumentDB parameter group without audit logs",
		.why = "Without audit_logs enabled, authentication and data definition events "
		       "are not recorded.",
		.fix = "Set the parameter audit_logs: enabled.",
		.checkov = "CKV_AWS_104",
		.types = docdb_pg_types,
		.check = check_docdb_audit,
	},
	{
		.id = "DOCDB-005",
		.service = "DocumentDB",
		.severity = POLICY_WARNING,
		.title = "DocumentDB backups kept less than a week",
		.why = "The default one-day retention leaves no time to notice and recover "
		       "from bad writes.",
		.fix = "Set BackupRetentionPeriod to 7 or more.",
		.checkov = "CKV_AWS_356",
		.types = docdb_types,
		.check = pr_check_spec,
		.spec = &docdb_backups,
	},
	{
		.id = "NEP-001",
		.service = "Neptune",
		.severity = POLICY_ERROR,
		.title = "Neptune cluster not encrypted",
		.why = "An unencrypted graph exposes its data in snapshots and storage, and "
		       "encryption cannot be turned on later.",
		.fix = "Set StorageEncrypted: true.",
		.cfn_nag = "F30",
		.checkov = "CKV_AWS_44",
		.guard = "NEPTUNE_CLUSTER_ENCRYPTED",
		.types = neptune_types,
		.check = pr_check_spec,
		.spec = &neptune_encrypted,
	},
	{
		.id = "NEP-002",
		.service = "Neptune",
		.severity = POLICY_WARNING,
		.title = "Neptune cluster not exporting audit logs",
		.why = "Audit logs record who queried and changed the graph.",
		.fix = "Set EnableCloudwatchLogsExports: [audit] (and neptune_enable_audit_log "
		       "in the parameter group).",
		.checkov = "CKV_AWS_101",
		.guard = "NEPTUNE_CLUSTER_CLOUDWATCH_LOG_EXPORT_ENABLED",
		.types = neptune_types,
		.check = check_neptune_logs,
	},
	{
		.id = "NEP-003",
		.service = "Neptune",
		.severity = POLICY_WARNING,
		.title = "Neptune backups kept less than a week",
		.why = "The default one-day retention leaves no time to notice and recover "
		       "from bad writes.",
		.fix = "Set BackupRetentionPeriod to 7 or more.",
		.checkov = "CKV_AWS_361",
		.guard = "NEPTUNE_CLUSTER_BACKUP_RETENTION_CHECK",
		.types = neptune_types,
		.check = pr_check_spec,
		.spec = &neptune_backups,
	},
	{
		.id = "CACHE-001",
		.service = "ElastiCache",
		.severity = POLICY_ERROR,
		.title = "Redis replication group not encrypted at rest",
		.why = "Without it, data on the nodes' disks and in backups is unencrypted.",
		.fix = "Set AtRestEncryptionEnabled: true.",
		.cfn_nag = "F25",
		.checkov = "CKV_AWS_29",
		.guard = "ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST",
		.types = redis_types,
		.check = pr_check_spec,
		.spec = &redis_at_rest,
	},
	{
		.id = "CACHE-002",
		.service = "ElastiCache",
		.severity = POLICY_ERROR,
		.title = "Redis replication group without TLS or AUTH",
		.why = "Without encryption in transit, commands and data travel in clear "
		       "text; without an AUTH token, anything on the network may connect.",
		.fix = "Set TransitEncryptionEnabled: true and an AuthToken (or RBAC user "
		       "groups).",
		.cfn_nag = "F33",
		.checkov = "CKV_AWS_30,CKV_AWS_31",
		.guard = "ELASTICACHE_REPL_GRP_ENCRYPTED_IN_TRANSIT",
		.types = redis_types,
		.check = check_redis_transit,
	},
	{
		.id = "DAX-001",
		.service = "DAX",
		.severity = POLICY_ERROR,
		.title = "DAX cluster not encrypted",
		.why = "DAX clusters are unencrypted unless asked, and hold copies of table "
		       "items.",
		.fix = "Set SSESpecification.SSEEnabled: true.",
		.checkov = "CKV_AWS_47",
		.guard = "DAX_ENCRYPTION_ENABLED",
		.types = dax_types,
		.check = pr_check_spec,
		.spec = &dax_sse,
	},
	{
		.id = "DMS-001",
		.service = "DMS",
		.severity = POLICY_ERROR,
		.title = "DMS replication instance publicly accessible",
		.why = "DMS makes replication instances public unless told otherwise; a "
		       "public instance is reachable with the databases' credentials on it.",
		.fix = "Set PubliclyAccessible: false.",
		.checkov = "CKV_AWS_89",
		.guard = "DMS_REPLICATION_NOT_PUBLIC",
		.types = dms_types,
		.check = pr_check_spec,
		.spec = &dms_private,
	},
	{
		.id = "QLDB-001",
		.service = "QLDB",
		.severity = POLICY_ERROR,
		.title = "Ledger in ALLOW_ALL permissions mode",
		.why = "ALLOW_ALL gives every principal with ledger access every table; "
		       "STANDARD checks table-level IAM permissions.",
		.fix = "Set PermissionsMode: STANDARD.",
		.checkov = "CKV_AWS_170",
		.types = qldb_types,
		.check = pr_check_spec,
		.spec = &qldb_standard,
	},
	{
		.id = "QLDB-002",
		.service = "QLDB",
		.severity = POLICY_ERROR,
		.title = "Ledger without deletion protection",
		.why = "A ledger is the journal of record; deleting it loses its history for "
		       "good.",
		.fix = "Remove DeletionProtection: false (it is on by default).",
		.checkov = "CKV_AWS_172",
		.types = qldb_types,
		.check = check_qldb_deletion,
	},
	{0},
};
