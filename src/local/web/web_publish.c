/*
 * Publishing the site's folder into the local bucket (web_publish.h). The
 * types match scripts/deploy.sh's uploads, so that the local front sends the
 * Content-Type (and so compresses) as CloudFront does for the deployed site.
 */
#include "core/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/log.h"
#include "local/web/web_publish.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".map", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".txt", "text/plain; charset=utf-8"},
	{".webmanifest", "application/manifest+json"},
	{".woff2", "font/woff2"},
};

const char *web_content_type(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && !strcasecmp(path + n - e, types[i].ext))
			return types[i].type;
	}
	return "binary/octet-stream"; /* what S3 gives an object without a type */
}

struct walk {
	char **paths; /* relative to the root */
	size_t n, alloc;
};

static int walk_dir(const char *root, const char *rel, int depth, struct walk *w)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int err = 0;

	if (depth > WEB_PUBLISH_DEPTH)
		return ERR_TOOLARGE;
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	while (!err && (e = readdir(d))) {
		char sub[PATH_MAX], full[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
			    sizeof(sub) ||
		    (size_t)snprintf(full, sizeof(full), "%s/%s", root, sub) >= sizeof(full)) {
			err = ERR_TOOLARGE;
			break;
		}
		if (lstat(full, &st))
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode)) {
			err = walk_dir(root, sub, depth + 1, w);
		} else if (S_ISREG(st.st_mode)) {
			if (w->n == WEB_PUBLISH_MAX_FILES)
				err = ERR_TOOLARGE;
			else if (!(err = ALLOC_GROW(w->paths, w->n + 1, w->alloc)) &&
				 !(w->paths[w->n++] = strdup(sub)))
				err = ERR_NOMEM;
		}
	}
	closedir(d);
	return err;
}

static int read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return ERR_IO;
	while (!err && (n = read(fd, chunk, sizeof(chunk))) > 0)
		err = buf_add(out, chunk, (size_t)n);
	if (!err && n < 0)
		err = ERR_IO;
	close(fd);
	return err;
}

/* Put one file unless its object has its bytes already. */
static int publish_file(const struct web_origin *o, const char *bucket, const char *dir,
			const char *rel, struct web_publish_stats *st)
{
	char path[PATH_MAX], hex[2 * MD5_LEN + 1];
	uint8_t digest[MD5_LEN];
	struct web_object obj = {0};
	struct buf data;
	bool same = false;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	buf_init(&data, WEB_PUBLISH_FILE_MAX);
	err = read_file(path, &data);
	if (err) {
		buf_release(&data);
		return err == ERR_TOOLARGE ? err : 0; /* a file removed meanwhile is skipped */
	}
	md5(data.ptr, data.len, digest);
	hex_lower(hex, digest, MD5_LEN);
	if (!o->get(o->ctx, bucket, str_from(rel), &obj, NULL)) {
		same = !strcmp(obj.etag, hex) && !strcmp(obj.content_type, web_content_type(rel));
		web_object_release(&obj);
	}
	if (same)
		st->unchanged++;
	else if (!(err = o->put(o->ctx, bucket, str_from(rel), web_content_type(rel), data.ptr,
				data.len)))
		st->written++;
	buf_release(&data);
	return err;
}

static bool is_html(const char *p)
{
	size_t n = strlen(p);

	return n >= 5 && !strcasecmp(p + n - 5, ".html");
}

int web_publish(const struct web_origin *origin, const char *bucket, const char *dir,
		const char *config_key, const char *config, size_t config_len,
		struct web_publish_stats *stats)
{
	struct web_publish_stats st = {0, 0};
	struct walk w = {NULL, 0, 0};
	int err = walk_dir(dir, "", 0, &w);

	/* Two passes: every asset first, the pages that name them last. */
	for (int pass = 0; pass < 2 && !err; pass++)
		for (size_t i = 0; i < w.n && !err; i++)
			if (is_html(w.paths[i]) == (pass == 1))
				err = publish_file(origin, bucket, dir, w.paths[i], &st);
	if (!err && config_key && config) {
		err = origin->put(origin->ctx, bucket, str_from(config_key), "application/json",
				  config, config_len);
		if (!err)
			st.written++;
	}
	for (size_t i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	if (stats)
		*stats = st;
	return err;
}
