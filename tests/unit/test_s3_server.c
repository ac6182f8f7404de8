/*
 * The local S3 endpoint (src/local/s3/s3_*.c but the store): its request
 * body parsers, query and target parsing, listing pages and the multipart
 * ETag, offline; then whole requests through an evhttp server on 127.0.0.1
 * (ephemeral port) in the test's own event loop, signed with SigV4 as a
 * client signs them. Two test-only routes answer with a listing too large
 * for its buffer and with an error answer that failed to build, to pin
 * that neither goes out as a truncated body.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/s3.h"
#include "core/enc.h"
#include "core/xml.h"
#include "http/server.h"
#include "local/s3/s3_int.h"

#define S(lit)	 lit, sizeof(lit) - 1
#define AKID	 "AKIDTEST"
#define SECRET	 "test-secret"
#define NS	 " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define BODY_MAX (1u << 20)

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A temporary directory; removed with rm_dir(). */
static void make_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/sluice-s3-server-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- request bodies ---- */

static void test_delete_body(void **state)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Delete" NS "><Quiet>true</Quiet>"
		"<Object><Key>a &amp; b</Key><VersionId>null</VersionId></Object>"
		"<Object><Key>&#x1F389;/x</Key></Object>"
		"<Object><Key><![CDATA[q?x=1&y]]></Key></Object></Delete>";
	struct s3_delete_req d;

	assert_int_equal(s3_parse_delete(S(body), &d), 0);
	assert_int_equal(d.n, 3);
	assert_true(d.quiet);
	assert_string_equal(d.keys.ptr, "a & b");
	assert_string_equal(d.keys.ptr + 6, "\xf0\x9f\x8e\x89/x");
	assert_string_equal(d.keys.ptr + 6 + 7, "q?x=1&y");
	assert_int_equal(d.keys.len, 6 + 7 + 8);
	s3_delete_req_release(&d);

	assert_int_equal(s3_parse_delete(S("<Delete><Object><Key>k</Key></Object></Delete>"), &d),
			 0);
	assert_false(d.quiet);
	assert_int_equal(d.n, 1);
	s3_delete_req_release(&d);
}

static void test_delete_body_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not xml",
		"<Delete><Quiet>true</Quiet></Delete>",		  /* no key */
		"<Remove><Object><Key>k</Key></Object></Remove>", /* another root */
		"<Delete><Object><Key>k</Key></Object>",	  /* not closed */
		"<!DOCTYPE Delete [<!ENTITY a \"aaaa\">]><Delete><Object><Key>&a;</Key>"
		"</Object></Delete>",
		"<Delete><a><b><c><d><e><f><g><h><Key>k</Key></h></g></f></e></d></c></b></a>"
		"</Delete>", /* deeper than the limit */
	};
	struct s3_delete_req d;
	struct buf many;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(s3_parse_delete(bad[i], strlen(bad[i]), &d), ERR_PARSE);
		s3_delete_req_release(&d);
	}
	/* 1,000 keys is S3's limit; 1,001 is MalformedXML. */
	buf_init(&many, 64u << 10);
	buf_puts(&many, "<Delete>");
	for (int i = 0; i < 1000; i++)
		buf_putf(&many, "<Object><Key>k%d</Key></Object>", i);
	buf_puts(&many, "</Delete>");
	assert_int_equal(buf_error(&many), 0);
	assert_int_equal(s3_parse_delete(many.ptr, many.len, &d), 0);
	assert_int_equal(d.n, 1000);
	s3_delete_req_release(&d);
	buf_truncate(&many, many.len - strlen("</Delete>"));
	buf_puts(&many, "<Object><Key>one-more</Key></Object></Delete>");
	assert_int_equal(s3_parse_delete(many.ptr, many.len, &d), ERR_PARSE);
	s3_delete_req_release(&d);
	buf_release(&many);
}

static void test_body_size_limits(void **state)
{
	struct s3_delete_req d;
	struct buf b;
	char *big = malloc(S3_MAX_REQUEST_XML + 1);

	assert_non_null(big);
	/* A key's text past the reader's cap. */
	buf_init(&b, 128u << 10);
	buf_puts(&b, "<Delete><Object><Key>");
	for (int i = 0; i < (65 << 10); i++)
		buf_putc(&b, 'k');
	buf_puts(&b, "</Key></Object></Delete>");
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(s3_parse_delete(b.ptr, b.len, &d), ERR_TOOLARGE);
	s3_delete_req_release(&d);
	buf_release(&b);
	/* A document past S3_MAX_REQUEST_XML is refused before it is read. */
	memset(big, ' ', S3_MAX_REQUEST_XML + 1);
	assert_int_equal(s3_parse_delete(big, S3_MAX_REQUEST_XML + 1, &d), ERR_TOOLARGE);
	s3_delete_req_release(&d);
	free(big);
}

static void test_complete_body(void **state)
{
	static const char body[] =
		"<CompleteMultipartUpload" NS ">"
		"<Part><ETag>\"0cc175b9c0f1b6a831c399e269772661\"</ETag>"
		"<PartNumber> 1 </PartNumber></Part>"
		"<Part><PartNumber>3</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
		"<ETag>92eb5ffee6ae2fec3ad71c777531578f</ETag></Part>"
		"<Part><PartNumber>2</PartNumber><ETag>\"" /* too long to be an ETag */
		"0123456789012345678901234567890123456789012345678901234567890123\"</ETag></Part>"
		"<Part><PartNumber>4</PartNumber></Part>"
		"</CompleteMultipartUpload>";
	struct s3_complete_req *c = malloc(sizeof(*c));

	assert_non_null(c);
	assert_int_equal(s3_parse_complete(S(body), c), 0);
	assert_int_equal(c->n, 4);
	assert_int_equal(c->numbers[0], 1);
	assert_string_equal(c->etags[0], "0cc175b9c0f1b6a831c399e269772661");
	assert_int_equal(c->numbers[1], 3);
	assert_string_equal(c->etags[1], "92eb5ffee6ae2fec3ad71c777531578f");
	assert_int_equal(c->numbers[2], 2);
	assert_string_equal(c->etags[2], "");
	assert_int_equal(c->numbers[3], 4);
	assert_string_equal(c->etags[3], "");

	static const char *const bad[] = {
		"<CompleteMultipartUpload/>",
		"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
		"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber></Part>"
		"</CompleteMultipartUpload>",
		"<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber></Part>"
		"</CompleteMultipartUpload>",
		"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part>"
		"</CompleteMultipartUpload>",
		"<Complete><Part><PartNumber>1</PartNumber></Part></Complete>",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(s3_parse_complete(bad[i], strlen(bad[i]), c), ERR_PARSE);

	/* 10,000 parts is S3's limit; 10,001 is refused. */
	struct buf b;
	buf_init(&b, S3_MAX_REQUEST_XML);
	buf_puts(&b, "<CompleteMultipartUpload>");
	for (int i = 1; i <= S3_MAX_PARTS; i++)
		buf_putf(&b, "<Part><PartNumber>%d</PartNumber></Part>", i);
	buf_puts(&b, "</CompleteMultipartUpload>");
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(s3_parse_complete(b.ptr, b.len, c), 0);
	assert_int_equal(c->n, S3_MAX_PARTS);
	assert_int_equal(c->numbers[S3_MAX_PARTS - 1], S3_MAX_PARTS);
	buf_truncate(&b, b.len - strlen("</CompleteMultipartUpload>"));
	buf_puts(&b, "<Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>");
	assert_int_equal(s3_parse_complete(b.ptr, b.len, c), ERR_PARSE);
	buf_release(&b);
	free(c);
}

static void test_create_bucket_body(void **state)
{
	struct s3_create_bucket_req c;

	assert_int_equal(s3_parse_create_bucket(S("<CreateBucketConfiguration" NS ">"
						  "<LocationConstraint>eu-west-1"
						  "</LocationConstraint>"
						  "</CreateBucketConfiguration>"),
						&c),
			 0);
	assert_string_equal(c.location, "eu-west-1");
	assert_false(c.bad_location);
	assert_int_equal(s3_parse_create_bucket(S("<CreateBucketConfiguration><LocationConstraint>"
						  "EU</LocationConstraint>"
						  "</CreateBucketConfiguration>"),
						&c),
			 0);
	assert_string_equal(c.location, "EU");
	assert_int_equal(s3_parse_create_bucket(S("<CreateBucketConfiguration>"
						  "<LocationConstraint/>"
						  "</CreateBucketConfiguration>"),
						&c),
			 0);
	assert_string_equal(c.location, "");
	assert_false(c.bad_location);
	assert_int_equal(s3_parse_create_bucket(S("<CreateBucketConfiguration><LocationConstraint>"
						  "eu west/1</LocationConstraint>"
						  "</CreateBucketConfiguration>"),
						&c),
			 0);
	assert_true(c.bad_location);
	assert_string_equal(c.location, "");
	assert_int_equal(s3_parse_create_bucket(S("<LocationConstraint>eu-west-1"
						  "</LocationConstraint>"),
						&c),
			 ERR_PARSE);
}

/* ---- query and target ---- */

static void test_parse_query(void **state)
{
	struct s3_req r;

	assert_int_equal(s3_req_init(&r, NULL, NULL), 0);
	assert_int_equal(s3_parse_query(&r, STR_LIT("list-type=2&prefix=a%2Fb+c&&uploads&"
						    "marker=%E2%82%AC&empty=")),
			 0);
	assert_int_equal(r.n_query, 5);
	assert_string_equal(s3_qget(&r, "list-type"), "2");
	assert_string_equal(s3_qget(&r, "prefix"), "a/b+c"); /* '+' stays a plus */
	assert_string_equal(s3_qget(&r, "uploads"), "");
	assert_true(s3_qhas(&r, "uploads"));
	assert_string_equal(s3_qget(&r, "marker"), "\xe2\x82\xac");
	assert_string_equal(s3_qget(&r, "empty"), "");
	assert_null(s3_qget(&r, "missing"));
	s3_req_release(&r);

	assert_int_equal(s3_req_init(&r, NULL, NULL), 0);
	assert_int_equal(s3_parse_query(&r, STR_LIT("a=%zz")), ERR_PARSE);
	s3_req_release(&r);

	struct buf q;
	buf_init(&q, 4096);
	for (int i = 0; i <= S3_MAX_QUERY_PARAMS; i++)
		buf_putf(&q, "p%d=&", i);
	assert_int_equal(s3_req_init(&r, NULL, NULL), 0);
	assert_int_equal(s3_parse_query(&r, str_make(q.ptr, q.len)), ERR_TOOLARGE);
	assert_int_equal(r.n_query, S3_MAX_QUERY_PARAMS);
	s3_req_release(&r);
	buf_release(&q);
}

/* Parse `path` with Host `host` into `r` (released by the caller). */
static int target(struct s3_req *r, struct evkeyvalq *h, const char *host, const char *path)
{
	assert_int_equal(s3_req_init(r, NULL, NULL), 0);
	TAILQ_INIT(h);
	if (host)
		assert_int_equal(evhttp_add_header(h, "Host", host), 0);
	r->in = h;
	return s3_parse_target(r, str_from(path));
}

static void test_parse_target(void **state)
{
	struct evkeyvalq h;
	struct s3_req r;

	assert_int_equal(target(&r, &h, "127.0.0.1:4566", "/bucket/dir/a%20b+c%2B"), 0);
	assert_string_equal(r.bucket_buf, "bucket");
	assert_true(r.has_key);
	assert_string_equal(r.key.ptr, "dir/a b+c+");
	assert_string_equal(r.resource.ptr, "/bucket/dir/a b+c+");
	evhttp_clear_headers(&h);
	s3_req_release(&r);

	static const char *const no_key[] = {"/bucket", "/bucket/", "bucket"};
	for (size_t i = 0; i < ARRAY_SIZE(no_key); i++) {
		assert_int_equal(target(&r, &h, "localhost", no_key[i]), 0);
		assert_int_equal(r.bucket.len, 6);
		assert_false(r.has_key);
		assert_string_equal(r.resource.ptr, "/bucket");
		evhttp_clear_headers(&h);
		s3_req_release(&r);
	}

	assert_int_equal(target(&r, &h, NULL, "/"), 0);
	assert_int_equal(r.bucket.len, 0);
	assert_false(r.has_key);
	evhttp_clear_headers(&h);
	s3_req_release(&r);

	/* Virtual-host style: the bucket is in the Host, the whole path is the key. */
	assert_int_equal(target(&r, &h, "vhost-bucket.localhost:4566", "/dir/k"), 0);
	assert_string_equal(r.bucket_buf, "vhost-bucket");
	assert_string_equal(r.key.ptr, "dir/k");
	evhttp_clear_headers(&h);
	s3_req_release(&r);

	assert_int_equal(target(&r, &h, "localhost", "/bucket/%zz"), ERR_PARSE);
	evhttp_clear_headers(&h);
	s3_req_release(&r);

	char path[S3_KEY_BUF_CAP + 128];
	memset(path, 'b', 70);
	snprintf(path + 70, sizeof(path) - 70, "/k");
	path[0] = '/';
	assert_int_equal(target(&r, &h, "localhost", path), ERR_TOOLARGE); /* bucket > 63 */
	evhttp_clear_headers(&h);
	s3_req_release(&r);
	memcpy(path, "/bucket/", 8);
	memset(path + 8, 'k', S3_KEY_BUF_CAP + 1);
	path[8 + S3_KEY_BUF_CAP + 1] = '\0';
	assert_int_equal(target(&r, &h, "localhost", path), ERR_TOOLARGE);
	evhttp_clear_headers(&h);
	s3_req_release(&r);
}

/* ---- listings ---- */

struct store_fixture {
	char dir[64];
	struct s3_store *st;
	struct s3_bucket *b;
};

static void store_open(struct store_fixture *f)
{
	make_dir(f->dir);
	assert_int_equal(s3_store_open(f->dir, &f->st), 0);
	assert_int_equal(s3_store_create_bucket(f->st, STR_LIT("bucket")), 0);
	f->b = s3_store_bucket(f->st, STR_LIT("bucket"));
}

static void store_close(struct store_fixture *f)
{
	s3_store_close(f->st);
	rm_dir(f->dir);
}

static void put(struct s3_bucket *b, const char *key)
{
	struct s3_writer w;

	assert_int_equal(s3_writer_begin(b, &w), 0);
	assert_int_equal(s3_writer_write(&w, key, strlen(key)), 0);
	assert_int_equal(s3_writer_commit(&w, str_from(key), NULL, NULL, NULL, NULL), 0);
}

static const char *entry(const struct s3_list_page *p, size_t i)
{
	static char name[S3_MAX_KEY_LEN + 1];

	snprintf(name, sizeof(name), "%.*s%s", STR_FMT(p->entries[i].name),
		 p->entries[i].obj ? "" : " (prefix)");
	return name;
}

static void test_list_collect(void **state)
{
	static const char *const keys[] = {"a",	      "dir/sub/a", "dir/sub/b", "dir/c",
					   "dir/d/e", "dir0",	   "z"};
	struct s3_list_page *p = calloc(1, sizeof(*p));
	struct store_fixture f;

	store_open(&f);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		put(f.b, keys[i]);
	p->max_keys = S3_MAX_LIST_KEYS;
	p->prefix = STR_LIT("dir/");
	p->delimiter = STR_LIT("/");
	s3_list_collect(f.b, p, STR_NULL);
	assert_int_equal(p->n, 3);
	assert_string_equal(entry(p, 0), "dir/c");
	assert_string_equal(entry(p, 1), "dir/d/ (prefix)");
	assert_string_equal(entry(p, 2), "dir/sub/ (prefix)");
	assert_false(p->truncated);

	/* Pages of two, resumed after the last entry: a prefix is not listed twice. */
	p->prefix = STR_NULL;
	p->max_keys = 2;
	s3_list_collect(f.b, p, STR_NULL);
	assert_int_equal(p->n, 2);
	assert_string_equal(entry(p, 1), "dir/ (prefix)");
	assert_true(p->truncated);
	s3_list_collect(f.b, p, STR_LIT("dir/"));
	assert_int_equal(p->n, 2);
	assert_string_equal(entry(p, 0), "dir0");
	assert_string_equal(entry(p, 1), "z");
	assert_false(p->truncated);
	store_close(&f);
	free(p);
}

/* S3 lists at most 1,000 keys a page, however many max-keys asks for. */
static void test_list_caps_at_1000(void **state)
{
	struct s3_list_page *p = calloc(1, sizeof(*p));
	struct s3_list_result res;
	struct store_fixture f;
	char key[16];
	struct buf b;

	store_open(&f);
	for (int i = 0; i < 1100; i++) {
		snprintf(key, sizeof(key), "k%04d", i);
		put(f.b, key);
	}
	p->v2 = true;
	p->bucket = "bucket";
	p->max_keys_asked = 5000;
	p->max_keys = MIN(p->max_keys_asked, S3_MAX_LIST_KEYS);
	s3_list_collect(f.b, p, STR_NULL);
	assert_int_equal(p->n, 1000);
	assert_true(p->truncated);
	buf_init(&b, S3_LIST_ANSWER_CAP);
	s3_list_write(&b, p);
	assert_int_equal(buf_error(&b), 0);
	assert_non_null(strstr(b.ptr, "<MaxKeys>5000</MaxKeys>"));
	/* The client's parser reads our page back. */
	assert_int_equal(s3_parse_list(b.ptr, b.len, &res), 0);
	assert_int_equal(res.count, 1000);
	assert_int_equal(res.key_count, 1000);
	assert_true(res.truncated);
	assert_string_equal(res.items[999].key, "k0999");
	assert_string_equal(res.next_token, "azA5OTk="); /* base64 of "k0999" */
	s3_list_result_release(&res);
	buf_release(&b);
	store_close(&f);
	free(p);
}

static void test_list_write(void **state)
{
	struct s3_list_page *p = calloc(1, sizeof(*p));
	struct s3_object o = {.key = "a\x01 b&c", .key_len = 6, .size = 12, .etag = "abc"};
	struct buf b;

	p->bucket = "bucket";
	p->max_keys_asked = 1000;
	p->owner = true;
	p->marker = "m<";
	p->delimiter = STR_LIT("/");
	p->n = 2;
	p->entries[0] = (struct s3_list_entry){str_make(o.key, o.key_len), &o};
	p->entries[1] = (struct s3_list_entry){STR_LIT("dir/"), NULL};
	buf_init(&b, S3_LIST_ANSWER_CAP);
	s3_list_write(&b, p);
	assert_int_equal(buf_error(&b), 0);
	/* A control character is not XML 1.0: U+FFFD stands in for it, not &#x1;. */
	assert_non_null(strstr(b.ptr, "<Key>a\xef\xbf\xbd b&amp;c</Key>"));
	assert_null(strstr(b.ptr, "&#x1;"));
	assert_non_null(strstr(b.ptr, "<Marker>m&lt;</Marker>"));
	assert_non_null(strstr(b.ptr, "<ETag>&quot;abc&quot;</ETag><Size>12</Size><Owner>"));
	assert_non_null(strstr(b.ptr, "</Contents><CommonPrefixes><Prefix>dir/</Prefix>"));
	assert_null(strstr(b.ptr, "KeyCount")); /* v1 */

	/* encoding-type=url: keys and prefixes percent-encoded. */
	buf_reset(&b);
	p->url = true;
	s3_list_write(&b, p);
	assert_int_equal(buf_error(&b), 0);
	assert_non_null(strstr(b.ptr, "<Key>a%01%20b%26c</Key>"));
	assert_non_null(strstr(b.ptr, "<EncodingType>url</EncodingType>"));

	/* Past its cap the writer fails (sticky) instead of handing out a part. */
	buf_release(&b);
	buf_init(&b, 300);
	s3_list_write(&b, p);
	assert_int_equal(buf_error(&b), ERR_TOOLARGE);
	assert_true(b.len <= 300);
	buf_release(&b);
	free(p);
}

/* ---- multipart ETag ---- */

static void test_multipart_etag(void **state)
{
	struct s3_complete_req *c = calloc(1, sizeof(*c));
	struct s3_part parts[2] = {
		{.number = 1, .size = S3_MIN_PART_SIZE, .etag = "0cc175b9c0f1b6a831c399e269772661"},
		{.number = 2, .size = 1, .etag = "92eb5ffee6ae2fec3ad71c777531578f"}};
	char etag[S3_ETAG_MAX];
	struct s3_parts_refusal why;

	c->n = 2;
	c->numbers[0] = 1;
	c->numbers[1] = 2;
	snprintf(c->etags[0], S3_ETAG_MAX, "%s", parts[0].etag);
	snprintf(c->etags[1], S3_ETAG_MAX, "%s", parts[1].etag);
	assert_int_equal(s3_multipart_etag(c, parts, 2, etag, &why), 0);
	assert_null(why.code);
	/* MD5 of the two binary MD5s ("a" and "b"), then the part count. */
	assert_string_equal(etag, "96e024ba2074fe77e8e965ba43a704be-2");

	c->numbers[1] = 1;
	assert_int_equal(s3_multipart_etag(c, parts, 2, etag, &why), ERR_INVAL);
	assert_string_equal(why.code, "InvalidPartOrder");
	c->numbers[1] = 3;
	assert_int_equal(s3_multipart_etag(c, parts, 2, etag, &why), ERR_INVAL);
	assert_string_equal(why.code, "InvalidPart");
	assert_int_equal(why.at, 1);
	c->numbers[1] = 2;
	c->etags[1][0] = '0';
	assert_int_equal(s3_multipart_etag(c, parts, 2, etag, &why), ERR_INVAL);
	assert_string_equal(why.code, "InvalidPart");
	c->etags[1][0] = '9';
	parts[0].size = S3_MIN_PART_SIZE - 1;
	assert_int_equal(s3_multipart_etag(c, parts, 2, etag, &why), ERR_INVAL);
	assert_string_equal(why.code, "EntityTooSmall");
	assert_int_equal(why.at, 0);
	free(c);
}

/*
 * The object checksum of a multipart upload, as S3 computes it: COMPOSITE is
 * the algorithm over the parts' checksums, "-<parts>" (Ceph's s3-tests give
 * the one-part values for "123456789"); FULL_OBJECT is the CRC of the bytes.
 * And the parts' checksums a Complete lists, checked as S3 checks them.
 */
static void test_multipart_checksum(void **state)
{
	struct s3_complete_req *c = calloc(1, sizeof(*c));
	struct s3_part parts[2] = {{.number = 1, .size = 4}, {.number = 2, .size = 5}};
	struct s3_parts_refusal why;
	struct s3_checksum sum;

	assert_non_null(c);
	c->n = 1;
	c->numbers[0] = 1;
	parts[0].size = 9;
	static const struct {
		enum checksum_alg alg;
		const char *composite_1;
	} one[] = {
		{CHECKSUM_CRC32, "7kxlUA==-1"},
		{CHECKSUM_CRC32C, "pzJFoA==-1"},
		{CHECKSUM_SHA1, "zGcEPHvP9e6lVmvZsfPHT9mlz10=-1"},
		{CHECKSUM_SHA256, "KSsNAHVmgy25S/rmic1w0at3KBH9RLn0nYVQ7p6mpJQ=-1"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(one); i++) {
		checksum_of(one[i].alg, "123456789", 9, parts[0].sum);
		c->sum_alg[0] = (uint8_t)one[i].alg;
		memcpy(c->sums[0], parts[0].sum, CHECKSUM_MAX_LEN);
		assert_int_equal(s3_multipart_checksum(c, parts, 1, one[i].alg, true, &sum, &why),
				 0);
		assert_string_equal(sum.value, one[i].composite_1);
		assert_true(sum.composite);
		assert_int_equal(sum.alg, one[i].alg);
	}

	/* Two parts, "1234" and "56789": full-object CRCs combine to the CRC of all nine bytes. */
	c->n = 2;
	c->numbers[1] = 2;
	parts[0].size = 4;
	c->sum_alg[0] = c->sum_alg[1] = CHECKSUM_NONE;
	checksum_of(CHECKSUM_CRC32, "1234", 4, parts[0].sum);
	checksum_of(CHECKSUM_CRC32, "56789", 5, parts[1].sum);
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_CRC32, false, &sum, &why), 0);
	assert_string_equal(sum.value, "y/Q5Jg==");
	assert_false(sum.composite);
	/* An upload created without an algorithm: CRC64NVME, full-object, as S3 gives any object.
	 */
	checksum_of(CHECKSUM_CRC64NVME, "1234", 4, parts[0].sum);
	checksum_of(CHECKSUM_CRC64NVME, "56789", 5, parts[1].sum);
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_NONE, true, &sum, &why), 0);
	assert_string_equal(sum.value, "rosUhgp5mIg=");
	assert_int_equal(sum.alg, CHECKSUM_CRC64NVME);
	assert_false(sum.composite);
	/* ... which takes no part checksums in the Complete. */
	c->sum_alg[1] = CHECKSUM_CRC32;
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_NONE, false, &sum, &why),
			 ERR_INVAL);
	assert_string_equal(why.code, "InvalidPart");
	assert_int_equal(why.at, 1);

	/* A composite upload: each part must list its checksum, of the upload's algorithm. */
	checksum_of(CHECKSUM_CRC32, "1234", 4, parts[0].sum);
	checksum_of(CHECKSUM_CRC32, "56789", 5, parts[1].sum);
	c->sum_alg[0] = CHECKSUM_CRC32;
	memcpy(c->sums[0], parts[0].sum, 4);
	c->sum_alg[1] = CHECKSUM_NONE;
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_CRC32, true, &sum, &why),
			 ERR_INVAL);
	assert_string_equal(why.code, "InvalidRequest");
	assert_int_equal(why.at, 1);
	c->sum_alg[1] = CHECKSUM_SHA1;
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_CRC32, true, &sum, &why),
			 ERR_INVAL);
	assert_string_equal(why.code, "BadDigest");
	assert_int_equal(why.alg, CHECKSUM_SHA1);
	c->sum_alg[1] = CHECKSUM_CRC32;
	memcpy(c->sums[1], parts[0].sum, 4); /* part 1's value for part 2 */
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_CRC32, true, &sum, &why),
			 ERR_INVAL);
	assert_string_equal(why.code, "InvalidPart");
	memcpy(c->sums[1], parts[1].sum, 4);
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_CRC32, true, &sum, &why), 0);
	assert_true(sum.composite);
	assert_non_null(strstr(sum.value, "-2"));
	/* A full-object upload does not need them, and checks those listed. */
	c->sum_alg[0] = CHECKSUM_NONE;
	assert_int_equal(s3_multipart_checksum(c, parts, 2, CHECKSUM_CRC32, false, &sum, &why), 0);
	assert_string_equal(sum.value, "y/Q5Jg==");
	free(c);
}

/* A part's Checksum<ALG> in a Complete body: decoded, or echoed when S3 would refuse it. */
static void test_complete_body_checksums(void **state)
{
	static const char body[] =
		"<CompleteMultipartUpload>"
		"<Part><PartNumber>1</PartNumber><ETag>a</ETag><ChecksumCRC32>y/Q5Jg==</"
		"ChecksumCRC32>"
		"</Part>"
		"<Part><PartNumber>2</PartNumber><ETag>b</ETag><ChecksumXXHASH64>x</"
		"ChecksumXXHASH64>"
		"</Part>"
		"<Part><PartNumber>3</PartNumber><ETag>c</ETag><ChecksumSHA1>y/Q5Jg==</"
		"ChecksumSHA1>"
		"<ChecksumCRC32>y/Q5Jg==</ChecksumCRC32></Part>"
		"<Part><PartNumber>4</PartNumber><ChecksumCRC32C>4waSgx==</ChecksumCRC32C></Part>"
		"</CompleteMultipartUpload>";
	struct s3_complete_req *c = malloc(sizeof(*c));

	assert_non_null(c);
	assert_int_equal(s3_parse_complete(S(body), c), 0);
	assert_int_equal(c->n, 4);
	assert_int_equal(c->sum_alg[0], CHECKSUM_CRC32);
	assert_memory_equal(c->sums[0], "\xcb\xf4\x39\x26", 4);
	assert_int_equal(c->sum_alg[1], CHECKSUM_NONE); /* an algorithm we do not have: skipped */
	assert_int_equal(c->sum_alg[2], CHECKSUM_NONE);
	assert_int_equal(c->sum_alg[3], CHECKSUM_NONE);
	/* The first part S3 refuses, its checksums in S3's order (Ceph's s3-tests, against AWS). */
	assert_string_equal(c->bad_checksums, "CRC32:y/Q5Jg==;SHA1:y/Q5Jg==;");

	assert_int_equal(
		s3_parse_complete(S("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
				    "<ChecksumCRC32C>4waSgx==</ChecksumCRC32C></Part>"
				    "</CompleteMultipartUpload>"),
				  c),
		0);
	assert_string_equal(c->bad_checksums, "CRC32C:4waSgx==;");
	free(c);
}

/* ---- aws-chunked ---- */

static int collect_chunk(void *ctx, struct str data, struct str sig)
{
	struct buf *b = ctx;

	buf_put(b, data.ptr, data.len);
	return buf_error(b);
}

/* The trailers S3 reads after the last chunk, and what a trailer signature covers. */
static void test_trailer_read(void **state)
{
	struct s3_trailer t;
	struct buf canon;

	buf_init(&canon, 256);
	assert_int_equal(s3_trailer_read(STR_LIT("X-Amz-Checksum-CRC32 : y/Q5Jg== \r\n"
						 "x-amz-trailer-signature:abc\r\n"),
					 STR_LIT("x-amz-checksum-crc32"), &t, &canon),
			 0);
	assert_true(t.found);
	assert_false(t.other);
	assert_true(str_eq_cstr(t.value, "y/Q5Jg=="));
	assert_true(str_eq_cstr(t.signature, "abc"));
	assert_true(t.has_signature);
	assert_string_equal(canon.ptr, "x-amz-checksum-crc32:y/Q5Jg==\n");

	/* The last of a repeated trailer counts; another one is noted. */
	assert_int_equal(s3_trailer_read(STR_LIT("x-amz-checksum-crc32:AAAAAA==\r\n"
						 "x-amz-checksum-crc32:y/Q5Jg==\r\nbonus:x\r\n"),
					 STR_LIT("x-amz-checksum-crc32"), &t, NULL),
			 0);
	assert_true(str_eq_cstr(t.value, "y/Q5Jg=="));
	assert_true(t.other);
	assert_int_equal(t.signature.len, 0);
	assert_false(t.has_signature);

	/* None: not found, and a signature covers a newline. */
	buf_reset(&canon);
	assert_int_equal(s3_trailer_read(STR_NULL, STR_LIT("x-amz-checksum-crc32"), &t, &canon), 0);
	assert_false(t.found);
	assert_string_equal(canon.ptr, "\n");

	static const char *const bad[] = {"no colon\r\n", ":no name\r\n", "a:b\n", "a:b"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(s3_trailer_read(str_from(bad[i]), STR_NULL, &t, NULL), ERR_PARSE);
	buf_release(&canon);
}

static void test_chunked_decode(void **state)
{
	static const char body[] = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n"
				   "x-amz-checksum-crc32:AAAAAA==\r\n\r\n";
	struct str trailer;
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(s3_chunked_decode(S(body), false, 64, collect_chunk, &b, &trailer), 0);
	assert_string_equal(b.ptr, "hello world");
	assert_int_equal(trailer.len, strlen("x-amz-checksum-crc32:AAAAAA==\r\n"));
	buf_reset(&b);
	assert_int_equal(s3_chunked_decode(S(body), false, 10, collect_chunk, &b, &trailer),
			 ERR_TOOLARGE);
	buf_reset(&b);
	assert_int_equal(s3_chunked_decode(S(body), true, 64, collect_chunk, &b, &trailer),
			 ERR_PARSE); /* signed chunks need a chunk-signature */
	assert_int_equal(s3_chunked_decode(S("5\r\nhel"), false, 64, collect_chunk, &b, &trailer),
			 ERR_PARSE);
	/* S3 takes a body that ends where the final empty line would be (Swift s3api, on AWS). */
	buf_reset(&b);
	assert_int_equal(
		s3_chunked_decode(S("5\r\nhello\r\n0\r\n"), false, 64, collect_chunk, &b, &trailer),
		0);
	assert_int_equal(trailer.len, 0);
	assert_int_equal(
		s3_chunked_decode(S("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n"), false,
				  64, collect_chunk, &b, &trailer),
		0);
	assert_int_equal(trailer.len, strlen("x-amz-checksum-crc32:NhCmhg==\r\n"));
	/* ... but not a trailer line cut short, nor bytes after the end. */
	assert_int_equal(s3_chunked_decode(S("0\r\nx-amz-checksum-crc32:NhCmhg=="), false, 64,
					   collect_chunk, &b, &trailer),
			 ERR_PARSE);
	assert_int_equal(
		s3_chunked_decode(S("0\r\n\r\nextra"), false, 64, collect_chunk, &b, &trailer),
		ERR_PARSE);
	buf_release(&b);
}

/* ---- whole requests over HTTP ---- */

struct rig {
	char dir[64];
	struct event_base *base;
	struct evhttp *http;
	int port;
	struct s3_server *srv;
	int overcap_error; /* buf_error() of the over-cap answer, seen by the handler */
};

struct answer {
	struct event_base *base;
	int status;
	struct buf body;
	char request_id[32];
	char content_type[64];
};

/* A listing of 50 common prefixes into a 256-byte buffer: too large to build. */
static void overcap(struct rig *g, struct evhttp_request *req)
{
	static char names[50][16];
	struct s3_list_page *p = calloc(1, sizeof(*p));
	struct s3_req r;
	struct buf b;

	if (!p || s3_req_init(&r, g->srv, req)) {
		evhttp_send_error(req, 599, NULL);
		free(p);
		return;
	}
	p->bucket = "bucket";
	p->max_keys_asked = S3_MAX_LIST_KEYS;
	for (p->n = 0; p->n < 50; p->n++) {
		snprintf(names[p->n], sizeof(names[0]), "prefix-%02zu/", p->n);
		p->entries[p->n].name = str_from(names[p->n]);
	}
	buf_init(&b, 256);
	s3_list_write(&b, p);
	g->overcap_error = buf_error(&b);
	s3_reply_xml(&r, 200, &b);
	buf_release(&b);
	s3_req_release(&r);
	free(p);
}

/* An error answer whose building failed: the fixed 500 goes out instead. */
static void broken_error(struct rig *g, struct evhttp_request *req)
{
	struct s3_req r;
	struct buf b;

	if (s3_req_init(&r, g->srv, req)) {
		evhttp_send_error(req, 599, NULL);
		return;
	}
	s3_error_begin(&r, &b, "AccessDenied", "Access Denied");
	buf_set_error(&b, ERR_NOMEM);
	s3_error_send(&r, 403, &b);
	s3_req_release(&r);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct rig *g = arg;
	const char *uri = evhttp_request_get_uri(req);

	if (!strcmp(uri, "/_test/overcap"))
		overcap(g, req);
	else if (!strcmp(uri, "/_test/broken-error"))
		broken_error(g, req);
	else
		s3_server_handle(g->srv, req);
}

static int rig_setup(void **state)
{
	struct rig *g = calloc(1, sizeof(*g));
	struct evhttp_bound_socket *sock;
	struct sockaddr_in sin = {0};
	socklen_t len = sizeof(sin);

	assert_non_null(g);
	make_dir(g->dir);
	assert_int_equal(s3_server_new(g->dir, AKID, SECRET, &g->srv), 0);
	assert_int_equal(s3_server_create_bucket(g->srv, "bucket"), 0);
	g->base = event_base_new();
	g->http = evhttp_new(g->base);
	assert_non_null(g->http);
	evhttp_set_allowed_methods(g->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(g->http, on_request, g);
	sock = evhttp_bind_socket_with_handle(g->http, "127.0.0.1", 0);
	assert_non_null(sock);
	assert_int_equal(
		getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len), 0);
	g->port = ntohs(sin.sin_port);
	*state = g;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *g = *state;

	evhttp_free(g->http);
	event_base_free(g->base);
	s3_server_free(g->srv);
	rm_dir(g->dir);
	free(g);
	return 0;
}

static void on_answer(struct evhttp_request *req, void *arg)
{
	struct answer *a = arg;
	const char *v;

	a->status = req ? evhttp_request_get_response_code(req) : -1;
	if (req) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		struct evkeyvalq *h = evhttp_request_get_input_headers(req);

		buf_put(&a->body, evbuffer_pullup(in, -1), n);
		if ((v = evhttp_find_header(h, "x-amz-request-id")))
			snprintf(a->request_id, sizeof(a->request_id), "%s", v);
		if ((v = evhttp_find_header(h, "Content-Type")))
			snprintf(a->content_type, sizeof(a->content_type), "%s", v);
	}
	event_base_loopbreak(a->base);
}

/* Add SigV4 headers (signed with `secret`) for `method` `target` with `body`. */
static void sign(struct evkeyvalq *out, const char *method, const char *target, const char *host,
		 const char *body, const char *secret)
{
	struct sigv4_header hs[] = {{STR_LIT("Host"), str_from(host)}};
	struct str path, query = str_split(str_from(target), '?', &path, NULL);
	struct sigv4_request sr = {.method = method,
				   .path = path,
				   .query = query,
				   .headers = hs,
				   .n_headers = ARRAY_SIZE(hs),
				   .body = body,
				   .body_len = body ? strlen(body) : 0};
	struct sigv4_params p = {.access_key_id = AKID,
				 .secret_access_key = secret,
				 .region = "us-east-1",
				 .service = "s3",
				 .now = time(NULL),
				 .s3 = true};
	struct sigv4_signed sig;

	sigv4_signed_init(&sig);
	assert_int_equal(sigv4_sign_headers(&sr, &p, &sig), 0);
	for (size_t i = 0; i < sig.n_headers; i++) {
		char name[64], value[SIGV4_MAX_AUTHZ_LEN];

		snprintf(name, sizeof(name), "%.*s", STR_FMT(sig.headers[i].name));
		snprintf(value, sizeof(value), "%.*s", STR_FMT(sig.headers[i].value));
		assert_int_equal(evhttp_add_header(out, name, value), 0);
	}
	sigv4_signed_release(&sig);
}

/* Send one request and wait for its answer (`secret` NULL: unsigned). */
static void call(struct rig *g, enum evhttp_cmd_type m, const char *target, const char *body,
		 const char *secret, struct answer *a)
{
	struct evhttp_connection *conn =
		evhttp_connection_base_new(g->base, NULL, "127.0.0.1", (ev_uint16_t)g->port);
	struct evhttp_request *req = evhttp_request_new(on_answer, a);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char host[32];

	memset(a, 0, sizeof(*a));
	a->base = g->base;
	buf_init(&a->body, BODY_MAX);
	snprintf(host, sizeof(host), "127.0.0.1:%d", g->port);
	assert_int_equal(evhttp_add_header(h, "Host", host), 0);
	if (body)
		assert_int_equal(
			evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body)), 0);
	if (secret)
		sign(h, http_method_name(m), target, host, body, secret);
	assert_int_equal(evhttp_make_request(conn, req, m, target), 0);
	event_base_dispatch(g->base);
	evhttp_connection_free(conn);
	assert_int_equal(buf_error(&a->body), 0);
}

static void test_http_overcap_answer_is_an_error(void **state)
{
	struct rig *g = *state;
	struct answer a;

	call(g, EVHTTP_REQ_GET, "/_test/overcap", NULL, NULL, &a);
	assert_int_equal(g->overcap_error, ERR_TOOLARGE);
	assert_int_equal(a.status, 500);
	assert_string_equal(a.content_type, "application/xml");
	assert_non_null(strstr(a.body.ptr, "<Code>InternalError</Code>"));
	assert_null(strstr(a.body.ptr, "ListBucketResult"));
	assert_int_equal(strlen(a.request_id), 16);
	assert_non_null(strstr(a.body.ptr, a.request_id));
	buf_release(&a.body);

	call(g, EVHTTP_REQ_GET, "/_test/broken-error", NULL, NULL, &a);
	assert_int_equal(a.status, 500);
	assert_string_equal(a.body.ptr, XML_DECL "<Error><Code>InternalError</Code><Message>We "
						 "encountered an internal error. Please try "
						 "again.</Message></Error>");
	buf_release(&a.body);
}

static void test_http_auth(void **state)
{
	struct rig *g = *state;
	struct answer a;

	call(g, EVHTTP_REQ_GET, "/", NULL, NULL, &a);
	assert_int_equal(a.status, 403);
	assert_non_null(strstr(a.body.ptr, "<Code>AccessDenied</Code>"));
	assert_non_null(strstr(a.body.ptr, "<Resource>/</Resource>"));
	buf_release(&a.body);

	call(g, EVHTTP_REQ_GET, "/bucket?list-type=2", NULL, "wrong-secret", &a);
	assert_int_equal(a.status, 403);
	assert_non_null(strstr(a.body.ptr, "<Code>SignatureDoesNotMatch</Code>"));
	assert_non_null(strstr(a.body.ptr, "<CanonicalRequest>GET\n/bucket\nlist-type=2\n"));
	/* The same bytes in hex, space-separated: "GET\n" */
	assert_non_null(strstr(a.body.ptr, "<CanonicalRequestBytes>47 45 54 0a 2f "));
	assert_non_null(strstr(a.body.ptr, "<StringToSignBytes>41 57 53 34 "));
	buf_release(&a.body);

	call(g, EVHTTP_REQ_GET, "/", NULL, SECRET, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body.ptr, "<Bucket><Name>bucket</Name><CreationDate>"));
	buf_release(&a.body);
}

static void test_http_requests(void **state)
{
	struct rig *g = *state;
	struct answer a;

	call(g, EVHTTP_REQ_PUT, "/bucket/dir/a%20key", "some bytes", SECRET, &a);
	assert_int_equal(a.status, 200);
	buf_release(&a.body);
	call(g, EVHTTP_REQ_GET, "/bucket/dir/a%20key", NULL, SECRET, &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body.ptr, "some bytes");
	buf_release(&a.body);

	/* HEAD errors have no body, as S3's. */
	call(g, EVHTTP_REQ_HEAD, "/no-such-bucket", NULL, SECRET, &a);
	assert_int_equal(a.status, 404);
	assert_int_equal(a.body.len, 0);
	buf_release(&a.body);

	call(g, EVHTTP_REQ_GET, "/bucket?list-type=2&prefix=dir%2F&max-keys=5000", NULL, SECRET,
	     &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body.ptr, "<Key>dir/a key</Key>"));
	assert_non_null(strstr(a.body.ptr, "<KeyCount>1</KeyCount><MaxKeys>5000</MaxKeys>"));
	buf_release(&a.body);

	call(g, EVHTTP_REQ_POST, "/bucket?delete",
	     "<Delete><Object><Key>dir/a key</Key></Object><Object><Key>never</Key></Object>"
	     "</Delete>",
	     SECRET, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body.ptr, "<Deleted><Key>dir/a key</Key></Deleted>"
					   "<Deleted><Key>never</Key></Deleted></DeleteResult>"));
	buf_release(&a.body);
	call(g, EVHTTP_REQ_POST, "/bucket?delete", "<Delete></Delete>", SECRET, &a);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body.ptr, "<Code>MalformedXML</Code>"));
	buf_release(&a.body);
}

/*
 * A key that is not UTF-8 or holds a NUL is InvalidURI whatever the method
 * (a GET was NoSuchKey), and the answer is XML: the bytes show as U+FFFD.
 */
static void test_http_keys_not_utf8(void **state)
{
	static const struct xml_limits lim = {
		.max_doc = BODY_MAX, .max_text = 4096, .max_depth = 4};
	static const struct xml_handler none = {NULL, NULL};
	static const char *const targets[] = {"/bucket/a%00b", "/bucket/a%FFb", "/bucket/%C3%28"};
	struct rig *g = *state;
	struct answer a;

	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		call(g, EVHTTP_REQ_GET, targets[i], NULL, SECRET, &a);
		assert_int_equal(a.status, 400);
		assert_non_null(strstr(a.body.ptr, "<Code>InvalidURI</Code>"));
		assert_non_null(strstr(a.body.ptr, "\xef\xbf\xbd"));
		assert_int_equal(xml_read(a.body.ptr, a.body.len, &lim, &none, NULL), 0);
		buf_release(&a.body);
	}
	call(g, EVHTTP_REQ_DELETE, "/bucket/a%00b", NULL, SECRET, &a);
	assert_int_equal(a.status, 400);
	buf_release(&a.body);
}

static void test_http_create_bucket_configuration(void **state)
{
	struct rig *g = *state;
	struct answer a;

	call(g, EVHTTP_REQ_PUT, "/eu-bucket",
	     "<CreateBucketConfiguration" NS "><LocationConstraint>eu-west-1"
	     "</LocationConstraint></CreateBucketConfiguration>",
	     SECRET, &a);
	assert_int_equal(a.status, 200);
	buf_release(&a.body);
	assert_non_null(s3_store_bucket(g->srv->store, STR_LIT("eu-bucket")));

	call(g, EVHTTP_REQ_PUT, "/bad-bucket", "<CreateBucketConfiguration>", SECRET, &a);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body.ptr, "<Code>MalformedXML</Code>"));
	buf_release(&a.body);
	call(g, EVHTTP_REQ_PUT, "/bad-bucket",
	     "<CreateBucketConfiguration><LocationConstraint>not a region"
	     "</LocationConstraint></CreateBucketConfiguration>",
	     SECRET, &a);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body.ptr, "<Code>InvalidLocationConstraint</Code>"));
	buf_release(&a.body);
	assert_null(s3_store_bucket(g->srv->store, STR_LIT("bad-bucket")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delete_body),
		cmocka_unit_test(test_delete_body_refused),
		cmocka_unit_test(test_body_size_limits),
		cmocka_unit_test(test_complete_body),
		cmocka_unit_test(test_create_bucket_body),
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_parse_target),
		cmocka_unit_test(test_list_collect),
		cmocka_unit_test(test_list_caps_at_1000),
		cmocka_unit_test(test_list_write),
		cmocka_unit_test(test_multipart_etag),
		cmocka_unit_test(test_multipart_checksum),
		cmocka_unit_test(test_complete_body_checksums),
		cmocka_unit_test(test_trailer_read),
		cmocka_unit_test(test_chunked_decode),
		cmocka_unit_test_setup_teardown(test_http_overcap_answer_is_an_error, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_http_auth, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_http_requests, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_http_create_bucket_configuration, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_http_keys_not_utf8, rig_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
