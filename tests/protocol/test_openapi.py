"""api/openapi.yaml against infra/template.yaml.

The specification must be valid OpenAPI 3.0 (openapi-spec-validator), and it
must describe exactly the routes the template gives API Gateway: the HttpApi
and Api events of every AWS::Serverless::Function, as METHOD + path. An ANY
event stands for the methods its function serves on that path, read from the
function's route table in src/app/<Handler>.c (a GET route there also answers
HEAD).
"""

import os
import re
import unittest

from cfnlint.decode import decode
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC = os.path.join(ROOT, "api", "openapi.yaml")
TEMPLATE = os.path.join(ROOT, "infra", "template.yaml")

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# {"GET", "/objects/{name+}", R_GET} in a route table of src/app/*.c
ROUTE_RE = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"')


def load_template():
    template, errors = decode(TEMPLATE)
    if errors or template is None:
        raise AssertionError(f"cannot read {TEMPLATE}: {errors}")
    return template


def served_methods(handler, path):
    """Methods that src/app/<handler>.c routes on `path` (HEAD with GET)."""
    source = os.path.join(ROOT, "src", "app", f"{handler}.c")
    with open(source, encoding="utf-8") as f:
        routes = ROUTE_RE.findall(f.read())
    methods = {m.lower() for m, p in routes if p == path and m != "ANY"}
    if "get" in methods:
        methods.add("head")
    return methods


def template_routes(template):
    routes = set()
    for name, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.get("Properties", {})
        for event in (props.get("Events") or {}).values():
            if event.get("Type") not in ("HttpApi", "Api"):
                continue
            method = str(event["Properties"]["Method"]).lower()
            path = event["Properties"]["Path"]
            if method in ("any", "x-amazon-apigateway-any-method"):
                methods = served_methods(props["Handler"], path)
                if not methods:
                    raise AssertionError(f"{name}: ANY {path} but {props['Handler']}.c "
                                         "routes nothing there")
            else:
                methods = {method}
            routes.update((m, path) for m in methods)
    return routes


def spec_routes(spec):
    return {(method, path)
            for path, item in spec["paths"].items()
            for method in item
            if method in HTTP_METHODS}


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec, _ = read_from_filename(SPEC)
        cls.template = load_template()

    def test_specification_is_valid(self):
        validate(self.spec)
        self.assertEqual(self.spec["openapi"], "3.0.3")

    def test_routes_match_the_template(self):
        in_template = template_routes(self.template)
        in_spec = spec_routes(self.spec)
        self.assertIn(("post", "/messages"), in_template)
        self.assertIn(("head", "/objects/{name+}"), in_template)
        self.assertEqual(sorted(in_template - in_spec), [],
                         "routes of the template missing from api/openapi.yaml")
        self.assertEqual(sorted(in_spec - in_template), [],
                         "routes of api/openapi.yaml that the template does not have")

    def test_every_operation_documents_its_answers(self):
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if method not in HTTP_METHODS:
                    continue
                with self.subTest(route=f"{method.upper()} {path}"):
                    self.assertTrue(op.get("operationId"))
                    codes = set(op["responses"])
                    self.assertTrue(any(c.startswith("2") for c in codes))
                    self.assertTrue(any(c.startswith(("4", "5")) for c in codes))

    def test_the_mismatch_is_caught(self):
        # The check itself: a route dropped from the specification shows up.
        spec = dict(self.spec, paths={k: v for k, v in self.spec["paths"].items()
                                      if k != "/messages/{id}"})
        self.assertEqual(template_routes(self.template) - spec_routes(spec),
                         {("get", "/messages/{id}")})


if __name__ == "__main__":
    unittest.main()
