/*
 * Unit tests for the verb of an SQL statement (src/core/sqlverb.c): the first
 * keyword after comments and parentheses, what a WITH statement changes, the
 * service's own statements, and texts that have no verb.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/sqlverb.h"

static const char *verb(const char *sql)
{
	static char out[SQL_VERB_MAX];

	return sql_verb(sql, sql ? strlen(sql) : 0, out);
}

static void test_first_keyword(void **state)
{
	assert_string_equal(verb("SELECT 1"), "SELECT");
	assert_string_equal(verb("select 1"), "SELECT");
	assert_string_equal(verb("  \n\tinsert into t values ($1)"), "INSERT");
	assert_string_equal(verb("-- a note\nUPDATE t SET a = 1"), "UPDATE");
	assert_string_equal(verb("/* outer /* nested */ still */ DELETE FROM t"), "DELETE");
	assert_string_equal(verb("((SELECT 1) UNION (SELECT 2))"), "SELECT");
	assert_string_equal(verb("SET search_path TO public"), "SET");
	assert_string_equal(verb("begin"), "BEGIN");
	assert_string_equal(verb("SELECT;"), "SELECT");
	/* A keyword longer than the room left is cut, still upper-case. */
	assert_string_equal(verb("abcdefghijklmnopqrstuvwxyz"), "ABCDEFGHIJKLMNO");
}

static void test_with_names_the_change(void **state)
{
	assert_string_equal(verb("WITH up AS (INSERT INTO t VALUES (1) RETURNING *) "
				 "SELECT * FROM up"),
			    "INSERT");
	assert_string_equal(verb("with recursive r as (select 1) select * from r"), "SELECT");
	assert_string_equal(verb("WITH a AS (SELECT 1), b AS (UPDATE t SET x = 1 RETURNING 1),"
				 " c AS (DELETE FROM u RETURNING 1) SELECT 1"),
			    "UPDATE");
	/* Keywords inside strings, identifiers, dollar quotes and comments do not count. */
	assert_string_equal(verb("WITH a AS (SELECT 'insert', \"update\", $$delete$$, $t$merge$t$,"
				 " E'it\\'s insert' /* update */ -- delete\n) SELECT $1 FROM a"),
			    "SELECT");
	assert_string_equal(verb("WITH a AS (SELECT 'it''s') MERGE INTO t USING a ON true"),
			    "MERGE");
	/* Words that only start like a keyword are not one. */
	assert_string_equal(verb("WITH a AS (SELECT updated_at, inserted FROM t) SELECT 1"),
			    "SELECT");
	/* Unterminated quotes and comments end the scan. */
	assert_string_equal(verb("WITH a AS (SELECT 'insert"), "SELECT");
	assert_string_equal(verb("WITH a AS (SELECT $x$ insert"), "SELECT");
	assert_string_equal(verb("WITH /* insert"), "SELECT");
}

static void test_the_services_statements(void **state)
{
	/* The shapes of src/app/preferences_store.c and import_store.c. */
	assert_string_equal(verb("WITH up AS ( INSERT INTO preferences AS cur (user_id) VALUES ($1)"
				 " ON CONFLICT (user_id) DO UPDATE SET version = cur.version + 1"
				 " RETURNING *), h AS (INSERT INTO preference_history SELECT * FROM"
				 " up) SELECT user_id FROM up"),
			    "INSERT");
	assert_string_equal(verb("WITH up AS ( UPDATE preferences SET version = version + 1"
				 " WHERE user_id = $1 RETURNING *), h AS (INSERT INTO"
				 " preference_history SELECT * FROM up) SELECT user_id FROM up"),
			    "UPDATE");
	assert_string_equal(verb("WITH owned AS (SELECT 1 FROM imports WHERE import_id = $2),"
				 " input AS (SELECT x.u FROM jsonb_to_recordset($1::jsonb) AS x(u"
				 " text)), up AS (INSERT INTO preferences SELECT u FROM input)"
				 " SELECT (SELECT count(*) FROM up)"),
			    "INSERT");
}

static void test_no_verb(void **state)
{
	char out[SQL_VERB_MAX];

	assert_string_equal(verb(""), "?");
	assert_string_equal(verb(NULL), "?");
	assert_string_equal(verb("   -- only a comment"), "?");
	assert_string_equal(verb("/* unterminated"), "?");
	assert_string_equal(verb("'a string'"), "?");
	assert_string_equal(verb("$1"), "?");
	/* Not ASCII letters: not a keyword, and nothing but ASCII ever comes out. */
	assert_string_equal(verb("s\xc3\xa9lect 1"), "?");
	assert_string_equal(verb("select1"), "?");
	assert_string_equal(verb("_select"), "?");
	/* Only `len` bytes are read. */
	assert_string_equal(sql_verb("SELECT", 3, out), "SEL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_keyword),
		cmocka_unit_test(test_with_names_the_change),
		cmocka_unit_test(test_the_services_statements),
		cmocka_unit_test(test_no_verb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
