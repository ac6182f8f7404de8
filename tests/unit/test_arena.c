/* Unit tests for the per-request arena (src/core/arena.c): alignment, chunking, caps, strings. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"

static void test_alignment_and_independence(void **state)
{
	struct arena a;
	arena_init(&a, 1 << 20);
	char *prev = NULL;
	for (size_t n = 1; n < 100; n++) {
		char *p = arena_alloc(&a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, (int)n, n); /* ASan would catch an overlap or short block */
		if (prev)
			assert_int_equal((unsigned char)prev[0], n - 1);
		prev = p;
	}
	/* Sizes are rounded to the alignment: 1..99 gives sum of ceil16. */
	size_t want = 0;
	for (size_t n = 1; n < 100; n++)
		want += (n + 15) / 16 * 16;
	assert_int_equal(a.used, want);
	arena_release(&a);
	assert_int_equal(a.used, 0);
	assert_null(a.head);
}

static void test_large_and_many(void **state)
{
	struct arena a;
	arena_init(&a, 64 << 20);
	char *small = arena_alloc(&a, 10);
	char *big = arena_alloc(&a, 100000);
	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % 16, 0);
	memset(big, 'b', 100000);
	char *small2 = arena_alloc(&a, 10);
	assert_non_null(small2);
	/* The small chunk keeps serving after a big one: the two are adjacent. */
	assert_ptr_equal(small2, small + 16);
	for (int i = 0; i < 10000; i++)
		assert_non_null(arena_alloc(&a, 100));
	arena_release(&a);
}

static void test_cap(void **state)
{
	struct arena a;
	arena_init(&a, 64);
	assert_non_null(arena_alloc(&a, 48));
	assert_null(arena_alloc(&a, 17)); /* rounds to 32, past the cap */
	assert_non_null(arena_alloc(&a, 16));
	assert_null(arena_alloc(&a, 1));
	assert_int_equal(a.used, 64);
	assert_null(arena_alloc(&a, SIZE_MAX));
	arena_release(&a);
	/* Reusable with the same cap. */
	assert_int_equal(a.cap, 64);
	assert_non_null(arena_alloc(&a, 64));
	arena_release(&a);
}

static void test_strings(void **state)
{
	struct arena a;
	arena_init(&a, 1 << 16);
	char *z = arena_zalloc(&a, 40);
	for (int i = 0; i < 40; i++)
		assert_int_equal(z[i], 0);
	assert_string_equal(arena_strdup(&a, "hello"), "hello");
	assert_string_equal(arena_strndup(&a, "hello world", 5), "hello");
	assert_string_equal(arena_strndup(&a, "", 0), "");
	assert_string_equal(arena_printf(&a, "%s-%d", "req", 42), "req-42");
	char *longer = arena_printf(&a, "%0500d", 1);
	assert_int_equal(strlen(longer), 500);
	assert_int_equal(longer[499], '1');
	arena_release(&a);

	arena_init(&a, 8);
	assert_null(arena_printf(&a, "%s", "more than sixteen bytes"));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_independence),
		cmocka_unit_test(test_large_and_many),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
