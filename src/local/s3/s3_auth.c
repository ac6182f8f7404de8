/*
 * SigV4 for the local S3 endpoint (s3_int.h): the request's headers go to
 * sigv4_verify() with S3's rules (the payload hash in x-amz-content-sha256,
 * unsigned x-amz-* headers refused, presigned URLs), and each refusal is
 * answered with the code and fields S3 uses for it.
 *
 * SignatureDoesNotMatch is the one error that echoes much: S3 returns the
 * string to sign and the canonical request it computed, as text and as
 * space-separated hex bytes, so that a client author can find what differs.
 * That is what S3_ERROR_ANSWER_CAP is sized for.
 */
#include "core/common.h"

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/xml.h"
#include "http/server.h"
#include "local/s3/s3_int.h"

static const char *lookup_secret(void *ctx, struct str akid)
{
	const struct s3_server *srv = ctx;

	return str_eq_cstr(akid, srv->access_key_id) ? srv->secret : NULL;
}

/* <tag>hex bytes separated by spaces</tag>, as S3 writes StringToSignBytes. */
static void xml_hex_bytes(struct buf *b, const char *tag, struct buf *text)
{
	static const char digits[] = "0123456789abcdef";

	xml_open(b, tag);
	for (size_t i = 0; i < text->len; i++) {
		unsigned char c = (unsigned char)text->ptr[i];
		char hex[3] = {digits[c >> 4], digits[c & 15], ' '};

		buf_put(b, hex, i + 1 < text->len ? 3 : 2);
	}
	xml_close(b, tag);
}

static void sig_mismatch(struct s3_req *r, struct sigv4_result *res, const char *provided)
{
	struct buf b;

	s3_error_begin(r, &b, "SignatureDoesNotMatch",
		       "The request signature we calculated does not match the signature you "
		       "provided. Check your key and signing method.");
	xml_els(&b, "AWSAccessKeyId", res->access_key_id);
	xml_el(&b, "StringToSign", res->string_to_sign.ptr, res->string_to_sign.len);
	xml_els(&b, "SignatureProvided", provided);
	xml_hex_bytes(&b, "StringToSignBytes", &res->string_to_sign);
	xml_el(&b, "CanonicalRequest", res->canonical_request.ptr, res->canonical_request.len);
	xml_hex_bytes(&b, "CanonicalRequestBytes", &res->canonical_request);
	s3_error_send(r, 403, &b);
}

static void unknown_key(struct s3_req *r, const struct sigv4_result *res)
{
	struct buf b;

	s3_error_begin(r, &b, "InvalidAccessKeyId",
		       "The AWS Access Key Id you provided does not exist in our records.");
	xml_els(&b, "AWSAccessKeyId", res->access_key_id);
	s3_error_send(r, 403, &b);
}

/*
 * A request signed for another region: S3 names both regions in the
 * message and the expected one in <Region>, so that an SDK can retry there.
 */
static void wrong_region(struct s3_req *r, const struct sigv4_result *res)
{
	struct buf b;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s the region '%s' is wrong; expecting '%s'",
		 res->presigned ? "Error parsing the X-Amz-Credential parameter;"
				: "The authorization header is malformed;",
		 res->scope_region, r->srv->region);
	s3_error_begin(r, &b,
		       res->presigned ? "AuthorizationQueryParametersError"
				      : "AuthorizationHeaderMalformed",
		       msg);
	xml_els(&b, "Region", r->srv->region);
	s3_error_send(r, 400, &b);
}

/* The signature the client sent: the presigned X-Amz-Signature, or the header's in `tmp`. */
static const char *provided_signature(const struct s3_req *r, char tmp[65])
{
	const char *sig = s3_qget(r, "X-Amz-Signature");
	const char *authz = s3_header(r, "Authorization");
	struct sigv4_authz az;

	if (sig)
		return sig;
	tmp[0] = '\0';
	if (authz && !sigv4_parse_authorization(str_from(authz), &az, NULL))
		snprintf(tmp, 65, "%.*s", STR_FMT(az.signature));
	return tmp;
}

/* Answer the refusal `res` as S3 does. */
static void refuse(struct s3_req *r, struct sigv4_result *res)
{
	const char *authz = s3_header(r, "Authorization");
	char provided[65]; /* 64 hex digits of a header's signature */

	switch (res->status) {
	case SIGV4_OK:
		break;
	case SIGV4_MISSING:
		if ((authz && !strncmp(authz, "AWS ", 4)) || s3_qhas(r, "AWSAccessKeyId"))
			s3_not_implemented(r, "Signature Version 2 (use SigV4: signature_version "
					      "'s3v4')");
		else
			s3_reply_error(r, 403, "AccessDenied", "Access Denied");
		break;
	case SIGV4_MALFORMED:
		s3_reply_error(r, 400,
			       res->presigned ? "AuthorizationQueryParametersError"
					      : "AuthorizationHeaderMalformed",
			       res->message);
		break;
	case SIGV4_WRONG_REGION:
		wrong_region(r, res);
		break;
	case SIGV4_UNKNOWN_KEY:
		unknown_key(r, res);
		break;
	case SIGV4_SKEW:
		s3_reply_error(r, 403, "RequestTimeTooSkewed",
			       "The difference between the request time and the current time is "
			       "too large.");
		break;
	case SIGV4_EXPIRED:
		s3_reply_error(r, 403, "AccessDenied", "Request has expired");
		break;
	case SIGV4_MISMATCH:
		sig_mismatch(r, res, provided_signature(r, provided));
		break;
	case SIGV4_UNSIGNED_HEADER:
		s3_reply_error(r, 403, "AccessDenied",
			       "There were headers present in the request which were not signed");
		break;
	case SIGV4_HASH_MISMATCH:
		s3_reply_error(r, 400, "XAmzContentSHA256Mismatch",
			       "The provided 'x-amz-content-sha256' header does not match what "
			       "was computed.");
		break;
	}
}

bool s3_authenticate(struct s3_req *r, struct str path, struct str query)
{
	struct sigv4_header *hs;
	struct sigv4_result res;
	struct evkeyval *kv;
	const char *authz = s3_header(r, "Authorization");
	size_t n = 0;
	bool ok;

	/* As many headers as came: the endpoint's guard capped the head's size. */
	hs = calloc(http_header_count(r->in) + 1, sizeof(*hs));
	if (!hs) {
		s3_internal_error(r, ERR_NOMEM);
		return false;
	}
	TAILQ_FOREACH(kv, r->in, next)
	{
		hs[n].name = str_from(kv->key);
		hs[n].value = str_from(kv->value);
		n++;
	}
	struct sigv4_request sr = {
		.method = http_method_name(r->method),
		.path = path,
		.query = query,
		.headers = hs,
		.n_headers = n,
		.body = r->body,
		.body_len = r->body_len,
	};
	struct sigv4_verify_params vp = {
		.region = r->srv->region,
		.service = "s3",
		.s3 = true,
		.now = time(NULL),
		.lookup = lookup_secret,
		.lookup_ctx = r->srv,
	};
	sigv4_result_init(&res);
	if (sigv4_verify(&sr, &vp, &res)) {
		sigv4_result_release(&res);
		free(hs);
		s3_internal_error(r, ERR_NOMEM);
		return false;
	}
	free(hs);
	ok = res.status == SIGV4_OK;
	if (ok && !res.presigned && authz)
		r->header_signed = !sigv4_parse_authorization(str_from(authz), &r->authz, NULL);
	else if (!ok)
		refuse(r, &res);
	sigv4_result_release(&res);
	return ok;
}
