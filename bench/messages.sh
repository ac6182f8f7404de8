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
bench=bench/messages.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"

# A 64-character message, different per request (thread number and counter).
wrk_lua "$tmp/post.lua" <<'LUA'
request = function()
	n = n + 1
	local text = string.format("bench %d-%d ", tid, n)
	text = text .. string.rep("x", 64 - #text)
	return wrk.format("POST", "/messages", {["Content-Type"] = "application/json"},
		'{"message":"' .. text .. '"}')
end
LUA
echo "$wrk_done_lua" >>"$tmp/post.lua"

count() { curl -fsS "$1/messages" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])'; }

port="$(free_port)"
aws_port="$(free_port)"
start_dev infra/template.yaml /messages "$port" "$aws_port" "$tmp/data"
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
start_dev infra/template.yaml /messages "$port" "$aws_port" "$tmp/data-fsync" --fsync
run_wrk "POST /messages (--fsync)" "http://127.0.0.1:$port/messages" "$tmp/post.lua"
stop_dev
