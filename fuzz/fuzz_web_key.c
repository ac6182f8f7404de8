/*
 * Fuzz the local front's path-to-key reader (src/local/web/web_req.c): a
 * key is returned only for a path starting with '/', it is valid UTF-8
 * without NUL, and a failure leaves the buffer untouched.
 */
#include "core/common.h"

#include "core/enc.h"
#include "local/web/web_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf key;
	int err;

	buf_init(&key, 1024);
	err = web_key_from_path(str_make((const char *)data, size), &key);
	if (err && key.len)
		abort();
	if (!err && (!size || data[0] != '/' || memchr(key.ptr, '\0', key.len) ||
		     !utf8_valid(key.ptr, key.len) || key.len > size))
		abort();
	buf_release(&key);
	return 0;
}
