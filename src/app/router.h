/*
 * The service's router: a table of `METHOD /path/{param}/{greedy+}` routes
 * matched against a request's method and raw path.
 *
 * It knows nothing of API Gateway: a handler passes the method and path as
 * slices (from lambda/apigw.h, or anything else) and gets back which route
 * matched and its path parameters, pointing into the path it passed. It does
 * not percent-decode: a parameter is the bytes between the slashes.
 *
 * Pattern syntax, one segment at a time after the leading '/':
 *   literal     matches the same bytes;
 *   {name}      matches one non-empty segment (no '/');
 *   {name+}     greedy, last segment only: matches the rest of the path,
 *               slashes included, at least one byte (API Gateway's proxy
 *               parameter).
 * The method is an HTTP method, compared byte for byte, or "ANY". A GET route
 * also answers HEAD, as API Gateway and HTTP (RFC 9110 section 9.3.2) do.
 *
 * Outcomes, as data rather than errors: a route matched; no route has this
 * path (404); routes have this path but not this method (405, with the
 * methods that would have matched for the Allow header).
 */
#ifndef SLUICE_APP_ROUTER_H
#define SLUICE_APP_ROUTER_H

#include <stddef.h>

#include "core/buf.h"
#include "core/str.h"

/* The most path parameters one route may have. */
#define ROUTER_MAX_PARAMS 8
/* Room for the Allow header value of a 405 ("DELETE, GET, HEAD, ..."). */
#define ROUTER_ALLOW_MAX 128

/* One route. `id` is the caller's, returned on a match (e.g. an enum of handlers). */
struct route {
	const char *method;  /* "GET", "PUT", ..., or "ANY" */
	const char *pattern; /* "/objects/{name+}"; starts with '/' */
	int id;
};

struct route_param {
	struct str name;  /* into the route's pattern, without braces or '+' */
	struct str value; /* into the request path */
};

enum router_result {
	ROUTER_FOUND,	   /* `route` and `params` are set */
	ROUTER_NOT_FOUND,  /* 404: no route has this path */
	ROUTER_BAD_METHOD, /* 405: `allow` lists the methods this path accepts */
};

/* What router_match() found. Slices borrow from the routes and the path. */
struct route_match {
	const struct route *route; /* NULL unless ROUTER_FOUND */
	struct route_param params[ROUTER_MAX_PARAMS];
	size_t nparams;
	/* On ROUTER_BAD_METHOD: sorted, de-duplicated, ", "-separated methods; else "". */
	char allow[ROUTER_ALLOW_MAX];
};

/*
 * Match `method` and `path` against the `nroutes` routes of `routes`, first
 * match wins (list specific routes before greedy ones). Fills `*m` (always
 * initialised, whatever the result). An empty method or a path not starting
 * with '/' matches nothing (ROUTER_NOT_FOUND). A route with a malformed
 * pattern (an unclosed '{', a greedy parameter not last, more than
 * ROUTER_MAX_PARAMS parameters) never matches.
 */
enum router_result router_match(const struct route *routes, size_t nroutes, struct str method,
				struct str path, struct route_match *m /* OUT */);

/* The value of the parameter called `name` in `m`, or STR_NULL when there is none. */
struct str route_param(const struct route_match *m, const char *name);

/*
 * Append the error body the service uses for every error,
 * {"error":{"code":"<code>","message":"<message>"}}, to `out`. `code` and
 * `message` are NUL-terminated UTF-8; text that is not UTF-8 is replaced by
 * a generic message rather than failing. Returns 0, ERR_TOOLARGE or ERR_NOMEM.
 */
int router_error_json(struct buf *out, const char *code, const char *message);

/*
 * For a ROUTER_NOT_FOUND or ROUTER_BAD_METHOD result: the HTTP status (404 or
 * 405) through `*status`, and the JSON error body appended to `body`
 * (codes "NotFound" and "MethodNotAllowed"). The 405's Allow header value is
 * `m->allow`. Returns 0, ERR_INVAL for ROUTER_FOUND, or an error of
 * router_error_json().
 */
int router_reject(enum router_result r, const struct route_match *m, int *status /* OUT */,
		  struct buf *body);

#endif
