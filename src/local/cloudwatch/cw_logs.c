/*
 * The logs store (cw_logs.h). Each group keeps its events in one array
 * sorted by (timestamp, sequence); events nearly always arrive in order, so
 * an append is a push, and an out-of-order one (PutLogEvents with older
 * timestamps) is placed by binary search. Dropping the oldest events moves
 * `head`; the array is compacted when half of it is dead.
 *
 * On disk, <dir>/<hex of the group name>.log holds a header line
 * ("sluice-logs 1 <created> <retention> <name>") and one record per event:
 * "<ts> <ingest> <seq> <stream length>:<stream><message length>:<message>\n".
 * Records are appended as events arrive (stdio buffers them; maintenance
 * flushes every second) and the file is rewritten from memory, through a
 * temporary file and a rename, once dropped events' records are a third of
 * it or its header changed. The rewrite runs in slices: each append copies
 * a few times its own size, each maintenance tick 1 MB, so that a store at
 * its cap (every append drops the oldest event) never stalls the loop; it
 * used to rewrite the whole file (100 MB at the default cap) every second,
 * 1.5 s of the loop each time. A truncated last record (a killed sluice) is
 * ignored when loading.
 */
#include "core/common.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/str.h"
#include "local/cloudwatch/cw_logs.h"

#define CW_LOGS_MAGIC  "sluice-logs 1"
#define CW_LOGS_DAY_MS (24LL * 3600 * 1000)
/* A record's numbers and separators: three numbers of up to 20 digits, two lengths. */
#define CW_LOGS_RECORD_OVERHEAD 48
/* stdio's buffer of a group's file: appends reach write(2) every 64 KB or each second. */
#define CW_LOGS_FILE_BUFFER ((size_t)64 << 10)
/*
 * A rewrite copies this many times the bytes of each append, and this much
 * per maintenance tick (a few ms of stdio): it ends while the file holds at
 * most a third more than memory, and no call writes more than a slice.
 */
#define CW_LOGS_COMPACT_FACTOR	   4
#define CW_LOGS_COMPACT_TICK_BYTES ((uint64_t)1 << 20)
/* A file being loaded: records of dropped events may still be there, and each has its overhead. */
#define CW_LOGS_LOAD_MAX(cap) ((cap)*4 + ((size_t)1 << 20))

struct cw_logs {
	char *dir;
	size_t max_bytes;
	uint64_t bytes;
	struct cw_group **groups; /* sorted by name */
	size_t ngroups, agroups;
};

bool cw_logs_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > CW_LOGS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '/' || c == '.' || c == '#' || c == '-'))
			return false;
	}
	return true;
}

/* <dir>/<hex name><suffix>, or NULL. */
static char *group_path(const struct cw_logs *s, const char *name, const char *suffix)
{
	struct buf b;

	if (!s->dir)
		return NULL;
	buf_init(&b, (size_t)4 * CW_LOGS_NAME_MAX);
	buf_putf(&b, "%s/", s->dir);
	buf_set_error(&b, hex_encode(&b, name, strlen(name)));
	buf_puts(&b, suffix);
	if (buf_error(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void write_header(FILE *f, const struct cw_group *g)
{
	fprintf(f, CW_LOGS_MAGIC " %" PRId64 " %d %s\n", g->created, g->retention_days, g->name);
}

/* Write the record of `e`; returns its size on disk. */
static uint64_t write_record(FILE *f, const struct cw_group *g, const struct cw_event *e)
{
	const char *sn = g->streams[e->stream].name;
	int n = fprintf(f, "%" PRId64 " %" PRId64 " %" PRIu64 " %zu:%s%u:", e->ts, e->ingest,
			e->seq, strlen(sn), sn, e->len);

	fwrite(e->msg, 1, e->len, f);
	fputc('\n', f);
	return (n > 0 ? (uint64_t)n : 0) + e->len + 1;
}

/* About the size of the record of `e` (its numbers taken at their usual widths). */
static uint64_t record_size(const struct cw_group *g, const struct cw_event *e)
{
	return CW_LOGS_RECORD_OVERHEAD + strlen(g->streams[e->stream].name) + e->len;
}

/* A FILE with a buffer large enough that appends are not a write(2) each few lines. */
static FILE *open_file(const char *path, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (f)
		setvbuf(f, NULL, _IOFBF, CW_LOGS_FILE_BUFFER);
	return f;
}

/* Start rewriting a group's file from memory into <name>.tmp; nothing is copied yet. */
static void compact_start(struct cw_logs *s, struct cw_group *g)
{
	char *tmp = group_path(s, g->name, ".tmp");
	FILE *f = tmp ? open_file(tmp, "w") : NULL;

	free(tmp);
	if (!f)
		return;
	write_header(f, g);
	g->compact = f;
	g->copied_any = false;
	g->compact_bytes = 0;
	g->compact_dead = 0;
	g->compact_missed = false;
	g->header_due = false;
}

static void compact_abort(struct cw_logs *s, struct cw_group *g)
{
	char *tmp = group_path(s, g->name, ".tmp");

	fclose(g->compact);
	g->compact = NULL;
	if (tmp)
		unlink(tmp);
	free(tmp);
}

/* The rewrite has every event: it replaces the file, which is reopened to append. */
static void compact_finish(struct cw_logs *s, struct cw_group *g)
{
	char *path = group_path(s, g->name, ".log"), *tmp = group_path(s, g->name, ".tmp");
	FILE *f = g->compact;

	g->compact = NULL;
	if (path && tmp && fclose(f) == 0 && rename(tmp, path) == 0) {
		if (g->disk)
			fclose(g->disk);
		g->disk = open_file(path, "a");
		g->disk_bytes = g->compact_bytes;
		g->dead_bytes = g->compact_dead;
		if (g->compact_missed)
			g->header_due = true; /* an older event went in behind the copy */
	} else if (tmp) {
		unlink(tmp);
	}
	free(path);
	free(tmp);
}

/*
 * Copy events into the rewrite until `budget` bytes are written (0: all),
 * from the one after the last copied: found again by (ts, seq) because the
 * array moves as events come and go. Finishes the rewrite at the end.
 */
static void compact_step(struct cw_logs *s, struct cw_group *g, uint64_t budget)
{
	size_t i =
		g->copied_any ? cw_logs_lower_bound(g, g->copied_ts, g->copied_seq + 1) : g->head;
	uint64_t written = 0;

	for (; i < g->nev && (!budget || written < budget); i++) {
		written += write_record(g->compact, g, &g->ev[i]);
		g->copied_ts = g->ev[i].ts;
		g->copied_seq = g->ev[i].seq;
		g->copied_any = true;
	}
	g->compact_bytes += written;
	if (i >= g->nev)
		compact_finish(s, g);
}

/* Rewrite a group's file from memory at once (loading, shutdown). */
static void rewrite(struct cw_logs *s, struct cw_group *g)
{
	if (!g->compact)
		compact_start(s, g);
	if (g->compact)
		compact_step(s, g, 0);
}

/* Whether a group's file is due a rewrite: its header changed, or a third of it is dead. */
static bool rewrite_due(const struct cw_group *g)
{
	return g->header_due || (g->dead_bytes > 0 && g->dead_bytes * 3 >= g->disk_bytes);
}

static void group_free(struct cw_group *g)
{
	if (!g)
		return;
	if (g->disk)
		fclose(g->disk);
	if (g->compact)
		fclose(g->compact);
	for (size_t i = g->head; i < g->nev; i++)
		free(g->ev[i].msg);
	free(g->ev);
	for (size_t i = 0; i < g->nstreams; i++)
		free(g->streams[i].name);
	free(g->streams);
	free(g->name);
	free(g);
}

/* Where `name` is, or would go, in the sorted list. */
static size_t group_pos(const struct cw_logs *s, const char *name, bool *found)
{
	size_t lo = 0, hi = s->ngroups;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->groups[mid]->name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct cw_group *cw_logs_group(struct cw_logs *s, const char *name)
{
	bool found;
	size_t i = name ? group_pos(s, name, &found) : 0;

	return name && found ? s->groups[i] : NULL;
}

static struct cw_group *group_insert(struct cw_logs *s, const char *name, int64_t created,
				     int retention)
{
	struct cw_group *g;
	bool found;
	size_t i = group_pos(s, name, &found);

	if (found)
		return s->groups[i];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
	if (ALLOC_GROW(s->groups, s->ngroups + 1, s->agroups) || !(g = calloc(1, sizeof(*g))))
		return NULL;
	if (!(g->name = strdup(name))) {
		free(g);
		return NULL;
	}
	g->created = created;
	g->retention_days = retention;
	g->next_seq = 1;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
	memmove(&s->groups[i + 1], &s->groups[i], (s->ngroups - i) * sizeof(*s->groups));
	s->groups[i] = g;
	s->ngroups++;
	return g;
}

struct cw_group *cw_logs_group_ensure(struct cw_logs *s, const char *name, int64_t now_ms,
				      bool *created)
{
	struct cw_group *g = cw_logs_group(s, name);
	char *path;

	if (created)
		*created = false;
	if (g)
		return g;
	if (!cw_logs_name_valid(name) || !(g = group_insert(s, name, now_ms, 0)))
		return NULL;
	if (created)
		*created = true;
	path = group_path(s, name, ".log");
	if (path && (g->disk = open_file(path, "w")))
		write_header(g->disk, g);
	free(path);
	return g;
}

int cw_logs_group_delete(struct cw_logs *s, const char *name)
{
	bool found;
	size_t i = group_pos(s, name, &found);
	char *path;

	if (!found)
		return ERR_NOTFOUND;
	s->bytes -= s->groups[i]->bytes;
	if (s->groups[i]->compact)
		compact_abort(s, s->groups[i]);
	path = group_path(s, name, ".log");
	if (path)
		unlink(path);
	free(path);
	group_free(s->groups[i]);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
	memmove(&s->groups[i], &s->groups[i + 1], (s->ngroups - i - 1) * sizeof(*s->groups));
	s->ngroups--;
	return 0;
}

void cw_logs_set_retention(struct cw_logs *s, struct cw_group *g, int days)
{
	if (g->retention_days == days)
		return;
	g->retention_days = days;
	g->header_due = true; /* the header says it */
}

struct cw_group *const *cw_logs_groups(struct cw_logs *s, size_t *n)
{
	*n = s->ngroups;
	return s->groups;
}

long cw_logs_stream(struct cw_group *g, const char *name, bool create, int64_t now_ms)
{
	struct cw_stream *st;

	for (size_t i = 0; i < g->nstreams; i++)
		if (!strcmp(g->streams[i].name, name))
			return (long)i;
	if (!create || ALLOC_GROW(g->streams, g->nstreams + 1, g->astreams))
		return -1;
	st = &g->streams[g->nstreams];
	memset(st, 0, sizeof(*st));
	if (!(st->name = strdup(name)))
		return -1;
	st->created = now_ms;
	return (long)g->nstreams++;
}

size_t cw_logs_lower_bound(const struct cw_group *g, int64_t ts, uint64_t seq)
{
	size_t lo = g->head, hi = g->nev;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cw_event *e = &g->ev[mid];

		if (e->ts < ts || (e->ts == ts && e->seq < seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Drop the oldest event of `g`. */
static void drop_oldest(struct cw_logs *s, struct cw_group *g)
{
	struct cw_event *e = &g->ev[g->head++];
	uint64_t size = record_size(g, e);

	g->bytes -= e->len;
	s->bytes -= e->len;
	g->streams[e->stream].bytes -= e->len;
	free(e->msg);
	/* Dead in the file; and in the rewrite too, once the copy passed it. */
	g->dead_bytes += size;
	if (g->compact && g->copied_any &&
	    (e->ts < g->copied_ts || (e->ts == g->copied_ts && e->seq <= g->copied_seq)))
		g->compact_dead += size;
	if (g->head == g->nev) {
		g->head = g->nev = 0;
	} else if (g->head > g->nev / 2 && g->head > 1024) {
		memmove(g->ev, g->ev + g->head, (g->nev - g->head) * sizeof(*g->ev));
		g->nev -= g->head;
		g->head = 0;
	}
}

/* Under the cap: drop the oldest events of all groups, oldest first. */
static void enforce_cap(struct cw_logs *s)
{
	while (s->bytes > s->max_bytes) {
		struct cw_group *oldest = NULL;

		for (size_t i = 0; i < s->ngroups; i++) {
			struct cw_group *g = s->groups[i];

			if (g->head < g->nev &&
			    (!oldest || g->ev[g->head].ingest < oldest->ev[oldest->head].ingest))
				oldest = g;
		}
		if (!oldest)
			break;
		drop_oldest(s, oldest);
	}
}

/* Put an event in place; the caller has made room for one more. */
static struct cw_event *insert(struct cw_group *g, const struct cw_event *e)
{
	size_t at = g->nev;

	if (g->nev > g->head && g->ev[g->nev - 1].ts > e->ts) {
		at = cw_logs_lower_bound(g, e->ts, e->seq);
		memmove(&g->ev[at + 1], &g->ev[at], (g->nev - at) * sizeof(*g->ev));
	}
	g->ev[at] = *e;
	g->nev++;
	return &g->ev[at];
}

static struct cw_event *store(struct cw_logs *s, struct cw_group *g, long stream, int64_t ts,
			      int64_t ingest, uint64_t seq, const char *msg, size_t len)
{
	struct cw_stream *st = &g->streams[stream];
	struct cw_event e = {ts, ingest, seq, (uint32_t)stream, (uint32_t)len, NULL};

	if (ALLOC_GROW(g->ev, g->nev + 1, g->aev) || !(e.msg = malloc(len + 1)))
		return NULL;
	memcpy(e.msg, msg, len);
	e.msg[len] = '\0';
	if (seq >= g->next_seq)
		g->next_seq = seq + 1;
	g->bytes += len;
	s->bytes += len;
	st->bytes += len;
	st->events++;
	if (!st->first || ts < st->first)
		st->first = ts;
	if (ts > st->last)
		st->last = ts;
	st->last_ingest = ingest;
	return insert(g, &e);
}

const struct cw_event *cw_logs_append(struct cw_logs *s, struct cw_group *g, long stream,
				      int64_t ts, const char *msg, size_t len, int64_t now_ms)
{
	struct cw_event *e;
	uint64_t seq = g->next_seq;

	if (len > CW_LOGS_EVENT_MAX)
		len = CW_LOGS_EVENT_MAX;
	e = store(s, g, stream, ts, now_ms, seq, msg, len);
	if (!e)
		return NULL;
	if (g->disk)
		g->disk_bytes += write_record(g->disk, g, e);
	if (g->compact) {
		/* Placed behind the copy: the rewrite misses it, so another follows. */
		if (g->copied_any &&
		    (ts < g->copied_ts || (ts == g->copied_ts && seq < g->copied_seq)))
			g->compact_missed = true;
		/* A few times what came in, so that the copy overtakes the appends. */
		compact_step(s, g, (uint64_t)CW_LOGS_COMPACT_FACTOR * (len + 1));
	}
	if (s->bytes > s->max_bytes) {
		enforce_cap(s);
		/* The event may have moved or gone: find it again by its id. */
		size_t i = cw_logs_lower_bound(g, ts, seq);

		return i < g->nev && g->ev[i].seq == seq ? &g->ev[i] : NULL;
	}
	return e;
}

void cw_logs_maintain(struct cw_logs *s, int64_t now_ms)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		struct cw_group *g = s->groups[i];

		if (g->retention_days > 0) {
			int64_t cutoff = now_ms - g->retention_days * CW_LOGS_DAY_MS;

			while (g->head < g->nev && g->ev[g->head].ts < cutoff)
				drop_oldest(s, g);
		}
		if (!g->compact && s->dir && rewrite_due(g))
			compact_start(s, g);
		if (g->compact)
			compact_step(s, g, CW_LOGS_COMPACT_TICK_BYTES);
		if (g->disk)
			fflush(g->disk);
	}
}

uint64_t cw_logs_bytes(const struct cw_logs *s)
{
	return s->bytes;
}

/* ---- loading ---- */

/* "<n>:" then n bytes, at *p; the bytes are returned as a slice. */
static bool take_counted(const char **p, const char *end, struct str *out)
{
	char *colon;
	unsigned long long n;

	errno = 0;
	n = strtoull(*p, &colon, 10);
	if (colon >= end || *colon != ':' || errno || n > (unsigned long long)(end - colon - 1))
		return false;
	*out = str_make(colon + 1, (size_t)n);
	*p = colon + 1 + n;
	return true;
}

/* A decimal number and the one space after it at `*p`, which moves past both. */
static bool take_number(const char **p, bool is_signed, long long *out)
{
	char *after;
	long long v;

	if (!isdigit((unsigned char)**p) && !(is_signed && **p == '-'))
		return false;
	errno = 0;
	v = strtoll(*p, &after, 10);
	if (errno || after == *p || *after != ' ' || (!is_signed && v < 0))
		return false;
	*out = v;
	*p = after + 1;
	return true;
}

static void load_records(struct cw_logs *s, struct cw_group *g, const char *p, const char *end)
{
	while (p < end) {
		long long ts, ingest, seq;
		struct str sn, msg;
		char name[CW_LOGS_NAME_MAX + 1];
		long stream;

		if (!take_number(&p, true, &ts) || !take_number(&p, true, &ingest) ||
		    !take_number(&p, false, &seq))
			return;
		if (!take_counted(&p, end, &sn) || sn.len > CW_LOGS_NAME_MAX ||
		    !take_counted(&p, end, &msg) || p >= end || *p != '\n')
			return; /* a record cut short: the rest is lost */
		p++;
		memcpy(name, sn.ptr, sn.len);
		name[sn.len] = '\0';
		stream = cw_logs_stream(g, name, true, ingest);
		if (stream < 0 || !store(s, g, stream, ts, ingest, (uint64_t)seq, msg.ptr,
					 MIN(msg.len, (size_t)CW_LOGS_EVENT_MAX)))
			return;
	}
}

static void load_file(struct cw_logs *s, const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char line[CW_LOGS_NAME_MAX + 64], name[CW_LOGS_NAME_MAX + 1];
	const char *p = line + strlen(CW_LOGS_MAGIC " ");
	long long created, retention;
	struct cw_group *g;

	if (!f)
		return;
	buf_init(&b, CW_LOGS_LOAD_MAX(s->max_bytes));
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, CW_LOGS_MAGIC " ", strlen(CW_LOGS_MAGIC " ")) ||
	    !take_number(&p, true, &created) || !take_number(&p, true, &retention) ||
	    retention < 0 || retention > INT_MAX) {
		fclose(f);
		return;
	}
	snprintf(name, sizeof(name), "%s", p);
	name[strcspn(name, "\n")] = '\0';
	for (;;) {
		char chunk[65536];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n == 0 || buf_add(&b, chunk, n))
			break;
	}
	fclose(f);
	if (cw_logs_name_valid(name) && (g = group_insert(s, name, created, (int)retention))) {
		load_records(s, g, b.ptr, b.ptr + b.len);
		g->header_due = true; /* rewritten once, which drops a torn tail */
	}
	buf_release(&b);
}

static void load_dir(struct cw_logs *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char *path;

		if (n < 5 || strcmp(de->d_name + n - 4, ".log"))
			continue;
		if (asprintf(&path, "%s/%s", s->dir, de->d_name) < 0)
			continue;
		load_file(s, path);
		free(path);
	}
	closedir(d);
	enforce_cap(s);
}

int cw_logs_new(const char *dir, size_t max_bytes, struct cw_logs **out)
{
	struct cw_logs *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return ERR_NOMEM;
	s->max_bytes = max_bytes ? max_bytes : CW_LOGS_DEFAULT_MAX_BYTES;
	if (dir) {
		if ((mkdir(dir, 0700) && errno != EEXIST) || !(s->dir = strdup(dir))) {
			free(s);
			return dir ? ERR_IO : ERR_NOMEM;
		}
		load_dir(s);
		for (size_t i = 0; i < s->ngroups; i++)
			rewrite(s, s->groups[i]);
	}
	*out = s;
	return 0;
}

void cw_logs_free(struct cw_logs *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ngroups; i++) {
		struct cw_group *g = s->groups[i];

		/* A rewrite under way holds what was dropped since it began: then one more. */
		for (int round = 0;
		     round < 2 && s->dir && (g->compact || g->header_due || g->dead_bytes); round++)
			rewrite(s, g);
		group_free(g);
	}
	free(s->groups);
	free(s->dir);
	free(s);
}
