/*
 * The Runtime API's answers off the wire (rt_wire.h): a strict response-head
 * parser and the reader that frames one response in a buffer. The reader
 * finds the head's end with memmem over the bytes not yet searched, so a head
 * split into single bytes costs no more than one in a piece, then parses the
 * head once; a body of known length is read straight into its place in one
 * buffer grown once to its size.
 */
#include "core/common.h"

#include "core/str.h"
#include "lambda/rt_wire.h"

#define RT_WIRE_LENGTH_DIGITS_MAX 19 /* < 10^19: no uint64_t overflow */
#define RT_WIRE_STATUS_LINE_MIN	  12 /* "HTTP/1.1 200" */

static const struct str field_names[RT_WIRE_FIELDS] = {
	[RT_WIRE_REQUEST_ID] = STR_LIT("Lambda-Runtime-Aws-Request-Id"),
	[RT_WIRE_DEADLINE] = STR_LIT("Lambda-Runtime-Deadline-Ms"),
	[RT_WIRE_FUNCTION_ARN] = STR_LIT("Lambda-Runtime-Invoked-Function-Arn"),
	[RT_WIRE_TRACE_ID] = STR_LIT("Lambda-Runtime-Trace-Id"),
	[RT_WIRE_CLIENT_CONTEXT] = STR_LIT("Lambda-Runtime-Client-Context"),
	[RT_WIRE_COGNITO_IDENTITY] = STR_LIT("Lambda-Runtime-Cognito-Identity"),
};

/* Field names compare by length first: most fields of an answer are none of ours. */
static bool name_is(struct str name, struct str want)
{
	return name.len == want.len && !strncasecmp(name.ptr, want.ptr, want.len);
}

/*
 * The offset just past the first CRLF CRLF at or after `from` in `p[0..n)`,
 * or 0. memchr per line beats memmem's general search on heads of ~10 lines.
 */
static size_t head_end(const char *p, size_t from, size_t n)
{
	const char *lf;

	from = MAX(from, (size_t)3);
	while (from < n && (lf = memchr(p + from, '\n', n - from))) {
		size_t i = (size_t)(lf - p);

		if (p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
			return i + 1;
		from = i + 1;
	}
	return 0;
}

/*
 * RFC 9110 5.6.2: tchar, as a bitmap of the 128 ASCII codes: ALPHA, DIGIT
 * and !#$%&'*+-.^_`|~ (a lookup, not a strchr per byte of every name).
 */
#define RT_WIRE_TCHAR_LO 0x03ff6cfa00000000ull /* codes 0-63 */
#define RT_WIRE_TCHAR_HI 0x57ffffffc7fffffeull /* codes 64-127 */

static bool is_tchar(unsigned char c)
{
	return c < 64 ? (RT_WIRE_TCHAR_LO >> c) & 1 : c < 128 && (RT_WIRE_TCHAR_HI >> (c - 64)) & 1;
}

/* RFC 9110 5.5: field-vchar, SP or HTAB (obs-text included). */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" (`line` without its CRLF). */
static bool parse_status_line(struct str line, struct rt_wire_head *h)
{
	const char *p = line.ptr;
	size_t i;

	if (line.len < RT_WIRE_STATUS_LINE_MIN || memcmp(p, "HTTP/1.", 7) ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ' || !is_digit(p[9]) || !is_digit(p[10]) ||
	    !is_digit(p[11]))
		return false;
	h->minor = p[7] - '0';
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (h->status < 100 || h->status > 599)
		return false;
	if (line.len == RT_WIRE_STATUS_LINE_MIN)
		return true;
	if (p[RT_WIRE_STATUS_LINE_MIN] != ' ')
		return false;
	for (i = RT_WIRE_STATUS_LINE_MIN + 1; i < line.len; i++)
		if (!is_value_char((unsigned char)p[i]))
			return false;
	return true;
}

static bool parse_length(struct str v, struct rt_wire_head *h)
{
	uint64_t n = 0;
	size_t i;

	if (!v.len || v.len > RT_WIRE_LENGTH_DIGITS_MAX)
		return false;
	for (i = 0; i < v.len; i++) {
		if (!is_digit(v.ptr[i]))
			return false;
		n = n * 10 + (uint64_t)(v.ptr[i] - '0');
	}
	if (h->has_length && h->content_length != n)
		return false;
	h->has_length = true;
	h->content_length = n;
	return true;
}

/* Connection: a list of tokens (RFC 9110 7.6.1); we look for close and keep-alive. */
static void parse_connection(struct str v, bool *close, bool *keep_alive)
{
	struct str rest = v, tok;
	bool more = true;

	while (more) {
		rest = str_split(rest, ',', &tok, &more);
		tok = str_trim(tok);
		if (str_ieq_cstr(tok, "close"))
			*close = true;
		else if (str_ieq_cstr(tok, "keep-alive"))
			*keep_alive = true;
	}
}

/* One field line (without CRLF) at offset `off` of the head. */
static bool parse_field(size_t off, struct str line, struct rt_wire_head *h, bool *keep_alive)
{
	size_t i = 0, vs, ve;
	struct str name, value;
	int f;

	while (i < line.len && is_tchar((unsigned char)line.ptr[i]))
		i++;
	if (!i || i == line.len || line.ptr[i] != ':')
		return false; /* no name, or a space before the colon (5.1), or no colon */
	name = str_make(line.ptr, i);
	for (vs = i + 1; vs < line.len && (line.ptr[vs] == ' ' || line.ptr[vs] == '\t'); vs++)
		;
	for (ve = line.len; ve > vs && (line.ptr[ve - 1] == ' ' || line.ptr[ve - 1] == '\t'); ve--)
		;
	for (i = vs; i < ve; i++)
		if (!is_value_char((unsigned char)line.ptr[i]))
			return false;
	value = str_make(line.ptr + vs, ve - vs);
	if (name_is(name, STR_LIT("Content-Length")))
		return parse_length(value, h);
	if (name_is(name, STR_LIT("Transfer-Encoding")))
		return false;
	if (name_is(name, STR_LIT("Connection"))) {
		parse_connection(value, &h->close, keep_alive);
		return true;
	}
	if (name.len < sizeof("Lambda-Runtime-") - 1 || (name.ptr[0] | 0x20) != 'l')
		return true;
	for (f = 0; f < RT_WIRE_FIELDS; f++) {
		if (name_is(name, field_names[f])) {
			if (h->present[f])
				h->duplicate = true;
			h->present[f] = true;
			h->field[f] = (struct rt_wire_span){off + vs, value.len};
			break;
		}
	}
	return true;
}

/* Parse the lines of a complete head of `len` bytes (it ends in CRLF CRLF). */
static bool parse_lines(const char *p, size_t len, struct rt_wire_head *h)
{
	bool keep_alive = false, first = true;
	size_t at = 0;

	memset(h, 0, sizeof(*h));
	while (at < len - 2) {
		const char *lf = memchr(p + at, '\n', len - at);
		size_t end = (size_t)(lf - p); /* a LF is there: the head ends in one */
		struct str line;

		if (end == at || p[end - 1] != '\r')
			return false; /* a bare LF */
		line = str_make(p + at, end - 1 - at);
		if (memchr(line.ptr, '\r', line.len))
			return false; /* a bare CR */
		if (first ? !parse_status_line(line, h)
			  : (line.len && (line.ptr[0] == ' ' || line.ptr[0] == '\t')) ||
				    !parse_field(at, line, h, &keep_alive))
			return false; /* obs-fold is refused with the rest */
		first = false;
		at = end + 1;
	}
	if (h->minor == 0 && !keep_alive)
		h->close = true;
	return !first;
}

ssize_t rt_wire_parse_head(const char *p, size_t len, struct rt_wire_head *out)
{
	size_t n = head_end(p, 0, MIN(len, RT_WIRE_HEAD_MAX));

	if (!n)
		return len >= RT_WIRE_HEAD_MAX ? RT_WIRE_MALFORMED : RT_WIRE_INCOMPLETE;
	return parse_lines(p, n, out) ? (ssize_t)n : RT_WIRE_MALFORMED;
}

void rt_wire_reader_init(struct rt_wire_reader *r, struct buf *in, size_t body_max)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->body_max = body_max;
	buf_reset(in);
}

/* Keep what the bytes after the head hold of the body; the rest is extra or drained. */
static void take_body_start(struct rt_wire_reader *r)
{
	size_t after = r->in->len - r->head_len;

	if (!r->until_close && after > r->body_left) {
		r->extra = true;
		after = (size_t)r->body_left;
	}
	if (after > r->body_max) {
		r->truncated = true;
		r->body_len = r->body_max;
	} else {
		r->body_len = after;
	}
	if (!r->until_close)
		r->body_left -= after;
	r->in->len = r->head_len + r->body_len;
	r->in->ptr[r->in->len] = '\0';
	if (!r->until_close && !r->body_left)
		r->done = true;
}

/* A head has been found: frame the body (RFC 9112 6.3), or skip an interim answer. */
static int on_head(struct rt_wire_reader *r, size_t head_len)
{
	struct rt_wire_head *h = &r->head;

	if (h->status == 101)
		return ERR_PARSE; /* we never ask to switch protocols */
	if (h->status < 200) {
		/* 1xx: no body; the real answer follows (RFC 9110 15.2). */
		memmove(r->in->ptr, r->in->ptr + head_len, r->in->len - head_len);
		r->in->len -= head_len;
		r->in->ptr[r->in->len] = '\0';
		r->scanned = 0;
		return 0;
	}
	r->head_len = head_len;
	if (h->status == 204 || h->status == 304)
		r->body_left = 0;
	else if (h->has_length)
		r->body_left = h->content_length;
	else
		r->until_close = true;
	if (r->body_left > r->body_max)
		r->truncated = true;
	take_body_start(r);
	return 0;
}

static int find_head(struct rt_wire_reader *r)
{
	for (;;) {
		size_t n = MIN(r->in->len, RT_WIRE_HEAD_MAX);
		size_t end = head_end(r->in->ptr, r->scanned, n);
		ssize_t head_len;
		int err;

		r->scanned = n;
		if (!end)
			return r->in->len >= RT_WIRE_HEAD_MAX ? ERR_PARSE : 0;
		head_len = rt_wire_parse_head(r->in->ptr, end, &r->head);
		if (head_len < 0)
			return ERR_PARSE;
		err = on_head(r, (size_t)head_len);
		if (err || r->head_len)
			return err;
	}
}

int rt_wire_reader_space(struct rt_wire_reader *r, char **at, size_t *room, bool *exact)
{
	struct buf *in = r->in;
	size_t want;
	int err;

	*exact = false;
	if (!r->head_len || r->until_close) {
		want = RT_WIRE_READ_CHUNK;
	} else if (!r->truncated) {
		want = (size_t)r->body_left; /* all of it, in one buffer grown once */
		*exact = true;
	} else {
		/* Past body_max: read in chunks right after the kept bytes, and drop them. */
		want = (size_t)MIN(r->body_left, (uint64_t)RT_WIRE_READ_CHUNK);
		*exact = true;
	}
	err = buf_grow(in, want);
	if (err)
		return err;
	*at = in->ptr + in->len;
	*room = in->alloc - in->len - 1;
	if (r->head_len && !r->until_close)
		*room = (size_t)MIN((uint64_t)*room, r->body_left);
	return 0;
}

int rt_wire_reader_got(struct rt_wire_reader *r, size_t n)
{
	size_t keep;

	r->received += n;
	if (!r->head_len) {
		r->in->len += n;
		r->in->ptr[r->in->len] = '\0';
		return find_head(r);
	}
	if (!r->until_close)
		r->body_left -= n;
	keep = r->body_len >= r->body_max ? 0 : MIN(n, r->body_max - r->body_len);
	if (keep < n)
		r->truncated = true;
	r->body_len += keep;
	r->in->len += keep;
	r->in->ptr[r->in->len] = '\0';
	if (!r->until_close && !r->body_left)
		r->done = true;
	return 0;
}

int rt_wire_reader_eof(struct rt_wire_reader *r)
{
	if (!r->head_len || !r->until_close)
		return ERR_HTTP;
	r->done = true;
	return 0;
}
