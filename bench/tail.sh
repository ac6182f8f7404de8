#!/usr/bin/env bash
# The tail of the local cloud (issue 11): wrk on loopback against `sluice
# dev` on bench/template.yaml, printing p50, p90, p99, p99.9 and max per run:
#   GET /health (reaches a worker, no storage) and POST /objects (64 bytes)
#   at 16 and at 128 connections (BENCH_DURATION each, 10 s by default);
#   then twice a sustained POST load of BENCH_SUSTAIN (30 s by default; the
#   issue asks for 10 minutes: BENCH_SUSTAIN=10m), the first long enough that
#   the local CloudWatch logs store reaches its cap, RSS of `sluice dev` and
#   of each worker around them, and the first runs again.
# Prints figures; never fails on them.
set -euo pipefail
bench=bench/tail.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"
sustain="${BENCH_SUSTAIN:-30s}"

# 64 bytes of content, a fresh name per request and per wrk thread (local.sh).
objects_post_lua "$tmp/post.lua"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_line() {
	local w list=""
	for w in $(pgrep -P "$pid" || true); do list="$list $(( $(rss_kb "$w") / 1024 ))"; done
	printf 'RSS %-6s sluice dev %.1f MiB; workers (MiB):%s\n' "$1" \
		"$(awk -v k="$(rss_kb "$pid")" 'BEGIN {print k / 1024}')" "${list:- none}"
}

runs() {
	run_wrk_tail "GET /health" 16 "$base/health"
	run_wrk_tail "GET /health" 128 "$base/health"
	run_wrk_tail "POST /objects" 16 "$base/objects" "$tmp/post.lua"
	run_wrk_tail "POST /objects" 128 "$base/objects" "$tmp/post.lua"
}

port="$(free_port)"
aws_port="$(free_port)"
start_dev bench/template.yaml /health "$port" "$aws_port" "$tmp/data"
base="http://127.0.0.1:$port"
echo "local cloud tail, wrk -t2 -d$duration on loopback ($(nproc) cores), latencies in ms"
runs
# Two sustained runs: the first fills what is capped (the logs store's 64 MB,
# the traces), so growth in the second is growth that would not stop.
rss0="$(rss_kb "$pid")"
rss_line before
duration="$sustain" run_wrk_tail "sustained POST /objects" 16 "$base/objects" "$tmp/post.lua"
rss1="$(rss_kb "$pid")"
rss_line after
duration="$sustain" run_wrk_tail "sustained, again" 16 "$base/objects" "$tmp/post.lua"
rss_line "again"
awk -v a="$rss0" -v b="$rss1" -v c="$(rss_kb "$pid")" -v d="$sustain" \
	'BEGIN { printf "RSS of sluice dev: %+.1f%% over the first %s sustained, %+.1f%% over the second\n",
		(b - a) * 100 / a, d, (c - b) * 100 / b }'
printf 'logs store on disk: %s\n' "$(du -sh "$tmp/data" | cut -f1)"
echo "after the sustained load:"
runs
stop_dev
