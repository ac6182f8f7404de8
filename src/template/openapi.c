/*
 * The operations of OpenAPI documents written in a template: SAM's
 * DefinitionBody (AWS::Serverless::Api, AWS::Serverless::HttpApi) and API
 * Gateway's Body (AWS::ApiGateway::RestApi, AWS::ApiGatewayV2::Api), both
 * Swagger 2.0 and OpenAPI 3. Each operation under `paths` becomes a
 * template_api_op with the function its integration calls and the
 * authorization in effect, decided as API Gateway decides it on import:
 *
 * - `security` on the operation, else the document's, is a list of
 *   alternatives; the operation is authorized when every alternative
 *   names a scheme that is not just an API key (an empty alternative `{}`
 *   lets anonymous callers in, an empty list turns authorization off);
 * - `x-amazon-apigateway-auth: {type: AWS_IAM}` on a REST operation is IAM
 *   authorization, and a scheme with `x-amazon-apigateway-authtype:
 *   awsSigv4` is too;
 * - with neither, SAM applies the API's Auth.DefaultAuthorizer to every
 *   path of the definition.
 *
 * A definition known only at deploy time (DefinitionUri, AWS::Include) is
 * not read. Documents are bounded by the template's own limits.
 */
#include "core/common.h"

#include <ctype.h>

#include "template/template_int.h"

static const char *const http_methods[] = {
	"get",	   "put",  "post",  "delete",
	"options", "head", "patch", "x-amazon-apigateway-any-method",
};

struct api_doc {
	const struct template_resource *api;
	const struct tval *doc;
	enum template_api_kind kind;
	const struct tval *schemes; /* securityDefinitions / components.securitySchemes */
	const char *dflt_auth;	    /* SAM Auth.DefaultAuthorizer, or NULL */
	bool dflt_api_key;	    /* SAM Auth.ApiKeyRequired */
	size_t alloc;
};

static bool is_method(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(http_methods); i++)
		if (!strcmp(k, http_methods[i]))
			return true;
	return false;
}

static const char *upper(struct tctx *c, const char *s)
{
	char *u;

	if (!strcmp(s, "x-amazon-apigateway-any-method"))
		return "ANY";
	u = arena_strdup(c->a, s);
	for (size_t i = 0; u && u[i]; i++)
		u[i] = (char)toupper((unsigned char)u[i]);
	return u;
}

/* An API key scheme (header x-api-key), which identifies but does not authorize. */
static bool api_key_scheme(const struct tval *scheme)
{
	const char *name = tval_str(tval_get(scheme, "name"));

	return tval_str_eq(tval_get(scheme, "type"), "apiKey") && name &&
	       !strcasecmp(name, "x-api-key") &&
	       !tval_get(scheme, "x-amazon-apigateway-authtype") &&
	       !tval_get(scheme, "x-amazon-apigateway-authorizer");
}

/*
 * The authorizer a `security` list puts in effect: the first scheme of
 * the first alternative that authorizes ("AWS_IAM" for SigV4), or NULL
 * when some alternative lets a caller in without one. Sets *api_key when
 * an alternative asks for an API key.
 */
static const char *security_auth(const struct api_doc *d, const struct tval *sec, bool *api_key)
{
	const char *first = NULL;

	if (sec->kind != TVAL_SEQ)
		return NULL;
	for (size_t i = 0; i < sec->n; i++) {
		const struct tval *alt = sec->items[i];
		const char *found = NULL;

		for (size_t k = 0; alt->kind == TVAL_MAP && k < alt->n; k++) {
			const struct tval *scheme = tval_get(d->schemes, alt->pairs[k].key);

			if (scheme && api_key_scheme(scheme)) {
				*api_key = true;
				continue;
			}
			if (!found)
				found = tval_str_eq(
						tval_get(scheme, "x-amazon-apigateway-authtype"),
						"awsSigv4")
						? "AWS_IAM"
						: alt->pairs[k].key;
		}
		if (!found)
			return NULL; /* this alternative needs no authorizer */
		if (!first)
			first = found;
	}
	return first;
}

static int add_op(struct tctx *c, struct api_doc *d, const struct template_api_op *op)
{
	struct template *t = c->t;

	if (t->napi_ops == d->alloc) {
		size_t na = d->alloc ? 2 * d->alloc : 8;
		struct template_api_op *n = arena_alloc(c->a, na * sizeof(*n));

		if (!n)
			return tctx_fail(c, op->pos, ERR_NOMEM, "out of memory");
		if (t->napi_ops)
			memcpy(n, t->api_ops, t->napi_ops * sizeof(*n));
		t->api_ops = n;
		d->alloc = na;
	}
	t->api_ops[t->napi_ops++] = *op;
	return 0;
}

static int read_op(struct tctx *c, struct api_doc *d, const char *path, const struct tval_pair *m)
{
	const struct tval *op = m->val, *sec, *iam, *integ;
	struct template_api_op o;

	if (op->kind != TVAL_MAP)
		return 0;
	memset(&o, 0, sizeof(o));
	o.api = d->api->id;
	o.pos = m->key_pos;
	o.kind = d->kind;
	o.path = path;
	o.method = upper(c, m->key);
	if (!o.method)
		return tctx_fail(c, m->key_pos, ERR_NOMEM, "out of memory");
	integ = tval_get(op, "x-amazon-apigateway-integration");
	o.function = troutes_uri_function(c, tval_get(integ, "uri"));
	o.integration_type = tval_str(tval_get(integ, "type"));
	o.payload_version = tval_str(tval_get(integ, "payloadFormatVersion"));
	iam = tval_get_path(op, "x-amazon-apigateway-auth.type");
	sec = tval_get(op, "security");
	if (!sec)
		sec = tval_get(d->doc, "security");
	o.api_key_required = d->dflt_api_key;
	if (iam && tval_str(iam) && strcasecmp(tval_str(iam), "NONE"))
		o.authorizer = "AWS_IAM";
	else if (sec)
		o.authorizer = security_auth(d, sec, &o.api_key_required);
	else if (!iam)
		o.authorizer = d->dflt_auth;
	return add_op(c, d, &o);
}

static int read_doc(struct tctx *c, struct api_doc *d)
{
	const struct tval *paths = tval_get(d->doc, "paths");
	int err;

	d->schemes = tval_get(d->doc, "securityDefinitions");
	if (!d->schemes)
		d->schemes = tval_get_path(d->doc, "components.securitySchemes");
	for (size_t i = 0; paths && paths->kind == TVAL_MAP && i < paths->n; i++) {
		const struct tval *item = paths->pairs[i].val;

		if (item->kind != TVAL_MAP || strncmp(paths->pairs[i].key, "/", 1))
			continue; /* x- extensions of the paths object */
		for (size_t k = 0; k < item->n; k++) {
			if (!is_method(item->pairs[k].key))
				continue;
			err = read_op(c, d, paths->pairs[i].key, &item->pairs[k]);
			if (err)
				return err;
		}
	}
	return 0;
}

int topenapi_ops(struct tctx *c)
{
	struct template *t = c->t;
	struct api_doc d = {0};
	size_t nres = t->nres;
	int err;

	for (size_t i = 0; i < nres; i++) {
		const struct template_resource *r = &t->res[i];
		bool sam = !strncmp(r->type, "AWS::Serverless::", 17);
		const char *auth;

		if (!strcmp(r->type, "AWS::Serverless::Api") ||
		    !strcmp(r->type, "AWS::ApiGateway::RestApi"))
			d.kind = TAPI_REST;
		else if (!strcmp(r->type, "AWS::Serverless::HttpApi") ||
			 !strcmp(r->type, "AWS::ApiGatewayV2::Api"))
			d.kind = TAPI_HTTP;
		else
			continue;
		d.doc = tval_get(r->props, sam ? "DefinitionBody" : "Body");
		if (!d.doc || d.doc->kind != TVAL_MAP)
			continue;
		d.api = r;
		auth = sam ? tval_str(tval_get_path(r->props, "Auth.DefaultAuthorizer")) : NULL;
		d.dflt_auth = auth && strcmp(auth, "NONE") ? auth : NULL;
		d.dflt_api_key =
			sam && tval_is_true(tval_get_path(r->props, "Auth.ApiKeyRequired"));
		err = read_doc(c, &d);
		if (err)
			return err;
	}
	return 0;
}
