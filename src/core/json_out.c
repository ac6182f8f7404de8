/*
 * The JSON writer of json_out.h. The escaper scans runs of bytes that need
 * no escape (printable ASCII but '"' and '\\', and whole valid UTF-8
 * sequences) and appends each run with one copy; only the bytes that need
 * an escape are written one at a time. Small appends that fit in the buf's
 * allocation are copied inline, without buf_add()'s checks.
 */
#include "core/common.h"

#include "core/json_out.h"

#include "core/enc.h"
#include "core/json.h"

/* 1 for the bytes that stand for themselves inside a JSON string. */
static const unsigned char plain[256] = {
	[0x20] = 1,
	[0x21] = 1,
	[0x23 ... 0x5b] = 1,
	[0x5d ... 0x7f] = 1,
};

/* The bytes of a lowercased chunk, written through a small stack copy. */
#define LOWER_CHUNK 128

void json_out_init(struct json_out *o, struct buf *b)
{
	o->b = b;
	o->start = b->len;
	o->err = 0;
}

void json_out_raw(struct json_out *o, const char *s, size_t len)
{
	struct buf *b = o->b;

	if (o->err || !len)
		return;
	/* buf_grow()'s rule: room for `len` and the NUL, and never past the cap. */
	if (!b->err && b->alloc && len < b->alloc - b->len) {
		memcpy(b->ptr + b->len, s, len);
		b->len += len;
		b->ptr[b->len] = '\0';
		return;
	}
	o->err = buf_add(b, s, len);
}

static void raw_lower(struct json_out *o, const char *s, size_t len)
{
	char low[LOWER_CHUNK];

	while (len && !o->err) {
		size_t n = MIN(len, sizeof(low));
		for (size_t i = 0; i < n; i++)
			low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
		json_out_raw(o, low, n);
		s += n;
		len -= n;
	}
}

/* The escape of control character or quote `c`, as jansson writes it, into `out`. */
static size_t escape(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789ABCDEF";

	out[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		out[1] = (char)c;
		return 2;
	case '\b':
		out[1] = 'b';
		return 2;
	case '\f':
		out[1] = 'f';
		return 2;
	case '\n':
		out[1] = 'n';
		return 2;
	case '\r':
		out[1] = 'r';
		return 2;
	case '\t':
		out[1] = 't';
		return 2;
	default:
		out[1] = 'u';
		out[2] = '0';
		out[3] = '0';
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
}

/*
 * True when none of the 8 bytes at `p` needs an escape or is non-ASCII: the
 * word tests of "Bit Twiddling Hacks" (a byte below 0x20, a byte equal to
 * '"' or '\\', a high bit), exact as a yes/no for the whole word.
 */
static inline bool plain8(const char *p)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t x, q, b;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	return !(((x - ones * 0x20) & ~x & highs) | ((q - ones) & ~q & highs) |
		 ((b - ones) & ~b & highs) | (x & highs));
}

void json_out_chars(struct json_out *o, const char *s, size_t len, bool lower)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len && !o->err) {
		size_t start = i, n;
		while (i + 8 <= len && plain8(s + i))
			i += 8;
		while (i < len) {
			unsigned char c = (unsigned char)s[i];
			if (plain[c])
				i++;
			else if (c >= 0x80 && (n = utf8_decode(s + i, len - i, &cp)))
				i += n;
			else
				break;
		}
		if (i > start) {
			if (lower)
				raw_lower(o, s + start, i - start);
			else
				json_out_raw(o, s + start, i - start);
		}
		if (i == len)
			break;
		unsigned char c = (unsigned char)s[i++];
		if (c >= 0x80) {
			o->err = ERR_PARSE;
			return;
		}
		char seq[6];
		json_out_raw(o, seq, escape(c, seq));
	}
}

void json_out_str(struct json_out *o, const char *s, size_t len)
{
	JSON_OUT_LIT(o, "\"");
	json_out_chars(o, s, len, false);
	JSON_OUT_LIT(o, "\"");
}

void json_out_cstr(struct json_out *o, const char *s)
{
	json_out_str(o, s ? s : "", s ? strlen(s) : 0);
}

void json_out_int(struct json_out *o, int64_t v)
{
	char digits[24], *p = digits + sizeof(digits);
	/* The magnitude as unsigned, so that INT64_MIN does not overflow. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	json_out_raw(o, p, (size_t)(digits + sizeof(digits) - p));
}

void json_out_b64(struct json_out *o, const void *data, size_t len)
{
	JSON_OUT_LIT(o, "\"");
	if (!o->err)
		o->err = b64_encode(o->b, data, len);
	JSON_OUT_LIT(o, "\"");
}

void json_out_value(struct json_out *o, const json_t *v)
{
	if (!o->err)
		o->err = jsonx_dump(v, o->b, 0);
}

int json_out_finish(struct json_out *o)
{
	if (!o->err && o->b->err)
		o->err = o->b->err;
	if (o->err)
		buf_truncate(o->b, o->start);
	return o->err;
}
