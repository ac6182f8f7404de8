/*
 * The local CloudWatch Logs store: log groups, their streams, and events
 * (timestamp, ingestion time, message) kept in memory in timestamp order
 * per group, mirrored to one file per group under <data_dir>/logs/ so that
 * a restart keeps them.
 *
 * Bounds: a group's retention (RetentionInDays, as the template or
 * PutRetentionPolicy sets it) drops older events once a minute, and a cap
 * on the bytes of all messages (CW_LOGS_DEFAULT_MAX_BYTES unless
 * configured) drops the oldest events of all groups first. A group's file
 * keeps the records of dropped events until they are a third of it, then
 * is rewritten from memory a slice at a time, so the disk holds at most
 * about twice what memory does, and no call stalls the event loop on a
 * rewrite of the whole file. A reload applies the cap again, and the next
 * maintenance the retention, so records kept past their drop never show. An event is at most
 * CW_LOGS_EVENT_MAX bytes (CloudWatch's 256 KB); longer messages are cut, as Lambda cuts lines.
 *
 * Event ids are a group's sequence numbers, in decimal: stable, unique in
 * the group and increasing with ingestion, which is what `aws logs tail
 * --follow` needs to drop the events it has shown.
 *
 * Everything runs on one thread (the event loop).
 */
#ifndef SLUICE_LOCAL_CW_LOGS_H
#define SLUICE_LOCAL_CW_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_LOGS_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define CW_LOGS_EVENT_MAX	  (256 * 1024 - 26) /* CloudWatch counts 26 bytes per event */
#define CW_LOGS_NAME_MAX	  512		    /* a log group or stream name */

struct cw_event {
	int64_t ts;	/* the event's timestamp, epoch ms */
	int64_t ingest; /* when it was stored */
	uint64_t seq;	/* its id in the group */
	uint32_t stream;
	uint32_t len;
	char *msg; /* owned, NUL-terminated */
};

struct cw_stream {
	char *name;
	int64_t created, first, last, last_ingest; /* 0 until an event */
	uint64_t bytes;
	uint64_t events;
};

struct cw_group {
	char *name;
	int64_t created;
	int retention_days; /* 0: never expire */
	struct cw_stream *streams;
	size_t nstreams, astreams;
	struct cw_event *ev; /* ev[head..nev) are live, by (ts, seq) */
	size_t head, nev, aev;
	uint64_t next_seq;
	uint64_t bytes;
	void *disk; /* FILE *, appended to; NULL without a data directory */
	/*
	 * The file's state: its bytes, those of records whose events were
	 * dropped since (retention, the cap), and whether the header changed.
	 * A rewrite (compaction) is due when dead records are a third of the
	 * file or the header changed; it runs in slices (`compact`, the
	 * temporary file, and the last event copied into it) so that no call
	 * writes the whole file at once (docs/design.md, "logs store").
	 */
	uint64_t disk_bytes, dead_bytes;
	bool header_due;
	void *compact;	   /* FILE *, the rewrite in progress, or NULL */
	int64_t copied_ts; /* the last event copied into it: (ts, seq) */
	uint64_t copied_seq;
	bool copied_any;	/* false: none copied yet */
	uint64_t compact_bytes; /* written into it */
	uint64_t compact_dead;	/* of those, dropped meanwhile */
	bool compact_missed;	/* an event went in before the cursor: rewrite again */
};

struct cw_logs;

/*
 * A store whose files live in `dir` (created when missing; NULL keeps
 * everything in memory), capped at `max_bytes` (0: the default). Groups
 * found in `dir` are loaded. Returns 0 and *out, ERR_IO, ERR_NOMEM.
 */
int cw_logs_new(const char *dir, size_t max_bytes, struct cw_logs **out /* OUT */);
/* Finish due rewrites at once (a clean shutdown leaves no dropped records), then free. */
void cw_logs_free(struct cw_logs *s);

/* The group `name`, or NULL. */
struct cw_group *cw_logs_group(struct cw_logs *s, const char *name);

/*
 * The group `name`, created (at `now_ms`) when missing. `*created` (may be
 * NULL) says whether it was. NULL when out of memory or the name is not
 * one CloudWatch takes (1 to CW_LOGS_NAME_MAX of [A-Za-z0-9_/.#-]).
 */
struct cw_group *cw_logs_group_ensure(struct cw_logs *s, const char *name, int64_t now_ms,
				      bool *created /* OUT */);

/* Delete a group and its file. ERR_NOTFOUND when there is none. */
int cw_logs_group_delete(struct cw_logs *s, const char *name);

/* Set a group's retention (0: never expire), kept in its file. */
void cw_logs_set_retention(struct cw_logs *s, struct cw_group *g, int days);

/* The groups, sorted by name; `*n` of them; the array belongs to the store. */
struct cw_group *const *cw_logs_groups(struct cw_logs *s, size_t *n /* OUT */);

/* The index of stream `name` in `g`, created when `create`; -1 when absent or out of memory. */
long cw_logs_stream(struct cw_group *g, const char *name, bool create, int64_t now_ms);

/*
 * Store one event of `len` bytes in stream `stream` of `g` (both exist).
 * Returns the stored event (valid until the next change of the store), or
 * NULL when out of memory. May drop the oldest events of any group when
 * the cap is passed.
 */
const struct cw_event *cw_logs_append(struct cw_logs *s, struct cw_group *g, long stream,
				      int64_t ts, const char *msg, size_t len, int64_t now_ms);

/* The first live index of `g` whose event is at or after (`ts`, `seq`). */
size_t cw_logs_lower_bound(const struct cw_group *g, int64_t ts, uint64_t seq);

/*
 * Drop events past their group's retention, start or advance due rewrites
 * (CW_LOGS_COMPACT_TICK_BYTES per call), flush the files.
 */
void cw_logs_maintain(struct cw_logs *s, int64_t now_ms);

/* Bytes of all messages stored. */
uint64_t cw_logs_bytes(const struct cw_logs *s);

/* True for a name CloudWatch Logs accepts for a group ([A-Za-z0-9_/.#-], 1 to 512). */
bool cw_logs_name_valid(const char *name);

#endif
