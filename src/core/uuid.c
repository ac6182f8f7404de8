/* Random UUIDs (RFC 9562 section 5.4) and a syntax check for any version. */
#include "core/common.h"

#include "core/enc.h"
#include "core/uuid.h"

int uuid_v4(char out[UUID_STR_LEN + 1])
{
	uint8_t b[16];
	char hex[33];

	if (random_bytes(b, sizeof(b)))
		return ERR_IO;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx */
	hex_lower(hex, b, sizeof(b));
	size_t o = 0;
	for (size_t i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = hex[i];
	}
	out[o] = '\0';
	return 0;
}

bool uuid_valid(const char *s, size_t len)
{
	if (!s || len != UUID_STR_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}
