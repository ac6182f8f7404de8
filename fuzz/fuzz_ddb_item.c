/*
 * Fuzz the local DynamoDB item codec (src/local/dynamodb/ddb_item.c): the input is
 * read as an item in wire form, validated and normalised. A valid item must
 * stay valid and unchanged when normalised again (through its JSON text),
 * equal itself, and give key bytes within the caps under a (pk S, sk N)
 * schema or a clean refusal. The bytes are also read as a DynamoDB error
 * answer (ddb_parse_error, src/aws/dynamodb.c).
 */
#include "core/common.h"

#include "aws/dynamodb.h"
#include "local/dynamodb/ddb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddb_error de = {.status = 400};
	struct ddb_err e = {0};
	struct ddb_key_schema ks = {"pk", "sk", DDB_T_S, DDB_T_N};
	struct buf pk, sk;
	json_t *item = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *again = NULL, *m;

	ddb_parse_error((const char *)data, size, &de);
	buf_init(&pk, DDB_PK_BUF);
	buf_init(&sk, DDB_SK_BUF);
	if (item && !ddb_item_check(item, &e)) {
		char *text = json_dumps(item, JSON_COMPACT);
		again = text ? json_loads(text, 0, NULL) : NULL;
		free(text);
		m = json_pack("{s:O}", "M", item);
		if (!again || ddb_item_check(again, &e) || !json_equal(item, again) ||
		    ddb_item_size(again) != ddb_item_size(item) || (m && !ddb_value_eq(m, m)))
			abort(); /* normalisation is idempotent */
		json_decref(m);
		if (!ddb_item_key(&ks, item, false, NULL, &pk, &sk, &e) &&
		    (!pk.len || pk.len > DDB_KEY_MAX || !sk.len || sk.len > DDB_SORT_KEY_MAX))
			abort();
	}
	json_decref(e.extra);
	json_decref(item);
	json_decref(again);
	buf_release(&pk);
	buf_release(&sk);
	return 0;
}
