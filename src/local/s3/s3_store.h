/*
 * The on-disk object store behind the local S3 endpoint.
 *
 * Layout under the store root (<data dir>/s3):
 *   <bucket>/o-<sha256 hex of key>.json        the object's metadata sidecar
 *                                              (key, size, ETag, checksum...)
 *   <bucket>/o-<16 random hex>.data            the object's bytes (older stores:
 *                                              o-<sha256 hex of key>-<rand>.data)
 *   <bucket>/.tmp-XXXXXX                       sidecars being written
 *   <bucket>/.uploads/<upload id>/upload.json  a multipart upload
 *   <bucket>/.uploads/<upload id>/<n>.part     its parts
 * Files are named from the key's hash or at random, so no key (with "/",
 * "..", unicode) can name a path outside its bucket directory. An object's
 * bytes go to a fresh data file that nothing names yet; its sidecar goes to
 * a temporary file that is then rename()d over the old one. That rename is
 * the commit point, so a kill leaves the old or the new object, never half
 * of one. With s3_store_set_fsync() files and directories are also fsync'd
 * before a write returns, for a power loss. Data files no sidecar names, and
 * temporary files, are removed when the store is opened.
 *
 * Each bucket keeps an in-memory index of its objects sorted by key bytes
 * (memcmp, shorter first on a tie), as S3 lists them; it is loaded at open.
 * Nothing here is thread-safe: the endpoint uses it from one event loop.
 */
#ifndef SLUICE_LOCAL_S3_STORE_H
#define SLUICE_LOCAL_S3_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/checksum.h"
#include "core/str.h"

#define S3_MAX_KEY_LEN	 ((size_t)1024) /* bytes of UTF-8, as S3 */
#define S3_MAX_BUCKETS	 1000		/* per store */
#define S3_MAX_SIDECAR	 (256u << 10)	/* bytes of one metadata sidecar */
#define S3_MAX_PARTS	 10000		/* part numbers 1..10000, as S3 */
#define S3_UPLOAD_ID_LEN 32		/* hex digits */
#define S3_ETAG_MAX	 48		/* "<32 hex>-<up to 5 digits>" and the NUL */

struct s3_store;
struct s3_bucket;

/* Text of a stored checksum: base64 of up to 32 bytes, then "-<parts>" for a composite one. */
#define S3_CHECKSUM_TEXT_MAX (CHECKSUM_B64_MAX + 8)

/*
 * An object's checksum as S3 reports it (x-amz-checksum-<alg> and
 * x-amz-checksum-type): FULL_OBJECT, the checksum of the object's bytes, or,
 * for a multipart upload, COMPOSITE: the checksum of the parts' checksums
 * (their bytes concatenated) followed by "-<number of parts>".
 */
struct s3_checksum {
	enum checksum_alg alg; /* CHECKSUM_NONE: none (objects stored before checksums were) */
	bool composite;
	char value[S3_CHECKSUM_TEXT_MAX]; /* NUL-terminated */
};

/*
 * Fill `out` from `text`, a checksum of `alg` as S3 writes it: "<base64>"
 * (FULL_OBJECT) or "<base64>-<1..10000>" (COMPOSITE). Returns false, with
 * `out` zeroed, when `alg` is CHECKSUM_NONE or the text is malformed.
 */
bool s3_checksum_from_text(enum checksum_alg alg, struct str text,
			   struct s3_checksum *out /* OUT */);

/* One stored object. Owned by its bucket's index; read-only for callers. */
struct s3_object {
	char *key; /* NUL-terminated (keys hold no NUL) */
	size_t key_len;
	uint64_t size;
	char etag[S3_ETAG_MAX]; /* without quotes */
	char *content_type;	/* never NULL */
	json_t *meta;		/* object: user metadata name (lowercase) -> string */
	int64_t last_modified_ms;
	char *data_name; /* file name of the bytes in the bucket directory */
	struct s3_checksum checksum;
};

/*
 * Open (creating it when missing) the store rooted at `root` and load every
 * bucket directory in it. Returns 0 and *out, ERR_INVAL (NULL), ERR_IO or
 * ERR_NOMEM. Malformed sidecars are skipped with a warning in the log.
 */
int s3_store_open(const char *root, struct s3_store **out /* OUT */);

/*
 * fsync each written file and its directory before a write returns (on), or
 * rely on rename() alone (off, the default after open): atomic for a killed
 * process, not durable across a power loss. NULL is a no-op.
 */
void s3_store_set_fsync(struct s3_store *st, bool on);

/* Free the in-memory state (the files stay). NULL is a no-op. */
void s3_store_close(struct s3_store *st);

/*
 * True when `name` is a bucket name S3 accepts: 3-63 of [a-z0-9.-], starting
 * and ending with a letter or digit, no "..", ".-" or "-.", not an IPv4
 * address, no "xn--" prefix or "-s3alias" suffix.
 */
bool s3_bucket_name_valid(struct str name);

/*
 * Create bucket `name`. Returns 0, ERR_INVAL (bad name), ERR_EXISTS,
 * ERR_TOOLARGE (S3_MAX_BUCKETS reached), ERR_IO or ERR_NOMEM.
 */
int s3_store_create_bucket(struct s3_store *st, struct str name);

/*
 * Delete the empty bucket `name` (and its unfinished uploads). Returns 0,
 * ERR_NOTFOUND, ERR_PRECONDITION (objects remain) or ERR_IO.
 */
int s3_store_delete_bucket(struct s3_store *st, struct str name);

/* The bucket named `name`, or NULL. */
struct s3_bucket *s3_store_bucket(struct s3_store *st, struct str name);

/* Buckets in name order: count, the i-th, and a bucket's name and creation time. */
size_t s3_store_n_buckets(const struct s3_store *st);
struct s3_bucket *s3_store_bucket_at(struct s3_store *st, size_t i);
const char *s3_bucket_name(const struct s3_bucket *b);
int64_t s3_bucket_created_ms(const struct s3_bucket *b);

/* Objects of `b` in key order: count, the i-th, the first index whose key is >= `key`. */
size_t s3_bucket_count(const struct s3_bucket *b);
const struct s3_object *s3_bucket_at(const struct s3_bucket *b, size_t i);
size_t s3_bucket_lower_bound(const struct s3_bucket *b, struct str key);

/* The object with exactly `key`, or NULL. */
const struct s3_object *s3_bucket_find(const struct s3_bucket *b, struct str key);

/* Open the object's bytes read-only; *fd is the caller's to close. 0 or ERR_IO. */
int s3_object_open(const struct s3_bucket *b, const struct s3_object *obj, int *fd /* OUT */);

/* Remove the object. Returns 0, ERR_NOTFOUND or ERR_IO. */
int s3_bucket_delete_object(struct s3_bucket *b, struct str key);

/*
 * A write in progress: bytes go to a fresh data file in the bucket directory
 * (o-<16 random hex>.data, an orphan until a sidecar names it) while their
 * MD5 and their checksum are computed. Begin, write any number of times,
 * optionally end (to verify the digests before anything is committed), then
 * commit (as an object or as a part) or abort. Abort after a failed commit
 * is harmless; abort after a successful one is a no-op.
 *
 * The checksum is CRC-64/NVME unless s3_writer_use() chose another before
 * the first byte: S3 gives every object uploaded without a checksum a
 * CRC64NVME one, and that is what the commit stores unless the caller sets
 * w->checksum after s3_writer_end().
 */
struct s3_writer {
	struct s3_bucket *bucket;
	int fd;
	char tmp_path[4096];
	uint64_t size;
	void *md5;		     /* EVP_MD_CTX until s3_writer_end() */
	char md5_hex[33];	     /* set by s3_writer_end() (a commit ends the write) */
	struct checksum sum;	     /* of the bytes written */
	struct s3_checksum checksum; /* set by s3_writer_end(): `sum`, FULL_OBJECT */
	bool ended;
};

/* Returns 0, ERR_TOOLARGE (path), ERR_IO or ERR_NOMEM; on failure `w` needs no abort. */
int s3_writer_begin(struct s3_bucket *b, struct s3_writer *w /* OUT */);

/*
 * Compute the checksum of `alg` (CHECKSUM_NONE: none) instead of CRC-64/NVME.
 * Returns 0, ERR_INVAL (bytes were written already) or ERR_NOMEM.
 */
int s3_writer_use(struct s3_writer *w, enum checksum_alg alg);

/* Append bytes. Returns 0, ERR_INVAL (ended) or ERR_IO (disk full...). */
int s3_writer_write(struct s3_writer *w, const void *data, size_t len);

/*
 * No more bytes: finish the digests into w->md5_hex and w->checksum.
 * Calling it again does nothing. Returns 0, ERR_INVAL (not open) or ERR_NOMEM.
 */
int s3_writer_end(struct s3_writer *w);

/*
 * Make the written bytes object `key` (replacing any), with `content_type`
 * (NULL: "binary/octet-stream"), user metadata `meta` (a JSON object of
 * strings, borrowed; NULL for none), `etag` (NULL: the MD5 hex of the
 * bytes) and w->checksum. On success *out (may be NULL) points at the indexed object.
 * Returns 0, ERR_INVAL (key empty, too long, not UTF-8 or holding NUL),
 * ERR_IO or ERR_NOMEM.
 */
int s3_writer_commit(struct s3_writer *w, struct str key, const char *content_type,
		     const json_t *meta, const char *etag, const struct s3_object **out /* OUT */);

/* Drop the temporary file. */
void s3_writer_abort(struct s3_writer *w);

/* A multipart upload as read back from disk. */
struct s3_upload {
	char *key;
	size_t key_len;
	char *content_type;
	json_t *meta;
	int64_t initiated_ms;
	enum checksum_alg alg; /* x-amz-checksum-algorithm at its creation, CHECKSUM_NONE */
	bool composite;	       /* its checksum type: COMPOSITE, else FULL_OBJECT */
};

/* One uploaded part. */
struct s3_part {
	int number;
	uint64_t size;
	char etag[33]; /* MD5 hex without quotes */
	int64_t last_modified_ms;
	uint8_t sum[CHECKSUM_MAX_LEN]; /* its checksum, of the algorithm s3_upload_parts() was given
					*/
};

/*
 * Start a multipart upload of `key`, whose object gets a checksum of `alg`
 * (CHECKSUM_NONE when none was asked for), `composite` or full-object; `id`
 * receives its id (32 hex digits and a NUL). Returns 0, ERR_INVAL (bad key
 * or algorithm), ERR_IO or ERR_NOMEM.
 */
int s3_upload_create(struct s3_bucket *b, struct str key, const char *content_type,
		     const json_t *meta, enum checksum_alg alg, bool composite,
		     char id[S3_UPLOAD_ID_LEN + 1] /* OUT */);

/* Read upload `id`. Returns 0, ERR_NOTFOUND (unknown or malformed id), ERR_IO. */
int s3_upload_get(struct s3_bucket *b, struct str id, struct s3_upload *out /* OUT */);
void s3_upload_release(struct s3_upload *u);

/*
 * Make what `w` holds part `number` (1..S3_MAX_PARTS) of upload `id`,
 * replacing a previous one. w->md5_hex is the part's ETag afterwards.
 * Returns 0, ERR_NOTFOUND (no such upload), ERR_INVAL, ERR_IO.
 */
int s3_writer_commit_part(struct s3_writer *w, struct str id, int number);

/*
 * The parts of upload `id` in number order, each with its MD5 and its
 * checksum of `alg` (CHECKSUM_NONE: none), read from the part files; *parts
 * is the caller's to free(). Returns 0, ERR_NOTFOUND, ERR_IO, ERR_NOMEM.
 */
int s3_upload_parts(struct s3_bucket *b, struct str id, enum checksum_alg alg,
		    struct s3_part **parts /* OUT */, size_t *n /* OUT */);

/*
 * Concatenate parts `numbers[0..n)` (which the caller has checked exist, in
 * order) into the object of the upload's key, with ETag `etag` and checksum
 * `sum` (computed by the caller from the parts; NULL: none), then remove the
 * upload. Returns 0, ERR_NOTFOUND, ERR_IO, ERR_NOMEM.
 */
int s3_upload_complete(struct s3_bucket *b, struct str id, const int *numbers, size_t n,
		       const char *etag, const struct s3_checksum *sum,
		       const struct s3_object **out /* OUT */);

/* Remove upload `id` and its parts. Returns 0, ERR_NOTFOUND or ERR_IO. */
int s3_upload_abort(struct s3_bucket *b, struct str id);

#endif
