/*
 * Fuzz the migration file reader (src/app/migrate_plan.c): the file-name
 * parser, the no-transaction marker and the statement splitter. The first
 * line of the input is taken as a file name, the rest as the file. Checked:
 * a parsed name round-trips to the same version and name; the statements the
 * splitter hands out lie inside the input, in order, without overlapping,
 * trimmed and never empty; the marker agrees with a plain comparison of the
 * first line; the line of any position lies within the file's lines.
 */
#include "core/common.h"

#include "app/migrate_plan.h"

struct walk {
	const char *base;
	size_t len;
	const char *last_end;
};

static int check_stmt(void *ctx, struct str s)
{
	struct walk *w = ctx;

	if (s.len == 0 || s.ptr < w->last_end || s.ptr + s.len > w->base + w->len)
		abort();
	if (memchr(" \t\r\n\f", s.ptr[0], 5) || memchr(" \t\r\n\f", s.ptr[s.len - 1], 5))
		abort();
	w->last_end = s.ptr + s.len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nl = memchr(in, '\n', size);
	size_t name_len = nl ? (size_t)(nl - in) : size;
	const char *sql = nl ? nl + 1 : in + size;
	size_t sql_len = size - (size_t)(sql - in);
	char file[128], name[MIGRATE_NAME_MAX + 1], again[160];
	struct walk w = {sql, sql_len, sql};
	long version = 0, lines = 1;

	if (name_len < sizeof(file) && !memchr(in, 0, name_len)) {
		memcpy(file, in, name_len);
		file[name_len] = '\0';
		if (migrate_parse_filename(file, &version, name) == 1) {
			snprintf(again, sizeof(again), "%0*ld_%s.sql", 4, version, name);
			long v2;
			char n2[MIGRATE_NAME_MAX + 1];
			if (migrate_parse_filename(again, &v2, n2) != 1 || v2 != version ||
			    strcmp(n2, name))
				abort();
		}
	}
	bool marker = migrate_has_marker(sql, sql_len);
	size_t m = strlen(MIGRATE_MARKER);
	if (marker && (sql_len < m || memcmp(sql, MIGRATE_MARKER, m)))
		abort();
	if (migrate_split(sql, sql_len, check_stmt, &w) < 0)
		abort();
	for (size_t i = 0; i + 1 < sql_len; i++)
		lines += sql[i] == '\n';
	for (long pos = 0; pos <= (long)sql_len + 1; pos += 1 + (long)sql_len / 8) {
		long line = migrate_line_of(sql, sql_len, pos);
		if (line < 1 || line > lines)
			abort();
	}
	return 0;
}
