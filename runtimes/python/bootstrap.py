"""sluice's Python runtime for `sluice dev`.

The loop a python3.9-3.13 function runs in, speaking the Lambda Runtime API
like every other worker of the local cloud (AWS_LAMBDA_RUNTIME_API,
/runtime/invocation/next, then /response or /error; /runtime/init/error when
the handler cannot be loaded). It is started as `python3 bootstrap.py` in the
function's code folder (LAMBDA_TASK_ROOT) with _HANDLER set.

The handler string is resolved as AWS's Python runtime interface client
resolves it: "pkg/module.function" is split at its last dot, the module path's
slashes become dots, the module is imported with the task root first on
sys.path, and the function is an attribute of it. Load failures are posted as
Runtime.MalformedHandlerName, Runtime.ImportModuleError,
Runtime.UserCodeSyntaxError or Runtime.HandlerNotFound; errors raised by the
handler as {errorMessage, errorType, requestId, stackTrace}, the exception's
class name as errorType, as Lambda's Python runtime reports them.

Only the standard library is used: nothing to install. Start-up time is
this runtime's cold start, so it speaks HTTP/1.1 over a plain socket rather
than importing http.client (28 ms of imports), and imports traceback and
decimal only when an error or a Decimal needs them.
"""

import importlib
import json
import logging
import os
import socket
import sys
import time

API_VERSION = "2018-06-01"
ERROR_CONTENT_TYPE = "application/vnd.aws.lambda.error+json"


class Headers(dict):
    """Response headers, looked up without regard to case."""

    def get(self, name, default=None):
        return super().get(name.lower(), default)


class RuntimeClient:
    """The Runtime API over one kept-alive HTTP/1.1 connection.

    AWS_LAMBDA_RUNTIME_API is "host:port", or in sluice "host:port/w/<id>":
    everything after the first '/' is a path prefix of this worker.
    """

    def __init__(self, value):
        host_port, _, prefix = value.partition("/")
        host, _, port = host_port.rpartition(":")
        self.addr = (host or host_port, int(port or 80))
        self.host = host_port
        self.base = ("/" + prefix if prefix else "") + "/" + API_VERSION + "/runtime"
        self.sock = None
        self.buf = b""

    def _read_until(self, sep):
        while sep not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the Runtime API closed the connection")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(sep)
        return head

    def _read_exactly(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("the Runtime API closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _exchange(self, method, path, body, headers):
        if self.sock is None:
            self.sock = socket.create_connection(self.addr)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
        lines = ["%s %s%s HTTP/1.1" % (method, self.base, path), "Host: " + self.host]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        lines.append("Content-Length: %d" % len(body or b""))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        hdrs = Headers()
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if hdrs.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                data += self._read_exactly(size)
                self._read_until(b"\r\n")
                if size == 0:
                    break
        else:
            data = self._read_exactly(int(hdrs.get("Content-Length", "0")))
        if hdrs.get("Connection", "").lower() == "close":
            self.sock.close()
            self.sock = None
        return status, hdrs, data

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            try:
                return self._exchange(method, path, body, headers)
            except OSError:
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def next(self):
        while True:
            status, headers, body = self.request("GET", "/invocation/next")
            if status == 200:
                return headers, body
            if status >= 500:
                raise RuntimeError("next: the Runtime API answered %d" % status)

    def post_response(self, request_id, body):
        self.request("POST", "/invocation/%s/response" % request_id, body,
                     {"Content-Type": "application/json"})

    def post_error(self, path, doc):
        self.request("POST", path, json.dumps(doc).encode(),
                     {"Content-Type": ERROR_CONTENT_TYPE,
                      "Lambda-Runtime-Function-Error-Type": doc["errorType"]})


class FaultError(Exception):
    """A load failure with the Runtime.* type Lambda gives it."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace or []


def error_document(exc, request_id="", error_type=None, trace=None):
    import traceback

    if trace is None:
        trace = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": trace,
    }


def load_handler(handler):
    """The handler function named by `handler`, or FaultError as Lambda says it."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName",
                         "Bad handler '%s': %s" % (handler, e))
    if not modname or not fname:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s'" % handler)
    modname = modname.replace("/", ".")
    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError",
                         "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s\n' % (e.filename, e.lineno, (e.text or "").strip())]
        raise FaultError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s"
                         % (modname, e), trace)
    except Exception as e:
        import traceback

        raise FaultError("Runtime.ImportModuleError",
                         "Unable to import module '%s': %s" % (modname, e),
                         traceback.format_list(traceback.extract_tb(e.__traceback__)))
    fn = getattr(module, fname, None)
    if fn is None:
        raise FaultError("Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (fname, modname))
    if not callable(fn):
        raise FaultError("Runtime.HandlerNotFound",
                         "Handler '%s' on module '%s' is not callable" % (fname, modname))
    return fn


class LambdaContext:
    """The context object a handler gets, with Lambda's attribute names."""

    def __init__(self, headers):
        env = os.environ
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME",
                                      "/aws/lambda/" + self.function_name)
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "sluice")
        self.identity = _json_header(headers, "Lambda-Runtime-Cognito-Identity")
        self.client_context = _json_header(headers, "Lambda-Runtime-Client-Context")
        try:
            self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", ""))
        except ValueError:
            self._deadline_ms = int(time.time() * 1000) + 3000

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _json_header(headers, name):
    value = headers.get(name)
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = _RequestIdFilter.request_id
        return True


def setup_logging():
    """The root logger as Lambda's Python runtime sets it up: a line per record."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper()
                  if os.environ.get("AWS_LAMBDA_LOG_LEVEL") else logging.WARNING)


def add_site_packages():
    """Started with -S (as sluice starts it): site-packages on sys.path, as the
    site module would put them, without running their .pth files."""
    import site

    dirs = site.getsitepackages()
    if site.ENABLE_USER_SITE:
        dirs.insert(0, site.getusersitepackages())
    sys.path.extend(d for d in dirs if os.path.isdir(d) and d not in sys.path)


def _json_default(o):
    if type(o).__name__ == "Decimal":
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def main():
    env = os.environ
    client = RuntimeClient(env.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"))
    root = env.get("LAMBDA_TASK_ROOT") or os.getcwd()
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and sys.path[0] == here:
        sys.path.pop(0)  # this runtime's folder is not the function's
    if sys.flags.no_site:
        add_site_packages()
    if root not in sys.path:
        sys.path.insert(0, root)
    # Lambda runs Python unbuffered: a line printed is in the log at once.
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    setup_logging()
    try:
        handler = load_handler(env.get("_HANDLER", ""))
    except FaultError as e:
        doc = error_document(e, "", e.error_type, e.trace)
        sys.stdout.write("[ERROR] %s: %s\n" % (doc["errorType"], doc["errorMessage"]))
        sys.stdout.flush()
        try:
            client.post_error("/init/error", doc)
        except OSError:
            pass
        sys.exit(1)
    while True:
        headers, body = client.next()
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            env["_X_AMZN_TRACE_ID"] = trace_id
        else:
            env.pop("_X_AMZN_TRACE_ID", None)
        _RequestIdFilter.request_id = request_id
        base = "/invocation/%s" % request_id
        try:
            event = json.loads(body or b"null")
        except ValueError as e:
            client.post_error(base + "/error",
                              error_document(e, request_id, "Runtime.UnmarshalError", []))
            continue
        try:
            result = handler(event, LambdaContext(headers))
        except Exception as e:  # the function's error, reported as Lambda reports it
            import traceback

            tb = traceback.extract_tb(e.__traceback__)[1:]  # without this frame
            client.post_error(base + "/error",
                              error_document(e, request_id, None, traceback.format_list(tb)))
            continue
        try:
            payload = json.dumps(result, default=_json_default).encode()
        except (TypeError, ValueError) as e:
            err = ValueError("Unable to marshal response: %s" % e)
            client.post_error(base + "/error", error_document(
                err, request_id, "Runtime.MarshalError", []))
            continue
        client.post_response(request_id, payload)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
