/*
 * Rules for CloudFront distributions: HTTPS to viewers and to origins, the
 * viewer TLS policy, access logs, a WAF web ACL, a response headers policy,
 * and how S3 origins are reached: through origin access control (OAC), not
 * the legacy origin access identity (OAI) nor a public bucket or website
 * endpoint.
 *
 * Everything is under Properties.DistributionConfig; cache behaviors are
 * DefaultCacheBehavior and each item of CacheBehaviors.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const dist_types[] = {"AWS::CloudFront::Distribution", NULL};

struct cf_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

/* Call `fn` with DefaultCacheBehavior and each CacheBehaviors item. */
static void each_behavior(struct cf_ctx *c, void (*fn)(const struct tval *b, void *arg))
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(tval_get_path(c->r->props, "DistributionConfig.DefaultCacheBehavior"),
			     alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < n; i++)
		if (alts[i] && alts[i]->kind == TVAL_MAP)
			fn(alts[i], c);
	pr_items(c->r->props, "DistributionConfig.CacheBehaviors", fn, c);
}

/* CF-001 */
static void viewer_policy(const struct tval *b, void *arg)
{
	struct cf_ctx *c = arg;
	const struct tval *hit;

	if (pr_any(b, "ViewerProtocolPolicy", pr_missing, NULL))
		return;
	if (tval_str_eq(tval_get(b, "ViewerProtocolPolicy"), "allow-all")) {
		hit = tval_get(b, "ViewerProtocolPolicy");
		policy_flag(c->cx, c->r, pr_pos(hit, c->r),
			    "distribution '%s' serves viewers over plain HTTP "
			    "(ViewerProtocolPolicy allow-all); set redirect-to-https or https-only",
			    c->r->id);
	}
}

static void check_viewer_https(struct policy_ctx *cx, const struct template_resource *r)
{
	struct cf_ctx c = {cx, r};

	each_behavior(&c, viewer_policy);
}

/* CF-002: "TLSv1.2_2021", "TLSv1.3_2025"; the default certificate allows TLSv1. */
static bool modern_tls(const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n != 12 || (strncmp(v, "TLSv1.2_", 8) && strncmp(v, "TLSv1.3_", 8)))
		return false;
	for (size_t i = 8; i < 12; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static void check_tls(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *cert = tval_get_path(r->props, "DistributionConfig.ViewerCertificate");
	const struct tval *min = tval_get(cert, "MinimumProtocolVersion");
	const char *v = tval_str(min);

	if (!cert) {
		policy_flag(cx, r, NULL,
			    "distribution '%s' uses the default CloudFront certificate, which "
			    "accepts TLS 1.0; set ViewerCertificate with an ACM certificate and "
			    "MinimumProtocolVersion: TLSv1.2_2021",
			    r->id);
		return;
	}
	if (cert->kind != TVAL_MAP ||
	    (min && (min->kind == TVAL_UNKNOWN || (min->flags & TVAL_F_PARTIAL))))
		return;
	if (pr_is_true(tval_get(cert, "CloudFrontDefaultCertificate")))
		policy_flag(cx, r, pr_pos(cert, r),
			    "distribution '%s' uses the default CloudFront certificate, which "
			    "accepts TLS 1.0; use an ACM certificate with MinimumProtocolVersion: "
			    "TLSv1.2_2021",
			    r->id);
	else if (!modern_tls(v))
		policy_flag(cx, r, pr_pos(min ? min : cert, r),
			    "distribution '%s' accepts TLS below 1.2 (MinimumProtocolVersion %s); "
			    "set TLSv1.2_2021",
			    r->id, v ? v : "not set");
}

/* CF-003 */
static void check_logging(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "DistributionConfig.Logging.Bucket", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "distribution '%s' writes no access logs; set DistributionConfig "
			    "Logging with a Bucket",
			    r->id);
}

/* CF-004 */
static void check_waf(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_any(r->props, "DistributionConfig.WebACLId", pr_missing, NULL))
		policy_flag(cx, r, NULL,
			    "distribution '%s' has no WAF web ACL; set DistributionConfig WebACLId "
			    "(a WAFv2 web ACL in us-east-1, scope CLOUDFRONT)",
			    r->id);
}

/* ----- origins ----- */

static bool domain_has(const struct tval *origin, const char *part)
{
	const char *d = tval_str(tval_get(origin, "DomainName"));

	return d && strstr(d, part);
}

/* An S3 website endpoint (bucket.s3-website-eu-west-1.amazonaws.com): public, HTTP only. */
static bool website_origin(const struct tval *origin)
{
	return domain_has(origin, ".s3-website") || domain_has(origin, ".s3-website.");
}

static bool s3_origin(const struct tval *origin)
{
	const struct tval *dn = tval_get(origin, "DomainName");

	if (tval_get(origin, "S3OriginConfig"))
		return true;
	/* !GetAtt Bucket.RegionalDomainName / DomainName */
	if (dn && dn->kind == TVAL_UNKNOWN && dn->unk == TUNK_GETATT && dn->attr &&
	    strstr(dn->attr, "DomainName") && !tval_get(origin, "CustomOriginConfig"))
		return true;
	return !website_origin(origin) && domain_has(origin, ".s3.") &&
	       !tval_get(origin, "CustomOriginConfig");
}

/* CF-005 */
static void origin_access(const struct tval *origin, void *arg)
{
	struct cf_ctx *c = arg;
	const struct tval *oai = tval_get_path(origin, "S3OriginConfig.OriginAccessIdentity");
	const char *id = tval_str(tval_get(origin, "Id"));

	if (website_origin(origin)) {
		policy_flag(c->cx, c->r, pr_pos(origin, c->r),
			    "distribution '%s' serves origin '%s' from an S3 website endpoint, "
			    "which needs a public bucket; use the bucket's regional domain with "
			    "origin access control",
			    c->r->id, id ? id : "?");
		return;
	}
	if (!s3_origin(origin) || !pr_missing(tval_get(origin, "OriginAccessControlId")))
		return;
	if (oai && !(oai->kind == TVAL_STRING && oai->len == 0))
		policy_flag(c->cx, c->r, pr_pos(oai, c->r),
			    "distribution '%s' reaches S3 origin '%s' with a legacy origin access "
			    "identity; use origin access control (OriginAccessControlId) instead",
			    c->r->id, id ? id : "?");
	else
		policy_flag(c->cx, c->r, pr_pos(origin, c->r),
			    "distribution '%s' reaches S3 origin '%s' without origin access "
			    "control, so the bucket must be public; set OriginAccessControlId",
			    c->r->id, id ? id : "?");
}

static void check_origin_access(struct policy_ctx *cx, const struct template_resource *r)
{
	struct cf_ctx c = {cx, r};

	pr_items(r->props, "DistributionConfig.Origins", origin_access, &c);
}

/*
 * CF-006. checkov asks it of load balancer and media origins (whose HTTPS
 * it can tell from the domain); sluice of every custom origin but an S3
 * website endpoint, which cannot do HTTPS and is CF-005's finding.
 */
static void origin_protocol(const struct tval *origin, void *arg)
{
	struct cf_ctx *c = arg;
	const struct tval *p = tval_get_path(origin, "CustomOriginConfig.OriginProtocolPolicy");
	const char *id = tval_str(tval_get(origin, "Id"));
	bool disabled = pr_is_false(tval_get_path(c->r->props, "DistributionConfig.Enabled"));
	bool named = domain_has(origin, ".elb.") || domain_has(origin, ".mediastore.") ||
		     domain_has(origin, ".mediapackage.");

	if (!p || website_origin(origin) || p->kind != TVAL_STRING || (p->flags & TVAL_F_PARTIAL) ||
	    tval_str_eq(p, "https-only"))
		return;
	policy_flag_as(c->cx, c->r, pr_pos(p, c->r), named && !disabled ? "CKV2_AWS_72" : "", NULL,
		       "distribution '%s' may reach origin '%s' over plain HTTP "
		       "(OriginProtocolPolicy %s); set https-only",
		       c->r->id, id ? id : "?", p->text);
}

static void check_origin_https(struct policy_ctx *cx, const struct template_resource *r)
{
	struct cf_ctx c = {cx, r};

	pr_items(r->props, "DistributionConfig.Origins", origin_protocol, &c);
}

/* CF-007 */
static void headers_policy(const struct tval *b, void *arg)
{
	struct cf_ctx *c = arg;

	if (pr_any(b, "ResponseHeadersPolicyId", pr_missing, NULL))
		policy_flag(c->cx, c->r, pr_pos(b, c->r),
			    "distribution '%s' adds no security headers to its answers; set "
			    "ResponseHeadersPolicyId (the managed SecurityHeadersPolicy, or "
			    "your own with HSTS and a content security policy)",
			    c->r->id);
}

static void check_headers(struct policy_ctx *cx, const struct template_resource *r)
{
	struct cf_ctx c = {cx, r};

	each_behavior(&c, headers_policy);
}

const struct policy_rule policy_rules_cloudfront[] = {
	{
		.id = "CF-001",
		.service = "CloudFront",
		.severity = POLICY_ERROR,
		.title = "Distribution serving viewers over plain HTTP",
		.why = "With allow-all, requests and answers, cookies and tokens included, "
		       "travel unencrypted between the viewer and the edge.",
		.fix = "Set ViewerProtocolPolicy: redirect-to-https (or https-only) on every "
		       "cache behavior.",
		.checkov = "CKV_AWS_34",
		.guard = "CLOUDFRONT_VIEWER_POLICY_HTTPS",
		.types = dist_types,
		.check = check_viewer_https,
	},
	{
		.id = "CF-002",
		.service = "CloudFront",
		.severity = POLICY_ERROR,
		.title = "Distribution accepting TLS below 1.2",
		.why = "TLS 1.0 and 1.1 are deprecated (RFC 8996); the default CloudFront "
		       "certificate cannot refuse them.",
		.fix = "Use an ACM certificate (in us-east-1) in ViewerCertificate with "
		       "SslSupportMethod: sni-only and MinimumProtocolVersion: TLSv1.2_2021.",
		.cfn_nag = "W70",
		.checkov = "CKV_AWS_174",
		.guard = "CLOUDFRONT_SECURITY_POLICY_CHECK",
		.types = dist_types,
		.check = check_tls,
	},
	{
		.id = "CF-003",
		.service = "CloudFront",
		.severity = POLICY_WARNING,
		.title = "Distribution without access logs",
		.why = "Edge access logs are the record of who requested what from where; "
		       "without them abuse and data scraping go unseen.",
		.fix = "Set DistributionConfig.Logging.Bucket (a bucket with ACLs enabled "
		       "for log delivery), or configure standard logging v2.",
		.cfn_nag = "W10",
		.checkov = "CKV_AWS_86",
		.guard = "CLOUDFRONT_ACCESSLOGS_ENABLED",
		.types = dist_types,
		.check = check_logging,
	},
	{
		.id = "CF-004",
		.service = "CloudFront",
		.severity = POLICY_WARNING,
		.title = "Distribution without a WAF web ACL",
		.why = "A web ACL at the edge filters common exploits, bad bots and floods "
		       "before they reach the origin and the bill.",
		.fix = "Set DistributionConfig.WebACLId to a WAFv2 web ACL with scope "
		       "CLOUDFRONT.",
		.checkov = "CKV_AWS_68",
		.guard = "CLOUDFRONT_ASSOCIATED_WITH_WAF",
		.types = dist_types,
		.check = check_waf,
	},
	{
		.id = "CF-005",
		.service = "CloudFront",
		.severity = POLICY_ERROR,
		.title = "S3 origin reached without origin access control",
		.why = "An S3 origin needs origin access control to stay private: without it "
		       "the bucket must be public, and the legacy origin access identity "
		       "supports neither SSE-KMS nor newer regions.",
		.fix = "Create an AWS::CloudFront::OriginAccessControl, set its id as the "
		       "origin's OriginAccessControlId (S3OriginConfig OriginAccessIdentity "
		       "\"\"), and allow cloudfront.amazonaws.com in the bucket policy with "
		       "an AWS:SourceArn condition.",
		.types = dist_types,
		.check = check_origin_access,
	},
	{
		.id = "CF-006",
		.service = "CloudFront",
		.severity = POLICY_ERROR,
		.title = "Origin reachable over plain HTTP",
		.why = "Between the edge and a custom origin, http-only or match-viewer sends "
		       "requests and answers unencrypted across the internet. Stricter than "
		       "checkov, which asks it only of load balancer and media origins.",
		.fix = "Set CustomOriginConfig OriginProtocolPolicy: https-only and give the "
		       "origin a certificate.",
		.checkov = "CKV2_AWS_72",
		.stricter = true,
		.guard = "CLOUDFRONT_TRAFFIC_TO_ORIGIN_ENCRYPTED",
		.types = dist_types,
		.check = check_origin_https,
	},
	{
		.id = "CF-007",
		.service = "CloudFront",
		.severity = POLICY_WARNING,
		.title = "Distribution without a response headers policy",
		.why = "Without a response headers policy browsers get no HSTS, "
		       "X-Content-Type-Options or frame options from the edge, so each origin "
		       "must remember to send them.",
		.fix = "Set ResponseHeadersPolicyId on each cache behavior (the managed "
		       "SecurityHeadersPolicy, or an AWS::CloudFront::ResponseHeadersPolicy).",
		.types = dist_types,
		.check = check_headers,
	},
	{0},
};
