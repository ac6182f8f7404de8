/*
 * Lookups across the resources of one template, for the rules that relate
 * resources to each other: a bucket and the bucket policies that name it, a
 * secret and its rotation schedules, a VPC and its flow logs. Without an
 * index each such rule scanned the whole template once per resource, and a
 * 20,000-resource template spent seconds in strcmp().
 *
 * The index is built when a check run starts (resources grouped by type,
 * O(n log n)) and, on first use, per (type, path) pair: the logical ids and
 * plain strings each resource of that type names at that path, sorted, so a
 * query is a binary search. It lives for one policy_check_template() call.
 */
#include "core/common.h"

#include "core/grow.h"
#include "policy/policy_int.h"
#include "policy/rules/rules.h"

#define INDEX_MAX_REFS 32 /* distinct (type, path) pairs one run may index */

struct ref_entry {
	const char *target; /* a logical id or a plain string */
	const struct template_resource *res;
};

struct ref_table {
	const char *type;
	const char *path;
	struct ref_entry *e;
	size_t n;
};

struct policy_index {
	const struct template *t;
	const struct template_resource **by_type; /* grouped by type, document order within */
	size_t n;
	struct ref_table refs[INDEX_MAX_REFS];
	size_t nrefs;
};

static int by_type_cmp(const void *pa, const void *pb)
{
	const struct template_resource *a = *(const struct template_resource *const *)pa;
	const struct template_resource *b = *(const struct template_resource *const *)pb;
	int c = strcmp(a->type, b->type);

	if (c)
		return c;
	return a < b ? -1 : a > b;
}

int policy_index_new(const struct template *t, struct policy_index **out)
{
	struct policy_index *ix = calloc(1, sizeof(*ix));

	*out = NULL;
	if (!ix)
		return ERR_NOMEM;
	ix->t = t;
	if (t->nres) {
		ix->by_type = malloc(t->nres * sizeof(const struct template_resource *));
		if (!ix->by_type) {
			free(ix);
			return ERR_NOMEM;
		}
		for (size_t i = 0; i < t->nres; i++)
			ix->by_type[i] = &t->res[i];
		qsort(ix->by_type, t->nres, sizeof(const struct template_resource *), by_type_cmp);
	}
	ix->n = t->nres;
	*out = ix;
	return 0;
}

void policy_index_free(struct policy_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nrefs; i++)
		free(ix->refs[i].e);
	free(ix->by_type);
	free(ix);
}

const struct template_resource *const *policy_index_groups(const struct policy_index *ix, size_t *n)
{
	*n = ix->n;
	return ix->by_type;
}

const struct template_resource *const *pr_of_type(struct policy_ctx *cx, const char *type,
						  size_t *n)
{
	const struct policy_index *ix = cx->ix;
	size_t lo = 0, hi, first;

	*n = 0;
	if (!ix || !ix->n)
		return NULL;
	hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->by_type[mid]->type, type) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < ix->n && !strcmp(ix->by_type[lo]->type, type))
		lo++;
	*n = lo - first;
	return *n ? ix->by_type + first : NULL;
}

/* ----- who refers to whom ----- */

struct collect {
	struct ref_table *tab;
	size_t alloc;
	const struct template_resource *res;
	int err;
};

static void add_target(struct collect *c, const char *target)
{
	if (c->err || !target || !*target)
		return;
	c->err = ALLOC_GROW(c->tab->e, c->tab->n + 1, c->alloc);
	if (!c->err)
		c->tab->e[c->tab->n++] = (struct ref_entry){target, c->res};
}

/* Every logical id and plain string named in `v`, at any depth. */
static void collect_value(struct collect *c, const struct tval *v, int depth)
{
	if (!v || depth > TEMPLATE_MAX_DEPTH)
		return;
	switch (v->kind) {
	case TVAL_UNKNOWN:
		if (v->unk == TUNK_REF || v->unk == TUNK_GETATT)
			add_target(c, v->ref);
		break;
	case TVAL_STRING:
		if (!(v->flags & TVAL_F_PARTIAL))
			add_target(c, v->text);
		break;
	case TVAL_SEQ:
	case TVAL_CHOICE:
		for (size_t i = 0; i < v->n; i++)
			collect_value(c, v->items[i], depth + 1);
		break;
	default:
		break;
	}
}

static int collect_alt(const struct tval *alt, void *arg)
{
	collect_value(arg, alt, 0);
	return 0;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct ref_entry *a = pa, *b = pb;
	int c = strcmp(a->target, b->target);

	if (c)
		return c;
	return a->res < b->res ? -1 : a->res > b->res;
}

static struct ref_table *ref_table(struct policy_ctx *cx, const char *type, const char *path)
{
	struct policy_index *ix = cx->ix;
	const struct template_resource *const *rs;
	struct collect c = {0};
	size_t n;

	for (size_t i = 0; i < ix->nrefs; i++)
		if (!strcmp(ix->refs[i].type, type) && !strcmp(ix->refs[i].path, path))
			return &ix->refs[i];
	if (ix->nrefs == INDEX_MAX_REFS) {
		cx->err = ERR_TOOLARGE;
		return NULL;
	}
	c.tab = &ix->refs[ix->nrefs];
	c.tab->type = type;
	c.tab->path = path;
	rs = pr_of_type(cx, type, &n);
	for (size_t i = 0; i < n && !c.err; i++) {
		c.res = rs[i];
		tval_each(rs[i]->props, path, collect_alt, &c);
	}
	if (c.err) {
		free(c.tab->e);
		memset(c.tab, 0, sizeof(*c.tab));
		cx->err = c.err;
		return NULL;
	}
	if (c.tab->n > 1)
		qsort(c.tab->e, c.tab->n, sizeof(*c.tab->e), entry_cmp);
	ix->nrefs++;
	return c.tab;
}

bool pr_referrers(struct policy_ctx *cx, const char *type, const char *path, const char *target,
		  bool (*fn)(const struct template_resource *ref, void *arg), void *arg)
{
	const struct ref_table *tab;
	const struct template_resource *last = NULL;
	size_t lo = 0, hi;

	if (!cx->ix || !target || cx->err)
		return false;
	tab = ref_table(cx, type, path);
	if (!tab)
		return false;
	hi = tab->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(tab->e[mid].target, target) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < tab->n && !strcmp(tab->e[lo].target, target); lo++) {
		/* A resource naming the target twice is reported once. */
		if (tab->e[lo].res == last)
			continue;
		last = tab->e[lo].res;
		if (fn(last, arg))
			return true;
	}
	return false;
}

static bool any_referrer(const struct template_resource *ref, void *arg)
{
	return true;
}

bool pr_referred(struct policy_ctx *cx, const char *type, const char *path, const char *target)
{
	return pr_referrers(cx, type, path, target, any_referrer, NULL);
}
