/*
 * The verb of an SQL statement (sqlverb.h). A few token rules of
 * PostgreSQL's lexer ("Lexical Structure", chapter 4.1 of its manual) are
 * enough to skip what may hide a keyword: comments, 'strings' (E'...' with
 * backslash escapes), "quoted identifiers" and $tag$ dollar-quoted bodies$tag$.
 * Each byte is looked at once; nothing is copied but the verb.
 */
#include "core/common.h"

#include <ctype.h>

#include "core/sqlverb.h"

static bool word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static size_t word_len(const char *s, size_t len, size_t i)
{
	size_t j = i;

	while (j < len &&
	       (word_start((unsigned char)s[j]) || isdigit((unsigned char)s[j]) || s[j] == '$'))
		j++;
	return j - i;
}

static bool is_kw(const char *w, size_t n, const char *kw)
{
	return n == strlen(kw) && !strncasecmp(w, kw, n);
}

/* Past a block comment that opens at `i`; PostgreSQL's nest. */
static size_t skip_block(const char *s, size_t len, size_t i)
{
	int depth = 0;

	do {
		if (i + 1 < len && s[i] == '/' && s[i + 1] == '*')
			depth++, i += 2;
		else if (i + 1 < len && s[i] == '*' && s[i + 1] == '/')
			depth--, i += 2;
		else
			i++;
	} while (depth > 0 && i < len);
	return i;
}

/* Past whitespace and comments from `i`. */
static size_t skip_blank(const char *s, size_t len, size_t i)
{
	for (;;) {
		if (i < len && isspace((unsigned char)s[i]))
			i++;
		else if (i + 1 < len && s[i] == '-' && s[i + 1] == '-')
			while (i < len && s[i] != '\n')
				i++;
		else if (i + 1 < len && s[i] == '/' && s[i + 1] == '*')
			i = skip_block(s, len, i);
		else
			return i;
	}
}

/* Past a quoted token opening at `i` with `q` (a doubled `q` is one; `backslash`: E'...'). */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, bool backslash)
{
	for (i++; i < len; i++) {
		bool escaped =
			(backslash && s[i] == '\\') || (s[i] == q && i + 1 < len && s[i + 1] == q);

		if (escaped)
			i++; /* the next byte is quoted */
		else if (s[i] == q)
			return i + 1;
	}
	return len;
}

/* Past a dollar-quoted body opening at `i` ('$'), or past the '$' of a $1 parameter. */
static size_t skip_dollar(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;
	const char *end;

	if (j < len && isdigit((unsigned char)s[j]))
		return j;
	while (j < len && (word_start((unsigned char)s[j]) || isdigit((unsigned char)s[j])))
		j++;
	if (j >= len || s[j] != '$')
		return i + 1;
	end = memmem(s + j + 1, len - j - 1, s + i, j - i + 1);
	return end ? (size_t)(end - s) + (j - i + 1) : len;
}

/* What a WITH statement changes: its first data-modifying keyword, else SELECT. */
static const char *dml_after(const char *s, size_t len, size_t i)
{
	static const char *const dml[] = {"INSERT", "UPDATE", "DELETE", "MERGE"};

	while ((i = skip_blank(s, len, i)) < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c == '\'' || c == '"') {
			i = skip_quoted(s, len, i, (char)c, false);
			continue;
		}
		if (c == '$') {
			i = skip_dollar(s, len, i);
			continue;
		}
		if (!word_start(c)) {
			i++;
			continue;
		}
		n = word_len(s, len, i);
		if (n == 1 && (c == 'E' || c == 'e') && i + 1 < len && s[i + 1] == '\'') {
			i = skip_quoted(s, len, i + 1, '\'', true);
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(dml); k++)
			if (is_kw(s + i, n, dml[k]))
				return dml[k];
		i += n;
	}
	return "SELECT";
}

const char *sql_verb(const char *sql, size_t len, char out[SQL_VERB_MAX])
{
	size_t i = 0, n;

	out[0] = '?';
	out[1] = '\0';
	if (!sql)
		return out;
	while ((i = skip_blank(sql, len, i)) < len && sql[i] == '(')
		i++;
	if (i >= len || !word_start((unsigned char)sql[i]))
		return out;
	n = word_len(sql, len, i);
	if (is_kw(sql + i, n, "WITH")) {
		snprintf(out, SQL_VERB_MAX, "%s", dml_after(sql, len, i + n));
		return out;
	}
	/* Keywords are ASCII letters: anything else is not a verb (and never reaches a log). */
	for (size_t k = 0; k < n; k++)
		if (!isascii((unsigned char)sql[i + k]) || !isalpha((unsigned char)sql[i + k]))
			return out;
	n = MIN(n, (size_t)SQL_VERB_MAX - 1);
	for (size_t k = 0; k < n; k++)
		out[k] = (char)toupper((unsigned char)sql[i + k]);
	out[n] = '\0';
	return out;
}
