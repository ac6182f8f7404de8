/*
 * The verb of an SQL statement, for logs and the dashboard: what a
 * statement does in one word ("SELECT", "INSERT", "SET"), never its text,
 * so that a line about a statement carries no value that was in it.
 *
 * Both sides of a PostgreSQL statement name it with this one function: the
 * functions' debug line for each statement (src/app/db.c) and the local RDS
 * Proxy's report of what it relayed (src/local/postgres/), so that the
 * function's log and the dashboard's waterfall say the same word.
 *
 * The verb is the statement's first keyword, upper-cased, after whitespace,
 * comments (`--` to the end of the line, and block comments, nested as
 * PostgreSQL nests them) and opening parentheses. A statement that starts
 * with WITH names what its common table expressions change: the first
 * INSERT, UPDATE, DELETE or MERGE keyword found outside quotes and
 * comments, else SELECT (what "WITH up AS (INSERT ...) SELECT ... FROM up"
 * does is an INSERT). It is a lexer's guess, not a parser's: a column named
 * `delete` in a WITH query would be taken for the verb.
 */
#ifndef SLUICE_CORE_SQLVERB_H
#define SLUICE_CORE_SQLVERB_H

#include <stddef.h>

/* Room for a verb and its NUL; a longer first word is cut to SQL_VERB_MAX - 1 letters. */
#define SQL_VERB_MAX 16

/*
 * Write the verb of the `len` bytes of `sql` (NULL for none) into `out` and
 * return `out`: upper-case ASCII letters, or "?" when the text has no
 * keyword (empty, only comments, or it starts with something else).
 */
const char *sql_verb(const char *sql, size_t len, char out[SQL_VERB_MAX]);

#endif
