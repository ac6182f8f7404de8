/*
 * Request payloads of the local S3 endpoint (s3_int.h): a plain body is
 * written as it is; an aws-chunked one (x-amz-content-sha256 STREAMING-*,
 * what awscli and boto3 send for uploads) is decoded chunk by chunk into the
 * writer, and with signed chunks each chunk's signature is checked against
 * the previous one, starting from the request's own signature (S3's
 * "Signature Calculations for the Authorization Header: Transferring Payload
 * in Multiple Chunks").
 *
 * The decoder works on the whole body in memory (evhttp has read it, capped
 * at S3_MAX_BODY) and returns slices of it: nothing is copied but the bytes
 * that go to disk. Every size in the framing is checked before use.
 *
 * After the last chunk come the trailers ("Signature calculations for
 * trailing headers"): the checksum that x-amz-trailer announced, and with
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER an x-amz-trailer-signature that
 * chains from the last chunk's signature over the canonical trailers. The
 * checksum is taken here and compared by the operation (s3_checksum.c), after
 * the whole body is written and before anything is committed.
 */
#include "core/common.h"

#include "core/enc.h"
#include "local/s3/s3_int.h"

#define STREAMING_SIGNED	   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define STREAMING_SIGNED_TRAILER   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#define STREAMING_UNSIGNED_TRAILER "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#define EMPTY_SHA256		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Hex digits of a chunk size: 16 hold any 64-bit size. */
#define MAX_SIZE_DIGITS 16

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

/*
 * Read a chunk header "<hex size>[;name=value]..." into its size and its
 * chunk-signature (empty when absent). ERR_PARSE or ERR_TOOLARGE.
 */
static int chunk_header(struct str line, uint64_t *size, struct str *sig)
{
	struct str ext;
	size_t i = 0;
	int d;

	*size = 0;
	*sig = STR_NULL;
	for (; i < line.len && (d = hex_digit(line.ptr[i])) >= 0; i++) {
		if (i >= MAX_SIZE_DIGITS)
			return ERR_PARSE;
		*size = *size * 16 + (uint64_t)d;
	}
	if (i == 0)
		return ERR_PARSE;
	if (*size > S3_MAX_CHUNK_SIZE)
		return ERR_TOOLARGE;
	ext = str_make(line.ptr + i, line.len - i);
	while (ext.len) { /* ;name=value extensions */
		struct str item, name, value;
		bool found;

		if (ext.ptr[0] != ';')
			return ERR_PARSE;
		ext = str_split(str_make(ext.ptr + 1, ext.len - 1), ';', &item, &found);
		if (found) /* put the ';' back for the next round */
			ext = str_make(ext.ptr - 1, ext.len + 1);
		value = str_split(item, '=', &name, NULL);
		if (str_eq_cstr(name, "chunk-signature"))
			*sig = value;
	}
	return 0;
}

/*
 * Trailer lines "name:value", then an empty line, then nothing. The body may
 * also end where the empty line would be: S3 accepts that (Swift s3api's
 * input-error tests, run against AWS), and so do we.
 */
static int trailer_lines(const char *in, size_t len, size_t pos, struct str *trailer)
{
	size_t start = pos;

	for (;;) {
		struct str line;
		size_t before = pos;

		if (pos == len) {
			*trailer = str_make(in + start, pos - start);
			return 0;
		}
		if (next_line(in, len, &pos, &line))
			return ERR_PARSE;
		if (line.len == 0) {
			*trailer = str_make(in + start, before - start);
			break;
		}
		if (str_index(line, ':') <= 0)
			return ERR_PARSE;
	}
	return pos == len ? 0 : ERR_PARSE;
}

int s3_trailer_read(struct str lines, struct str want, struct s3_trailer *out,
		    struct buf *canonical)
{
	memset(out, 0, sizeof(*out));
	while (lines.len) {
		struct str line, name, value;
		bool found;

		lines = str_split(lines, '\n', &line, &found);
		if (!found || !line.len || line.ptr[line.len - 1] != '\r')
			return ERR_PARSE;
		value = str_trim(str_split(str_make(line.ptr, line.len - 1), ':', &name, &found));
		name = str_trim(name);
		if (!found || !name.len)
			return ERR_PARSE;
		if (str_ieq_cstr(name, "x-amz-trailer-signature")) {
			out->signature = value;
			out->has_signature = true;
			continue;
		}
		if (canonical) { /* "name:value\n", the name in lower case */
			for (size_t i = 0; i < name.len; i++)
				buf_putc(canonical, (char)(name.ptr[i] >= 'A' && name.ptr[i] <= 'Z'
								   ? name.ptr[i] - 'A' + 'a'
								   : name.ptr[i]));
			buf_putc(canonical, ':');
			buf_put(canonical, value.ptr, value.len);
			buf_putc(canonical, '\n');
		}
		if (want.len && str_ieq(name, want)) {
			out->value = value; /* the last one counts, as on AWS */
			out->found = true;
		} else {
			out->other = true;
		}
	}
	if (canonical && !canonical->len)
		buf_putc(canonical, '\n'); /* no trailers: the hash of a newline, as SDKs sign it */
	return canonical ? buf_error(canonical) : 0;
}

int s3_chunked_decode(const char *in, size_t len, bool signed_chunks, uint64_t max_decoded,
		      s3_chunk_fn fn, void *ctx, struct str *trailer)
{
	size_t pos = 0;
	uint64_t total = 0;

	*trailer = STR_NULL;
	for (;;) {
		struct str line, sig;
		uint64_t size;
		int err;

		if (pos >= len || next_line(in, len, &pos, &line))
			return ERR_PARSE;
		if ((err = chunk_header(line, &size, &sig)))
			return err;
		if (signed_chunks && sig.len != 64)
			return ERR_PARSE;
		if (size > len - pos)
			return ERR_PARSE;
		if ((total += size) > max_decoded)
			return ERR_TOOLARGE;
		if ((err = fn(ctx, str_make(in + pos, (size_t)size), sig)))
			return err;
		pos += (size_t)size;
		if (size == 0)
			break;
		if (len - pos < 2 || in[pos] != '\r' || in[pos + 1] != '\n')
			return ERR_PARSE;
		pos += 2;
	}
	return trailer_lines(in, len, pos, trailer);
}

/* What a chunked upload writes into, and how its chunk signatures chain. */
struct chunk_sink {
	struct s3_writer *w;
	bool verify;
	unsigned char key[SHA256_LEN];
	char prev[2 * SHA256_LEN + 1]; /* the last chunk's signature once decoded */
	struct buf sts_prefix;	       /* "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n" */
	const char *date;
	bool bad_signature;
};

static int on_chunk(void *ctx, struct str data, struct str sig)
{
	struct chunk_sink *s = ctx;

	if (s->verify) {
		/* The chunk's string to sign: prefix, previous signature, empty hash, data hash. */
		char hash[2 * SHA256_LEN + 1], mine[2 * SHA256_LEN + 1];
		unsigned char mac[SHA256_LEN];
		struct buf sts;

		buf_init(&sts, S3_CHUNK_STS_CAP);
		sha256_hex(data.ptr, data.len, hash);
		buf_put(&sts, s->sts_prefix.ptr, s->sts_prefix.len);
		buf_putf(&sts, "%s\n" EMPTY_SHA256 "\n%s", s->prev, hash);
		if (buf_error(&sts)) {
			buf_release(&sts);
			return ERR_TOOLARGE;
		}
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

static void entity_too_large(struct s3_req *r)
{
	s3_reply_error(r, 400, "EntityTooLarge",
		       "Your proposed upload exceeds the maximum allowed size");
}

/* Set up `s` to verify signed chunks; false after answering when it cannot. */
static bool sink_verify(struct s3_req *r, struct chunk_sink *s)
{
	const char *date = s3_header(r, "x-amz-date");

	if (!r->header_signed || !date) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "Signed aws-chunked payloads need a header-signed request");
		return false;
	}
	s->verify = true;
	s->date = date;
	if (sigv4_signing_key(r->srv->secret, r->authz.date, r->authz.region, r->authz.service,
			      s->key)) {
		s3_internal_error(r, ERR_INVAL);
		return false;
	}
	snprintf(s->prev, sizeof(s->prev), "%.*s", STR_FMT(r->authz.signature));
	buf_putf(&s->sts_prefix, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%.*s\n", date,
		 STR_FMT(r->authz.scope));
	if (buf_error(&s->sts_prefix)) {
		/* The date was verified with the signature: only a date of another shape gets here.
		 */
		s3_reply_error(r, 400, "InvalidArgument", "x-amz-date is invalid");
		return false;
	}
	return true;
}

static void signature_mismatch(struct s3_req *r)
{
	s3_reply_error(r, 403, "SignatureDoesNotMatch",
		       "The request signature we calculated does not match the signature you "
		       "provided. Check your key and signing method.");
}

/* Answer the outcome of decoding a chunked body; true when it was all well. */
static bool chunked_outcome(struct s3_req *r, const struct chunk_sink *s, int err,
			    long long declared)
{
	if (s->bad_signature) {
		signature_mismatch(r);
		return false;
	}
	if (err == ERR_TOOLARGE) {
		entity_too_large(r);
		return false;
	}
	if (err == ERR_PARSE) {
		s3_reply_error(r, 400, "IncompleteBody",
			       "The request body terminated unexpectedly");
		return false;
	}
	if (err) {
		s3_internal_error(r, err);
		return false;
	}
	if (declared >= 0 && (uint64_t)declared != s->w->size) {
		s3_reply_error(r, 400, "IncompleteBody",
			       "You did not provide the number of bytes specified by the "
			       "x-amz-decoded-content-length header");
		return false;
	}
	return true;
}

/*
 * The trailer signature: HMAC of "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n
 * <last chunk's signature>\n<hex SHA-256 of the canonical trailers>".
 */
static bool trailer_signature_ok(const struct s3_req *r, const struct chunk_sink *s,
				 const struct buf *canonical, struct str sig)
{
	char hash[2 * SHA256_LEN + 1], mine[2 * SHA256_LEN + 1];
	unsigned char mac[SHA256_LEN];
	struct buf sts;

	if (sig.len != sizeof(mine) - 1)
		return false;
	sha256_hex(canonical->ptr, canonical->len, hash);
	buf_init(&sts, S3_CHUNK_STS_CAP);
	buf_putf(&sts, "AWS4-HMAC-SHA256-TRAILER\n%s\n%.*s\n%s\n%s", s->date,
		 STR_FMT(r->authz.scope), s->prev, hash);
	if (buf_error(&sts)) {
		buf_release(&sts);
		return false;
	}
	hmac_sha256(s->key, sizeof(s->key), sts.ptr, sts.len, mac);
	buf_release(&sts);
	hex_lower(mine, mac, sizeof(mac));
	return ct_equal(mine, sig.ptr, sizeof(mine) - 1);
}

/*
 * Take the trailers `lines` of a decoded body: nothing but the checksum
 * x-amz-trailer announced (and the trailer signature of a signed-trailer
 * payload, verified here) is accepted, as on AWS; its value goes to `d`.
 * False after answering.
 */
static bool take_trailers(struct s3_req *r, const struct chunk_sink *s, struct str lines,
			  bool signed_trailer, struct s3_digests *d)
{
	char want[S3_CHECKSUM_HEADER_MAX] = "";
	struct s3_trailer t;
	struct buf canonical;
	bool ok = false, malformed;
	int err;

	if (d->trailer)
		s3_checksum_header_name(d->alg, want);
	buf_init(&canonical, lines.len + 2); /* never longer than the lines, or "\n" */
	err = s3_trailer_read(lines, str_from(want), &t, signed_trailer ? &canonical : NULL);
	/* What the signature covers is judged first; then what the trailers say. */
	malformed = err == ERR_PARSE || (!s3_payload_trailers(r) && lines.len);
	if (!malformed && err)
		s3_internal_error(r, err);
	else if (!malformed && signed_trailer &&
		 !trailer_signature_ok(r, s, &canonical, t.signature))
		signature_mismatch(r);
	else if (malformed || t.other || (want[0] && !t.found) ||
		 (!signed_trailer && t.has_signature))
		s3_malformed_trailer(r);
	else if (want[0] && checksum_decode(d->alg, t.value, d->value))
		s3_invalid_checksum_value(r, d->alg, true);
	else {
		d->has_value = want[0] != '\0';
		ok = true;
	}
	buf_release(&canonical);
	return ok;
}

static bool receive_chunked(struct s3_req *r, struct s3_writer *w, bool signed_chunks,
			    struct s3_digests *d)
{
	const char *dlen = s3_header(r, "x-amz-decoded-content-length");
	const char *sha = s3_header(r, "x-amz-content-sha256");
	struct chunk_sink sink = {.w = w};
	long long declared = -1;
	struct str trailer;
	bool ok;
	int err;

	if (dlen && str_to_i64(str_from(dlen), 0, LLONG_MAX, &declared)) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "x-amz-decoded-content-length is invalid");
		return false;
	}
	if (declared > (long long)S3_MAX_OBJECT_SIZE) {
		entity_too_large(r);
		return false;
	}
	buf_init(&sink.sts_prefix, S3_CHUNK_STS_CAP);
	if (signed_chunks && !sink_verify(r, &sink)) {
		buf_release(&sink.sts_prefix);
		return false;
	}
	err = s3_chunked_decode(r->body, r->body_len, signed_chunks, S3_MAX_OBJECT_SIZE, on_chunk,
				&sink, &trailer);
	ok = chunked_outcome(r, &sink, err, declared) &&
	     take_trailers(r, &sink, trailer, !strcmp(sha, STREAMING_SIGNED_TRAILER), d);
	buf_release(&sink.sts_prefix);
	return ok;
}

bool s3_payload_trailers(const struct s3_req *r)
{
	const char *sha = s3_header(r, "x-amz-content-sha256");

	return sha &&
	       (!strcmp(sha, STREAMING_SIGNED_TRAILER) || !strcmp(sha, STREAMING_UNSIGNED_TRAILER));
}

bool s3_receive_body(struct s3_req *r, struct s3_writer *w, struct s3_digests *d)
{
	const char *sha = s3_header(r, "x-amz-content-sha256");
	bool signed_chunks =
		sha && (!strcmp(sha, STREAMING_SIGNED) || !strcmp(sha, STREAMING_SIGNED_TRAILER));
	bool unsigned_chunks = sha && !strcmp(sha, STREAMING_UNSIGNED_TRAILER);
	int err;

	if (sha && !strncmp(sha, "STREAMING-", 10) && !signed_chunks && !unsigned_chunks) {
		s3_not_implemented(r, sha);
		return false;
	}
	if (signed_chunks || unsigned_chunks)
		return receive_chunked(r, w, signed_chunks, d);
	if (r->body_len > S3_MAX_OBJECT_SIZE) {
		entity_too_large(r);
		return false;
	}
	if ((err = s3_writer_write(w, r->body, r->body_len)))
		s3_internal_error(r, err);
	return err == 0;
}
