#!/usr/bin/env bash
# Observability figures: (a) the function's extra cost per invocation for its
# logs and metrics at INFO (goal: at most 5 us), (b) FilterLogEvents by
# request id over 100,000 local log lines, in process and (c) through the
# local endpoint with boto3 (goal: at most 50 ms). The dashboard's update
# latency is measured by the browser suite (tests/e2e/dashboard.mjs,
# build/test-logs/e2e/dashboard-results.json). Figures only.
#
#   BUILD=build bench/observability.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-gcc}
PKGS="jansson libfyaml libcurl libevent expat libcrypto sqlite3 libpq"

for f in "$BUILD/sluice" "$BUILD/libsluice.a"; do
	if [[ ! -e $f ]]; then
		echo "observability.sh: $f is missing; run make BUILD=$BUILD first" >&2
		exit 1
	fi
done
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046 # pkg-config output is meant to split into words
"$CC" -std=c11 -D_GNU_SOURCE -O2 -g -Isrc \
	-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
	$(pkg-config --cflags $PKGS) bench/obs_bench.c "$BUILD/libsluice.a" \
	$(pkg-config --libs $PKGS) -lm -lpthread -lz -lbrotlienc -o "$BUILD/bench/obs_bench"

"$BUILD/bench/obs_bench" function
"$BUILD/bench/obs_bench" filter 100000

# Through the endpoint: 100,000 lines put with PutLogEvents, then boto3's FilterLogEvents.
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
api=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/sluice" dev --port "$api" --aws-port "$port" --data-dir "$work/data" --build-dir "$BUILD" \
	--no-watch --no-prewarm --web-port 0 >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "sluice dev: ready" "$work/out" 2>/dev/null && break; sleep 0.1; done
python3 - "$port" <<'PY'
import sys, time, statistics, boto3
logs = boto3.client("logs", endpoint_url="http://127.0.0.1:%s" % sys.argv[1], region_name="us-east-1",
                    aws_access_key_id="sluice", aws_secret_access_key="sluice-local")
g, s = "/bench/filter", "stream"
logs.create_log_group(logGroupName=g)
logs.create_log_stream(logGroupName=g, logStreamName=s)
now = int(time.time() * 1000) - 200000
for batch in range(20):
    logs.put_log_events(logGroupName=g, logStreamName=s, logEvents=[
        {"timestamp": now + batch * 5000 + i,
         "message": '{"level":"INFO","message":"request","route":"GET /health","status":200,'
                    '"function_request_id":"req-%06d","correlation_id":"api-%06d"}' % (batch * 5000 + i, batch * 5000 + i)}
        for i in range(5000)])
times = []
for _ in range(7):
    t0 = time.perf_counter()
    r = logs.filter_log_events(logGroupName=g, filterPattern='"req-054321"')
    times.append((time.perf_counter() - t0) * 1000)
    assert len(r["events"]) == 1
print("FilterLogEvents by request id over 100000 lines through the endpoint (boto3, "
      "request and answer included): median %.1f ms, max %.1f ms" % (statistics.median(times), max(times)))
PY
