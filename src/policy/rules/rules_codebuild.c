/*
 * Rules for CodeBuild projects: privileged (Docker-in-Docker) mode, an
 * explicit KMS key for artifacts, artifacts stored unencrypted, and secrets
 * in plain-text environment variables.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const project_types[] = {"AWS::CodeBuild::Project", NULL};

static void check_privileged(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "Environment.PrivilegedMode", pr_is_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "project '%s' runs builds in privileged mode; remove PrivilegedMode "
			    "unless it builds container images",
			    r->id);
}

static void check_key(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "EncryptionKey", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "project '%s' encrypts artifacts with the default key; set "
			    "EncryptionKey to a customer managed KMS key",
			    r->id);
}

struct env_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void env_var(const struct tval *item, void *arg)
{
	struct env_ctx *e = arg;
	const char *name = tval_str(tval_get(item, "Name"));
	const struct tval *type = tval_get(item, "Type");
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n;

	if (!name || (type && !tval_str_eq(type, "PLAINTEXT")))
		return;
	n = tval_alts(tval_get(item, "Value"), alts, ARRAY_SIZE(alts));
	for (size_t i = 0; i < n; i++)
		if (pr_plaintext_secret(name, alts[i]))
			policy_flag(e->cx, e->r, pr_pos(alts[i], e->r),
				    "project '%s' has the secret %s in a PLAINTEXT environment "
				    "variable; use Type: SECRETS_MANAGER or PARAMETER_STORE",
				    e->r->id, name);
}

static void check_env(struct policy_ctx *cx, const struct template_resource *r)
{
	struct env_ctx e = {cx, r};

	pr_items(r->props, "Environment.EnvironmentVariables", env_var, &e);
}

/* CB-004: Artifacts and every SecondaryArtifacts entry. */
struct art_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
	bool primary;
};

static void artifact(const struct tval *art, void *arg)
{
	struct art_ctx *a = arg;
	const struct tval *off = tval_get(art, "EncryptionDisabled");

	if (!pr_is_true(off))
		return;
	policy_flag_as(a->cx, a->r, pr_pos(off, a->r),
		       a->primary && tval_str_eq(tval_get(art, "Type"), "S3") ? "CKV_AWS_78" : "",
		       NULL,
		       "project '%s' stores build artifacts unencrypted; remove EncryptionDisabled",
		       a->r->id);
}

static void check_artifacts(struct policy_ctx *cx, const struct template_resource *r)
{
	struct art_ctx a = {cx, r, true};
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(tval_get(r->props, "Artifacts"), alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < n; i++)
		if (alts[i] && alts[i]->kind == TVAL_MAP)
			artifact(alts[i], &a);
	a.primary = false;
	pr_items(r->props, "SecondaryArtifacts", artifact, &a);
}

const struct policy_rule policy_rules_codebuild[] = {
	{
		.id = "CB-001",
		.service = "CodeBuild",
		.severity = POLICY_WARNING,
		.title = "Build project in privileged mode",
		.why = "Privileged builds run with root on the build host's Docker daemon; "
		       "a malicious dependency can escape the build container.",
		.fix = "Remove Environment.PrivilegedMode unless the project builds images.",
		.types = project_types,
		.check = check_privileged,
	},
	{
		.id = "CB-002",
		.service = "CodeBuild",
		.severity = POLICY_ERROR,
		.title = "Build project without its own KMS key",
		.why = "Artifacts are encrypted with the account's aws/s3 key, whose use "
		       "cannot be restricted to the pipeline's roles.",
		.fix = "Set EncryptionKey to a customer managed KMS key.",
		.cfn_nag = "W32",
		.checkov = "CKV_AWS_147",
		.types = project_types,
		.check = check_key,
	},
	{
		.id = "CB-003",
		.service = "CodeBuild",
		.severity = POLICY_ERROR,
		.title = "Secret in a plain-text build variable",
		.why = "PLAINTEXT variables are shown in the console, in BatchGetProjects and "
		       "in build logs.",
		.fix = "Use Type: SECRETS_MANAGER or PARAMETER_STORE with the secret's name.",
		.guard = "CODEBUILD_PROJECT_ENVVAR_AWSCRED_CHECK",
		.types = project_types,
		.check = check_env,
	},
	{
		.id = "CB-004",
		.service = "CodeBuild",
		.severity = POLICY_ERROR,
		.title = "Build artifacts stored unencrypted",
		.why = "EncryptionDisabled leaves the artifacts, often deployable code and "
		       "configuration, unencrypted in S3.",
		.fix = "Remove EncryptionDisabled from Artifacts and SecondaryArtifacts.",
		.checkov = "CKV_AWS_78",
		.guard = "CODEBUILD_PROJECT_ARTIFACT_ENCRYPTION",
		.types = project_types,
		.check = check_artifacts,
	},
	{0},
};
