/*
 * Unit tests for the routes of plain CloudFormation and OpenAPI
 * (src/template/template_routes.c): the function named by an integration
 * URI in each form CDK, the Serverless Framework and people write, route
 * keys, REST paths built from the resource tree, HTTP API routes and quick
 * create with their payload versions and stages, OpenAPI bodies next to SAM
 * events, and the notes for what is not served.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "template/template.h"
#include "template/template_routes.h"

static void uri_is(const char *uri, const char *want, bool want_name)
{
	struct str s;
	bool by_name = !want_name;

	assert_true(template_uri_function(uri, &s, &by_name));
	assert_true(str_eq_cstr(s, want));
	assert_int_equal(by_name, want_name);
}

static void test_uri_function(void **state)
{
	struct str s;
	bool b;

	uri_is("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
	       "${Fn.Arn}/invocations",
	       "Fn", false);
	uri_is("${Fn.Arn}", "Fn", false);
	uri_is("${Fn.Arn}:live", "Fn", false);
	uri_is("${Alias}", "Alias", false);
	uri_is("arn:aws:lambda:us-east-1:123456789012:function:my-fn", "my-fn", true);
	uri_is("arn:aws:lambda:us-east-1:123456789012:function:my-fn:prod", "my-fn", true);
	uri_is("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
	       "arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
	       "f", true);
	assert_false(template_uri_function(NULL, &s, &b));
	assert_false(template_uri_function("", &s, &b));
	assert_false(template_uri_function("${}", &s, &b));
	assert_false(template_uri_function("${Fn", &s, &b));
	assert_false(template_uri_function("arn:aws:sqs:us-east-1:1:queue", &s, &b));
	assert_false(template_uri_function("arn:aws:lambda:us-east-1:1:function:", &s, &b));
	assert_false(template_uri_function("x:lambda:path/functions/${Fn.Arn}", &s, &b));
	assert_false(template_uri_function("https://example.com/", &s, &b));
}

static void test_route_key(void **state)
{
	struct str m, p;

	assert_true(template_route_key("GET /items/{id}", &m, &p));
	assert_true(str_eq_cstr(m, "GET") && str_eq_cstr(p, "/items/{id}"));
	assert_true(template_route_key("$default", &m, &p));
	assert_true(str_eq_cstr(m, "ANY") && str_eq_cstr(p, "$default"));
	assert_false(template_route_key("GET", &m, &p));
	assert_false(template_route_key(" /x", &m, &p));
	assert_false(template_route_key("GET items", &m, &p));
	assert_false(template_route_key("GET /a /b", &m, &p));
	assert_false(template_route_key(NULL, &m, &p));
}

static struct template *load(const char *text)
{
	struct template_diag d;
	struct template *t = NULL;
	int err = template_load_string("t.yaml", text, strlen(text), NULL, &t, &d);

	if (err)
		fprintf(stderr, "%s\n", d.msg);
	assert_int_equal(err, 0);
	return t;
}

static const struct template_route *route(const struct template *t, const char *method,
					  const char *path)
{
	for (size_t i = 0; i < t->nroutes; i++)
		if (!strcmp(t->routes[i].method, method) && !strcmp(t->routes[i].path, path))
			return &t->routes[i];
	return NULL;
}

static bool has_note(const struct template *t, const char *text)
{
	for (size_t i = 0; i < t->nroute_notes; i++)
		if (strstr(t->route_notes[i], text))
			return true;
	return false;
}

static const char cfn[] =
	"Resources:\n"
	"  Fn:\n"
	"    Type: AWS::Lambda::Function\n"
	"    Properties: {FunctionName: named-fn, Runtime: nodejs20.x, Handler: i.h,\n"
	"                 Code: {ZipFile: x}, Role: r}\n"
	"  Live:\n"
	"    Type: AWS::Lambda::Alias\n"
	"    Properties: {FunctionName: !Ref Fn, FunctionVersion: '1', Name: live}\n"
	"  Api:\n"
	"    Type: AWS::ApiGateway::RestApi\n"
	"  A:\n"
	"    Type: AWS::ApiGateway::Resource\n"
	"    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: a}\n"
	"  B:\n"
	"    Type: AWS::ApiGateway::Resource\n"
	"    Properties: {RestApiId: !Ref Api, ParentId: !Ref A, PathPart: '{b+}'}\n"
	"  M:\n"
	"    Type: AWS::ApiGateway::Method\n"
	"    Properties:\n"
	"      RestApiId: !Ref Api\n"
	"      ResourceId: !Ref B\n"
	"      HttpMethod: ANY\n"
	"      AuthorizationType: AWS_IAM\n"
	"      Integration:\n"
	"        Type: AWS_PROXY\n"
	"        Uri: !Join ['', ['arn:', !Ref AWS::Partition, ':apigateway:', !Ref AWS::Region,\n"
	"              ':lambda:path/2015-03-31/functions/', !Ref Live, '/invocations']]\n"
	"  Root:\n"
	"    Type: AWS::ApiGateway::Method\n"
	"    Properties:\n"
	"      RestApiId: !Ref Api\n"
	"      ResourceId: !GetAtt Api.RootResourceId\n"
	"      HttpMethod: get\n"
	"      Integration: {Type: AWS_PROXY, Uri: !Sub 'arn:aws:apigateway:r:lambda:path/"
	"2015-03-31/functions/${Fn.Arn}/invocations'}\n"
	"  Mock:\n"
	"    Type: AWS::ApiGateway::Method\n"
	"    Properties: {RestApiId: !Ref Api, ResourceId: !Ref A, HttpMethod: GET,\n"
	"                 Integration: {Type: MOCK}}\n"
	"  Stage:\n"
	"    Type: AWS::ApiGateway::Stage\n"
	"    Properties: {RestApiId: !Ref Api, StageName: prod, DeploymentId: x}\n"
	"  Http:\n"
	"    Type: AWS::ApiGatewayV2::Api\n"
	"    Properties: {ProtocolType: HTTP}\n"
	"  I:\n"
	"    Type: AWS::ApiGatewayV2::Integration\n"
	"    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY,\n"
	"                 IntegrationUri: 'arn:aws:lambda:us-east-1:1:function:named-fn'}\n"
	"  R:\n"
	"    Type: AWS::ApiGatewayV2::Route\n"
	"    Properties: {ApiId: !Ref Http, RouteKey: POST /x, Target: !Sub 'integrations/${I}'}\n"
	"  D:\n"
	"    Type: AWS::ApiGatewayV2::Route\n"
	"    Properties: {ApiId: !Ref Http, RouteKey: $default,\n"
	"                 Target: !Join [/, [integrations, !Ref I]]}\n"
	"  S2:\n"
	"    Type: AWS::ApiGatewayV2::Stage\n"
	"    Properties: {ApiId: !Ref Http, StageName: beta}\n"
	"  Quick:\n"
	"    Type: AWS::ApiGatewayV2::Api\n"
	"    Properties: {ProtocolType: HTTP, Target: !GetAtt Fn.Arn}\n"
	"  Ws:\n"
	"    Type: AWS::ApiGatewayV2::Api\n"
	"    Properties: {ProtocolType: WEBSOCKET}\n"
	"  Off:\n"
	"    Type: AWS::ApiGatewayV2::Api\n"
	"    Condition: Never\n"
	"    Properties: {ProtocolType: HTTP, Target: !GetAtt Fn.Arn, RouteKey: GET /off}\n"
	"Conditions:\n"
	"  Never: !Equals [a, b]\n";

static void test_cloudformation(void **state)
{
	struct template *t = load(cfn);
	const struct template_route *r;

	r = route(t, "ANY", "/a/{b+}");
	assert_non_null(r);
	assert_string_equal(r->function, "Fn"); /* through the alias */
	assert_string_equal(r->api, "Api");
	assert_int_equal(r->kind, TAPI_REST);
	assert_string_equal(r->authorizer, "AWS_IAM");
	assert_string_equal(r->stage, "prod");
	assert_string_equal(r->payload_version, "1.0");
	r = route(t, "GET", "/");
	assert_non_null(r);
	assert_string_equal(r->function, "Fn");
	assert_null(r->authorizer);
	assert_null(route(t, "GET", "/a"));
	assert_true(has_note(t, "GET /a (Api): integration MOCK is not emulated"));

	r = route(t, "POST", "/x");
	assert_non_null(r);
	assert_string_equal(r->function, "Fn"); /* by FunctionName */
	assert_int_equal(r->kind, TAPI_HTTP);
	assert_string_equal(r->payload_version, "1.0"); /* CloudFormation's default */
	assert_string_equal(r->stage, "beta");
	r = route(t, "ANY", "$default");
	assert_non_null(r);
	assert_string_equal(r->api, "Http");
	r = NULL;
	for (size_t i = 0; i < t->nroutes; i++)
		if (!strcmp(t->routes[i].api, "Quick"))
			r = &t->routes[i];
	assert_non_null(r);
	assert_string_equal(r->path, "$default");
	assert_string_equal(r->payload_version, "2.0");
	assert_null(route(t, "GET", "/off"));
	assert_true(has_note(t, "Ws: a WEBSOCKET API is not served locally"));
	template_free(t);
}

static const char sam[] =
	"Transform: AWS::Serverless-2016-10-31\n"
	"Resources:\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Runtime: python3.11\n"
	"      Handler: app.handler\n"
	"      CodeUri: src/\n"
	"      Events:\n"
	"        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /items, Method: get}}\n"
	"  Api:\n"
	"    Type: AWS::Serverless::Api\n"
	"    Properties:\n"
	"      StageName: v1\n"
	"      DefinitionBody:\n"
	"        paths:\n"
	"          /items:\n"
	"            get:\n"
	"              x-amazon-apigateway-integration:\n"
	"                type: aws_proxy\n"
	"                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
	"functions/${Fn.Arn}/invocations\n"
	"            post:\n"
	"              x-amazon-apigateway-auth: {type: AWS_IAM}\n"
	"              x-amazon-apigateway-integration:\n"
	"                type: AWS_PROXY\n"
	"                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
	"functions/${Fn.Arn}/invocations\n"
	"            delete:\n"
	"              x-amazon-apigateway-integration: {type: http, uri: https://example.com}\n"
	"            parameters: []\n"
	"  Http:\n"
	"    Type: AWS::Serverless::HttpApi\n"
	"    Properties:\n"
	"      DefinitionBody:\n"
	"        paths:\n"
	"          /h:\n"
	"            x-amazon-apigateway-any-method:\n"
	"              x-amazon-apigateway-integration:\n"
	"                type: aws_proxy\n"
	"                uri: !GetAtt Fn.Arn\n"
	"                payloadFormatVersion: '1.0'\n"
	"          /nobody:\n"
	"            get:\n"
	"              x-amazon-apigateway-integration: {type: aws_proxy, uri: "
	"'arn:aws:lambda:r:1:function:nobody'}\n";

static void test_openapi_beside_sam_events(void **state)
{
	struct template *t = load(sam);
	const struct template_route *r;
	size_t gets = 0;

	for (size_t i = 0; i < t->nroutes; i++)
		gets += !strcmp(t->routes[i].method, "GET") && !strcmp(t->routes[i].path, "/items");
	assert_int_equal(gets, 1); /* the event's route and the body's are one */
	r = route(t, "POST", "/items");
	assert_non_null(r);
	assert_string_equal(r->function, "Fn");
	assert_string_equal(r->authorizer, "AWS_IAM");
	assert_string_equal(r->stage, "v1");
	assert_int_equal(r->kind, TAPI_REST);
	assert_null(route(t, "DELETE", "/items"));
	assert_true(has_note(t, "DELETE /items (Api): integration http is not emulated"));
	r = route(t, "ANY", "/h");
	assert_non_null(r);
	assert_int_equal(r->kind, TAPI_HTTP);
	assert_string_equal(r->payload_version, "1.0");
	assert_true(has_note(t, "GET /nobody (Http): its integration names no function"));
	template_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_function),
		cmocka_unit_test(test_route_key),
		cmocka_unit_test(test_cloudformation),
		cmocka_unit_test(test_openapi_beside_sam_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
