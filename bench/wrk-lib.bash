# Shared by the wrk benchmarks (bench/local.sh, bench/messages.sh); sourced,
# not run. The caller sets `bench` (its name, for messages) and may set
# BUILD, BENCH_DURATION, BENCH_CONNECTIONS.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="${BUILD:-build}"
duration="${BENCH_DURATION:-10s}"
conns="${BENCH_CONNECTIONS:-16}"
sluice="$build/sluice"
command -v wrk >/dev/null || { echo "$bench: wrk is not installed (apt-get install wrk)"; exit 0; }
[ -x "$sluice" ] && [ -x "$build/bootstrap" ] || { echo "$bench: build first (make)"; exit 1; }

tmp="$(mktemp -d)"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk_lua FILE: write a wrk script to FILE: each thread knows its number
# (`tid`, from 1) and counts its requests (`n`), then the request function
# read from stdin. Each wrk thread has its own Lua state with the same
# unseeded math.random, so names built from tid and n are what keeps two
# threads from sending the same ones.
wrk_lua() {
	{
		cat <<'LUA'
local threads = 0
setup = function(thread)
	threads = threads + 1
	thread:set("tid", threads)
end
local n = 0
LUA
		cat
	} >"$1"
}

# objects_post_lua FILE: POST /objects with 64 bytes of content, a fresh
# name per request and per thread (local.sh, tail.sh).
objects_post_lua() {
	wrk_lua "$1" <<'LUA'
request = function()
	n = n + 1
	local body = string.format('{"name":"bench/%d-%d","content":"%s"}', tid, n,
		string.rep("x", 64))
	return wrk.format("POST", "/objects", {["Content-Type"] = "application/json"}, body)
end
LUA
}

# start_dev TEMPLATE READY_PATH PORT AWS_PORT DATA [options...]: start
# `sluice dev` in the background and wait until GET READY_PATH answers 2xx.
start_dev() {
	local template="$1" ready="$2" port="$3" aws_port="$4" data="$5"
	shift 5
	"$sluice" dev --template "$template" --port "$port" --aws-port "$aws_port" \
		--data-dir "$data" --build-dir "$build" --no-watch "$@" \
		>"$tmp/dev.out" 2>"$tmp/dev.err" &
	pid=$!
	for _ in $(seq 1 200); do
		curl -fsS "http://127.0.0.1:$port$ready" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "$bench: sluice dev did not start:" >&2
	cat "$tmp/dev.err" >&2
	exit 1
}

stop_dev() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

# The `done` hook of a wrk Lua script that reports non-2xx/3xx answers.
wrk_done_lua='done = function(summary, latency, requests)
	io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end'

# run_wrk LABEL URL [script]: one line of req/s, p50, p99 and errors.
run_wrk() {
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

# The `done` hook of a wrk Lua script that prints the tail: one line of
# requests/s, p50, p90, p99, p99.9 and max (ms), and non-2xx/3xx answers.
wrk_tail_lua='done = function(summary, latency, requests)
	local s = string.format("%10.0f req/s  ", summary.requests / (summary.duration / 1e6))
	for _, p in ipairs({50, 90, 99, 99.9}) do
		s = s .. string.format("p%s %7.2f  ", p, latency:percentile(p) / 1000)
	end
	io.write(s .. string.format("max %7.2f ms  non-2xx/3xx %d  socket errors %d\n",
		latency.max / 1000, summary.errors.status,
		summary.errors.connect + summary.errors.read + summary.errors.write +
		summary.errors.timeout))
end'

# run_wrk_tail LABEL CONNS URL [script]: one line from wrk_tail_lua; a
# script given defines `request` (or `setup`), never `done`.
run_wrk_tail() {
	local label="$1" c="$2" url="$3" script="$tmp/tail.lua"
	if [ $# -ge 4 ]; then cat "$4" >"$script"; else : >"$script"; fi
	echo "$wrk_tail_lua" >>"$script"
	printf '%-22s c=%-4s %s\n' "$label" "$c" \
		"$(wrk -t2 -c"$c" -d"$duration" -s "$script" "$url" | tail -1)"
}
