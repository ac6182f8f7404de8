/*
 * Fuzz the way to a path parameter, from the request line to the handler:
 * the input is a raw path, matched against "/objects/{name+}" (gw_routes.c),
 * its parameter percent-decoded as the gateway does, put in an event of each
 * payload version (apigw_gw.c) and read back by the function (apigw_fn.c).
 * Whatever the bytes ("%00" included), the function must see exactly the
 * decoded bytes, with their length: a value cut at a NUL names another object.
 */
#include "core/common.h"

#include "core/enc.h"
#include "lambda/apigw.h"
#include "local/apigw/gw_routes.h"

static void round_trip(const char *path, struct str value, int version)
{
	struct apigw_pair p = {"name", value.ptr, value.len};
	struct apigw_http_request in = {.method = "PUT",
					.path = path,
					.path_params = &p,
					.n_path_params = 1,
					.route = "/objects/{name+}"};
	struct apigw_request r;
	struct buf ev;

	buf_init(&ev, 1 << 20);
	if (apigw_event_from_http(&in, version, &ev) == 0 &&
	    apigw_parse_event(ev.ptr, ev.len, &r, NULL, 0) == 0) {
		struct str got = apigw_path_param_str(&r, "name");
		if (!str_eq(got, value))
			abort();
		apigw_request_release(&r);
	}
	buf_release(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gateway_route_spec spec = {
		.version = APIGW_V2, .method = "ANY", .path = "/objects/{name+}", .function = "F"};
	char *path = strndup((const char *)data, MIN(size, 4096));
	struct gateway_routes *rt = NULL;
	struct gateway_match m;
	struct buf v;

	buf_init(&v, 8192);
	if (path && !gateway_routes_new(&rt) && !gateway_routes_add(rt, &spec) &&
	    gateway_routes_match(rt, "PUT", path, &m) && m.nparams == 1 &&
	    !uri_decode(&v, m.params[0].value.ptr, m.params[0].value.len, false)) {
		round_trip(path, str_make(v.ptr, v.len), APIGW_V1);
		round_trip(path, str_make(v.ptr, v.len), APIGW_V2);
	}
	buf_release(&v);
	gateway_routes_free(rt);
	free(path);
	return 0;
}
