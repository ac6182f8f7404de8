/*
 * One file served over HTTP on 127.0.0.1, the way a CDN serves it: for
 * `sluice dev --vendor-list FILE`, the local copy of the IAB Global Vendor
 * List that the preferences function fetches offline (it fetches the real
 * one from vendor-list.consensu.org on AWS).
 *
 * GET and HEAD of the file's path answer 200 with Content-Type
 * application/json, Cache-Control: max-age=<max_age>, an ETag (a SHA-256
 * prefix of the content) and Last-Modified (the file's mtime); a request
 * whose If-None-Match names the ETag, or whose If-Modified-Since is not
 * older than the file, gets 304. The file is read again when it changes, so
 * editing it is seen at the next revalidation. Any other path is 404.
 */
#ifndef SLUICE_LOCAL_STATIC_FILE_H
#define SLUICE_LOCAL_STATIC_FILE_H

#include <stdint.h>

struct event_base;
struct static_file;

/* The largest file served (the real vendor list is about 1 MB). */
#define STATIC_FILE_MAX ((size_t)16 << 20)

/*
 * Serve `path` (copied) at URL path `url_path` ("/v3/vendor-list.json") on
 * 127.0.0.1:`port` (0: a free one), with max-age `max_age` seconds. Returns
 * 0 and `*out`, or ERR_NOTFOUND (no such file), ERR_IO (cannot bind),
 * ERR_NOMEM.
 */
int static_file_new(struct event_base *base, const char *path, const char *url_path, uint16_t port,
		    long max_age, struct static_file **out /* OUT */);

/* The URL it serves, "http://127.0.0.1:<port><url_path>". */
const char *static_file_url(const struct static_file *s);

/* Stop serving and free. NULL is a no-op. */
void static_file_free(struct static_file *s);

#endif
