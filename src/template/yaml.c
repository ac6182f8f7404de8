/*
 * YAML and JSON text to the raw value tree, through libfyaml's event parser
 * (its document API in Debian's 0.7 gives no line/column for collections).
 * CloudFormation's short tags become the long form here ("!Ref X" becomes
 * {"Ref": "X"}, "!Sub s" becomes {"Fn::Sub": s}), so the resolver sees one
 * shape. Plain scalars are typed with the YAML 1.2 core schema. Duplicate
 * keys are rejected (libfyaml's event stream does not check them), and so
 * are aliases, which CloudFormation does not support.
 */
#include "core/common.h"

#include <libfyaml.h>

#include "core/buf.h"
#include "core/enc.h"
#include "template/template_int.h"

/* The short-form tags CloudFormation knows, and their long names. */
static const struct {
	const char *tag;
	const char *name;
} short_tags[] = {
	{"Ref", "Ref"},
	{"Condition", "Condition"},
	{"Sub", "Fn::Sub"},
	{"GetAtt", "Fn::GetAtt"},
	{"If", "Fn::If"},
	{"Join", "Fn::Join"},
	{"Select", "Fn::Select"},
	{"Split", "Fn::Split"},
	{"FindInMap", "Fn::FindInMap"},
	{"ImportValue", "Fn::ImportValue"},
	{"Base64", "Fn::Base64"},
	{"GetAZs", "Fn::GetAZs"},
	{"Equals", "Fn::Equals"},
	{"And", "Fn::And"},
	{"Or", "Fn::Or"},
	{"Not", "Fn::Not"},
	{"Cidr", "Fn::Cidr"},
	{"Transform", "Fn::Transform"},
	{"Length", "Fn::Length"},
	{"ToJsonString", "Fn::ToJsonString"},
};

struct yparse {
	struct tctx *c;
	struct fy_parser *fyp;
	const char *data; /* the input, which scalars on one line are sliced from */
	size_t len;
	/* Reused for every scalar: creating an iterator and a buffer per scalar was a tenth of a
	 * load. */
	struct fy_token_iter *it;
	struct buf text;
	/*
	 * The entries of the maps and sequences being read, innermost last:
	 * each container takes its own off the top when it ends and keeps an
	 * array of exactly their number in the arena (growing arrays in the
	 * arena left a third of them unused).
	 */
	struct tval_pair *pairs;
	size_t npairs, apairs;
	struct tval **items;
	size_t nitems, aitems;
	/*
	 * Map keys, interned: the same key text is one string in the arena, so
	 * that the lookups of rules and resolution compare against a few hot
	 * strings instead of a copy per map (and the copies cost no memory).
	 */
	const char **keys;
	size_t nkeys, akeys; /* akeys: a power of two, or 0 */
};

static size_t hash_text(const char *s, size_t len)
{
	size_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The one arena copy of key `text`; NULL when out of memory. */
static const char *intern_key(struct yparse *y, const char *text, size_t len)
{
	size_t i;
	char *copy;

	if (2 * (y->nkeys + 1) > y->akeys) { /* keep the table at most half full */
		size_t na = y->akeys ? 2 * y->akeys : 1024;
		const char **nk = calloc(na, sizeof(*nk));

		if (!nk)
			return NULL;
		for (size_t k = 0; k < y->akeys; k++) {
			if (!y->keys[k])
				continue;
			for (i = hash_text(y->keys[k], strlen(y->keys[k])) & (na - 1); nk[i];
			     i = (i + 1) & (na - 1))
				;
			nk[i] = y->keys[k];
		}
		free(y->keys);
		y->keys = nk;
		y->akeys = na;
	}
	for (i = hash_text(text, len) & (y->akeys - 1); y->keys[i]; i = (i + 1) & (y->akeys - 1))
		if (!strncmp(y->keys[i], text, len) && !y->keys[i][len])
			return y->keys[i];
	copy = arena_strndup(y->c->a, text, len);
	if (copy) {
		y->keys[i] = copy;
		y->nkeys++;
	}
	return copy;
}

static int push_pair(struct yparse *y, const char *key, struct tpos kpos, struct tval *val)
{
	if (y->npairs == y->apairs) {
		size_t na = y->apairs ? 2 * y->apairs : 256;
		struct tval_pair *p = realloc(y->pairs, na * sizeof(*p));

		if (!p)
			return tctx_fail(y->c, kpos, ERR_NOMEM, "out of memory");
		y->pairs = p;
		y->apairs = na;
	}
	y->pairs[y->npairs++] = (struct tval_pair){key, kpos, val};
	return 0;
}

static int push_item(struct yparse *y, struct tval *item)
{
	if (y->nitems == y->aitems) {
		size_t na = y->aitems ? 2 * y->aitems : 256;
		struct tval **p = realloc(y->items, na * sizeof(struct tval *));

		if (!p)
			return tctx_fail(y->c, (struct tpos){y->c->file, 0, 0}, ERR_NOMEM,
					 "out of memory");
		y->items = p;
		y->aitems = na;
	}
	y->items[y->nitems++] = item;
	return 0;
}

/* Move `n` entries from `src` into an arena array of exactly `n`. */
static void *settle(struct tctx *c, const void *src, size_t n, size_t size, struct tpos pos)
{
	void *dst;

	if (!n)
		return NULL;
	dst = arena_alloc(c->a, n * size);
	if (!dst) {
		tctx_fail(c, pos, ERR_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(dst, src, n * size);
	return dst;
}

static struct tpos mark_pos(struct tctx *c, const struct fy_mark *m)
{
	struct tpos p = {c->file, 0, 0};

	if (m) {
		p.line = m->line + 1;
		p.col = m->column + 1;
	}
	return p;
}

static bool match_re_int(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		for (i = 2; i < n; i++)
			if (s[1] == 'x' ? !strchr("0123456789abcdefABCDEF", s[i])
					: (s[i] < '0' || s[i] > '7'))
				return false;
		return true;
	}
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool match_re_float(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (n - i == 4 && (!strncmp(s + i, ".inf", 4) || !strncmp(s + i, ".Inf", 4)))
		return true;
	if (n == 4 && (!strncmp(s, ".nan", 4) || !strncmp(s, ".NaN", 4)))
		return true;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i == n)
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

/* Type a plain scalar (YAML 1.2 core schema). */
static void type_plain(struct tval *v)
{
	const char *s = v->text;
	size_t n = v->len;

	/* Most plain scalars are names and words: none of the forms below starts so. */
	if (n && !strchr("~nNtTfF0123456789+-.", s[0]))
		return;
	if (!n || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL")) {
		v->kind = TVAL_NULL;
	} else if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		v->kind = TVAL_BOOL;
		v->b = true;
	} else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		v->kind = TVAL_BOOL;
	} else if (match_re_int(s, n)) {
		v->kind = TVAL_NUMBER;
		if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
			v->num = (double)strtoull(s + 2, NULL, s[1] == 'x' ? 16 : 8);
		else
			v->num = strtod(s, NULL);
	} else if (match_re_float(s, n)) {
		v->kind = TVAL_NUMBER;
		v->num = strtod(s, NULL);
	}
	if (v->kind != TVAL_STRING)
		v->flags &= ~TVAL_F_DYNREF;
}

/*
 * The long name for a tag: NULL with *plain true when the node is an
 * ordinary value, or an error for a tag CloudFormation does not know.
 */
static int tag_name(struct tctx *c, struct fy_token *tag, struct tpos pos, const char **name,
		    const char **core)
{
	const char *text, *handle, *suffix;
	size_t len, i;

	*name = NULL;
	*core = NULL;
	if (!tag)
		return 0;
	text = fy_token_get_text(tag, &len);
	handle = fy_tag_token_handle0(tag);
	suffix = fy_tag_token_suffix0(tag);
	if (!text)
		return tctx_fail(c, pos, ERR_PARSE, "unreadable YAML tag");
	if (len > 18 && !strncmp(text, "tag:yaml.org,2002:", 18)) {
		*core = text + 18;
		return 0;
	}
	if (handle && !strcmp(handle, "!") && suffix) {
		if (!*suffix) {
			*core = "str"; /* the non-specific tag "!" */
			return 0;
		}
		for (i = 0; i < ARRAY_SIZE(short_tags); i++) {
			if (!strcmp(suffix, short_tags[i].tag)) {
				*name = short_tags[i].name;
				return 0;
			}
		}
		return tctx_fail(c, pos, ERR_PARSE, "unknown intrinsic function !%s", suffix);
	}
	return tctx_fail(c, pos, ERR_PARSE, "unsupported YAML tag %.*s", (int)MIN(len, 64), text);
}

static int parse_node(struct yparse *y, struct fy_event *fye, unsigned depth, struct tval **out);

static int next_event(struct yparse *y, struct fy_event **fye)
{
	*fye = fy_parser_parse(y->fyp);
	if (!*fye)
		return ERR_PARSE; /* the caller turns this into a message */
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	const struct tval_pair *x = *(const struct tval_pair *const *)a;
	const struct tval_pair *y = *(const struct tval_pair *const *)b;
	int r = strcmp(x->key, y->key);

	if (r)
		return r;
	return x < y ? -1 : x > y;
}

/*
 * Report the second occurrence (in document order) of any repeated key.
 * Most maps are small: those are compared pairwise without allocating.
 */
static int check_dups(struct tctx *c, const struct tval *m)
{
	const struct tval_pair **ix, *dup = NULL;
	size_t i;

	if (m->n < 2)
		return 0;
	if (m->n <= 16) {
		for (i = 1; i < m->n && !dup; i++)
			for (size_t k = 0; k < i; k++)
				if (!strcmp(m->pairs[k].key, m->pairs[i].key)) {
					dup = &m->pairs[i];
					break;
				}
		goto out;
	}
	ix = malloc(m->n * sizeof(const struct tval_pair *));
	if (!ix)
		return tctx_fail(c, m->pos, ERR_NOMEM, "out of memory");
	for (i = 0; i < m->n; i++)
		ix[i] = &m->pairs[i];
	qsort(ix, m->n, sizeof(const struct tval_pair *), cmp_keys);
	for (i = 1; i < m->n; i++) {
		if (!strcmp(ix[i - 1]->key, ix[i]->key) && (!dup || ix[i] < dup))
			dup = ix[i];
	}
	free(ix);
out:
	if (dup)
		return tctx_fail(c, dup->key_pos, ERR_PARSE, "duplicate key '%s'", dup->key);
	return 0;
}

static int scalar_text(struct yparse *y, struct fy_token *fyt, const char **text, size_t *len);

/*
 * A map key: an untagged scalar is read as text alone (a value node per
 * key was a fifth of the model's memory); anything else goes through
 * parse_node() and must turn out a string.
 */
static int parse_key(struct yparse *y, struct fy_event *ke, unsigned depth, const char **key,
		     struct tpos *kpos)
{
	struct tctx *c = y->c;
	struct tval *k;
	int err;

	*kpos = mark_pos(c, fy_event_start_mark(ke));
	if (!ke->scalar.tag) {
		const char *text;
		size_t len;

		err = scalar_text(y, ke->scalar.value, &text, &len);
		if (!err)
			*key = intern_key(y, text, len);
		fy_parser_event_free(y->fyp, ke);
		if (err)
			return tctx_fail(c, *kpos, err, "unreadable YAML scalar");
		if (++c->nodes > TEMPLATE_MAX_NODES)
			return tctx_fail(c, *kpos, ERR_TOOLARGE, "template has more than %d values",
					 TEMPLATE_MAX_NODES);
		return *key ? 0 : tctx_fail(c, *kpos, ERR_NOMEM, "out of memory");
	}
	err = parse_node(y, ke, depth + 1, &k);
	if (err)
		return err;
	/* parse_node() sets k when it returns 0 (tctx_fail() never returns 0) */
	// NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
	if (k->kind == TVAL_SEQ || k->kind == TVAL_MAP)
		return tctx_fail(c, k->pos, ERR_PARSE, "map keys must be strings");
	*key = k->text;
	*kpos = k->pos;
	return 0;
}

static int parse_mapping(struct yparse *y, struct tval *m, unsigned depth)
{
	struct tctx *c = y->c;
	struct fy_event *ke;
	size_t base = y->npairs;
	int err;

	for (;;) {
		struct tval *val;
		struct fy_event *ve;
		const char *key = NULL;
		struct tpos kpos;

		if (next_event(y, &ke))
			return ERR_PARSE;
		if (ke->type == FYET_MAPPING_END) {
			fy_parser_event_free(y->fyp, ke);
			break;
		}
		if (ke->type != FYET_SCALAR) {
			struct tpos p = mark_pos(c, fy_event_start_mark(ke));

			fy_parser_event_free(y->fyp, ke);
			return tctx_fail(c, p, ERR_PARSE, "map keys must be strings");
		}
		err = parse_key(y, ke, depth, &key, &kpos);
		if (err)
			return err;
		if (next_event(y, &ve))
			return ERR_PARSE;
		err = parse_node(y, ve, depth + 1, &val);
		if (!err)
			err = push_pair(y, key, kpos, val);
		if (err)
			return err;
	}
	m->n = y->npairs - base;
	m->pairs = settle(c, y->pairs + base, m->n, sizeof(*m->pairs), m->pos);
	y->npairs = base;
	if (m->n && !m->pairs)
		return c->err;
	return check_dups(c, m);
}

static int parse_sequence(struct yparse *y, struct tval *s, unsigned depth)
{
	struct fy_event *ie;
	size_t base = y->nitems;
	int err;

	for (;;) {
		struct tval *item;

		if (next_event(y, &ie))
			return ERR_PARSE;
		if (ie->type == FYET_SEQUENCE_END) {
			fy_parser_event_free(y->fyp, ie);
			break;
		}
		err = parse_node(y, ie, depth + 1, &item);
		if (!err)
			err = push_item(y, item);
		if (err)
			return err;
	}
	s->n = y->nitems - base;
	s->items = settle(y->c, y->items + base, s->n, sizeof(struct tval *), s->pos);
	y->nitems = base;
	return s->n && !s->items ? y->c->err : 0;
}

/*
 * The text of a scalar written on one line without escapes, straight from
 * the input: plain, 'single' without '', "double" without \. NULL when
 * the scalar needs libfyaml to unfold or unescape it.
 */
static const char *scalar_slice(const struct yparse *y, struct fy_token *fyt, size_t *len)
{
	const struct fy_mark *a = fy_token_start_mark(fyt), *b = fy_token_end_mark(fyt);
	enum fy_scalar_style style = fy_token_scalar_style(fyt);
	const char *p, *q;

	if (!a || !b || a->line != b->line || b->input_pos <= a->input_pos || b->input_pos > y->len)
		return NULL;
	p = y->data + a->input_pos;
	q = y->data + b->input_pos; /* one past the end */
	switch (style) {
	case FYSS_PLAIN:
		if (*p == ' ' || *p == '\t' || q[-1] == ' ' || q[-1] == '\t')
			return NULL;
		break;
	case FYSS_DOUBLE_QUOTED:
		if (q - p < 2 || *p != '"' || q[-1] != '"' ||
		    memchr(p + 1, '\\', (size_t)(q - p - 2)))
			return NULL;
		p++, q--;
		break;
	case FYSS_SINGLE_QUOTED:
		if (q - p < 2 || *p != '\'' || q[-1] != '\'' ||
		    memchr(p + 1, '\'', (size_t)(q - p - 2)))
			return NULL;
		p++, q--;
		break;
	default:
		return NULL;
	}
	*len = (size_t)(q - p);
	return p;
}

/*
 * A scalar's text, unescaped: a slice of the input when it can be
 * (scalar_slice()), else through libfyaml's token iterator, into y->text
 * (fy_token_get_text() caches a copy that 0.7 leaks for long escaped
 * scalars). One iterator serves the whole parse, restarted on each token.
 */
static int scalar_text(struct yparse *y, struct fy_token *fyt, const char **text, size_t *len)
{
	const struct fy_iter_chunk *ch = NULL;
	int ferr = 0, err = 0;

	*text = scalar_slice(y, fyt, len);
	if (*text)
		return 0;
	buf_reset(&y->text);
	if (!y->it) {
		y->it = fy_token_iter_create(fyt);
		if (!y->it)
			return ERR_NOMEM;
	} else {
		fy_token_iter_finish(y->it);
		fy_token_iter_start(fyt, y->it);
	}
	while (!err && (ch = fy_token_iter_chunk_next(y->it, ch, &ferr)))
		err = buf_add(&y->text, ch->str, ch->len);
	if (!err && ferr)
		err = ERR_PARSE;
	*text = y->text.ptr;
	*len = y->text.len;
	return err;
}

static int scalar_node(struct yparse *y, struct fy_event *fye, const char *core, struct tpos vpos,
		       struct tval **out)
{
	struct tctx *c = y->c;
	struct tval *v;
	const char *text;
	size_t len;
	int err;

	err = scalar_text(y, fye->scalar.value, &text, &len);
	if (err)
		return tctx_fail(c, vpos, err, "unreadable YAML scalar");
	v = tv_string(c, vpos, text, len);
	if (!v)
		return c->err;
	if (core) {
		if (!strcmp(core, "null"))
			v->kind = TVAL_NULL;
		else if (!strcmp(core, "bool") || !strcmp(core, "int") || !strcmp(core, "float"))
			type_plain(v);
	} else if (fy_token_scalar_style(fye->scalar.value) == FYSS_PLAIN) {
		type_plain(v);
	}
	*out = v;
	return 0;
}

/* Build the value starting at `fye` (which this function frees). */
static int parse_node(struct yparse *y, struct fy_event *fye, unsigned depth, struct tval **out)
{
	struct tctx *c = y->c;
	struct fy_token *tag = NULL;
	const char *name = NULL, *core = NULL;
	struct tpos pos = mark_pos(c, fy_event_start_mark(fye)), tpos = pos;
	struct tval *v = NULL;
	enum fy_event_type type = fye->type;
	int err = 0;

	if (depth > TEMPLATE_MAX_DEPTH) {
		fy_parser_event_free(y->fyp, fye);
		return tctx_fail(c, pos, ERR_TOOLARGE, "values nested more than %d deep",
				 TEMPLATE_MAX_DEPTH);
	}
	if (type == FYET_SCALAR)
		tag = fye->scalar.tag;
	else if (type == FYET_MAPPING_START)
		tag = fye->mapping_start.tag;
	else if (type == FYET_SEQUENCE_START)
		tag = fye->sequence_start.tag;
	if (tag)
		tpos = mark_pos(c, fy_token_start_mark(tag));
	err = tag_name(c, tag, tpos, &name, &core);
	if (err)
		goto out;
	switch (type) {
	case FYET_SCALAR:
		err = scalar_node(y, fye, name ? "str" : core, pos, &v);
		break;
	case FYET_MAPPING_START:
		v = tv_new(c, TVAL_MAP, pos);
		err = v ? parse_mapping(y, v, depth) : c->err;
		break;
	case FYET_SEQUENCE_START:
		v = tv_new(c, TVAL_SEQ, pos);
		err = v ? parse_sequence(y, v, depth) : c->err;
		break;
	case FYET_ALIAS:
		err = tctx_fail(c, pos, ERR_PARSE,
				"YAML aliases are not supported by CloudFormation");
		break;
	default:
		err = tctx_fail(c, pos, ERR_PARSE, "unexpected YAML event");
		break;
	}
	if (!err && name) {
		v = tv_map1(c, tpos, name, v);
		err = v ? 0 : c->err;
	}
out:
	fy_parser_event_free(y->fyp, fye);
	if (!err)
		*out = v;
	return err;
}

/* The first error libfyaml collected, as our diag. */
static int yaml_error(struct tctx *c, struct fy_diag *diag)
{
	struct fy_diag_error *de;
	void *it = NULL;

	if (c->err)
		return c->err;
	de = diag ? fy_diag_errors_iterate(diag, &it) : NULL;
	if (de) {
		struct tpos p = {c->file, de->line, de->column};

		return tctx_fail(c, p, ERR_PARSE, "not valid YAML or JSON: %s",
				 de->msg ? de->msg : "syntax error");
	}
	return tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_PARSE, "not valid YAML or JSON");
}

/*
 * YAML text is printable Unicode (YAML 1.2, 5.1): reject invalid UTF-8 and
 * control characters here, with their position, rather than hand them to
 * libfyaml, whose 0.7 scanner can loop on them inside a directive.
 */
static int check_text(struct tctx *c, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	struct tpos pos = {c->file, 1, 1};
	size_t i = 0, n;
	uint32_t cp;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len) {
		n = utf8_decode(data + i, len - i, &cp);
		if (!n)
			return tctx_fail(c, pos, ERR_PARSE,
					 "not valid YAML or JSON: invalid UTF-8");
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
			return tctx_fail(c, pos, ERR_PARSE,
					 "not valid YAML or JSON: control character 0x%02x", p[i]);
		if (p[i] == '\n')
			pos.line++, pos.col = 1;
		else
			pos.col++;
		i += n;
	}
	return 0;
}

static bool looks_like_json(const char *data, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && strchr(" \t\r\n", data[i]))
		i++;
	return i < len && data[i] == '{';
}

static int parse_stream(struct yparse *y, struct tval **root)
{
	struct tctx *c = y->c;
	struct fy_event *fye;
	int docs = 0, err = 0;

	*root = NULL;
	while ((fye = fy_parser_parse(y->fyp))) {
		enum fy_event_type type = fye->type;

		if (type == FYET_DOCUMENT_START && ++docs > 1) {
			struct tpos p = mark_pos(c, fy_event_start_mark(fye));

			fy_parser_event_free(y->fyp, fye);
			return tctx_fail(c, p, ERR_PARSE, "more than one YAML document");
		}
		if (type == FYET_SCALAR || type == FYET_MAPPING_START ||
		    type == FYET_SEQUENCE_START || type == FYET_ALIAS) {
			err = parse_node(y, fye, 0, root);
			if (err)
				return err;
			continue;
		}
		fy_parser_event_free(y->fyp, fye);
	}
	return fy_parser_get_stream_error(y->fyp) ? ERR_PARSE : 0;
}

int tyaml_parse(struct tctx *c, const char *data, size_t len, struct tval **root)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg cfg;
	struct fy_diag *diag;
	struct yparse y = {.c = c, .data = data, .len = len};
	int err;

	err = check_text(c, data, len);
	if (err)
		return err;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	dcfg.colorize = false;
	buf_init(&y.text, TEMPLATE_MAX_BYTES);
	diag = fy_diag_create(&dcfg);
	if (!diag) {
		buf_release(&y.text);
		return tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_NOMEM, "out of memory");
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
		    (looks_like_json(data, len) ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
	cfg.diag = diag;
	y.fyp = fy_parser_create(&cfg);
	if (!y.fyp || fy_parser_set_string(y.fyp, data, len)) {
		err = tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_NOMEM, "out of memory");
		goto out;
	}
	err = parse_stream(&y, root);
	if (err == ERR_PARSE && !c->err)
		err = yaml_error(c, diag);
out:
	if (y.it)
		fy_token_iter_destroy(y.it);
	buf_release(&y.text);
	free(y.pairs);
	free(y.items);
	free(y.keys);
	if (y.fyp)
		fy_parser_destroy(y.fyp);
	fy_diag_destroy(diag);
	return err;
}
