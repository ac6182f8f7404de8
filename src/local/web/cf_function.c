/*
 * CloudFront Function reader (cf_function.h): a small JavaScript tokenizer
 * and a token-for-token comparison with the one function the local front
 * knows. Tokens are identifiers, numbers, string literals and punctuators;
 * whitespace and comments separate them and are dropped.
 */
#include "core/common.h"

#include <ctype.h>

#include "local/web/cf_function.h"

enum tok_kind { TOK_WORD, TOK_STRING, TOK_PUNCT };

struct tok {
	enum tok_kind kind;
	struct str text; /* a string's contents without its quotes */
};

/* The known function; "$" stands for the captured string literal. */
static const char *const spa_function[] = {
	"function",    "handler", "(",	 "event",   ")",      "{",	 "var", "request",
	"=",	       "event",	  ".",	 "request", ";",      "var",	 "uri", "=",
	"request",     ".",	  "uri", ";",	    "if",     "(",	 "uri", ".",
	"lastIndexOf", "(",	  "'.'", ")",	    "<",      "uri",	 ".",	"lastIndexOf",
	"(",	       "'/'",	  ")",	 ")",	    "{",      "request", ".",	"uri",
	"=",	       "$",	  ";",	 "}",	    "return", "request", ";",	"}"};

static const char *const punct3[] = {"===", "!==", ">>>", "**=", "...", "<<=", ">>="};
static const char *const punct2[] = {"==", "!=", "<=", ">=", "&&", "||", "=>", "++", "--", "+=",
				     "-=", "*=", "/=", "%=", "<<", ">>", "**", "??", "?."};

static size_t skip_space(const char *s, size_t len, size_t i, int *err)
{
	while (i < len) {
		if (isspace((unsigned char)s[i])) {
			i++;
		} else if (i + 1 < len && s[i] == '/' && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
			const char *end = NULL;

			for (size_t j = i + 2; j + 1 < len; j++)
				if (s[j] == '*' && s[j + 1] == '/') {
					end = s + j;
					break;
				}
			if (!end) {
				*err = ERR_PARSE;
				return len;
			}
			i = (size_t)(end - s) + 2;
		} else {
			break;
		}
	}
	return i;
}

/* One token at `i`; returns the index after it, or `len` with *err set. */
static size_t next_token(const char *s, size_t len, size_t i, struct tok *t, int *err)
{
	char c = s[i];
	size_t j = i;

	if (isalnum((unsigned char)c) || c == '_' || c == '$') {
		while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '$'))
			j++;
		t->kind = TOK_WORD;
		t->text = str_make(s + i, j - i);
		return j;
	}
	if (c == '\'' || c == '"' || c == '`') {
		for (j = i + 1; j < len && s[j] != c && s[j] != '\n'; j++)
			if (s[j] == '\\')
				j++;
		if (j >= len || s[j] != c) {
			*err = ERR_PARSE;
			return len;
		}
		t->kind = TOK_STRING;
		t->text = str_make(s + i + 1, j - i - 1);
		return j + 1;
	}
	t->kind = TOK_PUNCT;
	for (size_t k = 0; k < ARRAY_SIZE(punct3); k++)
		if (len - i >= 3 && !memcmp(s + i, punct3[k], 3)) {
			t->text = str_make(s + i, 3);
			return i + 3;
		}
	for (size_t k = 0; k < ARRAY_SIZE(punct2); k++)
		if (len - i >= 2 && !memcmp(s + i, punct2[k], 2)) {
			t->text = str_make(s + i, 2);
			return i + 2;
		}
	t->text = str_make(s + i, 1);
	return i + 1;
}

/* Does token `t` stand where `want` is in spa_function? Captures "$". */
static bool tok_matches(const struct tok *t, const char *want, struct cf_rule *out)
{
	size_t n = strlen(want);

	if (!strcmp(want, "$")) {
		if (t->kind != TOK_STRING || !t->text.len || t->text.ptr[0] != '/' ||
		    t->text.len > CF_RULE_URI_MAX || memchr(t->text.ptr, '\\', t->text.len))
			return false;
		memcpy(out->uri, t->text.ptr, t->text.len);
		out->uri[t->text.len] = '\0';
		return true;
	}
	if (want[0] == '\'')
		return t->kind == TOK_STRING && t->text.len == n - 2 &&
		       !memcmp(t->text.ptr, want + 1, n - 2);
	return t->kind != TOK_STRING && str_eq_cstr(t->text, want);
}

int cf_function_read(const char *code, size_t len, struct cf_rule *out)
{
	size_t i = 0, ntok = 0;
	bool same = true;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (len > CF_FUNCTION_MAX)
		return ERR_TOOLARGE;
	for (;;) {
		struct tok t;

		i = skip_space(code, len, i, &err);
		if (err || i >= len)
			break;
		if (ntok == CF_FUNCTION_TOKS) {
			err = ERR_TOOLARGE;
			break;
		}
		i = next_token(code, len, i, &t, &err);
		if (err)
			break;
		if (same &&
		    (ntok >= ARRAY_SIZE(spa_function) || !tok_matches(&t, spa_function[ntok], out)))
			same = false;
		ntok++;
	}
	if (!err && (!same || ntok != ARRAY_SIZE(spa_function)))
		err = ERR_UNSUPPORTED;
	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->kind = CF_RULE_SPA;
	return 0;
}

const char *cf_rule_apply(const struct cf_rule *r, struct str uri)
{
	long dot = -1, slash = -1;

	if (!r || r->kind != CF_RULE_SPA)
		return NULL;
	/* uri.lastIndexOf('.') < uri.lastIndexOf('/') */
	for (size_t i = 0; i < uri.len; i++) {
		if (uri.ptr[i] == '.')
			dot = (long)i;
		else if (uri.ptr[i] == '/')
			slash = (long)i;
	}
	return dot < slash ? r->uri : NULL;
}
