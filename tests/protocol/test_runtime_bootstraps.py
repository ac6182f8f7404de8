"""The Node.js and Python runtimes of `sluice dev` (runtimes/node/bootstrap.cjs,
runtimes/python/bootstrap.py) against a scripted Runtime API
(runtime_standin.py): handler strings resolved as AWS's runtime interface
clients resolve them, the context object, errors in the Lambda format and
init errors through /runtime/init/error.
"""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from runtime_standin import StandIn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_BOOTSTRAP = os.path.join(ROOT, "runtimes", "node", "bootstrap.cjs")
PYTHON_BOOTSTRAP = os.path.join(ROOT, "runtimes", "python", "bootstrap.py")
NODE_CODE = os.path.join(ROOT, "tests", "fixtures", "runtimes", "node")
PYTHON_CODE = os.path.join(ROOT, "tests", "fixtures", "runtimes", "python")
NODE = shutil.which("node")
PYTHON = sys.executable


def run(argv, code, handler, invocations):
    standin = StandIn(invocations)
    out = standin.run(argv, code, handler)
    return standin, out


@unittest.skipUnless(NODE, "needs node")
class NodeRuntimeTest(unittest.TestCase):
    def invoke(self, handler, *events):
        standin, out = run([NODE, NODE_BOOTSTRAP], NODE_CODE, handler,
                           [{"event": e} for e in events])
        self.assertIsNone(standin.init_error, out)
        return [standin.results.get("req-%d" % (i + 1)) for i in range(len(events))], out

    def init_error(self, handler):
        standin, out = run([NODE, NODE_BOOTSTRAP], NODE_CODE, handler, [{"event": {}}])
        self.assertIsNotNone(standin.init_error, out)
        self.assertEqual(standin.results, {})
        self.assertNotEqual(standin.exit_code, 0)
        return standin.init_error

    def test_async_handler_gets_event_and_context(self):
        (res,), _ = self.invoke("index.handler", {"a": 1})
        kind, body, _ = res
        self.assertEqual(kind, "response")
        self.assertEqual(body["echo"], {"a": 1})
        self.assertEqual(body["requestId"], "req-1")
        self.assertEqual(body["functionName"], "fn")
        self.assertEqual(body["arn"], "arn:aws:lambda:us-east-1:123456789012:function:fn")
        self.assertEqual(body["memory"], "256")
        self.assertGreater(body["remaining"], 2000)
        self.assertLessEqual(body["remaining"], 3000)
        self.assertEqual(body["trace"], "Root=1-00000000-000000000000000000000001")

    def test_warm_reuse_serves_several_invocations(self):
        results, _ = self.invoke("index.callback", {"n": 1}, {"n": 2}, {"n": 3})
        self.assertEqual([r[1]["n"] for r in results], [1, 2, 3])
        self.assertEqual(results[0][1]["style"], "callback")

    def test_module_kinds(self):
        for handler, expected in [("lib/util.handler", {"module": "mjs", "got": 7}),
                                  ("lib/common.handler", {"module": "cjs"}),
                                  ("esm/app.handler", {"module": "esm", "id": "req-1"}),
                                  ("index.nested.deeper.fn", "nested")]:
            with self.subTest(handler=handler):
                (res,), _ = self.invoke(handler, {"x": 7})
                self.assertEqual(res[:2], ("response", expected))

    def test_thrown_type_error_keeps_its_type(self):
        (res,), _ = self.invoke("index.typeError", {})
        kind, body, etype = res
        self.assertEqual(kind, "error")
        self.assertEqual(body["errorType"], "TypeError")
        self.assertEqual(etype, "TypeError")
        self.assertIn("boom", body["errorMessage"])
        self.assertTrue(any("index.js" in line for line in body["stackTrace"]), body)
        self.assertEqual(body["trace"], body["stackTrace"])

    def test_callback_error_and_thrown_string(self):
        (res,), _ = self.invoke("index.callbackError", {})
        self.assertEqual((res[0], res[1]["errorType"], res[1]["errorMessage"]),
                         ("error", "RangeError", "too far"))
        (res,), _ = self.invoke("index.throwString", {})
        self.assertEqual((res[0], res[1]["errorType"], res[1]["errorMessage"]),
                         ("error", "string", "plain words"))

    def test_console_lines_carry_the_request_id(self):
        (res,), out = self.invoke("index.logs", {})
        self.assertEqual(res[1], "logged")
        self.assertRegex(out, r"\d{4}-\d\d-\d\dT[\d:.]+Z\treq-1\tINFO\thello from fn")

    def test_init_errors(self):
        cases = [("missing.handler", "Runtime.ImportModuleError", "Cannot find module"),
                 ("index.nope", "Runtime.HandlerNotFound", "index.nope is undefined or not exported"),
                 ("index.notAFunction", "Runtime.HandlerNotFound", "is not a function"),
                 ("index", "Runtime.MalformedHandlerName", "Bad handler"),
                 ("broken.handler", "Runtime.UserCodeSyntaxError", "SyntaxError"),
                 ("throws_at_load.handler", "Runtime.ImportModuleError", "no-such-dependency")]
        for handler, etype, message in cases:
            with self.subTest(handler=handler):
                body, header = self.init_error(handler)
                self.assertEqual(body["errorType"], etype)
                self.assertEqual(header, etype)
                self.assertIn(message, body["errorMessage"])


class PythonRuntimeTest(unittest.TestCase):
    def invoke(self, handler, *events):
        standin, out = run([PYTHON, PYTHON_BOOTSTRAP], PYTHON_CODE, handler,
                           [{"event": e} for e in events])
        self.assertIsNone(standin.init_error, out)
        return [standin.results.get("req-%d" % (i + 1)) for i in range(len(events))], out

    def init_error(self, handler):
        standin, out = run([PYTHON, PYTHON_BOOTSTRAP], PYTHON_CODE, handler, [{"event": {}}])
        self.assertIsNotNone(standin.init_error, out)
        self.assertEqual(standin.results, {})
        self.assertNotEqual(standin.exit_code, 0)
        return standin.init_error

    def test_handler_gets_event_and_context(self):
        (res,), _ = self.invoke("app.handler", {"a": 1})
        kind, body, _ = res
        self.assertEqual(kind, "response")
        self.assertEqual(body["echo"], {"a": 1})
        self.assertEqual(body["requestId"], "req-1")
        self.assertEqual(body["functionName"], "fn")
        self.assertEqual(body["arn"], "arn:aws:lambda:us-east-1:123456789012:function:fn")
        self.assertEqual(body["memory"], "256")
        self.assertGreater(body["remaining"], 2000)
        self.assertEqual(body["trace"], "Root=1-00000000-000000000000000000000001")

    def test_warm_reuse_and_package_modules(self):
        results, _ = self.invoke("pkg/mod.handler", {"x": 1}, {"x": 2})
        self.assertEqual([r[1] for r in results],
                         [{"module": "pkg.mod", "x": 1}, {"module": "pkg.mod", "x": 2}])
        (res,), _ = self.invoke("pkg.mod.handler", {"x": 3})
        self.assertEqual(res[1]["x"], 3)

    def test_raised_error_in_lambda_format(self):
        (res,), _ = self.invoke("app.type_error", {})
        kind, body, etype = res
        self.assertEqual((kind, body["errorType"], etype), ("error", "TypeError", "TypeError"))
        self.assertIn("NoneType", body["errorMessage"])
        self.assertEqual(body["requestId"], "req-1")
        self.assertTrue(any("app.py" in line for line in body["stackTrace"]), body)
        self.assertFalse(any("bootstrap.py" in line for line in body["stackTrace"]), body)

    def test_marshal_error_and_decimals(self):
        (res,), _ = self.invoke("app.not_serializable", {})
        self.assertEqual((res[0], res[1]["errorType"]), ("error", "Runtime.MarshalError"))
        self.assertIn("Unable to marshal response", res[1]["errorMessage"])
        (res,), _ = self.invoke("app.decimals", {})
        self.assertEqual(res[1], {"n": 3, "f": 1.5})

    def test_log_lines_carry_the_request_id(self):
        (res,), out = self.invoke("app.logs", {})
        self.assertEqual(res[1], "logged")
        self.assertRegex(out, r"\[WARNING\]\t[\d\-T:.]+Z\treq-1\thello from fn")
        self.assertIn("printed", out)

    def test_init_errors(self):
        cases = [("missing.handler", "Runtime.ImportModuleError",
                  "Unable to import module 'missing'"),
                 ("imports_missing.handler", "Runtime.ImportModuleError", "no_such_dependency"),
                 ("app.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'"),
                 ("app.not_callable", "Runtime.HandlerNotFound", "not callable"),
                 ("app", "Runtime.MalformedHandlerName", "Bad handler 'app'"),
                 ("broken.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module")]
        for handler, etype, message in cases:
            with self.subTest(handler=handler):
                body, header = self.init_error(handler)
                self.assertEqual(body["errorType"], etype)
                self.assertEqual(header, etype)
                self.assertIn(message, body["errorMessage"])


if __name__ == "__main__":
    unittest.main()
