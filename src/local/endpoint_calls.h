/*
 * The AWS calls a function makes to the local endpoint, for the dashboard
 * (src/local/cloudwatch/cw.h, cw_request_call()): a request to S3 or
 * DynamoDB that carries an X-Amzn-Trace-Id (the function's clients send the
 * invocation's, src/aws/request.c) is timed from its arrival to its answer
 * and reported with its operation, its bucket, its status and the trace
 * Root that ties it to the invocation.
 *
 * The request is followed with evhttp's completion callback and a slot of
 * a fixed ring, not an allocation: a client that hangs up before its
 * answer leaves a slot that the ring reuses, and a late callback finds its
 * slot taken by another request (a generation number says so) and is
 * dropped.
 */
#ifndef SLUICE_LOCAL_ENDPOINT_CALLS_H
#define SLUICE_LOCAL_ENDPOINT_CALLS_H

struct cloudwatch;
struct evhttp_request;

/* Slots of requests in flight. */
#define ENDPOINT_CALLS_MAX 256

/*
 * Follow `req` to `service` ("s3", "dynamodb") when it carries a trace
 * header; a no-op otherwise or when `cw` is NULL.
 */
void endpoint_call_begin(struct cloudwatch *cw, struct evhttp_request *req, const char *service);

/* The S3 operation of a request ("GetObject", "PutObject", "ListObjectsV2", ...). */
const char *endpoint_s3_operation(struct evhttp_request *req);

#endif
