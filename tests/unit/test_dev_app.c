/* Unit tests for the template half of `sluice dev` (src/local/dev_app.c)
 * where tables are concerned: local table names, the CreateTable request
 * built from a table's properties (accepted by the local DynamoDB server),
 * and a function environment that refers to tables.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include "local/dev.h"
#include "local/dynamodb/ddb_server.h"

static const char tmpl[] =
	"AWSTemplateFormatVersion: '2010-09-09'\n"
	"Transform: AWS::Serverless-2016-10-31\n"
	"Resources:\n"
	"  Fn:\n"
	"    Type: AWS::Serverless::Function\n"
	"    Properties:\n"
	"      Runtime: provided.al2023\n"
	"      Handler: messages\n"
	"      CodeUri: build/function.zip\n"
	"      Environment:\n"
	"        Variables:\n"
	"          MESSAGES_TABLE: !Ref Msgs\n"
	"          MESSAGES_ARN: !GetAtt Msgs.Arn\n"
	"          NAMED: !Ref Named\n"
	"          SIMPLE: !Ref Simple\n"
	"          SUBBED: !Sub '${Msgs}/x'\n"
	"  Msgs:\n"
	"    Type: AWS::DynamoDB::Table\n"
	"    Properties:\n"
	"      BillingMode: PAY_PER_REQUEST\n"
	"      AttributeDefinitions:\n"
	"        - {AttributeName: pk, AttributeType: S}\n"
	"        - {AttributeName: g, AttributeType: N}\n"
	"      KeySchema:\n"
	"        - {AttributeName: pk, KeyType: HASH}\n"
	"      GlobalSecondaryIndexes:\n"
	"        - IndexName: byG\n"
	"          KeySchema: [{AttributeName: g, KeyType: HASH}]\n"
	"          Projection: {ProjectionType: KEYS_ONLY}\n"
	"      SSESpecification: {SSEEnabled: true}\n"
	"  Named:\n"
	"    Type: AWS::DynamoDB::Table\n"
	"    Properties:\n"
	"      TableName: !Sub '${AWS::StackName}-named'\n"
	"      AttributeDefinitions: [{AttributeName: k, AttributeType: S}]\n"
	"      KeySchema: [{AttributeName: k, KeyType: HASH}]\n"
	"      ProvisionedThroughput: {ReadCapacityUnits: '5', WriteCapacityUnits: 2}\n"
	"  Simple:\n"
	"    Type: AWS::Serverless::SimpleTable\n";

static void test_table_name(void **state)
{
	char a[DEV_TABLE_NAME_MAX + 1], b[DEV_TABLE_NAME_MAX + 1], c[DEV_TABLE_NAME_MAX + 1];
	char stack[200], id[200];

	dev_table_name("sluice-dev", "MessagesTable", a);
	dev_table_name("sluice-dev", "MessagesTable", b);
	dev_table_name("sluice-pr-42", "MessagesTable", c);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), strlen("sluice-dev-MessagesTable-") + 12);
	assert_memory_equal(a, "sluice-dev-MessagesTable-", 25);
	for (size_t i = 25; i < strlen(a); i++)
		assert_true((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9'));
	assert_memory_equal(c, "sluice-pr-42-MessagesTable-", 27);
	assert_string_not_equal(a + 25, c + 27);
	memset(stack, 's', sizeof(stack) - 1);
	stack[sizeof(stack) - 1] = '\0';
	memset(id, 'T', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	dev_table_name(stack, id, a);
	assert_int_equal(strlen(a), DEV_TABLE_NAME_MAX);
	assert_int_equal(a[DEV_TABLE_NAME_MAX - 13], '-');
}

/* Load `tmpl` through dev_app_load() from a temporary file. */
static int load(struct dev_app *app, char *dir)
{
	struct dev_options o = {0};
	char path[128], why[512];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/template.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		return ERR_IO;
	fputs(tmpl, f);
	fclose(f);
	o.template_path = path;
	err = dev_app_load(&o, "http://127.0.0.1:4566", app, why, sizeof(why));
	if (err)
		fprintf(stderr, "dev_app_load: %s\n", why);
	unlink(path);
	return err;
}

static const char *env_of(const struct dev_function *f, const char *k)
{
	size_t n = strlen(k);

	for (size_t i = 0; f->env && f->env[i]; i++)
		if (!strncmp(f->env[i], k, n) && f->env[i][n] == '=')
			return f->env[i] + n + 1;
	return NULL;
}

static int table_index(const struct dev_app *app, const char *id)
{
	for (size_t i = 0; i < app->ntables; i++)
		if (!strcmp(app->table_ids[i], id))
			return (int)i;
	return -1;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, 0, NULL);
	char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("got %s\nwant %s", g, want_text);
	free(g);
	json_decref(want);
}

static void test_tables_and_environment(void **state)
{
	char dir[] = "/tmp/dev-app-test-XXXXXX", db[64], gen[DEV_TABLE_NAME_MAX + 1];
	struct dev_app app;
	struct ddb_server *s = NULL;
	char arn[400];
	int m, n, sm;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(load(&app, dir), 0);
	assert_int_equal(app.ntables, 3);
	m = table_index(&app, "Msgs");
	n = table_index(&app, "Named");
	sm = table_index(&app, "Simple");
	assert_true(m >= 0 && n >= 0 && sm >= 0);
	dev_table_name("sluice-dev", "Msgs", gen);
	assert_string_equal(app.tables[m], gen);
	assert_string_equal(app.tables[n], "sluice-dev-named");

	/* The names are checked above; the rest of each request: */
	json_object_set_new(app.table_specs[m], "TableName", json_string("REPLACED"));
	json_object_set_new(app.table_specs[n], "TableName", json_string("REPLACED"));
	json_object_set_new(app.table_specs[sm], "TableName", json_string("REPLACED"));
	assert_json(app.table_specs[m],
		    "{\"TableName\":\"REPLACED\",\"BillingMode\":\"PAY_PER_REQUEST\","
		    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
		    "{\"AttributeName\":\"g\",\"AttributeType\":\"N\"}],"
		    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
		    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"byG\",\"KeySchema\":"
		    "[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
		    "\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}}]}");
	assert_json(
		app.table_specs[n],
		"{\"TableName\":\"REPLACED\","
		"\"AttributeDefinitions\":[{\"AttributeName\":\"k\",\"AttributeType\":\"S\"}],"
		"\"KeySchema\":[{\"AttributeName\":\"k\",\"KeyType\":\"HASH\"}],"
		"\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":2}}");
	assert_json(app.table_specs[sm],
		    "{\"TableName\":\"REPLACED\",\"BillingMode\":\"PAY_PER_REQUEST\","
		    "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
		    "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}");

	/* The local DynamoDB server accepts every spec; twice is not an error. */
	snprintf(db, sizeof(db), "%s/dynamodb.sqlite", dir);
	assert_int_equal(ddb_server_new(db, &s), 0);
	for (size_t i = 0; i < app.ntables; i++) {
		json_object_set_new(app.table_specs[i], "TableName", json_string(app.tables[i]));
		assert_int_equal(ddb_server_create_table_from_spec(s, app.table_specs[i]), 0);
		assert_int_equal(ddb_server_create_table_from_spec(s, app.table_specs[i]), 0);
	}
	ddb_server_free(s);

	assert_int_equal(app.nfns, 1);
	assert_string_equal(env_of(&app.fns[0], "MESSAGES_TABLE"), app.tables[m]);
	snprintf(arn, sizeof(arn), "arn:aws:dynamodb:us-east-1:123456789012:table/%s",
		 app.tables[m]);
	assert_string_equal(env_of(&app.fns[0], "MESSAGES_ARN"), arn);
	assert_string_equal(env_of(&app.fns[0], "NAMED"), "sluice-dev-named");
	assert_string_equal(env_of(&app.fns[0], "SIMPLE"), app.tables[sm]);
	snprintf(arn, sizeof(arn), "%s/x", app.tables[m]);
	assert_string_equal(env_of(&app.fns[0], "SUBBED"), arn);
	assert_string_equal(env_of(&app.fns[0], "AWS_ENDPOINT_URL_DYNAMODB"),
			    "http://127.0.0.1:4566");
	assert_string_equal(env_of(&app.fns[0], "AWS_ENDPOINT_URL_S3"), "http://127.0.0.1:4566");
	dev_app_release(&app);
	unlink(db);
	snprintf(db, sizeof(db), "%s/dynamodb.sqlite-wal", dir);
	unlink(db);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_tables_and_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
