/*
 * Buckets and listings of the local S3 endpoint (s3_int.h): ListBuckets,
 * CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, and
 * ListObjects in both versions.
 *
 * A listing is two steps: s3_list_collect() walks the bucket's sorted index
 * from the marker into a page of entries (slices of the stored keys, nothing
 * copied), then s3_list_write() writes the page. S3 caps a page at 1,000
 * entries whatever max-keys asks, and a common prefix counts as one entry;
 * a resumed listing (marker, start-after, continuation token) skips the rest
 * of the common prefix it stopped in, since that prefix was listed already.
 */
#include "core/common.h"

#include "core/enc.h"
#include "core/xml.h"
#include "local/s3/s3_int.h"

/* The base64 of `n` bytes: 4 bytes for every 3, padded: the cap of a continuation token. */
#define B64_LEN(n) (((n) + 2) / 3 * 4)

#define OWNER_XML "<Owner><ID>" S3_OWNER_ID "</ID><DisplayName>sluice</DisplayName></Owner>"

/* ---- buckets ---- */

void s3_op_list_buckets(struct s3_req *r)
{
	struct s3_store *st = r->srv->store;
	struct buf b;
	char t[32];

	buf_init(&b, S3_LIST_ANSWER_CAP);
	buf_puts(&b, XML_DECL "<ListAllMyBucketsResult xmlns=\"" S3_XMLNS "\">" OWNER_XML);
	xml_open(&b, "Buckets");
	for (size_t i = 0; i < s3_store_n_buckets(st); i++) {
		const struct s3_bucket *bk = s3_store_bucket_at(st, i);

		s3_iso_time(t, s3_bucket_created_ms(bk));
		xml_open(&b, "Bucket");
		xml_els(&b, "Name", s3_bucket_name(bk));
		xml_els(&b, "CreationDate", t);
		xml_close(&b, "Bucket");
	}
	xml_close(&b, "Buckets");
	xml_close(&b, "ListAllMyBucketsResult");
	s3_reply_xml(r, 200, &b);
	buf_release(&b);
}

/*
 * A CreateBucketConfiguration, when there is one, must be well-formed and
 * name a region; which one does not matter: the local cloud is one place.
 */
static bool create_config_ok(struct s3_req *r)
{
	struct s3_create_bucket_req c;
	int err;

	if (!r->body_len)
		return true;
	err = s3_parse_create_bucket(r->body, r->body_len, &c);
	if (err == ERR_NOMEM) {
		s3_internal_error(r, err);
		return false;
	}
	if (err) {
		s3_malformed_xml(r);
		return false;
	}
	if (c.bad_location) {
		s3_reply_error(r, 400, "InvalidLocationConstraint",
			       "The specified location-constraint is not valid");
		return false;
	}
	return true;
}

void s3_op_create_bucket(struct s3_req *r)
{
	char loc[80];
	int err;

	if (!s3_only_params(r, NULL) || !create_config_ok(r))
		return;
	err = s3_store_create_bucket(r->srv->store, r->bucket);
	if (err == ERR_INVAL) {
		s3_reply_error(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
	} else if (err == ERR_EXISTS) {
		s3_reply_error(r, 409, "BucketAlreadyOwnedByYou",
			       "Your previous request to create the named bucket succeeded and you "
			       "already own it.");
	} else if (err == ERR_TOOLARGE) {
		s3_reply_error(r, 400, "TooManyBuckets",
			       "You have attempted to create more buckets than allowed");
	} else if (err) {
		s3_internal_error(r, err);
	} else {
		snprintf(loc, sizeof(loc), "/%s", r->bucket_buf);
		s3_add_header(r, "Location", loc);
		s3_reply_empty(r, 200, "OK");
	}
}

void s3_op_delete_bucket(struct s3_req *r)
{
	int err;

	if (!s3_only_params(r, NULL))
		return;
	err = s3_store_delete_bucket(r->srv->store, r->bucket);
	if (err == ERR_NOTFOUND)
		s3_no_such_bucket(r);
	else if (err == ERR_PRECONDITION)
		s3_reply_error(r, 409, "BucketNotEmpty",
			       "The bucket you tried to delete is not empty");
	else if (err)
		s3_internal_error(r, err);
	else
		s3_reply(r, 204, "No Content", NULL, NULL);
}

void s3_op_head_bucket(struct s3_req *r)
{
	if (!s3_need_bucket(r))
		return;
	s3_add_header(r, "x-amz-bucket-region", "us-east-1");
	s3_reply_empty(r, 200, "OK");
}

void s3_op_bucket_location(struct s3_req *r)
{
	struct buf b;

	if (!s3_need_bucket(r))
		return;
	/* An empty LocationConstraint is us-east-1, as S3 answers for it. */
	buf_init(&b, S3_ANSWER_CAP);
	buf_puts(&b, XML_DECL "<LocationConstraint xmlns=\"" S3_XMLNS "\"/>");
	s3_reply_xml(r, 200, &b);
	buf_release(&b);
}

/* ---- listing ---- */

/* True when key `k` sorts at or before `marker` (S3's order: bytes, shorter first). */
static bool at_or_before(struct str k, struct str marker)
{
	int c = memcmp(k.ptr, marker.ptr, MIN(k.len, marker.len));

	return c < 0 || (c == 0 && k.len <= marker.len);
}

/* The common prefix of `k` at the first delimiter after the prefix, or empty. */
static struct str rolled_up(struct str k, struct str prefix, struct str delim)
{
	struct str rest = str_make(k.ptr + prefix.len, k.len - prefix.len);

	for (size_t j = 0; delim.len && j + delim.len <= rest.len; j++)
		if (!memcmp(rest.ptr + j, delim.ptr, delim.len))
			return str_make(k.ptr, prefix.len + j + delim.len);
	return STR_NULL;
}

void s3_list_collect(const struct s3_bucket *b, struct s3_list_page *p, struct str after)
{
	struct str pfx = p->prefix, cur_prefix = STR_NULL;
	size_t i = s3_bucket_lower_bound(b, after.len > pfx.len ? after : pfx);

	p->n = 0;
	p->truncated = false;
	for (; i < s3_bucket_count(b); i++) {
		const struct s3_object *o = s3_bucket_at(b, i);
		struct str k = str_make(o->key, o->key_len), cp;

		if (!str_has_prefix(k, pfx)) {
			if (memcmp(o->key, pfx.ptr, MIN(pfx.len, o->key_len)) > 0)
				break; /* past every key with the prefix */
			continue;
		}
		if (after.len && at_or_before(k, after))
			continue;
		cp = rolled_up(k, pfx, p->delimiter);
		if (cp.len && str_eq(cp, cur_prefix))
			continue; /* listed already, one entry for the whole prefix */
		if (cp.len && after.len && str_has_prefix(after, cp))
			continue; /* the prefix a resumed listing stopped in */
		if ((long long)p->n >= p->max_keys) {
			p->truncated = true;
			break;
		}
		p->entries[p->n].name = cp.len ? cp : k;
		p->entries[p->n].obj = cp.len ? NULL : o;
		p->n++;
		if (cp.len)
			cur_prefix = cp;
	}
}

static void write_contents(struct buf *b, const struct s3_list_page *p, const struct s3_object *o)
{
	char t[32];

	s3_iso_time(t, o->last_modified_ms);
	xml_open(b, "Contents");
	s3_xml_key(b, "Key", o->key, o->key_len, p->url);
	xml_els(b, "LastModified", t);
	xml_elf(b, "ETag", "\"%s\"", o->etag);
	if (o->checksum.alg) { /* S3 lists the algorithm and the type, never the value */
		xml_els(b, "ChecksumAlgorithm", checksum_name(o->checksum.alg));
		xml_els(b, "ChecksumType", o->checksum.composite ? "COMPOSITE" : "FULL_OBJECT");
	}
	xml_elf(b, "Size", "%" PRIu64, o->size);
	if (p->owner)
		buf_puts(b, OWNER_XML);
	buf_puts(b, "<StorageClass>STANDARD</StorageClass>");
	xml_close(b, "Contents");
}

/* <tag>base64 of `s`</tag>: a continuation token is the key or prefix to resume after. */
static void xml_b64(struct buf *b, const char *tag, struct str s)
{
	struct buf e;
	int err;

	buf_init(&e, B64_LEN(s.len));
	if ((err = b64_encode(&e, s.ptr, s.len)))
		buf_set_error(b, err);
	else
		xml_el(b, tag, e.ptr, e.len);
	buf_release(&e);
}

/* The elements before the entries, in S3's order. */
static void write_list_head(struct buf *b, const struct s3_list_page *p)
{
	struct str last = p->n ? p->entries[p->n - 1].name : STR_NULL;

	buf_puts(b, XML_DECL "<ListBucketResult xmlns=\"" S3_XMLNS "\">");
	xml_els(b, "Name", p->bucket);
	s3_xml_key(b, "Prefix", p->prefix.ptr, p->prefix.len, p->url);
	if (!p->v2) {
		const char *m = p->marker ? p->marker : "";

		s3_xml_key(b, "Marker", m, strlen(m), p->url);
		if (p->truncated && p->delimiter.len)
			s3_xml_key(b, "NextMarker", last.ptr, last.len, p->url);
	} else {
		if (p->token)
			xml_els(b, "ContinuationToken", p->token);
		if (p->start_after)
			s3_xml_key(b, "StartAfter", p->start_after, strlen(p->start_after), p->url);
		xml_elf(b, "KeyCount", "%zu", p->n);
	}
	xml_elf(b, "MaxKeys", "%lld", p->max_keys_asked);
	if (p->delimiter.len)
		s3_xml_key(b, "Delimiter", p->delimiter.ptr, p->delimiter.len, p->url);
	if (p->url)
		xml_els(b, "EncodingType", "url");
	xml_els(b, "IsTruncated", p->truncated ? "true" : "false");
	if (p->v2 && p->truncated)
		xml_b64(b, "NextContinuationToken", last);
}

void s3_list_write(struct buf *b, const struct s3_list_page *p)
{
	write_list_head(b, p);
	for (size_t i = 0; i < p->n; i++)
		if (p->entries[i].obj)
			write_contents(b, p, p->entries[i].obj);
	for (size_t i = 0; i < p->n; i++) {
		if (p->entries[i].obj)
			continue;
		xml_open(b, "CommonPrefixes");
		s3_xml_key(b, "Prefix", p->entries[i].name.ptr, p->entries[i].name.len, p->url);
		xml_close(b, "CommonPrefixes");
	}
	xml_close(b, "ListBucketResult");
}

/*
 * Read the listing parameters into `p`, and the key to resume after into
 * `after` (the decoded continuation token, else start-after or marker).
 * False after answering InvalidArgument.
 */
static bool list_params(struct s3_req *r, struct s3_list_page *p, struct buf *after)
{
	const char *mk = s3_qget(r, "max-keys"), *enc = s3_qget(r, "encoding-type");
	const char *prefix = s3_qget(r, "prefix"), *delim = s3_qget(r, "delimiter");
	const char *fetch_owner = s3_qget(r, "fetch-owner");
	const char *resume;

	p->max_keys_asked = S3_MAX_LIST_KEYS;
	if (mk && str_to_i64(str_from(mk), 0, LLONG_MAX, &p->max_keys_asked)) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "Provided max-keys not an integer or within integer range");
		return false;
	}
	if (enc && strcmp(enc, "url")) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "Invalid Encoding Method specified in Request");
		return false;
	}
	/* S3 lists at most 1,000 keys a page whatever max-keys asks (and echoes what it asked). */
	p->max_keys = MIN(p->max_keys_asked, S3_MAX_LIST_KEYS);
	p->url = enc != NULL;
	p->prefix = str_from(prefix ? prefix : "");
	p->delimiter = str_from(delim ? delim : "");
	p->owner = !p->v2 || (fetch_owner && !strcmp(fetch_owner, "true"));
	if (p->v2) {
		p->token = s3_qget(r, "continuation-token");
		p->start_after = s3_qget(r, "start-after");
		resume = p->start_after;
	} else {
		p->marker = s3_qget(r, "marker");
		resume = p->marker;
	}
	if (p->token && (b64_decode(after, p->token, strlen(p->token)) || after->len == 0)) {
		s3_reply_error(r, 400, "InvalidArgument",
			       "The continuation token provided is incorrect");
		return false;
	}
	if (!p->token && resume)
		buf_puts(after, resume);
	if (buf_error(after)) {
		s3_internal_error(r, buf_error(after));
		return false;
	}
	return true;
}

void s3_op_list_objects(struct s3_req *r, bool v2)
{
	static const char *const p2[] = {
		"list-type",   "prefix",	"delimiter",   "max-keys", "continuation-token",
		"start-after", "encoding-type", "fetch-owner", NULL};
	static const char *const p1[] = {"prefix", "delimiter",	    "max-keys",
					 "marker", "encoding-type", NULL};
	struct s3_list_page *p;
	struct s3_bucket *bk;
	struct buf after, b;

	if (!s3_only_params(r, v2 ? p2 : p1) || !(bk = s3_need_bucket(r)))
		return;
	if (!(p = calloc(1, sizeof(*p)))) {
		s3_internal_error(r, ERR_NOMEM);
		return;
	}
	/* Every parameter's value fits in S3_QUERY_VALUE_CAP, and decodes shorter. */
	buf_init(&after, S3_QUERY_VALUE_CAP);
	buf_init(&b, S3_LIST_ANSWER_CAP);
	p->v2 = v2;
	p->bucket = s3_bucket_name(bk);
	if (list_params(r, p, &after)) {
		s3_list_collect(bk, p, str_make(after.ptr, after.len));
		s3_list_write(&b, p);
		s3_reply_xml(r, 200, &b);
	}
	buf_release(&b);
	buf_release(&after);
	free(p);
}
