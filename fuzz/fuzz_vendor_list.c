/*
 * Fuzz the Global Vendor List reader (src/app/vendor_list.c). Checked on
 * every list it accepts: the index finds each vendor at its own id and no
 * other, names are NUL-terminated inside the table, id lists hold ids in
 * range, the table's size stays within a small multiple of the input's, and
 * a refusal always says why.
 */
#include "core/common.h"

#include "app/vendor_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vendor_list *vl = NULL;
	char why[256] = "";
	int err = vendor_list_parse((const char *)data, size, &vl, why, sizeof(why));

	if (err) {
		if (vl || !why[0] || (err != ERR_PARSE && err != ERR_NOMEM))
			abort();
		return 0;
	}
	if (vl->bytes > 16 * size + 4 * ((size_t)vl->max_vendor_id + 1) + 4096)
		abort();
	for (size_t i = 0; i < vl->nvendors; i++) {
		const struct gvl_vendor *v = &vl->vendors[i];

		if (vendor_list_find(vl, v->id) != v || !v->name || strlen(v->name) > size)
			abort();
		for (size_t k = 0; k < v->npurposes; k++)
			if (v->purposes[k] == 0 || v->purposes[k] > GVL_MAX_PURPOSE_ID)
				abort();
	}
	if (vendor_list_find(vl, 0) || vendor_list_find(vl, vl->max_vendor_id + 1))
		abort();
	vendor_list_free(vl);
	return 0;
}
