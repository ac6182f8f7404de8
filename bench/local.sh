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
cd "$(dirname "$0")/.."
build="${BUILD:-build}"
duration="${BENCH_DURATION:-10s}"
conns="${BENCH_CONNECTIONS:-16}"
sluice="$build/sluice"
command -v wrk >/dev/null || { echo "bench/local.sh: wrk is not installed (apt-get install wrk)"; exit 0; }
[ -x "$sluice" ] && [ -x "$build/bootstrap" ] || { echo "bench/local.sh: build first (make)"; exit 1; }

tmp="$(mktemp -d)"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_dev() { # start_dev PORT AWS_PORT DATA
	"$sluice" dev --template bench/template.yaml --port "$1" --aws-port "$2" \
		--data-dir "$3" --build-dir "$build" >"$tmp/dev.out" 2>"$tmp/dev.err" &
	pid=$!
}

stop_dev() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

# 64 bytes of content, a fresh name per request. Each wrk thread has its own
# Lua state with the same unseeded math.random, so names carry the thread's
# number: without it both threads sent the same names and half the POSTs
# replaced an object instead of creating one.
cat >"$tmp/post.lua" <<'LUA'
local threads = 0
setup = function(thread)
	threads = threads + 1
	thread:set("tid", threads)
end
local n = 0
request = function()
	n = n + 1
	local body = string.format('{"name":"bench/%d-%d","content":"%s"}', tid, n,
		string.rep("x", 64))
	return wrk.format("POST", "/objects", {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
	io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
LUA

run_wrk() { # run_wrk LABEL URL [script]
	local label="$1" url="$2" out
	if [ $# -ge 3 ]; then
		out="$(wrk -t2 -c"$conns" -d"$duration" --latency -s "$3" "$url")"
	else
		out="$(wrk -t2 -c"$conns" -d"$duration" --latency "$url")"
	fi
	printf '%-24s %10s req/s   p50 %-9s p99 %-9s %s\n' "$label" \
		"$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
		"$(awk '$1 == "50%" {print $2}' <<<"$out")" \
		"$(awk '$1 == "99%" {print $2}' <<<"$out")" \
		"$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+|non-2xx/3xx: [0-9]+|Socket errors.*' <<<"$out" | tr '\n' ' ')"
}

port="$(free_port)"
aws_port="$(free_port)"
start_dev "$port" "$aws_port" "$tmp/data"
for _ in $(seq 1 100); do
	curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	sleep 0.05
done
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
