/*
 * Fuzzes the XML request bodies of the local S3 endpoint (s3_request_xml.c):
 * the same bytes are read as DeleteObjects, CompleteMultipartUpload and
 * CreateBucketConfiguration bodies. What they accept must keep the bounds
 * s3_int.h documents: 1..1,000 NUL-separated keys no longer than the body,
 * 1..10,000 parts numbered 1..10,000, NUL-terminated ETags and regions, part
 * checksums of a known algorithm and a NUL-terminated echo of refused ones.
 */
#include "core/common.h"

#include "local/s3/s3_int.h"

static struct s3_complete_req complete; /* 500 KiB: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct s3_create_bucket_req cb;
	struct s3_delete_req d;
	size_t nuls = 0;

	if (s3_parse_delete(body, size, &d) == 0) {
		for (size_t i = 0; i < d.keys.len; i++)
			nuls += d.keys.ptr[i] == '\0';
		if (d.n < 1 || d.n > S3_MAX_DELETE_KEYS || nuls != d.n || d.keys.len > size)
			abort();
	}
	s3_delete_req_release(&d);
	if (s3_parse_complete(body, size, &complete) == 0) {
		if (complete.n < 1 || complete.n > S3_MAX_PARTS)
			abort();
		for (size_t i = 0; i < complete.n; i++)
			if (complete.numbers[i] < 1 || complete.numbers[i] > S3_MAX_PARTS ||
			    strnlen(complete.etags[i], S3_ETAG_MAX) == S3_ETAG_MAX ||
			    complete.sum_alg[i] > CHECKSUM_ALG_LAST)
				abort();
		if (strnlen(complete.bad_checksums, S3_BAD_CHECKSUMS_MAX) == S3_BAD_CHECKSUMS_MAX)
			abort();
	}
	if (s3_parse_create_bucket(body, size, &cb) == 0 &&
	    strnlen(cb.location, sizeof(cb.location)) == sizeof(cb.location))
		abort();
	return 0;
}
