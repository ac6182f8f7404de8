#!/usr/bin/env bash
# Instructions of `sluice dev` per GET /health that reaches a worker
# (issue 11), counted by callgrind: `sluice dev` on bench/template.yaml under
# valgrind (its workers not traced), SMALL and LARGE requests on one kept-
# alive connection (curl), and the difference of the two totals divided by
# LARGE - SMALL, so that start-up and shutdown cancel out. Prints the figure
# and the top inclusive functions of the larger run; never fails on them.
#   SMALL=200 LARGE=1200 BUILD=build bench/dev_insns.sh
set -euo pipefail
bench=bench/dev_insns.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"
small="${SMALL:-200}"
large="${LARGE:-1200}"
command -v valgrind >/dev/null || { echo "$bench: valgrind is not installed"; exit 0; }

wrap="$tmp/sluice-cg"
printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file="$CG_OUT" %q "$@"\n' \
	"$(realpath "$sluice")" >"$wrap"
chmod +x "$wrap"

# one_run N: the total instructions of `sluice dev` serving N requests.
one_run() {
	local n="$1" port aws_port
	port=$(free_port)
	aws_port=$(free_port)
	rm -rf "$tmp/data"
	mkdir -p "$tmp/data"
	export CG_OUT="$tmp/callgrind.$n"
	sluice="$wrap" start_dev bench/template.yaml /health "$port" "$aws_port" "$tmp/data"
	for _ in $(seq 1 "$n"); do
		printf 'url = "http://127.0.0.1:%s/health"\noutput = "/dev/null"\n' "$port"
	done >"$tmp/urls"
	curl -sS -K "$tmp/urls"
	sleep 0.5
	stop_dev
	callgrind_annotate "$CG_OUT" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

a=$(one_run "$small")
b=$(one_run "$large")
cp "$tmp/callgrind.$large" "${CG_KEEP:-/tmp/dev_insns.callgrind}"
echo "$bench: $(((b - a) / (large - small))) instructions of sluice dev per GET /health" \
	"(callgrind, $small and $large requests on one connection; profile in ${CG_KEEP:-/tmp/dev_insns.callgrind})"
