/*
 * An incremental reader of HTTP/1.1 request framing (RFC 9112): where each
 * request's head ends, how long its body is and which of its bytes are
 * payload, with strict caps. It builds no request; it validates and
 * measures, so that the guard in front of evhttp (http/guard.h) can refuse
 * what must not reach evhttp and sees exactly the message boundaries evhttp
 * will see.
 *
 * Bytes come in any pieces: the state carries over, each byte is looked at
 * once, nothing is copied or allocated, and the result does not depend on
 * how the input was split (fuzz/fuzz_framing.c checks it). A call returns
 * the length of the next run of bytes of one kind (struct http_framing's
 * `part`: head, payload or chunk framing), stopping early at the end of a
 * head or of a message, or HTTP_FRAMING_REFUSED: picohttpparser's contract,
 * resumable.
 *
 * What it accepts, and why, where RFC 9112 leaves a choice:
 *
 *   request line   token SP target SP "HTTP/1." DIGIT, one space each (3);
 *                  the target is visible ASCII or obs-text, never a space
 *   lines          end in CRLF or a bare LF (2.2, as evhttp reads them); a
 *                  CR elsewhere is refused; so is an empty line before the
 *                  request line (evhttp refuses it too) and obs-fold (5.2)
 *   fields         token ":" OWS value; no space before the colon (5.1);
 *                  no control character but HTAB in a value
 *   Content-Length 1*DIGIT, once: a second field, even with the same value,
 *                  or a list is refused (RFC 9110 8.6 allows either; evhttp
 *                  would take the first of two)
 *   Transfer-Encoding  "chunked" alone; with Content-Length, in HTTP/1.0,
 *                  or with chunked not last or twice: 400 (6.1, 6.3); a
 *                  coding other than chunked before it: 501
 *   methods        a body on HEAD, TRACE or a method evhttp does not know is
 *                  refused: evhttp reads no body for them and would take
 *                  the body for the next request
 *   chunks         1*HEXDIG, then optional BWS and extensions (tolerated,
 *                  their line capped at HTTP_FRAMING_CHUNK_LINE_MAX), CRLF;
 *                  the data is followed by CRLF; the trailer section is
 *                  read as fields and capped like the head
 *
 * Sizes: the head's request line plus field values (API Gateway's measure)
 * against `head_max`, every byte of it against `head_raw_max`; the body
 * (Content-Length, or the sum of chunk sizes as soon as a size is read)
 * against `body_max`, so that a declared length past the cap is refused
 * before any of the body arrives.
 */
#ifndef SLUICE_HTTP_FRAMING_H
#define SLUICE_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the parser refuses a request for, and the status that answers it. */
enum http_refusal {
	HTTP_REFUSAL_NONE = 0,
	HTTP_REFUSAL_BAD_REQUEST,     /* 400 */
	HTTP_REFUSAL_HEAD_TOO_LARGE,  /* 431 Request Header Fields Too Large */
	HTTP_REFUSAL_BODY_TOO_LARGE,  /* 413 Content Too Large */
	HTTP_REFUSAL_NOT_IMPLEMENTED, /* 501: a transfer coding we do not decode */
};

/* 400, 431, 413 or 501 for a refusal; 0 for HTTP_REFUSAL_NONE. */
int http_refusal_status(enum http_refusal r);

/*
 * Why a request was refused: X(name, refusal, sentence). The sentence is for
 * logs; the name lets tests and the guard's marker carry the reason.
 */
#define HTTP_FRAMING_REASONS(X)                                                              \
	X(REQUEST_LINE, BAD_REQUEST, "malformed request line")                               \
	X(VERSION, BAD_REQUEST, "HTTP version other than 1.x")                               \
	X(BARE_CR, BAD_REQUEST, "CR not followed by LF")                                     \
	X(FIELD, BAD_REQUEST, "malformed header field")                                      \
	X(OBS_FOLD, BAD_REQUEST, "obsolete line folding in a header field")                  \
	X(HEAD_SIZE, HEAD_TOO_LARGE, "request line and header values larger than the limit") \
	X(HEAD_RAW_SIZE, HEAD_TOO_LARGE, "header section larger than the limit")             \
	X(CL_INVALID, BAD_REQUEST, "Content-Length is not a decimal number")                 \
	X(CL_REPEATED, BAD_REQUEST, "more than one Content-Length")                          \
	X(CL_AND_TE, BAD_REQUEST, "both Content-Length and Transfer-Encoding")               \
	X(TE_HTTP10, BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request")                \
	X(TE_NOT_CHUNKED, BAD_REQUEST, "chunked is not the final transfer coding")           \
	X(TE_CHUNKED_TWICE, BAD_REQUEST, "chunked applied more than once")                   \
	X(TE_TOO_MANY, BAD_REQUEST, "too many Transfer-Encoding fields")                     \
	X(TE_UNSUPPORTED, NOT_IMPLEMENTED, "a transfer coding other than chunked")           \
	X(BODY_NOT_READ, BAD_REQUEST, "a body on a request whose method takes none")         \
	X(BODY_SIZE, BODY_TOO_LARGE, "body larger than the limit")                           \
	X(CHUNK_SIZE, BAD_REQUEST, "malformed chunk size")                                   \
	X(CHUNK_LINE_SIZE, BAD_REQUEST, "chunk size line longer than the limit")             \
	X(CHUNK_END, BAD_REQUEST, "chunk data not followed by CRLF")                         \
	X(TRAILER, BAD_REQUEST, "malformed trailer field")                                   \
	X(TRAILER_SIZE, HEAD_TOO_LARGE, "trailer section larger than the limit")

enum http_framing_reason {
	HTTP_REASON_NONE = 0,
#define X(name, refusal, text) HTTP_REASON_##name,
	HTTP_FRAMING_REASONS(X)
#undef X
		HTTP_REASON_COUNT_
};

/* The sentence for `r` ("" for HTTP_REASON_NONE or an unknown value). */
const char *http_framing_reason_text(enum http_framing_reason r);

/* The refusal `r` leads to (HTTP_REFUSAL_NONE for HTTP_REASON_NONE or an unknown value). */
enum http_refusal http_framing_reason_refusal(enum http_framing_reason r);

/* What a run of bytes returned by http_framing_feed() was. */
enum http_part {
	HTTP_PART_HEAD,	   /* request line and header section */
	HTTP_PART_DATA,	   /* body payload */
	HTTP_PART_FRAMING, /* chunk size lines, the CRLF after chunk data, the trailer section */
};

/* How the current request's body is framed (valid once its head is done). */
enum http_body {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,  /* Content-Length, not 0 */
	HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
};

/* The caps, chosen by each server (see http/guard.h). */
struct http_framing_limits {
	size_t head_max;     /* request line + header field values */
	size_t head_raw_max; /* every byte of the head, names and line ends included; and of a
				trailer section */
	uint64_t body_max;   /* Content-Length, or the sum of chunk sizes */
};

/* A chunk size line, extensions included, is refused past this many bytes (RFC 9112 7.1.1). */
#define HTTP_FRAMING_CHUNK_LINE_MAX 4096
/* Transfer-Encoding fields remembered for the guard's rewrite; more are refused. */
#define HTTP_FRAMING_MAX_TE 4

/* A slice of the current message, as offsets from its first byte. */
struct http_span {
	size_t off, len;
};

/*
 * One connection's request stream. Fields above `private` are results,
 * read-only for the caller; the rest is the parser's.
 *
 * After each http_framing_feed() that returns a run: `part` is its kind;
 * `head_done` is true when the run ended the request's head (the blank line
 * is its last byte) and `message_done` when it ended the request (for a
 * request without a body both are true at once). The next call starts the
 * next request. The request's results (`body` onwards) stay valid until the
 * first byte of the next request is fed.
 */
struct http_framing {
	enum http_part part;
	bool head_done;
	bool message_done;
	enum http_refusal refusal; /* once refused, sticky */
	enum http_framing_reason reason;

	/* The current request. Spans are offsets from its first byte. */
	uint64_t pos;		 /* bytes of it accepted so far */
	bool line_done;		 /* the request line is complete */
	struct http_span method; /* valid with line_done */
	struct http_span target; /* valid with line_done */
	size_t head_len;	 /* bytes of the head, blank line included (head_done) */
	size_t head_end_len;	 /* 2 for a CRLF blank line, 1 for LF */
	enum http_body body;	 /* head_done */
	uint64_t content_length; /* HTTP_BODY_LENGTH */
	uint64_t decoded;	 /* HTTP_BODY_CHUNKED: the sum of chunk sizes read */
	bool expect_continue;	 /* Expect: 100-continue */
	struct http_span te[HTTP_FRAMING_MAX_TE]; /* Transfer-Encoding lines, line end included */
	size_t n_te;

	/* private */
	struct http_framing_limits lim;
	int state;
	size_t head_counted;	       /* the request line and field values so far */
	size_t head_raw;	       /* every byte of the head so far */
	size_t line_start;	       /* offset of the current field line */
	size_t name_len;	       /* of the current field name */
	char name[20];		       /* its first bytes, lowercase */
	int field;		       /* which field the current line is (content-length, ...) */
	int version_i;		       /* position in "HTTP/1." */
	bool http10;		       /* HTTP/1.0 */
	bool body_allowed;	       /* evhttp reads a body for this method */
	bool has_cl, has_te;	       /* seen in this head */
	bool cl_digits, cl_ws;	       /* Content-Length: digits seen, OWS after them */
	uint64_t cl_value;	       /* saturating */
	size_t te_codings, te_chunked; /* codings named, how many are chunked */
	bool te_last_chunked, te_other;
	size_t tok_len; /* the transfer coding being read */
	char tok[8];
	bool tok_param;	   /* a ';' parameter follows it */
	bool tok_ws;	   /* OWS after it: only ',' or ';' may come next */
	char exp[13];	   /* the start of an Expect value */
	size_t exp_len;	   /* bytes of the Expect value read, capped at sizeof(exp) */
	uint64_t chunk;	   /* size of the current chunk, saturating; then data left */
	size_t chunk_line; /* bytes of the current chunk size line */
	uint64_t left;	   /* Content-Length bytes left */
	size_t trailer_raw;
};

/*
 * Start reading a new connection's requests, with caps `lim` (copied). A
 * cap of 0 refuses every non-empty head or body.
 */
void http_framing_init(struct http_framing *f, const struct http_framing_limits *lim);

/* Returned by http_framing_feed() once a request is refused (see f->refusal, f->reason). */
#define HTTP_FRAMING_REFUSED (-1)

/*
 * Read the next run of `p` (`len` bytes): returns how many bytes it takes
 * (1..len), with f->part, f->head_done and f->message_done describing them;
 * 0 only when `len` is 0; or HTTP_FRAMING_REFUSED, after which every call
 * returns it again. On refusal, f->pos says how many bytes of the request
 * were accepted before the offending one; bytes of `p` before it were
 * accepted but belong to no returned run.
 */
ssize_t http_framing_feed(struct http_framing *f, const char *p, size_t len);

#endif
