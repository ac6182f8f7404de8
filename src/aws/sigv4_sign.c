/*
 * SigV4 signing (sigv4.h): the Authorization header of the function's AWS
 * clients (S3, DynamoDB) and presigned URLs, the form an RDS IAM token takes.
 * The canonical request is built by sigv4_canon.c, which the verifier uses
 * too; this file adds what only a signer does: pick the date and payload
 * hash, add its own X-Amz-* headers or query parameters, and write the
 * results out.
 *
 * The function binary links this file and sigv4_canon.c, never
 * sigv4_verify.c: nothing here may call into it.
 */
#include "core/common.h"

#include "aws/sigv4_int.h"

#include "core/enc.h"
#include "core/timeutil.h"

void sigv4_signed_init(struct sigv4_signed *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->canonical_request, SIGV4_MAX_CANONICAL * 4);
	buf_init(&s->string_to_sign, SIGV4_SMALL_CAP);
	buf_init(&s->signed_headers, SIGV4_SMALL_CAP);
	buf_init(&s->authorization, SIGV4_SMALL_CAP * 2);
	buf_init(&s->query, SIGV4_MAX_CANONICAL * 2);
}

void sigv4_signed_release(struct sigv4_signed *s)
{
	buf_release(&s->canonical_request);
	buf_release(&s->string_to_sign);
	buf_release(&s->signed_headers);
	buf_release(&s->authorization);
	buf_release(&s->query);
	s->n_headers = 0;
	s->signature[0] = s->amz_date[0] = s->payload_hash[0] = '\0';
}

static void signed_reset(struct sigv4_signed *s)
{
	buf_reset(&s->canonical_request);
	buf_reset(&s->string_to_sign);
	buf_reset(&s->signed_headers);
	buf_reset(&s->authorization);
	buf_reset(&s->query);
	s->n_headers = 0;
	s->signature[0] = s->amz_date[0] = s->payload_hash[0] = '\0';
}

/* A scope part: non-empty, no '/', and not absurdly long. */
static bool scope_part_ok(const char *s)
{
	return s && s[0] && strnlen(s, 129) <= 128 && !strchr(s, '/');
}

static bool has_token(const struct sigv4_params *p)
{
	return p->session_token && p->session_token[0];
}

/* Checks shared by both forms; fills the date and the payload hash. */
static int sign_prepare(const struct sigv4_request *req, const struct sigv4_params *p,
			struct sigv4_signed *out, bool presign, struct buf *scope)
{
	if (!req || !p || !out || !req->method || !req->method[0] ||
	    !scope_part_ok(p->access_key_id) || !p->secret_access_key ||
	    !scope_part_ok(p->region) || !scope_part_ok(p->service) ||
	    (req->path.len && memchr(req->path.ptr, '?', req->path.len)) ||
	    req->payload_hash.len > SIGV4_MAX_PAYLOAD_HASH_LEN || (!req->body && req->body_len))
		return ERR_INVAL;
	signed_reset(out);
	time_amz(out->amz_date, p->now);
	if (req->payload_hash.len) {
		memcpy(out->payload_hash, req->payload_hash.ptr, req->payload_hash.len);
		out->payload_hash[req->payload_hash.len] = '\0';
	} else if (presign && p->s3) {
		memcpy(out->payload_hash, SIGV4_UNSIGNED_PAYLOAD, sizeof(SIGV4_UNSIGNED_PAYLOAD));
	} else {
		sha256_hex(req->body, req->body_len, out->payload_hash);
	}
	return buf_addf(scope, "%.8s/%s/%s/aws4_request", out->amz_date, p->region, p->service);
}

/* The string to sign and the signature, from the finished canonical request. */
static int sign_finish(const struct sigv4_params *p, struct sigv4_signed *out, struct str scope)
{
	int err = sigv4_string_to_sign(&out->string_to_sign, out->amz_date, scope,
				       &out->canonical_request);
	if (err)
		return err;
	return sigv4_signature(p->secret_access_key, str_make(out->amz_date, 8),
			       str_from(p->region), str_from(p->service), &out->string_to_sign,
			       out->signature);
}

static void add_out_header(struct sigv4_signed *out, const char *name, struct str value)
{
	out->headers[out->n_headers].name = str_from(name);
	out->headers[out->n_headers].value = value;
	out->n_headers++;
}

int sigv4_sign_headers(const struct sigv4_request *req, const struct sigv4_params *p,
		       struct sigv4_signed *out)
{
	struct sigv4_header extra[3];
	struct sigv4_header_sel sel = {extra, 0, NULL};
	struct sigv4_canon c;
	struct buf scope;
	int err;

	buf_init(&scope, SIGV4_SMALL_CAP);
	sigv4_canon_init(&c);
	err = sign_prepare(req, p, out, false, &scope);
	if (err)
		goto fail;
	struct str date = str_make(out->amz_date, 16);
	struct str hash = str_from(out->payload_hash);
	bool with_hash = p->s3 || p->sign_body;

	extra[sel.n_extra++] = (struct sigv4_header){STR_LIT("x-amz-date"), date};
	if (has_token(p) && !p->omit_session_token)
		extra[sel.n_extra++] = (struct sigv4_header){STR_LIT("x-amz-security-token"),
							     str_from(p->session_token)};
	if (with_hash)
		extra[sel.n_extra++] = (struct sigv4_header){STR_LIT("x-amz-content-sha256"), hash};

	err = sigv4_canon_uri(&c.uri, req->path, p->s3, !p->s3 && !p->no_normalize_path);
	if (!err)
		err = sigv4_canon_query(&c.query, req->query, false);
	if (!err)
		err = sigv4_canon_headers(req, &sel, &c.headers, &c.signed_list);
	if (!err)
		err = sigv4_canon_assemble(&c, req->method, hash, &out->canonical_request);
	if (!err)
		err = sign_finish(p, out, str_make(scope.ptr, scope.len));
	if (!err)
		err = buf_add(&out->signed_headers, c.signed_list.ptr, c.signed_list.len);
	if (!err)
		err = buf_addf(&out->authorization,
			       SIGV4_ALGORITHM
			       " Credential=%s/%.*s, SignedHeaders=%.*s, Signature=%s",
			       p->access_key_id, (int)scope.len, scope.ptr, (int)c.signed_list.len,
			       c.signed_list.ptr, out->signature);
	if (err)
		goto fail;

	add_out_header(out, "X-Amz-Date", date);
	if (has_token(p))
		add_out_header(out, "X-Amz-Security-Token", str_from(p->session_token));
	if (with_hash)
		add_out_header(out, "x-amz-content-sha256", hash);
	add_out_header(out, "Authorization",
		       str_make(out->authorization.ptr, out->authorization.len));
	sigv4_canon_release(&c);
	buf_release(&scope);
	return 0;
fail:
	sigv4_canon_release(&c);
	buf_release(&scope);
	if (out)
		signed_reset(out);
	return err == ERR_PARSE ? ERR_INVAL : err;
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_signed *out)
{
	struct sigv4_header_sel sel = {NULL, 0, NULL};
	struct sigv4_query q;
	struct sigv4_canon c;
	struct buf scope, cred;
	char expires[24];
	int err;

	buf_init(&scope, SIGV4_SMALL_CAP);
	buf_init(&cred, SIGV4_SMALL_CAP);
	sigv4_canon_init(&c);
	sigv4_query_init(&q);
	if (!p || p->expires < 1 || p->expires > SIGV4_MAX_EXPIRES_SECONDS) {
		err = ERR_INVAL;
		goto fail;
	}
	err = sign_prepare(req, p, out, true, &scope);
	if (!err)
		err = buf_addf(&cred, "%s/%.*s", p->access_key_id, (int)scope.len, scope.ptr);
	if (!err)
		err = sigv4_canon_uri(&c.uri, req->path, p->s3, !p->s3 && !p->no_normalize_path);
	if (!err)
		err = sigv4_canon_headers(req, &sel, &c.headers, &c.signed_list);
	if (err)
		goto fail;

	/* The signing parameters join the request's own before sorting. */
	snprintf(expires, sizeof(expires), "%ld", p->expires);
	err = sigv4_query_add_raw(&q, req->query, false, true);
	/* The URL must pass the verifier's cap with its 6 or 7 signing parameters. */
	if (!err && q.n + 6 + has_token(p) > SIGV4_MAX_QUERY_PARAMS)
		err = ERR_TOOLARGE;
	if (!err)
		err = sigv4_query_add(&q, STR_LIT("X-Amz-Algorithm"), STR_LIT(SIGV4_ALGORITHM),
				      false);
	if (!err)
		err = sigv4_query_add(&q, STR_LIT("X-Amz-Credential"), str_make(cred.ptr, cred.len),
				      false);
	if (!err)
		err = sigv4_query_add(&q, STR_LIT("X-Amz-Date"), str_make(out->amz_date, 16),
				      false);
	if (!err)
		err = sigv4_query_add(&q, STR_LIT("X-Amz-Expires"), str_from(expires), false);
	if (!err)
		err = sigv4_query_add(&q, STR_LIT("X-Amz-SignedHeaders"),
				      str_make(c.signed_list.ptr, c.signed_list.len), false);
	if (!err && has_token(p) && !p->omit_session_token)
		err = sigv4_query_add(&q, STR_LIT("X-Amz-Security-Token"),
				      str_from(p->session_token), false);
	if (!err)
		err = sigv4_query_emit(&q, &c.query);
	if (!err)
		err = sigv4_canon_assemble(&c, req->method, str_from(out->payload_hash),
					   &out->canonical_request);
	if (!err)
		err = sign_finish(p, out, str_make(scope.ptr, scope.len));
	if (!err)
		err = buf_add(&out->signed_headers, c.signed_list.ptr, c.signed_list.len);
	if (!err)
		err = buf_add(&out->query, c.query.ptr, c.query.len);
	if (!err)
		err = buf_addf(&out->query, "&X-Amz-Signature=%s", out->signature);
	if (!err && has_token(p) && p->omit_session_token) {
		err = buf_adds(&out->query, "&X-Amz-Security-Token=");
		if (!err)
			err = uri_encode(&out->query, p->session_token, strlen(p->session_token),
					 false);
	}
	if (err)
		goto fail;
	sigv4_query_release(&q);
	sigv4_canon_release(&c);
	buf_release(&cred);
	buf_release(&scope);
	return 0;
fail:
	sigv4_query_release(&q);
	sigv4_canon_release(&c);
	buf_release(&cred);
	buf_release(&scope);
	if (out)
		signed_reset(out);
	return err == ERR_PARSE ? ERR_INVAL : err;
}
