/*
 * Rules for S3 buckets and bucket policies: encryption, Block Public
 * Access, canned ACLs, object ownership, TLS-only access, public and
 * all-action policy statements, versioning and access logging.
 *
 * A bucket's policy is a separate resource (AWS::S3::BucketPolicy) whose
 * Bucket refers to it; S3-005 looks for it across the template.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const bucket_types[] = {"AWS::S3::Bucket", NULL};
static const char *const policy_types[] = {"AWS::S3::BucketPolicy", NULL};

static bool bad_algorithm(const struct tval *v)
{
	const char *a = tval_str(v);

	if (pr_missing(v))
		return true;
	return a && !(v->flags & TVAL_F_PARTIAL) && strcmp(a, "AES256") && strcmp(a, "aws:kms") &&
	       strcmp(a, "aws:kms:dsse");
}

static void check_encryption(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "BucketEncryption.ServerSideEncryptionConfiguration", pr_missing,
		   NULL)) {
		policy_flag(cx, r, NULL,
			    "bucket '%s' has no default encryption; set BucketEncryption "
			    "(SSEAlgorithm aws:kms with a KMSMasterKeyID, or AES256)",
			    r->id);
		return;
	}
	if (pr_any(r->props,
		   "BucketEncryption.ServerSideEncryptionConfiguration.0."
		   "ServerSideEncryptionByDefault.SSEAlgorithm",
		   bad_algorithm, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "bucket '%s' names no default encryption algorithm; set "
			    "ServerSideEncryptionByDefault SSEAlgorithm: aws:kms (or AES256)",
			    r->id);
}

/*
 * Each Block Public Access flag is its own condition, with its own checkov
 * id: a bucket missing one flag fails one check, not four.
 */
static void check_public_access_block(struct policy_ctx *cx, const struct template_resource *r)
{
	static const struct {
		const char *flag, *what, *checkov;
	} flags[] = {
		{"BlockPublicAcls", "lets public ACLs through", "CKV_AWS_53"},
		{"BlockPublicPolicy", "accepts public bucket policies", "CKV_AWS_54"},
		{"IgnorePublicAcls", "honours public ACLs", "CKV_AWS_55"},
		{"RestrictPublicBuckets", "lets public policies grant access", "CKV_AWS_56"},
	};
	const struct tval *hit;
	char path[96];

	if (pr_any(r->props, "PublicAccessBlockConfiguration", pr_missing, NULL)) {
		policy_flag(cx, r, NULL,
			    "bucket '%s' declares no public access block; set "
			    "PublicAccessBlockConfiguration with all four flags true",
			    r->id);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		snprintf(path, sizeof(path), "PublicAccessBlockConfiguration.%s", flags[i].flag);
		if (pr_any(r->props, path, pr_not_true, &hit))
			policy_flag_as(cx, r, hit ? pr_pos(hit, r) : NULL, flags[i].checkov, "",
				       "bucket '%s' %s; set %s: true", r->id, flags[i].what,
				       flags[i].flag);
	}
}

static bool public_acl(const struct tval *v)
{
	return tval_str_eq(v, "PublicRead") || tval_str_eq(v, "PublicReadWrite") ||
	       tval_str_eq(v, "AuthenticatedRead");
}

/* PublicRead fails checkov's read check, PublicReadWrite its read and write ones. */
static void check_acl(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(tval_get(r->props, "AccessControl"), alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < n; i++) {
		const struct tval *v = alts[i];
		bool rw = tval_str_eq(v, "PublicReadWrite");

		if (!v || !public_acl(v))
			continue;
		policy_flag_as(cx, r, pr_pos(v, r),
			       rw			      ? "CKV_AWS_20,CKV_AWS_57"
			       : tval_str_eq(v, "PublicRead") ? "CKV_AWS_20"
							      : "",
			       rw			      ? "F14"
			       : tval_str_eq(v, "PublicRead") ? "W31"
							      : "",
			       "bucket '%s' has the canned ACL %s; remove AccessControl and grant "
			       "access through a bucket policy",
			       r->id, v->text);
	}
}

static bool not_enforced(const struct tval *v)
{
	if (pr_missing(v))
		return true;
	return v->kind == TVAL_STRING && !(v->flags & TVAL_F_PARTIAL) &&
	       strcmp(v->text, "BucketOwnerEnforced") != 0;
}

static void check_ownership(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!pr_any(r->props, "OwnershipControls.Rules.0.ObjectOwnership", not_enforced, &hit))
		return;
	if (hit)
		policy_flag(cx, r, pr_pos(hit, r),
			    "bucket '%s' keeps ACLs enabled (ObjectOwnership %s); set "
			    "BucketOwnerEnforced",
			    r->id, hit->text);
	else
		policy_flag(cx, r, NULL,
			    "bucket '%s' does not declare its object ownership; set "
			    "OwnershipControls ObjectOwnership: BucketOwnerEnforced",
			    r->id);
}

/* A Deny of every request made without TLS. */
static void find_tls_deny(const struct tval *stmt, void *arg)
{
	bool *found = arg;

	if (pr_deny(stmt) && pr_any(stmt, "Condition.Bool.aws:SecureTransport", pr_is_false, NULL))
		*found = true;
}

static bool policy_denies_plain_http(const struct template_resource *p, void *arg)
{
	bool found = false;

	pr_statements(tval_get(p->props, "PolicyDocument"), find_tls_deny, &found);
	return found;
}

/* A policy names the bucket by Ref/GetAtt or by its BucketName. */
static void check_tls_only(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *name = tval_str(tval_get(r->props, "BucketName"));

	if (pr_referrers(cx, "AWS::S3::BucketPolicy", "Bucket", r->id, policy_denies_plain_http,
			 NULL))
		return;
	if (name && pr_referrers(cx, "AWS::S3::BucketPolicy", "Bucket", name,
				 policy_denies_plain_http, NULL))
		return;
	policy_flag(cx, r, NULL,
		    "bucket '%s' accepts requests without TLS; add a bucket policy that denies "
		    "s3:* when aws:SecureTransport is false",
		    r->id);
}

struct stmt_check {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void public_stmt(const struct tval *stmt, void *arg)
{
	struct stmt_check *sc = arg;

	if (pr_allow(stmt) && pr_principal_star(tval_get(stmt, "Principal")) &&
	    !tval_get(stmt, "Condition"))
		policy_flag(sc->cx, sc->r, pr_pos(stmt, sc->r),
			    "bucket policy '%s' allows anyone (Principal: *); name the principals "
			    "or add a Condition that restricts them",
			    sc->r->id);
}

static void check_public_policy(struct policy_ctx *cx, const struct template_resource *r)
{
	struct stmt_check sc = {cx, r};

	pr_statements(tval_get(r->props, "PolicyDocument"), public_stmt, &sc);
}

static void star_action_stmt(const struct tval *stmt, void *arg)
{
	struct stmt_check *sc = arg;
	const struct tval *a = tval_get(stmt, "Action");

	if (pr_allow(stmt) && (pr_has(a, "*") || pr_has(a, "s3:*")))
		policy_flag(sc->cx, sc->r, pr_pos(stmt, sc->r),
			    "bucket policy '%s' allows every action (s3:*); list the actions the "
			    "principal needs",
			    sc->r->id);
}

static void check_star_action(struct policy_ctx *cx, const struct template_resource *r)
{
	struct stmt_check sc = {cx, r};

	pr_statements(tval_get(r->props, "PolicyDocument"), star_action_stmt, &sc);
}

static bool not_enabled(const struct tval *v)
{
	if (pr_missing(v))
		return true;
	return v->kind == TVAL_STRING && !(v->flags & TVAL_F_PARTIAL) &&
	       strcmp(v->text, "Enabled") != 0;
}

static void check_versioning(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "VersioningConfiguration.Status", not_enabled, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "bucket '%s' does not keep object versions; set "
			    "VersioningConfiguration Status: Enabled",
			    r->id);
}

static void check_logging(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "LoggingConfiguration", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "bucket '%s' has no access logging; set LoggingConfiguration with a "
			    "DestinationBucketName",
			    r->id);
}

const struct policy_rule policy_rules_s3[] = {
	{
		.id = "S3-001",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket without default encryption",
		.why = "Without a default encryption configuration the bucket relies on "
		       "S3's implicit SSE-S3 and cannot enforce a KMS key whose use is "
		       "logged and whose access is controlled by a key policy.",
		.fix = "Set BucketEncryption.ServerSideEncryptionConfiguration with "
		       "SSEAlgorithm aws:kms (and a KMSMasterKeyID) or AES256.",
		.cfn_nag = "W41",
		.checkov = "CKV_AWS_19",
		.guard = "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
		.types = bucket_types,
		.check = check_encryption,
	},
	{
		.id = "S3-002",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket without all four Block Public Access flags",
		.why = "Block Public Access is the guard rail that stops a later ACL or "
		       "policy change from exposing the bucket's objects to the internet.",
		.fix = "Set PublicAccessBlockConfiguration with BlockPublicAcls, "
		       "IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets all true.",
		.checkov = "CKV_AWS_53,CKV_AWS_54,CKV_AWS_55,CKV_AWS_56",
		.guard = "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
		.types = bucket_types,
		.check = check_public_access_block,
	},
	{
		.id = "S3-003",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket with a public canned ACL",
		.why = "PublicRead, PublicReadWrite and AuthenticatedRead grant access to "
		       "anyone, or to any AWS account holder, outside your control.",
		.fix = "Remove AccessControl (or set Private) and grant access through a "
		       "bucket policy naming the principals.",
		.cfn_nag = "W31,F14",
		.checkov = "CKV_AWS_20,CKV_AWS_57",
		.guard = "S3_BUCKET_PUBLIC_READ_PROHIBITED,S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
		.types = bucket_types,
		.check = check_acl,
	},
	{
		.id = "S3-004",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket ACLs not disabled (ObjectOwnership)",
		.why = "While ACLs are enabled, objects written by other accounts can stay "
		       "owned by them and ACL grants bypass the bucket policy review.",
		.fix = "Set OwnershipControls.Rules[0].ObjectOwnership: BucketOwnerEnforced.",
		.guard = "S3_BUCKET_ACL_PROHIBITED",
		.types = bucket_types,
		.check = check_ownership,
	},
	{
		.id = "S3-005",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket reachable without TLS",
		.why = "Without a policy denying aws:SecureTransport false, clients may read "
		       "and write objects over plain HTTP.",
		.fix = "Add an AWS::S3::BucketPolicy with a Deny of s3:* on the bucket and its "
		       "objects under Condition Bool aws:SecureTransport: false.",
		.guard = "S3_BUCKET_SSL_REQUESTS_ONLY",
		.types = bucket_types,
		.check = check_tls_only,
	},
	{
		.id = "S3-006",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket policy allowing any principal",
		.why = "An Allow with Principal * and no Condition opens the bucket to every "
		       "AWS account and to anonymous requests.",
		.fix = "Name the principals, or restrict the statement with a Condition "
		       "(aws:PrincipalOrgID, aws:SourceVpce, aws:SourceArn).",
		.cfn_nag = "F16",
		.checkov = "CKV_AWS_70",
		.guard = "S3_BUCKET_POLICY_GRANTEE_CHECK",
		.types = policy_types,
		.check = check_public_policy,
	},
	{
		.id = "S3-007",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket policy allowing every action",
		.why = "Action * in a bucket policy hands out deletion, policy and ACL "
		       "changes along with the access that was meant.",
		.fix = "List the actions the principal needs (s3:GetObject, s3:PutObject, ...).",
		.cfn_nag = "F15",
		.types = policy_types,
		.check = check_star_action,
	},
	{
		.id = "S3-008",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket without versioning",
		.why = "Without versioning an overwrite or a delete, by mistake or by an "
		       "attacker, loses the object for good.",
		.fix = "Set VersioningConfiguration.Status: Enabled (and a lifecycle rule "
		       "expiring noncurrent versions).",
		.checkov = "CKV_AWS_21",
		.guard = "S3_BUCKET_VERSIONING_ENABLED",
		.types = bucket_types,
		.check = check_versioning,
	},
	{
		.id = "S3-009",
		.service = "S3",
		.severity = POLICY_ERROR,
		.title = "Bucket without access logging",
		.why = "Server access logs are the record of who read or changed which object; "
		       "without them an incident cannot be reconstructed.",
		.fix = "Set LoggingConfiguration.DestinationBucketName to a log bucket "
		       "(which itself suppresses this rule with a reason).",
		.cfn_nag = "W35",
		.checkov = "CKV_AWS_18",
		.guard = "S3_BUCKET_LOGGING_ENABLED",
		.types = bucket_types,
		.check = check_logging,
	},
	{0},
};
