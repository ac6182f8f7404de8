/*
 * Internals of the gateway's half of the API Gateway codec (apigw_gw.c and
 * apigw_gw_fast.c), for those two files and their tests. The function's half
 * must never include this header: the function binary links apigw_fn.o and
 * apigw_common.o only (tests/protocol/test_binary_halves.py).
 */
#ifndef SLUICE_LAMBDA_APIGW_GW_INT_H
#define SLUICE_LAMBDA_APIGW_GW_INT_H

#include "lambda/apigw.h"

/*
 * The fast path of apigw_parse_function_response(): read the common shape
 * of a function's answer (an object with an integer statusCode, string
 * headers, string arrays, a string body, no \u escapes, no duplicate keys)
 * without building a jansson tree, into `out`, which the caller has passed
 * through apigw_response_init(). Returns 0 when it read the answer, with
 * `out` as the full parser would have left it, or ERR_UNSUPPORTED for
 * anything else (malformed answers included), leaving in `out` what the
 * caller must release before it runs the full parser.
 */
int apigw_response_fast(const char *json, size_t len, int version, struct apigw_response *out);

/*
 * apigw_parse_function_response() without its fast path: jansson's tree and
 * API Gateway's rules over it, the reference the fast path is tested
 * against. Same contract.
 */
int apigw_parse_response_tree(const char *json, size_t len, int version,
			      struct apigw_response *out /* OUT */, char *why, size_t why_len);

#endif
