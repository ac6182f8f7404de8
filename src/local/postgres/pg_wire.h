/*
 * The parts of PostgreSQL's frontend/backend protocol (version 3.0, chapter
 * 55 of the PostgreSQL manual) that the local RDS Proxy reads and writes:
 * the startup packet and its special requests (SSLRequest, GSSENCRequest,
 * CancelRequest), framed messages, the password message, the SQL text of
 * Query and Parse messages, and the messages it sends itself
 * (AuthenticationCleartextPassword, ErrorResponse).
 *
 * And the rules of what would pin a session on RDS Proxy for PostgreSQL
 * (pg_pin_reason()), which the proxy applies to every statement it relays,
 * so that a pinning bug shows up on a laptop. From AWS's "Avoiding pinning
 * an RDS Proxy": SET commands and set_config(); resetting a parameter
 * (RESET, DISCARD); PREPARE, EXECUTE and DEALLOCATE; temporary tables,
 * sequences and views; cursors (DECLARE); LISTEN; LOAD; the sequence
 * functions (nextval, setval, currval, lastval); the advisory lock functions;
 * and, for every engine, any statement whose text passes 16 KB. A named
 * prepared statement at the protocol level (a Parse with a name) is flagged
 * too: what RDS Proxy multiplexes is the unnamed statement.
 *
 * Everything here is pure parsing over caller-owned bytes; the parsers are
 * fuzzed (fuzz/fuzz_pg_wire.c).
 */
#ifndef SLUICE_LOCAL_PG_WIRE_H
#define SLUICE_LOCAL_PG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

#define PG_PROTOCOL_3_0	       196608	/* 3 << 16 */
#define PG_SSL_REQUEST	       80877103 /* 1234 << 16 | 5679 */
#define PG_GSSENC_REQUEST      80877104
#define PG_CANCEL_REQUEST      80877102
#define PG_MAX_STARTUP	       10000 /* PostgreSQL's MAX_STARTUP_PACKET_LENGTH */
#define PG_MAX_STARTUP_PARAMS  64
#define PG_PIN_STATEMENT_LIMIT 16384 /* RDS Proxy pins a session on a longer statement text */

/* The kinds of packet a client may open with. */
enum pg_startup_kind {
	PG_STARTUP,	   /* protocol 3.0 with parameters */
	PG_STARTUP_SSL,	   /* SSLRequest: answer 'S' or 'N' */
	PG_STARTUP_GSSENC, /* GSSENCRequest: answer 'G' or 'N' */
	PG_STARTUP_CANCEL, /* CancelRequest: RDS Proxy does not support it */
	PG_STARTUP_OTHER,  /* another protocol version */
};

struct pg_startup_param {
	struct str name, value; /* into the packet */
};

struct pg_startup {
	enum pg_startup_kind kind;
	uint32_t code; /* the protocol version or request code */
	struct pg_startup_param params[PG_MAX_STARTUP_PARAMS];
	size_t nparams;
};

/*
 * Parse a startup packet at the start of `data` (`len` bytes). Returns the
 * packet's length when it is all there and well-formed (`*out` filled, slices
 * into `data`); 0 when more bytes are needed; -1 when it is malformed (a
 * length under 8 or over PG_MAX_STARTUP, parameters not NUL-terminated
 * pairs ending in an empty name, too many of them).
 */
long pg_parse_startup(const uint8_t *data, size_t len, struct pg_startup *out /* OUT */);

/* The value of startup parameter `name`, or STR_NULL. */
struct str pg_startup_param(const struct pg_startup *s, const char *name);

/* A framed message: one type byte, then a length that counts itself. */
struct pg_message {
	char type;
	struct str body; /* the bytes after the length */
};

/*
 * Frame the message at the start of `data`. Returns its total length (1 + the
 * length field) when it is all there, 0 when more bytes are needed, -1 when
 * the length field is under 4 or the message would pass `max` bytes.
 */
long pg_frame(const uint8_t *data, size_t len, size_t max, struct pg_message *out /* OUT */);

/* The length of a message whose first 5 bytes are `hdr` (0 when malformed). */
size_t pg_frame_length(const uint8_t hdr[5]);

/*
 * The password of a PasswordMessage ('p'): the body up to its terminating
 * NUL, which must be its last byte. 0, or ERR_PARSE.
 */
int pg_password(const struct pg_message *m, struct str *out /* OUT */);

/*
 * The SQL text of a Query ('Q') or Parse ('P') message, and for Parse the
 * statement's name ("" for the unnamed statement). 0, or ERR_PARSE (another
 * type, or strings not NUL-terminated).
 */
int pg_statement(const struct pg_message *m, struct str *sql /* OUT */, struct str *name /* OUT */);

/*
 * Why `sql` would pin an RDS Proxy session (a static phrase: "a SET
 * statement", "a named prepared statement", ...), or NULL when it would not.
 * Every statement of a multi-statement text is checked, quotes and comments
 * skipped, keywords compared without case.
 */
const char *pg_pin_reason(const char *sql, size_t len);

/*
 * The text of `sql` for a person to read without the values it carries:
 * string literals (quoted, E'', dollar-quoted, B'' and X'') and numbers
 * become `?`, comments and control bytes go, runs of white space become
 * one space; keywords, identifiers, operators and parameters ($1) stay.
 * Written into `out` (`cap` bytes, NUL-terminated); a text that does not
 * fit is cut and ends in "...". Returns the length written. A cap under 5
 * writes "" (or nothing when 0).
 */
size_t pg_normalize(const char *sql, size_t len, char *out, size_t cap);

/* Append AuthenticationCleartextPassword, AuthenticationOk, or one byte ('N'). */
void pg_put_auth_cleartext(struct buf *out);
void pg_put_byte(struct buf *out, char c);

/*
 * Append an ErrorResponse with severity `severity` ("FATAL", "ERROR"),
 * SQLSTATE `code` and `message`, as the server would send it.
 */
void pg_put_error(struct buf *out, const char *severity, const char *code, const char *message);

#endif
