/* Unit tests for the array growth helper (src/core/grow.c). */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/grow.h"

static void test_grows_and_keeps(void **state)
{
	int *a = NULL;
	size_t n = 0, alloc = 0;

	for (int i = 0; i < 1000; i++) {
		assert_int_equal(ALLOC_GROW(a, n + 1, alloc), 0);
		assert_true(alloc >= n + 1);
		a[n++] = i;
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal(a[i], i);
	size_t before = alloc;
	assert_int_equal(ALLOC_GROW(a, 10, alloc), 0); /* enough already: unchanged */
	assert_int_equal(alloc, before);
	free(a);
}

static void test_overflow_refused(void **state)
{
	struct big {
		char x[1 << 12];
	} *p = NULL;
	size_t alloc = 0;

	assert_int_equal(ALLOC_GROW(p, SIZE_MAX / 8, alloc), ERR_TOOLARGE);
	assert_null(p);
	assert_int_equal(alloc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_keeps),
		cmocka_unit_test(test_overflow_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
