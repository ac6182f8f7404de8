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

/* A parameter without a value here that may be given "false" at deploy time. */
static bool param_may_be_false(const struct template *t, const struct tval *v)
{
	const struct tval *allowed;
	char path[300];

	if (!v || v->kind != TVAL_UNKNOWN || v->unk != TUNK_PARAM || !v->ref)
		return false;
	snprintf(path, sizeof(path), "Parameters.%s.AllowedValues", v->ref);
	allowed = tval_get_path(t->root, path);
	if (!allowed || allowed->kind != TVAL_SEQ)
		return true;
	for (size_t i = 0; i < allowed->n; i++) {
		const char *a = tval_scalar(allowed->items[i]);

		if (!a || strcasecmp(a, "true"))
			return true;
	}
	return false;
}

struct off_walk {
	const struct template *t;
	const struct tval *hit;
};

static int off_cb(const struct tval *alt, void *arg)
{
	struct off_walk *w = arg;

	if (!pr_not_true(alt) && !param_may_be_false(w->t, alt))
		return 0;
	w->hit = alt;
	return 1;
}

bool pr_may_be_off(const struct template *t, const struct tval *props, const char *path,
		   const struct tval **hit)
{
	struct off_walk w = {t, NULL};
	bool off = props && tval_each(props, path, off_cb, &w);

	if (hit)
		*hit = off ? w.hit : NULL;
	return off;
}

/* ----- table-driven checks ----- */

static bool in_values(const char *values, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = values; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && !strncmp(p, s, n))
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/* A string, number or boolean known before deployment, or NULL. */
static const char *known_scalar(const struct tval *v)
{
	if (!v || (v->flags & TVAL_F_PARTIAL) || v->kind == TVAL_UNKNOWN)
		return NULL;
	return tval_scalar(v);
}

static bool spec_fails(const struct pr_spec *s, const struct tval *v)
{
	const char *text = pr_missing(v) ? NULL : known_scalar(v);
	long long n;

	switch (s->want) {
	case PR_WANT_TRUE:
		return pr_not_true(v);
	case PR_WANT_FALSE:
		return pr_missing(v) || pr_is_true(v);
	case PR_WANT_NOT_TRUE:
		return pr_is_true(v);
	case PR_WANT_SET:
		return pr_missing(v) || (v->kind == TVAL_STRING && v->len == 0) ||
		       (v->kind == TVAL_SEQ && v->n == 0);
	case PR_WANT_ONE_OF:
		return pr_missing(v) || (text && !in_values(s->values, text));
	case PR_WANT_NONE_OF:
		return text && in_values(s->values, text);
	case PR_WANT_AT_LEAST:
		if (pr_missing(v))
			return s->dflt < s->min;
		return tval_int(v, &n) == 0 && n < s->min;
	}
	return false;
}

struct spec_walk {
	const struct pr_spec *spec;
	const struct tval *hit;
	bool failed;
};

static int spec_cb(const struct tval *alt, void *arg)
{
	struct spec_walk *w = arg;

	if (!spec_fails(w->spec, alt))
		return 0;
	w->failed = true;
	w->hit = alt;
	return 1;
}

void pr_check_spec(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct pr_spec *s = cx->rule->spec;
	struct spec_walk w = {s, NULL, false};
	const char *xw = s->xw_type && strcmp(s->xw_type, r->type) ? "" : NULL;

	tval_each(r->props, s->path, spec_cb, &w);
	if (!w.failed)
		return;
	policy_flag_as(cx, r, pr_missing(w.hit) ? NULL : pr_pos(w.hit, r), xw, xw, "%s '%s' %s; %s",
		       s->noun, r->id, s->problem, s->fix);
}

/* ----- credentials in text ----- */

static bool key_id_char(char c)
{
	return isupper((unsigned char)c) || isdigit((unsigned char)c);
}

/* AKIA/ASIA (and the other IAM unique-id prefixes) + 16 upper-case letters or digits. */
static bool has_access_key_id(const char *s, size_t len)
{
	static const char *const prefixes[] = {"AKIA", "ASIA", "AIDA", "AROA",
					       "AIPA", "ANPA", "ANVA", "AGPA"};

	for (size_t i = 0; i + 20 <= len; i++) {
		bool pfx = false;
		size_t k;

		for (size_t p = 0; p < ARRAY_SIZE(prefixes) && !pfx; p++)
			pfx = !strncmp(s + i, prefixes[p], 4);
		if (!pfx || (i > 0 && key_id_char(s[i - 1])))
			continue;
		for (k = 4; k < 20 && key_id_char(s[i + k]); k++)
			;
		if (k == 20 && (i + 20 == len || !key_id_char(s[i + 20])))
			return true;
	}
	return false;
}

static bool secret_char(char c)
{
	return isalnum((unsigned char)c) || c == '/' || c == '+';
}

/* A run of exactly 40 base64 letters mixing upper case, lower case and digits. */
static bool has_secret_key(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t j = i;
		bool up = false, low = false, dig = false;

		while (j < len && secret_char(s[j])) {
			up |= isupper((unsigned char)s[j]) != 0;
			low |= islower((unsigned char)s[j]) != 0;
			dig |= isdigit((unsigned char)s[j]) != 0;
			j++;
		}
		if (j - i == 40 && up && low && dig && (j == len || s[j] != '='))
			return true;
		i = j == i ? i + 1 : j;
	}
	return false;
}

bool pr_credential_in(const char *s, size_t len, const char **what)
{
	if (!s)
		return false;
	if (has_access_key_id(s, len)) {
		*what = "an AWS access key id";
		return true;
	}
	if (memmem(s, len, "PRIVATE KEY-----", 16)) {
		*what = "a private key";
		return true;
	}
	if (has_secret_key(s, len)) {
		*what = "what looks like an AWS secret access key";
		return true;
	}
	return false;
}
