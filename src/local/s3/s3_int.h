/*
 * Inside the local S3 endpoint: what its files share, and what the unit
 * tests and fuzz drivers reach; not for other modules (they use s3_server.h).
 *
 *   s3_server.c       reads a request into a struct s3_req, routes it, and
 *                     owns the replies and S3's error answers
 *   s3_auth.c         SigV4 verification (header and presigned) with S3's errors
 *   s3_chunked.c      request payloads, aws-chunked framing, chunk signatures and
 *                     trailers
 *   s3_checksum.c     Content-MD5 and x-amz-checksum-*: what a request declares,
 *                     S3's refusals, the comparison, the answers' checksum headers
 *   s3_request_xml.c  the XML request bodies (DeleteObjects,
 *                     CompleteMultipartUpload, CreateBucketConfiguration)
 *   s3_bucket.c       ListBuckets, bucket operations, ListObjects v1 and v2
 *   s3_object.c       Put/Get/Head/Delete/Copy object, DeleteObjects
 *   s3_multipart.c    multipart uploads
 *   s3_store.c        the objects on disk (s3_store.h)
 *
 * Every s3_op_*() ends in exactly one reply. Answers are built with the
 * sticky XML writer (core/xml.h) into a buffer capped by one of the
 * S3_*_ANSWER_CAP below and sent by s3_reply_xml(), which checks the
 * buffer's error once: an answer that could not be built whole goes out as
 * 500 InternalError, never as a truncated 200.
 */
#ifndef SLUICE_LOCAL_S3_INT_H
#define SLUICE_LOCAL_S3_INT_H

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "core/buf.h"
#include "core/checksum.h"
#include "core/enc.h"
#include "core/str.h"
#include "local/s3/s3_notify.h"
#include "local/s3/s3_server.h"
#include "local/s3/s3_store.h"

struct evkeyvalq;
struct evbuffer;

/* S3's limits, as S3 documents them. */
#define S3_MAX_OBJECT_SIZE (5ull << 30) /* bytes of one PutObject or completed upload: 5 GiB */
#define S3_MIN_PART_SIZE   (5u << 20)	/* bytes of every part but the last: 5 MiB */
#define S3_MAX_DELETE_KEYS 1000		/* keys of one DeleteObjects request */

#define S3_XMLNS    "http://s3.amazonaws.com/doc/2006-03-01/"
#define S3_OWNER_ID "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

/*
 * Caps of the buffers of the room, each with the reason for its size.
 *
 * An escaped byte of text is at most 6 bytes (&quot;), so a key of
 * S3_MAX_KEY_LEN bytes is at most 6 KiB in an answer, and an entry of a
 * listing (the key and its fixed fields) under 7 KiB.
 *
 * S3_ANSWER_CAP: an answer about one bucket or object holds a key and what
 * it echoes of the request head (a Host, a Range, an upload id), which
 * evhttp caps at 64 KiB: 6 x 64 KiB and room.
 *
 * S3_LIST_ANSWER_CAP: a page of up to 1,000 entries (keys, common prefixes,
 * deleted keys, parts or buckets) of under 7 KiB each, and the parameters
 * it echoes (6 x S3_QUERY_VALUE_CAP each).
 *
 * S3_ERROR_ANSWER_CAP: SignatureDoesNotMatch echoes the canonical request
 * (at most SIGV4_MAX_CANONICAL) and the string to sign (far shorter), each
 * as escaped text (6 bytes a byte) and as hex bytes (3 a byte).
 */
#define S3_ANSWER_CAP	    (512u << 10)
#define S3_LIST_ANSWER_CAP  (8u << 20)
#define S3_ERROR_ANSWER_CAP (10 * SIGV4_MAX_CANONICAL)

/* A decoded query parameter name: ours are short words; a long one only needs refusing. */
#define S3_QUERY_NAME_CAP 4096
/*
 * A decoded query value: a prefix, marker or start-after is a key (1,024
 * bytes), a continuation token the base64 of one; a presigned URL's session
 * token is the longest.
 */
#define S3_QUERY_VALUE_CAP 8192
/*
 * Query parameters of one request: a presigned URL carries 7 of SigV4's, an
 * operation takes a handful of its own; more is refused as a bad URI.
 */
#define S3_MAX_QUERY_PARAMS 64
/*
 * A decoded key from the path: three times S3's limit, so that a key too
 * long is still read whole and refused as KeyTooLongError rather than as a
 * URI we cannot parse.
 */
#define S3_KEY_BUF_CAP (3 * S3_MAX_KEY_LEN)
/* "/bucket/key" of error answers: a bucket name is at most 63 bytes. */
#define S3_RESOURCE_CAP (S3_KEY_BUF_CAP + 128)
/* x-amz-copy-source decoded: "/bucket/key", as the resource. */
#define S3_COPY_SOURCE_CAP S3_RESOURCE_CAP
/*
 * Bytes of an XML request body: 1,000 keys of DeleteObjects take about
 * 1 MiB, 10,000 parts of CompleteMultipartUpload (~150 bytes each) under
 * 1.5 MiB.
 */
#define S3_MAX_REQUEST_XML (2u << 20)
/*
 * A chunk's string to sign (S3's aws-chunked signing): the algorithm, the
 * date, the scope (from the Authorization header, at most
 * SIGV4_MAX_AUTHZ_LEN) and three hashes.
 */
#define S3_CHUNK_STS_CAP (SIGV4_MAX_AUTHZ_LEN + 512)
/* One aws-chunked chunk: clients send 64 KiB to 8 MiB; the whole body is at most S3_MAX_BODY. */
#define S3_MAX_CHUNK_SIZE (64ull << 20)

/* The server: the store and the one credential it accepts. */
struct s3_server {
	struct s3_store *store;
	char *access_key_id;
	char *secret;
	char region[SIGV4_MAX_REGION_LEN + 1]; /* what a credential scope must name */
	s3_created_fn on_created;	       /* s3_notify.h; NULL: nobody listens */
	void *on_created_ctx;
};

/* One decoded query parameter; both strings are NUL-terminated and owned by the request. */
struct s3_qparam {
	char *name, *value;
};

/*
 * One request, from s3_req_init() to s3_req_release(). `bucket`, `key` and
 * `resource` are set by s3_parse_target(), `query` by s3_parse_query().
 * `replied` becomes true with the one reply a request gets; later replies
 * are ignored.
 */
struct s3_req {
	struct s3_server *srv;
	struct evhttp_request *req; /* NULL in unit tests that only parse */
	enum evhttp_cmd_type method;
	char request_id[17]; /* 16 uppercase hex digits, as S3's */
	struct str bucket;   /* points into bucket_buf; empty: the service (ListBuckets) */
	char bucket_buf[64];
	struct buf key; /* decoded, capped at S3_KEY_BUF_CAP */
	bool has_key;
	struct buf resource; /* "/bucket/key" for error answers */
	struct s3_qparam query[S3_MAX_QUERY_PARAMS];
	size_t n_query;
	struct evkeyvalq *in; /* request headers */
	struct evbuffer *out; /* the answer's body */
	const char *body;     /* the request body, never NULL ("" when empty) */
	size_t body_len;
	struct sigv4_authz authz; /* of a header-signed request, slices of its header */
	bool header_signed;
	const char *error_code; /* of the error answer being built, for the log */
	bool replied;
};

/* ---- s3_server.c: requests ---- */

/*
 * Make `r` a request of `srv` over `req`: headers, method, a fresh request
 * id, empty key and resource buffers. With `req` NULL (tests that only
 * parse) r->in is NULL too: point it at headers before s3_parse_target().
 * Returns 0 or ERR_NOMEM (the answer buffer); release `r` either way.
 */
int s3_req_init(struct s3_req *r, struct s3_server *srv, struct evhttp_request *req);
void s3_req_release(struct s3_req *r);

/*
 * Split the raw query `q` (without '?') with query_next() and decode names
 * and values into r->query. '+' stays a plus, as SigV4 reads it. Returns 0,
 * ERR_PARSE (a bad %-escape), ERR_TOOLARGE (more than S3_MAX_QUERY_PARAMS,
 * a name or value past its cap) or ERR_NOMEM.
 */
int s3_parse_query(struct s3_req *r, struct str q);

/*
 * Fill bucket, key and resource from the Host header (virtual-host style,
 * "bucket.localhost[:port]") or the raw `path` (path style, "/bucket/key").
 * The key is percent-decoded, '+' kept. Returns 0, ERR_TOOLARGE (a bucket
 * name past 63 bytes, a key past S3_KEY_BUF_CAP) or ERR_PARSE (a bad escape).
 */
int s3_parse_target(struct s3_req *r, struct str path);

/* The value of request header `name`, or NULL. */
const char *s3_header(const struct s3_req *r, const char *name);

/* The decoded value of query parameter `name` ("" for "?name"), or NULL. */
const char *s3_qget(const struct s3_req *r, const char *name);
bool s3_qhas(const struct s3_req *r, const char *name);

/*
 * True when every query parameter is one of `allowed` (NULL-terminated, or
 * NULL for none), a SigV4 X-Amz-* parameter or "x-id"; otherwise answers
 * 501 NotImplemented naming the first other one and returns false.
 */
bool s3_only_params(struct s3_req *r, const char *const *allowed);

/* The bucket the request names, or NULL after answering NoSuchBucket. */
struct s3_bucket *s3_need_bucket(struct s3_req *r);

/* True when the key is one S3 accepts; otherwise answers 400 and returns false. */
bool s3_key_ok(struct s3_req *r);

/*
 * The x-amz-meta-* headers as a new JSON object of strings, names lowercased
 * without the prefix (values that are not UTF-8 are left out). NULL on
 * allocation failure. The caller json_decref()s it.
 */
json_t *s3_user_meta(const struct s3_req *r);

/* ---- s3_server.c: replies ---- */

/* Add a header to the answer. */
void s3_add_header(struct s3_req *r, const char *name, const char *value);

/* ETag: "<etag>" (S3 quotes it). */
void s3_set_etag(struct s3_req *r, const char *etag);

/*
 * Send the answer: S3's request id headers, `body` (NULL or empty: none)
 * with `content_type` (NULL: application/xml). Does nothing when the
 * request was answered already. `body` must have no error (see s3_reply_xml).
 */
void s3_reply(struct s3_req *r, int status, const char *reason, const struct buf *body,
	      const char *content_type);

/*
 * Send the XML answer built in `body`, or, when building it failed
 * (buf_error()), 500 InternalError instead: never a truncated answer.
 */
void s3_reply_xml(struct s3_req *r, int status, const struct buf *body);

/* An answer without a body, with Content-Length: 0. */
void s3_reply_empty(struct s3_req *r, int status, const char *reason);

/*
 * S3's error answer in three steps: s3_error_begin() initialises `b`
 * (capped at S3_ERROR_ANSWER_CAP) with the declaration, <Error>, Code and
 * Message; the caller appends the elements S3 adds for that code (Key,
 * BucketName, Condition...) with the XML writer; s3_error_send() closes it
 * with Resource, RequestId and HostId, sends it and releases `b`. HEAD
 * errors go out with the status alone, as S3's. An error body that could
 * not be built is sent as a fixed 500 InternalError.
 */
void s3_error_begin(struct s3_req *r, struct buf *b, const char *code, const char *message);
void s3_error_send(struct s3_req *r, int status, struct buf *b);

/* An error answer with no extra elements. */
void s3_reply_error(struct s3_req *r, int status, const char *code, const char *message);

/* The common error answers. */
void s3_no_such_bucket(struct s3_req *r);
void s3_no_such_key(struct s3_req *r);
void s3_precondition_failed(struct s3_req *r, const char *condition);
void s3_malformed_xml(struct s3_req *r);
/* 501 NotImplemented: "<what> is not implemented by the sluice local endpoint". */
void s3_not_implemented(struct s3_req *r, const char *what);
/* 500 InternalError, logging `err`. */
void s3_internal_error(struct s3_req *r, int err);

/* <tag>text</tag>, the text URL-encoded first when `url` (encoding-type=url). */
void s3_xml_key(struct buf *b, const char *tag, const char *s, size_t n, bool url);

/* The ISO 8601 form of `ms` with milliseconds, as S3 writes LastModified. */
void s3_iso_time(char out[32], int64_t ms);

/* ---- s3_auth.c ---- */

/*
 * Verify the request's SigV4 signature (Authorization header or presigned
 * query) against the server's credential, with S3's rules. On success sets
 * r->authz and r->header_signed for a header-signed request and returns
 * true; otherwise answers with S3's error (AccessDenied,
 * SignatureDoesNotMatch with the canonical request, ...) and returns false.
 * `path` and `query` are the raw request target's parts.
 */
bool s3_authenticate(struct s3_req *r, struct str path, struct str query);

/* ---- s3_checksum.c ---- */

/* "x-amz-checksum-" and the longest algorithm's name, NUL-terminated. */
#define S3_CHECKSUM_HEADER_MAX 32

/*
 * The digests a request declares for its payload: Content-MD5, and one
 * x-amz-checksum-<alg> header or one checksum trailer announced by
 * x-amz-trailer (whose value arrives after the body).
 */
struct s3_digests {
	bool has_md5;
	uint8_t md5[MD5_LEN];
	enum checksum_alg alg; /* the checksum declared, CHECKSUM_NONE for none */
	bool trailer;	       /* announced by x-amz-trailer */
	bool has_value;	       /* `value` holds it: from the header, or the trailer once read */
	uint8_t value[CHECKSUM_MAX_LEN];
};

/*
 * Read into `d` the digests request `r` declares, refusing what S3 refuses
 * before reading the body: a Content-MD5 that is not the base64 of 16 bytes
 * (400 InvalidDigest); two checksums, an unknown algorithm, a malformed
 * value, an x-amz-sdk-checksum-algorithm that disagrees or has nothing to
 * name, an x-amz-trailer that names no checksum (400 InvalidRequest); a
 * trailer on a payload that cannot carry one (400 MalformedTrailerError); an
 * algorithm S3 has and we do not (501). With `checksums` false only
 * Content-MD5 is read (CompleteMultipartUpload: its x-amz-checksum-* is the
 * object's, not the body's). Returns true, or false after answering.
 */
bool s3_digests_read(struct s3_req *r, bool checksums, struct s3_digests *d /* OUT */);

/*
 * Compare the payload the ended writer `w` received (its MD5 and checksum,
 * which must be of d->alg when `d` has a value) with `d`: 400 BadDigest as S3
 * words it for Content-MD5 and for checksums. True, or false after answering.
 */
bool s3_digests_verify(struct s3_req *r, const struct s3_digests *d, const struct s3_writer *w);

/* The same for a body held in memory (r->body: DeleteObjects, CompleteMultipartUpload). */
bool s3_digests_verify_body(struct s3_req *r, const struct s3_digests *d);

/* "x-amz-checksum-<alg>", the algorithm in lower case, into `out`. */
void s3_checksum_header_name(enum checksum_alg alg, char out[S3_CHECKSUM_HEADER_MAX]);

/* 400 BadDigest "The <shown> you specified did not match the calculated checksum." */
void s3_checksum_mismatch(struct s3_req *r, const char *shown);

/* 400 InvalidRequest "Value for x-amz-checksum-<alg> [trailing ]header is invalid." */
void s3_invalid_checksum_value(struct s3_req *r, enum checksum_alg alg, bool trailing);

/* 400 MalformedTrailerError. */
void s3_malformed_trailer(struct s3_req *r);

/* x-amz-checksum-<alg> and x-amz-checksum-type of `c` on the answer; nothing for none. */
void s3_checksum_headers(struct s3_req *r, const struct s3_checksum *c);

/* <Checksum<ALG>>value</...><ChecksumType>...</ChecksumType> of `c`; nothing for none. */
void s3_checksum_xml(struct buf *b, const struct s3_checksum *c);

/*
 * The x-amz-checksum-<alg> a CompleteMultipartUpload asserts for the object:
 * its algorithm (CHECKSUM_NONE when there is none) and its text, a slice of
 * the header, unchecked. False after answering as s3_digests_read() does for
 * two headers or an algorithm that is not one.
 */
bool s3_checksum_asserted(struct s3_req *r, enum checksum_alg *alg /* OUT */,
			  struct str *value /* OUT */);

/*
 * x-amz-checksum-algorithm (CopyObject, CreateMultipartUpload) into `alg`,
 * CHECKSUM_NONE when absent. True, or false after answering 400
 * InvalidRequest (unknown, or a list) or 501 (an algorithm we do not have).
 */
bool s3_checksum_algorithm(struct s3_req *r, enum checksum_alg *alg /* OUT */);

/*
 * x-amz-checksum-mode of a GetObject or HeadObject: 1 for ENABLED, 0 when
 * absent, -1 after answering 400 InvalidRequest for another value.
 */
int s3_checksum_mode(struct s3_req *r);

/* ---- s3_chunked.c ---- */

/*
 * Called by s3_chunked_decode() for every chunk with data (the final empty
 * chunk included, with an empty `data`), with the chunk's signature (empty
 * when the chunk carries none). A non-zero return stops decoding and is
 * returned by s3_chunked_decode().
 */
typedef int (*s3_chunk_fn)(void *ctx, struct str data, struct str signature);

/*
 * Decode an aws-chunked body as awscli and boto3 send it:
 *   <hex size>[;chunk-signature=<64 hex>]\r\n<size bytes>\r\n ... 0[;...]\r\n
 * followed by optional trailer lines "name:value\r\n" and a final "\r\n".
 * With `signed_chunks` every chunk must carry a chunk-signature. `*trailer`
 * receives the trailer lines (a slice of `in`, possibly empty). Sizes are
 * bounded: no chunk past S3_MAX_CHUNK_SIZE, the decoded total not past
 * `max_decoded`.
 *
 * Returns 0, ERR_PARSE (malformed framing, bytes after the end),
 * ERR_TOOLARGE, or what the callback returned.
 */
int s3_chunked_decode(const char *in, size_t len, bool signed_chunks, uint64_t max_decoded,
		      s3_chunk_fn fn, void *ctx, struct str *trailer /* OUT */);

/* The trailers of an aws-chunked body as s3_trailer_read() finds them: slices of its input. */
struct s3_trailer {
	struct str value;     /* the wanted trailer's value, trimmed (the last one when repeated) */
	bool found;	      /* the wanted trailer is there */
	bool other;	      /* a trailer other than the wanted one and the signature */
	struct str signature; /* x-amz-trailer-signature's value, empty when absent */
	bool has_signature;   /* x-amz-trailer-signature is there (maybe empty) */
};

/*
 * Read the trailer lines `lines` ("name:value\r\n"..., as s3_chunked_decode()
 * returns them) for the trailer named `want` (any case; empty: none is
 * wanted). Names and values are trimmed of spaces and tabs. With `canonical`
 * (a buffer of at least lines.len + 1 bytes), appends what a trailer
 * signature covers: "name:value\n" for each trailer but the signature, the
 * name in lower case, or "\n" when there are none. Returns 0, ERR_PARSE (a
 * line without CRLF or without a name) or the buffer's error.
 */
int s3_trailer_read(struct str lines, struct str want, struct s3_trailer *out /* OUT */,
		    struct buf *canonical);

/* True when the payload is aws-chunked with trailers (STREAMING-*-TRAILER). */
bool s3_payload_trailers(const struct s3_req *r);

/*
 * Write the request's payload into `w`: the body as it is, or decoded from
 * aws-chunked framing (x-amz-content-sha256 STREAMING-*), verifying chunk
 * signatures when they are signed, the decoded length when declared, and the
 * trailers: the checksum `d` announced (its value goes to d->value), the
 * trailer signature of a signed-trailer payload. Returns true, or false after
 * answering (EntityTooLarge, IncompleteBody, SignatureDoesNotMatch,
 * MalformedTrailerError, InvalidRequest, NotImplemented, InternalError).
 */
bool s3_receive_body(struct s3_req *r, struct s3_writer *w, struct s3_digests *d);

/* ---- s3_request_xml.c ---- */

/* Keys to delete, from <Delete><Object><Key>...</Key></Object>...</Delete>. */
struct s3_delete_req {
	struct buf keys; /* each key followed by a NUL (keys hold none: XML cannot) */
	size_t n;	 /* 1..S3_MAX_DELETE_KEYS after a successful parse */
	bool quiet;	 /* <Quiet>true</Quiet> */
};

/*
 * Parse a DeleteObjects body into `out` (initialised here; release it
 * with s3_delete_req_release() whatever the result). Returns 0, ERR_PARSE
 * (not well-formed, another root, no key, more than S3_MAX_DELETE_KEYS,
 * a DOCTYPE, too deep), ERR_TOOLARGE (past S3_MAX_REQUEST_XML) or ERR_NOMEM.
 */
int s3_parse_delete(const char *body, size_t len, struct s3_delete_req *out /* OUT */);
void s3_delete_req_release(struct s3_delete_req *d);

/*
 * What S3 echoes of a part's refused checksums: "CRC32:<value>;SHA1:<value>;"
 * for up to the five algorithms, each value cut at S3_CHECKSUM_TEXT_MAX bytes.
 */
#define S3_BAD_CHECKSUMS_MAX (CHECKSUM_ALG_LAST * (16 + S3_CHECKSUM_TEXT_MAX))

/* The parts listed by <CompleteMultipartUpload><Part>...</Part>...</CompleteMultipartUpload>. */
struct s3_complete_req {
	size_t n; /* 1..S3_MAX_PARTS after a successful parse */
	int numbers[S3_MAX_PARTS];
	/* Without quotes; "" when absent or too long to be an ETag (it then matches no part). */
	char etags[S3_MAX_PARTS][S3_ETAG_MAX];
	/* The part's Checksum<ALG>, decoded: enum checksum_alg, CHECKSUM_NONE when it lists none.
	 */
	uint8_t sum_alg[S3_MAX_PARTS];
	uint8_t sums[S3_MAX_PARTS][CHECKSUM_MAX_LEN];
	/*
	 * The checksums of the first part that lists one S3 cannot read (not the
	 * base64 of its algorithm's length) or more than one, as S3 echoes them
	 * in its InvalidArgument answer; "" when every part's is fine.
	 */
	char bad_checksums[S3_BAD_CHECKSUMS_MAX];
};

/*
 * Parse a CompleteMultipartUpload body into `out` (about 1 MiB: allocate
 * it). Every Part needs a PartNumber in 1..S3_MAX_PARTS; order and
 * duplicates are left to the caller (InvalidPartOrder), and so is a part's
 * refused checksum (out->bad_checksums). Returns 0,
 * ERR_PARSE (as s3_parse_delete(), or no part, or more than S3_MAX_PARTS),
 * ERR_TOOLARGE or ERR_NOMEM.
 */
int s3_parse_complete(const char *body, size_t len, struct s3_complete_req *out /* OUT */);

/* Region names are short ("ap-southeast-2"); S3's longest is under 32 bytes. */
#define S3_REGION_MAX 32

/* <CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>... */
struct s3_create_bucket_req {
	char location[S3_REGION_MAX + 1]; /* "" when absent or empty (us-east-1) */
	bool bad_location;		  /* present but not a region name */
};

/*
 * Parse a CreateBucket body. Returns 0 (with `bad_location` set when the
 * LocationConstraint is not shaped as a region name: [A-Za-z0-9-], at most
 * S3_REGION_MAX bytes; empty is us-east-1), ERR_PARSE, ERR_TOOLARGE or
 * ERR_NOMEM.
 */
int s3_parse_create_bucket(const char *body, size_t len,
			   struct s3_create_bucket_req *out /* OUT */);

/* ---- s3_bucket.c ---- */

/* One entry of a listing page: an object, or a common prefix (`obj` NULL). */
struct s3_list_entry {
	struct str name; /* the key, or the common prefix (a slice of a key) */
	const struct s3_object *obj;
};

/*
 * One page of ListObjects (v1) or ListObjectsV2 (`v2`), as s3_list_collect()
 * fills it from a bucket and s3_list_write() writes it. The strings are
 * borrowed: the request's parameters and the bucket's keys, which stay put
 * while a request is handled (the store is used from one event loop).
 */
struct s3_list_page {
	const char *bucket;
	bool v2;
	bool url;		  /* encoding-type=url */
	bool owner;		  /* <Owner> in every entry (v1, or v2 with fetch-owner=true) */
	struct str prefix;	  /* "" for none */
	struct str delimiter;	  /* "" for none */
	const char *marker;	  /* v1: echoed as <Marker>, NULL for none */
	const char *token;	  /* v2: the continuation-token asked with, NULL for none */
	const char *start_after;  /* v2: echoed as <StartAfter>, NULL for none */
	long long max_keys_asked; /* echoed in <MaxKeys>, as S3 does, even past 1,000 */
	long long max_keys;	  /* entries the page may hold: at most S3_MAX_LIST_KEYS */
	bool truncated;		  /* more entries follow */
	size_t n;
	struct s3_list_entry entries[S3_MAX_LIST_KEYS];
};

/*
 * Fill p->entries of bucket `b` with the keys after `after` ("" for the
 * start) that have p->prefix, rolling keys up into common prefixes at
 * p->delimiter, in key order, until p->max_keys; sets p->truncated when more
 * follow. A common prefix counts once, as S3 counts it.
 */
void s3_list_collect(const struct s3_bucket *b, struct s3_list_page *p, struct str after);

/*
 * Append the <ListBucketResult> of `p` to `b` with the sticky writer; check
 * buf_error(b) after. A v2 page that is truncated carries a
 * NextContinuationToken (the base64 of its last entry); a truncated v1 page
 * with a delimiter a NextMarker.
 */
void s3_list_write(struct buf *b, const struct s3_list_page *p);

void s3_op_list_buckets(struct s3_req *r);
void s3_op_create_bucket(struct s3_req *r);
void s3_op_delete_bucket(struct s3_req *r);
void s3_op_head_bucket(struct s3_req *r);
void s3_op_bucket_location(struct s3_req *r);
void s3_op_list_objects(struct s3_req *r, bool v2);

/* ---- s3_object.c ---- */

/* Does the If-Match / If-None-Match list `v` name `etag` ("*" names any)? */
bool s3_etag_matches(const char *v, const char *etag);

/*
 * Receive the payload into `w` computing the checksum `d` declares (S3's
 * default CRC64NVME when none), end the write and verify every digest of
 * `d`: the last step before a commit. True, or false after answering.
 */
bool s3_receive_verified(struct s3_req *r, struct s3_writer *w, struct s3_digests *d);

void s3_op_put_object(struct s3_req *r);
void s3_op_get_object(struct s3_req *r, bool head);
void s3_op_delete_object(struct s3_req *r);
void s3_op_delete_objects(struct s3_req *r);
/* `src` is the x-amz-copy-source header. */
void s3_op_copy_object(struct s3_req *r, const char *src);

/* ---- s3_multipart.c ---- */

/* Why CompleteMultipartUpload refuses the parts it lists. */
struct s3_parts_refusal {
	const char *code;      /* S3's error code (a static string), NULL when accepted */
	size_t at;	       /* index in the request of the part refused */
	enum checksum_alg alg; /* the algorithm of the checksum that part lists */
};

/*
 * The multipart ETag of the parts `parts[0..np)` that `c` lists: the MD5 of
 * their MD5s, "-<count>". Checks, as S3, that the listed parts are in
 * ascending order, exist with the ETag given, and are all but the last at
 * least S3_MIN_PART_SIZE. Returns 0, or ERR_INVAL with the refusal in `*why`
 * (InvalidPartOrder, InvalidPart, EntityTooSmall), or ERR_NOMEM.
 */
int s3_multipart_etag(const struct s3_complete_req *c, const struct s3_part *parts, size_t np,
		      char etag[S3_ETAG_MAX] /* OUT */, struct s3_parts_refusal *why /* OUT */);

/*
 * The checksum S3 gives the object completed from the parts `c` lists (which
 * s3_multipart_etag() accepted), `parts` carrying their checksums of `alg`,
 * or of CRC64NVME when the upload was created without an algorithm:
 *   COMPOSITE: `alg` over the parts' checksums concatenated, "-<count>";
 *   FULL_OBJECT: the CRC of all the bytes, combined from the parts' CRCs;
 *   no algorithm: CRC64NVME, full-object, as S3 gives every object.
 * Checks the parts' checksums `c` lists as S3 does: one of the upload's
 * algorithm must equal the part's (InvalidPart), and a composite upload's
 * parts must each list one of its algorithm (InvalidRequest when missing,
 * BadDigest when of another algorithm); an upload without an algorithm
 * takes none (InvalidPart). Returns 0 and *out, ERR_INVAL with *why, or
 * ERR_NOMEM.
 */
int s3_multipart_checksum(const struct s3_complete_req *c, const struct s3_part *parts, size_t np,
			  enum checksum_alg alg, bool composite, struct s3_checksum *out /* OUT */,
			  struct s3_parts_refusal *why /* OUT */);

void s3_op_create_upload(struct s3_req *r);
void s3_op_upload_part(struct s3_req *r);
void s3_op_complete_upload(struct s3_req *r);
void s3_op_abort_upload(struct s3_req *r);
void s3_op_list_parts(struct s3_req *r);

/*
 * Tell the object-created listener (s3_server_on_created()) that `o` came
 * into being in `bk` through `event_name` ("ObjectCreated:Put", ...): after
 * the commit, before the answer. No listener: nothing happens.
 */
void s3_notify_created(struct s3_req *r, struct s3_bucket *bk, const struct s3_object *o,
		       const char *event_name);

#endif
