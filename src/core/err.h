/*
 * One table of error codes for the whole project (libuv's UV_ERRNO_MAP).
 * Functions return 0 on success or one of these negative codes; constructors
 * write their result through an OUT parameter. What a user did wrong (a bad
 * request, a template finding) is data with a message, not one of these.
 */
#ifndef SLUICE_CORE_ERR_H
#define SLUICE_CORE_ERR_H

#define SLUICE_ERR_MAP(X)                                     \
	X(NOMEM, "out of memory")                             \
	X(TOOLARGE, "value exceeds its size limit")           \
	X(INVAL, "invalid argument")                          \
	X(PARSE, "malformed input")                           \
	X(NOTFOUND, "not found")                              \
	X(EXISTS, "already exists")                           \
	X(IO, "input/output error")                           \
	X(HTTP, "HTTP transport error")                       \
	X(AUTH, "authentication failed")                      \
	X(EXPIRED, "request time outside the allowed window") \
	X(CONFIG, "missing or invalid configuration")         \
	X(TIMEOUT, "deadline exceeded")                       \
	X(REMOTE, "remote service returned an error")         \
	X(THROTTLED, "remote service is throttling")          \
	X(PRECONDITION, "precondition failed")                \
	X(UNSUPPORTED, "not supported")

enum sluice_err {
	ERR_OK = 0,
#define X(name, msg) ERR_##name,
	ERR_FIRST_ = -100,
	SLUICE_ERR_MAP(X)
#undef X
		ERR_LAST_
};

/* The message for `err` ("success" for 0, "unknown error" for anything else). */
const char *err_str(int err);

/* The code's name without prefix ("NOTFOUND"), for logs; "OK" for 0. */
const char *err_name(int err);

#endif
