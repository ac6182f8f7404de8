/*
 * dev_code.h: from a function resource to the folder its code runs from.
 * Paths in a template are relative to the template's folder (SAM CLI
 * resolves CodeUri so, and cdk.out and .serverless hold their assets beside
 * their templates). Zips are unpacked with unzip(1), a Debian package
 * scripts/deps installs, into a temporary folder renamed into place, so a
 * half-unpacked zip is never taken for the code.
 */
#include "core/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/json.h"
#include "local/dev_code.h"

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int dev_code_template_dir(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;

	if (slash == path)
		n = 1;
	if (n + 1 > cap)
		return ERR_TOOLARGE;
	memcpy(out, slash ? path : ".", n);
	out[n] = '\0';
	return 0;
}

/* `rel` against the template's folder: absolute paths stay as they are. */
static char *join(const char *dir, const char *rel)
{
	struct buf b;

	buf_init(&b, PATH_MAX);
	if (rel[0] == '/' || !strcmp(dir, "."))
		buf_puts(&b, rel);
	else
		buf_putf(&b, "%s/%s", dir, rel);
	/* "fn/" and "fn" are one folder. */
	while (b.len > 1 && b.ptr[b.len - 1] == '/')
		buf_truncate(&b, b.len - 1);
	if (buf_error(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static bool has_suffix(const char *s, const char *suffix)
{
	return str_has_suffix(str_from(s), str_from(suffix));
}

static int mkdir_one(const char *path)
{
	return mkdir(path, 0700) && errno != EEXIST ? ERR_IO : 0;
}

/* The cache folder and its parents. */
static int mkdir_parents(const char *path)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (!n || n >= sizeof(tmp))
		return ERR_INVAL;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir_one(tmp))
			return ERR_IO;
		*p = '/';
	}
	return mkdir_one(tmp);
}

/* The first 32 hex digits of the SHA-256 of `len` bytes: the cache key. */
static void cache_key(const void *data, size_t len, char key[33])
{
	char hex[2 * SHA256_LEN + 1];

	sha256_hex(data, len, hex);
	memcpy(key, hex, 32);
	key[32] = '\0';
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) ? -1 : 0;
}

/* Remove a folder of ours and everything in it (a failed or superfluous unpacking). */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run unzip(1) on `zip` into `dir`; 0 or ERR_IO. */
static int run_unzip(const char *zip, const char *dir)
{
	char *argv[] = {"unzip", "-qq", "-o", (char *)zip, "-d", (char *)dir, NULL};
	extern char **environ;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "unzip", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return ERR_IO;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ERR_IO;
	/* 1 is unzip's "warnings" (e.g. a comment it skipped): the files are there. */
	return WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? 0 : ERR_IO;
}

/* Unpack `zip` into <cache>/<key> unless it is there already; the folder into *dir. */
static int unpack_zip(const char *zip, const char *cache, char **dir, char *why, size_t why_len)
{
	struct stat st;
	char key[33], final[PATH_MAX], tmp[PATH_MAX];
	void *map;
	int fd = open(zip, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		set_why(why, why_len, "%s: %s", zip, fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return ERR_IO;
	}
	if ((size_t)st.st_size > DEV_CODE_ZIP_MAX || st.st_size == 0) {
		close(fd);
		set_why(why, why_len, "%s: %s", zip, st.st_size ? "larger than 256 MiB" : "empty");
		return ERR_IO;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		set_why(why, why_len, "%s: %s", zip, strerror(errno));
		return ERR_IO;
	}
	cache_key(map, (size_t)st.st_size, key);
	munmap(map, (size_t)st.st_size);
	if ((size_t)snprintf(final, sizeof(final), "%s/%s", cache, key) >= sizeof(final) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", cache, key, (long)getpid()) >=
		    sizeof(tmp))
		return ERR_TOOLARGE;
	if (stat(final, &st) == 0 && S_ISDIR(st.st_mode))
		return (*dir = strdup(final)) ? 0 : ERR_NOMEM;
	if ((err = mkdir_parents(cache)) || (err = mkdir_one(tmp))) {
		set_why(why, why_len, "cannot create %s: %s", tmp, strerror(errno));
		return err;
	}
	if (run_unzip(zip, tmp)) {
		remove_tree(tmp);
		set_why(why, why_len, "%s: unzip failed (is it a zip file? is unzip installed?)",
			zip);
		return ERR_IO;
	}
	/* Another sluice may have unpacked the same zip meanwhile: theirs is as good. */
	if (rename(tmp, final)) {
		int e = errno;

		remove_tree(tmp);
		if (e != ENOTEMPTY && e != EEXIST) {
			set_why(why, why_len, "cannot rename %s: %s", tmp, strerror(e));
			return ERR_IO;
		}
	}
	return (*dir = strdup(final)) ? 0 : ERR_NOMEM;
}

/* A folder or a zip at `path` (already joined): the code. */
static int from_path(const char *path, const char *cache, struct dev_code *out, char *why,
		     size_t why_len)
{
	struct stat st;

	if (stat(path, &st)) {
		set_why(why, why_len, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	if (!(out->watch = strdup(path)))
		return ERR_NOMEM;
	if (S_ISDIR(st.st_mode))
		return (out->dir = strdup(path)) ? 0 : ERR_NOMEM;
	return unpack_zip(path, cache, &out->dir, why, why_len);
}

/* Inline source, written once into <cache>/inline-<key>/index<ext>. */
static int from_inline(const char *src, const char *ext, const char *cache, struct dev_code *out,
		       char *why, size_t why_len)
{
	char key[33], dir[PATH_MAX], file[PATH_MAX + 16];
	size_t len = strlen(src);
	FILE *f;
	int err;

	if (len > DEV_CODE_INLINE_MAX) {
		set_why(why, why_len, "inline code larger than 4 MiB");
		return ERR_IO;
	}
	cache_key(src, len, key);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/inline-%s", cache, key) >= sizeof(dir))
		return ERR_TOOLARGE;
	snprintf(file, sizeof(file), "%s/index%s", dir, ext);
	if ((err = mkdir_parents(dir))) {
		set_why(why, why_len, "cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	f = fopen(file, "w");
	if (f) {
		bool written = fwrite(src, 1, len, f) == len;

		if (fclose(f) || !written)
			f = NULL;
	}
	if (!f) {
		set_why(why, why_len, "cannot write %s", file);
		return ERR_IO;
	}
	out->dir = strdup(dir);
	return out->dir ? 0 : ERR_NOMEM;
}

/* Read a small JSON file (a manifest); NULL when it is missing or not JSON. */
static json_t *read_json(const char *path)
{
	json_error_t e;
	struct stat st;

	if (stat(path, &st) || (size_t)st.st_size > DEV_CODE_MANIFEST_MAX)
		return NULL;
	return json_load_file(path, 0, &e);
}

/*
 * CDK without aws:asset:path metadata: the *.assets.json beside the template
 * lists each file asset with its source path and the objectKey it is
 * published under, which is the function's Code.S3Key.
 */
static char *cdk_manifest_asset(const char *tdir, const char *key)
{
	DIR *d = opendir(tdir);
	struct dirent *de;
	char *found = NULL;

	while (d && !found && (de = readdir(d))) {
		char path[PATH_MAX];
		json_t *m, *files, *asset;
		const char *id;

		if (!has_suffix(de->d_name, ".assets.json") ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", tdir, de->d_name) >= sizeof(path))
			continue;
		m = read_json(path);
		files = jsonx_obj(m, "files");
		json_object_foreach(files, id, asset)
		{
			json_t *dests = jsonx_obj(asset, "destinations"), *dst;
			const char *did;

			json_object_foreach(dests, did, dst)
			{
				const char *src = jsonx_str(jsonx_obj(asset, "source"), "path");

				if (!found && src && jsonx_str(dst, "objectKey") &&
				    !strcmp(jsonx_str(dst, "objectKey"), key))
					found = join(tdir, src);
			}
		}
		json_decref(m);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The Serverless Framework: `serverless package` leaves the template and the
 * zips in .serverless/, the S3Key ending with the zip's name; the state file
 * names the artifact too.
 */
static char *serverless_zip(const char *tdir, const char *s3key)
{
	const char *base = s3key ? strrchr(s3key, '/') : NULL;
	char *path;
	json_t *state;
	const char *artifact;
	struct stat st;

	base = base ? base + 1 : s3key;
	if (base && *base && (path = join(tdir, base))) {
		if (!stat(path, &st))
			return path;
		free(path);
	}
	path = join(tdir, "serverless-state.json");
	state = path ? read_json(path) : NULL;
	free(path);
	artifact = jsonx_str(jsonx_obj(jsonx_obj(state, "service"), "package"), "artifact");
	base = artifact ? strrchr(artifact, '/') : NULL;
	path = artifact ? join(tdir, base ? base + 1 : artifact) : NULL;
	json_decref(state);
	if (path && stat(path, &st)) {
		free(path);
		path = NULL;
	}
	return path;
}

static const char *known_str(const struct tval *v)
{
	return v && !(v->flags & TVAL_F_PARTIAL) ? tval_str(v) : NULL;
}

static int s3_refusal(const struct template_resource *r, const char *what, char *why, size_t len)
{
	set_why(why, len,
		"%s: its code is in S3 (%s), which the local cloud cannot fetch: point CodeUri at "
		"the folder or .zip it is built from, or build it first (sam build, cdk synth, "
		"serverless package)",
		r->id, what);
	return ERR_UNSUPPORTED;
}

static int inline_code(const struct template_resource *r, const char *src, const char *ext,
		       const char *cache, struct dev_code *out, char *why, size_t why_len)
{
	out->from = "inline code";
	if (!ext) {
		set_why(why, why_len,
			"%s: inline code (InlineCode, Code.ZipFile) runs only for Node.js and "
			"Python runtimes",
			r->id);
		return ERR_UNSUPPORTED;
	}
	return from_inline(src, ext, cache, out, why, why_len);
}

/* The Code of an AWS::Lambda::Function: inline, CDK's manifest, the Serverless zip, or S3. */
static int lambda_code(const struct template_resource *r, const char *tdir, const char *ext,
		       const char *cache, struct dev_code *out, char *why, size_t why_len)
{
	const struct tval *code = tval_get(r->props, "Code");
	const char *key = known_str(tval_get(code, "S3Key"));
	char *path;
	int err;

	if (!code)
		return ERR_NOTFOUND;
	if (known_str(tval_get(code, "ZipFile")))
		return inline_code(r, known_str(tval_get(code, "ZipFile")), ext, cache, out, why,
				   why_len);
	if (tval_get(code, "ImageUri")) {
		set_why(why, why_len, "%s: a container image (Code.ImageUri) does not run locally",
			r->id);
		return ERR_UNSUPPORTED;
	}
	path = key ? cdk_manifest_asset(tdir, key) : NULL;
	out->from = "the CDK assets manifest";
	if (!path) {
		path = serverless_zip(tdir, key);
		out->from = "the Serverless package";
	}
	if (!path)
		return s3_refusal(r, key ? key : "Code.S3Bucket/S3Key", why, why_len);
	err = from_path(path, cache, out, why, why_len);
	free(path);
	return err;
}

/* SAM's CodeUri: a folder, a zip, or S3. */
static int sam_code(const struct template_resource *r, const char *tdir, const char *ext,
		    const char *cache, struct dev_code *out, char *why, size_t why_len)
{
	const struct tval *uri = tval_get(r->props, "CodeUri");
	const char *s = known_str(uri), *src = known_str(tval_get(r->props, "InlineCode"));
	char *path;
	int err;

	if (src)
		return inline_code(r, src, ext, cache, out, why, why_len);
	if (!uri)
		return ERR_NOTFOUND;
	out->from = "CodeUri";
	if (!s || !strncmp(s, "s3://", 5))
		return s3_refusal(r, s ? s : "CodeUri Bucket/Key", why, why_len);
	if (!(path = join(tdir, s)))
		return ERR_NOMEM;
	err = from_path(path, cache, out, why, why_len);
	free(path);
	return err;
}

int dev_code_locate(const struct template *t, const struct template_resource *r, const char *ext,
		    const char *cache, struct dev_code *out, char *why, size_t why_len)
{
	const char *asset = tval_str(tval_get(r->metadata, "aws:asset:path"));
	char tdir[PATH_MAX];
	char *path;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = dev_code_template_dir(t->path, tdir, sizeof(tdir))))
		return err;
	if (tval_str_eq(tval_get(r->props, "PackageType"), "Image") ||
	    tval_get(r->props, "ImageUri")) {
		set_why(why, why_len,
			"%s: a container image (PackageType Image) does not run locally", r->id);
		return ERR_UNSUPPORTED;
	}
	if (asset) {
		out->from = "aws:asset:path";
		if (!(path = join(tdir, asset)))
			return ERR_NOMEM;
		err = from_path(path, cache, out, why, why_len);
		free(path);
	} else if (!strcmp(r->type, "AWS::Serverless::Function")) {
		err = sam_code(r, tdir, ext, cache, out, why, why_len);
	} else {
		err = lambda_code(r, tdir, ext, cache, out, why, why_len);
	}
	if (err)
		dev_code_release(out);
	return err;
}

void dev_code_release(struct dev_code *c)
{
	free(c->dir);
	free(c->watch);
	memset(c, 0, sizeof(*c));
}
