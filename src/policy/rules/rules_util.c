/*
 * Readers shared by the rule files (see rules.h): alternatives of undecided
 * Fn::If, IAM policy statements and action patterns, secret-looking names.
 * Everything here reads the template model and allocates nothing.
 */
#include "core/common.h"

#include <ctype.h>

#include "policy/rules/rules.h"

struct any_ctx {
	pr_pred pred;
	const struct tval *hit;
};

static int any_cb(const struct tval *alt, void *arg)
{
	struct any_ctx *a = arg;

	if (!a->pred(alt))
		return 0;
	a->hit = alt;
	return 1;
}

bool pr_any(const struct tval *v, const char *path, pr_pred pred, const struct tval **hit)
{
	struct any_ctx a = {pred, NULL};
	bool found;

	if (!v)
		return false;
	found = tval_each(v, path, any_cb, &a) != 0;
	if (hit)
		*hit = found ? a.hit : NULL;
	return found;
}

static bool unknownish(const struct tval *v)
{
	return v && (v->kind == TVAL_UNKNOWN || (v->flags & TVAL_F_PARTIAL));
}

bool pr_missing(const struct tval *v)
{
	return tval_is_absent(v) || v->kind == TVAL_NULL;
}

bool pr_not_true(const struct tval *v)
{
	if (pr_missing(v))
		return true;
	return !unknownish(v) && !tval_is_true(v);
}

bool pr_is_true(const struct tval *v)
{
	return !pr_missing(v) && tval_is_true(v);
}

bool pr_is_false(const struct tval *v)
{
	return !pr_missing(v) && tval_is_false(v);
}

const struct tpos *pr_pos(const struct tval *v, const struct template_resource *r)
{
	if (v && v->pos.line > 0)
		return &v->pos;
	return r ? &r->pos : NULL;
}

bool pr_literal(const struct tval *v)
{
	unsigned not_literal = TVAL_F_PARAM | TVAL_F_DYNREF | TVAL_F_PARTIAL | TVAL_F_INTRINSIC |
			       TVAL_F_SUB | TVAL_F_JOIN;

	if (!v || v->kind != TVAL_STRING || v->len == 0)
		return false;
	if (v->flags & not_literal)
		return false;
	return strstr(v->text, "{{resolve:") == NULL;
}

struct stmt_ctx {
	void (*fn)(const struct tval *stmt, void *arg);
	void *arg;
};

static int stmt_list_cb(const struct tval *alt, void *arg)
{
	struct stmt_ctx *s = arg;
	const struct tval *list[256];
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n, i, j, na;

	if (pr_missing(alt))
		return 0;
	n = tval_as_list(alt, list, ARRAY_SIZE(list));
	for (i = 0; i < n; i++) {
		na = tval_alts(list[i], alts, ARRAY_SIZE(alts));
		for (j = 0; j < na; j++)
			if (alts[j] && alts[j]->kind == TVAL_MAP)
				s->fn(alts[j], s->arg);
	}
	return 0;
}

void pr_statements(const struct tval *doc, void (*fn)(const struct tval *stmt, void *arg),
		   void *arg)
{
	struct stmt_ctx s = {fn, arg};

	if (doc)
		tval_each(doc, "Statement", stmt_list_cb, &s);
}

static bool effect_is(const struct tval *stmt, const char *effect)
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(tval_get(stmt, "Effect"), alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < n; i++)
		if (alts[i] && tval_str_eq(alts[i], effect))
			return true;
	return false;
}

bool pr_allow(const struct tval *stmt)
{
	return effect_is(stmt, "Allow");
}

bool pr_deny(const struct tval *stmt)
{
	return effect_is(stmt, "Deny");
}

bool pr_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Iterative matching with one backtrack point: linear in practice. */
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' ||
			   (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Each string alternative of each item of a string-or-list value. */
static bool list_match(const struct tval *list, const char *s, bool glob)
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	const struct tval *items[512];
	size_t na = tval_alts(list, alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < na; i++) {
		size_t n = tval_as_list(alts[i], items, ARRAY_SIZE(items));

		for (size_t j = 0; j < n; j++) {
			const struct tval *ia[TEMPLATE_MAX_ALTS];
			size_t nia = tval_alts(items[j], ia, ARRAY_SIZE(ia));

			for (size_t k = 0; k < nia; k++) {
				const char *t = tval_str(ia[k]);

				if (!t || (ia[k]->flags & TVAL_F_PARTIAL))
					continue;
				if (glob ? pr_glob(t, s) : strcmp(t, s) == 0)
					return true;
			}
		}
	}
	return false;
}

bool pr_covers(const struct tval *list, const char *action)
{
	return list && list_match(list, action, true);
}

bool pr_has(const struct tval *list, const char *s)
{
	return list && list_match(list, s, false);
}

bool pr_principal_star(const struct tval *principal)
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(principal, alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < n; i++) {
		const struct tval *p = alts[i];

		if (!p)
			continue;
		if (tval_str_eq(p, "*"))
			return true;
		if (p->kind == TVAL_MAP && pr_has(tval_get(p, "AWS"), "*"))
			return true;
	}
	return false;
}

struct items_ctx {
	void (*fn)(const struct tval *item, void *arg);
	void *arg;
};

static int items_cb(const struct tval *alt, void *arg)
{
	struct items_ctx *c = arg;
	const struct tval *alts[TEMPLATE_MAX_ALTS];

	if (!alt || alt->kind != TVAL_SEQ)
		return 0;
	for (size_t i = 0; i < alt->n; i++) {
		size_t na = tval_alts(alt->items[i], alts, ARRAY_SIZE(alts));

		for (size_t j = 0; j < na; j++)
			if (alts[j] && !tval_is_absent(alts[j]))
				c->fn(alts[j], c->arg);
	}
	return 0;
}

void pr_items(const struct tval *v, const char *path,
	      void (*fn)(const struct tval *item, void *arg), void *arg)
{
	struct items_ctx c = {fn, arg};

	if (v)
		tval_each(v, path, items_cb, &c);
}

bool pr_secret_name(const char *name)
{
	static const char *const words[] = {
		"PASSWORD", "PASSWD",	  "SECRET",    "TOKEN",
		"APIKEY",   "PRIVATEKEY", "ACCESSKEY", "CREDENTIAL",
	};
	char up[128];
	size_t n = 0;

	if (!name)
		return false;
	for (const char *p = name; *p && n + 1 < sizeof(up); p++)
		if (*p != '_' && *p != '-')
			up[n++] = (char)toupper((unsigned char)*p);
	up[n] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(up, words[i]))
			return true;
	return false;
}

bool pr_refers_to(const struct tval *v, const char *id)
{
	const struct tval *alts[TEMPLATE_MAX_ALTS];
	size_t n = tval_alts(v, alts, ARRAY_SIZE(alts));

	for (size_t i = 0; i < n; i++) {
		const struct tval *a = alts[i];

		if (a && a->kind == TVAL_UNKNOWN && (a->unk == TUNK_REF || a->unk == TUNK_GETATT) &&
		    a->ref && strcmp(a->ref, id) == 0)
			return true;
	}
	return false;
}

bool pr_plaintext_secret(const char *name, const struct tval *v)
{
	static const char *const pointers[] = {
		"ARN", "NAME", "ID",	   "TABLE",  "PATH", "PARAM", "PARAMETER",
		"URL", "TTL",  "ENDPOINT", "HEADER", "FILE", "TYPE",  "ENABLED",
	};
	size_t nlen;

	if (!pr_secret_name(name) || !pr_literal(v) || v->len < 4)
		return false;
	if (strncmp(v->text, "arn:", 4) == 0 || v->text[0] == '/')
		return false;
	nlen = strlen(name);
	for (size_t i = 0; i < ARRAY_SIZE(pointers); i++) {
		size_t plen = strlen(pointers[i]);

		if (nlen > plen && strcasecmp(name + nlen - plen, pointers[i]) == 0 &&
		    (name[nlen - plen - 1] == '_' || name[nlen - plen - 1] == '-' ||
		     islower((unsigned char)name[nlen - plen - 1])))
			return false;
	}
	return true;
}
