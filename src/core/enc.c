/*
 * Encodings and digests (enc.h). Base64 decoding is strict, as SigV4 and S3
 * checksums need it to be: one text, one meaning. The digests go through
 * OpenSSL's EVP one-shot calls (the low-level SHA256_Init family is
 * deprecated in OpenSSL 3). A digest that cannot be computed aborts the
 * process: a zeroed HMAC would be a signature anyone could forge.
 */
#include "core/common.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include "core/enc.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex_digits[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

int b64_encode(struct buf *out, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len > (BUF_NOCAP / 4) * 3)
		return ERR_TOOLARGE;
	size_t olen = (len + 2) / 3 * 4;
	int err = buf_grow(out, olen);
	if (err)
		return err;
	char *o = out->ptr + out->len;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	out->len += olen;
	out->ptr[out->len] = '\0';
	return 0;
}

/* The 6-bit value of a base64 character, or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * RFC 4648 section 3.5: "=" only in the last one or two places of the last
 * quantum, and the pad bits before it must be zero (canonical encoding).
 */
int b64_decode(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	if (len == 0)
		return 0;
	if (len % 4)
		return ERR_PARSE;
	size_t pad = 0;
	if (p[len - 1] == '=')
		pad = p[len - 2] == '=' ? 2 : 1;
	size_t olen = len / 4 * 3 - pad;
	int err = buf_grow(out, olen);
	if (err)
		return err;

	char *o = out->ptr + out->len;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		size_t n = last ? 4 - pad : 4;
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = k < n ? b64_value(p[i + k]) : 0;
			if (d < 0)
				goto fail;
			v = v << 6 | (uint32_t)d;
		}
		*o++ = (char)(v >> 16);
		if (n >= 3)
			*o++ = (char)(v >> 8);
		if (n == 4)
			*o++ = (char)v;
		if ((n == 2 && (v & 0xffff)) || (n == 3 && (v & 0xff)))
			goto fail;
	}
	out->len += olen;
	out->ptr[out->len] = '\0';
	return 0;
fail:
	/* The bytes written past `len` are dropped; restore the terminator. */
	out->ptr[out->len] = '\0';
	return ERR_PARSE;
}

void hex_lower(char *out, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[p[i] >> 4];
		out[2 * i + 1] = hex_digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

int hex_encode(struct buf *out, const void *data, size_t len)
{
	if (len > BUF_NOCAP / 2)
		return ERR_TOOLARGE;
	int err = buf_grow(out, 2 * len);
	if (err)
		return err;
	hex_lower(out->ptr + out->len, data, len);
	out->len += 2 * len;
	return 0;
}

static bool uri_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

int uri_encode(struct buf *out, const char *s, size_t len, bool keep_slash)
{
	size_t olen = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		olen += uri_unreserved(c) || (keep_slash && c == '/') ? 1 : 3;
	}
	int err = buf_grow(out, olen);
	if (err)
		return err;
	char *o = out->ptr + out->len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (uri_unreserved(c) || (keep_slash && c == '/')) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex_upper[c >> 4];
			*o++ = hex_upper[c & 15];
		}
	}
	out->len += olen;
	out->ptr[out->len] = '\0';
	return 0;
}

int hex_digit(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(uint8_t *out, size_t n, const char *s, size_t len)
{
	if (len / 2 != n || len % 2)
		return ERR_PARSE;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return ERR_PARSE;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int uri_decode(struct buf *out, const char *s, size_t len, bool plus_is_space)
{
	/* Validate first so that `out` is untouched on a parse error. */
	size_t olen = 0;
	for (size_t i = 0; i < len; i++, olen++) {
		if (s[i] != '%')
			continue;
		if (len - i < 3 || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
			return ERR_PARSE;
		i += 2;
	}
	int err = buf_grow(out, olen);
	if (err)
		return err;
	char *o = out->ptr + out->len;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			c = (char)(hex_digit(s[i + 1]) << 4 | hex_digit(s[i + 2]));
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		*o++ = c;
	}
	out->len += olen;
	out->ptr[out->len] = '\0';
	return 0;
}

static void digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;
	if (!md || !EVP_Digest(data, len, out, &n, md, NULL)) {
		fputs("sluice: libcrypto digest failed\n", stderr);
		abort();
	}
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	digest(EVP_sha256(), data, len, out);
}

void md5(const void *data, size_t len, uint8_t out[MD5_LEN])
{
	digest(EVP_md5(), data, len, out);
}

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[SHA256_LEN])
{
	unsigned int n = 0;
	/* HMAC() keeps a non-NULL key pointer happy for empty keys. */
	static const uint8_t empty;

	if (key_len > INT_MAX ||
	    !HMAC(EVP_sha256(), key_len ? key : &empty, (int)key_len, data, len, out, &n)) {
		fputs("sluice: libcrypto HMAC failed\n", stderr);
		abort();
	}
}

void sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	sha256(data, len, d);
	hex_lower(out, d, sizeof(d));
}

bool ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int random_bytes(void *out, size_t len)
{
	uint8_t *p = out;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	uint32_t v, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, v = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, v = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, v = p[0] & 0x07, min = 0x10000;
	else
		return 0; /* a continuation byte, an overlong C0/C1 lead, or F5..FF */
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_decode(s + i, len - i, &cp)))
			return false;
	return true;
}

size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}
