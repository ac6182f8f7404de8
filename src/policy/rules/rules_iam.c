/*
 * Rules for IAM: permission statements in roles, users, groups, policies
 * and managed policies (a SAM function's statements arrive here through the
 * execution role the template model generates for it), trust policies,
 * attached AWS managed policies, user policies, access keys and login
 * passwords.
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

/* IAM-001 / IAM-002 */
static bool star_action(const struct tval *stmt)
{
	return pr_allow(stmt) && pr_has(tval_get(stmt, "Action"), "*");
}

static void admin_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;

	if (star_action(stmt) && pr_has(tval_get(stmt, "Resource"), "*"))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
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
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "%s '%s' allows every action (Action: *) in %s; list the actions "
			    "it needs",
			    kind_of(s->r), s->r->id, s->policy);
}

static void check_star_action(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, star_action_stmt);
}

/* IAM-003: is this action pattern one that writes or manages permissions? */
static bool is_write_action(const char *a)
{
	static const char *const verbs[] = {
		"Put",		"Create",     "Delete",	     "Update",	  "Attach",	"Detach",
		"Add",		"Remove",     "Set",	     "Modify",	  "Send",	"Publish",
		"Invoke",	"Start",      "Stop",	     "Terminate", "Run",	"Write",
		"Upload",	"Restore",    "Reboot",	     "Enable",	  "Disable",	"Associate",
		"Disassociate", "Replace",    "Revoke",	     "Authorize", "Pass",	"Import",
		"Copy",		"Change",     "Reset",	     "Register",  "Deregister", "Tag",
		"Untag",	"BatchWrite", "BatchDelete", "Abort",	  "Complete",	"Execute",
		"Purge",	"Rotate",     "Schedule",    "Cancel",	  "Grant",	"Retire",
	};
	static const char *const only_star[] = {
		"xray:PutTraceSegments",	  "xray:PutTelemetryRecords",
		"cloudwatch:PutMetricData",	  "ec2:CreateNetworkInterface",
		"ec2:DeleteNetworkInterface",	  "ec2:AssignPrivateIpAddresses",
		"ec2:UnassignPrivateIpAddresses",
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
	/* Every IAM action but the reading ones manages permissions. */
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

static void star_resource_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	struct first_write fw = {NULL};

	if (!pr_allow(stmt) || !pr_has(tval_get(stmt, "Resource"), "*"))
		return;
	tval_each(stmt, "Action", find_write, &fw);
	if (fw.action)
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "%s '%s' allows %s on every resource (Resource: *) in %s; name the "
			    "resources",
			    kind_of(s->r), s->r->id, fw.action, s->policy);
}

static void check_star_resource(struct policy_ctx *cx, const struct template_resource *r)
{
	each_statement(cx, r, star_resource_stmt);
}

/* IAM-004 */
static void not_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	const char *which = tval_get(stmt, "NotAction") ? "NotAction" : "NotResource";

	if (pr_allow(stmt) && (tval_get(stmt, "NotAction") || tval_get(stmt, "NotResource")))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
			    "%s '%s' uses Allow with %s in %s, which grants everything not "
			    "listed; list what is allowed instead",
			    kind_of(s->r), s->r->id, which, s->policy);
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

/* IAM-006 */
static void passrole_stmt(const struct tval *stmt, void *arg)
{
	struct iam_stmt *s = arg;
	const struct tval *a = tval_get(stmt, "Action");

	if (pr_allow(stmt) && !pr_has(a, "*") && pr_covers(a, "iam:PassRole") &&
	    pr_has(tval_get(stmt, "Resource"), "*"))
		policy_flag(s->cx, s->r, pr_pos(stmt, s->r),
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

/* IAM-008 */
static bool non_empty_list(const struct tval *v)
{
	return v && v->kind == TVAL_SEQ && v->n > 0;
}

static void check_user_policies(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!strcmp(r->type, "AWS::IAM::User")) {
		if (pr_any(r->props, "Policies", non_empty_list, &hit) ||
		    pr_any(r->props, "ManagedPolicyArns", non_empty_list, &hit))
			policy_flag(cx, r, pr_pos(hit, r),
				    "user '%s' has policies of its own; attach them to a group or "
				    "a role the user assumes",
				    r->id);
		return;
	}
	if (pr_any(r->props, "Users", non_empty_list, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
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
		.checkov = "CKV_AWS_1,CKV_AWS_62",
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
		       "the account, not only the ones this stack owns.",
		.fix = "Name the resources (Ref, GetAtt or an ARN pattern scoped to the "
		       "stack) in Resource.",
		.cfn_nag = "W11,W12,W13",
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
		.cfn_nag = "F2",
		.checkov = "CKV_AWS_60,CKV_AWS_61",
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
		.cfn_nag = "F10",
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
	{0},
};
