#!/usr/bin/env bash
# Figures of the messages API on the local DynamoDB endpoint (issue 6): wrk on
# loopback, 16 connections, 10 s per endpoint, against `sluice dev` on the
# project's template (infra/template.yaml: the messages routes have no
# authorizer, so wrk sends plain requests):
#   GET /messages/{id}, POST /messages (a 64-character message), GET /messages:
#   requests/s, p50, p99;
#   then POST /messages again under `sluice dev --fsync` (every DynamoDB
#   commit synced to disk: SQLite synchronous=FULL instead of NORMAL).
# For scale (issue 6): serverless-offline with a Node handler on dynalite does
# 1,009 / 964 / 819 req/s on these three. Prints figures; never fails on them.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD:-build}"
duration="${BENCH_DURATION:-10s}"
conns="${BENCH_CONNECTIONS:-16}"
sluice="$build/sluice"
command -v wrk >/dev/null || { echo "bench/messages.sh: wrk is not installed (apt-get install wrk)"; exit 0; }
[ -x "$sluice" ] && [ -x "$build/bootstrap" ] || { echo "bench/messages.sh: build first (make)"; exit 1; }

tmp="$(mktemp -d)"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_dev() { # start_dev PORT AWS_PORT DATA [options...]
	local port="$1" aws_port="$2" data="$3"
	shift 3
	"$sluice" dev --template infra/template.yaml --port "$port" --aws-port "$aws_port" \
		--data-dir "$data" --build-dir "$build" --no-watch "$@" \
		>"$tmp/dev.out" 2>"$tmp/dev.err" &
	pid=$!
	for _ in $(seq 1 200); do
		curl -fsS "http://127.0.0.1:$port/messages" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench/messages.sh: sluice dev did not start:" >&2
	cat "$tmp/dev.err" >&2
	exit 1
}

stop_dev() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

# A 64-character message, different per request (thread number and counter).
cat >"$tmp/post.lua" <<'LUA'
local threads = 0
setup = function(thread)
	threads = threads + 1
	thread:set("tid", threads)
end
local n = 0
request = function()
	n = n + 1
	local text = string.format("bench %d-%d ", tid, n)
	text = text .. string.rep("x", 64 - #text)
	return wrk.format("POST", "/messages", {["Content-Type"] = "application/json"},
		'{"message":"' .. text .. '"}')
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
	printf '%-28s %10s req/s   p50 %-9s p99 %-9s %s\n' "$label" \
		"$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
		"$(awk '$1 == "50%" {print $2}' <<<"$out")" \
		"$(awk '$1 == "99%" {print $2}' <<<"$out")" \
		"$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+|non-2xx/3xx: [0-9]+|Socket errors.*' <<<"$out" | tr '\n' ' ')"
}

count() { curl -fsS "$1/messages" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])'; }

port="$(free_port)"
aws_port="$(free_port)"
start_dev "$port" "$aws_port" "$tmp/data"
base="http://127.0.0.1:$port"
id="$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"message":"hello, bench"}' \
	"$base/messages" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"

echo "messages API on the local DynamoDB, wrk -c$conns -d$duration on loopback ($(nproc) cores)"
run_wrk "GET /messages/{id}" "$base/messages/$id"
before="$(count "$base")"
run_wrk "POST /messages" "$base/messages" "$tmp/post.lua"
after="$(count "$base")"
run_wrk "GET /messages" "$base/messages"
echo "count after the POSTs: $after (+$((after - before)))"
db="$tmp/data/dev/dynamodb.sqlite"
printf 'dynamodb.sqlite: %d MiB (+ WAL %d MiB)\n' "$(( $(stat -c %s "$db") / 1048576 ))" \
	"$(( $(stat -c %s "$db-wal" 2>/dev/null || echo 0) / 1048576 ))"
stop_dev

port="$(free_port)"
aws_port="$(free_port)"
start_dev "$port" "$aws_port" "$tmp/data-fsync" --fsync
run_wrk "POST /messages (--fsync)" "http://127.0.0.1:$port/messages" "$tmp/post.lua"
stop_dev
