/*
 * Secrets written anywhere in a template: AWS access key ids, AWS secret
 * access keys and passwords, found in the document as written (Resources,
 * Parameters, Mappings, Metadata, Outputs, Globals alike), since a secret
 * in a template is leaked whether or not the stack uses it.
 *
 * Patterns: an access key id is AKIA (long-term) or ASIA (temporary)
 * followed by 16 upper-case letters or digits; a secret access key is a
 * 40-character run of base64 letters mixing cases and digits, looked for
 * only in values whose key or text mention "secret". Passwords under the
 * properties that a service rule already covers (RDS-003, IAM-010,
 * LAMBDA-002, CB-003) are left to that rule.
 *
 * The four rules share one walk of the document: SECRET-001's check runs
 * it and reports each finding under the rule whose pattern matched (four
 * walks were a tenth of a whole check).
 */
#include "core/common.h"

#include <ctype.h>

#include "policy/rules/rules.h"

struct walk {
	struct policy_ctx *cx;
	const struct template_resource *r; /* the resource being walked, or NULL */
	const char *section;		   /* "Resources", "Mappings", ... */
	/* Report `s` (a string under `key`) if it holds what this rule looks for. */
	void (*on_string)(struct walk *w, const char *key, const struct tval *s);
	const struct policy_rule *rules[4]; /* the catalogue's SECRET-001 to 004 */
};

/* Passwords a service rule already reports (RDS-003, IAM-010, CB-003). */
static bool covered(const struct template_resource *r, const char *key)
{
	static const struct {
		const char *type, *key;
	} skip[] = {
		{"AWS::RDS::DBInstance", "MasterUserPassword"},
		{"AWS::RDS::DBCluster", "MasterUserPassword"},
		{"AWS::IAM::User", "LoginProfile"},
		{"AWS::Lambda::Function", "Environment"},
		{"AWS::Serverless::Function", "Environment"},
		{"AWS::CodeBuild::Project", "Environment"},
	};

	if (!r || !strchr("MLE", key[0])) /* a quick no for most properties */
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		if (!strcmp(key, skip[i].key) && !strcmp(r->type, skip[i].type))
			return true;
	return false;
}

/*
 * Properties whose credentials of every kind a service rule reports, with
 * the crosswalk of that place: function environments (LAMBDA-002) and
 * instance user data (EC2-005).
 */
static bool owned(const struct template_resource *r, const char *key)
{
	static const struct {
		const char *type, *key;
	} own[] = {
		{"AWS::Lambda::Function", "Environment"},
		{"AWS::Serverless::Function", "Environment"},
		{"AWS::EC2::Instance", "UserData"},
		{"AWS::EC2::LaunchTemplate", "LaunchTemplateData"},
		{"AWS::AutoScaling::LaunchConfiguration", "UserData"},
	};

	if (!r || !strchr("EUL", key[0])) /* a quick no for most properties */
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		if (!strcmp(key, own[i].key) && !strcmp(r->type, own[i].type))
			return true;
	return false;
}

static void walk_value(struct walk *w, const char *key, const struct tval *v, int depth,
		       bool skip_pw)
{
	if (!v || depth > TEMPLATE_MAX_DEPTH)
		return;
	switch (v->kind) {
	case TVAL_STRING:
		/* Under a covered property the key is hidden from the password rule. */
		w->on_string(w, skip_pw ? NULL : key, v);
		break;
	case TVAL_SEQ:
	case TVAL_CHOICE:
		for (size_t i = 0; i < v->n; i++)
			walk_value(w, key, v->items[i], depth + 1, skip_pw);
		break;
	case TVAL_MAP:
		for (size_t i = 0; i < v->n; i++) {
			const char *k = v->pairs[i].key;

			/* {Name: DB_PASSWORD, Value: ...}: ECS, CodeBuild, Batch lists. */
			if (k[0] == 'V' && !strcmp(k, "Value") && tval_str(tval_get(v, "Name")))
				k = tval_str(tval_get(v, "Name"));
			if (depth == 1 && owned(w->r, k))
				continue;
			bool skip = skip_pw || (depth == 1 && covered(w->r, k)) ||
				    (!w->r && !strcmp(k, "Environment") &&
				     !strcmp(w->section, "Globals"));

			walk_value(w, k, v->pairs[i].val, depth + 1, skip);
		}
		break;
	default:
		break;
	}
}

/*
 * Walk the document section by section, each resource on its own: depth 0
 * is the resource's map, depth 1 its Properties, whose keys are properties.
 */
static void walk_template(struct walk *w)
{
	const struct tval *root = w->cx->t->root;

	for (size_t i = 0; root && root->kind == TVAL_MAP && i < root->n; i++) {
		const struct tval_pair *sec = &root->pairs[i];

		w->section = sec->key;
		if (strcmp(sec->key, "Resources") || sec->val->kind != TVAL_MAP) {
			w->r = NULL;
			walk_value(w, sec->key, sec->val, 0, false);
			continue;
		}
		for (size_t k = 0; k < sec->val->n; k++) {
			const struct tval_pair *res = &sec->val->pairs[k];

			w->r = template_resource(w->cx->t, res->key);
			walk_value(w, res->key, res->val, 0, false);
		}
	}
}

static void where(const struct walk *w, const char *key, char *out, size_t len)
{
	if (w->r)
		snprintf(out, len, "%s of resource '%s'", key ? key : "a value", w->r->id);
	else
		snprintf(out, len, "%s in %s", key ? key : "a value", w->section);
}

static bool key_char(char c)
{
	return isupper((unsigned char)c) || isdigit((unsigned char)c);
}

/* SECRET-001 */
static void access_key(struct walk *w, const char *key, const struct tval *v)
{
	const char *s = v->text;
	char loc[200];

	for (size_t i = 0; i + 20 <= v->len; i++) {
		size_t k;

		if (s[i] != 'A' || (strncmp(s + i, "AKIA", 4) && strncmp(s + i, "ASIA", 4)))
			continue;
		if (i > 0 && key_char(s[i - 1]))
			continue;
		for (k = 4; k < 20 && key_char(s[i + k]); k++)
			;
		if (k < 20 || key_char(s[i + 20]))
			continue;
		where(w, key, loc, sizeof(loc));
		policy_flag(w->cx, w->r, pr_pos(v, w->r),
			    "%s holds the AWS access key id %.4s...%.4s; remove it, deactivate the "
			    "key and use a role",
			    loc, s + i, s + i + 16);
		return;
	}
}

/* SECRET-002 */
static bool b64_char(char c)
{
	return isalnum((unsigned char)c) || c == '/' || c == '+';
}

static bool mentions_secret(const char *s)
{
	return s && strcasestr(s, "secret") != NULL;
}

static void secret_key(struct walk *w, const char *key, const struct tval *v)
{
	const char *s = v->text;
	char loc[200];

	if (!mentions_secret(key) && !mentions_secret(s))
		return;
	for (size_t i = 0; i < v->len;) {
		size_t j = i;
		bool up = false, low = false, dig = false;

		while (j < v->len && b64_char(s[j])) {
			up |= isupper((unsigned char)s[j]) != 0;
			low |= islower((unsigned char)s[j]) != 0;
			dig |= isdigit((unsigned char)s[j]) != 0;
			j++;
		}
		if (j - i == 40 && up && low && dig) {
			where(w, key, loc, sizeof(loc));
			policy_flag(
				w->cx, w->r, pr_pos(v, w->r),
				"%s holds what looks like an AWS secret access key; remove it and "
				"rotate the key",
				loc);
			return;
		}
		i = j == i ? i + 1 : j;
	}
}

/* SECRET-003 */
static bool password_name(const char *name)
{
	return name && (strcasestr(name, "password") || strcasestr(name, "passwd"));
}

static void password(struct walk *w, const char *key, const struct tval *v)
{
	char loc[200];

	if (!password_name(key) || !pr_plaintext_secret(key, v))
		return;
	where(w, key, loc, sizeof(loc));
	policy_flag(w->cx, w->r, pr_pos(v, w->r),
		    "%s is a password in plain text; use {{resolve:secretsmanager:...}} or a "
		    "NoEcho parameter without Default",
		    loc);
}

/* Default passwords of parameters (SECRET-003). */
static void check_param_passwords(struct policy_ctx *cx)
{
	const struct template *t = cx->t;

	for (size_t i = 0; i < t->nparams; i++) {
		const struct template_param *p = &t->params[i];

		if (password_name(p->name) && p->dflt && p->dflt->kind == TVAL_STRING &&
		    p->dflt->len > 0)
			policy_flag(cx, NULL, pr_pos(p->dflt, NULL),
				    "parameter '%s' has a default password; remove the Default and "
				    "pass the value at deploy time, or use a dynamic reference",
				    p->name);
	}
}

/* SECRET-004 */
static void private_key(struct walk *w, const char *key, const struct tval *v)
{
	char loc[200];

	if (!strstr(v->text, "PRIVATE KEY-----")) /* text ends with a NUL, memmem() is slower */
		return;
	where(w, key, loc, sizeof(loc));
	policy_flag(w->cx, w->r, pr_pos(v, w->r),
		    "%s holds a private key; keep it in Secrets Manager (or SSM) and read it at "
		    "run time, and replace the key",
		    loc);
}

/* Each string, to each rule's pattern, reported under that rule. */
static void every_pattern(struct walk *w, const char *key, const struct tval *v)
{
	static void (*const found[])(struct walk *, const char *, const struct tval *) = {
		access_key, /* SECRET-001, in the order of the table below */
		secret_key,
		password,
		private_key,
	};
	const struct policy_rule *self = w->cx->rule;

	for (size_t i = 0; i < ARRAY_SIZE(found); i++) {
		w->cx->rule = w->rules[i];
		found[i](w, key, v);
	}
	w->cx->rule = self;
}

static void check_credentials(struct policy_ctx *cx, const struct template_resource *none)
{
	const struct policy_rule *self = cx->rule;
	struct walk w = {.cx = cx, .on_string = every_pattern};

	/* Findings name the catalogue's entries, which are copies of this table's. */
	for (size_t i = 0; i < ARRAY_SIZE(w.rules); i++)
		if (!(w.rules[i] = policy_rule_find(policy_rules_credentials[i].id)))
			return;
	cx->rule = w.rules[2];
	check_param_passwords(cx);
	cx->rule = self;
	walk_template(&w);
}

/* SECRET-002 to 004: reported by check_credentials(), SECRET-001's walk. */
static void found_by_the_walk(struct policy_ctx *cx, const struct template_resource *none)
{
	(void)cx;
}

const struct policy_rule policy_rules_credentials[] = {
	{
		.id = "SECRET-001",
		.service = "Secrets",
		.severity = POLICY_ERROR,
		.title = "AWS access key id in the template",
		.why = "A key id next to its secret is a working credential; in a repository "
		       "it is found by scanners within minutes.",
		.fix = "Remove it, deactivate and delete the key, and give the workload a role.",
		.types = NULL,
		.check = check_credentials,
	},
	{
		.id = "SECRET-002",
		.service = "Secrets",
		.severity = POLICY_ERROR,
		.title = "AWS secret access key in the template",
		.why = "A secret access key in the template is in the repository history for "
		       "good, and in every copy of the stack's template.",
		.fix = "Remove it, rotate the key, and give the workload a role.",
		.types = NULL,
		.check = found_by_the_walk,
	},
	{
		.id = "SECRET-003",
		.service = "Secrets",
		.severity = POLICY_ERROR,
		.title = "Password in plain text",
		.why = "A password in the template or a parameter default is readable by "
		       "anyone with the repository or cloudformation:GetTemplate.",
		.fix = "Use a dynamic reference {{resolve:secretsmanager:...}}, or a NoEcho "
		       "parameter without Default.",
		.types = NULL,
		.check = found_by_the_walk,
	},
	{
		.id = "SECRET-004",
		.service = "Secrets",
		.severity = POLICY_ERROR,
		.title = "Private key in the template",
		.why = "A private key in the template is in the repository and in every copy "
		       "of the stack's template; whoever reads either can impersonate its "
		       "owner.",
		.fix = "Replace the key, store the new one in Secrets Manager or SSM, and read "
		       "it at run time.",
		.types = NULL,
		.check = found_by_the_walk,
	},
	{0},
};
