/*
 * Internals of the local DynamoDB endpoint, shared by src/local/dynamodb/ddb_*.c,
 * their unit tests and fuzz drivers; not for other modules (they use
 * ddb_server.h).
 *
 * Attribute values are kept as jansson values in DynamoDB's wire form
 * ({"S":"x"}, {"N":"1.5"}, {"M":{...}}), validated and normalised once
 * (numbers rewritten in their canonical form) when a request is read, so
 * that the rest of the code can trust their shape.
 *
 * The error convention, for every function of the room: it returns 0 or an
 * error code of core/err.h. A client's mistake is a code *and* a filled
 * struct ddb_err: ddb_fail() writes the DynamoDB error type and message the
 * client will read (HTTP 400) and returns the code that type maps to
 * (ValidationException is ERR_INVAL, see enum ddb_err_kind). A code with no
 * error type written is our own failure (ERR_NOMEM, ERR_IO from the store,
 * ERR_TOOLARGE from a buffer): nothing fills `struct ddb_err` for it, and
 * the answer builder of ddb_server.c, the one place that does so, answers
 * InternalServerError (HTTP 500).
 */
#ifndef SLUICE_LOCAL_DDB_INT_H
#define SLUICE_LOCAL_DDB_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

/* Limits, as DynamoDB documents them. */
#define DDB_NUM_DIGITS	    38		 /* significant digits of a Number */
#define DDB_NUM_MIN_EXP	    (-129)	 /* 1E-130 = 0.1E-129 */
#define DDB_NUM_MAX_EXP	    126		 /* < 1E+126 */
#define DDB_NUM_MAX_TEXT    512		 /* characters of a number's text */
#define DDB_ITEM_MAX	    (400u << 10) /* bytes of an item, DynamoDB's way */
#define DDB_MAX_DEPTH	    32		 /* nesting of documents and paths */
#define DDB_EXPR_MAX	    4096	 /* bytes of one expression */
#define DDB_EXPR_MAX_NODES  300		 /* operators + operands of one expression */
#define DDB_EXPR_MAX_PATHS  300		 /* document paths of one expression */
#define DDB_EXPR_MAX_ELEMS  1024	 /* path elements of one expression */
#define DDB_KEY_MAX	    2048	 /* bytes of a partition key value */
#define DDB_SORT_KEY_MAX    1024	 /* bytes of a sort key value */
#define DDB_PAGE_MAX	    (1u << 20)	 /* bytes read by one Query/Scan page */
#define DDB_TXN_MAX	    100		 /* actions of one transaction */
#define DDB_BATCH_GET_MAX   100
#define DDB_BATCH_WRITE_MAX 25
#define DDB_TOKEN_TTL_MS    ((int64_t)10 * 60 * 1000) /* ClientRequestToken lifetime */
#define DDB_TABLE_NAME_MAX  255			      /* characters of a table or index name */

/*
 * Caps of the room's buffers, named after what they hold.
 *
 * Decoded bytes of one B value. No valid value is larger than an item, so
 * ddb_value_check() refuses anything bigger, and every later decoding of a
 * checked value fits.
 */
#define DDB_BINARY_MAX DDB_ITEM_MAX

/*
 * A message for the client: DynamoDB's own are short; longer ones (a list of
 * unused names, two long paths) are cut.
 */
#define DDB_ERR_MSG 512

/*
 * The DynamoDB error types a client can get for its mistakes, each with the
 * error code that ddb_fail() returns for it.
 */
enum ddb_err_kind {
	DDB_E_VALIDATION = 1,	 /* ValidationException: ERR_INVAL */
	DDB_E_SERIALIZATION,	 /* SerializationException: ERR_PARSE */
	DDB_E_UNKNOWN_OPERATION, /* UnknownOperationException: ERR_UNSUPPORTED */
	DDB_E_NOT_FOUND,	 /* ResourceNotFoundException: ERR_NOTFOUND */
	DDB_E_IN_USE,		 /* ResourceInUseException: ERR_EXISTS */
	DDB_E_CONDITION,	 /* ConditionalCheckFailedException: ERR_PRECONDITION */
	DDB_E_CANCELED,		 /* TransactionCanceledException: ERR_PRECONDITION */
	DDB_E_IDEMPOTENCY,	 /* IdempotentParameterMismatchException: ERR_EXISTS */
};

/* What a client did wrong, as it will read it. Zeroed: no error. */
struct ddb_err {
	const char *type; /* "ValidationException", ...; NULL: no client error */
	char msg[DDB_ERR_MSG];
	json_t *extra; /* more members of the answer (CancellationReasons, Item), owned */
};

/*
 * Fill `e` with the type of `kind` and the formatted message (cut to
 * DDB_ERR_MSG bytes) and return the error code of `kind` (never 0).
 */
int ddb_fail(struct ddb_err *e, enum ddb_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shorthand for a ValidationException: returns ERR_INVAL. */
int ddb_invalid(struct ddb_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The SerializationException DynamoDB answers for a member of the wrong
 * JSON type ("Unexpected value type in payload"): returns ERR_PARSE.
 */
int ddb_wrong_type(struct ddb_err *e);

/* ----- numbers (ddb_num.c) -----------------------------------------------
 * value = (neg ? -1 : 1) * 0.d[0]d[1]...d[n-1] * 10^exp, digits 0..9 with
 * d[0] != 0 and d[n-1] != 0 (normalised); zero is n == 0, neg false.
 */
struct ddb_num {
	bool neg;
	int exp;
	int n;
	uint8_t d[DDB_NUM_DIGITS];
};

/*
 * Parse DynamoDB number text ("-1.5E3", "0.10"): optional sign, digits
 * with an optional point, optional exponent; leading/trailing spaces are not
 * allowed. Returns 0, or ERR_INVAL with a ValidationException in `e`
 * (DynamoDB's message for bad text, more than 38 significant digits,
 * overflow or underflow).
 */
int ddb_num_parse(const char *s, size_t len, struct ddb_num *out /* OUT */, struct ddb_err *e);

/* -1, 0, 1 as a < b, a == b, a > b (exact). */
int ddb_num_cmp(const struct ddb_num *a, const struct ddb_num *b);

/* out = a + b (or a - b with `negate_b`), exact; ERR_INVAL with `e` when the
 * result needs more than 38 digits or leaves the range. */
int ddb_num_add(const struct ddb_num *a, const struct ddb_num *b, bool negate_b,
		struct ddb_num *out /* OUT */, struct ddb_err *e);

/*
 * Append the canonical text: plain notation, no exponent ("100", "-0.05"),
 * at most DDB_NUM_MAX_TEXT bytes. Returns 0 or the buffer's error (sticky:
 * `out` is marked as buf_put() would mark it).
 */
int ddb_num_format(const struct ddb_num *a, struct buf *out) BUF_CHECK;

/* Append bytes whose memcmp order is the numeric order (at most
 * DDB_NUM_DIGITS + 3 bytes). Returns 0 or the buffer's error, as above. */
int ddb_num_key(const struct ddb_num *a, struct buf *out) BUF_CHECK;

/* Set from a small integer. */
void ddb_num_from_u64(struct ddb_num *out, uint64_t v);

/* The DynamoDB storage size of a number in bytes (1 + digits/2, rounded up). */
size_t ddb_num_size(const struct ddb_num *a);

/* ----- attribute values and items (ddb_item.c) --------------------------- */

enum ddb_type {
	DDB_T_NONE = 0,
	DDB_T_S,
	DDB_T_N,
	DDB_T_B,
	DDB_T_BOOL,
	DDB_T_NULL,
	DDB_T_M,
	DDB_T_L,
	DDB_T_SS,
	DDB_T_NS,
	DDB_T_BS,
};

/* The type of a value in wire form; DDB_T_NONE for anything malformed. */
enum ddb_type ddb_type_of(const json_t *av);

/* "S", "N", ... for a type; "" for DDB_T_NONE. */
const char *ddb_type_name(enum ddb_type t);

/* The type named `name` ("SS"); DDB_T_NONE for NULL or any other text. */
enum ddb_type ddb_type_parse(const char *name);

/* The payload of a value: the string of S/N/B, the object of M, ... */
json_t *ddb_payload(const json_t *av);

/*
 * Validate one attribute value, nested `depth` levels deep, and normalise it
 * in place (numbers in canonical text, set elements checked for
 * duplicates). Returns 0, ERR_INVAL or ERR_PARSE with `e` filled
 * (ValidationException, SerializationException), or ERR_NOMEM.
 */
int ddb_value_check(json_t *av, int depth, struct ddb_err *e);

/* Validate every attribute of an item (an object name -> value), as above. */
int ddb_item_check(json_t *item, struct ddb_err *e);

/* The item's size as DynamoDB counts it. */
size_t ddb_item_size(const json_t *item);

/* The size of one value (without its name); for B the decoded length. */
size_t ddb_value_size(const json_t *av);

/* Equality as DynamoDB compares (numbers numerically, sets unordered). */
bool ddb_value_eq(const json_t *a, const json_t *b);

/*
 * Order two values of the same scalar type (S, N, B): *out is -1/0/1.
 * Returns false when they are not comparable (types differ or not S/N/B).
 * Both must be checked values (ddb_value_check()).
 */
bool ddb_value_cmp(const json_t *a, const json_t *b, int *out /* OUT */);

/* The number of a N value (must be valid: checked values only). */
void ddb_value_num(const json_t *av, struct ddb_num *out /* OUT */);

/* A new {"N": "<canonical>"} value, NULL on allocation failure. */
json_t *ddb_value_from_num(const struct ddb_num *n);

/*
 * Append the order-preserving key bytes of an S, N or B value. Returns 0,
 * ERR_INVAL for another type, ERR_PARSE for a B value that is not base64,
 * or the buffer's ERR_TOOLARGE / ERR_NOMEM (S and B leave `out` as it was;
 * N appends with buf_put*(), so `out` then carries the sticky error).
 */
int ddb_key_bytes(const json_t *av, struct buf *out) BUF_CHECK;

/* Decode base64 text of a B value into `out`: 0, ERR_PARSE when it is not
 * strict, padded base64, or the buffer's ERR_TOOLARGE / ERR_NOMEM. */
int ddb_b64(const char *s, size_t len, struct buf *out) BUF_CHECK;

/* ----- expressions (ddb_expr_parse.c, ddb_expr_eval.c) ------------------- */

enum ddb_node_kind {
	DN_PATH = 1,
	DN_VALUE,	  /* :name */
	DN_SIZE,	  /* size(path) */
	DN_IF_NOT_EXISTS, /* if_not_exists(path, operand) */
	DN_LIST_APPEND,	  /* list_append(a, b) */
	DN_PLUS,
	DN_MINUS,
	DN_CMP, /* a op b, op one of DC_* */
	DN_BETWEEN,
	DN_IN, /* a IN (list) */
	DN_AND,
	DN_OR,
	DN_NOT,
	DN_EXISTS,	/* attribute_exists(path) */
	DN_NOT_EXISTS,	/* attribute_not_exists(path) */
	DN_TYPE,	/* attribute_type(path, :t) */
	DN_BEGINS_WITH, /* begins_with(a, b) */
	DN_CONTAINS,	/* contains(a, b) */
};

enum ddb_cmp_op { DC_EQ = 1, DC_NE, DC_LT, DC_LE, DC_GT, DC_GE };

struct ddb_path_elem {
	struct str name; /* attribute name (after #name substitution), or... */
	long index;	 /* ...a list index when >= 0 */
};

/* `e` points into the owning struct ddb_expression's element pool. */
struct ddb_path {
	int n;
	struct ddb_path_elem *e;
};

struct ddb_node {
	enum ddb_node_kind kind;
	enum ddb_cmp_op op;
	struct ddb_node *a, *b, *c;
	struct ddb_node **list; /* IN operands */
	int nlist;
	struct ddb_path *path; /* DN_PATH */
	json_t *value;	       /* DN_VALUE: borrowed from ExpressionAttributeValues */
	struct str vname;      /* DN_VALUE: ":name" */
};

enum ddb_action { DA_SET = 1, DA_REMOVE, DA_ADD, DA_DELETE };

struct ddb_update_action {
	enum ddb_action kind;
	struct ddb_path *path;
	struct ddb_node *value; /* SET, ADD, DELETE */
};

/*
 * One parsed expression of any kind. Nodes, paths and names live in the
 * structure (or in the request's JSON it borrows from: `names`, `values`),
 * so it must not outlive the request.
 */
struct ddb_expression {
	json_t *names;	       /* ExpressionAttributeNames, borrowed, may be NULL */
	json_t *values;	       /* ExpressionAttributeValues, borrowed, may be NULL */
	json_t *used_names;    /* owned: names referenced so far (object as set) */
	json_t *used_values;   /* owned: values referenced so far */
	struct ddb_node *root; /* condition */
	struct ddb_update_action actions[DDB_EXPR_MAX_PATHS];
	int nactions;
	struct ddb_path *proj[DDB_EXPR_MAX_PATHS]; /* projection */
	int nproj;
	struct ddb_node nodes[DDB_EXPR_MAX_NODES];
	int nnodes;
	struct ddb_path paths[DDB_EXPR_MAX_PATHS];
	int npaths;
	struct ddb_path_elem elems[DDB_EXPR_MAX_ELEMS];
	int nelems;
	struct ddb_node *lists[DDB_EXPR_MAX_NODES]; /* storage for IN lists */
	int nlists;
};

/*
 * Prepare `x` for parsing with the request's names and values (borrowed;
 * either may be NULL). Returns 0 or ERR_NOMEM. Release with
 * ddb_expr_release() (also after a failed parse). In ddb_expr_parse.c.
 */
int ddb_expr_init(struct ddb_expression *x, json_t *names, json_t *values);
void ddb_expr_release(struct ddb_expression *x);

/* ----- parsing (ddb_expr_parse.c) ----------------------------------------
 * Parse a condition (ConditionExpression, FilterExpression,
 * KeyConditionExpression), an update expression, or a projection into `x`.
 * `what` names the parameter in messages ("ConditionExpression"). Returns 0,
 * ERR_INVAL with a ValidationException in `e` ("Invalid ConditionExpression:
 * Syntax error; token: ..."), or ERR_NOMEM. Each may be called once per `x`.
 */
int ddb_expr_parse_condition(struct ddb_expression *x, const char *text, size_t len,
			     const char *what, struct ddb_err *e);
int ddb_expr_parse_update(struct ddb_expression *x, const char *text, size_t len,
			  struct ddb_err *e);
int ddb_expr_parse_projection(struct ddb_expression *x, const char *text, size_t len,
			      struct ddb_err *e);

/*
 * Check that every name and value given was used by the expressions parsed
 * with the same `x` (DynamoDB rejects unused ones). 0, ERR_INVAL with `e`
 * naming the unused ones, or ERR_NOMEM.
 */
int ddb_expr_check_unused(struct ddb_expression *x, struct ddb_err *e);

/*
 * Append the text of a path for messages ("a.b[1]") with buf_put*(): check
 * buf_error(out) after. A path longer than the cap of `out` is cut after
 * the last element that fits.
 */
void ddb_path_text(const struct ddb_path *p, struct buf *out);

/* ----- evaluation (ddb_expr_eval.c) --------------------------------------- */

/*
 * Evaluate the condition node `n` of `x` on `item` (NULL: no item); *out the
 * truth. Returns 0, ERR_INVAL with `e` (a type error DynamoDB reports at
 * evaluation, e.g. a bad attribute_type name), or ERR_NOMEM.
 */
int ddb_expr_eval(const struct ddb_expression *x, const struct ddb_node *n, const json_t *item,
		  bool *out /* OUT */, struct ddb_err *e);

/* The value at `path` in `item` (borrowed), or NULL. */
json_t *ddb_path_get(const json_t *item, const struct ddb_path *path);

/*
 * Apply the parsed update to `item` (modified in place; the values are
 * computed on `old`, the item before the update, as DynamoDB does).
 * Returns 0, ERR_INVAL with `e` (a bad path or operand type, a number out
 * of range), or ERR_NOMEM (`item` then half updated: throw it away).
 */
int ddb_expr_apply_update(const struct ddb_expression *x, const json_t *old, json_t *item,
			  struct ddb_err *e);

/* A new item holding only `paths` of `item` (a projection; an empty object
 * for a NULL item). NULL on allocation failure. */
json_t *ddb_project(const json_t *item, struct ddb_path *const *paths, int npaths);

/* ----- storage (ddb_store.c) ----------------------------------------------
 * Every function returns 0, ERR_IO (SQLite failed, or a stored row does not
 * parse; logged) or ERR_NOMEM; none fills a struct ddb_err: a failing store
 * is never the client's mistake.
 */

struct ddb_store;

/* Open (creating when missing) the SQLite file at `path` with its schema;
 * ERR_INVAL for a NULL path. Close with ddb_store_close() (NULL: no-op). */
int ddb_store_open(const char *path, struct ddb_store **out /* OUT */);
void ddb_store_close(struct ddb_store *st);

/* Transactions: every write op runs inside begin/commit; rollback on error. */
int ddb_store_begin(struct ddb_store *st);
int ddb_store_commit(struct ddb_store *st);
void ddb_store_rollback(struct ddb_store *st);

/*
 * Group commit: between group_begin and group_commit, begin/commit/rollback
 * become savepoints inside one transaction, so that many operations share
 * one commit (one fsync). group_commit rolls everything back on failure.
 */
int ddb_store_group_begin(struct ddb_store *st);
int ddb_store_group_commit(struct ddb_store *st);

/*
 * PRAGMA synchronous: FULL when `full` (the WAL is fsync'd at every commit:
 * survives a power loss), else NORMAL (fsync only at checkpoints: a commit
 * still reaches the OS before it returns, so a killed process loses
 * nothing; a power loss may lose the last commits). Not inside a
 * transaction. Returns 0 or ERR_IO.
 */
int ddb_store_set_synchronous(struct ddb_store *st, bool full);

/* Table metadata, the TableDescription JSON. get: *out new ref or NULL. */
int ddb_store_table_get(struct ddb_store *st, const char *name, json_t **out /* OUT */);
int ddb_store_table_put(struct ddb_store *st, const char *name, const json_t *desc);
/* Deletes the table, its items and index entries. */
int ddb_store_table_delete(struct ddb_store *st, const char *name);
/* Names in order, after `start` (may be NULL), at most `limit`; *more set
 * when more exist. *out a new JSON array. */
int ddb_store_table_list(struct ddb_store *st, const char *start, int limit, json_t **out,
			 bool *more);
/* Item count and total size of a table. */
int ddb_store_table_stats(struct ddb_store *st, const char *name, int64_t *count, int64_t *bytes);

/* Items: *out new ref or NULL when absent. */
int ddb_store_item_get(struct ddb_store *st, const char *table, const struct buf *pk,
		       const struct buf *sk, json_t **out /* OUT */);
int ddb_store_item_put(struct ddb_store *st, const char *table, const struct buf *pk,
		       const struct buf *sk, const json_t *item, size_t size);
int ddb_store_item_delete(struct ddb_store *st, const char *table, const struct buf *pk,
			  const struct buf *sk);

/* Index entries (one per item that carries the index's key attributes). */
int ddb_store_index_put(struct ddb_store *st, const char *table, const char *index,
			const struct buf *ipk, const struct buf *isk, const struct buf *pk,
			const struct buf *sk);
int ddb_store_index_delete(struct ddb_store *st, const char *table, const struct buf *pk,
			   const struct buf *sk);

/* A range read for Query and Scan. */
struct ddb_range {
	const char *table;
	const char *index;    /* NULL: the table itself */
	const struct buf *pk; /* NULL: Scan (every partition) */
	const struct buf *lo; /* sort key bounds (NULL: open) */
	bool lo_incl;
	const struct buf *hi;
	bool hi_incl;
	const struct buf *prefix; /* begins_with on the sort key */
	bool forward;
	/* Exclusive start, in the order of the read: for the table (pk, sk);
	 * for an index (ipk, isk, pk, sk). NULL members: no start. */
	const struct buf *start[4];
};

/* Called per row with `item` borrowed and the row's key bytes: return 1 to
 * stop, 0 to go on, or an error code to stop with (ddb_store_range()
 * returns it). */
typedef int (*ddb_row_fn)(void *arg, json_t *item, const struct buf *keys /* [4] */);

/* Read the rows of `r` in order, calling `fn` for each, until it stops. */
int ddb_store_range(struct ddb_store *st, const struct ddb_range *r, ddb_row_fn fn, void *arg);

/* Idempotency tokens of TransactWriteItems. *digest_out NULL if none fresh. */
int ddb_store_token_get(struct ddb_store *st, const char *token, int64_t now_ms,
			char **digest_out /* OUT, malloc'd */);
int ddb_store_token_put(struct ddb_store *st, const char *token, const char *digest,
			int64_t now_ms);

/* ----- tables (ddb_table.c) ---------------------------------------------- */

#define DDB_MAX_INDEXES 20 /* global secondary indexes of one table */

struct ddb_key_schema {
	const char *hash, *range; /* attribute names; range NULL when none */
	enum ddb_type htype, rtype;
};

struct ddb_index {
	const char *name;
	struct ddb_key_schema key;
	const char *projection; /* "ALL", "KEYS_ONLY", "INCLUDE" */
	json_t *non_key;	/* INCLUDE: NonKeyAttributes (borrowed from desc) */
};

/* A table's schema, read from its stored TableDescription; every string
 * points into `desc`. */
struct ddb_table {
	json_t *desc; /* owned */
	const char *name;
	struct ddb_key_schema key;
	int nindexes;
	struct ddb_index indexes[DDB_MAX_INDEXES];
};

struct ddb_pending;

struct ddb_server {
	struct ddb_store *st;
	struct event *flush_ev;	  /* group commit; NULL without an event base */
	struct ddb_pending *head; /* answers waiting for the group's commit */
	struct ddb_pending **tail;
	size_t npending;
};

/*
 * Load the table named by the request member `name` (a JSON string) into
 * `t`. Returns 0, ERR_INVAL (`name` not a string: ValidationException),
 * ERR_NOTFOUND (no such table: ResourceNotFoundException), ERR_IO (store
 * failure, or a stored description that does not read), ERR_NOMEM.
 * Release `t` after, whatever the result.
 */
int ddb_table_load(struct ddb_server *s, const json_t *name, struct ddb_table *t,
		   struct ddb_err *e);
void ddb_table_release(struct ddb_table *t);

/* The index of `t` called `name`, or NULL (also for a NULL name). */
const struct ddb_index *ddb_table_index(const struct ddb_table *t, const char *name);

/* ----- keys (ddb_key.c) ----------------------------------------------------
 * Key buffers are initialised with these caps: a key attribute's bytes may
 * not pass them (DynamoDB's limits), so a larger one is the client's
 * mistake, reported as DynamoDB reports it.
 */
#define DDB_PK_BUF DDB_KEY_MAX
#define DDB_SK_BUF DDB_SORT_KEY_MAX

/*
 * Key bytes of `item` under `ks` into `pk` and `sk` (emptied first; `sk`
 * stays empty without a sort key). `exact`: `item` is a Key parameter and
 * must hold the key attributes and nothing else. `index` names the index
 * whose key this is in messages (NULL: the table's). Returns 0, ERR_INVAL
 * with a ValidationException (a key attribute missing, of the wrong type,
 * empty or too large), or ERR_NOMEM.
 */
int ddb_item_key(const struct ddb_key_schema *ks, const json_t *item, bool exact, const char *index,
		 struct buf *pk, struct buf *sk, struct ddb_err *e);

/*
 * The key of `item` in the global secondary index `ix`, as ddb_item_key().
 * Indexes are sparse: an item without the index's key attributes is not in
 * it, and *in_index is then false (with 0 returned); a key attribute of the
 * wrong type is still the client's mistake.
 */
int ddb_index_key(const struct ddb_index *ix, const json_t *item, struct buf *ipk, struct buf *isk,
		  bool *in_index /* OUT */, struct ddb_err *e);

/* A new object with only the key attributes of `item` under `ks`; NULL on
 * allocation failure. */
json_t *ddb_key_of(const struct ddb_key_schema *ks, const json_t *item);

/*
 * Store `item` (NULL: delete) at (pk, sk) in table `t`, rewriting its index
 * entries, inside the caller's transaction. Returns 0, ERR_INVAL with `e`
 * when an index key attribute of `item` is invalid (an update can make it
 * so; the caller rolls back), ERR_IO, ERR_NOMEM.
 */
int ddb_write(struct ddb_server *s, const struct ddb_table *t, const struct buf *pk,
	      const struct buf *sk, const json_t *item, struct ddb_err *e);

/* ----- operations (ddb_table.c, ddb_ops.c, ddb_query.c) -------------------- */

/*
 * A new struct ddb_expression for a request: checks its ExpressionAttributeValues
 * (validated and normalised in place) and rejects the legacy parameters
 * (Expected, AttributesToGet, ...) this endpoint does not implement.
 * Returns 0 and *out, or an error (client's with `e`, or ERR_NOMEM).
 * Free with ddb_expr_free() (NULL is a no-op).
 */
int ddb_expr_new_for(json_t *req, struct ddb_expression **out /* OUT */, struct ddb_err *e);
void ddb_expr_free(struct ddb_expression *x);

/* Parse the optional string parameter `param` of `req` as a condition (or
 * projection with `projection`) into `x`. 0 when absent. */
int ddb_parse_param(struct ddb_expression *x, const json_t *req, const char *param, bool projection,
		    struct ddb_err *e);

/*
 * The operations, one per X-Amz-Target name. Each reads `req` (the request
 * object, which it may normalise in place) and returns 0 with *resp a new
 * answer object (NULL meaning the answer could not be allocated), or an
 * error code as the room's convention says.
 */
typedef int (*ddb_op_fn)(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_create_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_describe_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_delete_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_list_tables(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_put_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_get_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_delete_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_update_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_query(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_scan(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_batch_get(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_batch_write(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_transact_write(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);
int ddb_op_transact_get(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e);

#endif
