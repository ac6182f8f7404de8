/*
 * The file watcher of `sluice dev`: it tells when files that the local cloud
 * runs (the template, a function's binary) have changed and then stayed quiet
 * for a while, so that a rebuild is reloaded once, after the linker or the
 * editor is done, and never half-written.
 *
 * inotify watches the directory of each file, not the file itself: a linker
 * unlinks and creates, an editor writes a temporary file and renames it, and
 * a watch on the old inode would see neither. Every relevant event re-arms a
 * timer of `quiet_ms`; when it fires, the callback gets the watched paths
 * that changed since the last call, each once.
 */
#ifndef SLUICE_LOCAL_DEV_WATCH_H
#define SLUICE_LOCAL_DEV_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define DEV_WATCH_MAX_DIRS  64	/* directories inotify watches */
#define DEV_WATCH_MAX_FILES 256 /* files we report on */

struct dev_watch;

/*
 * Called after the quiet time with the watched paths (as given to
 * dev_watch_file()) that changed; the array and strings are valid only
 * during the call.
 */
typedef void (*dev_watch_fn)(void *arg, const char *const *changed, size_t n);

/*
 * A watcher on `base`. When inotify is unavailable the watcher still exists
 * and does nothing (a warning says rebuilds need a restart). Returns 0 or
 * ERR_NOMEM.
 */
int dev_watch_new(struct event_base *base, uint32_t quiet_ms, dev_watch_fn fn, void *arg,
		  struct dev_watch **out /* OUT */);

/*
 * Watch `path`, a file that may not exist yet (its directory must). Watching
 * a path twice is watching it once. Past DEV_WATCH_MAX_DIRS directories or
 * DEV_WATCH_MAX_FILES files, the path is not watched and a warning says so.
 */
void dev_watch_file(struct dev_watch *w, const char *path);

/*
 * Watch the folder `dir` itself (not its sub-folders): a file written,
 * created, moved in or removed there is a change of `dir`, reported under
 * that path. Hidden names (".x.swp"), backups ("x~") and __pycache__ are not
 * changes: editors and Python write them without any change to the code.
 */
void dev_watch_dir(struct dev_watch *w, const char *dir);

/* Stop watching every path (a template reload then watches the new set). */
void dev_watch_clear(struct dev_watch *w);

/* Stop and free; NULL is fine. */
void dev_watch_free(struct dev_watch *w);

#endif
