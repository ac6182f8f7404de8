/*
 * The local CloudFront front of `sluice dev` (--web-port, default 8080): an
 * evhttp server that answers as the template's distribution answers for its
 * S3 bucket (web_dist.h), reading objects through a `struct web_origin`
 * that the orchestration hands it, since a room of the local cloud never
 * reaches into another room (the S3 room owns the objects).
 *
 * Per request, in CloudFront's order: the method against AllowedMethods
 * (403, CloudFront's HTML error page); the viewer-request function's rule
 * (cf_function.h); the default root object for "/"; the object from the
 * origin (404 NoSuchKey in S3's XML, as CloudFront passes it on when the
 * distribution may list the bucket); If-None-Match and If-Modified-Since
 * (304); Range (206, 416); gzip or Brotli for compressible types of 1,000
 * to 10,000,000 bytes when the viewer accepts them and the behaviour
 * compresses (Content-Encoding, a weak ETag, Vary: Accept-Encoding); then
 * the response headers policy's headers on every answer, errors included,
 * with CloudFront's own (Via, X-Cache, X-Amz-Cf-Pop, X-Amz-Cf-Id).
 *
 * Objects are read on each request, so a new upload (a rebuilt site) shows
 * on the next one. The front runs on the caller's event_base.
 */
#ifndef SLUICE_LOCAL_WEB_FRONT_H
#define SLUICE_LOCAL_WEB_FRONT_H

#include <stdint.h>

#include "core/str.h"
#include "local/web/web_dist.h"

struct event_base;
struct web_front;

#define WEB_DEFAULT_PORT 8080
#define WEB_ETAG_MAX	 48 /* an S3 ETag without quotes, and the NUL */

/* One object as the origin describes it. */
struct web_object {
	uint64_t size;
	char etag[WEB_ETAG_MAX]; /* without quotes */
	char *content_type;	 /* owned; never NULL after a successful get */
	int64_t last_modified_ms;
};

/*
 * Access to the local buckets, provided by the orchestration (dev.c, over
 * the S3 room's store). Keys are raw bytes, not NUL-terminated.
 */
struct web_origin {
	void *ctx;
	/*
	 * Describe `key` of `bucket` into *obj, and when `fd` is not NULL open
	 * its bytes read-only into *fd (the caller closes it). Returns 0,
	 * ERR_NOTFOUND (no such key), ERR_CONFIG (no such bucket), ERR_IO.
	 * On success release *obj with web_object_release().
	 */
	int (*get)(void *ctx, const char *bucket, struct str key, struct web_object *obj, int *fd);
	/*
	 * Store `len` bytes as `key` of `bucket`, replacing any. Returns 0,
	 * ERR_CONFIG (no such bucket), ERR_INVAL (a key S3 refuses), ERR_IO.
	 */
	int (*put)(void *ctx, const char *bucket, struct str key, const char *content_type,
		   const void *data, size_t len);
};

/* Free what `o` owns; a zeroed `o` is fine. */
void web_object_release(struct web_object *o);

/*
 * Start the front on `base` at `address`:`port` (NULL: "127.0.0.1"; port 0:
 * ephemeral, see web_front_port()), serving nothing until
 * web_front_set_site(). `origin` is copied. Returns 0 and *out, ERR_INVAL,
 * ERR_IO (cannot listen), ERR_NOMEM.
 */
int web_front_new(struct event_base *base, const char *address, uint16_t port,
		  const struct web_origin *origin, struct web_front **out /* OUT */);

/*
 * Serve distribution `dist` from local bucket `bucket` (copied). The front
 * takes what `dist` holds (and zeroes it); the previous site is released.
 * A NULL `dist` serves nothing (503). Requests already answered are not
 * affected: answers are synchronous.
 */
int web_front_set_site(struct web_front *f, struct web_dist *dist, const char *bucket);

/* The port bound (after port 0), 0 for NULL. */
uint16_t web_front_port(const struct web_front *f);

/* Stop listening and free. NULL is fine. */
void web_front_free(struct web_front *f);

#endif
