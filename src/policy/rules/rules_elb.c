/*
 * Rules for Elastic Load Balancing: listeners of application and network
 * load balancers (plain HTTP, TLS policy), their attributes (access logs,
 * dropping invalid headers) and classic load balancers' access logs.
 *
 * Load balancer attributes are a list of {Key, Value} pairs whose values
 * are strings ("true"), not booleans.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const listener_types[] = {"AWS::ElasticLoadBalancingV2::Listener", NULL};
static const char *const lb_types[] = {"AWS::ElasticLoadBalancingV2::LoadBalancer", NULL};
static const char *const classic_types[] = {"AWS::ElasticLoadBalancing::LoadBalancer", NULL};

static bool secure_protocol(const char *p)
{
	static const char *const ok[] = {"HTTPS", "TLS", "TCP", "UDP", "TCP_UDP"};

	for (size_t i = 0; p && i < ARRAY_SIZE(ok); i++)
		if (!strcmp(p, ok[i]))
			return true;
	return false;
}

struct redirect {
	const struct tval *https; /* a redirect action to HTTPS */
	bool port_443;
};

static void find_redirect(const struct tval *action, void *arg)
{
	struct redirect *rd = arg;
	const struct tval *cfg = tval_get(action, "RedirectConfig");
	long long port;

	if (rd->https || !tval_str_eq(tval_get(action, "Type"), "redirect") ||
	    !tval_str_eq(tval_get(cfg, "Protocol"), "HTTPS"))
		return;
	rd->https = action;
	rd->port_443 = tval_int(tval_get(cfg, "Port"), &port) == 0 && port == 443;
}

/*
 * ELB-001: an HTTP listener must only redirect to HTTPS, on port 443
 * (without a port the redirect keeps the listener's own). checkov splits
 * this in three: CKV_AWS_2 (plain HTTP without a redirect), CKV_AWS_175
 * (the same on port 80, and the redirect's port) and CKV2_AWS_20 (a load
 * balancer with such a listener, which sluice reports on the listener).
 */
static void check_plain_http(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *proto = tval_get(r->props, "Protocol");
	struct redirect rd = {NULL, false};
	long long port = 0;
	bool on_80;

	if (!tval_str(proto) || (proto->flags & TVAL_F_PARTIAL) || secure_protocol(proto->text))
		return;
	on_80 = tval_int(tval_get(r->props, "Port"), &port) == 0 && port == 80;
	pr_items(r->props, "DefaultActions", find_redirect, &rd);
	if (!rd.https)
		policy_flag_as(
			cx, r, pr_pos(proto, r),
			on_80 ? "CKV_AWS_2,CKV_AWS_175,CKV2_AWS_20" : "CKV_AWS_2,CKV2_AWS_20", NULL,
			"listener '%s' serves plain %s; use HTTPS, or make its default "
			"action a redirect to HTTPS on port 443",
			r->id, proto->text);
	else if (!rd.port_443)
		policy_flag_as(cx, r, pr_pos(rd.https, r),
			       on_80 ? "CKV_AWS_175,CKV2_AWS_20" : "CKV2_AWS_20", "",
			       "listener '%s' redirects to HTTPS without Port 443, so the redirect "
			       "keeps the listener's port; set RedirectConfig Port: 443",
			       r->id);
}

/*
 * ELB-002: the predefined policies that refuse TLS below 1.2. checkov knows
 * the TLS-1-2 and FS-1-2 families; the TLS13 family refuses it too.
 */
static bool tls12_policy(const char *p)
{
	static const char *const prefixes[] = {
		"ELBSecurityPolicy-TLS-1-2", "ELBSecurityPolicy-FS-1-2",
		"ELBSecurityPolicy-TLS13-1-2", "ELBSecurityPolicy-TLS13-1-3"};

	for (size_t i = 0; p && i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(p, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static void check_tls_policy(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *proto = tval_get(r->props, "Protocol");
	const struct tval *pol = tval_get(r->props, "SslPolicy");

	if (!tval_str_eq(proto, "HTTPS") && !tval_str_eq(proto, "TLS"))
		return;
	if (pol && (pol->kind != TVAL_STRING || (pol->flags & TVAL_F_PARTIAL)))
		return;
	if (!pol || !tls12_policy(pol->text))
		policy_flag(cx, r, pr_pos(pol ? pol : proto, r),
			    "listener '%s' accepts TLS below 1.2 (SslPolicy %s); set "
			    "ELBSecurityPolicy-TLS13-1-2-2021-06",
			    r->id, pol ? pol->text : "default ELBSecurityPolicy-2016-08");
}

/* The Value of the attribute `key` ("true"), the attribute item for `*item`. */
static const struct tval *attribute(const struct template_resource *r, const char *key,
				    const struct tval **item)
{
	const struct tval *list = tval_get(r->props, "LoadBalancerAttributes");

	*item = NULL;
	for (size_t i = 0; list && list->kind == TVAL_SEQ && i < list->n; i++)
		if (tval_str_eq(tval_get(list->items[i], "Key"), key)) {
			*item = list->items[i];
			return tval_get(list->items[i], "Value");
		}
	return NULL;
}

static bool application(const struct template_resource *r)
{
	const struct tval *type = tval_get(r->props, "Type");

	return !type || tval_str_eq(type, "application");
}

/* ELB-003 */
static void check_invalid_headers(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *item, *v;

	if (!application(r))
		return;
	v = attribute(r, "routing.http.drop_invalid_header_fields.enabled", &item);
	if (!v || pr_not_true(v))
		policy_flag(cx, r, item ? pr_pos(item, r) : NULL,
			    "load balancer '%s' forwards requests with invalid headers; set the "
			    "attribute routing.http.drop_invalid_header_fields.enabled to true",
			    r->id);
}

/* ELB-004 */
static void check_v2_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *item, *v = attribute(r, "access_logs.s3.enabled", &item);

	if (!v || pr_not_true(v))
		policy_flag(cx, r, item ? pr_pos(item, r) : NULL,
			    "load balancer '%s' writes no access logs; set the attributes "
			    "access_logs.s3.enabled: true and access_logs.s3.bucket",
			    r->id);
}

static const struct pr_spec classic_logs = {
	.path = "AccessLoggingPolicy.Enabled",
	.want = PR_WANT_TRUE,
	.noun = "load balancer",
	.problem = "writes no access logs",
	.fix = "set AccessLoggingPolicy with Enabled: true and an S3BucketName",
};

const struct policy_rule policy_rules_elb[] = {
	{
		.id = "ELB-001",
		.service = "ELB",
		.severity = POLICY_ERROR,
		.title = "Listener serving plain HTTP",
		.why = "An HTTP listener that does not redirect to HTTPS carries requests, "
		       "cookies and tokens unencrypted.",
		.fix = "Use Protocol HTTPS with a certificate; keep HTTP on port 80 only as a "
		       "default action redirecting to HTTPS on port 443.",
		.checkov = "CKV_AWS_2,CKV_AWS_175,CKV2_AWS_20",
		.guard = "ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK",
		.types = listener_types,
		.check = check_plain_http,
	},
	{
		.id = "ELB-002",
		.service = "ELB",
		.severity = POLICY_ERROR,
		.title = "Listener accepting TLS below 1.2",
		.why = "Without an explicit policy a listener uses ELBSecurityPolicy-2016-08, "
		       "which accepts TLS 1.0 and 1.1 (deprecated by RFC 8996).",
		.fix = "Set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another "
		       "TLS 1.2+ policy).",
		.cfn_nag = "W55",
		.checkov = "CKV_AWS_103",
		.types = listener_types,
		.check = check_tls_policy,
	},
	{
		.id = "ELB-003",
		.service = "ELB",
		.severity = POLICY_WARNING,
		.title = "Application load balancer keeping invalid headers",
		.why = "Forwarding header fields with invalid characters exposes the targets "
		       "to request smuggling and header injection.",
		.fix = "Add the attribute routing.http.drop_invalid_header_fields.enabled: "
		       "\"true\".",
		.checkov = "CKV_AWS_131",
		.guard = "ALB_HTTP_DROP_INVALID_HEADER_ENABLED",
		.types = lb_types,
		.check = check_invalid_headers,
	},
	{
		.id = "ELB-004",
		.service = "ELB",
		.severity = POLICY_WARNING,
		.title = "Load balancer without access logs",
		.why = "Access logs are the record of every request the load balancer "
		       "received: client, path, status and latency.",
		.fix = "Add the attributes access_logs.s3.enabled: \"true\" and "
		       "access_logs.s3.bucket.",
		.checkov = "CKV_AWS_91",
		.guard = "ELB_LOGGING_ENABLED",
		.types = lb_types,
		.check = check_v2_logs,
	},
	{
		.id = "ELB-005",
		.service = "ELB",
		.severity = POLICY_WARNING,
		.title = "Classic load balancer without access logs",
		.why = "Access logs are the record of every request the load balancer "
		       "received: client, path, status and latency.",
		.fix = "Set AccessLoggingPolicy with Enabled: true and an S3BucketName.",
		.cfn_nag = "W26",
		.checkov = "CKV_AWS_92",
		.guard = "ELB_LOGGING_ENABLED",
		.types = classic_types,
		.check = pr_check_spec,
		.spec = &classic_logs,
	},
	{0},
};
