/*
 * How `sluice dev` starts one function: from its runtime (dev_runtime.h)
 * and where its code is (dev_code.h) to the executable, the argument
 * vector, the code folder and what to watch, written into the struct
 * dev_function that dev_app.c is filling.
 *
 * provided.* functions keep this project's own rules first: with
 * --build-dir or Metadata.sluice.build, the binary dev_app.c names
 * (`legacy`); else <code folder>/bootstrap; else (no code location, or one
 * that is not there yet, with a warning) build/bootstrap. Node.js and
 * Python functions run their runtime's bootstrap in their code folder,
 * which they must have.
 */
#ifndef SLUICE_LOCAL_DEV_FN_H
#define SLUICE_LOCAL_DEV_FN_H

#include <limits.h>
#include <stddef.h>

#include "local/dev.h"

#define DEV_FN_EXTRA_ENV 2

/* Variables a runtime needs beside the function's own (PYTHONPYCACHEPREFIX); key "" ends. */
struct dev_fn_env {
	struct {
		char key[32];
		char value[PATH_MAX];
	} v[DEV_FN_EXTRA_ENV];
};

/*
 * Fill f->binary, f->argv, f->task_root and f->watch for function `r` of
 * `t`, whose Runtime is `runtime` (NULL when unset), and `env` with the
 * runtime's extra variables. `legacy` is the binary this project's own
 * layout names, or NULL. Zips and inline code are cached under
 * <data dir>/code (o->data_dir).
 *
 * Returns 0; ERR_UNSUPPORTED when the function cannot run here (its
 * runtime, its code in S3, a container image, a missing folder or broken
 * zip, no interpreter), with "Fn: why" in `why`: the caller leaves it out
 * and says so; ERR_NOMEM. A version of node or python3 other than the
 * template's is a warning in the log.
 */
int dev_fn_resolve(const struct dev_options *o, const struct template *t,
		   const struct template_resource *r, const char *runtime, const char *legacy,
		   struct dev_function *f, struct dev_fn_env *env /* OUT */, char *why,
		   size_t why_len);

/*
 * The template `sluice dev` reads when none is named, as SAM CLI finds it:
 * infra/template.yaml (this project's layout), else
 * .aws-sam/build/template.yaml (after `sam build` the built one wins), else
 * template.yaml, template.yml or template.json in the working directory.
 * Returns a static string; DEV_DEFAULT_TEMPLATE when none exists (the
 * error then names it).
 */
const char *dev_fn_default_template(void);

#endif
