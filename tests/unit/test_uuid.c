/* Unit tests for UUIDs (src/core/uuid.c): v4 layout, uniqueness, syntax check. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/uuid.h"

static void test_v4_layout(void **state)
{
	char u[UUID_STR_LEN + 1];
	for (int i = 0; i < 200; i++) {
		memset(u, 'X', sizeof(u));
		assert_int_equal(uuid_v4(u), 0);
		assert_int_equal(strlen(u), UUID_STR_LEN);
		assert_true(uuid_valid(u, strlen(u)));
		assert_int_equal(u[8], '-');
		assert_int_equal(u[14], '4');		/* version */
		assert_non_null(strchr("89ab", u[19])); /* variant 10xx */
		for (size_t k = 0; k < UUID_STR_LEN; k++)
			assert_true(u[k] == '-' || (u[k] >= '0' && u[k] <= '9') ||
				    (u[k] >= 'a' && u[k] <= 'f'));
	}
}

static void test_v4_unique(void **state)
{
	char a[UUID_STR_LEN + 1], b[UUID_STR_LEN + 1];
	assert_int_equal(uuid_v4(a), 0);
	assert_int_equal(uuid_v4(b), 0);
	assert_string_not_equal(a, b);
}

static void test_valid(void **state)
{
	const char *ok = "123e4567-e89b-12d3-A456-426614174000";
	assert_true(uuid_valid(ok, strlen(ok)));
	static const char *const bad[] = {
		"",
		"123e4567e89b12d3a456426614174000",
		"123e4567-e89b-12d3-a456-42661417400",
		"123e4567-e89b-12d3-a456-4266141740000",
		"123e4567-e89b-12d3-a456_426614174000",
		"123e4567-e89b-12d3-a456-42661417400g",
		"{23e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a4560426614174000-",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(uuid_valid(bad[i], strlen(bad[i])));
	assert_false(uuid_valid(NULL, 0));
	/* The length is what counts: a longer string cut at 36 passes. */
	assert_true(uuid_valid("123e4567-e89b-12d3-a456-426614174000xyz", 36));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_layout),
		cmocka_unit_test(test_v4_unique),
		cmocka_unit_test(test_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
