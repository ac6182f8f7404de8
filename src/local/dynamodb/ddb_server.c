/*
 * The front of the local DynamoDB server (see ddb_server.h): a request comes
 * in as an X-Amz-Target and a JSON body, is dispatched to its operation, and
 * leaves as one JSON answer. The room's error convention ends here:
 * ddb_fail() writes what the client did wrong, and answer() is the one place
 * where a failure of ours (an error code with no client error written)
 * becomes InternalServerError, so an out-of-memory or a failing disk can
 * never reach a client as a 400 or as a truncated 200.
 *
 * Group commit lives here too: with an event base, the requests of one
 * event-loop turn run inside one SQLite transaction, and their answers wait
 * for its commit, because an answered write must already be on disk.
 */
#include "core/common.h"

#include <event2/event.h>

#include "core/json.h"
#include "core/log.h"
#include "local/dynamodb/ddb_int.h"
#include "local/dynamodb/ddb_server.h"

#define ERR_PREFIX   "com.amazonaws.dynamodb.v20120810#"
#define CORAL_PREFIX "com.amazon.coral.service#"

/* The whole answer to a failure of ours; no allocation is needed to build it. */
#define INTERNAL_ANSWER \
	"{\"__type\":\"" ERR_PREFIX "InternalServerError\",\"message\":\"Internal server error\"}"

/* ----- errors ---------------------------------------------------------------- */

static const struct {
	const char *type;
	int err;
	bool coral; /* answered with the service framework's prefix, as DynamoDB does */
} kinds[] = {
	[DDB_E_VALIDATION] = {"ValidationException", ERR_INVAL, false},
	[DDB_E_SERIALIZATION] = {"SerializationException", ERR_PARSE, true},
	[DDB_E_UNKNOWN_OPERATION] = {"UnknownOperationException", ERR_UNSUPPORTED, true},
	[DDB_E_NOT_FOUND] = {"ResourceNotFoundException", ERR_NOTFOUND, false},
	[DDB_E_IN_USE] = {"ResourceInUseException", ERR_EXISTS, false},
	[DDB_E_CONDITION] = {"ConditionalCheckFailedException", ERR_PRECONDITION, false},
	[DDB_E_CANCELED] = {"TransactionCanceledException", ERR_PRECONDITION, false},
	[DDB_E_IDEMPOTENCY] = {"IdempotentParameterMismatchException", ERR_EXISTS, false},
};

__attribute__((format(printf, 3, 0))) static int vfail(struct ddb_err *e, enum ddb_err_kind kind,
						       const char *fmt, va_list ap)
{
	e->type = kinds[kind].type;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return kinds[kind].err;
}

int ddb_fail(struct ddb_err *e, enum ddb_err_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = vfail(e, kind, fmt, ap);
	va_end(ap);
	return err;
}

int ddb_invalid(struct ddb_err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = vfail(e, DDB_E_VALIDATION, fmt, ap);
	va_end(ap);
	return err;
}

int ddb_wrong_type(struct ddb_err *e)
{
	return ddb_fail(e, DDB_E_SERIALIZATION, "Unexpected value type in payload");
}

/* The client's error as DynamoDB shapes it: {"__type":..., "message":..., extra}. */
static int client_error(const struct ddb_err *e, struct buf *out)
{
	bool coral = e->type == kinds[DDB_E_SERIALIZATION].type ||
		     e->type == kinds[DDB_E_UNKNOWN_OPERATION].type;
	char type[128];
	int err;
	snprintf(type, sizeof(type), "%s%s", coral ? CORAL_PREFIX : ERR_PREFIX, e->type);
	json_t *j = json_pack("{s:s,s:s}", "__type", type, "message", e->msg);
	if (!j || (e->extra && json_object_update(j, e->extra)))
		err = ERR_NOMEM;
	else
		err = jsonx_dump(j, out, 0);
	json_decref(j);
	return err;
}

/*
 * Append the answer to an operation that returned `err` with `e` (the
 * client's error) and `resp` (its answer on success) to `out`, and set
 * *status: 200, 400 for the client's mistakes, 500 for ours. The one place
 * where InternalServerError is made. `op` names the operation in the log.
 */
static void answer(const char *op, int err, const struct ddb_err *e, const json_t *resp,
		   int *status, struct buf *out)
{
	if (!err && !resp)
		err = ERR_NOMEM; /* the operation could not allocate its answer */
	if (!err && !(err = jsonx_dump(resp, out, 0))) {
		*status = 200;
		return;
	}
	bool ours = !e->type || err == ERR_NOMEM || err == ERR_IO;
	if (!ours && !(err = client_error(e, out))) {
		*status = 400;
		return;
	}
	log_msg(LVL_ERROR, "dynamodb: %s: internal error: %s", op, err_str(err));
	*status = 500;
	if (buf_adds(out, INTERNAL_ANSWER))
		log_msg(LVL_ERROR, "dynamodb: %s: the error answer did not fit either", op);
}

/* ----- dispatch ------------------------------------------------------------- */

static const struct {
	const char *name;
	ddb_op_fn fn;
} ops[] = {
	{"CreateTable", ddb_op_create_table},
	{"DescribeTable", ddb_op_describe_table},
	{"DeleteTable", ddb_op_delete_table},
	{"ListTables", ddb_op_list_tables},
	{"PutItem", ddb_op_put_item},
	{"GetItem", ddb_op_get_item},
	{"DeleteItem", ddb_op_delete_item},
	{"UpdateItem", ddb_op_update_item},
	{"Query", ddb_op_query},
	{"Scan", ddb_op_scan},
	{"BatchGetItem", ddb_op_batch_get},
	{"BatchWriteItem", ddb_op_batch_write},
	{"TransactWriteItems", ddb_op_transact_write},
	{"TransactGetItems", ddb_op_transact_get},
};

/* Real DynamoDB operations this endpoint does not implement. */
static const char *const unsupported[] = {
	"UpdateTable",
	"DescribeTimeToLive",
	"UpdateTimeToLive",
	"ExecuteStatement",
	"BatchExecuteStatement",
	"ExecuteTransaction",
	"CreateBackup",
	"DeleteBackup",
	"DescribeBackup",
	"ListBackups",
	"RestoreTableFromBackup",
	"RestoreTableToPointInTime",
	"DescribeContinuousBackups",
	"UpdateContinuousBackups",
	"CreateGlobalTable",
	"DescribeGlobalTable",
	"ListGlobalTables",
	"UpdateGlobalTable",
	"TagResource",
	"UntagResource",
	"ListTagsOfResource",
	"DescribeLimits",
	"DescribeEndpoints",
	"ExportTableToPointInTime",
	"ImportTable",
	"DescribeKinesisStreamingDestination",
	"EnableKinesisStreamingDestination",
	"DisableKinesisStreamingDestination",
	"DescribeContributorInsights",
	"UpdateContributorInsights",
	"ListContributorInsights",
	"GetResourcePolicy",
	"PutResourcePolicy",
	"DeleteResourcePolicy",
};

/* The operation of `op` (a bare name), or the client's error. */
static int find_op(const char *op, ddb_op_fn *fn, struct ddb_err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!strcmp(op, ops[i].name)) {
			*fn = ops[i].fn;
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		if (!strcmp(op, unsupported[i]))
			return ddb_invalid(e,
					   "The operation %s is not supported by the local "
					   "DynamoDB endpoint",
					   op);
	return ddb_fail(e, DDB_E_UNKNOWN_OPERATION, "%s", "");
}

/* The request object of `body`: a SerializationException unless it is one. */
static int read_request(const char *body, size_t len, json_t **req, struct ddb_err *e)
{
	json_error_t jerr;
	if (len > DDB_MAX_REQUEST)
		return ddb_fail(e, DDB_E_SERIALIZATION, "Request body is too large");
	*req = body ? json_loadb(body, len, JSON_ALLOW_NUL, &jerr) : NULL;
	if (!*req && body && json_error_code(&jerr) == json_error_out_of_memory)
		return ERR_NOMEM;
	if (!json_is_object(*req))
		return ddb_fail(e, DDB_E_SERIALIZATION,
				"Start of structure or map found where not expected");
	return 0;
}

void ddb_server_handle(struct ddb_server *s, const char *target, const char *body, size_t len,
		       int *status, struct buf *response)
{
	struct ddb_err e = {0};
	json_t *req = NULL, *resp = NULL;
	ddb_op_fn fn = NULL;
	const char *op = target ? target : "";
	if (!strncmp(op, DDB_TARGET_PREFIX, strlen(DDB_TARGET_PREFIX)))
		op += strlen(DDB_TARGET_PREFIX);
	int err = find_op(op, &fn, &e);
	if (!err)
		err = read_request(body, len, &req, &e);
	if (!err)
		err = fn(s, req, &resp, &e);
	answer(op, err, &e, resp, status, response);
	json_decref(e.extra);
	json_decref(req);
	json_decref(resp);
}

/* ----- group commit --------------------------------------------------------- */

struct ddb_pending {
	struct ddb_pending *next;
	int status;
	struct buf resp; /* capped at DDB_MAX_ANSWER */
	ddb_done_fn done;
	void *arg;
};

void ddb_server_flush(struct ddb_server *s)
{
	struct ddb_pending *p = s->head, *next;
	int err = ddb_store_group_commit(s->st);
	s->head = NULL;
	s->tail = &s->head;
	s->npending = 0;
	for (; p; p = next) {
		next = p->next;
		if (err) {
			/* Nothing of the group was written: no answer may say otherwise. */
			struct ddb_err none = {0};
			buf_reset(&p->resp);
			answer("group commit", err, &none, NULL, &p->status, &p->resp);
		}
		p->done(p->arg, p->status, &p->resp);
		buf_release(&p->resp);
		free(p);
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	ddb_server_flush(arg);
}

int ddb_server_use_event_base(struct ddb_server *s, struct event_base *base)
{
	if (!s || !base)
		return ERR_INVAL;
	if (s->flush_ev)
		return 0;
	s->flush_ev = evtimer_new(base, on_flush, s);
	return s->flush_ev ? 0 : ERR_NOMEM;
}

/* Answer at once that there is no memory for the request. */
static void submit_nomem(ddb_done_fn done, void *arg)
{
	struct ddb_err none = {0};
	struct buf b;
	int status;
	buf_init(&b, DDB_MAX_ANSWER);
	answer("submit", ERR_NOMEM, &none, NULL, &status, &b);
	done(arg, status, &b);
	buf_release(&b);
}

void ddb_server_submit(struct ddb_server *s, const char *target, const char *body, size_t len,
		       ddb_done_fn done, void *arg)
{
	struct ddb_pending *p = calloc(1, sizeof(*p));
	static const struct timeval now = {0, 0};
	if (!p) {
		submit_nomem(done, arg);
		return;
	}
	buf_init(&p->resp, DDB_MAX_ANSWER);
	p->done = done;
	p->arg = arg;
	/* The first request of a turn opens the group and schedules its commit. */
	bool grouped = s->flush_ev && (s->head || !ddb_store_group_begin(s->st));
	if (grouped && !s->head)
		evtimer_add(s->flush_ev, &now);
	ddb_server_handle(s, target, body, len, &p->status, &p->resp);
	*s->tail = p;
	s->tail = &p->next;
	if (!grouped || ++s->npending >= DDB_GROUP_MAX) {
		if (s->flush_ev)
			evtimer_del(s->flush_ev);
		ddb_server_flush(s);
	}
}

/* ----- lifecycle ------------------------------------------------------------ */

int ddb_server_new(const char *sqlite_path, struct ddb_server **out)
{
	struct ddb_server *s;
	int err;
	if (!out)
		return ERR_INVAL;
	*out = NULL;
	if (!sqlite_path)
		return ERR_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	if ((err = ddb_store_open(sqlite_path, &s->st))) {
		free(s);
		return err;
	}
	s->tail = &s->head;
	*out = s;
	return 0;
}

int ddb_server_set_fsync(struct ddb_server *s, bool on)
{
	if (!s)
		return ERR_INVAL;
	ddb_server_flush(s);
	return ddb_store_set_synchronous(s->st, on);
}

void ddb_server_free(struct ddb_server *s)
{
	if (!s)
		return;
	ddb_server_flush(s);
	if (s->flush_ev)
		event_free(s->flush_ev);
	ddb_store_close(s->st);
	free(s);
}
