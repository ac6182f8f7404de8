/*
 * The object-name validator (see names.h for the rules and why they exist).
 * It decodes UTF-8 one code point at a time (utf8_decode()) rather than
 * calling utf8_valid(), because it needs the code points anyway to find C1
 * controls, which are two-byte sequences.
 */
#include "core/common.h"

#include "app/names.h"
#include "core/enc.h"

_Static_assert(NAME_MAX_BYTES == 1024, "the message below names the limit");

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
		size_t n = utf8_decode(name + i, len - i, &cp);
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
