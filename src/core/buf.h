/*
 * An owning, growable byte buffer with a size cap (curl's dynbuf, git's
 * strbuf). Every use site names its own limit: a request body, a header
 * block, an S3 object. The bytes are always NUL-terminated so that text can be
 * handed to C string functions, but the buffer holds binary data just as well.
 *
 * Invariants after buf_init(): `ptr` is never NULL (it points at a shared
 * empty string until the first allocation), `ptr[len] == '\0'`, and
 * `len <= cap`.
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
};

/* No cap worth naming: for buffers whose size is bounded elsewhere. */
#define BUF_NOCAP ((size_t)SIZE_MAX / 2)

/* Make `b` empty with a cap of `cap` bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t cap);

/* Free the storage; `b` is empty again with the same cap. */
void buf_release(struct buf *b);

/* Empty `b`, keeping its storage for reuse. */
void buf_reset(struct buf *b);

/*
 * Make room for `extra` more bytes. Fails with ERR_TOOLARGE when len + extra
 * would pass the cap, ERR_NOMEM when allocation fails; `b` is unchanged then.
 */
int buf_grow(struct buf *b, size_t extra);

/*
 * Append `len` bytes of `data`. Fails with ERR_TOOLARGE, leaving `b` as it
 * was, when the result would pass the cap given to buf_init(). `data` may
 * point into `b` itself; it may be NULL when `len` is 0.
 */
int buf_add(struct buf *b, const void *data, size_t len);

/* Append a NUL-terminated string (the NUL is not counted). */
int buf_adds(struct buf *b, const char *s);

/* Append one byte. */
int buf_addch(struct buf *b, char c);

/* Append printf-formatted text. On failure `b` is unchanged. */
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Shorten to `len` bytes (no-op when len >= b->len). */
void buf_truncate(struct buf *b, size_t len);

/*
 * Hand the bytes to the caller, who frees them with free(); `b` is empty
 * again. Never returns NULL: an empty buffer gives a fresh "" (or NULL only
 * when that one-byte allocation fails). `len` may be NULL.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
