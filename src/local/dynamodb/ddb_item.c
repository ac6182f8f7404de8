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
	return b64_decode(out, s, len);
}

/* A number: rewritten in its canonical text. */
static int check_n(json_t *str, struct ddb_err *e)
{
	struct ddb_num n;
	struct buf b;
	int err = ddb_num_parse(json_string_value(str), json_string_length(str), &n, e);
	if (err)
		return err;
	buf_init(&b, DDB_NUM_MAX_TEXT);
	err = ddb_num_format(&n, &b);
	if (!err && json_string_setn(str, b.ptr, b.len))
		err = ERR_NOMEM;
	buf_release(&b);
	return err;
}

/* A binary: strict base64 of at most DDB_BINARY_MAX bytes. */
static int check_b(const json_t *str, struct ddb_err *e)
{
	struct buf b;
	buf_init(&b, DDB_BINARY_MAX);
	int err = ddb_b64(json_string_value(str), json_string_length(str), &b);
	buf_release(&b);
	if (err == ERR_PARSE)
		return ddb_invalid(e, "One or more parameter values were invalid: Invalid binary "
				      "value (not base64)");
	if (err == ERR_TOOLARGE)
		return ddb_invalid(e, "Item size has exceeded the maximum allowed size");
	return err;
}

/* One element of a set of type `t`, checked (and normalised) in place. */
static int check_set_elem(json_t *v, enum ddb_type t, struct ddb_err *e)
{
	if (!json_is_string(v))
		return ddb_wrong_type(e);
	if (t == DDB_T_NS)
		return check_n(v, e);
	if (t == DDB_T_BS)
		return check_b(v, e);
	return 0;
}

/* A set: non-empty, elements of the right type, no duplicates. */
static int check_set(json_t *arr, enum ddb_type t, struct ddb_err *e)
{
	static const char *const what[] = {
		[DDB_T_SS] = "string", [DDB_T_NS] = "number", [DDB_T_BS] = "binary"};
	json_t *seen, *v;
	size_t i;
	int err = 0;
	if (!json_is_array(arr))
		return ddb_wrong_type(e);
	if (json_array_size(arr) == 0)
		return ddb_invalid(e,
				   "One or more parameter values were invalid: An %s set  may "
				   "not be empty",
				   what[t]);
	if (!(seen = json_object()))
		return ERR_NOMEM;
	json_array_foreach(arr, i, v)
	{
		if ((err = check_set_elem(v, t, e)))
			break;
		/* Elements are canonical now: equal values are equal strings. */
		if (json_object_getn(seen, json_string_value(v), json_string_length(v))) {
			err = ddb_invalid(e, "One or more parameter values were invalid: Input "
					     "collection contains duplicates");
			break;
		}
		if (json_object_setn(seen, json_string_value(v), json_string_length(v),
				     json_true())) {
			err = ERR_NOMEM;
			break;
		}
	}
	json_decref(seen);
	return err;
}

/* One value object: exactly one member. */
static int check_shape(const json_t *av, int depth, struct ddb_err *e)
{
	if (depth > DDB_MAX_DEPTH)
		return ddb_invalid(e, "Nesting Levels have exceeded supported limits");
	if (!json_is_object(av))
		return ddb_wrong_type(e);
	if (json_object_size(av) == 0)
		return ddb_invalid(e, "Supplied AttributeValue is empty, must contain exactly one "
				      "of the supported datatypes");
	if (json_object_size(av) > 1)
		return ddb_invalid(e, "Supplied AttributeValue has more than one datatypes set, "
				      "must contain exactly one of the supported datatypes");
	return 0;
}

/* The JSON type of the payload of a `t` value is the one DynamoDB's wire form has. */
static bool payload_shape_ok(enum ddb_type t, const json_t *p)
{
	switch (t) {
	case DDB_T_S:
	case DDB_T_N:
	case DDB_T_B:
		return json_is_string(p);
	case DDB_T_BOOL:
	case DDB_T_NULL:
		return json_is_boolean(p);
	case DDB_T_M:
		return json_is_object(p);
	default:
		return json_is_array(p); /* L and the sets */
	}
}

/* The members of a map or the elements of a list, one level deeper. */
static int check_children(json_t *p, int depth, struct ddb_err *e)
{
	const char *key;
	json_t *v;
	size_t i;
	int err = 0;
	if (json_is_object(p)) {
		json_object_foreach(p, key, v)
		{
			if ((err = ddb_value_check(v, depth + 1, e)))
				return err;
		}
		return 0;
	}
	json_array_foreach(p, i, v)
	{
		if ((err = ddb_value_check(v, depth + 1, e)))
			return err;
	}
	return 0;
}

int ddb_value_check(json_t *av, int depth, struct ddb_err *e)
{
	int err = check_shape(av, depth, e);
	if (err)
		return err;
	enum ddb_type t = ddb_type_of(av);
	json_t *p = ddb_payload(av);
	if (t == DDB_T_NONE)
		return ddb_fail(e, DDB_E_SERIALIZATION,
				"Unexpected field type in AttributeValue: %s",
				json_object_iter_key(json_object_iter(av)));
	if (!payload_shape_ok(t, p))
		return ddb_wrong_type(e);
	switch (t) {
	case DDB_T_N:
		return check_n(p, e);
	case DDB_T_B:
		return check_b(p, e);
	case DDB_T_NULL:
		if (!json_is_true(p))
			return ddb_invalid(e, "One or more parameter values were invalid: Null "
					      "attribute value types must have the value of true");
		return 0;
	case DDB_T_M:
	case DDB_T_L:
		return check_children(p, depth, e);
	case DDB_T_SS:
	case DDB_T_NS:
	case DDB_T_BS:
		return check_set(p, t, e);
	default:
		return 0;
	}
}

int ddb_item_check(json_t *item, struct ddb_err *e)
{
	const char *key;
	json_t *v;
	int err;
	if (!json_is_object(item))
		return ddb_wrong_type(e);
	json_object_foreach(item, key, v)
	{
		if ((err = ddb_value_check(v, 0, e)))
			return err;
	}
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
	json_t *v = NULL;
	buf_init(&b, DDB_NUM_MAX_TEXT);
	if (!ddb_num_format(n, &b))
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
	json_array_foreach(arr, i, v)
	{
		if (str_payload_eq(v, s))
			return true;
	}
	return false;
}

static bool map_eq(const json_t *pa, const json_t *pb)
{
	const char *key;
	json_t *v;
	if (json_object_size(pa) != json_object_size(pb))
		return false;
	json_object_foreach((json_t *)pa, key, v)
	{
		json_t *w = json_object_get(pb, key);
		if (!w || !ddb_value_eq(v, w))
			return false;
	}
	return true;
}

/* Lists in order; sets (`unordered`) as sets: each element of one in the other. */
static bool array_eq(const json_t *pa, const json_t *pb, bool unordered)
{
	size_t i;
	json_t *v;
	if (json_array_size(pa) != json_array_size(pb))
		return false;
	json_array_foreach(pa, i, v)
	{
		if (unordered ? !set_contains(pb, v) : !ddb_value_eq(v, json_array_get(pb, i)))
			return false;
	}
	return true;
}

bool ddb_value_eq(const json_t *a, const json_t *b)
{
	enum ddb_type t = ddb_type_of(a);
	json_t *pa = ddb_payload(a), *pb = ddb_payload(b);
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
		return map_eq(pa, pb);
	case DDB_T_L:
		return array_eq(pa, pb, false);
	default:
		return array_eq(pa, pb, true); /* SS, NS, BS */
	}
}

/* memcmp order, a prefix first: -1, 0, 1. */
static int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, MIN(alen, blen));
	if (c)
		return c < 0 ? -1 : 1;
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

/* Binaries compare by their decoded bytes; false if one does not decode. */
static bool binary_cmp(const json_t *a, const json_t *b, int *out)
{
	json_t *pa = ddb_payload(a), *pb = ddb_payload(b);
	struct buf x, y;
	buf_init(&x, DDB_BINARY_MAX);
	buf_init(&y, DDB_BINARY_MAX);
	bool ok = !ddb_b64(json_string_value(pa), json_string_length(pa), &x) &&
		  !ddb_b64(json_string_value(pb), json_string_length(pb), &y);
	if (ok)
		*out = bytes_cmp(x.ptr, x.len, y.ptr, y.len);
	buf_release(&x);
	buf_release(&y);
	return ok;
}

bool ddb_value_cmp(const json_t *a, const json_t *b, int *out)
{
	enum ddb_type t = ddb_type_of(a);
	json_t *pa = ddb_payload(a), *pb = ddb_payload(b);
	struct ddb_num x, y;
	if (t != ddb_type_of(b))
		return false;
	switch (t) {
	case DDB_T_S:
		*out = bytes_cmp(json_string_value(pa), json_string_length(pa),
				 json_string_value(pb), json_string_length(pb));
		return true;
	case DDB_T_N:
		ddb_value_num(a, &x);
		ddb_value_num(b, &y);
		*out = ddb_num_cmp(&x, &y);
		return true;
	case DDB_T_B:
		return binary_cmp(a, b, out);
	default:
		return false;
	}
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
		return ddb_b64(json_string_value(p), json_string_length(p), out);
	default:
		return ERR_INVAL;
	}
}
