/*
 * The fast path of reading a function's answer (apigw_gw_int.h): most
 * answers are a small object of a status, a few string headers and a
 * string body, and parsing them into a jansson tree cost more instructions
 * per request than anything else the gateway did after the event.
 *
 * One pass checks the whole text against the subset it reads (and the
 * UTF-8 and escapes jansson would refuse), a second reads the members in
 * the order the full parser does. It takes only what it can read exactly
 * as the full parser would; on anything else (a malformed answer, a
 * \u escape, a duplicate key, a number with a fraction, a deeper value, a
 * header the model refuses) it declines, and the full parser runs and
 * gives the answer and the reason.
 */
#include "core/common.h"

#include "lambda/apigw_gw_int.h"
#include "lambda/apigw_int.h"

/* Members of one object the fast path reads; more go to the full parser. */
#define FAST_MEMBERS_MAX 64
/* Digits of an integer the fast path reads (no overflow in int64_t). */
#define FAST_DIGITS_MAX 18

enum kind { K_STRING, K_INT, K_TRUE, K_FALSE, K_NULL, K_OBJECT, K_ARRAY };

struct member {
	struct str key; /* raw, without escapes (keys with escapes are declined) */
	const char *at; /* the value's first byte */
	enum kind kind;
	int64_t num; /* K_INT */
};

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* At '"': the raw text up to the closing quote in `raw`, `*esc` when it has escapes. */
static bool scan_string(struct scan *s, struct str *raw, bool *esc)
{
	const char *p = s->p + 1;
	uint32_t cp;
	size_t n;

	*esc = false;
	while (p < s->end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			*raw = str_make(s->p + 1, (size_t)(p - s->p - 1));
			s->p = p + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (p + 1 >= s->end || !p[1] || !strchr("\"\\/bfnrt", p[1]))
				return false; /* \u and anything invalid: the full parser */
			*esc = true;
			p += 2;
		} else if (c >= 0x80) {
			if (!(n = utf8_decode(p, (size_t)(s->end - p), &cp)))
				return false;
			p += n;
		} else {
			p++;
		}
	}
	return false;
}

static bool scan_literal(struct scan *s, const char *word, size_t len)
{
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len))
		return false;
	s->p += len;
	return true;
}

/* An integer as JSON writes it (no fraction, no exponent, no leading zero). */
static bool scan_int(struct scan *s, int64_t *out)
{
	bool neg = s->p < s->end && *s->p == '-';
	const char *start = s->p + neg, *p = start;
	int64_t v = 0;

	while (p < s->end && *p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	if (p == start || p - start > FAST_DIGITS_MAX || (*start == '0' && p - start > 1) ||
	    (p < s->end && (*p == '.' || *p == 'e' || *p == 'E')))
		return false;
	s->p = p;
	*out = neg ? -v : v;
	return true;
}

static bool scan_object(struct scan *s, int depth, struct member *m, size_t *n);

/* Strings only: the arrays of cookies and multiValueHeaders. */
static bool scan_array(struct scan *s)
{
	struct str raw;
	bool esc;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"' || !scan_string(s, &raw, &esc))
			return false;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return true;
		}
		return false;
	}
}

/* One value; objects at depth 0 only (the headers maps), arrays of strings. */
static bool scan_value(struct scan *s, int depth, struct member *m)
{
	struct member inner[FAST_MEMBERS_MAX];
	struct str raw;
	size_t n;
	bool esc;

	if (s->p >= s->end)
		return false;
	m->at = s->p;
	switch (*s->p) {
	case '"':
		m->kind = K_STRING;
		return scan_string(s, &raw, &esc);
	case '{':
		m->kind = K_OBJECT;
		return depth == 0 && scan_object(s, depth + 1, inner, &n);
	case '[':
		m->kind = K_ARRAY;
		return scan_array(s);
	case 't':
		m->kind = K_TRUE;
		return scan_literal(s, "true", 4);
	case 'f':
		m->kind = K_FALSE;
		return scan_literal(s, "false", 5);
	case 'n':
		m->kind = K_NULL;
		return scan_literal(s, "null", 4);
	default:
		m->kind = K_INT;
		return scan_int(s, &m->num);
	}
}

/* At '{': its members into `m` (at most FAST_MEMBERS_MAX, keys unique and unescaped). */
static bool scan_object(struct scan *s, int depth, struct member *m, size_t *n)
{
	bool esc;

	*n = 0;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (*n == FAST_MEMBERS_MAX || s->p >= s->end || *s->p != '"')
			return false;
		struct member *cur = &m[*n];
		if (!scan_string(s, &cur->key, &esc) || esc)
			return false;
		for (size_t i = 0; i < *n; i++)
			if (str_eq(m[i].key, cur->key))
				return false; /* jansson keeps the last value in the first place */
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		skip_ws(s);
		if (!scan_value(s, depth, cur))
			return false;
		(*n)++;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return true;
		}
		return false;
	}
}

/* The string value at `at` (checked by the scan), decoded and appended to `out`. */
static int decode_at(const char *at, const char *end, struct buf *out)
{
	struct scan s = {at, end};
	struct str raw;
	bool esc;
	int err = 0;

	if (!scan_string(&s, &raw, &esc))
		return ERR_UNSUPPORTED;
	if (!esc)
		return buf_add(out, raw.ptr, raw.len);
	for (size_t i = 0; i < raw.len && !err;) {
		size_t run = i;
		while (run < raw.len && raw.ptr[run] != '\\')
			run++;
		err = buf_add(out, raw.ptr + i, run - i);
		if (err || run == raw.len)
			break;
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		err = buf_addch(out, to[strchr(from, raw.ptr[run + 1]) - from]);
		i = run + 2;
	}
	return err;
}

/* The member named `name` of `m`, or NULL; JSON null reads as absent. */
static const struct member *find(const struct member *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq_cstr(m[i].key, name))
			return m[i].kind == K_NULL ? NULL : &m[i];
	return NULL;
}

/* True when a key of `m` is `key`, ASCII case-insensitively (null values count). */
static bool has_key_icase(const struct member *m, size_t n, struct str key)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].key.len == key.len && !strncasecmp(m[i].key.ptr, key.ptr, key.len))
			return true;
	return false;
}

struct fast {
	const char *end;
	struct apigw_response *out;
	struct buf name, value; /* scratch: C strings for the model's setters */
};

/* Add header `key` = the string at `at` (or cookie, when `key` is NULL). */
static int add(struct fast *f, struct str key, const char *at, bool cookie)
{
	int err;

	buf_reset(&f->name);
	buf_reset(&f->value);
	if ((err = buf_add(&f->name, key.ptr, key.len)) || (err = decode_at(at, f->end, &f->value)))
		return err;
	/* A NUL cannot be in either (no \u); the model refuses what it must. */
	err = cookie ? apigw_response_add_cookie(f->out, f->value.ptr)
		     : apigw_response_add_header(f->out, f->name.ptr, f->value.ptr);
	return err ? ERR_UNSUPPORTED : 0;
}

/* The members of the object at `at`, scanned again (the first scan checked it). */
static bool members_at(struct fast *f, const char *at, struct member *m, size_t *n)
{
	struct scan s = {at, f->end};
	return scan_object(&s, 1, m, n);
}

/* Each string of the array at `at`: a header named `key`, or a cookie. */
static int fast_array(struct fast *f, struct str key, const char *at, bool cookie)
{
	struct scan s = {at + 1, f->end};
	struct str raw;
	bool esc;
	int err;

	for (;;) {
		skip_ws(&s);
		if (s.p >= s.end)
			return ERR_UNSUPPORTED;
		if (*s.p == ']')
			return 0;
		if (*s.p == ',') {
			s.p++;
			continue;
		}
		const char *value = s.p;
		if (!scan_string(&s, &raw, &esc))
			return ERR_UNSUPPORTED;
		if ((err = add(f, key, value, cookie)))
			return err;
	}
}

/* headers (but the names multiValueHeaders has), then multiValueHeaders, as parse_structured(). */
static int fast_headers(struct fast *f, const struct member *headers, const struct member *multi)
{
	struct member h[FAST_MEMBERS_MAX], mh[FAST_MEMBERS_MAX];
	size_t nh = 0, nmh = 0;
	int err;

	if ((headers && !members_at(f, headers->at, h, &nh)) ||
	    (multi && !members_at(f, multi->at, mh, &nmh)))
		return ERR_UNSUPPORTED;
	for (size_t i = 0; i < nh; i++) {
		if (h[i].kind == K_NULL || has_key_icase(mh, nmh, h[i].key))
			continue;
		if (h[i].kind != K_STRING)
			return ERR_UNSUPPORTED;
		if ((err = add(f, h[i].key, h[i].at, false)))
			return err;
	}
	for (size_t i = 0; i < nmh; i++) {
		if (mh[i].kind == K_NULL)
			continue;
		if (mh[i].kind != K_ARRAY)
			return ERR_UNSUPPORTED;
		if ((err = fast_array(f, mh[i].key, mh[i].at, false)))
			return err;
	}
	return 0;
}

int apigw_response_fast(const char *json, size_t len, int version, struct apigw_response *out)
{
	struct member top[FAST_MEMBERS_MAX];
	struct scan s;
	struct fast f = {.out = out};
	const struct member *sc, *headers, *multi = NULL, *cookies = NULL, *body, *b64;
	size_t n;
	int err;

	if (!json)
		return ERR_UNSUPPORTED;
	s = (struct scan){json, json + len};
	f.end = s.end;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{' || !scan_object(&s, 0, top, &n))
		return ERR_UNSUPPORTED;
	skip_ws(&s);
	if (s.p != s.end)
		return ERR_UNSUPPORTED;
	/* Every type parse_structured() would refuse is declined here, before any setter. */
	sc = find(top, n, "statusCode");
	headers = find(top, n, "headers");
	if (version == APIGW_V1)
		multi = find(top, n, "multiValueHeaders");
	else
		cookies = find(top, n, "cookies");
	body = find(top, n, "body");
	b64 = find(top, n, "isBase64Encoded");
	if (!sc || sc->kind != K_INT || sc->num < 100 || sc->num > 599 ||
	    (headers && headers->kind != K_OBJECT) || (multi && multi->kind != K_OBJECT) ||
	    (cookies && cookies->kind != K_ARRAY) || (body && body->kind != K_STRING) ||
	    (b64 && b64->kind != K_TRUE && b64->kind != K_FALSE))
		return ERR_UNSUPPORTED;
	out->status = (int)sc->num;
	buf_init(&f.name, BUF_NOCAP);
	buf_init(&f.value, BUF_NOCAP);
	err = fast_headers(&f, headers, multi);
	if (!err && cookies)
		err = fast_array(&f, str_make("", 0), cookies->at, true);
	if (!err && body && b64 && b64->kind == K_TRUE) {
		out->binary = true;
		buf_reset(&f.value);
		err = decode_at(body->at, f.end, &f.value);
		if (!err)
			err = b64_decode(&out->body, f.value.ptr, f.value.len);
	} else if (!err && body) {
		err = decode_at(body->at, f.end, &out->body);
	}
	buf_release(&f.name);
	buf_release(&f.value);
	return err ? ERR_UNSUPPORTED : 0;
}
