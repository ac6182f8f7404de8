/*
 * The per-request arena of arena.h: a chain of chunks, newest first, each
 * carved from the front with 16-byte alignment. A request larger than the
 * default chunk gets a chunk of its own. The cap counts bytes handed out
 * (rounded up to the alignment), not the chunk overhead.
 */
#include "core/common.h"

#include "core/arena.h"

#define ARENA_ALIGN	 16
#define ARENA_CHUNK_SIZE 8192

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes in data[] */
	size_t off;  /* bytes used in data[] */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(struct arena *a, size_t cap)
{
	a->head = NULL;
	a->used = 0;
	a->cap = cap;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	arena_init(a, a->cap);
}

static struct arena_chunk *arena_chunk_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(struct arena_chunk))
		return NULL;
	/* aligned_alloc wants a multiple of the alignment; size already is one. */
	struct arena_chunk *c = aligned_alloc(ARENA_ALIGN, sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->off = 0;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need > a->cap - MIN(a->used, a->cap))
		return NULL;

	struct arena_chunk *c = a->head;
	if (!c || c->size - c->off < need) {
		c = arena_chunk_new(MAX(need, (size_t)ARENA_CHUNK_SIZE));
		if (!c)
			return NULL;
		if (a->head && need > ARENA_CHUNK_SIZE) {
			/* A big chunk goes second so the current one keeps serving. */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->off;
	c->off += need;
	a->used += need;
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
