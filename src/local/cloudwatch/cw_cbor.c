/*
 * CBOR (RFC 8949) to JSON values and back, for CloudWatch's Smithy RPC v2
 * CBOR protocol (cw_cbor.h). The decoder is a recursive descent over a
 * bounded input with a depth limit; every length is checked against what
 * is left before anything is read or allocated.
 */
#include "core/common.h"

#include <math.h>

#include "core/enc.h"
#include "local/cloudwatch/cw_cbor.h"

struct cbor_in {
	const uint8_t *p, *end;
	char *why;
	size_t why_len;
};

static int fail(struct cbor_in *in, const char *why)
{
	if (in->why && in->why_len)
		snprintf(in->why, in->why_len, "%s", why);
	return ERR_PARSE;
}

/* The argument of an initial byte (RFC 8949 section 3): `info` < 24 is the value itself. */
static int read_arg(struct cbor_in *in, unsigned info, uint64_t *out)
{
	size_t n;

	if (info < 24) {
		*out = info;
		return 0;
	}
	if (info > 27)
		return fail(in, "reserved or indefinite length where a value is needed");
	n = (size_t)1 << (info - 24);
	if ((size_t)(in->end - in->p) < n)
		return fail(in, "truncated");
	*out = 0;
	for (size_t i = 0; i < n; i++)
		*out = (*out << 8) | in->p[i];
	in->p += n;
	return 0;
}

static double half_to_double(unsigned h)
{
	int exp = (int)((h >> 10) & 0x1f);
	unsigned mant = h & 0x3ff;
	double v;

	if (exp == 0)
		v = ldexp(mant, -24);
	else if (exp != 31)
		v = ldexp(mant + 1024, exp - 25);
	else
		v = mant == 0 ? INFINITY : NAN;
	return (h & 0x8000) ? -v : v;
}

static int decode(struct cbor_in *in, int depth, json_t **out);

/* A string (major 2 or 3), definite or made of definite chunks. */
static int decode_string(struct cbor_in *in, unsigned major, unsigned info, struct buf *b)
{
	uint64_t n = 0;
	int err;

	if (info == 31) {
		while (in->p < in->end && *in->p != 0xff) {
			unsigned ib = *in->p++;

			if (ib >> 5 != major || (ib & 0x1f) == 31)
				return fail(in, "a chunk of an indefinite string of another type");
			if ((err = decode_string(in, major, ib & 0x1f, b)))
				return err;
		}
		if (in->p == in->end)
			return fail(in, "truncated indefinite string");
		in->p++;
		return 0;
	}
	if ((err = read_arg(in, info, &n)))
		return err;
	if (n > (uint64_t)(in->end - in->p))
		return fail(in, "a string longer than the input");
	if (buf_add(b, in->p, (size_t)n))
		return fail(in, "a string past the size limit");
	in->p += n;
	return 0;
}

static int decode_text(struct cbor_in *in, unsigned major, unsigned info, json_t **out)
{
	struct buf b;
	int err;

	buf_init(&b, CW_CBOR_MAX);
	err = decode_string(in, major, info, &b);
	if (!err && major == 3) {
		if (!utf8_valid(b.ptr, b.len))
			err = fail(in, "a text string that is not UTF-8");
		else if (!(*out = json_stringn(b.ptr, b.len)))
			err = ERR_NOMEM;
	} else if (!err) {
		/* Blobs travel as base64 text in the JSON the handlers read. */
		struct buf t;

		buf_init(&t, CW_CBOR_MAX * 2);
		err = b64_encode(&t, b.ptr, b.len);
		if (!err && !(*out = json_stringn(t.ptr, t.len)))
			err = ERR_NOMEM;
		buf_release(&t);
	}
	buf_release(&b);
	return err;
}

/* An array or a map (major 4 or 5), definite or indefinite. */
static int decode_container(struct cbor_in *in, unsigned major, unsigned info, int depth,
			    json_t **out)
{
	bool indefinite = info == 31;
	uint64_t n = 0;
	json_t *c;
	int err;

	if (!indefinite && (err = read_arg(in, info, &n)))
		return err;
	if (!indefinite && n > (uint64_t)(in->end - in->p))
		return fail(in, "more items than bytes left");
	if (!(c = major == 4 ? json_array() : json_object()))
		return ERR_NOMEM;
	for (uint64_t i = 0; indefinite || i < n; i++) {
		json_t *k = NULL, *v = NULL;

		err = 0;
		if (indefinite && in->p < in->end && *in->p == 0xff) {
			in->p++;
			break;
		}
		if (major == 5 && (err = decode(in, depth + 1, &k)) == 0 &&
		    (!json_is_string(k) || memchr(json_string_value(k), 0, json_string_length(k))))
			err = fail(in, "a map key that is not a text string without NUL");
		if (!err)
			err = decode(in, depth + 1, &v);
		if (!err && (major == 4 ? json_array_append_new(c, v)
					: json_object_setn_new(c, json_string_value(k),
							       json_string_length(k), v)))
			err = ERR_NOMEM;
		json_decref(k);
		if (err) {
			json_decref(c);
			return err;
		}
	}
	*out = c;
	return 0;
}

/* Major 7: false, true, null, undefined, half, single and double floats. */
static int decode_simple(struct cbor_in *in, unsigned info, json_t **out)
{
	uint64_t bits = 0;
	double d;
	int err;

	switch (info) {
	case 20:
		*out = json_false();
		return 0;
	case 21:
		*out = json_true();
		return 0;
	case 22:
	case 23:
		*out = json_null();
		return 0;
	case 25:
	case 26:
	case 27:
		if ((err = read_arg(in, info, &bits)))
			return err;
		if (info == 25) {
			d = half_to_double((unsigned)bits);
		} else if (info == 26) {
			float f;
			uint32_t b32 = (uint32_t)bits;

			memcpy(&f, &b32, sizeof(f));
			d = f;
		} else {
			memcpy(&d, &bits, sizeof(d));
		}
		if (!isfinite(d))
			return fail(in, "a number that is not finite");
		*out = json_real(d);
		return *out ? 0 : ERR_NOMEM;
	default:
		return fail(in, "an unsupported simple value");
	}
}

static int decode(struct cbor_in *in, int depth, json_t **out)
{
	unsigned ib, major, info;
	uint64_t n = 0;
	int err;

	*out = NULL;
	if (depth > CW_CBOR_DEPTH_MAX)
		return fail(in, "nested too deeply");
	if (in->p >= in->end)
		return fail(in, "truncated");
	ib = *in->p++;
	major = ib >> 5;
	info = ib & 0x1f;
	switch (major) {
	case 0:
	case 1:
		if ((err = read_arg(in, info, &n)))
			return err;
		if (n > (uint64_t)INT64_MAX)
			*out = json_real(major == 0 ? (double)n : -1.0 - (double)n);
		else
			*out = json_integer(major == 0 ? (json_int_t)n : -1 - (json_int_t)n);
		return *out ? 0 : ERR_NOMEM;
	case 2:
	case 3:
		return decode_text(in, major, info, out);
	case 4:
	case 5:
		return decode_container(in, major, info, depth, out);
	case 6:
		if ((err = read_arg(in, info, &n)))
			return err;
		/* Tag 1: epoch-based date/time; the handlers read numbers as epoch seconds. */
		if (n != 1)
			return fail(in, "a tag other than 1 (epoch time)");
		if ((err = decode(in, depth + 1, out)))
			return err;
		if (!json_is_number(*out)) {
			json_decref(*out);
			*out = NULL;
			return fail(in, "tag 1 on something other than a number");
		}
		return 0;
	default:
		return decode_simple(in, info, out);
	}
}

int cw_cbor_decode(const void *data, size_t len, json_t **out, char *why, size_t why_len)
{
	struct cbor_in in = {data, (const uint8_t *)data + len, why, why_len};
	int err;

	*out = NULL;
	if (len > CW_CBOR_MAX)
		return fail(&in, "the body is larger than the limit");
	err = decode(&in, 0, out);
	if (!err && in.p != in.end) {
		json_decref(*out);
		*out = NULL;
		err = fail(&in, "bytes after the data item");
	}
	return err;
}

/* ---- encoding ---- */

static void put_head(struct buf *b, unsigned major, uint64_t n)
{
	uint8_t h[9];
	size_t len;

	if (n < 24) {
		h[0] = (uint8_t)(major << 5 | n);
		len = 1;
	} else {
		unsigned info = n <= 0xff ? 24 : n <= 0xffff ? 25 : n <= 0xffffffffu ? 26 : 27;
		size_t k = (size_t)1 << (info - 24);

		h[0] = (uint8_t)(major << 5 | info);
		for (size_t i = 0; i < k; i++)
			h[1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
		len = 1 + k;
	}
	buf_put(b, h, len);
}

static void put_double(struct buf *b, double d)
{
	uint8_t h[9];
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	h[0] = 0xfb;
	for (int i = 0; i < 8; i++)
		h[1 + i] = (uint8_t)(bits >> (8 * (7 - i)));
	buf_put(b, h, sizeof(h));
}

static void encode(struct buf *b, const json_t *v, bool is_time, const struct cw_cbor_opts *o,
		   int depth)
{
	if (depth > CW_CBOR_DEPTH_MAX) {
		buf_set_error(b, ERR_TOOLARGE);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;

		put_head(b, 5, json_object_size(v));
		json_object_foreach((json_t *)v, k, x)
		{
			put_head(b, 3, strlen(k));
			buf_puts(b, k);
			encode(b, x, o && o->is_time && o->is_time(k), o, depth + 1);
		}
		break;
	}
	case JSON_ARRAY:
		put_head(b, 4, json_array_size(v));
		for (size_t i = 0; i < json_array_size(v); i++)
			encode(b, json_array_get(v, i), is_time, o, depth + 1);
		break;
	case JSON_STRING:
		put_head(b, 3, json_string_length(v));
		buf_put(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);

		if (is_time)
			put_head(b, 6, 1);
		if (i >= 0)
			put_head(b, 0, (uint64_t)i);
		else
			put_head(b, 1, (uint64_t)(-1 - i));
		break;
	}
	case JSON_REAL:
		if (is_time)
			put_head(b, 6, 1);
		put_double(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_putc(b, (char)0xf5);
		break;
	case JSON_FALSE:
		buf_putc(b, (char)0xf4);
		break;
	default:
		buf_putc(b, (char)0xf6);
		break;
	}
}

int cw_cbor_encode(const json_t *v, const struct cw_cbor_opts *o, struct buf *out)
{
	if (!v)
		return ERR_INVAL;
	encode(out, v, false, o, 0);
	return buf_error(out);
}
