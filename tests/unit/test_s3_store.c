/*
 * local/s3/s3_store.c and s3_upload.c: the on-disk object store behind the
 * local S3 endpoint, opened in a fresh temporary directory for each test.
 * Puts, gets and deletes; a replace that is atomic (an aborted write leaves
 * the old object, a committed one leaves one data file); key order and
 * lower bounds as S3 lists them; multipart uploads; and a reopened store
 * that finds what the first one wrote and sweeps what a kill left behind.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/enc.h"
#include "core/str.h"
#include "local/s3/s3_store.h"

struct fixture {
	char dir[64];
	char root[96];
	struct s3_store *st;
	struct s3_bucket *b;
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sluice-s3-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root, sizeof(f->root), "%s/s3", f->dir);
	assert_int_equal(s3_store_open(f->root, &f->st), 0);
	assert_int_equal(s3_store_create_bucket(f->st, STR_LIT("bucket")), 0);
	f->b = s3_store_bucket(f->st, STR_LIT("bucket"));
	assert_non_null(f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	s3_store_close(f->st);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Write `data` as `key` through a writer; the committed object. */
static const struct s3_object *put(struct s3_bucket *b, const char *key, const char *data,
				   const json_t *meta)
{
	const struct s3_object *o = NULL;
	struct s3_writer w;

	assert_int_equal(s3_writer_begin(b, &w), 0);
	assert_int_equal(s3_writer_write(&w, data, strlen(data)), 0);
	assert_int_equal(s3_writer_commit(&w, str_from(key), NULL, meta, NULL, &o), 0);
	s3_writer_abort(&w); /* a no-op after a commit */
	return o;
}

/* The bytes of `key`, NUL-terminated, into `out` of `cap` bytes. */
static void get(struct s3_bucket *b, const char *key, char *out, size_t cap)
{
	const struct s3_object *o = s3_bucket_find(b, str_from(key));
	ssize_t n;
	int fd = -1;

	assert_non_null(o);
	assert_int_equal(s3_object_open(b, o, &fd), 0);
	n = read(fd, out, cap - 1);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
	assert_int_equal((size_t)n, o->size);
}

/* Files in the bucket directory whose names end with `suffix`. */
static int count_files(const struct fixture *f, const char *suffix)
{
	char path[160];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/bucket", f->root);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		n += str_has_suffix(str_from(e->d_name), str_from(suffix));
	closedir(d);
	return n;
}

static void test_put_get_delete(void **state)
{
	struct fixture *f = *state;
	json_t *meta = json_pack("{s:s}", "color", "blue");
	const struct s3_object *o = put(f->b, "dir/hello.txt", "hello", meta);
	char got[64];

	assert_string_equal(o->key, "dir/hello.txt");
	assert_int_equal(o->size, 5);
	assert_string_equal(o->etag, "5d41402abc4b2a76b9719d911017c592"); /* MD5 of "hello" */
	assert_string_equal(o->content_type, "binary/octet-stream");
	assert_string_equal(json_string_value(json_object_get(o->meta, "color")), "blue");
	assert_true(o->last_modified_ms > 0);
	get(f->b, "dir/hello.txt", got, sizeof(got));
	assert_string_equal(got, "hello");
	assert_int_equal(s3_bucket_count(f->b), 1);

	assert_int_equal(s3_bucket_delete_object(f->b, STR_LIT("dir/hello.txt")), 0);
	assert_null(s3_bucket_find(f->b, STR_LIT("dir/hello.txt")));
	assert_int_equal(s3_bucket_delete_object(f->b, STR_LIT("dir/hello.txt")), ERR_NOTFOUND);
	assert_int_equal(s3_bucket_count(f->b), 0);
	assert_int_equal(count_files(f, ".data"), 0);
	assert_int_equal(count_files(f, ".json"), 0);
	json_decref(meta);
}

static void test_replace_is_atomic(void **state)
{
	struct fixture *f = *state;
	struct s3_writer w;
	char got[64];

	put(f->b, "k", "version one", NULL);
	/* A write that is abandoned half way leaves the old object and no file. */
	assert_int_equal(s3_writer_begin(f->b, &w), 0);
	assert_int_equal(s3_writer_write(&w, "vers", 4), 0);
	assert_int_equal(count_files(f, ".data"), 2);
	s3_writer_abort(&w);
	get(f->b, "k", got, sizeof(got));
	assert_string_equal(got, "version one");
	assert_int_equal(count_files(f, ".data"), 1);

	/* A committed one replaces it and removes the old bytes. */
	put(f->b, "k", "version two, longer", NULL);
	get(f->b, "k", got, sizeof(got));
	assert_string_equal(got, "version two, longer");
	assert_int_equal(s3_bucket_count(f->b), 1);
	assert_int_equal(count_files(f, ".data"), 1);
	assert_int_equal(count_files(f, ".json"), 1);
}

static void test_bad_keys_are_refused(void **state)
{
	struct fixture *f = *state;
	char long_key[S3_MAX_KEY_LEN + 2];
	struct s3_writer w;

	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	const struct str bad[] = {STR_LIT(""), str_from(long_key), STR_LIT("a\0b"),
				  STR_LIT("\xff\xfe")};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(s3_writer_begin(f->b, &w), 0);
		assert_int_equal(s3_writer_write(&w, "x", 1), 0);
		assert_int_equal(s3_writer_commit(&w, bad[i], NULL, NULL, NULL, NULL), ERR_INVAL);
		s3_writer_abort(&w);
	}
	assert_int_equal(s3_bucket_count(f->b), 0);
	assert_int_equal(count_files(f, ".data"), 0);
	/* The longest key S3 allows is fine. */
	long_key[S3_MAX_KEY_LEN] = '\0';
	put(f->b, long_key, "x", NULL);
	assert_non_null(s3_bucket_find(f->b, str_from(long_key)));
}

static void test_key_order_and_lower_bound(void **state)
{
	struct fixture *f = *state;
	static const char *const in[] = {"b", "ab", "a/b", "\xc3\xa9", "a", "a0", "A"};
	static const char *const sorted[] = {"A", "a", "a/b", "a0", "ab", "b", "\xc3\xa9"};

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		put(f->b, in[i], in[i], NULL);
	assert_int_equal(s3_bucket_count(f->b), ARRAY_SIZE(sorted));
	for (size_t i = 0; i < ARRAY_SIZE(sorted); i++)
		assert_string_equal(s3_bucket_at(f->b, i)->key, sorted[i]);
	/* Bytes order, shorter first on a tie: '/' < '0' < 'b', and "a" < "a/b". */
	assert_int_equal(s3_bucket_lower_bound(f->b, STR_LIT("a")), 1);
	assert_int_equal(s3_bucket_lower_bound(f->b, STR_LIT("a/")), 2);
	assert_int_equal(s3_bucket_lower_bound(f->b, STR_LIT("a00")), 4);
	assert_int_equal(s3_bucket_lower_bound(f->b, STR_LIT("")), 0);
	assert_int_equal(s3_bucket_lower_bound(f->b, STR_LIT("zzz")), 6);
	assert_int_equal(s3_bucket_lower_bound(f->b, STR_LIT("\xff")), 7);
	/* Every key under a prefix is contiguous from its lower bound. */
	size_t i = s3_bucket_lower_bound(f->b, STR_LIT("a"));
	assert_string_equal(s3_bucket_at(f->b, i)->key, "a");
	assert_string_equal(s3_bucket_at(f->b, i + 3)->key, "ab");
	assert_string_equal(s3_bucket_at(f->b, i + 4)->key, "b");
}

static void test_buckets(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(s3_store_create_bucket(f->st, STR_LIT("bucket")), ERR_EXISTS);
	assert_int_equal(s3_store_create_bucket(f->st, STR_LIT("Bad_Name")), ERR_INVAL);
	assert_int_equal(s3_store_create_bucket(f->st, STR_LIT("another")), 0);
	assert_int_equal(s3_store_create_bucket(f->st, STR_LIT("a-third.one")), 0);
	assert_int_equal(s3_store_n_buckets(f->st), 3);
	assert_string_equal(s3_bucket_name(s3_store_bucket_at(f->st, 0)), "a-third.one");
	assert_string_equal(s3_bucket_name(s3_store_bucket_at(f->st, 1)), "another");
	assert_string_equal(s3_bucket_name(s3_store_bucket_at(f->st, 2)), "bucket");
	assert_true(s3_bucket_created_ms(s3_store_bucket_at(f->st, 1)) > 0);

	put(f->b, "k", "v", NULL);
	assert_int_equal(s3_store_delete_bucket(f->st, STR_LIT("bucket")), ERR_PRECONDITION);
	assert_int_equal(s3_bucket_delete_object(f->b, STR_LIT("k")), 0);
	assert_int_equal(s3_store_delete_bucket(f->st, STR_LIT("bucket")), 0);
	assert_int_equal(s3_store_delete_bucket(f->st, STR_LIT("bucket")), ERR_NOTFOUND);
	assert_null(s3_store_bucket(f->st, STR_LIT("bucket")));
	assert_int_equal(s3_store_n_buckets(f->st), 2);

	char path[160];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/bucket", f->root);
	assert_int_not_equal(stat(path, &sb), 0);
}

static void test_bucket_names(void **state)
{
	static const char *const good[] = {"abc", "my-bucket.example", "0bucket9", "a.b-c"};
	static const char *const bad[] = {
		"ab",
		"ABC",
		"a_b",
		"-abc",
		"abc-",
		"a..b",
		"a.-b",
		"a-.b",
		"192.168.1.1",
		"xn--abc",
		"a/b",
		"b-s3alias",
		"loooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooong"};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_true(s3_bucket_name_valid(str_from(good[i])));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(s3_bucket_name_valid(str_from(bad[i])));
}

static void test_multipart(void **state)
{
	struct fixture *f = *state;
	char id[S3_UPLOAD_ID_LEN + 1], id2[S3_UPLOAD_ID_LEN + 1], got[64];
	static const int numbers[] = {1, 3};
	const struct s3_object *o = NULL;
	struct s3_part *parts = NULL;
	struct s3_upload up;
	struct s3_writer w;
	size_t n = 0;

	assert_int_equal(s3_upload_create(f->b, STR_LIT("big"), "text/plain", NULL, CHECKSUM_NONE,
					  false, id),
			 0);
	assert_int_equal(strlen(id), S3_UPLOAD_ID_LEN);
	assert_int_equal(s3_upload_get(f->b, str_from(id), &up), 0);
	assert_string_equal(up.key, "big");
	assert_string_equal(up.content_type, "text/plain");
	s3_upload_release(&up);

	/* Parts arrive in any order; part 2 is left out of the completion. */
	static const struct {
		int number;
		const char *data;
	} in[] = {{3, "last"}, {1, "first-"}, {2, "unused"}};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		assert_int_equal(s3_writer_begin(f->b, &w), 0);
		assert_int_equal(s3_writer_write(&w, in[i].data, strlen(in[i].data)), 0);
		assert_int_equal(s3_writer_commit_part(&w, str_from(id), in[i].number), 0);
		s3_writer_abort(&w);
	}
	assert_int_equal(s3_upload_parts(f->b, str_from(id), CHECKSUM_NONE, &parts, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(parts[i].number, (int)i + 1);
	assert_string_equal(parts[0].etag, "45b7a5c1b7ed7fdc9930d93348416401"); /* MD5 "first-" */
	assert_int_equal(parts[2].size, 4);
	free(parts);

	assert_int_equal(s3_upload_complete(f->b, str_from(id), numbers, 2, "etag-2", NULL, &o), 0);
	assert_string_equal(o->etag, "etag-2");
	assert_string_equal(o->content_type, "text/plain");
	get(f->b, "big", got, sizeof(got));
	assert_string_equal(got, "first-last");
	assert_int_equal(s3_upload_get(f->b, str_from(id), &up), ERR_NOTFOUND);

	/* Abort removes an upload; unknown and malformed ids are simply not found. */
	assert_int_equal(
		s3_upload_create(f->b, STR_LIT("other"), NULL, NULL, CHECKSUM_NONE, false, id2), 0);
	assert_int_equal(s3_upload_abort(f->b, str_from(id2)), 0);
	assert_int_equal(s3_upload_abort(f->b, str_from(id2)), ERR_NOTFOUND);
	assert_int_equal(s3_upload_get(f->b, STR_LIT("../../etc"), &up), ERR_NOTFOUND);
	assert_int_equal(s3_upload_get(f->b, STR_LIT("0123456789abcdef0123456789ABCDEF"), &up),
			 ERR_NOTFOUND);
	assert_int_equal(s3_writer_begin(f->b, &w), 0);
	assert_int_equal(s3_writer_commit_part(&w, str_from(id2), 1), ERR_NOTFOUND);
	s3_writer_abort(&w);
}

static void test_reopen_keeps_objects_and_sweeps_leftovers(void **state)
{
	struct fixture *f = *state;
	json_t *meta = json_pack("{s:s}", "index", "7");
	char tmp[256], orphan[256], got[64];
	const struct s3_object *o;
	int fd;

	s3_store_set_fsync(f->st, true);
	put(f->b, "b", "bee", NULL);
	put(f->b, "a", "ay", meta);
	put(f->b, "c/d", "sea dee", NULL);
	/* What a kill can leave: a sidecar being written and bytes no sidecar names. */
	snprintf(tmp, sizeof(tmp), "%s/bucket/.tmp-abcdef", f->root);
	snprintf(orphan, sizeof(orphan), "%s/bucket/o-0123456789abcdef.data", f->root);
	for (size_t i = 0; i < 2; i++) {
		fd = open(i ? orphan : tmp, O_WRONLY | O_CREAT, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(count_files(f, ".data"), 4);

	s3_store_close(f->st);
	assert_int_equal(s3_store_open(f->root, &f->st), 0);
	f->b = s3_store_bucket(f->st, STR_LIT("bucket"));
	assert_non_null(f->b);
	assert_int_equal(s3_bucket_count(f->b), 3);
	assert_string_equal(s3_bucket_at(f->b, 0)->key, "a");
	assert_string_equal(s3_bucket_at(f->b, 2)->key, "c/d");
	o = s3_bucket_find(f->b, STR_LIT("a"));
	assert_string_equal(json_string_value(json_object_get(o->meta, "index")), "7");
	assert_string_equal(o->etag, "42d74a038852aaee074a9245c49e9c8d" /* MD5 "ay" */);
	get(f->b, "c/d", got, sizeof(got));
	assert_string_equal(got, "sea dee");
	assert_int_equal(count_files(f, ".data"), 3);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(orphan, F_OK), -1);
	json_decref(meta);
}

/* The sidecar of `key` as text, read into `out` (`cap` bytes); its path into `path`. */
static void read_sidecar(const struct fixture *f, const char *key, char *path, size_t pcap,
			 char *out, size_t cap)
{
	char hash[65];
	ssize_t n;
	int fd;

	sha256_hex(key, strlen(key), hash);
	snprintf(path, pcap, "%s/bucket/o-%s.json", f->root, hash);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, out, cap - 1);
	close(fd);
	assert_true(n > 0);
	out[n] = '\0';
}

/*
 * Every object gets a checksum: CRC64NVME unless the writer was told
 * another, or the caller set one (a multipart composite) after ending the
 * write. It is in the sidecar and comes back after a reopen; a sidecar with a
 * checksum this version does not know keeps its object, without a checksum.
 */
static void test_checksums(void **state)
{
	struct fixture *f = *state;
	const struct s3_object *o = put(f->b, "default", "123456789", NULL);
	struct s3_checksum c;
	struct s3_writer w;
	char path[256], text[2048];

	assert_int_equal(o->checksum.alg, CHECKSUM_CRC64NVME);
	assert_false(o->checksum.composite);
	assert_string_equal(o->checksum.value, "rosUhgp5mIg=");

	/* Another algorithm, chosen before the first byte; the digests are there before the commit.
	 */
	assert_int_equal(s3_writer_begin(f->b, &w), 0);
	assert_int_equal(s3_writer_use(&w, CHECKSUM_SHA256), 0);
	assert_int_equal(s3_writer_write(&w, "1234", 4), 0);
	assert_int_equal(s3_writer_use(&w, CHECKSUM_CRC32), ERR_INVAL);
	assert_int_equal(s3_writer_write(&w, "56789", 5), 0);
	assert_int_equal(s3_writer_end(&w), 0);
	assert_int_equal(s3_writer_end(&w), 0);
	assert_int_equal(s3_writer_write(&w, "0", 1), ERR_INVAL);
	assert_string_equal(w.md5_hex, "25f9e794323b453885f5181f1b624d0b");
	assert_string_equal(w.checksum.value, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=");
	assert_int_equal(s3_writer_commit(&w, STR_LIT("sha"), NULL, NULL, NULL, &o), 0);
	assert_int_equal(o->checksum.alg, CHECKSUM_SHA256);

	/* The caller's checksum (a composite of two CRC32 parts). */
	assert_int_equal(s3_writer_begin(f->b, &w), 0);
	assert_int_equal(s3_writer_write(&w, "xy", 2), 0);
	assert_int_equal(s3_writer_end(&w), 0);
	assert_true(s3_checksum_from_text(CHECKSUM_CRC32, STR_LIT("7kxlUA==-2"), &w.checksum));
	assert_int_equal(s3_writer_commit(&w, STR_LIT("composite"), NULL, NULL, "e-2", NULL), 0);

	s3_store_close(f->st);
	assert_int_equal(s3_store_open(f->root, &f->st), 0);
	f->b = s3_store_bucket(f->st, STR_LIT("bucket"));
	o = s3_bucket_find(f->b, STR_LIT("composite"));
	assert_int_equal(o->checksum.alg, CHECKSUM_CRC32);
	assert_true(o->checksum.composite);
	assert_string_equal(o->checksum.value, "7kxlUA==-2");
	o = s3_bucket_find(f->b, STR_LIT("sha"));
	assert_string_equal(o->checksum.value, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=");
	assert_false(o->checksum.composite);

	/* An algorithm this version does not know: the object stays, without a checksum. */
	read_sidecar(f, "default", path, sizeof(path), text, sizeof(text));
	char *alg = strstr(text, "\"CRC64NVME\"");
	assert_non_null(alg);
	memcpy(alg + 1, "XXHASH128", 9);
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	s3_store_close(f->st);
	assert_int_equal(s3_store_open(f->root, &f->st), 0);
	f->b = s3_store_bucket(f->st, STR_LIT("bucket"));
	o = s3_bucket_find(f->b, STR_LIT("default"));
	assert_non_null(o);
	assert_int_equal(o->checksum.alg, CHECKSUM_NONE);
	assert_int_equal(o->size, 9);

	/* The text forms S3 uses: "<base64>" and "<base64>-<1..10000>". */
	assert_true(s3_checksum_from_text(CHECKSUM_CRC32, STR_LIT("y/Q5Jg=="), &c));
	assert_false(c.composite);
	assert_true(s3_checksum_from_text(CHECKSUM_SHA1,
					  STR_LIT("zGcEPHvP9e6lVmvZsfPHT9mlz10=-10000"), &c));
	assert_true(c.composite);
	static const char *const bad[] = {"y/Q5Jg==-0", "y/Q5Jg==-a", "y/Q5Jg==-10001", "y/Q5Jg==-",
					  "-1",		"y/Q5Jh==",   "y/Q5Jg==-1-2"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_false(s3_checksum_from_text(CHECKSUM_CRC32, str_from(bad[i]), &c));
		assert_int_equal(c.alg, CHECKSUM_NONE);
	}
	assert_false(s3_checksum_from_text(CHECKSUM_NONE, STR_LIT("y/Q5Jg=="), &c));
}

/* An upload keeps its checksum algorithm and type; its parts are listed with their checksums. */
static void test_multipart_checksums(void **state)
{
	struct fixture *f = *state;
	char id[S3_UPLOAD_ID_LEN + 1];
	struct s3_part *parts = NULL;
	uint8_t want[CHECKSUM_MAX_LEN];
	struct s3_upload up;
	struct s3_writer w;
	size_t n = 0;

	assert_int_equal(
		s3_upload_create(f->b, STR_LIT("k"), NULL, NULL, CHECKSUM_CRC32C, true, id), 0);
	assert_int_equal(s3_upload_get(f->b, str_from(id), &up), 0);
	assert_int_equal(up.alg, CHECKSUM_CRC32C);
	assert_true(up.composite);
	s3_upload_release(&up);
	assert_int_equal(s3_writer_begin(f->b, &w), 0);
	assert_int_equal(s3_writer_use(&w, CHECKSUM_NONE), 0);
	assert_int_equal(s3_writer_write(&w, "123456789", 9), 0);
	assert_int_equal(s3_writer_commit_part(&w, str_from(id), 7), 0);
	s3_writer_abort(&w);
	assert_int_equal(s3_upload_parts(f->b, str_from(id), CHECKSUM_CRC32C, &parts, &n), 0);
	assert_int_equal(n, 1);
	checksum_of(CHECKSUM_CRC32C, "123456789", 9, want);
	assert_memory_equal(parts[0].sum, want, 4);
	free(parts);

	assert_int_equal(s3_upload_create(f->b, STR_LIT("k"), NULL, NULL, CHECKSUM_NONE, false, id),
			 0);
	assert_int_equal(s3_upload_get(f->b, str_from(id), &up), 0);
	assert_int_equal(up.alg, CHECKSUM_NONE);
	s3_upload_release(&up);
	assert_int_equal(
		s3_upload_create(f->b, STR_LIT("k"), NULL, NULL, (enum checksum_alg)99, false, id),
		ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_keys_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_order_and_lower_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buckets, setup, teardown),
		cmocka_unit_test(test_bucket_names),
		cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksums, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_checksums, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_objects_and_sweeps_leftovers,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
