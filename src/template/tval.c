/*
 * Template values: the read-only accessors rules use (tval_get, tval_each,
 * tval_alts, ...) and the builders the loader uses. Builders allocate in the
 * template's arena and count nodes against TEMPLATE_MAX_NODES so that a
 * hostile template cannot grow the model without bound.
 */
#include "core/common.h"

#include "template/template_int.h"

/* ----- builders ----- */

static bool count_node(struct tctx *c)
{
	if (c->err)
		return false;
	if (++c->nodes > TEMPLATE_MAX_NODES) {
		tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_TOOLARGE,
			  "template has more than %d values", TEMPLATE_MAX_NODES);
		return false;
	}
	return true;
}

static void *c_alloc(struct tctx *c, size_t n)
{
	void *p = arena_zalloc(c->a, n);

	if (!p && !c->err)
		tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_NOMEM, "out of memory");
	return p;
}

struct tval *tv_new(struct tctx *c, enum tval_kind k, struct tpos pos)
{
	struct tval *v;

	if (!count_node(c))
		return NULL;
	v = c_alloc(c, sizeof(*v));
	if (!v)
		return NULL;
	v->kind = k;
	v->pos = pos;
	if (k != TVAL_SEQ && k != TVAL_MAP && k != TVAL_CHOICE)
		v->text = "";
	return v;
}

/*
 * Does `s` hold a dynamic reference ("{{resolve:")? memchr() first: most
 * strings have no brace, and memmem() prepares its search on every call.
 */
static bool has_dynref(const char *s, size_t len)
{
	for (const char *p = s; (p = memchr(p, '{', (size_t)(s + len - p)));) {
		if ((size_t)(s + len - p) >= 10 && !memcmp(p, "{{resolve:", 10))
			return true;
		if (++p >= s + len)
			break;
	}
	return false;
}

struct tval *tv_string(struct tctx *c, struct tpos pos, const char *s, size_t len)
{
	struct tval *v = tv_new(c, TVAL_STRING, pos);
	char *t;

	if (!v)
		return NULL;
	t = arena_strndup(c->a, s, len);
	if (!t) {
		tctx_fail(c, pos, ERR_NOMEM, "out of memory");
		return NULL;
	}
	v->text = t;
	v->len = len;
	if (has_dynref(t, len))
		v->flags |= TVAL_F_DYNREF;
	return v;
}

struct tval *tv_cstr(struct tctx *c, struct tpos pos, const char *s)
{
	return tv_string(c, pos, s, strlen(s));
}

struct tval *tv_copy(struct tctx *c, const struct tval *v)
{
	struct tval *n;

	if (!count_node(c))
		return NULL;
	n = c_alloc(c, sizeof(*n));
	if (n)
		*n = *v;
	return n;
}

struct tval *tv_unknown(struct tctx *c, struct tpos pos, enum tval_unknown u, const char *ref,
			const char *attr, const char *desc)
{
	struct tval *v = tv_new(c, TVAL_UNKNOWN, pos);

	if (!v)
		return NULL;
	v->unk = u;
	v->ref = ref ? arena_strdup(c->a, ref) : NULL;
	v->attr = attr ? arena_strdup(c->a, attr) : NULL;
	v->text = arena_strdup(c->a, desc ? desc : "");
	if ((ref && !v->ref) || (attr && !v->attr) || !v->text) {
		tctx_fail(c, pos, ERR_NOMEM, "out of memory");
		return NULL;
	}
	v->len = strlen(v->text);
	v->flags |= TVAL_F_INTRINSIC;
	return v;
}

/* Grow an array of `size`-byte elements held in the arena to fit n + 1. */
static void *grow(struct tctx *c, void *old, size_t n, size_t *alloc, size_t size)
{
	size_t na;
	void *p;

	if (n < *alloc)
		return old;
	na = *alloc ? *alloc * 2 : 4;
	p = c_alloc(c, na * size);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, old, n * size);
	*alloc = na;
	return p;
}

int tv_push(struct tctx *c, struct tval *seq, size_t *alloc, struct tval *item)
{
	struct tval **items = grow(c, seq->items, seq->n, alloc, sizeof(struct tval *));

	if (!items)
		return c->err;
	seq->items = items;
	items[seq->n++] = item;
	return 0;
}

int tv_put(struct tctx *c, struct tval *map, size_t *alloc, const char *key, struct tpos kpos,
	   struct tval *val)
{
	struct tval_pair *pairs = grow(c, map->pairs, map->n, alloc, sizeof(*pairs));

	if (!pairs)
		return c->err;
	map->pairs = pairs;
	pairs[map->n].key = key;
	pairs[map->n].key_pos = kpos;
	pairs[map->n].val = val;
	map->n++;
	return 0;
}

struct tval *tv_map1(struct tctx *c, struct tpos pos, const char *key, struct tval *val)
{
	struct tval *m = tv_new(c, TVAL_MAP, pos);
	size_t alloc = 0;

	if (!m || !val || tv_put(c, m, &alloc, key, pos, val))
		return NULL;
	return m;
}

bool tv_is_intrinsic(const struct tval *v)
{
	const char *k;

	if (!v || v->kind != TVAL_MAP || v->n != 1)
		return false;
	k = v->pairs[0].key;
	return !strcmp(k, "Ref") || !strcmp(k, "Condition") || !strncmp(k, "Fn::", 4);
}

/* ----- accessors ----- */

const struct tval_pair *tval_get_pair(const struct tval *v, const char *key)
{
	size_t i;

	if (!v || !key || v->kind != TVAL_MAP)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->pairs[i].key, key))
			return &v->pairs[i];
	return NULL;
}

const struct tval *tval_get(const struct tval *v, const char *key)
{
	const struct tval_pair *p = tval_get_pair(v, key);

	return p ? p->val : NULL;
}

/* One path step: a map key, or a list index when `v` is a SEQ. */
static const struct tval *step(const struct tval *v, const char *seg, size_t len)
{
	char key[256];
	size_t i;

	if (!v || len >= sizeof(key))
		return NULL;
	memcpy(key, seg, len);
	key[len] = '\0';
	if (v->kind == TVAL_SEQ) {
		long long idx;

		if (str_to_i64(str_make(seg, len), 0, LLONG_MAX, &idx) || (size_t)idx >= v->n)
			return NULL;
		return v->items[idx];
	}
	if (v->kind != TVAL_MAP)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->pairs[i].key, key))
			return v->pairs[i].val;
	return NULL;
}

const struct tval *tval_get_path(const struct tval *v, const char *path)
{
	const char *p = path, *dot;

	if (!path)
		return v;
	while (v && *p) {
		dot = strchr(p, '.');
		if (!dot)
			dot = p + strlen(p);
		v = step(v, p, (size_t)(dot - p));
		p = *dot ? dot + 1 : dot;
	}
	return v;
}

struct each_state {
	int (*fn)(const struct tval *, void *);
	void *ctx;
	unsigned calls;
};

static int each_walk(struct each_state *st, const struct tval *v, const char *path)
{
	const char *dot;
	int r;

	if (v && v->kind == TVAL_CHOICE) {
		size_t i;

		for (i = 0; i < v->n; i++) {
			r = each_walk(st, v->items[i], path);
			if (r)
				return r;
		}
		return 0;
	}
	if (v && (v->flags & TVAL_F_ABSENT))
		v = NULL;
	if (!v || !path || !*path) {
		if (st->calls >= TEMPLATE_MAX_ALTS)
			return 0;
		st->calls++;
		return st->fn(v, st->ctx);
	}
	dot = strchr(path, '.');
	if (!dot)
		dot = path + strlen(path);
	return each_walk(st, step(v, path, (size_t)(dot - path)), *dot ? dot + 1 : dot);
}

int tval_each(const struct tval *v, const char *path, int (*fn)(const struct tval *alt, void *ctx),
	      void *ctx)
{
	struct each_state st = {fn, ctx, 0};

	if (!fn)
		return 0;
	return each_walk(&st, v, path);
}

static size_t alts_walk(const struct tval *v, const struct tval **out, size_t max, size_t n)
{
	size_t i;

	if (n >= max)
		return n;
	if (v && v->kind == TVAL_CHOICE) {
		for (i = 0; i < v->n; i++)
			n = alts_walk(v->items[i], out, max, n);
		return n;
	}
	out[n++] = (v && (v->flags & TVAL_F_ABSENT)) ? NULL : v;
	return n;
}

size_t tval_alts(const struct tval *v, const struct tval **out, size_t max)
{
	if (!v || !out)
		return 0;
	return alts_walk(v, out, max, 0);
}

bool tval_is_absent(const struct tval *v)
{
	return !v || (v->flags & TVAL_F_ABSENT);
}

bool tval_is_true(const struct tval *v)
{
	if (!v)
		return false;
	if (v->kind == TVAL_BOOL)
		return v->b;
	return v->kind == TVAL_STRING && !strcasecmp(v->text, "true");
}

bool tval_is_false(const struct tval *v)
{
	if (!v)
		return false;
	if (v->kind == TVAL_BOOL)
		return !v->b;
	return v->kind == TVAL_STRING && !strcasecmp(v->text, "false");
}

const char *tval_str(const struct tval *v)
{
	return v && v->kind == TVAL_STRING ? v->text : NULL;
}

const char *tval_scalar(const struct tval *v)
{
	if (!v)
		return NULL;
	if (v->kind == TVAL_STRING || v->kind == TVAL_NUMBER || v->kind == TVAL_BOOL)
		return v->text;
	return NULL;
}

int tval_int(const struct tval *v, long long *out)
{
	if (!v || !out || (v->kind != TVAL_NUMBER && v->kind != TVAL_STRING))
		return ERR_INVAL;
	if (str_to_i64(str_make(v->text, v->len), LLONG_MIN + 1, LLONG_MAX, out))
		return ERR_INVAL;
	return 0;
}

bool tval_str_eq(const struct tval *v, const char *s)
{
	return v && s && v->kind == TVAL_STRING && !strcmp(v->text, s);
}

size_t tval_as_list(const struct tval *v, const struct tval **out, size_t max)
{
	size_t i;

	if (!v || !out || !max)
		return 0;
	if (v->kind != TVAL_SEQ) {
		out[0] = v;
		return 1;
	}
	for (i = 0; i < v->n && i < max; i++)
		out[i] = v->items[i];
	return i;
}

const char *tval_kind_name(enum tval_kind k)
{
	static const char *const names[] = {
		[TVAL_NULL] = "null",	    [TVAL_BOOL] = "boolean",  [TVAL_NUMBER] = "number",
		[TVAL_STRING] = "string",   [TVAL_SEQ] = "list",      [TVAL_MAP] = "map",
		[TVAL_UNKNOWN] = "unknown", [TVAL_CHOICE] = "choice",
	};

	if ((unsigned)k >= ARRAY_SIZE(names))
		return "?";
	return names[k];
}
