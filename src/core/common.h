/*
 * Included first by every .c file of the project: the standard headers we use
 * everywhere, then banned.h, so that functions that hide overflows cannot be
 * called after this point (git's banned.h).
 */
#ifndef SLUICE_CORE_COMMON_H
#define SLUICE_CORE_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "core/banned.h"

/*
 * The account of the local cloud, wherever an ARN, an event or a pseudo
 * parameter names one (sam local and moto use the same id), so that a
 * function comparing them sees one account.
 */
#define LOCAL_ACCOUNT_ID "123456789012"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))
#define UNUSED(x)     ((void)(x))

#endif
