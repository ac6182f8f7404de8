/*
 * Routes of the APIs that plain CloudFormation declares, as CDK and the
 * Serverless Framework write them, and of OpenAPI bodies, read into the
 * template's routes (template.h: struct template_route) beside the routes of
 * SAM events. template_load() calls the reader; this header exposes the
 * parts that are pure string work, for tests and the fuzzer.
 *
 * What is read:
 * - AWS::ApiGateway::RestApi with its AWS::ApiGateway::Resource tree (each
 *   path built by walking ParentId up to the API's RootResourceId) and
 *   AWS::ApiGateway::Method with an AWS_PROXY integration; the stage from an
 *   AWS::ApiGateway::Stage of the API, else a Deployment's StageName;
 * - AWS::ApiGatewayV2::Api of ProtocolType HTTP: quick create (Target, with
 *   RouteKey or "$default"), or AWS::ApiGatewayV2::Route (RouteKey, Target
 *   "integrations/<id>") with AWS::ApiGatewayV2::Integration (IntegrationUri,
 *   PayloadFormatVersion, 1.0 by default as in CloudFormation), and the
 *   AWS::ApiGatewayV2::Stage's name;
 * - OpenAPI in a RestApi's or an Api's Body, or SAM's DefinitionBody:
 *   paths, methods (x-amazon-apigateway-any-method is ANY) and
 *   x-amazon-apigateway-integration of type aws_proxy.
 * The function of an integration is found from its URI: a Fn::GetAtt
 * Fn.Arn or Ref, a Fn::Join or Fn::Sub holding one, or a literal Lambda ARN
 * naming the function by FunctionName; an alias or version leads to its
 * function. Other integration types, WebSocket APIs and URIs that name no
 * function of the template become notes (template.h: route_notes).
 */
#ifndef SLUICE_TEMPLATE_ROUTES_H
#define SLUICE_TEMPLATE_ROUTES_H

#include <stdbool.h>

#include "core/str.h"

/*
 * The function an integration URI invokes, from the URI's resolved text:
 * "arn:${AWS::Partition}:apigateway:...:lambda:path/2015-03-31/functions/
 * ${Fn.Arn}/invocations", "${Fn.Arn}", "${Fn.Arn}:live",
 * "arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]".
 * Returns true with `out` a slice of `uri`: the logical id (`*by_name`
 * false) or the function's name from a literal ARN (`*by_name` true).
 * False for NULL or anything else.
 */
bool template_uri_function(const char *uri, struct str *out /* OUT */, bool *by_name /* OUT */);

/*
 * Split an HTTP API RouteKey, "GET /items/{id}", "ANY /x" or "$default",
 * into method and path (slices of `key`; "$default" gives ANY and
 * "$default"). False for anything else.
 */
bool template_route_key(const char *key, struct str *method /* OUT */, struct str *path /* OUT */);

#endif
