/*
 * The JSON reporter: the run as one object for scripts and for the golden
 * tests (see report.h for its shape). Keys keep their insertion order.
 *
 * The document is streamed to `out` as it is written, laid out as jansson
 * lays out JSON_INDENT(2) (two spaces a level, ": " after keys, empty
 * containers as [] and {}; strings escaped as jansson escapes them: `"`,
 * `\` and control characters, \u00XX in upper case, UTF-8 as is). Building
 * a jansson tree for 20,000 findings and freeing it again cost more than
 * checking the template did.
 */
#include "core/common.h"

#include "policy/report.h"

/* Output through a block buffer of our own: stdio's per-call locking was most of the cost. */
struct jout {
	FILE *f;
	size_t n;
	bool failed;
	char buf[1 << 16];
};

static void jflush(struct jout *o)
{
	if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
		o->failed = true;
	o->n = 0;
}

static void jput(struct jout *o, const char *s, size_t n)
{
	if (o->n + n > sizeof(o->buf)) {
		jflush(o);
		if (n > sizeof(o->buf)) {
			if (fwrite(s, 1, n, o->f) != n)
				o->failed = true;
			return;
		}
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

static void jputs(struct jout *o, const char *s)
{
	jput(o, s, strlen(s));
}

static void jputc(struct jout *o, char c)
{
	if (o->n == sizeof(o->buf))
		jflush(o);
	o->buf[o->n++] = c;
}

/* A non-negative integer in decimal (snprintf cost more than the rest of a finding). */
static void jputnum(struct jout *o, unsigned long long n)
{
	char num[24];
	size_t i = sizeof(num);

	do
		num[--i] = (char)('0' + n % 10);
	while (n /= 10);
	jput(o, num + i, sizeof(num) - i);
}

static void indent(struct jout *out, int depth)
{
	static const char spaces[] = "\n                ";

	jput(out, spaces, 1 + 2 * (size_t)depth); /* depth <= 4 */
}

/* Bytes JSON strings escape: `"`, `\` and the control characters (0 ends the string). */
static bool escaped(unsigned char ch)
{
	return ch < 0x20 || ch == '"' || ch == '\\';
}

static void json_str(struct jout *out, const char *s)
{
	jputc(out, '"');
	for (;;) {
		const char *run = s;
		const char *esc;
		char seq[8];

		while (!escaped((unsigned char)*s))
			s++;
		jput(out, run, (size_t)(s - run));
		switch (*s) {
		case '\0':
			jputc(out, '"');
			return;
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			snprintf(seq, sizeof(seq), "\\u%04X", (unsigned char)*s);
			esc = seq;
		}
		jputs(out, esc);
		s++;
	}
}

/* `"key": ` at `depth`, after a comma unless it is the object's first. */
static void json_key(struct jout *out, int depth, const char *key, bool first)
{
	if (!first)
		jputc(out, ',');
	indent(out, depth);
	json_str(out, key);
	jputs(out, ": ");
}

static void key_str(struct jout *out, int depth, const char *key, const char *val, bool first)
{
	json_key(out, depth, key, first);
	json_str(out, val);
}

/* "CKV_AWS_53,CKV_AWS_54" as ["CKV_AWS_53", "CKV_AWS_54"]; "" as []. */
static void key_ids(struct jout *out, int depth, const char *key, const char *list)
{
	bool any = false;

	json_key(out, depth, key, false);
	jputc(out, '[');
	for (const char *p = list ? list : ""; *p;) {
		size_t len = strcspn(p, ",");

		jputs(out, any ? "," : "");
		indent(out, depth + 1);
		jputc(out, '"');
		jput(out, p, len); /* ids are [A-Z0-9_] */
		jputc(out, '"');
		any = true;
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	if (any)
		indent(out, depth);
	jputc(out, ']');
}

static void finding_json(struct jout *out, const struct policy_finding *f)
{
	indent(out, 2);
	jputc(out, '{');
	key_str(out, 3, "rule", f->rule->id, true);
	key_str(out, 3, "severity", policy_severity_name(f->severity), false);
	key_str(out, 3, "title", f->rule->title, false);
	key_str(out, 3, "file", f->file, false);
	json_key(out, 3, "line", false);
	jputnum(out, (unsigned)MAX(f->line, 0));
	json_key(out, 3, "column", false);
	jputnum(out, (unsigned)MAX(f->col, 0));
	json_key(out, 3, "resource", false);
	if (f->resource)
		json_str(out, f->resource);
	else
		jputs(out, "null");
	key_str(out, 3, "message", f->message, false);
	key_ids(out, 3, "checkov", f->checkov);
	key_ids(out, 3, "cfn_nag", f->cfn_nag);
	json_key(out, 3, "suppressed", false);
	jputs(out, f->suppressed ? "true" : "false");
	if (f->suppressed) {
		key_str(out, 3, "suppressedBy", f->suppressed_by, false);
		key_str(out, 3, "reason", f->reason ? f->reason : "", false);
	}
	indent(out, 2);
	jputc(out, '}');
}

static void report_doc(struct jout *out, const struct policy_report *rep,
		       const struct report_opts *o)
{
	bool any = false;

	jputc(out, '{');
	key_str(out, 1, "tool", "sluice check", true);
	key_str(out, 1, "version", o->version ? o->version : "", false);
	json_key(out, 1, "templates", false);
	jputc(out, '[');
	for (size_t i = 0; i < rep->nfiles; i++) {
		if (!rep->files[i].checked)
			continue;
		jputs(out, any ? "," : "");
		indent(out, 2);
		json_str(out, rep->files[i].path);
		any = true;
	}
	if (any)
		indent(out, 1);
	jputc(out, ']');
	json_key(out, 1, "skipped", false);
	jputc(out, '[');
	any = false;
	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct policy_file *f = &rep->files[i];

		if (f->checked)
			continue;
		jputs(out, any ? "," : "");
		indent(out, 2);
		jputc(out, '{');
		key_str(out, 3, "path", f->path, true);
		key_str(out, 3, "reason", f->note ? f->note : "", false);
		indent(out, 2);
		jputc(out, '}');
		any = true;
	}
	if (any)
		indent(out, 1);
	jputc(out, ']');
	json_key(out, 1, "findings", false);
	jputc(out, '[');
	for (size_t i = 0; i < rep->n; i++) {
		jputs(out, i ? "," : "");
		finding_json(out, &rep->items[i]);
	}
	if (rep->n)
		indent(out, 1);
	jputc(out, ']');
	json_key(out, 1, "summary", false);
	jputc(out, '{');
	json_key(out, 2, "errors", true);
	jputnum(out, (unsigned long long)policy_report_count(rep, POLICY_ERROR, false));
	json_key(out, 2, "warnings", false);
	jputnum(out, (unsigned long long)policy_report_count(rep, POLICY_WARNING, false));
	json_key(out, 2, "suppressed", false);
	jputnum(out, (unsigned long long)policy_report_count(rep, POLICY_ERROR, true) +
			     (unsigned long long)policy_report_count(rep, POLICY_WARNING, true));
	indent(out, 1);
	jputc(out, '}');
	indent(out, 0);
	jputc(out, '}');
	jputc(out, '\n');
}

int report_json(FILE *f, const struct policy_report *rep, const struct report_opts *o)
{
	struct jout *out = malloc(sizeof(*out));
	bool failed;

	if (!out)
		return ERR_NOMEM;
	out->f = f;
	out->n = 0;
	out->failed = false;
	report_doc(out, rep, o);
	jflush(out);
	failed = out->failed || ferror(f);
	free(out);
	return failed ? ERR_IO : 0;
}
