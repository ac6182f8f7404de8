/*
 * Fuzz the CBOR decoder of CloudWatch's RPC v2 protocol (src/local/cloudwatch/
 * cw_cbor.c): whatever decodes must encode again, and decode to the same
 * value (a round trip), with timestamps tagged under "Timestamp".
 */
#include "core/common.h"

#include "local/cloudwatch/cw_cbor.h"

static bool time_key(const char *k)
{
	return !strcmp(k, "Timestamp");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_cbor_opts opts = {time_key};
	json_t *v = NULL, *again = NULL;
	struct buf b;

	if (cw_cbor_decode(data, size, &v, NULL, 0))
		return 0;
	buf_init(&b, (size_t)64 << 20);
	if (cw_cbor_encode(v, &opts, &b) == 0) {
		if (cw_cbor_decode(b.ptr, b.len, &again, NULL, 0) || !json_equal(v, again))
			abort(); /* what we write we must read back */
	}
	json_decref(again);
	json_decref(v);
	buf_release(&b);
	return 0;
}
