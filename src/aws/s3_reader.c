/*
 * Ranged reads of one S3 object (see s3_reader.h): a ring of slots, one per
 * worker thread, chunk k always in slot k % n. Workers take chunk numbers in
 * order and wait for their slot to be free; the caller takes chunks in order
 * and frees each slot when it asks for the next chunk. One mutex and one
 * condition variable guard the ring; the transfers run outside the lock.
 */
#include "core/common.h"

#include <pthread.h>

#include "aws/request.h"
#include "aws/s3.h"
#include "aws/s3_reader.h"
#include "core/enc.h"
#include "core/log.h"

enum slot_state { SLOT_FREE, SLOT_FETCHING, SLOT_READY, SLOT_FAILED };

struct slot {
	enum slot_state state;
	uint64_t chunk;
	int err;
	struct http_response resp;
};

struct s3_reader {
	struct aws_config cfg;
	char *url, *host, *etag;
	uint64_t size, offset, nchunks;
	size_t chunk_size;
	int64_t deadline_ms;
	int n;
	struct slot *slots;
	pthread_t *threads;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	uint64_t next_fetch; /* the next chunk a worker takes */
	uint64_t next_read;  /* the next chunk the caller gets */
	int held;	     /* the slot the caller holds, or -1 */
	bool stop;
	int err; /* sticky, once a chunk failed */
};

static const struct aws_retry range_retry = {S3_MAX_ATTEMPTS, S3_BACKOFF_BASE_MS,
					     S3_BACKOFF_CAP_MS};

static int range_fail(void *ctx, int err, const struct http_response *resp, bool *retry,
		      const char **detail)
{
	if (err) {
		*retry = err == ERR_HTTP;
		return err;
	}
	switch (resp->status) {
	case 412:
		*detail = "PreconditionFailed";
		return ERR_PRECONDITION;
	case 404:
		*detail = "NoSuchKey";
		return ERR_NOTFOUND;
	case 503:
		*detail = "SlowDown";
		*retry = true;
		return ERR_THROTTLED;
	case 500:
	case 502:
		*detail = "InternalError";
		*retry = true;
		return ERR_REMOTE;
	default:
		return ERR_REMOTE;
	}
}

/* Fetch chunk `k` into `s` over `c`. */
static int fetch(struct s3_reader *r, struct aws_client *c, uint64_t k, struct slot *s)
{
	uint64_t from = r->offset + k * r->chunk_size;
	uint64_t to = MIN(from + r->chunk_size, r->size) - 1;
	char range[64];
	struct http_header h[3] = {{"Host", r->host}, {"Range", range}, {"If-Match", r->etag}};
	struct aws_request req = {
		.service = "s3",
		.op = "GetObject",
		.s3 = true,
		.method = "GET",
		.url = r->url,
		.headers = h,
		.n_headers = r->etag[0] ? 3 : 2,
		.max_body = r->chunk_size,
		.max_error_body = 64 << 10,
		.deadline_ms = r->deadline_ms,
	};
	int err;

	snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, from, to);
	err = aws_request_send(c, &req, &range_retry, range_fail, NULL, &s->resp);
	if (!err && s->resp.body.len != to - from + 1)
		err = ERR_REMOTE; /* a short or long answer: never hand out a partial chunk */
	return err;
}

static void *worker(void *arg)
{
	struct s3_reader *r = arg;
	struct aws_client c;
	int err = aws_client_init(&c, &r->cfg);

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct slot *s;
		uint64_t k;

		while (!r->stop && r->next_fetch < r->nchunks &&
		       r->slots[r->next_fetch % (uint64_t)r->n].state != SLOT_FREE)
			pthread_cond_wait(&r->changed, &r->lock);
		if (r->stop || r->next_fetch >= r->nchunks)
			break;
		k = r->next_fetch++;
		s = &r->slots[k % (uint64_t)r->n];
		s->state = SLOT_FETCHING;
		s->chunk = k;
		pthread_mutex_unlock(&r->lock);
		int e = err ? err : fetch(r, &c, k, s);
		pthread_mutex_lock(&r->lock);
		s->err = e;
		s->state = e ? SLOT_FAILED : SLOT_READY;
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	aws_client_release(&c);
	return NULL;
}

/* The object's URL, Host, size and ETag. */
static int locate(struct s3_reader *r, const char *bucket, const char *key)
{
	struct buf url, host;
	struct s3_client *s3 = NULL;
	struct s3_object_info info;
	struct s3_error e;
	int err;

	memset(&info, 0, sizeof(info));
	buf_init(&url, 8192);
	buf_init(&host, 1024);
	err = aws_config_s3_base(&r->cfg, bucket, &url, &host);
	if (!err && !(err = buf_addch(&url, '/')))
		err = uri_encode(&url, key, strlen(key), true);
	if (!err) {
		r->url = buf_detach(&url, NULL);
		r->host = buf_detach(&host, NULL);
		if (!r->url || !r->host)
			err = ERR_NOMEM;
	}
	buf_release(&url);
	buf_release(&host);
	if (!err)
		err = s3_client_new_with_config(&s3, &r->cfg);
	if (!err)
		err = s3_head_object(s3, bucket, key, r->deadline_ms, &info, &e);
	if (!err) {
		r->size = info.size;
		r->etag = strdup(info.etag);
		if (!r->etag)
			err = ERR_NOMEM;
	}
	s3_client_free(s3);
	return err;
}

int s3_reader_open(const struct aws_config *cfg, const char *bucket, const char *key,
		   const struct s3_reader_options *o, struct s3_reader **out)
{
	struct s3_reader *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return ERR_NOMEM;
	r->held = -1;
	r->chunk_size = o && o->chunk_size ? o->chunk_size : S3_READER_DEFAULT_CHUNK;
	r->n = o && o->in_flight > 0 ? MIN(o->in_flight, S3_READER_MAX_IN_FLIGHT)
				     : S3_READER_DEFAULT_IN_FLIGHT;
	r->offset = o ? o->offset : 0;
	r->deadline_ms = o ? o->deadline_ms : 0;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	err = aws_config_copy(&r->cfg, cfg);
	if (!err)
		err = locate(r, bucket, key);
	if (!err && r->offset > r->size)
		err = ERR_INVAL;
	if (!err) {
		r->nchunks = (r->size - r->offset + r->chunk_size - 1) / r->chunk_size;
		r->slots = calloc((size_t)r->n, sizeof(*r->slots));
		r->threads = calloc((size_t)r->n, sizeof(*r->threads));
		if (!r->slots || !r->threads)
			err = ERR_NOMEM;
	}
	for (int i = 0; !err && i < r->n; i++)
		http_response_init(&r->slots[i].resp);
	for (int i = 0; !err && i < r->n && (uint64_t)i < r->nchunks; i++) {
		if (pthread_create(&r->threads[i], NULL, worker, r))
			err = ERR_NOMEM;
		else
			r->started++;
	}
	if (err) {
		s3_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

uint64_t s3_reader_size(const struct s3_reader *r)
{
	return r->size;
}

const char *s3_reader_etag(const struct s3_reader *r)
{
	return r->etag;
}

int s3_reader_next(struct s3_reader *r, const char **data, size_t *len)
{
	struct slot *s;
	int err;

	*data = NULL;
	*len = 0;
	pthread_mutex_lock(&r->lock);
	if (r->held >= 0) {
		r->slots[r->held].state = SLOT_FREE;
		r->held = -1;
		pthread_cond_broadcast(&r->changed);
	}
	if (r->err || r->next_read >= r->nchunks) {
		err = r->err;
		pthread_mutex_unlock(&r->lock);
		return err;
	}
	s = &r->slots[r->next_read % (uint64_t)r->n];
	while (!(s->chunk == r->next_read && (s->state == SLOT_READY || s->state == SLOT_FAILED)))
		pthread_cond_wait(&r->changed, &r->lock);
	if (s->state == SLOT_FAILED) {
		r->err = s->err;
		r->stop = true;
		pthread_cond_broadcast(&r->changed);
	} else {
		*data = s->resp.body.ptr;
		*len = s->resp.body.len;
		r->held = (int)(r->next_read % (uint64_t)r->n);
		r->next_read++;
	}
	err = r->err;
	pthread_mutex_unlock(&r->lock);
	return err;
}

void s3_reader_close(struct s3_reader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < r->started; i++)
		pthread_join(r->threads[i], NULL);
	for (int i = 0; r->slots && i < r->n; i++)
		http_response_release(&r->slots[i].resp);
	free(r->slots);
	free(r->threads);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	aws_config_release(&r->cfg);
	free(r->url);
	free(r->host);
	free(r->etag);
	free(r);
}
