/*
 * RDS IAM authentication tokens, the signing half (see rds_token.h).
 * sigv4_presign() computes the signature; the token is then written in the
 * order botocore writes it (the operation's parameters, then the signing
 * ones, the signature last), so that a token can be compared byte for byte
 * with botocore's generate_db_auth_token().
 */
#include "core/common.h"

#include "aws/rds_token.h"
#include "core/enc.h"

/*
 * True when `s` is non-empty, at most `max` bytes, and holds none of `bad`
 * nor a control byte (a role name may hold spaces; a host may not).
 */
static bool field_ok(const char *s, size_t max, const char *bad)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || strchr(bad, s[i]))
			return false;
	return true;
}

static bool params_ok(const struct rds_token_params *p)
{
	return p && field_ok(p->host, RDS_TOKEN_MAX_HOST, " /?#@\\") && p->port >= 1 &&
	       p->port <= 65535 && field_ok(p->user, RDS_TOKEN_MAX_USER, "") && p->region &&
	       *p->region && p->access_key_id && *p->access_key_id && p->secret_access_key;
}

/* Append "name=<value, percent-encoded>" with a leading '&' unless first. */
static void put_param(struct buf *b, const char *name, const char *value, bool first)
{
	buf_putf(b, "%s%s=", first ? "" : "&", name);
	if (!buf_error(b) && uri_encode(b, value, strlen(value), false))
		buf_set_error(b, ERR_TOOLARGE);
}

/* The presigned request of `p`, signed into `sig`. */
static int sign(const struct rds_token_params *p, const char *hostport, struct sigv4_signed *sig)
{
	struct buf query;
	int err;

	buf_init(&query, RDS_TOKEN_MAX);
	put_param(&query, "Action", "connect", true);
	put_param(&query, "DBUser", p->user, false);
	if ((err = buf_error(&query))) {
		buf_release(&query);
		return err;
	}
	struct sigv4_header host = {STR_LIT("Host"), str_from(hostport)};
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/"),
		.query = str_make(query.ptr, query.len),
		.headers = &host,
		.n_headers = 1,
	};
	struct sigv4_params sp = {
		.access_key_id = p->access_key_id,
		.secret_access_key = p->secret_access_key,
		.session_token = p->session_token,
		.region = p->region,
		.service = RDS_TOKEN_SERVICE,
		.now = p->now,
		.expires = RDS_TOKEN_EXPIRES_SECONDS,
	};
	err = sigv4_presign(&req, &sp, sig);
	buf_release(&query);
	return err;
}

int rds_token_generate(const struct rds_token_params *p, struct buf *out)
{
	char hostport[RDS_TOKEN_MAX_HOST + 8], expires[16], credential[512];
	struct sigv4_signed sig;
	size_t mark = out->len;
	int err;

	if (!params_ok(p))
		return ERR_INVAL;
	snprintf(hostport, sizeof(hostport), "%s:%u", p->host, p->port);
	sigv4_signed_init(&sig);
	err = sign(p, hostport, &sig);
	if (err)
		goto done;
	/* Credential = <akid>/<yyyymmdd>/<region>/rds-db/aws4_request, from the signing date. */
	snprintf(credential, sizeof(credential), "%s/%.8s/%s/%s/aws4_request", p->access_key_id,
		 sig.amz_date, p->region, RDS_TOKEN_SERVICE);
	snprintf(expires, sizeof(expires), "%d", RDS_TOKEN_EXPIRES_SECONDS);
	buf_putf(out, "%s/?", hostport);
	put_param(out, "Action", "connect", true);
	put_param(out, "DBUser", p->user, false);
	put_param(out, "X-Amz-Algorithm", SIGV4_ALGORITHM, false);
	put_param(out, "X-Amz-Credential", credential, false);
	put_param(out, "X-Amz-Date", sig.amz_date, false);
	put_param(out, "X-Amz-Expires", expires, false);
	put_param(out, "X-Amz-SignedHeaders", "host", false);
	if (p->session_token && *p->session_token)
		put_param(out, "X-Amz-Security-Token", p->session_token, false);
	put_param(out, "X-Amz-Signature", sig.signature, false);
	err = buf_error(out);
done:
	if (err) {
		buf_truncate(out, mark);
		out->err = 0;
	}
	sigv4_signed_release(&sig);
	return err;
}

void rds_token_cache_init(struct rds_token_cache *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->token, RDS_TOKEN_MAX);
}

void rds_token_cache_release(struct rds_token_cache *c)
{
	/* A token is a bearer credential for its 15 minutes: do not leave it in freed memory. */
	if (c->token.alloc)
		explicit_bzero(c->token.ptr, c->token.len);
	buf_release(&c->token);
	c->key[0] = '\0';
	c->signed_at = 0;
}

int rds_token_cache_get(struct rds_token_cache *c, const struct rds_token_params *p,
			const char **token)
{
	char key[sizeof(c->key)];
	int err;

	if (!params_ok(p))
		return ERR_INVAL;
	snprintf(key, sizeof(key), "%s:%u/%s/%s", p->host, p->port, p->user, p->access_key_id);
	if (c->signed_at && !strcmp(key, c->key) && p->now >= c->signed_at &&
	    p->now - c->signed_at < RDS_TOKEN_EXPIRES_SECONDS - RDS_TOKEN_REFRESH_MARGIN) {
		*token = c->token.ptr;
		return 0;
	}
	rds_token_cache_release(c);
	buf_init(&c->token, RDS_TOKEN_MAX);
	err = rds_token_generate(p, &c->token);
	if (err)
		return err;
	memcpy(c->key, key, sizeof(key));
	c->signed_at = p->now;
	*token = c->token.ptr;
	return 0;
}
