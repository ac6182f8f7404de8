/*
 * Unit tests for the migration planner (src/app/migrate_plan.c): file names,
 * order, the no-transaction marker, checksums and the plan's verdicts, and
 * the statement splitter over PostgreSQL's quoting rules.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "app/migrate_plan.h"
#include "core/enc.h"

static void test_file_names(void **state)
{
	char name[MIGRATE_NAME_MAX + 1];
	long v = 0;

	assert_int_equal(migrate_parse_filename("0001_init.sql", &v, name), 1);
	assert_int_equal(v, 1);
	assert_string_equal(name, "init");
	assert_int_equal(migrate_parse_filename("20260314_add_index_2.sql", &v, name), 1);
	assert_int_equal(v, 20260314);
	assert_string_equal(name, "add_index_2");
	/* Not migrations at all: ignored. */
	assert_int_equal(migrate_parse_filename("README.md", &v, name), 0);
	assert_int_equal(migrate_parse_filename("notes.sql", &v, name), 0);
	assert_int_equal(migrate_parse_filename("0001_init.sql.bak", &v, name), 0);
	/* Look like migrations but are malformed: refused, never skipped. */
	assert_int_equal(migrate_parse_filename("12_short.sql", &v, name), -1);
	assert_int_equal(migrate_parse_filename("0001-dash.sql", &v, name), -1);
	assert_int_equal(migrate_parse_filename("0001_Upper.sql", &v, name), -1);
	assert_int_equal(migrate_parse_filename("0001_.sql", &v, name), -1);
	assert_int_equal(migrate_parse_filename("0000_zero.sql", &v, name), -1);
	assert_int_equal(migrate_parse_filename("0001_sp ace.sql", &v, name), -1);
}

static void test_marker(void **state)
{
	assert_true(migrate_has_marker("-- sluice:no-transaction\nCREATE INDEX", 37));
	assert_true(migrate_has_marker("-- sluice:no-transaction  \r\nx", 29));
	assert_true(migrate_has_marker("-- sluice:no-transaction", 24));
	assert_false(migrate_has_marker("-- sluice:no-transactions\n", 26));
	assert_false(migrate_has_marker("\n-- sluice:no-transaction\n", 26));
	assert_false(migrate_has_marker("--sluice:no-transaction\n", 24));
	assert_false(migrate_has_marker("-- sluice:no-transaction x\n", 27));
}

#define ADD(set, file, sql) migrate_set_add((set), (file), (sql), strlen(sql), why, sizeof(why))

static void test_set_order_and_checksums(void **state)
{
	struct migration_set set;
	char why[256] = "", hex[65];

	migrate_set_init(&set);
	assert_int_equal(ADD(&set, "0003_c.sql",
			     "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n"),
			 0);
	assert_int_equal(ADD(&set, "0001_a.sql", "CREATE TABLE t (x int);\n"), 0);
	assert_int_equal(ADD(&set, "0002_b.sql", "ALTER TABLE t ADD y int;\n"), 0);
	assert_int_equal(set.n, 3);
	assert_int_equal(set.items[0].version, 1);
	assert_int_equal(set.items[1].version, 2);
	assert_int_equal(set.items[2].version, 3);
	assert_false(set.items[0].no_transaction);
	assert_true(set.items[2].no_transaction);
	sha256_hex("CREATE TABLE t (x int);\n", 24, hex);
	assert_string_equal(set.items[0].sha256, hex);
	assert_string_equal(set.items[0].file, "0001_a.sql");

	/* A second file with the same version, an empty file, bytes that are not text. */
	assert_int_equal(ADD(&set, "0002_again.sql", "SELECT 1;"), ERR_INVAL);
	assert_string_equal(why, "0002_b.sql and 0002_again.sql have the same version 2");
	assert_int_equal(ADD(&set, "0004_empty.sql", ""), ERR_INVAL);
	assert_int_equal(migrate_set_add(&set, "0005_nul.sql", "a\0b", 3, why, sizeof(why)),
			 ERR_INVAL);
	assert_int_equal(ADD(&set, "0006_latin1.sql", "SELECT '\xe9';"), ERR_INVAL);
	assert_int_equal(ADD(&set, "6_bad.sql", "SELECT 1;"), ERR_INVAL);
	assert_int_equal(set.n, 3);
	migrate_set_release(&set);
}

static struct migration_applied applied_of(const struct migration *m)
{
	struct migration_applied a;

	memset(&a, 0, sizeof(a));
	a.version = m->version;
	snprintf(a.name, sizeof(a.name), "%s", m->name);
	snprintf(a.sha256, sizeof(a.sha256), "%s", m->sha256);
	return a;
}

static void test_plan(void **state)
{
	struct migration_set set;
	struct migration_applied applied[3];
	struct migrate_plan plan;
	char why[512] = "";

	migrate_set_init(&set);
	assert_int_equal(ADD(&set, "0001_a.sql", "CREATE TABLE a (x int);"), 0);
	assert_int_equal(ADD(&set, "0002_b.sql", "CREATE TABLE b (x int);"), 0);
	assert_int_equal(ADD(&set, "0003_c.sql", "CREATE TABLE c (x int);"), 0);

	/* Empty database: everything pending, in order. */
	assert_int_equal(migrate_plan_make(&set, NULL, 0, &plan, why, sizeof(why)), 0);
	assert_int_equal(plan.n, 3);
	assert_int_equal(plan.pending, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(plan.steps[i].version, (long)i + 1);
		assert_int_equal(plan.steps[i].state, MIGRATE_PENDING);
	}
	migrate_plan_release(&plan);

	/* 1 applied; 3 applied by a newer run (out of order for 2); 9 unknown here. */
	applied[0] = applied_of(&set.items[0]);
	applied[1] = applied_of(&set.items[2]);
	memset(&applied[2], 0, sizeof(applied[2]));
	applied[2].version = 9;
	snprintf(applied[2].sha256, sizeof(applied[2].sha256), "%064d", 0);
	assert_int_equal(migrate_plan_make(&set, applied, 3, &plan, why, sizeof(why)), 0);
	assert_int_equal(plan.n, 4);
	assert_int_equal(plan.steps[0].state, MIGRATE_APPLIED);
	assert_int_equal(plan.steps[1].state, MIGRATE_PENDING);
	assert_true(plan.steps[1].out_of_order);
	assert_int_equal(plan.steps[2].state, MIGRATE_APPLIED);
	assert_int_equal(plan.steps[3].state, MIGRATE_UNKNOWN);
	assert_null(plan.steps[3].file);
	assert_int_equal(plan.pending, 1);
	assert_int_equal(plan.unknown, 1);
	migrate_plan_release(&plan);

	/* A changed file is refused, naming it and both checksums. */
	applied[1].sha256[0] = applied[1].sha256[0] == 'a' ? 'b' : 'a';
	assert_int_equal(migrate_plan_make(&set, applied, 2, &plan, why, sizeof(why)),
			 ERR_PRECONDITION);
	assert_non_null(strstr(why, "0003_c.sql was changed after it was applied"));
	assert_non_null(strstr(why, applied[1].sha256));
	assert_non_null(strstr(why, set.items[2].sha256));
	assert_int_equal(plan.changed, 1);
	assert_int_equal(plan.steps[2].state, MIGRATE_CHANGED);
	migrate_plan_release(&plan);
	migrate_set_release(&set);
}

struct collected {
	char stmts[16][256];
	int n;
};

static int collect(void *ctx, struct str s)
{
	struct collected *c = ctx;

	assert_true(c->n < 16);
	snprintf(c->stmts[c->n++], 256, "%.*s", STR_FMT(s));
	return 0;
}

static int split(const char *sql, struct collected *c)
{
	memset(c, 0, sizeof(*c));
	return (int)migrate_split(sql, strlen(sql), collect, c);
}

static void test_split(void **state)
{
	struct collected c;

	assert_int_equal(split("SELECT 1; SELECT 2;\n\n", &c), 2);
	assert_string_equal(c.stmts[0], "SELECT 1");
	assert_string_equal(c.stmts[1], "SELECT 2");
	/* Semicolons inside strings, identifiers, comments and dollar bodies stay. */
	assert_int_equal(split("INSERT INTO t VALUES ('a;b', 'it''s;');"
			       "SELECT \"x;y\" FROM t; -- c;d\n"
			       "/* a; /* nested; */ b; */ SELECT 3;"
			       "DO $body$ BEGIN PERFORM 1; END $body$;"
			       "SELECT $$;$$, E'\\';', $1",
			       &c),
			 5);
	assert_string_equal(c.stmts[0], "INSERT INTO t VALUES ('a;b', 'it''s;')");
	assert_string_equal(c.stmts[1], "SELECT \"x;y\" FROM t");
	assert_string_equal(c.stmts[2], "-- c;d\n/* a; /* nested; */ b; */ SELECT 3");
	assert_string_equal(c.stmts[3], "DO $body$ BEGIN PERFORM 1; END $body$");
	assert_string_equal(c.stmts[4], "SELECT $$;$$, E'\\';', $1");
	/* Only comments and blanks: nothing; an identifier with '$' is not a dollar quote. */
	assert_int_equal(split("-- sluice:no-transaction\n  ;;\n/* x */;", &c), 0);
	assert_int_equal(split("SELECT a$b$c; SELECT 2", &c), 2);
	/* An unterminated quote swallows the rest. */
	assert_int_equal(split("SELECT 'open; SELECT 2;", &c), 1);
}

static void test_line_of(void **state)
{
	const char *sql = "CREATE TABLE a (x int);\n-- \xc3\xa9t\xc3\xa9\nSELECT nope;\n";

	assert_int_equal(migrate_line_of(sql, strlen(sql), 1), 1);
	assert_int_equal(migrate_line_of(sql, strlen(sql), 24), 1);
	assert_int_equal(migrate_line_of(sql, strlen(sql), 25), 2);
	/* "SELECT" starts at character 32 (the accents are one character each). */
	assert_int_equal(migrate_line_of(sql, strlen(sql), 32), 3);
	assert_int_equal(migrate_line_of(sql, strlen(sql), 1000), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_set_order_and_checksums),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_line_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
