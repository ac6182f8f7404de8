/*
 * The site's files into the local bucket: what scripts/deploy.sh does on
 * AWS, done by `sluice dev` at start and after each rebuild. Every regular
 * file under the content folder becomes the object of its relative path
 * (dot files and symbolic links are skipped), with the Content-Type of its
 * extension; a file whose MD5 is the object's ETag already is not written
 * again; HTML files go last, so that a page is never served before the
 * assets it names. Then `config_key` gets `config`, the document telling
 * the page where the API is. Old objects stay, as on AWS, where a browser
 * holding an old page may still ask for its assets.
 */
#ifndef SLUICE_LOCAL_WEB_PUBLISH_H
#define SLUICE_LOCAL_WEB_PUBLISH_H

#include <stddef.h>

#include "local/web/web_front.h"

#define WEB_PUBLISH_FILE_MAX  (64u << 20) /* one file of the site */
#define WEB_PUBLISH_MAX_FILES 10000	  /* files in the folder */
#define WEB_PUBLISH_DEPTH     16	  /* nested folders */

struct web_publish_stats {
	size_t written;	  /* objects put */
	size_t unchanged; /* files whose object was already the same */
};

/*
 * Publish folder `dir` into `bucket` through `origin`, then `config`
 * (`config_len` bytes of JSON) as `config_key` when both are given.
 * Returns 0; ERR_NOTFOUND when `dir` does not exist; ERR_TOOLARGE past the
 * limits above; ERR_IO; or what origin->put returned. `stats` may be NULL.
 */
int web_publish(const struct web_origin *origin, const char *bucket, const char *dir,
		const char *config_key, const char *config, size_t config_len,
		struct web_publish_stats *stats /* OUT */);

/* The Content-Type the site's files are uploaded with, by extension of `path`. */
const char *web_content_type(const char *path);

#endif
