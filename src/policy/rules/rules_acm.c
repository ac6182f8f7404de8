/*
 * Rules for ACM certificates (AWS::CertificateManager::Certificate), the
 * certificates of CloudFront distributions and API custom domains:
 * wildcard names, certificate transparency logging, renewal that needs a
 * person (email validation), and weak keys.
 */
#include "core/common.h"

#include "policy/rules/rules.h"

static const char *const cert_types[] = {"AWS::CertificateManager::Certificate", NULL};

static bool wildcard(const struct tval *v)
{
	const char *s = tval_str(v);

	return s && !(v->flags & TVAL_F_PARTIAL) && strchr(s, '*');
}

struct san_ctx {
	const struct tval *hit;
};

static void san(const struct tval *item, void *arg)
{
	struct san_ctx *c = arg;

	if (!c->hit && wildcard(item))
		c->hit = item;
}

/* ACM-001 */
static void check_wildcard(struct policy_ctx *cx, const struct template_resource *r)
{
	struct san_ctx c = {NULL};

	if (!pr_any(r->props, "DomainName", wildcard, &c.hit))
		pr_items(r->props, "SubjectAlternativeNames", san, &c);
	if (c.hit)
		policy_flag(cx, r, pr_pos(c.hit, r),
			    "certificate '%s' covers the wildcard name %s; name the hosts it "
			    "serves",
			    r->id, c.hit->text);
}

static const struct pr_spec ct_logging = {
	.path = "CertificateTransparencyLoggingPreference",
	.want = PR_WANT_NONE_OF,
	.values = "DISABLED",
	.noun = "certificate",
	.problem = "is kept out of certificate transparency logs, so a mis-issued copy "
		   "cannot be spotted",
	.fix = "remove CertificateTransparencyLoggingPreference (or set ENABLED)",
};

static const struct pr_spec email_validation = {
	.path = "ValidationMethod",
	.want = PR_WANT_NONE_OF,
	.values = "EMAIL",
	.noun = "certificate",
	.problem = "is validated by email, so each renewal waits for someone to click a "
		   "link",
	.fix = "set ValidationMethod: DNS with DomainValidationOptions HostedZoneId",
};

static const struct pr_spec key_size = {
	.path = "KeyAlgorithm",
	.want = PR_WANT_NONE_OF,
	.values = "RSA_1024",
	.noun = "certificate",
	.problem = "uses a 1024-bit RSA key, which is below every current minimum",
	.fix = "set KeyAlgorithm: RSA_2048 or EC_prime256v1",
};

const struct policy_rule policy_rules_acm[] = {
	{
		.id = "ACM-001",
		.service = "ACM",
		.severity = POLICY_WARNING,
		.title = "Certificate for a wildcard name",
		.why = "A wildcard certificate is valid for every host of the domain: its key, "
		       "wherever it is used, can impersonate all of them.",
		.fix = "Request a certificate naming the hosts it serves (DomainName and "
		       "SubjectAlternativeNames without '*').",
		.checkov = "CKV2_AWS_71",
		.types = cert_types,
		.check = check_wildcard,
	},
	{
		.id = "ACM-002",
		.service = "ACM",
		.severity = POLICY_WARNING,
		.title = "Certificate kept out of transparency logs",
		.why = "Certificate transparency lets the domain's owner see every certificate "
		       "issued for it; opting out hides mis-issuance and browsers may "
		       "distrust the certificate.",
		.fix = "Remove CertificateTransparencyLoggingPreference or set it to ENABLED.",
		.types = cert_types,
		.check = pr_check_spec,
		.spec = &ct_logging,
	},
	{
		.id = "ACM-003",
		.service = "ACM",
		.severity = POLICY_WARNING,
		.title = "Certificate validated by email",
		.why = "Email validation makes every renewal wait for a person; a missed "
		       "message means an expired certificate and an outage.",
		.fix = "Set ValidationMethod: DNS with a DomainValidationOptions HostedZoneId so "
		       "ACM renews on its own.",
		.guard = "ACM_CERTIFICATE_EXPIRATION_CHECK",
		.types = cert_types,
		.check = pr_check_spec,
		.spec = &email_validation,
	},
	{
		.id = "ACM-004",
		.service = "ACM",
		.severity = POLICY_ERROR,
		.title = "Certificate with a 1024-bit RSA key",
		.why = "1024-bit RSA keys are below the minimum of every current baseline and "
		       "within reach of well-funded attackers.",
		.fix = "Set KeyAlgorithm: RSA_2048 (or larger) or an EC curve.",
		.guard = "ACM_CERTIFICATE_RSA_CHECK",
		.types = cert_types,
		.check = pr_check_spec,
		.spec = &key_size,
	},
	{0},
};
