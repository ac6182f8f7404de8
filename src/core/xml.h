/*
 * XML, the one way in and the one way out: a hardened reader over expat for
 * documents from the network (S3's answers in the client, request bodies in
 * the local S3 endpoint), and a writer of escaped text for everything we
 * send (S3 answers and errors, JUnit reports).
 *
 * The reader refuses what no AWS document needs and attacks do: a document
 * type declaration (and with it every entity expansion), nesting deeper than
 * the caller allows, element names past XML_NAME_MAX, text past the caller's
 * cap, documents past the caller's size. It hands each element to callbacks
 * with its path from the root, so a caller matches "Delete/Object/Key"
 * instead of keeping a stack of its own.
 *
 * The writer appends to a struct buf with its sticky error (buf.h): build the
 * whole answer, then check buf_error() once before sending it. Text that XML
 * 1.0 cannot carry at all (NUL and the other C0 controls but tab, LF and CR,
 * bytes that are not UTF-8) is replaced by U+FFFD, so that what we write is
 * always a document a client can parse.
 */
#ifndef SLUICE_CORE_XML_H
#define SLUICE_CORE_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/str.h"

#define XML_DECL      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define XML_DEPTH_MAX 16 /* the most any caller may allow */
#define XML_NAME_MAX  64 /* bytes of one element name, NUL included */

/* What one document may be. `max_depth` is at most XML_DEPTH_MAX. */
struct xml_limits {
	size_t max_doc;	 /* bytes of the whole document */
	size_t max_text; /* bytes of text directly inside one element */
	int max_depth;	 /* nesting; the root is depth 1 */
};

/* The reader's state as the callbacks see it: the path of open elements. */
struct xml_reader;

/*
 * Callbacks; either may be NULL. `open` sees an element start (attributes are
 * ignored: no AWS document we read needs them). `close` sees it end, with the
 * character data directly inside it (whitespace included; text of child
 * elements is not part of it). A non-zero return stops the parse and becomes
 * xml_read()'s result.
 */
struct xml_handler {
	int (*open)(void *ctx, const struct xml_reader *x, const char *name);
	int (*close)(void *ctx, const struct xml_reader *x, const char *name, struct str text);
};

/*
 * Parse the `len` bytes of `doc` (NULL allowed when `len` is 0) as one UTF-8
 * document. Returns 0, a callback's error, ERR_TOOLARGE when the document or
 * an element's text passes `lim`, ERR_NOMEM, or ERR_PARSE for everything else
 * (not well-formed, no root element, a DOCTYPE, too deep, a name too long).
 */
int xml_read(const char *doc, size_t len, const struct xml_limits *lim, const struct xml_handler *h,
	     void *ctx);

/* Depth of the current element in a callback (the root is 1). */
int xml_depth(const struct xml_reader *x);

/*
 * True when the open elements, root first, are exactly `path`, names joined
 * by '/' ("ListBucketResult/Contents/Key"). In `close`, the closing element
 * is still part of the path.
 */
bool xml_at(const struct xml_reader *x, const char *path);

/* True when the open elements start with `path` and go deeper than it. */
bool xml_under(const struct xml_reader *x, const char *path);

/*
 * Append `n` bytes of `s` as XML text, safe inside an element and inside a
 * double- or single-quoted attribute: & < > " ' escaped, CR as &#13; (so it
 * survives end-of-line normalisation), what XML 1.0 cannot hold as U+FFFD.
 */
void xml_text(struct buf *b, const char *s, size_t n);

/* "<tag>" and "</tag>"; `tag` is ours, never escaped. */
void xml_open(struct buf *b, const char *tag);
void xml_close(struct buf *b, const char *tag);

/* <tag>text</tag>, the text escaped by xml_text(). */
void xml_el(struct buf *b, const char *tag, const char *s, size_t n);
void xml_els(struct buf *b, const char *tag, const char *s);
void xml_elf(struct buf *b, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
