#!/usr/bin/env bash
# Time `sluice check` on generated SAM templates of 2,000 and 20,000
# resources (goals: 50 ms and 0.5 s, memory linear in the template's size)
# and print how many rules each AWS service has. Prints figures; does not
# pass or fail. N=... times one size only; RUNS=... runs per size.
set -euo pipefail

BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
SIZES=${N:-"2000 20000"}
RUNS=${RUNS:-7}
here=$(cd "$(dirname "$0")" && pwd)
sluice=$(cd "$here/.." && pwd)/$BUILD/sluice
[[ $BUILD = /* ]] && sluice=$BUILD/sluice

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in $SIZES; do
	"$PYTHON" "$here/gen_template.py" "$n" > "$work/template-$n.yaml"
done

"$PYTHON" - "$sluice" "$work" "$RUNS" $SIZES <<'PY'
import json, os, resource, statistics, subprocess, sys, time

sluice, work, runs, sizes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
GOALS_MS = {2000: 50, 20000: 500}


def peak_rss_kb(template):
    """Peak resident memory of one run in KB, from GNU time (None without it)."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", sluice, "check", "--format", "json",
                           "-o", os.devnull, template], capture_output=True, text=True)
    try:
        return int(proc.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


for n in map(int, sizes):
    template = os.path.join(work, f"template-{n}.yaml")
    times, cpu = [], []
    out = os.path.join(work, "report.json")
    for _ in range(runs + 1):
        # The report goes to a file: through a pipe the reader's speed is timed too.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sluice, "check", "--format", "json", "-o", out, template],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append((time.perf_counter() - t0) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
        if proc.returncode not in (0, 1):
            sys.exit("sluice check failed: " + proc.stderr)
    times, cpu = times[1:], cpu[1:]  # the first run warms the page cache
    with open(out, encoding="utf-8") as f:
        report = json.load(f)
    size = os.path.getsize(template)
    rss = peak_rss_kb(template)
    goal = GOALS_MS.get(n)
    print(f"check: {n} resources ({size / 1e6:.1f} MB), {len(report['findings'])} findings, "
          f"median {statistics.median(times):.1f} ms, best {min(times):.1f} ms, "
          f"cpu {statistics.median(cpu):.1f} ms over {runs} runs"
          + (f" (goal <= {goal} ms)" if goal else "")
          + (f"; peak memory {rss / 1024:.0f} MB ({rss * 1024 / size:.1f}x the template)"
             if rss else ""))

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
