/*
 * Unit tests for structured logs (src/core/log.c): the JSON keys, level
 * filtering, the Text format and the environment, captured through a
 * memstream.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apptest.h"
#include "core/log.h"
#include "core/timeutil.h"

static char *cap_buf;
static size_t cap_len;
static FILE *cap;

static int setup(void **state)
{
	apptest_logs_capture(&cap, &cap_buf, &cap_len);
	log_configure(LVL_INFO, true);
	log_set_request_id(NULL);
	return 0;
}

static int teardown(void **state)
{
	apptest_logs_release(cap, &cap_buf);
	cap_len = 0;
	return 0;
}

/* Everything written so far, as a string, and forget it. */
static char *take(void)
{
	return apptest_logs_take(cap, &cap_buf, &cap_len);
}

/* Parse exactly one JSON line. */
static json_t *take_json_line(void)
{
	char *s = take();
	size_t n = strlen(s);
	assert_true(n > 0);
	assert_int_equal(s[n - 1], '\n');
	assert_null(memchr(s, '\n', n - 1));
	json_error_t e;
	json_t *v = json_loadb(s, n, 0, &e);
	assert_non_null(v);
	free(s);
	return v;
}

static void test_json_keys(void **state)
{
	int64_t before = time_now_ms();
	log_emit(LVL_INFO, "hello",
		 json_pack("{s:i, s:s, s:s, s:s}", "status", 200, "path", "/x", "message",
			   "ignored", "level", "ignored"));
	json_t *v = take_json_line();
	assert_string_equal(json_string_value(json_object_get(v, "level")), "INFO");
	assert_string_equal(json_string_value(json_object_get(v, "message")), "hello");
	assert_int_equal(json_integer_value(json_object_get(v, "status")), 200);
	assert_string_equal(json_string_value(json_object_get(v, "path")), "/x");
	assert_null(json_object_get(v, "function_request_id"));
	const char *ts = json_string_value(json_object_get(v, "timestamp"));
	assert_non_null(ts);
	assert_int_equal(strlen(ts), 24); /* with milliseconds */
	int64_t ms = 0;
	assert_int_equal(time_parse_rfc3339(ts, strlen(ts), &ms), 0);
	assert_true(ms >= before - 1 && ms <= time_now_ms());
	assert_int_equal(json_object_size(v), 5);
	json_decref(v);

	/* The standard keys come first, in this order. */
	log_emit(LVL_ERROR, "x", NULL);
	char *line = take();
	assert_true(strncmp(line, "{\"timestamp\":\"", 14) == 0);
	assert_non_null(strstr(line, "\",\"level\":\"ERROR\",\"message\":\"x\"}\n"));
	free(line);
}

static void test_request_id(void **state)
{
	log_set_request_id("8f5e5b1c-1b2a-4c6d-9e0f-123456789abc");
	log_emit(LVL_WARN, "with id", NULL);
	json_t *v = take_json_line();
	assert_string_equal(json_string_value(json_object_get(v, "function_request_id")),
			    "8f5e5b1c-1b2a-4c6d-9e0f-123456789abc");
	assert_string_equal(json_string_value(json_object_get(v, "level")), "WARN");
	json_decref(v);
	log_set_request_id("");
	log_emit(LVL_WARN, "without", NULL);
	v = take_json_line();
	assert_null(json_object_get(v, "function_request_id"));
	json_decref(v);
}

static void test_escaping(void **state)
{
	log_emit(LVL_INFO, "quote \" backslash \\ newline \n tab \t bad \xff utf8 \xc3\xa9",
		 json_pack("{s:s}", "k", "multi\nline"));
	json_t *v = take_json_line();
	assert_string_equal(
		json_string_value(json_object_get(v, "message")),
		"quote \" backslash \\ newline \n tab \t bad \xef\xbf\xbd utf8 \xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(v, "k")), "multi\nline");
	json_decref(v);
	log_emit(LVL_INFO, NULL, NULL);
	v = take_json_line();
	assert_string_equal(json_string_value(json_object_get(v, "message")), "");
	json_decref(v);
}

static void test_level_filter(void **state)
{
	log_configure(LVL_WARN, true);
	assert_false(log_enabled(LVL_TRACE));
	assert_false(log_enabled(LVL_INFO));
	assert_true(log_enabled(LVL_WARN));
	assert_true(log_enabled(LVL_FATAL));
	log_emit(LVL_INFO, "dropped", json_pack("{s:s}", "leak", "check")); /* freed anyway */
	log_emit(LVL_DEBUG, "dropped", NULL);
	log_msg(LVL_INFO, "dropped %d", 1);
	char *s = take();
	assert_string_equal(s, "");
	free(s);
	log_emit(LVL_ERROR, "kept", NULL);
	log_msg(LVL_WARN, "kept %d/%s", 2, "two");
	s = take();
	char *second = strchr(s, '\n');
	assert_non_null(second);
	assert_non_null(strstr(s, "\"message\":\"kept\""));
	assert_non_null(strstr(second, "\"message\":\"kept 2/two\""));
	assert_non_null(strstr(second, "\"level\":\"WARN\""));
	free(s);
	log_configure(LVL_TRACE, true);
	assert_true(log_enabled(LVL_TRACE));
	log_emit(LVL_TRACE, "trace", NULL);
	s = take();
	assert_non_null(strstr(s, "\"level\":\"TRACE\""));
	free(s);
}

static void test_text_format(void **state)
{
	log_configure(LVL_INFO, false);
	log_set_request_id("req-1");
	log_emit(LVL_INFO, "line one\nline two",
		 json_pack("{s:i, s:s, s:s, s:b, s:s}", "status", 404, "key", "plain", "spaced",
			   "a b", "ok", 0, "function_request_id", "ignored"));
	char *s = take();
	char *tab1 = strchr(s, '\t');
	assert_non_null(tab1);
	assert_int_equal(tab1 - s, 24); /* the timestamp */
	assert_string_equal(tab1, "\treq-1\tINFO\tline one\\nline two status=404 key=plain "
				  "spaced=\"a b\" ok=false\n");
	free(s);
	log_set_request_id(NULL);
	log_msg(LVL_ERROR, "n=%d", 3);
	s = take();
	assert_string_equal(s + 24, "\t\tERROR\tn=3\n");
	free(s);
}

static void test_env(void **state)
{
	setenv("AWS_LAMBDA_LOG_FORMAT", "Text", 1);
	setenv("AWS_LAMBDA_LOG_LEVEL", "debug", 1);
	log_init_from_env();
	assert_true(log_enabled(LVL_DEBUG));
	assert_false(log_enabled(LVL_TRACE));
	log_emit(LVL_DEBUG, "text", NULL);
	char *s = take();
	assert_string_equal(s + 24, "\t\tDEBUG\ttext\n");
	free(s);

	/* Unknown values keep the current settings. */
	setenv("AWS_LAMBDA_LOG_FORMAT", "xml", 1);
	setenv("AWS_LAMBDA_LOG_LEVEL", "loud", 1);
	log_init_from_env();
	assert_true(log_enabled(LVL_DEBUG));
	log_emit(LVL_DEBUG, "still text", NULL);
	s = take();
	assert_string_equal(s + 24, "\t\tDEBUG\tstill text\n");
	free(s);

	setenv("AWS_LAMBDA_LOG_FORMAT", "JSON", 1);
	setenv("AWS_LAMBDA_LOG_LEVEL", "ERROR", 1);
	log_init_from_env();
	assert_false(log_enabled(LVL_WARN));
	log_emit(LVL_FATAL, "json", NULL);
	json_t *v = take_json_line();
	assert_string_equal(json_string_value(json_object_get(v, "level")), "FATAL");
	json_decref(v);
	unsetenv("AWS_LAMBDA_LOG_FORMAT");
	unsetenv("AWS_LAMBDA_LOG_LEVEL");
}

static void test_level_names(void **state)
{
	assert_string_equal(log_level_name(LVL_TRACE), "TRACE");
	assert_string_equal(log_level_name(LVL_FATAL), "FATAL");
	assert_string_equal(log_level_name((enum log_level)42), "UNKNOWN");
	assert_int_equal(log_level_parse("info"), LVL_INFO);
	assert_int_equal(log_level_parse("Warn"), LVL_WARN);
	assert_int_equal(log_level_parse("ERROR"), LVL_ERROR);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse(NULL), -1);
}

static void test_oversized_line(void **state)
{
	size_t n = 300 * 1024;
	char *big = malloc(n + 1);
	memset(big, 'm', n);
	big[n] = '\0';
	log_emit(LVL_INFO, big, json_pack("{s:s}", "extra", "dropped"));
	json_t *v = take_json_line();
	assert_int_equal(json_string_length(json_object_get(v, "message")), 1024);
	assert_true(json_is_true(json_object_get(v, "logTruncated")));
	assert_null(json_object_get(v, "extra"));
	json_decref(v);
	log_msg(LVL_INFO, "%s", big);
	v = take_json_line();
	assert_int_equal(json_string_length(json_object_get(v, "message")), 1024);
	json_decref(v);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
