/*
 * Unit tests for following statements through the local RDS Proxy
 * (src/local/postgres/pg_watch.c) and for the text the dashboard shows of
 * them (pg_wire.c, pg_normalize()): simple queries, extended-protocol
 * batches, pipelining, errors and their SQLSTATE, the backend's stream cut
 * anywhere, the queue's limit, and literals never shown.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/postgres/pg_watch.h"
#include "local/postgres/pg_wire.h"

struct seen {
	int n;
	struct pg_statement s[8];
	double ms[8];
};

static void on_statement(void *arg, const struct pg_statement *s, double ms)
{
	struct seen *seen = arg;

	if (seen->n < 8) {
		seen->s[seen->n] = *s;
		seen->ms[seen->n] = ms;
	}
	seen->n++;
}

/* Append one backend message of `type` with `body` to `out`; returns its length. */
static size_t msg(uint8_t *out, char type, const void *body, size_t len)
{
	uint32_t n = (uint32_t)len + 4;

	out[0] = (uint8_t)type;
	out[1] = (uint8_t)(n >> 24), out[2] = (uint8_t)(n >> 16);
	out[3] = (uint8_t)(n >> 8), out[4] = (uint8_t)n;
	memcpy(out + 5, body, len);
	return 5 + len;
}

static void client(struct pg_watch *w, char type, const char *sql, int64_t t_ns)
{
	pg_watch_client(w, type, str_from(sql), sql ? pg_pin_reason(sql, strlen(sql)) : NULL, 1000,
			t_ns);
}

static const char ERROR_42P01[] = "SERROR\0VERROR\0C42P01\0Mrelation \"x\" does not exist\0";

static void test_simple_queries(void **state)
{
	struct pg_watch w;
	struct seen seen = {0};
	uint8_t b[512];
	size_t n = 0;

	pg_watch_init(&w);
	/* What the backend says after the startup packet matches nothing. */
	n = msg(b, 'Z', "I", 1);
	pg_watch_backend(&w, b, n, 0, on_statement, &seen);
	assert_int_equal(seen.n, 0);

	client(&w, 'Q', "SET work_mem = '8MB'", 1000000);
	client(&w, 'Q', "SELECT * FROM x WHERE id = 'secret'", 2000000);
	n = msg(b, 'C', "SET", 4);
	n += msg(b + n, 'Z', "I", 1);
	n += msg(b + n, 'E', ERROR_42P01, sizeof(ERROR_42P01));
	n += msg(b + n, 'Z', "I", 1);
	/* The stream cut byte by byte: the same statements. */
	for (size_t i = 0; i < n; i++)
		pg_watch_backend(&w, b + i, 1, 5000000, on_statement, &seen);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.s[0].verb, "SET");
	assert_string_equal(seen.s[0].text, "SET work_mem = ?");
	assert_non_null(seen.s[0].pin);
	assert_string_equal(seen.s[0].sqlstate, "");
	assert_true(seen.ms[0] > 3.99 && seen.ms[0] < 4.01);
	assert_string_equal(seen.s[1].verb, "SELECT");
	assert_string_equal(seen.s[1].text, "SELECT * FROM x WHERE id = ?");
	assert_null(seen.s[1].pin);
	assert_string_equal(seen.s[1].sqlstate, "42P01");
	assert_int_equal(seen.s[1].start_ms, 1000);
}

static void test_extended_protocol(void **state)
{
	struct pg_watch w;
	struct seen seen = {0};
	uint8_t b[512];
	size_t n;

	pg_watch_init(&w);
	/* libpq's PQexecParams: Parse, Bind, Describe, Execute, Sync. */
	client(&w, 'P', "INSERT INTO t (a, b) VALUES ($1, 42)", 0);
	client(&w, 'B', NULL, 0);
	client(&w, 'D', NULL, 0);
	client(&w, 'E', NULL, 0);
	client(&w, 'S', NULL, 0);
	/* A named statement prepared earlier, executed again: EXECUTE. */
	client(&w, 'B', NULL, 0);
	client(&w, 'E', NULL, 0);
	client(&w, 'S', NULL, 0);
	/* A Sync alone is counted, not reported. */
	client(&w, 'S', NULL, 0);
	n = msg(b, '1', "", 0);
	n += msg(b + n, '2', "", 0);
	n += msg(b + n, 'C', "INSERT 0 1", 11);
	n += msg(b + n, 'Z', "I", 1);
	n += msg(b + n, 'E', ERROR_42P01, sizeof(ERROR_42P01));
	n += msg(b + n, 'Z', "I", 1);
	n += msg(b + n, 'Z', "I", 1);
	pg_watch_backend(&w, b, n, 1000000, on_statement, &seen);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.s[0].verb, "INSERT");
	assert_string_equal(seen.s[0].text, "INSERT INTO t (a, b) VALUES ($1, ?)");
	assert_string_equal(seen.s[1].verb, "EXECUTE");
	assert_string_equal(seen.s[1].text, "");
	assert_string_equal(seen.s[1].sqlstate, "42P01");
	assert_int_equal(w.count, 0);
}

static void test_limits(void **state)
{
	struct pg_watch w;
	struct seen seen = {0};
	uint8_t b[64];

	/* More statements in flight than followed: the watch stops. */
	pg_watch_init(&w);
	for (int i = 0; i <= PG_WATCH_PENDING; i++)
		client(&w, 'Q', "SELECT 1", 0);
	assert_true(w.blind);
	size_t n = msg(b, 'Z', "I", 1);
	pg_watch_backend(&w, b, n, 0, on_statement, &seen);
	assert_int_equal(seen.n, 0);
	/* A backend length under 4: the same. */
	pg_watch_init(&w);
	client(&w, 'Q', "SELECT 1", 0);
	memcpy(b, "Z\0\0\0\3I", 6);
	pg_watch_backend(&w, b, 6, 0, on_statement, &seen);
	assert_true(w.blind);
	assert_int_equal(seen.n, 0);
	/* An ErrorResponse without a code: "?????". */
	pg_watch_init(&w);
	client(&w, 'Q', "SELECT 1", 0);
	n = msg(b, 'E', "SERROR\0", 8);
	n += msg(b + n, 'Z', "I", 1);
	pg_watch_backend(&w, b, n, 0, on_statement, &seen);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.s[0].sqlstate, "?????");
}

static void test_normalize(void **state)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{"SELECT 1", "SELECT ?"},
		{"select  *\n\tfrom t  where a=$1", "select * from t where a=$1"},
		{"SELECT 'a''b', E'\\'x', $$body$$, $t$x$t$, B'01', X'ff'",
		 "SELECT ?, ?, ?, ?, ?, ?"},
		{"SELECT 3.14e-2, -7, t1.c2 FROM t1", "SELECT ?, -?, t1.c2 FROM t1"},
		{"SELECT \"Quoted id\" /* secret */ FROM t -- secret\n",
		 "SELECT \"Quoted id\" FROM t"},
		{"$1::jsonb", "$1::jsonb"},
		{"", ""},
		{"SELECT 'unterminated", "SELECT ?"},
	};
	char out[PG_WATCH_TEXT_MAX + 1];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pg_normalize(cases[i].sql, strlen(cases[i].sql), out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
	/* Cut to the cap, marked. */
	char long_sql[1000];
	memset(long_sql, 'a', sizeof(long_sql));
	memcpy(long_sql, "SELECT ", 7);
	size_t n = pg_normalize(long_sql, sizeof(long_sql), out, sizeof(out));
	assert_int_equal(n, strlen(out));
	assert_true(n <= PG_WATCH_TEXT_MAX);
	assert_string_equal(out + n - 3, "...");
	/* Tiny caps. */
	char tiny[4] = "xyz";
	assert_int_equal(pg_normalize("SELECT 1", 8, tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "");
	assert_int_equal(pg_normalize("SELECT 1", 8, tiny, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_queries),
		cmocka_unit_test(test_extended_protocol),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
