"""build/bootstrap against a stand-in Lambda Runtime API (stdlib http.server).

The bootstrap is run as Lambda runs it: a plain executable with
AWS_LAMBDA_RUNTIME_API and _HANDLER in its environment. The stand-in serves
scripted invocations, records what the bootstrap posts, and answers `next`
with 500 once the script is done, which tells the runtime to exit.
"""

import http.server
import json
import os
import subprocess
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
PREFIX = "/2018-06-01/runtime"

HEALTH_EVENT = {
    "version": "2.0",
    "routeKey": "GET /health",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"accept": "application/json", "host": "api.example.com"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "http": {
            "method": "GET",
            "path": "/health",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "test",
        },
        "requestId": "gw-1",
        "routeKey": "GET /health",
        "stage": "$default",
        "timeEpoch": 1741616400000,
    },
    "isBase64Encoded": False,
}


class RuntimeApi(http.server.ThreadingHTTPServer):
    """Serves `script` (a list of (request id, event)) and records posts."""

    daemon_threads = True

    def __init__(self, script):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = list(script)
        self.posts = []
        self.nexts = 0
        self.lock = threading.Lock()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != PREFIX + "/invocation/next":
            return self.reply(404)
        with self.server.lock:
            self.server.nexts += 1
            item = self.server.script.pop(0) if self.server.script else None
        if item is None:
            return self.reply(500, b'{"errorType":"Test.Done"}')
        request_id, event = item
        self.reply(200, json.dumps(event).encode(), [
            ("Lambda-Runtime-Aws-Request-Id", request_id),
            ("Lambda-Runtime-Deadline-Ms", "4102444800000"),
            ("Lambda-Runtime-Invoked-Function-Arn",
             "arn:aws:lambda:us-east-1:123456789012:function:health"),
        ])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.posts.append((self.path, dict(self.headers), body))
        self.reply(202, b'{"status":"OK"}')


@unittest.skipUnless(os.access(BOOTSTRAP, os.X_OK), "no %s: run make first" % BOOTSTRAP)
class BootstrapTest(unittest.TestCase):
    def run_bootstrap(self, handler, script=()):
        """Run the bootstrap to its end; returns (exit code, server)."""
        server = RuntimeApi(script)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        env = {k: v for k, v in os.environ.items() if k != "_HANDLER"}
        env["AWS_LAMBDA_RUNTIME_API"] = server.address
        if handler is not None:
            env["_HANDLER"] = handler
        proc = subprocess.Popen([BOOTSTRAP], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            _, self.stderr = proc.communicate(timeout=20)
            return proc.returncode, server
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            server.shutdown()
            server.server_close()

    def assert_invalid_entrypoint(self, server, fragment):
        self.assertEqual(server.nexts, 0)
        self.assertEqual(len(server.posts), 1)
        path, headers, body = server.posts[0]
        self.assertEqual(path, PREFIX + "/init/error")
        self.assertEqual(headers.get("Lambda-Runtime-Function-Error-Type"),
                         "Runtime.InvalidEntrypoint")
        error = json.loads(body)
        self.assertEqual(list(error), ["errorMessage", "errorType", "stackTrace"])
        self.assertEqual(error["errorType"], "Runtime.InvalidEntrypoint")
        self.assertEqual(error["stackTrace"], [])
        self.assertIn(fragment, error["errorMessage"])
        self.assertIn("health", error["errorMessage"])  # lists the known functions

    def test_missing_handler_is_an_init_error(self):
        code, server = self.run_bootstrap(None)
        self.assertNotEqual(code, 0)
        self.assert_invalid_entrypoint(server, "_HANDLER is not set")

    def test_unknown_handler_is_an_init_error(self):
        code, server = self.run_bootstrap("no-such-function")
        self.assertNotEqual(code, 0)
        self.assert_invalid_entrypoint(server, '"no-such-function"')

    def test_health_invocations_are_answered(self):
        code, server = self.run_bootstrap("health", [("inv-1", HEALTH_EVENT),
                                                     ("inv-2", HEALTH_EVENT)])
        self.assertNotEqual(code, 0)  # the stand-in ended it with a 500 on `next`
        self.assertEqual(server.nexts, 3)
        self.assertEqual([p[0] for p in server.posts],
                         [PREFIX + "/invocation/inv-1/response",
                          PREFIX + "/invocation/inv-2/response"])
        response = json.loads(server.posts[0][2])
        self.assertEqual(response["statusCode"], 200)
        self.assertEqual(json.loads(response["body"])["status"], "ok")
        # Logs are JSON lines; the request id is cleared once an invocation is answered.
        lines = [json.loads(line) for line in self.stderr.decode().splitlines()]
        refused = [line for line in lines if line["message"] == "Runtime API refused next"]
        self.assertEqual(len(refused), 1)
        self.assertEqual(refused[0]["status"], 500)
        self.assertNotIn("requestId", refused[0])


if __name__ == "__main__":
    unittest.main()
