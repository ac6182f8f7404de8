/*
 * Rules for API Gateway, REST (v1) and HTTP (v2) APIs, written as raw
 * CloudFormation (Stage, Method, Route, DomainName) or as SAM's
 * AWS::Serverless::Api/HttpApi and function events: access logging,
 * authorization, TLS on custom domains, throttling and tracing.
 *
 * Routes declared as SAM function events come from the template model's
 * route list, which already resolved the authorizer in effect (the event's
 * own, else the API's DefaultAuthorizer).
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const log_types[] = {
	"AWS::ApiGateway::Stage",
	"AWS::ApiGatewayV2::Stage",
	"AWS::Serverless::Api",
	"AWS::Serverless::HttpApi",
	NULL,
};
static const char *const method_types[] = {
	"AWS::ApiGateway::Method",
	"AWS::ApiGatewayV2::Route",
	NULL,
};
static const char *const domain_types[] = {
	"AWS::ApiGateway::DomainName",
	"AWS::ApiGatewayV2::DomainName",
	"AWS::Serverless::Api",
	"AWS::Serverless::HttpApi",
	NULL,
};
static const char *const rest_stage_types[] = {
	"AWS::ApiGateway::Stage",
	"AWS::Serverless::Api",
	NULL,
};

static bool is_v2(const struct template_resource *r)
{
	return !strcmp(r->type, "AWS::ApiGatewayV2::Stage") ||
	       !strcmp(r->type, "AWS::Serverless::HttpApi");
}

static const char *noun(const struct template_resource *r)
{
	return strstr(r->type, "::Stage") ? "stage" : "API";
}

static void check_access_log(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *path =
		is_v2(r) ? "AccessLogSettings.DestinationArn" : "AccessLogSetting.DestinationArn";

	if (pr_any(r->props, path, pr_missing, NULL))
		policy_flag_as(cx, r, NULL, is_v2(r) ? "CKV_AWS_95" : "CKV_AWS_76",
			       !strcmp(r->type, "AWS::ApiGateway::Stage")     ? "W69"
			       : !strcmp(r->type, "AWS::ApiGatewayV2::Stage") ? "W46"
									      : "",
			       "%s '%s' writes no access logs; set %s with a DestinationArn and a "
			       "Format",
			       noun(r), r->id, is_v2(r) ? "AccessLogSettings" : "AccessLogSetting");
}

static bool auth_none(const struct tval *v)
{
	return pr_missing(v) || tval_str_eq(v, "NONE");
}

static void check_method_auth(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (!strcmp(r->type, "AWS::ApiGateway::Method")) {
		if (tval_str_eq(tval_get(r->props, "HttpMethod"), "OPTIONS"))
			return;
	} else {
		const char *key = tval_str(tval_get(r->props, "RouteKey"));

		if (key && (!strncmp(key, "OPTIONS ", 8) || key[0] == '$'))
			return;
	}
	if (pr_any(r->props, "AuthorizationType", auth_none, &hit))
		policy_flag_as(cx, r, pr_pos(hit, r), strstr(r->type, "Method") ? "CKV_AWS_59" : "",
			       strstr(r->type, "Method") ? "W59" : "",
			       "%s '%s' has no authorization; set AuthorizationType (AWS_IAM, "
			       "COGNITO_USER_POOLS, CUSTOM or JWT) with an authorizer",
			       strstr(r->type, "Method") ? "method" : "route", r->id);
}

/*
 * A route of a SAM Api/HttpApi event. The model also lists the routes of
 * plain CloudFormation methods and of OpenAPI operations (for `sluice dev`);
 * those name their payload version, and are judged here as the Method
 * resources and operations they are.
 */
static bool sam_event_route(const struct template_route *rt)
{
	return !rt->payload_version;
}

/* Is this OpenAPI operation also a SAM event's route (reported as such)? */
static bool is_event_route(const struct template *t, const struct template_api_op *op)
{
	for (size_t i = 0; i < t->nroutes; i++) {
		const struct template_route *rt = &t->routes[i];

		if (sam_event_route(rt) && rt->api && !strcmp(rt->api, op->api) && rt->path &&
		    !strcmp(rt->path, op->path) && rt->method && !strcmp(rt->method, op->method))
			return true;
	}
	return false;
}

/*
 * Operations of OpenAPI definitions (DefinitionBody, Body). checkov reads
 * only AWS::ApiGateway::Method resources, so these carry no checkov id.
 */
static void check_openapi_auth(struct policy_ctx *cx)
{
	const struct template *t = cx->t;

	for (size_t i = 0; i < t->napi_ops; i++) {
		const struct template_api_op *op = &t->api_ops[i];
		const struct template_resource *api = template_resource(t, op->api);

		if (op->authorizer || !strcmp(op->method, "OPTIONS") || is_event_route(t, op))
			continue;
		if (api && api->cond_value == TCOND_FALSE)
			continue;
		policy_flag_as(cx, api, &op->pos, "", "",
			       "operation %s %s of API '%s'%s%s%s has no authorizer; add a "
			       "security requirement (or x-amazon-apigateway-auth AWS_IAM) to the "
			       "operation or the definition%s",
			       op->method, op->path, op->api, op->function ? " (function '" : "",
			       op->function ? op->function : "", op->function ? "')" : "",
			       api && !strncmp(api->type, "AWS::Serverless::", 17)
				       ? ", or Auth.DefaultAuthorizer on the API"
				       : "");
	}
}

/* SAM Api/HttpApi events, from the model's route list, and OpenAPI operations. */
static void check_route_auth(struct policy_ctx *cx, const struct template_resource *none)
{
	const struct template *t = cx->t;

	check_openapi_auth(cx);

	for (size_t i = 0; i < t->nroutes; i++) {
		const struct template_route *rt = &t->routes[i];
		const struct template_resource *fn = template_resource(t, rt->function);

		if (!sam_event_route(rt) || rt->authorizer ||
		    (rt->method && !strcmp(rt->method, "OPTIONS")))
			continue;
		if (fn && fn->cond_value == TCOND_FALSE)
			continue;
		policy_flag(cx, fn, &rt->pos,
			    "route %s %s of function '%s' (event %s) has no authorizer; set "
			    "Auth.Authorizer on the event or Auth.DefaultAuthorizer on the API",
			    rt->method ? rt->method : "ANY", rt->path ? rt->path : "/",
			    rt->function, rt->event);
	}
}

static bool tls10(const struct tval *v)
{
	return tval_str_eq(v, "TLS_1_0");
}

static bool tls10_or_missing(const struct tval *v)
{
	return pr_missing(v) || tls10(v);
}

/* Each of an HTTP API domain's configurations (TLS_1_2 is its default). */
static bool v2_domain_tls10(const struct template_resource *r, const struct tval **hit)
{
	const struct tval *list = tval_get(r->props, "DomainNameConfigurations");
	char path[64];

	for (size_t i = 0; list && list->kind == TVAL_SEQ && i < list->n; i++) {
		snprintf(path, sizeof(path), "DomainNameConfigurations.%zu.SecurityPolicy", i);
		if (pr_any(r->props, path, tls10, hit))
			return true;
	}
	return false;
}

static void check_domain_tls(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit = NULL;
	bool bad = false;

	if (!strcmp(r->type, "AWS::ApiGateway::DomainName"))
		bad = pr_any(r->props, "SecurityPolicy", tls10_or_missing, &hit);
	else if (!strcmp(r->type, "AWS::ApiGatewayV2::DomainName"))
		bad = v2_domain_tls10(r, &hit);
	else if (!pr_any(r->props, "Domain", pr_missing, NULL))
		bad = pr_any(r->props, "Domain.SecurityPolicy", is_v2(r) ? tls10 : tls10_or_missing,
			     &hit);
	if (bad)
		policy_flag(cx, r, pr_pos(hit, r),
			    "custom domain of '%s' accepts TLS 1.0; set SecurityPolicy: TLS_1_2",
			    r->id);
}

static bool has_key(const struct tval *v, const char *key)
{
	return v && v->kind == TVAL_MAP && tval_get(v, key);
}

struct throttle_ctx {
	bool found;
};

static void method_setting(const struct tval *item, void *arg)
{
	struct throttle_ctx *c = arg;

	if (has_key(item, "ThrottlingRateLimit") || has_key(item, "ThrottlingBurstLimit"))
		c->found = true;
}

static void check_throttling(struct policy_ctx *cx, const struct template_resource *r)
{
	struct throttle_ctx c = {false};

	if (is_v2(r)) {
		const struct tval *d = tval_get(r->props, "DefaultRouteSettings");

		c.found = has_key(d, "ThrottlingRateLimit") || has_key(d, "ThrottlingBurstLimit") ||
			  tval_get(r->props, "RouteSettings");
	} else {
		pr_items(r->props, "MethodSettings", method_setting, &c);
	}
	if (!c.found)
		policy_flag(cx, r, NULL,
			    "%s '%s' has no throttling limits; set %s ThrottlingRateLimit and "
			    "ThrottlingBurstLimit",
			    noun(r), r->id, is_v2(r) ? "DefaultRouteSettings" : "MethodSettings");
}

static void check_tracing(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "TracingEnabled", pr_not_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "%s '%s' has X-Ray tracing off; set TracingEnabled: true", noun(r),
			    r->id);
}

/* APIGW-007 */
static void check_cache(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "CacheClusterEnabled", pr_not_true, &hit))
		policy_flag(cx, r, pr_missing(hit) ? NULL : pr_pos(hit, r),
			    "%s '%s' has no response cache; set CacheClusterEnabled: true (with "
			    "a CacheClusterSize) so bursts of repeated requests do not all reach "
			    "the functions",
			    noun(r), r->id);
}

static const char *const throttle_types[] = {
	"AWS::ApiGateway::Stage",
	"AWS::ApiGatewayV2::Stage",
	"AWS::Serverless::Api",
	"AWS::Serverless::HttpApi",
	NULL,
};

const struct policy_rule policy_rules_apigw[] = {
	{
		.id = "APIGW-001",
		.service = "API Gateway",
		.severity = POLICY_ERROR,
		.title = "API stage without access logging",
		.why = "Access logs are the only record of who called which route, from "
		       "where, and with what result.",
		.fix = "Set AccessLogSetting (REST) or AccessLogSettings (HTTP) with a log "
		       "group ARN as DestinationArn and a Format.",
		.cfn_nag = "W69,W46",
		.checkov = "CKV_AWS_76,CKV_AWS_95",
		.guard = "API_GW_EXECUTION_LOGGING_ENABLED,API_GWV2_ACCESS_LOGS_ENABLED",
		.types = log_types,
		.check = check_access_log,
	},
	{
		.id = "APIGW-002",
		.service = "API Gateway",
		.severity = POLICY_WARNING,
		.title = "Route or method without authorization",
		.why = "A route without an authorizer can be called by anyone who knows the "
		       "URL; authorization then depends on the function alone.",
		.fix = "Set an authorizer (AWS_IAM, Cognito, JWT or Lambda) on the route, or "
		       "a DefaultAuthorizer on the API; public routes suppress this rule with "
		       "a reason.",
		.cfn_nag = "W59",
		.checkov = "CKV_AWS_59",
		.guard = "API_GWV2_AUTHORIZATION_TYPE_CONFIGURED",
		.types = method_types,
		.check = check_method_auth,
	},
	{
		.id = "APIGW-003",
		.service = "API Gateway",
		.severity = POLICY_ERROR,
		.title = "Custom domain accepting TLS below 1.2",
		.why = "TLS 1.0 and 1.1 have known weaknesses and are deprecated (RFC 8996).",
		.fix = "Set SecurityPolicy: TLS_1_2 on the domain name.",
		.checkov = "CKV_AWS_206",
		.guard = "API_GW_SSL_ENABLED",
		.types = domain_types,
		.check = check_domain_tls,
	},
	{
		.id = "APIGW-004",
		.service = "API Gateway",
		.severity = POLICY_WARNING,
		.title = "API stage without throttling",
		.why = "Without stage limits one client can consume the account's API "
		       "Gateway and Lambda capacity and the bill that comes with it.",
		.fix = "Set ThrottlingRateLimit and ThrottlingBurstLimit in MethodSettings "
		       "(REST) or DefaultRouteSettings (HTTP).",
		.types = throttle_types,
		.check = check_throttling,
	},
	{
		.id = "APIGW-005",
		.service = "API Gateway",
		.severity = POLICY_WARNING,
		.title = "REST API stage without X-Ray tracing",
		.why = "Without tracing, a slow or failing request cannot be followed from "
		       "the gateway into the functions and services it calls.",
		.fix = "Set TracingEnabled: true on the stage (or the Serverless::Api).",
		.checkov = "CKV_AWS_73",
		.guard = "API_GW_XRAY_ENABLED",
		.types = rest_stage_types,
		.check = check_tracing,
	},
	{
		.id = "APIGW-006",
		.service = "API Gateway",
		.severity = POLICY_WARNING,
		.title = "Route without authorizer (SAM events, OpenAPI definitions)",
		.why = "A route without an authorizer can be called by anyone who knows the "
		       "URL; authorization then depends on the function alone.",
		.fix = "Set Auth.Authorizer on the Api/HttpApi event, Auth.DefaultAuthorizer on "
		       "the API, or a security requirement in the OpenAPI definition; public "
		       "routes suppress this rule with a reason.",
		.checkov = "CKV_AWS_59",
		.guard = "API_GWV2_AUTHORIZATION_TYPE_CONFIGURED",
		.types = NULL,
		.check = check_route_auth,
	},
	{
		.id = "APIGW-007",
		.service = "API Gateway",
		.severity = POLICY_WARNING,
		.title = "REST API stage without a cache",
		.why = "Without a stage cache every repeated request reaches the integration, "
		       "so a burst of identical calls costs function time and throttling "
		       "headroom.",
		.fix = "Set CacheClusterEnabled: true and a CacheClusterSize (SAM: on the "
		       "Serverless::Api); stages whose answers must never be cached suppress "
		       "this rule with that reason.",
		.checkov = "CKV_AWS_120",
		.types = rest_stage_types,
		.check = check_cache,
	},
	{0},
};
