/*
 * The jansson-tree builder of API Gateway events that apigw_event_from_http()
 * replaced, kept as the reference its output is compared with.
 */
#ifndef SLUICE_TESTS_APIGW_EVENT_TREE_H
#define SLUICE_TESTS_APIGW_EVENT_TREE_H

#include "lambda/apigw.h"

/*
 * Append the event for `in` as the tree builder made it: same contract and
 * return values as apigw_event_from_http() had (ERR_NOMEM where jansson
 * refused a key that is not UTF-8).
 */
int apigw_event_tree(const struct apigw_http_request *in, int version, struct buf *out);

#endif
