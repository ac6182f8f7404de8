/*
 * CloudWatch Logs filter patterns, as FilterLogEvents, metric filters and
 * subscription filters read them, for the local logs endpoint:
 *
 *   ""                           every event
 *   ERROR Exception              events with both terms (substrings, case-sensitive)
 *   ?ERROR ?WARN                 events with either
 *   ERROR -Retrying              ERROR, without Retrying
 *   "Task timed out"             a phrase; quotes are needed around anything but
 *                                letters, digits and _ . : / @ + (a request id, too)
 *   %ab+c%                       a regular expression (POSIX extended), anywhere
 *   { $.level = "ERROR" }        JSON events: = and != on strings ("ab*" with
 *                                wildcards, %regex%), numbers and bare words;
 *                                < <= > >= on numbers; IS NULL, IS TRUE,
 *                                IS FALSE, NOT EXISTS; && and || with ( );
 *                                selectors $.a.b, $.a[0], $.a.b[2].c
 *   [ip, user, ..., status = 5*, bytes > 1000]
 *                                space-delimited events: fields split at
 *                                spaces, "quoted" and [bracketed] fields kept
 *                                whole; `...` stands for any number of fields;
 *                                conditions as in JSON patterns, && and ||
 *                                inside one field's condition
 *
 * A JSON pattern on an event that is not a JSON object, or that names a
 * member the event lacks, does not match (NOT EXISTS and IS NULL aside).
 * Not supported (refused with a reason): $.* selectors and the newer
 * operators IN, NOT IN, =~ and the case-insensitive %regex%i. Patterns are
 * at most CW_FILTER_MAX bytes, AWS's limit.
 */
#ifndef SLUICE_LOCAL_CW_FILTER_H
#define SLUICE_LOCAL_CW_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#define CW_FILTER_MAX	     1024 /* filterPattern's length limit */
#define CW_FILTER_NODES_MAX  128  /* terms, comparisons and operators of one pattern */
#define CW_FILTER_FIELDS_MAX 100  /* fields of a space-delimited pattern */

struct cw_filter;

/*
 * Parse `len` bytes of `pattern`. Returns 0 and *out (free with
 * cw_filter_free()), or ERR_PARSE with one sentence in `why` for the
 * client's InvalidParameterException, ERR_TOOLARGE past the limits above,
 * ERR_NOMEM. *out is NULL on failure.
 */
int cw_filter_parse(const char *pattern, size_t len, struct cw_filter **out /* OUT */, char *why,
		    size_t why_len);

/* True when the event's message (`len` bytes) matches. */
bool cw_filter_match(const struct cw_filter *f, const char *msg, size_t len);

/*
 * A metric filter's MetricValue for a message that matched: a number
 * ("1", "0.5") as is, "$.a.b" a JSON member's number, "$name" a named
 * field of a space-delimited pattern. Returns 0 and *out, or ERR_NOTFOUND
 * when the member or field is missing or not a number (the event then
 * publishes nothing, as in CloudWatch), ERR_INVAL for a malformed expression.
 */
int cw_filter_value(const struct cw_filter *f, const char *expr, const char *msg, size_t len,
		    double *out /* OUT */);

void cw_filter_free(struct cw_filter *f);

#endif
