/*
 * Request readers of the local CloudFront front (web_req.h). Inputs come
 * straight from a viewer, so every loop is bounded by the input's length
 * and nothing is read past it.
 */
#include "core/common.h"

#include <ctype.h>

#include "core/enc.h"
#include "local/web/web_req.h"

int web_key_from_path(struct str path, struct buf *key)
{
	size_t before = key->len;
	int err;

	if (!path.len || path.ptr[0] != '/')
		return ERR_PARSE;
	if (path.len > WEB_PATH_MAX)
		return ERR_TOOLARGE;
	err = uri_decode(key, path.ptr + 1, path.len - 1, false);
	if (!err && (memchr(key->ptr + before, '\0', key->len - before) ||
		     !utf8_valid(key->ptr + before, key->len - before)))
		err = ERR_PARSE;
	if (err)
		buf_truncate(key, before);
	return err;
}

/* A decimal of at most 19 digits at the start of `s`; advances `s`. */
static bool read_u64(struct str *s, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < s->len && i < 19 && isdigit((unsigned char)s->ptr[i]))
		v = v * 10 + (uint64_t)(s->ptr[i++] - '0');
	if (i == 0 || (i < s->len && isdigit((unsigned char)s->ptr[i])))
		return false;
	s->ptr += i;
	s->len -= i;
	*out = v;
	return true;
}

struct web_range web_range_parse(struct str h, uint64_t size)
{
	struct web_range none = {WEB_RANGE_NONE, 0, 0}, bad = {WEB_RANGE_UNSATISFIABLE, 0, 0};
	struct web_range r = {WEB_RANGE_OK, 0, 0};
	struct str s = str_trim(h);
	uint64_t a = 0, b = 0;
	bool has_a, has_b;

	if (!str_has_prefix(s, STR_LIT("bytes=")))
		return none;
	s.ptr += 6;
	s.len -= 6;
	s = str_trim(s);
	has_a = read_u64(&s, &a);
	if (!s.len || s.ptr[0] != '-')
		return none;
	s.ptr++;
	s.len--;
	has_b = read_u64(&s, &b);
	if (str_trim(s).len || (!has_a && !has_b) || (has_a && has_b && b < a))
		return none; /* trailing bytes (a second range) or nonsense: ignored */
	if (!has_a) {	     /* the last b bytes */
		if (b == 0 || size == 0)
			return bad;
		r.first = b >= size ? 0 : size - b;
		r.last = size - 1;
		return r;
	}
	if (a >= size)
		return bad;
	r.first = a;
	r.last = has_b && b < size - 1 ? b : size - 1;
	return r;
}

/* The q value of one coding's parameters ";q=0.5": false for q=0 (refused). */
static bool q_accepts(struct str params)
{
	struct str p, rest = params;
	bool found = true;

	while (found) {
		rest = str_split(rest, ';', &p, &found);
		p = str_trim(p);
		if (p.len >= 2 && (p.ptr[0] == 'q' || p.ptr[0] == 'Q') && p.ptr[1] == '=') {
			for (size_t i = 2; i < p.len; i++)
				if (p.ptr[i] != '0' && p.ptr[i] != '.')
					return true;
			return false;
		}
	}
	return true;
}

enum web_encoding web_accept_encoding(struct str h, bool br_ok)
{
	struct str item, rest = h, name, params;
	bool found = true, gzip = false, br = false, sep;

	while (found) {
		rest = str_split(rest, ',', &item, &found);
		params = str_split(item, ';', &name, &sep);
		name = str_trim(name);
		if (!sep)
			params = STR_NULL;
		if (!name.len || !q_accepts(params))
			continue;
		if (str_ieq_cstr(name, "gzip") || str_ieq_cstr(name, "x-gzip"))
			gzip = true;
		else if (str_ieq_cstr(name, "br"))
			br = true;
		else if (str_eq_cstr(name, "*"))
			gzip = br = true;
	}
	if (br && br_ok)
		return WEB_ENC_BR;
	return gzip ? WEB_ENC_GZIP : WEB_ENC_IDENTITY;
}

const char *web_encoding_name(enum web_encoding e)
{
	return e == WEB_ENC_GZIP ? "gzip" : e == WEB_ENC_BR ? "br" : NULL;
}

/* CloudFront's list ("File types that CloudFront compresses"). */
static const char *const compressible[] = {"application/dash+xml",
					   "application/eot",
					   "application/font",
					   "application/font-sfnt",
					   "application/javascript",
					   "application/json",
					   "application/opentype",
					   "application/otf",
					   "application/pkcs7-mime",
					   "application/protobuf",
					   "application/rss+xml",
					   "application/truetype",
					   "application/ttf",
					   "application/vnd.apple.mpegurl",
					   "application/vnd.ms-fontobject",
					   "application/xhtml+xml",
					   "application/xml",
					   "application/x-font-opentype",
					   "application/x-font-truetype",
					   "application/x-font-ttf",
					   "application/x-httpd-cgi",
					   "application/x-javascript",
					   "application/x-mpegurl",
					   "application/x-opentype",
					   "application/x-otf",
					   "application/x-perl",
					   "application/x-ttf",
					   "font/eot",
					   "font/opentype",
					   "font/otf",
					   "font/ttf",
					   "image/svg+xml",
					   "text/css",
					   "text/csv",
					   "text/html",
					   "text/javascript",
					   "text/js",
					   "text/plain",
					   "text/richtext",
					   "text/tab-separated-values",
					   "text/xml",
					   "text/x-component",
					   "text/x-java-source",
					   "text/x-script",
					   "vnd.apple.mpegurl"};

bool web_compressible_type(const char *type)
{
	struct str t, params;
	bool found;

	if (!type)
		return false;
	params = str_split(str_from(type), ';', &t, &found);
	(void)params;
	t = str_trim(t);
	for (size_t i = 0; i < ARRAY_SIZE(compressible); i++)
		if (str_ieq_cstr(t, compressible[i]))
			return true;
	return false;
}

bool web_etag_matches(struct str h, const char *etag)
{
	struct str s = str_trim(h);
	size_t elen = strlen(etag);

	if (str_eq_cstr(s, "*"))
		return true;
	while (s.len) {
		size_t i = 0, start;

		if (s.len >= 2 && s.ptr[0] == 'W' && s.ptr[1] == '/')
			i = 2;
		if (i >= s.len || s.ptr[i] != '"')
			return false;
		start = ++i;
		while (i < s.len && s.ptr[i] != '"')
			i++;
		if (i >= s.len)
			return false;
		if (i - start == elen && !memcmp(s.ptr + start, etag, elen))
			return true;
		s = str_trim(str_make(s.ptr + i + 1, s.len - i - 1));
		if (s.len && s.ptr[0] != ',')
			return false;
		if (s.len)
			s = str_trim(str_make(s.ptr + 1, s.len - 1));
	}
	return false;
}
