/*
 * Inside the local S3 store: what s3_store.c (buckets, objects, writes)
 * shares with s3_upload.c (multipart uploads); nothing else includes it.
 * The disk helpers implement the store's commit protocol (s3_store.h): a
 * file is written whole under a temporary name and renamed into place.
 */
#ifndef SLUICE_LOCAL_S3_STORE_INT_H
#define SLUICE_LOCAL_S3_STORE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"
#include "local/s3/s3_store.h"

/* A path in the store: PATH_MAX, the most the kernel takes. */
#define PATH_CAP 4096

/* A bucket: its directory and its objects in memory. */
struct s3_bucket {
	struct s3_store *store;
	char *name;
	char *dir; /* <root>/<name> */
	int64_t created_ms;
	struct s3_object **objs; /* sorted by key bytes, shorter first on a tie */
	size_t n, alloc;
};

/* The store: its root and its buckets. */
struct s3_store {
	char *root;
	bool fsync;		    /* fsync files and directories before a write is answered */
	struct s3_bucket **buckets; /* sorted by name */
	size_t n, alloc;
};

/* "<dir>/<name>" as a new string, or NULL (no memory, or past PATH_CAP). */
char *s3_path_join(const char *dir, const char *name);

/*
 * Read the whole file at `path` into `out` (initialised here with `cap`).
 * Returns 0, ERR_NOTFOUND, ERR_IO or ERR_TOOLARGE (past `cap`); `out` is
 * released on failure.
 */
int s3_read_file(const char *path, size_t cap, struct buf *out /* OUT */);

/*
 * Write `len` bytes of `data` as `dir`/`name` atomically: to a temporary
 * file in `dir` (fsync'd when `sync`), then rename()d over `name`. Returns 0,
 * ERR_TOOLARGE (path), ERR_IO or ERR_NOMEM; the temporary file is gone then.
 */
int s3_write_atomic(const char *dir, const char *name, const void *data, size_t len, bool sync);

/* fsync the directory `dir` when the store syncs (best effort: the rename is done). */
void s3_sync_dir(const struct s3_store *st, const char *dir);

/* Remove `path` and everything under it. 0, ERR_IO or ERR_NOMEM. */
int s3_rm_tree(const char *path);

/* True when `s` ends with `suf`. */
bool s3_has_suffix(const char *s, const char *suf);

/* A key S3 accepts: 1..S3_MAX_KEY_LEN bytes of UTF-8 without NUL. */
bool s3_key_valid(struct str key);

/* User metadata: a JSON object of strings. */
bool s3_meta_valid(const json_t *meta);

/*
 * Finish a write: s3_writer_end() (the digests), fsync when the store syncs,
 * close the data file (which stays, still named by w->tmp_path). 0, ERR_INVAL
 * (not open), ERR_IO or ERR_NOMEM.
 */
int s3_writer_finish(struct s3_writer *w);

/* Forget a write: unlink a data file that s3_writer_finish() closed, free the digest. */
void s3_writer_drop(struct s3_writer *w);

#endif
