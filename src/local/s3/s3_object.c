/*
 * Objects of the local S3 endpoint (s3_int.h): PutObject, GetObject and
 * HeadObject (ranges, conditionals, response-* overrides), DeleteObject,
 * DeleteObjects and CopyObject, over s3_store.
 *
 * Writes go through an s3_writer, so that a request that fails half way
 * (a bad chunk signature, a full disk) leaves the old object in place.
 * Reads of small objects copy the bytes into the answer; larger ones are
 * handed to evbuffer_add_file() so that a 5 GiB object is never in memory.
 */
#include "core/common.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/enc.h"
#include "core/timeutil.h"
#include "core/xml.h"
#include "local/s3/s3_int.h"

/*
 * Objects up to this size are read into the answer; larger ones are sent
 * with evbuffer_add_file() (mmap or sendfile). For a small object the read is
 * cheaper than the mmap, the page fault and the munmap.
 */
#define S3_SMALL_READ_MAX (64u << 10)
/* Bytes a CopyObject reads at a time. */
#define COPY_CHUNK (64u << 10)

bool s3_etag_matches(const char *v, const char *etag)
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

/* ---- PutObject ---- */

/* If-None-Match: * and If-Match on a write (S3's conditional writes). */
static bool put_conditions(struct s3_req *r, const struct s3_object *cur)
{
	const char *inm = s3_header(r, "If-None-Match"), *im = s3_header(r, "If-Match");

	if (inm && strcmp(inm, "*")) {
		s3_not_implemented(r, "If-None-Match other than '*' on PutObject");
		return false;
	}
	if (inm && cur) {
		s3_precondition_failed(r, "If-None-Match");
		return false;
	}
	if (im && !cur) {
		s3_no_such_key(r);
		return false;
	}
	if (im && !s3_etag_matches(im, cur->etag)) {
		s3_precondition_failed(r, "If-Match");
		return false;
	}
	return true;
}

/*
 * Receive the payload into `w` (computing the checksum `d` declares, or S3's
 * default) and verify every digest the request declared. This is the last
 * step before a commit: a payload that fails it is never stored. False after
 * answering.
 */
bool s3_receive_verified(struct s3_req *r, struct s3_writer *w, struct s3_digests *d)
{
	int err = d->alg ? s3_writer_use(w, d->alg) : 0;

	if (err) {
		s3_internal_error(r, err);
		return false;
	}
	if (!s3_receive_body(r, w, d))
		return false;
	if ((err = s3_writer_end(w))) {
		s3_internal_error(r, err);
		return false;
	}
	return s3_digests_verify(r, d, w);
}

void s3_op_put_object(struct s3_req *r)
{
	struct s3_bucket *bk;
	struct s3_writer w;
	struct s3_digests d;
	const struct s3_object *o;
	json_t *meta;
	int err;

	if (!s3_only_params(r, NULL) || !(bk = s3_need_bucket(r)) || !s3_key_ok(r) ||
	    !s3_digests_read(r, true, &d))
		return;
	if (!put_conditions(r, s3_bucket_find(bk, str_make(r->key.ptr, r->key.len))))
		return;
	if ((err = s3_writer_begin(bk, &w))) {
		s3_internal_error(r, err);
		return;
	}
	if (!s3_receive_verified(r, &w, &d)) {
		s3_writer_abort(&w);
		return;
	}
	meta = s3_user_meta(r);
	err = meta ? s3_writer_commit(&w, str_make(r->key.ptr, r->key.len),
				      s3_header(r, "Content-Type"), meta, NULL, &o)
		   : ERR_NOMEM;
	json_decref(meta);
	s3_writer_abort(&w);
	if (err) {
		s3_internal_error(r, err);
		return;
	}
	s3_notify_created(r, bk, o, "ObjectCreated:Put");
	s3_set_etag(r, o->etag);
	s3_checksum_headers(r, &o->checksum);
	s3_reply_empty(r, 200, "OK");
}

/* ---- GetObject and HeadObject ---- */

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
	const char *im = s3_header(r, "If-Match"), *inm = s3_header(r, "If-None-Match");
	const char *ius = s3_header(r, "If-Unmodified-Since");
	const char *ims = s3_header(r, "If-Modified-Since");
	time_t t, lm = (time_t)(o->last_modified_ms / 1000);
	bool not_modified = false;
	char d[32];

	if (im && !s3_etag_matches(im, o->etag)) {
		s3_precondition_failed(r, "If-Match");
		return false;
	}
	if (!im && ius && !time_parse_http(ius, strlen(ius), &t) && lm > t) {
		s3_precondition_failed(r, "If-Unmodified-Since");
		return false;
	}
	if (inm)
		not_modified = s3_etag_matches(inm, o->etag);
	else if (ims && !time_parse_http(ims, strlen(ims), &t))
		not_modified = lm <= t;
	if (!not_modified)
		return true;
	s3_set_etag(r, o->etag);
	time_http(d, lm);
	s3_add_header(r, "Last-Modified", d);
	s3_reply(r, 304, "Not Modified", NULL, NULL);
	return false;
}

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

static void range_not_satisfiable(struct s3_req *r, const char *range, uint64_t size)
{
	struct buf b;
	char cr[64];

	snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
	s3_add_header(r, "Content-Range", cr);
	s3_error_begin(r, &b, "InvalidRange", "The requested range is not satisfiable");
	xml_els(&b, "RangeRequested", range);
	xml_elf(&b, "ActualObjectSize", "%" PRIu64, size);
	s3_error_send(r, 416, &b);
}

/* The headers of a GetObject or HeadObject answer but Content-Length. */
static void object_headers(struct s3_req *r, const struct s3_object *o)
{
	static const char *const overrides[][2] = {
		{"response-content-language", "Content-Language"},
		{"response-expires", "Expires"},
		{"response-cache-control", "Cache-Control"},
		{"response-content-disposition", "Content-Disposition"},
		{"response-content-encoding", "Content-Encoding"}};
	const char *ct = s3_qget(r, "response-content-type"), *mk;
	json_t *mv;
	char d[32];

	time_http(d, (time_t)(o->last_modified_ms / 1000));
	s3_set_etag(r, o->etag);
	s3_add_header(r, "Last-Modified", d);
	s3_add_header(r, "Accept-Ranges", "bytes");
	s3_add_header(r, "Content-Type", ct ? ct : o->content_type);
	for (size_t i = 0; i < ARRAY_SIZE(overrides); i++)
		if (s3_qget(r, overrides[i][0]))
			s3_add_header(r, overrides[i][1], s3_qget(r, overrides[i][0]));
	json_object_foreach(o->meta, mk, mv)
	{
		char name[300]; /* "x-amz-meta-" and a header name; a longer one is cut */

		snprintf(name, sizeof(name), "x-amz-meta-%s", mk);
		s3_add_header(r, name, json_string_value(mv));
	}
}

/* Put bytes start..start+len of the object in the answer. 0, ERR_IO or ERR_NOMEM. */
static int add_object_bytes(struct s3_req *r, const struct s3_bucket *bk, const struct s3_object *o,
			    uint64_t start, uint64_t len)
{
	int fd = -1, err = s3_object_open(bk, o, &fd);

	if (err)
		return err;
	if (len == 0) {
		close(fd);
	} else if (len <= S3_SMALL_READ_MAX) {
		err = add_file_small(r->out, fd, start, (size_t)len);
		close(fd);
	} else if (evbuffer_add_file(r->out, fd, (ev_off_t)start, (ev_off_t)len)) {
		close(fd); /* evbuffer_add_file() owns the descriptor only on success */
		err = ERR_IO;
	}
	return err;
}

void s3_op_get_object(struct s3_req *r, bool head)
{
	static const char *const allowed[] = {"response-content-type",
					      "response-content-language",
					      "response-expires",
					      "response-cache-control",
					      "response-content-disposition",
					      "response-content-encoding",
					      NULL};
	const char *rh = s3_header(r, "Range");
	const struct s3_object *o;
	struct s3_bucket *bk;
	uint64_t start = 0, end, len;
	bool unsat = false, ranged = false;
	char num[96];
	int err, mode;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) ||
	    (mode = s3_checksum_mode(r)) < 0)
		return;
	if (!(o = s3_bucket_find(bk, str_make(r->key.ptr, r->key.len)))) {
		s3_no_such_key(r);
		return;
	}
	if (!get_conditions(r, o))
		return;
	end = o->size ? o->size - 1 : 0;
	if (rh)
		ranged = parse_range(rh, o->size, &start, &end, &unsat);
	if (unsat) {
		range_not_satisfiable(r, rh, o->size);
		return;
	}
	len = o->size ? end - start + 1 : 0;
	object_headers(r, o);
	/* The whole object's checksum: for a range, only when that is all of it, as S3. */
	if (mode > 0 && len == o->size)
		s3_checksum_headers(r, &o->checksum);
	if (ranged) {
		snprintf(num, sizeof(num), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, end,
			 o->size);
		s3_add_header(r, "Content-Range", num);
	}
	if (head) {
		snprintf(num, sizeof(num), "%" PRIu64, len);
		s3_add_header(r, "Content-Length", num);
	} else if ((err = add_object_bytes(r, bk, o, start, len))) {
		s3_internal_error(r, err);
		return;
	} else if (len == 0) {
		s3_add_header(r, "Content-Length", "0");
	}
	/* The bytes are in r->out already: send it as it is. */
	s3_reply(r, ranged ? 206 : 200, ranged ? "Partial Content" : "OK", NULL, NULL);
}

/* ---- DeleteObject and DeleteObjects ---- */

void s3_op_delete_object(struct s3_req *r)
{
	struct s3_bucket *bk;
	int err;

	if (!s3_only_params(r, NULL) || !(bk = s3_need_bucket(r)))
		return;
	err = s3_bucket_delete_object(bk, str_make(r->key.ptr, r->key.len));
	if (err && err != ERR_NOTFOUND) {
		s3_internal_error(r, err);
		return;
	}
	s3_reply(r, 204, "No Content", NULL, NULL); /* S3 answers 204 for a missing key too */
}

/* Delete each key of `d`, writing S3's <DeleteResult> to `b`. */
static void delete_each(struct s3_bucket *bk, const struct s3_delete_req *d, struct buf *b)
{
	const char *k = d->keys.ptr;

	buf_puts(b, XML_DECL "<DeleteResult xmlns=\"" S3_XMLNS "\">");
	for (size_t i = 0; i < d->n; i++, k += strlen(k) + 1) {
		int err = s3_bucket_delete_object(bk, str_from(k));

		if (err && err != ERR_NOTFOUND) {
			xml_open(b, "Error");
			xml_els(b, "Key", k);
			xml_els(b, "Code", "InternalError");
			xml_els(b, "Message",
				"We encountered an internal error. Please try again.");
			xml_close(b, "Error");
		} else if (!d->quiet) { /* Quiet: only the keys that failed */
			xml_open(b, "Deleted");
			xml_els(b, "Key", k);
			xml_close(b, "Deleted");
		}
	}
	xml_close(b, "DeleteResult");
}

void s3_op_delete_objects(struct s3_req *r)
{
	static const char *const allowed[] = {"delete", NULL};
	struct s3_delete_req d;
	struct s3_digests dg;
	struct s3_bucket *bk;
	struct buf b;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) ||
	    !s3_digests_read(r, true, &dg) || !s3_digests_verify_body(r, &dg))
		return;
	err = s3_parse_delete(r->body, r->body_len, &d);
	if (err == ERR_NOMEM) {
		s3_internal_error(r, err);
	} else if (err) {
		s3_malformed_xml(r);
	} else {
		buf_init(&b, S3_LIST_ANSWER_CAP);
		delete_each(bk, &d, &b);
		s3_reply_xml(r, 200, &b);
		buf_release(&b);
	}
	s3_delete_req_release(&d);
}

/* ---- CopyObject ---- */

/*
 * The source object of x-amz-copy-source ("/bucket/key" or "bucket/key",
 * URL-encoded), or NULL after answering. `dec` holds the decoded text.
 */
static const struct s3_object *copy_source(struct s3_req *r, const char *src, struct buf *dec,
					   struct s3_bucket **sb)
{
	struct str s = str_from(src), sbucket, skey;
	const struct s3_object *so;

	if (str_index(s, '?') >= 0) {
		s3_not_implemented(r, "Copying a version (versionId in x-amz-copy-source)");
		return NULL;
	}
	if (uri_decode(dec, s.ptr, s.len, false)) {
		s3_reply_error(r, 400, "InvalidArgument", "Invalid copy source encoding");
		return NULL;
	}
	s = str_make(dec->ptr, dec->len);
	if (s.len && s.ptr[0] == '/')
		s = str_make(s.ptr + 1, s.len - 1);
	skey = str_split(s, '/', &sbucket, NULL);
	if (!sbucket.len || !skey.len) {
		s3_reply_error(r, 400, "InvalidArgument", "Invalid copy source object key");
		return NULL;
	}
	if (!(*sb = s3_store_bucket(r->srv->store, sbucket))) {
		s3_reply_error(r, 404, "NoSuchBucket", "The specified bucket does not exist");
		return NULL;
	}
	if (!(so = s3_bucket_find(*sb, skey)))
		s3_reply_error(r, 404, "NoSuchKey", "The specified key does not exist.");
	return so;
}

/* x-amz-metadata-directive and the copy-source conditions; false after answering. */
static bool copy_allowed(struct s3_req *r, const struct s3_object *so, bool same, bool *replace)
{
	const char *directive = s3_header(r, "x-amz-metadata-directive");
	const char *cm = s3_header(r, "x-amz-copy-source-if-match");
	const char *cnm = s3_header(r, "x-amz-copy-source-if-none-match");

	*replace = directive && !strcmp(directive, "REPLACE");
	if (directive && !*replace && strcmp(directive, "COPY")) {
		s3_reply_error(r, 400, "InvalidArgument", "Unknown metadata directive.");
		return false;
	}
	if (same && !*replace) {
		s3_reply_error(r, 400, "InvalidRequest",
			       "This copy request is illegal because it is trying to copy an "
			       "object to itself without changing the object's metadata, storage "
			       "class, website redirect location or encryption attributes.");
		return false;
	}
	if ((cm && !s3_etag_matches(cm, so->etag)) || (cnm && s3_etag_matches(cnm, so->etag))) {
		s3_precondition_failed(r, cm ? "x-amz-copy-source-If-Match"
					     : "x-amz-copy-source-If-None-Match");
		return false;
	}
	return true;
}

/* Copy the bytes of `so` into `w`. 0, ERR_IO or ERR_NOMEM. */
static int copy_bytes(const struct s3_bucket *sb, const struct s3_object *so, struct s3_writer *w)
{
	char *tmp = malloc(COPY_CHUNK);
	int fd = -1, err = tmp ? s3_object_open(sb, so, &fd) : ERR_NOMEM;

	while (!err) {
		ssize_t n = read(fd, tmp, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = ERR_IO;
		if (n <= 0)
			break;
		err = s3_writer_write(w, tmp, (size_t)n);
	}
	if (fd >= 0)
		close(fd);
	free(tmp);
	return err;
}

/*
 * Write the copy of `so` as the request's key, with a checksum of `alg`
 * (x-amz-checksum-algorithm), or, without one, the source's checksum: the
 * bytes are the same, and S3 copies the value (a multipart object's composite
 * one included), as it keeps a multipart ETag. 0 and *out, or an error.
 */
static int copy_commit(struct s3_req *r, struct s3_bucket *bk, const struct s3_bucket *sb,
		       const struct s3_object *so, bool replace, enum checksum_alg alg,
		       const struct s3_object **out)
{
	const char *ct = replace && s3_header(r, "Content-Type") ? s3_header(r, "Content-Type")
								 : so->content_type;
	json_t *meta = replace ? s3_user_meta(r) : json_deep_copy(so->meta);
	char etag[S3_ETAG_MAX], *ctype = strdup(ct);
	struct s3_checksum sum = so->checksum;
	struct s3_writer w;
	int err = meta && ctype ? s3_writer_begin(bk, &w) : ERR_NOMEM;

	/* Copy what is kept of `so` first: the commit may replace it. */
	snprintf(etag, sizeof(etag), "%s", so->etag);
	if (!alg && !sum.alg)
		alg = CHECKSUM_CRC64NVME; /* a source stored without one gets S3's default */
	if (!err) {
		err = s3_writer_use(&w, alg);
		if (!err)
			err = copy_bytes(sb, so, &w);
		if (!err)
			err = s3_writer_end(&w);
		if (!err && !alg)
			w.checksum = sum;
		if (!err)
			err = s3_writer_commit(&w, str_make(r->key.ptr, r->key.len), ctype, meta,
					       strchr(etag, '-') ? etag : NULL, out);
		s3_writer_abort(&w);
	}
	json_decref(meta);
	free(ctype);
	return err;
}

void s3_op_copy_object(struct s3_req *r, const char *src)
{
	const struct s3_object *so, *o;
	struct s3_bucket *bk, *sb = NULL;
	enum checksum_alg alg;
	struct buf dec, b;
	bool replace;
	char t[32];
	int err;

	if (!s3_only_params(r, NULL) || !(bk = s3_need_bucket(r)) || !s3_key_ok(r) ||
	    !s3_checksum_algorithm(r, &alg))
		return;
	buf_init(&dec, S3_COPY_SOURCE_CAP);
	if (!(so = copy_source(r, src, &dec, &sb)))
		goto out;
	if (!copy_allowed(r, so,
			  sb == bk && str_eq(str_make(so->key, so->key_len),
					     str_make(r->key.ptr, r->key.len)),
			  &replace))
		goto out;
	if ((err = copy_commit(r, bk, sb, so, replace, alg, &o))) {
		s3_internal_error(r, err);
		goto out;
	}
	s3_notify_created(r, bk, o, "ObjectCreated:Copy");
	s3_iso_time(t, o->last_modified_ms);
	buf_init(&b, S3_ANSWER_CAP);
	buf_puts(&b, XML_DECL "<CopyObjectResult>");
	xml_els(&b, "LastModified", t);
	xml_elf(&b, "ETag", "\"%s\"", o->etag);
	s3_checksum_xml(&b, &o->checksum);
	xml_close(&b, "CopyObjectResult");
	s3_reply_xml(r, 200, &b);
	buf_release(&b);
out:
	buf_release(&dec);
}
