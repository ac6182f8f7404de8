/*
 * A preferences document: the body of PUT /preferences/{userId}
 * ({"purposes":{...},"vendors":{...}}) and one line of an import file
 * ({"userId","purposes","vendors","updatedAt"}), parsed and validated by one
 * set of rules so that an import line is checked exactly as a PUT is.
 *
 * - userId: 1 to PREFS_USER_ID_MAX bytes of [A-Za-z0-9._:@-] (after JSON
 *   escapes are decoded), so that it is safe in a URL path, a log line and
 *   an S3 key alike.
 * - purposes, vendors: JSON objects whose names are ids (positive decimal
 *   integers without sign or leading zero, at most PREFS_MAX_ID) and whose
 *   values are true or false; an id given twice is an error. At most
 *   PREFS_MAX_IDS ids in all.
 * - updatedAt: an RFC 3339 date-time (milliseconds kept).
 * - Members other than the allowed ones are an error that names every one of
 *   them; a member given twice too. Members required and missing are named.
 *
 * Whether the ids exist is the vendor list's business (vendor_list.h); the
 * parser only checks their form. Parsing allocates nothing: a struct
 * prefs_doc holds everything and is reused line after line.
 */
#ifndef SLUICE_APP_PREFERENCES_DOC_H
#define SLUICE_APP_PREFERENCES_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define PREFS_USER_ID_MAX 128
#define PREFS_MAX_ID	  65535 /* TCF vendor ids are 16-bit */
#define PREFS_MAX_IDS	  4096	/* purposes and vendors together in one document */

/* The members a document may have. */
enum prefs_member {
	PREFS_USER_ID = 1,
	PREFS_PURPOSES = 2,
	PREFS_VENDORS = 4,
	PREFS_UPDATED_AT = 8,
};

struct prefs_choice {
	uint32_t id;
	bool granted;
};

/* A parsed document; choices sorted by id. */
struct prefs_doc {
	unsigned present; /* enum prefs_member bits */
	char user_id[PREFS_USER_ID_MAX + 1];
	size_t user_id_len;
	int64_t updated_at_ms;
	struct prefs_choice *purposes, *vendors; /* into `store` */
	size_t npurposes, nvendors;
	struct prefs_choice store[PREFS_MAX_IDS];
};

/*
 * Parse `len` bytes of JSON into `doc`. `allowed` and `required` are sets of
 * enum prefs_member. Returns 0; ERR_PARSE when the text is not JSON or not an
 * object ("column 12: expected ':'"); ERR_INVAL when it is JSON but breaks a
 * rule above. Either way `why` holds one sentence for the client.
 */
int prefs_parse(const char *json, size_t len, unsigned allowed, unsigned required,
		struct prefs_doc *doc /* OUT */, char *why, size_t why_len);

/* True for a valid userId (`len` bytes of `s`). */
bool prefs_user_id_valid(const char *s, size_t len);

/* Append {"<id>":true,...} for `n` choices (sorted, as parsed). Sticky errors. */
void prefs_put_choices(struct buf *out, const struct prefs_choice *c, size_t n);

#endif
