/*
 * Fuzz the object-name validator (src/app/names.c) and check its verdicts
 * against independent facts: an accepted name is 1 to NAME_MAX_BYTES bytes,
 * passes core's own UTF-8 checker (utf8_valid, a separate decoder), holds no
 * C0 or DEL byte, does not start with '/', and splits into segments that are
 * neither empty, "." nor ".."; and bytes that are not UTF-8 are always refused.
 * A disagreement aborts, so the replayed corpus is a regression test.
 */
#include "core/common.h"

#include "app/names.h"
#include "core/enc.h"

static bool segments_ok(const char *s, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		size_t n = i - start;
		if (n == 0 || (n == 1 && s[start] == '.') ||
		    (n == 2 && s[start] == '.' && s[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *reason = NULL;
	int err = name_validate(s, size, &reason);

	if (err != 0 && (err != ERR_INVAL || !reason || !reason[0]))
		abort();
	if (err == 0) {
		if (reason || size == 0 || size > NAME_MAX_BYTES || !utf8_valid(s, size) ||
		    s[0] == '/' || !segments_ok(s, size))
			abort();
		for (size_t i = 0; i < size; i++)
			if (data[i] < 0x20 || data[i] == 0x7f)
				abort();
	} else if (size > 0 && size <= NAME_MAX_BYTES && !utf8_valid(s, size) &&
		   strcmp(reason, "name is not valid UTF-8") != 0) {
		abort();
	}
	return 0;
}
