/*
 * Fuzz the template loader (src/template/): arbitrary bytes as a YAML or
 * JSON template. Whatever loads must be walkable (every resource has an id,
 * a type and Properties, every route and OpenAPI operation a method, a
 * path and an API; Fn::ForEach loops expanded); whatever fails must say
 * why, with a message naming the file.
 */
#include "core/common.h"

#include "template/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template_diag diag;
	struct template *t = NULL;
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t i;
	int err;

	err = template_load_string("fuzz.yaml", (const char *)data, size, NULL, &t, &diag);
	if (err) {
		if (t || strncmp(diag.msg, "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	for (i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];

		if (!r->id || !r->type || !r->props ||
		    (r->props->kind != TVAL_MAP && r->props->kind != TVAL_CHOICE) ||
		    template_resource(t, r->id) == NULL)
			abort();
		(void)tval_alts(tval_get(r->props, "Name"), alts, TEMPLATE_MAX_ALTS);
	}
	for (i = 0; i < t->nroutes; i++)
		if (!t->routes[i].method || !t->routes[i].path)
			abort();
	for (i = 0; i < t->napi_ops; i++)
		if (!t->api_ops[i].method || !t->api_ops[i].path ||
		    !template_resource(t, t->api_ops[i].api))
			abort();
	template_free(t);
	return 0;
}
