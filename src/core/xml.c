/*
 * The reader and writer of xml.h. expat streams the document through three
 * handlers; the path of open elements lives in a fixed array (no allocation
 * per element) and the text of the innermost element in one capped buffer
 * that is emptied at every tag. XML_StopParser() lets expat finish the
 * current event, so every handler first checks whether the parse already
 * failed.
 */
#include "core/common.h"

#include <expat.h>

#include "core/enc.h"
#include "core/xml.h"

struct xml_reader {
	XML_Parser parser;
	const struct xml_limits *lim;
	const struct xml_handler *h;
	void *ctx;
	int depth;
	char names[XML_DEPTH_MAX][XML_NAME_MAX];
	struct buf text;
	int err;
	bool saw_root;
};

static void stop(struct xml_reader *x, int err)
{
	if (!x->err)
		x->err = err;
	XML_StopParser(x->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_reader *x = ud;
	size_t n = strlen(name);
	int err;

	if (x->err)
		return;
	if (x->depth >= x->lim->max_depth || n >= XML_NAME_MAX) {
		stop(x, ERR_PARSE);
		return;
	}
	memcpy(x->names[x->depth], name, n + 1);
	x->depth++;
	x->saw_root = true;
	buf_reset(&x->text);
	if (x->h->open && (err = x->h->open(x->ctx, x, name)))
		stop(x, err);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_reader *x = ud;
	int err;

	if (x->err || x->depth == 0)
		return;
	if (x->h->close &&
	    (err = x->h->close(x->ctx, x, name, str_make(x->text.ptr, x->text.len)))) {
		stop(x, err);
		return;
	}
	x->depth--;
	buf_reset(&x->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_reader *x = ud;
	int err;

	if (x->err)
		return;
	if ((err = buf_add(&x->text, s, (size_t)len)))
		stop(x, err);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	stop(ud, ERR_PARSE);
}

int xml_read(const char *doc, size_t len, const struct xml_limits *lim, const struct xml_handler *h,
	     void *ctx)
{
	struct xml_reader x = {.lim = lim, .h = h, .ctx = ctx};
	int err = 0;

	if (len > lim->max_doc || len > INT_MAX)
		return ERR_TOOLARGE;
	if (lim->max_depth > XML_DEPTH_MAX || lim->max_depth < 1)
		return ERR_INVAL;
	x.parser = XML_ParserCreate("UTF-8");
	if (!x.parser)
		return ERR_NOMEM;
	buf_init(&x.text, lim->max_text);
	XML_SetUserData(x.parser, &x);
	XML_SetElementHandler(x.parser, on_start, on_end);
	XML_SetCharacterDataHandler(x.parser, on_text);
	XML_SetStartDoctypeDeclHandler(x.parser, on_doctype);
	if (XML_Parse(x.parser, doc ? doc : "", (int)len, XML_TRUE) != XML_STATUS_OK)
		err = x.err ? x.err : ERR_PARSE;
	else if (x.err)
		err = x.err;
	else if (!x.saw_root)
		err = ERR_PARSE;
	XML_ParserFree(x.parser);
	buf_release(&x.text);
	return err;
}

int xml_depth(const struct xml_reader *x)
{
	return x->depth;
}

/* Whether `path` names the first elements of the open path, and how many. */
static bool path_prefix(const struct xml_reader *x, const char *path, int *matched)
{
	int i = 0;

	for (;;) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);

		if (i >= x->depth || strlen(x->names[i]) != n || memcmp(x->names[i], path, n))
			return false;
		i++;
		if (!slash) {
			*matched = i;
			return true;
		}
		path = slash + 1;
	}
}

bool xml_at(const struct xml_reader *x, const char *path)
{
	int n;

	return path_prefix(x, path, &n) && n == x->depth;
}

bool xml_under(const struct xml_reader *x, const char *path)
{
	int n;

	return path_prefix(x, path, &n) && n < x->depth;
}

/* ---- writing ---- */

/* Length of the UTF-8 sequence at `s` if XML 1.0 can carry it (not U+FFFE/U+FFFF), else 0. */
static size_t xml_char(const char *s, size_t n)
{
	uint32_t cp = 0;
	size_t len = utf8_decode(s, n, &cp);

	return cp == 0xfffe || cp == 0xffff ? 0 : len;
}

void xml_text(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		const char *rep = NULL;
		size_t len = xml_char(s + i, n - i);

		if (len == 1) {
			switch (u[i]) {
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '"':
				rep = "&quot;";
				break;
			case '\'':
				rep = "&apos;";
				break;
			case '\r':
				rep = "&#13;";
				break;
			case '\t':
			case '\n':
				break;
			default:
				if (u[i] < 0x20)
					rep = "\xef\xbf\xbd";
			}
		} else if (len == 0) {
			rep = "\xef\xbf\xbd";
			len = 1;
		}
		if (rep) {
			buf_put(b, s + run, i - run);
			buf_puts(b, rep);
			run = i + len;
		}
		i += len;
	}
	buf_put(b, s + run, n - run);
}

void xml_open(struct buf *b, const char *tag)
{
	buf_putc(b, '<');
	buf_puts(b, tag);
	buf_putc(b, '>');
}

void xml_close(struct buf *b, const char *tag)
{
	buf_puts(b, "</");
	buf_puts(b, tag);
	buf_putc(b, '>');
}

void xml_el(struct buf *b, const char *tag, const char *s, size_t n)
{
	xml_open(b, tag);
	xml_text(b, s, n);
	xml_close(b, tag);
}

void xml_els(struct buf *b, const char *tag, const char *s)
{
	xml_el(b, tag, s, strlen(s));
}

void xml_elf(struct buf *b, const char *tag, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf_set_error(b, ERR_INVAL);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		xml_el(b, tag, small, (size_t)n);
		return;
	}
	struct buf t;
	buf_init(&t, (size_t)n);
	va_start(ap, fmt);
	(void)!buf_vaddf(&t, fmt, ap);
	va_end(ap);
	if (buf_error(&t))
		buf_set_error(b, buf_error(&t));
	else
		xml_el(b, tag, t.ptr, t.len);
	buf_release(&t);
}
