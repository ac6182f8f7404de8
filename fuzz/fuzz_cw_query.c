/*
 * Fuzz the query protocol of CloudWatch metrics (src/local/cloudwatch/
 * cw_proto.c): a form body becomes a JSON object, which is then written as
 * the protocol's XML answer and as an error; both must be built whole.
 */
#include "core/common.h"

#include "local/cloudwatch/cw_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char action[64], why[256];
	json_t *in = NULL;
	struct buf b;
	struct cw_error e = {0};

	if (cw_query_decode((const char *)data, size, &in, action, sizeof(action), why,
			    sizeof(why)))
		return 0;
	buf_init(&b, (size_t)16 << 20);
	cw_query_encode(action[0] ? "Op" : "Other", in, "request-id", &b);
	buf_reset(&b);
	cw_fail(&e, "InvalidParameterValue", "%s", action);
	cw_query_error(&e, "request-id", &b);
	buf_release(&b);
	json_decref(in);
	return 0;
}
