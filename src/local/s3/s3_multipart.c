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
 *
 * Checksums follow S3's multipart rules ("Checking object integrity: using
 * part-level checksums for multipart uploads"): an upload created with
 * x-amz-checksum-algorithm takes parts of that algorithm only, its Complete
 * must list each part's checksum (COMPOSITE) and may assert the object's,
 * and the object gets the composite or full-object checksum S3 computes
 * (s3_multipart_checksum()). Every check is made before the object is
 * committed.
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

/*
 * x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload:
 * the type defaults to COMPOSITE, FULL_OBJECT for CRC64NVME (which has no
 * composite form), and FULL_OBJECT needs a CRC. The messages are AWS's as
 * Ceph's s3-tests and Scality's cloudserver record them. False after answering.
 */
static bool upload_checksum(struct s3_req *r, enum checksum_alg *alg, bool *composite)
{
	const char *type = s3_header(r, "x-amz-checksum-type");
	char msg[160], lower[S3_CHECKSUM_HEADER_MAX];

	if (!s3_checksum_algorithm(r, alg))
		return false;
	if (type && !*alg) {
		s3_reply_error(r, 400, "InvalidRequest",
			       "The x-amz-checksum-type header can only be used with the "
			       "x-amz-checksum-algorithm header.");
		return false;
	}
	if (type && strcasecmp(type, "COMPOSITE") && strcasecmp(type, "FULL_OBJECT")) {
		s3_reply_error(r, 400, "InvalidRequest",
			       "Value for x-amz-checksum-type header is invalid.");
		return false;
	}
	*composite = type ? !strcasecmp(type, "COMPOSITE") : *alg != CHECKSUM_CRC64NVME;
	if (*alg && (*composite ? *alg == CHECKSUM_CRC64NVME : !checksum_is_crc(*alg))) {
		s3_checksum_header_name(*alg, lower);
		snprintf(msg, sizeof(msg),
			 "The %s checksum type cannot be used with the %s checksum algorithm.",
			 *composite ? "COMPOSITE" : "FULL_OBJECT",
			 lower + strlen("x-amz-checksum-"));
		s3_reply_error(r, 400, "InvalidRequest", msg);
		return false;
	}
	return true;
}

void s3_op_create_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploads", NULL};
	char id[S3_UPLOAD_ID_LEN + 1];
	enum checksum_alg alg;
	struct s3_bucket *bk;
	bool composite;
	json_t *meta;
	struct buf b;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) || !s3_key_ok(r) ||
	    !upload_checksum(r, &alg, &composite))
		return;
	meta = s3_user_meta(r);
	err = meta ? s3_upload_create(bk, str_make(r->key.ptr, r->key.len),
				      s3_header(r, "Content-Type"), meta, alg, composite, id)
		   : ERR_NOMEM;
	json_decref(meta);
	if (err) {
		s3_internal_error(r, err);
		return;
	}
	if (alg) {
		s3_add_header(r, "x-amz-checksum-algorithm", checksum_name(alg));
		s3_add_header(r, "x-amz-checksum-type", composite ? "COMPOSITE" : "FULL_OBJECT");
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

/*
 * A part of an upload created with an algorithm must declare a checksum of
 * that algorithm (Ceph's s3-tests against AWS record the message, "null"
 * for none). Uploads created without one take parts with any checksum.
 */
static bool part_algorithm_ok(struct s3_req *r, const struct s3_upload *up,
			      const struct s3_digests *d)
{
	char want[S3_CHECKSUM_HEADER_MAX], got[S3_CHECKSUM_HEADER_MAX], msg[160];
	size_t skip = strlen("x-amz-checksum-");

	if (!up->alg || d->alg == up->alg)
		return true;
	s3_checksum_header_name(up->alg, want);
	s3_checksum_header_name(d->alg, got);
	snprintf(msg, sizeof(msg),
		 "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum "
		 "Type: %s",
		 want + skip, d->alg ? got + skip : "null");
	s3_reply_error(r, 400, "InvalidRequest", msg);
	return false;
}

void s3_op_upload_part(struct s3_req *r)
{
	static const char *const allowed[] = {"partNumber", "uploadId", NULL};
	struct s3_bucket *bk;
	struct s3_upload up;
	struct s3_digests d;
	struct s3_writer w;
	long long num;
	bool ok;
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
	if (!s3_digests_read(r, true, &d) || !need_upload(r, bk, &up))
		return;
	ok = part_algorithm_ok(r, &up, &d);
	s3_upload_release(&up);
	if (!ok)
		return;
	if ((err = s3_writer_begin(bk, &w))) {
		s3_internal_error(r, err);
		return;
	}
	/* A part keeps no checksum of its own (s3_store.h): only a declared one is computed. */
	if ((err = s3_writer_use(&w, CHECKSUM_NONE)) || !s3_receive_verified(r, &w, &d)) {
		if (err)
			s3_internal_error(r, err);
		s3_writer_abort(&w);
		return;
	}
	err = s3_writer_commit_part(&w, str_from(s3_qget(r, "uploadId")), (int)num);
	s3_writer_abort(&w);
	if (err == ERR_NOTFOUND) {
		no_such_upload(r, s3_qget(r, "uploadId"));
	} else if (err) {
		s3_internal_error(r, err);
	} else {
		s3_set_etag(r, w.md5_hex);
		if (d.alg) {
			char name[S3_CHECKSUM_HEADER_MAX];

			s3_checksum_header_name(d.alg, name);
			s3_add_header(r, name, w.checksum.value);
		}
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
		      char etag[S3_ETAG_MAX], struct s3_parts_refusal *why)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE], raw[MD5_LEN];
	unsigned int dl = 0;
	char hex[2 * MD5_LEN + 1];
	int err = m && EVP_DigestInit_ex(m, EVP_md5(), NULL) ? 0 : ERR_NOMEM;

	memset(why, 0, sizeof(*why));
	for (size_t i = 0; !err && i < c->n; i++) {
		const struct s3_part *p = find_part(parts, np, c->numbers[i]);

		if (i && c->numbers[i] <= c->numbers[i - 1])
			why->code = "InvalidPartOrder";
		else if (!p || strcmp(p->etag, c->etags[i]) ||
			 hex_decode(raw, sizeof(raw), p->etag, strlen(p->etag)))
			why->code = "InvalidPart"; /* a part's ETag is the MD5 hex of its bytes */
		else if (i + 1 < c->n && p->size < S3_MIN_PART_SIZE)
			why->code = "EntityTooSmall";
		else if (!EVP_DigestUpdate(m, raw, sizeof(raw)))
			err = ERR_NOMEM;
		if (why->code) {
			why->at = i;
			err = ERR_INVAL;
		}
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

/* Is part `i`'s checksum in `c` refused for an upload of `alg`? Sets why->code. */
static void part_checksum_refused(const struct s3_complete_req *c, size_t i,
				  const struct s3_part *p, enum checksum_alg alg, bool composite,
				  struct s3_parts_refusal *why)
{
	enum checksum_alg given = (enum checksum_alg)c->sum_alg[i];

	/* Localstack's emulation, snapshot-tested against AWS, and Ceph's s3-tests. */
	if (given && (!alg || (given == alg && memcmp(c->sums[i], p->sum, checksum_len(alg)))))
		why->code = "InvalidPart";
	else if (composite && given && given != alg)
		why->code =
			"BadDigest"; /* "The crc32 you specified for part 2 did not match ..." */
	else if (composite && !given)
		why->code = "InvalidRequest"; /* "... It was missing for part 1 in the request." */
	why->alg = given;
	why->at = i;
}

int s3_multipart_checksum(const struct s3_complete_req *c, const struct s3_part *parts, size_t np,
			  enum checksum_alg alg, bool composite, struct s3_checksum *out,
			  struct s3_parts_refusal *why)
{
	enum checksum_alg use = alg ? alg : CHECKSUM_CRC64NVME;
	uint8_t full[CHECKSUM_MAX_LEN], sum[CHECKSUM_MAX_LEN];
	char text[CHECKSUM_B64_MAX];
	struct checksum acc;
	int err;

	memset(out, 0, sizeof(*out));
	memset(why, 0, sizeof(*why));
	composite = composite && alg;
	if ((err = checksum_init(&acc, composite ? use : CHECKSUM_NONE)))
		return err;
	for (size_t i = 0; i < c->n && !err; i++) {
		const struct s3_part *p = find_part(parts, np, c->numbers[i]);

		if (!p) { /* s3_multipart_etag() accepted the list: it cannot happen */
			why->code = "InvalidPart";
			why->at = i;
			err = ERR_INVAL;
			break;
		}
		part_checksum_refused(c, i, p, alg, composite, why);
		if (why->code)
			err = ERR_INVAL;
		else if (composite)
			checksum_update(&acc, p->sum, checksum_len(use));
		else if (i == 0)
			memcpy(full, p->sum, checksum_len(use));
		else
			err = checksum_combine(use, full, p->sum, p->size, full);
	}
	if (!err && composite)
		checksum_final(&acc, sum);
	checksum_release(&acc);
	if (!err)
		err = checksum_encode(use, composite ? sum : full, text);
	if (err)
		return err;
	out->alg = use;
	out->composite = composite;
	if (composite)
		snprintf(out->value, sizeof(out->value), "%s-%zu", text, c->n);
	else
		snprintf(out->value, sizeof(out->value), "%s", text);
	return 0;
}

/* Answer the refusal `why` of s3_multipart_etag() or s3_multipart_checksum(). */
static void parts_refused(struct s3_req *r, const struct s3_complete_req *c,
			  const struct s3_part *parts, size_t np, const struct s3_upload *up,
			  const struct s3_parts_refusal *why)
{
	const struct s3_part *p = find_part(parts, np, c->numbers[why->at]);
	char msg[256], alg[S3_CHECKSUM_HEADER_MAX], given[S3_CHECKSUM_HEADER_MAX];
	size_t skip = strlen("x-amz-checksum-");
	struct buf b;

	s3_checksum_header_name(up->alg, alg);
	s3_checksum_header_name(why->alg, given);
	if (!strcmp(why->code, "InvalidPartOrder")) {
		s3_reply_error(r, 400, why->code,
			       "The list of parts was not in ascending order. The parts list must "
			       "be specified in order by part number.");
	} else if (!strcmp(why->code, "InvalidRequest")) {
		snprintf(msg, sizeof(msg),
			 "The upload was created using a %s checksum. The complete request must "
			 "include the checksum for each part. It was missing for part %d in the "
			 "request.",
			 alg + skip, c->numbers[why->at]);
		s3_reply_error(r, 400, why->code, msg);
	} else if (!strcmp(why->code, "BadDigest")) {
		snprintf(msg, sizeof(msg),
			 "The %s you specified for part %d did not match what we received.",
			 given + skip, c->numbers[why->at]);
		s3_reply_error(r, 400, why->code, msg);
	} else if (!strcmp(why->code, "EntityTooSmall")) {
		s3_error_begin(r, &b, why->code,
			       "Your proposed upload is smaller than the minimum allowed size");
		xml_elf(&b, "ProposedSize", "%" PRIu64, p ? p->size : 0);
		xml_elf(&b, "MinSizeAllowed", "%u", S3_MIN_PART_SIZE);
		xml_elf(&b, "PartNumber", "%d", c->numbers[why->at]);
		xml_els(&b, "ETag", c->etags[why->at]);
		s3_error_send(r, 400, &b);
	} else {
		s3_error_begin(r, &b, "InvalidPart",
			       "One or more of the specified parts could not be found.  The part "
			       "may not have been uploaded, or the specified entity tag may not "
			       "match the part's entity tag.");
		xml_els(&b, "UploadId", s3_qget(r, "uploadId"));
		xml_elf(&b, "PartNumber", "%d", c->numbers[why->at]);
		xml_els(&b, "ETag", c->etags[why->at]);
		s3_error_send(r, 400, &b);
	}
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
	s3_checksum_xml(&b, &o->checksum);
	xml_close(&b, "CompleteMultipartUploadResult");
	s3_reply_xml(r, 200, &b);
	buf_release(&b);
}

/*
 * The headers of a CompleteMultipartUpload about the object's checksum:
 * x-amz-checksum-type must be the upload's, and an x-amz-checksum-<alg> the
 * client asserts is read into `asserted` (compared once computed). The
 * messages are AWS's as Scality's cloudserver and Ceph's s3-tests record
 * them. False after answering.
 */
static bool complete_headers(struct s3_req *r, const struct s3_upload *up,
			     struct s3_checksum *asserted)
{
	const char *type = s3_header(r, "x-amz-checksum-type");
	enum checksum_alg alg;
	struct str value;
	char msg[160];

	memset(asserted, 0, sizeof(*asserted));
	if (type && strcasecmp(type, "COMPOSITE") && strcasecmp(type, "FULL_OBJECT")) {
		s3_reply_error(r, 400, "InvalidRequest",
			       "Value for x-amz-checksum-type header is invalid.");
		return false;
	}
	if (type && !up->alg) {
		s3_reply_error(r, 400, "InvalidRequest",
			       "The upload was not created with a checksum mode. The complete "
			       "request must not include a x-amz-checksum-type header.");
		return false;
	}
	if (type && !strcasecmp(type, "COMPOSITE") != up->composite) {
		snprintf(msg, sizeof(msg),
			 "The upload was created using the %s checksum mode. The complete request "
			 "must use the same checksum mode.",
			 up->composite ? "COMPOSITE" : "FULL_OBJECT");
		s3_reply_error(r, 400, "InvalidRequest", msg);
		return false;
	}
	if (!s3_checksum_asserted(r, &alg, &value))
		return false;
	if (alg && !s3_checksum_from_text(alg, value, asserted)) {
		s3_invalid_checksum_value(r, alg, false);
		return false;
	}
	return true;
}

/*
 * Does the asserted checksum `a` name the computed `c`? A composite may be
 * asserted with or without its "-<parts>" (Ceph's s3-tests against AWS).
 */
static bool asserted_matches(const struct s3_checksum *a, const struct s3_checksum *c)
{
	size_t n = strlen(a->value);

	if (a->alg != c->alg)
		return false;
	if (!strcmp(a->value, c->value))
		return true;
	return c->composite && !a->composite && !strncmp(a->value, c->value, n) &&
	       c->value[n] == '-';
}

/* 400 InvalidArgument for the part checksums S3 cannot read, echoing them as S3 does. */
static void bad_part_checksums(struct s3_req *r, const struct s3_complete_req *c)
{
	struct buf b;

	s3_error_begin(r, &b, "InvalidArgument",
		       "Invalid Base64 or multiple checksums present in request");
	xml_els(&b, "ArgumentName", "Checksum");
	xml_els(&b, "ArgumentValue", c->bad_checksums);
	s3_error_send(r, 400, &b);
}

/* Every check of a Complete, then the commit; answers either way. */
static void complete_checked(struct s3_req *r, struct s3_bucket *bk, const struct s3_upload *up,
			     const struct s3_complete_req *c)
{
	struct str id = str_from(s3_qget(r, "uploadId"));
	struct s3_checksum asserted, sum;
	struct s3_parts_refusal why = {0};
	const struct s3_object *o;
	struct s3_part *parts = NULL;
	char etag[S3_ETAG_MAX], lower[S3_CHECKSUM_HEADER_MAX];
	size_t np = 0;
	int err;

	if (c->bad_checksums[0]) {
		bad_part_checksums(r, c);
		return;
	}
	if (!complete_headers(r, up, &asserted))
		return;
	/* An upload created without an algorithm gets S3's default, CRC64NVME, full-object. */
	err = s3_upload_parts(bk, id, up->alg ? up->alg : CHECKSUM_CRC64NVME, &parts, &np);
	if (!err)
		err = s3_multipart_etag(c, parts, np, etag, &why);
	if (!err)
		err = s3_multipart_checksum(c, parts, np, up->alg, up->composite, &sum, &why);
	if (why.code) {
		parts_refused(r, c, parts, np, up, &why);
	} else if (!err && asserted.alg && up->alg && !asserted_matches(&asserted, &sum)) {
		s3_checksum_header_name(asserted.alg, lower);
		s3_checksum_mismatch(r, lower + strlen("x-amz-checksum-"));
	} else {
		/* Every check passed: the commit point. */
		if (!err)
			err = s3_upload_complete(bk, id, c->numbers, c->n, etag, &sum, &o);
		if (err) {
			s3_internal_error(r, err);
		} else {
			s3_notify_created(r, bk, o, "ObjectCreated:CompleteMultipartUpload");
			complete_answer(r, bk, o);
		}
	}
	free(parts);
}

void s3_op_complete_upload(struct s3_req *r)
{
	static const char *const allowed[] = {"uploadId", NULL};
	struct s3_complete_req *c = NULL;
	struct s3_digests dg;
	struct s3_bucket *bk;
	struct s3_upload up;
	int err;

	if (!s3_only_params(r, allowed) || !(bk = s3_need_bucket(r)) ||
	    !s3_digests_read(r, false, &dg) || !s3_digests_verify_body(r, &dg) ||
	    !need_upload(r, bk, &up))
		return;
	if (!(c = malloc(sizeof(*c)))) {
		s3_internal_error(r, ERR_NOMEM);
	} else if ((err = s3_parse_complete(r->body, r->body_len, c))) {
		if (err == ERR_NOMEM)
			s3_internal_error(r, err);
		else
			s3_malformed_xml(r);
	} else {
		complete_checked(r, bk, &up, c);
	}
	free(c);
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
	if (up->alg) { /* as S3 lists an upload created with an algorithm */
		xml_els(b, "ChecksumAlgorithm", checksum_name(up->alg));
		xml_els(b, "ChecksumType", up->composite ? "COMPOSITE" : "FULL_OBJECT");
	}
	for (size_t i = first; i < first + (size_t)count; i++) {
		char t[32], tag[32], sum[CHECKSUM_B64_MAX];

		s3_iso_time(t, parts[i].last_modified_ms);
		xml_open(b, "Part");
		xml_elf(b, "PartNumber", "%d", parts[i].number);
		xml_els(b, "LastModified", t);
		xml_elf(b, "ETag", "\"%s\"", parts[i].etag);
		xml_elf(b, "Size", "%" PRIu64, parts[i].size);
		if (up->alg) {
			snprintf(tag, sizeof(tag), "Checksum%s", checksum_name(up->alg));
			if (checksum_encode(up->alg, parts[i].sum, sum))
				buf_set_error(b, ERR_NOMEM);
			else
				xml_els(b, tag, sum);
		}
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
	if ((err = s3_upload_parts(bk, str_from(s3_qget(r, "uploadId")), up.alg, &parts, &np))) {
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
