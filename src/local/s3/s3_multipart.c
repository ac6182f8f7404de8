/*
 * Multipart uploads of the local S3 endpoint (s3_int.h):
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload and ListParts, over s3_store's uploads.
 *
 * Completing checks the listed parts the way S3 does (ascending numbers,
 * each uploaded with the ETag given, all but the last at least 5 MiB) and
 * gives the object S3's multipart ETag: the MD5 of the parts' binary MD5s,
 * then "-<number of parts>". Clients such as awscli compare it, so it must
 * be exactly S3's.
 */
#include "core/common.h"

#include <openssl/evp.h>

#include "core/enc.h"
#include "core/xml.h"
#include "local/s3/s3_int.h"

/* The most max-parts may be: S3 lists at most 1,000 parts a page. */
#define MAX_LIST_PARTS 1000

static void no_such_upload(struct s3_req *r, const char *id)
{
	struct buf b;

	s3_error_begin(r, &b, "NoSuchUpload",
		       "The specified upload does not exist. The upload ID may be invalid, or the "
		       "upload may have been aborted or completed.");
	xml_els(&b, "UploadId", id);
	s3_error_send(r, 404, &b);
}

/* The upload named by ?uploadId= when it exists for this key; answers otherwise. */
static bool need_upload(struct s3_req *r, struct s3_bucket *bk, struct s3_upload *up)
{
	const char *id = s3_qget(r, "uploadId");
	int err = s3_upload_get(bk, str_from(id), up);

	if (!err && !str_eq(str_make(up->key, up->key_len), str_make(r->key.ptr, r->key.len))) {
		s3_upload_release(up);
		err = ERR_NOTFOUND;
	}
	if (err == ERR_NOTFOUND)
		no_such_upload(r, id);
	else if (err)
		s3_internal_error(r, err);
	return err == 0;
}

void s3_op_create_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploads", NULL};
	char id[S3_UPLOAD_ID_LEN + 1];
	struct s3_bucket *bk;
	json_t *meta;
	struct buf b;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) || !s3_key_ok(r))
		return;
	meta = s3_user_meta(r);
	err = meta ? s3_upload_create(bk, str_make(r->key.ptr, r->key.len),
				      s3_header(r, "Content-Type"), meta, CHECKSUM_NONE, false, id)
		   : ERR_NOMEM;
	json_decref(meta);
	if (err) {
		s3_internal_error(r, err);
		return;
	}
	buf_init(&b, S3_ANSWER_CAP);
	buf_puts(&b, XML_DECL "<InitiateMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
	xml_els(&b, "Bucket", s3_bucket_name(bk));
	xml_el(&b, "Key", r->key.ptr, r->key.len);
	xml_els(&b, "UploadId", id);
	xml_close(&b, "InitiateMultipartUploadResult");
	s3_reply_xml(r, 200, &b);
	buf_release(&b);
}

void s3_op_upload_part(struct s3_req *r)
{
	static const char *const allowed[] = {"partNumber", "uploadId", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	struct s3_writer w;
	long long num;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)))
		return;
	if (str_to_i64(str_from(s3_qget(r, "partNumber")), 1, S3_MAX_PARTS, &num)) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "Part number must be an integer between 1 and 10000, inclusive");
		return;
	}
	if (s3_header(r, "x-amz-copy-source")) {
		s3_not_implemented(r, "UploadPartCopy");
		return;
	}
	if (!need_upload(r, bk, &up))
		return;
	s3_upload_release(&up);
	if ((err = s3_writer_begin(bk, &w))) {
		s3_internal_error(r, err);
		return;
	}
	if (!s3_receive_body(r, &w)) {
		s3_writer_abort(&w);
		return;
	}
	err = s3_writer_commit_part(&w, str_from(s3_qget(r, "uploadId")), (int)num);
	s3_writer_abort(&w);
	if (err == ERR_NOTFOUND)
		no_such_upload(r, s3_qget(r, "uploadId"));
	else if (err)
		s3_internal_error(r, err);
	else {
		s3_set_etag(r, w.md5_hex);
		s3_reply_empty(r, 200, "OK");
	}
}

/* The uploaded part numbered `number`, or NULL. */
static const struct s3_part *find_part(const struct s3_part *parts, size_t np, int number)
{
	for (size_t j = 0; j < np; j++)
		if (parts[j].number == number)
			return &parts[j];
	return NULL;
}

int s3_multipart_etag(const struct s3_complete_req *c, const struct s3_part *parts, size_t np,
		      char etag[S3_ETAG_MAX], const char **code)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE], raw[MD5_LEN];
	unsigned int dl = 0;
	char hex[2 * MD5_LEN + 1];
	int err = m && EVP_DigestInit_ex(m, EVP_md5(), NULL) ? 0 : ERR_NOMEM;

	*code = NULL;
	for (size_t i = 0; !err && i < c->n; i++) {
		const struct s3_part *p = find_part(parts, np, c->numbers[i]);

		if (i && c->numbers[i] <= c->numbers[i - 1])
			*code = "InvalidPartOrder";
		else if (!p || strcmp(p->etag, c->etags[i]) ||
			 hex_decode(raw, sizeof(raw), p->etag, strlen(p->etag)))
			*code = "InvalidPart"; /* a part's ETag is the MD5 hex of its bytes */
		else if (i + 1 < c->n && p->size < S3_MIN_PART_SIZE)
			*code = "EntityTooSmall";
		else if (!EVP_DigestUpdate(m, raw, sizeof(raw)))
			err = ERR_NOMEM;
		if (*code)
			err = ERR_INVAL;
	}
	if (!err && (!EVP_DigestFinal_ex(m, d, &dl) || dl != MD5_LEN))
		err = ERR_NOMEM;
	if (!err) {
		hex_lower(hex, d, MD5_LEN);
		snprintf(etag, S3_ETAG_MAX, "%s-%zu", hex, c->n);
	}
	EVP_MD_CTX_free(m);
	return err;
}

/* Answer the refusal `code` of s3_multipart_etag(). */
static void parts_refused(struct s3_req *r, const char *code)
{
	if (!strcmp(code, "InvalidPartOrder"))
		s3_reply_error(r, 400, code,
			       "The list of parts was not in ascending order. The parts list must "
			       "be specified in order by part number.");
	else if (!strcmp(code, "EntityTooSmall"))
		s3_reply_error(r, 400, code,
			       "Your proposed upload is smaller than the minimum allowed size");
	else
		s3_reply_error(r, 400, "InvalidPart",
			       "One or more of the specified parts could not be found.  The part "
			       "may not have been uploaded, or the specified entity tag may not "
			       "match the part's entity tag.");
}

static void complete_answer(struct s3_req *r, const struct s3_bucket *bk, const struct s3_object *o)
{
	const char *host = s3_header(r, "Host");
	struct buf b;

	buf_init(&b, S3_ANSWER_CAP);
	buf_puts(&b, XML_DECL "<CompleteMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
	xml_open(&b, "Location");
	buf_puts(&b, "http://");
	xml_text(&b, host ? host : "localhost", strlen(host ? host : "localhost"));
	xml_text(&b, r->resource.ptr, r->resource.len);
	xml_close(&b, "Location");
	xml_els(&b, "Bucket", s3_bucket_name(bk));
	xml_el(&b, "Key", o->key, o->key_len);
	xml_elf(&b, "ETag", "\"%s\"", o->etag);
	xml_close(&b, "CompleteMultipartUploadResult");
	s3_reply_xml(r, 200, &b);
	buf_release(&b);
}

void s3_op_complete_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", NULL};
	struct s3_complete_req *c = NULL;
	struct str id = str_from(s3_qget(r, "uploadId"));
	const struct s3_object *o;
	struct s3_part *parts = NULL;
	struct s3_bucket *bk;
	struct s3_upload up;
	char etag[S3_ETAG_MAX];
	const char *code;
	size_t np = 0;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) || !need_upload(r, bk, &up))
		return;
	if (!(c = malloc(sizeof(*c)))) {
		s3_internal_error(r, ERR_NOMEM);
		goto out;
	}
	if ((err = s3_parse_complete(r->body, r->body_len, c))) {
		if (err == ERR_NOMEM)
			s3_internal_error(r, err);
		else
			s3_malformed_xml(r);
		goto out;
	}
	if ((err = s3_upload_parts(bk, id, CHECKSUM_NONE, &parts, &np)))
		goto fail;
	err = s3_multipart_etag(c, parts, np, etag, &code);
	if (code) {
		parts_refused(r, code);
		goto out;
	}
	if (err || (err = s3_upload_complete(bk, id, c->numbers, c->n, etag, NULL, &o)))
		goto fail;
	complete_answer(r, bk, o);
	goto out;
fail:
	s3_internal_error(r, err);
out:
	free(c);
	free(parts);
	s3_upload_release(&up);
}

void s3_op_abort_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) || !need_upload(r, bk, &up))
		return;
	s3_upload_release(&up);
	err = s3_upload_abort(bk, str_from(s3_qget(r, "uploadId")));
	if (err && err != ERR_NOTFOUND)
		s3_internal_error(r, err);
	else
		s3_reply(r, 204, "No Content", NULL, NULL);
}

/* The <ListPartsResult> of the parts after `marker`, at most `max` of them. */
static void write_parts(struct buf *b, const struct s3_req *r, const struct s3_upload *up,
			const struct s3_part *parts, size_t np, long long marker, long long max)
{
	long long count = 0, next = 0;
	bool truncated = false;
	size_t first = 0;

	while (first < np && parts[first].number <= marker)
		first++;
	for (size_t i = first; i < np; i++) {
		if (count == max) {
			truncated = true;
			break;
		}
		count++;
		next = parts[i].number;
	}
	buf_puts(b, XML_DECL "<ListPartsResult xmlns=\"" S3_XMLNS "\">");
	xml_el(b, "Bucket", r->bucket.ptr, r->bucket.len);
	xml_el(b, "Key", up->key, up->key_len);
	xml_els(b, "UploadId", s3_qget(r, "uploadId"));
	xml_elf(b, "PartNumberMarker", "%lld", marker);
	xml_elf(b, "NextPartNumberMarker", "%lld", next);
	xml_elf(b, "MaxParts", "%lld", max);
	xml_els(b, "IsTruncated", truncated ? "true" : "false");
	xml_els(b, "StorageClass", "STANDARD");
	for (size_t i = first; i < first + (size_t)count; i++) {
		char t[32];

		s3_iso_time(t, parts[i].last_modified_ms);
		xml_open(b, "Part");
		xml_elf(b, "PartNumber", "%d", parts[i].number);
		xml_els(b, "LastModified", t);
		xml_elf(b, "ETag", "\"%s\"", parts[i].etag);
		xml_elf(b, "Size", "%" PRIu64, parts[i].size);
		xml_close(b, "Part");
	}
	xml_close(b, "ListPartsResult");
}

void s3_op_list_parts(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", "max-parts", "part-number-marker", NULL};
	const char *mp = s3_qget(r, "max-parts"), *pm = s3_qget(r, "part-number-marker");
	long long max = MAX_LIST_PARTS, marker = 0;
	struct s3_part *parts = NULL;
	struct s3_bucket *bk;
	struct s3_upload up;
	size_t np = 0;
	struct buf b;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)))
		return;
	if ((mp && str_to_i64(str_from(mp), 0, MAX_LIST_PARTS, &max)) ||
	    (pm && str_to_i64(str_from(pm), 0, S3_MAX_PARTS, &marker))) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "Invalid max-parts or part-number-marker");
		return;
	}
	if (!need_upload(r, bk, &up))
		return;
	if ((err = s3_upload_parts(bk, str_from(s3_qget(r, "uploadId")), CHECKSUM_NONE, &parts,
				   &np))) {
		s3_internal_error(r, err);
	} else {
		buf_init(&b, S3_LIST_ANSWER_CAP);
		write_parts(&b, r, &up, parts, np, marker, max);
		s3_reply_xml(r, 200, &b);
		buf_release(&b);
	}
	free(parts);
	s3_upload_release(&up);
}
