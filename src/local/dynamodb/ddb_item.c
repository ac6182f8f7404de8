/*
 * DynamoDB attribute values in their wire form ({"S":"x"}): validation and
 * normalisation, DynamoDB's item size arithmetic, equality and ordering,
 * and the order-preserving key bytes that the SQLite store sorts by.
 * Validation happens once, when a request is read; everything after it
 * trusts the shape of the values (one type member, payload of the right
 * JSON type, numbers canonical, base64 strict).
 */
#include "core/common.h"

#include "core/enc.h"
#include "local/dynamodb/ddb_int.h"

static const char *const type_names[] = {
	[DDB_T_NONE] = "",     [DDB_T_S] = "S",	      [DDB_T_N] = "N",	 [DDB_T_B] = "B",
	[DDB_T_BOOL] = "BOOL", [DDB_T_NULL] = "NULL", [DDB_T_M] = "M",	 [DDB_T_L] = "L",
	[DDB_T_SS] = "SS",     [DDB_T_NS] = "NS",     [DDB_T_BS] = "BS",
};

int ddb_fail(struct ddb_err *e, const char *type, const char *fmt, ...)
{
	va_list ap;
	e->type = type;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int ddb_invalid(struct ddb_err *e, const char *fmt, ...)
{
	va_list ap;
	e->type = "ValidationException";
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *ddb_type_name(enum ddb_type t)
{
	return (size_t)t < ARRAY_SIZE(type_names) ? type_names[t] : "";
}

enum ddb_type ddb_type_parse(const char *name)
{
	for (size_t i = 1; name && i < ARRAY_SIZE(type_names); i++)
		if (!strcmp(name, type_names[i]))
			return (enum ddb_type)i;
	return DDB_T_NONE;
}

enum ddb_type ddb_type_of(const json_t *av)
{
	if (!json_is_object(av) || json_object_size(av) != 1)
		return DDB_T_NONE;
	const char *k = json_object_iter_key(json_object_iter((json_t *)av));
	return ddb_type_parse(k);
}

json_t *ddb_payload(const json_t *av)
{
	void *it = json_object_iter((json_t *)av);
	return it ? json_object_iter_value(it) : NULL;
}

int ddb_b64(const char *s, size_t len, struct buf *out)
{
	return b64_decode(out, s, len) ? -1 : 0;
}

static int check_n(json_t *str, struct ddb_err *e)
{
	struct ddb_num n;
	struct buf b;
	int rc;
	if (ddb_num_parse(json_string_value(str), json_string_length(str), &n, e))
		return -1;
	buf_init(&b, DDB_NUM_MAX_TEXT);
	rc = ddb_num_format(&n, &b) || json_string_setn(str, b.ptr, b.len) ? -1 : 0;
	buf_release(&b);
	return rc ? ddb_fail(e, "InternalServerError", "out of memory") : 0;
}

static int check_b(const json_t *str, struct ddb_err *e)
{
	struct buf b;
	buf_init(&b, (size_t)DDB_ITEM_MAX * 2);
	int rc = ddb_b64(json_string_value(str), json_string_length(str), &b);
	buf_release(&b);
	return rc ? ddb_invalid(e, "One or more parameter values were invalid: Invalid binary "
				   "value (not base64)")
		  : 0;
}

/* A set: non-empty, elements of the right type, no duplicates. */
static int check_set(json_t *arr, enum ddb_type t, struct ddb_err *e)
{
	static const char *const what[] = {
		[DDB_T_SS] = "string", [DDB_T_NS] = "number", [DDB_T_BS] = "binary"};
	json_t *seen;
	size_t i;
	json_t *v;
	if (!json_is_array(arr))
		return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
	if (json_array_size(arr) == 0)
		return ddb_invalid(e,
				   "One or more parameter values were invalid: An %s set  may "
				   "not be empty",
				   what[t]);
	seen = json_object();
	if (!seen)
		return ddb_fail(e, "InternalServerError", "out of memory");
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			json_decref(seen);
			return ddb_fail(e, "SerializationException",
					"Unexpected value type in payload");
		}
		if ((t == DDB_T_NS && check_n(v, e)) || (t == DDB_T_BS && check_b(v, e))) {
			json_decref(seen);
			return -1;
		}
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (json_object_getn(seen, s, len)) {
			json_decref(seen);
			return ddb_invalid(e, "One or more parameter values were invalid: Input "
					      "collection contains duplicates");
		}
		json_object_setn(seen, s, len, json_true());
	}
	json_decref(seen);
	return 0;
}

int ddb_value_check(json_t *av, int depth, struct ddb_err *e)
{
	const char *key;
	json_t *v, *p;
	size_t i;
	enum ddb_type t;

	if (depth > DDB_MAX_DEPTH)
		return ddb_invalid(e, "Nesting Levels have exceeded supported limits");
	if (!json_is_object(av))
		return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
	if (json_object_size(av) == 0)
		return ddb_invalid(e, "Supplied AttributeValue is empty, must contain exactly one "
				      "of the supported datatypes");
	if (json_object_size(av) > 1)
		return ddb_invalid(e, "Supplied AttributeValue has more than one datatypes set, "
				      "must contain exactly one of the supported datatypes");
	t = ddb_type_of(av);
	p = ddb_payload(av);
	switch (t) {
	case DDB_T_S:
	case DDB_T_N:
	case DDB_T_B:
		if (!json_is_string(p))
			break;
		return t == DDB_T_N ? check_n(p, e) : t == DDB_T_B ? check_b(p, e) : 0;
	case DDB_T_BOOL:
		if (!json_is_boolean(p))
			break;
		return 0;
	case DDB_T_NULL:
		if (!json_is_boolean(p))
			break;
		if (!json_is_true(p))
			return ddb_invalid(e, "One or more parameter values were invalid: Null "
					      "attribute value types must have the value of true");
		return 0;
	case DDB_T_M:
		if (!json_is_object(p))
			break;
		json_object_foreach(p, key, v) if (ddb_value_check(v, depth + 1, e)) return -1;
		return 0;
	case DDB_T_L:
		if (!json_is_array(p))
			break;
		json_array_foreach(p, i, v) if (ddb_value_check(v, depth + 1, e)) return -1;
		return 0;
	case DDB_T_SS:
	case DDB_T_NS:
	case DDB_T_BS:
		return check_set(p, t, e);
	case DDB_T_NONE:
		return ddb_fail(e, "SerializationException",
				"Unexpected field type in AttributeValue: %s",
				json_object_iter_key(json_object_iter(av)));
	}
	return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
}

int ddb_item_check(json_t *item, struct ddb_err *e)
{
	const char *key;
	json_t *v;
	if (!json_is_object(item))
		return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
	json_object_foreach(item, key, v) if (ddb_value_check(v, 0, e)) return -1;
	return 0;
}

static size_t b64_len(const json_t *s)
{
	size_t n = json_string_length(s);
	const char *p = json_string_value(s);
	size_t pad = n >= 1 && p[n - 1] == '=' ? (n >= 2 && p[n - 2] == '=' ? 2 : 1) : 0;
	return n / 4 * 3 - pad;
}

static size_t num_str_size(const json_t *s)
{
	struct ddb_num n;
	struct ddb_err e;
	if (ddb_num_parse(json_string_value(s), json_string_length(s), &n, &e))
		return json_string_length(s);
	return ddb_num_size(&n);
}

/* Sizes as DynamoDB documents them ("Item sizes and formats"). */
size_t ddb_value_size(const json_t *av)
{
	json_t *p = ddb_payload(av), *v;
	const char *key;
	size_t i, size = 0;
	switch (ddb_type_of(av)) {
	case DDB_T_S:
		return json_string_length(p);
	case DDB_T_N:
		return num_str_size(p);
	case DDB_T_B:
		return b64_len(p);
	case DDB_T_BOOL:
	case DDB_T_NULL:
		return 1;
	case DDB_T_M:
		size = 3;
		json_object_foreach(p, key, v) size += strlen(key) + ddb_value_size(v) + 1;
		return size;
	case DDB_T_L:
		size = 3;
		json_array_foreach(p, i, v) size += ddb_value_size(v) + 1;
		return size;
	case DDB_T_SS:
		json_array_foreach(p, i, v) size += json_string_length(v);
		return size;
	case DDB_T_NS:
		json_array_foreach(p, i, v) size += num_str_size(v);
		return size;
	case DDB_T_BS:
		json_array_foreach(p, i, v) size += b64_len(v);
		return size;
	case DDB_T_NONE:
		break;
	}
	return 0;
}

size_t ddb_item_size(const json_t *item)
{
	const char *key;
	json_t *v;
	size_t size = 0;
	json_object_foreach((json_t *)item, key, v) size += strlen(key) + ddb_value_size(v);
	return size;
}

void ddb_value_num(const json_t *av, struct ddb_num *out)
{
	struct ddb_err e;
	json_t *p = ddb_payload(av);
	if (ddb_num_parse(json_string_value(p), json_string_length(p), out, &e))
		memset(out, 0, sizeof(*out));
}

json_t *ddb_value_from_num(const struct ddb_num *n)
{
	struct buf b;
	json_t *v;
	buf_init(&b, DDB_NUM_MAX_TEXT);
	if (ddb_num_format(n, &b)) {
		buf_release(&b);
		return NULL;
	}
	v = json_pack("{s:s#}", "N", b.ptr, (int)b.len);
	buf_release(&b);
	return v;
}

static bool str_payload_eq(const json_t *a, const json_t *b)
{
	return json_string_length(a) == json_string_length(b) &&
	       !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
}

/* Sets hold canonical strings (numbers normalised, base64 strict). */
static bool set_contains(const json_t *arr, const json_t *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (str_payload_eq(v, s)) return true;
	return false;
}

bool ddb_value_eq(const json_t *a, const json_t *b)
{
	enum ddb_type t = ddb_type_of(a);
	json_t *pa = ddb_payload(a), *pb = ddb_payload(b), *v;
	const char *key;
	size_t i;
	if (t == DDB_T_NONE || t != ddb_type_of(b))
		return false;
	switch (t) {
	case DDB_T_S:
	case DDB_T_N:
	case DDB_T_B:
		return str_payload_eq(pa, pb);
	case DDB_T_BOOL:
	case DDB_T_NULL:
		return json_is_true(pa) == json_is_true(pb);
	case DDB_T_M:
		if (json_object_size(pa) != json_object_size(pb))
			return false;
		json_object_foreach(pa, key, v)
		{
			json_t *w = json_object_get(pb, key);
			if (!w || !ddb_value_eq(v, w))
				return false;
		}
		return true;
	case DDB_T_L:
		if (json_array_size(pa) != json_array_size(pb))
			return false;
		json_array_foreach(pa, i,
				   v) if (!ddb_value_eq(v, json_array_get(pb, i))) return false;
		return true;
	case DDB_T_SS:
	case DDB_T_NS:
	case DDB_T_BS:
		if (json_array_size(pa) != json_array_size(pb))
			return false;
		json_array_foreach(pa, i, v) if (!set_contains(pb, v)) return false;
		return true;
	case DDB_T_NONE:
		break;
	}
	return false;
}

bool ddb_value_cmp(const json_t *a, const json_t *b, int *out)
{
	enum ddb_type t = ddb_type_of(a);
	if (t != ddb_type_of(b) || (t != DDB_T_S && t != DDB_T_N && t != DDB_T_B))
		return false;
	if (t == DDB_T_N) {
		struct ddb_num x, y;
		ddb_value_num(a, &x);
		ddb_value_num(b, &y);
		*out = ddb_num_cmp(&x, &y);
		return true;
	}
	struct buf x, y;
	buf_init(&x, BUF_NOCAP);
	buf_init(&y, BUF_NOCAP);
	bool ok = !ddb_key_bytes(a, &x) && !ddb_key_bytes(b, &y);
	if (ok) {
		int c = memcmp(x.ptr, y.ptr, MIN(x.len, y.len));
		*out = c ? (c < 0 ? -1 : 1) : x.len == y.len ? 0 : x.len < y.len ? -1 : 1;
	}
	buf_release(&x);
	buf_release(&y);
	return ok;
}

int ddb_key_bytes(const json_t *av, struct buf *out)
{
	json_t *p = ddb_payload(av);
	struct ddb_num n;
	switch (ddb_type_of(av)) {
	case DDB_T_S:
		return buf_add(out, json_string_value(p), json_string_length(p));
	case DDB_T_N:
		ddb_value_num(av, &n);
		return ddb_num_key(&n, out);
	case DDB_T_B:
		return ddb_b64(json_string_value(p), json_string_length(p), out) ? ERR_PARSE : 0;
	default:
		return ERR_INVAL;
	}
}
