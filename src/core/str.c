/*
 * Operations on borrowed slices (str.h). Nothing here allocates except
 * str_dup(), and nothing reads past `len`: slices are not NUL-terminated.
 */
#include "core/common.h"

#include "core/str.h"

bool str_eq(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool str_eq_cstr(struct str a, const char *b)
{
	return str_eq(a, str_from(b));
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

bool str_ieq(struct str a, struct str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (ascii_lower(a.ptr[i]) != ascii_lower(b.ptr[i]))
			return false;
	return true;
}

bool str_ieq_cstr(struct str a, const char *b)
{
	return str_ieq(a, str_from(b));
}

bool str_has_prefix(struct str s, struct str prefix)
{
	return s.len >= prefix.len &&
	       (prefix.len == 0 || memcmp(s.ptr, prefix.ptr, prefix.len) == 0);
}

bool str_has_suffix(struct str s, struct str suffix)
{
	return s.len >= suffix.len &&
	       (suffix.len == 0 || memcmp(s.ptr + s.len - suffix.len, suffix.ptr, suffix.len) == 0);
}

long str_index(struct str s, char c)
{
	if (s.len == 0)
		return -1;
	const char *p = memchr(s.ptr, c, s.len);
	return p ? (long)(p - s.ptr) : -1;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

struct str str_trim(struct str s)
{
	while (s.len && is_ows(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_ows(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

struct str str_split(struct str s, char sep, struct str *head, bool *found)
{
	long i = str_index(s, sep);
	if (i < 0) {
		*head = s;
		if (found)
			*found = false;
		return STR_NULL;
	}
	*head = str_make(s.ptr, (size_t)i);
	if (found)
		*found = true;
	return str_make(s.ptr + i + 1, s.len - (size_t)i - 1);
}

int str_to_i64(struct str s, long long min, long long max, long long *out)
{
	size_t i = 0;
	bool neg = false;
	unsigned long long v = 0;
	/* The magnitude limit: LLONG_MAX, or one more for a negative value. */
	unsigned long long lim = (unsigned long long)LLONG_MAX;

	if (s.len == 0)
		return ERR_PARSE;
	if (s.ptr[0] == '-' && min < 0) {
		neg = true;
		lim += 1;
		i = 1;
	}
	if (i == s.len)
		return ERR_PARSE;
	for (; i < s.len; i++) {
		char c = s.ptr[i];
		if (c < '0' || c > '9')
			return ERR_PARSE;
		unsigned d = (unsigned)(c - '0');
		if (v > (lim - d) / 10)
			return ERR_PARSE;
		v = v * 10 + d;
	}
	long long r;
	if (neg)
		r = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	else
		r = (long long)v;
	if (r < min || r > max)
		return ERR_PARSE;
	*out = r;
	return 0;
}

char *str_dup(struct str s)
{
	char *p = malloc(s.len + 1);
	if (!p)
		return NULL;
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}
