/*
 * Fuzz the reader of /proc/net/tcp rows (src/local/dev_peer.c,
 * dev_peer_parse_row()): every line of the input is parsed as a row.
 * Checked: a row that parses has its fields from the line (a ':' ends its
 * first field), and the parser never reads past the line's length.
 */
#include "core/common.h"

#include "local/dev_peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct dev_peer_row r;
		char *copy = malloc(len ? len : 1); /* exactly the line: ASan sees an overread */

		if (!copy)
			return 0;
		memcpy(copy, p, len);
		if (dev_peer_parse_row(copy, len, &r) == 0 && !memchr(copy, ':', len))
			abort();
		free(copy);
		p += len + 1;
	}
	return 0;
}
