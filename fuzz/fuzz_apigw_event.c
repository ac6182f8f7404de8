/*
 * Fuzz the API Gateway codec: parse arbitrary bytes as an event and, when
 * they parse, build a response from what was read (headers, cookies, body)
 * and render it in both payload versions; the same bytes are also read as a
 * function's response, as the local gateway reads them.
 */
#include "core/common.h"

#include "lambda/apigw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	struct apigw_request req;
	struct apigw_response resp;
	struct buf out;

	buf_init(&out, 1 << 22);
	if (apigw_parse_event(json, size, &req, NULL, 0) == 0) {
		apigw_response_init(&resp);
		for (size_t i = 0; i < req.n_headers; i++)
			apigw_response_add_header(&resp, req.headers[i].name, req.headers[i].value);
		for (size_t i = 0; i < req.n_cookies; i++)
			apigw_response_add_cookie(&resp, req.cookies[i]);
		apigw_response_set_body(&resp, req.body, req.body_len);
		apigw_header(&req, "content-type");
		apigw_cookie(&req, "session");
		apigw_response_to_json(&resp, req.version, &out);
		apigw_response_release(&resp);
		apigw_request_release(&req);
	}
	for (int version = APIGW_V1; version <= APIGW_V2; version++) {
		apigw_parse_function_response(json, size, version, &resp, NULL, 0);
		apigw_response_to_json(&resp, version, &out);
		apigw_response_release(&resp);
	}
	buf_release(&out);
	return 0;
}
