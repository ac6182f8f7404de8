/*
 * The runtimes `sluice dev` runs, and how it starts each: provided.al2023
 * and provided.al2 run the function's own executable ("bootstrap");
 * nodejs18.x to nodejs22.x run `node <runtimes>/node/bootstrap.cjs` and
 * python3.9 to python3.13 `python3 <runtimes>/python/bootstrap.py`, with
 * the machine's node and python3 (another version than the template's is a
 * warning, not a refusal). Every other runtime (Java, .NET, Ruby, OS-only
 * runtimes retired by AWS) is refused with a reason.
 *
 * The runtime bootstraps ship in the source tree under runtimes/ and are
 * found from the sluice executable (/proc/self/exe): in
 * <exe dir>/runtimes, or the same under its parent or grandparent folder
 * (build/sluice and build/san/sluice both find the tree's runtimes/), or in
 * SLUICE_RUNTIMES_DIR when that is set.
 *
 * The interpreters are looked up once per process on PATH and asked for
 * their version (python3's sys.executable, so that a pyenv shim is resolved
 * once rather than at every worker start); the answers are kept for the
 * life of the process.
 */
#ifndef SLUICE_LOCAL_DEV_RUNTIME_H
#define SLUICE_LOCAL_DEV_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

/* Overrides the folder holding node/bootstrap.cjs and python/bootstrap.py. */
#define DEV_ENV_RUNTIMES_DIR "SLUICE_RUNTIMES_DIR"

enum dev_lang {
	DEV_LANG_PROVIDED, /* the function's own executable */
	DEV_LANG_NODE,
	DEV_LANG_PYTHON,
	DEV_LANG_NONE, /* cannot run here */
};

/*
 * The language of `runtime` ("nodejs20.x"). DEV_LANG_NONE for runtimes the
 * local cloud cannot run, with the reason in `why` ("Java runs on the JVM,
 * which the local cloud does not run"). NULL `runtime` is DEV_LANG_NONE.
 */
enum dev_lang dev_runtime_lang(const char *runtime, char *why, size_t why_len);

/* The extension of inline source for `lang` (".js", ".py"), or NULL. */
const char *dev_runtime_inline_ext(enum dev_lang lang);

/*
 * How to start a worker of `lang`: the interpreter's path (`*program`) and
 * the argument vector (`argv`, 4 entries, NULL-terminated): {program,
 * bootstrap} for node, {program, "-S", bootstrap} for python3 (the runtime
 * adds site-packages to sys.path without running the machine's .pth files,
 * which may import anything: one here imports certifi, 150 ms), both valid
 * for the life of the process. Probe answers are kept in `cache` (a folder,
 * created when needed; NULL keeps nothing). When the machine's version differs
 * from `runtime`'s, `warn` gets a sentence for the log (else "").
 * Returns 0; ERR_NOTFOUND (no interpreter on PATH, no bootstrap found) with
 * the reason in `why`; ERR_INVAL for DEV_LANG_PROVIDED or DEV_LANG_NONE.
 */
int dev_runtime_command(enum dev_lang lang, const char *runtime, const char *cache,
			const char **program, const char *argv[4], char *warn, size_t warn_len,
			char *why, size_t why_len);

#endif
