/*
 * Filter patterns (cw_filter.h). A pattern is parsed once into terms (the
 * unstructured form), or a tree of comparisons (JSON and space-delimited
 * forms) in a fixed array, with every string in one arena. Matching a JSON
 * pattern parses the event with jansson, which is the expensive part, so
 * the literals an event must contain for an AND of equalities to hold are
 * looked for first with memmem(): most events are refused without a parse.
 */
#include "core/common.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>

#include "core/arena.h"
#include "core/json.h"
#include "local/cloudwatch/cw_filter.h"

#define CW_FILTER_ARENA	      ((size_t)64 << 10)
#define CW_FILTER_PATH_MAX    16 /* segments of one selector */
#define CW_FILTER_PREFILTER   8	 /* literals checked before parsing an event */
#define CW_FILTER_EVENT_FIELD 256

enum fkind { F_ALL, F_TERMS, F_REGEX, F_JSON, F_SPACE };
enum nkind { N_AND, N_OR, N_CMP };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_NULL, OP_TRUE, OP_FALSE, OP_NOT_EXISTS };
enum vkind { V_NONE, V_STRING, V_NUMBER, V_REGEX };

struct seg {
	const char *key; /* NULL for an index */
	long index;
};

struct node {
	enum nkind kind;
	int a, b; /* AND, OR */
	/* N_CMP: a JSON selector, or a space-delimited field by name */
	struct seg path[CW_FILTER_PATH_MAX];
	int npath;
	const char *field;
	enum op op;
	enum vkind vk;
	const char *text; /* V_STRING, unescaped; may hold '*' wildcards */
	size_t len;
	bool wildcard;
	bool bare; /* written without quotes: also compared with numbers as text */
	double num;
	regex_t *re;
};

struct term {
	const char *text;
	size_t len;
	char kind; /* '+' required, '?' one of these, '-' excluded */
};

struct field {
	const char *name; /* NULL for "..." */
	int cond;	  /* root node of its condition, or -1 */
};

struct cw_filter {
	enum fkind kind;
	struct arena a;
	struct term terms[CW_FILTER_NODES_MAX];
	size_t nterms;
	struct node nodes[CW_FILTER_NODES_MAX];
	size_t nnodes;
	int root;
	struct field fields[CW_FILTER_FIELDS_MAX];
	size_t nfields;
	regex_t *regexes[CW_FILTER_NODES_MAX];
	size_t nregexes;
	struct str prefilter[CW_FILTER_PREFILTER];
	size_t nprefilter;
};

/* ---- the parser ---- */

struct parser {
	struct cw_filter *f;
	const char *p, *end;
	char *why;
	size_t why_len;
	int err;
};

static int perr(struct parser *ps, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perr(struct parser *ps, int err, const char *fmt, ...)
{
	va_list ap;

	if (!ps->err) {
		ps->err = err;
		if (ps->why && ps->why_len) {
			va_start(ap, fmt);
			vsnprintf(ps->why, ps->why_len, fmt, ap);
			va_end(ap);
		}
	}
	return ps->err;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-' ||
	       c == '*';
}

static bool accept(struct parser *ps, const char *s)
{
	size_t n = strlen(s);

	skip_space(ps);
	if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0) {
		ps->p += n;
		return true;
	}
	return false;
}

/* A keyword (IS, NULL, ...): a whole word, any case. */
static bool accept_word(struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);

	skip_space(ps);
	if ((size_t)(ps->end - ps->p) < n || strncasecmp(ps->p, kw, n) != 0)
		return false;
	if (ps->p + n < ps->end && word_char(ps->p[n]))
		return false;
	ps->p += n;
	return true;
}

/* A "quoted string" at ps->p, unescaped into the arena. */
static const char *quoted(struct parser *ps, size_t *len)
{
	struct buf b;
	const char *s;

	buf_init(&b, CW_FILTER_MAX);
	ps->p++; /* the opening quote */
	while (ps->p < ps->end && *ps->p != '"') {
		char c = *ps->p++;

		if (c == '\\' && ps->p < ps->end)
			c = *ps->p++;
		buf_putc(&b, c);
	}
	if (ps->p == ps->end) {
		buf_release(&b);
		perr(ps, ERR_PARSE, "a quoted string is not closed");
		return NULL;
	}
	ps->p++;
	s = arena_strndup(&ps->f->a, b.ptr, b.len);
	*len = b.len;
	buf_release(&b);
	if (!s)
		perr(ps, ERR_NOMEM, "out of memory");
	return s;
}

static regex_t *compile(struct parser *ps, const char *text, size_t len)
{
	regex_t *re;
	char *src = arena_strndup(&ps->f->a, text, len);

	if (!src) {
		perr(ps, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (ps->f->nregexes == ARRAY_SIZE(ps->f->regexes)) {
		perr(ps, ERR_TOOLARGE, "too many regular expressions");
		return NULL;
	}
	re = arena_alloc(&ps->f->a, sizeof(*re));
	if (!re || regcomp(re, src, REG_EXTENDED | REG_NOSUB) != 0) {
		perr(ps, ERR_PARSE, "%%%s%% is not a regular expression this endpoint understands",
		     src);
		return NULL;
	}
	ps->f->regexes[ps->f->nregexes++] = re;
	return re;
}

/* %regex% at ps->p. */
static regex_t *regex_literal(struct parser *ps)
{
	const char *start = ++ps->p;

	while (ps->p < ps->end && *ps->p != '%')
		ps->p++;
	if (ps->p == ps->end) {
		perr(ps, ERR_PARSE, "a regular expression is not closed with %%");
		return NULL;
	}
	ps->p++;
	if (ps->p < ps->end && *ps->p == 'i') {
		perr(ps, ERR_PARSE, "case-insensitive regular expressions are not supported");
		return NULL;
	}
	return compile(ps, start, (size_t)(ps->p - 1 - start));
}

static int new_node(struct parser *ps, enum nkind kind)
{
	struct cw_filter *f = ps->f;

	if (f->nnodes == CW_FILTER_NODES_MAX) {
		perr(ps, ERR_TOOLARGE, "the pattern has too many conditions");
		return -1;
	}
	memset(&f->nodes[f->nnodes], 0, sizeof(f->nodes[0]));
	f->nodes[f->nnodes].kind = kind;
	return (int)f->nnodes++;
}

/* $.a.b[0].c into n->path. */
static void selector(struct parser *ps, struct node *n)
{
	ps->p++; /* '$' */
	while (ps->p < ps->end && (*ps->p == '.' || *ps->p == '[')) {
		struct seg *s;

		if (n->npath == CW_FILTER_PATH_MAX) {
			perr(ps, ERR_TOOLARGE, "a selector is nested too deeply");
			return;
		}
		s = &n->path[n->npath++];
		if (*ps->p == '[') {
			char *end;

			errno = 0;
			s->index = strtol(ps->p + 1, &end, 10);
			if (end == ps->p + 1 || end >= ps->end || *end != ']' || errno ||
			    s->index < 0) {
				perr(ps, ERR_PARSE, "an array index must be a number in [ ]");
				return;
			}
			s->key = NULL;
			ps->p = end + 1;
			continue;
		}
		const char *k = ++ps->p;

		while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '_' ||
					   *ps->p == '-' || *ps->p == '@' || *ps->p == ':'))
			ps->p++;
		if (ps->p == k) {
			perr(ps, ERR_PARSE, "%s",
			     ps->p < ps->end && *ps->p == '*' ? "$.* selectors are not supported"
							      : "a selector needs a member name");
			return;
		}
		s->key = arena_strndup(&ps->f->a, k, (size_t)(ps->p - k));
		if (!s->key)
			perr(ps, ERR_NOMEM, "out of memory");
	}
}

/* The value after a comparison operator. */
static void value(struct parser *ps, struct node *n)
{
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '"') {
		n->vk = V_STRING;
		n->text = quoted(ps, &n->len);
	} else if (ps->p < ps->end && *ps->p == '%') {
		n->vk = V_REGEX;
		n->re = regex_literal(ps);
	} else {
		const char *start = ps->p;
		char *end;

		while (ps->p < ps->end && word_char(*ps->p))
			ps->p++;
		if (ps->p == start) {
			perr(ps, ERR_PARSE, "a comparison needs a value");
			return;
		}
		n->text = arena_strndup(&ps->f->a, start, (size_t)(ps->p - start));
		n->len = (size_t)(ps->p - start);
		n->bare = true;
		if (!n->text) {
			perr(ps, ERR_NOMEM, "out of memory");
			return;
		}
		errno = 0;
		n->num = strtod(n->text, &end);
		n->vk = (*end == '\0' && !errno && isfinite(n->num)) ? V_NUMBER : V_STRING;
	}
	if (n->vk == V_STRING && n->text)
		n->wildcard = memchr(n->text, '*', n->len) != NULL;
}

static void comparison_tail(struct parser *ps, struct node *n)
{
	static const struct {
		const char *s;
		enum op op;
	} ops[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},
		   {"=", OP_EQ},  {"<", OP_LT},	 {">", OP_GT}};

	if (accept_word(ps, "IS")) {
		if (accept_word(ps, "NULL"))
			n->op = OP_NULL;
		else if (accept_word(ps, "TRUE"))
			n->op = OP_TRUE;
		else if (accept_word(ps, "FALSE"))
			n->op = OP_FALSE;
		else
			perr(ps, ERR_PARSE, "IS takes NULL, TRUE or FALSE");
		return;
	}
	if (accept_word(ps, "NOT")) {
		if (!accept_word(ps, "EXISTS"))
			perr(ps, ERR_PARSE, "NOT takes EXISTS (IN is not supported)");
		n->op = OP_NOT_EXISTS;
		return;
	}
	if (accept(ps, "=~") || accept_word(ps, "IN")) {
		perr(ps, ERR_PARSE, "the =~ and IN operators are not supported");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!accept(ps, ops[i].s))
			continue;
		n->op = ops[i].op;
		value(ps, n);
		if (!ps->err && n->op >= OP_LT && n->op <= OP_GE && n->vk != V_NUMBER)
			perr(ps, ERR_PARSE, "< <= > >= compare numbers only");
		if (!ps->err && n->op == OP_NE && n->vk == V_REGEX)
			perr(ps, ERR_PARSE, "a regular expression takes = only");
		return;
	}
	perr(ps, ERR_PARSE,
	     "a comparison operator (=, !=, <, <=, >, >=, IS, NOT EXISTS) "
	     "is missing");
}

static int expr(struct parser *ps, bool json);

static int unary(struct parser *ps, bool json)
{
	int i;

	if (accept(ps, "(")) {
		i = expr(ps, json);
		if (!ps->err && !accept(ps, ")"))
			perr(ps, ERR_PARSE, "a parenthesis is not closed");
		return i;
	}
	if ((i = new_node(ps, N_CMP)) < 0)
		return -1;
	skip_space(ps);
	struct node *n = &ps->f->nodes[i];
	if (json) {
		if (ps->p >= ps->end || *ps->p != '$') {
			perr(ps, ERR_PARSE,
			     "a JSON comparison starts with a selector such as $.level");
			return -1;
		}
		selector(ps, n);
	} else {
		const char *start = ps->p;

		while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '_'))
			ps->p++;
		if (ps->p == start) {
			perr(ps, ERR_PARSE, "a field condition starts with the field's name");
			return -1;
		}
		n->field = arena_strndup(&ps->f->a, start, (size_t)(ps->p - start));
	}
	if (!ps->err)
		comparison_tail(ps, n);
	return ps->err ? -1 : i;
}

static int binary(struct parser *ps, bool json, const char *opname, enum nkind kind,
		  int (*sub)(struct parser *, bool))
{
	int left = sub(ps, json);

	while (!ps->err && accept(ps, opname)) {
		int right = sub(ps, json), n;

		if (ps->err || (n = new_node(ps, kind)) < 0)
			return -1;
		ps->f->nodes[n].a = left;
		ps->f->nodes[n].b = right;
		left = n;
	}
	return ps->err ? -1 : left;
}

static int conjunction(struct parser *ps, bool json)
{
	return binary(ps, json, "&&", N_AND, unary);
}

static int expr(struct parser *ps, bool json)
{
	return binary(ps, json, "||", N_OR, conjunction);
}

/* Literals an event must contain for `i` to hold: an AND tree of plain string equalities. */
static void collect_prefilter(struct cw_filter *f, int i)
{
	const struct node *n = &f->nodes[i];

	if (n->kind == N_AND) {
		collect_prefilter(f, n->a);
		collect_prefilter(f, n->b);
	} else if (n->kind == N_CMP && n->op == OP_EQ && n->vk == V_STRING && !n->wildcard &&
		   n->len > 0 && f->nprefilter < CW_FILTER_PREFILTER) {
		for (size_t k = 0; k < n->len; k++)
			if (n->text[k] == '"' || n->text[k] == '\\' ||
			    (unsigned char)n->text[k] < 0x20 || (unsigned char)n->text[k] >= 0x80)
				return; /* escaped in JSON text: not a literal there */
		f->prefilter[f->nprefilter++] = str_make(n->text, n->len);
	}
}

static void parse_json(struct parser *ps)
{
	ps->f->kind = F_JSON;
	ps->p++; /* '{' */
	ps->f->root = expr(ps, true);
	if (!ps->err && !accept(ps, "}"))
		perr(ps, ERR_PARSE, "a JSON pattern ends with }");
	skip_space(ps);
	if (!ps->err && ps->p != ps->end)
		perr(ps, ERR_PARSE, "text after the closing }");
	if (!ps->err)
		collect_prefilter(ps->f, ps->f->root);
}

static void parse_space(struct parser *ps)
{
	struct cw_filter *f = ps->f;

	f->kind = F_SPACE;
	ps->p++; /* '[' */
	for (;;) {
		struct field *fd;
		const char *start;

		if (f->nfields == CW_FILTER_FIELDS_MAX) {
			perr(ps, ERR_TOOLARGE, "too many fields");
			return;
		}
		fd = &f->fields[f->nfields++];
		fd->cond = -1;
		fd->name = NULL;
		skip_space(ps);
		if (accept(ps, "...")) {
			/* any number of fields */
		} else {
			start = ps->p;
			while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '_'))
				ps->p++;
			if (ps->p == start) {
				perr(ps, ERR_PARSE, "a space-delimited pattern lists field names");
				return;
			}
			fd->name = arena_strndup(&f->a, start, (size_t)(ps->p - start));
			skip_space(ps);
			if (ps->p < ps->end && *ps->p != ',' && *ps->p != ']') {
				ps->p = start; /* the condition names its field again */
				fd->cond = expr(ps, false);
				if (ps->err)
					return;
			}
		}
		if (accept(ps, ","))
			continue;
		if (accept(ps, "]"))
			break;
		perr(ps, ERR_PARSE, "fields are separated by commas and closed with ]");
		return;
	}
	skip_space(ps);
	if (ps->p != ps->end)
		perr(ps, ERR_PARSE, "text after the closing ]");
}

static void parse_terms(struct parser *ps)
{
	struct cw_filter *f = ps->f;

	f->kind = F_TERMS;
	for (;;) {
		struct term *t;
		char kind = '+';

		skip_space(ps);
		if (ps->p == ps->end)
			break;
		if (f->nterms == CW_FILTER_NODES_MAX) {
			perr(ps, ERR_TOOLARGE, "too many terms");
			return;
		}
		if (*ps->p == '?' || *ps->p == '-')
			kind = *ps->p++;
		t = &f->terms[f->nterms++];
		t->kind = kind;
		if (ps->p < ps->end && *ps->p == '"') {
			t->text = quoted(ps, &t->len);
		} else {
			const char *start = ps->p;

			while (ps->p < ps->end && word_char(*ps->p))
				ps->p++;
			if (ps->p == start ||
			    (ps->p < ps->end && *ps->p != ' ' && *ps->p != '\t')) {
				perr(ps, ERR_PARSE,
				     "a term with characters other than letters, digits and "
				     "_.:/@+- "
				     "must be in double quotes");
				return;
			}
			t->text = arena_strndup(&f->a, start, (size_t)(ps->p - start));
			t->len = (size_t)(ps->p - start);
		}
		if (ps->err)
			return;
	}
	if (f->nterms == 0)
		f->kind = F_ALL;
}

int cw_filter_parse(const char *pattern, size_t len, struct cw_filter **out, char *why,
		    size_t why_len)
{
	struct cw_filter *f;
	struct parser ps;

	*out = NULL;
	if (why && why_len)
		why[0] = '\0';
	if (len > CW_FILTER_MAX) {
		if (why && why_len)
			snprintf(why, why_len, "the filter pattern is longer than %d bytes",
				 CW_FILTER_MAX);
		return ERR_TOOLARGE;
	}
	if (!(f = calloc(1, sizeof(*f))))
		return ERR_NOMEM;
	arena_init(&f->a, CW_FILTER_ARENA);
	/* strtol() and strtod() need a terminator: parse a NUL-terminated copy. */
	if (!(pattern = arena_strndup(&f->a, pattern, len))) {
		cw_filter_free(f);
		return ERR_NOMEM;
	}
	len = strlen(pattern); /* a NUL inside ends the pattern */
	ps = (struct parser){f, pattern, pattern + len, why, why_len, 0};
	skip_space(&ps);
	if (ps.p == ps.end)
		f->kind = F_ALL;
	else if (*ps.p == '{')
		parse_json(&ps);
	else if (*ps.p == '[')
		parse_space(&ps);
	else if (*ps.p == '%' && (f->kind = F_REGEX, true)) {
		f->regexes[0] = NULL;
		if (regex_literal(&ps) && (skip_space(&ps), ps.p != ps.end))
			perr(&ps, ERR_PARSE, "text after the regular expression");
	} else
		parse_terms(&ps);
	if (ps.err) {
		cw_filter_free(f);
		return ps.err;
	}
	*out = f;
	return 0;
}

void cw_filter_free(struct cw_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nregexes; i++)
		regfree(f->regexes[i]);
	arena_release(&f->a);
	free(f);
}

/* ---- matching ---- */

/* `pat` (with '*' for any run) against `s`, whole. */
static bool glob(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star = (size_t)-1, mark = 0;

	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star = p++;
			mark = i;
		} else if (p < plen && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star != (size_t)-1) {
			p = star + 1;
			i = ++mark;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

static bool regex_match(const regex_t *re, const char *s, size_t len)
{
	char *z = strndup(s, len);
	bool ok = z && regexec(re, z, 0, NULL, 0) == 0;

	free(z);
	return ok;
}

/* A text value against a comparison. */
static bool cmp_text(const struct node *n, const char *s, size_t len)
{
	bool eq;

	if (n->vk == V_REGEX)
		return n->re && regex_match(n->re, s, len);
	if (n->vk == V_NUMBER) {
		/* A bare number against text: equal when the text reads as that number. */
		char tmp[64], *end;
		double d;

		if (len == 0 || len >= sizeof(tmp))
			return n->op == OP_NE;
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		d = strtod(tmp, &end);
		if (*end)
			return n->op == OP_NE;
		switch (n->op) {
		case OP_EQ:
			return d == n->num;
		case OP_NE:
			return d != n->num;
		case OP_LT:
			return d < n->num;
		case OP_LE:
			return d <= n->num;
		case OP_GT:
			return d > n->num;
		case OP_GE:
			return d >= n->num;
		default:
			return false;
		}
	}
	eq = n->wildcard ? glob(n->text, n->len, s, len)
			 : (n->len == len && memcmp(n->text, s, len) == 0);
	return n->op == OP_EQ ? eq : n->op == OP_NE ? !eq : false;
}

static bool cmp_json(const struct node *n, const json_t *v)
{
	switch (n->op) {
	case OP_NOT_EXISTS:
		return v == NULL;
	case OP_NULL:
		return json_is_null(v);
	case OP_TRUE:
		return json_is_true(v);
	case OP_FALSE:
		return json_is_false(v);
	default:
		break;
	}
	if (!v)
		return false;
	if (json_is_string(v))
		return cmp_text(n, json_string_value(v), json_string_length(v));
	if (json_is_number(v)) {
		char tmp[64];
		int k;

		if (n->vk == V_NUMBER || n->vk == V_REGEX || n->bare) {
			if (json_is_integer(v))
				k = snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
					     json_integer_value(v));
			else
				k = snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
			return cmp_text(n, tmp, (size_t)k);
		}
		return n->op == OP_NE;
	}
	if (json_is_boolean(v) && n->bare)
		return cmp_text(n, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
	return n->op == OP_NE;
}

static const json_t *lookup(const json_t *doc, const struct node *n)
{
	const json_t *v = doc;

	for (int i = 0; v && i < n->npath; i++)
		v = n->path[i].key ? json_object_get(v, n->path[i].key)
				   : json_array_get(v, (size_t)n->path[i].index);
	return v;
}

/* The event's fields of a space-delimited pattern, bound to the pattern's names. */
struct bound {
	const char *name;
	const char *s;
	size_t len;
};

static bool eval(const struct cw_filter *f, int i, const json_t *doc, const struct bound *b,
		 size_t nb)
{
	const struct node *n = &f->nodes[i];

	if (n->kind == N_AND)
		return eval(f, n->a, doc, b, nb) && eval(f, n->b, doc, b, nb);
	if (n->kind == N_OR)
		return eval(f, n->a, doc, b, nb) || eval(f, n->b, doc, b, nb);
	if (doc)
		return cmp_json(n, lookup(doc, n));
	for (size_t k = 0; k < nb; k++)
		if (b[k].name && !strcmp(b[k].name, n->field))
			return n->op == OP_NOT_EXISTS ? false : cmp_text(n, b[k].s, b[k].len);
	return n->op == OP_NOT_EXISTS;
}

static bool terms_match(const struct cw_filter *f, const char *msg, size_t len)
{
	bool any_optional = false, optional_hit = false;

	for (size_t i = 0; i < f->nterms; i++) {
		const struct term *t = &f->terms[i];
		bool hit = t->len == 0 || memmem(msg, len, t->text, t->len) != NULL;

		if (t->kind == '+' && !hit)
			return false;
		if (t->kind == '-' && hit)
			return false;
		if (t->kind == '?') {
			any_optional = true;
			optional_hit |= hit;
		}
	}
	return !any_optional || optional_hit;
}

/* Split a space-delimited event into fields; "quoted" and [bracketed] fields stay whole. */
static size_t split_fields(const char *msg, size_t len, struct bound *out, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		char close = 0;
		size_t start;

		while (i < len && (msg[i] == ' ' || msg[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (msg[i] == '"' || msg[i] == '[')
			close = msg[i] == '"' ? '"' : ']';
		start = close ? i + 1 : i;
		i = start;
		while (i < len && (close ? msg[i] != close : (msg[i] != ' ' && msg[i] != '\t')))
			i++;
		out[n].name = NULL;
		out[n].s = msg + start;
		out[n].len = i - start;
		n++;
		if (close && i < len)
			i++;
	}
	return n;
}

/* Every field's condition against the event as bound. */
static bool conditions_hold(const struct cw_filter *f, const struct bound *ev, size_t nev)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].cond >= 0 && !eval(f, f->fields[i].cond, NULL, ev, nev))
			return false;
	return true;
}

/*
 * Bind pattern fields [pi..) to event fields [ei..), trying every length for
 * "..." (whose fields get no name), until the conditions hold.
 */
static bool bind_fields(const struct cw_filter *f, size_t pi, struct bound *ev, size_t ei,
			size_t nev, int depth)
{
	if (pi == f->nfields)
		return ei == nev && conditions_hold(f, ev, nev);
	if (depth > 4)
		return false;
	if (!f->fields[pi].name) {
		for (size_t k = ei; k <= nev; k++) {
			for (size_t x = ei; x < nev; x++)
				ev[x].name = NULL;
			if (bind_fields(f, pi + 1, ev, k, nev, depth + 1))
				return true;
		}
		return false;
	}
	if (ei == nev)
		return false;
	ev[ei].name = f->fields[pi].name;
	return bind_fields(f, pi + 1, ev, ei + 1, nev, depth);
}

static bool space_match(const struct cw_filter *f, const char *msg, size_t len, struct bound *ev,
			size_t *nev)
{
	*nev = split_fields(msg, len, ev, CW_FILTER_EVENT_FIELD);
	return bind_fields(f, 0, ev, 0, *nev, 0);
}

bool cw_filter_match(const struct cw_filter *f, const char *msg, size_t len)
{
	switch (f->kind) {
	case F_ALL:
		return true;
	case F_TERMS:
		return terms_match(f, msg, len);
	case F_REGEX:
		return regex_match(f->regexes[0], msg, len);
	case F_SPACE: {
		struct bound ev[CW_FILTER_EVENT_FIELD];
		size_t nev;

		return space_match(f, msg, len, ev, &nev);
	}
	case F_JSON:
		break;
	}
	for (size_t i = 0; i < f->nprefilter; i++)
		if (!memmem(msg, len, f->prefilter[i].ptr, f->prefilter[i].len))
			return false;
	if (len < 2 || msg[0] != '{')
		return false;
	json_t *doc = jsonx_parse(msg, len, NULL, 0);
	bool ok = json_is_object(doc) && eval(f, f->root, doc, NULL, 0);

	json_decref(doc);
	return ok;
}

int cw_filter_value(const struct cw_filter *f, const char *expr_, const char *msg, size_t len,
		    double *out)
{
	char *end;

	if (!expr_ || !*expr_)
		return ERR_INVAL;
	if (expr_[0] != '$') {
		errno = 0;
		*out = strtod(expr_, &end);
		return *end || errno || !isfinite(*out) ? ERR_INVAL : 0;
	}
	if (expr_[1] == '.') {
		struct parser ps = {
			(struct cw_filter *)f, expr_, expr_ + strlen(expr_), NULL, 0, 0};
		struct node n;
		json_t *doc;
		const json_t *v;
		int err = ERR_NOTFOUND;

		memset(&n, 0, sizeof(n));
		selector(&ps, &n);
		if (ps.err || ps.p != ps.end)
			return ERR_INVAL;
		doc = jsonx_parse(msg, len, NULL, 0);
		v = lookup(doc, &n);
		if (json_is_number(v)) {
			*out = json_number_value(v);
			err = 0;
		}
		json_decref(doc);
		return err;
	}
	if (f->kind == F_SPACE) {
		struct bound ev[CW_FILTER_EVENT_FIELD];
		size_t nev;

		if (!space_match(f, msg, len, ev, &nev))
			return ERR_NOTFOUND;
		for (size_t k = 0; k < nev; k++) {
			char tmp[64];

			if (!ev[k].name || strcmp(ev[k].name, expr_ + 1) ||
			    ev[k].len >= sizeof(tmp))
				continue;
			memcpy(tmp, ev[k].s, ev[k].len);
			tmp[ev[k].len] = '\0';
			*out = strtod(tmp, &end);
			return *end || ev[k].len == 0 ? ERR_NOTFOUND : 0;
		}
	}
	return ERR_NOTFOUND;
}
