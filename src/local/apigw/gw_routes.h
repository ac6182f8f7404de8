/*
 * The route table of the local API Gateway (gateway.h has the server): the
 * routes dev.c reads from the template, and the matching API Gateway does
 * for each request. Pure data and string work, no libevent and no I/O, so
 * that it can be fuzzed on its own (fuzz/fuzz_gw_routes.c).
 *
 * Matching follows API Gateway's "most specific wins": segment by segment, a
 * literal beats a {param}, which beats a greedy {proxy+}; then more segments
 * beat fewer, and an exact method beats ANY; the HTTP API's "$default" route
 * comes last. A path "/<stage>/..." whose first segment is the named stage of
 * some route is matched, without that prefix, against the routes of that
 * stage only (the URL of a deployed stage).
 *
 * Addresses are stable: each route is allocated on its own and the table
 * grows an array of pointers to them. Whatever a match points at (the route,
 * its strings, its CORS block) stays valid, with the same contents, until the
 * table is freed, however many routes are added afterwards.
 *
 * A table is reference-counted so that the gateway can swap tables while
 * requests that started with the old one are still running: it is created
 * with one reference, gateway_routes_ref() adds one and
 * gateway_routes_unref() drops one, freeing the table with the last.
 */
#ifndef SLUICE_LOCAL_GW_ROUTES_H
#define SLUICE_LOCAL_GW_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

struct pool;
struct gateway_routes;

/* Routes in one table: API Gateway allows 300 per HTTP API; a template past this is refused. */
#define GATEWAY_MAX_ROUTES 1024
/*
 * Path parameters reported per match. A route with more still matches;
 * the parameters past this are not passed to the function.
 */
#define GATEWAY_MAX_PARAMS 16
/*
 * A route key, "<method> <path>". A template's paths are short; a path that
 * would make a longer key is refused rather than cut.
 */
#define GATEWAY_ROUTE_KEY_MAX 4096

/*
 * CORS as configured on an Api (Cors) or HttpApi (CorsConfiguration).
 * Lists are comma-separated ("GET,POST"); NULL when unset. REST values are
 * given without the single quotes SAM requires around them.
 */
struct gateway_cors {
	const char *allow_origins; /* "*" or "https://a.example,https://b.example" */
	const char *allow_methods;
	const char *allow_headers;
	const char *expose_headers;
	long max_age; /* seconds; -1 when unset */
	bool allow_credentials;
};

/*
 * One route, as dev.c reads it from the template. gateway_routes_add()
 * copies the strings and the CORS block; `pool` is borrowed.
 */
struct gateway_route_spec {
	int version;	      /* APIGW_V1 (REST, payload 1.0) or APIGW_V2 (HTTP API, 2.0) */
	const char *api;      /* logical id of the API ("HttpApi", "ServerlessRestApi") */
	const char *stage;    /* "dev", "Prod"; NULL or "$default" for none */
	const char *method;   /* "GET", ..., "ANY" */
	const char *path;     /* "/objects/{name+}", or "$default" (HTTP API catch-all) */
	const char *function; /* logical id of the function, for logs */
	bool iam;	      /* AWS_IAM authorization */
	struct pool *pool;    /* where invocations go; must outlive the table */
	/*
	 * NULL: no CORS. A block with neither allow_origins nor allow_methods
	 * is no CORS either (API Gateway answers no preflight for it): the
	 * table's copy of the route then has NULL here.
	 */
	const struct gateway_cors *cors;
};

/* A new, empty route table with one reference. Returns 0 and *out, or ERR_NOMEM. */
int gateway_routes_new(struct gateway_routes **out /* OUT */);

/*
 * Add a route. Returns 0, ERR_INVAL (NULL table or spec, bad version, no
 * method or function, a path that is neither "$default" nor starts with '/',
 * a brace outside a whole segment "{name}" or "{name+}", an empty name, a
 * greedy parameter that is not the last segment), ERR_TOOLARGE past GATEWAY_MAX_ROUTES or when the
 * route key would pass GATEWAY_ROUTE_KEY_MAX, ERR_NOMEM. The table is unchanged on error.
 */
int gateway_routes_add(struct gateway_routes *rt, const struct gateway_route_spec *spec);

/* Number of routes in the table (0 for NULL). */
size_t gateway_routes_count(const struct gateway_routes *rt);

/* True when some route is an HTTP API's (API Gateway's answers then are the HTTP API's). */
bool gateway_routes_has_http(const struct gateway_routes *rt);

/*
 * The first route, in the order added, that has CORS, or NULL: where a
 * preflight for a path no route has gets its answer (one host serves every
 * API locally).
 */
const struct gateway_route_spec *gateway_routes_first_cors(const struct gateway_routes *rt);

/* Take one more reference; returns `rt`. NULL is a no-op. */
struct gateway_routes *gateway_routes_ref(struct gateway_routes *rt);

/* Drop one reference, freeing the table with the last. NULL is a no-op. */
void gateway_routes_unref(struct gateway_routes *rt);

/* Free a table that was never handed to a gateway (whatever its references). NULL is a no-op. */
void gateway_routes_free(struct gateway_routes *rt);

/* What a match found. Pointers are into the table (stable) or into the matched path. */
struct gateway_match {
	const struct gateway_route_spec *route; /* NULL when nothing matched */
	/*
	 * The route key: "POST /objects" for an HTTP API route, the resource
	 * path "/objects/{name+}" for a REST route, "$default" for the
	 * catch-all route.
	 */
	const char *route_key;
	const char *stage; /* the stage prefix that was stripped, or NULL */
	/* Path parameters, raw (not yet percent-decoded): names into the table, values into `path`.
	 */
	struct {
		struct str name;
		struct str value;
	} params[GATEWAY_MAX_PARAMS];
	size_t nparams;
};

/*
 * Match `method` and the raw `path` (no query, NUL-terminated) against the
 * table, as the gateway does for each request. Returns true and fills `m`
 * when a route matched; false, with `m` zeroed, when none did or when `rt`,
 * `method` or `path` is NULL or `path` does not start with '/'.
 */
bool gateway_routes_match(const struct gateway_routes *rt, const char *method, const char *path,
			  struct gateway_match *m /* OUT */);

/*
 * The same for every method: the path alone decides (a CORS preflight asks
 * which API owns a path before any method is known).
 */
bool gateway_routes_match_path(const struct gateway_routes *rt, const char *path,
			       struct gateway_match *m /* OUT */);

#endif
