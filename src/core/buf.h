/*
 * An owning, growable byte buffer with a size cap (curl's dynbuf, git's
 * strbuf). Every use site names its own limit: a request body, a header
 * block, an S3 object. The bytes are always NUL-terminated so that text can be
 * handed to C string functions, but the buffer holds binary data just as well.
 *
 * Invariants after buf_init(): `ptr` is never NULL (it points at a shared
 * empty string until the first allocation), `ptr[len] == '\0'`, and
 * `len <= cap`.
 *
 * Two ways to append. The buf_add*() functions return an error that the
 * caller must look at (the compiler checks: warn_unused_result); `b` stays
 * usable after one fails. Builders that append many pieces (an XML answer, a
 * JSON line, an environment block) use buf_put*() instead: the first failure
 * is remembered in `err` (sticky), every later append, buf_add*() included,
 * does nothing and fails, and the caller checks buf_error() once before using
 * the result. Either way a failed append leaves the bytes as they were, so a
 * truncated result never looks complete to a caller that checks.
 */
#ifndef SLUICE_CORE_BUF_H
#define SLUICE_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *ptr;
	size_t len;
	size_t alloc; /* bytes allocated, 0 while ptr is the shared empty string */
	size_t cap;   /* the most `len` may ever be */
	int err;      /* the first failed append since init or reset; 0 while all is well */
};

#define BUF_CHECK __attribute__((warn_unused_result))

/* No cap worth naming: for buffers whose size is bounded elsewhere. */
#define BUF_NOCAP ((size_t)SIZE_MAX / 2)

/* Make `b` empty with a cap of `cap` bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t cap);

/* Free the storage; `b` is empty again with the same cap. */
void buf_release(struct buf *b);

/* Empty `b`, keeping its storage for reuse; clears the sticky error. */
void buf_reset(struct buf *b);

/*
 * Make room for `extra` more bytes. Fails with ERR_TOOLARGE when len + extra
 * would pass the cap, ERR_NOMEM when allocation fails; `b` is unchanged then.
 */
int buf_grow(struct buf *b, size_t extra) BUF_CHECK;

/*
 * Append `len` bytes of `data`. Fails with ERR_TOOLARGE, leaving `b` as it
 * was, when the result would pass the cap given to buf_init(). `data` may
 * point into `b` itself; it may be NULL when `len` is 0.
 */
int buf_add(struct buf *b, const void *data, size_t len) BUF_CHECK;

/* Append a NUL-terminated string (the NUL is not counted). */
int buf_adds(struct buf *b, const char *s) BUF_CHECK;

/* Append one byte. */
int buf_addch(struct buf *b, char c) BUF_CHECK;

/* Append printf-formatted text. On failure `b` is unchanged. */
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3))) BUF_CHECK;
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0))) BUF_CHECK;

/*
 * The sticky forms, for builders: as buf_add() and friends, but a failure is
 * only recorded in `b->err` (the first one wins) and every append after it
 * does nothing. Check buf_error() once when the building is done.
 */
void buf_put(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record `err` as the sticky error unless one is recorded already. */
void buf_set_error(struct buf *b, int err);

/* The first error a buf_put*() met (or buf_set_error() set) since init or reset, or 0. */
static inline int buf_error(const struct buf *b)
{
	return b->err;
}

/* Shorten to `len` bytes (no-op when len >= b->len). */
void buf_truncate(struct buf *b, size_t len);

/*
 * Hand the bytes to the caller, who frees them with free(); `b` is empty
 * again. Never returns NULL: an empty buffer gives a fresh "" (or NULL only
 * when that one-byte allocation fails). `len` may be NULL.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
