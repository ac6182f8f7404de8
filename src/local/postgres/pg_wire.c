/*
 * PostgreSQL protocol pieces and the RDS Proxy pinning rules (see pg_wire.h).
 * Integers on the wire are big-endian; strings are NUL-terminated.
 *
 * The pinning check is a small lexer: it walks the text token by token
 * (identifiers, quoted identifiers, strings, dollar-quoted bodies, comments,
 * punctuation), looks at the first keywords of each statement, and at every
 * identifier followed by '(' (a function call, schema-qualified or not).
 */
#include "core/common.h"

#include <ctype.h>

#include "local/postgres/pg_wire.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

long pg_parse_startup(const uint8_t *data, size_t len, struct pg_startup *out)
{
	uint32_t total, code;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len < 8)
		return 0;
	total = be32(data);
	if (total < 8 || total > PG_MAX_STARTUP)
		return -1;
	if (len < total)
		return 0;
	code = be32(data + 4);
	out->code = code;
	if (code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST) {
		out->kind = code == PG_SSL_REQUEST ? PG_STARTUP_SSL : PG_STARTUP_GSSENC;
		return total == 8 ? (long)total : -1;
	}
	if (code == PG_CANCEL_REQUEST) {
		out->kind = PG_STARTUP_CANCEL;
		return total == 16 ? (long)total : -1;
	}
	if (code != PG_PROTOCOL_3_0) {
		out->kind = PG_STARTUP_OTHER;
		return (long)total;
	}
	out->kind = PG_STARTUP;
	/* name\0value\0 ... \0: the list ends with an empty name, the packet's last byte. */
	for (i = 8; i < total;) {
		const uint8_t *name = data + i, *nul = memchr(name, 0, total - i), *v, *vnul;

		if (!nul)
			return -1;
		if (nul == name)
			return i + 1 == total ? (long)total : -1;
		v = nul + 1;
		if (v >= data + total || !(vnul = memchr(v, 0, (size_t)(data + total - v))))
			return -1;
		if (out->nparams == PG_MAX_STARTUP_PARAMS)
			return -1;
		out->params[out->nparams].name = str_make((const char *)name, (size_t)(nul - name));
		out->params[out->nparams].value = str_make((const char *)v, (size_t)(vnul - v));
		out->nparams++;
		i = (size_t)(vnul - data) + 1;
	}
	return -1; /* no terminating empty name */
}

struct str pg_startup_param(const struct pg_startup *s, const char *name)
{
	for (size_t i = 0; i < s->nparams; i++)
		if (str_eq_cstr(s->params[i].name, name))
			return s->params[i].value;
	return STR_NULL;
}

size_t pg_frame_length(const uint8_t hdr[5])
{
	uint32_t n = be32(hdr + 1);

	return n < 4 ? 0 : (size_t)n + 1;
}

long pg_frame(const uint8_t *data, size_t len, size_t max, struct pg_message *out)
{
	size_t total;

	memset(out, 0, sizeof(*out));
	if (len < 5)
		return 0;
	total = pg_frame_length(data);
	if (total == 0 || total > max)
		return -1;
	if (len < total)
		return 0;
	out->type = (char)data[0];
	out->body = str_make((const char *)data + 5, total - 5);
	return (long)total;
}

int pg_password(const struct pg_message *m, struct str *out)
{
	if (m->type != 'p' || m->body.len == 0 || m->body.ptr[m->body.len - 1] != '\0' ||
	    memchr(m->body.ptr, 0, m->body.len) != m->body.ptr + m->body.len - 1)
		return ERR_PARSE;
	*out = str_make(m->body.ptr, m->body.len - 1);
	return 0;
}

int pg_statement(const struct pg_message *m, struct str *sql, struct str *name)
{
	const char *p = m->body.ptr, *end = m->body.ptr + m->body.len, *nul;

	*name = STR_LIT("");
	if (m->type == 'P') {
		if (!(nul = memchr(p, 0, m->body.len)))
			return ERR_PARSE;
		*name = str_make(p, (size_t)(nul - p));
		p = nul + 1;
	} else if (m->type != 'Q') {
		return ERR_PARSE;
	}
	if (p >= end || !(nul = memchr(p, 0, (size_t)(end - p))))
		return ERR_PARSE;
	*sql = str_make(p, (size_t)(nul - p));
	return 0;
}

/* ---- The pinning rules ------------------------------------------------------------------ */

enum tok { T_END, T_WORD, T_QWORD, T_STRING, T_LPAREN, T_SEMI, T_DOT, T_OTHER };

struct lexer {
	const char *s;
	size_t len, i;
	size_t start;	 /* where the last token began */
	struct str word; /* the last T_WORD or T_QWORD */
};

static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
	return ident_start(c) || isdigit(c) || c == '$';
}

static void skip_quoted(struct lexer *lx, char q, bool backslash)
{
	for (lx->i++; lx->i < lx->len; lx->i++) {
		if (backslash && lx->s[lx->i] == '\\') {
			lx->i++;
		} else if (lx->s[lx->i] == q) {
			if (lx->i + 1 < lx->len && lx->s[lx->i + 1] == q) {
				lx->i++;
				continue;
			}
			lx->i++;
			return;
		}
	}
}

/* Skip a dollar-quoted body at lx->i ('$'); false when it is not one. */
static bool skip_dollar(struct lexer *lx)
{
	size_t j = lx->i + 1, tag;

	while (j < lx->len &&
	       (ident_start((unsigned char)lx->s[j]) || isdigit((unsigned char)lx->s[j])))
		j++;
	if (j >= lx->len || lx->s[j] != '$' || isdigit((unsigned char)lx->s[lx->i + 1]))
		return false;
	tag = j - lx->i + 1;
	for (j = lx->i + tag; j + tag <= lx->len; j++) {
		if (!memcmp(lx->s + j, lx->s + lx->i, tag)) {
			lx->i = j + tag;
			return true;
		}
	}
	lx->i = lx->len;
	return true;
}

static bool skip_space_and_comments(struct lexer *lx)
{
	const char *s = lx->s;

	if (isspace((unsigned char)s[lx->i])) {
		lx->i++;
		return true;
	}
	if (s[lx->i] == '-' && lx->i + 1 < lx->len && s[lx->i + 1] == '-') {
		while (lx->i < lx->len && s[lx->i] != '\n')
			lx->i++;
		return true;
	}
	if (s[lx->i] == '/' && lx->i + 1 < lx->len && s[lx->i + 1] == '*') {
		int depth = 0;
		do {
			if (s[lx->i] == '/' && lx->i + 1 < lx->len && s[lx->i + 1] == '*')
				depth++, lx->i += 2;
			else if (s[lx->i] == '*' && lx->i + 1 < lx->len && s[lx->i + 1] == '/')
				depth--, lx->i += 2;
			else
				lx->i++;
		} while (depth > 0 && lx->i < lx->len);
		return true;
	}
	return false;
}

static enum tok next_token(struct lexer *lx)
{
	const char *s = lx->s;

	for (;;) {
		if (lx->i >= lx->len)
			return T_END;
		if (!skip_space_and_comments(lx))
			break;
	}
	lx->start = lx->i;
	unsigned char c = (unsigned char)s[lx->i];
	if (ident_start(c)) {
		size_t start = lx->i;
		while (lx->i < lx->len && ident_char((unsigned char)s[lx->i]))
			lx->i++;
		/* E'...' and U&'...' strings: a prefix, then the quote. */
		if (lx->i < lx->len && s[lx->i] == '\'' && lx->i - start == 1) {
			skip_quoted(lx, '\'', c == 'e' || c == 'E');
			return T_STRING;
		}
		lx->word = str_make(s + start, lx->i - start);
		return T_WORD;
	}
	lx->i++;
	switch (c) {
	case '"': {
		size_t start = lx->i;
		lx->i--;
		skip_quoted(lx, '"', false);
		lx->word = str_make(s + start, lx->i > start ? lx->i - start - 1 : 0);
		return T_QWORD;
	}
	case '\'':
		lx->i--;
		skip_quoted(lx, '\'', false);
		return T_STRING;
	case '$':
		lx->i--;
		if (skip_dollar(lx))
			return T_STRING;
		lx->i++;
		return T_OTHER;
	case '(':
		return T_LPAREN;
	case ';':
		return T_SEMI;
	case '.':
		return T_DOT;
	default:
		return T_OTHER;
	}
}

static bool word_is(struct str w, const char *kw)
{
	return str_ieq_cstr(w, kw);
}

/* The reason a call of function `name` would pin, or NULL. */
static const char *function_reason(struct str name)
{
	static const char *const seq[] = {"nextval", "setval", "currval", "lastval"};
	static const char *const locks[] = {
		"pg_advisory_lock",	     "pg_advisory_lock_shared",
		"pg_try_advisory_lock",	     "pg_try_advisory_lock_shared",
		"pg_advisory_xact_lock",     "pg_advisory_xact_lock_shared",
		"pg_try_advisory_xact_lock", "pg_try_advisory_xact_lock_shared",
		"pg_advisory_unlock",	     "pg_advisory_unlock_shared",
		"pg_advisory_unlock_all"};

	for (size_t i = 0; i < ARRAY_SIZE(seq); i++)
		if (word_is(name, seq[i]))
			return "a sequence function (nextval, setval, currval, lastval)";
	for (size_t i = 0; i < ARRAY_SIZE(locks); i++)
		if (word_is(name, locks[i]))
			return "an advisory lock function";
	if (word_is(name, "set_config"))
		return "set_config(), which sets a session parameter";
	return NULL;
}

/* The reason the statement that starts with keyword `first` would pin, or NULL. */
static const char *statement_reason(struct str first, struct lexer *lx, enum tok *t)
{
	if (word_is(first, "set") || word_is(first, "reset"))
		return "a SET or RESET statement";
	if (word_is(first, "prepare") || word_is(first, "execute") || word_is(first, "deallocate"))
		return "a prepared statement (PREPARE, EXECUTE, DEALLOCATE)";
	if (word_is(first, "discard"))
		return "DISCARD, which discards the session state";
	if (word_is(first, "declare"))
		return "a cursor (DECLARE)";
	if (word_is(first, "listen"))
		return "LISTEN on a notification channel";
	if (word_is(first, "load"))
		return "LOAD of a library module";
	if (word_is(first, "create")) {
		/* CREATE [GLOBAL | LOCAL] { TEMP | TEMPORARY } ... */
		for (int k = 0; k < 3 && (*t = next_token(lx)) == T_WORD; k++) {
			if (word_is(lx->word, "temp") || word_is(lx->word, "temporary"))
				return "a temporary table, sequence or view";
			if (!word_is(lx->word, "global") && !word_is(lx->word, "local") &&
			    !word_is(lx->word, "or") && !word_is(lx->word, "replace"))
				break;
		}
	}
	return NULL;
}

const char *pg_pin_reason(const char *sql, size_t len)
{
	struct lexer lx = {sql, len, 0, 0, STR_NULL};
	struct str prev = STR_NULL;
	bool first = true, prev_word = false;
	const char *why;
	enum tok t;

	if (len > PG_PIN_STATEMENT_LIMIT)
		return "a statement text over 16 KB";
	while ((t = next_token(&lx)) != T_END) {
		if (first && t == T_WORD) {
			first = false;
			if ((why = statement_reason(lx.word, &lx, &t)))
				return why;
			if (t == T_END)
				break;
		}
		/* SELECT ... INTO TEMP t */
		if (t == T_WORD && prev_word && word_is(prev, "into") &&
		    (word_is(lx.word, "temp") || word_is(lx.word, "temporary")))
			return "a temporary table (SELECT INTO TEMP)";
		if (t == T_LPAREN && prev_word && (why = function_reason(prev)))
			return why;
		if (t == T_SEMI)
			first = true;
		prev_word = t == T_WORD || t == T_QWORD;
		if (prev_word)
			prev = lx.word;
	}
	return NULL;
}

/* ---- The normalized text ---------------------------------------------------------------- */

struct norm {
	char *out;
	size_t cap, len;
	bool cut;
};

static void norm_put(struct norm *n, const char *p, size_t len, bool space)
{
	if (n->cut)
		return;
	if (space && n->len)
		len++;
	if (n->len + len > n->cap) {
		n->cut = true;
		return;
	}
	if (space && n->len)
		n->out[n->len++] = ' ', len--;
	for (size_t i = 0; i < len; i++) /* a control byte in a quoted name: a space */
		n->out[n->len++] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? ' ' : p[i];
}

/* A number at lx->start (digits, a point, an exponent): skip it. */
static void skip_number(struct lexer *lx)
{
	const char *s = lx->s;

	while (lx->i < lx->len) {
		unsigned char c = (unsigned char)s[lx->i];

		if (isdigit(c) || c == '.' || c == '_')
			lx->i++;
		else if ((c == 'e' || c == 'E') && lx->i + 1 < lx->len &&
			 (isdigit((unsigned char)s[lx->i + 1]) || s[lx->i + 1] == '-' ||
			  s[lx->i + 1] == '+'))
			lx->i += 2;
		else
			break;
	}
}

size_t pg_normalize(const char *sql, size_t len, char *out, size_t cap)
{
	struct lexer lx = {sql, len, 0, 0, STR_NULL};
	struct norm n = {out, cap - 4, 0, false}; /* room for "..." and the NUL */
	size_t prev_end = 0;
	enum tok t;

	if (cap < 5) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	while (!n.cut && (t = next_token(&lx)) != T_END) {
		bool space = lx.start > prev_end;
		unsigned char c = (unsigned char)sql[lx.start];

		if (t == T_OTHER && (c < 0x20 || c == 0x7f)) {
			continue; /* a control byte (a NUL, say) is not shown */
		} else if (t == T_STRING) {
			norm_put(&n, "?", 1, space);
		} else if (t == T_OTHER && isdigit(c)) {
			skip_number(&lx);
			norm_put(&n, "?", 1, space);
		} else if (t == T_OTHER && c == '$' && lx.i < len &&
			   isdigit((unsigned char)sql[lx.i])) {
			while (lx.i < len &&
			       isdigit((unsigned char)sql[lx.i])) /* $1: a parameter */
				lx.i++;
			norm_put(&n, sql + lx.start, lx.i - lx.start, space);
		} else {
			norm_put(&n, sql + lx.start, lx.i - lx.start, space);
		}
		prev_end = lx.i;
	}
	if (n.cut)
		memcpy(out + n.len, "...", 3), n.len += 3;
	out[n.len] = '\0';
	return n.len;
}

/* ---- Messages we send ------------------------------------------------------------------- */

static void put_be32(struct buf *out, uint32_t v)
{
	char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};

	buf_put(out, b, 4);
}

void pg_put_auth_cleartext(struct buf *out)
{
	buf_putc(out, 'R');
	put_be32(out, 8);
	put_be32(out, 3);
}

void pg_put_byte(struct buf *out, char c)
{
	buf_putc(out, c);
}

void pg_put_error(struct buf *out, const char *severity, const char *code, const char *message)
{
	size_t len = 4 + 1 + strlen(severity) + 1 + 1 + strlen(severity) + 1 + 1 + strlen(code) +
		     1 + 1 + strlen(message) + 1 + 1;

	buf_putc(out, 'E');
	put_be32(out, (uint32_t)len);
	buf_putc(out, 'S');
	buf_put(out, severity, strlen(severity) + 1);
	buf_putc(out, 'V');
	buf_put(out, severity, strlen(severity) + 1);
	buf_putc(out, 'C');
	buf_put(out, code, strlen(code) + 1);
	buf_putc(out, 'M');
	buf_put(out, message, strlen(message) + 1);
	buf_putc(out, '\0');
}
