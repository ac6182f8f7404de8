/* Unit tests for the capped buffer (src/core/buf.c): growth, caps, formatting, detach. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"

static void test_init_is_empty_and_terminated(void **state)
{
	struct buf b;
	buf_init(&b, 100);
	assert_non_null(b.ptr);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.cap, 100);
	assert_string_equal(b.ptr, "");
	buf_reset(&b); /* must not write to the shared empty string */
	buf_truncate(&b, 0);
	buf_release(&b);
	assert_int_equal(b.cap, 100);
	assert_string_equal(b.ptr, "");
}

static void test_add_and_grow(void **state)
{
	struct buf b;
	buf_init(&b, BUF_NOCAP);
	assert_int_equal(buf_adds(&b, "hello"), 0);
	assert_int_equal(buf_addch(&b, ' '), 0);
	assert_int_equal(buf_add(&b, "world!!", 5), 0);
	assert_int_equal(b.len, 11);
	assert_string_equal(b.ptr, "hello world");
	/* Binary data with NULs, and growth across many reallocations. */
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_add(&b, "\0x", 2), 0);
	assert_int_equal(b.len, 11 + 20000);
	assert_int_equal(b.ptr[11], '\0');
	assert_int_equal(b.ptr[12], 'x');
	assert_int_equal(b.ptr[b.len], '\0');
	assert_true(b.alloc > b.len);
	assert_int_equal(buf_add(&b, NULL, 0), 0);
	buf_release(&b);

	/* Appending a buffer to itself survives the reallocation. */
	assert_int_equal(buf_adds(&b, "abc"), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(buf_add(&b, b.ptr, b.len), 0);
	assert_int_equal(b.len, 3 * 1024);
	assert_memory_equal(b.ptr + b.len - 3, "abc", 3);
	assert_int_equal(b.ptr[1500], "abc"[0]);
	buf_release(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
}

static void test_cap_is_enforced_and_buffer_unchanged(void **state)
{
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345"), 0);
	assert_int_equal(buf_adds(&b, "6789"), ERR_TOOLARGE);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.ptr, "12345");
	assert_int_equal(buf_adds(&b, "678"), 0);
	assert_int_equal(b.len, 8);
	assert_true(b.alloc <= 9);
	assert_int_equal(buf_addch(&b, 'x'), ERR_TOOLARGE);
	assert_int_equal(buf_grow(&b, 1), ERR_TOOLARGE);
	assert_int_equal(buf_grow(&b, 0), 0);
	assert_int_equal(buf_grow(&b, SIZE_MAX), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "12345678");
	buf_release(&b);

	/* A zero cap holds nothing but stays usable. */
	buf_init(&b, 0);
	assert_int_equal(buf_addch(&b, 'a'), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
}

static void test_put_is_sticky(void **state)
{
	struct buf b;
	buf_init(&b, 8);
	buf_puts(&b, "12345");
	assert_int_equal(buf_error(&b), 0);
	buf_puts(&b, "6789"); /* too long: remembered, nothing appended */
	assert_int_equal(buf_error(&b), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "12345");
	buf_putc(&b, 'x'); /* would fit, but the builder already failed */
	buf_putf(&b, "%d", 1);
	assert_int_equal(buf_add(&b, "y", 1), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "12345");
	buf_set_error(&b, ERR_NOMEM); /* the first error wins */
	assert_int_equal(buf_error(&b), ERR_TOOLARGE);
	buf_reset(&b);
	assert_int_equal(buf_error(&b), 0);
	buf_putf(&b, "%s", "ok");
	assert_string_equal(b.ptr, "ok");
	buf_release(&b);
}

static void test_addf(void **state)
{
	struct buf b;
	buf_init(&b, 64);
	assert_int_equal(buf_addf(&b, "%d-%s-%03u", 42, "x", 7u), 0);
	assert_string_equal(b.ptr, "42-x-007");
	assert_int_equal(b.len, 8);
	/* Past the cap: unchanged. */
	assert_int_equal(buf_addf(&b, "%0100d", 1), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "42-x-007");
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_addf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 8);
	buf_release(&b);

	/* Longer than the internal stack buffer. */
	buf_init(&b, BUF_NOCAP);
	assert_int_equal(buf_adds(&b, "<"), 0);
	assert_int_equal(buf_addf(&b, "%0999d>", 5), 0);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.ptr[0], '<');
	assert_int_equal(b.ptr[1], '0');
	assert_int_equal(b.ptr[999], '5');
	assert_int_equal(b.ptr[1000], '>');
	assert_int_equal(b.ptr[1001], '\0');
	buf_release(&b);

	/* A long addf that passes the cap leaves the old bytes as they were. */
	buf_init(&b, 500);
	assert_int_equal(buf_adds(&b, "keep"), 0);
	assert_int_equal(buf_addf(&b, "%0999d", 5), ERR_TOOLARGE);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.ptr, "keep");
	buf_release(&b);
}

static void test_reset_truncate(void **state)
{
	struct buf b;
	buf_init(&b, 100);
	assert_int_equal(buf_adds(&b, "abcdef"), 0);
	buf_truncate(&b, 10);
	assert_string_equal(b.ptr, "abcdef");
	buf_truncate(&b, 3);
	assert_string_equal(b.ptr, "abc");
	assert_int_equal(b.len, 3);
	size_t alloc = b.alloc;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	assert_int_equal(b.alloc, alloc);
	buf_release(&b);
}

static void test_detach(void **state)
{
	struct buf b;
	size_t len = 99;
	buf_init(&b, 100);
	char *p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);

	assert_int_equal(buf_adds(&b, "owned"), 0);
	p = buf_detach(&b, &len);
	assert_string_equal(p, "owned");
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.cap, 100);
	assert_string_equal(b.ptr, "");
	free(p);

	assert_int_equal(buf_adds(&b, "again"), 0);
	p = buf_detach(&b, NULL);
	assert_string_equal(p, "again");
	free(p);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty_and_terminated),
		cmocka_unit_test(test_add_and_grow),
		cmocka_unit_test(test_cap_is_enforced_and_buffer_unchanged),
		cmocka_unit_test(test_put_is_sticky),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_reset_truncate),
		cmocka_unit_test(test_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
