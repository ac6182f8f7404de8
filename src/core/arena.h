/*
 * A per-request arena (h2o's memory pool): many small allocations, freed
 * together in one call when the request ends. Allocations are 16-byte
 * aligned. An arena never frees individual objects.
 */
#ifndef SLUICE_CORE_ARENA_H
#define SLUICE_CORE_ARENA_H

#include <stddef.h>

#include "core/str.h"

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t used; /* bytes given out, for limits and tests */
	size_t cap;  /* the most `used` may reach */
};

/* An empty arena that will hand out at most `cap` bytes in all. */
void arena_init(struct arena *a, size_t cap);

/* Free every allocation; `a` is empty and reusable with the same cap. */
void arena_release(struct arena *a);

/* `n` uninitialised bytes, or NULL when out of memory or past the cap. */
void *arena_alloc(struct arena *a, size_t n);

/* `n` zeroed bytes, or NULL. */
void *arena_zalloc(struct arena *a, size_t n);

/* A NUL-terminated copy of `len` bytes of `s`, or NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);

/* printf into the arena, or NULL. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
