/*
 * Thin helpers on jansson (json.h): lookups that tolerate missing or
 * mistyped members, and dumping into a capped struct buf so that a JSON
 * response obeys the same limits as every other body.
 */
#include "core/common.h"

#include "core/json.h"

const char *jsonx_str(const json_t *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	return json_string_value(json_object_get(obj, key));
}

json_t *jsonx_obj(const json_t *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	json_t *v = json_object_get(obj, key);
	return json_is_object(v) ? v : NULL;
}

json_t *jsonx_arr(const json_t *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	json_t *v = json_object_get(obj, key);
	return json_is_array(v) ? v : NULL;
}

bool jsonx_bool(const json_t *obj, const char *key, bool dflt)
{
	if (!json_is_object(obj))
		return dflt;
	json_t *v = json_object_get(obj, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *jsonx_strn(struct str s)
{
	/* json_stringn() checks UTF-8 itself and wants a non-NULL pointer. */
	return json_stringn(s.ptr ? s.ptr : "", s.len);
}

struct dump_ctx {
	struct buf *out;
	int err;
};

static int dump_cb(const char *chunk, size_t size, void *data)
{
	struct dump_ctx *ctx = data;
	int err = buf_add(ctx->out, chunk, size);
	if (err) {
		ctx->err = err;
		return -1;
	}
	return 0;
}

int jsonx_dump(const json_t *v, struct buf *out, size_t flags)
{
	struct dump_ctx ctx = {out, 0};
	size_t start = out->len;

	if (!v)
		return ERR_INVAL;
	/* 15 significant digits print 0.34 as 0.34, not 0.34000000000000002. */
	if ((flags & JSON_REAL_PRECISION(0x1F)) == 0)
		flags |= JSON_REAL_PRECISION(15);
	if (json_dump_callback(v, dump_cb, &ctx, JSON_COMPACT | JSON_ENCODE_ANY | flags) != 0) {
		buf_truncate(out, start);
		return ctx.err ? ctx.err : ERR_NOMEM;
	}
	return 0;
}

static json_t *parse(const char *s, size_t len, size_t flags, char *err, size_t err_len)
{
	json_error_t e;

	if (!s)
		s = "";
	json_t *v = json_loadb(s, len, JSON_DECODE_ANY | flags, &e);
	if (!v && err && err_len)
		snprintf(err, err_len, "line %d column %d: %s", e.line, e.column, e.text);
	return v;
}

json_t *jsonx_parse(const char *s, size_t len, char *err, size_t err_len)
{
	return parse(s, len, 0, err, err_len);
}

json_t *jsonx_parse_nul(const char *s, size_t len, char *err, size_t err_len)
{
	return parse(s, len, JSON_ALLOW_NUL, err, err_len);
}
