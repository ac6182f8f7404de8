#!/usr/bin/env bash
# Figures of the Node.js and Python runtimes of `sluice dev` (issue 12), on
# bench/runtimes/template.yaml:
#   cold start: the worker's spawn to its first answer (Init Duration plus
#   the first Duration, from the REPORT line) and the wall time of
#   `sluice invoke` (local cloud start, one worker, one invocation, stop),
#   medians of 10;
#   warm: wrk on loopback, 16 connections, 10 s, GET through the gateway as
#   for /health: requests/s, p50, p99.
# Prints figures; never fails on them.
set -euo pipefail
bench=bench/runtimes.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"
template=bench/runtimes/template.yaml

command -v node >/dev/null || { echo "$bench: node is not installed"; exit 0; }

SLUICE="$sluice" TMP="$tmp" TEMPLATE="$template" python3 - <<'PY'
import os, re, statistics, subprocess, time

# `sluice invoke` starts the local cloud, one worker and one invocation,
# like `sam local invoke`; its REPORT line has the worker's Init Duration.
for lang, fn in (("node", "NodeHealth"), ("python", "PythonHealth")):
    wall, init, first = [], [], []
    for i in range(10):
        t0 = time.monotonic()
        run = subprocess.run([os.environ["SLUICE"], "invoke", fn, "--template",
                              os.environ["TEMPLATE"], "--data-dir",
                              os.path.join(os.environ["TMP"], "cold")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wall.append((time.monotonic() - t0) * 1000)
        if run.returncode != 0 or b'"statusCode": 200' not in run.stdout.replace(b'":200', b'": 200'):
            raise SystemExit("invoke %s failed: %s" % (fn, run.stderr.decode()[-500:]))
        m = re.search(r"Duration: ([\d.]+) ms.*Init Duration: ([\d.]+) ms", run.stderr.decode())
        if m:
            init.append(float(m.group(2)))
            first.append(float(m.group(2)) + float(m.group(1)))
    print("%-7s cold start: worker spawn to first answer median %.1f ms (Init Duration %.1f ms);"
          " sluice invoke wall time median %.1f ms (n=10)"
          % (lang, statistics.median(first), statistics.median(init), statistics.median(wall)))
PY

port="$(free_port)"
aws_port="$(free_port)"
start_dev "$template" /node/health "$port" "$aws_port" "$tmp/data"
base="http://127.0.0.1:$port"
echo "warm, wrk -c$conns -d$duration on loopback ($(nproc) cores), after 3 s of warm-up each"
for lang in node python; do
	wrk -t2 -c"$conns" -d3s "$base/$lang/health" >/dev/null
	run_wrk "GET /$lang/health" "$base/$lang/health"
done
stop_dev
