/*
 * Internals of the rule engine shared by its files (policy.c runs the rules,
 * policy_index.c answers their questions about other resources) and nobody
 * else. Rules see the index only through the pr_* lookups of rules.h.
 */
#ifndef SLUICE_POLICY_INT_H
#define SLUICE_POLICY_INT_H

#include "policy/policy.h"

/*
 * Index the resources of `t` by type. Returns 0 with `*out` for
 * policy_index_free(), or ERR_NOMEM with `*out` NULL. `t` must outlive it.
 */
int policy_index_new(const struct template *t, struct policy_index **out /* OUT */);

/* Free an index and every table it built. NULL is fine. */
void policy_index_free(struct policy_index *ix);

/*
 * Every resource of the template, grouped by type (types in strcmp order,
 * document order within a type); `*n` gets the count.
 */
const struct template_resource *const *policy_index_groups(const struct policy_index *ix,
							   size_t *n /* OUT */);

#endif
