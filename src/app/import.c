/*
 * The import function (see import.h): S3 event -> claim -> ranged reads ->
 * lines -> batches -> done. One struct import_run per object holds the line
 * splitter (a carry buffer for a line cut by a chunk boundary), the batch
 * being built and the counters; its memory is bounded by IMPORT_LINE_MAX and
 * IMPORT_BATCH_BYTES, not by the file.
 */
#include "core/common.h"

#include "app/db.h"
#include "app/import.h"
#include "app/import_store.h"
#include "app/preferences_doc.h"
#include "app/preferences_store.h"
#include "app/vendor_list_cache.h"
#include "aws/s3_reader.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"

/* Open addressing over the user ids of one batch (twice its rows, a power of two). */
#define DUP_SLOTS 2048

struct import_state {
	struct db db;
	struct vendor_cache vendors;
	struct aws_config aws;
	struct prefs_doc doc;
	struct buf carry, rows, errors, line_msg;
	char users[IMPORT_BATCH_ROWS][PREFS_USER_ID_MAX + 1];
	int16_t dup[DUP_SLOTS]; /* index into users + 1, 0 for empty */
};

/* One object being imported. */
struct import_run {
	struct import_state *st;
	const char *id;
	const struct vendor_list *vl;
	const struct lambda_context *ctx;
	int64_t now_ms;
	struct import_progress p; /* counters and checkpoint as stored */
	uint64_t offset;	  /* bytes consumed, absolute */
	uint64_t line_no;	  /* lines consumed */
	bool skipping;		  /* inside a line longer than IMPORT_LINE_MAX */
	/* The batch under construction. */
	uint64_t batch_from;
	uint64_t b_rows, b_read, b_rejected;
	/* What this invocation wrote and rejected (the stored counters include earlier ones). */
	uint64_t written_now, rejected_now;
	int err; /* the first failure: stops the run */
};

/* ---- Batches ------------------------------------------------------------------------------ */

static void batch_reset(struct import_run *run)
{
	struct import_state *st = run->st;

	buf_reset(&st->rows);
	buf_reset(&st->errors);
	buf_putc(&st->rows, '[');
	buf_putc(&st->errors, '[');
	memset(st->dup, 0, sizeof(st->dup));
	run->b_rows = run->b_read = run->b_rejected = 0;
	run->batch_from = run->offset;
}

static int64_t deadline(const struct import_run *run)
{
	return run->ctx && run->ctx->deadline_ms > 0 ? run->ctx->deadline_ms - 2000 : 0;
}

/* Write the batch with the progress up to the current line. */
static void flush(struct import_run *run)
{
	struct import_state *st = run->st;
	struct import_batch b;
	uint64_t written = 0;
	int err;

	if (run->err || (run->b_read == 0 && run->offset == run->batch_from))
		return;
	buf_putc(&st->rows, ']');
	buf_putc(&st->errors, ']');
	if ((err = buf_error(&st->rows) ? buf_error(&st->rows) : buf_error(&st->errors))) {
		run->err = err;
		return;
	}
	b = (struct import_batch){
		.rows = st->rows.ptr,
		.errors = st->errors.ptr,
		.rows_read = run->b_read,
		.rows_rejected = run->b_rejected,
		.from_bytes = run->batch_from,
		.to_bytes = run->offset,
		.to_line_no = run->line_no,
	};
	err = import_apply(&st->db, run->id, &b, deadline(run), &written);
	if (err) {
		run->err = err;
		return;
	}
	run->p.rows_read += run->b_read;
	run->p.rows_rejected += run->b_rejected;
	run->p.rows_written += written;
	run->written_now += written;
	run->rejected_now += run->b_rejected;
	run->p.bytes_read = run->offset;
	run->p.line_no = run->line_no;
	batch_reset(run);
}

/* A bad line: counted, and reported while fewer than PREFS_IMPORT_ERRORS_MAX are. */
static void reject(struct import_run *run, const char *why)
{
	struct import_state *st = run->st;
	json_t *e;

	run->b_read++;
	run->b_rejected++;
	if (run->p.errors >= PREFS_IMPORT_ERRORS_MAX)
		return;
	run->p.errors++;
	e = json_pack("{s:I,s:s}", "line", (json_int_t)run->line_no, "message", why);
	if (st->errors.len > 1)
		buf_putc(&st->errors, ',');
	if (!e || jsonx_dump(e, &st->errors, 0))
		buf_set_error(&st->errors, ERR_NOMEM);
	json_decref(e);
}

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* True when `user` is already in the batch; else it is added. */
static bool seen_in_batch(struct import_run *run, const char *user, size_t len)
{
	struct import_state *st = run->st;
	uint32_t i = fnv1a(user, len) & (DUP_SLOTS - 1);

	for (; st->dup[i]; i = (i + 1) & (DUP_SLOTS - 1))
		if (!strcmp(st->users[st->dup[i] - 1], user))
			return true;
	memcpy(st->users[run->b_rows], user, len + 1);
	st->dup[i] = (int16_t)(run->b_rows + 1);
	return false;
}

/* The ids of the line that the vendor list does not have, as a sentence; false when none. */
static bool unknown_ids(struct import_run *run, struct buf *msg)
{
	const struct prefs_doc *d = &run->st->doc;
	bool any = false, vendors = false;

	buf_reset(msg);
	buf_puts(msg, "not in the IAB Global Vendor List:");
	for (size_t i = 0; i < d->npurposes; i++)
		if (!vendor_list_has_purpose(run->vl, d->purposes[i].id)) {
			buf_putf(msg, "%s%u", any ? ", " : " purposes ", d->purposes[i].id);
			any = true;
		}
	for (size_t i = 0; i < d->nvendors; i++)
		if (!vendor_list_usable(run->vl, d->vendors[i].id, run->now_ms)) {
			buf_putf(msg, "%s%u",
				 vendors ? ", "
				 : any	 ? "; vendors "
					 : " vendors ",
				 d->vendors[i].id);
			any = vendors = true;
		}
	return any;
}

/* One line (without its newline). */
static void handle_line(struct import_run *run, const char *text, size_t len)
{
	struct import_state *st = run->st;
	struct prefs_doc *d = &st->doc;
	const unsigned all = PREFS_USER_ID | PREFS_PURPOSES | PREFS_VENDORS | PREFS_UPDATED_AT;
	char why[512], when[32];
	size_t i;

	if (run->err)
		return;
	if (len && text[len - 1] == '\r')
		len--;
	for (i = 0; i < len && (text[i] == ' ' || text[i] == '\t'); i++)
		;
	if (i == len)
		return; /* blank */
	if (prefs_parse(text, len, all, all, d, why, sizeof(why))) {
		reject(run, why);
		return;
	}
	if (d->updated_at_ms > run->now_ms + IMPORT_MAX_SKEW_MS) {
		reject(run, "\"updatedAt\" is in the future");
		return;
	}
	if (unknown_ids(run, &st->line_msg)) {
		reject(run,
		       buf_error(&st->line_msg) ? "ids not in the vendor list" : st->line_msg.ptr);
		return;
	}
	/* A user twice in one batch would be one statement changing a row twice: cut here. */
	if (seen_in_batch(run, d->user_id, d->user_id_len)) {
		flush(run);
		seen_in_batch(run, d->user_id, d->user_id_len);
	}
	time_rfc3339(when, d->updated_at_ms, 1);
	if (st->rows.len > 1)
		buf_putc(&st->rows, ',');
	buf_putf(&st->rows, "{\"u\":\"%s\",\"p\":", d->user_id);
	prefs_put_choices(&st->rows, d->purposes, d->npurposes);
	buf_puts(&st->rows, ",\"v\":");
	prefs_put_choices(&st->rows, d->vendors, d->nvendors);
	buf_putf(&st->rows, ",\"t\":\"%s\"}", when);
	run->b_rows++;
	run->b_read++;
}

/* After each line: flush a full batch. */
static void line_done(struct import_run *run)
{
	if (run->b_rows >= IMPORT_BATCH_ROWS || run->b_read >= (uint64_t)4 * IMPORT_BATCH_ROWS ||
	    run->st->rows.len + 2 * IMPORT_LINE_MAX > IMPORT_BATCH_BYTES)
		flush(run);
}

/* Feed one chunk: complete lines are handled, the tail waits in the carry buffer. */
static void feed(struct import_run *run, const char *data, size_t len)
{
	struct buf *carry = &run->st->carry;
	size_t start = 0;

	while (!run->err && start < len) {
		const char *nl = memchr(data + start, '\n', len - start);
		size_t n = nl ? (size_t)(nl - data) - start : len - start;

		if (!nl) {
			if (!run->skipping && buf_add(carry, data + start, n)) {
				run->skipping = true; /* longer than IMPORT_LINE_MAX */
				buf_reset(carry);
			}
			run->offset += n;
			return;
		}
		run->line_no++;
		if (run->skipping || carry->len + n > IMPORT_LINE_MAX) {
			reject(run, "the line is longer than 65536 bytes");
		} else if (carry->len) {
			if (buf_add(carry, data + start, n))
				reject(run, "the line is longer than 65536 bytes");
			else
				handle_line(run, carry->ptr, carry->len);
		} else {
			handle_line(run, data + start, n);
		}
		buf_reset(carry);
		run->skipping = false;
		run->offset += n + 1;
		start += n + 1;
		line_done(run);
	}
}

/* The last line, when the file does not end with a newline. */
static void feed_end(struct import_run *run)
{
	struct buf *carry = &run->st->carry;

	if (run->skipping || carry->len) {
		run->line_no++;
		if (run->skipping)
			reject(run, "the line is longer than 65536 bytes");
		else
			handle_line(run, carry->ptr, carry->len);
	}
	buf_reset(carry);
	run->skipping = false;
	flush(run);
}

/* ---- One object ---------------------------------------------------------------------------- */

/* Read the object from the checkpoint on; stops early (ERR_TIMEOUT) near the deadline. */
static int stream(struct import_run *run, const char *bucket, const char *key)
{
	struct s3_reader_options o = {.offset = run->p.bytes_read, .deadline_ms = deadline(run)};
	struct s3_reader *r = NULL;
	const char *data;
	size_t len;
	int err = s3_reader_open(&run->st->aws, bucket, key, &o, &r);

	while (!err && !run->err && !(err = s3_reader_next(r, &data, &len)) && len) {
		feed(run, data, len);
		if (run->ctx && lambda_remaining_ms(run->ctx) < IMPORT_STOP_MARGIN_MS) {
			/* Stop at the last complete line; Lambda's retry resumes from there. */
			flush(run);
			err = ERR_TIMEOUT;
		}
	}
	if (!err && !run->err)
		feed_end(run);
	s3_reader_close(r);
	return err ? err : run->err;
}

static json_t *summary(const struct import_run *run, const char *state)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "importId", run->id, "state", state,
			 "rowsRead", (json_int_t)run->p.rows_read, "rowsWritten",
			 (json_int_t)run->p.rows_written, "rowsRejected",
			 (json_int_t)run->p.rows_rejected, "bytesRead",
			 (json_int_t)run->p.bytes_read);
}

/* Read and write a claimed object; the outcome goes to `results`. */
static int import_claimed(struct import_run *run, const char *bucket, const char *key,
			  json_t *results)
{
	struct import_state *st = run->st;
	const char *id = run->id;
	char failure[256];
	bool stale;
	int err;

	run->offset = run->p.bytes_read;
	run->line_no = run->p.line_no;
	batch_reset(run);
	log_msg(LVL_INFO, "import %s: %s from byte %" PRIu64 " (line %" PRIu64 ")", id,
		run->offset ? "resuming" : "starting", run->offset, run->line_no);
	if (vendor_cache_get(&st->vendors, run->now_ms, deadline(run), &run->vl, &stale)) {
		err = ERR_REMOTE;
		snprintf(failure, sizeof(failure), "the IAB vendor list cannot be fetched");
	} else {
		err = stream(run, bucket, key);
		snprintf(failure, sizeof(failure), "%s", err_str(err));
	}
	if (err == ERR_TIMEOUT || err == ERR_PRECONDITION) {
		/* Stopped at a checkpoint (deadline), or another invocation took over. */
		log_msg(LVL_WARN, "import %s: stopped at byte %" PRIu64 ": %s", id,
			run->p.bytes_read,
			err == ERR_TIMEOUT ? "the deadline is near; a retry resumes here"
					   : "another invocation holds it");
		json_array_append_new(results, summary(run, "running"));
		return err == ERR_TIMEOUT ? err : 0;
	}
	if (err) {
		log_msg(LVL_ERROR, "import %s: failed: %s", id, failure);
		import_finish(&st->db, id, run->p.bytes_read, failure, 0);
		json_array_append_new(results, summary(run, "failed"));
		return err;
	}
	err = import_finish(&st->db, id, run->p.bytes_read, NULL, deadline(run));
	log_msg(LVL_INFO,
		"import %s: done: %" PRIu64 " read, %" PRIu64 " written, %" PRIu64 " rejected", id,
		run->p.rows_read, run->p.rows_written, run->p.rows_rejected);
	json_array_append_new(results, summary(run, err ? "running" : "done"));
	return err;
}

/* Import one object; the outcome goes to `results`. Returns non-zero for a function error. */
static int import_object(struct import_state *st, const struct lambda_context *ctx,
			 const char *bucket, const char *key, const char *id, json_t *results)
{
	struct import_run run = {.st = st, .id = id, .ctx = ctx, .now_ms = time_now_ms()};
	int err = import_claim(&st->db, id, key, deadline(&run), &run.p);

	if (err == ERR_EXISTS) {
		log_msg(LVL_INFO, "import %s: %s already; this event changes nothing", id,
			run.p.state[0] ? run.p.state : "claimed");
		json_array_append_new(results, summary(&run, run.p.state));
		return 0;
	}
	if (err) {
		log_msg(LVL_ERROR, "import %s: cannot claim it: %s", id, err_str(err));
		return err;
	}
	err = import_claimed(&run, bucket, key, results);
	/* EMF (lambda/metrics.h): the rows this invocation's batches wrote and rejected. */
	metrics_add("ImportRowsWritten", METRICS_COUNT, (double)run.written_now);
	metrics_add("ImportRowsRejected", METRICS_COUNT, (double)run.rejected_now);
	return err;
}

/* The import id of key "imports/<id>.ndjson" into `id` (129 bytes); false for other keys. */
static bool import_id_of(const char *key, char *id)
{
	size_t n = strlen(key), p = strlen("imports/"), s = strlen(".ndjson");

	if (n <= p + s || n - p - s > 128 || strncmp(key, "imports/", p) ||
	    strcmp(key + n - s, ".ndjson"))
		return false;
	for (size_t i = p; i < n - s; i++) {
		char c = key[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	memcpy(id, key + p, n - p - s);
	id[n - p - s] = '\0';
	return true;
}

static int import_handle(void *state, const char *event, size_t event_len,
			 const struct lambda_context *ctx, struct buf *response,
			 struct lambda_error *lerr)
{
	struct import_state *st = state;
	json_t *ev = jsonx_parse(event, event_len, NULL, 0), *rec, *results = json_array();
	int err = 0, rc = 0;
	size_t i;

	if (!st)
		return lambda_fail(lerr, "Runtime.InitError", "the function was not initialised");
	json_array_foreach(jsonx_arr(ev, "Records"), i, rec)
	{
		const char *bucket = jsonx_str(jsonx_obj(jsonx_obj(rec, "s3"), "bucket"), "name");
		const char *raw = jsonx_str(jsonx_obj(jsonx_obj(rec, "s3"), "object"), "key");
		const char *source = jsonx_str(rec, "eventSource");
		struct buf key;
		char id[129];

		if (!source || strcmp(source, "aws:s3") || !bucket || !raw)
			continue;
		/* Keys in S3 events are URL-encoded, a space as '+'. */
		buf_init(&key, 4096);
		if (uri_decode(&key, raw, strlen(raw), true) || !import_id_of(key.ptr, id)) {
			log_msg(LVL_WARN, "import: %s is not imports/<id>.ndjson; ignored", raw);
		} else {
			int e = import_object(st, ctx, bucket, key.ptr, id, results);
			if (e && !err)
				err = e;
		}
		buf_release(&key);
	}
	json_decref(ev);
	if (err) {
		rc = lambda_fail(lerr, err == ERR_TIMEOUT ? "Import.Interrupted" : "Import.Failed",
				 "%s", err_str(err));
	} else {
		json_t *answer = json_pack("{s:o}", "imports", results);
		results = NULL;
		if (!answer || jsonx_dump(answer, response, 0))
			rc = lambda_fail(lerr, "Runtime.Error", "out of memory");
		json_decref(answer);
	}
	json_decref(results);
	return rc;
}

static void import_free(void *state)
{
	struct import_state *st = state;

	if (!st)
		return;
	db_release(&st->db);
	vendor_cache_release(&st->vendors);
	aws_config_release(&st->aws);
	buf_release(&st->carry);
	buf_release(&st->rows);
	buf_release(&st->errors);
	buf_release(&st->line_msg);
	free(st);
}

static int import_init(void **state, struct lambda_error *lerr)
{
	struct import_state *st = calloc(1, sizeof(*st));
	char why[256];
	int err;

	if (!st)
		return lambda_fail(lerr, "Runtime.InitError", "out of memory");
	buf_init(&st->carry, IMPORT_LINE_MAX);
	buf_init(&st->rows, IMPORT_BATCH_BYTES);
	buf_init(&st->errors, IMPORT_BATCH_BYTES);
	buf_init(&st->line_msg, 4096);
	if (db_init(&st->db, why, sizeof(why))) {
		import_free(st);
		return lambda_fail(lerr, "Runtime.ConfigError", "%s", why);
	}
	if ((err = vendor_cache_init(&st->vendors, NULL)) || (err = aws_config_init(&st->aws))) {
		import_free(st);
		return lambda_fail(lerr, "Runtime.InitError", "%s", err_str(err));
	}
	*state = st;
	return 0;
}

const struct lambda_function import_function = {
	.name = "import",
	.init = import_init,
	.handle = import_handle,
	.fini = import_free,
};
