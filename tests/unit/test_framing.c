/*
 * Unit tests for the request framing reader (src/http/framing.c). Every
 * case is fed whole, one byte at a time and in pieces of three, and must
 * read the same way each time: the transcript below does not depend on how
 * the input was split.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "http/framing.h"

static const struct http_framing_limits limits = {
	.head_max = 64,
	.head_raw_max = 128,
	.body_max = 16,
};

static const char *reason_name(enum http_framing_reason r)
{
	static const char *const names[] = {"NONE",
#define X(name, refusal, text) #name,
					    HTTP_FRAMING_REASONS(X)
#undef X
	};
	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "?";
}

/*
 * The transcript of `in` fed in pieces of `step` bytes (0: whole): one letter
 * per byte, H for head, D for payload, F for chunk framing; '|' after the
 * byte that ends a head, '#' after the one that ends a request. A refusal
 * cuts the letters after the last '|' or '#' (how many were returned before
 * it depends on the split) and appends "!REASON@pos".
 */
static void transcript(const char *in, size_t len, size_t step, struct http_framing *f, char *out,
		       size_t cap)
{
	size_t o = 0, at = 0;

	http_framing_init(f, &limits);
	while (at < len) {
		size_t piece = step ? MIN(step, len - at) : len - at, used = 0;
		while (used < piece) {
			ssize_t n = http_framing_feed(f, in + at + used, piece - used);
			if (n < 0) {
				while (o > 0 && out[o - 1] != '|' && out[o - 1] != '#')
					o--;
				snprintf(out + o, cap - o, "!%s@%" PRIu64, reason_name(f->reason),
					 f->pos);
				return;
			}
			assert_true(n > 0);
			for (ssize_t i = 0; i < n && o + 3 < cap; i++)
				out[o++] = f->part == HTTP_PART_HEAD   ? 'H'
					   : f->part == HTTP_PART_DATA ? 'D'
								       : 'F';
			if (f->head_done && o + 3 < cap)
				out[o++] = '|';
			if (f->message_done && o + 3 < cap)
				out[o++] = '#';
			used += (size_t)n;
		}
		at += piece;
	}
	out[o] = '\0';
}

/* Read `in` three ways; they must agree. Returns the transcript in `out`; `f` as after the whole
 * feed. */
static void read_all(const char *in, struct http_framing *f, char *out, size_t cap)
{
	char one[1024], three[1024];
	struct http_framing g;

	transcript(in, strlen(in), 0, f, out, cap);
	transcript(in, strlen(in), 1, &g, one, sizeof(one));
	assert_string_equal(out, one);
	transcript(in, strlen(in), 3, &g, three, sizeof(three));
	assert_string_equal(out, three);
}

/* The reason `in` is refused for, or "NONE". */
static const char *refused(const char *in)
{
	static char out[1024];
	struct http_framing f;
	char *bang, *at;

	read_all(in, &f, out, sizeof(out));
	bang = strchr(out, '!');
	if (!bang)
		return "NONE";
	at = strchr(bang, '@');
	if (at)
		*at = '\0';
	return bang + 1;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_get_and_pipelining(void **state)
{
	struct http_framing f;
	char out[1024];

	read_all("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", &f, out, sizeof(out));
	assert_string_equal(out, "HHHHHHHHHHHHHHHHHHHHHHHHHHHH|#");
	assert_int_equal(f.body, HTTP_BODY_NONE);
	assert_int_equal(f.method.len, 3);
	assert_int_equal(f.target.off, 4);
	assert_int_equal(f.target.len, 2);
	assert_int_equal(f.head_len, 28);
	assert_int_equal(f.head_end_len, 2);

	/* Bare LF line ends, as evhttp reads them; two requests back to back. */
	read_all("GET / HTTP/1.0\nA:b\n\nPOST / HTTP/1.1\nContent-Length: 3\n\nabc", &f, out,
		 sizeof(out));
	assert_string_equal(out, "HHHHHHHHHHHHHHHHHHHH|#"
				 "HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH|DDD#");
	assert_int_equal(f.body, HTTP_BODY_LENGTH);
	assert_int_equal(f.content_length, 3);
	assert_int_equal(f.head_end_len, 1);
}

static void test_request_line(void **state)
{
	assert_string_equal(refused("\r\nGET / HTTP/1.1\r\n\r\n"), "REQUEST_LINE");
	assert_string_equal(refused("GET  / HTTP/1.1\r\n\r\n"), "REQUEST_LINE");
	assert_string_equal(refused("GET /a b HTTP/1.1\r\n\r\n"), "VERSION");
	assert_string_equal(refused("GET /\x01 HTTP/1.1\r\n\r\n"), "REQUEST_LINE");
	assert_string_equal(refused("G(T / HTTP/1.1\r\n\r\n"), "REQUEST_LINE");
	assert_string_equal(refused("GET / HTTP/2.0\r\n\r\n"), "VERSION");
	assert_string_equal(refused("GET / HTTP/1.1 \r\n\r\n"), "VERSION");
	assert_string_equal(refused("GET / HTTP/1.1\rX"), "BARE_CR");
	assert_string_equal(refused("GET / HTTP/1.1\r\n\r\n"), "NONE");
	assert_string_equal(refused("PROPFIND /x HTTP/1.1\r\n\r\n"), "NONE");
}

static void test_fields(void **state)
{
	struct http_framing f;
	char out[1024];

	assert_string_equal(refused("GET / HTTP/1.1\r\nA : b\r\n\r\n"), "FIELD");
	assert_string_equal(refused("GET / HTTP/1.1\r\nA:b\r\n c\r\n\r\n"), "OBS_FOLD");
	assert_string_equal(refused("GET / HTTP/1.1\r\nA:b\rc\r\n\r\n"), "BARE_CR");
	assert_string_equal(refused("GET / HTTP/1.1\r\nA:b\x00"
				    "c\r\n\r\n"),
			    "NONE"); /* strlen stops at the NUL: the head is incomplete */
	assert_string_equal(refused("GET / HTTP/1.1\r\nA:b\x7f\r\n\r\n"), "FIELD");
	assert_string_equal(refused("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), "FIELD");
	assert_string_equal(refused("GET / HTTP/1.1\r\n:v\r\n\r\n"), "FIELD");
	assert_string_equal(refused("GET / HTTP/1.1\r\nA:\xff\xfe\t x\r\n\r\n"), "NONE");
	read_all("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", &f, out,
		 sizeof(out));
	assert_true(f.expect_continue);
	read_all("POST / HTTP/1.1\r\nExpect: 100-continuex\r\n\r\n", &f, out, sizeof(out));
	assert_false(f.expect_continue);
}

/* A NUL is refused wherever it is, which strlen-fed cases cannot show. */
static void test_nul(void **state)
{
	static const char in[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
	struct http_framing f;

	http_framing_init(&f, &limits);
	assert_int_equal(http_framing_feed(&f, in, sizeof(in) - 1), HTTP_FRAMING_REFUSED);
	assert_int_equal(f.reason, HTTP_REASON_FIELD);
	assert_int_equal(f.refusal, HTTP_REFUSAL_BAD_REQUEST);
	assert_int_equal(f.pos, 20);
	assert_int_equal(http_framing_feed(&f, "x", 1), HTTP_FRAMING_REFUSED);
}

static void test_content_length(void **state)
{
	struct http_framing f;
	char out[1024];

	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				    "Content-Length: 4\r\n\r\nabcd"),
			    "CL_REPEATED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				    "content-length: 3\r\n\r\nabc"),
			    "CL_REPEATED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc"),
			    "CL_INVALID");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc"),
			    "CL_INVALID");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"), "CL_INVALID");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"),
			    "CL_INVALID");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"),
			    "CL_INVALID");
	/* Past the cap: refused at the end of the head, before any body. */
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n"), "BODY_SIZE");
	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: "
				    "99999999999999999999999999\r\n\r\n"),
			    "BODY_SIZE");
	read_all("POST / HTTP/1.1\r\nContent-Length:  16 \t\r\n\r\n0123456789abcdef", &f, out,
		 sizeof(out));
	assert_int_equal(f.content_length, 16);
	assert_non_null(strstr(out, "|DDDDDDDDDDDDDDDD#"));
	read_all("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &f, out, sizeof(out));
	assert_int_equal(f.body, HTTP_BODY_NONE);
	/* evhttp reads no body for HEAD, TRACE or a method it does not know. */
	assert_string_equal(refused("HEAD / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"),
			    "BODY_NOT_READ");
	assert_string_equal(refused("TRACE / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
			    "BODY_NOT_READ");
	assert_string_equal(refused("FOO / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"),
			    "BODY_NOT_READ");
	assert_string_equal(refused("HEAD / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), "NONE");
	assert_string_equal(refused("get / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"),
			    "BODY_NOT_READ");
}

static void test_transfer_encoding(void **state)
{
	struct http_framing f;
	char out[1024];

	assert_string_equal(refused("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
			    "CL_AND_TE");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				    "Content-Length: 3\r\n\r\n0\r\n\r\n"),
			    "CL_AND_TE");
	assert_string_equal(refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
			    "TE_HTTP10");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
			    "TE_NOT_CHUNKED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
			    "TE_NOT_CHUNKED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n"),
			    "TE_NOT_CHUNKED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;a=b\r\n\r\n"),
			    "TE_NOT_CHUNKED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n"),
			    "TE_CHUNKED_TWICE");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
			    "TE_UNSUPPORTED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n"),
			    "TE_UNSUPPORTED");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: chun ked\r\n\r\n"),
			    "FIELD");
	assert_string_equal(refused("POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n"
				    "Transfer-Encoding: ,\r\nTransfer-Encoding: ,\r\n"
				    "Transfer-Encoding: ,\r\nTransfer-Encoding: ,\r\n\r\n"),
			    "TE_TOO_MANY");
	/* Empty list elements and case are fine; the field's line is remembered. */
	read_all("POST / HTTP/1.1\r\nA: b\r\nTransfer-Encoding: , CHUNKED ,\r\n\r\n0\r\n\r\n", &f,
		 out, sizeof(out));
	assert_int_equal(f.body, HTTP_BODY_CHUNKED);
	assert_int_equal(f.n_te, 1);
	assert_int_equal(f.te[0].off, 23);
	assert_int_equal(f.te[0].len, 32);
}

static void test_chunked(void **state)
{
	struct http_framing f;
	char out[1024];

	read_all("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "5\r\nhello\r\n3;ext=\"v\" ; x\r\nabc\n0\r\nT: v\r\n\r\n"
		 "GET / HTTP/1.1\r\n\r\n",
		 &f, out, sizeof(out));
	assert_string_equal(strchr(out, '|'), "|FFFDDDDDFFFFFFFFFFFFFFFFFDDDFFFFFFFFFFFF#"
					      "HHHHHHHHHHHHHHHHHH|#");
	read_all("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "0010  \r\n0123456789abcdef\r\n0\r\n\r\n",
		 &f, out, sizeof(out));
	assert_int_equal(f.decoded, 16);
	assert_int_equal(f.body, HTTP_BODY_CHUNKED);

#define CHUNKED_HEAD "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	assert_string_equal(refused(CHUNKED_HEAD "zz\r\nabc\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "0x5\r\nhello\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD " 5\r\nhello\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "-5\r\nhello\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "\r\n5\r\nhello\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "5 x\r\nhello\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "5;\x01\r\nhello\r\n0\r\n\r\n"), "CHUNK_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "5\rhello"), "BARE_CR");
	assert_string_equal(refused(CHUNKED_HEAD "5\r\nhelloX\r\n0\r\n\r\n"), "CHUNK_END");
	assert_string_equal(refused(CHUNKED_HEAD "5\r\nhello\rX"), "BARE_CR");
	/* Sizes are checked against the cap as soon as they are read. */
	assert_string_equal(refused(CHUNKED_HEAD "11\r\n"), "BODY_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "8\r\n01234567\r\n9\r\n"), "BODY_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "ffffffffffffffffffffffff\r\n"), "BODY_SIZE");
	assert_string_equal(refused(CHUNKED_HEAD "0\r\nT : v\r\n\r\n"), "TRAILER");
	assert_string_equal(refused(CHUNKED_HEAD "0\r\nT: v\r\n w\r\n\r\n"), "TRAILER");
}

static void test_chunk_line_cap(void **state)
{
	char *ext = repeat('x', HTTP_FRAMING_CHUNK_LINE_MAX);
	size_t cap = strlen(CHUNKED_HEAD) + HTTP_FRAMING_CHUNK_LINE_MAX + 64;
	char *in = malloc(cap);

	assert_non_null(in);
	snprintf(in, cap, CHUNKED_HEAD "1;%.*s\r\n", HTTP_FRAMING_CHUNK_LINE_MAX - 4, ext);
	assert_string_equal(refused(in), "NONE");
	snprintf(in, cap, CHUNKED_HEAD "1;%.*s\r\n", HTTP_FRAMING_CHUNK_LINE_MAX - 3, ext);
	assert_string_equal(refused(in), "CHUNK_LINE_SIZE");
	/* The trailer section, blank line included, against head_raw_max (128). */
	snprintf(in, cap, CHUNKED_HEAD "0\r\nT: %.*s\r\n\r\n", 121, ext);
	assert_string_equal(refused(in), "NONE");
	snprintf(in, cap, CHUNKED_HEAD "0\r\nT: %.*s\r\n\r\n", 122, ext);
	assert_string_equal(refused(in), "TRAILER_SIZE");
	free(in);
	free(ext);
}

/* head_max counts the request line and values; head_raw_max every byte. */
static void test_head_caps(void **state)
{
	char in[512];
	char *v = repeat('v', 200);

	/* "GET / HTTP/1.1" is 14 counted bytes: 50 more of values reach 64. */
	snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nA: %.*s\r\n\r\n", 50, v);
	assert_string_equal(refused(in), "NONE");
	snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nA: %.*s\r\n\r\n", 51, v);
	assert_string_equal(refused(in), "HEAD_SIZE");
	snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nA: %.*s\r\nB:  %.*s \r\n\r\n", 25, v, 24, v);
	assert_string_equal(refused(in), "NONE");
	snprintf(in, sizeof(in), "GET /%.*s HTTP/1.1\r\n\r\n", 60, v);
	assert_string_equal(refused(in), "HEAD_SIZE");
	/* Names are free for head_max, not for head_raw_max (128 bytes in all). */
	snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n%.*s:\r\n\r\n", 107, v);
	assert_string_equal(refused(in), "NONE");
	snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n%.*s:\r\n\r\n", 108, v);
	assert_string_equal(refused(in), "HEAD_RAW_SIZE");
	free(v);
}

static void test_reasons(void **state)
{
	assert_int_equal(http_refusal_status(HTTP_REFUSAL_BAD_REQUEST), 400);
	assert_int_equal(http_refusal_status(HTTP_REFUSAL_HEAD_TOO_LARGE), 431);
	assert_int_equal(http_refusal_status(HTTP_REFUSAL_BODY_TOO_LARGE), 413);
	assert_int_equal(http_refusal_status(HTTP_REFUSAL_NOT_IMPLEMENTED), 501);
	assert_int_equal(http_refusal_status(HTTP_REFUSAL_NONE), 0);
	assert_int_equal(http_framing_reason_refusal(HTTP_REASON_TE_UNSUPPORTED),
			 HTTP_REFUSAL_NOT_IMPLEMENTED);
	assert_string_equal(http_framing_reason_text(HTTP_REASON_CL_REPEATED),
			    "more than one Content-Length");
	assert_string_equal(http_framing_reason_text(HTTP_REASON_COUNT_), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_and_pipelining),
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_transfer_encoding),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunk_line_cap),
		cmocka_unit_test(test_head_caps),
		cmocka_unit_test(test_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
