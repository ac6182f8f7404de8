/*
 * The objects store over S3 (aws/s3.h): a thin adapter from struct
 * objects_store to the S3 client. Its only logic is translating S3's answers
 * into the store's codes and logging what S3 said when it refused, so that
 * the 502 a client sees can be traced to an S3 request id.
 */
#include "core/common.h"

#include "app/objects_store.h"
#include "aws/s3.h"
#include "core/log.h"

/* Log an S3 failure with what S3 said (never the key's content, never credentials). */
static int s3_failed(const char *op, int err, const struct s3_error *e)
{
	if (err == ERR_NOTFOUND || err == ERR_PRECONDITION)
		return err; /* answers, not failures */
	log_emit(err == ERR_THROTTLED ? LVL_WARN : LVL_ERROR, "S3 request failed",
		 json_pack("{s:s,s:s,s:i,s:s,s:s}", "operation", op, "error", err_name(err),
			   "s3Status", e->status, "s3Code", e->code, "s3RequestId", e->request_id));
	return err;
}

static void copy_meta(struct objects_meta *meta, const struct s3_object_info *info)
{
	snprintf(meta->content_type, sizeof(meta->content_type), "%s", info->content_type);
	snprintf(meta->etag, sizeof(meta->etag), "%s", info->etag);
	meta->size = info->size;
	meta->last_modified_ms = info->last_modified_ms;
}

static int s3s_put(void *ctx, const char *bucket, const char *key, const void *data, size_t len,
		   const char *content_type, bool create_only, int64_t deadline_ms,
		   struct objects_meta *out)
{
	struct s3_put_result res;
	struct s3_error e;
	int err = s3_put_object(ctx, bucket, key, data, len, content_type, create_only, deadline_ms,
				&res, &e);
	if (err)
		return s3_failed("PutObject", err, &e);
	memset(out, 0, sizeof(*out));
	snprintf(out->etag, sizeof(out->etag), "%s", res.etag);
	snprintf(out->content_type, sizeof(out->content_type), "%s", content_type);
	out->size = len;
	return 0;
}

static int s3s_get(void *ctx, const char *bucket, const char *key, struct buf *body,
		   int64_t deadline_ms, struct objects_meta *meta)
{
	struct s3_object_info info;
	struct s3_error e;
	int err = s3_get_object(ctx, bucket, key, body, deadline_ms, &info, &e);
	if (err)
		return s3_failed("GetObject", err, &e);
	copy_meta(meta, &info);
	return 0;
}

static int s3s_head(void *ctx, const char *bucket, const char *key, int64_t deadline_ms,
		    struct objects_meta *meta)
{
	struct s3_object_info info;
	struct s3_error e;
	int err = s3_head_object(ctx, bucket, key, deadline_ms, &info, &e);
	if (err)
		return s3_failed("HeadObject", err, &e);
	copy_meta(meta, &info);
	return 0;
}

static int s3s_delete(void *ctx, const char *bucket, const char *key, int64_t deadline_ms)
{
	struct s3_error e;
	int err = s3_delete_object(ctx, bucket, key, deadline_ms, &e);
	/* DeleteObject answers 404 only for a missing bucket: a failure, not an answer. */
	if (err == ERR_NOTFOUND)
		err = ERR_REMOTE;
	return err ? s3_failed("DeleteObject", err, &e) : 0;
}

/* Move the S3 page into `out`, taking ownership of its keys and token. */
static int move_page(struct s3_list_result *r, struct objects_page *out)
{
	if (r->count) {
		out->items = calloc(r->count, sizeof(*out->items));
		if (!out->items)
			return ERR_NOMEM;
	}
	for (size_t i = 0; i < r->count; i++) {
		struct objects_item *it = &out->items[i];
		it->key = r->items[i].key;
		r->items[i].key = NULL;
		it->size = r->items[i].size;
		it->last_modified_ms = r->items[i].last_modified_ms;
		snprintf(it->etag, sizeof(it->etag), "%s", r->items[i].etag);
		out->count++;
	}
	if (r->truncated && r->next_token) {
		out->next_cursor = r->next_token;
		r->next_token = NULL;
	}
	return 0;
}

static int s3s_list(void *ctx, const char *bucket, const char *prefix, const char *cursor,
		    int limit, int64_t deadline_ms, struct objects_page *out)
{
	struct s3_list_result r;
	struct s3_error e;
	int err;

	memset(out, 0, sizeof(*out));
	err = s3_list_objects_v2(ctx, bucket, prefix, cursor, limit, deadline_ms, &r, &e);
	if (err == ERR_REMOTE && e.status == 400 && cursor && cursor[0]) {
		/* S3 refuses a continuation token it did not issue with 400 InvalidArgument. */
		err = ERR_INVAL;
	} else if (err == ERR_NOTFOUND) {
		err = ERR_REMOTE; /* NoSuchBucket: a configuration problem */
	}
	if (!err)
		err = move_page(&r, out);
	else if (err != ERR_INVAL)
		s3_failed("ListObjectsV2", err, &e);
	s3_list_result_release(&r);
	if (err)
		objects_page_release(out);
	return err;
}

static void s3s_release(void *ctx)
{
	s3_client_free(ctx);
}

int objects_store_s3_init(struct objects_store *store)
{
	struct s3_client *c = NULL;
	int err = s3_client_new(&c);
	if (err)
		return err;
	memset(store, 0, sizeof(*store));
	store->ctx = c;
	store->put = s3s_put;
	store->get = s3s_get;
	store->head = s3s_head;
	store->delete = s3s_delete;
	store->list = s3s_list;
	store->release = s3s_release;
	return 0;
}
