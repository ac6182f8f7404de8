/*
 * One way to grow an array (git's ALLOC_GROW): make room for at least `need`
 * elements, growing by half again plus a few so that appends are amortised
 * O(1). Sizes are checked for overflow before anything is allocated.
 *
 *	struct item *items = NULL;
 *	size_t n = 0, alloc = 0;
 *	if ((err = ALLOC_GROW(items, n + 1, alloc)))
 *		goto fail;
 *	items[n++] = it;
 *
 * Elements may move: never keep a pointer into the array across a growth
 * (store indexes, or allocate the elements one by one and grow an array of
 * pointers).
 */
#ifndef SLUICE_CORE_GROW_H
#define SLUICE_CORE_GROW_H

#include <stddef.h>

/*
 * Make the array at `*arrp` (a pointer to the caller's `T *`) hold at least
 * `need` elements of `elem_size` bytes; `*alloc` is the current capacity and
 * is updated. Returns 0, ERR_TOOLARGE when the byte size would overflow, or
 * ERR_NOMEM; on failure the array and `*alloc` are unchanged. New elements
 * are not initialised.
 */
int array_grow(void *arrp, size_t elem_size, size_t need, size_t *alloc)
	__attribute__((warn_unused_result));

#define ALLOC_GROW(arr, need, alloc) array_grow(&(arr), sizeof(*(arr)), (need), &(alloc))

#endif
