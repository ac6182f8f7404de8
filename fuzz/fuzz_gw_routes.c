/*
 * Fuzz the gateway's route table (src/local/apigw/gw_routes.c). Lines up to
 * the first empty one are routes, "<1|2>[c] <METHOD> <path> [stage]" (REST
 * or HTTP API, "c" for CORS); the lines after it are requests, "<METHOD>
 * <path>", matched by method and by path alone. A match must name a route
 * whose strings and CORS block are readable (ASan: nothing dangles) and
 * parameters that are slices of the request path.
 */
#include "core/common.h"

#include "local/apigw/gw_routes.h"

static void check(const struct gateway_match *m, const char *path)
{
	if (!*m->route_key || !*m->route->path ||
	    (m->route->cors && !*m->route->cors->allow_origins))
		abort();
	for (size_t i = 0; i < m->nparams; i++)
		if (!m->params[i].name.len || m->params[i].value.ptr < path ||
		    m->params[i].value.ptr + m->params[i].value.len > path + strlen(path))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gateway_cors cors = {.allow_origins = "*", .max_age = -1};
	char *text = strndup((const char *)data, size), *w[4] = {NULL}, *next;
	struct gateway_routes *rt = NULL;
	struct gateway_match m;
	bool routes = true;

	if (!text || gateway_routes_new(&rt))
		goto out;
	for (char *line = text; line; line = next) {
		size_t k = 0;

		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		routes &= *line != '\0';
		for (char *p = line; p && k < 4; k++)
			if ((p = strchr(w[k] = p, ' ')))
				*p++ = '\0';
		struct gateway_route_spec s = {.version = w[0][0] - '0',
					       .method = w[1],
					       .path = w[2],
					       .stage = k > 3 ? w[3] : NULL,
					       .function = "F",
					       .cors = strchr(w[0], 'c') ? &cors : NULL};
		if (routes && k >= 3)
			(void)gateway_routes_add(rt, &s);
		if (!routes && k >= 2 && gateway_routes_match(rt, w[0], w[1], &m))
			check(&m, w[1]);
		if (!routes && k >= 2 && gateway_routes_match_path(rt, w[1], &m))
			check(&m, w[1]);
	}
out:
	gateway_routes_free(rt);
	free(text);
	return 0;
}
