#!/usr/bin/env bash
# Runtime API benchmarks: (a) init time of $BUILD/bootstrap, exec to its first
# `next`; (b) the runtime loop and the API Gateway codec per invocation,
# in-process; (c) the RSS of a warm bootstrap; (d) when valgrind is installed,
# the instructions per invocation of the whole bootstrap, noise-free: two
# callgrind runs of INSNS_N and 6*INSNS_N invocations, the difference divided
# (init cancels out), and the share of the Runtime API's HTTP in it. Figures
# only; nothing passes or fails here, except when a measurement cannot be made.
#
#   BUILD=build bench/runtime.sh         (make bench runs it after `make all`)
#   HANDLER=health RUNS=50 EVENTS=20000 WARM=1000 INSNS_N=200 bench/runtime.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-gcc}
HANDLER=${HANDLER:-health}
RUNS=${RUNS:-50}
EVENTS=${EVENTS:-20000}
WARM=${WARM:-1000}
INSNS_N=${INSNS_N:-200}
PKGS="jansson libfyaml libcurl libevent expat libcrypto sqlite3 libpq"

for f in "$BUILD/bootstrap" "$BUILD/libsluice.a"; do
	if [[ ! -e $f ]]; then
		echo "runtime.sh: $f is missing; run make BUILD=$BUILD first" >&2
		exit 1
	fi
done

mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046 # pkg-config output is meant to split into words
"$CC" -std=c11 -D_GNU_SOURCE -O2 -g -Isrc -Itests/unit \
	-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
	$(pkg-config --cflags $PKGS) \
	bench/runtime_bench.c tests/unit/rtstub.c "$BUILD/libsluice.a" \
	$(pkg-config --libs $PKGS) -lm -lpthread -o "$BUILD/bench/runtime_bench"

export HANDLER
"$BUILD/bench/runtime_bench" init "$BUILD/bootstrap" "$RUNS"
"$BUILD/bench/runtime_bench" loop "$EVENTS"

# On a virtual machine an idle vCPU halts, and waking it for each loopback
# hop costs tens of microseconds more than the code does: the loop above
# measures that as much as our code. Run it again with the other core kept
# busy (as it is under real load), so the figure that belongs to the code
# shows too. Lambda's own workers are busy-waiting on nothing either way.
spin() { while :; do :; done; }
spin &
spinner=$!
trap 'kill "$spinner" 2>/dev/null || true' EXIT
echo "loop with the other core busy (no idle wake-ups):"
"$BUILD/bench/runtime_bench" loop "$EVENTS"
kill "$spinner" 2>/dev/null || true
wait "$spinner" 2>/dev/null || true
trap - EXIT
"$BUILD/bench/runtime_bench" rss "$BUILD/bootstrap" "$WARM"

# (d) Instructions per invocation, under callgrind (no timing noise).
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	wrap="$BUILD/bench/callgrind-bootstrap"
	# shellcheck disable=SC2016 # expanded by the wrapper when it runs
	printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file="$CG_OUT" "$CG_REAL" "$@"\n' >"$wrap"
	chmod +x "$wrap"
	CG_REAL=$(realpath "$BUILD/bootstrap")
	export CG_REAL
	big=$((INSNS_N * 6))
	for n in "$INSNS_N" "$big"; do
		CG_OUT="$BUILD/bench/callgrind.$n" "$BUILD/bench/runtime_bench" rss "$wrap" "$n" >/dev/null
	done
	total() { awk '/^totals:/ {print $2}' "$1"; }
	# Inclusive cost of the function that speaks the Runtime API (libcurl's or ours).
	http() {
		callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
			awk '!n && /(rt_perform|rt_conn_request) \[/ {gsub(",", "", $1); print $1; n = 1}'
	}
	small=$(total "$BUILD/bench/callgrind.$INSNS_N")
	large=$(total "$BUILD/bench/callgrind.$big")
	hs=$(http "$BUILD/bench/callgrind.$INSNS_N")
	hl=$(http "$BUILD/bench/callgrind.$big")
	per=$(((large - small) / (big - INSNS_N)))
	echo "insns_per_invocation total=$per runtime_api_http=$(((${hl:-0} - ${hs:-0}) / (big - INSNS_N)))" \
		"init=$((small - per * INSNS_N)) (callgrind, $HANDLER)"
fi
