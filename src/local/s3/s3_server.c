/*
 * The S3 API of the local endpoint (see s3_server.h). One request is one
 * struct s3_req: the parsed addressing (bucket and decoded key from a
 * path-style or virtual-host-style URL), the decoded query, the verified
 * signature, then one operation function that ends in exactly one reply.
 * Error bodies follow S3's shape: <Error><Code/><Message/>...extra fields
 * S3 adds for that code...<Resource/><RequestId/><HostId/></Error>.
 */
#include "core/common.h"

#include "http/server.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <expat.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/sigv4.h"
#include "core/buf.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/s3/s3_notify.h"
#include "local/s3/s3_server.h"
#include "local/s3/s3_store.h"

#define MAX_QUERY_PARAMS	   64
#define MAX_CHUNK_SIZE		   (64ull << 20)
#define XML_MAX_DEPTH		   8
#define XML_MAX_TEXT		   (64u << 10)
#define S3_XMLNS		   "http://s3.amazonaws.com/doc/2006-03-01/"
#define XML_DECL		   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define OWNER_ID		   "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
#define STREAMING_SIGNED	   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define STREAMING_SIGNED_TRAILER   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#define STREAMING_UNSIGNED_TRAILER "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#define EMPTY_SHA256		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3_server {
	struct s3_store *store;
	char *access_key_id;
	char *secret;
	s3_created_fn on_created; /* s3_notify.h */
	void *on_created_ctx;
};

struct qparam {
	char *name, *value;
};

struct s3_req {
	struct s3_server *srv;
	struct evhttp_request *req;
	enum evhttp_cmd_type method;
	char request_id[17];
	struct str bucket; /* empty: the service (ListBuckets) */
	char bucket_buf[64];
	struct buf key; /* decoded */
	bool has_key;
	struct buf resource; /* "/bucket/key" for error bodies */
	struct qparam query[MAX_QUERY_PARAMS];
	size_t n_query;
	struct evkeyvalq *in;
	struct evbuffer *out;
	const char *body;
	size_t body_len;
	struct sigv4_authz authz; /* header-signed requests */
	bool header_signed;
	bool replied;
};

/* ---- XML and replies ---- */

static void xml_esc(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&apos;");
			break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n')
				buf_addf(b, "&#x%X;", c);
			else if (c == '\r')
				buf_adds(b, "&#13;");
			else
				buf_addch(b, (char)c);
		}
	}
}

/* <tag>escaped text</tag> */
static void xml_el(struct buf *b, const char *tag, const char *s, size_t n)
{
	buf_addf(b, "<%s>", tag);
	xml_esc(b, s, n);
	buf_addf(b, "</%s>", tag);
}

static void xml_els(struct buf *b, const char *tag, const char *s)
{
	xml_el(b, tag, s, strlen(s));
}

/* <tag>text</tag>, URL-encoded first when `url` (encoding-type=url). */
static void xml_key(struct buf *b, const char *tag, const char *s, size_t n, bool url)
{
	if (!url) {
		xml_el(b, tag, s, n);
		return;
	}
	struct buf e;
	buf_init(&e, BUF_NOCAP);
	uri_encode(&e, s, n, true);
	xml_el(b, tag, e.ptr, e.len);
	buf_release(&e);
}

static void iso_time(char out[32], int64_t ms)
{
	time_rfc3339(out, ms, 1);
}

static void add_header(struct s3_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

static void reply(struct s3_req *r, int status, const char *reason, struct buf *body,
		  const char *content_type)
{
	if (r->replied)
		return;
	r->replied = true;
	add_header(r, "x-amz-request-id", r->request_id);
	add_header(r, "x-amz-id-2", r->request_id);
	add_header(r, "Server", "sluice");
	if (body && body->len) {
		add_header(r, "Content-Type", content_type ? content_type : "application/xml");
		evbuffer_add(r->out, body->ptr, body->len);
	}
	evhttp_send_reply(r->req, status, reason, r->out);
}

static void reply_xml(struct s3_req *r, int status, struct buf *body)
{
	reply(r, status, status == 200 ? "OK" : NULL, body, "application/xml");
}

static void reply_empty(struct s3_req *r, int status, const char *reason)
{
	add_header(r, "Content-Length", "0");
	reply(r, status, reason, NULL, NULL);
}

/*
 * An S3 error. `extra` is pre-rendered XML elements placed after Message
 * (Key, BucketName, StringToSign...), or NULL.
 */
static void reply_error_x(struct s3_req *r, int status, const char *code, const char *message,
			  const char *extra)
{
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, XML_DECL "<Error>");
	xml_els(&b, "Code", code);
	xml_els(&b, "Message", message);
	if (extra)
		buf_adds(&b, extra);
	xml_el(&b, "Resource", r->resource.ptr, r->resource.len);
	xml_els(&b, "RequestId", r->request_id);
	xml_els(&b, "HostId", r->request_id);
	buf_adds(&b, "</Error>");
	if (r->method == EVHTTP_REQ_HEAD)
		buf_reset(&b); /* S3 answers HEAD errors with the status alone */
	log_msg(LVL_DEBUG, "s3: %d %s %s", status, code, r->resource.ptr);
	reply(r, status, NULL, &b, "application/xml");
	buf_release(&b);
}

static void reply_error(struct s3_req *r, int status, const char *code, const char *message)
{
	reply_error_x(r, status, code, message, NULL);
}

static void no_such_bucket(struct s3_req *r)
{
	struct buf x;
	buf_init(&x, BUF_NOCAP);
	xml_el(&x, "BucketName", r->bucket.ptr, r->bucket.len);
	reply_error_x(r, 404, "NoSuchBucket", "The specified bucket does not exist", x.ptr);
	buf_release(&x);
}

static void no_such_key(struct s3_req *r)
{
	struct buf x;
	buf_init(&x, BUF_NOCAP);
	xml_el(&x, "Key", r->key.ptr, r->key.len);
	reply_error_x(r, 404, "NoSuchKey", "The specified key does not exist.", x.ptr);
	buf_release(&x);
}

static void method_not_allowed(struct s3_req *r)
{
	reply_error(r, 405, "MethodNotAllowed",
		    "The specified method is not allowed against this resource.");
}

static void not_implemented(struct s3_req *r, const char *what)
{
	char msg[256];
	/* `what` is a parameter or header name; a long one is cut, not overflowed. */
	snprintf(msg, sizeof(msg), "%.160s is not implemented by the sluice local endpoint", what);
	reply_error(r, 501, "NotImplemented", msg);
}

static void internal_error(struct s3_req *r, int err)
{
	log_msg(LVL_ERROR, "s3: internal error %s on %s", err_name(err), r->resource.ptr);
	reply_error(r, 500, "InternalError", "We encountered an internal error. Please try again.");
}

/* ---- request parsing ---- */

static const char *header(const struct s3_req *r, const char *name)
{
	return evhttp_find_header(r->in, name);
}

static const char *qget(const struct s3_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_query; i++)
		if (!strcmp(r->query[i].name, name))
			return r->query[i].value;
	return NULL;
}

static bool qhas(const struct s3_req *r, const char *name)
{
	return qget(r, name) != NULL;
}

/* Split and decode the raw query ('+' stays a plus, as SigV4 reads it). */
static int parse_query(struct s3_req *r, struct str q)
{
	while (q.len) {
		struct str pair, name, value;
		bool more;
		q = str_split(q, '&', &pair, &more);
		if (!pair.len)
			continue;
		value = str_split(pair, '=', &name, NULL);
		if (r->n_query == MAX_QUERY_PARAMS)
			return ERR_TOOLARGE;
		struct buf n, v;
		buf_init(&n, 4096);
		buf_init(&v, 8192);
		if (uri_decode(&n, name.ptr, name.len, false) ||
		    uri_decode(&v, value.ptr, value.len, false)) {
			buf_release(&n);
			buf_release(&v);
			return ERR_PARSE;
		}
		r->query[r->n_query].name = buf_detach(&n, NULL);
		r->query[r->n_query].value = buf_detach(&v, NULL);
		r->n_query++;
		if (!more)
			break;
	}
	return 0;
}

/* The bucket of a virtual-host-style Host ("bucket.localhost[:port]"), else empty. */
static struct str host_bucket(const char *host)
{
	struct str h = str_from(host), name;
	long colon;
	if (!host)
		return STR_NULL;
	colon = str_index(h, ':');
	if (colon >= 0)
		h.len = (size_t)colon;
	if (!str_has_suffix(h, STR_LIT(".localhost")))
		return STR_NULL;
	name = str_make(h.ptr, h.len - strlen(".localhost"));
	return name;
}

/* Fill bucket, key and resource from the Host header and the raw path. */
static int parse_target(struct s3_req *r, struct str path)
{
	struct str vb = host_bucket(header(r, "Host"));
	struct str rest = path;
	if (rest.len && rest.ptr[0] == '/') {
		rest.ptr++;
		rest.len--;
	}
	if (!vb.len) {
		struct str b;
		bool found;
		rest = str_split(rest, '/', &b, &found);
		vb = b;
		r->has_key = found && rest.len > 0;
	} else {
		r->has_key = rest.len > 0;
	}
	if (vb.len >= sizeof(r->bucket_buf))
		return ERR_TOOLARGE;
	memcpy(r->bucket_buf, vb.ptr, vb.len);
	r->bucket_buf[vb.len] = '\0';
	r->bucket = str_make(r->bucket_buf, vb.len);
	if (r->has_key && uri_decode(&r->key, rest.ptr, rest.len, false))
		return ERR_PARSE;
	buf_addch(&r->resource, '/');
	buf_add(&r->resource, r->bucket.ptr, r->bucket.len);
	if (r->has_key) {
		buf_addch(&r->resource, '/');
		buf_add(&r->resource, r->key.ptr, r->key.len);
	}
	return 0;
}

/* ---- signatures ---- */

static const char *lookup_secret(void *ctx, struct str akid)
{
	struct s3_server *srv = ctx;
	return str_eq_cstr(akid, srv->access_key_id) ? srv->secret : NULL;
}

static void sig_mismatch(struct s3_req *r, const struct sigv4_result *res, const char *provided)
{
	struct buf x, hex;
	buf_init(&x, BUF_NOCAP);
	buf_init(&hex, BUF_NOCAP);
	xml_els(&x, "AWSAccessKeyId", res->access_key_id);
	xml_el(&x, "StringToSign", res->string_to_sign.ptr, res->string_to_sign.len);
	xml_els(&x, "SignatureProvided", provided ? provided : "");
	for (size_t i = 0; i < res->string_to_sign.len; i++)
		buf_addf(&hex, "%s%02x", i ? " " : "", (unsigned char)res->string_to_sign.ptr[i]);
	xml_el(&x, "StringToSignBytes", hex.ptr, hex.len);
	xml_el(&x, "CanonicalRequest", res->canonical_request.ptr, res->canonical_request.len);
	buf_reset(&hex);
	for (size_t i = 0; i < res->canonical_request.len; i++)
		buf_addf(&hex, "%s%02x", i ? " " : "",
			 (unsigned char)res->canonical_request.ptr[i]);
	xml_el(&x, "CanonicalRequestBytes", hex.ptr, hex.len);
	reply_error_x(r, 403, "SignatureDoesNotMatch",
		      "The request signature we calculated does not match the signature you "
		      "provided. Check your key and signing method.",
		      x.ptr);
	buf_release(&x);
	buf_release(&hex);
}

/* Verify the signature; replies and returns false on refusal. */
static bool authenticate(struct s3_req *r, struct str path, struct str query)
{
	struct sigv4_header hs[SIGV4_MAX_HEADERS];
	size_t n = 0;
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, r->in, next)
	{
		if (n == SIGV4_MAX_HEADERS) {
			reply_error(r, 400, "InvalidArgument", "Too many headers.");
			return false;
		}
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
		.service = "s3",
		.s3 = true,
		.now = time(NULL),
		.lookup = lookup_secret,
		.lookup_ctx = r->srv,
	};
	struct sigv4_result res;
	sigv4_result_init(&res);
	if (sigv4_verify(&sr, &vp, &res)) {
		sigv4_result_release(&res);
		internal_error(r, ERR_NOMEM);
		return false;
	}
	bool ok = res.status == SIGV4_OK;
	const char *authz = header(r, "Authorization");
	switch (res.status) {
	case SIGV4_OK:
		if (!res.presigned && authz)
			r->header_signed =
				!sigv4_parse_authorization(str_from(authz), &r->authz, NULL);
		break;
	case SIGV4_MISSING:
		if ((authz && !strncmp(authz, "AWS ", 4)) || qhas(r, "AWSAccessKeyId"))
			not_implemented(r, "Signature Version 2 (use SigV4: signature_version "
					   "'s3v4')");
		else
			reply_error(r, 403, "AccessDenied", "Access Denied");
		break;
	case SIGV4_MALFORMED:
		reply_error(r, 400,
			    res.presigned ? "AuthorizationQueryParametersError"
					  : "AuthorizationHeaderMalformed",
			    res.message);
		break;
	case SIGV4_UNKNOWN_KEY: {
		struct buf x;
		buf_init(&x, BUF_NOCAP);
		xml_els(&x, "AWSAccessKeyId", res.access_key_id);
		reply_error_x(r, 403, "InvalidAccessKeyId",
			      "The AWS Access Key Id you provided does not exist in our records.",
			      x.ptr);
		buf_release(&x);
		break;
	}
	case SIGV4_SKEW:
		reply_error(r, 403, "RequestTimeTooSkewed",
			    "The difference between the request time and the current time is too "
			    "large.");
		break;
	case SIGV4_EXPIRED:
		reply_error(r, 403, "AccessDenied", "Request has expired");
		break;
	case SIGV4_MISMATCH: {
		const char *sig = qget(r, "X-Amz-Signature");
		struct sigv4_authz az;
		char provided[65] = "";
		if (!sig && authz && !sigv4_parse_authorization(str_from(authz), &az, NULL))
			snprintf(provided, sizeof(provided), "%.*s", STR_FMT(az.signature));
		sig_mismatch(r, &res, sig ? sig : provided);
		break;
	}
	case SIGV4_UNSIGNED_HEADER:
		reply_error(r, 403, "AccessDenied",
			    "There were headers present in the request which were not signed");
		break;
	case SIGV4_HASH_MISMATCH:
		reply_error(r, 400, "XAmzContentSHA256Mismatch",
			    "The provided 'x-amz-content-sha256' header does not match what was "
			    "computed.");
		break;
	}
	sigv4_result_release(&res);
	return ok;
}

/* ---- aws-chunked bodies ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The line at `*pos` (without CRLF); advances past the CRLF. ERR_PARSE without one. */
static int next_line(const char *in, size_t len, size_t *pos, struct str *line)
{
	const char *s = in + *pos;
	size_t left = len - *pos;
	const char *nl = memchr(s, '\n', left);
	if (!nl || nl == s || nl[-1] != '\r')
		return ERR_PARSE;
	*line = str_make(s, (size_t)(nl - s) - 1);
	*pos += (size_t)(nl - s) + 1;
	return 0;
}

int s3_chunked_decode(const char *in, size_t len, bool signed_chunks, uint64_t max_decoded,
		      s3_chunk_fn fn, void *ctx, struct str *trailer)
{
	size_t pos = 0;
	uint64_t total = 0;
	*trailer = STR_NULL;
	for (;;) {
		struct str line, ext, sig = STR_NULL;
		uint64_t size = 0;
		size_t i = 0;
		int rc;
		if (pos >= len || next_line(in, len, &pos, &line))
			return ERR_PARSE;
		for (; i < line.len && hexval(line.ptr[i]) >= 0; i++) {
			if (i >= 16)
				return ERR_PARSE;
			size = size * 16 + (uint64_t)hexval(line.ptr[i]);
		}
		if (i == 0 || size > MAX_CHUNK_SIZE)
			return i == 0 ? ERR_PARSE : ERR_TOOLARGE;
		ext = str_make(line.ptr + i, line.len - i);
		while (ext.len) { /* ;name=value extensions */
			struct str item, name, value;
			bool found;
			if (ext.ptr[0] != ';')
				return ERR_PARSE;
			ext = str_make(ext.ptr + 1, ext.len - 1);
			ext = str_split(ext, ';', &item, &found);
			if (found) /* put the ';' back for the next round */
				ext = str_make(ext.ptr - 1, ext.len + 1);
			value = str_split(item, '=', &name, NULL);
			if (str_eq_cstr(name, "chunk-signature"))
				sig = value;
		}
		if (signed_chunks && sig.len != 64)
			return ERR_PARSE;
		if (size > len - pos || (total += size) > max_decoded)
			return size > len - pos ? ERR_PARSE : ERR_TOOLARGE;
		struct str data = str_make(in + pos, (size_t)size);
		pos += (size_t)size;
		if ((rc = fn(ctx, data, sig)))
			return rc;
		if (size == 0)
			break;
		if (len - pos < 2 || in[pos] != '\r' || in[pos + 1] != '\n')
			return ERR_PARSE;
		pos += 2;
	}
	/* Trailer lines "name:value", then an empty line, then nothing. */
	size_t tstart = pos;
	for (;;) {
		struct str line;
		size_t before = pos;
		if (pos >= len || next_line(in, len, &pos, &line))
			return ERR_PARSE;
		if (line.len == 0) {
			*trailer = str_make(in + tstart, before - tstart);
			break;
		}
		if (str_index(line, ':') <= 0)
			return ERR_PARSE;
	}
	return pos == len ? 0 : ERR_PARSE;
}

/* What a chunked upload writes into, and how its chunk signatures chain. */
struct chunk_sink {
	struct s3_writer *w;
	bool verify;
	unsigned char key[32];
	char prev[65];
	struct buf sts_prefix; /* "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n" */
	bool bad_signature;
};

static int on_chunk(void *ctx, struct str data, struct str sig)
{
	struct chunk_sink *s = ctx;
	if (s->verify) {
		/* Chunk string to sign (S3 "Signature calculations for the payload"). */
		char hash[65], mine[65];
		unsigned char mac[32];
		struct buf sts;
		buf_init(&sts, 1024);
		sha256_hex(data.ptr, data.len, hash);
		buf_add(&sts, s->sts_prefix.ptr, s->sts_prefix.len);
		buf_addf(&sts, "%s\n" EMPTY_SHA256 "\n%s", s->prev, hash);
		hmac_sha256(s->key, sizeof(s->key), sts.ptr, sts.len, mac);
		buf_release(&sts);
		hex_lower(mine, mac, sizeof(mac));
		if (sig.len != 64 || !ct_equal(mine, sig.ptr, 64)) {
			s->bad_signature = true;
			return ERR_AUTH;
		}
		memcpy(s->prev, mine, sizeof(mine));
	}
	return data.len ? s3_writer_write(s->w, data.ptr, data.len) : 0;
}

/*
 * Write the request's payload into `w`, decoding aws-chunked framing.
 * Replies and returns false on failure.
 */
static bool receive_body(struct s3_req *r, struct s3_writer *w)
{
	const char *sha = header(r, "x-amz-content-sha256");
	const char *dlen = header(r, "x-amz-decoded-content-length");
	bool signed_chunks =
		sha && (!strcmp(sha, STREAMING_SIGNED) || !strcmp(sha, STREAMING_SIGNED_TRAILER));
	bool unsigned_chunks = sha && !strcmp(sha, STREAMING_UNSIGNED_TRAILER);
	int rc;
	if (sha && !strncmp(sha, "STREAMING-", 10) && !signed_chunks && !unsigned_chunks) {
		not_implemented(r, sha);
		return false;
	}
	if (!signed_chunks && !unsigned_chunks) {
		if (r->body_len > S3_MAX_OBJECT_SIZE) {
			reply_error(r, 400, "EntityTooLarge",
				    "Your proposed upload exceeds the maximum allowed size");
			return false;
		}
		rc = s3_writer_write(w, r->body, r->body_len);
		if (rc)
			internal_error(r, rc);
		return rc == 0;
	}
	long long declared = -1;
	if (dlen && str_to_i64(str_from(dlen), 0, LLONG_MAX, &declared)) {
		reply_error(r, 400, "InvalidArgument", "x-amz-decoded-content-length is invalid");
		return false;
	}
	if (declared > (long long)S3_MAX_OBJECT_SIZE) {
		reply_error(r, 400, "EntityTooLarge",
			    "Your proposed upload exceeds the maximum allowed size");
		return false;
	}
	struct chunk_sink sink = {.w = w};
	buf_init(&sink.sts_prefix, 1024);
	if (signed_chunks) {
		const char *date = header(r, "x-amz-date");
		if (!r->header_signed || !date) {
			reply_error(r, 400, "InvalidArgument",
				    "Signed aws-chunked payloads need a header-signed request");
			buf_release(&sink.sts_prefix);
			return false;
		}
		sink.verify = true;
		sigv4_signing_key(r->srv->secret, r->authz.date, r->authz.region, r->authz.service,
				  sink.key);
		snprintf(sink.prev, sizeof(sink.prev), "%.*s", STR_FMT(r->authz.signature));
		buf_addf(&sink.sts_prefix, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%.*s\n", date,
			 STR_FMT(r->authz.scope));
	}
	struct str trailer;
	rc = s3_chunked_decode(r->body, r->body_len, signed_chunks, S3_MAX_OBJECT_SIZE, on_chunk,
			       &sink, &trailer);
	buf_release(&sink.sts_prefix);
	if (sink.bad_signature) {
		reply_error(r, 403, "SignatureDoesNotMatch",
			    "The request signature we calculated does not match the signature "
			    "you provided. Check your key and signing method.");
		return false;
	}
	if (rc == ERR_TOOLARGE) {
		reply_error(r, 400, "EntityTooLarge",
			    "Your proposed upload exceeds the maximum allowed size");
		return false;
	}
	if (rc == ERR_PARSE) {
		reply_error(r, 400, "IncompleteBody", "The request body terminated unexpectedly");
		return false;
	}
	if (rc) {
		internal_error(r, rc);
		return false;
	}
	if (declared >= 0 && (uint64_t)declared != w->size) {
		reply_error(r, 400, "IncompleteBody",
			    "You did not provide the number of bytes specified by the "
			    "x-amz-decoded-content-length header");
		return false;
	}
	return true;
}

/* ---- small helpers ---- */

static struct s3_bucket *need_bucket(struct s3_req *r)
{
	struct s3_bucket *b = s3_store_bucket(r->srv->store, r->bucket);
	if (!b)
		no_such_bucket(r);
	return b;
}

static bool key_ok(struct s3_req *r)
{
	if (r->key.len > S3_MAX_KEY_LEN) {
		reply_error(r, 400, "KeyTooLongError", "Your key is too long");
		return false;
	}
	if (memchr(r->key.ptr, '\0', r->key.len) || !utf8_valid(r->key.ptr, r->key.len)) {
		reply_error(r, 400, "InvalidURI", "Couldn't parse the specified URI.");
		return false;
	}
	return true;
}

/* x-amz-meta-* headers as a JSON object (lowercase names without the prefix). */
static json_t *user_meta(const struct s3_req *r)
{
	json_t *m = json_object();
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, r->in, next)
	{
		if (strncasecmp(kv->key, "x-amz-meta-", 11) || !kv->key[11])
			continue;
		char *name = strdup(kv->key + 11);
		if (!name)
			continue;
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (utf8_valid(kv->value, strlen(kv->value)))
			json_object_set_new(m, name, json_string(kv->value));
		free(name);
	}
	return m;
}

static void set_etag(struct s3_req *r, const char *etag)
{
	char q[S3_ETAG_MAX + 2];
	snprintf(q, sizeof(q), "\"%s\"", etag);
	add_header(r, "ETag", q);
}

/* Does the If-Match / If-None-Match list `v` name `etag` ("*" names any)? */
static bool etag_matches(const char *v, const char *etag)
{
	struct str s = str_from(v);
	while (s.len) {
		struct str item;
		s = str_split(s, ',', &item, NULL);
		item = str_trim(item);
		if (str_has_prefix(item, STR_LIT("W/")))
			item = str_make(item.ptr + 2, item.len - 2);
		if (item.len >= 2 && item.ptr[0] == '"' && item.ptr[item.len - 1] == '"')
			item = str_make(item.ptr + 1, item.len - 2);
		if (str_eq_cstr(item, "*") || str_eq_cstr(item, etag))
			return true;
	}
	return false;
}

static void precondition_failed(struct s3_req *r, const char *cond)
{
	struct buf x;
	buf_init(&x, BUF_NOCAP);
	xml_els(&x, "Condition", cond);
	reply_error_x(r, 412, "PreconditionFailed",
		      "At least one of the pre-conditions you specified did not hold", x.ptr);
	buf_release(&x);
}

/* Only these query parameters are understood by the operation; others get 501. */
static bool only_params(struct s3_req *r, const char *const *allowed)
{
	for (size_t i = 0; i < r->n_query; i++) {
		const char *n = r->query[i].name;
		bool ok = !strncmp(n, "X-Amz-", 6) || !strcmp(n, "x-id");
		for (size_t j = 0; allowed && allowed[j] && !ok; j++)
			ok = !strcmp(n, allowed[j]);
		if (!ok) {
			char what[160];
			snprintf(what, sizeof(what), "The '%.100s' parameter", n);
			not_implemented(r, what);
			return false;
		}
	}
	return true;
}

/* ---- buckets ---- */

static void list_buckets(struct s3_req *r)
{
	struct buf b;
	char t[32];
	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, XML_DECL "<ListAllMyBucketsResult xmlns=\"" S3_XMLNS "\"><Owner><ID>" OWNER_ID
			      "</ID><DisplayName>sluice</DisplayName></Owner><Buckets>");
	for (size_t i = 0; i < s3_store_n_buckets(r->srv->store); i++) {
		struct s3_bucket *bk = s3_store_bucket_at(r->srv->store, i);
		iso_time(t, s3_bucket_created_ms(bk));
		buf_adds(&b, "<Bucket>");
		xml_els(&b, "Name", s3_bucket_name(bk));
		xml_els(&b, "CreationDate", t);
		buf_adds(&b, "</Bucket>");
	}
	buf_adds(&b, "</Buckets></ListAllMyBucketsResult>");
	reply_xml(r, 200, &b);
	buf_release(&b);
}

static void create_bucket(struct s3_req *r)
{
	if (!only_params(r, NULL))
		return;
	int rc = s3_store_create_bucket(r->srv->store, r->bucket);
	if (rc == ERR_INVAL) {
		reply_error(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
	} else if (rc == ERR_EXISTS) {
		reply_error(r, 409, "BucketAlreadyOwnedByYou",
			    "Your previous request to create the named bucket succeeded and you "
			    "already own it.");
	} else if (rc == ERR_TOOLARGE) {
		reply_error(r, 400, "TooManyBuckets",
			    "You have attempted to create more buckets than allowed");
	} else if (rc) {
		internal_error(r, rc);
	} else {
		char loc[80];
		snprintf(loc, sizeof(loc), "/%s", r->bucket_buf);
		add_header(r, "Location", loc);
		reply_empty(r, 200, "OK");
	}
}

static void delete_bucket(struct s3_req *r)
{
	if (!only_params(r, NULL))
		return;
	int rc = s3_store_delete_bucket(r->srv->store, r->bucket);
	if (rc == ERR_NOTFOUND)
		no_such_bucket(r);
	else if (rc == ERR_PRECONDITION)
		reply_error(r, 409, "BucketNotEmpty",
			    "The bucket you tried to delete is not empty");
	else if (rc)
		internal_error(r, rc);
	else
		reply(r, 204, "No Content", NULL, NULL);
}

static void head_bucket(struct s3_req *r)
{
	if (!need_bucket(r))
		return;
	add_header(r, "x-amz-bucket-region", "us-east-1");
	reply_empty(r, 200, "OK");
}

static void bucket_location(struct s3_req *r)
{
	struct buf b;
	if (!need_bucket(r))
		return;
	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, XML_DECL "<LocationConstraint xmlns=\"" S3_XMLNS "\"/>");
	reply_xml(r, 200, &b);
	buf_release(&b);
}

/* ---- listing ---- */

static void add_contents(struct buf *b, const struct s3_object *o, bool url, bool owner)
{
	char t[32];
	iso_time(t, o->last_modified_ms);
	buf_adds(b, "<Contents>");
	xml_key(b, "Key", o->key, o->key_len, url);
	xml_els(b, "LastModified", t);
	buf_addf(b, "<ETag>&quot;%s&quot;</ETag><Size>%" PRIu64 "</Size>", o->etag, o->size);
	if (owner)
		buf_adds(b,
			 "<Owner><ID>" OWNER_ID "</ID><DisplayName>sluice</DisplayName></Owner>");
	buf_adds(b, "<StorageClass>STANDARD</StorageClass></Contents>");
}

static void list_objects(struct s3_req *r, bool v2)
{
	static const char *const p2[] = {
		"list-type",   "prefix",	"delimiter",   "max-keys", "continuation-token",
		"start-after", "encoding-type", "fetch-owner", NULL};
	static const char *const p1[] = {"prefix", "delimiter",	    "max-keys",
					 "marker", "encoding-type", NULL};
	struct s3_bucket *bk;
	if (!only_params(r, v2 ? p2 : p1) || !(bk = need_bucket(r)))
		return;
	const char *prefix = qget(r, "prefix"), *delim = qget(r, "delimiter");
	const char *mk = qget(r, "max-keys"), *enc = qget(r, "encoding-type");
	const char *token = v2 ? qget(r, "continuation-token") : NULL;
	const char *after = v2 ? qget(r, "start-after") : qget(r, "marker");
	long long max_keys = 1000;
	if (mk && str_to_i64(str_from(mk), 0, LLONG_MAX, &max_keys)) {
		reply_error(r, 400, "InvalidArgument",
			    "Provided max-keys not an integer or within "
			    "integer range");
		return;
	}
	if (enc && strcmp(enc, "url")) {
		reply_error(r, 400, "InvalidArgument",
			    "Invalid Encoding Method specified in Request");
		return;
	}
	bool url = enc != NULL;
	struct buf marker, cur_prefix, b;
	buf_init(&marker, 4096);
	buf_init(&cur_prefix, 4096);
	buf_init(&b, BUF_NOCAP);
	if (token && (b64_decode(&marker, token, strlen(token)) || marker.len == 0)) {
		reply_error(r, 400, "InvalidArgument",
			    "The continuation token provided is incorrect");
		goto out;
	}
	if (!token && after)
		buf_adds(&marker, after);
	struct str pfx = str_from(prefix ? prefix : ""), dl = str_from(delim ? delim : "");
	size_t i = s3_bucket_lower_bound(bk, marker.len > pfx.len ? str_make(marker.ptr, marker.len)
								  : pfx);
	long long count = 0;
	bool truncated = false;
	struct buf items, last;
	buf_init(&items, BUF_NOCAP);
	buf_init(&last, 4096);
	struct buf prefixes;
	buf_init(&prefixes, BUF_NOCAP);
	for (; i < s3_bucket_count(bk); i++) {
		const struct s3_object *o = s3_bucket_at(bk, i);
		struct str k = str_make(o->key, o->key_len);
		if (!str_has_prefix(k, pfx)) {
			if (memcmp(o->key, pfx.ptr, MIN(pfx.len, o->key_len)) > 0)
				break; /* past every key with the prefix */
			continue;
		}
		if (marker.len &&
		    (str_eq(k, str_make(marker.ptr, marker.len)) ||
		     memcmp(o->key, marker.ptr, MIN(marker.len, o->key_len)) < 0 ||
		     (o->key_len < marker.len && !memcmp(o->key, marker.ptr, o->key_len))))
			continue;
		struct str entry = k;
		bool is_prefix = false;
		if (dl.len) {
			struct str rest = str_make(k.ptr + pfx.len, k.len - pfx.len);
			for (size_t j = 0; j + dl.len <= rest.len; j++) {
				if (!memcmp(rest.ptr + j, dl.ptr, dl.len)) {
					entry = str_make(k.ptr, pfx.len + j + dl.len);
					is_prefix = true;
					break;
				}
			}
		}
		if (is_prefix && cur_prefix.len &&
		    str_eq(entry, str_make(cur_prefix.ptr, cur_prefix.len)))
			continue;
		/* A resumed listing skips the rest of the common prefix it stopped at. */
		if (is_prefix && marker.len &&
		    str_has_prefix(str_make(marker.ptr, marker.len), entry))
			continue;
		if (count >= max_keys) {
			truncated = true;
			break;
		}
		count++;
		buf_reset(&last);
		buf_add(&last, entry.ptr, entry.len);
		if (is_prefix) {
			buf_reset(&cur_prefix);
			buf_add(&cur_prefix, entry.ptr, entry.len);
			buf_adds(&prefixes, "<CommonPrefixes>");
			xml_key(&prefixes, "Prefix", entry.ptr, entry.len, url);
			buf_adds(&prefixes, "</CommonPrefixes>");
		} else {
			add_contents(&items, o, url,
				     !v2 || (qget(r, "fetch-owner") &&
					     !strcmp(qget(r, "fetch-owner"), "true")));
		}
	}
	if (max_keys > S3_MAX_LIST_KEYS)
		max_keys = S3_MAX_LIST_KEYS;
	buf_adds(&b, XML_DECL "<ListBucketResult xmlns=\"" S3_XMLNS "\">");
	xml_els(&b, "Name", s3_bucket_name(bk));
	xml_key(&b, "Prefix", pfx.ptr, pfx.len, url);
	if (!v2)
		xml_key(&b, "Marker", after ? after : "", after ? strlen(after) : 0, url);
	if (truncated && !v2 && dl.len)
		xml_key(&b, "NextMarker", last.ptr, last.len, url);
	if (v2 && token)
		xml_els(&b, "ContinuationToken", token);
	if (v2 && after)
		xml_key(&b, "StartAfter", after, strlen(after), url);
	if (v2)
		buf_addf(&b, "<KeyCount>%lld</KeyCount>", count);
	buf_addf(&b, "<MaxKeys>%lld</MaxKeys>", max_keys);
	if (dl.len)
		xml_key(&b, "Delimiter", dl.ptr, dl.len, url);
	if (url)
		buf_adds(&b, "<EncodingType>url</EncodingType>");
	buf_addf(&b, "<IsTruncated>%s</IsTruncated>", truncated ? "true" : "false");
	if (v2 && truncated) {
		struct buf t;
		buf_init(&t, BUF_NOCAP);
		b64_encode(&t, last.ptr, last.len);
		xml_el(&b, "NextContinuationToken", t.ptr, t.len);
		buf_release(&t);
	}
	buf_add(&b, items.ptr, items.len);
	buf_add(&b, prefixes.ptr, prefixes.len);
	buf_adds(&b, "</ListBucketResult>");
	reply_xml(r, 200, &b);
	buf_release(&items);
	buf_release(&prefixes);
	buf_release(&last);
out:
	buf_release(&marker);
	buf_release(&cur_prefix);
	buf_release(&b);
}

/* ---- a small XML reader for request bodies ---- */

struct xml_reader {
	XML_Parser p;
	int depth;
	char names[XML_MAX_DEPTH][32];
	struct buf text;
	void (*leaf)(void *ctx, const char *parent, const char *name, struct buf *text);
	void (*close)(void *ctx, const char *name);
	void *ctx;
	bool failed;
};

static void XMLCALL xr_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_reader *x = ud;
	if (x->depth < XML_MAX_DEPTH)
		snprintf(x->names[x->depth], sizeof(x->names[0]), "%s", name);
	x->depth++;
	buf_reset(&x->text);
}

static void XMLCALL xr_end(void *ud, const XML_Char *name)
{
	struct xml_reader *x = ud;
	x->depth--;
	if (x->depth >= 1 && x->depth < XML_MAX_DEPTH)
		x->leaf(x->ctx, x->names[x->depth - 1], name, &x->text);
	if (x->close)
		x->close(x->ctx, name);
	buf_reset(&x->text);
}

static void XMLCALL xr_text(void *ud, const XML_Char *s, int len)
{
	struct xml_reader *x = ud;
	if (buf_add(&x->text, s, (size_t)len))
		x->failed = true;
}

static void XMLCALL xr_doctype(void *ud, const XML_Char *n, const XML_Char *s, const XML_Char *p,
			       int i)
{
	struct xml_reader *x = ud;
	x->failed = true;
	XML_StopParser(x->p, XML_FALSE);
}

static int xml_read(const char *s, size_t len, struct xml_reader *x)
{
	int rc = 0;
	if (len > S3_MAX_XML_BODY)
		return ERR_TOOLARGE;
	x->p = XML_ParserCreate("UTF-8");
	if (!x->p)
		return ERR_NOMEM;
	buf_init(&x->text, XML_MAX_TEXT);
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, xr_start, xr_end);
	XML_SetCharacterDataHandler(x->p, xr_text);
	XML_SetStartDoctypeDeclHandler(x->p, xr_doctype);
	if (XML_Parse(x->p, s, (int)len, XML_TRUE) != XML_STATUS_OK || x->failed)
		rc = ERR_PARSE;
	XML_ParserFree(x->p);
	buf_release(&x->text);
	return rc;
}

static void malformed_xml(struct s3_req *r)
{
	reply_error(r, 400, "MalformedXML",
		    "The XML you provided was not well-formed or did not validate against our "
		    "published schema");
}

/* ---- objects ---- */

/* Object-created notifications (s3_notify.h): after the commit, before the answer. */
void s3_server_on_created(struct s3_server *srv, s3_created_fn fn, void *ctx)
{
	if (!srv)
		return;
	srv->on_created = fn;
	srv->on_created_ctx = ctx;
}

static void notify_created(struct s3_req *r, struct s3_bucket *bk, const struct s3_object *o,
			   const char *event_name)
{
	char seq[17];
	struct s3_created ev = {
		.event_name = event_name,
		.bucket = s3_bucket_name(bk),
		.key = o->key,
		.key_len = o->key_len,
		.size = o->size,
		.etag = o->etag,
		.sequencer = seq,
		.request_id = r->request_id,
		.time_ms = o->last_modified_ms,
	};
	if (!r->srv->on_created)
		return;
	s3_notify_sequencer(seq);
	r->srv->on_created(r->srv->on_created_ctx, &ev);
}

static void put_object(struct s3_req *r)
{
	struct s3_bucket *bk;
	struct s3_writer w;
	const struct s3_object *o;
	if (!only_params(r, NULL) || !(bk = need_bucket(r)) || !key_ok(r))
		return;
	const struct s3_object *cur = s3_bucket_find(bk, str_make(r->key.ptr, r->key.len));
	const char *inm = header(r, "If-None-Match"), *im = header(r, "If-Match");
	if (inm && strcmp(inm, "*")) {
		not_implemented(r, "If-None-Match other than '*' on PutObject");
		return;
	}
	if (inm && cur) {
		precondition_failed(r, "If-None-Match");
		return;
	}
	if (im && !cur) {
		no_such_key(r);
		return;
	}
	if (im && !etag_matches(im, cur->etag)) {
		precondition_failed(r, "If-Match");
		return;
	}
	int rc = s3_writer_begin(bk, &w);
	if (rc) {
		internal_error(r, rc);
		return;
	}
	if (!receive_body(r, &w)) {
		s3_writer_abort(&w);
		return;
	}
	json_t *meta = user_meta(r);
	rc = s3_writer_commit(&w, str_make(r->key.ptr, r->key.len), header(r, "Content-Type"), meta,
			      NULL, &o);
	json_decref(meta);
	s3_writer_abort(&w);
	if (rc) {
		internal_error(r, rc);
		return;
	}
	notify_created(r, bk, o, "ObjectCreated:Put");
	set_etag(r, o->etag);
	reply_empty(r, 200, "OK");
}

/* Parse "bytes=a-b" / "bytes=a-" / "bytes=-n"; false when the header is to be ignored. */
static bool parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *end,
			bool *unsatisfiable)
{
	struct str s = str_from(h), a, b;
	long long x = -1, y = -1;
	bool found;
	*unsatisfiable = false;
	if (!str_has_prefix(s, STR_LIT("bytes=")) || str_index(s, ',') >= 0)
		return false;
	s = str_make(s.ptr + 6, s.len - 6);
	b = str_split(s, '-', &a, &found);
	if (!found || (a.len && str_to_i64(a, 0, LLONG_MAX, &x)) ||
	    (b.len && str_to_i64(b, 0, LLONG_MAX, &y)) || (!a.len && !b.len))
		return false;
	if (!a.len) { /* suffix */
		if (y == 0 || size == 0) {
			*unsatisfiable = true;
			return true;
		}
		*start = (uint64_t)y >= size ? 0 : size - (uint64_t)y;
		*end = size - 1;
		return true;
	}
	if (b.len && y < x)
		return false;
	if ((uint64_t)x >= size) {
		*unsatisfiable = true;
		return true;
	}
	*start = (uint64_t)x;
	*end = !b.len || (uint64_t)y >= size ? size - 1 : (uint64_t)y;
	return true;
}

/* If-Match, If-None-Match, If-Unmodified-Since, If-Modified-Since (RFC 9110 13.2.2). */
static bool get_conditions(struct s3_req *r, const struct s3_object *o)
{
	const char *im = header(r, "If-Match"), *inm = header(r, "If-None-Match");
	const char *ius = header(r, "If-Unmodified-Since"), *ims = header(r, "If-Modified-Since");
	time_t t, lm = (time_t)(o->last_modified_ms / 1000);
	if (im && !etag_matches(im, o->etag)) {
		precondition_failed(r, "If-Match");
		return false;
	}
	if (!im && ius && !time_parse_http(ius, strlen(ius), &t) && lm > t) {
		precondition_failed(r, "If-Unmodified-Since");
		return false;
	}
	bool not_modified = false;
	if (inm)
		not_modified = etag_matches(inm, o->etag);
	else if (ims && !time_parse_http(ims, strlen(ims), &t))
		not_modified = lm <= t;
	if (not_modified) {
		char d[32];
		set_etag(r, o->etag);
		time_http(d, lm);
		add_header(r, "Last-Modified", d);
		reply(r, 304, "Not Modified", NULL, NULL);
		return false;
	}
	return true;
}

/*
 * Objects up to this size are read into the answer; larger ones are sent
 * with evbuffer_add_file() (mmap or sendfile). For a small object the read is
 * cheaper than the mmap, the page fault and the munmap.
 */
#define S3_SMALL_READ_MAX (64u << 10)

/* Append `len` bytes of `fd` from offset `start` to `out`. 0, ERR_IO or ERR_NOMEM. */
static int add_file_small(struct evbuffer *out, int fd, uint64_t start, size_t len)
{
	struct evbuffer_iovec v;
	size_t got = 0;

	if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) != 1 || v.iov_len < len)
		return ERR_NOMEM;
	while (got < len) {
		ssize_t n = pread(fd, (char *)v.iov_base + got, len - got, (off_t)(start + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_IO; /* the reserved space is simply not committed */
		got += (size_t)n;
	}
	v.iov_len = len;
	return evbuffer_commit_space(out, &v, 1) ? ERR_NOMEM : 0;
}

static void get_object(struct s3_req *r, bool head)
{
	static const char *const allowed[] = {"response-content-type",
					      "response-content-language",
					      "response-expires",
					      "response-cache-control",
					      "response-content-disposition",
					      "response-content-encoding",
					      NULL};
	struct s3_bucket *bk;
	if (!only_params(r, allowed) || !(bk = need_bucket(r)))
		return;
	const struct s3_object *o = s3_bucket_find(bk, str_make(r->key.ptr, r->key.len));
	if (!o) {
		no_such_key(r);
		return;
	}
	if (!get_conditions(r, o))
		return;
	uint64_t start = 0, end = o->size ? o->size - 1 : 0;
	bool unsat = false, ranged = false;
	const char *rh = header(r, "Range");
	if (rh)
		ranged = parse_range(rh, o->size, &start, &end, &unsat);
	if (unsat) {
		struct buf x;
		buf_init(&x, BUF_NOCAP);
		xml_els(&x, "RangeRequested", rh);
		buf_addf(&x, "<ActualObjectSize>%" PRIu64 "</ActualObjectSize>", o->size);
		char cr[64];
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, o->size);
		add_header(r, "Content-Range", cr);
		reply_error_x(r, 416, "InvalidRange", "The requested range is not satisfiable",
			      x.ptr);
		buf_release(&x);
		return;
	}
	uint64_t len = o->size ? end - start + 1 : 0;
	char d[32], num[32];
	time_http(d, (time_t)(o->last_modified_ms / 1000));
	set_etag(r, o->etag);
	add_header(r, "Last-Modified", d);
	add_header(r, "Accept-Ranges", "bytes");
	const char *ct = qget(r, "response-content-type");
	add_header(r, "Content-Type", ct ? ct : o->content_type);
	static const char *const overrides[][2] = {
		{"response-content-language", "Content-Language"},
		{"response-expires", "Expires"},
		{"response-cache-control", "Cache-Control"},
		{"response-content-disposition", "Content-Disposition"},
		{"response-content-encoding", "Content-Encoding"}};
	for (size_t i = 0; i < ARRAY_SIZE(overrides); i++)
		if (qget(r, overrides[i][0]))
			add_header(r, overrides[i][1], qget(r, overrides[i][0]));
	const char *mk;
	json_t *mv;
	json_object_foreach(o->meta, mk, mv)
	{
		char name[300];
		snprintf(name, sizeof(name), "x-amz-meta-%s", mk);
		add_header(r, name, json_string_value(mv));
	}
	if (ranged) {
		char cr[96];
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, end,
			 o->size);
		add_header(r, "Content-Range", cr);
	}
	if (head) {
		snprintf(num, sizeof(num), "%" PRIu64, len);
		add_header(r, "Content-Length", num);
		reply(r, ranged ? 206 : 200, ranged ? "Partial Content" : "OK", NULL, NULL);
		return;
	}
	int fd = -1;
	int rc = s3_object_open(bk, o, &fd);
	if (rc) {
		internal_error(r, rc);
		return;
	}
	if (len == 0) {
		close(fd);
	} else if (len <= S3_SMALL_READ_MAX) {
		rc = add_file_small(r->out, fd, start, (size_t)len);
		close(fd);
		if (rc) {
			internal_error(r, rc);
			return;
		}
	} else if (evbuffer_add_file(r->out, fd, (ev_off_t)start, (ev_off_t)len)) {
		close(fd);
		internal_error(r, ERR_IO);
		return;
	}
	r->replied = true;
	add_header(r, "x-amz-request-id", r->request_id);
	add_header(r, "x-amz-id-2", r->request_id);
	add_header(r, "Server", "sluice");
	if (len == 0)
		add_header(r, "Content-Length", "0");
	evhttp_send_reply(r->req, ranged ? 206 : 200, ranged ? "Partial Content" : "OK", r->out);
}

static void delete_object(struct s3_req *r)
{
	struct s3_bucket *bk;
	if (!only_params(r, NULL) || !(bk = need_bucket(r)))
		return;
	int rc = s3_bucket_delete_object(bk, str_make(r->key.ptr, r->key.len));
	if (rc && rc != ERR_NOTFOUND) {
		internal_error(r, rc);
		return;
	}
	reply(r, 204, "No Content", NULL, NULL); /* S3 answers 204 for a missing key too */
}

struct delete_ctx {
	struct buf *keys; /* NUL-separated */
	size_t n;
	bool quiet;
	bool too_many;
};

static void delete_leaf(void *ctx, const char *parent, const char *name, struct buf *text)
{
	struct delete_ctx *d = ctx;
	if (!strcmp(parent, "Delete") && !strcmp(name, "Quiet"))
		d->quiet = !strcmp(text->ptr, "true");
	if (!strcmp(parent, "Object") && !strcmp(name, "Key")) {
		if (++d->n > S3_MAX_DELETE_KEYS)
			d->too_many = true;
		else
			buf_add(d->keys, text->ptr, text->len + 1);
	}
}

static void delete_objects(struct s3_req *r)
{
	static const char *const allowed[] = {"delete", NULL};
	struct s3_bucket *bk;
	if (!only_params(r, allowed) || !(bk = need_bucket(r)))
		return;
	struct buf keys, b;
	buf_init(&keys, BUF_NOCAP);
	buf_init(&b, BUF_NOCAP);
	struct delete_ctx d = {.keys = &keys};
	struct xml_reader x = {.leaf = delete_leaf, .ctx = &d};
	if (xml_read(r->body, r->body_len, &x) || d.n == 0 || d.too_many) {
		malformed_xml(r);
		goto out;
	}
	buf_adds(&b, XML_DECL "<DeleteResult xmlns=\"" S3_XMLNS "\">");
	for (const char *k = keys.ptr; k < keys.ptr + keys.len; k += strlen(k) + 1) {
		int rc = s3_bucket_delete_object(bk, str_from(k));
		if (rc && rc != ERR_NOTFOUND) {
			buf_adds(&b, "<Error>");
			xml_els(&b, "Key", k);
			buf_adds(&b,
				 "<Code>InternalError</Code><Message>We encountered an internal "
				 "error. Please try again.</Message></Error>");
		} else if (!d.quiet) {
			buf_adds(&b, "<Deleted>");
			xml_els(&b, "Key", k);
			buf_adds(&b, "</Deleted>");
		}
	}
	buf_adds(&b, "</DeleteResult>");
	reply_xml(r, 200, &b);
out:
	buf_release(&keys);
	buf_release(&b);
}

/* "/bucket/key" or "bucket/key" (URL-encoded, maybe with "?versionId=") of CopyObject. */
static void copy_object(struct s3_req *r, const char *src)
{
	struct s3_bucket *bk, *sb;
	struct buf dec;
	struct s3_writer w;
	const struct s3_object *o, *so;
	if (!only_params(r, NULL) || !(bk = need_bucket(r)) || !key_ok(r))
		return;
	struct str s = str_from(src), sbucket, skey;
	if (str_index(s, '?') >= 0) {
		not_implemented(r, "Copying a version (versionId in x-amz-copy-source)");
		return;
	}
	buf_init(&dec, 8192);
	if (uri_decode(&dec, s.ptr, s.len, false)) {
		reply_error(r, 400, "InvalidArgument", "Invalid copy source encoding");
		goto out;
	}
	s = str_make(dec.ptr, dec.len);
	if (s.len && s.ptr[0] == '/')
		s = str_make(s.ptr + 1, s.len - 1);
	skey = str_split(s, '/', &sbucket, NULL);
	if (!sbucket.len || !skey.len) {
		reply_error(r, 400, "InvalidArgument", "Invalid copy source object key");
		goto out;
	}
	if (!(sb = s3_store_bucket(r->srv->store, sbucket))) {
		reply_error(r, 404, "NoSuchBucket", "The specified bucket does not exist");
		goto out;
	}
	if (!(so = s3_bucket_find(sb, skey))) {
		reply_error(r, 404, "NoSuchKey", "The specified key does not exist.");
		goto out;
	}
	const char *directive = header(r, "x-amz-metadata-directive");
	bool replace = directive && !strcmp(directive, "REPLACE");
	if (directive && !replace && strcmp(directive, "COPY")) {
		reply_error(r, 400, "InvalidArgument", "Unknown metadata directive.");
		goto out;
	}
	if (sb == bk && str_eq(skey, str_make(r->key.ptr, r->key.len)) && !replace) {
		reply_error(
			r, 400, "InvalidRequest",
			"This copy request is illegal because it is trying to copy an object to "
			"itself without changing the object's metadata, storage class, website "
			"redirect location or encryption attributes.");
		goto out;
	}
	const char *cm = header(r, "x-amz-copy-source-if-match");
	const char *cnm = header(r, "x-amz-copy-source-if-none-match");
	if ((cm && !etag_matches(cm, so->etag)) || (cnm && etag_matches(cnm, so->etag))) {
		precondition_failed(r, cm ? "x-amz-copy-source-If-Match"
					  : "x-amz-copy-source-If-None-Match");
		goto out;
	}
	int fd = -1, rc = s3_object_open(sb, so, &fd);
	if (!rc && (rc = s3_writer_begin(bk, &w)))
		close(fd);
	if (rc) {
		internal_error(r, rc);
		goto out;
	}
	char tmp[65536];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = ERR_IO;
		if (n <= 0 || (rc = s3_writer_write(&w, tmp, (size_t)n)))
			break;
	}
	close(fd);
	/* Copy keeps a multipart ETag; the copy's bytes are the same. */
	char etag[S3_ETAG_MAX];
	snprintf(etag, sizeof(etag), "%s", so->etag);
	json_t *meta = replace ? user_meta(r) : json_deep_copy(so->meta);
	char *ct = strdup(replace && header(r, "Content-Type") ? header(r, "Content-Type")
							       : so->content_type);
	if (!rc)
		rc = s3_writer_commit(&w, str_make(r->key.ptr, r->key.len), ct, meta,
				      strchr(etag, '-') ? etag : NULL, &o);
	s3_writer_abort(&w);
	json_decref(meta);
	free(ct);
	if (rc) {
		internal_error(r, rc);
		goto out;
	}
	notify_created(r, bk, o, "ObjectCreated:Copy");
	char t[32];
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	iso_time(t, o->last_modified_ms);
	buf_adds(&b, XML_DECL "<CopyObjectResult>");
	xml_els(&b, "LastModified", t);
	buf_addf(&b, "<ETag>&quot;%s&quot;</ETag></CopyObjectResult>", o->etag);
	reply_xml(r, 200, &b);
	buf_release(&b);
out:
	buf_release(&dec);
}

/* ---- multipart ---- */

static void no_such_upload(struct s3_req *r, const char *id)
{
	struct buf x;
	buf_init(&x, BUF_NOCAP);
	xml_els(&x, "UploadId", id);
	reply_error_x(r, 404, "NoSuchUpload",
		      "The specified upload does not exist. The upload ID may be invalid, or the "
		      "upload may have been aborted or completed.",
		      x.ptr);
	buf_release(&x);
}

static void create_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploads", NULL};
	struct s3_bucket *bk;
	char id[S3_UPLOAD_ID_LEN + 1];
	if (!only_params(r, allowed) || !(bk = need_bucket(r)) || !key_ok(r))
		return;
	json_t *meta = user_meta(r);
	int rc = s3_upload_create(bk, str_make(r->key.ptr, r->key.len), header(r, "Content-Type"),
				  meta, id);
	json_decref(meta);
	if (rc) {
		internal_error(r, rc);
		return;
	}
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, XML_DECL "<InitiateMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
	xml_els(&b, "Bucket", s3_bucket_name(bk));
	xml_el(&b, "Key", r->key.ptr, r->key.len);
	xml_els(&b, "UploadId", id);
	buf_adds(&b, "</InitiateMultipartUploadResult>");
	reply_xml(r, 200, &b);
	buf_release(&b);
}

/* The upload named by ?uploadId= when it exists for this key; replies otherwise. */
static bool need_upload(struct s3_req *r, struct s3_bucket *bk, struct s3_upload *up)
{
	const char *id = qget(r, "uploadId");
	int rc = s3_upload_get(bk, str_from(id), up);
	if (rc == ERR_NOTFOUND ||
	    (!rc && !str_eq(str_make(up->key, up->key_len), str_make(r->key.ptr, r->key.len)))) {
		if (!rc)
			s3_upload_release(up);
		no_such_upload(r, id);
		return false;
	}
	if (rc)
		internal_error(r, rc);
	return rc == 0;
}

static void upload_part(struct s3_req *r)
{
	static const char *const allowed[] = {"partNumber", "uploadId", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	struct s3_writer w;
	long long num;
	if (!only_params(r, allowed) || !(bk = need_bucket(r)))
		return;
	if (str_to_i64(str_from(qget(r, "partNumber")), 1, S3_MAX_PARTS, &num)) {
		reply_error(r, 400, "InvalidArgument",
			    "Part number must be an integer between 1 and 10000, inclusive");
		return;
	}
	if (header(r, "x-amz-copy-source")) {
		not_implemented(r, "UploadPartCopy");
		return;
	}
	if (!need_upload(r, bk, &up))
		return;
	s3_upload_release(&up);
	int rc = s3_writer_begin(bk, &w);
	if (rc) {
		internal_error(r, rc);
		return;
	}
	if (!receive_body(r, &w)) {
		s3_writer_abort(&w);
		return;
	}
	rc = s3_writer_commit_part(&w, str_from(qget(r, "uploadId")), (int)num);
	s3_writer_abort(&w);
	if (rc == ERR_NOTFOUND) {
		no_such_upload(r, qget(r, "uploadId"));
		return;
	}
	if (rc) {
		internal_error(r, rc);
		return;
	}
	set_etag(r, w.md5_hex);
	reply_empty(r, 200, "OK");
}

struct complete_ctx {
	int numbers[S3_MAX_PARTS];
	char etags[S3_MAX_PARTS][S3_ETAG_MAX];
	size_t n;
	int cur_number;
	char cur_etag[S3_ETAG_MAX];
	bool bad;
};

static void complete_leaf(void *ctx, const char *parent, const char *name, struct buf *text)
{
	struct complete_ctx *c = ctx;
	long long v;
	if (strcmp(parent, "Part"))
		return;
	if (!strcmp(name, "PartNumber")) {
		if (str_to_i64(str_trim(str_make(text->ptr, text->len)), 1, S3_MAX_PARTS, &v))
			c->bad = true;
		else
			c->cur_number = (int)v;
	} else if (!strcmp(name, "ETag")) {
		struct str e = str_trim(str_make(text->ptr, text->len));
		if (e.len >= 2 && e.ptr[0] == '"' && e.ptr[e.len - 1] == '"')
			e = str_make(e.ptr + 1, e.len - 2);
		snprintf(c->cur_etag, sizeof(c->cur_etag), "%.*s", (int)MIN(e.len, 40), e.ptr);
	}
}

static void complete_close(void *ctx, const char *name)
{
	struct complete_ctx *c = ctx;
	if (strcmp(name, "Part"))
		return;
	if (c->n == S3_MAX_PARTS || !c->cur_number) {
		c->bad = true;
		return;
	}
	c->numbers[c->n] = c->cur_number;
	memcpy(c->etags[c->n], c->cur_etag, sizeof(c->cur_etag));
	c->n++;
	c->cur_number = 0;
	c->cur_etag[0] = '\0';
}

static void invalid_part(struct s3_req *r)
{
	reply_error(r, 400, "InvalidPart",
		    "One or more of the specified parts could not be found.  The part may not have "
		    "been uploaded, or the specified entity tag may not match the part's entity "
		    "tag.");
}

/* Check the listed parts against the uploaded ones and compute the multipart ETag. */
static bool check_parts(struct s3_req *r, const struct complete_ctx *c, const struct s3_part *parts,
			size_t np, char etag[S3_ETAG_MAX])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	bool ok = m && EVP_DigestInit_ex(m, EVP_md5(), NULL);
	for (size_t i = 0; ok && i < c->n; i++) {
		const struct s3_part *p = NULL;
		if (i && c->numbers[i] <= c->numbers[i - 1]) {
			reply_error(r, 400, "InvalidPartOrder",
				    "The list of parts was not in ascending order. The parts list "
				    "must be specified in order by part number.");
			ok = false;
			break;
		}
		for (size_t j = 0; j < np && !p; j++)
			if (parts[j].number == c->numbers[i])
				p = &parts[j];
		if (!p || strcmp(p->etag, c->etags[i])) {
			invalid_part(r);
			ok = false;
			break;
		}
		if (i + 1 < c->n && p->size < S3_MIN_PART_SIZE) {
			reply_error(
				r, 400, "EntityTooSmall",
				"Your proposed upload is smaller than the minimum allowed size");
			ok = false;
			break;
		}
		unsigned char raw[MD5_LEN];
		for (size_t k = 0; k < MD5_LEN; k++)
			raw[k] = (unsigned char)(hexval(p->etag[2 * k]) * 16 +
						 hexval(p->etag[2 * k + 1]));
		EVP_DigestUpdate(m, raw, sizeof(raw));
	}
	if (ok && EVP_DigestFinal_ex(m, d, &dl)) {
		char hex[33];
		hex_lower(hex, d, MD5_LEN);
		snprintf(etag, S3_ETAG_MAX, "%s-%zu", hex, c->n);
	} else if (ok) {
		internal_error(r, ERR_NOMEM);
		ok = false;
	}
	EVP_MD_CTX_free(m);
	return ok;
}

static void complete_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	struct s3_part *parts = NULL;
	size_t np = 0;
	const struct s3_object *o;
	char etag[S3_ETAG_MAX];
	if (!only_params(r, allowed) || !(bk = need_bucket(r)) || !need_upload(r, bk, &up))
		return;
	struct complete_ctx *c = calloc(1, sizeof(*c));
	struct xml_reader x = {.leaf = complete_leaf, .close = complete_close, .ctx = c};
	if (!c) {
		internal_error(r, ERR_NOMEM);
		goto out;
	}
	if (xml_read(r->body, r->body_len, &x) || c->bad || c->n == 0) {
		malformed_xml(r);
		goto out;
	}
	int rc = s3_upload_parts(bk, str_from(qget(r, "uploadId")), &parts, &np);
	if (rc) {
		internal_error(r, rc);
		goto out;
	}
	if (!check_parts(r, c, parts, np, etag))
		goto out;
	rc = s3_upload_complete(bk, str_from(qget(r, "uploadId")), c->numbers, c->n, etag, &o);
	if (rc) {
		internal_error(r, rc);
		goto out;
	}
	notify_created(r, bk, o, "ObjectCreated:CompleteMultipartUpload");
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, XML_DECL "<CompleteMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
	const char *host = header(r, "Host");
	buf_adds(&b, "<Location>http://");
	xml_esc(&b, host ? host : "localhost", strlen(host ? host : "localhost"));
	xml_esc(&b, r->resource.ptr, r->resource.len);
	buf_adds(&b, "</Location>");
	xml_els(&b, "Bucket", s3_bucket_name(bk));
	xml_el(&b, "Key", o->key, o->key_len);
	buf_addf(&b, "<ETag>&quot;%s&quot;</ETag></CompleteMultipartUploadResult>", o->etag);
	reply_xml(r, 200, &b);
	buf_release(&b);
out:
	free(c);
	free(parts);
	s3_upload_release(&up);
}

static void abort_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	if (!only_params(r, allowed) || !(bk = need_bucket(r)) || !need_upload(r, bk, &up))
		return;
	s3_upload_release(&up);
	int rc = s3_upload_abort(bk, str_from(qget(r, "uploadId")));
	if (rc && rc != ERR_NOTFOUND)
		internal_error(r, rc);
	else
		reply(r, 204, "No Content", NULL, NULL);
}

static void list_parts(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", "max-parts", "part-number-marker", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	struct s3_part *parts = NULL;
	size_t np = 0;
	long long max = 1000, marker = 0;
	if (!only_params(r, allowed) || !(bk = need_bucket(r)))
		return;
	if ((qget(r, "max-parts") && str_to_i64(str_from(qget(r, "max-parts")), 0, 1000, &max)) ||
	    (qget(r, "part-number-marker") &&
	     str_to_i64(str_from(qget(r, "part-number-marker")), 0, S3_MAX_PARTS, &marker))) {
		reply_error(r, 400, "InvalidArgument", "Invalid max-parts or part-number-marker");
		return;
	}
	if (!need_upload(r, bk, &up))
		return;
	int rc = s3_upload_parts(bk, str_from(qget(r, "uploadId")), &parts, &np);
	if (rc) {
		internal_error(r, rc);
		s3_upload_release(&up);
		return;
	}
	struct buf b, items;
	buf_init(&b, BUF_NOCAP);
	buf_init(&items, BUF_NOCAP);
	long long count = 0, next = 0;
	bool truncated = false;
	for (size_t i = 0; i < np; i++) {
		char t[32];
		if (parts[i].number <= marker)
			continue;
		if (count == max) {
			truncated = true;
			break;
		}
		count++;
		next = parts[i].number;
		iso_time(t, parts[i].last_modified_ms);
		buf_addf(&items, "<Part><PartNumber>%d</PartNumber>", parts[i].number);
		xml_els(&items, "LastModified", t);
		buf_addf(&items, "<ETag>&quot;%s&quot;</ETag><Size>%" PRIu64 "</Size></Part>",
			 parts[i].etag, parts[i].size);
	}
	buf_adds(&b, XML_DECL "<ListPartsResult xmlns=\"" S3_XMLNS "\">");
	xml_els(&b, "Bucket", s3_bucket_name(bk));
	xml_el(&b, "Key", up.key, up.key_len);
	xml_els(&b, "UploadId", qget(r, "uploadId"));
	buf_addf(&b, "<PartNumberMarker>%lld</PartNumberMarker>", marker);
	buf_addf(&b, "<NextPartNumberMarker>%lld</NextPartNumberMarker>", next);
	buf_addf(&b, "<MaxParts>%lld</MaxParts><IsTruncated>%s</IsTruncated>", max,
		 truncated ? "true" : "false");
	buf_adds(&b, "<StorageClass>STANDARD</StorageClass>");
	buf_add(&b, items.ptr, items.len);
	buf_adds(&b, "</ListPartsResult>");
	reply_xml(r, 200, &b);
	buf_release(&b);
	buf_release(&items);
	free(parts);
	s3_upload_release(&up);
}

/* ---- routing ---- */

static void route_bucket(struct s3_req *r)
{
	switch (r->method) {
	case EVHTTP_REQ_PUT:
		create_bucket(r);
		return;
	case EVHTTP_REQ_HEAD:
		head_bucket(r);
		return;
	case EVHTTP_REQ_DELETE:
		delete_bucket(r);
		return;
	case EVHTTP_REQ_GET:
		if (qhas(r, "location") && r->n_query == 1)
			bucket_location(r);
		else if (qhas(r, "list-type") && !strcmp(qget(r, "list-type"), "2"))
			list_objects(r, true);
		else if (qhas(r, "list-type"))
			reply_error(r, 400, "InvalidArgument", "Invalid List Type specified");
		else
			list_objects(r, false);
		return;
	case EVHTTP_REQ_POST:
		if (qhas(r, "delete"))
			delete_objects(r);
		else
			not_implemented(r, "This bucket POST operation");
		return;
	default:
		break;
	}
	method_not_allowed(r);
}

static void route_object(struct s3_req *r)
{
	const char *src = header(r, "x-amz-copy-source");
	if (qhas(r, "versionId")) {
		not_implemented(r, "Object versioning (versionId)");
		return;
	}
	switch (r->method) {
	case EVHTTP_REQ_PUT:
		if (qhas(r, "partNumber") || qhas(r, "uploadId"))
			upload_part(r);
		else if (src)
			copy_object(r, src);
		else
			put_object(r);
		return;
	case EVHTTP_REQ_GET:
		if (qhas(r, "uploadId"))
			list_parts(r);
		else
			get_object(r, false);
		return;
	case EVHTTP_REQ_HEAD:
		get_object(r, true);
		return;
	case EVHTTP_REQ_DELETE:
		if (qhas(r, "uploadId"))
			abort_upload(r);
		else
			delete_object(r);
		return;
	case EVHTTP_REQ_POST:
		if (qhas(r, "uploads"))
			create_upload(r);
		else if (qhas(r, "uploadId"))
			complete_upload(r);
		else
			not_implemented(r, "This object POST operation");
		return;
	default:
		break;
	}
	method_not_allowed(r);
}

static void dispatch(struct s3_req *r)
{
	if (!r->bucket.len) {
		if (r->method == EVHTTP_REQ_GET)
			list_buckets(r);
		else
			method_not_allowed(r);
		return;
	}
	if (!s3_bucket_name_valid(r->bucket) && !(r->method == EVHTTP_REQ_PUT && !r->has_key)) {
		/* S3 answers unknown invalid names as missing buckets */
		no_such_bucket(r);
		return;
	}
	if (r->has_key)
		route_object(r);
	else
		route_bucket(r);
}

void s3_server_handle(struct s3_server *srv, struct evhttp_request *req)
{
	struct s3_req r = {.srv = srv, .req = req, .method = evhttp_request_get_command(req)};
	unsigned char rnd[8];
	buf_init(&r.key, S3_MAX_KEY_LEN * 3);
	buf_init(&r.resource, 16384);
	r.in = evhttp_request_get_input_headers(req);
	r.out = evbuffer_new();
	if (random_bytes(rnd, sizeof(rnd)))
		memset(rnd, 0, sizeof(rnd));
	hex_lower(r.request_id, rnd, sizeof(rnd));
	for (char *p = r.request_id; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (!r.out) {
		evhttp_send_error(req, 500, NULL);
		goto out;
	}
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	r.body_len = evbuffer_get_length(body);
	r.body = r.body_len ? (const char *)evbuffer_pullup(body, -1) : "";
	if (!r.body) {
		internal_error(&r, ERR_NOMEM);
		goto out;
	}
	const char *uri = evhttp_request_get_uri(req);
	struct str u = str_from(uri), path, query;
	bool has_q;
	query = str_split(u, '?', &path, &has_q);
	long hash = str_index(query, '#');
	if (hash >= 0)
		query.len = (size_t)hash;
	if (parse_query(&r, query) || parse_target(&r, path)) {
		reply_error(&r, 400, "InvalidURI", "Couldn't parse the specified URI.");
		goto out;
	}
	if (!authenticate(&r, path, query))
		goto out;
	dispatch(&r);
	if (!r.replied)
		internal_error(&r, ERR_INVAL);
out:
	for (size_t i = 0; i < r.n_query; i++) {
		free(r.query[i].name);
		free(r.query[i].value);
	}
	buf_release(&r.key);
	buf_release(&r.resource);
	if (r.out)
		evbuffer_free(r.out);
}

int s3_server_new(const char *root, const char *access_key_id, const char *secret,
		  struct s3_server **out)
{
	if (!root || !access_key_id || !secret || !out)
		return ERR_INVAL;
	*out = NULL;
	struct s3_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return ERR_NOMEM;
	srv->access_key_id = strdup(access_key_id);
	srv->secret = strdup(secret);
	int rc = srv->access_key_id && srv->secret ? s3_store_open(root, &srv->store) : ERR_NOMEM;
	if (rc) {
		s3_server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void s3_server_free(struct s3_server *srv)
{
	if (!srv)
		return;
	s3_store_close(srv->store);
	free(srv->access_key_id);
	free(srv->secret);
	free(srv);
}

void s3_server_set_fsync(struct s3_server *srv, bool on)
{
	if (srv)
		s3_store_set_fsync(srv->store, on);
}

int s3_server_create_bucket(struct s3_server *srv, const char *name)
{
	if (!srv || !name)
		return ERR_INVAL;
	int rc = s3_store_create_bucket(srv->store, str_from(name));
	return rc == ERR_EXISTS ? 0 : rc;
}
