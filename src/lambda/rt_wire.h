/*
 * The Runtime API's answers, read off the wire: a strict parser of an
 * HTTP/1.1 response head (rt_wire_parse_head) and an incremental reader of
 * one whole response into a growable buffer (struct rt_wire_reader), for the
 * lean client of rt_conn.h. Nothing here touches a socket: the caller reads
 * into the space the reader hands out and says how many bytes came, so the
 * unit tests and fuzz/fuzz_rt_wire.c can split an answer anywhere.
 *
 * The peer is the Lambda service's Runtime API or `sluice dev`'s
 * (src/local/lambda/runtime_api.c, evhttp): both frame every answer with
 * Content-Length and neither sends chunked bodies, so this reader does not
 * accept Transfer-Encoding at all. The peer is trusted-ish; the caps hold
 * anyway (docs/security.md).
 *
 * What the parser accepts, where RFC 9112 leaves a choice:
 *
 *   status line    "HTTP/1.0" or "HTTP/1.1", SP, three digits 100-599, then
 *                  SP and a reason (visible ASCII, SP, HTAB, obs-text) or
 *                  nothing (4: a client SHOULD accept a missing reason)
 *   lines          end in CRLF; a bare CR or LF is refused (2.2 allows a
 *                  bare LF; neither peer sends one), so is obs-fold (5.2)
 *   fields         token ":" OWS value OWS; no space before the colon
 *                  (5.1); no control character but HTAB in a value
 *   Content-Length 1*DIGIT, at most 19 of them; repeated fields must agree
 *                  (RFC 9110 8.6); a list ("5, 5") is refused
 *   Transfer-Encoding  refused (see above)
 *   Connection     "close" among its tokens closes the connection after the
 *                  answer; HTTP/1.0 closes unless "keep-alive" is there
 *   Lambda-Runtime-*  the six fields of an invocation, by name in any case;
 *                  one that appears twice marks the head `duplicate`
 *
 * The head, status line to the empty line, is at most RT_WIRE_HEAD_MAX bytes.
 *
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 */
#ifndef SLUICE_LAMBDA_RT_WIRE_H
#define SLUICE_LAMBDA_RT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

/* The largest response head accepted (status line, fields, empty line). */
#define RT_WIRE_HEAD_MAX ((size_t)64 << 10)

/* rt_wire_parse_head(): the head has not ended yet / cannot be a head. */
#define RT_WIRE_INCOMPLETE (-2)
#define RT_WIRE_MALFORMED  (-1)

/* Where a field's value is in the buffer the head was parsed from; len 0 when absent. */
struct rt_wire_span {
	size_t off, len;
};

/* The Lambda fields of an invocation's answer (`next`). */
enum rt_wire_field {
	RT_WIRE_REQUEST_ID,	  /* Lambda-Runtime-Aws-Request-Id */
	RT_WIRE_DEADLINE,	  /* Lambda-Runtime-Deadline-Ms */
	RT_WIRE_FUNCTION_ARN,	  /* Lambda-Runtime-Invoked-Function-Arn */
	RT_WIRE_TRACE_ID,	  /* Lambda-Runtime-Trace-Id */
	RT_WIRE_CLIENT_CONTEXT,	  /* Lambda-Runtime-Client-Context */
	RT_WIRE_COGNITO_IDENTITY, /* Lambda-Runtime-Cognito-Identity */
	RT_WIRE_FIELDS
};

/* A parsed head. Spans are offsets into the parsed bytes, trimmed of OWS. */
struct rt_wire_head {
	int status; /* 100-599 */
	int minor;  /* HTTP/1.<minor>: 0 or 1 */
	bool has_length;
	uint64_t content_length;
	bool close;	/* the peer closes (or wants closed) the connection after this answer */
	bool duplicate; /* a Lambda-Runtime-* field appeared more than once */
	bool present[RT_WIRE_FIELDS];
	struct rt_wire_span field[RT_WIRE_FIELDS];
};

/*
 * Parse the head at the start of `p` (`len` bytes; more may follow it).
 * Returns the head's length, CRLF CRLF included, with `out` filled;
 * RT_WIRE_INCOMPLETE when `p` holds no complete head yet (and is still
 * under RT_WIRE_HEAD_MAX); RT_WIRE_MALFORMED when it breaks a rule above or
 * the head passes RT_WIRE_HEAD_MAX. `out` is unspecified unless a length is
 * returned. `p` may be NULL when `len` is 0.
 */
ssize_t rt_wire_parse_head(const char *p, size_t len, struct rt_wire_head *out /* OUT */);

/*
 * Reads one response into `in` (borrowed): the head at in->ptr, the body
 * right after it at in->ptr + head_len, `body_len` bytes, NUL-terminated.
 * Body bytes past `body_max` are read and thrown away (`truncated`), so the
 * connection stays usable. Interim 1xx answers are skipped. A body without
 * Content-Length runs to the close of the connection (RFC 9112 6.3), capped
 * the same way. Bytes after the response's end are dropped and flagged
 * (`extra`): we never pipeline, so the connection cannot be trusted after.
 *
 * Use: rt_wire_reader_init(); then, until `done`, rt_wire_reader_space() to
 * learn where up to how many bytes go, read into it, and report the count
 * with rt_wire_reader_got(), or a close with rt_wire_reader_eof().
 * `in`'s cap must leave room for RT_WIRE_HEAD_MAX + body_max +
 * RT_WIRE_READ_CHUNK; its storage is kept between responses.
 */
struct rt_wire_reader {
	struct buf *in;
	size_t body_max;
	struct rt_wire_head head; /* valid once head_len > 0 */
	size_t head_len;	  /* 0 until the head is parsed */
	size_t scanned;		  /* bytes of `in` already searched for the LF ending the head */
	uint64_t body_left;	  /* bytes of the body still to come (length framing) */
	size_t body_len;	  /* body bytes kept */
	bool until_close;	  /* the body ends when the peer closes */
	bool truncated;		  /* the body was longer than body_max */
	bool extra;		  /* bytes followed the response */
	bool done;
	size_t received; /* bytes read in all, interim answers included */
};

/* Room asked for per read while the size is unknown (head, or body until close). */
#define RT_WIRE_READ_CHUNK ((size_t)16 << 10)

/* Start reading a new response into `in` (emptied). */
void rt_wire_reader_init(struct rt_wire_reader *r, struct buf *in, size_t body_max);

/*
 * OUT: where the next read goes and how many bytes it may take (> 0), and
 * whether exactly that many are still due (`*exact`: a blocking read may wait
 * for all of them). Returns 0, ERR_NOMEM or ERR_TOOLARGE (`in`'s cap is too
 * small for body_max). Not to be called once `done`.
 */
int rt_wire_reader_space(struct rt_wire_reader *r, char **at, size_t *room, bool *exact);

/*
 * `n` (> 0, at most the room) bytes were read into the space. Returns 0,
 * with `done` set once the response is complete, or ERR_PARSE for a
 * malformed head (a 101, or a head over RT_WIRE_HEAD_MAX included).
 */
int rt_wire_reader_got(struct rt_wire_reader *r, size_t n);

/*
 * The peer closed the connection. Returns 0 with `done` set when that ends
 * the response (a body framed by the close), else ERR_HTTP: closed before
 * or inside the head, or inside a body of known length.
 */
int rt_wire_reader_eof(struct rt_wire_reader *r);

/* The body once `done`: NUL-terminated, `body_len` bytes. */
static inline char *rt_wire_reader_body(const struct rt_wire_reader *r)
{
	return r->in->ptr + r->head_len;
}

#endif
