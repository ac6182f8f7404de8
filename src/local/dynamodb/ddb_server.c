/*
 * The local DynamoDB server (see dynamodb.h): request decoding and dispatch,
 * error answers in DynamoDB's shape, the table operations (CreateTable,
 * DescribeTable, ListTables, DeleteTable) and the helpers every item
 * operation shares: table schema loading, key extraction and validation,
 * and writes that keep global secondary index entries in step.
 */
#include "core/common.h"

#include <event2/event.h>

#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "local/dynamodb/ddb_int.h"
#include "local/dynamodb/ddb_server.h"

#define ERR_PREFIX	"com.amazonaws.dynamodb.v20120810#"
#define CORAL_PREFIX	"com.amazon.coral.service#"
#define LOCAL_REGION	"us-east-1"
#define TABLE_NAME_MIN	3
#define TABLE_NAME_MAX	255
#define LIST_TABLES_MAX 100

int ddb_internal(struct ddb_err *e)
{
	return ddb_fail(e, "InternalServerError", "Internal server error: storage failure");
}

/* ----- schema ------------------------------------------------------------- */

static int read_key_schema(const json_t *ks, const json_t *defs, struct ddb_key_schema *out)
{
	size_t i;
	json_t *el;
	memset(out, 0, sizeof(*out));
	json_array_foreach(ks, i, el)
	{
		const char *name = json_string_value(json_object_get(el, "AttributeName"));
		const char *type = json_string_value(json_object_get(el, "KeyType"));
		enum ddb_type t = DDB_T_NONE;
		size_t j;
		json_t *d;
		json_array_foreach(
			defs, j,
			d) if (name &&
			       !strcmp(name, json_string_value(json_object_get(d, "AttributeName"))
						     ?: "")) t =
			ddb_type_parse(json_string_value(json_object_get(d, "AttributeType")));
		if (!name || !type || t == DDB_T_NONE)
			return -1;
		if (!strcmp(type, "HASH") && i == 0) {
			out->hash = name;
			out->htype = t;
		} else if (!strcmp(type, "RANGE") && i == 1) {
			out->range = name;
			out->rtype = t;
		} else {
			return -1;
		}
	}
	return out->hash ? 0 : -1;
}

static int table_from_desc(json_t *desc, struct ddb_table *t)
{
	json_t *defs = json_object_get(desc, "AttributeDefinitions"), *g;
	size_t i;
	memset(t, 0, sizeof(*t));
	t->desc = desc;
	t->name = json_string_value(json_object_get(desc, "TableName"));
	if (!t->name || read_key_schema(json_object_get(desc, "KeySchema"), defs, &t->key))
		return -1;
	json_array_foreach(json_object_get(desc, "GlobalSecondaryIndexes"), i, g)
	{
		struct ddb_index *ix;
		if (t->nindexes >= DDB_MAX_INDEXES)
			return -1;
		ix = &t->indexes[t->nindexes++];
		ix->name = json_string_value(json_object_get(g, "IndexName"));
		json_t *proj = json_object_get(g, "Projection");
		ix->projection = json_string_value(json_object_get(proj, "ProjectionType"));
		ix->non_key = json_object_get(proj, "NonKeyAttributes");
		if (!ix->projection)
			ix->projection = "ALL";
		if (!ix->name || read_key_schema(json_object_get(g, "KeySchema"), defs, &ix->key))
			return -1;
	}
	return 0;
}

int ddb_table_load(struct ddb_server *s, const json_t *name, struct ddb_table *t, struct ddb_err *e)
{
	json_t *desc = NULL;
	memset(t, 0, sizeof(*t));
	if (!json_is_string(name))
		return ddb_invalid(e, "1 validation error detected: Value null at 'tableName' "
				      "failed to satisfy constraint: Member must not be null");
	if (ddb_store_table_get(s->st, json_string_value(name), &desc))
		return ddb_internal(e);
	if (!desc)
		return ddb_fail(e, "ResourceNotFoundException", "Requested resource not found");
	if (table_from_desc(desc, t)) {
		json_decref(desc);
		t->desc = NULL;
		return ddb_internal(e);
	}
	return 0;
}

void ddb_table_release(struct ddb_table *t)
{
	json_decref(t->desc);
	t->desc = NULL;
}

const struct ddb_index *ddb_table_index(const struct ddb_table *t, const char *name)
{
	for (int i = 0; name && i < t->nindexes; i++)
		if (!strcmp(t->indexes[i].name, name))
			return &t->indexes[i];
	return NULL;
}

/* ----- keys ----------------------------------------------------------------- */

static int one_key(const char *attr, enum ddb_type want, const json_t *item, bool exact,
		   bool sparse, const char *index, size_t max, struct buf *out, struct ddb_err *e)
{
	json_t *v = json_object_get(item, attr);
	enum ddb_type t = ddb_type_of(v);
	if (!v) {
		if (sparse)
			return 1;
		if (exact)
			return ddb_invalid(e, "The provided key element does not match the schema");
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Missing the key "
				   "%s in the item",
				   attr);
	}
	if (t != want) {
		if (exact)
			return ddb_invalid(e, "The provided key element does not match the schema");
		if (index)
			return ddb_invalid(e,
					   "One or more parameter values were invalid: Type "
					   "mismatch for Index Key %s Expected: %s Actual: %s "
					   "IndexName: %s",
					   attr, ddb_type_name(want), ddb_type_name(t), index);
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Type mismatch "
				   "for key %s expected: %s actual: %s",
				   attr, ddb_type_name(want), ddb_type_name(t));
	}
	buf_reset(out);
	if (ddb_key_bytes(v, out))
		return ddb_internal(e);
	if (out->len == 0) {
		if (index)
			return ddb_invalid(e,
					   "One or more parameter values are not valid. A value "
					   "specified for a secondary index key is not "
					   "supported. The AttributeValue for a key attribute "
					   "cannot contain an empty string value. IndexName: %s, "
					   "IndexKey: %s",
					   index, attr);
		return ddb_invalid(e,
				   "One or more parameter values are not valid. The "
				   "AttributeValue for a key attribute cannot contain an empty "
				   "%s value. Key: %s",
				   want == DDB_T_B ? "binary" : "string", attr);
	}
	if (out->len > max)
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Size of %s has "
				   "exceeded the maximum size limit of%zu bytes",
				   max == DDB_KEY_MAX ? "hashkey" : "rangekey", max);
	return 0;
}

int ddb_item_key(const struct ddb_key_schema *ks, const json_t *item, bool exact, bool sparse,
		 const char *index, struct buf *pk, struct buf *sk, struct ddb_err *e)
{
	int rc;
	if (!json_is_object(item))
		return ddb_invalid(e, "The provided key element does not match the schema");
	if (exact && json_object_size(item) != (ks->range ? 2u : 1u))
		return ddb_invalid(e, "The provided key element does not match the schema");
	rc = one_key(ks->hash, ks->htype, item, exact, sparse, index, DDB_KEY_MAX, pk, e);
	if (rc)
		return rc;
	buf_reset(sk);
	if (ks->range)
		rc = one_key(ks->range, ks->rtype, item, exact, sparse, index, DDB_SORT_KEY_MAX, sk,
			     e);
	return rc;
}

json_t *ddb_key_of(const struct ddb_key_schema *ks, const json_t *item)
{
	json_t *k = json_object();
	if (!k)
		return NULL;
	json_object_set(k, ks->hash, json_object_get(item, ks->hash));
	if (ks->range)
		json_object_set(k, ks->range, json_object_get(item, ks->range));
	return k;
}

int ddb_write(struct ddb_server *s, const struct ddb_table *t, const struct buf *pk,
	      const struct buf *sk, const json_t *item, struct ddb_err *e)
{
	struct buf ipk, isk;
	int rc = 0;
	if (t->nindexes && ddb_store_index_delete(s->st, t->name, pk, sk))
		return ddb_internal(e);
	if (!item)
		return ddb_store_item_delete(s->st, t->name, pk, sk) ? ddb_internal(e) : 0;
	if (ddb_store_item_put(s->st, t->name, pk, sk, item, ddb_item_size(item)))
		return ddb_internal(e);
	buf_init(&ipk, BUF_NOCAP);
	buf_init(&isk, BUF_NOCAP);
	for (int i = 0; !rc && i < t->nindexes; i++) {
		const struct ddb_index *ix = &t->indexes[i];
		rc = ddb_item_key(&ix->key, item, false, true, ix->name, &ipk, &isk, e);
		if (rc == 1) {
			rc = 0; /* sparse: the item is not in this index */
			continue;
		}
		if (!rc && ddb_store_index_put(s->st, t->name, ix->name, &ipk, &isk, pk, sk))
			rc = ddb_internal(e);
	}
	buf_release(&ipk);
	buf_release(&isk);
	return rc;
}

/* ----- table operations ------------------------------------------------- */

static bool valid_table_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len < TABLE_NAME_MIN || len > TABLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    n[i]))
			return false;
	return true;
}

static int check_table_name(const json_t *name, struct ddb_err *e)
{
	const char *n = json_string_value(name);
	if (!n)
		return ddb_invalid(e, "1 validation error detected: Value null at 'tableName' "
				      "failed to satisfy constraint: Member must not be null");
	if (!valid_table_name(n))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%.64s' at 'tableName' "
				   "failed to satisfy constraint: Member must satisfy regular "
				   "expression pattern: [a-zA-Z0-9_.-]+ and have length "
				   "between 3 and 255",
				   n);
	return 0;
}

/* Names used as keys by the table and its indexes must all be defined,
 * and every definition must be used. */
static int check_definitions(const json_t *req, struct ddb_err *e)
{
	json_t *defs = json_object_get(req, "AttributeDefinitions"), *used = json_object(), *d;
	json_t *g, *k;
	size_t i, j;
	int rc = 0;
	json_array_foreach(json_object_get(req, "KeySchema"), i, k) json_object_set(
		used, json_string_value(json_object_get(k, "AttributeName")) ?: "", json_true());
	json_array_foreach(json_object_get(req, "GlobalSecondaryIndexes"), j,
			   g) json_array_foreach(json_object_get(g, "KeySchema"), i, k)
		json_object_set(used, json_string_value(json_object_get(k, "AttributeName")) ?: "",
				json_true());
	json_array_foreach(defs, i, d)
	{
		const char *n = json_string_value(json_object_get(d, "AttributeName"));
		const char *t = json_string_value(json_object_get(d, "AttributeType"));
		if (!n || !t || (strcmp(t, "S") && strcmp(t, "N") && strcmp(t, "B"))) {
			rc = ddb_invalid(e, "One or more parameter values were invalid: Invalid "
					    "AttributeDefinitions");
			break;
		}
		if (!json_object_get(used, n)) {
			rc = ddb_invalid(e,
					 "One or more parameter values were invalid: Some "
					 "AttributeDefinitions are not used. "
					 "AttributeDefinitions: %s",
					 n);
			break;
		}
		json_object_del(used, n);
	}
	if (!rc && json_object_size(used))
		rc = ddb_invalid(e,
				 "One or more parameter values were invalid: Some index key "
				 "attributes are not defined in AttributeDefinitions. Keys: [%s]",
				 json_object_iter_key(json_object_iter(used)));
	json_decref(used);
	return rc;
}

static json_t *throughput(const json_t *req)
{
	json_t *pt = json_object_get(req, "ProvisionedThroughput");
	return json_pack("{s:i,s:I,s:I}", "NumberOfDecreasesToday", 0, "ReadCapacityUnits",
			 json_integer_value(json_object_get(pt, "ReadCapacityUnits")),
			 "WriteCapacityUnits",
			 json_integer_value(json_object_get(pt, "WriteCapacityUnits")));
}

static int check_billing(const json_t *req, const char *mode, struct ddb_err *e)
{
	json_t *pt = json_object_get(req, "ProvisionedThroughput");
	if (strcmp(mode, "PROVISIONED") && strcmp(mode, "PAY_PER_REQUEST"))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%.32s' at "
				   "'billingMode' failed to satisfy constraint: Member must "
				   "satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
				   mode);
	if (!strcmp(mode, "PROVISIONED") &&
	    (json_integer_value(json_object_get(pt, "ReadCapacityUnits")) < 1 ||
	     json_integer_value(json_object_get(pt, "WriteCapacityUnits")) < 1))
		return ddb_invalid(e, "One or more parameter values were invalid: "
				      "ReadCapacityUnits and WriteCapacityUnits must both be "
				      "specified when BillingMode is PROVISIONED");
	if (!strcmp(mode, "PAY_PER_REQUEST") && pt)
		return ddb_invalid(e, "One or more parameter values were invalid: Neither "
				      "ReadCapacityUnits nor WriteCapacityUnits can be specified "
				      "when BillingMode is PAY_PER_REQUEST");
	return 0;
}

static json_t *build_gsis(const json_t *req, const char *table_arn, const char *mode,
			  struct ddb_err *e)
{
	json_t *out = json_array(), *g;
	size_t i;
	json_array_foreach(json_object_get(req, "GlobalSecondaryIndexes"), i, g)
	{
		const char *name = json_string_value(json_object_get(g, "IndexName"));
		json_t *proj = json_object_get(g, "Projection");
		const char *pt = json_string_value(json_object_get(proj, "ProjectionType"));
		if (!valid_table_name(name) || !json_is_array(json_object_get(g, "KeySchema")) ||
		    (pt && strcmp(pt, "ALL") && strcmp(pt, "KEYS_ONLY") && strcmp(pt, "INCLUDE")) ||
		    i >= DDB_MAX_INDEXES) {
			ddb_invalid(e, "One or more parameter values were invalid: Invalid "
				       "GlobalSecondaryIndexes");
			json_decref(out);
			return NULL;
		}
		json_t *pj =
			json_deep_copy(proj ? proj : json_pack("{s:s}", "ProjectionType", "ALL"));
		json_t *d = json_pack("{s:s,s:O,s:o,s:s,s:s+++,s:i,s:i}", "IndexName", name,
				      "KeySchema", json_object_get(g, "KeySchema"), "Projection",
				      pj, "IndexStatus", "ACTIVE", "IndexArn", table_arn, "/index/",
				      name, "", "ItemCount", 0, "IndexSizeBytes", 0);
		if (!strcmp(mode, "PROVISIONED"))
			json_object_set_new(d, "ProvisionedThroughput", throughput(g));
		json_array_append_new(out, d);
	}
	return out;
}

static int table_desc(const json_t *req, json_t **out, struct ddb_err *e)
{
	const char *name = json_string_value(json_object_get(req, "TableName"));
	const char *mode = json_string_value(json_object_get(req, "BillingMode")) ?: "PROVISIONED";
	json_t *ks = json_object_get(req, "KeySchema"), *desc, *gsis;
	struct ddb_table t;
	char arn[400], id[UUID_STR_LEN + 1];
	*out = NULL;
	if (check_table_name(json_object_get(req, "TableName"), e))
		return -1;
	if (json_object_get(req, "LocalSecondaryIndexes"))
		return ddb_invalid(e, "LocalSecondaryIndexes are not supported by the local "
				      "DynamoDB endpoint");
	if (jsonx_bool(json_object_get(req, "StreamSpecification"), "StreamEnabled", false))
		return ddb_invalid(e, "StreamSpecification (DynamoDB Streams) is not supported "
				      "by the local DynamoDB endpoint");
	if (!json_is_array(ks) || json_array_size(ks) < 1 || json_array_size(ks) > 2)
		return ddb_invalid(e, "1 validation error detected: Value null at 'keySchema' "
				      "failed to satisfy constraint: Member must have length less "
				      "than or equal to 2");
	if (check_definitions(req, e) || check_billing(req, mode, e))
		return -1;
	snprintf(arn, sizeof(arn), "arn:aws:dynamodb:%s:%s:table/%s", LOCAL_REGION, LOCAL_ACCOUNT_ID,
		 name);
	if (uuid_v4(id))
		return ddb_internal(e);
	if (!(gsis = build_gsis(req, arn, mode, e)))
		return -1;
	desc = json_pack("{s:O,s:s,s:O,s:s,s:f,s:o,s:I,s:I,s:s,s:s,s:{s:s,s:f}}",
			 "AttributeDefinitions", json_object_get(req, "AttributeDefinitions"),
			 "TableName", name, "KeySchema", ks, "TableStatus", "ACTIVE",
			 "CreationDateTime", (double)time_now_ms() / 1000.0,
			 "ProvisionedThroughput", throughput(req), "TableSizeBytes", (json_int_t)0,
			 "ItemCount", (json_int_t)0, "TableArn", arn, "TableId", id,
			 "BillingModeSummary", "BillingMode", mode,
			 "LastUpdateToPayPerRequestDateTime", (double)time_now_ms() / 1000.0);
	if (!desc) {
		json_decref(gsis);
		return ddb_internal(e);
	}
	if (strcmp(mode, "PAY_PER_REQUEST"))
		json_object_del(json_object_get(desc, "BillingModeSummary"),
				"LastUpdateToPayPerRequestDateTime");
	if (json_array_size(gsis))
		json_object_set(desc, "GlobalSecondaryIndexes", gsis);
	json_decref(gsis);
	if (table_from_desc(desc, &t)) {
		json_decref(desc);
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Invalid "
				   "KeySchema: the first element must be HASH, the second RANGE");
	}
	*out = desc;
	return 0;
}

static int op_create_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *desc, *old = NULL;
	if (table_desc(req, &desc, e))
		return -1;
	const char *name = json_string_value(json_object_get(desc, "TableName"));
	if (ddb_store_table_get(s->st, name, &old) ||
	    (!old && ddb_store_table_put(s->st, name, desc))) {
		json_decref(desc);
		json_decref(old);
		return ddb_internal(e);
	}
	if (old) {
		ddb_fail(e, "ResourceInUseException", "Table already exists: %s", name);
		json_decref(desc);
		json_decref(old);
		return -1;
	}
	*resp = json_pack("{s:o}", "TableDescription", desc);
	return 0;
}

/* The stored description with live counts. */
static json_t *live_desc(struct ddb_server *s, const struct ddb_table *t)
{
	int64_t count = 0, bytes = 0;
	json_t *d = json_deep_copy(t->desc);
	ddb_store_table_stats(s->st, t->name, &count, &bytes);
	json_object_set_new(d, "ItemCount", json_integer(count));
	json_object_set_new(d, "TableSizeBytes", json_integer(bytes));
	return d;
}

static int op_describe_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	struct ddb_table t;
	const char *name = json_string_value(json_object_get(req, "TableName"));
	if (ddb_table_load(s, json_object_get(req, "TableName"), &t, e)) {
		if (e->type && !strcmp(e->type, "ResourceNotFoundException"))
			snprintf(e->msg, sizeof(e->msg),
				 "Requested resource not found: Table: %.255s not found", name);
		return -1;
	}
	*resp = json_pack("{s:o}", "Table", live_desc(s, &t));
	ddb_table_release(&t);
	return 0;
}

static int op_delete_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	struct ddb_table t;
	const char *name = json_string_value(json_object_get(req, "TableName"));
	if (ddb_table_load(s, json_object_get(req, "TableName"), &t, e)) {
		if (e->type && !strcmp(e->type, "ResourceNotFoundException"))
			snprintf(e->msg, sizeof(e->msg),
				 "Requested resource not found: Table: %.255s not found", name);
		return -1;
	}
	json_t *d = live_desc(s, &t);
	json_object_set_new(d, "TableStatus", json_string("DELETING"));
	if (ddb_store_begin(s->st) || ddb_store_table_delete(s->st, t.name) ||
	    ddb_store_commit(s->st)) {
		ddb_store_rollback(s->st);
		json_decref(d);
		ddb_table_release(&t);
		return ddb_internal(e);
	}
	ddb_table_release(&t);
	*resp = json_pack("{s:o}", "TableDescription", d);
	return 0;
}

static int op_list_tables(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *limit = json_object_get(req, "Limit"), *names;
	json_int_t n = limit ? json_integer_value(limit) : LIST_TABLES_MAX;
	bool more;
	if (limit && (!json_is_integer(limit) || n < 1 || n > LIST_TABLES_MAX))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%" JSON_INTEGER_FORMAT
				   "' at 'limit' failed to satisfy constraint: Member must have "
				   "value less than or equal to 100",
				   n);
	if (ddb_store_table_list(s->st, jsonx_str(req, "ExclusiveStartTableName"), (int)n, &names,
				 &more))
		return ddb_internal(e);
	*resp = json_pack("{s:o}", "TableNames", names);
	if (more && json_array_size(names))
		json_object_set(*resp, "LastEvaluatedTableName",
				json_array_get(names, json_array_size(names) - 1));
	return 0;
}

/* ----- dispatch ------------------------------------------------------------- */

static const struct {
	const char *name;
	ddb_op_fn fn;
} ops[] = {
	{"CreateTable", op_create_table},
	{"DescribeTable", op_describe_table},
	{"DeleteTable", op_delete_table},
	{"ListTables", op_list_tables},
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

static void answer_error(const struct ddb_err *e, int *status, struct buf *response)
{
	bool coral = !strcmp(e->type, "UnknownOperationException") ||
		     !strcmp(e->type, "SerializationException");
	bool server = !strcmp(e->type, "InternalServerError");
	char type[128];
	snprintf(type, sizeof(type), "%s%s", coral ? CORAL_PREFIX : ERR_PREFIX, e->type);
	json_t *j = json_pack("{s:s,s:s}", "__type", type, "message", e->msg);
	if (j && e->extra)
		json_object_update(j, e->extra);
	*status = server ? 500 : 400;
	if (!j || jsonx_dump(j, response, 0))
		*status = 500;
	json_decref(j);
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
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(op, ops[i].name))
			fn = ops[i].fn;
	if (!fn) {
		for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
			if (!strcmp(op, unsupported[i]))
				ddb_invalid(&e,
					    "The operation %s is not supported by the local "
					    "DynamoDB endpoint",
					    op);
		if (!e.type)
			ddb_fail(&e, "UnknownOperationException", "%s", "");
		goto fail;
	}
	if (len > DDB_MAX_REQUEST) {
		ddb_fail(&e, "SerializationException", "Request body is too large");
		goto fail;
	}
	req = body ? json_loadb(body, len, JSON_ALLOW_NUL, NULL) : NULL;
	if (!json_is_object(req)) {
		ddb_fail(&e, "SerializationException",
			 "Start of structure or map found where not "
			 "expected");
		goto fail;
	}
	if (fn(s, req, &resp, &e) || !resp) {
		if (!e.type)
			ddb_internal(&e);
		goto fail;
	}
	*status = 200;
	if (jsonx_dump(resp, response, 0)) {
		ddb_internal(&e);
		goto fail;
	}
	json_decref(req);
	json_decref(resp);
	return;
fail:
	answer_error(&e, status, response);
	json_decref(e.extra);
	json_decref(req);
	json_decref(resp);
}

/* ----- group commit --------------------------------------------------------- */

struct ddb_pending {
	struct ddb_pending *next;
	int status;
	struct buf resp;
	ddb_done_fn done;
	void *arg;
};

void ddb_server_flush(struct ddb_server *s)
{
	struct ddb_pending *p = s->head, *next;
	bool failed = ddb_store_group_commit(s->st) != 0;
	s->head = NULL;
	s->tail = &s->head;
	s->npending = 0;
	for (; p; p = next) {
		next = p->next;
		if (failed) {
			struct ddb_err e = {0};
			buf_reset(&p->resp);
			ddb_internal(&e);
			answer_error(&e, &p->status, &p->resp);
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

void ddb_server_submit(struct ddb_server *s, const char *target, const char *body, size_t len,
		       ddb_done_fn done, void *arg)
{
	struct ddb_pending *p = calloc(1, sizeof(*p));
	static const struct timeval now = {0, 0};
	if (!p) {
		struct buf oom = {.ptr = (char *)"{}", .len = 2};
		done(arg, 500, &oom);
		return;
	}
	buf_init(&p->resp, BUF_NOCAP);
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

int ddb_server_create_table_from_spec(struct ddb_server *s, json_t *req)
{
	struct ddb_err e = {0};
	json_t *desc, *old = NULL;
	if (!s || !json_is_object(req))
		return ERR_INVAL;
	if (table_desc(req, &desc, &e)) {
		log_msg(LVL_ERROR, "dynamodb: table %s: %s", jsonx_str(req, "TableName") ?: "?",
			e.msg);
		return ERR_INVAL;
	}
	const char *name = json_string_value(json_object_get(desc, "TableName"));
	int err = ddb_store_table_get(s->st, name, &old);
	if (!err && !old)
		err = ddb_store_table_put(s->st, name, desc);
	json_decref(old);
	json_decref(desc);
	return err ? ERR_IO : 0;
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
