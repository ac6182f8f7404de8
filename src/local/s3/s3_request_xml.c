/*
 * The XML request bodies of the local S3 endpoint (s3_int.h): DeleteObjects,
 * CompleteMultipartUpload and CreateBucketConfiguration, read with the one
 * hardened reader (core/xml.h), which refuses document types (and with them
 * entity expansion), nesting past our depth and text past our cap. The
 * parsers are pure, from bytes to a struct, so that unit tests and
 * fuzz/fuzz_s3_request_xml.c reach them without a socket.
 *
 * Elements are matched by their whole path from the root; the root must be
 * the one S3 expects, and elements we do not know (VersionId, the checksums
 * of algorithms we do not have) are skipped, as S3 skips what it does not use.
 */
#include "core/common.h"

#include "core/xml.h"
#include "local/s3/s3_int.h"

/*
 * S3's request bodies nest three levels (Delete/Object/Key); a key (1,024
 * bytes) or an ETag is far shorter than the text cap, which only bounds what
 * one element may hold before the document is refused.
 */
#define BODY_MAX_TEXT  (64u << 10)
#define BODY_MAX_DEPTH 8

static const struct xml_limits body_limits = {
	.max_doc = S3_MAX_REQUEST_XML,
	.max_text = BODY_MAX_TEXT,
	.max_depth = BODY_MAX_DEPTH,
};

/* A root other than `root` makes the document malformed. */
static int check_root(const struct xml_reader *x, const char *name, const char *root)
{
	return xml_depth(x) == 1 && strcmp(name, root) ? ERR_PARSE : 0;
}

/* ---- DeleteObjects ---- */

static int delete_open(void *ctx, const struct xml_reader *x, const char *name)
{
	return check_root(x, name, "Delete");
}

static int delete_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	struct s3_delete_req *d = ctx;
	int err;

	if (xml_at(x, "Delete/Quiet")) {
		d->quiet = str_eq_cstr(str_trim(t), "true");
	} else if (xml_at(x, "Delete/Object/Key")) {
		if (d->n == S3_MAX_DELETE_KEYS)
			return ERR_PARSE; /* S3 answers MalformedXML past 1,000 keys */
		buf_put(&d->keys, t.ptr, t.len);
		buf_putc(&d->keys, '\0');
		if ((err = buf_error(&d->keys)))
			return err;
		d->n++;
	}
	return 0;
}

int s3_parse_delete(const char *body, size_t len, struct s3_delete_req *out)
{
	static const struct xml_handler h = {delete_open, delete_close};
	int err;

	memset(out, 0, sizeof(*out));
	/* Text is never longer than the document it came from (entities only shrink). */
	buf_init(&out->keys, S3_MAX_REQUEST_XML);
	err = xml_read(body, len, &body_limits, &h, out);
	if (!err && out->n == 0)
		err = ERR_PARSE;
	return err;
}

void s3_delete_req_release(struct s3_delete_req *d)
{
	buf_release(&d->keys);
	d->n = 0;
}

/* ---- CompleteMultipartUpload ---- */

struct complete_state {
	struct s3_complete_req *c;
	int number; /* of the Part being read, 0 until its PartNumber */
	char etag[S3_ETAG_MAX];
	/* The Part's Checksum<ALG> texts, by algorithm ("" when absent), cut for the echo. */
	char sums[CHECKSUM_ALG_LAST + 1][S3_CHECKSUM_TEXT_MAX];
	bool has[CHECKSUM_ALG_LAST + 1];
	size_t n_sums;
	bool bad_sum; /* one of them is not the base64 of its algorithm's length */
	uint8_t sum[CHECKSUM_MAX_LEN];
	enum checksum_alg sum_alg;
};

static int complete_open(void *ctx, const struct xml_reader *x, const char *name)
{
	struct complete_state *s = ctx;
	int err;

	if ((err = check_root(x, name, "CompleteMultipartUpload")))
		return err;
	if (xml_at(x, "CompleteMultipartUpload/Part")) {
		s->number = 0;
		s->etag[0] = '\0';
		memset(s->has, 0, sizeof(s->has));
		s->n_sums = 0;
		s->bad_sum = false;
		s->sum_alg = CHECKSUM_NONE;
	}
	return 0;
}

/* A <Checksum<ALG>> of a Part: kept for the echo, decoded when it is the only one. */
static void part_checksum(struct complete_state *s, enum checksum_alg alg, struct str t)
{
	size_t n = MIN(str_trim(t).len, sizeof(s->sums[0]) - 1);

	memcpy(s->sums[alg], str_trim(t).ptr, n);
	s->sums[alg][n] = '\0';
	s->n_sums += !s->has[alg];
	s->has[alg] = true;
	s->sum_alg = alg;
	s->bad_sum |= checksum_decode(alg, str_trim(t), s->sum) != 0;
}

/* The Part's checksums at its end: one readable one is the part's; else S3's echo. */
static void part_checksums_end(struct complete_state *s, size_t i)
{
	struct s3_complete_req *c = s->c;
	struct buf b;

	c->sum_alg[i] = CHECKSUM_NONE;
	if (s->n_sums == 1 && !s->bad_sum) {
		c->sum_alg[i] = (uint8_t)s->sum_alg;
		memcpy(c->sums[i], s->sum, CHECKSUM_MAX_LEN);
		return;
	}
	if (!s->n_sums || c->bad_checksums[0])
		return;
	buf_init(&b, sizeof(c->bad_checksums) - 1);
	for (int a = CHECKSUM_CRC32; a <= CHECKSUM_ALG_LAST; a++)
		if (s->has[a])
			buf_putf(&b, "%s:%s;", checksum_name((enum checksum_alg)a), s->sums[a]);
	/* The buffer is sized for five of them: it cannot fail but for memory. */
	snprintf(c->bad_checksums, sizeof(c->bad_checksums), "%s",
		 buf_error(&b) ? "Checksum;" : b.ptr);
	buf_release(&b);
}

/* The ETag without quotes; one too long to be an ETag is kept as "": it matches no part. */
static void part_etag(char out[S3_ETAG_MAX], struct str t)
{
	struct str e = str_trim(t);

	if (e.len >= 2 && e.ptr[0] == '"' && e.ptr[e.len - 1] == '"')
		e = str_make(e.ptr + 1, e.len - 2);
	if (e.len >= S3_ETAG_MAX)
		e.len = 0;
	memcpy(out, e.ptr, e.len);
	out[e.len] = '\0';
}

static int complete_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	struct complete_state *s = ctx;
	struct s3_complete_req *c = s->c;
	long long v;

	if (xml_at(x, "CompleteMultipartUpload/Part/PartNumber")) {
		if (str_to_i64(str_trim(t), 1, S3_MAX_PARTS, &v))
			return ERR_PARSE;
		s->number = (int)v;
	} else if (xml_at(x, "CompleteMultipartUpload/Part/ETag")) {
		part_etag(s->etag, t);
	} else if (xml_depth(x) == 3 && xml_under(x, "CompleteMultipartUpload/Part") &&
		   !strncmp(name, "Checksum", 8) && checksum_from_name(str_from(name + 8))) {
		part_checksum(s, checksum_from_name(str_from(name + 8)), t);
	} else if (xml_at(x, "CompleteMultipartUpload/Part")) {
		if (c->n == S3_MAX_PARTS || !s->number)
			return ERR_PARSE;
		c->numbers[c->n] = s->number;
		memcpy(c->etags[c->n], s->etag, sizeof(s->etag));
		part_checksums_end(s, c->n);
		c->n++;
	}
	return 0;
}

int s3_parse_complete(const char *body, size_t len, struct s3_complete_req *out)
{
	static const struct xml_handler h = {complete_open, complete_close};
	struct complete_state s = {.c = out};
	int err;

	out->n = 0;
	out->bad_checksums[0] = '\0';
	err = xml_read(body, len, &body_limits, &h, &s);
	if (!err && out->n == 0)
		err = ERR_PARSE;
	return err;
}

/* ---- CreateBucketConfiguration ---- */

static int create_open(void *ctx, const struct xml_reader *x, const char *name)
{
	return check_root(x, name, "CreateBucketConfiguration");
}

/* "eu-west-1", or "EU" (S3 still accepts the old name); empty means us-east-1. */
static bool region_shaped(struct str t)
{
	if (t.len > S3_REGION_MAX)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		char c = t.ptr[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

static int create_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	struct s3_create_bucket_req *c = ctx;

	if (!xml_at(x, "CreateBucketConfiguration/LocationConstraint"))
		return 0;
	t = str_trim(t);
	c->bad_location = !region_shaped(t);
	if (!c->bad_location) {
		memcpy(c->location, t.ptr, t.len);
		c->location[t.len] = '\0';
	}
	return 0;
}

int s3_parse_create_bucket(const char *body, size_t len, struct s3_create_bucket_req *out)
{
	static const struct xml_handler h = {create_open, create_close};

	memset(out, 0, sizeof(*out));
	return xml_read(body, len, &body_limits, &h, out);
}
