"""The deploy and teardown scripts (mk/deploy.mk, scripts/deploy.sh, destroy.sh,
migrate.sh, hold-traffic.py).

There is no AWS here: `make deploy DRY_RUN=1` must print the exact awscli
commands for a preview and for prod, `make destroy` must refuse prod without
CONFIRM=prod, and the bucket emptying runs for real against moto's S3 server
on a versioned bucket holding objects, old versions and delete markers.
"""

import os
import shlex
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make(*args, env=None):
    """Run make in the repository root; returns the CompletedProcess."""
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def commands(output):
    """The printed command lines, split as a shell would."""
    return [shlex.split(line) for line in output.splitlines() if line.strip()]


def option(argv, name):
    """The values after `name` in argv, up to the next --option."""
    i = argv.index(name) + 1
    values = []
    while i < len(argv) and not argv[i].startswith("--"):
        values.append(argv[i])
        i += 1
    return values


class DeployDryRunTest(unittest.TestCase):
    def dry_run(self, stage, *extra):
        result = make("deploy", "DRY_RUN=1", "STAGE=" + stage, "ARTIFACT_BUCKET=sluice-artifacts",
                      *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = commands(result.stdout)
        aws = [argv for argv in lines if argv[0] == "aws"]
        migrations = [["lambda", "invoke"]] * (2 if stage.startswith("pr-") else 1)
        # The stack update, the migrations, then the traffic shift.
        self.assertEqual([argv[1:3] for argv in aws],
                         [["cloudformation", "package"], ["cloudformation", "get-template"],
                          ["cloudformation", "deploy"]] + migrations +
                         [["cloudformation", "deploy"], ["cloudformation", "describe-stacks"]] +
                         [["s3", "sync"]] * 4 + [["s3", "cp"]] * 2 +
                         [["cloudfront", "create-invalidation"]])
        self.assertEqual(lines[0], ["make", "package"])
        n = len(migrations)
        self.site = aws[5 + n:]
        self.update, self.shift = aws[2], aws[3 + n]
        self.migrate = aws[3:3 + n]
        self.hold = next(argv for argv in lines if "scripts/hold-traffic.py" in argv)
        return dict(zip(["package", "deploy", "outputs"], [aws[0], self.shift, aws[4 + n]]))

    def test_migrate_between_update_and_traffic_shift(self):
        """The migrate function runs after the stack update that carries it and
        before the deploy that moves the aliases; a preview creates its database first."""
        for stage in ("prod", "pr-42"):
            with self.subTest(stage=stage):
                self.dry_run(stage)
                self.assertEqual(option(self.update, "--template-file"), [self.hold[-1]])
                self.assertEqual(self.hold[-3], option(self.shift, "--template-file")[0])
                self.assertTrue(self.hold[-3].endswith(".packaged.yaml"), self.hold)
                payloads = [option(argv, "--payload")[0] for argv in self.migrate]
                want = ['{"command":"up"}']
                if stage.startswith("pr-"):
                    want.insert(0, '{"command":"create-database"}')
                self.assertEqual(payloads, want)
                for argv in self.migrate:
                    self.assertEqual(option(argv, "--function-name"),
                                     ["MIGRATE_FUNCTION_OF_sluice-" + stage])
                    self.assertEqual(option(argv, "--cli-read-timeout"), ["330"])
                # Both deploys carry the same parameters.
                self.assertEqual(option(self.update, "--parameter-overrides"),
                                 option(self.shift, "--parameter-overrides"))

    def test_database_parameters(self):
        """Previews get a database of their own on dev's instance and no database
        alarms; prod reads its own environment's stacks."""
        overrides = option(self.dry_run("pr-42")["deploy"], "--parameter-overrides")
        self.assertIn("DatabaseName=sluice_pr_42", overrides)
        self.assertIn("DatabaseProxyEndpoint=sluice-database-dev.ProxyEndpoint", overrides)
        self.assertIn("FunctionSubnetIds=sluice-network-dev.PrivateSubnetIds", overrides)
        self.assertIn("DatabaseMigrationUser=sluice_migrator", overrides)
        self.assertFalse([o for o in overrides if o.startswith("DatabaseInstanceId=")], overrides)
        overrides = option(self.dry_run("prod")["deploy"], "--parameter-overrides")
        self.assertIn("DatabaseName=sluice", overrides)
        self.assertIn("DatabaseInstanceId=sluice-database-prod.DatabaseInstanceId", overrides)
        self.assertIn("MigrateSecurityGroupId=sluice-database-prod.MigrateSecurityGroupId",
                      overrides)

    def test_site_upload(self):
        """Hashed assets immutable, the pages no-cache and last, two paths invalidated."""
        self.dry_run("pr-42")
        syncs, (index, config), (inval,) = self.site[:4], self.site[4:6], self.site[6:]
        for argv in syncs[:3]:
            self.assertEqual(argv[3:5], ["web/dist/assets", "s3://SITE_BUCKET/assets"])
            self.assertEqual(option(argv, "--cache-control"),
                             ["public, max-age=31536000, immutable"])
        self.assertEqual(option(syncs[3], "--cache-control"), ["no-cache"])
        pairs = [syncs[3][i:i + 2] for i in range(len(syncs[3]) - 1)]
        self.assertIn(["--exclude", "index.html"], pairs)
        self.assertIn(["--exclude", "config.json"], pairs)
        self.assertEqual(index[3:5], ["web/dist/index.html", "s3://SITE_BUCKET/index.html"])
        self.assertEqual(config[4], "s3://SITE_BUCKET/config.json")
        for argv in (index, config):
            self.assertEqual(option(argv, "--cache-control"), ["no-cache"])
        self.assertEqual(option(inval, "--paths"), ["/index.html", "/config.json"])

    def test_preview_stage(self):
        cmd = self.dry_run("pr-42")
        self.assertEqual(option(cmd["package"], "--s3-bucket"), ["sluice-artifacts"])
        self.assertEqual(option(cmd["package"], "--s3-prefix"), ["sluice-pr-42"])
        deploy = cmd["deploy"]
        self.assertEqual(option(deploy, "--stack-name"), ["sluice-pr-42"])
        self.assertEqual(option(deploy, "--template-file"),
                         option(cmd["package"], "--output-template-file"))
        self.assertEqual(option(deploy, "--capabilities"),
                         ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
        self.assertEqual(option(deploy, "--parameter-overrides")[:3],
                         ["Stage=pr-42", "LogLevel=DEBUG", "LogRetentionDays=7"])
        tags = option(deploy, "--tags")
        self.assertEqual(tags[:2], ["project=sluice", "stage=pr-42"])
        self.assertTrue(tags[2].startswith("commit="), tags)
        self.assertEqual(option(cmd["outputs"], "--stack-name"), ["sluice-pr-42"])

    def test_prod_stage(self):
        cmd = self.dry_run("prod", "ALARM_EMAIL=oncall@example.com")
        deploy = cmd["deploy"]
        self.assertEqual(option(deploy, "--stack-name"), ["sluice-prod"])
        self.assertEqual(option(deploy, "--capabilities"),
                         ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
        self.assertEqual(option(deploy, "--parameter-overrides")[:4],
                         ["Stage=prod", "LogLevel=INFO", "LogRetentionDays=365",
                          "AlarmEmail=oncall@example.com"])
        self.assertIn("stage=prod", option(deploy, "--tags"))

    def test_bad_stage_is_refused(self):
        result = make("deploy", "DRY_RUN=1", "STAGE=Prod_1")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("must match", result.stderr)
        self.assertNotIn("aws cloudformation", result.stdout)


class DestroyGuardTest(unittest.TestCase):
    def test_prod_needs_confirm(self):
        result = make("destroy", "STAGE=prod", "DRY_RUN=1")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("CONFIRM=prod", result.stderr)
        self.assertNotIn("delete-stack", result.stdout)

    def test_prod_with_confirm_keeps_retained_buckets(self):
        result = make("destroy", "STAGE=prod", "CONFIRM=prod", "DRY_RUN=1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("keeping", result.stdout)
        self.assertNotIn("empty-bucket.sh", result.stdout)
        self.assertIn("aws cloudformation delete-stack --stack-name sluice-prod", result.stdout)
        self.assertIn("aws cloudformation wait stack-delete-complete --stack-name sluice-prod",
                      result.stdout)

    def test_stage_is_required(self):
        result = make("destroy", "DRY_RUN=1")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("STAGE is required", result.stderr)

    def test_preview_empties_then_deletes(self):
        result = make("destroy", "STAGE=pr-42", "DRY_RUN=1")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("scripts/empty-bucket.sh"), lines)
        self.assertEqual(lines[1:], [
            "scripts/migrate.sh drop-database",
            "aws cloudformation delete-stack --stack-name sluice-pr-42",
            "aws cloudformation wait stack-delete-complete --stack-name sluice-pr-42"])


class HoldTrafficTest(unittest.TestCase):
    """scripts/hold-traffic.py: the first stack update keeps the serving
    functions' running code and carries everything else."""

    NEW = """Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://artifacts/sluice-prod/new
      AutoPublishAlias: live
      Environment: {Variables: {PGHOST: !Ref Host}}
  Fresh:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://artifacts/sluice-prod/new, AutoPublishAlias: live}
  Migrate:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://artifacts/sluice-prod/new, Timeout: 300}
"""
    OLD = """Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://artifacts/sluice-prod/old, AutoPublishAlias: live}
  Migrate:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://artifacts/sluice-prod/old}
"""

    def test_serving_code_is_held(self):
        import json
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n) for n in ("new.yaml", "old.yaml", "hold.json")]
            for path, text in zip(paths, (self.NEW, self.OLD)):
                with open(path, "w") as f:
                    f.write(text)
            result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/hold-traffic.py"),
                                     *paths], capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("Api keep their running code", result.stdout)
            with open(paths[2]) as f:
                held = json.load(f)["Resources"]
        self.assertEqual(held["Api"]["Properties"]["CodeUri"], "s3://artifacts/sluice-prod/old")
        self.assertEqual(held["Api"]["Properties"]["Environment"],
                         {"Variables": {"PGHOST": {"Ref": "Host"}}})
        self.assertEqual(held["Fresh"]["Properties"]["CodeUri"], "s3://artifacts/sluice-prod/new")
        self.assertEqual(held["Migrate"]["Properties"]["CodeUri"], "s3://artifacts/sluice-prod/new")


class MigrateScriptTest(unittest.TestCase):
    def test_unknown_command_is_refused(self):
        result = subprocess.run([os.path.join(ROOT, "scripts/migrate.sh"), "drop-everything"],
                                env=dict(os.environ, STAGE="pr-42", DRY_RUN="1"),
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown command", result.stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmptyBucketMotoTest(unittest.TestCase):
    """scripts/empty-bucket.sh for real, against `python3 -m moto.server`."""

    BUCKET = "sluice-pr-42-databucket-test"

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.endpoint = "http://127.0.0.1:%d" % cls.port
        cls.server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cls.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(cls.endpoint + "/moto-api/", timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or cls.server.poll() is not None:
                        raise
                    time.sleep(0.2)
        except BaseException:
            cls.server.kill()
            cls.server.wait()
            raise
        cls.env = dict(os.environ, AWS_ENDPOINT_URL=cls.endpoint, AWS_ACCESS_KEY_ID="test",
                       AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            cls.env.pop(name, None)
        cls.s3 = boto3.client("s3", endpoint_url=cls.endpoint, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()

    def versions(self):
        page = self.s3.list_object_versions(Bucket=self.BUCKET)
        return page.get("Versions", []), page.get("DeleteMarkers", [])

    def test_versioned_bucket_is_left_empty(self):
        s3 = self.s3
        s3.create_bucket(Bucket=self.BUCKET)
        s3.put_bucket_versioning(Bucket=self.BUCKET,
                                 VersioningConfiguration={"Status": "Enabled"})
        for i in range(3):  # three versions of one object
            s3.put_object(Bucket=self.BUCKET, Key="reports/a.txt", Body=b"v%d" % i)
        for i in range(5):  # five objects, one version each
            s3.put_object(Bucket=self.BUCKET, Key="objects/%d" % i, Body=b"x")
        s3.put_object(Bucket=self.BUCKET, Key="gone.txt", Body=b"bye")
        s3.delete_object(Bucket=self.BUCKET, Key="gone.txt")  # a delete marker
        s3.put_object(Bucket=self.BUCKET, Key="objects/0", Body=b"y")
        s3.delete_object(Bucket=self.BUCKET, Key="objects/0")  # a marker over two versions
        s3.create_multipart_upload(Bucket=self.BUCKET, Key="half-done")
        versions, markers = self.versions()
        self.assertEqual((len(versions), len(markers)), (10, 2))
        # Plain deletion fails while anything is left: the seed 004 failure.
        with self.assertRaises(s3.exceptions.ClientError):
            s3.delete_bucket(Bucket=self.BUCKET)

        result = subprocess.run([os.path.join(ROOT, "scripts/empty-bucket.sh"), self.BUCKET],
                                env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("deleted 12 versions and delete markers", result.stdout)
        self.assertEqual(self.versions(), ([], []))
        self.assertEqual(s3.list_multipart_uploads(Bucket=self.BUCKET).get("Uploads", []), [])
        s3.delete_bucket(Bucket=self.BUCKET)  # now it goes
        self.assertNotIn(self.BUCKET, [b["Name"] for b in s3.list_buckets()["Buckets"]])

    def test_empty_bucket_is_a_no_op(self):
        name = "sluice-pr-42-logsbucket-test"
        self.s3.create_bucket(Bucket=name)
        result = subprocess.run([os.path.join(ROOT, "scripts/empty-bucket.sh"), name],
                                env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("deleted 0 versions", result.stdout)


if __name__ == "__main__":
    unittest.main()
