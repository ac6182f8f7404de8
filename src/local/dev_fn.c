/*
 * dev_fn.h: one function's runtime and code to the command its workers run.
 */
#include "core/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "local/dev_code.h"
#include "local/dev_fn.h"
#include "local/dev_runtime.h"

/* Where zips are unpacked and inline code written: <data dir>/code. */
static int cache_dir(const struct dev_options *o, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/code", o->data_dir ? o->data_dir : DEV_DEFAULT_DATA_DIR);

	return n < 0 || (size_t)n >= cap ? ERR_TOOLARGE : 0;
}

static char *path_in(const char *dir, const char *name)
{
	struct buf b;

	buf_init(&b, PATH_MAX);
	buf_putf(&b, "%s/%s", dir, name);
	if (buf_error(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* An absolute path for a worker, which runs in another folder. */
static char *absolute(const char *p)
{
	char real[PATH_MAX];

	return strdup(realpath(p, real) ? real : p);
}

/* The binary this project's layout names, or build/bootstrap. */
static int provided_default(const char *legacy, struct dev_function *f)
{
	f->binary = strdup(legacy ? legacy : DEV_DEFAULT_BINARY);
	return f->binary ? 0 : ERR_NOMEM;
}

/* <code folder>/bootstrap. */
static int provided(const struct dev_code *code, struct dev_function *f)
{
	struct stat st;

	if (!(f->binary = path_in(code->dir, "bootstrap")) || !(f->task_root = absolute(code->dir)))
		return ERR_NOMEM;
	/* A folder's bootstrap is watched by dev.c like any binary; a zip is watched itself. */
	if (code->watch && !stat(code->watch, &st) && S_ISREG(st.st_mode) &&
	    !(f->watch = strdup(code->watch)))
		return ERR_NOMEM;
	return 0;
}

static int interpreted(const struct dev_options *o, const struct dev_code *code, enum dev_lang lang,
		       const char *runtime, struct dev_function *f, struct dev_fn_env *env,
		       char *why, size_t why_len)
{
	const char *program, *argv[4];
	char warn[256] = "", reason[512] = "the cache folder's path is too long", cache[PATH_MAX];
	int err = cache_dir(o, cache, sizeof(cache));

	if (!err)
		err = dev_runtime_command(lang, runtime, cache, &program, argv, warn, sizeof(warn),
					  reason, sizeof(reason));

	if (err) {
		snprintf(why, why_len, "%s: %s", f->id, reason);
		return ERR_UNSUPPORTED;
	}
	if (warn[0])
		log_msg(LVL_WARN, "%s: %s", f->id, warn);
	if (code->watch && !(f->watch = strdup(code->watch)))
		return ERR_NOMEM;
	if (!(f->binary = strdup(program)) || !(f->task_root = absolute(code->dir)) ||
	    !(f->argv = calloc(4, sizeof(char *))))
		return ERR_NOMEM;
	for (size_t i = 0; argv[i]; i++)
		if (!(f->argv[i] = strdup(argv[i])))
			return ERR_NOMEM;
	/* Python's bytecode goes to the cache, not into the watched code folder. */
	if (lang == DEV_LANG_PYTHON) {
		char real[PATH_MAX];

		/* It must be absolute (workers run in their code folder): make it exist first. */
		mkdir(cache, 0700);

		if ((size_t)snprintf(env->v[0].value, sizeof(env->v[0].value), "%s/pycache",
				     realpath(cache, real) ? real : cache) <
		    sizeof(env->v[0].value))
			snprintf(env->v[0].key, sizeof(env->v[0].key), "PYTHONPYCACHEPREFIX");
	}
	return 0;
}

int dev_fn_resolve(const struct dev_options *o, const struct template *t,
		   const struct template_resource *r, const char *runtime, const char *legacy,
		   struct dev_function *f, struct dev_fn_env *env, char *why, size_t why_len)
{
	char reason[1024], cache[PATH_MAX];
	enum dev_lang lang = dev_runtime_lang(runtime, reason, sizeof(reason));
	struct dev_code code;
	int err;

	memset(env, 0, sizeof(*env));
	if (lang == DEV_LANG_NONE) {
		snprintf(why, why_len, "%s: %s", r->id, reason);
		return ERR_UNSUPPORTED;
	}
	if ((err = cache_dir(o, cache, sizeof(cache))))
		return err;
	if (lang == DEV_LANG_PROVIDED && legacy)
		return provided_default(legacy, f);
	reason[0] = '\0';
	err = dev_code_locate(t, r, dev_runtime_inline_ext(lang), cache, &code, reason,
			      sizeof(reason));
	if (err == ERR_NOMEM)
		return err;
	if (err == ERR_IO && lang == DEV_LANG_PROVIDED) {
		/* Not built yet: this project's default binary, as before code locations were read.
		 */
		log_msg(LVL_WARN, "%s: %s; running %s instead", r->id, reason, DEV_DEFAULT_BINARY);
		err = ERR_NOTFOUND;
	}
	if (err == ERR_NOTFOUND && lang != DEV_LANG_PROVIDED)
		snprintf(reason, sizeof(reason), "%s: no CodeUri, Code or InlineCode to run",
			 r->id);
	if (err && (err != ERR_NOTFOUND || lang != DEV_LANG_PROVIDED)) {
		/* dev_code names the function for refusals; a read error names the path. */
		if (!strncmp(reason, r->id, strlen(r->id)))
			snprintf(why, why_len, "%s", reason);
		else
			snprintf(why, why_len, "%s: %s", r->id, reason);
		return ERR_UNSUPPORTED;
	}
	if (lang == DEV_LANG_PROVIDED && err == ERR_NOTFOUND)
		return provided_default(NULL, f);
	if (lang == DEV_LANG_PROVIDED)
		err = provided(&code, f);
	else
		err = interpreted(o, &code, lang, runtime, f, env, why, why_len);
	dev_code_release(&code);
	return err;
}

const char *dev_fn_default_template(void)
{
	static const char *const candidates[] = {
		DEV_DEFAULT_TEMPLATE, ".aws-sam/build/template.yaml",
		"template.yaml",      "template.yml",
		"template.json",
	};

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return DEV_DEFAULT_TEMPLATE;
}
