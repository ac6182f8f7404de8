/*
 * The CloudFront Function reader of the local front. `sluice dev` does not
 * run JavaScript: it recognises the project's own viewer-request function
 * (infra/template.yaml, SiteSpaFunction) token for token, comments and
 * layout aside, and applies the rule that function implements. Any other
 * function is reported as unsupported and not applied, so the local front
 * never pretends to run code it does not understand (docs/web.md).
 *
 * The recognised function, with INDEX any string literal starting with '/':
 *
 *   function handler(event) {
 *     var request = event.request;
 *     var uri = request.uri;
 *     if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
 *       request.uri = INDEX;
 *     }
 *     return request;
 *   }
 *
 * i.e. a URI whose last segment has no dot ("/", "/messages/42") becomes
 * INDEX; every other URI ("/assets/main-X.js", "/missing.png") is left as
 * it is.
 */
#ifndef SLUICE_LOCAL_WEB_CF_FUNCTION_H
#define SLUICE_LOCAL_WEB_CF_FUNCTION_H

#include <stddef.h>

#include "core/str.h"

#define CF_FUNCTION_MAX	 10240 /* bytes of function code CloudFront accepts */
#define CF_RULE_URI_MAX	 1024  /* the longest rewrite target kept */
#define CF_FUNCTION_TOKS 512   /* tokens read before giving up */

enum cf_rule_kind {
	CF_RULE_NONE, /* no function: requests pass unchanged */
	CF_RULE_SPA,  /* rewrite URIs whose last segment has no '.' to `uri` */
};

struct cf_rule {
	enum cf_rule_kind kind;
	char uri[CF_RULE_URI_MAX + 1]; /* CF_RULE_SPA: the target, starting with '/' */
};

/*
 * Read `len` bytes of function code into `out`. Returns 0 when it is the
 * function above (out->kind CF_RULE_SPA); ERR_UNSUPPORTED for JavaScript
 * that is something else; ERR_PARSE when it cannot even be split into
 * tokens (an unterminated string or comment); ERR_TOOLARGE past
 * CF_FUNCTION_MAX bytes or CF_FUNCTION_TOKS tokens. `out` is CF_RULE_NONE
 * after any error.
 */
int cf_function_read(const char *code, size_t len, struct cf_rule *out /* OUT */);

/*
 * The URI the viewer-request rule makes of `uri` (a request path), or NULL
 * when it leaves it unchanged. The result points into `r`.
 */
const char *cf_rule_apply(const struct cf_rule *r, struct str uri);

#endif
