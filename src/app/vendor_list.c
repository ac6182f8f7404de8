/*
 * The Global Vendor List reader (see vendor_list.h), on the pull scanner of
 * preferences_json.h. Two growable pools (names and id lists) and the vendor
 * array are capped by the input's size, so a hostile list cannot make us
 * allocate more than a small multiple of what it is.
 */
#include "core/common.h"

#include "app/preferences_json.h"
#include "app/vendor_list.h"
#include "core/grow.h"
#include "core/timeutil.h"

/* What one parse builds before the table is assembled. */
struct builder {
	struct vendor_list *vl;
	struct jscan s;
	char *why;
	size_t why_len;
	/* Pools; vendors refer to them by offset until the end. */
	char *names;
	size_t names_len, names_alloc;
	uint16_t *ids;
	size_t ids_len, ids_alloc;
	struct raw_vendor {
		uint32_t id;
		size_t name_off, purposes_off, leg_off, features_off;
		uint8_t np, nl, nf;
		int64_t deleted_ms;
	} * raw;
	size_t nraw, raw_alloc;
	size_t cap; /* bytes the pools may hold together */
};

static int fail(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct builder *b, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jscan_fail(&b->s, "invalid vendor list");
	snprintf(b->why, b->why_len, "column %zu: %s", (size_t)(b->s.p - b->s.start) + 1, msg);
	return ERR_PARSE;
}

/* The scanner's own error as a sentence. */
static int scan_error(struct builder *b)
{
	snprintf(b->why, b->why_len, "column %zu: %s", b->s.err_at + 1,
		 b->s.err ? b->s.err : "malformed");
	return ERR_PARSE;
}

static bool decode_id(const struct jstring *name, uint32_t max, uint32_t *out)
{
	char text[16];
	long n = jscan_decode(name, text, sizeof(text));
	long long v;

	if (n <= 0 || text[0] == '0' || str_to_i64(str_make(text, (size_t)n), 1, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* {"<id>": {...}, ...}: mark each id in `seen`, skipping the objects. */
static int read_id_map(struct builder *b, bool *seen, size_t *count, const char *what)
{
	struct jstring name;
	bool first = true;
	uint32_t id;
	int r;

	if (!jscan_object_begin(&b->s))
		return scan_error(b);
	while ((r = jscan_object_next(&b->s, &name, &first)) == 1) {
		if (!decode_id(&name, GVL_MAX_PURPOSE_ID, &id))
			return fail(b, "%s: \"%.*s\" is not an id from 1 to %d", what,
				    (int)MIN(name.raw.len, (size_t)20), name.raw.ptr,
				    GVL_MAX_PURPOSE_ID);
		if (!jscan_skip(&b->s))
			return scan_error(b);
		if (!seen[id] && count)
			(*count)++;
		seen[id] = true;
	}
	return r == 0 ? 0 : scan_error(b);
}

/* [1, 2, 3] into the ids pool; its offset and length. */
static int read_id_array(struct builder *b, uint32_t vendor, const char *what, size_t *off,
			 uint8_t *n)
{
	bool first = true;
	long long v;
	int r, err;

	*off = b->ids_len;
	*n = 0;
	if (jscan_peek(&b->s) != '[')
		return fail(b, "vendor %u: \"%s\" is not an array of integers", vendor, what);
	jscan_array_begin(&b->s);
	while ((r = jscan_array_next(&b->s, &first)) == 1) {
		if (!jscan_int(&b->s, 1, GVL_MAX_PURPOSE_ID, &v))
			return fail(b,
				    "vendor %u: \"%s\" holds something else than an id from 1 "
				    "to %d",
				    vendor, what, GVL_MAX_PURPOSE_ID);
		if (*n == GVL_MAX_LIST)
			return fail(b, "vendor %u: \"%s\" lists more than %d ids", vendor, what,
				    GVL_MAX_LIST);
		if (b->ids_len * sizeof(uint16_t) + b->names_len >= b->cap)
			return fail(b, "the list is larger than its own text allows");
		if ((err = ALLOC_GROW(b->ids, b->ids_len + 1, b->ids_alloc)))
			return err;
		b->ids[b->ids_len++] = (uint16_t)v;
		(*n)++;
	}
	return r == 0 ? 0 : scan_error(b);
}

static int read_name(struct builder *b, struct raw_vendor *v)
{
	struct jstring js;
	long n;
	int err;

	if (!jscan_string(&b->s, &js))
		return scan_error(b);
	if (b->names_len + js.raw.len + 1 + b->ids_len * sizeof(uint16_t) > b->cap)
		return fail(b, "the list is larger than its own text allows");
	if ((err = ALLOC_GROW(b->names, b->names_len + js.raw.len + 1, b->names_alloc)))
		return err;
	n = jscan_decode(&js, b->names + b->names_len, js.raw.len + 1);
	if (n < 0 || memchr(b->names + b->names_len, 0, (size_t)n))
		return fail(b, "vendor %u: its name is not text", v->id);
	v->name_off = b->names_len;
	b->names_len += (size_t)n + 1;
	return 0;
}

static int read_deleted(struct builder *b, struct raw_vendor *v)
{
	struct jstring js;
	char text[64];
	long n;

	if (jscan_peek(&b->s) == 'n')
		return jscan_skip(&b->s) ? 0 : scan_error(b);
	if (!jscan_string(&b->s, &js))
		return scan_error(b);
	n = jscan_decode(&js, text, sizeof(text));
	if (n < 0 || time_parse_rfc3339(text, (size_t)n, &v->deleted_ms) || v->deleted_ms == 0)
		return fail(b, "vendor %u: deletedDate is not an RFC 3339 date-time", v->id);
	return 0;
}

/* One vendor object; `key` is its id as the map's member name. */
static int read_vendor(struct builder *b, uint32_t key)
{
	struct raw_vendor v = {.id = 0, .name_off = SIZE_MAX};
	struct jstring name;
	bool first = true;
	long long id;
	int r, err = 0;

	if (!jscan_object_begin(&b->s))
		return scan_error(b);
	while (!err && (r = jscan_object_next(&b->s, &name, &first)) == 1) {
		if (jscan_is(&name, "id"))
			err = jscan_int(&b->s, 1, PREFS_MAX_ID, &id) ? (v.id = (uint32_t)id, 0)
								     : scan_error(b);
		else if (jscan_is(&name, "name"))
			err = read_name(b, &v);
		else if (jscan_is(&name, "purposes"))
			err = read_id_array(b, key, "purposes", &v.purposes_off, &v.np);
		else if (jscan_is(&name, "legIntPurposes"))
			err = read_id_array(b, key, "legIntPurposes", &v.leg_off, &v.nl);
		else if (jscan_is(&name, "features"))
			err = read_id_array(b, key, "features", &v.features_off, &v.nf);
		else if (jscan_is(&name, "deletedDate"))
			err = read_deleted(b, &v);
		else if (!jscan_skip(&b->s))
			err = scan_error(b);
	}
	if (err)
		return err;
	if (r < 0)
		return scan_error(b);
	if (v.id != key)
		return fail(b, "vendor \"%u\" has id %u", key, v.id);
	if (v.name_off == SIZE_MAX)
		return fail(b, "vendor %u has no name", key);
	if ((err = ALLOC_GROW(b->raw, b->nraw + 1, b->raw_alloc)))
		return err;
	b->raw[b->nraw++] = v;
	b->vl->max_vendor_id = MAX(b->vl->max_vendor_id, key);
	return 0;
}

static int read_vendors(struct builder *b)
{
	struct jstring name;
	bool first = true;
	uint32_t key;
	int r, err;

	if (!jscan_object_begin(&b->s))
		return scan_error(b);
	while ((r = jscan_object_next(&b->s, &name, &first)) == 1) {
		if (!decode_id(&name, PREFS_MAX_ID, &key))
			return fail(b, "vendors: \"%.*s\" is not an id from 1 to %d",
				    (int)MIN(name.raw.len, (size_t)20), name.raw.ptr, PREFS_MAX_ID);
		if ((err = read_vendor(b, key)))
			return err;
	}
	return r == 0 ? 0 : scan_error(b);
}

static int read_string(struct builder *b, char *out, size_t cap)
{
	struct jstring js;

	if (!jscan_string(&b->s, &js))
		return scan_error(b);
	if (jscan_decode(&js, out, cap) < 0)
		return fail(b, "a string is too long");
	return 0;
}

static int read_top(struct builder *b)
{
	struct vendor_list *vl = b->vl;
	struct jstring name;
	bool first = true, vendors = false;
	long long v;
	int r, err = 0;

	if (!jscan_object_begin(&b->s))
		return scan_error(b);
	while (!err && (r = jscan_object_next(&b->s, &name, &first)) == 1) {
		if (jscan_is(&name, "vendorListVersion") || jscan_is(&name, "tcfPolicyVersion") ||
		    jscan_is(&name, "gvlSpecificationVersion")) {
			if (!jscan_int(&b->s, 0, INT32_MAX, &v))
				return scan_error(b);
			*(jscan_is(&name, "vendorListVersion")	? &vl->version
			  : jscan_is(&name, "tcfPolicyVersion") ? &vl->policy_version
								: &vl->spec_version) = (long)v;
		} else if (jscan_is(&name, "lastUpdated")) {
			err = read_string(b, vl->last_updated, sizeof(vl->last_updated));
		} else if (jscan_is(&name, "purposes")) {
			err = read_id_map(b, vl->purpose, &vl->npurposes, "purposes");
		} else if (jscan_is(&name, "specialPurposes")) {
			err = read_id_map(b, vl->special_purpose, NULL, "specialPurposes");
		} else if (jscan_is(&name, "features")) {
			err = read_id_map(b, vl->feature, NULL, "features");
		} else if (jscan_is(&name, "vendors")) {
			vendors = true;
			err = read_vendors(b);
		} else if (!jscan_skip(&b->s)) {
			err = scan_error(b);
		}
	}
	if (err)
		return err;
	if (r < 0 || !jscan_at_end(&b->s))
		return scan_error(b);
	if (!vendors || !vl->version)
		return fail(b, "this is not a vendor list: no vendorListVersion or vendors");
	return 0;
}

/* Move the pools into the list and point each vendor into them. */
static int assemble(struct builder *b)
{
	struct vendor_list *vl = b->vl;

	vl->vendors = calloc(b->nraw + 1, sizeof(*vl->vendors));
	vl->index = calloc((size_t)vl->max_vendor_id + 1, sizeof(*vl->index));
	if (!vl->vendors || !vl->index)
		return ERR_NOMEM;
	static const uint16_t none[1];
	const uint16_t *ids;

	vl->names = b->names, b->names = NULL;
	vl->ids = b->ids, b->ids = NULL;
	ids = vl->ids ? vl->ids : none; /* no vendor lists an id: nothing to point into */
	for (size_t i = 0; i < b->nraw; i++) {
		const struct raw_vendor *r = &b->raw[i];
		struct gvl_vendor *g = &vl->vendors[i];

		if (vl->index[r->id]) {
			snprintf(b->why, b->why_len, "vendor %u is listed twice", r->id);
			return ERR_PARSE;
		}
		vl->index[r->id] = (uint32_t)i + 1;
		g->id = r->id;
		g->name = vl->names + r->name_off;
		g->purposes = ids + r->purposes_off;
		g->leg_int_purposes = ids + r->leg_off;
		g->features = ids + r->features_off;
		g->npurposes = r->np, g->nleg_int = r->nl, g->nfeatures = r->nf;
		g->deleted_ms = r->deleted_ms;
	}
	vl->nvendors = b->nraw;
	vl->bytes = sizeof(*vl) + b->nraw * sizeof(*vl->vendors) +
		    ((size_t)vl->max_vendor_id + 1) * sizeof(*vl->index) + b->names_alloc +
		    b->ids_alloc * sizeof(uint16_t);
	return 0;
}

int vendor_list_parse(const char *json, size_t len, struct vendor_list **out, char *why,
		      size_t why_len)
{
	struct builder b = {.why = why, .why_len = why_len, .cap = len + 64};
	int err;

	*out = NULL;
	b.vl = calloc(1, sizeof(*b.vl));
	if (!b.vl)
		return ERR_NOMEM;
	jscan_init(&b.s, json, len);
	err = read_top(&b);
	if (!err)
		err = assemble(&b);
	free(b.names);
	free(b.ids);
	free(b.raw);
	if (err) {
		if (err == ERR_NOMEM)
			snprintf(why, why_len, "out of memory");
		vendor_list_free(b.vl);
		return err;
	}
	*out = b.vl;
	return 0;
}

void vendor_list_free(struct vendor_list *vl)
{
	if (!vl)
		return;
	free(vl->vendors);
	free(vl->index);
	free(vl->names);
	free(vl->ids);
	free(vl);
}

const struct gvl_vendor *vendor_list_find(const struct vendor_list *vl, uint32_t id)
{
	if (!vl || id == 0 || id > vl->max_vendor_id || !vl->index[id])
		return NULL;
	return &vl->vendors[vl->index[id] - 1];
}

bool vendor_list_usable(const struct vendor_list *vl, uint32_t id, int64_t now_ms)
{
	const struct gvl_vendor *v = vendor_list_find(vl, id);

	return v && (v->deleted_ms == 0 || v->deleted_ms > now_ms);
}

bool vendor_list_has_purpose(const struct vendor_list *vl, uint32_t id)
{
	return vl && id <= GVL_MAX_PURPOSE_ID && vl->purpose[id];
}
