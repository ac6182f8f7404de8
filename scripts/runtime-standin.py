#!/usr/bin/env python3
"""A stand-in for the Lambda Runtime API, for `make package-check`.

    runtime-standin.py [--handler NAME] [--event JSON] [--env K=V ...]
                       [--expect-error TEXT] -- COMMAND [ARGS...]

Starts a Runtime API on 127.0.0.1 (a free port), runs COMMAND with an empty
environment apart from the variables Lambda gives a custom runtime
(AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT) and the --env ones,
hands it one event (an API Gateway v2 `GET /health` unless --event), and
answers the next `next` with a 500, which ends the runtime. Exits 0 when the
command posted a 200 response for the event (with --expect-response, a
response containing TEXT), or, with --expect-error, a function error whose
body contains TEXT.
"""

import argparse
import http.server
import json
import os
import subprocess
import sys
import threading

PREFIX = "/2018-06-01/runtime"
REQUEST_ID = "package-check-1"
TIMEOUT_S = 20

HEALTH_EVENT = {
    "version": "2.0",
    "routeKey": "GET /health",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"host": "api.example.com"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "http": {"method": "GET", "path": "/health", "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "package-check"},
        "requestId": "gw-1",
        "routeKey": "GET /health",
        "stage": "$default",
        "timeEpoch": 1741616400000,
    },
    "isBase64Encoded": False,
}


class RuntimeApi(http.server.ThreadingHTTPServer):
    """Serves `script`, a list of (request id, event), one per `next`; records
    every post as (path, headers, body) and answers `next` with 500 once the
    script is done, which tells a runtime to exit. tests/protocol/test_bootstrap.py
    uses it too."""

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
            return self.reply(500, b'{"errorType":"StandIn.Done"}')
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", default="health")
    parser.add_argument("--event", help="the event, as JSON (default: GET /health)")
    parser.add_argument("--env", action="append", default=[], help="K=V for the command")
    parser.add_argument("--expect-error", help="want a function error containing this text")
    parser.add_argument("--expect-response",
                        help="want a response containing this text (instead of statusCode 200)")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()

    event = json.loads(args.event) if args.event else HEALTH_EVENT
    server = RuntimeApi([(REQUEST_ID, event)])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "AWS_LAMBDA_RUNTIME_API": server.address,
        "_HANDLER": args.handler,
        "LAMBDA_TASK_ROOT": os.path.dirname(os.path.abspath(args.command[0])),
    }
    env.update(kv.split("=", 1) for kv in args.env)
    proc = subprocess.Popen(args.command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        print("runtime-standin: %s did not end within %d s" % (args.command[0], TIMEOUT_S))
    finally:
        server.shutdown()
        server.server_close()

    if args.expect_error:
        want = PREFIX + "/invocation/%s/error" % REQUEST_ID
        for path, _, body in server.posts:
            if path == want and args.expect_error in body.decode(errors="replace"):
                print("runtime-standin: %s failed %s as expected: %s" % (
                    args.command[0], REQUEST_ID, body.decode(errors="replace")[:300]))
                return 0
        print("runtime-standin: no error with %r for %s; posts: %r" % (
            args.expect_error, REQUEST_ID, server.posts))
        sys.stdout.write(stderr.decode(errors="replace")[-2000:])
        return 1

    want = PREFIX + "/invocation/%s/response" % REQUEST_ID
    for path, _, body in server.posts:
        if path != want:
            continue
        if args.expect_response is not None:
            if args.expect_response in body.decode(errors="replace"):
                print("runtime-standin: %s answered %s: %s" % (
                    args.command[0], REQUEST_ID, body.decode(errors="replace")[:300]))
                return 0
            continue
        try:
            status = json.loads(body).get("statusCode")
        except (ValueError, AttributeError):
            status = None
        if status == 200:
            print("runtime-standin: %s answered %s with statusCode 200" % (
                args.command[0], REQUEST_ID))
            return 0
    print("runtime-standin: no 200 response for %s; posts: %r" % (REQUEST_ID, server.posts))
    sys.stdout.write(stderr.decode(errors="replace")[-2000:])
    return 1


if __name__ == "__main__":
    sys.exit(main())
