/*
 * Fuzz the statement follower of the local RDS Proxy
 * (src/local/postgres/pg_watch.c) and the text it shows (pg_normalize()):
 * the input is read as client messages (each Query and Parse described,
 * every other type passed on), then the same bytes as the backend's
 * stream, cut into chunks whose size the first byte picks. Checked: the
 * queue never passes its limit, a reported text and SQLSTATE stay within
 * their arrays and are terminated, and pg_normalize() never writes past
 * the cap it is given, however small.
 */
#include "core/common.h"

#include "local/postgres/pg_watch.h"
#include "local/postgres/pg_wire.h"

static void check(void *arg, const struct pg_statement *s, double ms)
{
	if (strnlen(s->text, sizeof(s->text)) == sizeof(s->text) ||
	    strnlen(s->verb, sizeof(s->verb)) == sizeof(s->verb) ||
	    strnlen(s->sqlstate, sizeof(s->sqlstate)) == sizeof(s->sqlstate))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pg_watch w;
	struct pg_message m;
	size_t at = 0, chunk = size ? (size_t)data[0] % 17 + 1 : 1;
	char small[8];

	pg_watch_init(&w);
	while (at < size) {
		long len = pg_frame(data + at, size - at, 1 << 20, &m);
		struct str sql = STR_NULL, name;

		if (len <= 0)
			break;
		if (pg_statement(&m, &sql, &name) != 0)
			sql = STR_NULL;
		pg_watch_client(&w, m.type, sql, NULL, 0, 0);
		if (w.count > PG_WATCH_PENDING)
			abort();
		at += (size_t)len;
	}
	for (at = 0; at < size; at += chunk)
		pg_watch_backend(&w, data + at, MIN(chunk, size - at), 1, check, NULL);
	if (w.count > PG_WATCH_PENDING || w.head >= PG_WATCH_PENDING)
		abort();
	for (size_t cap = 0; cap <= sizeof(small); cap++) {
		memset(small, 'x', sizeof(small));
		size_t n = pg_normalize((const char *)data, size, small, cap);
		if ((cap && n >= cap) || (cap && strnlen(small, cap) != n))
			abort();
	}
	return 0;
}
