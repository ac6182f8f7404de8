/*
 * The capped, growable byte buffer of buf.h. An empty buffer points at a
 * shared static "" (git's strbuf_slopbuf) so that `ptr` is never NULL without
 * allocating; nothing may ever be written through it, so every path that
 * writes first checks `alloc`. Growth doubles, but never past cap + 1 bytes.
 */
#include "core/common.h"

#include "core/buf.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t cap)
{
	b->ptr = buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap > BUF_NOCAP ? BUF_NOCAP : cap;
	b->err = 0;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->ptr);
	buf_init(b, b->cap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->alloc)
		b->ptr[0] = '\0';
}

int buf_grow(struct buf *b, size_t extra)
{
	if (b->err)
		return b->err;
	if (extra > b->cap - b->len)
		return ERR_TOOLARGE;
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	size_t want = b->alloc ? b->alloc : 64;
	while (want < need)
		want = want > SIZE_MAX / 2 ? need : want * 2;
	if (want > b->cap + 1)
		want = b->cap + 1;
	if (want < need)
		want = need;
	char *p = realloc(b->alloc ? b->ptr : NULL, want);
	if (!p)
		return ERR_NOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->ptr = p;
	b->alloc = want;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->err)
		return b->err;
	if (len == 0)
		return 0;
	/* Appending part of `b` to itself: remember where, as grow may move it. */
	const char *src = data;
	bool inside = b->alloc && src >= b->ptr && src < b->ptr + b->alloc;
	size_t off = inside ? (size_t)(src - b->ptr) : 0;
	int err = buf_grow(b, len);
	if (err)
		return err;
	memmove(b->ptr + b->len, inside ? b->ptr + off : src, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	char small[256];

	if (b->err)
		return b->err;
	/* First pass into a stack buffer: measures, and is enough for most lines. */
	va_copy(cp, ap);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): the analyzer misses va_copy */
	int n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return ERR_INVAL;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);

	int err = buf_grow(b, (size_t)n);
	if (err)
		return err;
	/* The second pass consumes the caller's `ap`, as a v-function may. */
	int m = vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	if (m != n) {
		b->ptr[b->len] = '\0';
		return ERR_INVAL;
	}
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}

void buf_set_error(struct buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

void buf_put(struct buf *b, const void *data, size_t len)
{
	buf_set_error(b, buf_add(b, data, len));
}

void buf_puts(struct buf *b, const char *s)
{
	buf_set_error(b, buf_add(b, s, strlen(s)));
}

void buf_putc(struct buf *b, char c)
{
	buf_set_error(b, buf_add(b, &c, 1));
}

void buf_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_set_error(b, buf_vaddf(b, fmt, ap));
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (b->alloc) {
		p = b->ptr;
	} else {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	buf_init(b, b->cap);
	return p;
}
