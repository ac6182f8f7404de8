"""The function binary carries the function's half of observability only.

build/bootstrap writes its logs (core/log_ctx.c: Powertools' keys, kept DEBUG
lines) and its EMF metrics (lambda/metrics.c); the local CloudWatch that reads
them (src/local/cloudwatch/: the stores, filter patterns, the EMF reader, the
protocols, the dashboard) and `sluice logs`' client (aws/cwlogs.c) are
build/sluice's. Checked with nm, as test_binary_halves.py checks the codec
and SigV4: the static library lends a program only the objects it names.
"""

import os
import shutil
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
SLUICE = os.path.join(BUILD, "sluice")

FUNCTION_SIDE = ["log_invocation_begin", "log_set_correlation_id", "logctx_keep",
                 "metrics_add", "metrics_flush", "metrics_cold_start"]
CLOUD_SIDE = ["cw_new", "cw_filter_parse", "cw_emf_extract", "cw_cbor_decode", "cw_query_decode",
              "cw_math_eval", "cw_alarms_evaluate", "cw_dash_handle", "cwlogs_call",
              "pool_set_observer", "dev_obs_load"]


def defined(path):
    out = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@unittest.skipUnless(shutil.which("nm"), "nm is not installed")
@unittest.skipUnless(os.access(BOOTSTRAP, os.X_OK) and os.access(SLUICE, os.X_OK),
                     "no %s/bootstrap and sluice yet" % BUILD)
class ObservabilityHalvesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bootstrap = defined(BOOTSTRAP)
        cls.sluice = defined(SLUICE)

    def test_function_has_its_half(self):
        self.assertEqual([], [s for s in FUNCTION_SIDE if s not in self.bootstrap])

    def test_function_has_nothing_of_the_local_cloudwatch(self):
        self.assertEqual([], [s for s in CLOUD_SIDE if s in self.bootstrap])
        self.assertEqual([], sorted(s for s in self.bootstrap if s.startswith("cw_")))

    def test_sluice_has_the_local_cloudwatch(self):
        self.assertEqual([], [s for s in CLOUD_SIDE if s not in self.sluice])


if __name__ == "__main__":
    unittest.main()
