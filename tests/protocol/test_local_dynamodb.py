"""The local DynamoDB endpoint against boto3, awscli and a second opinion.

One suite of boto3 calls runs twice: against build/tests/ddb_endpoint_main
(the local DynamoDB of `sluice dev`, without SigV4) and against moto's
DynamoDB server. Every assertion states what DynamoDB answers; where moto
answers otherwise the test is listed in MOTO_DIFFERENCES with the reason, and
an unlisted difference fails. awscli and crash safety run against ours only.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from decimal import Decimal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

BUILD = os.environ.get("SLUICE_BUILD", "build")
SERVER = os.path.join(BUILD, "tests", "ddb_endpoint_main")

# Tests where moto answers differently from DynamoDB, with the reason. A test
# listed here must fail on moto (else the list is stale and the run fails).
MOTO_DIFFERENCES = {
    "test_numbers_normalised": "moto returns numbers as sent ('1.50'), DynamoDB canonical ('1.5')",
    "test_number_range_and_precision": "moto does not enforce the 38-digit/1E126 limits",
    "test_unused_expression_values": "moto accepts unused ExpressionAttributeValues",
    "test_query_limit_page_end": "moto omits LastEvaluatedKey when the Limit ends on the last item",
    "test_item_size_limit": "moto overcounts item size (rejects a 409,594-byte item DynamoDB takes)",
    "test_transactions": "moto ignores ClientRequestToken: a repeated token runs the writes again",
    "test_set_duplicates": "moto accepts a string set with duplicate elements",
    "test_query_filter_on_key": "moto accepts a Query FilterExpression on a key attribute",
    "test_gsi_key_type_checked": "moto does not check the type of index key attributes",
    "test_scan": "moto returns Items for Select=COUNT",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %d" % port)


class LocalServer:
    """build/tests/ddb_endpoint_main on a temporary SQLite file."""

    def __init__(self, db):
        self.db = db
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [SERVER, "--db", self.db, "--port", str(self.port), "--max-seconds", "600"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("port "):
            raise RuntimeError("no port line: %r" % line)
        return "http://127.0.0.1:%d" % self.port

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stdin.close()
        self.proc.stdout.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc and not self.proc.stdout.closed:
            self.proc.stdout.close()


class MotoServer:
    def __init__(self):
        self.proc = None

    def start(self):
        port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, self.proc)
        return "http://127.0.0.1:%d" % port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def client(url):
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="sluice", aws_secret_access_key="sluice-local",
        config=Config(retries={"max_attempts": 1}))


def error_code(ctx):
    return ctx.exception.response["Error"]["Code"]


class DynamoSuite:
    """The shared suite; subclasses provide make_server()."""

    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = cls.make_server(cls.tmp.name)
        try:
            cls.url = cls.server.start()
        except Exception:
            cls.server.stop()
            cls.tmp.cleanup()
            raise
        cls.ddb = client(cls.url)
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def table(self, range_key=True, gsi=False, range_type="S"):
        type(self).counter += 1
        name = "t%d-%s" % (self.counter, self._testMethodName[-20:].replace("_", "-"))
        defs = [{"AttributeName": "pk", "AttributeType": "S"}]
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        if range_key:
            defs.append({"AttributeName": "sk", "AttributeType": range_type})
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        extra = {}
        if gsi:
            defs.append({"AttributeName": "g", "AttributeType": "S"})
            extra["GlobalSecondaryIndexes"] = [{
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}]
        self.ddb.create_table(TableName=name, AttributeDefinitions=defs, KeySchema=keys,
                              BillingMode="PAY_PER_REQUEST", **extra)
        return name

    # ----- tables -----------------------------------------------------------
    def test_table_lifecycle(self):
        name = self.table()
        desc = self.ddb.describe_table(TableName=name)["Table"]
        self.assertEqual(desc["TableName"], name)
        self.assertEqual(desc["TableStatus"], "ACTIVE")
        self.assertEqual(desc["KeySchema"][0], {"AttributeName": "pk", "KeyType": "HASH"})
        self.assertEqual(desc["ItemCount"], 0)
        self.assertIn(name, self.ddb.list_tables()["TableNames"])
        with self.assertRaises(ClientError) as ctx:
            self.table_again(name)
        self.assertEqual(error_code(ctx), "ResourceInUseException")
        self.ddb.delete_table(TableName=name)
        with self.assertRaises(ClientError) as ctx:
            self.ddb.describe_table(TableName=name)
        self.assertEqual(error_code(ctx), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
        self.assertEqual(error_code(ctx), "ResourceNotFoundException")

    def table_again(self, name):
        self.ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])

    # ----- items -------------------------------------------------------------
    def test_put_get_all_types(self):
        name = self.table()
        item = {
            "pk": {"S": "p"}, "sk": {"S": "s"}, "s": {"S": "héllo"}, "n": {"N": "-12.5"},
            "b": {"B": b"\x00\x01\xff"}, "t": {"BOOL": True}, "z": {"NULL": True},
            "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "a"}, {"N": "2"}]}}},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"y"]},
            "e": {"S": ""},
        }
        self.ddb.put_item(TableName=name, Item=item)
        got = self.ddb.get_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "s"}})["Item"]
        got["ss"]["SS"].sort()
        got["ns"]["NS"].sort()
        got["bs"]["BS"].sort()
        self.assertEqual(got, item)
        none = self.ddb.get_item(TableName=name, Key={"pk": {"S": "q"}, "sk": {"S": "s"}})
        self.assertNotIn("Item", none)
        proj = self.ddb.get_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "s"}},
                                 ProjectionExpression="#n, m.y[1]",
                                 ExpressionAttributeNames={"#n": "n"})["Item"]
        self.assertEqual(proj, {"n": {"N": "-12.5"}, "m": {"M": {"y": {"L": [{"N": "2"}]}}}})

    def test_numbers_normalised(self):
        name = self.table(range_key=False)
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "n": {"N": "001.500"},
                                                "e": {"N": "1E2"}})
        got = self.ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]
        self.assertEqual(got["n"], {"N": "1.5"})
        self.assertEqual(got["e"], {"N": "100"})

    def test_number_range_and_precision(self):
        name = self.table(range_key=False)
        for bad in ("1E126", "1E-131", "1.000000000000000000000000000000000000001"):
            with self.assertRaises(ClientError) as ctx:
                self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "n": {"N": bad}})
            self.assertEqual(error_code(ctx), "ValidationException", bad)
        big = "9" * 38
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "n": {"N": big}})
        out = self.ddb.update_item(TableName=name, Key={"pk": {"S": "a"}},
                                   UpdateExpression="SET n = n - :one",
                                   ExpressionAttributeValues={":one": {"N": "1"}},
                                   ReturnValues="UPDATED_NEW")
        self.assertEqual(out["Attributes"]["n"]["N"], "9" * 37 + "8")

    def test_key_errors(self):
        name = self.table()
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
        self.assertEqual(error_code(ctx), "ValidationException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"N": "1"}, "sk": {"S": "x"}})
        self.assertEqual(error_code(ctx), "ValidationException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
        self.assertEqual(error_code(ctx), "ValidationException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": ""}, "sk": {"S": "x"}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_set_duplicates(self):
        name = self.table()
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "b"},
                                                    "s": {"SS": ["x", "x"]}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_item_size_limit(self):
        name = self.table(range_key=False)
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"},
                                                "v": {"S": "x" * (400 * 1024 - 10)}})
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"},
                                                    "v": {"S": "x" * (400 * 1024)}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_conditional_put_delete(self):
        name = self.table(range_key=False)
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}},
                          ConditionExpression="attribute_not_exists(pk)")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}},
                              ConditionExpression="attribute_not_exists(pk)")
        self.assertEqual(error_code(ctx), "ConditionalCheckFailedException")
        old = self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "2"}},
                                ConditionExpression="v = :one AND size(pk) BETWEEN :one AND :two",
                                ExpressionAttributeValues={":one": {"N": "1"}, ":two": {"N": "2"}},
                                ReturnValues="ALL_OLD")
        self.assertEqual(old["Attributes"], {"pk": {"S": "a"}, "v": {"N": "1"}})
        with self.assertRaises(ClientError) as ctx:
            self.ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}},
                                 ConditionExpression="v IN (:x, :y)",
                                 ExpressionAttributeValues={":x": {"N": "5"}, ":y": {"N": "6"}})
        self.assertEqual(error_code(ctx), "ConditionalCheckFailedException")
        out = self.ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}},
                                   ConditionExpression="attribute_type(v, :t) AND NOT v < :z",
                                   ExpressionAttributeValues={":t": {"S": "N"}, ":z": {"N": "0"}},
                                   ReturnValues="ALL_OLD")
        self.assertEqual(out["Attributes"]["v"], {"N": "2"})
        self.assertNotIn("Item", self.ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}))

    def test_update_expressions(self):
        name = self.table(range_key=False)
        key = {"pk": {"S": "u"}}
        out = self.ddb.update_item(
            TableName=name, Key=key,
            UpdateExpression="SET c = if_not_exists(c, :zero) + :one, l = :l, m = :m "
                             "ADD s :s",
            ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"},
                                       ":l": {"L": [{"S": "a"}]},
                                       ":m": {"M": {"x": {"S": "y"}}}, ":s": {"SS": ["p"]}},
            ReturnValues="ALL_NEW")
        self.assertEqual(out["Attributes"]["c"], {"N": "1"})
        out = self.ddb.update_item(
            TableName=name, Key=key,
            UpdateExpression="SET l = list_append(l, :more), m.z = :z, c = c + :two "
                             "REMOVE m.x ADD s :s2",
            ExpressionAttributeValues={":more": {"L": [{"S": "b"}]}, ":z": {"N": "3"},
                                       ":two": {"N": "2"}, ":s2": {"SS": ["q"]}},
            ReturnValues="UPDATED_OLD")
        self.assertEqual(out["Attributes"]["c"], {"N": "1"})
        self.assertEqual(out["Attributes"]["s"], {"SS": ["p"]})
        self.ddb.update_item(TableName=name, Key=key, UpdateExpression="DELETE s :s",
                             ExpressionAttributeValues={":s": {"SS": ["p"]}})
        item = self.ddb.get_item(TableName=name, Key=key)["Item"]
        self.assertEqual(item["c"], {"N": "3"})
        self.assertEqual(item["l"], {"L": [{"S": "a"}, {"S": "b"}]})
        self.assertEqual(item["m"], {"M": {"z": {"N": "3"}}})
        self.assertEqual(item["s"], {"SS": ["q"]})
        with self.assertRaises(ClientError) as ctx:
            self.ddb.update_item(TableName=name, Key=key, UpdateExpression="SET pk = :v",
                                 ExpressionAttributeValues={":v": {"S": "x"}})
        self.assertEqual(error_code(ctx), "ValidationException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.update_item(TableName=name, Key=key, UpdateExpression="SET c = c + :v",
                                 ExpressionAttributeValues={":v": {"S": "x"}})
        self.assertEqual(error_code(ctx), "ValidationException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.update_item(TableName=name, Key=key, UpdateExpression="SET c = :v",
                                 ConditionExpression="c > :v",
                                 ExpressionAttributeValues={":v": {"N": "10"}})
        self.assertEqual(error_code(ctx), "ConditionalCheckFailedException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb.update_item(TableName=name, Key=key, UpdateExpression="SET = :v",
                                 ExpressionAttributeValues={":v": {"N": "10"}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_unused_expression_values(self):
        name = self.table(range_key=False)
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}},
                              ConditionExpression="attribute_not_exists(pk)",
                              ExpressionAttributeValues={":unused": {"N": "1"}})
        self.assertEqual(error_code(ctx), "ValidationException")

    # ----- query and scan ----------------------------------------------------
    def fill(self, name, n=10):
        for i in range(n):
            self.ddb.put_item(TableName=name, Item={
                "pk": {"S": "p"}, "sk": {"N": str(i * 10 - 30)}, "g": {"S": "even" if i % 2 == 0 else "odd"},
                "v": {"N": str(i)}})

    def test_query(self):
        name = self.table(range_key=True, range_type="N", gsi=True)
        self.fill(name)
        q = dict(TableName=name, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "-20"},
                                            ":b": {"N": "20"}})
        out = self.ddb.query(**q)
        self.assertEqual([i["sk"]["N"] for i in out["Items"]], ["-20", "-10", "0", "10", "20"])
        out = self.ddb.query(ScanIndexForward=False, **q)
        self.assertEqual([i["sk"]["N"] for i in out["Items"]], ["20", "10", "0", "-10", "-20"])
        out = self.ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk < :z",
                             FilterExpression="v <> :one",
                             ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"},
                                                        ":one": {"N": "1"}})
        self.assertEqual(out["Count"], 2)
        self.assertEqual(out["ScannedCount"], 3)
        pages, start = [], None
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            out = self.ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                                 ExpressionAttributeValues={":p": {"S": "p"}}, Limit=4, **kw)
            pages.append([i["v"]["N"] for i in out["Items"]])
            start = out.get("LastEvaluatedKey")
            if not start or not out["Items"]:
                break
        self.assertEqual([v for p in pages for v in p], [str(i) for i in range(10)])
        self.assertEqual(pages[0], ["0", "1", "2", "3"])
        out = self.ddb.query(TableName=name, IndexName="by-g",
                             KeyConditionExpression="g = :g AND sk >= :z",
                             ExpressionAttributeValues={":g": {"S": "odd"}, ":z": {"N": "0"}})
        self.assertEqual([i["v"]["N"] for i in out["Items"]], ["3", "5", "7", "9"])
        with self.assertRaises(ClientError) as ctx:
            self.ddb.query(TableName=name, KeyConditionExpression="sk = :z",
                           ExpressionAttributeValues={":z": {"N": "0"}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_query_begins_with(self):
        name = self.table()
        for sk in ("a", "ab", "abc", "b", "ba"):
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
        out = self.ddb.query(TableName=name,
                             KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                             ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"S": "a"}})
        self.assertEqual([i["sk"]["S"] for i in out["Items"]], ["a", "ab", "abc"])

    def test_query_filter_on_key(self):
        name = self.table()
        with self.assertRaises(ClientError) as ctx:
            self.ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                           FilterExpression="sk = :s",
                           ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"S": "s"}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_gsi_keys_only_and_update_nested(self):
        type(self).counter += 1
        name = "gsi%d" % self.counter
        self.ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "st", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "st", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "st": {"S": "open"},
                                                "doc": {"M": {"n": {"N": "1"}}}})
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})  # not in the index
        out = self.ddb.query(TableName=name, IndexName="by-status",
                             KeyConditionExpression="st = :s",
                             ExpressionAttributeValues={":s": {"S": "open"}})
        self.assertEqual(out["Items"], [{"pk": {"S": "a"}, "st": {"S": "open"}}])
        out = self.ddb.update_item(TableName=name, Key={"pk": {"S": "a"}},
                                   UpdateExpression="SET doc.n = doc.n + :one, st = :c",
                                   ExpressionAttributeValues={":one": {"N": "1"},
                                                              ":c": {"S": "closed"}},
                                   ReturnValues="UPDATED_NEW")
        self.assertEqual(out["Attributes"], {"doc": {"M": {"n": {"N": "2"}}},
                                             "st": {"S": "closed"}})
        out = self.ddb.query(TableName=name, IndexName="by-status",
                             KeyConditionExpression="st = :s",
                             ExpressionAttributeValues={":s": {"S": "open"}})
        self.assertEqual(out["Count"], 0)

    def test_gsi_key_type_checked(self):
        type(self).counter += 1
        name = "gsit%d" % self.counter
        self.ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "st", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "st", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}])
        with self.assertRaises(ClientError) as ctx:
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "c"}, "st": {"N": "1"}})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_query_limit_page_end(self):
        name = self.table()
        for sk in ("a", "b"):
            self.ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
        out = self.ddb.query(TableName=name, KeyConditionExpression="pk = :p", Limit=2,
                             ExpressionAttributeValues={":p": {"S": "p"}})
        self.assertEqual(out["LastEvaluatedKey"], {"pk": {"S": "p"}, "sk": {"S": "b"}})

    def test_scan(self):
        name = self.table(range_key=True, range_type="N")
        self.fill(name, 7)
        out = self.ddb.scan(TableName=name, Select="COUNT")
        self.assertEqual((out["Count"], out["ScannedCount"]), (7, 7))
        self.assertNotIn("Items", out)
        out = self.ddb.scan(TableName=name, FilterExpression="v >= :three",
                            ExpressionAttributeValues={":three": {"N": "3"}})
        self.assertEqual(out["Count"], 4)
        seen, start = 0, None
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            out = self.ddb.scan(TableName=name, Limit=3, **kw)
            seen += out["Count"]
            start = out.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(seen, 7)

    # ----- batches and transactions --------------------------------------------
    def test_batches(self):
        name = self.table(range_key=False)
        self.ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": str(i)}, "v": {"N": str(i)}}}}
            for i in range(5)]})
        self.ddb.batch_write_item(RequestItems={name: [
            {"DeleteRequest": {"Key": {"pk": {"S": "0"}}}}]})
        out = self.ddb.batch_get_item(RequestItems={name: {
            "Keys": [{"pk": {"S": str(i)}} for i in range(5)]}})
        got = sorted(i["v"]["N"] for i in out["Responses"][name])
        self.assertEqual(got, ["1", "2", "3", "4"])
        with self.assertRaises(ClientError) as ctx:
            self.ddb.batch_write_item(RequestItems={name: [
                {"PutRequest": {"Item": {"pk": {"S": "x"}}}},
                {"PutRequest": {"Item": {"pk": {"S": "x"}}}}]})
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_transactions(self):
        name = self.table(range_key=False)
        self.ddb.put_item(TableName=name, Item={"pk": {"S": "count"}, "n": {"N": "0"}})
        ok = [
            {"Put": {"TableName": name, "Item": {"pk": {"S": "m1"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": name, "Key": {"pk": {"S": "count"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ]
        self.ddb.transact_write_items(TransactItems=ok, ClientRequestToken="tok-1")
        self.ddb.transact_write_items(TransactItems=ok, ClientRequestToken="tok-1")
        count = self.ddb.get_item(TableName=name, Key={"pk": {"S": "count"}})["Item"]["n"]
        self.assertEqual(count, {"N": "1"})
        with self.assertRaises(ClientError) as ctx:
            self.ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": name, "Key": {"pk": {"S": "count"}},
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                {"Put": {"TableName": name, "Item": {"pk": {"S": "m1"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}}])
        self.assertEqual(error_code(ctx), "TransactionCanceledException")
        reasons = ctx.exception.response["CancellationReasons"]
        self.assertEqual([r["Code"] for r in reasons], ["None", "ConditionalCheckFailed"])
        count = self.ddb.get_item(TableName=name, Key={"pk": {"S": "count"}})["Item"]["n"]
        self.assertEqual(count, {"N": "1"})
        out = self.ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": name, "Key": {"pk": {"S": "m1"}}}},
            {"Get": {"TableName": name, "Key": {"pk": {"S": "nope"}}}}])
        self.assertEqual(out["Responses"][0]["Item"], {"pk": {"S": "m1"}})
        self.assertNotIn("Item", out["Responses"][1])
        with self.assertRaises(ClientError) as ctx:
            self.ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": name, "Item": {"pk": {"S": "d"}}}},
                {"Delete": {"TableName": name, "Key": {"pk": {"S": "d"}}}}])
        self.assertEqual(error_code(ctx), "ValidationException")

    def test_resource_decimal_roundtrip(self):
        name = self.table(range_key=False)
        t = boto3.resource("dynamodb", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id="sluice",
                           aws_secret_access_key="sluice-local").Table(name)
        t.put_item(Item={"pk": "x", "price": Decimal("19.99"), "tags": {"a", "b"}})
        item = t.get_item(Key={"pk": "x"})["Item"]
        self.assertEqual(item["price"], Decimal("19.99"))
        self.assertEqual(item["tags"], {"a", "b"})


class TestLocalDynamoDB(DynamoSuite, unittest.TestCase):
    @staticmethod
    def make_server(tmp):
        return LocalServer(os.path.join(tmp, "dynamodb.sqlite"))

    def raw(self, target, body):
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read()), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), dict(e.headers)

    def test_protocol_errors(self):
        status, body, headers = self.raw("DynamoDB_20120810.Frobnicate", b"{}")
        self.assertEqual(status, 400)
        self.assertEqual(body["__type"], "com.amazon.coral.service#UnknownOperationException")
        self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.0")
        self.assertIn("x-amzn-RequestId", headers)
        status, body, _ = self.raw("DynamoDB_20120810.GetItem", b"{not json")
        self.assertEqual((status, body["__type"].split("#")[1]), (400, "SerializationException"))
        status, body, _ = self.raw("DynamoDB_20120810.DescribeTable", b'{"TableName":"nope"}')
        self.assertEqual(body, {
            "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
            "message": "Requested resource not found: Table: nope not found"})
        status, body, _ = self.raw("DynamoDB_20120810.UpdateTable", b'{"TableName":"nope"}')
        self.assertEqual(body["__type"].split("#")[1], "ValidationException")
        self.assertIn("UpdateTable", body["message"])

    @unittest.skipUnless(shutil.which("aws"), "awscli is not installed")
    def test_awscli(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="sluice", AWS_SECRET_ACCESS_KEY="sluice-local",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")

        def aws(*args):
            out = subprocess.run(["aws", "dynamodb", *args, "--endpoint-url", self.url,
                                  "--output", "json"], env=env, capture_output=True,
                                 timeout=60, check=True)
            return json.loads(out.stdout) if out.stdout.strip() else None

        aws("create-table", "--table-name", "cli-table",
            "--attribute-definitions", "AttributeName=id,AttributeType=S",
            "--key-schema", "AttributeName=id,KeyType=HASH",
            "--billing-mode", "PAY_PER_REQUEST")
        aws("put-item", "--table-name", "cli-table",
            "--item", '{"id": {"S": "1"}, "msg": {"S": "hello"}}')
        aws("put-item", "--table-name", "cli-table", "--item", '{"id": {"S": "2"}}')
        got = aws("get-item", "--table-name", "cli-table", "--key", '{"id": {"S": "1"}}')
        self.assertEqual(got["Item"], {"id": {"S": "1"}, "msg": {"S": "hello"}})
        count = aws("scan", "--table-name", "cli-table", "--select", "COUNT")
        self.assertEqual(count["Count"], 2)

    def test_crash_safety(self):
        """kill -9 right after an acknowledged PutItem: the item survives."""
        db = os.path.join(self.tmp.name, "crash.sqlite")
        server = LocalServer(db)
        try:
            ddb = client(server.start())
            ddb.create_table(TableName="crash", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            for i in range(20):
                ddb.put_item(TableName="crash", Item={"pk": {"S": "k%d" % i}})
            server.kill9()
            ddb = client(server.start())
            out = ddb.scan(TableName="crash", Select="COUNT")
            self.assertEqual(out["Count"], 20)
            self.assertIn("Item", ddb.get_item(TableName="crash", Key={"pk": {"S": "k19"}}))
        finally:
            server.stop()


class TestMotoDynamoDB(DynamoSuite, unittest.TestCase):
    @staticmethod
    def make_server(tmp):
        return MotoServer()


# A listed difference is an expected failure on moto; an unlisted one fails.
def _expect_failure(method):
    def wrapper(self):
        return method(self)
    wrapper.__name__ = method.__name__
    return unittest.expectedFailure(wrapper)


for _name, _reason in MOTO_DIFFERENCES.items():
    setattr(TestMotoDynamoDB, _name, _expect_failure(getattr(DynamoSuite, _name)))


if __name__ == "__main__":
    unittest.main()
