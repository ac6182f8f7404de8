"""A scripted Lambda Runtime API for the runtime bootstraps' tests.

`StandIn` serves /2018-06-01/runtime under a worker prefix (/w/1, as
`sluice dev` gives each worker), hands out the invocations it was given, one
per `next`, and records what the runtime posts back: responses, invocation
errors and the init error. `run()` starts a runtime process against it and
returns when every invocation has an outcome, the runtime reported an init
error, or the process ended.
"""

import http.server
import json
import os
import queue
import subprocess
import threading
import time

PREFIX = "/w/1/2018-06-01/runtime"


class StandIn:
    def __init__(self, invocations):
        self.pending = queue.Queue()
        for i, inv in enumerate(invocations):
            inv = dict(inv)
            inv.setdefault("id", "req-%d" % (i + 1))
            self.pending.put(inv)
        self.expected = len(invocations)
        self.results = {}  # request id -> (kind, body, error type header)
        self.init_error = None
        self.next_headers = []
        self.done = threading.Event()
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._send(404)
                standin.next_headers.append(dict(self.headers))
                try:
                    inv = standin.pending.get(timeout=30)
                except queue.Empty:
                    return self._send(500)
                body = json.dumps(inv.get("event", {})).encode()
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": inv["id"],
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 3000),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        "arn:aws:lambda:us-east-1:123456789012:function:fn",
                    "Lambda-Runtime-Trace-Id": inv.get("trace", "Root=1-00000000-000000000000000000000001"),
                    "Content-Type": "application/json",
                }
                self._send(200, body, headers)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                etype = self.headers.get("Lambda-Runtime-Function-Error-Type")
                if self.path == PREFIX + "/init/error":
                    standin.init_error = (json.loads(body), etype)
                    standin.done.set()
                    return self._send(202, b'{"status":"OK"}')
                rest = self.path[len(PREFIX + "/invocation/"):]
                rid, _, kind = rest.rpartition("/")
                if not self.path.startswith(PREFIX + "/invocation/") or kind not in ("response", "error"):
                    return self._send(404)
                standin.results[rid] = (kind, json.loads(body) if body else None, etype)
                if len(standin.results) == standin.expected:
                    standin.done.set()
                self._send(202, b'{"status":"OK"}')

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a runtime killed at the end of a test resets its connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]

    def run(self, argv, task_root, handler, timeout=20, env=None):
        """Run the runtime until the invocations are answered; returns its output."""
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d/w/1" % self.port,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": task_root,
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        }
        child_env.update(env or {})
        proc = subprocess.Popen(argv, cwd=task_root, env=child_env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while not self.done.is_set() and proc.poll() is None and time.time() < deadline:
            self.done.wait(0.02)
        if proc.poll() is None:
            proc.kill()
        out = proc.communicate()[0].decode(errors="replace")
        self.exit_code = proc.returncode
        self.server.shutdown()
        self.server.server_close()
        return out
