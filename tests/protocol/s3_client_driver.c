/*
 * A command-line driver for aws/s3.c, used by tests/protocol/test_s3_client.py
 * to run the real client against moto's S3 server. It reads the standard
 * AWS_* variables and prints one JSON object per command on stdout:
 *
 *   s3_client_driver put BUCKET KEY FILE [--content-type T] [--if-none-match]
 *   s3_client_driver get BUCKET KEY [--out FILE] [--max BYTES]
 *   s3_client_driver head BUCKET KEY
 *   s3_client_driver delete BUCKET KEY
 *   s3_client_driver list BUCKET [--prefix P] [--token T] [--max-keys N]
 *
 * Every answer carries "rc" (the ERR_* name, "OK" on success) and, when S3
 * refused, "status", "code", "message" and "request_id". FILE "-" is an empty body.
 * The exit status is 0 whenever the command ran (even when S3 said no), 2 on
 * bad usage.
 */
#include "core/common.h"

#include <jansson.h>

#include "aws/s3.h"
#include "core/str.h"
#include "core/timeutil.h"

#define DRIVER_MAX_FILE	  (64u << 20)
#define DRIVER_TIMEOUT_MS 30000

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	}
	return NULL;
}

static bool flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return true;
	}
	return false;
}

static long long num(const char *s, long long dflt)
{
	long long v;
	if (!s || str_to_i64(str_from(s), 0, LLONG_MAX, &v))
		return dflt;
	return v;
}

static int read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *f;
	int err = 0;

	if (strcmp(path, "-") == 0)
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return ERR_IO;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_add(out, chunk, n);
	fclose(f);
	return err;
}

static int write_file(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return ERR_IO;
	size_t n = fwrite(b->ptr, 1, b->len, f);
	if (fclose(f) != 0 || n != b->len)
		return ERR_IO;
	return 0;
}

static json_t *result(int rc, const struct s3_error *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "rc", json_string(err_name(rc)));
	if (rc && e->status) {
		json_object_set_new(o, "status", json_integer(e->status));
		json_object_set_new(o, "code", json_string(e->code));
		json_object_set_new(o, "message", json_string(e->message));
		json_object_set_new(o, "request_id", json_string(e->request_id));
	}
	return o;
}

static void add_info(json_t *o, const struct s3_object_info *info)
{
	json_object_set_new(o, "content_type", json_string(info->content_type));
	json_object_set_new(o, "etag", json_string(info->etag));
	json_object_set_new(o, "size", json_integer((json_int_t)info->size));
	json_object_set_new(o, "last_modified_ms", json_integer(info->last_modified_ms));
}

static json_t *cmd_list(struct s3_client *c, int argc, char **argv, int64_t deadline)
{
	struct s3_list_result r;
	struct s3_error e;
	int rc = s3_list_objects_v2(c, argv[2], opt(argc, argv, "--prefix"),
				    opt(argc, argv, "--token"),
				    (int)num(opt(argc, argv, "--max-keys"), 0), deadline, &r, &e);
	json_t *o = result(rc, &e);

	if (!rc) {
		json_t *items = json_array();
		for (size_t i = 0; i < r.count; i++) {
			json_t *it = json_object();
			json_object_set_new(it, "key", json_string(r.items[i].key));
			json_object_set_new(it, "size", json_integer((json_int_t)r.items[i].size));
			json_object_set_new(it, "etag", json_string(r.items[i].etag));
			json_object_set_new(it, "last_modified_ms",
					    json_integer(r.items[i].last_modified_ms));
			json_array_append_new(items, it);
		}
		json_object_set_new(o, "items", items);
		json_object_set_new(o, "truncated", json_boolean(r.truncated));
		json_object_set_new(o, "next_token",
				    r.next_token ? json_string(r.next_token) : json_null());
		json_object_set_new(o, "key_count", json_integer(r.key_count));
	}
	s3_list_result_release(&r);
	return o;
}

static json_t *cmd_object(struct s3_client *c, int argc, char **argv, int64_t deadline)
{
	const char *cmd = argv[1], *bucket = argv[2], *key = argv[3];
	struct s3_object_info info;
	struct s3_error e;
	json_t *o = NULL;
	int rc;

	if (strcmp(cmd, "put") == 0 && argc >= 5) {
		struct s3_put_result pr;
		struct buf body;
		buf_init(&body, DRIVER_MAX_FILE);
		rc = read_file(argv[4], &body);
		if (!rc)
			rc = s3_put_object(c, bucket, key, body.ptr, body.len,
					   opt(argc, argv, "--content-type"),
					   flag(argc, argv, "--if-none-match"), deadline, &pr, &e);
		o = result(rc, &e);
		if (!rc)
			json_object_set_new(o, "etag", json_string(pr.etag));
		buf_release(&body);
	} else if (strcmp(cmd, "get") == 0) {
		struct buf body;
		const char *out = opt(argc, argv, "--out");
		buf_init(&body, (size_t)num(opt(argc, argv, "--max"), DRIVER_MAX_FILE));
		rc = s3_get_object(c, bucket, key, &body, deadline, &info, &e);
		if (!rc && out)
			rc = write_file(out, &body);
		o = result(rc, &e);
		if (!rc) {
			add_info(o, &info);
			json_object_set_new(o, "length", json_integer((json_int_t)body.len));
		}
		buf_release(&body);
	} else if (strcmp(cmd, "head") == 0) {
		rc = s3_head_object(c, bucket, key, deadline, &info, &e);
		o = result(rc, &e);
		if (!rc)
			add_info(o, &info);
	} else if (strcmp(cmd, "delete") == 0) {
		rc = s3_delete_object(c, bucket, key, deadline, &e);
		o = result(rc, &e);
	}
	return o;
}

int main(int argc, char **argv)
{
	struct s3_client *c = NULL;
	int64_t deadline = time_now_ms() + DRIVER_TIMEOUT_MS;
	json_t *o = NULL;
	int rc;

	if (argc < 3) {
		fprintf(stderr,
			"usage: s3_client_driver put|get|head|delete|list BUCKET [KEY] ...\n");
		return 2;
	}
	if ((rc = s3_client_new(&c))) {
		o = result(rc, &(struct s3_error){0});
	} else if (strcmp(argv[1], "list") == 0) {
		o = cmd_list(c, argc, argv, deadline);
	} else if (argc >= 4) {
		o = cmd_object(c, argc, argv, deadline);
	}
	s3_client_free(c);
	if (!o) {
		fprintf(stderr, "s3_client_driver: bad usage\n");
		return 2;
	}
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}
