/*
 * Rules for the analytics services: OpenSearch (and legacy Elasticsearch)
 * domains, Kinesis streams, MSK clusters, Glue, Athena workgroups,
 * Redshift clusters and Timestream databases. Most are one property each
 * (table-driven, rules.h's pr_spec); the rest read a list of settings.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const domain_types[] = {
	"AWS::Elasticsearch::Domain",
	"AWS::OpenSearchService::Domain",
	NULL,
};
static const char *const stream_types[] = {"AWS::Kinesis::Stream", NULL};
static const char *const msk_types[] = {"AWS::MSK::Cluster", NULL};
static const char *const catalog_types[] = {"AWS::Glue::DataCatalogEncryptionSettings", NULL};
static const char *const glue_config_types[] = {"AWS::Glue::SecurityConfiguration", NULL};
static const char *const glue_job_types[] = {
	"AWS::Glue::Crawler",
	"AWS::Glue::DevEndpoint",
	"AWS::Glue::Job",
	NULL,
};
static const char *const workgroup_types[] = {"AWS::Athena::WorkGroup", NULL};
static const char *const redshift_types[] = {"AWS::Redshift::Cluster", NULL};
static const char *const redshift_pg_types[] = {"AWS::Redshift::ClusterParameterGroup", NULL};
static const char *const timestream_types[] = {"AWS::Timestream::Database", NULL};

/* ----- OpenSearch / Elasticsearch: checkov checks legacy domains only, but for audit logs ----- */

static const struct pr_spec domain_at_rest = {
	.path = "EncryptionAtRestOptions.Enabled",
	.want = PR_WANT_TRUE,
	.noun = "domain",
	.problem = "stores its indexes unencrypted",
	.fix = "set EncryptionAtRestOptions Enabled: true",
	.xw_type = "AWS::Elasticsearch::Domain",
};

static const struct pr_spec domain_node_to_node = {
	.path = "NodeToNodeEncryptionOptions.Enabled",
	.want = PR_WANT_TRUE,
	.noun = "domain",
	.problem = "lets its nodes talk to each other unencrypted",
	.fix = "set NodeToNodeEncryptionOptions Enabled: true",
	.xw_type = "AWS::Elasticsearch::Domain",
};

static const struct pr_spec domain_https = {
	.path = "DomainEndpointOptions.EnforceHTTPS",
	.want = PR_WANT_TRUE,
	.noun = "domain",
	.problem = "accepts requests over plain HTTP",
	.fix = "set DomainEndpointOptions EnforceHTTPS: true (and TLSSecurityPolicy "
	       "Policy-Min-TLS-1-2-2019-07)",
	.xw_type = "AWS::Elasticsearch::Domain",
};

static void check_audit_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	bool legacy = !strcmp(r->type, "AWS::Elasticsearch::Domain");
	const struct tval *hit;

	if (pr_any(r->props, "LogPublishingOptions.AUDIT_LOGS.Enabled", pr_not_true, &hit))
		policy_flag_as(
			cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			legacy ? "CKV_AWS_84,CKV_AWS_317" : "CKV_AWS_317", NULL,
			"domain '%s' keeps no audit log; set LogPublishingOptions AUDIT_LOGS "
			"with Enabled: true and a CloudWatchLogsLogGroupArn (fine-grained "
			"access control must be on)",
			r->id);
}

/* ----- Kinesis, MSK ----- */

static const struct pr_spec stream_kms = {
	.path = "StreamEncryption.EncryptionType",
	.want = PR_WANT_ONE_OF,
	.values = "KMS",
	.noun = "stream",
	.problem = "stores records unencrypted",
	.fix = "set StreamEncryption with EncryptionType: KMS and a KeyId",
};

/* MSK-001: EncryptionInfo at all, then TLS between clients and brokers and inside. */
static void check_msk_encryption(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *info = tval_get(r->props, "EncryptionInfo");
	const struct tval *cb = tval_get_path(info, "EncryptionInTransit.ClientBroker");
	const struct tval *ic = tval_get_path(info, "EncryptionInTransit.InCluster");

	if (!info)
		policy_flag(cx, r, NULL,
			    "cluster '%s' declares no EncryptionInfo; set it with "
			    "EncryptionAtRest and EncryptionInTransit ClientBroker: TLS",
			    r->id);
	else if (cb && tval_str(cb) && !tval_str_eq(cb, "TLS"))
		policy_flag(cx, r, pr_pos(cb, r),
			    "cluster '%s' lets clients connect without TLS (ClientBroker %s); set "
			    "ClientBroker: TLS",
			    r->id, cb->text);
	else if (pr_is_false(ic))
		policy_flag(cx, r, pr_pos(ic, r),
			    "cluster '%s' lets its brokers replicate unencrypted; set InCluster: "
			    "true",
			    r->id);
}

static void check_msk_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	static const char *const dest[] = {"CloudWatchLogs", "Firehose", "S3"};
	const struct tval *logs = tval_get_path(r->props, "LoggingInfo.BrokerLogs");
	char path[48];

	for (size_t i = 0; i < ARRAY_SIZE(dest); i++) {
		snprintf(path, sizeof(path), "%s.Enabled", dest[i]);
		if (!pr_any(logs, path, pr_not_true, NULL) && tval_get_path(logs, path))
			return;
	}
	policy_flag(cx, r, NULL,
		    "cluster '%s' keeps no broker logs; set LoggingInfo BrokerLogs with "
		    "CloudWatchLogs (or Firehose, S3) Enabled: true",
		    r->id);
}

static const struct pr_spec msk_private = {
	.path = "BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type",
	.want = PR_WANT_NONE_OF,
	.values = "SERVICE_PROVIDED_EIPS",
	.noun = "cluster",
	.problem = "gives its brokers public addresses",
	.fix = "set ConnectivityInfo PublicAccess Type: DISABLED",
};

/* ----- Glue ----- */

static void check_catalog(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *s = tval_get(r->props, "DataCatalogEncryptionSettings");
	const struct tval *hit;

	if (pr_any(s, "EncryptionAtRest.CatalogEncryptionMode", pr_missing, NULL) ||
	    (tval_str((hit = tval_get_path(s, "EncryptionAtRest.CatalogEncryptionMode"))) &&
	     !tval_str_eq(hit, "SSE-KMS")))
		policy_flag(cx, r, NULL,
			    "data catalog settings '%s' leave the catalog unencrypted; set "
			    "EncryptionAtRest CatalogEncryptionMode: SSE-KMS",
			    r->id);
	else if (pr_any(s, "ConnectionPasswordEncryption.ReturnConnectionPasswordEncrypted",
			pr_not_true, NULL))
		policy_flag(cx, r, NULL,
			    "data catalog settings '%s' return connection passwords in clear "
			    "text; set ConnectionPasswordEncryption "
			    "ReturnConnectionPasswordEncrypted: true",
			    r->id);
}

static bool mode_on(const struct tval *v)
{
	return v && v->kind == TVAL_STRING && strcmp(v->text, "DISABLED");
}

struct s3enc {
	bool on;
};

static void s3_mode(const struct tval *item, void *arg)
{
	if (mode_on(tval_get(item, "S3EncryptionMode")))
		((struct s3enc *)arg)->on = true;
}

static void check_glue_config(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *enc = tval_get(r->props, "EncryptionConfiguration");
	struct s3enc s3 = {false};
	const char *off = NULL;

	pr_items(enc, "S3Encryptions", s3_mode, &s3);
	if (!mode_on(tval_get_path(enc, "CloudWatchEncryption.CloudWatchEncryptionMode")))
		off = "CloudWatchEncryption";
	else if (!mode_on(tval_get_path(enc, "JobBookmarksEncryption.JobBookmarksEncryptionMode")))
		off = "JobBookmarksEncryption";
	else if (!s3.on)
		off = "S3Encryptions";
	if (off)
		policy_flag(cx, r, NULL,
			    "security configuration '%s' leaves %s off; enable S3, CloudWatch and "
			    "job bookmark encryption",
			    r->id, off);
}

static void check_glue_job(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *key = strcmp(r->type, "AWS::Glue::Crawler") ? "SecurityConfiguration"
								: "CrawlerSecurityConfiguration";

	if (pr_any(r->props, key, pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "%s '%s' runs without a security configuration, so what it writes is "
			    "not encrypted; set %s",
			    !strcmp(r->type, "AWS::Glue::Job")	     ? "job"
			    : !strcmp(r->type, "AWS::Glue::Crawler") ? "crawler"
								     : "endpoint",
			    r->id, key);
}

/* ----- Athena, Redshift, Timestream ----- */

static const struct pr_spec enforce_workgroup = {
	.path = "WorkGroupConfiguration.EnforceWorkGroupConfiguration",
	.want = PR_WANT_TRUE,
	.noun = "workgroup",
	.problem = "lets each client override its settings, encryption of results included",
	.fix = "set WorkGroupConfiguration EnforceWorkGroupConfiguration: true",
};

static const struct pr_spec redshift_encrypted = {
	.path = "Encrypted",
	.want = PR_WANT_TRUE,
	.noun = "cluster",
	.problem = "stores data unencrypted",
	.fix = "set Encrypted: true (with a KmsKeyId)",
};

static const struct pr_spec redshift_logging = {
	.path = "LoggingProperties.BucketName",
	.want = PR_WANT_SET,
	.noun = "cluster",
	.problem = "keeps no audit log",
	.fix = "set LoggingProperties with a BucketName",
};

static const struct pr_spec redshift_public = {
	.path = "PubliclyAccessible",
	.want = PR_WANT_NOT_TRUE,
	.noun = "cluster",
	.problem = "is reachable from the internet",
	.fix = "set PubliclyAccessible: false",
};

static const struct pr_spec redshift_vpc = {
	.path = "ClusterSubnetGroupName",
	.want = PR_WANT_SET,
	.noun = "cluster",
	.problem = "names no subnet group, so it is not placed in your VPC",
	.fix = "set ClusterSubnetGroupName",
};

static void check_require_ssl(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *list = tval_get(r->props, "Parameters");

	for (size_t i = 0; list && list->kind == TVAL_SEQ && i < list->n; i++) {
		const struct tval *p = list->items[i];

		if (tval_str_eq(tval_get(p, "ParameterName"), "require_ssl") &&
		    (tval_is_true(tval_get(p, "ParameterValue")) ||
		     !tval_str(tval_get(p, "ParameterValue"))))
			return;
	}
	policy_flag(cx, r, NULL,
		    "parameter group '%s' lets clients connect without TLS; add the parameter "
		    "require_ssl: \"true\"",
		    r->id);
}

static const struct pr_spec timestream_kms = {
	.path = "KmsKeyId",
	.want = PR_WANT_SET,
	.noun = "database",
	.problem = "is encrypted with the AWS managed key only",
	.fix = "set KmsKeyId to a customer managed key",
};

const struct policy_rule policy_rules_analytics[] = {
	{
		.id = "ES-001",
		.service = "OpenSearch",
		.severity = POLICY_ERROR,
		.title = "Search domain not encrypted at rest",
		.why = "Indexes, logs and snapshots of an unencrypted domain are readable by "
		       "anyone who reaches the underlying storage or a copy of it.",
		.fix = "Set EncryptionAtRestOptions.Enabled: true.",
		.checkov = "CKV_AWS_5",
		.guard = "OPENSEARCH_ENCRYPTED_AT_REST",
		.types = domain_types,
		.check = pr_check_spec,
		.spec = &domain_at_rest,
	},
	{
		.id = "ES-002",
		.service = "OpenSearch",
		.severity = POLICY_ERROR,
		.title = "Search domain without node-to-node encryption",
		.why = "Without it, documents and queries travel between the domain's nodes "
		       "in clear text.",
		.fix = "Set NodeToNodeEncryptionOptions.Enabled: true.",
		.checkov = "CKV_AWS_6",
		.guard = "OPENSEARCH_NODE_TO_NODE_ENCRYPTION_CHECK",
		.types = domain_types,
		.check = pr_check_spec,
		.spec = &domain_node_to_node,
	},
	{
		.id = "ES-003",
		.service = "OpenSearch",
		.severity = POLICY_ERROR,
		.title = "Search domain accepting plain HTTP",
		.why = "Without EnforceHTTPS, requests, credentials and documents may travel "
		       "unencrypted to the domain endpoint.",
		.fix = "Set DomainEndpointOptions.EnforceHTTPS: true and a TLS 1.2 policy.",
		.checkov = "CKV_AWS_83",
		.guard = "OPENSEARCH_HTTPS_REQUIRED",
		.types = domain_types,
		.check = pr_check_spec,
		.spec = &domain_https,
	},
	{
		.id = "ES-004",
		.service = "OpenSearch",
		.severity = POLICY_WARNING,
		.title = "Search domain without audit logs",
		.why = "Audit logs record who read and changed which index; without them a "
		       "data leak cannot be traced.",
		.fix = "Set LogPublishingOptions.AUDIT_LOGS with Enabled: true and a log "
		       "group (with fine-grained access control on).",
		.checkov = "CKV_AWS_84,CKV_AWS_317",
		.guard = "OPENSEARCH_AUDIT_LOGGING_ENABLED",
		.types = domain_types,
		.check = check_audit_logs,
	},
	{
		.id = "KIN-001",
		.service = "Kinesis",
		.severity = POLICY_ERROR,
		.title = "Stream not encrypted at rest",
		.why = "Records wait in the stream for up to a year; unencrypted, they are "
		       "exposed to whoever reaches its storage.",
		.fix = "Set StreamEncryption with EncryptionType: KMS and a KeyId.",
		.checkov = "CKV_AWS_43",
		.guard = "KINESIS_STREAM_ENCRYPTED",
		.types = stream_types,
		.check = pr_check_spec,
		.spec = &stream_kms,
	},
	{
		.id = "MSK-001",
		.service = "MSK",
		.severity = POLICY_ERROR,
		.title = "Kafka cluster without encryption in transit",
		.why = "Plain-text listeners and unencrypted replication expose every message "
		       "to the network.",
		.fix = "Set EncryptionInfo with EncryptionInTransit ClientBroker: TLS and "
		       "InCluster: true.",
		.checkov = "CKV_AWS_81",
		.guard = "MSK_IN_CLUSTER_NODE_REQUIRE_TLS",
		.types = msk_types,
		.check = check_msk_encryption,
	},
	{
		.id = "MSK-002",
		.service = "MSK",
		.severity = POLICY_WARNING,
		.title = "Kafka cluster without broker logs",
		.why = "Broker logs record connections, authentication failures and errors; "
		       "without them misuse goes unseen.",
		.fix = "Set LoggingInfo.BrokerLogs with CloudWatchLogs, Firehose or S3 Enabled.",
		.checkov = "CKV_AWS_80",
		.types = msk_types,
		.check = check_msk_logs,
	},
	{
		.id = "MSK-003",
		.service = "MSK",
		.severity = POLICY_ERROR,
		.title = "Kafka brokers with public addresses",
		.why = "Public brokers can be reached, and attacked, from the whole internet.",
		.fix = "Set BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type: DISABLED.",
		.checkov = "CKV_AWS_291",
		.types = msk_types,
		.check = pr_check_spec,
		.spec = &msk_private,
	},
	{
		.id = "GLUE-001",
		.service = "Glue",
		.severity = POLICY_ERROR,
		.title = "Data catalog not encrypted",
		.why = "The catalog holds table definitions and connection passwords; "
		       "unencrypted, both are readable to anyone with catalog read access.",
		.fix = "Set EncryptionAtRest.CatalogEncryptionMode: SSE-KMS and "
		       "ConnectionPasswordEncryption.ReturnConnectionPasswordEncrypted: true.",
		.checkov = "CKV_AWS_94",
		.types = catalog_types,
		.check = check_catalog,
	},
	{
		.id = "GLUE-002",
		.service = "Glue",
		.severity = POLICY_ERROR,
		.title = "Security configuration with encryption off",
		.why = "A security configuration that leaves S3, CloudWatch or job bookmark "
		       "encryption off lets jobs write that data unencrypted.",
		.fix = "Enable S3Encryptions, CloudWatchEncryption and JobBookmarksEncryption "
		       "(SSE-KMS or CSE-KMS).",
		.checkov = "CKV_AWS_99",
		.types = glue_config_types,
		.check = check_glue_config,
	},
	{
		.id = "GLUE-003",
		.service = "Glue",
		.severity = POLICY_WARNING,
		.title = "Glue job or crawler without a security configuration",
		.why = "Without a security configuration a job's output, logs and bookmarks "
		       "are written unencrypted.",
		.fix = "Set SecurityConfiguration (CrawlerSecurityConfiguration on crawlers).",
		.checkov = "CKV_AWS_195",
		.types = glue_job_types,
		.check = check_glue_job,
	},
	{
		.id = "ATH-001",
		.service = "Athena",
		.severity = POLICY_WARNING,
		.title = "Workgroup settings not enforced",
		.why = "Unless enforced, each client may override the workgroup's settings, "
		       "including the encryption of query results.",
		.fix = "Set WorkGroupConfiguration.EnforceWorkGroupConfiguration: true.",
		.checkov = "CKV_AWS_82",
		.types = workgroup_types,
		.check = pr_check_spec,
		.spec = &enforce_workgroup,
	},
	{
		.id = "RS-001",
		.service = "Redshift",
		.severity = POLICY_ERROR,
		.title = "Redshift cluster not encrypted",
		.why = "An unencrypted warehouse exposes its data in snapshots and on its "
		       "storage, and encryption cannot be added without a migration.",
		.fix = "Set Encrypted: true and a KmsKeyId.",
		.cfn_nag = "F28",
		.checkov = "CKV_AWS_64",
		.guard = "REDSHIFT_CLUSTER_KMS_ENABLED",
		.types = redshift_types,
		.check = pr_check_spec,
		.spec = &redshift_encrypted,
	},
	{
		.id = "RS-002",
		.service = "Redshift",
		.severity = POLICY_WARNING,
		.title = "Redshift cluster without audit logging",
		.why = "Audit logs record connections, users and queries; without them an "
		       "intrusion into the warehouse cannot be traced.",
		.fix = "Set LoggingProperties with a BucketName.",
		.checkov = "CKV_AWS_71",
		.guard = "REDSHIFT_AUDIT_LOGGING_ENABLED",
		.types = redshift_types,
		.check = pr_check_spec,
		.spec = &redshift_logging,
	},
	{
		.id = "RS-003",
		.service = "Redshift",
		.severity = POLICY_ERROR,
		.title = "Redshift cluster publicly accessible",
		.why = "A public endpoint exposes the warehouse to password guessing from the "
		       "whole internet.",
		.fix = "Set PubliclyAccessible: false.",
		.checkov = "CKV_AWS_87",
		.guard = "REDSHIFT_CLUSTER_PUBLIC_ACCESS_CHECK",
		.types = redshift_types,
		.check = pr_check_spec,
		.spec = &redshift_public,
	},
	{
		.id = "RS-004",
		.service = "Redshift",
		.severity = POLICY_ERROR,
		.title = "Redshift parameter group not requiring TLS",
		.why = "Unless require_ssl is true, clients may connect without TLS and send "
		       "credentials and results in clear text.",
		.fix = "Add the parameter require_ssl: \"true\".",
		.checkov = "CKV_AWS_105",
		.guard = "REDSHIFT_REQUIRE_TLS_SSL",
		.types = redshift_pg_types,
		.check = check_require_ssl,
	},
	{
		.id = "RS-005",
		.service = "Redshift",
		.severity = POLICY_WARNING,
		.title = "Redshift cluster without a subnet group",
		.why = "A cluster without a subnet group is not placed in the VPC you chose, "
		       "so its network exposure is not the template's to decide.",
		.fix = "Set ClusterSubnetGroupName.",
		.checkov = "CKV_AWS_154",
		.types = redshift_types,
		.check = pr_check_spec,
		.spec = &redshift_vpc,
	},
	{
		.id = "TS-001",
		.service = "Timestream",
		.severity = POLICY_WARNING,
		.title = "Timestream database without a customer managed key",
		.why = "With the AWS managed key, key use cannot be limited by a key policy.",
		.fix = "Set KmsKeyId to a customer managed key.",
		.checkov = "CKV_AWS_160",
		.types = timestream_types,
		.check = pr_check_spec,
		.spec = &timestream_kms,
	},
	{0},
};
