/*
 * AWS Signature Version 4, signing and verifying (the rules are in sigv4.h).
 * The canonical request is assembled from independent parts (URI, query,
 * headers, payload hash), each built by one helper below; signing and
 * verifying differ only in which headers and query parameters they feed in
 * and in what they do with the resulting signature. Every loop over input is
 * bounded by the caps in sigv4.h, and verification never trusts a length or a
 * count it has not checked.
 */
#include "core/common.h"

#include "aws/sigv4.h"
#include "core/enc.h"
#include "core/timeutil.h"

#define SMALL_CAP ((size_t)8192) /* scope, authorization value, signed header list */

/* ---- canonical URI ------------------------------------------------------ */

/*
 * Remove "." segments, resolve ".." and merge repeated slashes, as botocore
 * and the AWS test suite do (posixpath.normpath, keeping a trailing slash).
 */
static int normalize_path(struct buf *out, struct str path)
{
	struct str rest = path, seg;
	bool more;
	int err;

	do {
		rest = str_split(rest, '/', &seg, &more);
		if (seg.len == 0 || str_eq_cstr(seg, "."))
			continue;
		if (str_eq_cstr(seg, "..")) {
			size_t len = out->len;
			while (len > 0 && out->ptr[len - 1] != '/')
				len--;
			buf_truncate(out, len > 0 ? len - 1 : 0);
			continue;
		}
		err = buf_addch(out, '/');
		if (!err)
			err = buf_add(out, seg.ptr, seg.len);
		if (err)
			return err;
	} while (more);
	if (out->len == 0)
		return buf_addch(out, '/');
	if (path.ptr[path.len - 1] == '/')
		return buf_addch(out, '/');
	return 0;
}

/*
 * SigV4 step 1, CanonicalURI. S3 decodes the wire path once and encodes it
 * once; the other services encode the (normalised) wire path, so that
 * percent signs are encoded a second time.
 */
static int canon_uri(struct buf *out, struct str path, bool s3, bool normalize)
{
	struct buf tmp;
	int err;

	if (path.len == 0)
		return buf_addch(out, '/');
	buf_init(&tmp, SIGV4_MAX_CANONICAL);
	if (s3) {
		err = uri_decode(&tmp, path.ptr, path.len, false);
		if (!err)
			err = uri_encode(out, tmp.ptr, tmp.len, true);
	} else if (normalize) {
		err = normalize_path(&tmp, path);
		if (!err)
			err = uri_encode(out, tmp.ptr, tmp.len, true);
	} else {
		err = uri_encode(out, path.ptr, path.len, true);
	}
	buf_release(&tmp);
	return err;
}

/* ---- canonical query ---------------------------------------------------- */

/* Next "key[=value]" of a raw query; empty pieces ("a=1&&b=2") are skipped. */
static bool next_param(struct str *rest, struct str *key, struct str *val)
{
	struct str piece;
	bool more = true;

	while (rest->ptr && more) {
		*rest = str_split(*rest, '&', &piece, &more);
		if (!more)
			*rest = STR_NULL;
		if (piece.len == 0)
			continue;
		*val = str_split(piece, '=', key, NULL);
		return true;
	}
	return false;
}

struct qentry {
	size_t koff, klen, voff, vlen; /* encoded key and value in query_set.store */
};

struct query_set {
	struct buf store;   /* encoded keys and values */
	struct buf scratch; /* decoded text being re-encoded */
	struct qentry *e;
	size_t n, alloc;
};

static void qs_init(struct query_set *q)
{
	buf_init(&q->store, SIGV4_MAX_CANONICAL);
	buf_init(&q->scratch, SIGV4_MAX_CANONICAL);
	q->e = NULL;
	q->n = q->alloc = 0;
}

static void qs_release(struct query_set *q)
{
	buf_release(&q->store);
	buf_release(&q->scratch);
	free(q->e);
	q->e = NULL;
	q->n = q->alloc = 0;
}

/* Append `s` encoded, decoding it first when it comes from the wire. */
static int qs_encode(struct query_set *q, struct str s, bool decode)
{
	if (!decode)
		return uri_encode(&q->store, s.ptr, s.len, false);
	buf_reset(&q->scratch);
	int err = uri_decode(&q->scratch, s.ptr, s.len, false);
	if (err)
		return err;
	return uri_encode(&q->store, q->scratch.ptr, q->scratch.len, false);
}

static int qs_add(struct query_set *q, struct str key, struct str val, bool decode)
{
	int err;

	if (q->n == q->alloc) {
		if (q->alloc >= SIGV4_MAX_QUERY_PARAMS + 8)
			return ERR_TOOLARGE;
		size_t alloc = q->alloc ? q->alloc * 2 : 16;
		struct qentry *e = realloc(q->e, alloc * sizeof(*e));
		if (!e)
			return ERR_NOMEM;
		q->e = e;
		q->alloc = alloc;
	}
	struct qentry *e = &q->e[q->n];
	e->koff = q->store.len;
	err = qs_encode(q, key, decode);
	if (err)
		return err;
	e->klen = q->store.len - e->koff;
	e->voff = q->store.len;
	err = qs_encode(q, val, decode);
	if (err)
		return err;
	e->vlen = q->store.len - e->voff;
	q->n++;
	return 0;
}

static bool qs_last_key_is(const struct query_set *q, const char *name)
{
	const struct qentry *e = &q->e[q->n - 1];
	return str_eq_cstr(str_make(q->store.ptr + e->koff, e->klen), name);
}

/* The X-Amz-* parameters that carry a presigned signature. */
static const char *const presign_params[] = {
	"X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",	   "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Security-Token",
};

/*
 * Add every parameter of a raw query. `skip_signature` drops X-Amz-Signature
 * (verifying a presigned URL); `refuse_presign` fails with ERR_INVAL on any
 * presigning parameter (presigning a request that already has them).
 */
static int qs_add_raw(struct query_set *q, struct str query, bool skip_signature,
		      bool refuse_presign)
{
	struct str rest = query, key, val;
	size_t count = 0;

	while (next_param(&rest, &key, &val)) {
		if (++count > SIGV4_MAX_QUERY_PARAMS)
			return ERR_TOOLARGE;
		size_t mark = q->store.len;
		int err = qs_add(q, key, val, true);
		if (err)
			return err;
		if (skip_signature && qs_last_key_is(q, "X-Amz-Signature")) {
			q->n--;
			buf_truncate(&q->store, mark);
		}
		for (size_t i = 0; refuse_presign && i < ARRAY_SIZE(presign_params); i++)
			if (qs_last_key_is(q, presign_params[i]))
				return ERR_INVAL;
	}
	return 0;
}

static int cmp_slice(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, MIN(alen, blen));
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int qentry_cmp_r(const void *pa, const void *pb, void *base)
{
	const struct qentry *a = pa, *b = pb;
	const char *s = base;
	int c = cmp_slice(s + a->koff, a->klen, s + b->koff, b->klen);
	if (c)
		return c;
	return cmp_slice(s + a->voff, a->vlen, s + b->voff, b->vlen);
}

/* SigV4 step 1, CanonicalQueryString: sorted by encoded key, then value. */
static int qs_emit(struct query_set *q, struct buf *out)
{
	int err = 0;

	if (q->n > 1)
		qsort_r(q->e, q->n, sizeof(*q->e), qentry_cmp_r, q->store.ptr);
	for (size_t i = 0; i < q->n && !err; i++) {
		const struct qentry *e = &q->e[i];
		if (i)
			err = buf_addch(out, '&');
		if (!err)
			err = buf_add(out, q->store.ptr + e->koff, e->klen);
		if (!err)
			err = buf_addch(out, '=');
		if (!err)
			err = buf_add(out, q->store.ptr + e->voff, e->vlen);
	}
	return err;
}

/* ---- canonical headers -------------------------------------------------- */

struct hentry {
	const struct sigv4_header *h;
	size_t order;
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int name_cmp(struct str a, struct str b)
{
	size_t n = MIN(a.len, b.len);
	for (size_t i = 0; i < n; i++) {
		int d = ascii_lower((unsigned char)a.ptr[i]) - ascii_lower((unsigned char)b.ptr[i]);
		if (d)
			return d;
	}
	return a.len < b.len ? -1 : a.len > b.len;
}

/* Sorted by lowercase name; repeated headers keep the order they came in. */
static int hentry_cmp(const void *pa, const void *pb)
{
	const struct hentry *a = pa, *b = pb;
	int c = name_cmp(a->h->name, b->h->name);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* RFC 9110 token characters, without ';' (which separates SignedHeaders). */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim, and collapse every run of whitespace (obs-fold included) to one space. */
static int add_header_value(struct buf *out, struct str v)
{
	bool pending = false, any = false;
	int err = 0;

	for (size_t i = 0; i < v.len && !err; i++) {
		if (is_space(v.ptr[i])) {
			pending = any;
			continue;
		}
		if (pending)
			err = buf_addch(out, ' ');
		if (!err)
			err = buf_addch(out, v.ptr[i]);
		pending = false;
		any = true;
	}
	return err;
}

/* Headers a signer leaves alone: its own, and those proxies rewrite. */
static bool sign_skips(struct str name)
{
	static const char *const skip[] = {
		/* produced by the signer itself */
		"authorization",
		"x-amz-date",
		"x-amz-security-token",
		"x-amz-content-sha256",
		/* botocore's SIGNED_HEADERS_BLACKLIST: hop-by-hop or rewritten on the way */
		"connection",
		"expect",
		"keep-alive",
		"proxy-authenticate",
		"proxy-authorization",
		"te",
		"trailer",
		"transfer-encoding",
		"upgrade",
		"user-agent",
		"x-amzn-trace-id",
	};
	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		if (str_ieq_cstr(name, skip[i]))
			return true;
	return false;
}

static bool list_has(struct str list, struct str name)
{
	struct str rest = list, item;
	bool more = true;

	while (more) {
		rest = str_split(rest, ';', &item, &more);
		if (str_ieq(item, name))
			return true;
	}
	return false;
}

/*
 * Which headers take part: when `only` is set (verifying), those named in it;
 * otherwise (signing) every request header but the skipped ones, plus `extra`.
 */
struct header_sel {
	const struct sigv4_header *extra;
	size_t n_extra;
	const struct str *only;
};

/*
 * SigV4 step 1, CanonicalHeaders and SignedHeaders. Returns 0, ERR_INVAL for
 * an invalid header name when signing, ERR_NOTFOUND when a name in
 * `sel->only` is missing from the request, ERR_TOOLARGE or ERR_NOMEM.
 */
static int canon_headers(const struct sigv4_request *req, const struct header_sel *sel,
			 struct buf *block, struct buf *signed_list)
{
	size_t max = req->n_headers + sel->n_extra, n = 0;
	struct hentry *e;
	int err = 0;

	if (req->n_headers > SIGV4_MAX_HEADERS || sel->n_extra > SIGV4_MAX_ADDED_HEADERS)
		return ERR_TOOLARGE;
	e = calloc(max ? max : 1, sizeof(*e));
	if (!e)
		return ERR_NOMEM;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct sigv4_header *h = &req->headers[i];
		if (sel->only ? !list_has(*sel->only, h->name) : sign_skips(h->name))
			continue;
		e[n].h = h;
		e[n].order = n;
		n++;
	}
	for (size_t i = 0; i < sel->n_extra; i++, n++) {
		e[n].h = &sel->extra[i];
		e[n].order = n;
	}
	qsort(e, n, sizeof(*e), hentry_cmp);

	for (size_t i = 0; i < n && !err; i++) {
		struct str name = e[i].h->name;
		bool first = i == 0 || name_cmp(e[i - 1].h->name, name) != 0;
		if (first) {
			if (i)
				err = buf_addch(block, '\n');
			if (!err && signed_list->len)
				err = buf_addch(signed_list, ';');
			for (size_t k = 0; k < name.len && !err; k++) {
				char c = (char)ascii_lower((unsigned char)name.ptr[k]);
				if (!is_tchar((unsigned char)c))
					err = ERR_INVAL;
				if (!err)
					err = buf_addch(block, c);
				if (!err)
					err = buf_addch(signed_list, c);
			}
			if (!err && name.len == 0)
				err = ERR_INVAL;
			if (!err)
				err = buf_addch(block, ':');
		} else {
			err = buf_addch(block, ',');
		}
		if (!err)
			err = add_header_value(block, e[i].h->value);
	}
	if (!err && n)
		err = buf_addch(block, '\n');
	/* Every signed name must have been found: compare the lists. */
	if (!err && sel->only && !str_eq(*sel->only, str_make(signed_list->ptr, signed_list->len)))
		err = ERR_NOTFOUND;
	free(e);
	return err;
}

/* ---- the canonical request, the string to sign, the signature ----------- */

struct canon {
	struct buf uri, query, headers, signed_list;
};

static void canon_init(struct canon *c)
{
	buf_init(&c->uri, SIGV4_MAX_CANONICAL);
	buf_init(&c->query, SIGV4_MAX_CANONICAL);
	buf_init(&c->headers, SIGV4_MAX_CANONICAL);
	buf_init(&c->signed_list, SMALL_CAP);
}

static void canon_release(struct canon *c)
{
	buf_release(&c->uri);
	buf_release(&c->query);
	buf_release(&c->headers);
	buf_release(&c->signed_list);
}

/* SigV4 step 1: the six parts, joined by newlines. */
static int canon_assemble(const struct canon *c, const char *method, struct str payload_hash,
			  struct buf *out)
{
	return buf_addf(out, "%s\n%.*s\n%.*s\n%.*s\n%.*s\n%.*s", method, (int)c->uri.len,
			c->uri.ptr, (int)c->query.len, c->query.ptr, (int)c->headers.len,
			c->headers.ptr, (int)c->signed_list.len, c->signed_list.ptr,
			STR_FMT(payload_hash));
}

/* SigV4 step 2. */
static int make_string_to_sign(struct buf *out, const char *amz_date, struct str scope,
			       const struct buf *creq)
{
	char hash[2 * SHA256_LEN + 1];

	sha256_hex(creq->ptr, creq->len, hash);
	return buf_addf(out, SIGV4_ALGORITHM "\n%s\n%.*s\n%s", amz_date, STR_FMT(scope), hash);
}

int sigv4_signing_key(const char *secret, struct str date, struct str region, struct str service,
		      unsigned char key[32])
{
	unsigned char k[4 + SIGV4_MAX_SECRET_LEN], a[SHA256_LEN], b[SHA256_LEN];
	size_t len = secret ? strnlen(secret, SIGV4_MAX_SECRET_LEN + 1) : 0;

	if (!secret || len > SIGV4_MAX_SECRET_LEN) {
		memset(key, 0, SHA256_LEN);
		return ERR_INVAL;
	}
	/* kSecret = "AWS4" + secret, a byte string (not NUL-terminated). */
	k[0] = 'A';
	k[1] = 'W';
	k[2] = 'S';
	k[3] = '4';
	memcpy(k + 4, secret, len);
	hmac_sha256(k, 4 + len, date.ptr, date.len, a);
	hmac_sha256(a, sizeof(a), region.ptr, region.len, b);
	hmac_sha256(b, sizeof(b), service.ptr, service.len, a);
	hmac_sha256(a, sizeof(a), "aws4_request", 12, key);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return 0;
}

/* SigV4 steps 3 and 4. */
static int compute_signature(const char *secret, struct str date, struct str region,
			     struct str service, const struct buf *sts, char out[65])
{
	unsigned char key[SHA256_LEN], mac[SHA256_LEN];
	int err = sigv4_signing_key(secret, date, region, service, key);

	if (err)
		return err;
	hmac_sha256(key, sizeof(key), sts->ptr, sts->len, mac);
	hex_lower(out, mac, sizeof(mac));
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* ---- signing ------------------------------------------------------------ */

void sigv4_signed_init(struct sigv4_signed *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->canonical_request, SIGV4_MAX_CANONICAL * 4);
	buf_init(&s->string_to_sign, SMALL_CAP);
	buf_init(&s->signed_headers, SMALL_CAP);
	buf_init(&s->authorization, SMALL_CAP * 2);
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
	int err = make_string_to_sign(&out->string_to_sign, out->amz_date, scope,
				      &out->canonical_request);
	if (err)
		return err;
	return compute_signature(p->secret_access_key, str_make(out->amz_date, 8),
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
	struct header_sel sel = {extra, 0, NULL};
	struct canon c;
	struct buf scope;
	int err;

	buf_init(&scope, SMALL_CAP);
	canon_init(&c);
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

	err = canon_uri(&c.uri, req->path, p->s3, !p->s3 && !p->no_normalize_path);
	if (!err) {
		struct query_set q;
		qs_init(&q);
		err = qs_add_raw(&q, req->query, false, false);
		if (!err)
			err = qs_emit(&q, &c.query);
		qs_release(&q);
	}
	if (!err)
		err = canon_headers(req, &sel, &c.headers, &c.signed_list);
	if (!err)
		err = canon_assemble(&c, req->method, hash, &out->canonical_request);
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
	canon_release(&c);
	buf_release(&scope);
	return 0;
fail:
	canon_release(&c);
	buf_release(&scope);
	if (out)
		signed_reset(out);
	return err == ERR_PARSE ? ERR_INVAL : err;
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_signed *out)
{
	struct header_sel sel = {NULL, 0, NULL};
	struct query_set q;
	struct canon c;
	struct buf scope, cred;
	char expires[24];
	int err;

	buf_init(&scope, SMALL_CAP);
	buf_init(&cred, SMALL_CAP);
	canon_init(&c);
	qs_init(&q);
	if (!p || p->expires < 1 || p->expires > SIGV4_MAX_EXPIRES_SECONDS) {
		err = ERR_INVAL;
		goto fail;
	}
	err = sign_prepare(req, p, out, true, &scope);
	if (!err)
		err = buf_addf(&cred, "%s/%.*s", p->access_key_id, (int)scope.len, scope.ptr);
	if (!err)
		err = canon_uri(&c.uri, req->path, p->s3, !p->s3 && !p->no_normalize_path);
	if (!err)
		err = canon_headers(req, &sel, &c.headers, &c.signed_list);
	if (err)
		goto fail;

	/* The signing parameters join the request's own before sorting. */
	snprintf(expires, sizeof(expires), "%ld", p->expires);
	err = qs_add_raw(&q, req->query, false, true);
	/* The URL must pass the verifier's cap with its 6 or 7 signing parameters. */
	if (!err && q.n + 6 + has_token(p) > SIGV4_MAX_QUERY_PARAMS)
		err = ERR_TOOLARGE;
	if (!err)
		err = qs_add(&q, STR_LIT("X-Amz-Algorithm"), STR_LIT(SIGV4_ALGORITHM), false);
	if (!err)
		err = qs_add(&q, STR_LIT("X-Amz-Credential"), str_make(cred.ptr, cred.len), false);
	if (!err)
		err = qs_add(&q, STR_LIT("X-Amz-Date"), str_make(out->amz_date, 16), false);
	if (!err)
		err = qs_add(&q, STR_LIT("X-Amz-Expires"), str_from(expires), false);
	if (!err)
		err = qs_add(&q, STR_LIT("X-Amz-SignedHeaders"),
			     str_make(c.signed_list.ptr, c.signed_list.len), false);
	if (!err && has_token(p) && !p->omit_session_token)
		err = qs_add(&q, STR_LIT("X-Amz-Security-Token"), str_from(p->session_token),
			     false);
	if (!err)
		err = qs_emit(&q, &c.query);
	if (!err)
		err = canon_assemble(&c, req->method, str_from(out->payload_hash),
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
	qs_release(&q);
	canon_release(&c);
	buf_release(&cred);
	buf_release(&scope);
	return 0;
fail:
	qs_release(&q);
	canon_release(&c);
	buf_release(&cred);
	buf_release(&scope);
	if (out)
		signed_reset(out);
	return err == ERR_PARSE ? ERR_INVAL : err;
}

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
	return is_tchar(c) && !(c >= 'A' && c <= 'Z');
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
	if (parts[2].len == 0 || parts[2].len > 64 || !all_chars(parts[2], scope_char))
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

/* Lowercase names separated by ';', sorted, no duplicates, bounded count. */
static int check_signed_headers(struct str list, const char **reason)
{
	struct str rest = list, item, prev = STR_NULL;
	bool more = true;
	size_t n = 0;

	if (list.len == 0)
		return parse_fail(reason, "SignedHeaders is empty");
	while (more) {
		rest = str_split(rest, ';', &item, &more);
		if (++n > SIGV4_MAX_SIGNED_HEADERS)
			return parse_fail(reason, "SignedHeaders names too many headers");
		if (item.len == 0 || !all_chars(item, header_name_char))
			return parse_fail(reason, "SignedHeaders has an empty or invalid name");
		if (n > 1 && cmp_slice(prev.ptr, prev.len, item.ptr, item.len) >= 0)
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
		"EXPIRED", "MISMATCH", "HASH_MISMATCH", "UNSIGNED_HEADER",
	};
	if ((unsigned)status >= ARRAY_SIZE(names))
		return "UNKNOWN";
	return names[status];
}

void sigv4_result_init(struct sigv4_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->canonical_request, SIGV4_MAX_CANONICAL * 4);
	buf_init(&r->string_to_sign, SMALL_CAP);
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
	for (size_t i = 0; i < req->n_headers && i < SIGV4_MAX_HEADERS; i++) {
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

/* Index of a presigning parameter name in presign_params[], or -1. */
static int presign_index(struct str key)
{
	for (size_t i = 0; i < ARRAY_SIZE(presign_params); i++)
		if (str_eq_cstr(key, presign_params[i]))
			return (int)i;
	return -1;
}

/* Decode each presigning parameter once into `store`, refusing repeats. */
static int collect_presign(struct str query, struct buf *store, struct str vals[7],
			   struct sigv4_result *r)
{
	size_t off[7], len[7], count = 0;
	bool seen[7] = {false};
	struct str rest = query, key, val;

	while (next_param(&rest, &key, &val)) {
		if (++count > SIGV4_MAX_QUERY_PARAMS)
			return verdict(r, SIGV4_MALFORMED, "too many query parameters"), -1;
		int k = presign_index(key);
		if (k < 0)
			continue;
		if (seen[k])
			return verdict(r, SIGV4_MALFORMED, "%s is repeated", presign_params[k]), -1;
		seen[k] = true;
		off[k] = store->len;
		if (uri_decode(store, val.ptr, val.len, false))
			return verdict(r, SIGV4_MALFORMED, "%s is badly encoded",
				       presign_params[k]),
			       -1;
		len[k] = store->len - off[k];
	}
	for (size_t k = 0; k < 7; k++)
		vals[k] = seen[k] ? str_make(store->ptr + off[k], len[k]) : STR_NULL;
	for (size_t k = 0; k < 6; k++) /* all but the session token are required */
		if (!seen[k])
			return verdict(r, SIGV4_MALFORMED, "the query lacks %s", presign_params[k]),
			       -1;
	return 0;
}

static int claim_from_query(const struct sigv4_request *req, const struct sigv4_verify_params *vp,
			    struct buf *store, struct claim *c, struct sigv4_result *r)
{
	const char *why = NULL;
	struct str vals[7];

	if (collect_presign(req->query, store, vals, r))
		return -1;
	if (!str_eq_cstr(vals[0], SIGV4_ALGORITHM))
		return verdict(r, SIGV4_MALFORMED, "X-Amz-Algorithm must be AWS4-HMAC-SHA256"), -1;
	if (parse_credential(vals[1], &c->authz, &why) || check_signed_headers(vals[4], &why) ||
	    check_signature(vals[5], &why))
		return verdict(r, SIGV4_MALFORMED, "%s", why), -1;
	c->authz.signed_headers = vals[4];
	c->authz.signature = vals[5];
	if (time_parse_amz(vals[2].ptr, vals[2].len, &c->when))
		return verdict(r, SIGV4_MALFORMED, "X-Amz-Date is not yyyymmddThhmmssZ"), -1;
	time_amz(c->amz_date, c->when);
	if (str_to_i64(vals[3], 1, SIGV4_MAX_EXPIRES_SECONDS, &c->expires))
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
	if (vp->region && !str_eq_cstr(a->region, vp->region))
		return verdict(r, SIGV4_MALFORMED, "the region '%.*s' is wrong; expecting '%s'",
			       STR_FMT(a->region), vp->region),
		       -1;
	if (vp->service && !str_eq_cstr(a->service, vp->service))
		return verdict(r, SIGV4_MALFORMED, "the service '%.*s' is wrong; expecting '%s'",
			       STR_FMT(a->service), vp->service),
		       -1;
	if (!list_has(a->signed_headers, STR_LIT("host")))
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
	struct header_sel sel = {NULL, 0, &c->authz.signed_headers};
	struct canon cn;
	char sig[65];
	int err;

	canon_init(&cn);
	err = canon_uri(&cn.uri, req->path, vp->s3, !vp->s3 && !vp->no_normalize_path);
	if (!err) {
		struct query_set q;
		qs_init(&q);
		err = qs_add_raw(&q, req->query, presigned, false);
		if (!err)
			err = qs_emit(&q, &cn.query);
		qs_release(&q);
	}
	if (err == ERR_PARSE || err == ERR_TOOLARGE) {
		canon_release(&cn);
		return verdict(r, SIGV4_MALFORMED,
			       "the path or query is badly encoded or too long");
	}
	if (!err)
		err = canon_headers(req, &sel, &cn.headers, &cn.signed_list);
	if (err == ERR_NOTFOUND) {
		canon_release(&cn);
		return verdict(r, SIGV4_MISMATCH, "a header named in SignedHeaders is missing");
	}
	if (!err)
		err = canon_assemble(&cn, req->method, c->payload_hash, &r->canonical_request);
	if (!err)
		err = make_string_to_sign(&r->string_to_sign, c->amz_date, c->authz.scope,
					  &r->canonical_request);
	if (!err)
		err = compute_signature(secret, c->authz.date, c->authz.region, c->authz.service,
					&r->string_to_sign, sig);
	canon_release(&cn);
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
		    !list_has(signed_list, name))
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
	buf_init(&store, SMALL_CAP);
	if (req->n_headers > SIGV4_MAX_HEADERS) {
		verdict(r, SIGV4_MALFORMED, "too many headers");
		goto out;
	}
	n_authz = find_header(req, "authorization", &authz);
	/* Any presigning parameter means the client meant the query form. */
	struct str rest = req->query, key;
	bool query_auth = false;
	while (!query_auth && next_param(&rest, &key, &v))
		query_auth = presign_index(key) >= 0 && presign_index(key) != 6;
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
