/*
 * Unit tests for encodings and digests (src/core/enc.c) against the published
 * vectors: RFC 4648 base64, FIPS 180 SHA-256, RFC 4231 HMAC-SHA256, RFC 1321 MD5.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/enc.h"

#define LIT(s) (s), sizeof(s) - 1

/* RFC 4648 section 10. */
static const char *const b64_vectors[][2] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

static void test_b64_rfc4648(void **state)
{
	struct buf b;
	buf_init(&b, 1024);
	for (size_t i = 0; i < ARRAY_SIZE(b64_vectors); i++) {
		const char *plain = b64_vectors[i][0], *enc = b64_vectors[i][1];
		buf_reset(&b);
		assert_int_equal(b64_encode(&b, plain, strlen(plain)), 0);
		assert_string_equal(b.ptr, enc);
		buf_reset(&b);
		assert_int_equal(b64_decode(&b, enc, strlen(enc)), 0);
		assert_int_equal(b.len, strlen(plain));
		assert_string_equal(b.ptr, plain);
	}
	/* Binary, all byte values, appended after existing content. */
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "x"), 0);
	assert_int_equal(b64_encode(&b, all, sizeof(all)), 0);
	assert_int_equal(b.len, 1 + 344);
	struct buf d;
	buf_init(&d, 1024);
	assert_int_equal(buf_adds(&d, "y"), 0);
	assert_int_equal(b64_decode(&d, b.ptr + 1, b.len - 1), 0);
	assert_int_equal(d.len, 257);
	assert_memory_equal(d.ptr + 1, all, 256);
	buf_release(&d);
	buf_release(&b);
}

static void test_b64_strict_rejects(void **state)
{
	static const char *const bad[] = {
		"Zg",			   /* no padding */
		"Zg=",			   /* short padding */
		"Zm9",			   /* length not a multiple of 4 */
		"Zh==",			   /* non-zero trailing bits (canonical is Zg==) */
		"Zm9=",			   /* non-zero trailing bits (canonical is Zm8=) */
		"Zg==Zg==",		   /* padding in the middle */
		"Z===",			   /* three pads */
		"====",			   /* only pads */
		"Zm=v",			   /* pad before data */
		"Zm9v Zg==", "Zm9v\nZg==", /* whitespace */
		"Zm9-",			   /* URL alphabet */
		"Zm9_",	     "Zm\x80v",
	};
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(buf_adds(&b, "keep"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(b64_decode(&b, bad[i], strlen(bad[i])), ERR_PARSE);
		assert_int_equal(b.len, 4);
		assert_string_equal(b.ptr, "keep");
	}
	assert_int_equal(b64_decode(&b, LIT("Zm9v\0\0\0\0")), ERR_PARSE);
	assert_int_equal(b64_decode(&b, NULL, 0), 0);
	assert_string_equal(b.ptr, "keep");
	buf_release(&b);

	/* Cap: the decoded size must fit. */
	buf_init(&b, 5);
	assert_int_equal(b64_decode(&b, LIT("Zm9vYmFy")), ERR_TOOLARGE);
	assert_int_equal(b64_encode(&b, LIT("foob")), ERR_TOOLARGE);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_hex(void **state)
{
	char out[9];
	hex_lower(out, "\x00\x7f\xab\xff", 4);
	assert_string_equal(out, "007fabff");
	hex_lower(out, "", 0);
	assert_string_equal(out, "");
	struct buf b;
	buf_init(&b, 6);
	assert_int_equal(hex_encode(&b, "\x01\xfe", 2), 0);
	assert_string_equal(b.ptr, "01fe");
	assert_int_equal(hex_encode(&b, "\x01\xfe", 2), ERR_TOOLARGE);
	assert_string_equal(b.ptr, "01fe");
	buf_release(&b);

	uint8_t raw[3];
	assert_int_equal(hex_decode(raw, 3, "00fFa9", 6), 0);
	assert_memory_equal(raw, "\x00\xff\xa9", 3);
	assert_int_equal(hex_decode(raw, 3, "00ff", 4), ERR_PARSE);
	assert_int_equal(hex_decode(raw, 2, "00f", 3), ERR_PARSE);
	assert_int_equal(hex_decode(raw, 2, "0g11", 4), ERR_PARSE);
	assert_int_equal(hex_digit('F'), 15);
	assert_int_equal(hex_digit('/'), -1);
	assert_int_equal(hex_digit('\0'), -1);
}

static void test_uri_encode(void **state)
{
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(uri_encode(&b, LIT("a b/c~"), true), 0);
	assert_string_equal(b.ptr, "a%20b/c~");
	buf_reset(&b);
	assert_int_equal(uri_encode(&b, LIT("a b/c~"), false), 0);
	assert_string_equal(b.ptr, "a%20b%2Fc~");
	buf_reset(&b);
	assert_int_equal(uri_encode(&b, LIT("AZaz09-_.~"), false), 0);
	assert_string_equal(b.ptr, "AZaz09-_.~");
	buf_reset(&b);
	/* Reserved and non-ASCII bytes, uppercase hex, '+' and '=' too (SigV4). */
	assert_int_equal(uri_encode(&b, LIT("k=v+w&x*\xc3\xa9%\0"), false), 0);
	assert_string_equal(b.ptr, "k%3Dv%2Bw%26x%2A%C3%A9%25%00");
	buf_reset(&b);
	assert_int_equal(uri_encode(&b, NULL, 0, false), 0);
	assert_int_equal(b.len, 0);
	buf_release(&b);

	buf_init(&b, 4);
	assert_int_equal(uri_encode(&b, LIT("a b"), false), ERR_TOOLARGE);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_uri_decode(void **state)
{
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(uri_decode(&b, LIT("a%20b%2fc%2F~+d"), false), 0);
	assert_string_equal(b.ptr, "a b/c/~+d");
	buf_reset(&b);
	assert_int_equal(uri_decode(&b, LIT("a+b%2B"), true), 0);
	assert_string_equal(b.ptr, "a b+");
	buf_reset(&b);
	assert_int_equal(uri_decode(&b, LIT("%00x"), false), 0);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.ptr[0], '\0');
	assert_int_equal(b.ptr[1], 'x');
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "keep"), 0);
	static const char *const bad[] = {"%", "%2", "a%2", "%zz", "%2g", "%%20", "x%G0"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(uri_decode(&b, bad[i], strlen(bad[i]), false), ERR_PARSE);
		assert_string_equal(b.ptr, "keep");
	}
	buf_release(&b);
}

static void check_sha256(const char *data, size_t len, const char *want)
{
	char hex[65];
	sha256_hex(data, len, hex);
	assert_string_equal(hex, want);
}

/* FIPS 180-2 appendix B and the empty string. */
static void test_sha256(void **state)
{
	check_sha256(LIT("abc"),
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha256(LIT(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha256(LIT("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *million = malloc(1000000);
	memset(million, 'a', 1000000);
	check_sha256(million, 1000000,
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
	uint8_t raw[SHA256_LEN];
	sha256(LIT("abc"), raw);
	assert_int_equal(raw[0], 0xba);
	assert_int_equal(raw[31], 0xad);
}

static void check_hmac(const void *key, size_t key_len, const char *data, size_t len,
		       const char *want)
{
	uint8_t mac[SHA256_LEN];
	char hex[65];
	hmac_sha256(key, key_len, data, len, mac);
	hex_lower(hex, mac, sizeof(mac));
	assert_string_equal(hex, want);
}

/* RFC 4231 section 4.2 and 4.3, and a key longer than the block (section 4.7). */
static void test_hmac_sha256(void **state)
{
	uint8_t key[131];
	memset(key, 0x0b, 20);
	check_hmac(key, 20, LIT("Hi There"),
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac("Jefe", 4, LIT("what do ya want for nothing?"),
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof(key));
	check_hmac(key, sizeof(key), LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
		   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* An empty key is legal. */
	check_hmac(NULL, 0, LIT(""),
		   "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void check_md5(const char *data, size_t len, const char *want)
{
	uint8_t d[MD5_LEN];
	char hex[33];
	md5(data, len, d);
	hex_lower(hex, d, sizeof(d));
	assert_string_equal(hex, want);
}

/* RFC 1321 appendix A.5. */
static void test_md5(void **state)
{
	check_md5(LIT(""), "d41d8cd98f00b204e9800998ecf8427e");
	check_md5(LIT("a"), "0cc175b9c0f1b6a831c399e269772661");
	check_md5(LIT("abc"), "900150983cd24fb0d6963f7d28e17f72");
	check_md5(LIT("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
	check_md5(LIT("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
	check_md5(LIT("12345678901234567890123456789012345678901234567890123456789012345678901234"
		      "567890"),
		  "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_ct_equal_and_random(void **state)
{
	assert_true(ct_equal("abcd", "abcd", 4));
	assert_false(ct_equal("abcd", "abce", 4));
	assert_false(ct_equal("\0bcd", "abcd", 4));
	assert_true(ct_equal("x", "y", 0));

	uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};
	assert_int_equal(random_bytes(a, sizeof(a)), 0);
	assert_int_equal(random_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	uint8_t *big = malloc(100000);
	assert_int_equal(random_bytes(big, 100000), 0);
	free(big);
	assert_int_equal(random_bytes(NULL, 0), 0);
}

static void test_utf8_valid(void **state)
{
	assert_true(utf8_valid(LIT("")));
	assert_true(utf8_valid(LIT("plain ascii\x7f")));
	assert_true(utf8_valid(LIT("\xc3\xa9t\xc3\xa9"))); /* été */
	assert_true(utf8_valid(LIT("\xe2\x82\xac")));	   /* U+20AC */
	assert_true(utf8_valid(LIT("\xf0\x9f\x98\x80")));  /* U+1F600 */
	assert_true(utf8_valid(LIT("\xf4\x8f\xbf\xbf")));  /* U+10FFFF */
	assert_true(utf8_valid(LIT("\xed\x9f\xbf")));	   /* U+D7FF */
	assert_true(utf8_valid(LIT("\xee\x80\x80")));	   /* U+E000 */
	assert_true(utf8_valid(LIT("a\0b")));		   /* NUL is a character */
	assert_false(utf8_valid(LIT("\x80")));		   /* lone continuation */
	assert_false(utf8_valid(LIT("\xc3")));		   /* truncated */
	assert_false(utf8_valid(LIT("\xe2\x82")));	   /* truncated */
	assert_false(utf8_valid(LIT("\xc0\xaf")));	   /* overlong '/' */
	assert_false(utf8_valid(LIT("\xc1\xbf")));	   /* overlong */
	assert_false(utf8_valid(LIT("\xe0\x80\xaf")));	   /* overlong */
	assert_false(utf8_valid(LIT("\xf0\x80\x80\xaf"))); /* overlong */
	assert_false(utf8_valid(LIT("\xed\xa0\x80")));	   /* surrogate U+D800 */
	assert_false(utf8_valid(LIT("\xed\xbf\xbf")));	   /* surrogate U+DFFF */
	assert_false(utf8_valid(LIT("\xf4\x90\x80\x80"))); /* U+110000 */
	assert_false(utf8_valid(LIT("\xf5\x80\x80\x80")));
	assert_false(utf8_valid(LIT("\xff")));
	assert_false(utf8_valid(LIT("\xc3\x28"))); /* bad continuation */
	assert_false(utf8_valid(LIT("\xe2\x28\xa1")));
	assert_false(utf8_valid(LIT("\xf0\x9f\x98"))); /* truncated 4-byte */

	uint32_t cp = 7;
	assert_int_equal(utf8_decode(LIT("\xe2\x82\xacx"), &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_decode(LIT("\xf4\x8f\xbf\xbf"), &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(utf8_decode(LIT("\0"), &cp), 1);
	assert_int_equal(cp, 0);
	cp = 7;
	assert_int_equal(utf8_decode(LIT("\xed\xa0\x80"), &cp), 0);
	assert_int_equal(utf8_decode(LIT("\xe2\x82"), &cp), 0);
	assert_int_equal(cp, 7); /* untouched on failure */
	assert_int_equal(utf8_count(LIT("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")), 4);
	assert_int_equal(utf8_count(LIT("")), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_strict_rejects),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_uri_decode),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_hmac_sha256),
		cmocka_unit_test(test_md5),
		cmocka_unit_test(test_ct_equal_and_random),
		cmocka_unit_test(test_utf8_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
