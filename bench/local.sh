#!/usr/bin/env bash
# Figures of the local cloud (issue 4): wrk on loopback, 16 connections, 10 s
# per endpoint, against `sluice dev` on bench/template.yaml (the objects
# function behind routes without AWS_IAM, so that wrk sends plain requests):
#   POST /objects (64-byte content), GET /objects/{name}, GET /health:
#   requests/s, p50, p99;
#   cold start: spawn `sluice dev` to the first 2xx POST, median of 10;
#   RSS of sluice and of one worker after the load.
# Prints figures; never fails on them.
set -euo pipefail
bench=bench/local.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"

# 64 bytes of content, a fresh name per request: names carry the thread's
# number (wrk-lib.bash), without it both threads sent the same names and half
# the POSTs replaced an object instead of creating one.
objects_post_lua "$tmp/post.lua"
echo "$wrk_done_lua" >>"$tmp/post.lua"

port="$(free_port)"
aws_port="$(free_port)"
start_dev bench/template.yaml /health "$port" "$aws_port" "$tmp/data"
base="http://127.0.0.1:$port"
curl -fsS -X POST -H 'Content-Type: application/json' \
	-d '{"name":"bench/one","content":"0123456789012345678901234567890123456789012345678901234567890123"}' \
	"$base/objects" >/dev/null

echo "local cloud, wrk -c$conns -d$duration on loopback ($(nproc) cores)"
run_wrk "POST /objects" "$base/objects" "$tmp/post.lua"
run_wrk "GET /objects/{name}" "$base/objects/bench/one"
run_wrk "GET /health" "$base/health"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
worker="$(pgrep -P "$pid" | head -1 || true)"
printf 'RSS after load: sluice %d MiB, worker %s\n' "$(( $(rss_kb "$pid") / 1024 ))" \
	"$([ -n "$worker" ] && echo "$(( $(rss_kb "$worker") / 1024 )) MiB ($(pgrep -P "$pid" | wc -l) workers)" || echo "n/a")"
# RSS counts every shared library page a process touched (libcurl, libcrypto,
# ...), though all workers share them: PSS divides shared pages among their
# users, private is what the process alone holds.
rollup_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
if [ -n "$worker" ] && [ -r "/proc/$worker/smaps_rollup" ]; then
	awk -v pss="$(rollup_kb "$worker" Pss)" -v pc="$(rollup_kb "$worker" Private_Clean)" \
		-v pd="$(rollup_kb "$worker" Private_Dirty)" \
		'BEGIN { printf "worker memory: PSS %.1f MiB, private %.1f MiB\n", pss / 1024, (pc + pd) / 1024 }'
fi
stop_dev

# Cold start: process spawn to the first 2xx POST /objects, median of 10.
SLUICE="$sluice" BUILD_DIR="$build" TMP="$tmp" python3 - <<'PY'
import json, os, socket, statistics, subprocess, time, urllib.request

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

times = []
body = json.dumps({"name": "cold", "content": "x" * 64}).encode()
for i in range(10):
    port, aws_port = free_port(), free_port()
    t0 = time.monotonic()
    p = subprocess.Popen([os.environ["SLUICE"], "dev", "--template", "bench/template.yaml",
                          "--port", str(port), "--aws-port", str(aws_port), "--data-dir",
                          os.path.join(os.environ["TMP"], "cold%d" % i), "--build-dir",
                          os.environ["BUILD_DIR"], "--no-watch"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                req = urllib.request.Request("http://127.0.0.1:%d/objects" % port, data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=5) as r:
                    if 200 <= r.status < 300:
                        break
            except OSError:
                time.sleep(0.002)
            if time.monotonic() - t0 > 10:
                raise SystemExit("cold start: no 2xx within 10 s")
        times.append((time.monotonic() - t0) * 1000)
    finally:
        p.terminate()
        p.wait()
print("cold start (spawn to first 2xx POST): median %.1f ms, min %.1f, max %.1f (n=10)"
      % (statistics.median(times), min(times), max(times)))
PY
