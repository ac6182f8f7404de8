/*
 * Helpers shared by the function tests (see apptest.h). No state of their own.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apptest.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"

void apptest_logs_capture(FILE **out, char **text, size_t *len)
{
	*out = open_memstream(text, len);
	assert_non_null(*out);
	log_configure(LVL_INFO, true);
	log_set_output(*out);
}

void apptest_logs_release(FILE *out, char **text)
{
	log_set_output(NULL);
	fclose(out);
	free(*text);
	*text = NULL;
}

char *apptest_logs_take(FILE *out, char **text, size_t *len)
{
	char *s;

	assert_int_equal(fflush(out), 0);
	s = strndup(*text ? *text : "", *len);
	assert_non_null(s);
	rewind(out);
	fflush(out);
	*len = 0;
	return s;
}

json_t *apptest_logs_lines(FILE *out, char **text, size_t *len, const char *message,
			   const char *const *never)
{
	char *s = apptest_logs_take(out, text, len), *p = s, *nl;
	json_t *arr = json_array();

	for (; never && *never; never++)
		assert_null(strstr(s, *never));
	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		json_t *v = json_loadb(p, (size_t)(nl - p), 0, NULL);
		const char *m;

		assert_non_null(v);
		m = json_string_value(json_object_get(v, "message"));
		if (!message || (m && !strcmp(m, message)))
			json_array_append(arr, v);
		json_decref(v);
	}
	assert_string_equal(p, ""); /* every line ends with a newline */
	free(s);
	return arr;
}

json_t *apptest_body_value(const void *body, size_t len, bool base64)
{
	struct buf b;
	json_t *v;

	if (!body)
		return json_null();
	buf_init(&b, BUF_NOCAP);
	if (base64)
		assert_int_equal(b64_encode(&b, body, len), 0);
	else
		assert_int_equal(buf_add(&b, body, len), 0);
	v = json_stringn(b.ptr, b.len);
	assert_non_null(v);
	buf_release(&b);
	return v;
}

json_t *apptest_invoke(const struct lambda_function *fn, void *state, const char *event,
		       const struct lambda_context *ctx)
{
	struct lambda_error lerr;
	struct buf out;
	json_t *json;

	assert_non_null(fn);
	buf_init(&out, LAMBDA_RESPONSE_MAX);
	assert_int_equal(fn->handle(state, event, strlen(event), ctx, &out, &lerr), 0);
	json = jsonx_parse(out.ptr, out.len, NULL, 0);
	assert_non_null(json);
	buf_release(&out);
	return json;
}

void apptest_assert_error(int status, const char *body, const char *content_type, int want_status,
			  const char *code, const char *message)
{
	char want[1024];

	snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
		 message);
	assert_int_equal(status, want_status);
	assert_string_equal(body, want);
	assert_string_equal(content_type, "application/json");
}
