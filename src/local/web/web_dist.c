/*
 * The distribution of the template as the local front serves it
 * (web_dist.h). Only the default cache behaviour is read: it is the
 * behaviour the project's site uses, and the front says so when a template
 * has more.
 */
#include "core/common.h"

#include "core/log.h"
#include "local/web/web_dist.h"

/* The managed cache policy that caches Brotli (EnableAcceptEncodingBrotli). */
#define CACHING_OPTIMIZED "658327ea-f89d-4fab-a63d-7e88639e58f6"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The logical id an unknown value refers to (!Ref X, !GetAtt X.Attr), or NULL. */
static const char *ref_of(const struct tval *v, const char *attr)
{
	if (!v || v->kind != TVAL_UNKNOWN || !v->ref)
		return NULL;
	if (attr && (v->unk != TUNK_GETATT || !v->attr || strcmp(v->attr, attr)))
		return NULL;
	if (!attr && v->unk != TUNK_REF)
		return NULL;
	return v->ref;
}

static const struct template_resource *resource_of(const struct template *t, const char *id,
						   const char *type)
{
	const struct template_resource *r = id ? template_resource(t, id) : NULL;

	return r && !strcmp(r->type, type) && r->cond_value != TCOND_FALSE ? r : NULL;
}

static int add_header(struct web_dist *d, const char *name, const char *value, bool override)
{
	struct web_header *h;

	if (d->nheaders == WEB_MAX_HEADERS) {
		log_msg(LVL_WARN, "%s: more than %d response headers; %s is left out", d->id,
			WEB_MAX_HEADERS, name);
		return 0;
	}
	h = &d->headers[d->nheaders];
	h->name = strdup(name);
	h->value = strdup(value);
	h->override = override;
	d->nheaders++;
	return h->name && h->value ? 0 : ERR_NOMEM;
}

/* One header from `v` (a string value to resolve), unless it has no local value. */
static int add_resolved(struct web_dist *d, const char *name, const struct tval *v, bool override,
			web_resolve_fn resolve, void *ctx)
{
	struct buf b;
	int err;

	if (!v)
		return 0;
	buf_init(&b, WEB_HEADER_VALUE_MAX);
	err = resolve(ctx, v, &b);
	if (err == ERR_NOTFOUND) {
		log_msg(LVL_WARN, "%s: %s has no local value (%s); not sent", d->id, name,
			v->text ? v->text : "");
		err = 0;
	} else if (!err) {
		err = add_header(d, name, b.ptr, override);
	}
	buf_release(&b);
	return err;
}

/* HSTS as CloudFront writes it: "max-age=N; includeSubDomains; preload". */
static int add_hsts(struct web_dist *d, const struct tval *c)
{
	long long age = 0;
	char v[96];

	if (!c || tval_int(tval_get(c, "AccessControlMaxAgeSec"), &age))
		return 0;
	snprintf(v, sizeof(v), "max-age=%lld%s%s", age,
		 tval_is_true(tval_get(c, "IncludeSubdomains")) ? "; includeSubDomains" : "",
		 tval_is_true(tval_get(c, "Preload")) ? "; preload" : "");
	return add_header(d, "Strict-Transport-Security", v, tval_is_true(tval_get(c, "Override")));
}

static int add_xss(struct web_dist *d, const struct tval *c)
{
	char v[512];
	const char *report = tval_str(tval_get(c, "ReportUri"));

	if (!c)
		return 0;
	if (!tval_is_true(tval_get(c, "Protection")))
		snprintf(v, sizeof(v), "0");
	else if (tval_is_true(tval_get(c, "ModeBlock")))
		snprintf(v, sizeof(v), "1; mode=block");
	else if (report)
		snprintf(v, sizeof(v), "1; report=%s", report);
	else
		snprintf(v, sizeof(v), "1");
	return add_header(d, "X-XSS-Protection", v, tval_is_true(tval_get(c, "Override")));
}

/* The headers of response headers policy `id`. */
static int load_policy(const struct template *t, const char *id, struct web_dist *d,
		       web_resolve_fn resolve, void *ctx)
{
	const struct template_resource *r =
		resource_of(t, id, "AWS::CloudFront::ResponseHeadersPolicy");
	const struct tval *cfg = r ? tval_get(r->props, "ResponseHeadersPolicyConfig") : NULL;
	const struct tval *sec = tval_get(cfg, "SecurityHeadersConfig"), *c,
			  *items[WEB_MAX_HEADERS];
	int err = 0;
	size_t n;

	if (!cfg)
		return 0;
	d->policy_id = strdup(id);
	if (!d->policy_id)
		return ERR_NOMEM;
	c = tval_get(sec, "ContentSecurityPolicy");
	if (c)
		err = add_resolved(d, "Content-Security-Policy",
				   tval_get(c, "ContentSecurityPolicy"),
				   tval_is_true(tval_get(c, "Override")), resolve, ctx);
	if (!err)
		err = add_hsts(d, tval_get(sec, "StrictTransportSecurity"));
	if (!err && (c = tval_get(sec, "ContentTypeOptions")))
		err = add_header(d, "X-Content-Type-Options", "nosniff",
				 tval_is_true(tval_get(c, "Override")));
	if (!err && (c = tval_get(sec, "FrameOptions")))
		err = add_resolved(d, "X-Frame-Options", tval_get(c, "FrameOption"),
				   tval_is_true(tval_get(c, "Override")), resolve, ctx);
	if (!err && (c = tval_get(sec, "ReferrerPolicy")))
		err = add_resolved(d, "Referrer-Policy", tval_get(c, "ReferrerPolicy"),
				   tval_is_true(tval_get(c, "Override")), resolve, ctx);
	if (!err)
		err = add_xss(d, tval_get(sec, "XSSProtection"));
	n = tval_as_list(tval_get(tval_get(cfg, "CustomHeadersConfig"), "Items"), items,
			 ARRAY_SIZE(items));
	for (size_t i = 0; !err && i < n; i++) {
		const char *name = tval_str(tval_get(items[i], "Header"));

		if (name)
			err = add_resolved(d, name, tval_get(items[i], "Value"),
					   tval_is_true(tval_get(items[i], "Override")), resolve,
					   ctx);
	}
	if (tval_get(cfg, "CorsConfig") || tval_get(cfg, "RemoveHeadersConfig") ||
	    tval_get(cfg, "ServerTimingHeadersConfig"))
		log_msg(LVL_WARN,
			"%s: CorsConfig, RemoveHeadersConfig and ServerTimingHeadersConfig are "
			"not emulated locally",
			id);
	return err;
}

/* The viewer-request function of the default behaviour, read by cf_function. */
static int load_function(const struct template *t, const struct tval *behaviour, struct web_dist *d)
{
	const struct tval *items[8];
	size_t n =
		tval_as_list(tval_get(behaviour, "FunctionAssociations"), items, ARRAY_SIZE(items));

	if (tval_get(behaviour, "LambdaFunctionAssociations"))
		log_msg(LVL_WARN, "%s: Lambda@Edge associations are not run locally", d->id);
	for (size_t i = 0; i < n; i++) {
		const char *fid = ref_of(tval_get(items[i], "FunctionARN"), "FunctionARN");
		const struct template_resource *f =
			resource_of(t, fid, "AWS::CloudFront::Function");
		const char *code = f ? tval_str(tval_get(f->props, "FunctionCode")) : NULL;
		int err;

		if (!tval_str_eq(tval_get(items[i], "EventType"), "viewer-request")) {
			log_msg(LVL_WARN, "%s: only viewer-request functions are applied locally",
				d->id);
			continue;
		}
		if (!code) {
			log_msg(LVL_WARN,
				"%s: its viewer-request function is not a "
				"AWS::CloudFront::Function of the template with its code "
				"inline; requests pass unchanged",
				d->id);
			continue;
		}
		d->function_id = strdup(f->id);
		if (!d->function_id)
			return ERR_NOMEM;
		err = cf_function_read(code, strlen(code), &d->rule);
		if (err)
			log_msg(LVL_WARN,
				"%s: CloudFront Function %s is not the SPA function sluice dev "
				"knows (%s); it is not applied locally (docs/web.md)",
				d->id, f->id, err_str(err));
	}
	return 0;
}

static unsigned read_methods(const struct tval *v)
{
	const struct tval *items[8];
	size_t n = tval_as_list(v, items, ARRAY_SIZE(items));
	unsigned m = 0;

	if (!n)
		return WEB_M_GET | WEB_M_HEAD; /* CloudFront's default */
	for (size_t i = 0; i < n; i++) {
		const char *s = tval_str(items[i]);

		if (!s)
			continue;
		m |= !strcmp(s, "GET")	     ? WEB_M_GET
		     : !strcmp(s, "HEAD")    ? WEB_M_HEAD
		     : !strcmp(s, "OPTIONS") ? WEB_M_OPTIONS
					     : WEB_M_OTHER;
	}
	return m;
}

static bool caches_brotli(const struct template *t, const struct tval *policy)
{
	const char *id = tval_str(policy);
	const struct template_resource *r;

	if (id)
		return !strcmp(id, CACHING_OPTIMIZED);
	r = resource_of(t, ref_of(policy, NULL), "AWS::CloudFront::CachePolicy");
	return r && tval_is_true(tval_get_path(r->props,
					       "CachePolicyConfig.ParametersInCacheKeyAndForwarded"
					       "ToOrigin.EnableAcceptEncodingBrotli"));
}

/* The bucket the default behaviour's origin names, with its sluice metadata. */
static int load_origin(const struct template *t, const struct tval *cfg,
		       const struct tval *behaviour, struct web_dist *d)
{
	const char *target = tval_str(tval_get(behaviour, "TargetOriginId"));
	const struct tval *items[16];
	size_t n = tval_as_list(tval_get(cfg, "Origins"), items, ARRAY_SIZE(items));

	for (size_t i = 0; target && i < n; i++) {
		const struct tval *dn = tval_get(items[i], "DomainName");
		const char *bid = ref_of(dn, "RegionalDomainName");
		const struct template_resource *b;

		if (!tval_str_eq(tval_get(items[i], "Id"), target))
			continue;
		if (!bid)
			bid = ref_of(dn, "DomainName");
		b = resource_of(t, bid, "AWS::S3::Bucket");
		if (!b)
			return ERR_NOTFOUND;
		d->bucket_id = strdup(b->id);
		d->content_dir =
			dup_or_null(tval_str(tval_get_path(b->metadata, "sluice.content")));
		d->config_key = dup_or_null(tval_str(tval_get_path(b->metadata, "sluice.config")));
		return d->bucket_id ? 0 : ERR_NOMEM;
	}
	return ERR_NOTFOUND;
}

static int load_one(const struct template *t, const struct template_resource *r,
		    web_resolve_fn resolve, void *ctx, struct web_dist *d)
{
	const struct tval *cfg = tval_get(r->props, "DistributionConfig");
	const struct tval *beh = tval_get(cfg, "DefaultCacheBehavior");
	const char *root = tval_str(tval_get(cfg, "DefaultRootObject"));
	const char *policy = ref_of(tval_get(beh, "ResponseHeadersPolicyId"), NULL);
	int err;

	d->id = strdup(r->id);
	if (!d->id)
		return ERR_NOMEM;
	err = load_origin(t, cfg, beh, d);
	if (err)
		return err;
	while (root && *root == '/')
		root++;
	d->root_object = root && *root ? strdup(root) : NULL;
	d->methods = read_methods(tval_get(beh, "AllowedMethods"));
	d->compress = tval_is_true(tval_get(beh, "Compress"));
	d->brotli = caches_brotli(t, tval_get(beh, "CachePolicyId"));
	if (tval_get(cfg, "CacheBehaviors"))
		log_msg(LVL_WARN, "%s: only the default cache behaviour is served locally", r->id);
	if (tval_get(cfg, "CustomErrorResponses"))
		log_msg(LVL_WARN, "%s: CustomErrorResponses are not emulated locally", r->id);
	if (tval_get(beh, "ResponseHeadersPolicyId") && !policy)
		log_msg(LVL_WARN, "%s: a managed response headers policy is not emulated locally",
			r->id);
	if (policy && (err = load_policy(t, policy, d, resolve, ctx)))
		return err;
	return load_function(t, beh, d);
}

int web_dist_load(const struct template *t, web_resolve_fn resolve, void *ctx, struct web_dist *out,
		  char *why, size_t why_len)
{
	memset(out, 0, sizeof(*out));
	if (why_len)
		why[0] = '\0';
	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];
		int err;

		if (strcmp(r->type, "AWS::CloudFront::Distribution") ||
		    r->cond_value == TCOND_FALSE)
			continue;
		err = load_one(t, r, resolve, ctx, out);
		if (!err)
			return 0;
		web_dist_release(out);
		if (err != ERR_NOTFOUND)
			return err;
		snprintf(why, why_len,
			 "%s:%d: %s: its default behaviour does not read an S3 bucket of the "
			 "template; not served locally",
			 r->pos.file, r->pos.line, r->id);
	}
	return ERR_NOTFOUND;
}

void web_dist_release(struct web_dist *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->bucket_id);
	free(d->root_object);
	free(d->content_dir);
	free(d->config_key);
	free(d->policy_id);
	free(d->function_id);
	for (size_t i = 0; i < d->nheaders; i++) {
		free(d->headers[i].name);
		free(d->headers[i].value);
	}
	memset(d, 0, sizeof(*d));
}

const struct web_header *web_dist_header(const struct web_dist *d, const char *name)
{
	for (size_t i = 0; d && i < d->nheaders; i++)
		if (!strcasecmp(d->headers[i].name, name))
			return &d->headers[i];
	return NULL;
}
