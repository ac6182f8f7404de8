/*
 * dev_watch.h over inotify and one libevent timer. A changed file is found
 * by comparing the event's directory and name with each watched path split
 * the same way; the lists are short (a template and a few binaries), so a
 * linear scan per event costs nothing next to a reload.
 */
#include "core/common.h"

#include <libgen.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "local/dev_watch.h"

struct watched_dir {
	int wd;
	char *dir;
};

struct watched_file {
	char *path; /* as given */
	char *dir;  /* dirname(path); the folder itself for dev_watch_dir() */
	char *name; /* basename(path); "" for any file of a watched folder */
	bool changed;
};

struct dev_watch {
	struct event_base *base;
	dev_watch_fn fn;
	void *arg;
	uint32_t quiet_ms;
	int ifd;
	struct event *iev, *quiet;
	struct watched_dir dirs[DEV_WATCH_MAX_DIRS];
	size_t ndirs;
	struct watched_file files[DEV_WATCH_MAX_FILES];
	size_t nfiles;
};

static void on_inotify(evutil_socket_t fd, short what, void *arg);
static void on_quiet(evutil_socket_t fd, short what, void *arg);

int dev_watch_new(struct event_base *base, uint32_t quiet_ms, dev_watch_fn fn, void *arg,
		  struct dev_watch **out)
{
	struct dev_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return ERR_NOMEM;
	w->base = base;
	w->fn = fn;
	w->arg = arg;
	w->quiet_ms = quiet_ms;
	w->quiet = evtimer_new(base, on_quiet, w);
	if (!w->quiet) {
		free(w);
		return ERR_NOMEM;
	}
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0) {
		log_msg(LVL_WARN, "inotify unavailable (%s): rebuilds need a restart",
			strerror(errno));
	} else {
		w->iev = event_new(base, w->ifd, EV_READ | EV_PERSIST, on_inotify, w);
		if (w->iev)
			event_add(w->iev, NULL);
	}
	*out = w;
	return 0;
}

/* Split `path` into heap copies of its directory and its last component. */
static int split_path(const char *path, char **dir, char **name)
{
	char *a = strdup(path), *b = strdup(path);

	*dir = a ? strdup(dirname(a)) : NULL;
	*name = b ? strdup(basename(b)) : NULL;
	free(a);
	free(b);
	if (*dir && *name)
		return 0;
	free(*dir);
	free(*name);
	return ERR_NOMEM;
}

static bool watch_dir(struct dev_watch *w, const char *dir)
{
	int wd;

	for (size_t i = 0; i < w->ndirs; i++)
		if (!strcmp(w->dirs[i].dir, dir))
			return true;
	if (w->ndirs == DEV_WATCH_MAX_DIRS) {
		log_msg(LVL_WARN, "not watching %s: more than %d directories", dir,
			DEV_WATCH_MAX_DIRS);
		return false;
	}
	wd = inotify_add_watch(w->ifd, dir,
			       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_DELETE);
	if (wd < 0) {
		log_msg(LVL_WARN, "cannot watch %s: %s; changes there need a restart", dir,
			strerror(errno));
		return false;
	}
	w->dirs[w->ndirs].dir = strdup(dir);
	if (!w->dirs[w->ndirs].dir) {
		inotify_rm_watch(w->ifd, wd);
		return false;
	}
	w->dirs[w->ndirs++].wd = wd;
	return true;
}

void dev_watch_file(struct dev_watch *w, const char *path)
{
	struct watched_file *f;

	if (!w || w->ifd < 0)
		return;
	for (size_t i = 0; i < w->nfiles; i++)
		if (!strcmp(w->files[i].path, path))
			return;
	if (w->nfiles == DEV_WATCH_MAX_FILES) {
		log_msg(LVL_WARN, "not watching %s: more than %d files", path, DEV_WATCH_MAX_FILES);
		return;
	}
	f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	if (split_path(path, &f->dir, &f->name))
		return;
	f->path = strdup(path);
	if (!f->path || !watch_dir(w, f->dir)) {
		free(f->path);
		free(f->dir);
		free(f->name);
		return;
	}
	w->nfiles++;
}

void dev_watch_dir(struct dev_watch *w, const char *dir)
{
	struct watched_file *f;

	if (!w || w->ifd < 0)
		return;
	for (size_t i = 0; i < w->nfiles; i++)
		if (!strcmp(w->files[i].path, dir))
			return;
	if (w->nfiles == DEV_WATCH_MAX_FILES) {
		log_msg(LVL_WARN, "not watching %s: more than %d files", dir, DEV_WATCH_MAX_FILES);
		return;
	}
	f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(dir);
	f->dir = strdup(dir);
	f->name = strdup("");
	if (!f->path || !f->dir || !f->name || !watch_dir(w, f->dir)) {
		free(f->path);
		free(f->dir);
		free(f->name);
		return;
	}
	w->nfiles++;
}

/* Files that editors and interpreters write beside the code without changing it. */
static bool incidental(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || (n && name[n - 1] == '~') || !strcmp(name, "__pycache__");
}

void dev_watch_clear(struct dev_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nfiles; i++) {
		free(w->files[i].path);
		free(w->files[i].dir);
		free(w->files[i].name);
	}
	w->nfiles = 0;
	for (size_t i = 0; i < w->ndirs; i++) {
		inotify_rm_watch(w->ifd, w->dirs[i].wd);
		free(w->dirs[i].dir);
	}
	w->ndirs = 0;
}

/* Mark the files that `dir`/`name` is; true when there was one. */
static bool mark(struct dev_watch *w, const char *dir, const char *name)
{
	bool hit = false;

	for (size_t i = 0; i < w->nfiles; i++) {
		struct watched_file *f = &w->files[i];

		if (strcmp(f->dir, dir))
			continue;
		if (!strcmp(f->name, name) || (!f->name[0] && !incidental(name)))
			f->changed = hit = true;
	}
	return hit;
}

static const char *dir_of(const struct dev_watch *w, int wd)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return w->dirs[i].dir;
	return NULL;
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct dev_watch *w = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *dir = dir_of(w, ev->wd);

			p += sizeof(*ev) + ev->len;
			if (dir && ev->len && mark(w, dir, ev->name))
				hit = true;
		}
	}
	if (hit) {
		struct timeval tv = time_tv_ms(w->quiet_ms);

		evtimer_add(w->quiet, &tv);
	}
}

static void on_quiet(evutil_socket_t fd, short what, void *arg)
{
	struct dev_watch *w = arg;
	char *changed[DEV_WATCH_MAX_FILES];
	size_t n = 0;

	/* Copies: the callback may clear the watch list and add a new one (a template reload). */
	for (size_t i = 0; i < w->nfiles; i++) {
		if (w->files[i].changed) {
			w->files[i].changed = false;
			if ((changed[n] = strdup(w->files[i].path)))
				n++;
		}
	}
	if (n)
		w->fn(w->arg, (const char *const *)changed, n);
	for (size_t i = 0; i < n; i++)
		free(changed[i]);
}

void dev_watch_free(struct dev_watch *w)
{
	if (!w)
		return;
	dev_watch_clear(w);
	if (w->iev)
		event_free(w->iev);
	event_free(w->quiet);
	if (w->ifd >= 0)
		close(w->ifd);
	free(w);
}
