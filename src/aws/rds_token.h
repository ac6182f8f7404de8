/*
 * RDS IAM authentication tokens: the password a client gives RDS Proxy (or an
 * RDS instance with IAM database authentication) instead of a stored one.
 *
 * A token is a SigV4 presigned request, without its scheme:
 *
 *   <host>:<port>/?Action=connect&DBUser=<user>&X-Amz-Algorithm=AWS4-HMAC-SHA256
 *       &X-Amz-Credential=<akid>%2F<date>%2F<region>%2Frds-db%2Faws4_request
 *       &X-Amz-Date=<amz date>&X-Amz-Expires=900&X-Amz-SignedHeaders=host
 *       [&X-Amz-Security-Token=<token>]&X-Amz-Signature=<64 hex>
 *
 * signed for service "rds-db", method GET, path "/", the single header
 * Host: <host>:<port>, and the SHA-256 of an empty payload, valid 15 minutes
 * ("IAM database authentication", RDS user guide; botocore's
 * generate_db_auth_token() builds the same string, parameter order included,
 * which tests/unit/test_rds_token.c checks against cases botocore generated).
 *
 * Generation (rds_token.c) is what the function links; verification
 * (rds_token_verify.c) is what the local RDS Proxy links, so that the
 * function binary carries no verifier. Both sit on aws/sigv4.h.
 */
#ifndef SLUICE_AWS_RDS_TOKEN_H
#define SLUICE_AWS_RDS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/sigv4.h"
#include "core/buf.h"

/* RDS accepts a token for 15 minutes after its X-Amz-Date. */
#define RDS_TOKEN_EXPIRES_SECONDS 900
/* The signing name of IAM database authentication. */
#define RDS_TOKEN_SERVICE "rds-db"
/* Room for a token: host, user and session token dominate (a session token is ~1 KB). */
#define RDS_TOKEN_MAX ((size_t)8 << 10)
/* PostgreSQL's limit on a role name (NAMEDATALEN - 1). */
#define RDS_TOKEN_MAX_USER 63
/* The longest host name (RFC 1035). */
#define RDS_TOKEN_MAX_HOST 253

/* What a token is for, and who signs it. Strings are NUL-terminated and borrowed. */
struct rds_token_params {
	const char *host; /* the endpoint clients connect to (the proxy's, on AWS) */
	unsigned port;	  /* 1..65535 */
	const char *user; /* the database user, 1..RDS_TOKEN_MAX_USER bytes */
	const char *region;
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL or "" when none */
	time_t now;		   /* signing time */
};

/*
 * Append the token for `p` to `out`. Returns 0, ERR_INVAL (a missing field,
 * port 0 or over 65535, a host or user too long or holding a control
 * character, '/' or ':' in the host), ERR_TOOLARGE past the cap of `out`,
 * or ERR_NOMEM; `out` is left as it was on error.
 */
int rds_token_generate(const struct rds_token_params *p, struct buf *out);

/*
 * A token kept for reuse: the function makes one per connection attempt
 * but signs a new one only when the kept one is for another endpoint or
 * user, or has less than RDS_TOKEN_REFRESH_MARGIN seconds left. Initialise
 * with rds_token_cache_init(), release with rds_token_cache_release().
 */
#define RDS_TOKEN_REFRESH_MARGIN 60

struct rds_token_cache {
	struct buf token;
	char key[RDS_TOKEN_MAX_HOST + RDS_TOKEN_MAX_USER + 64]; /* host:port/user/akid */
	time_t signed_at;					/* 0: nothing kept */
};

void rds_token_cache_init(struct rds_token_cache *c);
void rds_token_cache_release(struct rds_token_cache *c);

/*
 * The token for `p`, from the cache when it is for the same host, port, user
 * and access key and was signed less than RDS_TOKEN_EXPIRES_SECONDS -
 * RDS_TOKEN_REFRESH_MARGIN seconds before p->now (and not after it), else
 * freshly signed and kept. `*token` points into the cache until its next use.
 * Returns 0 or an error of rds_token_generate() (the cache is then empty).
 */
int rds_token_cache_get(struct rds_token_cache *c, const struct rds_token_params *p,
			const char **token /* OUT */);

/* What the local RDS Proxy expects of a token. Strings are borrowed. */
struct rds_token_expect {
	const char *host; /* the proxy's own endpoint host ("127.0.0.1") */
	unsigned port;	  /* and port */
	const char *user; /* the user of the startup message */
	const char *region;
	time_t now;
	sigv4_secret_lookup_fn lookup; /* the local credentials */
	void *lookup_ctx;
};

/* The verdicts of rds_token_verify(). */
enum rds_token_status {
	RDS_TOKEN_OK = 0,
	RDS_TOKEN_MALFORMED,	 /* not host:port/?query, or the query is not a token's */
	RDS_TOKEN_WRONG_TARGET,	 /* signed for another host, port, user, action or service */
	RDS_TOKEN_EXPIRED,	 /* past X-Amz-Expires, or X-Amz-Expires over 900 */
	RDS_TOKEN_BAD_SIGNATURE, /* unknown key, wrong signature, clock skew */
};

/* "OK", "MALFORMED", ... for logs. */
const char *rds_token_status_name(enum rds_token_status s);

/*
 * Check `token` (`len` bytes, the password a client sent) as RDS does: it
 * must be a presigned rds-db "connect" request for exactly e->host:e->port
 * and e->user in e->region, signed by a key the lookup knows, within its
 * X-Amz-Expires of at most RDS_TOKEN_EXPIRES_SECONDS. The verdict goes to
 * `*status` and a sentence for the log to `why` (never the token itself).
 * Returns 0 with a verdict, or ERR_NOMEM / ERR_INVAL (NULL arguments) when
 * none could be reached.
 */
int rds_token_verify(const char *token, size_t len, const struct rds_token_expect *e,
		     enum rds_token_status *status /* OUT */, char *why, size_t why_len);

#endif
