/*
 * RDS IAM authentication tokens, the verifying half (see rds_token.h), for
 * the local RDS Proxy. The token is taken apart into the presigned request
 * it is (GET / with Host: <host>:<port>) and handed to sigv4_verify(); what
 * SigV4 does not say (for whom and for which endpoint the token was made,
 * and that it is valid at most 15 minutes) is checked here.
 */
#include "core/common.h"

#include "aws/rds_token.h"
#include "core/enc.h"
#include "http/query.h"

static const char *const status_names[] = {"OK", "MALFORMED", "WRONG_TARGET", "EXPIRED",
					   "BAD_SIGNATURE"};

const char *rds_token_status_name(enum rds_token_status s)
{
	return (size_t)s < ARRAY_SIZE(status_names) ? status_names[s] : "?";
}

/* The parameters of a token that are checked here, decoded. */
struct token_fields {
	char action[16];
	char user[RDS_TOKEN_MAX_USER + 1];
	char expires[16];
	int seen; /* bit per field */
};

/* Decode `v` into `dst` (`size` bytes with the NUL); false when it does not fit or is bad. */
static bool decode_into(struct str v, char *dst, size_t size)
{
	struct buf b;
	bool ok;

	buf_init(&b, size - 1);
	ok = uri_decode(&b, v.ptr ? v.ptr : "", v.len, false) == 0 && !memchr(b.ptr, 0, b.len);
	if (ok)
		memcpy(dst, b.ptr, b.len + 1);
	buf_release(&b);
	return ok;
}

/* Read Action, DBUser and X-Amz-Expires; false when one is repeated or does not decode. */
static bool read_fields(struct str query, struct token_fields *f)
{
	struct str name, value;

	memset(f, 0, sizeof(*f));
	while (query_next(&query, &name, &value)) {
		char *dst = NULL;
		size_t size = 0;
		int bit = 0;

		if (str_eq_cstr(name, "Action"))
			dst = f->action, size = sizeof(f->action), bit = 1;
		else if (str_eq_cstr(name, "DBUser"))
			dst = f->user, size = sizeof(f->user), bit = 2;
		else if (str_eq_cstr(name, "X-Amz-Expires"))
			dst = f->expires, size = sizeof(f->expires), bit = 4;
		if (!dst)
			continue;
		if ((f->seen & bit) || !decode_into(value, dst, size))
			return false;
		f->seen |= bit;
	}
	return f->seen == 7;
}

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* The request-level checks; RDS_TOKEN_OK when SigV4 should now decide. */
static enum rds_token_status check_target(struct str hostport, const struct token_fields *f,
					  const struct rds_token_expect *e, char *why,
					  size_t why_len)
{
	char want[RDS_TOKEN_MAX_HOST + 8];
	long long expires;

	snprintf(want, sizeof(want), "%s:%u", e->host, e->port);
	if (!str_ieq_cstr(hostport, want)) {
		say(why, why_len, "the token is for %.*s, not for this proxy (%s)",
		    (int)MIN(hostport.len, (size_t)RDS_TOKEN_MAX_HOST), hostport.ptr, want);
		return RDS_TOKEN_WRONG_TARGET;
	}
	if (strcmp(f->action, "connect")) {
		say(why, why_len, "the token's Action is not connect");
		return RDS_TOKEN_WRONG_TARGET;
	}
	if (strcmp(f->user, e->user)) {
		say(why, why_len, "the token is for user \"%s\", not \"%s\"", f->user, e->user);
		return RDS_TOKEN_WRONG_TARGET;
	}
	if (str_to_i64(str_from(f->expires), 1, RDS_TOKEN_EXPIRES_SECONDS, &expires)) {
		say(why, why_len, "X-Amz-Expires is not 1 to %d seconds",
		    RDS_TOKEN_EXPIRES_SECONDS);
		return RDS_TOKEN_EXPIRED;
	}
	return RDS_TOKEN_OK;
}

static enum rds_token_status map_sigv4(const struct sigv4_result *r, char *why, size_t why_len)
{
	switch (r->status) {
	case SIGV4_OK:
		return RDS_TOKEN_OK;
	case SIGV4_EXPIRED:
		say(why, why_len, "the token has expired");
		return RDS_TOKEN_EXPIRED;
	case SIGV4_MISSING:
	case SIGV4_MALFORMED:
		say(why, why_len, "the token is malformed: %s", r->message);
		return RDS_TOKEN_MALFORMED;
	case SIGV4_UNKNOWN_KEY:
		say(why, why_len, "the token is signed with an unknown access key");
		return RDS_TOKEN_BAD_SIGNATURE;
	case SIGV4_SKEW:
		say(why, why_len, "the token's time is too far from now");
		return RDS_TOKEN_BAD_SIGNATURE;
	default:
		say(why, why_len, "the token's signature does not match");
		return RDS_TOKEN_BAD_SIGNATURE;
	}
}

int rds_token_verify(const char *token, size_t len, const struct rds_token_expect *e,
		     enum rds_token_status *status, char *why, size_t why_len)
{
	struct token_fields f;
	struct sigv4_result res;
	struct str t = str_make(token, len), hostport, query;
	long slash;
	int err;

	if (!token || !e || !e->host || !e->user || !e->lookup || !status)
		return ERR_INVAL;
	say(why, why_len, "ok");
	*status = RDS_TOKEN_MALFORMED;
	slash = str_index(t, '/');
	if (len > RDS_TOKEN_MAX || slash <= 0 || (size_t)slash + 1 >= len ||
	    token[slash + 1] != '?' || memchr(token, 0, len)) {
		say(why, why_len, "the password is not an IAM authentication token");
		return 0;
	}
	hostport = str_make(token, (size_t)slash);
	query = str_make(token + slash + 2, len - (size_t)slash - 2);
	if (!read_fields(query, &f)) {
		say(why, why_len, "the token lacks Action, DBUser or X-Amz-Expires");
		return 0;
	}
	*status = check_target(hostport, &f, e, why, why_len);
	if (*status != RDS_TOKEN_OK)
		return 0;

	struct sigv4_header host = {STR_LIT("Host"), hostport};
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/"),
		.query = query,
		.headers = &host,
		.n_headers = 1,
	};
	struct sigv4_verify_params vp = {
		.region = e->region,
		.service = RDS_TOKEN_SERVICE,
		.now = e->now,
		.lookup = e->lookup,
		.lookup_ctx = e->lookup_ctx,
	};
	sigv4_result_init(&res);
	err = sigv4_verify(&req, &vp, &res);
	if (!err && !res.presigned && res.status == SIGV4_OK)
		res.status = SIGV4_MALFORMED;
	if (!err)
		*status = map_sigv4(&res, why, why_len);
	sigv4_result_release(&res);
	return err;
}
