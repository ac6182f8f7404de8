/*
 * Object-created notifications of the local S3 (see s3_notify.h): the event
 * document, the key's encoding and the sequencer. The principal ids are the
 * local account's, as everywhere else in the local cloud.
 */
#include "core/common.h"

#include <pthread.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "local/s3/s3_notify.h"

#define LOCAL_PRINCIPAL "AWS:AIDA" LOCAL_ACCOUNT_ID "LOCAL"

void s3_notify_sequencer(char out[17])
{
	static uint64_t last;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t now = (uint64_t)time_now_ms() << 16, v;

	pthread_mutex_lock(&lock);
	v = now > last ? now : last + 1;
	last = v;
	pthread_mutex_unlock(&lock);
	snprintf(out, 17, "%016" PRIX64, v);
}

void s3_notify_put_key(struct buf *out, const char *key, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '*' || c == '/')
			buf_putc(out, (char)c);
		else if (c == ' ')
			buf_putc(out, '+');
		else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_put(out, e, 3);
		}
	}
}

void s3_notify_event(const struct s3_created *ev, const char *region, const char *config_id,
		     struct buf *out)
{
	char when[32];
	struct buf key;
	json_t *doc;

	buf_init(&key, (size_t)3 * 4096);
	s3_notify_put_key(&key, ev->key, ev->key_len);
	time_rfc3339(when, ev->time_ms, 1);
	doc = json_pack(
		"{s:[{s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:s},s:{s:s,s:s},s:{s:s,s:s,s:{s:s,s:{s:s},"
		"s:s+},s:{s:s,s:I,s:s,s:s}}}]}",
		"Records", "eventVersion", "2.1", "eventSource", "aws:s3", "awsRegion", region,
		"eventTime", when, "eventName", ev->event_name, "userIdentity", "principalId",
		LOCAL_PRINCIPAL, "requestParameters", "sourceIPAddress",
		ev->source_ip ? ev->source_ip : "127.0.0.1", "responseElements", "x-amz-request-id",
		ev->request_id ? ev->request_id : "", "x-amz-id-2",
		ev->request_id ? ev->request_id : "", "s3", "s3SchemaVersion", "1.0",
		"configurationId", config_id, "bucket", "name", ev->bucket, "ownerIdentity",
		"principalId", LOCAL_PRINCIPAL, "arn", "arn:aws:s3:::", ev->bucket, "object", "key",
		buf_error(&key) ? "" : key.ptr, "size", (json_int_t)ev->size, "eTag", ev->etag,
		"sequencer", ev->sequencer);
	if (!doc || buf_error(&key) || jsonx_dump(doc, out, 0))
		buf_set_error(out, ERR_NOMEM);
	json_decref(doc);
	buf_release(&key);
}
