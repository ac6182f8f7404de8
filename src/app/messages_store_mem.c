/*
 * The in-memory messages store (see messages_store.h): what the DynamoDB
 * store does, minus the network, for unit tests. It reproduces the two
 * behaviours the handler relies on: the id condition (attribute_not_exists)
 * and ClientRequestToken idempotency, where a token seen before with the same
 * message is a success that writes nothing and with another is a mismatch.
 */
#include "core/common.h"

#include "app/messages_store.h"

#include "core/grow.h"

struct mem_token {
	char *token;
	struct message m; /* what was written under it (text copied) */
};

struct mem_store {
	struct message *msgs;
	size_t n, alloc;
	struct mem_token *tokens;
	size_t n_tokens, tokens_alloc;
	int fail_next;
	struct messages_mem_stats stats;
};

void messages_message_release(struct message *m)
{
	if (!m)
		return;
	free(m->text);
	memset(m, 0, sizeof(*m));
}

static int copy_message(struct message *dst, const struct message *src)
{
	*dst = *src;
	dst->text = malloc(src->text_len + 1);
	if (!dst->text)
		return ERR_NOMEM;
	memcpy(dst->text, src->text, src->text_len);
	dst->text[src->text_len] = '\0';
	return 0;
}

static bool same_message(const struct message *a, const struct message *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->created_at, b->created_at) == 0 &&
	       a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
}

static int take_failure(struct mem_store *s)
{
	int err = s->fail_next;
	s->fail_next = 0;
	return err;
}

static const struct message *find(const struct mem_store *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->msgs[i].id, id) == 0)
			return &s->msgs[i];
	}
	return NULL;
}

static int mem_create(void *ctx, const char *table, const struct message *m, const char *token,
		      int64_t deadline_ms)
{
	struct mem_store *s = ctx;
	int err = take_failure(s);

	s->stats.creates++;
	if (err)
		return err;
	for (size_t i = 0; token && *token && i < s->n_tokens; i++) {
		if (strcmp(s->tokens[i].token, token) == 0)
			return same_message(&s->tokens[i].m, m) ? 0 : ERR_EXISTS;
	}
	if (find(s, m->id))
		return ERR_PRECONDITION;
	if ((err = ALLOC_GROW(s->msgs, s->n + 1, s->alloc)))
		return err;
	if ((err = copy_message(&s->msgs[s->n], m)))
		return err;
	s->n++;
	s->stats.writes++;
	if (token && *token) {
		struct mem_token *t;
		if ((err = ALLOC_GROW(s->tokens, s->n_tokens + 1, s->tokens_alloc)))
			return err;
		t = &s->tokens[s->n_tokens];
		t->token = strdup(token);
		if (!t->token)
			return ERR_NOMEM;
		if ((err = copy_message(&t->m, m))) {
			free(t->token);
			return err;
		}
		s->n_tokens++;
	}
	return 0;
}

static int mem_get(void *ctx, const char *table, const char *id, int64_t deadline_ms,
		   struct message *out)
{
	struct mem_store *s = ctx;
	const struct message *m;
	int err = take_failure(s);

	memset(out, 0, sizeof(*out));
	s->stats.gets++;
	if (err)
		return err;
	m = find(s, id);
	return m ? copy_message(out, m) : ERR_NOTFOUND;
}

static int mem_count(void *ctx, const char *table, int64_t deadline_ms, uint64_t *out)
{
	struct mem_store *s = ctx;
	int err = take_failure(s);

	s->stats.counts++;
	if (err)
		return err;
	*out = s->n;
	return 0;
}

static void mem_release(void *ctx)
{
	struct mem_store *s = ctx;

	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		messages_message_release(&s->msgs[i]);
	for (size_t i = 0; i < s->n_tokens; i++) {
		free(s->tokens[i].token);
		messages_message_release(&s->tokens[i].m);
	}
	free(s->msgs);
	free(s->tokens);
	free(s);
}

int messages_store_mem_init(struct messages_store *store)
{
	struct mem_store *s = calloc(1, sizeof(*s));

	if (!s)
		return ERR_NOMEM;
	memset(store, 0, sizeof(*store));
	store->ctx = s;
	store->create = mem_create;
	store->get = mem_get;
	store->count = mem_count;
	store->release = mem_release;
	return 0;
}

void messages_store_mem_fail_next(struct messages_store *store, int err)
{
	((struct mem_store *)store->ctx)->fail_next = err;
}

void messages_store_mem_stats(const struct messages_store *store, struct messages_mem_stats *out)
{
	*out = ((const struct mem_store *)store->ctx)->stats;
}
