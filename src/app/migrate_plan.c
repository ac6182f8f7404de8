/*
 * The migration planner (see migrate_plan.h): file names, the no-transaction
 * marker, checksums, the plan, and a statement splitter that follows
 * PostgreSQL's lexical rules closely enough to cut a migration file at its
 * top-level semicolons (section 4.1 of the PostgreSQL manual: string
 * constants, dollar quoting, quoted identifiers, comments).
 */
#include "core/common.h"

#include <dirent.h>
#include <sys/stat.h>

#include "app/migrate_plan.h"
#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

void migrate_set_init(struct migration_set *set)
{
	memset(set, 0, sizeof(*set));
}

void migrate_set_release(struct migration_set *set)
{
	for (size_t i = 0; set && i < set->n; i++)
		free(set->items[i].sql);
	if (set) {
		free(set->items);
		memset(set, 0, sizeof(*set));
	}
}

int migrate_parse_filename(const char *file, long *version, char *name)
{
	size_t len = strlen(file), digits = 0, n;
	long long v;

	if (len < 4 || strcmp(file + len - 4, ".sql") || !(file[0] >= '0' && file[0] <= '9'))
		return 0;
	while (file[digits] >= '0' && file[digits] <= '9')
		digits++;
	if (digits < 4 || file[digits] != '_')
		return -1;
	if (str_to_i64(str_make(file, digits), 1, MIGRATE_MAX_VERSION, &v))
		return -1;
	n = len - 4 - digits - 1;
	if (n == 0 || n > MIGRATE_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = file[digits + 1 + i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	*version = (long)v;
	memcpy(name, file + digits + 1, n);
	name[n] = '\0';
	return 1;
}

bool migrate_has_marker(const char *sql, size_t len)
{
	size_t m = strlen(MIGRATE_MARKER), i;

	if (len < m || memcmp(sql, MIGRATE_MARKER, m))
		return false;
	for (i = m; i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\r'); i++)
		;
	return i == len || sql[i] == '\n';
}

static int find_version(const struct migration_set *set, long version)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i].version == version)
			return (int)i;
	return -1;
}

int migrate_set_add(struct migration_set *set, const char *file, const char *sql, size_t len,
		    char *why, size_t why_len)
{
	struct migration m;
	size_t at;
	int err, dup;

	memset(&m, 0, sizeof(m));
	if (strlen(file) >= sizeof(m.file) ||
	    migrate_parse_filename(file, &m.version, m.name) != 1) {
		say(why, why_len,
		    "%.*s: not a migration name (want NNNN_name.sql, name of [a-z0-9_])", 200,
		    file);
		return ERR_INVAL;
	}
	if ((dup = find_version(set, m.version)) >= 0) {
		say(why, why_len, "%s and %s have the same version %ld", set->items[dup].file, file,
		    m.version);
		return ERR_INVAL;
	}
	if (len == 0 || len > MIGRATE_FILE_MAX || memchr(sql, 0, len) || !utf8_valid(sql, len)) {
		say(why, why_len, "%s: %s", file,
		    len == 0		     ? "the file is empty"
		    : len > MIGRATE_FILE_MAX ? "the file is larger than 1 MiB"
					     : "the file is not UTF-8 text");
		return ERR_INVAL;
	}
	memcpy(m.file, file, strlen(file) + 1);
	sha256_hex(sql, len, m.sha256);
	m.no_transaction = migrate_has_marker(sql, len);
	if (set->n >= MIGRATE_MAX_FILES || !(m.sql = malloc(len + 1)))
		return ERR_NOMEM;
	memcpy(m.sql, sql, len);
	m.sql[len] = '\0';
	m.sql_len = len;
	if ((err = ALLOC_GROW(set->items, set->n + 1, set->alloc))) {
		free(m.sql);
		return err;
	}
	for (at = set->n; at > 0 && set->items[at - 1].version > m.version; at--)
		set->items[at] = set->items[at - 1];
	set->items[at] = m;
	set->n++;
	return 0;
}

/* Read `path` whole, up to MIGRATE_FILE_MAX + 1 bytes (one more tells "too large"). */
static int read_file(const char *path, struct buf *out)
{
	char chunk[16384];
	FILE *f = fopen(path, "rb");
	size_t n;
	int err = 0;

	if (!f)
		return ERR_IO;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_add(out, chunk, n);
	if (!err && ferror(f))
		err = ERR_IO;
	fclose(f);
	return err == ERR_TOOLARGE ? 0 : err;
}

int migrate_set_load_dir(struct migration_set *set, const char *dir, char *why, size_t why_len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	if (!d) {
		say(why, why_len, "%s: %s", dir, strerror(errno));
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	}
	while (!err && (e = readdir(d))) {
		char path[4096], name[MIGRATE_NAME_MAX + 1];
		long version;
		int kind = migrate_parse_filename(e->d_name, &version, name);
		struct buf content;

		if (kind == 0)
			continue;
		if (kind < 0) {
			say(why, why_len,
			    "%s/%s: not a migration name (want NNNN_name.sql, name of [a-z0-9_])",
			    dir, e->d_name);
			err = ERR_INVAL;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf_init(&content, MIGRATE_FILE_MAX + 1);
		err = read_file(path, &content);
		if (err)
			say(why, why_len, "%s: %s", path, strerror(errno));
		else
			err = migrate_set_add(set, e->d_name, content.ptr, content.len, why,
					      why_len);
		buf_release(&content);
	}
	closedir(d);
	return err;
}

const char *migrate_state_name(enum migrate_state s)
{
	switch (s) {
	case MIGRATE_APPLIED:
		return "applied";
	case MIGRATE_PENDING:
		return "pending";
	case MIGRATE_CHANGED:
		return "changed";
	default:
		return "unknown";
	}
}

void migrate_plan_release(struct migrate_plan *plan)
{
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}

static int cmp_step(const void *a, const void *b)
{
	long x = ((const struct migrate_step *)a)->version;
	long y = ((const struct migrate_step *)b)->version;

	return (x > y) - (x < y);
}

static bool is_applied(const struct migration_applied *a, size_t n, long version)
{
	for (size_t j = 0; a && j < n; j++)
		if (a[j].version == version)
			return true;
	return false;
}

int migrate_plan_make(const struct migration_set *set, const struct migration_applied *applied,
		      size_t n_applied, struct migrate_plan *plan, char *why, size_t why_len)
{
	long max_applied = 0;
	int err = 0;

	memset(plan, 0, sizeof(*plan));
	if (!applied)
		n_applied = 0;
	plan->steps = calloc(set->n + n_applied + 1, sizeof(*plan->steps));
	if (!plan->steps)
		return ERR_NOMEM;
	for (size_t i = 0; i < n_applied; i++) {
		const struct migration_applied *a = &applied[i];
		int fi = find_version(set, a->version);
		struct migrate_step *s = &plan->steps[plan->n++];

		max_applied = MAX(max_applied, a->version);
		s->version = a->version;
		s->applied = a;
		s->file = fi >= 0 ? &set->items[fi] : NULL;
		if (!s->file) {
			s->state = MIGRATE_UNKNOWN;
			plan->unknown++;
		} else if (strcmp(s->file->sha256, a->sha256)) {
			s->state = MIGRATE_CHANGED;
			if (plan->changed++ == 0) {
				say(why, why_len,
				    "%s was changed after it was applied: applied sha256 %s, file "
				    "sha256 %s",
				    s->file->file, a->sha256, s->file->sha256);
				err = ERR_PRECONDITION;
			}
		} else {
			s->state = MIGRATE_APPLIED;
		}
	}
	for (size_t i = 0; set->items && i < set->n; i++) {
		if (is_applied(applied, n_applied, set->items[i].version))
			continue;
		plan->steps[plan->n].version = set->items[i].version;
		plan->steps[plan->n].state = MIGRATE_PENDING;
		plan->steps[plan->n].file = &set->items[i];
		plan->steps[plan->n].out_of_order = set->items[i].version < max_applied;
		plan->n++;
		plan->pending++;
	}
	if (plan->n > 1)
		qsort(plan->steps, plan->n, sizeof(*plan->steps), cmp_step);
	return err;
}

/* ---- Splitting ------------------------------------------------------------------------- */

/* The length of a dollar-quote tag "$tag$" starting at s[i] == '$', or 0 when none. */
static size_t dollar_tag(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && ((s[j] >= '0' && s[j] <= '9')))
		return 0; /* $1 is a parameter */
	if (i > 0 && (s[i - 1] == '_' || (s[i - 1] >= 'a' && s[i - 1] <= 'z') ||
		      (s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
		      (s[i - 1] >= '0' && s[i - 1] <= '9') || (unsigned char)s[i - 1] >= 0x80))
		return 0; /* inside an identifier: a$b$ is one name */
	while (j < len &&
	       (s[j] == '_' || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
		(s[j] >= '0' && s[j] <= '9') || (unsigned char)s[j] >= 0x80))
		j++;
	return j < len && s[j] == '$' ? j - i + 1 : 0;
}

static bool is_space(char c);

/* The index just past the token that starts at s[i] (a quote, comment or one byte). */
static size_t skip_token(const char *s, size_t len, size_t i, bool *only_space)
{
	char c = s[i];
	size_t j, tag;

	if (c == '-' && i + 1 < len && s[i + 1] == '-') {
		for (j = i + 2; j < len && s[j] != '\n'; j++)
			;
		return j;
	}
	if (c == '/' && i + 1 < len && s[i + 1] == '*') {
		int depth = 1;
		for (j = i + 2; j < len && depth > 0; j++) {
			if (s[j] == '/' && j + 1 < len && s[j + 1] == '*')
				depth++, j++;
			else if (s[j] == '*' && j + 1 < len && s[j + 1] == '/')
				depth--, j++;
		}
		return j;
	}
	if (!is_space(c))
		*only_space = false;
	if (c == '\'' || c == '"') {
		/* E'...' (or e'...') honours backslash escapes; '' and "" double the quote. */
		bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');
		for (j = i + 1; j < len; j++) {
			if (backslash && s[j] == '\\') {
				j++;
				continue;
			}
			if (s[j] == c) {
				if (j + 1 < len && s[j + 1] == c) {
					j++;
					continue;
				}
				return j + 1;
			}
		}
		return len;
	}
	if (c == '$' && (tag = dollar_tag(s, len, i)) > 0) {
		for (j = i + tag; j + tag <= len; j++)
			if (!memcmp(s + j, s + i, tag))
				return j + tag;
		return len;
	}
	return i + 1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static struct str trim_space(const char *s, size_t from, size_t to)
{
	while (from < to && is_space(s[from]))
		from++;
	while (to > from && is_space(s[to - 1]))
		to--;
	return str_make(s + from, to - from);
}

long migrate_split(const char *sql, size_t len, migrate_stmt_fn cb, void *ctx)
{
	size_t start = 0, i = 0;
	bool only_space = true;
	long count = 0;

	while (i <= len) {
		if (i == len || sql[i] == ';') {
			if (!only_space) {
				int rc = cb(ctx, trim_space(sql, start, i));
				if (rc)
					return rc > 0 ? -rc : rc;
				count++;
			}
			only_space = true;
			start = ++i;
			continue;
		}
		i = skip_token(sql, len, i, &only_space);
	}
	return count;
}

long migrate_line_of(const char *sql, size_t len, long char_pos)
{
	long line = 1, chars = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)sql[i] & 0xc0) != 0x80 && ++chars >= char_pos)
			break;
		if (sql[i] == '\n' && i + 1 < len)
			line++;
	}
	return line;
}
