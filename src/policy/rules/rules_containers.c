/*
 * Rules for containers: ECR repositories (tag immutability, scanning,
 * encryption, public policies), ECS clusters and task definitions
 * (Container Insights, encryption of EFS volumes in transit) and EKS
 * (secrets encryption, the public API endpoint, control plane logs, node
 * groups open to SSH).
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const repo_types[] = {"AWS::ECR::Repository", NULL};
static const char *const ecs_cluster_types[] = {"AWS::ECS::Cluster", NULL};
static const char *const task_types[] = {"AWS::ECS::TaskDefinition", NULL};
static const char *const eks_types[] = {"AWS::EKS::Cluster", NULL};
static const char *const nodegroup_types[] = {"AWS::EKS::Nodegroup", NULL};

static const struct pr_spec immutable_tags = {
	.path = "ImageTagMutability",
	.want = PR_WANT_ONE_OF,
	.values = "IMMUTABLE|IMMUTABLE_WITH_EXCLUSION",
	.noun = "repository",
	.problem = "lets a push overwrite an existing tag",
	.fix = "set ImageTagMutability: IMMUTABLE",
};

static const struct pr_spec scan_on_push = {
	.path = "ImageScanningConfiguration.ScanOnPush",
	.want = PR_WANT_TRUE,
	.noun = "repository",
	.problem = "does not scan images when they are pushed",
	.fix = "set ImageScanningConfiguration ScanOnPush: true (or use registry-level "
	       "enhanced scanning)",
};

static const struct pr_spec repo_encryption = {
	.path = "EncryptionConfiguration.EncryptionType",
	.want = PR_WANT_SET,
	.noun = "repository",
	.problem = "names no encryption and relies on the ECR default",
	.fix = "set EncryptionConfiguration EncryptionType: KMS with a KmsKey",
};

struct stmt_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

/* A Principal * statement without any Condition (checkov accepts aws:PrincipalOrgID). */
static void public_stmt(const struct tval *stmt, void *arg)
{
	struct stmt_ctx *s = arg;

	if (pr_allow(stmt) && pr_principal_star(tval_get(stmt, "Principal")) &&
	    !tval_get(stmt, "Condition"))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "repository '%s' lets anyone pull or push images (Principal: *); name "
			    "the accounts, or add a Condition on aws:PrincipalOrgID",
			    s->r->id);
}

static void check_public_repo(struct policy_ctx *cx, const struct template_resource *r)
{
	struct stmt_ctx s = {cx, r};

	pr_statements(tval_get(r->props, "RepositoryPolicyText"), public_stmt, &s);
}

/* ECS-001: ClusterSettings [{Name: containerInsights, Value: enabled|enhanced}]. */
static void check_insights(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *list = tval_get(r->props, "ClusterSettings");

	for (size_t i = 0; list && list->kind == TVAL_SEQ && i < list->n; i++) {
		const struct tval *v = tval_get(list->items[i], "Value");

		if (!tval_str_eq(tval_get(list->items[i], "Name"), "containerInsights"))
			continue;
		if (tval_str_eq(v, "enabled") || tval_str_eq(v, "enhanced") || !tval_str(v))
			return;
	}
	policy_flag(cx, r, NULL,
		    "cluster '%s' has Container Insights off; add ClusterSettings "
		    "{Name: containerInsights, Value: enabled}",
		    r->id);
}

/* ECS-002 */
struct vol_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void efs_volume(const struct tval *vol, void *arg)
{
	struct vol_ctx *v = arg;
	const struct tval *efs = tval_get(vol, "EFSVolumeConfiguration");
	const struct tval *hit;

	if (!efs)
		return;
	if (pr_any(efs, "TransitEncryption", pr_missing, NULL) ||
	    (tval_str((hit = tval_get(efs, "TransitEncryption"))) && !tval_str_eq(hit, "ENABLED")))
		policy_flag(v->cx, v->r, pr_pos(efs, v->r),
			    "task definition '%s' mounts an EFS volume without encryption in "
			    "transit; set EFSVolumeConfiguration TransitEncryption: ENABLED",
			    v->r->id);
}

static void check_efs_transit(struct policy_ctx *cx, const struct template_resource *r)
{
	struct vol_ctx v = {cx, r};

	pr_items(r->props, "Volumes", efs_volume, &v);
}

/* EKS-001: EncryptionConfig [{Resources: [secrets], Provider: {KeyArn}}]. */
static void check_secrets_encryption(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *list = tval_get(r->props, "EncryptionConfig");

	for (size_t i = 0; list && list->kind == TVAL_SEQ && i < list->n; i++)
		if (pr_has(tval_get(list->items[i], "Resources"), "secrets"))
			return;
	policy_flag(cx, r, NULL,
		    "cluster '%s' stores Kubernetes secrets without envelope encryption; set "
		    "EncryptionConfig with Resources [secrets] and a KMS KeyArn",
		    r->id);
}

/* EKS-002 / EKS-003: the API endpoint is public unless EndpointPublicAccess is false. */
static bool public_endpoint(const struct template_resource *r)
{
	return !pr_is_false(tval_get_path(r->props, "ResourcesVpcConfig.EndpointPublicAccess"));
}

static void check_public_endpoint(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *v = tval_get_path(r->props, "ResourcesVpcConfig.EndpointPublicAccess");

	if (v && (v->kind == TVAL_UNKNOWN || (v->flags & TVAL_F_PARTIAL)))
		return;
	if (public_endpoint(r))
		policy_flag(cx, r, pr_pos(v, r),
			    "cluster '%s' exposes its Kubernetes API endpoint to the internet; set "
			    "ResourcesVpcConfig EndpointPublicAccess: false and "
			    "EndpointPrivateAccess: true",
			    r->id);
}

static void check_public_cidrs(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *cidrs = tval_get_path(r->props, "ResourcesVpcConfig.PublicAccessCidrs");

	if (!public_endpoint(r) || (cidrs && !pr_has(cidrs, "0.0.0.0/0")))
		return;
	policy_flag(cx, r, pr_pos(cidrs, r),
		    "cluster '%s' accepts Kubernetes API calls from any address (0.0.0.0/0); "
		    "set ResourcesVpcConfig PublicAccessCidrs to your networks, or turn the "
		    "public endpoint off",
		    r->id);
}

/* EKS-004: the five control plane log types. */
static void check_control_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	static const char *const types[] = {"api", "audit", "authenticator", "controllerManager",
					    "scheduler"};
	const struct tval *list = tval_get_path(r->props, "Logging.ClusterLogging.EnabledTypes");

	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		bool on = false;

		for (size_t i = 0; list && list->kind == TVAL_SEQ && i < list->n && !on; i++)
			on = tval_str_eq(list->items[i], types[t]) ||
			     tval_str_eq(tval_get(list->items[i], "Type"), types[t]);
		if (!on) {
			policy_flag(cx, r, pr_pos(list, r),
				    "cluster '%s' does not log its control plane (%s among "
				    "others); set Logging ClusterLogging EnabledTypes to api, "
				    "audit, authenticator, controllerManager and scheduler",
				    r->id, types[t]);
			return;
		}
	}
}

/* EKS-005 */
static void check_node_ssh(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *ra = tval_get(r->props, "RemoteAccess");

	if (ra && tval_get(ra, "Ec2SshKey") && pr_any(ra, "SourceSecurityGroups", pr_missing, NULL))
		policy_flag(
			cx, r, pr_pos(ra, r),
			"node group '%s' accepts SSH from anywhere (an Ec2SshKey without "
			"SourceSecurityGroups); set SourceSecurityGroups or remove RemoteAccess",
			r->id);
}

const struct policy_rule policy_rules_containers[] = {
	{
		.id = "ECR-001",
		.service = "ECR",
		.severity = POLICY_WARNING,
		.title = "Repository with mutable image tags",
		.why = "With mutable tags a push can replace the image behind a tag that is "
		       "already deployed or reviewed.",
		.fix = "Set ImageTagMutability: IMMUTABLE.",
		.checkov = "CKV_AWS_51",
		.guard = "ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED",
		.types = repo_types,
		.check = pr_check_spec,
		.spec = &immutable_tags,
	},
	{
		.id = "ECR-002",
		.service = "ECR",
		.severity = POLICY_WARNING,
		.title = "Repository without scan on push",
		.why = "Without scanning, images with known vulnerabilities are pushed and "
		       "deployed unnoticed.",
		.fix = "Set ImageScanningConfiguration.ScanOnPush: true.",
		.checkov = "CKV_AWS_163",
		.guard = "ECR_PRIVATE_IMAGE_SCANNING_ENABLED",
		.types = repo_types,
		.check = pr_check_spec,
		.spec = &scan_on_push,
	},
	{
		.id = "ECR-003",
		.service = "ECR",
		.severity = POLICY_WARNING,
		.title = "Repository without encryption named",
		.why = "ECR encrypts images with AES256 by default; naming a KMS key makes "
		       "every pull of a layer a logged, policy-checked key use.",
		.fix = "Set EncryptionConfiguration with EncryptionType: KMS and a KmsKey.",
		.checkov = "CKV_AWS_136",
		.guard = "ECR_PRIVATE_KMS_ENCRYPTED",
		.types = repo_types,
		.check = pr_check_spec,
		.spec = &repo_encryption,
	},
	{
		.id = "ECR-004",
		.service = "ECR",
		.severity = POLICY_ERROR,
		.title = "Repository policy allowing any principal",
		.why = "Principal * without a Condition lets any AWS account pull, and with "
		       "write actions push, the repository's images.",
		.fix = "Name the accounts, or add a Condition on aws:PrincipalOrgID.",
		.checkov = "CKV_AWS_32",
		.types = repo_types,
		.check = check_public_repo,
	},
	{
		.id = "ECS-001",
		.service = "ECS",
		.severity = POLICY_WARNING,
		.title = "Cluster without Container Insights",
		.why = "Without Container Insights there are no per-task CPU, memory and "
		       "network metrics to notice a runaway or compromised task.",
		.fix = "Add ClusterSettings {Name: containerInsights, Value: enabled}.",
		.checkov = "CKV_AWS_65",
		.guard = "ECS_CONTAINER_INSIGHTS_ENABLED",
		.types = ecs_cluster_types,
		.check = check_insights,
	},
	{
		.id = "ECS-002",
		.service = "ECS",
		.severity = POLICY_ERROR,
		.title = "EFS volume mounted without encryption in transit",
		.why = "Without TransitEncryption, file data travels between the task and EFS "
		       "in clear text.",
		.fix = "Set EFSVolumeConfiguration.TransitEncryption: ENABLED.",
		.checkov = "CKV_AWS_97",
		.types = task_types,
		.check = check_efs_transit,
	},
	{
		.id = "EKS-001",
		.service = "EKS",
		.severity = POLICY_ERROR,
		.title = "Cluster without secrets encryption",
		.why = "Without envelope encryption, Kubernetes secrets are only as protected "
		       "as etcd's storage.",
		.fix = "Set EncryptionConfig with Resources [secrets] and Provider.KeyArn.",
		.checkov = "CKV_AWS_58",
		.guard = "EKS_SECRETS_ENCRYPTED",
		.types = eks_types,
		.check = check_secrets_encryption,
	},
	{
		.id = "EKS-002",
		.service = "EKS",
		.severity = POLICY_WARNING,
		.title = "Cluster API endpoint public",
		.why = "A public API endpoint lets anyone on the internet reach the "
		       "Kubernetes API and try stolen credentials against it.",
		.fix = "Set ResourcesVpcConfig EndpointPublicAccess: false and "
		       "EndpointPrivateAccess: true.",
		.checkov = "CKV_AWS_39",
		.guard = "EKS_ENDPOINT_NO_PUBLIC_ACCESS",
		.types = eks_types,
		.check = check_public_endpoint,
	},
	{
		.id = "EKS-003",
		.service = "EKS",
		.severity = POLICY_ERROR,
		.title = "Cluster API endpoint open to every address",
		.why = "A public endpoint without PublicAccessCidrs (or with 0.0.0.0/0) "
		       "accepts API calls from the whole internet.",
		.fix = "Set ResourcesVpcConfig.PublicAccessCidrs to the networks that manage "
		       "the cluster, or turn the public endpoint off.",
		.checkov = "CKV_AWS_38",
		.types = eks_types,
		.check = check_public_cidrs,
	},
	{
		.id = "EKS-004",
		.service = "EKS",
		.severity = POLICY_WARNING,
		.title = "Cluster without control plane logs",
		.why = "The API server, audit and authenticator logs are the record of who "
		       "did what in the cluster.",
		.fix = "Set Logging.ClusterLogging.EnabledTypes to api, audit, authenticator, "
		       "controllerManager and scheduler.",
		.checkov = "CKV_AWS_37",
		.guard = "EKS_CLUSTER_LOGGING_ENABLED",
		.types = eks_types,
		.check = check_control_logs,
	},
	{
		.id = "EKS-005",
		.service = "EKS",
		.severity = POLICY_ERROR,
		.title = "Node group open to SSH from anywhere",
		.why = "An Ec2SshKey without SourceSecurityGroups opens port 22 of every node "
		       "to the internet.",
		.fix = "Set RemoteAccess.SourceSecurityGroups, or remove RemoteAccess and use "
		       "Session Manager.",
		.checkov = "CKV_AWS_100",
		.types = nodegroup_types,
		.check = check_node_ssh,
	},
	{0},
};
