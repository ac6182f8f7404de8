/*
 * The XML of S3's answers (declared in s3.h): <Error> documents and
 * ListObjectsV2's <ListBucketResult>. expat streams the document; we keep the
 * element path (a few levels deep at most) and the text of the current leaf,
 * and act when a leaf closes. Elements we do not know are skipped whatever
 * their depth. A document type declaration stops the parser: S3 never sends
 * one, and refusing it rules out entity expansion attacks.
 */
#include "core/common.h"

#include <expat.h>

#include "aws/s3.h"
#include "core/enc.h"
#include "core/str.h"
#include "core/timeutil.h"

/* Deepest element path we track; deeper elements are only counted. */
#define XML_MAX_DEPTH 8
/* Longest text of one element (a Message or a Key is far shorter). */
#define XML_MAX_TEXT (64u << 10)

enum doc_kind { DOC_ERROR, DOC_LIST };

struct xml_state {
	XML_Parser parser;
	enum doc_kind kind;
	int depth;			 /* current element depth, root = 1 */
	const char *path[XML_MAX_DEPTH]; /* static names of known elements, NULL otherwise */
	struct buf text;
	int err; /* first failure, 0 while all is well */
	bool saw_root;
	struct s3_error *error;	     /* DOC_ERROR */
	struct s3_list_result *list; /* DOC_LIST */
	size_t items_alloc;
	bool url_encoded; /* <EncodingType>url</EncodingType> */
};

/* The element names we act on; anything else maps to NULL and is skipped. */
static const char *const known_names[] = {
	"Error",
	"Code",
	"Message",
	"RequestId",
	"ListBucketResult",
	"Contents",
	"Key",
	"Size",
	"ETag",
	"LastModified",
	"IsTruncated",
	"NextContinuationToken",
	"KeyCount",
	"EncodingType",
};

static const char *known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_names); i++) {
		if (strcmp(known_names[i], name) == 0)
			return known_names[i];
	}
	return NULL;
}

static void fail(struct xml_state *s, int err)
{
	if (!s->err)
		s->err = err;
	XML_StopParser(s->parser, XML_FALSE);
}

/* True when the current path is exactly the given names (root first). */
static bool at(const struct xml_state *s, int n, const char *a, const char *b, const char *c)
{
	const char *want[3] = {a, b, c};
	if (s->depth != n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!s->path[i] || strcmp(s->path[i], want[i]) != 0)
			return false;
	}
	return true;
}

static void copy_trunc(char *dst, size_t size, const struct buf *text)
{
	size_t n = MIN(text->len, size - 1);
	memcpy(dst, text->ptr, n);
	dst[n] = '\0';
}

static int add_item(struct xml_state *s)
{
	struct s3_list_result *r = s->list;
	if (r->count >= S3_MAX_LIST_KEYS)
		return ERR_PARSE;
	if (r->count == s->items_alloc) {
		size_t n = s->items_alloc ? 2 * s->items_alloc : 16;
		struct s3_list_item *p = realloc(r->items, n * sizeof(*p));
		if (!p)
			return ERR_NOMEM;
		r->items = p;
		s->items_alloc = n;
	}
	memset(&r->items[r->count], 0, sizeof(r->items[0]));
	r->count++;
	return 0;
}

static int end_contents_leaf(struct xml_state *s, const char *name)
{
	struct s3_list_item *it = &s->list->items[s->list->count - 1];
	struct str t = str_make(s->text.ptr, s->text.len);
	long long v;

	if (name == known("Key")) {
		if (t.len > 3 * S3_MAX_KEY_LEN || it->key)
			return ERR_PARSE;
		it->key = str_dup(t);
		return it->key ? 0 : ERR_NOMEM;
	}
	if (name == known("Size")) {
		if (str_to_i64(str_trim(t), 0, INT64_MAX, &v))
			return ERR_PARSE;
		it->size = (uint64_t)v;
	} else if (name == known("ETag")) {
		copy_trunc(it->etag, sizeof(it->etag), &s->text);
	} else if (name == known("LastModified")) {
		t = str_trim(t);
		if (time_parse_rfc3339(t.ptr, t.len, &it->last_modified_ms))
			it->last_modified_ms = 0;
	}
	return 0;
}

static int end_list_leaf(struct xml_state *s, const char *name)
{
	struct str t = str_trim(str_make(s->text.ptr, s->text.len));
	long long v;

	if (name == known("IsTruncated")) {
		if (str_eq_cstr(t, "true"))
			s->list->truncated = true;
		else if (str_eq_cstr(t, "false"))
			s->list->truncated = false;
		else
			return ERR_PARSE;
	} else if (name == known("NextContinuationToken")) {
		free(s->list->next_token);
		s->list->next_token = str_dup(t);
		if (!s->list->next_token)
			return ERR_NOMEM;
	} else if (name == known("KeyCount")) {
		if (str_to_i64(t, 0, LONG_MAX, &v))
			return ERR_PARSE;
		s->list->key_count = (long)v;
	} else if (name == known("EncodingType")) {
		s->url_encoded = str_eq_cstr(t, "url");
	}
	return 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_state *s = ud;
	const char *k = known(name);
	const char *root = s->kind == DOC_ERROR ? "Error" : "ListBucketResult";

	if (s->depth == 0) {
		if (!k || strcmp(k, root) != 0) {
			fail(s, ERR_PARSE);
			return;
		}
		s->saw_root = true;
	}
	if (s->depth < XML_MAX_DEPTH)
		s->path[s->depth] = k;
	s->depth++;
	buf_reset(&s->text);
	if (s->kind == DOC_LIST && at(s, 2, "ListBucketResult", "Contents", NULL)) {
		int err = add_item(s);
		if (err)
			fail(s, err);
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_state *s = ud;
	int err = 0;

	/* XML_StopParser() lets the end of an empty element through: after a
	 * refused root (<Other/>) depth is still 0, and there is nothing to do. */
	if (s->err)
		return;
	if (s->depth <= XML_MAX_DEPTH && s->path[s->depth - 1]) {
		const char *k = s->path[s->depth - 1];
		if (s->kind == DOC_ERROR && s->depth == 2 && s->path[0]) {
			if (k == known("Code"))
				copy_trunc(s->error->code, sizeof(s->error->code), &s->text);
			else if (k == known("Message"))
				copy_trunc(s->error->message, sizeof(s->error->message), &s->text);
			else if (k == known("RequestId"))
				copy_trunc(s->error->request_id, sizeof(s->error->request_id),
					   &s->text);
		} else if (s->kind == DOC_LIST && s->depth == 3 &&
			   s->path[1] == known("Contents")) {
			err = end_contents_leaf(s, k);
		} else if (s->kind == DOC_LIST && s->depth == 2) {
			err = end_list_leaf(s, k);
		}
	}
	buf_reset(&s->text);
	s->depth--;
	if (err)
		fail(s, err);
}

static void XMLCALL on_text(void *ud, const XML_Char *data, int len)
{
	struct xml_state *s = ud;
	int err;

	/* Only leaves we know collect text; the rest (whitespace between elements) is dropped. */
	if (s->depth < 1 || s->depth > XML_MAX_DEPTH || !s->path[s->depth - 1])
		return;
	if ((err = buf_add(&s->text, data, (size_t)len)))
		fail(s, err == ERR_TOOLARGE ? ERR_PARSE : err);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	fail(ud, ERR_PARSE);
}

static int parse(struct xml_state *s, const char *xml, size_t len)
{
	int err = 0;

	if (len > INT_MAX)
		return ERR_PARSE;
	s->parser = XML_ParserCreate(NULL);
	if (!s->parser)
		return ERR_NOMEM;
	buf_init(&s->text, XML_MAX_TEXT);
	XML_SetUserData(s->parser, s);
	XML_SetElementHandler(s->parser, on_start, on_end);
	XML_SetCharacterDataHandler(s->parser, on_text);
	XML_SetStartDoctypeDeclHandler(s->parser, on_doctype);
	if (XML_Parse(s->parser, xml ? xml : "", (int)len, XML_TRUE) != XML_STATUS_OK)
		err = s->err ? s->err : ERR_PARSE;
	else if (!s->saw_root)
		err = ERR_PARSE;
	XML_ParserFree(s->parser);
	buf_release(&s->text);
	return err;
}

int s3_parse_error(const char *xml, size_t len, struct s3_error *out)
{
	struct xml_state s = {.kind = DOC_ERROR, .error = out};

	out->code[0] = out->message[0] = out->request_id[0] = '\0';
	return parse(&s, xml, len);
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
	struct xml_state s = {.kind = DOC_LIST, .list = out};
	int err;

	memset(out, 0, sizeof(*out));
	out->key_count = -1;
	err = parse(&s, xml, len);
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
