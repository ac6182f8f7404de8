/*
 * Fuzz the gateway's half of the API Gateway codec: build an event from a
 * hostile HTTP request (line 1 the method, line 2 the path, line 3 the raw
 * query, then "name:value" headers up to an empty line, then the body) in
 * both payload versions. What the gateway writes (json_out.h, no jansson
 * tree) must be JSON that jansson reads, and read back with the function's
 * parser it must keep the method, the path, (2.0) the raw query and the body
 * byte for byte as sent.
 */
#include "core/common.h"

#include "core/json.h"
#include "lambda/apigw.h"

#define MAX_HEADERS 16

/* Line `i` of `rest` as a C string in `buf` (truncated to 255 bytes). */
static struct str next_line(struct str *rest, char *buf)
{
	struct str line;

	*rest = str_split(*rest, '\n', &line, NULL);
	snprintf(buf, 256, "%.*s", (int)MIN(line.len, 255), line.ptr ? line.ptr : "");
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str rest = str_make((const char *)data, size), line, name;
	char method[256], path[256], query[256], text[MAX_HEADERS][2][256], scratch[256];
	struct apigw_pair hs[MAX_HEADERS];
	struct apigw_http_request in = {.method = method, .path = path, .raw_query = query};
	struct apigw_request r;
	struct buf ev;

	next_line(&rest, method);
	next_line(&rest, path);
	next_line(&rest, query);
	while (rest.len && in.n_headers < MAX_HEADERS && (line = next_line(&rest, scratch)).len) {
		struct str value = str_split(line, ':', &name, NULL);
		snprintf(text[in.n_headers][0], 256, "%.*s", (int)MIN(name.len, 255), name.ptr);
		snprintf(text[in.n_headers][1], 256, "%.*s", (int)MIN(value.len, 255),
			 value.ptr ? value.ptr : "");
		hs[in.n_headers] =
			(struct apigw_pair){text[in.n_headers][0], text[in.n_headers][1], 0};
		in.n_headers++;
	}
	in.headers = hs;
	in.body = rest.ptr;
	in.body_len = rest.len;
	in.request_id = "fuzz";
	in.time_ms = 1;
	buf_init(&ev, 1 << 22);
	for (int version = APIGW_V1; version <= APIGW_V2; version++) {
		buf_reset(&ev);
		if (apigw_event_from_http(&in, version, &ev))
			continue;
		json_t *json = json_loadb(ev.ptr, ev.len, JSON_ALLOW_NUL, NULL);
		if (!json)
			abort();
		json_decref(json);
		if (apigw_parse_event(ev.ptr, ev.len, &r, NULL, 0))
			continue;
		if (strcmp(r.method, method) || strcmp(r.path, path) ||
		    (version == APIGW_V2 && strcmp(r.raw_query, query)) ||
		    r.body_len != in.body_len ||
		    (r.body_len && memcmp(r.body, in.body, r.body_len)))
			abort();
		apigw_request_release(&r);
	}
	buf_release(&ev);
	return 0;
}
