/* Unit tests for the shared XML reader and writer (src/core/xml.c). */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/xml.h"

static const struct xml_limits lim = {.max_doc = 4096, .max_text = 64, .max_depth = 4};

/* Records "open name@depth" and "close name=text" events, '|' separated. */
static int rec_open(void *ctx, const struct xml_reader *x, const char *name)
{
	buf_putf(ctx, "+%s@%d|", name, xml_depth(x));
	return 0;
}

static int rec_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	buf_putf(ctx, "-%s=%.*s%s|", name, STR_FMT(t), xml_at(x, "Delete/Object/Key") ? "!" : "");
	return 0;
}

static const struct xml_handler rec = {rec_open, rec_close};

static int read_doc(const char *doc, struct buf *log)
{
	return xml_read(doc, strlen(doc), &lim, &rec, log);
}

static void test_reader_paths_and_text(void **state)
{
	struct buf log;
	buf_init(&log, 4096);
	assert_int_equal(read_doc("<?xml version=\"1.0\"?><Delete xmlns=\"x\"><Object>"
				  "<Key>a&amp;b&#x41;</Key></Object><Quiet>true</Quiet></Delete>",
				  &log),
			 0);
	assert_string_equal(log.ptr, "+Delete@1|+Object@2|+Key@3|-Key=a&bA!|-Object=|"
				     "+Quiet@2|-Quiet=true|-Delete=|");
	buf_release(&log);
}

static void test_reader_refusals(void **state)
{
	struct buf log;
	buf_init(&log, 4096);
	/* Entity expansion needs a DOCTYPE: refused before any entity is defined. */
	assert_int_equal(read_doc("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", &log), ERR_PARSE);
	assert_int_equal(read_doc("<a><b><c><d><e/></d></c></b></a>", &log), ERR_PARSE);
	assert_int_equal(read_doc("<a>", &log), ERR_PARSE);
	assert_int_equal(read_doc("", &log), ERR_PARSE);
	assert_int_equal(read_doc("just text", &log), ERR_PARSE);
	assert_int_equal(read_doc("<a>0123456789012345678901234567890123456789"
				  "0123456789012345678901234567890123456789</a>",
				  &log),
			 ERR_TOOLARGE);
	char name[80];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	char doc[200];
	snprintf(doc, sizeof(doc), "<%s/>", name);
	assert_int_equal(read_doc(doc, &log), ERR_PARSE);
	struct xml_limits tiny = lim;
	tiny.max_doc = 5;
	assert_int_equal(xml_read("<a></a>", 7, &tiny, &rec, &log), ERR_TOOLARGE);
	assert_int_equal(xml_read("<a/>", 4, &lim, &(struct xml_handler){NULL, NULL}, NULL), 0);
	buf_release(&log);
}

static int stop_at_b(void *ctx, const struct xml_reader *x, const char *name)
{
	return strcmp(name, "b") ? 0 : ERR_NOTFOUND;
}

static void test_reader_callback_error(void **state)
{
	struct xml_handler h = {stop_at_b, NULL};
	assert_int_equal(xml_read("<a><b/></a>", 11, &lim, &h, NULL), ERR_NOTFOUND);
	/* A refused root's end event must not reach a callback (depth stays sane). */
	assert_int_equal(xml_read("<b/>", 4, &lim, &h, NULL), ERR_NOTFOUND);
}

static void test_writer_escapes(void **state)
{
	struct buf b;
	buf_init(&b, 4096);
	xml_els(&b, "K", "a<b>&\"c'\r\n\t");
	assert_string_equal(b.ptr, "<K>a&lt;b&gt;&amp;&quot;c&apos;&#13;\n\t</K>");
	buf_reset(&b);
	/* NUL, other C0 controls and invalid UTF-8 become U+FFFD; valid UTF-8 stays. */
	xml_el(&b, "K", "x\0y\x01\xff\xc3\xa9\xed\xa0\x80", 10);
	assert_string_equal(b.ptr, "<K>x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd</K>");
	buf_reset(&b);
	xml_elf(&b, "Size", "%d", 42);
	xml_open(&b, "A");
	xml_close(&b, "A");
	assert_string_equal(b.ptr, "<Size>42</Size><A></A>");
	assert_int_equal(buf_error(&b), 0);
	buf_release(&b);
}

static int echo_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	if (xml_at(x, "K"))
		buf_put(ctx, t.ptr, t.len);
	return 0;
}

/* Whatever the writer is given, the reader reads back a document. */
static void test_writer_output_parses(void **state)
{
	char all[256];
	struct buf b, back;
	struct xml_handler h = {NULL, echo_close};
	struct xml_limits big = {.max_doc = 8192, .max_text = 4096, .max_depth = 2};

	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	buf_init(&b, 8192);
	buf_init(&back, 8192);
	xml_el(&b, "K", all, sizeof(all));
	assert_int_equal(xml_read(b.ptr, b.len, &big, &h, &back), 0);
	assert_true(back.len > 90); /* the printable ASCII made it through */
	assert_non_null(strstr(back.ptr, "0123456789:;<=>?@ABC"));
	assert_non_null(strstr(back.ptr, "\"#$%&'()"));
	buf_release(&b);
	buf_release(&back);
}

static void test_writer_sticky_error(void **state)
{
	struct buf b;
	buf_init(&b, 12);
	xml_els(&b, "Code", "NoSuchKey");
	assert_int_equal(buf_error(&b), ERR_TOOLARGE);
	size_t len = b.len;
	xml_els(&b, "A", "");
	assert_int_equal(b.len, len); /* nothing more after the first failure */
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_paths_and_text),
		cmocka_unit_test(test_reader_refusals),
		cmocka_unit_test(test_reader_callback_error),
		cmocka_unit_test(test_writer_escapes),
		cmocka_unit_test(test_writer_output_parses),
		cmocka_unit_test(test_writer_sticky_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
