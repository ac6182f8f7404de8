/*
 * Following one connection's statements (see pg_watch.h): a queue of what
 * the client sent, emptied by the backend's ReadyForQuery messages, which
 * are found by framing the backend's bytes as they stream past.
 */
#include "core/common.h"

#include "local/postgres/pg_watch.h"
#include "local/postgres/pg_wire.h"

void pg_watch_init(struct pg_watch *w)
{
	memset(w, 0, sizeof(*w));
}

static void open_batch(struct pg_watch *w, int64_t now_ms, int64_t now_ns)
{
	memset(&w->cur, 0, sizeof(w->cur));
	w->cur.start_ms = now_ms;
	w->cur.start_ns = now_ns;
	w->cur_open = true;
}

static void describe(struct pg_statement *s, struct str sql, const char *pin)
{
	sql_verb(sql.ptr, sql.len, s->verb);
	pg_normalize(sql.ptr, sql.len, s->text, sizeof(s->text));
	s->pin = pin;
	s->report = true;
}

/* Queue `s`; a queue already full blinds the watch. */
static void push(struct pg_watch *w, const struct pg_statement *s)
{
	if (w->count == PG_WATCH_PENDING) {
		w->blind = true;
		return;
	}
	w->q[(w->head + w->count) % PG_WATCH_PENDING] = *s;
	w->count++;
}

void pg_watch_client(struct pg_watch *w, char type, struct str sql, const char *pin, int64_t now_ms,
		     int64_t now_ns)
{
	struct pg_statement s;

	if (w->blind)
		return;
	switch (type) {
	case 'Q':
		memset(&s, 0, sizeof(s));
		s.start_ms = now_ms;
		s.start_ns = now_ns;
		describe(&s, sql, pin);
		push(w, &s);
		break;
	case 'P':
		if (!w->cur_open)
			open_batch(w, now_ms, now_ns);
		if (!w->cur.verb[0]) /* the batch's first Parse names it */
			describe(&w->cur, sql, pin);
		else if (!w->cur.pin)
			w->cur.pin = pin;
		break;
	case 'B': /* Bind, Describe, Execute, Close, Flush: part of the batch */
	case 'D':
	case 'E':
	case 'C':
	case 'H':
		if (!w->cur_open)
			open_batch(w, now_ms, now_ns);
		if (type == 'E' && !w->cur.verb[0]) {
			memcpy(w->cur.verb, "EXECUTE", sizeof("EXECUTE"));
			w->cur.report = true;
		}
		break;
	case 'S':
		if (!w->cur_open)
			open_batch(w, now_ms, now_ns);
		push(w, &w->cur);
		w->cur_open = false;
		break;
	case 'F': /* FunctionCall: answered with its own ReadyForQuery */
		memset(&s, 0, sizeof(s));
		push(w, &s);
		break;
	default:
		break;
	}
}

/* The SQLSTATE of the ErrorResponse body in w->err (fields: a code byte, a string). */
static void error_code(const struct pg_watch *w, char out[6])
{
	const char *p = w->err, *end = w->err + w->err_len;

	while (p < end && *p) {
		const char *nul = memchr(p + 1, 0, (size_t)(end - p - 1));

		if (!nul)
			return;
		if (*p == 'C' && nul - p - 1 == 5) {
			memcpy(out, p + 1, 5);
			out[5] = '\0';
			return;
		}
		p = nul + 1;
	}
}

/* A whole backend message of type `type` has passed. */
static void on_message(struct pg_watch *w, char type, int64_t now_ns, pg_watch_fn fn, void *arg)
{
	struct pg_statement *s = w->count ? &w->q[w->head] : w->cur_open ? &w->cur : NULL;

	if (type == 'E' && s && !s->sqlstate[0]) {
		error_code(w, s->sqlstate);
		if (!s->sqlstate[0])
			memcpy(s->sqlstate, "?????", 6);
	}
	if (type != 'Z' || !w->count)
		return;
	s = &w->q[w->head];
	w->head = (w->head + 1) % PG_WATCH_PENDING;
	w->count--;
	if (s->report && fn)
		fn(arg, s, (double)(now_ns - s->start_ns) / 1e6);
}

void pg_watch_backend(struct pg_watch *w, const uint8_t *data, size_t len, int64_t now_ns,
		      pg_watch_fn fn, void *arg)
{
	while (len && !w->blind) {
		size_t n;

		if (w->hdr_have < 5) {
			n = MIN(len, 5 - w->hdr_have);
			memcpy(w->hdr + w->hdr_have, data, n);
			w->hdr_have += n;
			data += n;
			len -= n;
			if (w->hdr_have < 5)
				return;
			size_t total = pg_frame_length(w->hdr);
			if (total < 5) {
				w->blind = true;
				return;
			}
			w->left = total - 5;
			w->err_len = 0;
		}
		n = MIN(len, w->left);
		if (w->hdr[0] == 'E' && w->err_len < sizeof(w->err)) {
			size_t k = MIN(n, sizeof(w->err) - w->err_len);

			memcpy(w->err + w->err_len, data, k);
			w->err_len += k;
		}
		data += n;
		len -= n;
		w->left -= n;
		if (w->left == 0) {
			w->hdr_have = 0;
			on_message(w, (char)w->hdr[0], now_ns, fn, arg);
		}
	}
}
