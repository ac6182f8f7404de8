/*
 * The XML of S3's answers (declared in s3.h): <Error> documents and
 * ListObjectsV2's <ListBucketResult>, read with the shared hardened reader
 * (core/xml.h), which refuses document types, deep nesting and oversized
 * text. We act when a known leaf closes; elements we do not know are skipped.
 * A root other than the one expected is malformed.
 */
#include "core/common.h"

#include "aws/s3.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "core/xml.h"

/* S3's answers nest four levels at most; a Message or a Key is far shorter than the text cap. */
static const struct xml_limits s3_xml_limits = {
	.max_doc = S3_MAX_XML_BODY,
	.max_text = 64u << 10,
	.max_depth = 8,
};

struct list_state {
	struct s3_list_result *list;
	size_t items_alloc;
	bool url_encoded; /* <EncodingType>url</EncodingType> */
};

static void copy_trunc(char *dst, size_t size, struct str text)
{
	size_t n = MIN(text.len, size - 1);
	memcpy(dst, text.ptr, n);
	dst[n] = '\0';
}

static int error_open(void *ctx, const struct xml_reader *x, const char *name)
{
	return xml_depth(x) == 1 && strcmp(name, "Error") ? ERR_PARSE : 0;
}

static int error_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	struct s3_error *e = ctx;

	if (xml_at(x, "Error/Code"))
		copy_trunc(e->code, sizeof(e->code), t);
	else if (xml_at(x, "Error/Message"))
		copy_trunc(e->message, sizeof(e->message), t);
	else if (xml_at(x, "Error/RequestId"))
		copy_trunc(e->request_id, sizeof(e->request_id), t);
	return 0;
}

static int list_open(void *ctx, const struct xml_reader *x, const char *name)
{
	struct list_state *s = ctx;
	struct s3_list_result *r = s->list;
	int err;

	if (xml_depth(x) == 1 && strcmp(name, "ListBucketResult"))
		return ERR_PARSE;
	if (!xml_at(x, "ListBucketResult/Contents"))
		return 0;
	if (r->count >= S3_MAX_LIST_KEYS)
		return ERR_PARSE;
	if ((err = ALLOC_GROW(r->items, r->count + 1, s->items_alloc)))
		return err;
	memset(&r->items[r->count], 0, sizeof(r->items[0]));
	r->count++;
	return 0;
}

static int contents_leaf(struct s3_list_item *it, const struct xml_reader *x, struct str t)
{
	long long v;

	if (xml_at(x, "ListBucketResult/Contents/Key")) {
		if (t.len > 3 * S3_MAX_KEY_LEN || it->key)
			return ERR_PARSE;
		it->key = str_dup(t);
		return it->key ? 0 : ERR_NOMEM;
	}
	if (xml_at(x, "ListBucketResult/Contents/Size")) {
		if (str_to_i64(str_trim(t), 0, INT64_MAX, &v))
			return ERR_PARSE;
		it->size = (uint64_t)v;
	} else if (xml_at(x, "ListBucketResult/Contents/ETag")) {
		copy_trunc(it->etag, sizeof(it->etag), t);
	} else if (xml_at(x, "ListBucketResult/Contents/LastModified")) {
		t = str_trim(t);
		if (time_parse_rfc3339(t.ptr, t.len, &it->last_modified_ms))
			it->last_modified_ms = 0;
	}
	return 0;
}

static int list_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	struct list_state *s = ctx;
	struct s3_list_result *r = s->list;
	long long v;

	if (xml_under(x, "ListBucketResult/Contents"))
		return contents_leaf(&r->items[r->count - 1], x, t);
	t = str_trim(t);
	if (xml_at(x, "ListBucketResult/IsTruncated")) {
		if (str_eq_cstr(t, "true"))
			r->truncated = true;
		else if (str_eq_cstr(t, "false"))
			r->truncated = false;
		else
			return ERR_PARSE;
	} else if (xml_at(x, "ListBucketResult/NextContinuationToken")) {
		free(r->next_token);
		r->next_token = str_dup(t);
		if (!r->next_token)
			return ERR_NOMEM;
	} else if (xml_at(x, "ListBucketResult/KeyCount")) {
		if (str_to_i64(t, 0, LONG_MAX, &v))
			return ERR_PARSE;
		r->key_count = (long)v;
	} else if (xml_at(x, "ListBucketResult/EncodingType")) {
		s->url_encoded = str_eq_cstr(t, "url");
	}
	return 0;
}

/* A text over the cap is as malformed as any other impossible answer. */
static int parse(const char *xml, size_t len, const struct xml_handler *h, void *ctx)
{
	int err = xml_read(xml, len, &s3_xml_limits, h, ctx);

	return err == ERR_TOOLARGE ? ERR_PARSE : err;
}

int s3_parse_error(const char *xml, size_t len, struct s3_error *out)
{
	static const struct xml_handler h = {error_open, error_close};

	out->code[0] = out->message[0] = out->request_id[0] = '\0';
	return parse(xml, len, &h, out);
}

/* With EncodingType url, keys come percent-encoded (form style: '+' is a space). */
static int decode_keys(struct s3_list_result *r)
{
	struct buf b;
	int err = 0;

	buf_init(&b, S3_MAX_KEY_LEN * 3 + 1);
	for (size_t i = 0; i < r->count && !err; i++) {
		char *k = r->items[i].key;
		if (!k)
			continue;
		buf_reset(&b);
		if ((err = uri_decode(&b, k, strlen(k), true)))
			break;
		free(k);
		r->items[i].key = buf_detach(&b, NULL);
		if (!r->items[i].key)
			err = ERR_NOMEM;
	}
	buf_release(&b);
	return err == ERR_TOOLARGE ? ERR_PARSE : err;
}

/* Drop entries without a Key (malformed) so that callers can rely on `key`. */
static void drop_keyless(struct s3_list_result *r)
{
	size_t j = 0;
	for (size_t i = 0; i < r->count; i++) {
		if (r->items[i].key)
			r->items[j++] = r->items[i];
	}
	r->count = j;
}

int s3_parse_list(const char *xml, size_t len, struct s3_list_result *out)
{
	static const struct xml_handler h = {list_open, list_close};
	struct list_state s = {.list = out};
	int err;

	memset(out, 0, sizeof(*out));
	out->key_count = -1;
	err = parse(xml, len, &h, &s);
	if (!err && s.url_encoded)
		err = decode_keys(out);
	drop_keyless(out);
	if (!err) {
		for (size_t i = 0; i < out->count; i++) {
			if (strlen(out->items[i].key) > S3_MAX_KEY_LEN)
				err = ERR_PARSE;
		}
	}
	return err;
}

void s3_list_result_release(struct s3_list_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i].key);
	free(r->items);
	free(r->next_token);
	memset(r, 0, sizeof(*r));
	r->key_count = -1;
}
