"""The integration suite (tests/integ/) against a preview stage run locally.

Issue 5: "A preview stage runs locally too: `sluice dev --stage pr-42` with
the same template and the integration suite against it." This starts
scripts/integ-local.sh on free ports, which runs `sluice dev --stage pr-42`
on infra/template.yaml and the very suite `make integ` runs against a
deployed stack.
"""
import os
import socket
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SLUICE_BUILD", "build")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PreviewStageLocally(unittest.TestCase):
    def test_integration_suite_passes_on_local_preview_stage(self):
        sluice = os.path.join(ROOT, BUILD, "sluice")
        if not os.access(sluice, os.X_OK):
            self.skipTest(f"{sluice} is not built")
        env = dict(os.environ, BUILD=BUILD,
                   SLUICE_DEV_PORT=str(free_port()),
                   SLUICE_DEV_AWS_PORT=str(free_port()))
        proc = subprocess.run(["bash", "scripts/integ-local.sh", "pr-42"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, out[-4000:])
        self.assertRegex(out, r"Ran [1-9][0-9]* tests")
        self.assertIn("\nOK", out)
        self.assertNotIn("skipped", out.split("Ran ")[-1])


if __name__ == "__main__":
    unittest.main()
