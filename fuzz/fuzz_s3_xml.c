/*
 * Fuzz the S3 XML answer parsers (src/aws/s3.c): the same bytes are read as
 * an <Error> document and as a ListObjectsV2 page. Whatever they accept must
 * respect the documented caps: NUL-terminated fields, at most
 * S3_MAX_LIST_KEYS keys, none longer than S3_MAX_KEY_LEN.
 */
#include "core/common.h"

#include "aws/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_error e = {.status = 418};
	struct s3_list_result l;

	if (s3_parse_error((const char *)data, size, &e) == 0 &&
	    (e.status != 418 || strnlen(e.code, sizeof(e.code)) == sizeof(e.code) ||
	     strnlen(e.message, sizeof(e.message)) == sizeof(e.message) ||
	     strnlen(e.request_id, sizeof(e.request_id)) == sizeof(e.request_id)))
		abort();
	if (s3_parse_list((const char *)data, size, &l) == 0) {
		if (l.count > S3_MAX_LIST_KEYS || l.key_count < -1 || (l.count && !l.items))
			abort();
		for (size_t i = 0; i < l.count; i++)
			if (!l.items[i].key || strlen(l.items[i].key) > S3_MAX_KEY_LEN ||
			    strnlen(l.items[i].etag, sizeof(l.items[i].etag)) ==
				    sizeof(l.items[i].etag))
				abort();
	}
	s3_list_result_release(&l);
	if (l.count || l.items || l.next_token)
		abort(); /* released means empty again */
	return 0;
}
