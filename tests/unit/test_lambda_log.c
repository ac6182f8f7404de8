/* START / END / REPORT lines (src/local/lambda/lambda_log.c), in Lambda's exact words. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "local/lambda/lambda_log.h"

static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return text;
}

static void do_report(FILE *f, const void *arg)
{
	report_report(f, arg);
}

static void do_start_end(FILE *f, const void *arg)
{
	report_start(f, arg);
	report_end(f, arg);
}

static void test_start_end(void **state)
{
	char *t = capture(do_start_end, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");

	assert_string_equal(
		t, "START RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd Version: $LATEST\n"
		   "END RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\n");
	free(t);
}

static void test_report_cold(void **state)
{
	struct report r = {.request_id = "id-1",
			   .duration_ms = 1.524,
			   .init_duration_ms = 130.611,
			   .memory_mb = 128,
			   .max_memory_used_mb = 37};
	char *t = capture(do_report, &r);

	/* Custom runtimes are billed for init: ceil(1.524 + 130.611) = 133. */
	assert_string_equal(
		t, "REPORT RequestId: id-1\tDuration: 1.52 ms\tBilled Duration: 133 ms\t"
		   "Memory Size: 128 MB\tMax Memory Used: 37 MB\tInit Duration: 130.61 ms\t\n");
	free(t);
}

static void test_report_warm_timeout(void **state)
{
	struct report r = {.request_id = "id-2",
			   .duration_ms = 1000.4,
			   .memory_mb = 512,
			   .max_memory_used_mb = 9,
			   .status = "timeout"};
	char *t = capture(do_report, &r);

	assert_string_equal(
		t, "REPORT RequestId: id-2\tDuration: 1000.40 ms\tBilled Duration: 1001 ms\t"
		   "Memory Size: 512 MB\tMax Memory Used: 9 MB\tStatus: timeout\t\n");
	free(t);
}

static void test_report_error_and_tiny(void **state)
{
	struct report r = {.request_id = "id-3",
			   .duration_ms = 0.01,
			   .memory_mb = 128,
			   .max_memory_used_mb = 3,
			   .status = "error",
			   .error_type = "Runtime.ExitError"};
	char *t = capture(do_report, &r);

	assert_string_equal(t, "REPORT RequestId: id-3\tDuration: 0.01 ms\tBilled Duration: 1 ms\t"
			       "Memory Size: 128 MB\tMax Memory Used: 3 MB\tStatus: error\t"
			       "Error Type: Runtime.ExitError\t\n");
	free(t);
}

static void do_end_report(FILE *f, const void *arg)
{
	report_end_report(f, arg);
}

static void test_end_report_one_write(void **state)
{
	struct report r = {.request_id = "id-4",
			   .duration_ms = 2.5,
			   .memory_mb = 128,
			   .max_memory_used_mb = 11};
	char *t = capture(do_end_report, &r);

	assert_string_equal(t, "END RequestId: id-4\n"
			       "REPORT RequestId: id-4\tDuration: 2.50 ms\tBilled Duration: 3 ms\t"
			       "Memory Size: 128 MB\tMax Memory Used: 11 MB\t\n");
	free(t);
}

static void test_vmhwm_fd(void **state)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	uint32_t a, b;

	assert_true(fd >= 0);
	a = report_vmhwm_mb_fd(fd);
	/* The same descriptor reads again from the start. */
	b = report_vmhwm_mb_fd(fd);
	assert_true(a > 0);
	assert_true(b >= a);
	assert_true(b <= report_vmhwm_mb(getpid()));
	close(fd);
	assert_int_equal(report_vmhwm_mb_fd(-1), 0);
}

static void test_vmhwm(void **state)
{
	uint32_t mb = report_vmhwm_mb(getpid());

	assert_true(mb > 0);
	assert_true(mb < 4096);
	assert_int_equal(report_vmhwm_mb(0), 0);
	assert_int_equal(report_vmhwm_mb(-1), 0);
}

static void do_long_line(FILE *f, const void *arg)
{
	report_line(f, "note: %s", (const char *)arg);
	report_line(f, "short");
}

/* A line past the cap is replaced whole, never written cut. */
static void test_line_too_long(void **state)
{
	char *big = malloc(5000);
	char *t;

	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	t = capture(do_long_line, big);
	assert_string_equal(t, "(log line too long)\nshort\n");
	free(t);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_end),
		cmocka_unit_test(test_report_cold),
		cmocka_unit_test(test_report_warm_timeout),
		cmocka_unit_test(test_report_error_and_tiny),
		cmocka_unit_test(test_vmhwm),
		cmocka_unit_test(test_vmhwm_fd),
		cmocka_unit_test(test_end_report_one_write),
		cmocka_unit_test(test_line_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
