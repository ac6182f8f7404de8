/*
 * Rules for Lambda functions (AWS::Lambda::Function and SAM's
 * AWS::Serverless::Function, Globals already merged by the template model),
 * their resource policies (AWS::Lambda::Permission) and function URLs.
 *
 * The deprecated runtimes and their dates follow the "Deprecated runtimes"
 * table of the Lambda developer guide (lambda-runtimes.html): the date is
 * the deprecation date, after which Lambda stops applying security patches.
 * A runtime counts as deprecated once that date has passed on the day of
 * the check.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const fn_types[] = {
	"AWS::Lambda::Function",
	"AWS::Serverless::Function",
	NULL,
};
static const char *const perm_types[] = {"AWS::Lambda::Permission", NULL};
static const char *const url_types[] = {
	"AWS::Lambda::Url",
	"AWS::Serverless::Function",
	NULL,
};

static const struct {
	const char *runtime;
	const char *date; /* deprecation date, YYYY-MM-DD */
	const char *instead;
} deprecated[] = {
	{"nodejs", "2016-10-31", "nodejs22.x"},
	{"nodejs4.3", "2020-03-05", "nodejs22.x"},
	{"nodejs4.3-edge", "2020-03-05", "nodejs22.x"},
	{"nodejs6.10", "2019-08-12", "nodejs22.x"},
	{"nodejs8.10", "2020-03-06", "nodejs22.x"},
	{"nodejs10.x", "2021-07-30", "nodejs22.x"},
	{"nodejs12.x", "2023-03-31", "nodejs22.x"},
	{"nodejs14.x", "2023-12-04", "nodejs22.x"},
	{"nodejs16.x", "2024-06-12", "nodejs22.x"},
	{"nodejs18.x", "2025-09-01", "nodejs22.x"},
	{"nodejs20.x", "2026-04-30", "nodejs22.x"},
	{"python2.7", "2021-07-15", "python3.13"},
	{"python3.6", "2022-07-18", "python3.13"},
	{"python3.7", "2023-12-04", "python3.13"},
	{"python3.8", "2024-10-14", "python3.13"},
	{"python3.9", "2025-12-15", "python3.13"},
	{"python3.10", "2026-06-30", "python3.13"},
	{"python3.11", "2026-06-30", "python3.13"},
	{"java8", "2024-01-08", "java21"},
	{"java8.al2", "2026-06-30", "java21"},
	{"java11", "2026-06-30", "java21"},
	{"java17", "2026-06-30", "java21"},
	{"dotnetcore1.0", "2019-07-27", "dotnet10"},
	{"dotnetcore2.0", "2019-05-30", "dotnet10"},
	{"dotnetcore2.1", "2022-01-05", "dotnet10"},
	{"dotnetcore3.1", "2023-04-03", "dotnet10"},
	{"dotnet5.0", "2022-05-10", "dotnet10"},
	{"dotnet6", "2024-11-12", "dotnet10"},
	{"dotnet7", "2024-05-14", "dotnet10"},
	{"dotnet8", "2026-11-10", "dotnet10"},
	{"ruby2.5", "2021-07-30", "ruby3.4"},
	{"ruby2.7", "2023-11-27", "ruby3.4"},
	{"ruby3.2", "2026-03-31", "ruby3.4"},
	{"go1.x", "2024-01-08", "provided.al2023"},
	{"provided", "2024-01-08", "provided.al2023"},
	{"provided.al2", "2026-06-30", "provided.al2023"},
};

static void today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void check_runtime(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(tval_get(r->props, "Runtime"), alts, ARRAY_SIZE(alts));
	char now[11];

	today(now);
	for (size_t i = 0; i < n; i++) {
		const char *rt = tval_str(alts[i]);

		for (size_t k = 0; rt && k < ARRAY_SIZE(deprecated); k++) {
			if (strcmp(rt, deprecated[k].runtime) ||
			    strcmp(deprecated[k].date, now) > 0)
				continue;
			policy_flag(cx, r, pr_pos(alts[i], r),
				    "function '%s' runs on %s, deprecated since %s; move to %s",
				    r->id, rt, deprecated[k].date, deprecated[k].instead);
		}
	}
}

struct env_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static int env_map(const struct tval *vars, void *arg)
{
	struct env_ctx *e = arg;
	const struct tval *alts[TEMPLATE_MAX_ALTS];

	if (!vars || vars->kind != TVAL_MAP)
		return 0;
	for (size_t i = 0; i < vars->n; i++) {
		size_t n = tval_alts(vars->pairs[i].val, alts, ARRAY_SIZE(alts));

		for (size_t k = 0; k < n; k++)
			if (pr_plaintext_secret(vars->pairs[i].key, alts[k]))
				policy_flag(
					e->cx, e->r, pr_pos(alts[k], e->r),
					"function '%s' has the secret %s in plain text in its "
					"environment; read it from Secrets Manager or SSM at run "
					"time, or use a dynamic reference",
					e->r->id, vars->pairs[i].key);
	}
	return 0;
}

static void check_env_secrets(struct policy_ctx *cx, const struct template_resource *r)
{
	struct env_ctx e = {cx, r};

	tval_each(r->props, "Environment.Variables", env_map, &e);
}

static void check_permission_star(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	/* A function URL's public permission is LAMBDA-006's finding. */
	if (tval_str_eq(tval_get(r->props, "FunctionUrlAuthType"), "NONE"))
		return;
	if (pr_any(r->props, "Principal", pr_principal_star, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "permission '%s' lets anyone invoke the function (Principal: *); name "
			    "the service or account that calls it",
			    r->id);
}

static bool is_service(const struct tval *v)
{
	const char *s = tval_str(v);
	size_t n = s ? strlen(s) : 0;

	return n > 14 && strcmp(s + n - 14, ".amazonaws.com") == 0;
}

static void check_permission_source(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!pr_any(r->props, "Principal", is_service, &hit))
		return;
	if (pr_any(r->props, "SourceArn", pr_missing, NULL) &&
	    pr_any(r->props, "SourceAccount", pr_missing, NULL))
		policy_flag(cx, r, pr_pos(hit, r),
			    "permission '%s' lets %s invoke the function on behalf of any account; "
			    "set SourceArn (or SourceAccount)",
			    r->id, hit->text);
}

static void check_concurrency(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "ReservedConcurrentExecutions", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "function '%s' has no reserved concurrency; set "
			    "ReservedConcurrentExecutions to cap what it can consume",
			    r->id);
}

static bool auth_none(const struct tval *v)
{
	return tval_str_eq(v, "NONE");
}

static void check_url_auth(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *path =
		strcmp(r->type, "AWS::Lambda::Url") ? "FunctionUrlConfig.AuthType" : "AuthType";
	const struct tval *hit;

	/* SAM's FunctionUrlConfig: checked on the AWS::Lambda::Url the model generates. */
	for (size_t i = 0; path[0] == 'F' && i < cx->t->nres; i++)
		if (cx->t->res[i].implicit && !strcmp(cx->t->res[i].type, "AWS::Lambda::Url") &&
		    cx->t->res[i].origin && !strcmp(cx->t->res[i].origin, r->id))
			return;
	if (pr_any(r->props, path, auth_none, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "function URL of '%s' has AuthType NONE, so anyone can call it; set "
			    "AuthType: AWS_IAM or put it behind API Gateway with an authorizer",
			    r->id);
}

const struct policy_rule policy_rules_lambda[] = {
	{
		.id = "LAMBDA-001",
		.service = "Lambda",
		.severity = POLICY_ERROR,
		.title = "Deprecated Lambda runtime",
		.why = "After its deprecation date a runtime gets no security patches, and "
		       "Lambda later blocks creating and then updating functions on it.",
		.fix = "Move Runtime to a supported version (nodejs22.x, python3.13, java21, "
		       "dotnet10, ruby3.4, provided.al2023).",
		.checkov = "CKV_AWS_363",
		.guard = "LAMBDA_FUNCTION_SETTINGS_CHECK",
		.types = fn_types,
		.check = check_runtime,
	},
	{
		.id = "LAMBDA-002",
		.service = "Lambda",
		.severity = POLICY_ERROR,
		.title = "Secret in plain text in function environment",
		.why = "Environment variables are visible to anyone who can read the "
		       "function's configuration, and the template keeps them in the "
		       "repository.",
		.fix = "Keep the secret in Secrets Manager or SSM Parameter Store and read it "
		       "at run time; pass only its name or ARN in the environment.",
		.checkov = "CKV_AWS_45",
		.types = fn_types,
		.check = check_env_secrets,
	},
	{
		.id = "LAMBDA-003",
		.service = "Lambda",
		.severity = POLICY_ERROR,
		.title = "Function invocable by anyone",
		.why = "A Permission with Principal * lets every AWS account, and for "
		       "function URLs the whole internet, invoke the function.",
		.fix = "Set Principal to the service or account that calls the function.",
		.cfn_nag = "F13",
		.guard = "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
		.types = perm_types,
		.check = check_permission_star,
	},
	{
		.id = "LAMBDA-004",
		.service = "Lambda",
		.severity = POLICY_WARNING,
		.title = "Service permission without SourceArn or SourceAccount",
		.why = "A service principal without SourceArn/SourceAccount can be made to "
		       "invoke the function on behalf of another account's resource (the "
		       "confused deputy problem).",
		.fix = "Set SourceArn to the bucket, topic, rule or API that invokes the "
		       "function (or at least SourceAccount).",
		.types = perm_types,
		.check = check_permission_source,
	},
	{
		.id = "LAMBDA-005",
		.service = "Lambda",
		.severity = POLICY_WARNING,
		.title = "Function without reserved concurrency",
		.why = "Without a cap, one function flooded with events can take the "
		       "account's whole concurrency and starve every other function.",
		.fix = "Set ReservedConcurrentExecutions to what the function needs at peak.",
		.cfn_nag = "W92",
		.checkov = "CKV_AWS_115",
		.guard = "LAMBDA_CONCURRENCY_CHECK",
		.types = fn_types,
		.check = check_concurrency,
	},
	{
		.id = "LAMBDA-006",
		.service = "Lambda",
		.severity = POLICY_ERROR,
		.title = "Function URL without authentication",
		.why = "AuthType NONE makes the function URL callable by anyone on the "
		       "internet, without throttling or a WAF in front.",
		.fix = "Set AuthType: AWS_IAM, or serve the function through API Gateway "
		       "with an authorizer.",
		.guard = "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
		.types = url_types,
		.check = check_url_auth,
	},
	{0},
};
