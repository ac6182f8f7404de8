/* query_next() and query_count() of query.h. */
#include "core/common.h"

#include "http/query.h"

bool query_next(struct str *rest, struct str *name, struct str *value)
{
	struct str piece;
	bool more = true;

	while (rest->len && more) {
		*rest = str_split(*rest, '&', &piece, &more);
		if (!more)
			*rest = STR_NULL;
		if (piece.len == 0)
			continue;
		*value = str_split(piece, '=', name, NULL);
		return true;
	}
	*rest = STR_NULL;
	return false;
}

size_t query_count(struct str q)
{
	struct str name, value;
	size_t n = 0;

	while (query_next(&q, &name, &value))
		n++;
	return n;
}
