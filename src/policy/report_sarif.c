/*
 * The SARIF 2.1.0 reporter, for GitHub code scanning and other SARIF
 * viewers. The whole catalogue goes into tool.driver.rules so that a viewer
 * can show the help of any rule; results point at their rule by ruleId and
 * ruleIndex. GitHub reads properties."security-severity" (a number as a
 * string; 7.0 and above is "high") to rank security results.
 *
 * Artifact URIs: a relative path stays relative (GitHub resolves it from
 * the repository root, so run `sluice check` from there), percent-encoded
 * as RFC 3986 requires; an absolute path becomes a file:// URI.
 */
#include "core/common.h"

#include <jansson.h>

#include "core/buf.h"
#include "core/enc.h"
#include "policy/report.h"

#define SARIF_SCHEMA  "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_URI_MAX 8192

static const char *level(enum policy_severity s)
{
	return s == POLICY_ERROR ? "error" : "warning";
}

static json_t *id_list(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (a && p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		json_array_append_new(a, json_stringn(p, len));
		p = end ? end + 1 : NULL;
	}
	return a;
}

static json_t *rule_json(const struct policy_rule *r)
{
	char name[128];
	struct buf help;
	json_t *o, *props;

	report_rule_name(r, name, sizeof(name));
	buf_init(&help, BUF_NOCAP);
	if (buf_addf(&help, "%s\n\nWhy: %s\n\nFix: %s", r->title, r->why, r->fix)) {
		buf_release(&help);
		return NULL;
	}
	props = json_pack("{s:[s,s], s:s, s:s}", "tags", "security", r->service,
			  "security-severity", r->severity == POLICY_ERROR ? "8.0" : "5.0",
			  "precision", "high");
	if (props && r->cfn_nag)
		json_object_set_new(props, "cfn_nag", id_list(r->cfn_nag));
	if (props && r->checkov)
		json_object_set_new(props, "checkov", id_list(r->checkov));
	if (props && r->guard)
		json_object_set_new(props, "guard", id_list(r->guard));
	if (props && r->stricter)
		json_object_set_new(props, "stricterThanCheckov", json_true());
	o = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:o}", "id", r->id, "name",
		      name, "shortDescription", "text", r->title, "fullDescription", "text", r->why,
		      "help", "text", help.ptr, "defaultConfiguration", "level", level(r->severity),
		      "properties", props);
	buf_release(&help);
	return o;
}

static json_t *uri_json(const char *path)
{
	struct buf b;
	json_t *s;

	buf_init(&b, SARIF_URI_MAX);
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	if (path[0] == '/' && buf_adds(&b, "file://"))
		goto fail;
	if (uri_encode(&b, path, strlen(path), true))
		goto fail;
	s = json_string(b.ptr);
	buf_release(&b);
	return s;
fail:
	buf_release(&b);
	return NULL;
}

static json_t *result_json(const struct policy_finding *f, size_t index)
{
	json_t *loc, *res;

	loc = json_pack("{s:{s:{s:o}}}", "physicalLocation", "artifactLocation", "uri",
			uri_json(f->file));
	if (loc && f->line > 0) {
		json_t *region = json_pack("{s:i}", "startLine", f->line);

		if (region && f->col > 0)
			json_object_set_new(region, "startColumn", json_integer(f->col));
		json_object_set_new(json_object_get(loc, "physicalLocation"), "region", region);
	}
	if (loc && f->resource)
		json_object_set_new(
			loc, "logicalLocations",
			json_pack("[{s:s, s:s}]", "name", f->resource, "kind", "resource"));
	res = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[o]}", "ruleId", f->rule->id, "ruleIndex",
			(json_int_t)index, "level", level(f->severity), "message", "text",
			f->message, "locations", loc);
	if (res && (*f->checkov || *f->cfn_nag)) {
		json_t *props = json_object();

		if (props && *f->checkov)
			json_object_set_new(props, "checkov", id_list(f->checkov));
		if (props && *f->cfn_nag)
			json_object_set_new(props, "cfn_nag", id_list(f->cfn_nag));
		json_object_set_new(res, "properties", props);
	}
	if (res && f->suppressed)
		json_object_set_new(
			res, "suppressions",
			json_pack("[{s:s, s:s}]", "kind",
				  strcmp(f->suppressed_by, "sluice") &&
						  strncmp(f->suppressed_by, "cfn_nag", 7) &&
						  strncmp(f->suppressed_by, "checkov", 7)
					  ? "external"
					  : "inSource",
				  "justification",
				  f->reason && *f->reason ? f->reason : "(no reason)"));
	return res;
}

int report_sarif(FILE *out, const struct policy_report *rep, const struct report_opts *o)
{
	size_t nrules;
	const struct policy_rule *all = policy_rules(&nrules);
	json_t *rules = json_array(), *results = json_array(), *log = NULL;
	int rc = ERR_NOMEM;

	if (!rules || !results)
		goto fail;
	for (size_t i = 0; i < nrules; i++) {
		json_t *r = rule_json(&all[i]);

		if (!r || json_array_append_new(rules, r))
			goto fail;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_finding *f = &rep->items[i];
		json_t *r = result_json(f, (size_t)(f->rule - all));

		if (!r || json_array_append_new(results, r))
			goto fail;
	}
	log = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o, s:s}]}", "$schema",
			SARIF_SCHEMA, "version", "2.1.0", "runs", "tool", "driver", "name",
			"sluice", "version", o->version ? o->version : "0", "rules", rules,
			"results", results, "columnKind", "unicodeCodePoints");
	rules = results = NULL;
	if (!log)
		goto fail;
	rc = json_dumpf(log, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? ERR_IO : 0;
	fputc('\n', out);
	if (ferror(out))
		rc = ERR_IO;
fail:
	json_decref(rules);
	json_decref(results);
	json_decref(log);
	return rc;
}
