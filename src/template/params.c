/*
 * Parameter overrides for template_load(): set one by one ("Key=Value" from
 * the command line) or read from a file in either of the formats the AWS CLI
 * and CodePipeline use: [{"ParameterKey": K, "ParameterValue": V}, ...] or a
 * plain {"K": "V"} object. The file is JSON, read with jansson, which gives
 * line and column for syntax errors.
 */
#include "core/common.h"

#include "core/grow.h"
#include "core/json.h"
#include "core/str.h"
#include "template/template.h"

#define PARAMS_FILE_MAX_BYTES (1u << 20)
#define PARAMS_MAX	      1000

void template_params_init(struct template_params *p)
{
	memset(p, 0, sizeof(*p));
}

void template_params_release(struct template_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->items[i].name);
		free(p->items[i].value);
	}
	free(p->items);
	template_params_init(p);
}

int template_params_set(struct template_params *p, const char *name, const char *value)
{
	char *v;
	size_t i;

	if (!p || !name || !*name || !value)
		return ERR_INVAL;
	v = strdup(value);
	if (!v)
		return ERR_NOMEM;
	for (i = 0; i < p->n; i++) {
		if (!strcmp(p->items[i].name, name)) {
			free(p->items[i].value);
			p->items[i].value = v;
			return 0;
		}
	}
	if (p->n >= PARAMS_MAX) {
		free(v);
		return ERR_TOOLARGE;
	}
	if (ALLOC_GROW(p->items, p->n + 1, p->alloc)) {
		free(v);
		return ERR_NOMEM;
	}
	p->items[p->n].name = strdup(name);
	if (!p->items[p->n].name) {
		free(v);
		return ERR_NOMEM;
	}
	p->items[p->n++].value = v;
	return 0;
}

int template_params_set_kv(struct template_params *p, const char *kv)
{
	const char *eq;
	char *name;
	int err;

	if (!kv)
		return ERR_INVAL;
	eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return ERR_INVAL;
	name = str_dup(str_make(kv, (size_t)(eq - kv)));
	if (!name)
		return ERR_NOMEM;
	err = template_params_set(p, name, eq + 1);
	free(name);
	return err;
}

static int diag_set(struct template_diag *d, const char *path, int line, int col, int err,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int diag_set(struct template_diag *d, const char *path, int line, int col, int err,
		    const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
	snprintf(d->file, sizeof(d->file), "%s", path);
	d->line = line;
	d->col = col;
	if (line > 0)
		snprintf(d->msg, sizeof(d->msg), "%s:%d:%d: %s", path, line, col, d->text);
	else
		snprintf(d->msg, sizeof(d->msg), "%s: %s", path, d->text);
	return err;
}

/* A JSON scalar as parameter text; lists joined with ','. */
static int value_text(const json_t *v, struct buf *out)
{
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_add(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return buf_addf(out, "%.17g", json_real_value(v));
	case JSON_TRUE:
		return buf_adds(out, "true");
	case JSON_FALSE:
		return buf_adds(out, "false");
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *item = json_array_get(v, i);

			if (json_is_array(item) || json_is_object(item) || json_is_null(item))
				return ERR_PARSE;
			if ((i && buf_addch(out, ',')) || value_text(item, out))
				return ERR_PARSE;
		}
		return 0;
	default:
		return ERR_PARSE;
	}
}

static int set_json(struct template_params *p, const char *name, const json_t *v)
{
	struct buf b;
	int err;

	buf_init(&b, PARAMS_FILE_MAX_BYTES);
	err = value_text(v, &b);
	if (!err)
		err = template_params_set(p, name, b.ptr);
	buf_release(&b);
	return err;
}

static int load_json(struct template_params *p, const char *path, const json_t *root,
		     struct template_diag *diag)
{
	const char *key;
	json_t *v;
	size_t i;
	int err;

	if (json_is_object(root)) {
		json_object_foreach((json_t *)root, key, v)
		{
			err = set_json(p, key, v);
			if (err)
				return diag_set(
					diag, path, 0, 0, err == ERR_PARSE ? ERR_PARSE : err,
					"parameter %s must be a string, number, boolean or list",
					key);
		}
		return 0;
	}
	if (!json_is_array(root))
		return diag_set(diag, path, 0, 0, ERR_PARSE,
				"expected [{\"ParameterKey\": ..., \"ParameterValue\": ...}] or "
				"{\"Key\": \"Value\"}");
	json_array_foreach(root, i, v)
	{
		const char *name = jsonx_str(v, "ParameterKey");
		json_t *val = json_object_get(v, "ParameterValue");

		if (!name || !val) {
			if (name && jsonx_bool(v, "UsePreviousValue", false))
				continue;
			return diag_set(diag, path, 0, 0, ERR_PARSE,
					"entry %zu needs ParameterKey and ParameterValue", i + 1);
		}
		err = set_json(p, name, val);
		if (err)
			return diag_set(diag, path, 0, 0, err,
					"ParameterValue of %s must be a string", name);
	}
	return 0;
}

int template_params_load_file(struct template_params *p, const char *path,
			      struct template_diag *diag)
{
	json_error_t jerr;
	json_t *root;
	FILE *f;
	int err;

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!p || !path)
		return ERR_INVAL;
	f = fopen(path, "rb");
	if (!f)
		return diag_set(diag, path, 0, 0, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s",
				errno == ENOENT ? "no such file" : "cannot read the file");
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)PARAMS_FILE_MAX_BYTES) {
		fclose(f);
		return diag_set(diag, path, 0, 0, ERR_TOOLARGE, "parameters file is too large");
	}
	rewind(f);
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root)
		return diag_set(diag, path, jerr.line > 0 ? jerr.line : 0, jerr.column, ERR_PARSE,
				"not valid JSON: %s", jerr.text);
	err = load_json(p, path, root, diag);
	json_decref(root);
	return err;
}
