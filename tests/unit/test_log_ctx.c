/*
 * Unit tests for what an invocation adds to the logs (src/core/log_ctx.c
 * through core/log.h): Powertools' keys, the correlation id, the trace id's
 * Root, DEBUG lines kept and written before the first error, dropped when
 * the invocation ends well, the bound of the buffer, and raw lines.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apptest.h"
#include "core/log.h"

static char *cap_buf;
static size_t cap_len;
static FILE *cap;

static int setup(void **state)
{
	apptest_logs_capture(&cap, &cap_buf, &cap_len);
	log_configure(LVL_INFO, true);
	log_set_service(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	log_invocation_end();
	log_set_service(NULL, NULL);
	apptest_logs_release(cap, &cap_buf);
	cap_len = 0;
	return 0;
}

static char *take(void)
{
	return apptest_logs_take(cap, &cap_buf, &cap_len);
}

/* The lines written so far, parsed; the caller frees the array. */
static json_t *take_lines(void)
{
	return apptest_logs_lines(cap, &cap_buf, &cap_len, NULL, NULL);
}

static const char *field(json_t *lines, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(lines, i), key));
}

static void begin(const char *rid, const char *trace, bool cold)
{
	struct log_invocation inv = {rid, trace, cold};
	log_invocation_begin(&inv);
}

static void test_powertools_keys(void **state)
{
	log_set_service("sluice", "ObjectsFunction");
	begin("req-1", "Root=1-65f0c3a0-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1",
	      true);
	log_set_correlation_id("api-req-9");
	log_emit(LVL_INFO, "request", json_pack("{s:i,s:s}", "status", 200, "service", "ignored"));
	json_t *l = take_lines();
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(field(l, 0, "service"), "sluice");
	assert_string_equal(field(l, 0, "function_name"), "ObjectsFunction");
	assert_string_equal(field(l, 0, "function_request_id"), "req-1");
	assert_string_equal(field(l, 0, "xray_trace_id"), "1-65f0c3a0-0a1b2c3d4e5f60718293a4b5");
	assert_string_equal(field(l, 0, "correlation_id"), "api-req-9");
	assert_true(json_is_true(json_object_get(json_array_get(l, 0), "cold_start")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "status")), 200);
	json_decref(l);

	/* The next invocation: warm, and a new correlation id only once one is set. */
	log_invocation_end();
	begin("req-2", NULL, false);
	log_emit(LVL_WARN, "second", NULL);
	l = take_lines();
	assert_string_equal(field(l, 0, "function_request_id"), "req-2");
	assert_true(json_is_false(json_object_get(json_array_get(l, 0), "cold_start")));
	assert_null(json_object_get(json_array_get(l, 0), "correlation_id"));
	assert_null(json_object_get(json_array_get(l, 0), "xray_trace_id"));
	json_decref(l);

	/* Outside an invocation: no cold_start, no request id; the service stays. */
	log_invocation_end();
	log_emit(LVL_INFO, "idle", NULL);
	l = take_lines();
	assert_null(json_object_get(json_array_get(l, 0), "cold_start"));
	assert_null(json_object_get(json_array_get(l, 0), "function_request_id"));
	assert_string_equal(field(l, 0, "service"), "sluice");
	json_decref(l);
}

static void test_escaped_correlation_id(void **state)
{
	begin("r", NULL, false);
	log_set_correlation_id("quote\" back\\ nl\n bad\xff");
	log_emit(LVL_INFO, "x", NULL);
	json_t *l = take_lines();
	assert_string_equal(field(l, 0, "correlation_id"), "quote\" back\\ nl\n bad\xef\xbf\xbd");
	json_decref(l);
}

static void test_debug_kept_until_error(void **state)
{
	begin("req-1", NULL, false);
	assert_false(log_enabled(LVL_DEBUG));
	assert_true(log_debug_wanted());
	log_emit(LVL_DEBUG, "aws call", json_pack("{s:s,s:i}", "service", "s3", "status", 503));
	log_msg(LVL_DEBUG, "second detail %d", 2);
	log_emit(LVL_INFO, "info passes", NULL);
	json_t *l = take_lines();
	assert_int_equal(json_array_size(l), 1); /* the debug lines wait */
	assert_string_equal(field(l, 0, "message"), "info passes");
	json_decref(l);

	log_emit(LVL_ERROR, "request", NULL);
	l = take_lines();
	assert_int_equal(json_array_size(l), 3);
	assert_string_equal(field(l, 0, "message"), "aws call");
	assert_string_equal(field(l, 0, "level"), "DEBUG");
	assert_string_equal(field(l, 0, "function_request_id"), "req-1");
	assert_string_equal(field(l, 1, "message"), "second detail 2");
	assert_string_equal(field(l, 2, "message"), "request");
	json_decref(l);

	/* Written once: a second error brings nothing more. */
	log_emit(LVL_ERROR, "again", NULL);
	l = take_lines();
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
}

static void test_debug_dropped_without_error(void **state)
{
	begin("req-1", NULL, false);
	log_emit(LVL_DEBUG, "detail", NULL);
	log_invocation_end();
	assert_false(log_debug_wanted());
	begin("req-2", NULL, false);
	log_emit(LVL_ERROR, "failure of another invocation", NULL);
	json_t *l = take_lines();
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	log_invocation_end();

	/* Outside an invocation DEBUG at INFO is simply dropped. */
	log_emit(LVL_DEBUG, "nobody keeps this", NULL);
	log_emit(LVL_ERROR, "error", NULL);
	l = take_lines();
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
}

static void test_debug_written_at_debug(void **state)
{
	log_configure(LVL_DEBUG, true);
	begin("req-1", NULL, false);
	log_emit(LVL_DEBUG, "now", NULL);
	json_t *l = take_lines();
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	log_emit(LVL_ERROR, "no repeat", NULL);
	l = take_lines();
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
}

static void test_buffer_bound(void **state)
{
	char msg[512];

	begin("req-1", NULL, false);
	for (int i = 0; i < 200; i++) {
		snprintf(msg, sizeof(msg), "line %03d %0400d", i, 0);
		log_emit(LVL_DEBUG, msg, NULL);
	}
	log_emit(LVL_ERROR, "boom", NULL);
	char *s = take();
	assert_true(strlen(s) < LOG_DEBUG_BUFFER_MAX + 4096);
	assert_non_null(strstr(s, "earlier debug lines of this invocation did not fit"));
	assert_non_null(strstr(s, "line 199 "));
	assert_null(strstr(s, "line 000 "));
	assert_non_null(strstr(s, "\"message\":\"boom\""));
	free(s);
}

static void test_text_format_keeps_debug(void **state)
{
	log_configure(LVL_INFO, false);
	begin("req-7", NULL, false);
	log_emit(LVL_DEBUG, "kept", NULL);
	log_emit(LVL_ERROR, "failed", NULL);
	char *s = take();
	assert_non_null(strstr(s, "\treq-7\tDEBUG\tkept\n"));
	assert_non_null(strstr(s, "\treq-7\tERROR\tfailed\n"));
	assert_true(strstr(s, "DEBUG") < strstr(s, "ERROR"));
	free(s);
}

static void test_raw_line(void **state)
{
	static const char emf[] = "{\"_aws\":{}}";
	log_write_raw(emf, strlen(emf));
	char *s = take();
	assert_string_equal(s, "{\"_aws\":{}}\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_powertools_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaped_correlation_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_kept_until_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_dropped_without_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_written_at_debug, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_format_keeps_debug, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
