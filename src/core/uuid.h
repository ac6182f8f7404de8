/* UUID version 4 from getrandom(2) (RFC 9562 section 5.4). */
#ifndef SLUICE_CORE_UUID_H
#define SLUICE_CORE_UUID_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STR_LEN 36

/* Write a random lowercase UUID v4 and a NUL to `out`. Returns 0 or ERR_IO. */
int uuid_v4(char out[UUID_STR_LEN + 1]);

/* True when `s` is 8-4-4-4-12 hex digits (any version, either case). */
bool uuid_valid(const char *s, size_t len);

#endif
