/*
 * Keys of the local DynamoDB: the primary key bytes of an item or a Key
 * parameter under a table's key schema, the keys of its global secondary
 * indexes, and the write that keeps index entries in step with the item.
 * Key bytes (ddb_key_bytes()) sort as DynamoDB sorts, and they are what the
 * store keys rows by. The buffers are capped at DynamoDB's key size limits
 * (DDB_PK_BUF, DDB_SK_BUF), so a key that passes them is refused while it
 * is built, with DynamoDB's message, rather than measured afterwards.
 */
#include "core/common.h"

#include "local/dynamodb/ddb_int.h"

static int key_mismatch(struct ddb_err *e)
{
	return ddb_invalid(e, "The provided key element does not match the schema");
}

/* Attribute `attr` is absent from an item that needs it. */
static int key_missing(const char *attr, bool exact, struct ddb_err *e)
{
	if (exact)
		return key_mismatch(e);
	return ddb_invalid(e,
			   "One or more parameter values were invalid: Missing the key %s in "
			   "the item",
			   attr);
}

static int key_type(const char *attr, enum ddb_type want, enum ddb_type t, bool exact,
		    const char *index, struct ddb_err *e)
{
	if (exact)
		return key_mismatch(e);
	if (index)
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Type mismatch for "
				   "Index Key %s Expected: %s Actual: %s IndexName: %s",
				   attr, ddb_type_name(want), ddb_type_name(t), index);
	return ddb_invalid(e,
			   "One or more parameter values were invalid: Type mismatch for key %s "
			   "expected: %s actual: %s",
			   attr, ddb_type_name(want), ddb_type_name(t));
}

static int key_empty(const char *attr, enum ddb_type want, const char *index, struct ddb_err *e)
{
	if (index)
		return ddb_invalid(e,
				   "One or more parameter values are not valid. A value specified "
				   "for a secondary index key is not supported. The AttributeValue "
				   "for a key attribute cannot contain an empty string value. "
				   "IndexName: %s, IndexKey: %s",
				   index, attr);
	return ddb_invalid(e,
			   "One or more parameter values are not valid. The AttributeValue for a "
			   "key attribute cannot contain an empty %s value. Key: %s",
			   want == DDB_T_B ? "binary" : "string", attr);
}

/* The key bytes of `v`, the value of key attribute `attr`, into `out`. */
static int one_key(const char *attr, enum ddb_type want, const json_t *v, bool exact,
		   const char *index, struct buf *out, struct ddb_err *e)
{
	enum ddb_type t = ddb_type_of(v);
	int err;
	if (t != want)
		return key_type(attr, want, t, exact, index, e);
	buf_reset(out);
	err = ddb_key_bytes(v, out);
	if (err == ERR_TOOLARGE)
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Size of %s has "
				   "exceeded the maximum size limit of%zu bytes",
				   out->cap == DDB_PK_BUF ? "hashkey" : "rangekey", out->cap);
	if (err)
		return err;
	return out->len ? 0 : key_empty(attr, want, index, e);
}

int ddb_item_key(const struct ddb_key_schema *ks, const json_t *item, bool exact, const char *index,
		 struct buf *pk, struct buf *sk, struct ddb_err *e)
{
	json_t *h = json_object_get(item, ks->hash);
	json_t *r = ks->range ? json_object_get(item, ks->range) : NULL;
	int err;
	if (!json_is_object(item) || (exact && json_object_size(item) != (ks->range ? 2u : 1u)))
		return key_mismatch(e);
	if (!h)
		return key_missing(ks->hash, exact, e);
	if ((err = one_key(ks->hash, ks->htype, h, exact, index, pk, e)))
		return err;
	buf_reset(sk);
	if (!ks->range)
		return 0;
	if (!r)
		return key_missing(ks->range, exact, e);
	return one_key(ks->range, ks->rtype, r, exact, index, sk, e);
}

int ddb_index_key(const struct ddb_index *ix, const json_t *item, struct buf *ipk, struct buf *isk,
		  bool *in_index, struct ddb_err *e)
{
	const struct ddb_key_schema *ks = &ix->key;
	json_t *h = json_object_get(item, ks->hash);
	json_t *r = ks->range ? json_object_get(item, ks->range) : NULL;
	int err;
	/* DynamoDB checks the attributes that are there, in key order. */
	*in_index = false;
	if (!h)
		return 0;
	if ((err = one_key(ks->hash, ks->htype, h, false, ix->name, ipk, e)))
		return err;
	buf_reset(isk);
	if (ks->range && !r)
		return 0;
	if (r && (err = one_key(ks->range, ks->rtype, r, false, ix->name, isk, e)))
		return err;
	*in_index = true;
	return 0;
}

json_t *ddb_key_of(const struct ddb_key_schema *ks, const json_t *item)
{
	json_t *k = json_object();
	if (!k)
		return NULL;
	if (json_object_set(k, ks->hash, json_object_get(item, ks->hash)) ||
	    (ks->range && json_object_set(k, ks->range, json_object_get(item, ks->range)))) {
		json_decref(k);
		return NULL;
	}
	return k;
}

/* The index entries of `item`, which is stored at (pk, sk). */
static int write_index_entries(struct ddb_server *s, const struct ddb_table *t,
			       const struct buf *pk, const struct buf *sk, const json_t *item,
			       struct ddb_err *e)
{
	struct buf ipk, isk;
	int err = 0;
	buf_init(&ipk, DDB_PK_BUF);
	buf_init(&isk, DDB_SK_BUF);
	for (int i = 0; !err && i < t->nindexes; i++) {
		const struct ddb_index *ix = &t->indexes[i];
		bool in_index;
		err = ddb_index_key(ix, item, &ipk, &isk, &in_index, e);
		if (!err && in_index)
			err = ddb_store_index_put(s->st, t->name, ix->name, &ipk, &isk, pk, sk);
	}
	buf_release(&ipk);
	buf_release(&isk);
	return err;
}

int ddb_write(struct ddb_server *s, const struct ddb_table *t, const struct buf *pk,
	      const struct buf *sk, const json_t *item, struct ddb_err *e)
{
	int err = 0;
	if (t->nindexes)
		err = ddb_store_index_delete(s->st, t->name, pk, sk);
	if (err)
		return err;
	if (!item)
		return ddb_store_item_delete(s->st, t->name, pk, sk);
	if ((err = ddb_store_item_put(s->st, t->name, pk, sk, item, ddb_item_size(item))))
		return err;
	return write_index_entries(s, t, pk, sk, item, e);
}
