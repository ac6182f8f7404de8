/*
 * The local S3 endpoint's object store (see s3_store.h for the layout). The
 * commit protocol: bytes -> a fresh data file o-<random>.data, [fsync;]
 * sidecar -> .tmp file, [fsync,] rename over o-<hash>.json (the commit);
 * [fsync the directory;] then unlink the previous data file. The fsyncs only
 * happen with s3_store_set_fsync(): the renames alone make a write atomic for
 * a killed process; the fsyncs make it survive a power loss. Opening a bucket
 * deletes temporaries and data files that no sidecar names, which is all a
 * kill at any step can leave behind. Multipart uploads live in s3_upload.c;
 * the two share s3_store_int.h.
 */
#include "core/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/s3/s3_store.h"
#include "local/s3/s3_store_int.h"

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = MIN(alen, blen) ? memcmp(a, b, MIN(alen, blen)) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

char *s3_path_join(const char *dir, const char *name)
{
	struct buf b;
	buf_init(&b, PATH_CAP);
	if (buf_addf(&b, "%s/%s", dir, name)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ERR_IO;
	int rc = fsync(fd) ? ERR_IO : 0;
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ERR_IO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int s3_read_file(const char *path, size_t cap, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	char tmp[8192];
	int rc = 0;
	buf_init(out, cap);
	for (;;) {
		ssize_t r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = ERR_IO;
			break;
		}
		if (r == 0)
			break;
		rc = buf_add(out, tmp, (size_t)r);
		if (rc)
			break;
	}
	close(fd);
	if (rc)
		buf_release(out);
	return rc;
}

/* fsync directory `dir` when the store syncs. */
void s3_sync_dir(const struct s3_store *st, const char *dir)
{
	if (st->fsync)
		fsync_dir(dir);
}

/* Write `data` atomically as `dir`/`name` through a temporary file, fsync'd when `sync`. */
int s3_write_atomic(const char *dir, const char *name, const void *data, size_t len, bool sync)
{
	char tmp[PATH_CAP];
	int n = snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ERR_TOOLARGE;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ERR_IO;
	int rc = write_all(fd, data, len);
	if (!rc && sync && fsync(fd))
		rc = ERR_IO;
	close(fd);
	char *dst = s3_path_join(dir, name);
	if (!rc && !dst)
		rc = ERR_NOMEM;
	if (!rc && rename(tmp, dst))
		rc = ERR_IO;
	if (rc)
		unlink(tmp);
	free(dst);
	return rc;
}

int s3_rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return unlink(path) && errno != ENOENT ? ERR_IO : 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = s3_path_join(path, e->d_name);
		if (!p) {
			rc = ERR_NOMEM;
			break;
		}
		if (e->d_type == DT_DIR)
			rc = s3_rm_tree(p);
		else if (unlink(p) && errno != ENOENT)
			rc = ERR_IO;
		free(p);
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT)
		rc = ERR_IO;
	return rc;
}

bool s3_bucket_name_valid(struct str name)
{
	if (name.len < 3 || name.len > 63)
		return false;
	bool all_ip = true;
	int dots = 0;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.ptr[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && c != '.' && c != '-')
			return false;
		if ((i == 0 || i == name.len - 1) && !alnum)
			return false;
		/* No "..", ".-" or "-." (S3 bucket naming rules). */
		char prev = i ? name.ptr[i - 1] : 'a';
		if ((c == '.' && (prev == '.' || prev == '-')) || (c == '-' && prev == '.'))
			return false;
		if (c == '.')
			dots++;
		else if (!(c >= '0' && c <= '9'))
			all_ip = false;
	}
	if (all_ip && dots == 3)
		return false; /* formatted as an IP address */
	if (str_has_prefix(name, STR_LIT("xn--")) || str_has_suffix(name, STR_LIT("-s3alias")))
		return false;
	return true;
}

/* ---- objects in memory ---- */

static void object_free(struct s3_object *o)
{
	if (!o)
		return;
	free(o->key);
	free(o->content_type);
	json_decref(o->meta);
	free(o->data_name);
	free(o);
}

bool s3_key_valid(struct str key)
{
	return key.len > 0 && key.len <= S3_MAX_KEY_LEN && !memchr(key.ptr, '\0', key.len) &&
	       utf8_valid(key.ptr, key.len);
}

static void key_hash(struct str key, char hex[65])
{
	sha256_hex(key.ptr, key.len, hex);
}

/* Index of `key` in b->objs, or of where it would go (with *found false). */
static size_t find_index(const struct s3_bucket *b, struct str key, bool *found)
{
	size_t lo = 0, hi = b->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct s3_object *o = b->objs[mid];
		int c = key_cmp(o->key, o->key_len, key.ptr, key.len);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Put `o` in the index, replacing (and returning through *old) a same-key object. */
static int index_put(struct s3_bucket *b, struct s3_object *o, struct s3_object **old)
{
	bool found;
	size_t i = find_index(b, str_make(o->key, o->key_len), &found);
	*old = NULL;
	if (found) {
		*old = b->objs[i]; // NOLINT(clang-analyzer-core.NullDereference): found: i < b->n
		b->objs[i] = o;
		return 0;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
	int err = ALLOC_GROW(b->objs, b->n + 1, b->alloc);

	if (err)
		return err;
	memmove(b->objs + i + 1, b->objs + i, (b->n - i) * sizeof(struct s3_object *));
	b->objs[i] = o;
	b->n++;
	return 0;
}

static json_t *object_json(const struct s3_object *o)
{
	json_t *j = json_pack("{s:s%, s:I, s:s, s:s, s:O, s:I, s:s}", "key", o->key, o->key_len,
			      "size", (json_int_t)o->size, "etag", o->etag, "content_type",
			      o->content_type, "meta", o->meta, "last_modified",
			      (json_int_t)o->last_modified_ms, "data", o->data_name);
	const struct s3_checksum *c = &o->checksum;

	if (j && c->alg &&
	    json_object_set_new(j, "checksum",
				json_pack("{s:s, s:s, s:s}", "algorithm", checksum_name(c->alg),
					  "type", c->composite ? "COMPOSITE" : "FULL_OBJECT",
					  "value", c->value))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

bool s3_checksum_from_text(enum checksum_alg alg, struct str text, struct s3_checksum *out)
{
	uint8_t raw[CHECKSUM_MAX_LEN];
	long dash = str_index(text, '-');
	struct str base = dash >= 0 ? str_make(text.ptr, (size_t)dash) : text;
	long long parts = 0;

	memset(out, 0, sizeof(*out));
	if (checksum_decode(alg, base, raw) ||
	    (dash >= 0 && str_to_i64(str_make(text.ptr + dash + 1, text.len - (size_t)dash - 1), 1,
				     S3_MAX_PARTS, &parts)) ||
	    text.len >= sizeof(out->value))
		return false;
	out->alg = alg;
	out->composite = dash >= 0;
	memcpy(out->value, text.ptr, text.len);
	out->value[text.len] = '\0';
	return true;
}

/*
 * The "checksum" member of a sidecar. A sidecar without one, or with one this
 * version does not understand, gives an object without a checksum.
 */
static void checksum_parse(const json_t *j, struct s3_checksum *out)
{
	const char *alg = jsonx_str(j, "algorithm"), *type = jsonx_str(j, "type");
	json_t *value = json_object_get(j, "value");

	memset(out, 0, sizeof(*out));
	if (!alg || !type || !json_is_string(value) ||
	    !s3_checksum_from_text(checksum_from_name(str_from(alg)),
				   str_make(json_string_value(value), json_string_length(value)),
				   out) ||
	    out->composite != !strcmp(type, "COMPOSITE"))
		memset(out, 0, sizeof(*out));
}

bool s3_meta_valid(const json_t *meta)
{
	const char *k;
	json_t *v;
	if (!json_is_object(meta))
		return false;
	json_object_foreach((json_t *)meta, k, v) if (!json_is_string(v)) return false;
	return true;
}

/* Parse a sidecar; NULL when malformed or its key does not hash to `hash`. */
static struct s3_object *object_parse(const struct buf *text, const char *hash)
{
	json_t *j = jsonx_parse(text->ptr, text->len, NULL, 0);
	struct s3_object *o = calloc(1, sizeof(*o));
	json_t *key = json_object_get(j, "key"), *size = json_object_get(j, "size");
	json_t *lm = json_object_get(j, "last_modified"), *meta = json_object_get(j, "meta");
	const char *etag = jsonx_str(j, "etag"), *ct = jsonx_str(j, "content_type");
	const char *data = jsonx_str(j, "data");
	char h[65];
	if (!o || !json_is_string(key) || !json_is_integer(size) || !json_is_integer(lm) || !etag ||
	    strlen(etag) >= S3_ETAG_MAX || !ct || !data || !s3_meta_valid(meta) ||
	    strchr(data, '/') || json_integer_value(size) < 0)
		goto fail;
	struct str k = str_make(json_string_value(key), json_string_length(key));
	if (!s3_key_valid(k))
		goto fail;
	key_hash(k, h);
	if (strcmp(h, hash))
		goto fail;
	o->key = str_dup(k);
	o->key_len = k.len;
	o->size = (uint64_t)json_integer_value(size);
	snprintf(o->etag, sizeof(o->etag), "%s", etag);
	o->content_type = strdup(ct);
	o->meta = json_incref(meta);
	o->last_modified_ms = json_integer_value(lm);
	o->data_name = strdup(data);
	checksum_parse(json_object_get(j, "checksum"), &o->checksum);
	json_decref(j);
	if (!o->key || !o->content_type || !o->data_name) {
		object_free(o);
		return NULL;
	}
	return o;
fail:
	json_decref(j);
	free(o);
	return NULL;
}

/* ---- buckets ---- */

static void bucket_free(struct s3_bucket *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		object_free(b->objs[i]);
	free(b->objs);
	free(b->name);
	free(b->dir);
	free(b);
}

bool s3_has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), c = strlen(suf);
	return a >= c && !strcmp(s + a - c, suf);
}

/* Load the sidecars of b->dir, then delete temporaries and unreferenced data files. */
static int bucket_load(struct s3_bucket *b)
{
	DIR *d = opendir(b->dir);
	struct dirent *e;
	if (!d)
		return ERR_IO;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (strncmp(n, "o-", 2) || strlen(n) != 2 + 64 + 5 || !s3_has_suffix(n, ".json"))
			continue;
		char hash[65], *p = s3_path_join(b->dir, n);
		struct buf text;
		snprintf(hash, sizeof(hash), "%.64s", n + 2);
		if (!p || s3_read_file(p, S3_MAX_SIDECAR, &text)) {
			free(p);
			continue;
		}
		struct s3_object *o = object_parse(&text, hash), *old = NULL;
		buf_release(&text);
		if (!o || index_put(b, o, &old)) {
			log_msg(LVL_WARN, "s3: skipping malformed sidecar %s", p);
			object_free(o);
		}
		object_free(old);
		free(p);
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		bool orphan = !strncmp(n, ".tmp-", 5);
		if (!strncmp(n, "o-", 2) && s3_has_suffix(n, ".data")) {
			orphan = true;
			for (size_t i = 0; i < b->n && orphan; i++)
				orphan = strcmp(b->objs[i]->data_name, n) != 0;
		}
		if (orphan) {
			char *p = s3_path_join(b->dir, n);
			if (p)
				unlink(p);
			free(p);
		}
	}
	closedir(d);
	return 0;
}

static int bucket_new(struct s3_store *st, const char *name, struct s3_bucket **out)
{
	struct s3_bucket *b = calloc(1, sizeof(*b));
	struct stat sb;
	if (!b)
		return ERR_NOMEM;
	b->store = st;
	b->name = strdup(name);
	b->dir = s3_path_join(st->root, name);
	if (!b->name || !b->dir) {
		bucket_free(b);
		return ERR_NOMEM;
	}
	if (stat(b->dir, &sb) == 0)
		b->created_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
	*out = b;
	return 0;
}

static size_t bucket_index(const struct s3_store *st, struct str name, bool *found)
{
	size_t lo = 0, hi = st->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *bn = st->buckets[mid]->name;
		int c = key_cmp(bn, strlen(bn), name.ptr, name.len);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int store_insert(struct s3_store *st, struct s3_bucket *b)
{
	bool found;
	size_t i = bucket_index(st, str_from(b->name), &found);
	if (found)
		return ERR_EXISTS;
	if (st->n >= S3_MAX_BUCKETS)
		return ERR_TOOLARGE;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
	int err = ALLOC_GROW(st->buckets, st->n + 1, st->alloc);

	if (err)
		return err;
	memmove(st->buckets + i + 1, st->buckets + i, (st->n - i) * sizeof(struct s3_bucket *));
	st->buckets[i] = b;
	st->n++;
	return 0;
}

int s3_store_open(const char *root, struct s3_store **out)
{
	if (!root || !out)
		return ERR_INVAL;
	*out = NULL;
	if (mkdir(root, 0755) && errno != EEXIST)
		return ERR_IO;
	struct s3_store *st = calloc(1, sizeof(*st));
	if (!st || !(st->root = strdup(root))) {
		free(st);
		return ERR_NOMEM;
	}
	DIR *d = opendir(root);
	if (!d) {
		s3_store_close(st);
		return ERR_IO;
	}
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		struct s3_bucket *b = NULL;
		if (!s3_bucket_name_valid(str_from(e->d_name)) || e->d_type != DT_DIR)
			continue;
		rc = bucket_new(st, e->d_name, &b);
		if (!rc && (rc = bucket_load(b)) == 0)
			rc = store_insert(st, b);
		if (rc)
			bucket_free(b);
	}
	closedir(d);
	if (rc) {
		s3_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void s3_store_set_fsync(struct s3_store *st, bool on)
{
	if (st)
		st->fsync = on;
}

void s3_store_close(struct s3_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		bucket_free(st->buckets[i]);
	free(st->buckets);
	free(st->root);
	free(st);
}

int s3_store_create_bucket(struct s3_store *st, struct str name)
{
	bool found;
	if (!st || !s3_bucket_name_valid(name))
		return ERR_INVAL;
	bucket_index(st, name, &found);
	if (found)
		return ERR_EXISTS;
	if (st->n >= S3_MAX_BUCKETS)
		return ERR_TOOLARGE;
	char *n = str_dup(name);
	struct s3_bucket *b = NULL;
	int rc = n ? bucket_new(st, n, &b) : ERR_NOMEM;
	free(n);
	if (rc)
		return rc;
	if (mkdir(b->dir, 0755) && errno != EEXIST)
		rc = ERR_IO;
	if (!rc) {
		s3_sync_dir(st, st->root);
		b->created_ms = time_now_ms();
		rc = bucket_load(b);
	}
	if (!rc)
		rc = store_insert(st, b);
	if (rc)
		bucket_free(b);
	return rc;
}

int s3_store_delete_bucket(struct s3_store *st, struct str name)
{
	bool found;
	size_t i = bucket_index(st, name, &found);
	if (!found)
		return ERR_NOTFOUND;
	struct s3_bucket *b = st->buckets[i];
	if (b->n)
		return ERR_PRECONDITION;
	int rc = s3_rm_tree(b->dir);
	if (rc)
		return rc;
	memmove(st->buckets + i, st->buckets + i + 1, (st->n - i - 1) * sizeof(struct s3_bucket *));
	st->n--;
	bucket_free(b);
	return 0;
}

struct s3_bucket *s3_store_bucket(struct s3_store *st, struct str name)
{
	bool found;
	size_t i = bucket_index(st, name, &found);
	return found ? st->buckets[i] : NULL;
}

size_t s3_store_n_buckets(const struct s3_store *st)
{
	return st->n;
}
struct s3_bucket *s3_store_bucket_at(struct s3_store *st, size_t i)
{
	return st->buckets[i];
}
const char *s3_bucket_name(const struct s3_bucket *b)
{
	return b->name;
}
int64_t s3_bucket_created_ms(const struct s3_bucket *b)
{
	return b->created_ms;
}
size_t s3_bucket_count(const struct s3_bucket *b)
{
	return b->n;
}
const struct s3_object *s3_bucket_at(const struct s3_bucket *b, size_t i)
{
	return b->objs[i];
}

size_t s3_bucket_lower_bound(const struct s3_bucket *b, struct str key)
{
	bool found;
	return find_index(b, key, &found);
}

const struct s3_object *s3_bucket_find(const struct s3_bucket *b, struct str key)
{
	bool found;
	size_t i = find_index(b, key, &found);
	return found ? b->objs[i] : NULL;
}

int s3_object_open(const struct s3_bucket *b, const struct s3_object *obj, int *fd)
{
	char *p = s3_path_join(b->dir, obj->data_name);
	if (!p)
		return ERR_NOMEM;
	*fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	return *fd < 0 ? ERR_IO : 0;
}

static void unlink_in(const char *dir, const char *name)
{
	char *p = s3_path_join(dir, name);
	if (p)
		unlink(p);
	free(p);
}

int s3_bucket_delete_object(struct s3_bucket *b, struct str key)
{
	bool found;
	size_t i = find_index(b, key, &found);
	if (!found)
		return ERR_NOTFOUND;
	struct s3_object *o = b->objs[i];
	char hash[65], side[80];
	key_hash(key, hash);
	snprintf(side, sizeof(side), "o-%s.json", hash);
	char *p = s3_path_join(b->dir, side);
	if (!p)
		return ERR_NOMEM;
	int rc = unlink(p) && errno != ENOENT ? ERR_IO : 0;
	free(p);
	if (rc)
		return rc;
	unlink_in(b->dir, o->data_name);
	memmove(b->objs + i, b->objs + i + 1, (b->n - i - 1) * sizeof(struct s3_object *));
	b->n--;
	object_free(o);
	return 0;
}

/* ---- writing ---- */

/*
 * Create the data file of a write in progress under its final, fresh name
 * "o-<16 random hex>.data": until a sidecar names it, it is an orphan that
 * opening the bucket removes, so it needs no temporary name and no rename.
 */
static int data_file_create(const char *dir, char *path, size_t cap)
{
	unsigned char rnd[8];
	char hex[17];

	for (int attempt = 0; attempt < 8; attempt++) {
		if (random_bytes(rnd, sizeof(rnd)))
			return -1;
		hex_lower(hex, rnd, sizeof(rnd));
		int n = snprintf(path, cap, "%s/o-%s.data", dir, hex);
		if (n < 0 || (size_t)n >= cap)
			return -1;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Free the digests of a write. */
static void writer_digests_free(struct s3_writer *w)
{
	EVP_MD_CTX_free(w->md5);
	w->md5 = NULL;
	checksum_release(&w->sum);
}

int s3_writer_begin(struct s3_bucket *b, struct s3_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->bucket = b;
	if (strlen(b->dir) + sizeof("/o-0123456789abcdef.data") > sizeof(w->tmp_path))
		return ERR_TOOLARGE;
	w->md5 = EVP_MD_CTX_new();
	if (!w->md5 || !EVP_DigestInit_ex(w->md5, EVP_md5(), NULL) ||
	    checksum_init(&w->sum, CHECKSUM_CRC64NVME)) {
		writer_digests_free(w);
		return ERR_NOMEM;
	}
	w->fd = data_file_create(b->dir, w->tmp_path, sizeof(w->tmp_path));
	if (w->fd < 0) {
		writer_digests_free(w);
		return ERR_IO;
	}
	return 0;
}

int s3_writer_use(struct s3_writer *w, enum checksum_alg alg)
{
	if (w->size || w->ended)
		return ERR_INVAL;
	checksum_release(&w->sum);
	return checksum_init(&w->sum, alg);
}

int s3_writer_write(struct s3_writer *w, const void *data, size_t len)
{
	if (w->fd < 0 || w->ended)
		return ERR_INVAL;
	if (len == 0)
		return 0;
	if (!EVP_DigestUpdate(w->md5, data, len))
		return ERR_NOMEM;
	checksum_update(&w->sum, data, len);
	w->size += len;
	return write_all(w->fd, data, len);
}

int s3_writer_end(struct s3_writer *w)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	uint8_t sum[CHECKSUM_MAX_LEN];
	unsigned int dl = 0;
	if (w->ended)
		return 0;
	if (w->fd < 0 || !w->md5)
		return ERR_INVAL;
	if (!EVP_DigestFinal_ex(w->md5, d, &dl) || dl != MD5_LEN)
		return ERR_NOMEM;
	hex_lower(w->md5_hex, d, MD5_LEN);
	memset(&w->checksum, 0, sizeof(w->checksum));
	if (w->sum.alg) {
		checksum_final(&w->sum, sum);
		if (checksum_encode(w->sum.alg, sum, w->checksum.value))
			return ERR_NOMEM;
		w->checksum.alg = w->sum.alg;
	}
	writer_digests_free(w);
	w->ended = true;
	return 0;
}

void s3_writer_abort(struct s3_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp_path);
	}
	w->fd = -1;
	writer_digests_free(w);
}

/* End the write (its digests), fsync (when the store syncs) and close the data file. */
int s3_writer_finish(struct s3_writer *w)
{
	int rc = s3_writer_end(w);
	if (rc)
		return rc;
	if (w->bucket->store->fsync && fsync(w->fd))
		return ERR_IO;
	close(w->fd);
	w->fd = -2; /* closed, the temporary file still exists */
	return 0;
}

void s3_writer_drop(struct s3_writer *w)
{
	if (w->fd == -2)
		unlink(w->tmp_path);
	w->fd = -1;
	writer_digests_free(w);
}

/*
 * Commit the closed data file at `tmp` (in b->dir, see s3_writer_begin()) as
 * object `key`. *taken becomes true once the data file is no longer the
 * caller's to delete (a sidecar names it, or it was deleted here).
 */
static int commit_file(struct s3_bucket *b, const char *tmp, uint64_t size, struct str key,
		       const char *content_type, const json_t *meta, const char *etag,
		       const struct s3_checksum *sum, const struct s3_object **out, bool *taken)
{
	char hash[65], side[80];
	const char *base = strrchr(tmp, '/');
	struct s3_object *o = calloc(1, sizeof(*o)), *old = NULL;
	json_t *j = NULL;
	struct buf text;
	int rc = ERR_NOMEM;
	buf_init(&text, S3_MAX_SIDECAR);
	if (!o)
		return ERR_NOMEM;
	key_hash(key, hash);
	o->key = str_dup(key);
	o->key_len = key.len;
	o->size = size;
	snprintf(o->etag, sizeof(o->etag), "%s", etag);
	o->checksum = *sum;
	o->content_type = strdup(content_type ? content_type : "binary/octet-stream");
	o->meta = meta ? json_deep_copy(meta) : json_object();
	o->last_modified_ms = time_now_ms();
	/* The data file already has its final name: the sidecar's rename is the commit. */
	o->data_name = strdup(base ? base + 1 : tmp);
	if (!o->key || !o->content_type || !o->meta || !o->data_name)
		goto fail;
	j = object_json(o);
	rc = j ? jsonx_dump(j, &text, 0) : ERR_NOMEM;
	snprintf(side, sizeof(side), "o-%s.json", hash);
	if (!rc)
		rc = s3_write_atomic(b->dir, side, text.ptr, text.len, b->store->fsync);
	*taken = true;
	if (rc) {
		unlink_in(b->dir, o->data_name);
		goto fail;
	}
	s3_sync_dir(b->store, b->dir);
	rc = index_put(b, o, &old);
	if (rc) /* on disk but not indexed: it reappears at the next open */
		goto fail;
	if (old)
		unlink_in(b->dir, old->data_name);
	object_free(old);
	json_decref(j);
	buf_release(&text);
	if (out)
		*out = o;
	return 0;
fail:
	json_decref(j);
	buf_release(&text);
	object_free(o);
	return rc;
}

int s3_writer_commit(struct s3_writer *w, struct str key, const char *content_type,
		     const json_t *meta, const char *etag, const struct s3_object **out)
{
	if (!s3_key_valid(key) || (meta && !s3_meta_valid(meta)))
		return ERR_INVAL;
	bool taken = false;
	int rc = s3_writer_finish(w);
	if (!rc)
		rc = commit_file(w->bucket, w->tmp_path, w->size, key, content_type, meta,
				 etag ? etag : w->md5_hex, &w->checksum, out, &taken);
	if (taken)
		w->fd = -1; /* the data file is the object's now (or gone): keep it */
	s3_writer_drop(w);
	return rc;
}
