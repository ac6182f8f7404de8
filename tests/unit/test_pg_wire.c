/*
 * Unit tests for the PostgreSQL protocol pieces of the local RDS Proxy
 * (src/local/postgres/pg_wire.c): startup packets and special requests,
 * message framing, password and statement extraction, the messages the
 * proxy sends, and RDS Proxy's pinning rules, both sides of each.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/postgres/pg_wire.h"

/* A startup packet for protocol 3.0 with the given "name\0value\0..." pairs. */
static size_t startup(uint8_t *out, const char *pairs, size_t pairs_len)
{
	size_t total = 8 + pairs_len + 1;

	out[0] = (uint8_t)(total >> 24), out[1] = (uint8_t)(total >> 16);
	out[2] = (uint8_t)(total >> 8), out[3] = (uint8_t)total;
	out[4] = 0, out[5] = 3, out[6] = 0, out[7] = 0;
	memcpy(out + 8, pairs, pairs_len);
	out[8 + pairs_len] = 0;
	return total;
}

static void test_startup(void **state)
{
	static const char pairs[] = "user\0sluice_app\0database\0sluice\0";
	uint8_t pkt[256];
	struct pg_startup s;
	size_t n = startup(pkt, pairs, sizeof(pairs) - 1);

	assert_int_equal(pg_parse_startup(pkt, n, &s), (long)n);
	assert_int_equal(s.kind, PG_STARTUP);
	assert_int_equal(s.nparams, 2);
	assert_true(str_eq_cstr(pg_startup_param(&s, "user"), "sluice_app"));
	assert_true(str_eq_cstr(pg_startup_param(&s, "database"), "sluice"));
	assert_null(pg_startup_param(&s, "options").ptr);
	/* Partial: wait for more. */
	assert_int_equal(pg_parse_startup(pkt, 4, &s), 0);
	assert_int_equal(pg_parse_startup(pkt, n - 1, &s), 0);
	/* The list must end with an empty name as the last byte. */
	pkt[n - 1] = 'x';
	assert_int_equal(pg_parse_startup(pkt, n, &s), -1);
	/* Lengths under 8 or over 10000 are refused. */
	uint8_t tiny[8] = {0, 0, 0, 4, 0, 3, 0, 0}, huge[8] = {0, 1, 0, 0, 0, 3, 0, 0};
	assert_int_equal(pg_parse_startup(tiny, 8, &s), -1);
	assert_int_equal(pg_parse_startup(huge, 8, &s), -1);
}

static void test_special_requests(void **state)
{
	uint8_t ssl[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	uint8_t gss[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};
	uint8_t cancel[16] = {0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2};
	uint8_t v2[8] = {0, 0, 0, 8, 0, 2, 0, 0};
	struct pg_startup s;

	assert_int_equal(pg_parse_startup(ssl, 8, &s), 8);
	assert_int_equal(s.kind, PG_STARTUP_SSL);
	assert_int_equal(pg_parse_startup(gss, 8, &s), 8);
	assert_int_equal(s.kind, PG_STARTUP_GSSENC);
	assert_int_equal(pg_parse_startup(cancel, 16, &s), 16);
	assert_int_equal(s.kind, PG_STARTUP_CANCEL);
	assert_int_equal(pg_parse_startup(v2, 8, &s), 8);
	assert_int_equal(s.kind, PG_STARTUP_OTHER);
}

static void test_frames_and_payloads(void **state)
{
	static const uint8_t q[] = "Q\0\0\0\x0dSELECT 1\0";
	static const uint8_t p[] = "P\0\0\0\x13s1\0SELECT $1\0\0\0";
	static const uint8_t pw[] = "p\0\0\0\x0bhunter\0";
	struct pg_message m;
	struct str sql, name, pass;

	assert_int_equal(pg_frame(q, sizeof(q) - 1, 1024, &m), 14);
	assert_int_equal(m.type, 'Q');
	assert_int_equal(pg_statement(&m, &sql, &name), 0);
	assert_true(str_eq_cstr(sql, "SELECT 1"));
	assert_int_equal(name.len, 0);
	assert_int_equal(pg_frame(q, 10, 1024, &m), 0);		  /* incomplete */
	assert_int_equal(pg_frame(q, sizeof(q) - 1, 10, &m), -1); /* over the cap */

	assert_int_equal(pg_frame(p, sizeof(p) - 1, 1024, &m), 20);
	assert_int_equal(pg_statement(&m, &sql, &name), 0);
	assert_true(str_eq_cstr(name, "s1"));
	assert_true(str_eq_cstr(sql, "SELECT $1"));

	assert_int_equal(pg_frame(pw, sizeof(pw) - 1, 1024, &m), 12);
	assert_int_equal(pg_password(&m, &pass), 0);
	assert_true(str_eq_cstr(pass, "hunter"));
	/* A password with a NUL inside, or another message type, is refused. */
	struct pg_message bad = {'p', {"a\0b\0", 4}};
	assert_int_equal(pg_password(&bad, &pass), ERR_PARSE);
	bad.type = 'Q';
	assert_int_equal(pg_password(&bad, &pass), ERR_PARSE);
	struct pg_message unterminated = {'Q', {"SELECT", 6}};
	assert_int_equal(pg_statement(&unterminated, &sql, &name), ERR_PARSE);
}

static void test_messages_we_send(void **state)
{
	struct buf b;

	buf_init(&b, 1024);
	pg_put_auth_cleartext(&b);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.ptr, "R\0\0\0\x08\0\0\0\x03", 9);
	buf_reset(&b);
	pg_put_error(&b, "FATAL", "28P01", "password authentication failed for user \"x\"");
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(b.ptr[0], 'E');
	size_t len = ((size_t)(uint8_t)b.ptr[1] << 24) | ((size_t)(uint8_t)b.ptr[2] << 16) |
		     ((size_t)(uint8_t)b.ptr[3] << 8) | (uint8_t)b.ptr[4];
	assert_int_equal(len + 1, b.len);
	assert_memory_equal(b.ptr + 5, "SFATAL\0VFATAL\0C28P01\0M", 22);
	assert_int_equal(b.ptr[b.len - 1], '\0');
	buf_release(&b);
}

static void test_pinning_rules(void **state)
{
	static const struct {
		const char *sql;
		const char *reason_has; /* NULL: does not pin */
	} cases[] = {
		{"SELECT 1", NULL},
		{"set search_path to x", "SET"},
		{"  /* c; */ SET LOCAL statement_timeout = 1", "SET"},
		{"RESET ALL", "RESET"},
		{"UPDATE t SET x = 1 WHERE y = 'SET'", NULL},
		{"SELECT 'SET x'; SELECT $$ SET $$, E'\\'; SET'", NULL},
		{"-- SET x\nSELECT 1", NULL},
		{"SELECT 1; SET x = 1", "SET"},
		{"PREPARE p AS SELECT 1", "prepared"},
		{"EXECUTE p(1)", "prepared"},
		{"DEALLOCATE ALL", "prepared"},
		{"DISCARD ALL", "DISCARD"},
		{"DECLARE c CURSOR FOR SELECT 1", "cursor"},
		{"LISTEN events", "LISTEN"},
		{"LOAD 'auto_explain'", "LOAD"},
		{"CREATE TEMP TABLE t (x int)", "temporary"},
		{"create global temporary table t (x int)", "temporary"},
		{"CREATE TEMPORARY SEQUENCE s", "temporary"},
		{"CREATE OR REPLACE TEMP VIEW v AS SELECT 1", "temporary"},
		{"CREATE TABLE t (x int)", NULL},
		{"SELECT x INTO TEMP t FROM y", "temporary"},
		{"SELECT nextval('s')", "sequence"},
		{"SELECT pg_catalog.NEXTVAL ('s')", "sequence"},
		{"SELECT \"setval\"('s', 1)", "sequence"},
		{"SELECT nextval FROM t", NULL},
		{"INSERT INTO t VALUES ('nextval(')", NULL},
		{"SELECT pg_advisory_lock(1)", "advisory"},
		{"SELECT pg_try_advisory_xact_lock(1)", "advisory"},
		{"SELECT set_config('a', 'b', false)", "set_config"},
		{"WITH x AS (SELECT 1) SELECT * FROM x", NULL},
		{"SELECT a$b$c(1)", NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = pg_pin_reason(cases[i].sql, strlen(cases[i].sql));

		if (!cases[i].reason_has) {
			if (got)
				fail_msg("%s: pins (%s), should not", cases[i].sql, got);
		} else if (!got || !strstr(got, cases[i].reason_has)) {
			fail_msg("%s: %s, want a reason naming %s", cases[i].sql,
				 got ? got : "does not pin", cases[i].reason_has);
		}
	}
	/* Over 16 KB of text, whatever it says. */
	char *big = malloc(PG_PIN_STATEMENT_LIMIT + 16);
	memset(big, ' ', PG_PIN_STATEMENT_LIMIT + 16);
	memcpy(big, "SELECT 1", 8);
	assert_null(pg_pin_reason(big, PG_PIN_STATEMENT_LIMIT));
	assert_non_null(strstr(pg_pin_reason(big, PG_PIN_STATEMENT_LIMIT + 1), "16 KB"));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_special_requests),
		cmocka_unit_test(test_frames_and_payloads),
		cmocka_unit_test(test_messages_we_send),
		cmocka_unit_test(test_pinning_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
