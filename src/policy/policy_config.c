/*
 * The repository's policy settings, .sluice-check.yaml: rules switched off
 * or given another severity, each entry with the reason a reviewer will
 * read. The file is small and strict: an unknown key, a rule id that does
 * not exist or a missing reason is an error (exit 2), because a silent typo
 * here would silently weaken the gate.
 *
 * It is read with libfyaml directly; it is not a template.
 */
#include "core/common.h"

#include <libfyaml.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "policy/policy.h"

#define CONFIG_MAX_RULES 1024

void policy_config_init(struct policy_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void policy_config_release(struct policy_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->rules[i].id);
		free(cfg->rules[i].reason);
	}
	free(cfg->rules);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const struct policy_config_rule *policy_config_rule(const struct policy_config *cfg, const char *id)
{
	for (size_t i = 0; cfg && i < cfg->n; i++)
		if (strcmp(cfg->rules[i].id, id) == 0)
			return &cfg->rules[i];
	return NULL;
}

/* 1-based line of a scalar node, 0 when unknown. */
static int node_line(struct fy_node *n)
{
	struct fy_token *tok = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;

	return m ? m->line + 1 : 0;
}

static const char *scalar(struct fy_node *map, const char *key)
{
	struct fy_node *v = fy_node_mapping_lookup_by_string(map, key, strlen(key));

	return v && fy_node_is_scalar(v) ? fy_node_get_scalar0(v) : NULL;
}

static int parse_entry(struct policy_config *cfg, const char *path, struct fy_node *e, char *err,
		       size_t err_len)
{
	struct policy_config_rule *r = &cfg->rules[cfg->n];
	struct fy_node_pair *pair;
	void *iter = NULL;
	const char *id, *reason, *sev, *enabled;
	int line;

	if (!fy_node_is_mapping(e)) {
		snprintf(err, err_len, "%s: each entry of rules is a map with id and reason", path);
		return ERR_PARSE;
	}
	id = scalar(e, "id");
	line = node_line(fy_node_mapping_lookup_by_string(e, "id", 2));
	while ((pair = fy_node_mapping_iterate(e, &iter))) {
		const char *k = fy_node_get_scalar0(fy_node_pair_key(pair));

		if (!k || (strcmp(k, "id") && strcmp(k, "reason") && strcmp(k, "severity") &&
			   strcmp(k, "enabled"))) {
			snprintf(err, err_len,
				 "%s:%d: unknown key '%s' (id, enabled, severity, reason)", path,
				 line, k ? k : "?");
			return ERR_PARSE;
		}
	}
	if (!id || !policy_rule_find(id)) {
		snprintf(err, err_len, "%s:%d: %s%s", path, line,
			 id ? "no such rule: " : "an entry has no id", id ? id : "");
		return ERR_PARSE;
	}
	reason = scalar(e, "reason");
	if (!reason || !*reason) {
		snprintf(err, err_len, "%s:%d: %s needs a reason", path, line, id);
		return ERR_PARSE;
	}
	sev = scalar(e, "severity");
	enabled = scalar(e, "enabled");
	r->severity = sev ? policy_severity_parse(sev) : POLICY_NONE;
	if (sev && r->severity == POLICY_NONE) {
		snprintf(err, err_len, "%s:%d: %s: severity is error or warning", path, line, id);
		return ERR_PARSE;
	}
	if (enabled && strcmp(enabled, "false") && strcmp(enabled, "true")) {
		snprintf(err, err_len, "%s:%d: %s: enabled is true or false", path, line, id);
		return ERR_PARSE;
	}
	r->disabled = enabled && strcmp(enabled, "false") == 0;
	r->line = line;
	r->id = strdup(id);
	r->reason = strdup(reason);
	if (!r->id || !r->reason) {
		free(r->id);
		free(r->reason);
		return ERR_NOMEM;
	}
	cfg->n++;
	return 0;
}

static int parse_doc(struct policy_config *cfg, const char *path, struct fy_document *doc,
		     char *err, size_t err_len)
{
	struct fy_node *root = fy_document_root(doc), *rules, *e;
	void *iter = NULL;
	int rc;

	if (!root)
		return 0; /* an empty file: nothing configured */
	rules = fy_node_is_mapping(root) ? fy_node_mapping_lookup_by_string(root, "rules", 5)
					 : NULL;
	if (!rules || !fy_node_is_sequence(rules)) {
		snprintf(err, err_len, "%s: expected a map with a list 'rules'", path);
		return ERR_PARSE;
	}
	if (fy_node_sequence_item_count(rules) > CONFIG_MAX_RULES) {
		snprintf(err, err_len, "%s: more than %d rules", path, CONFIG_MAX_RULES);
		return ERR_TOOLARGE;
	}
	cfg->rules = calloc((size_t)fy_node_sequence_item_count(rules) + 1, sizeof(*cfg->rules));
	if (!cfg->rules)
		return ERR_NOMEM;
	while ((e = fy_node_sequence_iterate(rules, &iter))) {
		rc = parse_entry(cfg, path, e, err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

int policy_config_load(struct policy_config *cfg, const char *path, char *err, size_t err_len)
{
	struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET};
	struct fy_document *doc = NULL;
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag;
	struct stat st;
	int rc;

	if (stat(path, &st) != 0) {
		snprintf(err, err_len, "%s: no such file", path);
		return ERR_NOTFOUND;
	}
	if (st.st_size > (off_t)POLICY_CONFIG_MAX_BYTES) {
		snprintf(err, err_len, "%s: larger than %u bytes", path, POLICY_CONFIG_MAX_BYTES);
		return ERR_TOOLARGE;
	}
	/* Collect libfyaml's messages instead of letting it print them. */
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag)
		return ERR_NOMEM;
	fy_diag_set_collect_errors(diag, true);
	pcfg.diag = diag;
	doc = fy_document_build_from_file(&pcfg, path);
	if (!doc) {
		void *it = NULL;
		struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);

		if (de)
			snprintf(err, err_len, "%s:%d: not valid YAML: %s", path, de->line,
				 de->msg ? de->msg : "syntax error");
		else
			snprintf(err, err_len, "%s: not valid YAML", path);
		fy_diag_destroy(diag);
		return ERR_PARSE;
	}
	cfg->path = strdup(path);
	rc = cfg->path ? parse_doc(cfg, path, doc, err, err_len) : ERR_NOMEM;
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
	if (rc)
		policy_config_release(cfg);
	return rc;
}

static bool file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int policy_config_discover(struct policy_config *cfg, const char *first_path, char *err,
			   size_t err_len)
{
	char dir[4096], cand[4200];
	struct stat st;

	if (file_exists(POLICY_CONFIG_NAME))
		return policy_config_load(cfg, POLICY_CONFIG_NAME, err, err_len);
	if (!first_path || !realpath(first_path, dir))
		return 0;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dir, '/');

		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
	}
	for (;;) {
		char *slash;

		snprintf(cand, sizeof(cand), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			 POLICY_CONFIG_NAME);
		if (file_exists(cand))
			return policy_config_load(cfg, cand, err, err_len);
		if (strcmp(dir, "/") == 0)
			return 0;
		slash = strrchr(dir, '/');
		if (!slash)
			return 0;
		*(slash == dir ? slash + 1 : slash) = '\0';
	}
}
