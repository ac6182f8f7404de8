/*
 * Reading one S3 object from start to end with ranged GETs, several in
 * flight, in constant memory: the import function streams files of any size
 * through it.
 *
 * The object is cut into chunks of `chunk_size` bytes. `in_flight` worker
 * threads, each with its own connection (aws/request.h), fetch the next
 * chunks (GET with Range: bytes=a-b and If-Match: <ETag>, signed with SigV4,
 * retried as the S3 client retries) into as many slots; the reader hands the
 * chunks out in order, and a slot is filled again only once the caller is
 * done with the chunk it held. Memory is in_flight x chunk_size, whatever
 * the object's size. The ETag pins the version read: an object replaced
 * while it is read fails with ERR_PRECONDITION rather than mixing two files.
 *
 * Not thread-safe itself: one caller at a time calls s3_reader_next().
 */
#ifndef SLUICE_AWS_S3_READER_H
#define SLUICE_AWS_S3_READER_H

#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"

#define S3_READER_DEFAULT_CHUNK	    ((size_t)4 << 20)
#define S3_READER_DEFAULT_IN_FLIGHT 4
#define S3_READER_MAX_IN_FLIGHT	    16

struct s3_reader;

struct s3_reader_options {
	size_t chunk_size;   /* 0: S3_READER_DEFAULT_CHUNK */
	int in_flight;	     /* 0: S3_READER_DEFAULT_IN_FLIGHT */
	uint64_t offset;     /* where to start reading (a checkpoint) */
	int64_t deadline_ms; /* epoch ms; 0: none */
};

/*
 * HEAD the object for its size and ETag, then start the workers. Returns 0
 * and `*out`, ERR_NOTFOUND (no such object or bucket), ERR_INVAL (offset past
 * the end), ERR_CONFIG (no credentials), or the S3 client's codes.
 */
int s3_reader_open(const struct aws_config *cfg, const char *bucket, const char *key,
		   const struct s3_reader_options *o, struct s3_reader **out /* OUT */);

/* The object's size and ETag (quotes included), from the HEAD. */
uint64_t s3_reader_size(const struct s3_reader *r);
const char *s3_reader_etag(const struct s3_reader *r);

/*
 * The next chunk, in order: `*data` and `*len` stay valid until the next
 * call. Returns 0 with `*len` 0 at the end; else an error of the GET after
 * its retries (ERR_PRECONDITION: the object changed; ERR_TIMEOUT: the
 * deadline passed; ERR_HTTP, ERR_REMOTE, ERR_THROTTLED), and the same error
 * on every later call.
 */
int s3_reader_next(struct s3_reader *r, const char **data /* OUT */, size_t *len /* OUT */);

/* Stop the workers (a transfer under way is abandoned) and free. NULL is a no-op. */
void s3_reader_close(struct s3_reader *r);

#endif
