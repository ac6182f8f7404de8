/*
 * Fuzz the import's line parser (src/app/preferences_doc.c on the scanner of
 * preferences_json.c), the one a PUT body goes through too. Checked: an
 * accepted line has a valid userId, ids in range, sorted and unique, and
 * every member it needs; the stored JSON of its choices is itself accepted
 * (round trip); a refusal always says why, as ERR_PARSE or ERR_INVAL.
 */
#include "core/common.h"

#include "app/preferences_doc.h"

#define ALL (PREFS_USER_ID | PREFS_PURPOSES | PREFS_VENDORS | PREFS_UPDATED_AT)

static struct prefs_doc doc, again;

static void check_choices(const struct prefs_choice *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].id == 0 || c[i].id > PREFS_MAX_ID || (i && c[i].id <= c[i - 1].id))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512] = "";
	int err = prefs_parse((const char *)data, size, ALL, ALL, &doc, why, sizeof(why));
	struct buf b;

	if (err) {
		if ((err != ERR_PARSE && err != ERR_INVAL) || !why[0])
			abort();
		return 0;
	}
	if (doc.present != ALL || !prefs_user_id_valid(doc.user_id, doc.user_id_len))
		abort();
	check_choices(doc.purposes, doc.npurposes);
	check_choices(doc.vendors, doc.nvendors);
	buf_init(&b, 1 << 20);
	buf_puts(&b, "{\"purposes\":");
	prefs_put_choices(&b, doc.purposes, doc.npurposes);
	buf_puts(&b, ",\"vendors\":");
	prefs_put_choices(&b, doc.vendors, doc.nvendors);
	buf_putc(&b, '}');
	if (buf_error(&b) ||
	    prefs_parse(b.ptr, b.len, PREFS_PURPOSES | PREFS_VENDORS, 0, &again, why,
			sizeof(why)) ||
	    again.npurposes != doc.npurposes || again.nvendors != doc.nvendors)
		abort();
	buf_release(&b);
	return 0;
}
