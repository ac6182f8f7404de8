/*
 * Unit tests for the dashboard's ring of recent requests (src/local/
 * cloudwatch/cw_trace.c): a request's lines are kept up to
 * CW_TRACE_LINES_BYTES_MAX bytes, so that the ring stays bounded in bytes
 * and not only in requests (issue 11).
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

static void test_lines_bounded_in_bytes(void **state)
{
	struct cw_config cfg = {NULL, "us-east-1", "k", "s", 0, NULL};
	struct cloudwatch *cw = NULL;
	int64_t now = time_now_ms();
	char line[4000];
	json_t *d;

	assert_int_equal(cw_new(NULL, &cfg, &cw), 0);
	memset(line, 'x', sizeof(line));
	cw_request_begin(cw, "r1", "GET", "/health");
	for (int i = 0; i < 100; i++)
		cw_trace_line(cw, "r1", now + i, "/aws/lambda/Fn", line, sizeof(line));
	cw_trace_line(cw, "r1", now, "/aws/lambda/Fn", "short", 5);
	d = cw_trace_detail(cw->trace, "r1");
	assert_non_null(d);
	/* 16 lines of 4,000 bytes fit in 64 KiB; the 17th and later do not, a short one does. */
	assert_int_equal(json_array_size(json_object_get(d, "lines")), 17);
	json_decref(d);
	cw_free(cw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_bounded_in_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
