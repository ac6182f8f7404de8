/*
 * The migration planner: what is on disk (db/migrations/NNNN_<name>.sql),
 * what the database says it applied (schema_migrations), and what `up` would
 * run, with no database in sight. migrate.c runs the plan over libpq; this
 * half is pure, so its rules are unit-tested and fuzzed.
 *
 * The rules:
 * - A file is "<version>_<name>.sql": at least four decimal digits (the
 *   version, 1 to MIGRATE_MAX_VERSION, leading zeros allowed), '_', then
 *   1 to MIGRATE_NAME_MAX of [a-z0-9_]. Other files in the folder are
 *   ignored, except a file that starts with a digit and ends in ".sql" but
 *   is not named so, which is an error (a typo must not skip a migration).
 *   Two files with one version are an error.
 * - Files are applied in version order, each in its own transaction, unless
 *   its first line is the marker `-- sluice:no-transaction` (trailing spaces
 *   and a CR allowed): such a file is split into statements
 *   (migrate_split()) that run one by one outside any transaction, which
 *   CREATE INDEX CONCURRENTLY requires. It must be safe to run again from
 *   the start, since a run killed half-way leaves its first statements done.
 * - A file's checksum is the SHA-256 of its bytes. An applied migration whose
 *   file now has another checksum is refused, naming the file and both
 *   checksums: history is not rewritten. A version the database applied but
 *   no file has is reported (the database is ahead of this release: during a
 *   canary the old version runs beside the new one's schema) and is no error.
 */
#ifndef SLUICE_APP_MIGRATE_PLAN_H
#define SLUICE_APP_MIGRATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define MIGRATE_MAX_VERSION   999999999L
#define MIGRATE_NAME_MAX      64
#define MIGRATE_FILE_MAX      ((size_t)1 << 20) /* bytes of one migration file */
#define MIGRATE_MAX_FILES     4096
#define MIGRATE_MARKER	      "-- sluice:no-transaction"
#define MIGRATE_SHA256_HEXLEN 64

/* One file. `sql` is owned (NUL-terminated, `sql_len` bytes). */
struct migration {
	long version;
	char name[MIGRATE_NAME_MAX + 1];	/* "preferences" */
	char file[MIGRATE_NAME_MAX + 24];	/* "0002_preferences.sql" */
	char sha256[MIGRATE_SHA256_HEXLEN + 1]; /* lowercase hex of the file's bytes */
	bool no_transaction;
	char *sql;
	size_t sql_len;
};

/* The files of a folder, sorted by version. Zero it, or use migrate_set_init(). */
struct migration_set {
	struct migration *items;
	size_t n, alloc;
};

/* A row of schema_migrations. */
struct migration_applied {
	long version;
	char name[MIGRATE_NAME_MAX + 1];
	char sha256[MIGRATE_SHA256_HEXLEN + 1];
	int64_t applied_at_ms;
	long duration_ms;
};

void migrate_set_init(struct migration_set *set);
void migrate_set_release(struct migration_set *set);

/*
 * Parse a file name. Returns 1 and fills `*version` and `name` (room for
 * MIGRATE_NAME_MAX + 1) for a migration's name; 0 for a name that is not a
 * migration's and can be ignored; -1 for a name that looks like one but is
 * malformed ("12_x.sql", "0001-x.sql", "0001_X.sql").
 */
int migrate_parse_filename(const char *file, long *version /* OUT */, char *name /* OUT */);

/* True when the first line of `sql` is the no-transaction marker. */
bool migrate_has_marker(const char *sql, size_t len);

/*
 * Add the file `file` with content `sql` (`len` bytes, copied). Returns 0,
 * ERR_INVAL with a sentence in `why` (a malformed name, a duplicate version,
 * a file over MIGRATE_FILE_MAX, a NUL byte, not UTF-8, an empty file), or
 * ERR_NOMEM. Keeps the set sorted.
 */
int migrate_set_add(struct migration_set *set, const char *file, const char *sql, size_t len,
		    char *why, size_t why_len);

/*
 * Load every migration of folder `dir`. Returns 0, ERR_NOTFOUND (no such
 * folder), ERR_IO, or an error of migrate_set_add(); `why` says which file.
 */
int migrate_set_load_dir(struct migration_set *set, const char *dir, char *why, size_t why_len);

/* What the planner concluded about one version. */
enum migrate_state {
	MIGRATE_APPLIED, /* in the database with the file's checksum */
	MIGRATE_PENDING, /* a file not yet applied: `up` runs it */
	MIGRATE_CHANGED, /* applied, but the file's checksum differs: refused */
	MIGRATE_UNKNOWN, /* applied, but no file has this version (the database is ahead) */
};

struct migrate_step {
	long version;
	enum migrate_state state;
	const struct migration *file;		 /* NULL for MIGRATE_UNKNOWN */
	const struct migration_applied *applied; /* NULL for MIGRATE_PENDING */
	bool out_of_order; /* pending, but a later version is applied already */
};

/* Every version of files and database together, in version order. */
struct migrate_plan {
	struct migrate_step *steps;
	size_t n;
	size_t pending, changed, unknown;
};

/*
 * Compare `set` with the `n_applied` rows of `applied` (any order). Fills
 * `plan` (release with migrate_plan_release()) whatever the outcome. Returns
 * 0; ERR_PRECONDITION when a file changed after it was applied, with `why`
 * naming the first such file and both checksums ("0002_preferences.sql was
 * changed after it was applied: applied sha256 <a>, file sha256 <b>");
 * ERR_NOMEM.
 */
int migrate_plan_make(const struct migration_set *set, const struct migration_applied *applied,
		      size_t n_applied, struct migrate_plan *plan /* OUT */, char *why,
		      size_t why_len);

void migrate_plan_release(struct migrate_plan *plan);

/* "applied", "pending", "changed", "unknown". */
const char *migrate_state_name(enum migrate_state s);

/*
 * Split SQL text into statements at the semicolons that end them, as
 * PostgreSQL's lexer sees them: not inside '...' (with '' and, for E'...',
 * backslash escapes), "..." identifiers, $tag$...$tag$ bodies, -- comments
 * or nested C-style comments. `cb` gets each statement without its ';' and with
 * surrounding whitespace trimmed; statements that hold only whitespace and
 * comments are skipped. An unterminated quote, dollar body or comment makes
 * the rest one statement. Returns the number of statements passed to `cb`,
 * or the first non-zero value `cb` returned (negated when positive).
 */
typedef int (*migrate_stmt_fn)(void *ctx, struct str stmt);
long migrate_split(const char *sql, size_t len, migrate_stmt_fn cb, void *ctx);

/*
 * The 1-based line of the character at 1-based `char_pos` of `sql` (as
 * PostgreSQL reports an error's position: in characters, not bytes), for
 * "file:line" messages. Positions past the end give the last line.
 */
long migrate_line_of(const char *sql, size_t len, long char_pos);

#endif
