/*
 * Fn::ForEach of the AWS::LanguageExtensions transform, expanded the way
 * the transform expands it before CloudFormation reads the template:
 *
 *   Fn::ForEach::Topics:
 *     - Name                      # the identifier
 *     - [Orders, Refunds]         # the collection, or !Ref a list parameter
 *     - Topic${Name}:             # the output key, one per item
 *         Type: AWS::SNS::Topic
 *         Properties: {TopicName: !Sub "${Name}-events"}
 *
 * Each item copies the fragment with `${Name}` replaced by the item and
 * `&{Name}` by the item without its non-alphanumeric characters, in keys
 * and in every string, and `!Ref Name` replaced by the item; loops nest,
 * and may stand in Resources, Conditions, Outputs and any map below them
 * (a resource's properties). Copies share every node the identifier does
 * not touch, so positions stay those of the loop's text and an expanded
 * resource costs what its changed strings cost.
 *
 * A collection known only at deploy time (a list parameter without a
 * default, a Fn::Split of an attribute) cannot be expanded: the loop is
 * dropped, as it was before loops were read, and what it would make is
 * not checked.
 */
#include "core/common.h"

#include <ctype.h>

#include "template/template_int.h"

#define FOREACH_PREFIX "Fn::ForEach::"

struct foreach_item {
	const char *id;	  /* the identifier */
	const char *text; /* the item */
	size_t id_len;
};

static int expand(struct tctx *c, const struct tval *v, unsigned depth, const struct tval **out);

static bool is_loop_key(const char *key)
{
	return !strncmp(key, FOREACH_PREFIX, sizeof(FOREACH_PREFIX) - 1);
}

/* Does `s` hold ${id} or &{id}? */
static bool mentions(const char *s, size_t len, const struct foreach_item *it)
{
	for (const char *p = s; p && p + it->id_len + 3 <= s + len; p++) {
		p = memchr(p, '{', (size_t)(s + len - p));
		if (!p || p == s)
			return false;
		if ((p[-1] == '$' || p[-1] == '&') && (size_t)(s + len - p) > it->id_len + 1 &&
		    !memcmp(p + 1, it->id, it->id_len) && p[1 + it->id_len] == '}')
			return true;
	}
	return false;
}

/* `s` with ${id} and &{id} replaced, in the arena; NULL when out of memory. */
static char *replace(struct tctx *c, const char *s, size_t len, const struct foreach_item *it,
		     size_t *out_len)
{
	size_t tl = strlen(it->text);
	/* Each match of 3 + id_len bytes grows by at most tl bytes. */
	size_t cap = len + (len / (it->id_len + 3) + 1) * tl + 1;
	char *out = arena_alloc(c->a, cap);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		bool hit = i + it->id_len + 3 <= len && (s[i] == '$' || s[i] == '&') &&
			   s[i + 1] == '{' && !memcmp(s + i + 2, it->id, it->id_len) &&
			   s[i + 2 + it->id_len] == '}';

		if (!hit) {
			out[n++] = s[i++];
			continue;
		}
		for (size_t k = 0; k < tl; k++)
			if (s[i] == '$' || isalnum((unsigned char)it->text[k]))
				out[n++] = it->text[k];
		i += it->id_len + 3;
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

/*
 * A copy of `v` for one item; `v` itself when the identifier does not
 * appear in it. NULL with c->err set on failure.
 */
static struct tval *subst(struct tctx *c, struct tval *v, const struct foreach_item *it,
			  unsigned depth)
{
	struct tval *n;
	bool changed = false;

	if (depth > TEMPLATE_MAX_DEPTH) {
		tctx_fail(c, v->pos, ERR_TOOLARGE, "Fn::ForEach nests too deeply");
		return NULL;
	}
	switch (v->kind) {
	case TVAL_STRING:
		if (!mentions(v->text, v->len, it))
			return v;
		n = tv_copy(c, v);
		if (n && !(n->text = replace(c, v->text, v->len, it, &n->len))) {
			tctx_fail(c, v->pos, ERR_NOMEM, "out of memory");
			return NULL;
		}
		return n;
	case TVAL_MAP:
		if (v->n == 1 && !strcmp(v->pairs[0].key, "Ref") &&
		    tval_str_eq(v->pairs[0].val, it->id))
			return tv_cstr(c, v->pos, it->text);
		break;
	case TVAL_SEQ:
		break;
	default:
		return v;
	}
	/* A map or a sequence: copy it only when something below changes. */
	{
		struct tval *items[64];
		struct tval **kids = v->n <= ARRAY_SIZE(items)
					     ? items
					     : arena_alloc(c->a, v->n * sizeof(struct tval *));
		const char **keys = NULL;

		if (!kids)
			goto nomem;
		if (v->kind == TVAL_MAP) {
			keys = arena_alloc(c->a, (v->n + 1) * sizeof(*keys));
			if (!keys)
				goto nomem;
		}
		for (size_t i = 0; i < v->n; i++) {
			struct tval *kid = v->kind == TVAL_MAP ? v->pairs[i].val : v->items[i];

			kids[i] = subst(c, kid, it, depth + 1);
			if (!kids[i])
				return NULL;
			changed |= kids[i] != kid;
			if (keys) {
				const char *k = v->pairs[i].key;
				size_t kl = strlen(k), nl;

				keys[i] = mentions(k, kl, it) ? replace(c, k, kl, it, &nl) : k;
				if (!keys[i])
					goto nomem;
				changed |= keys[i] != k;
			}
		}
		if (!changed)
			return v;
		n = tv_copy(c, v);
		if (!n)
			return NULL;
		if (v->kind == TVAL_SEQ) {
			n->items = arena_alloc(c->a, v->n * sizeof(struct tval *));
			if (!n->items)
				goto nomem;
			memcpy(n->items, kids, v->n * sizeof(struct tval *));
			return n;
		}
		n->pairs = arena_alloc(c->a, v->n * sizeof(*n->pairs));
		if (!n->pairs)
			goto nomem;
		for (size_t i = 0; i < v->n; i++) {
			n->pairs[i] = v->pairs[i];
			n->pairs[i].key = keys[i];
			n->pairs[i].val = kids[i];
		}
		return n;
	}
nomem:
	tctx_fail(c, v->pos, ERR_NOMEM, "out of memory");
	return NULL;
}

/*
 * The items of a loop's collection: a list written in place, or a Ref to
 * a list parameter whose value is known. Returns the sequence, or NULL
 * when it is known only at deploy time.
 */
static const struct tval *collection(struct tctx *c, const struct tval *coll)
{
	const struct template_param *p;

	if (coll->kind == TVAL_SEQ)
		return coll;
	if (coll->kind != TVAL_MAP || coll->n != 1 || strcmp(coll->pairs[0].key, "Ref"))
		return NULL;
	p = template_param(c->t, tval_str(coll->pairs[0].val));
	return p && p->value && p->value->kind == TVAL_SEQ ? p->value : NULL;
}

struct map_out {
	struct tval *map;
	size_t alloc;
};

static int put(struct tctx *c, struct map_out *m, const char *key, struct tpos kpos,
	       const struct tval *val)
{
	return tv_put(c, m->map, &m->alloc, key, kpos, (struct tval *)val);
}

/* Expand one Fn::ForEach::<Name> entry of a map into `m`. */
static int expand_loop(struct tctx *c, const struct tval_pair *loop, unsigned depth,
		       struct map_out *m)
{
	const struct tval *args = loop->val, *items, *frag;
	struct foreach_item it;

	if (args->kind != TVAL_SEQ || args->n != 3 || args->items[0]->kind != TVAL_STRING ||
	    !args->items[0]->len || args->items[2]->kind != TVAL_MAP)
		return tctx_fail(c, loop->key_pos, ERR_PARSE,
				 "%s expects [identifier, collection, {key: value}]", loop->key);
	it.id = args->items[0]->text;
	it.id_len = args->items[0]->len;
	frag = args->items[2];
	items = collection(c, args->items[1]);
	if (!items)
		return 0; /* known at deploy time only */
	for (size_t i = 0; i < items->n; i++) {
		const struct tval *one;
		struct tval *copy;
		int err;

		it.text = tval_scalar(items->items[i]);
		if (!it.text)
			return tctx_fail(c, items->items[i]->pos, ERR_PARSE,
					 "%s: the collection must hold strings", loop->key);
		if (++c->nodes > TEMPLATE_MAX_NODES)
			return tctx_fail(c, loop->key_pos, ERR_TOOLARGE,
					 "template has more than %d values", TEMPLATE_MAX_NODES);
		copy = subst(c, (struct tval *)frag, &it, depth);
		if (!copy)
			return c->err;
		if (copy->kind != TVAL_MAP)
			return tctx_fail(c, frag->pos, ERR_PARSE, "%s expects {key: value}",
					 loop->key);
		for (size_t k = 0; k < frag->n; k++)
			if (!is_loop_key(frag->pairs[k].key) &&
			    (copy == frag || copy->pairs[k].key == frag->pairs[k].key))
				return tctx_fail(c, frag->pairs[k].key_pos, ERR_PARSE,
						 "%s: the key %s must contain ${%s} or &{%s}",
						 loop->key, frag->pairs[k].key, it.id, it.id);
		err = expand(c, copy, depth + 1, &one); /* loops in the fragment */
		if (err)
			return err;
		for (size_t k = 0; k < one->n; k++) {
			err = put(c, m, one->pairs[k].key, one->pairs[k].key_pos,
				  one->pairs[k].val);
			if (err)
				return err;
		}
	}
	return 0;
}

static int cmp_pair_key(const void *a, const void *b)
{
	return strcmp((*(const struct tval_pair *const *)a)->key,
		      (*(const struct tval_pair *const *)b)->key);
}

/* Two loops, or a loop and a plain key, making the same key fail the load. */
static int check_unique(struct tctx *c, const struct tval *map)
{
	const struct tval_pair **sorted;

	if (!map)
		return 0;
	sorted = arena_alloc(c->a, (map->n + 1) * sizeof(const struct tval_pair *));
	if (!sorted)
		return tctx_fail(c, map->pos, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < map->n; i++)
		sorted[i] = &map->pairs[i];
	qsort(sorted, map->n, sizeof(const struct tval_pair *), cmp_pair_key);
	for (size_t i = 1; i < map->n; i++) {
		const struct tval_pair *a = sorted[i - 1], *b = sorted[i];

		if (strcmp(a->key, b->key))
			continue;
		/* Report the later of the two, whatever order qsort() left them in. */
		if (a->key_pos.line > b->key_pos.line ||
		    (a->key_pos.line == b->key_pos.line && a->key_pos.col > b->key_pos.col))
			b = a;
		return tctx_fail(c, b->key_pos, ERR_PARSE,
				 "Fn::ForEach makes the key %s a second time", b->key);
	}
	return 0;
}

static int expand_map(struct tctx *c, const struct tval *v, unsigned depth, const struct tval **out)
{
	struct map_out m = {NULL, 0};
	bool loops = false;
	int err;

	for (size_t i = 0; i < v->n; i++) {
		const struct tval *kid = v->pairs[i].val;

		if (is_loop_key(v->pairs[i].key)) {
			loops = true;
		} else {
			err = expand(c, v->pairs[i].val, depth + 1, &kid);
			if (err)
				return err;
			if (kid == v->pairs[i].val && !m.map)
				continue;
		}
		if (!m.map) { /* the first change: copy what came before */
			m.map = tv_new(c, TVAL_MAP, v->pos);
			if (!m.map)
				return c->err;
			for (size_t k = 0; k < i; k++) {
				err = put(c, &m, v->pairs[k].key, v->pairs[k].key_pos,
					  v->pairs[k].val);
				if (err)
					return err;
			}
		}
		err = is_loop_key(v->pairs[i].key)
			      ? expand_loop(c, &v->pairs[i], depth, &m)
			      : put(c, &m, v->pairs[i].key, v->pairs[i].key_pos, kid);
		if (err)
			return err;
	}
	*out = m.map ? m.map : v;
	return loops ? check_unique(c, m.map) : 0;
}

/* A sequence whose maps hold loops: copied when an item changes. */
static int expand_seq(struct tctx *c, const struct tval *v, unsigned depth, const struct tval **out)
{
	struct tval *n = NULL;

	for (size_t i = 0; i < v->n; i++) {
		const struct tval *kid;
		int err = expand(c, v->items[i], depth + 1, &kid);

		if (err)
			return err;
		if (kid == v->items[i])
			continue;
		if (!n) {
			n = tv_copy(c, v);
			if (!n)
				return c->err;
			n->items = arena_alloc(c->a, v->n * sizeof(struct tval *));
			if (!n->items)
				return tctx_fail(c, v->pos, ERR_NOMEM, "out of memory");
			memcpy(n->items, v->items, v->n * sizeof(struct tval *));
		}
		n->items[i] = (struct tval *)kid;
	}
	*out = n ? n : v;
	return 0;
}

static int expand(struct tctx *c, const struct tval *v, unsigned depth, const struct tval **out)
{
	*out = v;
	if (depth > TEMPLATE_MAX_DEPTH)
		return tctx_fail(c, v->pos, ERR_TOOLARGE, "Fn::ForEach nests too deeply");
	if (v->kind == TVAL_MAP)
		return expand_map(c, v, depth, out);
	if (v->kind == TVAL_SEQ)
		return expand_seq(c, v, depth, out);
	return 0;
}

/* Does any key at or below `v` start a loop? A scan that costs no memory. */
static bool has_loop(const struct tval *v, unsigned depth)
{
	if (depth > TEMPLATE_MAX_DEPTH)
		return false;
	if (v->kind == TVAL_MAP) {
		for (size_t i = 0; i < v->n; i++)
			if (is_loop_key(v->pairs[i].key) || has_loop(v->pairs[i].val, depth + 1))
				return true;
	} else if (v->kind == TVAL_SEQ) {
		for (size_t i = 0; i < v->n; i++)
			if (has_loop(v->items[i], depth + 1))
				return true;
	}
	return false;
}

int tforeach_expand(struct tctx *c, const struct tval *sec, const struct tval **out)
{
	*out = sec;
	if (!sec || !has_loop(sec, 0))
		return 0;
	return expand(c, sec, 0, out);
}
