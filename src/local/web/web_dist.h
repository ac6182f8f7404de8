/*
 * The distribution the local front serves, read from the template: the
 * first AWS::CloudFront::Distribution (whose Condition is not false) whose
 * default cache behaviour reads an S3 bucket of the same template. What is
 * kept is what the front acts on:
 *
 * - the bucket (the origin's DomainName, !GetAtt B.RegionalDomainName or
 *   B.DomainName) and its Metadata.sluice: `content` (a folder sluice dev
 *   mirrors into the bucket) and `config` (the key it writes
 *   {"apiUrl": ...} to);
 * - DefaultRootObject; the default behaviour's AllowedMethods, Compress,
 *   and whether its cache policy caches Brotli (the managed
 *   CachingOptimized policy does, a template's AWS::CloudFront::CachePolicy
 *   says so in EnableAcceptEncodingBrotli);
 * - the headers of its response headers policy (a Ref to an
 *   AWS::CloudFront::ResponseHeadersPolicy of the template): the security
 *   headers and the custom ones, values resolved by the caller's resolver;
 * - its viewer-request CloudFront Function, read by cf_function.h.
 *
 * What is not emulated (other cache behaviours, custom error responses,
 * Lambda@Edge, a managed response headers policy, CORS in the policy) is
 * named in a warning in the log, never silently dropped.
 */
#ifndef SLUICE_LOCAL_WEB_DIST_H
#define SLUICE_LOCAL_WEB_DIST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "local/web/cf_function.h"
#include "template/template.h"

#define WEB_MAX_HEADERS	     32		 /* response headers from the policy */
#define WEB_HEADER_VALUE_MAX (16u << 10) /* bytes of one header value */

/* Methods of AllowedMethods. */
#define WEB_M_GET     0x01u
#define WEB_M_HEAD    0x02u
#define WEB_M_OPTIONS 0x04u
#define WEB_M_OTHER   0x08u /* PUT, POST, PATCH, DELETE: forwarded to S3, refused there */

struct web_header {
	char *name;
	char *value;
	bool override; /* replace the origin's header of the same name */
};

struct web_dist {
	char *id;	     /* the distribution's logical id */
	char *bucket_id;     /* the logical id of the bucket it reads */
	char *root_object;   /* DefaultRootObject without a leading '/', or NULL */
	char *content_dir;   /* the bucket's Metadata.sluice.content, or NULL */
	char *config_key;    /* the bucket's Metadata.sluice.config, or NULL */
	char *policy_id;     /* the response headers policy's logical id, or NULL */
	char *function_id;   /* the viewer-request function's logical id, or NULL */
	unsigned methods;    /* WEB_M_* */
	bool compress;	     /* Compress on the default behaviour */
	bool brotli;	     /* the cache policy caches Brotli (else gzip only) */
	struct cf_rule rule; /* CF_RULE_NONE without a function, or one not understood */
	struct web_header headers[WEB_MAX_HEADERS];
	size_t nheaders;
};

/*
 * Resolve template value `v` (a string, possibly partial, or an unknown) to
 * its local text, appended to `out`. Returns 0, ERR_NOTFOUND (no local
 * value) or a buffer error.
 */
typedef int (*web_resolve_fn)(void *ctx, const struct tval *v, struct buf *out);

/*
 * Read the distribution of `t` into `out` (which needs no initialisation).
 * Returns 0; ERR_NOTFOUND when the template has no distribution the front
 * can serve (`why` says why when there is one it cannot); ERR_NOMEM.
 * Release `out` with web_dist_release() after success.
 */
int web_dist_load(const struct template *t, web_resolve_fn resolve, void *ctx,
		  struct web_dist *out /* OUT */, char *why, size_t why_len);

/* Free what `d` holds; a zeroed `d` is fine. */
void web_dist_release(struct web_dist *d);

/* The header named `name` (any case) of `d`, or NULL. */
const struct web_header *web_dist_header(const struct web_dist *d, const char *name);

#endif
