/*
 * Multipart uploads in the local S3 store (s3_store.h): an upload is a
 * directory <bucket>/.uploads/<id>/ holding upload.json (the key, content
 * type, metadata and checksum algorithm it will get) and one <nnnnn>.part file per part, each
 * written through an s3_writer and renamed into place, so that a part is
 * there whole or not at all. Completing concatenates the listed parts into a
 * new object through the same writer (the object's commit is its sidecar's
 * rename) and then removes the directory; a kill in between leaves both the
 * object and the upload, which a retried Complete or an Abort settles.
 *
 * Upload ids are 32 random hex digits and are checked before they name a
 * path, so a client's id cannot reach outside .uploads.
 *
 * A part's checksum is not stored: it is computed again, with its MD5, each
 * time the parts are listed, from the bytes that were verified when the part
 * was uploaded, so a part and its checksum cannot disagree after a kill.
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
#include "core/timeutil.h"
#include "local/s3/s3_store.h"
#include "local/s3/s3_store_int.h"

/* Bytes read at a time when hashing and concatenating parts. */
#define COPY_CHUNK (256u << 10)

static bool upload_id_valid(struct str id)
{
	if (id.len != S3_UPLOAD_ID_LEN)
		return false;
	for (size_t i = 0; i < id.len; i++)
		if (!((id.ptr[i] >= '0' && id.ptr[i] <= '9') ||
		      (id.ptr[i] >= 'a' && id.ptr[i] <= 'f')))
			return false;
	return true;
}

/* "<bucket dir>/.uploads/<id>" (and an optional file name under it). */
static char *upload_path(const struct s3_bucket *b, struct str id, const char *file)
{
	struct buf p;
	buf_init(&p, PATH_CAP);
	int rc = buf_addf(&p, "%s/.uploads/%.*s", b->dir, STR_FMT(id));
	if (!rc && file)
		rc = buf_addf(&p, "/%s", file);
	if (rc) {
		buf_release(&p);
		return NULL;
	}
	return buf_detach(&p, NULL);
}

int s3_upload_create(struct s3_bucket *b, struct str key, const char *content_type,
		     const json_t *meta, enum checksum_alg alg, bool composite,
		     char id[S3_UPLOAD_ID_LEN + 1])
{
	unsigned char rnd[S3_UPLOAD_ID_LEN / 2];
	if (!s3_key_valid(key) || (meta && !s3_meta_valid(meta)) || (alg && !checksum_name(alg)))
		return ERR_INVAL;
	if (random_bytes(rnd, sizeof(rnd)))
		return ERR_IO;
	hex_lower(id, rnd, sizeof(rnd));
	char *ups = s3_path_join(b->dir, ".uploads");
	char *dir = upload_path(b, str_make(id, S3_UPLOAD_ID_LEN), NULL);
	/* "o" takes the reference: a borrowed `meta` gets one of its own, none a fresh object. */
	json_t *j = json_pack("{s:s%, s:s, s:o, s:I}", "key", key.ptr, key.len, "content_type",
			      content_type ? content_type : "binary/octet-stream", "meta",
			      meta ? json_incref((json_t *)meta) : json_object(), "initiated",
			      (json_int_t)time_now_ms());
	struct buf text;
	int rc = ERR_NOMEM;
	buf_init(&text, S3_MAX_SIDECAR);
	if (!ups || !dir || !j)
		goto out;
	if (alg && (json_object_set_new(j, "checksum_algorithm", json_string(checksum_name(alg))) ||
		    json_object_set_new(j, "checksum_type",
					json_string(composite ? "COMPOSITE" : "FULL_OBJECT"))))
		goto out;
	if ((mkdir(ups, 0755) && errno != EEXIST) || mkdir(dir, 0755)) {
		rc = ERR_IO;
		goto out;
	}
	rc = jsonx_dump(j, &text, 0);
	if (!rc)
		rc = s3_write_atomic(dir, "upload.json", text.ptr, text.len, b->store->fsync);
out:
	buf_release(&text);
	json_decref(j);
	free(ups);
	free(dir);
	return rc;
}

int s3_upload_get(struct s3_bucket *b, struct str id, struct s3_upload *out)
{
	memset(out, 0, sizeof(*out));
	if (!upload_id_valid(id))
		return ERR_NOTFOUND;
	char *p = upload_path(b, id, "upload.json");
	struct buf text;
	if (!p)
		return ERR_NOMEM;
	int rc = s3_read_file(p, S3_MAX_SIDECAR, &text);
	free(p);
	if (rc)
		return rc;
	json_t *j = jsonx_parse(text.ptr, text.len, NULL, 0);
	buf_release(&text);
	json_t *key = json_object_get(j, "key"), *meta = json_object_get(j, "meta");
	const char *ct = jsonx_str(j, "content_type");
	const char *alg = jsonx_str(j, "checksum_algorithm"), *type = jsonx_str(j, "checksum_type");
	if (!json_is_string(key) || !ct || !s3_meta_valid(meta) ||
	    (alg && !checksum_from_name(str_from(alg)))) {
		json_decref(j);
		return ERR_IO;
	}
	out->alg = alg ? checksum_from_name(str_from(alg)) : CHECKSUM_NONE;
	out->composite = type && !strcmp(type, "COMPOSITE");
	out->key = str_dup(str_make(json_string_value(key), json_string_length(key)));
	out->key_len = json_string_length(key);
	out->content_type = strdup(ct);
	out->meta = json_incref(meta);
	out->initiated_ms = json_integer_value(json_object_get(j, "initiated"));
	json_decref(j);
	if (!out->key || !out->content_type) {
		s3_upload_release(out);
		return ERR_NOMEM;
	}
	return 0;
}

void s3_upload_release(struct s3_upload *u)
{
	free(u->key);
	free(u->content_type);
	json_decref(u->meta);
	memset(u, 0, sizeof(*u));
}

int s3_writer_commit_part(struct s3_writer *w, struct str id, int number)
{
	char name[32];
	if (number < 1 || number > S3_MAX_PARTS)
		return ERR_INVAL;
	if (!upload_id_valid(id))
		return ERR_NOTFOUND;
	char *dir = upload_path(w->bucket, id, NULL), *dst = NULL;
	struct stat sb;
	int rc = dir ? 0 : ERR_NOMEM;
	if (!rc && stat(dir, &sb))
		rc = ERR_NOTFOUND;
	if (!rc)
		rc = s3_writer_finish(w);
	snprintf(name, sizeof(name), "%05d.part", number);
	if (!rc && !(dst = s3_path_join(dir, name)))
		rc = ERR_NOMEM;
	if (!rc && rename(w->tmp_path, dst))
		rc = ERR_IO;
	if (!rc) {
		w->fd = -1;
		s3_sync_dir(w->bucket->store, dir);
	}
	s3_writer_drop(w);
	free(dir);
	free(dst);
	return rc;
}

/* The MD5 hex, the checksum of `alg` and the size of part `p`'s file, streamed. */
static int part_digests(const char *path, enum checksum_alg alg, struct s3_part *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ERR_IO;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char *tmp = malloc(COPY_CHUNK), d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	struct checksum sum;
	int rc = checksum_init(&sum, alg);
	if (!rc && !(c && tmp && EVP_DigestInit_ex(c, EVP_md5(), NULL)))
		rc = ERR_NOMEM;
	p->size = 0;
	while (!rc) {
		ssize_t r = read(fd, tmp, COPY_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = ERR_IO;
		if (r <= 0)
			break;
		p->size += (uint64_t)r;
		if (!EVP_DigestUpdate(c, tmp, (size_t)r))
			rc = ERR_NOMEM;
		checksum_update(&sum, tmp, (size_t)r);
	}
	if (!rc && (!EVP_DigestFinal_ex(c, d, &dl) || dl != MD5_LEN))
		rc = ERR_NOMEM;
	if (!rc) {
		hex_lower(p->etag, d, MD5_LEN);
		checksum_final(&sum, p->sum);
	}
	checksum_release(&sum);
	EVP_MD_CTX_free(c);
	free(tmp);
	close(fd);
	return rc;
}

static int part_cmp(const void *a, const void *b)
{
	return ((const struct s3_part *)a)->number - ((const struct s3_part *)b)->number;
}

int s3_upload_parts(struct s3_bucket *b, struct str id, enum checksum_alg alg,
		    struct s3_part **parts, size_t *n)
{
	*parts = NULL;
	*n = 0;
	if (!upload_id_valid(id))
		return ERR_NOTFOUND;
	char *dir = upload_path(b, id, NULL);
	if (!dir)
		return ERR_NOMEM;
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return ERR_NOTFOUND;
	}
	struct dirent *e;
	size_t alloc = 0;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		int num = 0;
		if (strlen(e->d_name) != 10 || !s3_has_suffix(e->d_name, ".part"))
			continue;
		for (int i = 0; i < 5; i++) {
			char c = e->d_name[i];
			num = c >= '0' && c <= '9' ? num * 10 + (c - '0') : -1000000;
		}
		if (num < 1 || num > S3_MAX_PARTS)
			continue;
		if ((rc = ALLOC_GROW(*parts, *n + 1, alloc)))
			break;
		struct s3_part *p = &(*parts)[*n];
		memset(p, 0, sizeof(*p));
		char *path = s3_path_join(dir, e->d_name);
		struct stat sb;
		p->number = num;
		rc = path ? part_digests(path, alg, p) : ERR_NOMEM;
		if (!rc && stat(path, &sb) == 0)
			p->last_modified_ms =
				(int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
		free(path);
		if (!rc)
			(*n)++;
	}
	closedir(d);
	free(dir);
	if (rc) {
		free(*parts);
		*parts = NULL;
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(*parts, *n, sizeof(**parts), part_cmp);
	return 0;
}

static int append_file(struct s3_writer *w, const char *path, unsigned char *tmp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return ERR_IO;
	for (;;) {
		ssize_t r = read(fd, tmp, COPY_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = ERR_IO;
		if (r <= 0)
			break;
		rc = s3_writer_write(w, tmp, (size_t)r);
		if (rc)
			break;
	}
	close(fd);
	return rc;
}

int s3_upload_complete(struct s3_bucket *b, struct str id, const int *numbers, size_t n,
		       const char *etag, const struct s3_checksum *sum,
		       const struct s3_object **out)
{
	struct s3_upload up;
	struct s3_writer w;
	int rc = s3_upload_get(b, id, &up);
	if (rc)
		return rc;
	unsigned char *tmp = malloc(COPY_CHUNK);
	rc = tmp ? s3_writer_begin(b, &w) : ERR_NOMEM;
	if (rc)
		goto out;
	/* The checksum comes from the parts' (the caller's): none to compute over the bytes. */
	rc = s3_writer_use(&w, CHECKSUM_NONE);
	for (size_t i = 0; i < n && !rc; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%05d.part", numbers[i]);
		char *dir = upload_path(b, id, name);
		rc = dir ? append_file(&w, dir, tmp) : ERR_NOMEM;
		free(dir);
	}
	if (!rc)
		rc = s3_writer_end(&w);
	if (!rc) {
		if (sum)
			w.checksum = *sum;
		rc = s3_writer_commit(&w, str_make(up.key, up.key_len), up.content_type, up.meta,
				      etag, out);
	} else {
		s3_writer_abort(&w);
	}
	if (!rc)
		s3_upload_abort(b, id);
out:
	free(tmp);
	s3_upload_release(&up);
	return rc;
}

int s3_upload_abort(struct s3_bucket *b, struct str id)
{
	struct stat sb;
	if (!upload_id_valid(id))
		return ERR_NOTFOUND;
	char *dir = upload_path(b, id, NULL);
	if (!dir)
		return ERR_NOMEM;
	int rc = stat(dir, &sb) ? ERR_NOTFOUND : s3_rm_tree(dir);
	free(dir);
	return rc;
}
