/*
 * Tables of the local DynamoDB: CreateTable, DescribeTable, DeleteTable and
 * ListTables, and the schema every item operation starts from
 * (ddb_table_load()). A table is stored as the TableDescription DynamoDB
 * would return, built once at CreateTable; struct ddb_table reads its key
 * schema and indexes back out of it, so the description is the only schema
 * there is. A description the store gives back that does not read is a
 * corrupt store (ERR_IO, a 500), never the client's mistake; the same
 * reading applied to a CreateTable request is a ValidationException.
 */
#include "core/common.h"

#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "local/dynamodb/ddb_int.h"
#include "local/dynamodb/ddb_server.h"

#define LOCAL_REGION	"us-east-1"
#define TABLE_NAME_MIN	3
#define LIST_TABLES_MAX 100
#define TABLE_ARN_MAX	400 /* "arn:aws:dynamodb:<region>:<account>:table/" + a 255-byte name */

/* ----- schema --------------------------------------------------------------- */

/* The AttributeType that `defs` gives attribute `name`; DDB_T_NONE if none. */
static enum ddb_type defined_type(const json_t *defs, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(defs, i, d)
	{
		const char *n = json_string_value(json_object_get(d, "AttributeName"));
		if (n && !strcmp(n, name))
			return ddb_type_parse(jsonx_str(d, "AttributeType"));
	}
	return DDB_T_NONE;
}

/* A KeySchema: HASH first, then an optional RANGE, each defined. */
static int read_key_schema(const json_t *ks, const json_t *defs, struct ddb_key_schema *out)
{
	size_t i;
	json_t *el;
	memset(out, 0, sizeof(*out));
	json_array_foreach(ks, i, el)
	{
		const char *name = jsonx_str(el, "AttributeName");
		const char *type = jsonx_str(el, "KeyType");
		enum ddb_type t = name ? defined_type(defs, name) : DDB_T_NONE;
		if (!type || t == DDB_T_NONE)
			return ERR_INVAL;
		if (!strcmp(type, "HASH") && i == 0) {
			out->hash = name;
			out->htype = t;
		} else if (!strcmp(type, "RANGE") && i == 1) {
			out->range = name;
			out->rtype = t;
		} else {
			return ERR_INVAL;
		}
	}
	return out->hash ? 0 : ERR_INVAL;
}

static int index_from_desc(const json_t *g, const json_t *defs, struct ddb_index *ix)
{
	json_t *proj = json_object_get(g, "Projection");
	ix->name = jsonx_str(g, "IndexName");
	ix->projection = jsonx_str(proj, "ProjectionType");
	ix->non_key = json_object_get(proj, "NonKeyAttributes");
	if (!ix->projection)
		ix->projection = "ALL";
	if (!ix->name)
		return ERR_INVAL;
	return read_key_schema(json_object_get(g, "KeySchema"), defs, &ix->key);
}

/* Read `t` out of `desc` (borrowed into t->desc). 0 or ERR_INVAL. */
static int table_from_desc(json_t *desc, struct ddb_table *t)
{
	json_t *defs = json_object_get(desc, "AttributeDefinitions"), *g;
	size_t i;
	memset(t, 0, sizeof(*t));
	t->desc = desc;
	t->name = jsonx_str(desc, "TableName");
	if (!t->name || read_key_schema(json_object_get(desc, "KeySchema"), defs, &t->key))
		return ERR_INVAL;
	json_array_foreach(json_object_get(desc, "GlobalSecondaryIndexes"), i, g)
	{
		if (t->nindexes >= DDB_MAX_INDEXES ||
		    index_from_desc(g, defs, &t->indexes[t->nindexes++]))
			return ERR_INVAL;
	}
	return 0;
}

static int null_table_name(struct ddb_err *e)
{
	return ddb_invalid(e, "1 validation error detected: Value null at 'tableName' failed to "
			      "satisfy constraint: Member must not be null");
}

int ddb_table_load(struct ddb_server *s, const json_t *name, struct ddb_table *t, struct ddb_err *e)
{
	json_t *desc = NULL;
	int err;
	memset(t, 0, sizeof(*t));
	if (!json_is_string(name))
		return null_table_name(e);
	if ((err = ddb_store_table_get(s->st, json_string_value(name), &desc)))
		return err;
	if (!desc)
		return ddb_fail(e, DDB_E_NOT_FOUND, "Requested resource not found");
	if (table_from_desc(desc, t)) {
		log_msg(LVL_ERROR, "dynamodb: the stored description of table %s does not read",
			json_string_value(name));
		json_decref(desc);
		memset(t, 0, sizeof(*t));
		return ERR_IO;
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

/* ----- CreateTable: checks ------------------------------------------------------ */

static bool valid_table_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len < TABLE_NAME_MIN || len > DDB_TABLE_NAME_MAX)
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
		return null_table_name(e);
	if (!valid_table_name(n))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%.64s' at 'tableName' "
				   "failed to satisfy constraint: Member must satisfy regular "
				   "expression pattern: [a-zA-Z0-9_.-]+ and have length "
				   "between 3 and 255",
				   n);
	return 0;
}

/* Add the attribute names of KeySchema `ks` to the set `used`. */
static int add_key_names(json_t *used, const json_t *ks)
{
	size_t i;
	json_t *k;
	json_array_foreach(ks, i, k)
	{
		if (json_object_set(used, jsonx_str(k, "AttributeName") ?: "", json_true()))
			return ERR_NOMEM;
	}
	return 0;
}

/* Every definition is S, N or B and used as a key by the table or an index. */
static int check_defs_used(const json_t *defs, json_t *used, struct ddb_err *e)
{
	size_t i;
	json_t *d;
	json_array_foreach(defs, i, d)
	{
		const char *n = jsonx_str(d, "AttributeName"), *t = jsonx_str(d, "AttributeType");
		if (!n || !t || (strcmp(t, "S") && strcmp(t, "N") && strcmp(t, "B")))
			return ddb_invalid(e, "One or more parameter values were invalid: Invalid "
					      "AttributeDefinitions");
		if (!json_object_get(used, n))
			return ddb_invalid(e,
					   "One or more parameter values were invalid: Some "
					   "AttributeDefinitions are not used. "
					   "AttributeDefinitions: %s",
					   n);
		json_object_del(used, n);
	}
	return 0;
}

/* Names used as keys by the table and its indexes must all be defined,
 * and every definition must be used. */
static int check_definitions(const json_t *req, struct ddb_err *e)
{
	json_t *used = json_object(), *g;
	size_t i;
	int err = used ? add_key_names(used, json_object_get(req, "KeySchema")) : ERR_NOMEM;
	json_array_foreach(json_object_get(req, "GlobalSecondaryIndexes"), i, g)
	{
		if (!err)
			err = add_key_names(used, json_object_get(g, "KeySchema"));
	}
	if (!err)
		err = check_defs_used(json_object_get(req, "AttributeDefinitions"), used, e);
	if (!err && json_object_size(used))
		err = ddb_invalid(e,
				  "One or more parameter values were invalid: Some index key "
				  "attributes are not defined in AttributeDefinitions. Keys: [%s]",
				  json_object_iter_key(json_object_iter(used)));
	json_decref(used);
	return err;
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

/* What a CreateTable request must pass before its description is built. */
static int check_create(const json_t *req, const char *mode, struct ddb_err *e)
{
	json_t *ks = json_object_get(req, "KeySchema");
	int err = check_table_name(json_object_get(req, "TableName"), e);
	if (err)
		return err;
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
	if ((err = check_definitions(req, e)))
		return err;
	return check_billing(req, mode, e);
}

static int check_gsi(const json_t *g, size_t i, struct ddb_err *e)
{
	const char *pt = jsonx_str(json_object_get(g, "Projection"), "ProjectionType");
	if (!valid_table_name(jsonx_str(g, "IndexName")) ||
	    !json_is_array(json_object_get(g, "KeySchema")) ||
	    (pt && strcmp(pt, "ALL") && strcmp(pt, "KEYS_ONLY") && strcmp(pt, "INCLUDE")) ||
	    i >= DDB_MAX_INDEXES)
		return ddb_invalid(e, "One or more parameter values were invalid: Invalid "
				      "GlobalSecondaryIndexes");
	return 0;
}

/* ----- CreateTable: the description ------------------------------------------- */

static json_t *throughput(const json_t *req)
{
	json_t *pt = json_object_get(req, "ProvisionedThroughput");
	return json_pack("{s:i,s:I,s:I}", "NumberOfDecreasesToday", 0, "ReadCapacityUnits",
			 json_integer_value(json_object_get(pt, "ReadCapacityUnits")),
			 "WriteCapacityUnits",
			 json_integer_value(json_object_get(pt, "WriteCapacityUnits")));
}

/* The description of index `g` of the request; NULL on allocation failure. */
static json_t *gsi_desc(const json_t *g, const char *table_arn, const char *mode)
{
	const char *name = jsonx_str(g, "IndexName");
	json_t *proj = json_object_get(g, "Projection");
	json_t *pj = proj ? json_deep_copy(proj) : json_pack("{s:s}", "ProjectionType", "ALL");
	json_t *d = json_pack("{s:s,s:O,s:o,s:s,s:s+++,s:i,s:i}", "IndexName", name, "KeySchema",
			      json_object_get(g, "KeySchema"), "Projection", pj, "IndexStatus",
			      "ACTIVE", "IndexArn", table_arn, "/index/", name, "", "ItemCount", 0,
			      "IndexSizeBytes", 0);
	if (d && !strcmp(mode, "PROVISIONED") &&
	    json_object_set_new(d, "ProvisionedThroughput", throughput(g))) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* *out: the descriptions of the request's indexes (an array, maybe empty). */
static int build_gsis(const json_t *req, const char *table_arn, const char *mode, json_t **out,
		      struct ddb_err *e)
{
	json_t *gsis = json_array(), *g;
	size_t i;
	int err = gsis ? 0 : ERR_NOMEM;
	json_array_foreach(json_object_get(req, "GlobalSecondaryIndexes"), i, g)
	{
		if (!err)
			err = check_gsi(g, i, e);
		if (!err && json_array_append_new(gsis, gsi_desc(g, table_arn, mode)))
			err = ERR_NOMEM;
	}
	if (err) {
		json_decref(gsis);
		return err;
	}
	*out = gsis;
	return 0;
}

/* The table's own members of the description; NULL on allocation failure. */
static json_t *base_desc(const json_t *req, const char *mode, const char *arn, const char *id)
{
	double now = (double)time_now_ms() / 1000.0;
	json_t *desc = json_pack(
		"{s:O,s:s,s:O,s:s,s:f,s:o,s:I,s:I,s:s,s:s,s:{s:s}}", "AttributeDefinitions",
		json_object_get(req, "AttributeDefinitions"), "TableName",
		jsonx_str(req, "TableName"), "KeySchema", json_object_get(req, "KeySchema"),
		"TableStatus", "ACTIVE", "CreationDateTime", now, "ProvisionedThroughput",
		throughput(req), "TableSizeBytes", (json_int_t)0, "ItemCount", (json_int_t)0,
		"TableArn", arn, "TableId", id, "BillingModeSummary", "BillingMode", mode);
	if (desc && !strcmp(mode, "PAY_PER_REQUEST") &&
	    json_object_set_new(json_object_get(desc, "BillingModeSummary"),
				"LastUpdateToPayPerRequestDateTime", json_real(now))) {
		json_decref(desc);
		return NULL;
	}
	return desc;
}

/* The TableDescription a valid CreateTable request makes, into *out. */
static int table_desc(const json_t *req, json_t **out, struct ddb_err *e)
{
	const char *mode = jsonx_str(req, "BillingMode") ?: "PROVISIONED";
	json_t *desc, *gsis = NULL;
	struct ddb_table t;
	char arn[TABLE_ARN_MAX], id[UUID_STR_LEN + 1];
	int err = check_create(req, mode, e);
	*out = NULL;
	if (err)
		return err;
	snprintf(arn, sizeof(arn), "arn:aws:dynamodb:%s:%s:table/%s", LOCAL_REGION,
		 LOCAL_ACCOUNT_ID, jsonx_str(req, "TableName"));
	if ((err = uuid_v4(id)) || (err = build_gsis(req, arn, mode, &gsis, e)))
		return err;
	desc = base_desc(req, mode, arn, id);
	if (!desc ||
	    (json_array_size(gsis) && json_object_set(desc, "GlobalSecondaryIndexes", gsis))) {
		json_decref(gsis);
		json_decref(desc);
		return ERR_NOMEM;
	}
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

/* ----- operations ---------------------------------------------------------------- */

/* Store the table `desc` describes unless one of that name exists (*existed). */
static int store_new_table(struct ddb_server *s, const json_t *desc, bool *existed)
{
	const char *name = jsonx_str(desc, "TableName");
	json_t *old = NULL;
	int err = ddb_store_table_get(s->st, name, &old);
	*existed = old != NULL;
	if (!err && !old)
		err = ddb_store_table_put(s->st, name, desc);
	json_decref(old);
	return err;
}

int ddb_op_create_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *desc;
	bool existed;
	int err = table_desc(req, &desc, e);
	if (err)
		return err;
	if (!(err = store_new_table(s, desc, &existed)) && existed)
		err = ddb_fail(e, DDB_E_IN_USE, "Table already exists: %s",
			       jsonx_str(desc, "TableName"));
	if (err) {
		json_decref(desc);
		return err;
	}
	*resp = json_pack("{s:o}", "TableDescription", desc);
	return 0;
}

int ddb_server_create_table_from_spec(struct ddb_server *s, json_t *req)
{
	struct ddb_err e = {0};
	json_t *desc;
	bool existed;
	int err;
	if (!s || !json_is_object(req))
		return ERR_INVAL;
	if ((err = table_desc(req, &desc, &e))) {
		log_msg(LVL_ERROR, "dynamodb: table %s: %s", jsonx_str(req, "TableName") ?: "?",
			e.type ? e.msg : err_str(err));
		return e.type ? ERR_INVAL : err;
	}
	err = store_new_table(s, desc, &existed);
	json_decref(desc);
	return err;
}

/* Load the table the request names; the message names it when it is missing. */
static int load_named(struct ddb_server *s, const json_t *req, struct ddb_table *t,
		      struct ddb_err *e)
{
	int err = ddb_table_load(s, json_object_get(req, "TableName"), t, e);
	if (err == ERR_NOTFOUND)
		snprintf(e->msg, sizeof(e->msg),
			 "Requested resource not found: Table: %.255s not found",
			 jsonx_str(req, "TableName"));
	return err;
}

/* The stored description with live counts, into *out. */
static int live_desc(struct ddb_server *s, const struct ddb_table *t, json_t **out)
{
	int64_t count = 0, bytes = 0;
	int err = ddb_store_table_stats(s->st, t->name, &count, &bytes);
	json_t *d = err ? NULL : json_deep_copy(t->desc);
	if (err)
		return err;
	if (!d || json_object_set_new(d, "ItemCount", json_integer(count)) ||
	    json_object_set_new(d, "TableSizeBytes", json_integer(bytes))) {
		json_decref(d);
		return ERR_NOMEM;
	}
	*out = d;
	return 0;
}

int ddb_op_describe_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	struct ddb_table t;
	json_t *d = NULL;
	int err = load_named(s, req, &t, e);
	if (!err)
		err = live_desc(s, &t, &d);
	if (!err)
		*resp = json_pack("{s:o}", "Table", d);
	ddb_table_release(&t);
	return err;
}

static int delete_table(struct ddb_server *s, const char *name)
{
	int err = ddb_store_begin(s->st);
	if (!err && !(err = ddb_store_table_delete(s->st, name)))
		err = ddb_store_commit(s->st);
	if (err)
		ddb_store_rollback(s->st);
	return err;
}

int ddb_op_delete_table(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	struct ddb_table t;
	json_t *d = NULL;
	int err = load_named(s, req, &t, e);
	if (!err)
		err = live_desc(s, &t, &d);
	if (!err && json_object_set_new(d, "TableStatus", json_string("DELETING")))
		err = ERR_NOMEM;
	if (!err)
		err = delete_table(s, t.name);
	if (!err)
		*resp = json_pack("{s:O}", "TableDescription", d);
	json_decref(d);
	ddb_table_release(&t);
	return err;
}

int ddb_op_list_tables(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *limit = json_object_get(req, "Limit"), *names;
	json_int_t n = limit ? json_integer_value(limit) : LIST_TABLES_MAX;
	bool more;
	int err;
	if (limit && (!json_is_integer(limit) || n < 1 || n > LIST_TABLES_MAX))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%" JSON_INTEGER_FORMAT
				   "' at 'limit' failed to satisfy constraint: Member must have "
				   "value less than or equal to 100",
				   n);
	if ((err = ddb_store_table_list(s->st, jsonx_str(req, "ExclusiveStartTableName"), (int)n,
					&names, &more)))
		return err;
	if (more && json_array_size(names))
		*resp = json_pack("{s:o,s:O}", "TableNames", names, "LastEvaluatedTableName",
				  json_array_get(names, json_array_size(names) - 1));
	else
		*resp = json_pack("{s:o}", "TableNames", names);
	return 0;
}
