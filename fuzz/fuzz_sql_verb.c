/*
 * Fuzz the verb of an SQL statement (src/core/sqlverb.c) on any text:
 * unterminated quotes, comments and dollar quotes included. Checked: the
 * verb is "?" or 1 to SQL_VERB_MAX - 1 upper-case ASCII letters, it is the
 * same when the text is followed by bytes after its end (only `len` bytes
 * are read), and a WITH statement's verb is one of the four it may name.
 */
#include "core/common.h"

#include "core/sqlverb.h"

static void check(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= SQL_VERB_MAX)
		abort();
	if (!strcmp(v, "?"))
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 'A' || v[i] > 'Z')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[SQL_VERB_MAX], b[SQL_VERB_MAX];
	char *copy = malloc(size + 8);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memcpy(copy + size, " insert", 8);
	sql_verb((const char *)data, size, a);
	sql_verb(copy, size, b);
	check(a);
	if (strcmp(a, b))
		abort();
	if (size >= 5 && !strncasecmp((const char *)data, "with ", 5) && strcmp(a, "SELECT") &&
	    strcmp(a, "INSERT") && strcmp(a, "UPDATE") && strcmp(a, "DELETE") && strcmp(a, "MERGE"))
		abort();
	free(copy);
	return 0;
}
