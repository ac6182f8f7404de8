/*
 * Structured logging (log.h). Each line is built whole in a buffer, JSON by
 * jansson so that every string is escaped, then written with a single
 * fwrite() under the stream's lock: lines from several threads never
 * interleave. A line longer than LOG_LINE_MAX (Lambda cuts events at 256 KiB)
 * is replaced by a shortened one that says so. The keys of an invocation
 * and its kept DEBUG lines are log_ctx.c's.
 */
#include "core/common.h"

#include <pthread.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/log_int.h"
#include "core/timeutil.h"

#define LOG_LINE_MAX	  ((size_t)256 * 1024)
#define LOG_SHORT_MESSAGE 1024

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

static struct {
	pthread_mutex_t lock; /* guards out */
	enum log_level min;
	bool json;
	FILE *out; /* NULL means stderr */
} logger = {PTHREAD_MUTEX_INITIALIZER, LVL_INFO, true, NULL};

const char *log_level_name(enum log_level lvl)
{
	if ((unsigned)lvl >= ARRAY_SIZE(level_names))
		return "UNKNOWN";
	return level_names[lvl];
}

int log_level_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "WARNING") == 0)
		return LVL_WARN;
	return -1;
}

void log_configure(enum log_level min, bool json)
{
	if ((unsigned)min < ARRAY_SIZE(level_names))
		logger.min = min;
	logger.json = json;
}

void log_init_from_env(void)
{
	const char *fmt = getenv("AWS_LAMBDA_LOG_FORMAT");
	const char *lvl = getenv("AWS_LAMBDA_LOG_LEVEL");

	if (fmt && strcasecmp(fmt, "JSON") == 0)
		logger.json = true;
	else if (fmt && strcasecmp(fmt, "Text") == 0)
		logger.json = false;
	int l = log_level_parse(lvl);
	if (l >= 0)
		logger.min = (enum log_level)l;
	log_set_service(getenv("POWERTOOLS_SERVICE_NAME"), getenv("AWS_LAMBDA_FUNCTION_NAME"));
}

void log_set_output(FILE *f)
{
	pthread_mutex_lock(&logger.lock);
	logger.out = f;
	pthread_mutex_unlock(&logger.lock);
}

bool log_enabled(enum log_level lvl)
{
	return (unsigned)lvl < ARRAY_SIZE(level_names) && lvl >= logger.min;
}

bool log_debug_wanted(void)
{
	return log_enabled(LVL_DEBUG) || logctx_buffering();
}

/* Written now, kept for an error (a DEBUG line inside an invocation), or dropped. */
static bool log_wanted(enum log_level lvl, bool *keep)
{
	*keep = false;
	if (log_enabled(lvl))
		return true;
	*keep = lvl == LVL_DEBUG && logctx_buffering();
	return *keep;
}

/* A JSON string for `s`, with invalid UTF-8 bytes replaced by U+FFFD. */
static json_t *lossy_string(const char *s, size_t len)
{
	if (utf8_valid(s, len))
		return json_stringn(s, len);
	struct buf b;
	buf_init(&b, LOG_LINE_MAX);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		int err;
		if (n <= len - i && utf8_valid(s + i, n)) {
			err = buf_add(&b, s + i, n);
			i += n;
		} else {
			err = buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		}
		if (err)
			break;
	}
	json_t *v = json_stringn(b.ptr, b.len);
	buf_release(&b);
	return v;
}

static bool is_std_key(const char *k)
{
	return strcmp(k, "timestamp") == 0 || strcmp(k, "level") == 0 ||
	       strcmp(k, "message") == 0 || logctx_is_key(k);
}

/* The invocation's keys go in before the closing brace, as rendered text. */
static int format_json(struct buf *line, const char *ts, const char *level, json_t *msg,
		       json_t *fields)
{
	json_t *o = json_object();
	int err = ERR_NOMEM;

	if (!o)
		return err;
	if (json_object_set_new(o, "timestamp", json_string(ts)) ||
	    json_object_set_new(o, "level", json_string(level)) ||
	    json_object_set(o, "message", msg))
		goto out;
	if (json_is_object(fields)) {
		const char *k;
		json_t *v;
		json_object_foreach(fields, k, v)
		{
			if (!is_std_key(k) && json_object_set(o, k, v))
				goto out;
		}
	}
	err = jsonx_dump(o, line, 0);
	if (!err && line->len && line->ptr[line->len - 1] == '}') {
		buf_truncate(line, line->len - 1);
		logctx_put_json(line);
		buf_putc(line, '}');
		err = buf_error(line);
	}
out:
	json_decref(o);
	return err;
}

/* A Text-format value: bare when it is a plain word, JSON otherwise. */
static int text_value(struct buf *line, json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		bool plain = n > 0;
		for (size_t i = 0; i < n && plain; i++) {
			unsigned char c = (unsigned char)s[i];
			plain = c > ' ' && c != '"' && c != '=' && c != 0x7f;
		}
		if (plain)
			return buf_add(line, s, n);
	}
	return jsonx_dump(v, line, 0);
}

/* The message with control characters escaped, so that one event is one line. */
static int text_message(struct buf *line, const char *s, size_t n)
{
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			err = buf_add(line, "\\n", 2);
		else if (c == '\r')
			err = buf_add(line, "\\r", 2);
		else if (c < 0x20 && c != '\t')
			err = buf_addf(line, "\\x%02x", c);
		else
			err = buf_addch(line, (char)c);
	}
	return err;
}

static int format_text(struct buf *line, const char *ts, const char *level, json_t *msg,
		       json_t *fields)
{
	char rid[LOG_REQUEST_ID_MAX];
	int err;

	logctx_request_id(rid);
	err = buf_addf(line, "%s\t%s\t%s\t", ts, rid, level);
	if (!err)
		err = text_message(line, json_string_value(msg), json_string_length(msg));
	if (!err && json_is_object(fields)) {
		const char *k;
		json_t *v;
		json_object_foreach(fields, k, v)
		{
			if (is_std_key(k))
				continue;
			err = buf_addf(line, " %s=", k);
			if (!err)
				err = text_value(line, v);
			if (err)
				break;
		}
	}
	return err;
}

static void write_line(FILE *f, const struct buf *line)
{
	flockfile(f);
	fwrite(line->ptr, 1, line->len, f);
	fflush(f);
	funlockfile(f);
}

static FILE *output(void)
{
	FILE *out;

	pthread_mutex_lock(&logger.lock);
	out = logger.out ? logger.out : stderr;
	pthread_mutex_unlock(&logger.lock);
	return out;
}

/* One line of `msg` and `fields` in the current format, newline included. */
static int format_line(struct buf *line, enum log_level lvl, const char *ts, json_t *msg,
		       json_t *fields)
{
	const char *level = log_level_name(lvl);

	return logger.json ? format_json(line, ts, level, msg, fields)
			   : format_text(line, ts, level, msg, fields);
}

/*
 * Before an error line: the DEBUG lines the invocation kept, formatted now
 * with their own timestamps, the newest that fit in LOG_DEBUG_BUFFER_MAX
 * bytes, after a note of those that did not. Appended to `out` (sticky).
 */
static void put_kept_lines(struct buf *out, const char *now)
{
	static struct logctx_record rec[LOGCTX_RECORDS_MAX];
	struct buf lines[LOGCTX_RECORDS_MAX];
	unsigned dropped;
	size_t n = logctx_take(rec, &dropped), from = n, total = 0;

	for (size_t i = 0; i < n; i++) {
		char ts[32];
		json_t *msg = lossy_string(rec[i].message, strlen(rec[i].message));

		buf_init(&lines[i], LOG_DEBUG_BUFFER_MAX);
		time_rfc3339(ts, rec[i].ts_ms, 1);
		if (!msg || format_line(&lines[i], LVL_DEBUG, ts, msg, rec[i].fields) ||
		    buf_addch(&lines[i], '\n'))
			buf_reset(&lines[i]);
		json_decref(msg);
		free(rec[i].message);
		json_decref(rec[i].fields);
	}
	/* cppcheck does not see that from <= n: lines[0..n) were all initialised above. */
	// cppcheck-suppress uninitvar
	while (from > 0 && total + lines[from - 1].len <= LOG_DEBUG_BUFFER_MAX)
		total += lines[--from].len;
	dropped += (unsigned)from;
	if (dropped) {
		char note[128];
		json_t *msg;

		snprintf(note, sizeof(note),
			 "%u earlier debug lines of this invocation did not fit in the buffer",
			 dropped);
		msg = json_string(note);
		if (msg && !format_line(out, LVL_DEBUG, now, msg, NULL))
			buf_putc(out, '\n');
		json_decref(msg);
	}
	for (size_t i = 0; i < n; i++) {
		if (i >= from)
			buf_put(out, lines[i].ptr, lines[i].len);
		buf_release(&lines[i]);
	}
}

void log_emit(enum log_level lvl, const char *message, json_t *fields)
{
	char ts[32];
	struct buf line, all;
	json_t *msg = NULL;
	bool keep;
	int err;

	if (!log_wanted(lvl, &keep))
		goto done;
	if (!message)
		message = "";
	if (keep) {
		/* Kept for an error, formatted only if one comes: log_ctx.c. */
		logctx_keep(time_now_ms(), strdup(message), fields);
		return;
	}
	msg = lossy_string(message, strlen(message));
	if (!msg)
		goto done;
	time_rfc3339(ts, time_now_ms(), 1);

	buf_init(&line, LOG_LINE_MAX);
	err = format_line(&line, lvl, ts, msg, fields);
	if (err == ERR_TOOLARGE) {
		/* Too long for one event: keep the start of the message, drop the fields. */
		json_t *short_msg = lossy_string(message, MIN(strlen(message), LOG_SHORT_MESSAGE));
		json_t *note = json_pack("{s:b}", "logTruncated", 1);
		buf_reset(&line);
		err = ERR_NOMEM;
		if (short_msg && note)
			err = format_line(&line, lvl, ts, short_msg, note);
		json_decref(short_msg);
		json_decref(note);
	}
	if (!err)
		err = buf_addch(&line, '\n');
	if (!err && lvl >= LVL_ERROR && logctx_buffering()) {
		/* The invocation's kept DEBUG lines first, in the same write. */
		buf_init(&all, LOG_LINE_MAX + LOG_DEBUG_BUFFER_MAX + 1024);
		put_kept_lines(&all, ts);
		buf_put(&all, line.ptr, line.len);
		write_line(output(), buf_error(&all) ? &line : &all);
		buf_release(&all);
	} else if (!err) {
		write_line(output(), &line);
	}
	buf_release(&line);
done:
	json_decref(msg);
	json_decref(fields);
}

void log_write_raw(const char *line, size_t len)
{
	FILE *f = output();

	if (len > LOG_LINE_MAX)
		return;
	flockfile(f);
	fwrite(line, 1, len, f);
	fputc('\n', f);
	fflush(f);
	funlockfile(f);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	struct buf b;
	va_list ap, again;
	bool keep;

	if (!log_wanted(lvl, &keep))
		return;
	buf_init(&b, LOG_LINE_MAX);
	va_start(ap, fmt);
	va_copy(again, ap);
	int err = buf_vaddf(&b, fmt, ap);
	if (err == ERR_TOOLARGE) {
		/* Log what fits: truncated rather than lost. */
		char *p = malloc(LOG_SHORT_MESSAGE + 1);
		if (p) {
			/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_copy'd above */
			vsnprintf(p, LOG_SHORT_MESSAGE + 1, fmt, again);
			log_emit(lvl, p, json_pack("{s:b}", "logTruncated", 1));
			free(p);
		}
	} else if (!err) {
		log_emit(lvl, b.ptr, NULL);
	}
	va_end(again);
	va_end(ap);
	buf_release(&b);
}
