"""The Lambda package: `make package` and `make package-check`.

The check itself is checked too: a zip carrying Debian 12's libexpat (which
needs GLIBC_2.36, newer than Amazon Linux 2023's 2.34), a zip over 5 MB and a
zip without bootstrap at its root must all fail it.
"""

import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SLUICE_BUILD", "build")
BUILD_ABS = os.path.join(ROOT, BUILD)
CHECK = os.path.join(ROOT, "scripts/package-check.sh")
DEBIAN_EXPAT = "/lib/x86_64-linux-gnu/libexpat.so.1"


def run(argv, timeout=300):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@unittest.skipUnless(os.access(os.path.join(BUILD_ABS, "bootstrap"), os.X_OK),
                     "no %s/bootstrap yet: the package is built from the same objects" % BUILD)
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.result = run(["make", "--no-print-directory", "BUILD=" + BUILD, "package-check"])
        cls.zip = os.path.join(BUILD_ABS, "function.zip")

    def test_package_check_passes(self):
        self.assertEqual(self.result.returncode, 0, self.result.stdout + self.result.stderr)
        self.assertIn("package-check: ok", self.result.stdout)
        self.assertIn("answered package-check-1 with statusCode 200", self.result.stdout)

    def test_layout(self):
        with zipfile.ZipFile(self.zip) as z:
            names = z.namelist()
            info = z.getinfo("bootstrap")
        self.assertIn("bootstrap", names)
        self.assertTrue((info.external_attr >> 16) & 0o111, "bootstrap is not executable")
        libs = [n for n in names if n.startswith("lib/") and n != "lib/"]
        self.assertIn("lib/libjansson.so.4", libs)
        # What AL2023 ships is not bundled; expat is linked in statically.
        for system in ("libc.so.6", "libcrypto.so.3", "libcurl.so.4", "libexpat.so.1"):
            self.assertNotIn("lib/" + system, libs)
        self.assertLess(os.path.getsize(self.zip), 5 * 1024 * 1024)


class PackageCheckRejectsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def make_zip(self, files):
        path = os.path.join(self.dir, "function.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, (source, mode) in files.items():
                info = zipfile.ZipInfo(name)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(source, "rb") as f:
                    z.writestr(info, f.read())
        return path

    @unittest.skipUnless(os.path.exists(DEBIAN_EXPAT), "no Debian libexpat to test with")
    def test_glibc_too_new(self):
        path = self.make_zip({"bootstrap": ("/bin/true", 0o755),
                              "lib/libexpat.so.1": (DEBIAN_EXPAT, 0o644)})
        result = run([CHECK, path])
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("lib/libexpat.so.1 needs GLIBC_2.36 (> 2.34): arc4random_buf",
                      result.stderr)

    def test_too_big(self):
        blob = os.path.join(self.dir, "blob")
        with open(blob, "wb") as f:
            f.write(os.urandom(5 * 1024 * 1024 + 1))
        path = self.make_zip({"bootstrap": ("/bin/true", 0o755), "blob": (blob, 0o644)})
        result = run([CHECK, path])
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("over 5242880", result.stderr)

    def test_no_bootstrap(self):
        path = self.make_zip({"main": ("/bin/true", 0o755)})
        result = run([CHECK, path])
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no bootstrap at the zip root", result.stderr)


if __name__ == "__main__":
    unittest.main()
