#!/usr/bin/env bash
# Runtime API benchmarks: (a) init time of $BUILD/bootstrap, exec to its first
# `next`; (b) the runtime loop and the API Gateway codec per invocation,
# in-process; (c) the RSS of a warm bootstrap. Figures only; nothing passes or
# fails here, except when a measurement cannot be made.
#
#   BUILD=build bench/runtime.sh         (make bench runs it after `make all`)
#   HANDLER=health RUNS=50 EVENTS=20000 WARM=1000 bench/runtime.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-gcc}
HANDLER=${HANDLER:-health}
RUNS=${RUNS:-50}
EVENTS=${EVENTS:-20000}
WARM=${WARM:-1000}
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
