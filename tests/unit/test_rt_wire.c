/*
 * Unit tests for the Runtime API's answer parser and reader
 * (src/lambda/rt_wire.c): what a head may and may not be, and that an
 * answer read in any pieces, split at every byte, frames the same.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "lambda/rt_wire.h"

#define ANSWER_HEAD                                                                               \
	"HTTP/1.1 200 OK\r\n"                                                                     \
	"Content-Type: application/json\r\n"                                                      \
	"Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"                 \
	"lambda-runtime-deadline-ms:1542409706888\r\n"                                            \
	"Lambda-Runtime-Invoked-Function-Arn:  arn:aws:lambda:us-east-2:123456789012:function:f " \
	"\t\r\n"                                                                                  \
	"Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n"         \
	"Lambda-Runtime-Client-Context: e30=\r\n"                                                 \
	"Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\":\"x\"}\r\n"                      \
	"Date: Sun, 06 Dec 2026 23:00:00 GMT\r\n"                                                 \
	"Content-Length: 25\r\n"                                                                  \
	"\r\n"
#define ANSWER_BODY "{\"key\":\"value\",\"n\":12345}"
#define BODY_MAX    1024

static struct buf in;

static int setup(void **state)
{
	buf_init(&in, RT_WIRE_HEAD_MAX + BODY_MAX + RT_WIRE_READ_CHUNK);
	return 0;
}

static int teardown(void **state)
{
	buf_release(&in);
	return 0;
}

/* The value of field `f` of a head parsed from `p`, as a C string (static). */
static const char *field(const char *p, const struct rt_wire_head *h, enum rt_wire_field f)
{
	static char out[256];

	snprintf(out, sizeof(out), "%.*s", (int)h->field[f].len, p + h->field[f].off);
	return out;
}

/* Hand `len` bytes to the reader as reads would, never more than it asks for. */
static int feed(struct rt_wire_reader *r, const char *p, size_t len)
{
	while (len && !r->done) {
		char *at;
		size_t room, n;
		bool exact;
		int err = rt_wire_reader_space(r, &at, &room, &exact);

		if (err)
			return err;
		assert_true(room > 0);
		n = MIN(room, len);
		memcpy(at, p, n);
		err = rt_wire_reader_got(r, n);
		if (err)
			return err;
		p += n;
		len -= n;
	}
	return 0;
}

static void test_head_fields(void **state)
{
	static const char a[] = ANSWER_HEAD ANSWER_BODY;
	struct rt_wire_head h;
	ssize_t n = rt_wire_parse_head(a, sizeof(a) - 1, &h);

	assert_int_equal(n, sizeof(ANSWER_HEAD) - 1);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.minor, 1);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 25);
	assert_false(h.close);
	assert_false(h.duplicate);
	assert_string_equal(field(a, &h, RT_WIRE_REQUEST_ID),
			    "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
	assert_string_equal(field(a, &h, RT_WIRE_DEADLINE), "1542409706888");
	/* OWS around a value is not part of it (RFC 9112 5). */
	assert_string_equal(field(a, &h, RT_WIRE_FUNCTION_ARN),
			    "arn:aws:lambda:us-east-2:123456789012:function:f");
	assert_string_equal(field(a, &h, RT_WIRE_TRACE_ID),
			    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
	assert_string_equal(field(a, &h, RT_WIRE_CLIENT_CONTEXT), "e30=");
	assert_string_equal(field(a, &h, RT_WIRE_COGNITO_IDENTITY),
			    "{\"cognitoIdentityId\":\"x\"}");
	assert_true(h.present[RT_WIRE_COGNITO_IDENTITY]);
}

static void test_head_variants(void **state)
{
	struct rt_wire_head h;
	const char *p;

	/* No reason phrase; no request id (the loop asks again); an empty value. */
	p = "HTTP/1.1 202\r\nContent-Length: 0\r\nX-Empty:\r\n\r\n";
	assert_int_equal(rt_wire_parse_head(p, strlen(p), &h), strlen(p));
	assert_int_equal(h.status, 202);
	assert_false(h.present[RT_WIRE_REQUEST_ID]);
	assert_int_equal(h.field[RT_WIRE_REQUEST_ID].len, 0);

	/* HTTP/1.0 closes unless it keeps alive; Connection: close in a list. */
	p = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_true(rt_wire_parse_head(p, strlen(p), &h) > 0 && h.close && h.minor == 0);
	p = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
	assert_true(rt_wire_parse_head(p, strlen(p), &h) > 0 && !h.close);
	p = "HTTP/1.1 200 OK\r\nconnection: foo, CLOSE\r\nContent-Length: 0\r\n\r\n";
	assert_true(rt_wire_parse_head(p, strlen(p), &h) > 0 && h.close);

	/* Repeated Content-Length fields that agree (RFC 9110 8.6); obs-text in a value. */
	p = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX: caf\xc3\xa9\r\ncontent-length: 7\r\n\r\n";
	assert_true(rt_wire_parse_head(p, strlen(p), &h) > 0 && h.content_length == 7);

	/* A Lambda field given twice marks the head. */
	p = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\n"
	    "LAMBDA-RUNTIME-AWS-REQUEST-ID: b\r\nContent-Length: 0\r\n\r\n";
	assert_true(rt_wire_parse_head(p, strlen(p), &h) > 0 && h.duplicate);

	/* The largest Content-Length it reads: 19 digits. */
	p = "HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n";
	assert_true(rt_wire_parse_head(p, strlen(p), &h) > 0);
	assert_true(h.content_length == 9999999999999999999ull);
}

static void test_head_refused(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",		 /* bare LF */
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",			 /* bare CR */
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",		 /* obs-fold */
		"HTTP/1.1 200 OK\r\nX : a\r\n\r\n",			 /* space before colon */
		"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",			 /* no colon */
		"HTTP/1.1 200 OK\r\n: a\r\n\r\n",			 /* no name */
		"HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",			 /* control in value */
		"HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n",			 /* DEL in value */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", /* not spoken */
		"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",	 /* bad length */
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",	 /* negative */
		"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",	 /* sign */
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",		 /* empty */
		"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",	 /* a list */
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /* disagree */
		"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",   /* overflow */
		"HTTP/1.1 099 Low\r\n\r\n", /* status range */
		"HTTP/1.1 600 High\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n", /* two spaces */
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.2 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"\r\n\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n",
	};
	struct rt_wire_head h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ssize_t n = rt_wire_parse_head(bad[i], strlen(bad[i]), &h);

		if (n != RT_WIRE_MALFORMED)
			fail_msg("accepted #%zu: %s", i, bad[i]);
	}
	/* A NUL inside a value. */
	{
		static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";

		assert_int_equal(rt_wire_parse_head(nul, sizeof(nul) - 1, &h), RT_WIRE_MALFORMED);
	}
}

static void test_head_incomplete_and_cap(void **state)
{
	static const char a[] = ANSWER_HEAD;
	struct rt_wire_head h;
	size_t i, line = 32;
	char *big;

	assert_int_equal(rt_wire_parse_head(NULL, 0, &h), RT_WIRE_INCOMPLETE);
	for (i = 0; i < sizeof(a) - 1; i++)
		assert_int_equal(rt_wire_parse_head(a, i, &h), RT_WIRE_INCOMPLETE);

	/* A head of exactly RT_WIRE_HEAD_MAX bytes is read; one byte more is not. */
	big = malloc(RT_WIRE_HEAD_MAX + 2);
	assert_non_null(big);
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	for (i = 17; i + line + 2 <= RT_WIRE_HEAD_MAX; i += line) {
		memset(big + i, 'a', line - 2);
		big[i] = 'X', big[i + 1] = ':';
		big[i + line - 2] = '\r', big[i + line - 1] = '\n';
	}
	memset(big + i, 'b', RT_WIRE_HEAD_MAX - 2 - i);
	big[i] = 'Y', big[i + 1] = ':';
	memcpy(big + RT_WIRE_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(rt_wire_parse_head(big, RT_WIRE_HEAD_MAX, &h), RT_WIRE_HEAD_MAX);
	memmove(big + 18, big + 17, RT_WIRE_HEAD_MAX - 17);
	big[17] = 'Z';
	assert_int_equal(rt_wire_parse_head(big, RT_WIRE_HEAD_MAX + 1, &h), RT_WIRE_MALFORMED);
	/* Without an end in sight, a full cap is refused, not waited on. */
	assert_int_equal(rt_wire_parse_head(big, RT_WIRE_HEAD_MAX - 10, &h), RT_WIRE_INCOMPLETE);
	assert_int_equal(rt_wire_parse_head(big, RT_WIRE_HEAD_MAX, &h), RT_WIRE_MALFORMED);
	free(big);
}

static void check_answer(const struct rt_wire_reader *r)
{
	assert_true(r->done);
	assert_int_equal(r->head.status, 200);
	assert_int_equal(r->body_len, sizeof(ANSWER_BODY) - 1);
	assert_string_equal(rt_wire_reader_body(r), ANSWER_BODY);
	assert_false(r->truncated);
	assert_false(r->extra);
	assert_string_equal(field(in.ptr, &r->head, RT_WIRE_REQUEST_ID),
			    "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
}

static void test_reader_split_at_every_byte(void **state)
{
	static const char a[] = ANSWER_HEAD ANSWER_BODY;
	struct rt_wire_reader r;
	size_t k, i;

	for (k = 0; k <= sizeof(a) - 1; k++) {
		rt_wire_reader_init(&r, &in, BODY_MAX);
		assert_int_equal(feed(&r, a, k), 0);
		assert_true(r.done == (k == sizeof(a) - 1));
		assert_int_equal(feed(&r, a + k, sizeof(a) - 1 - k), 0);
		check_answer(&r);
	}
	/* One byte at a time. */
	rt_wire_reader_init(&r, &in, BODY_MAX);
	for (i = 0; i < sizeof(a) - 1; i++)
		assert_int_equal(feed(&r, a + i, 1), 0);
	check_answer(&r);
	assert_int_equal(r.received, sizeof(a) - 1);
}

static void test_reader_drains_long_bodies(void **state)
{
	static const char a[] =
		"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 40\r\n\r\n"
		"0123456789012345678901234567890123456789";
	struct rt_wire_reader r;
	size_t k;

	for (k = 0; k < sizeof(a) - 1; k++) {
		rt_wire_reader_init(&r, &in, 10);
		assert_int_equal(feed(&r, a, k), 0);
		assert_int_equal(feed(&r, a + k, sizeof(a) - 1 - k), 0);
		assert_true(r.done && r.truncated);
		assert_int_equal(r.head.status, 413);
		assert_int_equal(r.body_len, 10);
		assert_string_equal(rt_wire_reader_body(&r), "0123456789");
	}
}

static void test_reader_closes(void **state)
{
	static const char mid_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234";
	static const char mid_head[] = "HTTP/1.1 200 OK\r\nContent-Le";
	static const char to_close[] = "HTTP/1.1 200 OK\r\n\r\nall until the end";
	struct rt_wire_reader r;

	/* Closed before a byte, in the head, in a body of known length: errors. */
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(rt_wire_reader_eof(&r), ERR_HTTP);
	assert_int_equal(r.received, 0);
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, mid_head, sizeof(mid_head) - 1), 0);
	assert_int_equal(rt_wire_reader_eof(&r), ERR_HTTP);
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, mid_body, sizeof(mid_body) - 1), 0);
	assert_false(r.done);
	assert_int_equal(rt_wire_reader_eof(&r), ERR_HTTP);

	/* No Content-Length: the close ends the body (RFC 9112 6.3), capped. */
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, to_close, sizeof(to_close) - 1), 0);
	assert_false(r.done);
	assert_int_equal(rt_wire_reader_eof(&r), 0);
	assert_true(r.done && r.until_close && !r.truncated);
	assert_string_equal(rt_wire_reader_body(&r), "all until the end");
	rt_wire_reader_init(&r, &in, 3);
	assert_int_equal(feed(&r, to_close, sizeof(to_close) - 1), 0);
	assert_int_equal(rt_wire_reader_eof(&r), 0);
	assert_true(r.truncated);
	assert_string_equal(rt_wire_reader_body(&r), "all");
}

static void test_reader_interim_extra_and_empty(void **state)
{
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
				      "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok";
	static const char extra[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nokHTTP/1.1";
	static const char empty[] = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
	static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
	static const char garbage[] = "SSH-2.0-OpenSSH_9.6\r\n\r\n";
	struct rt_wire_reader r;
	size_t k;

	for (k = 0; k < sizeof(interim) - 1; k++) {
		rt_wire_reader_init(&r, &in, BODY_MAX);
		assert_int_equal(feed(&r, interim, k), 0);
		assert_int_equal(feed(&r, interim + k, sizeof(interim) - 1 - k), 0);
		assert_true(r.done);
		assert_int_equal(r.head.status, 202);
		assert_string_equal(rt_wire_reader_body(&r), "ok");
	}
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, extra, sizeof(extra) - 1), 0);
	assert_true(r.done && r.extra);
	assert_string_equal(rt_wire_reader_body(&r), "ok");

	/* 204 has no body, whatever its Content-Length says (RFC 9112 6.3). */
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, empty, sizeof(empty) - 1), 0);
	assert_true(r.done);
	assert_int_equal(r.body_len, 0);

	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, switching, sizeof(switching) - 1), ERR_PARSE);
	rt_wire_reader_init(&r, &in, BODY_MAX);
	assert_int_equal(feed(&r, garbage, sizeof(garbage) - 1), ERR_PARSE);
}

static void test_reader_oversized_head(void **state)
{
	struct rt_wire_reader r;
	char line[1024];
	size_t sent = 0;
	int err = 0;

	/* Fields without end: refused once the cap is reached, not buffered on. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "HTTP/1.1 200 OK\r\n", 17);
	line[sizeof(line) - 2] = '\r', line[sizeof(line) - 1] = '\n';
	rt_wire_reader_init(&r, &in, BODY_MAX);
	while (!err && sent <= RT_WIRE_HEAD_MAX) {
		err = feed(&r, line, sizeof(line));
		sent += sizeof(line);
		memcpy(line, "X-Pad: aaaaaaaaa", 16);
	}
	assert_int_equal(err, ERR_PARSE);
	assert_true(sent >= RT_WIRE_HEAD_MAX);
	assert_true(in.len <= RT_WIRE_HEAD_MAX + sizeof(line));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_fields),
		cmocka_unit_test(test_head_variants),
		cmocka_unit_test(test_head_refused),
		cmocka_unit_test(test_head_incomplete_and_cap),
		cmocka_unit_test_setup_teardown(test_reader_split_at_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_drains_long_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_interim_extra_and_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reader_oversized_head, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
