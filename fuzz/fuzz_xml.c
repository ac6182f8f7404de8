/*
 * Fuzz the shared XML reader (src/core/xml.c) and the writer behind it: every
 * element the reader hands out must respect the limits, and every text it
 * hands out, written back with xml_text(), must read back as a document.
 */
#include "core/common.h"

#include "core/xml.h"

static const struct xml_limits lim = {.max_doc = 1 << 16, .max_text = 512, .max_depth = 6};

static int on_close(void *ctx, const struct xml_reader *x, const char *name, struct str t)
{
	static const struct xml_limits back = {
		.max_doc = 1 << 16, .max_text = 4096, .max_depth = 1};
	struct buf b;

	if (xml_depth(x) < 1 || xml_depth(x) > lim.max_depth || t.len > lim.max_text ||
	    strlen(name) >= XML_NAME_MAX)
		abort();
	buf_init(&b, 1 << 16);
	xml_el(&b, "T", t.ptr, t.len);
	if (buf_error(&b) || xml_read(b.ptr, b.len, &back, &(struct xml_handler){0}, NULL))
		abort();
	buf_release(&b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xml_handler h = {NULL, on_close};

	(void)xml_read((const char *)data, size, &lim, &h, NULL);
	return 0;
}
