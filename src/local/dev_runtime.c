/*
 * dev_runtime.h: which runtimes run, and the interpreters and bootstraps
 * that run them. A probe spawns the interpreter, which costs little for
 * node (`node --version`, 10 ms) but may cost much for python3 behind a
 * version manager's shim (pyenv's is a shell script: 270 ms), so answers are
 * kept in <cache>/interpreters, one line per interpreter keyed by its path,
 * size and modification time, and a later `sluice dev` starts without
 * probing.
 */
#include "core/common.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "local/dev_runtime.h"

struct interp {
	enum dev_lang lang;
	bool probed;
	int err; /* of the probe, kept for the next function */
	char path[PATH_MAX];
	char version[32]; /* "20.20" or "3.11": major.minor */
	char bootstrap[PATH_MAX];
	char why[512];
};

static struct interp interps[] = {{.lang = DEV_LANG_NODE}, {.lang = DEV_LANG_PYTHON}};

static bool prefixed(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

enum dev_lang dev_runtime_lang(const char *runtime, char *why, size_t why_len)
{
	static const char *const node[] = {"nodejs18.x", "nodejs20.x", "nodejs22.x"};
	static const char *const python[] = {"python3.9", "python3.10", "python3.11", "python3.12",
					     "python3.13"};
	const char *reason = "the local cloud runs provided.*, nodejs18.x-22.x and "
			     "python3.9-3.13";

	if (!runtime) {
		snprintf(why, why_len, "no Runtime (a container image, or a missing property)");
		return DEV_LANG_NONE;
	}
	if (!strcmp(runtime, "provided.al2023") || !strcmp(runtime, "provided.al2"))
		return DEV_LANG_PROVIDED;
	for (size_t i = 0; i < ARRAY_SIZE(node); i++)
		if (!strcmp(runtime, node[i]))
			return DEV_LANG_NODE;
	for (size_t i = 0; i < ARRAY_SIZE(python); i++)
		if (!strcmp(runtime, python[i]))
			return DEV_LANG_PYTHON;
	if (prefixed(runtime, "java"))
		reason = "Java runs on the JVM, which the local cloud does not run";
	else if (prefixed(runtime, "dotnet"))
		reason = ".NET runs on the CLR, which the local cloud does not run";
	else if (prefixed(runtime, "ruby"))
		reason = "the local cloud has no Ruby runtime";
	else if (prefixed(runtime, "go1") || !strcmp(runtime, "provided"))
		reason = "a runtime AWS has retired: build for provided.al2023";
	snprintf(why, why_len, "Runtime %s cannot run here: %s", runtime, reason);
	return DEV_LANG_NONE;
}

const char *dev_runtime_inline_ext(enum dev_lang lang)
{
	return lang == DEV_LANG_NODE ? ".js" : lang == DEV_LANG_PYTHON ? ".py" : NULL;
}

/* The first executable `name` on PATH, resolved, into `out`. */
static bool find_on_path(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		if (n &&
		    (size_t)snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name) <
			    sizeof(cand) &&
		    access(cand, X_OK) == 0 && realpath(cand, out) && strlen(out) < cap)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* The folder of the running executable, into `out`. */
static bool exe_dir(char *out, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);
	char *slash;

	if (n <= 0)
		return false;
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

/* <dir>/<rel> when it exists, into `out`. */
static bool try_bootstrap(const char *dir, const char *rel, char *out, size_t cap)
{
	char cand[PATH_MAX];

	if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", dir, rel) >= sizeof(cand) ||
	    access(cand, R_OK))
		return false;
	return realpath(cand, out) && strlen(out) < cap;
}

static bool find_bootstrap(const char *rel, char *out, size_t cap)
{
	const char *env = getenv(DEV_ENV_RUNTIMES_DIR);
	char dir[PATH_MAX];

	if (env && *env)
		return try_bootstrap(env, rel, out, cap);
	if (!exe_dir(dir, sizeof(dir)))
		return false;
	for (int up = 0; up < 3; up++) {
		char *slash;

		if (strlen(dir) + sizeof("/runtimes") < sizeof(dir)) {
			char with[PATH_MAX + 16];

			snprintf(with, sizeof(with), "%s/runtimes", dir);
			if (try_bootstrap(with, rel, out, cap))
				return true;
		}
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	return false;
}

/*
 * Ask the interpreter for its real executable (python3 behind a shim) and
 * its version: node's executable is the file on PATH.
 */
static int probe_version(struct interp *it)
{
	char cmd[2 * PATH_MAX + 128], line[PATH_MAX];
	FILE *f;
	int ok = 0, n;

	if (strchr(it->path, '\''))
		return ERR_INVAL;
	if (it->lang == DEV_LANG_NODE)
		n = snprintf(cmd, sizeof(cmd), "echo '%s'; '%s' --version 2>/dev/null", it->path,
			     it->path);
	else
		n = snprintf(cmd, sizeof(cmd),
			     "'%s' -S -c 'import sys; print(sys.executable); "
			     "print(\"%%d.%%d\" %% sys.version_info[:2])' 2>/dev/null",
			     it->path);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return ERR_TOOLARGE;
	f = popen(cmd, "r");
	if (!f)
		return ERR_IO;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*line && strlen(line) < sizeof(it->path))
			snprintf(it->path, sizeof(it->path), "%s", line), ok++;
	}
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(it->version, sizeof(it->version), "%s",
				     line + (line[0] == 'v')) < sizeof(it->version))
			ok++;
	}
	pclose(f);
	return ok == 2 ? 0 : ERR_IO;
}

/* The cache line's key: "<path> <size> <mtime ns>". */
static bool cache_key_of(const char *path, char *key, size_t cap)
{
	struct stat st;

	return !stat(path, &st) &&
	       (size_t)snprintf(key, cap, "%s %lld %lld", path, (long long)st.st_size,
				(long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec) <
		       cap;
}

/* A kept answer: "<key>\t<executable>\t<version>" in <cache>/interpreters. */
static bool cache_read(const char *cache, const char *key, struct interp *it)
{
	char file[PATH_MAX], line[3 * PATH_MAX];
	bool found = false;
	FILE *f;

	if ((size_t)snprintf(file, sizeof(file), "%s/interpreters", cache) >= sizeof(file) ||
	    !(f = fopen(file, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *exe = strchr(line, '\t'), *ver = exe ? strchr(exe + 1, '\t') : NULL;

		if (!ver)
			continue;
		*exe++ = '\0';
		*ver++ = '\0';
		ver[strcspn(ver, "\n")] = '\0';
		found = !strcmp(line, key) && strlen(exe) < sizeof(it->path) &&
			strlen(ver) < sizeof(it->version) && access(exe, X_OK) == 0;
		if (found) {
			snprintf(it->path, sizeof(it->path), "%s", exe);
			snprintf(it->version, sizeof(it->version), "%s", ver);
		}
	}
	fclose(f);
	return found;
}

/* Keep an answer; a cache that cannot be written only costs the next start a probe. */
static void cache_write(const char *cache, const char *key, const struct interp *it)
{
	char file[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(file, sizeof(file), "%s/interpreters", cache) >= sizeof(file))
		return;
	mkdir(cache, 0700);
	f = fopen(file, "a");
	if (!f)
		return;
	fprintf(f, "%s\t%s\t%s\n", key, it->path, it->version);
	fclose(f);
}

static int probe(struct interp *it, const char *cache)
{
	const char *name = it->lang == DEV_LANG_NODE ? "node" : "python3";
	const char *rel = it->lang == DEV_LANG_NODE ? "node/bootstrap.cjs" : "python/bootstrap.py";
	char key[PATH_MAX + 64];
	bool keyed;

	if (!find_on_path(name, it->path, sizeof(it->path))) {
		snprintf(it->why, sizeof(it->why), "no %s on PATH: install it to run this function",
			 name);
		return ERR_NOTFOUND;
	}
	keyed = cache && cache_key_of(it->path, key, sizeof(key));
	if (keyed && cache_read(cache, key, it))
		goto found;
	if (probe_version(it)) {
		snprintf(it->why, sizeof(it->why), "%s (%.256s) did not say its version", name,
			 it->path);
		return ERR_NOTFOUND;
	}
	if (keyed)
		cache_write(cache, key, it);
found:
	if (!find_bootstrap(rel, it->bootstrap, sizeof(it->bootstrap))) {
		snprintf(it->why, sizeof(it->why),
			 "the runtime bootstrap runtimes/%s was not found beside the sluice "
			 "executable (or in %s)",
			 rel, DEV_ENV_RUNTIMES_DIR);
		return ERR_NOTFOUND;
	}
	return 0;
}

/* "nodejs20.x" wants "20", "python3.12" wants "3.12"; true when `version` has it. */
static bool version_matches(enum dev_lang lang, const char *runtime, const char *version)
{
	const char *want = runtime + (lang == DEV_LANG_NODE ? strlen("nodejs") : strlen("python"));
	size_t n = strcspn(want, lang == DEV_LANG_NODE ? "." : "");

	return !strncmp(version, want, n) && (version[n] == '.' || version[n] == '\0');
}

int dev_runtime_command(enum dev_lang lang, const char *runtime, const char *cache,
			const char **program, const char *argv[4], char *warn, size_t warn_len,
			char *why, size_t why_len)
{
	struct interp *it = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(interps); i++)
		if (interps[i].lang == lang)
			it = &interps[i];
	if (!it)
		return ERR_INVAL;
	if (!it->probed) {
		it->probed = true;
		it->err = probe(it, cache);
	}
	warn[0] = '\0';
	if (it->err) {
		snprintf(why, why_len, "%s", it->why);
		return it->err;
	}
	*program = it->path;
	/* The full path: Python finds its standard library from argv[0]. */
	argv[0] = it->path;
	if (lang == DEV_LANG_PYTHON) {
		argv[1] = "-S"; /* bootstrap.py puts site-packages on sys.path itself */
		argv[2] = it->bootstrap;
	} else {
		argv[1] = it->bootstrap;
		argv[2] = NULL;
	}
	argv[3] = NULL;
	if (runtime && !version_matches(lang, runtime, it->version))
		snprintf(warn, warn_len, "Runtime %s runs on this machine's %s %s", runtime,
			 lang == DEV_LANG_NODE ? "node" : "python3", it->version);
	return 0;
}
