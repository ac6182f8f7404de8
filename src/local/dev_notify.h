/*
 * S3 event notifications in `sluice dev`: which functions the template
 * subscribes to which buckets' object-created events, and their
 * asynchronous invocation when the local S3 creates an object.
 *
 * Subscriptions come from the template, as AWS would configure them:
 * - a function's `Events:` entry of Type S3 (SAM): Bucket (a !Ref to a
 *   bucket of the template), Events (one or a list: s3:ObjectCreated:*,
 *   s3:ObjectCreated:Put, ...), Filter.S3Key.Rules of prefix and suffix;
 * - a bucket's NotificationConfiguration.LambdaConfigurations: Event,
 *   Filter.S3Key.Rules, Function (a !GetAtt Fn.Arn or a function ARN).
 *
 * Delivery is Lambda's asynchronous invocation: the event (s3_notify.h) is
 * queued to the function's pool and the answer is not waited for by S3. A
 * function error, a timeout or a crash is retried twice, after one minute
 * and then two (Lambda's retry policy for asynchronous invocations;
 * SLUICE_DEV_ASYNC_RETRY_MS sets the first delay for tests, the second is
 * twice it). A throttled invocation (every worker busy, queue full) is
 * tried again every second for up to ten minutes (Lambda keeps such events
 * for six hours). Each outcome is logged: delivered, failed and retried,
 * given up.
 */
#ifndef SLUICE_LOCAL_DEV_NOTIFY_H
#define SLUICE_LOCAL_DEV_NOTIFY_H

#include "local/dev.h"

struct event_base;
struct pool;
struct s3_created;
struct dev_notify;

#define DEV_NOTIFY_RETRIES	     2
#define DEV_NOTIFY_RETRY_MS	     60000
#define DEV_NOTIFY_THROTTLE_RETRY_MS 1000
#define DEV_NOTIFY_THROTTLE_RETRIES  600
#define DEV_ENV_ASYNC_RETRY_MS	     "SLUICE_DEV_ASYNC_RETRY_MS"

/* The pool of function `id`, for a delivery (NULL when it has none). */
typedef struct pool *(*dev_notify_pool_fn)(void *ctx, const char *id);

int dev_notify_new(struct event_base *base, const char *region, dev_notify_pool_fn find,
		   void *find_ctx, struct dev_notify **out /* OUT */);

/*
 * Read the subscriptions of `app` (replacing the previous ones); what cannot
 * be read (a bucket that is not the template's) is logged and skipped.
 * 0 or ERR_NOMEM.
 */
int dev_notify_load(struct dev_notify *n, const struct dev_app *app);

/* The number of subscriptions loaded, for the banner. */
size_t dev_notify_count(const struct dev_notify *n);

/* The s3_created_fn for the local S3: deliver `ev` to every matching subscription. */
void dev_notify_created(void *n, const struct s3_created *ev);

/* Drop pending retries and free. Call after the pools are freed. NULL is a no-op. */
void dev_notify_free(struct dev_notify *n);

#endif
