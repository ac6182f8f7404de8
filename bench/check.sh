#!/usr/bin/env bash
# Time `sluice check` on a generated 2,000-resource SAM template (goal: 100 ms
# or less) and print how many rules each AWS service has. Prints figures;
# does not pass or fail.
set -euo pipefail

BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
N=${N:-2000}
RUNS=${RUNS:-7}
here=$(cd "$(dirname "$0")" && pwd)
sluice=$(cd "$here/.." && pwd)/$BUILD/sluice
[[ $BUILD = /* ]] && sluice=$BUILD/sluice

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" "$here/gen_template.py" "$N" > "$work/template.yaml"

"$PYTHON" - "$sluice" "$work/template.yaml" "$N" "$RUNS" <<'PY'
import json, statistics, subprocess, sys, time

sluice, template, n, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
times = []
for _ in range(runs + 1):
    t0 = time.perf_counter()
    proc = subprocess.run([sluice, "check", "--format", "json", template],
                          capture_output=True, text=True)
    times.append((time.perf_counter() - t0) * 1000)
    if proc.returncode not in (0, 1):
        sys.exit("sluice check failed: " + proc.stderr)
times = times[1:]  # the first run warms the page cache
report = json.loads(proc.stdout)
size = sum(1 for _ in open(template))
print(f"check: {n} resources ({size} lines), {len(report['findings'])} findings, "
      f"median {statistics.median(times):.1f} ms, best {min(times):.1f} ms "
      f"over {runs} runs (goal <= 100 ms)")

listing = subprocess.run([sluice, "check", "--list-rules"], capture_output=True,
                         text=True, check=True).stdout
counts, service = {}, None
for line in listing.splitlines():
    if line and not line.startswith(" ") and not line.endswith(" rules"):
        service = line.strip()
        counts[service] = 0
    elif line.startswith("  ") and not line.startswith("      "):
        counts[service] += 1
print(f"rules: {sum(counts.values())} in all")
for name, count in counts.items():
    print(f"  {name:<16} {count}")
PY
