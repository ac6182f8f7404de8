/*
 * Rules for IAM: permission statements in roles, users, groups, policies
 * and managed policies (a SAM function's statements arrive here through the
 * execution role the template model generates for it), trust policies,
 * attached AWS managed policies, user policies, access keys and login
 * passwords; and the actions cloudsplaining (which checkov runs) singles
 * out on Resource *: permissions management, credential exposure, data
 * exfiltration and privilege escalation paths.
 *
 * One statement is reported once: Action * on Resource * is IAM-002's, and
 * its finding carries every crosswalk id that condition fails, so the
 * narrower rules skip it.
 *
 * "Write" actions are recognised by their verb (Put, Create, Delete, ...),
 * as the IAM documentation's access levels mostly follow it; a few actions
 * that only accept Resource "*" (X-Ray, CloudWatch metrics, the ENI calls a
 * function in a VPC needs) are exempt from IAM-003.
 */
#include "core/common.h"

#include <ctype.h>

#include "policy/rules/rules.h"

static const char *const perm_types[] = {
	"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
	"AWS::IAM::User", "AWS::IAM::Group",  NULL,
};
static const char *const role_types[] = {"AWS::IAM::Role", NULL};
static const char *const attach_types[] = {
	"AWS::IAM::Role",
	"AWS::IAM::User",
	"AWS::IAM::Group",
	NULL,
};
static const char *const user_pol_types[] = {
	"AWS::IAM::User",
	"AWS::IAM::Policy",
	"AWS::IAM::ManagedPolicy",
	NULL,
};
static const char *const key_types[] = {"AWS::IAM::AccessKey", NULL};
static const char *const user_types[] = {"AWS::IAM::User", NULL};

/* What a statement check gets: the resource and the policy's name. */
struct iam_stmt {
	struct policy_ctx *cx;
	const struct template_resource *r;
	const char *policy; /* "policy 'Name'" or "its policy" */
};

static const char *kind_of(const struct template_resource *r)
{
	if (!strcmp(r->type, "AWS::IAM::Role"))
		return "role";
	if (!strcmp(r->type, "AWS::IAM::User"))
		return "user";
	if (!strcmp(r->type, "AWS::IAM::Group"))
		return "group";
	if (!strcmp(r->type, "AWS::IAM::ManagedPolicy"))
		return "managed policy";
	return "policy";
}

/*
 * cfn_nag names the same condition differently for roles, policies and
 * managed policies (F3/F4/F5 for Action *); users and groups have none.
 */
static const char *nag_for(const struct template_resource *r, const char *role, const char *policy,
			   const char *managed)
{
	if (!strcmp(r->type, "AWS::IAM::Role"))
		return role;
	if (!strcmp(r->type, "AWS::IAM::Policy"))
		return policy;
	if (!strcmp(r->type, "AWS::IAM::ManagedPolicy"))
		return managed;
	return "";
}

/*
 * Call `fn` on every statement of every permission policy of `r`: the
 * Policies list of roles, users and groups, or the PolicyDocument of a
 * policy.
 */
struct doc_walk {
	struct iam_stmt s;
	void (*fn)(const struct tval *stmt, void *arg);
};

static void each_inline(const struct tval *item, void *arg)
{
	struct doc_walk *w = arg;
	struct iam_stmt s = w->s;
	char name[160];
	const char *pn = tval_str(tval_get(item, "PolicyName"));

	snprintf(name, sizeof(name), "policy '%s'", pn ? pn : "?");
	s.policy = name;
	pr_statements(tval_get(item, "PolicyDocument"), w->fn, &s);
}

static void each_statement(struct policy_ctx *cx, const struct template_resource *r,
			   void (*fn)(const struct tval *stmt, void *arg))
{
	struct doc_walk w = {{cx, r, "its policy"}, fn};

	if (tval_get(r->props, "PolicyDocument"))
		pr_statements(tval_get(r->props, "PolicyDocument"), fn, &w.s);
	else
		pr_items(r->props, "Policies", each_inline, &w);
}

/* An Allow statement whose Resource is "*" (and so reaches everything). */
static bool allow_on_star(const struct tval *stmt)
{
	return pr_allow(stmt) && pr_has(tval_get(stmt, "Resource"), "*");
}

/* Action "*": IAM-001 on named resources, IAM-002 on Resource "*". */
static bool star_action(const struct tval *stmt)
{
	return pr_allow(stmt) && pr_has(tval_get(stmt, "Action"), "*");
}

/* IAM-002 covers Action * on Resource *; the narrower rules leave it to it. */
static bool admin_statement(const struct tval *stmt)
{
	return star_action(stmt) && pr_has(tval_get(stmt, "Resource"), "*");
}

/* IAM-001 / IAM-002 */
static void admin_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;

	/* Every cloudsplaining condition holds too: it is all of them at once. */
	if (admin_statement(stmt))
		policy_flag_as(s->cx, s->r, pr_pos(stmt, s->r),
			       "CKV_AWS_62,CKV_AWS_63,CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,"
			       "CKV_AWS_110,CKV_AWS_111",
			       nag_for(s->r, "F3,W11", "F4,W12", "F5,W13"),
			       "%s '%s' grants full administrator access (Action * on Resource *) "
			       "in %s; grant only the actions and resources it needs",
			       kind_of(s->r), s->r->id, s->policy);
}

static void check_admin(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, admin_stmt);
}

static void star_action_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;

	if (star_action(stmt) && !pr_has(tval_get(stmt, "Resource"), "*"))
		policy_flag_as(s->cx, s->r, pr_pos(stmt, s->r), "CKV_AWS_63",
			       nag_for(s->r, "F3", "F4", "F5"),
			       "%s '%s' allows every action (Action: *) in %s; list the actions "
			       "it needs",
			       kind_of(s->r), s->r->id, s->policy);
}

static void check_star_action(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, star_action_stmt);
}

/*
 * Tagging is an access level of its own (TagResource, CreateTags): it
 * labels resources, it does not change them.
 */
static bool tagging_action(const char *verb)
{
	size_t n = strlen(verb);

	return !strncmp(verb, "Tag", 3) || !strncmp(verb, "Untag", 5) ||
	       (n > 4 && !strcmp(verb + n - 4, "Tags"));
}

static bool permissions_level(const char *action);

/*
 * IAM-003: is this action pattern one that writes? Access levels mostly
 * follow the verb (Put, Create, Delete, ...); every IAM action but the
 * reading ones manages permissions. Actions that accept only Resource "*"
 * (X-Ray, CloudWatch metrics, KMS key creation, the ENI calls of a
 * function in a VPC) cannot be scoped and are exempt, as cloudsplaining
 * exempts them.
 */
static bool is_write_action(const char *a)
{
	static const char *const verbs[] = {
		"Put",		"Create",  "Delete",   "Update",    "Attach",	  "Detach",
		"Add",		"Remove",  "Set",      "Modify",    "Send",	  "Publish",
		"Invoke",	"Start",   "Stop",     "Terminate", "Run",	  "Write",
		"Upload",	"Restore", "Reboot",   "Enable",    "Disable",	  "Associate",
		"Disassociate", "Replace", "Revoke",   "Authorize", "Pass",	  "Import",
		"Copy",		"Change",  "Reset",    "Register",  "Deregister", "BatchWrite",
		"BatchDelete",	"Abort",   "Complete", "Execute",   "Purge",	  "Rotate",
		"Schedule",	"Cancel",  "Grant",    "Retire",
	};
	static const char *const only_star[] = {
		"xray:PutTraceSegments",	  "xray:PutTelemetryRecords",
		"cloudwatch:PutMetricData",	  "ec2:CreateNetworkInterface",
		"ec2:DeleteNetworkInterface",	  "ec2:AssignPrivateIpAddresses",
		"ec2:UnassignPrivateIpAddresses", "kms:CreateKey",
		"logs:CreateLogDelivery",	  "logs:PutResourcePolicy",
	};
	const char *colon = strchr(a, ':');
	const char *verb;

	if (!colon)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(only_star); i++)
		if (strcasecmp(a, only_star[i]) == 0)
			return false;
	verb = colon + 1;
	if (*verb == '*')
		return true;
	if (tagging_action(verb) || permissions_level(a))
		return false;
	if (strncasecmp(a, "iam:", 4) == 0 && strncmp(verb, "Get", 3) != 0 &&
	    strncmp(verb, "List", 4) != 0 && strncmp(verb, "Generate", 8) != 0 &&
	    strncmp(verb, "Simulate", 8) != 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		size_t n = strlen(verbs[i]);

		if (strncmp(verb, verbs[i], n) == 0 &&
		    (verb[n] == '\0' || verb[n] == '*' || isupper((unsigned char)verb[n])))
			return true;
	}
	return false;
}

/*
 * Actions at IAM's "Permissions management" access level: they change who
 * may do what (identity and resource policies, ACLs, grants).
 */
static const char *const permissions_actions[] = {
	"iam:AttachGroupPolicy",
	"iam:AttachRolePolicy",
	"iam:AttachUserPolicy",
	"iam:CreatePolicy",
	"iam:CreatePolicyVersion",
	"iam:DeleteGroupPolicy",
	"iam:DeletePolicy",
	"iam:DeletePolicyVersion",
	"iam:DeleteRolePermissionsBoundary",
	"iam:DeleteRolePolicy",
	"iam:DeleteUserPermissionsBoundary",
	"iam:DeleteUserPolicy",
	"iam:DetachGroupPolicy",
	"iam:DetachRolePolicy",
	"iam:DetachUserPolicy",
	"iam:PutGroupPolicy",
	"iam:PutRolePermissionsBoundary",
	"iam:PutRolePolicy",
	"iam:PutUserPermissionsBoundary",
	"iam:PutUserPolicy",
	"iam:SetDefaultPolicyVersion",
	"iam:UpdateAssumeRolePolicy",
	"s3:PutBucketPolicy",
	"s3:DeleteBucketPolicy",
	"s3:PutBucketAcl",
	"s3:PutObjectAcl",
	"s3:PutObjectVersionAcl",
	"s3:PutBucketPublicAccessBlock",
	"s3:PutBucketOwnershipControls",
	"s3:PutAccessPointPolicy",
	"kms:PutKeyPolicy",
	"kms:CreateGrant",
	"kms:RevokeGrant",
	"kms:RetireGrant",
	"lambda:AddPermission",
	"lambda:RemovePermission",
	"lambda:AddLayerVersionPermission",
	"lambda:RemoveLayerVersionPermission",
	"sns:AddPermission",
	"sns:RemovePermission",
	"sns:SetTopicAttributes",
	"sqs:AddPermission",
	"sqs:RemovePermission",
	"secretsmanager:PutResourcePolicy",
	"secretsmanager:DeleteResourcePolicy",
	"ecr:SetRepositoryPolicy",
	"ecr:DeleteRepositoryPolicy",
};

/* True when `action` (no wildcard) is one of the list above. */
static bool permissions_level(const char *action)
{
	for (size_t i = 0; i < ARRAY_SIZE(permissions_actions); i++)
		if (!strcasecmp(action, permissions_actions[i]))
			return true;
	return false;
}

/* The first permissions-management action the statement's patterns cover, or NULL. */
static const char *permissions_action(const struct tval *actions)
{
	for (size_t i = 0; i < ARRAY_SIZE(permissions_actions); i++)
		if (pr_covers(actions, permissions_actions[i]))
			return permissions_actions[i];
	return NULL;
}

struct first_write {
	const char *action;
};

static int find_write(const struct tval *alt, void *arg)
{
	struct first_write *fw = arg;
	const struct tval *items[512];
	size_t n = tval_as_list(alt, items, ARRAY_SIZE(items));

	for (size_t i = 0; i < n; i++) {
		const char *a = tval_str(items[i]);

		/* "*" is IAM-002's and iam:PassRole IAM-006's. */
		if (a && strcmp(a, "*") && strcasecmp(a, "iam:PassRole") && is_write_action(a)) {
			fw->action = a;
			return 1;
		}
	}
	return 0;
}

/*
 * IAM-003. A Condition may scope the statement (a resource tag, a source
 * VPC), so conditioned statements are left alone, as cloudsplaining does.
 */
static void star_resource_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	const struct tval *actions = tval_get(stmt, "Action");
	struct first_write fw = {NULL};
	const char *pm;

	if (!allow_on_star(stmt) || tval_get(stmt, "Condition") || admin_statement(stmt))
		return;
	tval_each(stmt, "Action", find_write, &fw);
	pm = permissions_action(actions);
	if (!fw.action && !pm)
		return;
	policy_flag_as(s->cx, s->r, pr_pos(stmt, s->r),
		       fw.action && pm ? "CKV_AWS_109,CKV_AWS_111"
		       : pm	       ? "CKV_AWS_109"
				       : "CKV_AWS_111",
		       nag_for(s->r, "W11", "W12", "W13"),
		       "%s '%s' allows %s on every resource (Resource: *) in %s; name the "
		       "resources",
		       kind_of(s->r), s->r->id, fw.action ? fw.action : pm, s->policy);
}

static void check_star_resource(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, star_resource_stmt);
}

/* IAM-004 */
static void not_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	bool na = tval_get(stmt, "NotAction") != NULL;

	/*
	 * Allow with NotAction on Resource * grants nearly every action of every
	 * service: cloudsplaining finds all of its conditions in what is left.
	 */
	bool everything = na && allow_on_star(stmt) && !tval_get(stmt, "Condition");

	if (pr_allow(stmt) && (na || tval_get(stmt, "NotResource")))
		policy_flag_as(s->cx, s->r, pr_pos(stmt, s->r),
			       everything ? "CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,"
					    "CKV_AWS_111"
					  : "",
			       na ? nag_for(s->r, "W15", "W16", "W17")
				  : nag_for(s->r, "W21", "W22", "W23"),
			       "%s '%s' uses Allow with %s in %s, which grants everything not "
			       "listed; list what is allowed instead",
			       kind_of(s->r), s->r->id, na ? "NotAction" : "NotResource",
			       s->policy);
}

static void check_not(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, not_stmt);
}

/* IAM-005 */
static void trust_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;

	if (pr_allow(stmt) && pr_principal_star(tval_get(stmt, "Principal")) &&
	    !tval_get(stmt, "Condition"))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "role '%s' can be assumed by any AWS account (Principal: *); name the "
			    "trusted service or account, or add a Condition",
			    s->r->id);
}

static void check_trust(struct policy_ctx *cx, const struct template_resource *r)
{
	struct iam_stmt s = {cx, r, "its trust policy"};

	pr_statements(tval_get(r->props, "AssumeRolePolicyDocument"), trust_stmt, &s);
}

/* IAM-006: iam:PassRole is a write action, so checkov's write check holds too. */
static void passrole_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	const struct tval *a = tval_get(stmt, "Action");

	if (pr_allow(stmt) && !pr_has(a, "*") && pr_covers(a, "iam:PassRole") &&
	    pr_has(tval_get(stmt, "Resource"), "*"))
		policy_flag_as(
			s->cx, s->r, pr_pos(stmt, s->r),
			tval_get(stmt, "Condition") ? "" : "CKV_AWS_111",
			nag_for(s->r, "F38", "F39", "F40"),
			"%s '%s' may pass any role (iam:PassRole on *) in %s; name the roles "
			"it passes",
			kind_of(s->r), s->r->id, s->policy);
}

static void check_passrole(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, passrole_stmt);
}

/* IAM-007 */
struct managed_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void managed_item(const struct tval *item, void *arg)
{
	struct managed_ctx *m = arg;
	const char *arn = tval_str(item);
	const char *slash = arn ? strrchr(arn, '/') : NULL;

	if (!slash || !strstr(arn, ":iam::aws:policy/"))
		return;
	if (strcmp(slash + 1, "AdministratorAccess") && strcmp(slash + 1, "PowerUserAccess"))
		return;
	policy_flag(m->cx, m->r, pr_pos(item, m->r),
		    "%s '%s' has the AWS managed policy %s attached; grant only what it needs",
		    kind_of(m->r), m->r->id, slash + 1);
}

static void check_managed(struct policy_ctx *cx, const struct template_resource *r)
{
	struct managed_ctx m = {cx, r};

	pr_items(r->props, "ManagedPolicyArns", managed_item, &m);
}

/* IAM-008: checkov looks at AWS::IAM::Policy's Users, cfn_nag at the user side. */
static bool non_empty_list(const struct tval *v)
{
	return v && v->kind == TVAL_SEQ && v->n > 0;
}

static void check_user_policies(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!strcmp(r->type, "AWS::IAM::User")) {
		if (pr_any(r->props, "Policies", non_empty_list, &hit))
			policy_flag_as(cx, r, pr_pos(hit, r), "", "F10",
				       "user '%s' has policies of its own; attach them to a group "
				       "or a role the user assumes",
				       r->id);
		else if (pr_any(r->props, "ManagedPolicyArns", non_empty_list, &hit))
			policy_flag_as(cx, r, pr_pos(hit, r), "", "",
				       "user '%s' has policies of its own; attach them to a group "
				       "or a role the user assumes",
				       r->id);
		return;
	}
	if (pr_any(r->props, "Users", non_empty_list, &hit))
		policy_flag_as(cx, r, pr_pos(hit, r),
			       strcmp(r->type, "AWS::IAM::Policy") ? "" : "CKV_AWS_40",
			       strcmp(r->type, "AWS::IAM::Policy") ? "F12" : "F11",
			       "%s '%s' is attached to users; attach it to a group or a role",
			       kind_of(r), r->id);
}

/* IAM-009 */
static void check_access_key(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "Status", pr_missing, NULL) ||
	    !tval_str_eq(tval_get(r->props, "Status"), "Inactive"))
		policy_flag(cx, r, NULL,
			    "access key '%s' is a long-lived credential; use a role (or IAM "
			    "Identity Center) and temporary credentials instead",
			    r->id);
}

/* IAM-010 */
static bool plaintext_or_default(const struct tval *v)
{
	return pr_literal(v) ||
	       (v && v->kind == TVAL_STRING && (v->flags & TVAL_F_DEFAULT) && v->len > 0);
}

static void check_login_password(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "LoginProfile.Password", plaintext_or_default, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "user '%s' has its console password %s; use a dynamic reference "
			    "{{resolve:secretsmanager:...}} or a NoEcho parameter without Default",
			    r->id,
			    (hit->flags & TVAL_F_DEFAULT) ? "in a parameter default"
							  : "in plain text");
}

/*
 * IAM-011: an account id, its root ARN, or the stack's own account: every
 * principal of that account whose own policies allow sts:AssumeRole may
 * assume the role.
 */
static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool account_principal(const struct tval *v)
{
	const char *s = v ? v->text : NULL;
	const char *root;

	if (!v)
		return false;
	if (v->kind == TVAL_UNKNOWN)
		return v->unk == TUNK_PSEUDO && v->ref && !strcmp(v->ref, "AWS::AccountId");
	if (v->kind != TVAL_STRING && v->kind != TVAL_NUMBER)
		return false;
	if (v->len == 12 && digits(s, 12))
		return true;
	root = strstr(s, ":iam::");
	if (!root || strncmp(s, "arn:", 4))
		return false;
	root += 6;
	/* "arn:aws:iam::123456789012:root", or "${AWS::AccountId}" in a Sub. */
	if (digits(root, 12) && !strcmp(root + 12, ":root"))
		return true;
	return (v->flags & TVAL_F_PARTIAL) && root[0] == '$' && strstr(root, "}:root") &&
	       !strcmp(strstr(root, "}:root"), "}:root");
}

static int account_cb(const struct tval *alt, void *arg)
{
	const struct tval *items[64], *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_as_list(alt, items, ARRAY_SIZE(items));

	for (size_t i = 0; i < n; i++) {
		size_t na = tval_alts(items[i], alts, ARRAY_SIZE(alts));

		for (size_t k = 0; k < na; k++)
			if (account_principal(alts[k])) {
				*(const struct tval **)arg = alts[k];
				return 1;
			}
	}
	return 0;
}

static void account_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	const struct tval *hit = NULL;

	if (!pr_allow(stmt) || tval_get(stmt, "Condition"))
		return;
	if (tval_each(stmt, "Principal.AWS", account_cb, &hit))
		policy_flag(s->cx, s->r, pr_pos(hit, s->r),
			    "role '%s' trusts a whole account (%s): any of its principals allowed "
			    "sts:AssumeRole may assume it; name the roles or users, or add a "
			    "Condition on aws:PrincipalArn",
			    s->r->id, hit->text);
}

static void check_account_trust(struct policy_ctx *cx, const struct template_resource *r)
{
	struct iam_stmt s = {cx, r, "its trust policy"};

	pr_statements(tval_get(r->props, "AssumeRolePolicyDocument"), account_stmt, &s);
}

/*
 * IAM-012 / IAM-013: specific actions allowed on every resource. The lists
 * are cloudsplaining's (credentials exposure: calls whose answer is a
 * credential; data exfiltration: the reads that leak data or secrets),
 * without the calls that accept only Resource "*" and so cannot be scoped.
 */
static const char *const credential_actions[] = {
	"airflow:CreateCliToken",
	"airflow:CreateWebLoginToken",
	"appsync:CreateApiKey",
	"chime:CreateApiKey",
	"cloud9:CreateEnvironmentToken",
	"codeartifact:GetAuthorizationToken",
	"codepipeline:PollForJobs",
	"cognito-identity:GetOpenIdToken",
	"cognito-identity:GetOpenIdTokenForDeveloperIdentity",
	"cognito-identity:GetCredentialsForIdentity",
	"connect:GetFederationToken",
	"ec2:GetPasswordData",
	"gamelift:RequestUploadCredentials",
	"iam:CreateAccessKey",
	"iam:CreateLoginProfile",
	"iam:CreateServiceSpecificCredential",
	"iam:ResetServiceSpecificCredential",
	"iam:UpdateAccessKey",
	"lightsail:GetInstanceAccessDetails",
	"lightsail:GetRelationalDatabaseMasterUserPassword",
	"lightsail:CreateBucketAccessKey",
	"rds-db:Connect",
	"redshift:GetClusterCredentials",
	"redshift:GetClusterCredentialsWithIAM",
	"redshift-serverless:GetCredentials",
	"sso:GetRoleCredentials",
	"sts:AssumeRole",
	"sts:AssumeRoleWithSAML",
	"sts:AssumeRoleWithWebIdentity",
	"sts:GetFederationToken",
	NULL,
};

static const char *const exfiltration_actions[] = {
	"s3:GetObject",
	"ssm:GetParameter",
	"ssm:GetParameters",
	"ssm:GetParametersByPath",
	"secretsmanager:GetSecretValue",
	NULL,
};

struct listed_ctx {
	struct iam_stmt *s;
	const char *const *list;
	const char *what;
};

static void listed_stmt(const struct tval *stmt, void *arg)
{
	struct listed_ctx *l = arg;
	const struct tval *actions = tval_get(stmt, "Action");

	if (!allow_on_star(stmt) || admin_statement(stmt))
		return;
	for (const char *const *a = l->list; *a; a++) {
		if (!pr_covers(actions, *a))
			continue;
		policy_flag(l->s->cx, l->s->r, pr_pos(stmt, l->s->r),
			    "%s '%s' allows %s on every resource in %s, which %s; name the "
			    "resources",
			    kind_of(l->s->r), l->s->r->id, *a, l->s->policy, l->what);
		return;
	}
}

static void listed_inline(const struct tval *item, void *arg)
{
	struct listed_ctx l = *(struct listed_ctx *)arg;
	struct iam_stmt s = *l.s;
	char name[160];
	const char *pn = tval_str(tval_get(item, "PolicyName"));

	snprintf(name, sizeof(name), "policy '%s'", pn ? pn : "?");
	s.policy = name;
	l.s = &s;
	pr_statements(tval_get(item, "PolicyDocument"), listed_stmt, &l);
}

static void check_listed(struct policy_ctx *cx, const struct template_resource *r,
			 const char *const *list, const char *what)
{
	struct iam_stmt s = {cx, r, "its policy"};
	struct listed_ctx l = {&s, list, what};

	if (tval_get(r->props, "PolicyDocument"))
		pr_statements(tval_get(r->props, "PolicyDocument"), listed_stmt, &l);
	else
		pr_items(r->props, "Policies", listed_inline, &l);
}

static void check_credentials(struct policy_ctx *cx, const struct template_resource *r)
{
	check_listed(cx, r, credential_actions, "returns credentials");
}

static void check_exfiltration(struct policy_ctx *cx, const struct template_resource *r)
{
	check_listed(cx, r, exfiltration_actions, "reads any object, parameter or secret");
}

/*
 * IAM-014: the privilege escalation paths Rhino Security Labs published
 * (and cloudsplaining checks), each a set of actions that together let a
 * principal raise its own permissions, when one policy allows all of them
 * on every resource.
 */
static const struct {
	const char *name;
	const char *actions[6];
} escalations[] = {
	{"CreateAccessKey", {"iam:CreateAccessKey"}},
	{"CreateLoginProfile", {"iam:CreateLoginProfile"}},
	{"UpdateLoginProfile", {"iam:UpdateLoginProfile"}},
	{"AddUserToGroup", {"iam:AddUserToGroup"}},
	{"CreateNewPolicyVersion", {"iam:CreatePolicyVersion"}},
	{"SetExistingDefaultPolicyVersion", {"iam:SetDefaultPolicyVersion"}},
	{"AttachUserPolicy", {"iam:AttachUserPolicy"}},
	{"AttachGroupPolicy", {"iam:AttachGroupPolicy"}},
	{"AttachRolePolicy", {"iam:AttachRolePolicy"}},
	{"PutUserPolicy", {"iam:PutUserPolicy"}},
	{"PutGroupPolicy", {"iam:PutGroupPolicy"}},
	{"PutRolePolicy", {"iam:PutRolePolicy"}},
	{"UpdateRolePolicyToAssumeIt", {"iam:UpdateAssumeRolePolicy"}},
	{"EditExistingLambdaFunctionWithRole", {"lambda:UpdateFunctionCode"}},
	{"UpdateExistingGlueDevEndpoint", {"glue:UpdateDevEndpoint"}},
	{"CreateEC2WithExistingIP", {"iam:PassRole", "ec2:RunInstances"}},
	{"PassExistingRoleToNewLambdaThenInvoke",
	 {"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}},
	{"PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
	 {"iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"}},
	{"PassExistingRoleToNewGlueDevEndpoint", {"iam:PassRole", "glue:CreateDevEndpoint"}},
	{"PassExistingRoleToCloudFormation", {"iam:PassRole", "cloudformation:CreateStack"}},
	{"PassExistingRoleToNewDataPipeline", {"iam:PassRole", "datapipeline:CreatePipeline"}},
	{"PassExistingRoleToNewCodeBuildProjectThenBuild",
	 {"iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"}},
	{"PassExistingRoleToNewECSTaskViaRunTask",
	 {"iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"}},
	{"PassExistingRoleToNewSageMakerNotebookInstance",
	 {"iam:PassRole", "sagemaker:CreateNotebookInstance"}},
};

#define ESC_MAX_STATEMENTS 128

struct esc_doc {
	const struct tval *stmts[ESC_MAX_STATEMENTS]; /* Allow on Resource * */
	size_t n;
	bool admin;
};

static void esc_collect(const struct tval *stmt, void *arg)
{
	struct esc_doc *d = arg;

	if (admin_statement(stmt))
		d->admin = true;
	else if (allow_on_star(stmt) && d->n < ESC_MAX_STATEMENTS)
		d->stmts[d->n++] = stmt;
}

/* The statement allowing `action`, or NULL. */
static const struct tval *esc_allowed(const struct esc_doc *d, const char *action)
{
	for (size_t i = 0; i < d->n; i++)
		if (pr_covers(tval_get(d->stmts[i], "Action"), action))
			return d->stmts[i];
	return NULL;
}

static void esc_doc(struct iam_stmt *s, const struct tval *doc)
{
	struct esc_doc d = {.n = 0, .admin = false};

	pr_statements(doc, esc_collect, &d);
	if (d.admin || !d.n)
		return;
	for (size_t e = 0; e < ARRAY_SIZE(escalations); e++) {
		const struct tval *first = NULL;
		bool all = true;

		for (size_t k = 0; k < ARRAY_SIZE(escalations[e].actions) && all; k++) {
			const char *a = escalations[e].actions[k];
			const struct tval *by = a ? esc_allowed(&d, a) : NULL;

			if (!a)
				break;
			all = by != NULL;
			if (!first)
				first = by;
		}
		if (!all)
			continue;
		policy_flag(s->cx, s->r, pr_pos(first, s->r),
			    "%s '%s' allows a privilege escalation path (%s) on every resource in "
			    "%s; name the resources or drop one of its actions",
			    kind_of(s->r), s->r->id, escalations[e].name, s->policy);
		return;
	}
}

static void esc_inline(const struct tval *item, void *arg)
{
	struct iam_stmt s = *(struct iam_stmt *)arg;
	char name[160];
	const char *pn = tval_str(tval_get(item, "PolicyName"));
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(tval_get(item, "PolicyDocument"), alts, ARRAY_SIZE(alts));

	snprintf(name, sizeof(name), "policy '%s'", pn ? pn : "?");
	s.policy = name;
	for (size_t i = 0; i < n; i++)
		if (alts[i])
			esc_doc(&s, alts[i]);
}

static void check_escalation(struct policy_ctx *cx, const struct template_resource *r)
{
	struct iam_stmt s = {cx, r, "its policy"};
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n;

	if (!tval_get(r->props, "PolicyDocument")) {
		pr_items(r->props, "Policies", esc_inline, &s);
		return;
	}
	n = tval_alts(tval_get(r->props, "PolicyDocument"), alts, ARRAY_SIZE(alts));
	for (size_t i = 0; i < n; i++)
		if (alts[i])
			esc_doc(&s, alts[i]);
}

/*
 * IAM-015: a trust policy with Action * lets its principals call every STS
 * action on the role (tagging sessions, web identity, SAML), not only
 * sts:AssumeRole. checkov asks the same of roles that SageMaker notebooks
 * run as.
 */
static void trust_action_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	bool notebook;

	if (!star_action(stmt))
		return;
	notebook = pr_referred(s->cx, "AWS::SageMaker::NotebookInstance", "RoleArn", s->r->id);
	policy_flag_as(s->cx, s->r, pr_pos(stmt, s->r), notebook ? "CKV2_AWS_70" : "", "F2",
		       "role '%s' allows every action in its trust policy (Action: *); allow "
		       "sts:AssumeRole (and the session actions it needs)",
		       s->r->id);
}

static void check_trust_action(struct policy_ctx *cx, const struct template_resource *r)
{
	struct iam_stmt s = {cx, r, "its trust policy"};

	pr_statements(tval_get(r->props, "AssumeRolePolicyDocument"), trust_action_stmt, &s);
}

const struct policy_rule policy_rules_iam[] = {
	{
		.id = "IAM-001",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Policy allowing every action",
		.why = "Action * grants every present and future action of every service on "
		       "the named resources, including deleting them and changing who may "
		       "use them.",
		.fix = "List the actions the principal needs.",
		.cfn_nag = "F3,F4,F5",
		.checkov = "CKV_AWS_63",
		.guard = "IAM_POLICY_NO_STATEMENTS_WITH_FULL_ACCESS",
		.types = perm_types,
		.check = check_star_action,
	},
	{
		.id = "IAM-002",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Policy granting full administrator access",
		.why = "Action * on Resource * makes the principal an administrator of the "
		       "account: one leaked credential or one bug is a full compromise.",
		.fix = "Grant the actions and resources the principal needs; keep "
		       "administration to break-glass roles outside the application stack.",
		.cfn_nag = "F3,F4,F5,W11,W12,W13",
		.checkov = "CKV_AWS_62,CKV_AWS_63,CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,"
			   "CKV_AWS_111",
		.guard = "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
		.types = perm_types,
		.check = check_admin,
	},
	{
		.id = "IAM-003",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Write or permissions-management actions on every resource",
		.why = "A write action on Resource * reaches every resource of that type in "
		       "the account, not only the ones this stack owns; a permissions-"
		       "management action there can rewrite any policy. Statements with a "
		       "Condition are left alone, as a condition may scope them.",
		.fix = "Name the resources (Ref, GetAtt or an ARN pattern scoped to the "
		       "stack) in Resource.",
		.cfn_nag = "W11,W12,W13",
		.checkov = "CKV_AWS_109,CKV_AWS_111",
		.types = perm_types,
		.check = check_star_resource,
	},
	{
		.id = "IAM-004",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Allow with NotAction or NotResource",
		.why = "Allow with NotAction or NotResource grants everything except a list, "
		       "including actions and resources created after the policy was written.",
		.fix = "Use Action and Resource with what is allowed.",
		.cfn_nag = "W15,W16,W17,W21,W22,W23",
		.checkov = "CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,CKV_AWS_111",
		.types = perm_types,
		.check = check_not,
	},
	{
		.id = "IAM-005",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Role trust policy open to any account",
		.why = "A trust policy with Principal * lets any AWS account assume the role "
		       "and act with its permissions.",
		.fix = "Name the service (lambda.amazonaws.com) or account that assumes the "
		       "role, or add a Condition such as aws:PrincipalOrgID.",
		.checkov = "CKV_AWS_60",
		.types = role_types,
		.check = check_trust,
	},
	{
		.id = "IAM-006",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "iam:PassRole on every role",
		.why = "Passing any role lets the principal hand an administrator role to a "
		       "service it controls, a classic privilege escalation.",
		.fix = "Name the roles in Resource and add a Condition on iam:PassedToService.",
		.cfn_nag = "F38,F39,F40",
		.checkov = "CKV_AWS_111",
		.types = perm_types,
		.check = check_passrole,
	},
	{
		.id = "IAM-007",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "AdministratorAccess or PowerUserAccess attached",
		.why = "These AWS managed policies grant (nearly) every action on every "
		       "resource of the account.",
		.fix = "Attach a policy scoped to the actions and resources needed.",
		.checkov = "CKV_AWS_274",
		.guard = "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
		.types = attach_types,
		.check = check_managed,
	},
	{
		.id = "IAM-008",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Policy attached to a user",
		.why = "Permissions on individual users drift and are hard to review and "
		       "revoke; groups and roles keep them in one place.",
		.fix = "Attach the policy to a group the user belongs to, or to a role.",
		.cfn_nag = "F10,F11,F12",
		.checkov = "CKV_AWS_40",
		.guard = "IAM_USER_NO_POLICIES_CHECK",
		.types = user_pol_types,
		.check = check_user_policies,
	},
	{
		.id = "IAM-009",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Long-lived access key",
		.why = "An access key never expires by itself; it ends up in laptops, CI "
		       "variables and logs, and leaks.",
		.fix = "Use roles with temporary credentials (OIDC federation for CI, IAM "
		       "Identity Center for people) and remove AWS::IAM::AccessKey.",
		.guard = "ACCESS_KEYS_ROTATED",
		.types = key_types,
		.check = check_access_key,
	},
	{
		.id = "IAM-010",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Console password in plain text",
		.why = "A password written in the template or in a parameter default is in "
		       "the repository, the stack's template and its history.",
		.fix = "Use {{resolve:secretsmanager:...}} for LoginProfile.Password, or a "
		       "NoEcho parameter without Default.",
		.cfn_nag = "F51",
		.types = user_types,
		.check = check_login_password,
	},
	{
		.id = "IAM-011",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Role trusting a whole account",
		.why = "Trusting an account (its id or its root ARN) lets every user and role "
		       "of that account whose own policies allow sts:AssumeRole assume this "
		       "role, now and later.",
		.fix = "Name the roles or users that assume it in Principal, or keep the "
		       "account and add a Condition on aws:PrincipalArn.",
		.checkov = "CKV_AWS_61",
		.types = role_types,
		.check = check_account_trust,
	},
	{
		.id = "IAM-012",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Credential-returning action on every resource",
		.why = "Actions such as iam:CreateAccessKey, sts:AssumeRole or "
		       "ec2:GetPasswordData answer with a credential; on Resource * they hand "
		       "out the credentials of any user, role or instance of the account.",
		.fix = "Name the users, roles or instances in Resource.",
		.checkov = "CKV_AWS_107",
		.types = perm_types,
		.check = check_credentials,
	},
	{
		.id = "IAM-013",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Data-reading action on every resource",
		.why = "s3:GetObject, ssm:GetParameter* and secretsmanager:GetSecretValue on "
		       "Resource * read every object, parameter and secret of the account, "
		       "the classic path of data leaks.",
		.fix = "Name the buckets, parameters or secrets in Resource.",
		.checkov = "CKV_AWS_108",
		.types = perm_types,
		.check = check_exfiltration,
	},
	{
		.id = "IAM-014",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Policy allowing a privilege escalation path",
		.why = "Some sets of actions on Resource * let a principal give itself more "
		       "permissions: create a policy version, attach a policy, or pass a "
		       "stronger role to a function it creates and invokes.",
		.fix = "Name the resources, or remove one action of the path.",
		.checkov = "CKV_AWS_110",
		.types = perm_types,
		.check = check_escalation,
	},
	{
		.id = "IAM-015",
		.service = "IAM",
		.severity = POLICY_ERROR,
		.title = "Trust policy allowing every action",
		.why = "Action * in a trust policy allows every STS action on the role, web "
		       "identity and SAML federation included, instead of the one way it is "
		       "meant to be assumed.",
		.fix = "Allow sts:AssumeRole (plus sts:TagSession or the federation action "
		       "the principal uses).",
		.cfn_nag = "F2",
		.checkov = "CKV2_AWS_70",
		.types = role_types,
		.check = check_trust_action,
	},
	{0},
};
