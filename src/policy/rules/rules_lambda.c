/*
 * Rules for Lambda functions (AWS::Lambda::Function and SAM's
 * AWS::Serverless::Function, Globals already merged by the template model),
 * their resource policies (AWS::Lambda::Permission) and function URLs
 * (SAM's FunctionUrlConfig arrives as the AWS::Lambda::Url it generates).
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

/* A secret-looking name with a literal value, or a credential in any value. */
static void env_value(struct env_ctx *e, const char *name, const struct tval *v)
{
	const char *what = NULL;

	if (pr_plaintext_secret(name, v))
		policy_flag(e->cx, e->r, pr_pos(v, e->r),
			    "function '%s' has the secret %s in plain text in its environment; "
			    "read it from Secrets Manager or SSM at run time, or use a dynamic "
			    "reference",
			    e->r->id, name);
	else if (v && v->kind == TVAL_STRING && !(v->flags & TVAL_F_DYNREF) &&
		 pr_credential_in(v->text, v->len, &what))
		policy_flag(e->cx, e->r, pr_pos(v, e->r),
			    "function '%s' has %s in its environment variable %s; remove it and "
			    "give the function a role",
			    e->r->id, what, name);
}

static int env_map(const struct tval *vars, void *arg)
{
	struct env_ctx *e = arg;
	const struct tval *alts[TEMPLATE_MAX_ALTS];

	if (!vars || vars->kind != TVAL_MAP)
		return 0;
	for (size_t i = 0; i < vars->n; i++) {
		size_t n = tval_alts(vars->pairs[i].val, alts, ARRAY_SIZE(alts));

		for (size_t k = 0; k < n; k++)
			env_value(e, vars->pairs[i].key, alts[k]);
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

	char url_id[256];
	const struct template_resource *url;

	/* SAM's FunctionUrlConfig: checked on the "<Fn>Url" the model generates. */
	snprintf(url_id, sizeof(url_id), "%sUrl", r->id);
	url = path[0] == 'F' ? template_resource(cx->t, url_id) : NULL;
	if (url && url->implicit && !strcmp(url->type, "AWS::Lambda::Url"))
		return;
	if (pr_any(r->props, path, auth_none, &hit))
		policy_flag_as(cx, r, pr_pos(hit, r), path[0] == 'F' ? "" : "CKV_AWS_258", NULL,
			       "function URL of '%s' has AuthType NONE, so anyone can call it; set "
			       "AuthType: AWS_IAM or put it behind API Gateway with an authorizer",
			       r->id);
}

/* LAMBDA-007: failed asynchronous invocations are kept somewhere. */
static void check_dlq(struct policy_ctx *cx, const struct template_resource *r)
{
	bool sam = !strcmp(r->type, "AWS::Serverless::Function");

	if (!pr_any(r->props, "DeadLetterConfig.TargetArn", pr_missing, NULL))
		return;
	if (sam &&
	    (!pr_any(r->props, "DeadLetterQueue", pr_missing, NULL) ||
	     !pr_any(r->props, "EventInvokeConfig.DestinationConfig.OnFailure", pr_missing, NULL)))
		return;
	policy_flag_as(cx, r, NULL, sam ? "" : NULL, NULL,
		       "function '%s' drops events whose asynchronous invocation fails; set %s",
		       r->id,
		       sam ? "DeadLetterQueue or EventInvokeConfig DestinationConfig OnFailure"
			   : "DeadLetterConfig TargetArn");
}

/* LAMBDA-008 */
static void check_vpc(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "VpcConfig", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "function '%s' runs outside a VPC; set VpcConfig to reach private "
			    "resources through security groups and VPC endpoints",
			    r->id);
}

/* LAMBDA-009 */
static bool has_variables(const struct tval *v)
{
	return v && v->kind == TVAL_MAP && v->n > 0;
}

static void check_env_key(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "Environment.Variables", has_variables, &hit) &&
	    pr_any(r->props, "KmsKeyArn", pr_missing, NULL))
		policy_flag(cx, r, pr_pos(hit, r),
			    "function '%s' encrypts its environment variables with the AWS "
			    "managed key only; set KmsKeyArn to a customer managed key",
			    r->id);
}

/* LAMBDA-010: any origin, any method. */
static void check_url_cors(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *cors = tval_get(r->props, "Cors");

	if (pr_has(tval_get(cors, "AllowOrigins"), "*") &&
	    pr_has(tval_get(cors, "AllowMethods"), "*"))
		policy_flag(cx, r, pr_pos(cors, r),
			    "function URL '%s' accepts any method from any origin (CORS *); list "
			    "the origins and methods the browser clients use",
			    r->id);
}

/* LAMBDA-011 */
static bool not_active(const struct tval *v)
{
	return pr_missing(v) || (v->kind == TVAL_STRING && !(v->flags & TVAL_F_PARTIAL) &&
				 strcmp(v->text, "Active"));
}

static void check_tracing(struct policy_ctx *cx, const struct template_resource *r)
{
	bool sam = !strcmp(r->type, "AWS::Serverless::Function");
	const struct tval *hit;

	if (pr_any(r->props, sam ? "Tracing" : "TracingConfig.Mode", not_active, &hit))
		policy_flag_as(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r), sam ? "" : NULL,
			       NULL,
			       "function '%s' does not trace requests with X-Ray; set %s: Active",
			       r->id, sam ? "Tracing" : "TracingConfig Mode");
}

static const char *const url_only_types[] = {"AWS::Lambda::Url", NULL};

const struct policy_rule policy_rules_lambda[] = {
	{
		.id = "LAMBDA-001",
		.service = "Lambda",
		.severity = POLICY_ERROR,
		.title = "Deprecated Lambda runtime",
		.why = "After its deprecation date a runtime gets no security patches, and "
		       "Lambda later blocks creating and then updating functions on it. "
		       "Stricter than checkov: the date of the run decides, not a list "
		       "fixed at a release, so a runtime fails on the day it is deprecated.",
		.fix = "Move Runtime to a supported version (nodejs22.x, python3.13, java21, "
		       "dotnet10, ruby3.4, provided.al2023).",
		.checkov = "CKV_AWS_363",
		.guard = "LAMBDA_FUNCTION_SETTINGS_CHECK",
		.stricter = true,
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
		       "repository. Stricter than checkov, which looks for credential "
		       "patterns only: a literal value under a secret-looking name "
		       "(DB_PASSWORD) is flagged too.",
		.fix = "Keep the secret in Secrets Manager or SSM Parameter Store and read it "
		       "at run time; pass only its name or ARN in the environment.",
		.checkov = "CKV_AWS_45",
		.stricter = true,
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
		.checkov = "CKV_AWS_364",
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
		.checkov = "CKV_AWS_258",
		.guard = "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
		.types = url_types,
		.check = check_url_auth,
	},
	{
		.id = "LAMBDA-007",
		.service = "Lambda",
		.severity = POLICY_WARNING,
		.title = "Function without a dead-letter queue or failure destination",
		.why = "An event whose asynchronous invocation fails all its retries is "
		       "dropped without a trace unless a queue or destination keeps it.",
		.fix = "Set DeadLetterConfig.TargetArn (SAM: DeadLetterQueue, or "
		       "EventInvokeConfig DestinationConfig OnFailure); functions invoked "
		       "only synchronously suppress this rule with that reason.",
		.checkov = "CKV_AWS_116",
		.types = fn_types,
		.check = check_dlq,
	},
	{
		.id = "LAMBDA-008",
		.service = "Lambda",
		.severity = POLICY_WARNING,
		.title = "Function outside a VPC",
		.why = "Outside a VPC a function reaches the internet and AWS APIs without "
		       "security groups, VPC endpoint policies or flow logs in between.",
		.fix = "Set VpcConfig (SubnetIds, SecurityGroupIds) and reach AWS services "
		       "through VPC endpoints; functions that need no private network "
		       "suppress this rule with that reason.",
		.checkov = "CKV_AWS_117",
		.types = fn_types,
		.check = check_vpc,
	},
	{
		.id = "LAMBDA-009",
		.service = "Lambda",
		.severity = POLICY_WARNING,
		.title = "Environment variables without a customer managed key",
		.why = "With the AWS managed key, anyone allowed lambda:GetFunctionConfiguration "
		       "reads the variables; a customer managed key adds a key policy and a "
		       "CloudTrail record of each decryption.",
		.fix = "Set KmsKeyArn to a customer managed KMS key.",
		.checkov = "CKV_AWS_173",
		.types = fn_types,
		.check = check_env_key,
	},
	{
		.id = "LAMBDA-010",
		.service = "Lambda",
		.severity = POLICY_ERROR,
		.title = "Function URL with an open CORS policy",
		.why = "AllowOrigins * with AllowMethods * lets any web page make a visitor's "
		       "browser call the function with every method.",
		.fix = "List the origins and the methods in Cors.AllowOrigins and "
		       "Cors.AllowMethods.",
		.checkov = "CKV2_AWS_75",
		.types = url_only_types,
		.check = check_url_cors,
	},
	{
		.id = "LAMBDA-011",
		.service = "Lambda",
		.severity = POLICY_WARNING,
		.title = "Function without active X-Ray tracing",
		.why = "Without tracing a slow or failing request cannot be followed through "
		       "the function into the services it calls. Stricter than checkov, "
		       "which also accepts PassThrough (no tracing of its own).",
		.fix = "Set Tracing: Active (SAM) or TracingConfig.Mode: Active.",
		.checkov = "CKV2_AWS_26",
		.stricter = true,
		.types = fn_types,
		.check = check_tracing,
	},
	{0},
};
