/*
 * Fuzz the route reader of plain CloudFormation and OpenAPI
 * (src/template/template_routes.c). Every line goes through the pure
 * parsers, template_uri_function() and template_route_key(), whose slices
 * must lie inside the line (but for "$default", whose method is "ANY"); the whole input is then
 * loaded as a template, and every route must name a function resource of the template, a method and
 * a path, and every note must be a non-empty sentence.
 */
#include "core/common.h"

#include "template/template.h"
#include "template/template_routes.h"

static void inside(struct str s, const char *line)
{
	if (s.ptr < line || s.ptr + s.len > line + strlen(line))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), *next;
	struct template_diag diag;
	struct template *t = NULL;
	struct str a, b;
	bool by_name;

	if (!text)
		return 0;
	for (char *line = text; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (template_uri_function(line, &a, &by_name))
			inside(a, line);
		/* "$default" gives the method "ANY", which is not in the line. */
		if (template_route_key(line, &a, &b) && strcmp(line, "$default"))
			inside(a, line), inside(b, line);
	}
	free(text);
	if (template_load_string("fuzz.yaml", (const char *)data, size, NULL, &t, &diag))
		return 0;
	for (size_t i = 0; i < t->nroutes; i++) {
		const struct template_resource *fn = template_resource(t, t->routes[i].function);

		if (!fn || !t->routes[i].method || !t->routes[i].path ||
		    (strcmp(fn->type, "AWS::Lambda::Function") &&
		     strcmp(fn->type, "AWS::Serverless::Function")))
			abort();
	}
	for (size_t i = 0; i < t->nroute_notes; i++)
		if (!t->route_notes[i] || !*t->route_notes[i])
			abort();
	template_free(t);
	return 0;
}
