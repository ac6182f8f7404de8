/*
 * Helpers for the unit tests of the local DynamoDB (test_ddb_ops,
 * test_ddb_table, test_ddb_server): a server on a fresh SQLite file in a
 * temporary directory, and calls through ddb_server_handle() that assert
 * the status and parse or compare the JSON answer. cmocka assertions fail
 * the test on the spot.
 */
#ifndef SLUICE_TESTS_DDBTEST_H
#define SLUICE_TESTS_DDBTEST_H

#include <jansson.h>

struct ddb_server;

/* The __type prefixes of DynamoDB's error answers. */
#define DDBTEST_PREFIX "com.amazonaws.dynamodb.v20120810#"
#define DDBTEST_CORAL  "com.amazon.coral.service#"
#define DDBTEST_VE     DDBTEST_PREFIX "ValidationException"
#define DDBTEST_RNF    DDBTEST_PREFIX "ResourceNotFoundException"

/* The whole answer to a failure of the server's own (HTTP 500). */
#define DDBTEST_INTERNAL                                                                       \
	"{\"__type\":\"" DDBTEST_PREFIX "InternalServerError\",\"message\":\"Internal server " \
	"error\"}"

struct ddbtest {
	char dir[64];
	char path[128]; /* the SQLite file in `dir` */
	struct ddb_server *s;
};

/* cmocka setup and teardown: *state is a struct ddbtest with a server open. */
int ddbtest_setup(void **state);
int ddbtest_teardown(void **state);

/* Call `op` with `body`, assert the status, and return the parsed answer
 * (the caller decrefs it). */
json_t *ddbtest_call(struct ddb_server *s, const char *op, const char *body, int want_status);

/* Call and assert that the answer equals `want` (JSON text) exactly. */
void ddbtest_expect(struct ddb_server *s, const char *op, const char *body, int want_status,
		    const char *want);

/* Call and assert a 400 answer whose __type is `type` (with its prefix). */
void ddbtest_expect_error(struct ddb_server *s, const char *op, const char *body, const char *type);

/* The member at `path` of `v`, a '/'-separated list of object keys and
 * array indexes ("TableDescription/GlobalSecondaryIndexes/0/IndexName");
 * NULL when absent. Borrowed. */
json_t *ddbtest_get(const json_t *v, const char *path);

#endif
