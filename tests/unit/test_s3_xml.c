/*
 * aws/s3_xml.c: S3 error documents and ListObjectsV2 pages, offline, with
 * answers shaped as S3 sends them (namespace, &quot; in ETags, url encoding).
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/s3.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_error_doc(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>NoSuchKey</Code>"
		"<Message>The specified key does not exist.</Message>"
		"<Key>a &amp; b</Key>"
		"<RequestId>4442587FB7D0A2F9</RequestId>"
		"<HostId>eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran</HostId>"
		"</Error>";
	struct s3_error e = {.status = 404};

	assert_int_equal(s3_parse_error(S(xml), &e), 0);
	assert_int_equal(e.status, 404);
	assert_string_equal(e.code, "NoSuchKey");
	assert_string_equal(e.message, "The specified key does not exist.");
	assert_string_equal(e.request_id, "4442587FB7D0A2F9");
}

static void test_error_doc_truncates_long_fields(void **state)
{
	char xml[2048];
	char code[200];
	struct s3_error e;

	memset(code, 'C', sizeof(code) - 1);
	code[sizeof(code) - 1] = '\0';
	snprintf(xml, sizeof(xml), "<Error><Code>%s</Code><Message>m</Message></Error>", code);
	assert_int_equal(s3_parse_error(xml, strlen(xml), &e), 0);
	assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
	assert_int_equal(e.code[0], 'C');
	assert_string_equal(e.message, "m");
	assert_string_equal(e.request_id, "");
}

static void test_error_doc_rejects(void **state)
{
	struct s3_error e;

	assert_int_equal(s3_parse_error(S("<Error><Code>x</Code>"), &e), ERR_PARSE);
	assert_int_equal(s3_parse_error(S("<Other><Code>x</Code></Other>"), &e), ERR_PARSE);
	assert_int_equal(s3_parse_error(S(""), &e), ERR_PARSE);
	assert_int_equal(s3_parse_error(S("not xml at all"), &e), ERR_PARSE);
	assert_int_equal(s3_parse_error(NULL, 0, &e), ERR_PARSE);
	/* A DTD (entity expansion) is refused outright. */
	assert_int_equal(s3_parse_error(S("<?xml version=\"1.0\"?>"
					  "<!DOCTYPE Error [<!ENTITY a \"aaaaaaaa\">]>"
					  "<Error><Code>&a;</Code></Error>"),
					&e),
			 ERR_PARSE);
}

/*
 * A refused root that is an empty element: expat still reports its end after
 * XML_StopParser(), which must not index the element path at depth 0
 * (found by fuzz/fuzz_s3_xml, UBSan: index -1 out of bounds).
 */
static void test_empty_wrong_root(void **state)
{
	struct s3_error e = {0};
	struct s3_list_result r;

	assert_int_equal(s3_parse_error(S("<Other/>"), &e), ERR_PARSE);
	assert_string_equal(e.code, "");
	assert_int_equal(s3_parse_list(S("<ListBucketResultListBu/>b<Kn"), &r), ERR_PARSE);
	assert_int_equal(r.count, 0);
	s3_list_result_release(&r);
	assert_int_equal(s3_parse_list(S("<Error/>"), &r), ERR_PARSE);
	s3_list_result_release(&r);
}

static const char list_page[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>bucket</Name><Prefix>photos/</Prefix><KeyCount>2</KeyCount>"
	"<MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
	"<Contents><Key>photos/a+b%2Bc%25.jpg</Key>"
	"<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	"<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
	"<Size>434234</Size><StorageClass>STANDARD</StorageClass>"
	"<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
	"<Key>not-a-key</Key></Owner></Contents>"
	"<Contents><Key>photos/%C3%A9t%C3%A9/~x</Key>"
	"<LastModified>2024-02-29T23:59:59.123Z</LastModified>"
	"<ETag>\"abc-2\"</ETag><Size>0</Size></Contents>"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
	"NextContinuationToken>"
	"</ListBucketResult>";

static void test_list_page(void **state)
{
	struct s3_list_result r;

	assert_int_equal(s3_parse_list(S(list_page), &r), 0);
	assert_int_equal(r.count, 2);
	assert_true(r.truncated);
	assert_int_equal(r.key_count, 2);
	assert_string_equal(r.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

	/* url encoding-type: '+' is a space, %2B a plus. */
	assert_string_equal(r.items[0].key, "photos/a b+c%.jpg");
	assert_int_equal(r.items[0].size, 434234);
	assert_string_equal(r.items[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
	assert_int_equal(r.items[0].last_modified_ms, 1255369830000LL);

	assert_string_equal(r.items[1].key, "photos/\xc3\xa9t\xc3\xa9/~x");
	assert_int_equal(r.items[1].size, 0);
	assert_string_equal(r.items[1].etag, "\"abc-2\"");
	assert_int_equal(r.items[1].last_modified_ms, 1709251199123LL);

	s3_list_result_release(&r);
	assert_int_equal(r.count, 0);
	assert_null(r.items);
	assert_null(r.next_token);
}

static void test_list_last_page_not_encoded(void **state)
{
	static const char xml[] =
		"<ListBucketResult><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>"
		"<Contents><Key>a+b%20c</Key><Size>7</Size></Contents></ListBucketResult>";
	struct s3_list_result r;

	assert_int_equal(s3_parse_list(S(xml), &r), 0);
	assert_int_equal(r.count, 1);
	assert_false(r.truncated);
	assert_null(r.next_token);
	/* No EncodingType: the key is taken literally. */
	assert_string_equal(r.items[0].key, "a+b%20c");
	assert_int_equal(r.items[0].size, 7);
	assert_string_equal(r.items[0].etag, "");
	assert_int_equal(r.items[0].last_modified_ms, 0);
	s3_list_result_release(&r);
}

static void test_list_empty(void **state)
{
	struct s3_list_result r;

	assert_int_equal(s3_parse_list(S("<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
					 "<IsTruncated>false</IsTruncated></ListBucketResult>"),
				       &r),
			 0);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.key_count, 0);
	assert_false(r.truncated);
	s3_list_result_release(&r);

	/* Contents without a Key is dropped, not handed out with a NULL key. */
	assert_int_equal(s3_parse_list(S("<ListBucketResult><Contents><Size>1</Size></Contents>"
					 "</ListBucketResult>"),
				       &r),
			 0);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.key_count, -1);
	s3_list_result_release(&r);
}

static void test_list_rejects(void **state)
{
	static const char *const bad[] = {
		"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
		"<ListBucketResult><KeyCount>-1</KeyCount></ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>1x</Size></Contents>"
		"</ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Key>j</Key></Contents>"
		"</ListBucketResult>",
		"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key>"
		"</Contents></ListBucketResult>",
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Key>k</Key>",
	};
	struct s3_list_result r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(s3_parse_list(bad[i], strlen(bad[i]), &r), ERR_PARSE);
		s3_list_result_release(&r);
	}
}

static void test_list_caps(void **state)
{
	struct buf xml;
	struct s3_list_result r;
	char key[S3_MAX_KEY_LEN + 2];

	/* S3_MAX_LIST_KEYS entries parse; one more is refused. */
	buf_init(&xml, BUF_NOCAP);
	assert_int_equal(buf_adds(&xml, "<ListBucketResult>"), 0);
	for (int i = 0; i < S3_MAX_LIST_KEYS; i++)
		assert_int_equal(buf_addf(&xml, "<Contents><Key>k%04d</Key></Contents>", i), 0);
	assert_int_equal(buf_adds(&xml, "</ListBucketResult>"), 0);
	assert_int_equal(s3_parse_list(xml.ptr, xml.len, &r), 0);
	assert_int_equal(r.count, S3_MAX_LIST_KEYS);
	assert_string_equal(r.items[999].key, "k0999");
	s3_list_result_release(&r);

	buf_truncate(&xml, xml.len - strlen("</ListBucketResult>"));
	assert_int_equal(buf_adds(&xml, "<Contents><Key>extra</Key></Contents></ListBucketResult>"),
			 0);
	assert_int_equal(s3_parse_list(xml.ptr, xml.len, &r), ERR_PARSE);
	s3_list_result_release(&r);

	/* A key longer than S3 allows. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	buf_reset(&xml);
	assert_int_equal(buf_addf(&xml,
				  "<ListBucketResult><Contents><Key>%s</Key></Contents>"
				  "</ListBucketResult>",
				  key),
			 0);
	assert_int_equal(s3_parse_list(xml.ptr, xml.len, &r), ERR_PARSE);
	s3_list_result_release(&r);
	buf_release(&xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_doc),
		cmocka_unit_test(test_error_doc_truncates_long_fields),
		cmocka_unit_test(test_error_doc_rejects),
		cmocka_unit_test(test_empty_wrong_root),
		cmocka_unit_test(test_list_page),
		cmocka_unit_test(test_list_last_page_not_encoded),
		cmocka_unit_test(test_list_empty),
		cmocka_unit_test(test_list_rejects),
		cmocka_unit_test(test_list_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
