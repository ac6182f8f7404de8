/*
 * Link-time compatibility for the Lambda package (make package only; the
 * library and `build/bootstrap` never see this file).
 *
 * The function runs on Amazon Linux 2023, whose glibc is 2.34. Debian 12's
 * expat calls arc4random_buf(), which glibc only exports from 2.36 on, so a
 * bootstrap linked against it the usual way would not load there ("version
 * GLIBC_2.36 not found"). The package links expat statically and resolves its
 * arc4random_buf() here, on getrandom(2) (glibc 2.25), instead of in libc.
 * `make package-check` proves no ELF in the zip needs a glibc newer than 2.34.
 */
#include "core/common.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

void arc4random_buf(void *buf, size_t len);

/* Fill `buf` with `len` bytes from the kernel's CSPRNG; like glibc's, it cannot fail. */
void arc4random_buf(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no entropy source at all: nothing safe to return */
		}
		p += n;
		len -= (size_t)n;
	}
}
