/*
 * The API Gateway emulator of `sluice dev`: one evhttp server on 127.0.0.1
 * that matches each request against the routes of the template (REST APIs
 * with payload 1.0, HTTP APIs with payload 2.0), checks AWS_IAM routes'
 * SigV4 signatures (service execute-api) against the local credentials,
 * turns the request into an API Gateway event (lambda/apigw.h), invokes the
 * function's worker pool (pool.h) and turns what the function returned back
 * into an HTTP answer, with API Gateway's own answers where it has them:
 *
 *   no route                      REST 403 {"message":"Missing Authentication Token"}
 *                                 HTTP 404 {"message":"Not Found"}
 *   AWS_IAM, unsigned             REST 403 {"message":"Missing Authentication Token"}
 *                                 HTTP 403 {"message":"Forbidden"}
 *   AWS_IAM, bad signature        403 {"message":"The request signature we calculated
 *                                 does not match ..."} (REST adds the canonical request)
 *   body over GATEWAY_BODY_MAX    413 (evhttp's own answer: the body is never read)
 *   function error, bad response  REST 502 {"message": "Internal server error"}
 *                                 HTTP 500 {"message":"Internal Server Error"}
 *   integration timeout           REST 504 {"message": "Endpoint request timed out"}
 *                                 HTTP 503 {"message":"Service Unavailable"}
 *   pool throttled                429 {"message":"Too Many Requests"}
 *
 * Stages: every route answers at its path ("/objects") and, when its API has
 * a named stage ("dev", "Prod"; not "$default"), under "/<stage>" as well
 * ("/dev/objects"), so that the URL of a deployed stage works locally too.
 * Matching follows API Gateway's "most specific wins": segment by segment, a
 * literal beats a {param}, which beats a greedy {proxy+}; then an exact method
 * beats ANY; the HTTP API's "$default" route comes last.
 *
 * Routes live in an immutable table (struct gateway_routes). gateway_set_routes()
 * swaps tables atomically: requests already running keep the table they
 * started with (it is reference-counted), new ones see the new table.
 *
 * Everything runs on the caller's event_base. Logs go through core/log.h:
 * one line per refused or failed request saying which route, which function,
 * and the function's errorType and errorMessage.
 */
#ifndef SLUICE_LOCAL_GATEWAY_H
#define SLUICE_LOCAL_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct pool;
struct gateway;
struct gateway_routes;

/* API Gateway's limits, named once. */
#define GATEWAY_BODY_MAX	(10u << 20) /* request payload: 10 MB */
#define GATEWAY_REST_TIMEOUT_MS 29000	    /* REST API integration timeout */
#define GATEWAY_HTTP_TIMEOUT_MS 30000	    /* HTTP API integration timeout */
#define GATEWAY_MAX_ROUTES	1024	    /* routes in one table */
#define GATEWAY_MAX_HEADERS	256	    /* request headers considered */
#define GATEWAY_DEFAULT_PORT	3000

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
 * One route, as dev.c reads it from the template. Strings are copied by
 * gateway_routes_add(); `pool` and `cors` are borrowed (cors is copied too).
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
	const struct gateway_cors *cors; /* NULL: no CORS */
};

/* A new, empty route table. Returns 0 and *out, or ERR_NOMEM. */
int gateway_routes_new(struct gateway_routes **out /* OUT */);

/*
 * Add a route. Returns 0, ERR_INVAL (NULL spec, bad version, no method or
 * function, a path that is neither "$default" nor starts with '/', a greedy
 * parameter that is not the last segment, an unclosed '{'), ERR_TOOLARGE past
 * GATEWAY_MAX_ROUTES, ERR_NOMEM. The table is unchanged on error.
 */
int gateway_routes_add(struct gateway_routes *rt, const struct gateway_route_spec *spec);

/* Number of routes in the table (0 for NULL). */
size_t gateway_routes_count(const struct gateway_routes *rt);

/* Free a table that was never handed to a gateway. NULL is a no-op. */
void gateway_routes_free(struct gateway_routes *rt);

/* What gateway_routes_match() found. Strings point into the table or `path`. */
struct gateway_match {
	const struct gateway_route_spec *route; /* NULL when nothing matched */
	const char *stage;			/* the stage prefix that was stripped, or NULL */
	/* Path parameters, raw (not yet percent-decoded), slices of `path`. */
	struct {
		const char *name;
		size_t name_len;
		const char *value;
		size_t value_len;
	} params[16];
	size_t nparams;
};

/*
 * Match `method` and the raw `path` (no query) against the table, as the
 * gateway does for each request. Returns true and fills `m` when a route
 * matched. Exposed for unit tests.
 */
bool gateway_routes_match(const struct gateway_routes *rt, const char *method, const char *path,
			  struct gateway_match *m /* OUT */);

struct gateway_config {
	const char *address;	   /* NULL: "127.0.0.1" */
	uint16_t port;		   /* 0: ephemeral (see gateway_port()) */
	const char *access_key_id; /* the local credentials AWS_IAM routes accept */
	const char *secret_access_key;
	const char *region;	  /* NULL: "us-east-1" (only for messages) */
	uint32_t rest_timeout_ms; /* 0: GATEWAY_REST_TIMEOUT_MS */
	uint32_t http_timeout_ms; /* 0: GATEWAY_HTTP_TIMEOUT_MS */
};

/*
 * Start the gateway on `base` with route table `routes` (ownership passes to
 * the gateway, also on failure). Strings of `cfg` are copied. Returns 0 and
 * *out, or ERR_INVAL (NULL base/cfg/out), ERR_IO (cannot bind), ERR_NOMEM.
 */
int gateway_new(struct event_base *base, const struct gateway_config *cfg,
		struct gateway_routes *routes, struct gateway **out /* OUT */);

/*
 * Serve `routes` from now on (ownership passes to the gateway). The previous
 * table is freed once the last request using it has been answered.
 */
void gateway_set_routes(struct gateway *gw, struct gateway_routes *routes);

/* The port bound (after port 0); 0 for NULL. */
uint16_t gateway_port(const struct gateway *gw);

/*
 * Stop listening and free the gateway. Requests still waiting for their
 * function are answered 503 first. Call it before freeing the pools. NULL is
 * a no-op.
 */
void gateway_free(struct gateway *gw);

#endif
