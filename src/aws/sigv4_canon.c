/*
 * SigV4's canonical form (the rules are in sigv4.h): the canonical URI,
 * query and headers, the canonical request they make, the string to sign and
 * the signing key. Both the signer (sigv4_sign.c) and the verifier
 * (sigv4_verify.c) build their canonical requests here, so that they cannot
 * disagree on a byte; they differ only in which headers and query parameters
 * they feed in (sigv4_int.h) and in what they do with the signature.
 *
 * The function binary links this file and sigv4_sign.c only: nothing here may
 * call into sigv4_verify.c. Every loop over input is bounded by the caps in
 * sigv4.h.
 */
#include "core/common.h"

#include "aws/sigv4_int.h"

#include "core/enc.h"
#include "core/grow.h"
#include "http/query.h"

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
 * percent signs are encoded a second time (AWS's suite: get-space-*,
 * get-slash-*-normalized and -unnormalized).
 */
int sigv4_canon_uri(struct buf *out, struct str path, bool s3, bool normalize)
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

void sigv4_query_init(struct sigv4_query *q)
{
	buf_init(&q->store, SIGV4_MAX_CANONICAL);
	buf_init(&q->scratch, SIGV4_MAX_CANONICAL);
	q->e = NULL;
	q->n = q->alloc = 0;
}

void sigv4_query_release(struct sigv4_query *q)
{
	buf_release(&q->store);
	buf_release(&q->scratch);
	free(q->e);
	q->e = NULL;
	q->n = q->alloc = 0;
}

/* Append `s` encoded, decoding it first when it comes from the wire. */
static int query_encode(struct sigv4_query *q, struct str s, bool decode)
{
	if (!decode)
		return uri_encode(&q->store, s.ptr, s.len, false);
	buf_reset(&q->scratch);
	int err = uri_decode(&q->scratch, s.ptr, s.len, false);
	if (err)
		return err;
	return uri_encode(&q->store, q->scratch.ptr, q->scratch.len, false);
}

int sigv4_query_add(struct sigv4_query *q, struct str key, struct str val, bool decode)
{
	int err;

	if (q->n >= SIGV4_MAX_QUERY_PARAMS + SIGV4_P_COUNT)
		return ERR_TOOLARGE;
	err = ALLOC_GROW(q->e, q->n + 1, q->alloc);
	if (err)
		return err;
	struct sigv4_qentry *e = &q->e[q->n];
	e->koff = q->store.len;
	err = query_encode(q, key, decode);
	if (err)
		return err;
	e->klen = q->store.len - e->koff;
	e->voff = q->store.len;
	err = query_encode(q, val, decode);
	if (err)
		return err;
	e->vlen = q->store.len - e->voff;
	q->n++;
	return 0;
}

static bool last_key_is(const struct sigv4_query *q, const char *name)
{
	const struct sigv4_qentry *e = &q->e[q->n - 1];
	return str_eq_cstr(str_make(q->store.ptr + e->koff, e->klen), name);
}

const char *const sigv4_presign_params[SIGV4_P_COUNT] = {
	"X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",	   "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Security-Token",
};

int sigv4_query_add_raw(struct sigv4_query *q, struct str query, bool skip_signature,
			bool refuse_presign)
{
	struct str rest = query, key, val;
	size_t count = 0;

	while (query_next(&rest, &key, &val)) {
		if (++count > SIGV4_MAX_QUERY_PARAMS)
			return ERR_TOOLARGE;
		size_t mark = q->store.len;
		int err = sigv4_query_add(q, key, val, true);
		if (err)
			return err;
		if (skip_signature && last_key_is(q, sigv4_presign_params[SIGV4_P_SIGNATURE])) {
			q->n--;
			buf_truncate(&q->store, mark);
		}
		for (size_t i = 0; refuse_presign && i < SIGV4_P_COUNT; i++)
			if (last_key_is(q, sigv4_presign_params[i]))
				return ERR_INVAL;
	}
	return 0;
}

int sigv4_cmp_slice(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, MIN(alen, blen));
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int qentry_cmp_r(const void *pa, const void *pb, void *base)
{
	const struct sigv4_qentry *a = pa, *b = pb;
	const char *s = base;
	int c = sigv4_cmp_slice(s + a->koff, a->klen, s + b->koff, b->klen);
	if (c)
		return c;
	return sigv4_cmp_slice(s + a->voff, a->vlen, s + b->voff, b->vlen);
}

int sigv4_query_emit(struct sigv4_query *q, struct buf *out)
{
	int err = 0;

	if (q->n > 1)
		qsort_r(q->e, q->n, sizeof(*q->e), qentry_cmp_r, q->store.ptr);
	for (size_t i = 0; i < q->n && !err; i++) {
		const struct sigv4_qentry *e = &q->e[i];
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

int sigv4_canon_query(struct buf *out, struct str query, bool skip_signature)
{
	struct sigv4_query q;
	int err;

	sigv4_query_init(&q);
	err = sigv4_query_add_raw(&q, query, skip_signature, false);
	if (!err)
		err = sigv4_query_emit(&q, out);
	sigv4_query_release(&q);
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

bool sigv4_is_tchar(unsigned char c)
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

size_t sigv4_headers_bytes(const struct sigv4_request *req)
{
	size_t n = 0;

	for (size_t i = 0; i < req->n_headers; i++)
		n += req->headers[i].name.len + req->headers[i].value.len;
	return n;
}

bool sigv4_list_has(struct str list, struct str name)
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

int sigv4_canon_headers(const struct sigv4_request *req, const struct sigv4_header_sel *sel,
			struct buf *block, struct buf *signed_list)
{
	size_t max = req->n_headers + sel->n_extra, n = 0;
	struct hentry *e;
	int err = 0;

	if (sigv4_headers_bytes(req) > SIGV4_MAX_HEADER_BYTES ||
	    sel->n_extra > SIGV4_MAX_ADDED_HEADERS)
		return ERR_TOOLARGE;
	e = calloc(max ? max : 1, sizeof(*e));
	if (!e)
		return ERR_NOMEM;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct sigv4_header *h = &req->headers[i];
		if (sel->only ? !sigv4_list_has(*sel->only, h->name) : sign_skips(h->name))
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
				if (!sigv4_is_tchar((unsigned char)c))
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

void sigv4_canon_init(struct sigv4_canon *c)
{
	buf_init(&c->uri, SIGV4_MAX_CANONICAL);
	buf_init(&c->query, SIGV4_MAX_CANONICAL);
	buf_init(&c->headers, SIGV4_MAX_CANONICAL);
	buf_init(&c->signed_list, SIGV4_SMALL_CAP);
}

void sigv4_canon_release(struct sigv4_canon *c)
{
	buf_release(&c->uri);
	buf_release(&c->query);
	buf_release(&c->headers);
	buf_release(&c->signed_list);
}

int sigv4_canon_assemble(const struct sigv4_canon *c, const char *method, struct str payload_hash,
			 struct buf *out)
{
	return buf_addf(out, "%s\n%.*s\n%.*s\n%.*s\n%.*s\n%.*s", method, (int)c->uri.len,
			c->uri.ptr, (int)c->query.len, c->query.ptr, (int)c->headers.len,
			c->headers.ptr, (int)c->signed_list.len, c->signed_list.ptr,
			STR_FMT(payload_hash));
}

int sigv4_string_to_sign(struct buf *out, const char *amz_date, struct str scope,
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

int sigv4_signature(const char *secret, struct str date, struct str region, struct str service,
		    const struct buf *sts, char out[65])
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
