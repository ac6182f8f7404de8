/*
 * The API Gateway proxy event codec, for both payload formats: 1.0 (REST APIs,
 * and HTTP APIs configured for 1.0) and 2.0 (HTTP APIs). One module serves
 * both sides so that they cannot drift, split by file so that the function
 * binary links only its half:
 *
 *   the function (bootstrap)   apigw_parse_event()          event JSON -> request
 *     apigw_fn.c               apigw_response_to_json()     response   -> JSON
 *   the local gateway          apigw_event_from_http()      HTTP       -> event JSON
 *     apigw_gw.c               apigw_parse_function_response()  JSON  -> response
 *   both, apigw_common.c       struct apigw_response and its setters,
 *                              apigw_body_is_binary()
 *
 * Both formats are read into one model, struct apigw_request, so that the
 * router and the handlers never look at the payload version.
 *
 * Memory: a parsed request holds one reference to the parsed event (`event`)
 * and an arena (core/arena.h). Strings that need no change point into the
 * event's jansson tree; what had to be built (decoded query pairs, cookies, a
 * base64-decoded body, arrays) lives in the arena. jansson values it exposes
 * (`authorizer`, `jwt_claims`, ...) are borrowed from the event. Everything is
 * freed by one apigw_request_release(). Strings are NUL-terminated and never
 * NULL ("" when absent) unless said otherwise.
 *
 * AWS docs: apigateway developerguide set-up-lambda-proxy-integrations.html (1.0) and
 * http-api-develop-integrations-lambda.html (2.0).
 */
#ifndef SLUICE_LAMBDA_APIGW_H
#define SLUICE_LAMBDA_APIGW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"

/* Payload format versions. */
#define APIGW_V1 1 /* REST API, "version": "1.0" (or absent) */
#define APIGW_V2 2 /* HTTP API, "version": "2.0" */

/* Limits on what one event may carry; past them parsing fails with ERR_PARSE. */
#define APIGW_EVENT_MAX	      (16u << 20) /* bytes of event JSON (Lambda takes 6 MB sync) */
#define APIGW_HEADERS_MAX     512	  /* header values (API Gateway caps at 10 KB of headers) */
#define APIGW_QUERY_MAX	      1024	  /* query name/value pairs */
#define APIGW_PATH_PARAMS_MAX 64	  /* path parameters */
#define APIGW_COOKIES_MAX     256	  /* cookies */
#define APIGW_ARENA_MAX	      (64u << 20) /* bytes one parsed request or response may allocate */

/*
 * One name/value pair (a header, a query parameter, a path parameter). Both
 * strings are NUL-terminated. A value decoded from a path or from JSON may
 * hold NUL bytes of its own; its producer then sets `value_len`, and readers
 * that must see every byte use apigw_pair_value() (or the *_str lookups
 * below) instead of the C string. `value_len` 0 means strlen(value).
 */
struct apigw_pair {
	const char *name;
	const char *value;
	size_t value_len;
};

/* The whole value of `p` as a slice, NUL bytes included. */
static inline struct str apigw_pair_value(const struct apigw_pair *p)
{
	return str_make(p->value, p->value_len ? p->value_len : strlen(p->value));
}

/*
 * Who made the request, from requestContext. Strings are "" when the event
 * does not carry them; the json_t pointers are borrowed from the request's
 * event (NULL when absent) and live until apigw_request_release().
 */
struct apigw_context {
	const char *request_id;	 /* requestContext.requestId */
	const char *stage;	 /* requestContext.stage ("$default", "Prod") */
	const char *source_ip;	 /* 1.0 identity.sourceIp, 2.0 http.sourceIp */
	const char *user_agent;	 /* 1.0 identity.userAgent, 2.0 http.userAgent */
	const char *domain_name; /* requestContext.domainName */
	const char *account_id;	 /* requestContext.accountId */
	const char *api_id;	 /* requestContext.apiId */
	const char *protocol;	 /* "HTTP/1.1" */
	/* IAM identity: 1.0 identity.{accessKey,userArn,caller},
	 * 2.0 authorizer.iam.{accessKey,userArn,callerId}. */
	const char *access_key;
	const char *user_arn;
	const char *caller;
	/*
	 * Request time in epoch milliseconds (1.0 requestTimeEpoch, 2.0
	 * timeEpoch). AWS sends milliseconds; `sam local` sends seconds, which
	 * are recognised (values below 10^11) and scaled. 0 when absent.
	 */
	int64_t time_epoch_ms;
	json_t *authorizer; /* requestContext.authorizer, as sent (any authorizer type) */
	json_t *jwt_claims; /* 2.0 authorizer.jwt.claims, 1.0 authorizer.claims (Cognito) */
	json_t *jwt_scopes; /* 2.0 authorizer.jwt.scopes (array), or NULL */
};

/*
 * One HTTP request as API Gateway handed it to the function, whatever the
 * payload version. Arrays hold `n_*` items in the order of the event; they are
 * NULL when empty.
 */
struct apigw_request {
	int version;	    /* APIGW_V1 or APIGW_V2 */
	const char *method; /* "GET", as sent (API Gateway sends uppercase) */
	const char *path;   /* raw path: 1.0 "path", 2.0 "rawPath"; never "" ("/" at least) */
	const char *route;  /* 1.0 "resource" ("/objects/{key+}"), 2.0 "routeKey" ("GET /x") */
	/*
	 * The query string, still encoded, without '?': 2.0 rawQueryString as
	 * sent; 1.0 rebuilt from the parsed pairs (RFC 3986 encoding).
	 */
	const char *raw_query;

	struct apigw_pair *path_params; /* pathParameters */
	size_t n_path_params;

	/*
	 * Query parameters, decoded, multi-valued: one pair per value in order.
	 * 1.0 multiValueQueryStringParameters (queryStringParameters when that
	 * is absent); 2.0 rawQueryString split on '&' and '=' and
	 * percent-decoded ('+' is a space; a pair that does not decode is kept
	 * as sent), or queryStringParameters when rawQueryString is absent.
	 */
	struct apigw_pair *query;
	size_t n_query;

	/*
	 * Headers, one pair per value, names as sent (compare them with
	 * strcasecmp or use apigw_header()). 1.0 multiValueHeaders, or headers
	 * when that is absent; 2.0 headers, whose comma-joined values are kept as
	 * one value each (splitting is not safe for every header).
	 */
	struct apigw_pair *headers;
	size_t n_headers;

	/*
	 * Cookies as "name=value" strings: 2.0 the "cookies" array, 1.0 the
	 * Cookie header(s) split on ';' and trimmed.
	 */
	const char **cookies;
	size_t n_cookies;

	/*
	 * The body as bytes (base64-decoded when isBase64Encoded), NUL-terminated
	 * for convenience but possibly holding NULs; `body` is "" when there is
	 * none. `body_base64` says it arrived base64-encoded.
	 */
	const char *body;
	size_t body_len;
	bool body_base64;

	struct apigw_context ctx;

	json_t *event;	    /* the whole parsed event (one reference, released with the request) */
	struct arena arena; /* owns every string and array above */
};

/*
 * Parse `len` bytes of event JSON into `out` (which needs no initialisation).
 * The version is "version" ("1.0"/"2.0"), or guessed from the shape when absent
 * (requestContext.http means 2.0, httpMethod means 1.0).
 *
 * Returns 0, or ERR_PARSE with a one-line reason in `why` (`why` may be NULL)
 * for anything malformed: not JSON or not an object, no method (1.0
 * httpMethod, 2.0 requestContext.http.method), a member of the wrong type,
 * bad base64 in a base64 body, more items than the APIGW_*_MAX caps, bytes
 * past APIGW_EVENT_MAX, strings holding NUL; ERR_NOMEM when memory (or the
 * APIGW_ARENA_MAX budget) runs out. On any error `out` holds nothing to release
 * (calling apigw_request_release() on it is still safe). Null JSON members
 * count as absent, as `sam local` sends many of them.
 */
int apigw_parse_event(const char *json, size_t len, struct apigw_request *out /* OUT */, char *why,
		      size_t why_len);

/* Free everything `req` holds; it is zeroed and safe to release again. NULL is a no-op. */
void apigw_request_release(struct apigw_request *req);

/*
 * The first value of header `name` (ASCII case-insensitive), or NULL when the
 * request has none. The pointer lives as long as the request.
 */
const char *apigw_header(const struct apigw_request *req, const char *name);

/* The first decoded value of query parameter `name` (case-sensitive), or NULL. */
const char *apigw_query(const struct apigw_request *req, const char *name);

/* The path parameter `name` ("key" for "/objects/{key+}"), or NULL. */
const char *apigw_path_param(const struct apigw_request *req, const char *name);

/*
 * As apigw_query() and apigw_path_param(), but the whole value with its
 * length, NUL bytes included (a C string stops at the first one); STR_NULL
 * (`ptr` NULL) when absent. A handler that names things after a value uses
 * these, so that "a%00b" is seen as the three bytes it is.
 */
struct str apigw_query_str(const struct apigw_request *req, const char *name);
struct str apigw_path_param_str(const struct apigw_request *req, const char *name);

/*
 * The value of cookie `name` (case-sensitive, first match) copied into the
 * request's arena, or NULL when absent or out of memory.
 */
const char *apigw_cookie(struct apigw_request *req, const char *name);

/*
 * What a function returns: status, headers, cookies and a body. Build one
 * with apigw_response_init() and the setters below; apigw_parse_function_response()
 * fills one from a function's JSON. Strings live in the response's arena; the
 * body is a struct buf capped at APIGW_EVENT_MAX.
 */
struct apigw_response {
	int status;		    /* HTTP status, 200 after init */
	struct apigw_pair *headers; /* one pair per value, in order added */
	size_t n_headers;
	size_t headers_alloc; /* internal: slots allocated */
	const char **cookies; /* Set-Cookie values ("a=b; Path=/") kept apart from headers */
	size_t n_cookies;
	size_t cookies_alloc; /* internal: slots allocated */
	struct buf body;      /* the raw bytes (decoded when they came as base64) */
	bool binary;	      /* send the body base64-encoded whatever its content */
	struct arena arena;
};

/* An empty 200 response, no headers, no body. */
void apigw_response_init(struct apigw_response *resp);

/* Free everything; `resp` is as after init again. NULL is a no-op. */
void apigw_response_release(struct apigw_response *resp);

/*
 * Append a header value (copied). A "Set-Cookie" header (any case) is stored
 * as a cookie instead, so that both payload versions can render it. Returns 0,
 * ERR_INVAL for a NULL/empty name, a name holding ':', a name or value holding
 * CR/LF or that is not UTF-8, ERR_NOMEM,
 * or ERR_TOOLARGE past APIGW_HEADERS_MAX / APIGW_COOKIES_MAX.
 */
int apigw_response_add_header(struct apigw_response *resp, const char *name, const char *value);

/* Append a Set-Cookie value ("id=1; Path=/; HttpOnly"), copied. Errors as above. */
int apigw_response_add_cookie(struct apigw_response *resp, const char *cookie);

/* Replace the body with `len` bytes of `data` (copied). 0, ERR_NOMEM or ERR_TOOLARGE. */
int apigw_response_set_body(struct apigw_response *resp, const void *data, size_t len);

/* The first value of header `name` (case-insensitive), or NULL. */
const char *apigw_response_header(const struct apigw_response *resp, const char *name);

/*
 * True when a body must travel base64-encoded: it is not valid UTF-8, or
 * `content_type` is given and is not textual (text/ anything, or a type whose name
 * contains json, xml or javascript, or application/x-www-form-urlencoded).
 * A NULL content type with UTF-8 bytes is text. An empty body is never binary.
 */
bool apigw_body_is_binary(const char *content_type, const void *body, size_t len);

/*
 * Append the JSON that a function returns to API Gateway for `resp`.
 *
 * APIGW_V1: {"statusCode","headers","multiValueHeaders","body","isBase64Encoded"}:
 *   headers holds the first value of each name, multiValueHeaders all values
 *   (Set-Cookie included there), as API Gateway merges the two.
 * APIGW_V2: {"statusCode","headers","cookies","body","isBase64Encoded"}:
 *   values of one name are comma-joined; cookies lists the Set-Cookie values
 *   (omitted when there are none).
 * Keys appear in that order; the body is base64 when resp->binary or
 * apigw_body_is_binary(Content-Type, body). Returns 0, ERR_INVAL for another
 * version, ERR_TOOLARGE past the cap of `out`, ERR_NOMEM.
 */
int apigw_response_to_json(const struct apigw_response *resp, int version, struct buf *out);

/*
 * Parse what a function returned (the Invoke payload) into `out` (which needs
 * no initialisation; release it with apigw_response_release() whatever the
 * result), following API Gateway's rules:
 *
 * APIGW_V2 (HTTP API infers the format): a JSON object with "statusCode" is
 *   read as a structured response; any other valid JSON (a string, a number,
 *   an object without statusCode) becomes a 200 with Content-Type
 *   application/json and the payload text as its body.
 * APIGW_V1 (REST proxy integration): the payload must be a JSON object with an
 *   integer statusCode; headers and multiValueHeaders are merged (both
 *   string-valued; multiValueHeaders win for a name in both); body must be a
 *   string or null; isBase64Encoded a boolean; base64 must decode.
 *
 * Returns 0, or ERR_PARSE with a reason in `why` for a malformed response (not
 * JSON, statusCode missing or not an integer in 100..599, a member of the wrong
 * type, bad base64): the gateway then answers 502 (REST APIs) or 500 (HTTP
 * APIs) "Internal Server Error" as API Gateway does.
 */
int apigw_parse_function_response(const char *json, size_t len, int version,
				  struct apigw_response *out /* OUT */, char *why, size_t why_len);

/*
 * An HTTP request as the local gateway received it, to be turned into an
 * event. All strings are borrowed; NULL means absent ("" for strings that
 * must appear in the event).
 */
struct apigw_http_request {
	const char *method;		  /* "GET" */
	const char *path;		  /* raw path, still percent-encoded, "/objects/a%20b" */
	const char *raw_query;		  /* without '?', NULL or "" when none */
	const struct apigw_pair *headers; /* as received, in order; repeated names allowed */
	size_t n_headers;
	const void *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	const char *source_ip; /* "127.0.0.1" */
	const char *stage;     /* "$default" (2.0) or "Prod" (1.0) */
	const char *route; /* 2.0 routeKey "GET /objects/{key+}"; 1.0 resource "/objects/{key+}" */
	const struct apigw_pair *path_params; /* decoded values */
	size_t n_path_params;
	const char *request_id;	 /* a UUID; generated when NULL */
	int64_t time_ms;	 /* epoch ms; the current time when 0 */
	const char *domain_name; /* Host as seen, "localhost" when NULL */
	const char *account_id;	 /* LOCAL_ACCOUNT_ID when NULL, like sam local */
	const char *api_id;	 /* "1234567890" when NULL, like sam local */
	const char *protocol;	 /* "HTTP/1.1" when NULL */
	json_t *authorizer;	 /* requestContext.authorizer to embed (borrowed), or NULL */
	/*
	 * The caller verified by an AWS_IAM authorizer, or NULL: 1.0 puts them in
	 * requestContext.identity {accessKey, userArn, caller}, 2.0 in
	 * requestContext.authorizer.iam {accessKey, userArn, callerId} (unless
	 * `authorizer` is given, which then wins).
	 */
	const char *iam_access_key;
	const char *iam_user_arn;
	const char *iam_caller;
};

/*
 * Append the event JSON that API Gateway (as `sam local` shapes it) would send
 * for `in` in payload format `version` (APIGW_V1 or APIGW_V2).
 *
 * 2.0: version, routeKey, rawPath, rawQueryString, cookies (from Cookie
 *   headers, which are then left out of headers), headers (lowercased names,
 *   repeated names comma-joined), queryStringParameters (repeated names
 *   comma-joined), pathParameters, requestContext {accountId, apiId,
 *   domainName, domainPrefix, http {method, path, protocol, sourceIp,
 *   userAgent}, requestId, routeKey, stage, time, timeEpoch}, body,
 *   isBase64Encoded.
 * 1.0: version, resource, path, httpMethod, headers (last value),
 *   multiValueHeaders, queryStringParameters (last value),
 *   multiValueQueryStringParameters, pathParameters, stageVariables,
 *   requestContext {accountId, apiId, domainName, httpMethod, identity
 *   {sourceIp, userAgent, ...}, path, protocol, requestId, requestTime,
 *   requestTimeEpoch, resourcePath, stage}, body, isBase64Encoded.
 * 1.0 sends absent maps as null; 2.0 sends cookies [] and pathParameters {}
 * as sam local does and leaves queryStringParameters out without a query.
 * An empty body is null (1.0) or "" (2.0). The body is base64 when
 * apigw_body_is_binary(Content-Type, body).
 *
 * Returns 0, ERR_INVAL (no method or path, bad version), ERR_PARSE (a query
 * that does not percent-decode, a header or value that is not UTF-8),
 * ERR_TOOLARGE past the cap of `out` or APIGW_QUERY_MAX parameters, ERR_NOMEM,
 * or ERR_IO when no request id was given and none could be generated.
 */
int apigw_event_from_http(const struct apigw_http_request *in, int version, struct buf *out);

#endif
