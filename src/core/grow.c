/*
 * array_grow() of grow.h. The caller's pointer is read and written with
 * memcpy, so that any `T **` can be passed without breaking aliasing rules.
 */
#include "core/common.h"

#include "core/grow.h"

int array_grow(void *arrp, size_t elem_size, size_t need, size_t *alloc)
{
	void *old, *p;
	size_t n;

	if (need <= *alloc)
		return 0;
	n = *alloc < (SIZE_MAX - 16) / 3 * 2 ? (*alloc + 16) / 2 * 3 : need;
	if (n < need)
		n = need;
	if (elem_size && n > SIZE_MAX / elem_size)
		return ERR_TOOLARGE;
	memcpy(&old, arrp, sizeof(old));
	p = realloc(old, n * elem_size > 0 ? n * elem_size : 1);
	if (!p)
		return ERR_NOMEM;
	memcpy(arrp, &p, sizeof(p));
	*alloc = n;
	/* cppcheck does not follow the memcpy above: `p` now lives in the caller's pointer. */
	// cppcheck-suppress memleak
	return 0;
}
