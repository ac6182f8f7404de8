/*
 * Object-created notifications of the local S3: what the server reports when
 * an object comes into being (PutObject, CopyObject, CompleteMultipartUpload;
 * the local S3 has no browser POST upload), and the event document AWS sends
 * a subscribed Lambda function for it (event structure version 2.1, "Event
 * message structure" in the S3 user guide).
 *
 * The S3 room only reports and formats; who is subscribed, and invoking them,
 * is the orchestration's business (src/local/dev_notify.c), wired through
 * s3_server_on_created().
 */
#ifndef SLUICE_LOCAL_S3_NOTIFY_H
#define SLUICE_LOCAL_S3_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct s3_server;

/* One object created. Everything is borrowed for the duration of the callback. */
struct s3_created {
	const char *event_name; /* "ObjectCreated:Put", ":Copy", ":CompleteMultipartUpload" */
	const char *bucket;
	const char *key; /* as stored (not encoded); keys hold no NUL */
	size_t key_len;
	uint64_t size;
	const char *etag;	/* without quotes */
	const char *sequencer;	/* 16 uppercase hex digits, increasing per server */
	const char *request_id; /* the S3 request's x-amz-request-id */
	const char *source_ip;
	int64_t time_ms;
};

typedef void (*s3_created_fn)(void *ctx, const struct s3_created *ev);

/*
 * Call `fn` after every object the server creates, once the object is
 * committed and before the client's answer goes out. NULL `fn` stops the
 * calls. Implemented in s3_server.c.
 */
void s3_server_on_created(struct s3_server *srv, s3_created_fn fn, void *ctx);

/* The next sequencer of this process: 16 uppercase hex digits, never smaller than the last. */
void s3_notify_sequencer(char out[17]);

/*
 * Append the key as S3 puts it in an event: URL-encoded as a form value, a
 * space as '+', '/' kept, every byte but A-Z a-z 0-9 - _ . * / as %XX.
 */
void s3_notify_put_key(struct buf *out, const char *key, size_t len);

/*
 * Append the event document {"Records":[{...}]} for `ev`, as delivered to a
 * function subscribed with configuration `config_id` in region `region`
 * (eventVersion 2.1, eventSource aws:s3, bucket name, owner and ARN, object
 * key URL-encoded, size, eTag, sequencer). Sticky errors: check buf_error().
 */
void s3_notify_event(const struct s3_created *ev, const char *region, const char *config_id,
		     struct buf *out);

#endif
