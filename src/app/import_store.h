/*
 * The import function's statements (the imports table of
 * db/migrations/0003_imports.sql, and the records it writes), over db.h.
 *
 * Exactly once, whatever S3 delivers: an import is claimed by one invocation
 * at a time (a claim takes a waiting import, or a running one whose heartbeat
 * stopped more than IMPORT_STALE_SECONDS ago), and each batch is one
 * statement that writes its records, their history rows and the import's
 * counters, errors and checkpoint together, on the condition that the
 * checkpoint is still where this invocation left it (a compare-and-set).
 * A second delivery of the same event finds the import done, or running
 * under a live heartbeat, or resumes it from its checkpoint; and a record
 * only moves forward (a line is applied only when its updatedAt is newer
 * than the stored one), so nothing is applied twice.
 */
#ifndef SLUICE_APP_IMPORT_STORE_H
#define SLUICE_APP_IMPORT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "app/db.h"

/* A running import whose heartbeat is older than this may be taken over. */
#define IMPORT_STALE_SECONDS 60

/* Where an import stands. */
struct import_progress {
	char state[16];
	uint64_t bytes_read; /* the checkpoint: just past the last line of the last batch */
	uint64_t line_no;    /* lines consumed up to the checkpoint */
	uint64_t rows_read, rows_written, rows_rejected;
	unsigned errors; /* errors recorded (at most PREFS_IMPORT_ERRORS_MAX) */
};

/*
 * Claim import `id` for object `key`: create its row when the file was
 * dropped into the bucket without POST /preferences/imports, then take it
 * (state "running", heartbeat now). Returns 0 with the checkpoint in `*p`;
 * ERR_EXISTS when it is done, failed, or running under a live heartbeat
 * (`p->state` says which); or db_query()'s errors.
 */
int import_claim(struct db *db, const char *id, const char *key, int64_t deadline_ms,
		 struct import_progress *p /* OUT */);

/* One batch of lines, as the import function accumulated it. */
struct import_batch {
	const char *rows;   /* JSON array of {"u","p","v","t"} */
	const char *errors; /* JSON array of {"line","message"} to append */
	uint64_t rows_read, rows_rejected;
	uint64_t from_bytes;	       /* the checkpoint this batch starts at */
	uint64_t to_bytes, to_line_no; /* and the one it ends at */
};

/*
 * Apply `b` to import `id` (source "import:<id>"). Returns 0 with the records
 * it wrote in `*written`; ERR_PRECONDITION when the checkpoint moved (another
 * invocation took the import over: stop); or db_query()'s errors.
 */
int import_apply(struct db *db, const char *id, const struct import_batch *b, int64_t deadline_ms,
		 uint64_t *written /* OUT */);

/* End the import at checkpoint `bytes`: "done", or "failed" with `failure`. */
int import_finish(struct db *db, const char *id, uint64_t bytes, const char *failure,
		  int64_t deadline_ms);

#endif
