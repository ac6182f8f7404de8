/*
 * The JSON pull scanner (see preferences_json.h), after RFC 8259: whitespace
 * is space, tab, LF and CR; strings hold no control characters and only the
 * escapes \" \\ \/ \b \f \n \r \t \uXXXX (surrogates in pairs); numbers are
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. Strings are checked for
 * UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) as they are
 * scanned, so a raw slice is always valid text.
 */
#include "core/common.h"

#include "app/preferences_json.h"

void jscan_init(struct jscan *s, const char *text, size_t len)
{
	s->start = s->p = text;
	s->end = text + len;
	s->err = NULL;
	s->err_at = 0;
}

bool jscan_fail(struct jscan *s, const char *why)
{
	if (!s->err) {
		s->err = why;
		s->err_at = (size_t)(s->p - s->start);
	}
	return false;
}

char jscan_peek(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
	return s->p < s->end && !s->err ? *s->p : 0;
}

bool jscan_expect(struct jscan *s, char c, const char *what)
{
	if (s->err)
		return false;
	if (jscan_peek(s) != c)
		return jscan_fail(s, what);
	s->p++;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Length of the UTF-8 sequence at p (p < end, *p >= 0x80), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = c >= 0xc2 && c <= 0xdf   ? 2
		   : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4
					    : 0;

	if (!n || (size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/* Check the escape at p ('\\'); its length, or 0 when invalid. */
static size_t escape_len(const char *p, const char *end)
{
	int u, lo;

	if (end - p < 2)
		return 0;
	if (strchr("\"\\/bfnrt", p[1]) && p[1])
		return 2;
	if (p[1] != 'u' || end - p < 6 || (u = hex4(p + 2)) < 0)
		return 0;
	if (u >= 0xdc00 && u <= 0xdfff)
		return 0; /* a lone low surrogate */
	if (u < 0xd800 || u > 0xdbff)
		return 6;
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || (lo = hex4(p + 8)) < 0xdc00 ||
	    lo > 0xdfff)
		return 0;
	return 12;
}

bool jscan_string(struct jscan *s, struct jstring *out)
{
	const char *p;

	if (!jscan_expect(s, '"', "expected a string"))
		return false;
	out->escaped = false;
	for (p = s->p; p < s->end;) {
		unsigned char c = (unsigned char)*p;
		size_t n;

		if (c == '"') {
			out->raw = str_make(s->p, (size_t)(p - s->p));
			s->p = p + 1;
			return true;
		}
		if (c < 0x20) {
			s->p = p;
			return jscan_fail(s, "control character in a string");
		}
		if (c == '\\') {
			if (!(n = escape_len(p, s->end))) {
				s->p = p;
				return jscan_fail(s, "invalid escape in a string");
			}
			out->escaped = true;
			p += n;
		} else if (c >= 0x80) {
			if (!(n = utf8_seq((const unsigned char *)p,
					   (const unsigned char *)s->end))) {
				s->p = p;
				return jscan_fail(s, "invalid UTF-8 in a string");
			}
			p += n;
		} else {
			p++;
		}
	}
	s->p = s->end;
	return jscan_fail(s, "unterminated string");
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

long jscan_decode(const struct jstring *js, char *out, size_t cap)
{
	const char *p = js->raw.ptr, *end = js->raw.ptr + js->raw.len;
	size_t n = 0;

	if (!js->escaped) {
		if (js->raw.len + 1 > cap)
			return -1;
		memcpy(out, js->raw.ptr, js->raw.len);
		out[js->raw.len] = '\0';
		return (long)js->raw.len;
	}
	while (p < end) {
		char tmp[4];
		size_t k = 1;

		if (*p != '\\') {
			tmp[0] = *p++;
		} else if (p[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			tmp[0] = to[strchr(from, p[1]) - from];
			p += 2;
		} else {
			unsigned cp = (unsigned)hex4(p + 2);
			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     ((unsigned)hex4(p + 2) - 0xdc00);
				p += 6;
			}
			k = put_utf8(tmp, cp);
		}
		if (n + k + 1 > cap)
			return -1;
		memcpy(out + n, tmp, k);
		n += k;
	}
	out[n] = '\0';
	return (long)n;
}

static bool literal(struct jscan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return false;
	s->p += n;
	return true;
}

bool jscan_bool(struct jscan *s, bool *out)
{
	char c = jscan_peek(s);

	if (c == 't' && literal(s, "true"))
		return *out = true, true;
	if (c == 'f' && literal(s, "false"))
		return *out = false, true;
	return jscan_fail(s, "expected true or false");
}

/* Scan a number; its slice, and whether it was written as an integer. */
static bool number(struct jscan *s, struct str *text, bool *integer)
{
	const char *p = s->p, *e = s->end;

	*integer = true;
	if (p < e && *p == '-')
		p++;
	if (p >= e || !(*p >= '0' && *p <= '9'))
		return jscan_fail(s, "expected a number");
	if (*p == '0')
		p++;
	else
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	if (p < e && *p == '.') {
		*integer = false;
		if (++p >= e || !(*p >= '0' && *p <= '9'))
			return jscan_fail(s, "malformed number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		*integer = false;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !(*p >= '0' && *p <= '9'))
			return jscan_fail(s, "malformed number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	*text = str_make(s->p, (size_t)(p - s->p));
	s->p = p;
	return true;
}

bool jscan_int(struct jscan *s, long long min, long long max, long long *out)
{
	struct str text;
	bool integer;

	jscan_peek(s);
	if (s->err || !number(s, &text, &integer))
		return false;
	if (!integer || str_to_i64(text, min, max, out)) {
		s->p -= text.len;
		return jscan_fail(s, "expected an integer in range");
	}
	return true;
}

static bool skip_depth(struct jscan *s, int depth)
{
	struct jstring js;
	struct str text;
	bool first = true, integer, b;
	int r;

	if (depth > JSCAN_MAX_DEPTH)
		return jscan_fail(s, "nested too deeply");
	switch (jscan_peek(s)) {
	case '{':
		if (!jscan_object_begin(s))
			return false;
		while ((r = jscan_object_next(s, &js, &first)) == 1)
			if (!skip_depth(s, depth + 1))
				return false;
		return r == 0;
	case '[':
		if (!jscan_array_begin(s))
			return false;
		while ((r = jscan_array_next(s, &first)) == 1)
			if (!skip_depth(s, depth + 1))
				return false;
		return r == 0;
	case '"':
		return jscan_string(s, &js);
	case 't':
	case 'f':
		return jscan_bool(s, &b);
	case 'n':
		return literal(s, "null") || jscan_fail(s, "expected a value");
	default:
		return number(s, &text, &integer);
	}
}

bool jscan_skip(struct jscan *s)
{
	return !s->err && skip_depth(s, 1);
}

bool jscan_object_begin(struct jscan *s)
{
	return jscan_expect(s, '{', "expected an object");
}

int jscan_object_next(struct jscan *s, struct jstring *name, bool *first)
{
	char c = jscan_peek(s);

	if (s->err)
		return -1;
	if (c == '}') {
		s->p++;
		return 0;
	}
	if (!*first && !jscan_expect(s, ',', "expected ',' or '}'"))
		return -1;
	*first = false;
	if (!jscan_string(s, name) || !jscan_expect(s, ':', "expected ':'"))
		return -1;
	return 1;
}

bool jscan_array_begin(struct jscan *s)
{
	return jscan_expect(s, '[', "expected an array");
}

int jscan_array_next(struct jscan *s, bool *first)
{
	char c = jscan_peek(s);

	if (s->err)
		return -1;
	if (c == ']') {
		s->p++;
		return 0;
	}
	if (!*first && !jscan_expect(s, ',', "expected ',' or ']'"))
		return -1;
	*first = false;
	return 1;
}

bool jscan_at_end(struct jscan *s)
{
	jscan_peek(s);
	return !s->err && s->p == s->end;
}

bool jscan_is(const struct jstring *js, const char *lit)
{
	return !js->escaped && str_eq_cstr(js->raw, lit);
}
