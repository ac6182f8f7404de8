"""The function binary carries only its half of the shared modules.

The API Gateway codec (src/lambda/apigw_*.c) and SigV4 (src/aws/sigv4_*.c)
serve both the function and the local cloud. They are split by file, and the
static library lends a program only the objects it needs, so the function's
bootstrap must hold no gateway-side codec (apigw_gw.c) and no verifier
(sigv4_verify.c). That holds only while nothing on the function's side names
a symbol of the other half, which is checked on the objects as well.
"""

import os
import shutil
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
SLUICE = os.path.join(BUILD, "sluice")
OBJ = os.path.join(BUILD, "obj", "src")

# The halves only the local cloud uses, and the ones the function links.
OTHER_HALF = ["lambda/apigw_gw.o", "lambda/apigw_gw_fast.o", "aws/sigv4_verify.o"]
FUNCTION_HALF = ["lambda/apigw_fn.o", "lambda/apigw_common.o",
                 "aws/sigv4_canon.o", "aws/sigv4_sign.o"]

GATEWAY_SYMBOLS = ["apigw_event_from_http", "apigw_parse_function_response",
                   "apigw_response_fast"]
VERIFY_SYMBOLS = ["sigv4_verify", "sigv4_parse_authorization", "sigv4_status_name",
                  "sigv4_result_init", "sigv4_result_release"]
FUNCTION_SYMBOLS = ["apigw_parse_event", "apigw_response_to_json", "apigw_response_add_header",
                    "sigv4_sign_headers", "sigv4_presign", "sigv4_signing_key"]


def nm(path, *flags):
    """The symbol names `nm` lists for `path` with `flags`."""
    out = subprocess.run(["nm", *flags, path], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@unittest.skipUnless(shutil.which("nm"), "nm is not installed")
@unittest.skipUnless(os.access(BOOTSTRAP, os.X_OK) and os.access(SLUICE, os.X_OK),
                     "no %s/bootstrap and sluice yet" % BUILD)
class BinaryHalvesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bootstrap = nm(BOOTSTRAP, "--defined-only")
        cls.sluice = nm(SLUICE, "--defined-only")

    def test_bootstrap_has_no_gateway_codec(self):
        self.assertEqual([], [s for s in GATEWAY_SYMBOLS if s in self.bootstrap])

    def test_bootstrap_has_no_verifier(self):
        self.assertEqual([], [s for s in VERIFY_SYMBOLS if s in self.bootstrap])
        self.assertEqual([], sorted(s for s in self.bootstrap if s.startswith("sigv4_verify")))

    def test_bootstrap_has_its_own_half(self):
        # Without this the absences above would also hold for a broken build.
        self.assertEqual([], [s for s in FUNCTION_SYMBOLS if s not in self.bootstrap])

    def test_sluice_has_the_other_half(self):
        self.assertEqual([], [s for s in GATEWAY_SYMBOLS + VERIFY_SYMBOLS
                              if s not in self.sluice])

    def test_no_symbol_of_the_other_half_in_bootstrap(self):
        for obj in OTHER_HALF:
            path = os.path.join(OBJ, obj)
            if not os.path.exists(path):
                self.skipTest("no %s" % path)
            exported = nm(path, "--defined-only", "--extern-only")
            self.assertTrue(exported, obj)
            self.assertEqual(set(), exported & self.bootstrap, obj)

    def test_function_half_names_nothing_of_the_other_half(self):
        other = set()
        for obj in OTHER_HALF:
            path = os.path.join(OBJ, obj)
            if not os.path.exists(path):
                self.skipTest("no %s" % path)
            other |= nm(path, "--defined-only", "--extern-only")
        for obj in FUNCTION_HALF:
            path = os.path.join(OBJ, obj)
            if not os.path.exists(path):
                self.skipTest("no %s" % path)
            self.assertEqual(set(), nm(path, "--undefined-only") & other, obj)


if __name__ == "__main__":
    unittest.main()
