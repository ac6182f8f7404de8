/*
 * Unit tests for the functions' PostgreSQL connection (src/app/db.c)
 * against a scripted backend (pgstub.h), through libpq itself: the DEBUG
 * line each statement writes ("db statement": its verb, never its text nor
 * a parameter; the outcome and SQLSTATE; the rounds it took; a new
 * connection), a statement sent again on a new connection when the old one
 * broke, and that nothing is built outside an invocation at INFO.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apptest.h"
#include "app/db.h"
#include "core/log.h"
#include "pgstub.h"

static char *cap_buf;
static size_t cap_len;
static FILE *cap;
static struct pgstub stub;
static struct db db;

static const char SQL[] = "WITH up AS (UPDATE t SET v = $2 WHERE k = $1 RETURNING *) SELECT * "
			  "FROM up";
static const char *const PARAMS[2] = {"user-7", "a-value-never-logged"};

static void start(const struct pgstub_step *script, size_t n)
{
	char port[8], why[256];

	pgstub_start(&stub, script, n);
	snprintf(port, sizeof(port), "%u", (unsigned)stub.port);
	setenv("PGHOST", "127.0.0.1", 1);
	setenv("PGPORT", port, 1);
	setenv("PGUSER", "sluice_app", 1);
	setenv("PGDATABASE", "sluice", 1);
	setenv("PGSSLMODE", "disable", 1);
	unsetenv("DB_IAM_AUTH");
	unsetenv("PGPASSWORD");
	assert_int_equal(db_init(&db, why, sizeof(why)), 0);
}

static int setup(void **state)
{
	apptest_logs_capture(&cap, &cap_buf, &cap_len);
	log_configure(LVL_DEBUG, true);
	return 0;
}

static int teardown(void **state)
{
	log_invocation_end();
	db_release(&db);
	pgstub_stop(&stub);
	apptest_logs_release(cap, &cap_buf);
	cap_len = 0;
	return 0;
}

/* The lines written so far with message `message`, parsed; the output is then forgotten. */
static json_t *lines(const char *message)
{
	static const char *const never[] = {"a-value-never-logged", "UPDATE t SET", NULL};

	return apptest_logs_lines(cap, &cap_buf, &cap_len, message, never);
}

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void query(enum db_retry retry, int want)
{
	PGresult *r = NULL;

	assert_int_equal(db_query(&db, SQL, 2, PARAMS, retry, 0, &r), want);
	PQclear(r);
}

static void test_ok_statement(void **state)
{
	json_t *l, *one;

	start(NULL, 0);
	query(DB_IDEMPOTENT, 0);
	query(DB_IDEMPOTENT, 0);
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 2);
	one = json_array_get(l, 0);
	assert_string_equal(str_of(one, "level"), "DEBUG");
	assert_string_equal(str_of(one, "operation"), "UPDATE");
	assert_string_equal(str_of(one, "status"), "ok");
	assert_int_equal(json_integer_value(json_object_get(one, "attempts")), 1);
	assert_true(json_number_value(json_object_get(one, "durationMs")) >= 0);
	assert_true(json_is_true(json_object_get(one, "connected")));
	assert_null(json_object_get(one, "sqlstate"));
	assert_null(json_object_get(one, "error"));
	/* The second reuses the connection. */
	assert_null(json_object_get(json_array_get(l, 1), "connected"));
	/* The backend got the statement as it was, once each. */
	assert_int_equal(stub.nsql, 2);
	assert_string_equal(stub.sql[0], SQL);
	json_decref(l);
}

static void test_refused_statement(void **state)
{
	const struct pgstub_step script[] = {{PGSTUB_ERROR, "23505"}, {PGSTUB_ERROR, "57014"}};
	json_t *l;

	start(script, ARRAY_SIZE(script));
	query(DB_IDEMPOTENT, ERR_REMOTE);
	query(DB_IDEMPOTENT, ERR_TIMEOUT); /* canceled by the role's statement_timeout */
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(str_of(json_array_get(l, 0), "status"), "error");
	assert_string_equal(str_of(json_array_get(l, 0), "sqlstate"), "23505");
	assert_string_equal(str_of(json_array_get(l, 0), "error"), "REMOTE");
	assert_string_equal(str_of(json_array_get(l, 1), "sqlstate"), "57014");
	assert_string_equal(str_of(json_array_get(l, 1), "error"), "TIMEOUT");
	json_decref(l);
}

static void test_broken_connection_rounds(void **state)
{
	const struct pgstub_step script[] = {
		{PGSTUB_OK, NULL}, {PGSTUB_CLOSE, NULL}, {PGSTUB_OK, NULL}, {PGSTUB_CLOSE, NULL}};
	json_t *l, *again, *once;

	start(script, ARRAY_SIZE(script));
	query(DB_IDEMPOTENT, 0);
	/* Idempotent: sent again on a new connection, in a second round. */
	query(DB_IDEMPOTENT, 0);
	/* Once: not sent again; the error says the transport failed. */
	query(DB_ONCE, ERR_HTTP);
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 3);
	again = json_array_get(l, 1);
	assert_int_equal(json_integer_value(json_object_get(again, "attempts")), 2);
	assert_true(json_is_true(json_object_get(again, "connected")));
	assert_string_equal(str_of(again, "status"), "ok");
	once = json_array_get(l, 2);
	assert_int_equal(json_integer_value(json_object_get(once, "attempts")), 1);
	assert_string_equal(str_of(once, "status"), "error");
	assert_string_equal(str_of(once, "error"), "HTTP");
	assert_null(json_object_get(once, "sqlstate"));
	assert_int_equal(stub.nsql, 4);
	json_decref(l);
}

static void test_cannot_connect(void **state)
{
	json_t *l, *one;

	start(NULL, 0);
	setenv("PGPORT", "1", 1); /* nothing listens there */
	db_release(&db);
	{
		char why[256];
		assert_int_equal(db_init(&db, why, sizeof(why)), 0);
	}
	query(DB_IDEMPOTENT, ERR_HTTP);
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 1);
	one = json_array_get(l, 0);
	assert_string_equal(str_of(one, "error"), "HTTP");
	assert_int_equal(json_integer_value(json_object_get(one, "attempts")), 1);
	assert_true(json_is_true(json_object_get(one, "connected")));
	json_decref(l);
}

static void test_kept_at_info_until_an_error(void **state)
{
	struct log_invocation inv = {"rid-1", "Root=1-65f0c3a0-0a1b2c3d4e5f60718293a4b5", false};
	json_t *l;

	log_configure(LVL_INFO, true);
	start(NULL, 0);
	/* Outside an invocation at INFO the line is not even built. */
	assert_false(log_debug_wanted());
	query(DB_IDEMPOTENT, 0);
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	/* In one, it is kept, and written before the invocation's first error. */
	log_invocation_begin(&inv);
	query(DB_IDEMPOTENT, 0);
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	log_msg(LVL_ERROR, "something failed");
	l = lines("db statement");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(str_of(json_array_get(l, 0), "function_request_id"), "rid-1");
	json_decref(l);
	log_invocation_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_connection_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_at_info_until_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
