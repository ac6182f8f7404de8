/*
 * API Gateway's answers to the requests the framing guard refuses
 * (http/guard.h): a header section past API Gateway's 10,240 bytes, a body
 * past its 10 MB, framing HTTP/1.1 does not allow. AWS documents the limits
 * (the HTTP and REST API quotas), not every answer; docs/security.md says
 * what each one below is based on. The answer speaks for the API whose route
 * the refused request's method and path match, else for the gateway's
 * default (HTTP API when there is one), as for a request without a route.
 */
#include "core/common.h"

#include <event2/http.h>

#include "core/uuid.h"
#include "http/guard.h"
#include "local/apigw/gw_int.h"

/* {"message":"HTTP header is larger than <cap> bytes."} */
#define GW_GUARD_BODY_MAX 96

static void send_answer(struct evhttp_request *req, int version, const char *rid,
			const struct http_guard_refusal *r)
{
	char body[GW_GUARD_BODY_MAX];

	switch (r->kind) {
	case HTTP_REFUSAL_HEAD_TOO_LARGE:
		/* The words API Gateway's front end uses, as JSON (status: RFC 6585 5). */
		snprintf(body, sizeof(body),
			 "{\"message\":\"HTTP header is larger than %zu bytes.\"}", r->head_max);
		gw_send_json(req, version, rid, 431, NULL, body);
		break;
	case HTTP_REFUSAL_BODY_TOO_LARGE:
		/* REST: the REQUEST_TOO_LARGE gateway response, as AWS sends it. */
		if (version == APIGW_V1)
			gw_send_json(req, version, rid, 413, "BadRequestException",
				     "{\"message\": \"Request Too Long\"}");
		else
			gw_send_json(req, version, rid, 413, NULL,
				     "{\"message\":\"Request Entity Too Large\"}");
		break;
	case HTTP_REFUSAL_NOT_IMPLEMENTED:
		gw_send_json(req, version, rid, 501, NULL, "{\"message\":\"Not Implemented\"}");
		break;
	default:
		gw_send_json(req, version, rid, 400, NULL, "{\"message\":\"Bad Request\"}");
		break;
	}
}

void gw_guard_answer(const struct gateway_routes *rt, struct evhttp_request *req,
		     const struct http_guard_refusal *r)
{
	const char *uri = evhttp_request_get_uri(req);
	char rid[UUID_STR_LEN + 1] = "00000000-0000-4000-8000-000000000000";
	char path[HTTP_GUARD_TARGET_MAX + 1];
	struct gateway_match m = {0};
	bool matched;
	int version;

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri ? uri : "/", "?#"), uri ? uri : "/");
	matched = *r->method && gateway_routes_match(rt, r->method, path, &m) && m.route;
	version = matched ? m.route->version : gateway_routes_has_http(rt) ? APIGW_V2 : APIGW_V1;
	uuid_v4(rid);
	gw_log_refusal(LVL_WARN, *r->method ? r->method : "-", path, matched ? m.route : NULL,
		       m.route_key, r->status, http_framing_reason_text(r->reason), NULL, NULL);
	send_answer(req, version, rid, r);
}
