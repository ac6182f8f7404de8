/*
 * SigV4 verification (sigv4.h): parsing an Authorization header or the
 * X-Amz-* parameters of a presigned URL, the time and scope rules, and the
 * comparison of signatures. Only the local cloud uses it (the S3 and
 * DynamoDB endpoints, the gateway's AWS_IAM authorizer, the RDS Proxy); the
 * function binary never links it, so nothing of the signer's side
 * (sigv4_canon.c, sigv4_sign.c) may call into this file.
 *
 * The canonical request is recomputed with sigv4_canon.c over the signed
 * headers only. Verification never trusts a length or a count it has not
 * checked, and refuses before it allocates.
 */
#include "core/common.h"

#include "aws/sigv4_int.h"

#include "core/enc.h"
#include "core/timeutil.h"
#include "http/query.h"

/* ---- parsing the Authorization header ----------------------------------- */

static bool all_chars(struct str s, bool (*ok)(unsigned char))
{
	for (size_t i = 0; i < s.len; i++)
		if (!ok((unsigned char)s.ptr[i]))
			return false;
	return true;
}

static bool key_id_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool digit_char(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool scope_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool hex_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool header_name_char(unsigned char c)
{
	return sigv4_is_tchar(c) && !(c >= 'A' && c <= 'Z');
}

static int parse_fail(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return ERR_PARSE;
}

/* "AKID/yyyymmdd/region/service/aws4_request" into `out`. */
static int parse_credential(struct str cred, struct sigv4_authz *out, const char **reason)
{
	struct str parts[5], rest = cred;
	bool more = true;
	size_t n = 0;

	while (more) {
		if (n == 5)
			return parse_fail(reason,
					  "Credential has more than five '/'-separated parts");
		rest = str_split(rest, '/', &parts[n++], &more);
	}
	if (n != 5)
		return parse_fail(reason,
				  "Credential must be AKID/date/region/service/aws4_request");
	if (parts[0].len == 0 || parts[0].len > SIGV4_MAX_KEY_ID_LEN ||
	    !all_chars(parts[0], key_id_char))
		return parse_fail(reason, "Credential has an invalid access key id");
	if (parts[1].len != 8 || !all_chars(parts[1], digit_char))
		return parse_fail(reason, "Credential date must be 8 digits (yyyymmdd)");
	if (parts[2].len == 0 || parts[2].len > SIGV4_MAX_REGION_LEN ||
	    !all_chars(parts[2], scope_char))
		return parse_fail(reason, "Credential has an invalid region");
	if (parts[3].len == 0 || parts[3].len > 64 || !all_chars(parts[3], scope_char))
		return parse_fail(reason, "Credential has an invalid service");
	if (!str_eq_cstr(parts[4], "aws4_request"))
		return parse_fail(reason, "Credential must end in aws4_request");
	out->credential = cred;
	out->access_key_id = parts[0];
	out->scope = str_make(parts[1].ptr, (size_t)(cred.ptr + cred.len - parts[1].ptr));
	out->date = parts[1];
	out->region = parts[2];
	out->service = parts[3];
	return 0;
}

/* Lowercase names separated by ';', sorted, no duplicates; as many as the value holds. */
static int check_signed_headers(struct str list, const char **reason)
{
	struct str rest = list, item, prev = STR_NULL;
	bool more = true;

	if (list.len == 0)
		return parse_fail(reason, "SignedHeaders is empty");
	while (more) {
		rest = str_split(rest, ';', &item, &more);
		if (item.len == 0 || !all_chars(item, header_name_char))
			return parse_fail(reason, "SignedHeaders has an empty or invalid name");
		if (prev.ptr && sigv4_cmp_slice(prev.ptr, prev.len, item.ptr, item.len) >= 0)
			return parse_fail(reason, "SignedHeaders must be sorted and unique");
		prev = item;
	}
	return 0;
}

static int check_signature(struct str sig, const char **reason)
{
	if (sig.len != 64 || !all_chars(sig, hex_char))
		return parse_fail(reason, "Signature must be 64 lowercase hex digits");
	return 0;
}

static int parse_authorization(struct str value, struct sigv4_authz *out, const char **reason)
{
	static const struct str alg = STR_LIT(SIGV4_ALGORITHM " ");
	struct str rest, comp, name, val, cred = STR_NULL;
	bool more = true, have[3] = {false, false, false};
	int err;

	memset(out, 0, sizeof(*out));
	if (value.len > SIGV4_MAX_AUTHZ_LEN)
		return parse_fail(reason, "Authorization header is too long");
	if (!str_has_prefix(value, alg))
		return parse_fail(reason, "Authorization must start with 'AWS4-HMAC-SHA256 '");
	rest = str_make(value.ptr + alg.len, value.len - alg.len);
	while (more) {
		bool eq;
		rest = str_split(rest, ',', &comp, &more);
		comp = str_trim(comp);
		val = str_split(comp, '=', &name, &eq);
		if (!eq)
			return parse_fail(reason, "Authorization component without '='");
		int k = str_eq_cstr(name, "Credential")	     ? 0
			: str_eq_cstr(name, "SignedHeaders") ? 1
			: str_eq_cstr(name, "Signature")     ? 2
							     : -1;
		if (k < 0)
			return parse_fail(reason, "Authorization has an unknown component");
		if (have[k])
			return parse_fail(reason, "Authorization repeats a component");
		have[k] = true;
		if (k == 0)
			cred = val;
		else if (k == 1)
			out->signed_headers = val;
		else
			out->signature = val;
	}
	if (!have[0])
		return parse_fail(reason, "Authorization lacks Credential");
	if (!have[1])
		return parse_fail(reason, "Authorization lacks SignedHeaders");
	if (!have[2])
		return parse_fail(reason, "Authorization lacks Signature");
	err = parse_credential(cred, out, reason);
	if (!err)
		err = check_signed_headers(out->signed_headers, reason);
	if (!err)
		err = check_signature(out->signature, reason);
	return err;
}

int sigv4_parse_authorization(struct str value, struct sigv4_authz *out, const char **reason)
{
	int err = parse_authorization(value, out, reason);

	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

/* ---- verifying ---------------------------------------------------------- */

const char *sigv4_status_name(enum sigv4_status status)
{
	static const char *const names[] = {
		"OK",	   "MISSING",  "MALFORMED",	"UNKNOWN_KEY",	   "SKEW",
		"EXPIRED", "MISMATCH", "HASH_MISMATCH", "UNSIGNED_HEADER", "WRONG_REGION",
	};
	if ((unsigned)status >= ARRAY_SIZE(names))
		return "UNKNOWN";
	return names[status];
}

void sigv4_result_init(struct sigv4_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->canonical_request, SIGV4_MAX_CANONICAL * 4);
	buf_init(&r->string_to_sign, SIGV4_SMALL_CAP);
}

void sigv4_result_release(struct sigv4_result *r)
{
	buf_release(&r->canonical_request);
	buf_release(&r->string_to_sign);
	r->status = SIGV4_OK;
	r->presigned = false;
	r->message[0] = r->access_key_id[0] = '\0';
}

__attribute__((format(printf, 3, 4))) static int
verdict(struct sigv4_result *r, enum sigv4_status status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return 0;
}

/* The number of headers named `name`; `*value` gets the first. */
static size_t find_header(const struct sigv4_request *req, const char *name, struct str *value)
{
	size_t n = 0;

	*value = STR_NULL;
	for (size_t i = 0; i < req->n_headers; i++) {
		if (!str_ieq_cstr(req->headers[i].name, name))
			continue;
		if (n++ == 0)
			*value = req->headers[i].value;
	}
	return n;
}

/* What the verifier extracted from the header or the presigned query. */
struct claim {
	struct sigv4_authz authz;
	char amz_date[17];
	time_t when;
	long long expires; /* presigned only */
	struct str payload_hash;
	char body_hash[2 * SHA256_LEN + 1];
	bool check_body;
};

/* The request time: X-Amz-Date, else the HTTP Date header. */
static int claim_date_header(const struct sigv4_request *req, struct claim *c,
			     struct sigv4_result *r)
{
	struct str v;
	size_t n = find_header(req, "x-amz-date", &v);

	if (n > 1)
		return verdict(r, SIGV4_MALFORMED, "X-Amz-Date is repeated"), -1;
	if (n == 1) {
		v = str_trim(v);
		if (time_parse_amz(v.ptr, v.len, &c->when))
			return verdict(r, SIGV4_MALFORMED, "X-Amz-Date is not yyyymmddThhmmssZ"),
			       -1;
	} else if (find_header(req, "date", &v) == 1) {
		v = str_trim(v);
		if (time_parse_http(v.ptr, v.len, &c->when))
			return verdict(r, SIGV4_MALFORMED, "Date is not an HTTP date"), -1;
	} else {
		return verdict(r, SIGV4_MALFORMED, "the request has no X-Amz-Date or Date"), -1;
	}
	time_amz(c->amz_date, c->when);
	return 0;
}

/*
 * The payload hash to use: the caller's, else x-amz-content-sha256 as botocore
 * does for every service (checked against the body when it is a digest), else
 * UNSIGNED-PAYLOAD for an S3 presigned URL or the body's hash for other
 * services. S3 header-signed requests must carry the header.
 */
static int claim_payload(const struct sigv4_request *req, const struct sigv4_verify_params *vp,
			 bool presigned, struct claim *c, struct sigv4_result *r)
{
	struct str v;
	size_t n = find_header(req, "x-amz-content-sha256", &v);

	if (req->payload_hash.len) {
		c->payload_hash = req->payload_hash;
	} else if (n > 1) {
		return verdict(r, SIGV4_MALFORMED, "x-amz-content-sha256 is repeated"), -1;
	} else if (n == 1) {
		c->payload_hash = str_trim(v);
		if (c->payload_hash.len > SIGV4_MAX_PAYLOAD_HASH_LEN)
			return verdict(r, SIGV4_MALFORMED, "x-amz-content-sha256 is too long"), -1;
		c->check_body = c->payload_hash.len == 64;
	} else if (vp->s3 && !presigned) {
		return verdict(r, SIGV4_MALFORMED, "S3 requires the x-amz-content-sha256 header"),
		       -1;
	} else if (vp->s3) {
		c->payload_hash = STR_LIT(SIGV4_UNSIGNED_PAYLOAD);
	} else {
		sha256_hex(req->body, req->body_len, c->body_hash);
		c->payload_hash = str_from(c->body_hash);
	}
	return 0;
}

static int claim_from_header(const struct sigv4_request *req, struct str authz,
			     const struct sigv4_verify_params *vp, struct claim *c,
			     struct sigv4_result *r)
{
	const char *why = NULL;

	if (sigv4_parse_authorization(authz, &c->authz, &why))
		return verdict(r, SIGV4_MALFORMED, "%s", why), -1;
	if (claim_date_header(req, c, r))
		return -1;
	return claim_payload(req, vp, false, c, r);
}

/* Which presigning parameter `key` names, or -1. */
static int presign_index(struct str key)
{
	for (int i = 0; i < SIGV4_P_COUNT; i++)
		if (str_eq_cstr(key, sigv4_presign_params[i]))
			return i;
	return -1;
}

/* Decode each presigning parameter once into `store`, refusing repeats. */
static int collect_presign(struct str query, struct buf *store, struct str vals[SIGV4_P_COUNT],
			   struct sigv4_result *r)
{
	size_t off[SIGV4_P_COUNT], len[SIGV4_P_COUNT], count = 0;
	bool seen[SIGV4_P_COUNT] = {false};
	struct str rest = query, key, val;

	while (query_next(&rest, &key, &val)) {
		if (++count > SIGV4_MAX_QUERY_PARAMS)
			return verdict(r, SIGV4_MALFORMED, "too many query parameters"), -1;
		int k = presign_index(key);
		if (k < 0)
			continue;
		if (seen[k])
			return verdict(r, SIGV4_MALFORMED, "%s is repeated",
				       sigv4_presign_params[k]),
			       -1;
		seen[k] = true;
		off[k] = store->len;
		if (uri_decode(store, val.ptr, val.len, false))
			return verdict(r, SIGV4_MALFORMED, "%s is badly encoded",
				       sigv4_presign_params[k]),
			       -1;
		len[k] = store->len - off[k];
	}
	for (size_t k = 0; k < SIGV4_P_COUNT; k++)
		vals[k] = seen[k] ? str_make(store->ptr + off[k], len[k]) : STR_NULL;
	for (size_t k = 0; k < SIGV4_P_COUNT; k++) /* all but the session token are required */
		if (!seen[k] && k != SIGV4_P_SECURITY_TOKEN)
			return verdict(r, SIGV4_MALFORMED, "the query lacks %s",
				       sigv4_presign_params[k]),
			       -1;
	return 0;
}

static int claim_from_query(const struct sigv4_request *req, const struct sigv4_verify_params *vp,
			    struct buf *store, struct claim *c, struct sigv4_result *r)
{
	const char *why = NULL;
	struct str vals[SIGV4_P_COUNT];

	if (collect_presign(req->query, store, vals, r))
		return -1;
	if (!str_eq_cstr(vals[SIGV4_P_ALGORITHM], SIGV4_ALGORITHM))
		return verdict(r, SIGV4_MALFORMED, "X-Amz-Algorithm must be AWS4-HMAC-SHA256"), -1;
	if (parse_credential(vals[SIGV4_P_CREDENTIAL], &c->authz, &why) ||
	    check_signed_headers(vals[SIGV4_P_SIGNED_HEADERS], &why) ||
	    check_signature(vals[SIGV4_P_SIGNATURE], &why))
		return verdict(r, SIGV4_MALFORMED, "%s", why), -1;
	c->authz.signed_headers = vals[SIGV4_P_SIGNED_HEADERS];
	c->authz.signature = vals[SIGV4_P_SIGNATURE];
	if (time_parse_amz(vals[SIGV4_P_DATE].ptr, vals[SIGV4_P_DATE].len, &c->when))
		return verdict(r, SIGV4_MALFORMED, "X-Amz-Date is not yyyymmddThhmmssZ"), -1;
	time_amz(c->amz_date, c->when);
	if (str_to_i64(vals[SIGV4_P_EXPIRES], 1, SIGV4_MAX_EXPIRES_SECONDS, &c->expires))
		return verdict(r, SIGV4_MALFORMED,
			       "X-Amz-Expires must be between 1 and 604800 seconds"),
		       -1;
	return claim_payload(req, vp, true, c, r);
}

/* Scope and time rules, once the claim is parsed. */
static int check_claim(const struct sigv4_verify_params *vp, bool presigned, const struct claim *c,
		       struct sigv4_result *r)
{
	const struct sigv4_authz *a = &c->authz;

	if (memcmp(a->date.ptr, c->amz_date, 8) != 0)
		return verdict(r, SIGV4_MALFORMED,
			       "the credential date %.*s is not the request date %.8s",
			       STR_FMT(a->date), c->amz_date),
		       -1;
	snprintf(r->scope_region, sizeof(r->scope_region), "%.*s", STR_FMT(a->region));
	if (vp->region && !str_eq_cstr(a->region, vp->region))
		return verdict(r, SIGV4_WRONG_REGION, "the region '%.*s' is wrong; expecting '%s'",
			       STR_FMT(a->region), vp->region),
		       -1;
	if (vp->service && !str_eq_cstr(a->service, vp->service))
		return verdict(r, SIGV4_MALFORMED, "the service '%.*s' is wrong; expecting '%s'",
			       STR_FMT(a->service), vp->service),
		       -1;
	if (!sigv4_list_has(a->signed_headers, STR_LIT("host")))
		return verdict(r, SIGV4_MALFORMED, "SignedHeaders must include host"), -1;
	/* difftime keeps hostile dates far from now from overflowing. */
	double ahead = difftime(c->when, vp->now);
	if (ahead > SIGV4_MAX_SKEW_SECONDS)
		return verdict(r, SIGV4_SKEW, "the request time %s is more than 15 minutes %s",
			       c->amz_date, "ahead of the server time"),
		       -1;
	if (!presigned && -ahead > SIGV4_MAX_SKEW_SECONDS)
		return verdict(r, SIGV4_SKEW, "the request time %s is more than 15 minutes %s",
			       c->amz_date, "behind the server time"),
		       -1;
	if (presigned && -ahead > (double)c->expires)
		return verdict(r, SIGV4_EXPIRED, "the presigned URL expired %lld seconds after %s",
			       c->expires, c->amz_date),
		       -1;
	return 0;
}

/* Recompute the canonical request and signature; compare in constant time. */
static int check_signature_of(const struct sigv4_request *req, const struct sigv4_verify_params *vp,
			      bool presigned, const char *secret, const struct claim *c,
			      struct sigv4_result *r)
{
	struct sigv4_header_sel sel = {NULL, 0, &c->authz.signed_headers};
	struct sigv4_canon cn;
	char sig[65];
	int err;

	sigv4_canon_init(&cn);
	err = sigv4_canon_uri(&cn.uri, req->path, vp->s3, !vp->s3 && !vp->no_normalize_path);
	if (!err)
		err = sigv4_canon_query(&cn.query, req->query, presigned);
	if (err == ERR_PARSE || err == ERR_TOOLARGE) {
		sigv4_canon_release(&cn);
		return verdict(r, SIGV4_MALFORMED,
			       "the path or query is badly encoded or too long");
	}
	if (!err)
		err = sigv4_canon_headers(req, &sel, &cn.headers, &cn.signed_list);
	if (err == ERR_NOTFOUND) {
		sigv4_canon_release(&cn);
		return verdict(r, SIGV4_MISMATCH, "a header named in SignedHeaders is missing");
	}
	if (!err)
		err = sigv4_canon_assemble(&cn, req->method, c->payload_hash,
					   &r->canonical_request);
	if (!err)
		err = sigv4_string_to_sign(&r->string_to_sign, c->amz_date, c->authz.scope,
					   &r->canonical_request);
	if (!err)
		err = sigv4_signature(secret, c->authz.date, c->authz.region, c->authz.service,
				      &r->string_to_sign, sig);
	sigv4_canon_release(&cn);
	if (err == ERR_INVAL)
		return verdict(r, SIGV4_UNKNOWN_KEY, "the secret for this key id is unusable");
	if (err)
		return err;
	if (!ct_equal(sig, c->authz.signature.ptr, 64))
		return verdict(r, SIGV4_MISMATCH,
			       "the request signature we calculated does not "
			       "match the signature you provided");
	if (c->check_body) {
		char body[2 * SHA256_LEN + 1];
		sha256_hex(req->body, req->body_len, body);
		if (strncasecmp(body, c->payload_hash.ptr, 64) != 0)
			return verdict(r, SIGV4_HASH_MISMATCH,
				       "x-amz-content-sha256 does not "
				       "match the body");
	}
	return verdict(r, SIGV4_OK, "signature verified");
}

/* S3 refuses x-amz-* headers left out of the signature. */
static int unsigned_amz_header(const struct sigv4_request *req, struct str signed_list,
			       struct sigv4_result *r)
{
	for (size_t i = 0; i < req->n_headers; i++) {
		struct str name = req->headers[i].name;
		if (name.len > 6 && strncasecmp(name.ptr, "x-amz-", 6) == 0 &&
		    !sigv4_list_has(signed_list, name))
			return verdict(r, SIGV4_UNSIGNED_HEADER,
				       "there were headers present in the request which were "
				       "not signed: %.*s",
				       (int)MIN(name.len, 64), name.ptr),
			       -1;
	}
	return 0;
}

static void reset_result(struct sigv4_result *r)
{
	buf_reset(&r->canonical_request);
	buf_reset(&r->string_to_sign);
	r->status = SIGV4_OK;
	r->presigned = false;
	r->message[0] = r->access_key_id[0] = '\0';
}

int sigv4_verify(const struct sigv4_request *req, const struct sigv4_verify_params *vp,
		 struct sigv4_result *r)
{
	struct claim c;
	struct buf store;
	struct str authz, v;
	size_t n_authz;
	int err = 0;

	if (!req || !vp || !r || !vp->lookup || !req->method || (!req->body && req->body_len))
		return ERR_INVAL;
	reset_result(r);
	memset(&c, 0, sizeof(c));
	buf_init(&store, SIGV4_SMALL_CAP);
	if (sigv4_headers_bytes(req) > SIGV4_MAX_HEADER_BYTES) {
		verdict(r, SIGV4_MALFORMED, "the request headers are larger than the limit");
		goto out;
	}
	n_authz = find_header(req, "authorization", &authz);
	/* Any presigning parameter means the client meant the query form. */
	struct str rest = req->query, key;
	bool query_auth = false;
	while (!query_auth && query_next(&rest, &key, &v))
		query_auth =
			presign_index(key) >= 0 && presign_index(key) != SIGV4_P_SECURITY_TOKEN;
	if (n_authz == 0 && !query_auth) {
		verdict(r, SIGV4_MISSING, "the request is not signed");
		goto out;
	}
	if (n_authz > 1 || (n_authz && query_auth)) {
		verdict(r, SIGV4_MALFORMED, "only one authentication mechanism is allowed");
		goto out;
	}
	r->presigned = query_auth;
	if (query_auth ? claim_from_query(req, vp, &store, &c, r)
		       : claim_from_header(req, authz, vp, &c, r))
		goto out;
	memcpy(r->access_key_id, c.authz.access_key_id.ptr, c.authz.access_key_id.len);
	r->access_key_id[c.authz.access_key_id.len] = '\0';
	if (check_claim(vp, query_auth, &c, r))
		goto out;
	if (vp->s3 && unsigned_amz_header(req, c.authz.signed_headers, r))
		goto out;
	const char *secret = vp->lookup(vp->lookup_ctx, c.authz.access_key_id);
	if (!secret) {
		verdict(r, SIGV4_UNKNOWN_KEY, "the access key id %s is not known",
			r->access_key_id);
		goto out;
	}
	err = check_signature_of(req, vp, query_auth, secret, &c, r);
out:
	buf_release(&store);
	return err;
}
