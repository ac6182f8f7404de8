/*
 * The AWS_IAM authorizer of the local API Gateway (see gw_int.h): the
 * request's SigV4 signature (service execute-api, header or presigned
 * query) is verified by aws/sigv4 against the one pair of local credentials,
 * and a refusal is answered in API Gateway's words, which differ between
 * REST and HTTP APIs: REST names the missing token and, for a bad signature,
 * prints the canonical request and string to sign it expected (so that a
 * client can find its bug); HTTP APIs say "Forbidden".
 */
#include "core/common.h"

#include <event2/http.h>

#include "core/buf.h"
#include "local/apigw/gw_int.h"

/*
 * The message of a signature mismatch: two sentences and, for REST APIs,
 * the canonical request (its headers included) and the string to sign.
 */
#define GW_SIG_MESSAGE_MAX ((size_t)1 << 20)
/* "Signature expired: " and sigv4's message, which quotes two timestamps. */
#define GW_SKEW_MESSAGE_MAX 320

#define GW_MISMATCH_TEXT                                                                  \
	"The request signature we calculated does not match the signature you provided. " \
	"Check your AWS Secret Access Key and signing method. Consult the service "       \
	"documentation for details."

static const char *secret_lookup(void *ctx, struct str key_id)
{
	const struct gw_creds *creds = ctx;

	return str_eq_cstr(key_id, creds->access_key_id) ? creds->secret : NULL;
}

/* A signature mismatch; REST APIs add what they computed. */
static void send_mismatch(struct evhttp_request *req, int v, const char *rid,
			  const struct sigv4_result *res)
{
	struct buf text;

	buf_init(&text, GW_SIG_MESSAGE_MAX);
	buf_puts(&text, GW_MISMATCH_TEXT);
	if (v == APIGW_V1 && res->canonical_request.len)
		buf_putf(&text,
			 "\n\nThe Canonical String for this request should have "
			 "been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
			 res->canonical_request.ptr, res->string_to_sign.ptr);
	/* Too long to quote (a huge header block): the sentences alone, never a cut quote. */
	gw_send_message(req, v, rid, 403, "InvalidSignatureException",
			buf_error(&text) ? GW_MISMATCH_TEXT : text.ptr);
	buf_release(&text);
}

/* The answer to a refused signature, as API Gateway words it. */
static void send_refusal(struct evhttp_request *req, int v, const char *rid,
			 const struct sigv4_result *res)
{
	char msg[GW_SKEW_MESSAGE_MAX];

	switch (res->status) {
	case SIGV4_MISSING:
		if (v == APIGW_V1)
			gw_send_json(req, v, rid, 403, "MissingAuthenticationTokenException",
				     "{\"message\":\"Missing Authentication Token\"}");
		else
			gw_send_json(req, v, rid, 403, "ForbiddenException",
				     "{\"message\":\"Forbidden\"}");
		break;
	case SIGV4_UNKNOWN_KEY:
		gw_send_json(
			req, v, rid, 403, "UnrecognizedClientException",
			"{\"message\":\"The security token included in the request is invalid.\"}");
		break;
	case SIGV4_SKEW:
	case SIGV4_EXPIRED:
		snprintf(msg, sizeof(msg), "Signature expired: %s", res->message);
		gw_send_message(req, v, rid, 403, "InvalidSignatureException", msg);
		break;
	case SIGV4_MISMATCH:
	case SIGV4_HASH_MISMATCH:
		send_mismatch(req, v, rid, res);
		break;
	case SIGV4_WRONG_REGION:
		/* As AWS's front ends word it (the trailing space is theirs). */
		snprintf(msg, sizeof(msg),
			 "Credential should be scoped to a valid region, not '%s'. ",
			 res->scope_region);
		gw_send_message(req, v, rid, 403, "InvalidSignatureException", msg);
		break;
	default:
		if (v == APIGW_V1)
			gw_send_message(req, v, rid, 403, "IncompleteSignatureException",
					res->message);
		else
			gw_send_json(req, v, rid, 403, "ForbiddenException",
				     "{\"message\":\"Forbidden\"}");
		break;
	}
}

bool gw_iam_check(const struct gw_creds *creds, struct evhttp_request *req,
		  const struct gateway_route_spec *route, const char *route_key, const char *rid,
		  const struct gw_req *g, char *access_key, size_t ak_cap)
{
	struct sigv4_request sr = {
		.method = g->method,
		.path = str_from(g->path),
		.query = str_from(g->query),
		.headers = g->sheaders,
		.n_headers = g->nheaders,
		.body = g->body,
		.body_len = g->body_len,
	};
	struct sigv4_verify_params vp = {
		.region = creds->region,
		.service = "execute-api",
		.now = time(NULL),
		.lookup = secret_lookup,
		.lookup_ctx = (void *)creds,
	};
	struct sigv4_result res;
	bool ok = false;

	sigv4_result_init(&res);
	if (sigv4_verify(&sr, &vp, &res)) {
		gw_send_internal_error(req, route->version, rid);
		goto out;
	}
	if (res.status == SIGV4_OK) {
		snprintf(access_key, ak_cap, "%s", res.access_key_id);
		ok = true;
		goto out;
	}
	gw_log_refusal(LVL_WARN, g->method, g->path, route, route_key, 403,
		       "AWS_IAM authorization refused", sigv4_status_name(res.status), res.message);
	send_refusal(req, route->version, rid, &res);
out:
	sigv4_result_release(&res);
	return ok;
}
