/*
 * The JSON reporter: the run as one object for scripts and for the golden
 * tests (see report.h for its shape). Keys keep their insertion order.
 */
#include "core/common.h"

#include <jansson.h>

#include "policy/report.h"

/* "CKV_AWS_53,CKV_AWS_54" as ["CKV_AWS_53", "CKV_AWS_54"]; "" as []. */
static json_t *ids_json(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; a && p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		json_array_append_new(a, json_stringn(p, len));
		p = comma ? comma + 1 : NULL;
		while (p && *p == ' ')
			p++;
	}
	return a;
}

static json_t *finding_json(const struct policy_finding *f)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "rule", json_string(f->rule->id));
	json_object_set_new(o, "severity", json_string(policy_severity_name(f->severity)));
	json_object_set_new(o, "title", json_string(f->rule->title));
	json_object_set_new(o, "file", json_string(f->file));
	json_object_set_new(o, "line", json_integer(f->line));
	json_object_set_new(o, "column", json_integer(f->col));
	json_object_set_new(o, "resource", f->resource ? json_string(f->resource) : json_null());
	json_object_set_new(o, "message", json_string(f->message));
	json_object_set_new(o, "checkov", ids_json(f->checkov));
	json_object_set_new(o, "cfn_nag", ids_json(f->cfn_nag));
	json_object_set_new(o, "suppressed", json_boolean(f->suppressed));
	if (f->suppressed) {
		json_object_set_new(o, "suppressedBy", json_string(f->suppressed_by));
		json_object_set_new(o, "reason", json_string(f->reason ? f->reason : ""));
	}
	return o;
}

int report_json(FILE *out, const struct policy_report *rep, const struct report_opts *o)
{
	json_t *root = json_object(), *templates = json_array(), *skipped = json_array();
	json_t *findings = json_array(), *summary = json_object();
	size_t suppressed;
	int rc = ERR_NOMEM;

	if (!root || !templates || !skipped || !findings || !summary)
		goto fail;
	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct policy_file *f = &rep->files[i];

		if (f->checked) {
			json_array_append_new(templates, json_string(f->path));
		} else {
			json_t *s = json_pack("{s:s, s:s}", "path", f->path, "reason", f->note);

			if (!s)
				goto fail;
			json_array_append_new(skipped, s);
		}
	}
	for (size_t i = 0; i < rep->n; i++) {
		json_t *f = finding_json(&rep->items[i]);

		if (!f || json_array_append_new(findings, f))
			goto fail;
	}
	json_object_set_new(
		summary, "errors",
		json_integer((json_int_t)policy_report_count(rep, POLICY_ERROR, false)));
	json_object_set_new(
		summary, "warnings",
		json_integer((json_int_t)policy_report_count(rep, POLICY_WARNING, false)));
	suppressed = policy_report_count(rep, POLICY_ERROR, true) +
		     policy_report_count(rep, POLICY_WARNING, true);
	json_object_set_new(summary, "suppressed", json_integer((json_int_t)suppressed));
	json_object_set_new(root, "tool", json_string("sluice check"));
	json_object_set_new(root, "version", json_string(o->version ? o->version : ""));
	json_object_set_new(root, "templates", templates);
	json_object_set_new(root, "skipped", skipped);
	json_object_set_new(root, "findings", findings);
	json_object_set_new(root, "summary", summary);
	templates = skipped = findings = summary = NULL;
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? ERR_IO : 0;
	fputc('\n', out);
	if (ferror(out))
		rc = ERR_IO;
fail:
	json_decref(templates);
	json_decref(skipped);
	json_decref(findings);
	json_decref(summary);
	json_decref(root);
	return rc;
}
