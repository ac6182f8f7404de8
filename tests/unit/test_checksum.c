/*
 * Unit tests for the checksums of src/core/checksum.c against their published
 * check values ("123456789": Williams's CRC catalogue, FIPS 180 for SHA-1 and
 * SHA-256, and the base64 values S3 documents for them), against a bitwise
 * reference CRC for every length around the 8-byte steps, split at every
 * point, and combined from pieces as S3's full-object multipart checksums are.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/checksum.h"

#define CHECK "123456789"

/* One bit at a time: the definition, to hold the sliced tables to. */
static uint64_t crc_bitwise(uint64_t poly, int width, const uint8_t *p, size_t n)
{
	uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1, crc = mask;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ poly : crc >> 1;
	}
	return ~crc & mask;
}

static void test_check_values(void **state)
{
	assert_int_equal(crc32_update(0, CHECK, 9), 0xcbf43926u);
	assert_int_equal(crc32c_update(0, CHECK, 9), 0xe3069283u);
	assert_true(crc64nvme_update(0, CHECK, 9) == 0xae8b14860a799888ull);
	assert_int_equal(crc32_update(0, NULL, 0), 0);
	assert_true(crc64nvme_update(0, "", 0) == 0);
	/* Continuing from a previous value, as zlib's crc32() does. */
	assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_true(crc64nvme_update(crc64nvme_update(0, "1", 1), "23456789", 8) ==
		    0xae8b14860a799888ull);
}

/* The base64 forms S3 answers for "123456789" (as in its x-amz-checksum-* headers). */
static void test_s3_text(void **state)
{
	static const struct {
		enum checksum_alg alg;
		const char *name, *b64;
	} v[] = {
		{CHECKSUM_CRC32, "CRC32", "y/Q5Jg=="},
		{CHECKSUM_CRC32C, "CRC32C", "4waSgw=="},
		{CHECKSUM_CRC64NVME, "CRC64NVME", "rosUhgp5mIg="},
		{CHECKSUM_SHA1, "SHA1", "98O8HYCOBHMq32eZZczDTKeuNEE="},
		{CHECKSUM_SHA256, "SHA256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="},
	};
	uint8_t raw[CHECKSUM_MAX_LEN], back[CHECKSUM_MAX_LEN];
	char text[CHECKSUM_B64_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		size_t n = checksum_of(v[i].alg, CHECK, 9, raw);

		assert_int_equal(n, checksum_len(v[i].alg));
		assert_int_equal(checksum_encode(v[i].alg, raw, text), 0);
		assert_string_equal(text, v[i].b64);
		assert_int_equal(checksum_decode(v[i].alg, str_from(v[i].b64), back), 0);
		assert_memory_equal(back, raw, n);
		assert_string_equal(checksum_name(v[i].alg), v[i].name);
		assert_int_equal(checksum_from_name(str_from(v[i].name)), v[i].alg);
	}
	assert_int_equal(checksum_from_name(STR_LIT("crc64nvme")), CHECKSUM_CRC64NVME);
	assert_int_equal(checksum_from_name(STR_LIT("crc")), CHECKSUM_NONE);
	assert_int_equal(checksum_from_name(STR_LIT("CRC32CC")), CHECKSUM_NONE);
	assert_int_equal(checksum_from_name(STR_NULL), CHECKSUM_NONE);
	assert_null(checksum_name(CHECKSUM_NONE));
	assert_int_equal(checksum_encode(CHECKSUM_NONE, raw, text), ERR_INVAL);
	assert_string_equal(text, "");
}

/* What S3 answers "Value for x-amz-checksum-crc32 header is invalid." for. */
static void test_decode_refuses(void **state)
{
	static const char *const bad[] = {
		"",		/* empty */
		"y/Q5Jh==",	/* non-zero bits in the padding */
		"y/Q5Jg",	/* no padding */
		"shrt",		/* three bytes */
		"toolong=",	/* five bytes */
		"^^^^^^==",	/* not the alphabet */
		"y^/^Q5^J^g==", /* spaced out */
		" y/Q5Jg==",	/* whitespace */
		"y/Q5Jg==\n",
		"4waSgw==4waSgw==",
	};
	uint8_t raw[CHECKSUM_MAX_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(checksum_decode(CHECKSUM_CRC32, str_from(bad[i]), raw), ERR_PARSE);
	/* A valid CRC-32 is the wrong length for the others. */
	assert_int_equal(checksum_decode(CHECKSUM_SHA1, STR_LIT("y/Q5Jg=="), raw), ERR_PARSE);
	assert_int_equal(checksum_decode(CHECKSUM_CRC64NVME, STR_LIT("y/Q5Jg=="), raw), ERR_PARSE);
	assert_int_equal(checksum_decode(CHECKSUM_NONE, STR_LIT("y/Q5Jg=="), raw), ERR_PARSE);
}

/* Every length from 0 to 80 and every alignment: the 8-byte steps and the tail agree. */
static void test_against_bitwise(void **state)
{
	uint8_t data[96];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 88; n++) {
			const uint8_t *p = data + off;

			assert_int_equal(crc32_update(0, p, n), crc_bitwise(0xedb88320, 32, p, n));
			assert_int_equal(crc32c_update(0, p, n), crc_bitwise(0x82f63b78, 32, p, n));
			assert_true(crc64nvme_update(0, p, n) ==
				    crc_bitwise(0x9a6c9329ac4bc9b5ull, 64, p, n));
		}
}

/* Streaming in pieces of any size gives the one-shot value, for the SHAs too. */
static void test_streaming(void **state)
{
	static const char text[] = "The quick brown fox jumps over the lazy dog, twice over: "
				   "the quick brown fox jumps over the lazy dog.";
	size_t len = sizeof(text) - 1;

	for (int a = CHECKSUM_CRC32; a <= CHECKSUM_ALG_LAST; a++) {
		uint8_t whole[CHECKSUM_MAX_LEN], part[CHECKSUM_MAX_LEN];
		size_t n = checksum_of((enum checksum_alg)a, text, len, whole);

		for (size_t step = 1; step < 20; step += 3) {
			struct checksum c;

			assert_int_equal(checksum_init(&c, (enum checksum_alg)a), 0);
			for (size_t i = 0; i < len; i += step)
				checksum_update(&c, text + i, MIN(step, len - i));
			assert_int_equal(checksum_final(&c, part), n);
			checksum_release(&c);
			checksum_release(&c); /* twice is harmless */
			assert_memory_equal(part, whole, n);
		}
	}
	struct checksum none;
	uint8_t out[CHECKSUM_MAX_LEN];
	assert_int_equal(checksum_init(&none, CHECKSUM_NONE), 0);
	checksum_update(&none, text, len);
	assert_int_equal(checksum_final(&none, out), 0);
	checksum_release(&none);
	assert_int_equal(checksum_init(&none, (enum checksum_alg)42), ERR_INVAL);
}

/* CRC(A B) from CRC(A), CRC(B) and len(B), split anywhere, as S3 joins part CRCs. */
static void test_combine(void **state)
{
	static const enum checksum_alg crcs[] = {CHECKSUM_CRC32, CHECKSUM_CRC32C,
						 CHECKSUM_CRC64NVME};
	uint8_t data[300], a[CHECKSUM_MAX_LEN], b[CHECKSUM_MAX_LEN], whole[CHECKSUM_MAX_LEN],
		got[CHECKSUM_MAX_LEN];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t k = 0; k < ARRAY_SIZE(crcs); k++) {
		size_t n = checksum_of(crcs[k], data, sizeof(data), whole);

		for (size_t cut = 0; cut <= sizeof(data); cut += 13) {
			checksum_of(crcs[k], data, cut, a);
			checksum_of(crcs[k], data + cut, sizeof(data) - cut, b);
			assert_int_equal(checksum_combine(crcs[k], a, b, sizeof(data) - cut, got),
					 0);
			assert_memory_equal(got, whole, n);
		}
		/* "1234" + "56789" gives the check value; `out` may alias an input. */
		checksum_of(crcs[k], "1234", 4, a);
		checksum_of(crcs[k], "56789", 5, b);
		assert_int_equal(checksum_combine(crcs[k], a, b, 5, a), 0);
		checksum_of(crcs[k], CHECK, 9, got);
		assert_memory_equal(a, got, n);
	}
	assert_int_equal(checksum_combine(CHECKSUM_SHA256, a, b, 1, got), ERR_INVAL);
	assert_true(checksum_is_crc(CHECKSUM_CRC64NVME));
	assert_false(checksum_is_crc(CHECKSUM_SHA1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_values),   cmocka_unit_test(test_s3_text),
		cmocka_unit_test(test_decode_refuses), cmocka_unit_test(test_against_bitwise),
		cmocka_unit_test(test_streaming),      cmocka_unit_test(test_combine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
