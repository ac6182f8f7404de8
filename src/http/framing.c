/*
 * The request framing reader (framing.h): one state machine over bytes,
 * resumable at any byte. Head bytes go through step() one at a time, with
 * two fast paths for the long runs (the target and ordinary field values);
 * payload bytes are counted, never looked at.
 */
#include "core/common.h"

#include "http/framing.h"

#include "core/enc.h"

enum state {
	/* the head */
	S_LINE_START, /* the first byte of a request */
	S_METHOD,
	S_TARGET_START,
	S_TARGET,
	S_VERSION,	 /* matching "HTTP/1." */
	S_VERSION_DIGIT, /* the minor version */
	S_LINE_END,	 /* CR or LF after the version */
	S_LINE_LF,	 /* LF after its CR */
	S_FIELD_START,	 /* a field line or the blank line */
	S_NAME,
	S_VALUE_OWS,
	S_VALUE,
	S_FIELD_LF,
	S_END_LF, /* LF of the blank line */
	/* the body */
	S_BODY_LENGTH,
	S_CHUNK_SIZE_FIRST,
	S_CHUNK_SIZE,
	S_CHUNK_BWS,
	S_CHUNK_EXT,
	S_CHUNK_SIZE_LF,
	S_CHUNK_DATA,
	S_CHUNK_DATA_END, /* CR or LF after chunk data */
	S_CHUNK_DATA_LF,
	S_TRAILER_START,
	S_TRAILER_NAME,
	S_TRAILER_VALUE,
	S_TRAILER_LF,
	S_TRAILER_END_LF,
};

/* The fields whose values matter to framing. */
enum field { F_OTHER, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, F_EXPECT };

static const struct {
	const char *text;
	enum http_refusal refusal;
} reasons[] = {{"", HTTP_REFUSAL_NONE},
#define X(name, refusal, text) {text, HTTP_REFUSAL_##refusal},
	       HTTP_FRAMING_REASONS(X)
#undef X
};

const char *http_framing_reason_text(enum http_framing_reason r)
{
	return (unsigned)r < ARRAY_SIZE(reasons) ? reasons[r].text : "";
}

enum http_refusal http_framing_reason_refusal(enum http_framing_reason r)
{
	return (unsigned)r < ARRAY_SIZE(reasons) ? reasons[r].refusal : HTTP_REFUSAL_NONE;
}

int http_refusal_status(enum http_refusal r)
{
	switch (r) {
	case HTTP_REFUSAL_BAD_REQUEST:
		return 400;
	case HTTP_REFUSAL_HEAD_TOO_LARGE:
		return 431;
	case HTTP_REFUSAL_BODY_TOO_LARGE:
		return 413;
	case HTTP_REFUSAL_NOT_IMPLEMENTED:
		return 501;
	case HTTP_REFUSAL_NONE:
		break;
	}
	return 0;
}

/* ---- character classes (RFC 9110 5.6.2, 5.5; RFC 9112 3.2) ---- */

enum {
	C_TCHAR = 1,  /* a token character */
	C_VALUE = 2,  /* a byte of a field value: VCHAR, obs-text, SP or HTAB */
	C_TARGET = 4, /* a byte of a request target: visible ASCII or obs-text, never a space */
};

static const uint8_t cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, /* HTAB */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7,
	6, 7, 7, 6,					/* SP ! " # $ % & ' ( ) * + , - . / */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, /* 0-9 : ; < = > ? */
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* @ A-O */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7, /* P-Z [ \ ] ^ _ */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* ` a-o */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0, /* p-z { | } ~ DEL */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, /* obs-text */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
};

static bool is_tchar(unsigned char c)
{
	return cls[c] & C_TCHAR;
}

static bool is_value(unsigned char c)
{
	return cls[c] & C_VALUE;
}

static bool is_target(unsigned char c)
{
	return cls[c] & C_TARGET;
}

static bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static char lower(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static enum http_part part_of(int state)
{
	if (state < S_BODY_LENGTH)
		return HTTP_PART_HEAD;
	if (state == S_BODY_LENGTH || state == S_CHUNK_DATA)
		return HTTP_PART_DATA;
	return HTTP_PART_FRAMING;
}

static int refuse(struct http_framing *f, enum http_framing_reason why)
{
	f->reason = why;
	f->refusal = http_framing_reason_refusal(why);
	return -1;
}

void http_framing_init(struct http_framing *f, const struct http_framing_limits *lim)
{
	memset(f, 0, sizeof(*f));
	f->lim = *lim;
	f->state = S_LINE_START;
}

/* Forget the previous request: its first byte is about to be read. */
static void begin_message(struct http_framing *f)
{
	struct http_framing_limits lim = f->lim;

	memset(f, 0, sizeof(*f));
	f->lim = lim;
	f->state = S_LINE_START;
}

/*
 * Account for one byte of the head: every byte against head_raw_max, those
 * of the request line and of field values (`counted`) against head_max.
 */
static int count_head(struct http_framing *f, bool counted)
{
	if (++f->head_raw > f->lim.head_raw_max)
		return refuse(f, HTTP_REASON_HEAD_RAW_SIZE);
	if (counted && ++f->head_counted > f->lim.head_max)
		return refuse(f, HTTP_REASON_HEAD_SIZE);
	return 0;
}

/* ---- the request line ---- */

/*
 * Methods evhttp knows and reads a body for (http.c,
 * evhttp_method_may_have_body()); HEAD, TRACE and methods it does not know
 * get none, whatever the framing fields say.
 */
static bool method_takes_body(const char *m, size_t len)
{
	static const char *const with_body[] = {"GET",	   "POST",  "PUT",    "DELETE",
						"OPTIONS", "PATCH", "CONNECT"};

	for (size_t i = 0; i < ARRAY_SIZE(with_body); i++)
		if (strlen(with_body[i]) == len && !memcmp(with_body[i], m, len))
			return true;
	return false;
}

static void line_done(struct http_framing *f)
{
	f->line_done = true;
	f->state = S_FIELD_START;
}

static int step_line(struct http_framing *f, unsigned char c)
{
	static const char version[] = "HTTP/1.";

	switch (f->state) {
	case S_LINE_START:
	case S_METHOD:
		if (c == ' ' && f->state == S_METHOD) {
			f->method.len = (size_t)f->pos;
			f->body_allowed = f->name_len <= sizeof(f->name) &&
					  method_takes_body(f->name, f->name_len);
			f->state = S_TARGET_START;
			break;
		}
		if (!is_tchar(c))
			return refuse(f, HTTP_REASON_REQUEST_LINE);
		if (f->name_len < sizeof(f->name))
			f->name[f->name_len] = (char)c;
		f->name_len++;
		f->state = S_METHOD;
		break;
	case S_TARGET_START:
		if (!is_target(c))
			return refuse(f, HTTP_REASON_REQUEST_LINE);
		f->target.off = (size_t)f->pos;
		f->state = S_TARGET;
		break;
	case S_TARGET:
		if (c == ' ') {
			f->target.len = (size_t)f->pos - f->target.off;
			f->state = S_VERSION;
		} else if (!is_target(c)) {
			return refuse(f, HTTP_REASON_REQUEST_LINE);
		}
		break;
	case S_VERSION:
		if (c != (unsigned char)version[f->version_i])
			return refuse(f, HTTP_REASON_VERSION);
		if (++f->version_i == (int)sizeof(version) - 1)
			f->state = S_VERSION_DIGIT;
		break;
	case S_VERSION_DIGIT:
		if (c < '0' || c > '9')
			return refuse(f, HTTP_REASON_VERSION);
		f->http10 = c == '0';
		f->state = S_LINE_END;
		break;
	case S_LINE_END:
		if (c == '\r')
			f->state = S_LINE_LF;
		else if (c == '\n')
			line_done(f);
		else
			return refuse(f, HTTP_REASON_VERSION);
		break;
	case S_LINE_LF:
		if (c != '\n')
			return refuse(f, HTTP_REASON_BARE_CR);
		line_done(f);
		break;
	}
	return 0;
}

/* ---- header fields ---- */

static bool name_is(const struct http_framing *f, const char *lower_name)
{
	size_t n = strlen(lower_name);

	return f->name_len == n && n <= sizeof(f->name) && !memcmp(f->name, lower_name, n);
}

/* The field name is complete (its ':' just read). */
static int field_named(struct http_framing *f)
{
	f->field = F_OTHER;
	if (name_is(f, "content-length")) {
		if (f->has_cl)
			return refuse(f, HTTP_REASON_CL_REPEATED);
		f->has_cl = true;
		f->field = F_CONTENT_LENGTH;
	} else if (name_is(f, "transfer-encoding")) {
		if (f->n_te == HTTP_FRAMING_MAX_TE)
			return refuse(f, HTTP_REASON_TE_TOO_MANY);
		f->has_te = true;
		f->te[f->n_te].off = f->line_start;
		f->tok_len = 0;
		f->tok_param = f->tok_ws = false;
		f->field = F_TRANSFER_ENCODING;
	} else if (name_is(f, "expect")) {
		f->exp_len = 0;
		f->field = F_EXPECT;
	}
	return 0;
}

/* One transfer coding of the list has been read (RFC 9112 6.1). */
static void te_token_done(struct http_framing *f)
{
	bool chunked;

	if (f->tok_len == 0 && !f->tok_param)
		return; /* an empty list element (RFC 9110 5.6.1) */
	chunked = f->tok_len == 7 && !memcmp(f->tok, "chunked", 7) && !f->tok_param;
	f->te_codings++;
	f->te_chunked += chunked;
	f->te_other |= !chunked;
	f->te_last_chunked = chunked;
	f->tok_len = 0;
	f->tok_param = f->tok_ws = false;
}

static int te_byte(struct http_framing *f, unsigned char c)
{
	if (c == ',') {
		te_token_done(f);
	} else if (f->tok_param) {
		/* a transfer-parameter: read past it, it makes the coding not chunked */
	} else if (c == ';') {
		f->tok_param = true;
	} else if (is_ows(c)) {
		f->tok_ws = f->tok_len > 0;
	} else if (is_tchar(c) && !f->tok_ws) {
		if (f->tok_len < sizeof(f->tok))
			f->tok[f->tok_len] = lower(c);
		f->tok_len++;
	} else {
		return refuse(f, HTTP_REASON_FIELD);
	}
	return 0;
}

/* One byte of a field value after its leading OWS. */
static int value_byte(struct http_framing *f, unsigned char c)
{
	switch (f->field) {
	case F_CONTENT_LENGTH:
		if (c >= '0' && c <= '9' && !f->cl_ws) {
			uint64_t d = (uint64_t)(c - '0');
			f->cl_value = f->cl_value > (UINT64_MAX - d) / 10 ? UINT64_MAX
									  : f->cl_value * 10 + d;
			f->cl_digits = true;
		} else if (is_ows(c)) {
			f->cl_ws = true;
		} else {
			return refuse(f, HTTP_REASON_CL_INVALID);
		}
		break;
	case F_TRANSFER_ENCODING:
		return te_byte(f, c);
	case F_EXPECT:
		if (f->exp_len < sizeof(f->exp))
			f->exp[f->exp_len] = lower(c);
		f->exp_len++;
		break;
	}
	return 0;
}

/* A field line ends (its LF just read). */
static int field_done(struct http_framing *f)
{
	switch (f->field) {
	case F_CONTENT_LENGTH:
		if (!f->cl_digits)
			return refuse(f, HTTP_REASON_CL_INVALID);
		break;
	case F_TRANSFER_ENCODING:
		te_token_done(f);
		f->te[f->n_te].len = (size_t)f->pos + 1 - f->te[f->n_te].off;
		f->n_te++;
		break;
	case F_EXPECT:
		/* Trailing OWS is part of the value here; "100-continue" is what clients send. */
		f->expect_continue = f->exp_len == 12 && !memcmp(f->exp, "100-continue", 12);
		break;
	}
	f->field = F_OTHER;
	f->state = S_FIELD_START;
	return 0;
}

/* The blank line ends the head: decide how the body is framed (RFC 9112 6.3). */
static int head_done(struct http_framing *f, size_t end_len)
{
	f->head_done = true;
	f->head_len = (size_t)f->pos + 1;
	f->head_end_len = end_len;
	if (f->has_te) {
		if (f->has_cl)
			return refuse(f, HTTP_REASON_CL_AND_TE);
		if (f->http10)
			return refuse(f, HTTP_REASON_TE_HTTP10);
		if (!f->body_allowed)
			return refuse(f, HTTP_REASON_BODY_NOT_READ);
		if (f->te_chunked > 1)
			return refuse(f, HTTP_REASON_TE_CHUNKED_TWICE);
		if (!f->te_last_chunked)
			return refuse(f, HTTP_REASON_TE_NOT_CHUNKED);
		if (f->te_other)
			return refuse(f, HTTP_REASON_TE_UNSUPPORTED);
		f->body = HTTP_BODY_CHUNKED;
		f->state = S_CHUNK_SIZE_FIRST;
		return 0;
	}
	if (f->has_cl && f->cl_value > 0) {
		if (!f->body_allowed)
			return refuse(f, HTTP_REASON_BODY_NOT_READ);
		if (f->cl_value > f->lim.body_max)
			return refuse(f, HTTP_REASON_BODY_SIZE);
		f->body = HTTP_BODY_LENGTH;
		f->content_length = f->left = f->cl_value;
		f->state = S_BODY_LENGTH;
		return 0;
	}
	f->message_done = true;
	f->state = S_LINE_START;
	return 0;
}

static int step_field(struct http_framing *f, unsigned char c)
{
	switch (f->state) {
	case S_FIELD_START:
		if (c == '\r') {
			f->state = S_END_LF;
		} else if (c == '\n') {
			return head_done(f, 1);
		} else if (is_ows(c)) {
			return refuse(f, HTTP_REASON_OBS_FOLD);
		} else if (is_tchar(c)) {
			f->line_start = (size_t)f->pos;
			f->name[0] = lower(c);
			f->name_len = 1;
			f->state = S_NAME;
		} else {
			return refuse(f, HTTP_REASON_FIELD);
		}
		break;
	case S_NAME:
		if (c == ':') {
			f->state = S_VALUE_OWS;
			return field_named(f);
		}
		if (!is_tchar(c))
			return refuse(f, HTTP_REASON_FIELD);
		if (f->name_len < sizeof(f->name))
			f->name[f->name_len] = lower(c);
		f->name_len++;
		break;
	case S_VALUE_OWS:
	case S_VALUE:
		if (c == '\r') {
			f->state = S_FIELD_LF;
		} else if (c == '\n') {
			return field_done(f);
		} else if (!is_value(c)) {
			return refuse(f, HTTP_REASON_FIELD);
		} else if (f->state == S_VALUE || !is_ows(c)) {
			f->state = S_VALUE;
			return value_byte(f, c);
		}
		break;
	case S_FIELD_LF:
		if (c != '\n')
			return refuse(f, HTTP_REASON_BARE_CR);
		return field_done(f);
	case S_END_LF:
		if (c != '\n')
			return refuse(f, HTTP_REASON_BARE_CR);
		return head_done(f, 2);
	}
	return 0;
}

/* Is byte `c` in state `state` counted against head_max (request line, field values)? */
static bool head_counted(int state, unsigned char c)
{
	if (state <= S_VERSION_DIGIT)
		return true;
	if (state == S_VALUE)
		return c != '\r' && c != '\n';
	return state == S_VALUE_OWS && !is_ows(c) && c != '\r' && c != '\n';
}

/* ---- the chunked body (RFC 9112 7.1) ---- */

static int chunk_line_done(struct http_framing *f)
{
	if (f->chunk == 0) {
		f->trailer_raw = 0;
		f->state = S_TRAILER_START;
		return 0;
	}
	if (f->chunk > f->lim.body_max - f->decoded)
		return refuse(f, HTTP_REASON_BODY_SIZE);
	f->decoded += f->chunk;
	f->state = S_CHUNK_DATA;
	return 0;
}

/* What may follow the digits of a chunk size: BWS, extensions, the line end. */
static int chunk_after_size(struct http_framing *f, unsigned char c)
{
	if (is_ows(c))
		f->state = S_CHUNK_BWS;
	else if (c == ';')
		f->state = S_CHUNK_EXT;
	else if (c == '\r')
		f->state = S_CHUNK_SIZE_LF;
	else if (c == '\n')
		return chunk_line_done(f);
	else
		return refuse(f, HTTP_REASON_CHUNK_SIZE);
	return 0;
}

static int step_chunk(struct http_framing *f, unsigned char c)
{
	int h = hex_digit((char)c);

	if (++f->chunk_line > HTTP_FRAMING_CHUNK_LINE_MAX)
		return refuse(f, HTTP_REASON_CHUNK_LINE_SIZE);
	switch (f->state) {
	case S_CHUNK_SIZE_FIRST:
		if (h < 0)
			return refuse(f, HTTP_REASON_CHUNK_SIZE);
		f->chunk = (uint64_t)h;
		f->state = S_CHUNK_SIZE;
		break;
	case S_CHUNK_SIZE:
		if (h < 0)
			return chunk_after_size(f, c);
		/* Saturate: a size past any cap is refused as too large, not wrapped. */
		f->chunk = f->chunk > (UINT64_MAX - (uint64_t)h) / 16 ? UINT64_MAX
								      : f->chunk * 16 + (uint64_t)h;
		break;
	case S_CHUNK_BWS:
		return chunk_after_size(f, c);
	case S_CHUNK_EXT:
		/* chunk-ext is tolerated, not interpreted: any field value byte */
		if (c == '\r')
			f->state = S_CHUNK_SIZE_LF;
		else if (c == '\n')
			return chunk_line_done(f);
		else if (!is_value(c))
			return refuse(f, HTTP_REASON_CHUNK_SIZE);
		break;
	case S_CHUNK_SIZE_LF:
		if (c != '\n')
			return refuse(f, HTTP_REASON_BARE_CR);
		return chunk_line_done(f);
	}
	return 0;
}

static void chunk_next(struct http_framing *f)
{
	f->chunk = 0;
	f->chunk_line = 0;
	f->state = S_CHUNK_SIZE_FIRST;
}

static void message_done(struct http_framing *f)
{
	f->message_done = true;
	f->state = S_LINE_START;
}

static int step_chunk_end(struct http_framing *f, unsigned char c)
{
	if (f->state == S_CHUNK_DATA_END && c == '\r')
		f->state = S_CHUNK_DATA_LF;
	else if (c == '\n')
		chunk_next(f);
	else
		return refuse(f, f->state == S_CHUNK_DATA_LF ? HTTP_REASON_BARE_CR
							     : HTTP_REASON_CHUNK_END);
	return 0;
}

static int step_trailer(struct http_framing *f, unsigned char c)
{
	if (++f->trailer_raw > f->lim.head_raw_max)
		return refuse(f, HTTP_REASON_TRAILER_SIZE);
	switch (f->state) {
	case S_TRAILER_START:
		if (c == '\r')
			f->state = S_TRAILER_END_LF;
		else if (c == '\n')
			message_done(f);
		else if (is_tchar(c))
			f->state = S_TRAILER_NAME;
		else
			return refuse(f, HTTP_REASON_TRAILER);
		break;
	case S_TRAILER_NAME:
		if (c == ':')
			f->state = S_TRAILER_VALUE;
		else if (!is_tchar(c))
			return refuse(f, HTTP_REASON_TRAILER);
		break;
	case S_TRAILER_VALUE:
		if (c == '\r')
			f->state = S_TRAILER_LF;
		else if (c == '\n')
			f->state = S_TRAILER_START;
		else if (!is_value(c))
			return refuse(f, HTTP_REASON_TRAILER);
		break;
	case S_TRAILER_LF:
	case S_TRAILER_END_LF:
		if (c != '\n')
			return refuse(f, HTTP_REASON_BARE_CR);
		if (f->state == S_TRAILER_END_LF)
			message_done(f);
		else
			f->state = S_TRAILER_START;
		break;
	}
	return 0;
}

/* ---- feeding ---- */

/* One byte of a state that is not bulk payload. Returns 0 or -1 (refused). */
static int step(struct http_framing *f, unsigned char c)
{
	if (f->state <= S_END_LF) {
		if (count_head(f, head_counted(f->state, c)))
			return -1;
		return f->state <= S_LINE_LF ? step_line(f, c) : step_field(f, c);
	}
	if (f->state <= S_CHUNK_SIZE_LF)
		return step_chunk(f, c);
	if (f->state <= S_CHUNK_DATA_LF)
		return step_chunk_end(f, c);
	return step_trailer(f, c);
}

/*
 * Payload bytes: counted, not read. Returns how many of `avail` the current
 * Content-Length body or chunk takes.
 */
static size_t take_payload(struct http_framing *f, size_t avail)
{
	uint64_t *left = f->state == S_BODY_LENGTH ? &f->left : &f->chunk;
	size_t n = *left < avail ? (size_t)*left : avail;

	*left -= n;
	if (*left == 0) {
		if (f->state == S_BODY_LENGTH)
			message_done(f);
		else
			f->state = S_CHUNK_DATA_END;
	}
	return n;
}

/*
 * The fast path of the long head runs: bytes of a target, of a field name,
 * or of a value of a field that does not matter to framing, up to a byte
 * that needs step() or up to the caps (step() then refuses on the next
 * byte). Returns how many.
 */
static size_t take_plain(struct http_framing *f, const char *p, size_t avail)
{
	size_t room_raw = f->lim.head_raw_max - MIN(f->head_raw, f->lim.head_raw_max);
	size_t room = f->lim.head_max - MIN(f->head_counted, f->lim.head_max);
	size_t n = 0, max = MIN(avail, room_raw);

	if (f->state == S_NAME) {
		/* Names count against head_raw_max only. */
		for (; n < max && is_tchar((unsigned char)p[n]); n++, f->name_len++)
			if (f->name_len < sizeof(f->name))
				f->name[f->name_len] = lower((unsigned char)p[n]);
		f->head_raw += n;
		return n;
	}
	max = MIN(max, room);
	if (f->state == S_TARGET) {
		while (n < max && is_target((unsigned char)p[n]))
			n++;
	} else {
		while (n < max && p[n] != '\r' && p[n] != '\n' && is_value((unsigned char)p[n]))
			n++;
	}
	f->head_raw += n;
	f->head_counted += n;
	return n;
}

/*
 * The fast paths of whole lines, when the line's LF is already in `p`: the
 * request line, and a field line of a field that does not matter to
 * framing. They read exactly what step() would, in one pass without state;
 * anything unusual (a field that matters, a byte to refuse, a cap to pass)
 * returns 0 and step() reads the line byte by byte instead. Return the
 * line's length, line end included.
 */
static size_t take_request_line(struct http_framing *f, const char *p, size_t avail)
{
	static const char version[] = "HTTP/1.";
	const char *nl = memchr(p, '\n', MIN(avail, f->lim.head_raw_max - f->head_raw));
	size_t m = 0, t, e, len, end;

	if (!nl)
		return 0;
	len = (size_t)(nl - p) + 1;
	end = len >= 2 && nl[-1] == '\r' ? len - 2 : len - 1; /* the line without CR LF */
	while (m < end && is_tchar((unsigned char)p[m]))
		m++;
	if (m == 0 || m == end || p[m] != ' ')
		return 0;
	for (t = m + 1; t < end && is_target((unsigned char)p[t]); t++)
		;
	e = t + 1; /* the version */
	if (t == m + 1 || t == end || p[t] != ' ' || end - e != sizeof(version) ||
	    memcmp(p + e, version, sizeof(version) - 1) || p[end - 1] < '0' || p[end - 1] > '9' ||
	    end > f->lim.head_max - f->head_counted)
		return 0;
	f->method.len = m;
	f->body_allowed = method_takes_body(p, m);
	f->target.off = m + 1;
	f->target.len = t - m - 1;
	f->http10 = p[end - 1] == '0';
	f->head_raw += len;
	f->head_counted += end;
	line_done(f);
	return len;
}

static size_t take_field_line(struct http_framing *f, const char *p, size_t avail)
{
	const char *nl = memchr(p, '\n', MIN(avail, f->lim.head_raw_max - f->head_raw));
	size_t n = 0, v, len, end;

	if (!nl)
		return 0;
	len = (size_t)(nl - p) + 1;
	end = len >= 2 && nl[-1] == '\r' ? len - 2 : len - 1;
	for (f->name_len = 0; n < end && is_tchar((unsigned char)p[n]); n++, f->name_len++)
		if (f->name_len < sizeof(f->name))
			f->name[f->name_len] = lower((unsigned char)p[n]);
	if (n == 0 || n == end || p[n] != ':' || name_is(f, "content-length") ||
	    name_is(f, "transfer-encoding") || name_is(f, "expect"))
		return 0;
	for (v = n + 1; v < end && is_ows((unsigned char)p[v]); v++)
		;
	for (n = v; n < end && is_value((unsigned char)p[n]); n++)
		;
	if (n != end || end - v > f->lim.head_max - f->head_counted)
		return 0;
	f->line_start = (size_t)f->pos;
	f->head_raw += len;
	f->head_counted += end - v;
	return len;
}

/* The head bytes a fast path takes at once (a whole line, a plain run), or 0 for step(). */
static size_t take_fast(struct http_framing *f, const char *p, size_t avail)
{
	switch (f->state) {
	case S_LINE_START:
		return take_request_line(f, p, avail);
	case S_FIELD_START:
		return is_tchar((unsigned char)p[0]) ? take_field_line(f, p, avail) : 0;
	case S_VALUE:
		return f->field == F_OTHER ? take_plain(f, p, avail) : 0;
	case S_TARGET:
	case S_NAME:
		return take_plain(f, p, avail);
	}
	return 0;
}

ssize_t http_framing_feed(struct http_framing *f, const char *p, size_t len)
{
	size_t i = 0, n;

	if (f->refusal)
		return HTTP_FRAMING_REFUSED;
	f->head_done = f->message_done = false;
	len = MIN(len, (size_t)SSIZE_MAX);
	if (len == 0)
		return 0;
	if (f->state == S_LINE_START)
		begin_message(f);
	f->part = part_of(f->state);
	while (i < len && part_of(f->state) == f->part) {
		if (f->state == S_BODY_LENGTH || f->state == S_CHUNK_DATA)
			n = take_payload(f, len - i);
		else
			n = take_fast(f, p + i, len - i);
		if (n == 0) {
			if (step(f, (unsigned char)p[i]))
				return HTTP_FRAMING_REFUSED;
			n = 1;
		}
		i += n;
		f->pos += n;
		if (f->head_done || f->message_done)
			break;
	}
	return (ssize_t)i;
}
