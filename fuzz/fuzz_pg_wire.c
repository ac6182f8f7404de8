/*
 * Fuzz the PostgreSQL protocol parsers of the local RDS Proxy
 * (src/local/postgres/pg_wire.c) on what a client may send: the input is read
 * as a startup packet, then as a stream of framed messages, and every Query,
 * Parse and password message is taken apart and checked against the pinning
 * rules. Checked: lengths never pass the input, parameters and payloads lie
 * inside it, a statement's SQL holds no NUL, and a pinning reason is a
 * non-empty phrase.
 */
#include "core/common.h"

#include "local/postgres/pg_wire.h"

static void inside(const uint8_t *data, size_t size, struct str s)
{
	if (s.len &&
	    ((const uint8_t *)s.ptr < data || (const uint8_t *)s.ptr + s.len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_startup st;
	struct pg_message m;
	long n = pg_parse_startup(data, size, &st);
	size_t at = 0;

	if (n > (long)size || n > PG_MAX_STARTUP)
		abort();
	for (size_t i = 0; n > 0 && i < st.nparams; i++) {
		inside(data, size, st.params[i].name);
		inside(data, size, st.params[i].value);
	}
	if (n > 0)
		at = (size_t)n;
	while (at < size) {
		long len = pg_frame(data + at, size - at, 1 << 20, &m);
		struct str sql, name, pass;

		if (len <= 0)
			break;
		if ((size_t)len > size - at)
			abort();
		inside(data, size, m.body);
		if (pg_statement(&m, &sql, &name) == 0) {
			inside(data, size, sql);
			if (memchr(sql.ptr, 0, sql.len))
				abort();
			const char *why = pg_pin_reason(sql.ptr, sql.len);
			if (why && !*why)
				abort();
		}
		if (pg_password(&m, &pass) == 0)
			inside(data, size, pass);
		at += (size_t)len;
	}
	/* The rules on the raw bytes too: any text, any length. */
	const char *why = pg_pin_reason((const char *)data, size);
	if (why && !*why)
		abort();
	return 0;
}
