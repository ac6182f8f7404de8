/*
 * The IAB TCF Global Vendor List (GVL), version 3 of its JSON format
 * (vendor-list.consensu.org/v3/vendor-list.json, specified in "Consent string
 * and vendor list formats v2" of IAB Tech Lab), read into a compact table.
 *
 * What is kept: vendorListVersion, tcfPolicyVersion, gvlSpecificationVersion,
 * lastUpdated; the ids of the purposes, special purposes, features and
 * special features; and for each vendor its id, name, purposes,
 * legIntPurposes, features and deletedDate. Everything else (descriptions,
 * URLs, stacks, data declarations, retention) is skipped as it is scanned,
 * never stored: the real list is about 1 MB of JSON for about 1,300 vendors,
 * and the table takes a few tens of KB. Memory is bounded by the input's
 * length (names and id lists are copied from it, at most once each) and by
 * PREFS_MAX_ID (the lookup index). Lookups by id are O(1): an index of
 * max_vendor_id + 1 slots.
 *
 * The format's own rules are checked where they matter to lookups: a
 * vendor's key equals its "id", ids are 1..PREFS_MAX_ID, lists hold
 * integers. A list that breaks them is refused whole (ERR_PARSE with a
 * sentence), so that a damaged download never replaces a good copy.
 */
#ifndef SLUICE_APP_VENDOR_LIST_H
#define SLUICE_APP_VENDOR_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/preferences_doc.h"

/* The most ids one vendor may list in each of purposes, legIntPurposes, features. */
#define GVL_MAX_LIST 64
/* The largest purpose or feature id (the format allows 24 purposes and 64 features). */
#define GVL_MAX_PURPOSE_ID 255

struct gvl_vendor {
	uint32_t id;
	const char *name; /* NUL-terminated, owned by the list */
	const uint16_t *purposes, *leg_int_purposes, *features;
	uint8_t npurposes, nleg_int, nfeatures;
	int64_t deleted_ms; /* deletedDate, epoch ms; 0 when the vendor is not deleted */
};

struct vendor_list {
	long version;	     /* vendorListVersion */
	long policy_version; /* tcfPolicyVersion */
	long spec_version;   /* gvlSpecificationVersion */
	char last_updated[40];
	bool purpose[GVL_MAX_PURPOSE_ID + 1];
	bool special_purpose[GVL_MAX_PURPOSE_ID + 1];
	bool feature[GVL_MAX_PURPOSE_ID + 1];
	size_t npurposes;
	struct gvl_vendor *vendors; /* in the order of the file */
	size_t nvendors;
	uint32_t max_vendor_id;
	uint32_t *index; /* index[id] = position + 1 in vendors, 0 for none; max_vendor_id + 1 slots
			  */
	char *names;	 /* every vendor name, NUL-separated */
	uint16_t *ids;	 /* every id list */
	size_t bytes;	 /* memory held, for logs and tests */
};

/*
 * Parse `len` bytes of a GVL v3 document. Returns 0 with `*out` (free with
 * vendor_list_free()), ERR_PARSE with a sentence in `why` ("column 1234:
 * vendor 12: \"purposes\" is not an array of integers"), or ERR_NOMEM.
 */
int vendor_list_parse(const char *json, size_t len, struct vendor_list **out /* OUT */, char *why,
		      size_t why_len);

void vendor_list_free(struct vendor_list *vl);

/* The vendor with id `id`, or NULL. A deleted vendor is returned; see vendor_list_usable(). */
const struct gvl_vendor *vendor_list_find(const struct vendor_list *vl, uint32_t id);

/*
 * True when consent may be recorded for vendor `id` at `now_ms`: it is on
 * the list and not deleted (the format: a vendor past its deletedDate "MUST
 * NOT be established to users").
 */
bool vendor_list_usable(const struct vendor_list *vl, uint32_t id, int64_t now_ms);

/* True when purpose `id` is one of the list's purposes. */
bool vendor_list_has_purpose(const struct vendor_list *vl, uint32_t id);

#endif
