"""scripts/check-layers: the include rules of docs/architecture.md hold in
src/, and a tree that breaks them is caught, naming the file and line."""
import pathlib
import subprocess
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check-layers"


def run(tree):
    return subprocess.run([str(CHECK), str(tree)], capture_output=True, text=True, timeout=60)


def write(root, rel, text):
    p = root / "src" / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


class LayersTest(unittest.TestCase):
    def test_tree_is_clean(self):
        r = run(ROOT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_violations_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            root = pathlib.Path(d)
            write(root, "core/buf.c", '#include "core/buf.h"\n#include "aws/s3.h"\n')
            write(root, "local/s3/s3_object.c",
                  '#include "local/lambda/pool.h"\n#include "local/dynamodb/ddb_int.h"\n'
                  '#include "local/endpoint.h"\n')
            write(root, "app/objects.c", '#include "local/dev.h"\n#include "lambda/apigw.h"\n')
            r = run(root)
        self.assertEqual(r.returncode, 1)
        lines = r.stdout.splitlines()
        self.assertIn("src/core/buf.c:2: core may not include aws/s3.h (aws is above it)", lines)
        self.assertIn("src/local/s3/s3_object.c:2: the s3 room may not include "
                      "local/dynamodb/ddb_int.h (another room's insides)", lines)
        self.assertIn("src/local/s3/s3_object.c:3: the s3 room may not include "
                      "local/endpoint.h (the orchestration above it)", lines)
        self.assertIn("src/app/objects.c:1: app may not include local/dev.h (local is above it)",
                      lines)
        self.assertEqual(len(lines), 4, r.stdout)


if __name__ == "__main__":
    unittest.main()
