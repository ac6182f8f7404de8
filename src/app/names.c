/*
 * The object-name validator (see names.h for the rules and why they exist).
 * It decodes UTF-8 itself rather than calling utf8_valid() because it needs
 * the code points anyway to find C1 controls, which are two-byte sequences.
 */
#include "core/common.h"

#include "app/names.h"

_Static_assert(NAME_MAX_BYTES == 1024, "the message below names the limit");

/*
 * Decode one UTF-8 sequence at `s` (`len` > 0 bytes available) as RFC 3629
 * section 4 allows it. Returns the sequence length and sets `*cp`, or 0 when
 * the bytes are not well-formed.
 */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Rule 5: every '/'-separated segment is non-empty and neither "." nor "..". */
static const char *check_segments(const char *name, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '/')
			continue;
		size_t seg = i - start;
		if (seg == 0)
			return "name contains an empty path segment";
		if ((seg == 1 && name[start] == '.') ||
		    (seg == 2 && name[start] == '.' && name[start + 1] == '.'))
			return "name contains a '.' or '..' path segment";
		start = i + 1;
	}
	return NULL;
}

int name_validate(const char *name, size_t len, const char **reason)
{
	const char *why = NULL;

	if (!name || len == 0) {
		why = "name is empty";
		goto fail;
	}
	if (len > NAME_MAX_BYTES) {
		why = "name is longer than 1024 bytes";
		goto fail;
	}
	/* Rule 2 wins over rule 3 wherever the bytes are, so the reason does not
	 * depend on which problem comes first. */
	bool control = false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next((const unsigned char *)name + i, len - i, &cp);
		if (n == 0) {
			why = "name is not valid UTF-8";
			goto fail;
		}
		control = control || is_control(cp);
		i += n;
	}
	if (control) {
		why = "name contains a control character";
		goto fail;
	}
	if (name[0] == '/') {
		why = "name starts with '/'";
		goto fail;
	}
	why = check_segments(name, len);
	if (why)
		goto fail;
	if (reason)
		*reason = NULL;
	return 0;
fail:
	if (reason)
		*reason = why;
	return ERR_INVAL;
}
