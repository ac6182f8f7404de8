/*
 * CORS in the local API Gateway (see gw_int.h): preflights answered by the
 * gateway itself from the configuration of the API that owns the path, as
 * HTTP APIs do with a CorsConfiguration, and the Access-Control-* headers
 * added to a function's answer.
 *
 * Locally every API shares one host and port, so a preflight is matched to
 * an API by its path (the route the browser means to call, else any route of
 * that path), and a path no API has falls to the first API with CORS.
 */
#include "core/common.h"

#include <event2/http.h>

#include "local/apigw/gw_int.h"

bool gw_cors_origin_allowed(const char *list, const char *origin)
{
	size_t olen = strlen(origin);

	if (!list)
		return false;
	if (!strcmp(list, "*"))
		return true;
	for (const char *item = list; *item;) {
		size_t len = strcspn(item, ",");
		const char *b = item, *e = item + len;

		while (b < e && *b == ' ')
			b++;
		while (e > b && e[-1] == ' ')
			e--;
		if ((size_t)(e - b) == olen && !memcmp(b, origin, olen))
			return true;
		item += len + (item[len] == ',');
	}
	return false;
}

/* The preflight answer's headers for an allowed origin. */
static void add_preflight_headers(struct evkeyvalq *h, const struct gateway_cors *c,
				  const char *origin, const char *want)
{
	char age[32];

	evhttp_add_header(h, "Access-Control-Allow-Origin",
			  strcmp(c->allow_origins, "*") ? origin : "*");
	evhttp_add_header(h, "Access-Control-Allow-Methods",
			  c->allow_methods ? c->allow_methods : want);
	if (c->allow_headers)
		evhttp_add_header(h, "Access-Control-Allow-Headers", c->allow_headers);
	if (c->max_age >= 0) {
		snprintf(age, sizeof(age), "%ld", c->max_age);
		evhttp_add_header(h, "Access-Control-Max-Age", age);
	}
	if (c->allow_credentials)
		evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
}

bool gw_cors_preflight(const struct gateway_routes *rt, struct evhttp_request *req,
		       const struct gw_req *g, const char *request_id)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *want = evhttp_find_header(in, "Access-Control-Request-Method");
	const struct gateway_route_spec *owner;
	struct gateway_match m;

	if (strcmp(g->method, "OPTIONS") || !origin || !want)
		return false;
	if (gateway_routes_match(rt, want, g->path, &m) ||
	    gateway_routes_match_path(rt, g->path, &m))
		owner = m.route;
	else
		owner = gateway_routes_first_cors(rt);
	if (!owner || !owner->cors)
		return false;
	if (gw_cors_origin_allowed(owner->cors->allow_origins, origin))
		add_preflight_headers(evhttp_request_get_output_headers(req), owner->cors, origin,
				      want);
	gw_add_common_headers(req, owner->version, request_id);
	evhttp_send_reply(req, 204, NULL, NULL);
	return true;
}

void gw_cors_add_headers(struct evkeyvalq *h, const struct gateway_cors *cors, const char *origin)
{
	const char *ao;

	if (!cors || !origin || evhttp_find_header(h, "Access-Control-Allow-Origin"))
		return;
	ao = cors->allow_origins;
	if (!gw_cors_origin_allowed(ao, origin))
		return;
	evhttp_add_header(h, "Access-Control-Allow-Origin", strcmp(ao, "*") ? origin : "*");
	if (cors->expose_headers)
		evhttp_add_header(h, "Access-Control-Expose-Headers", cors->expose_headers);
	if (cors->allow_credentials)
		evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
}
