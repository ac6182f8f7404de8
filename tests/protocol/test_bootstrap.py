"""build/bootstrap against a stand-in Lambda Runtime API (stdlib http.server).

The bootstrap is run as Lambda runs it: a plain executable with
AWS_LAMBDA_RUNTIME_API and _HANDLER in its environment. The stand-in serves
scripted invocations, records what the bootstrap posts, and answers `next`
with 500 once the script is done, which tells the runtime to exit.
"""

import importlib.util
import json
import os
import subprocess
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
PREFIX = "/2018-06-01/runtime"

# The scripted Runtime API of `make package-check` (scripts/runtime-standin.py).
_spec = importlib.util.spec_from_file_location(
    "runtime_standin", os.path.join(ROOT, "scripts", "runtime-standin.py"))
standin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standin)
RuntimeApi = standin.RuntimeApi
HEALTH_EVENT = standin.HEALTH_EVENT


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
        # EMF documents (the first invocation's ColdStart) are lines without a message.
        lines = [json.loads(line) for line in self.stderr.decode().splitlines()]
        refused = [line for line in lines if line.get("message") == "Runtime API refused next"]
        self.assertEqual(len(refused), 1)
        self.assertEqual(refused[0]["status"], 500)
        self.assertNotIn("function_request_id", refused[0])
        emf = [line for line in lines if "_aws" in line]
        self.assertEqual([doc["ColdStart"] for doc in emf], [1])


if __name__ == "__main__":
    unittest.main()
