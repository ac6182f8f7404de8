#!/usr/bin/env bash
# The integration suite against the local cloud: start `sluice dev` on the
# service template for a stage (default pr-local), wait for /health, run
# tests/integ through scripts/integ.sh, stop the local cloud.
#   scripts/integ-local.sh [STAGE]
# SLUICE_DEV_PORT (default 3000) is the gateway port; the stage's bucket is
# sluice-<stage>-data in the local S3 endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:-pr-local}"
port="${SLUICE_DEV_PORT:-3000}"
build="${BUILD:-build}"
log="$build/sluice-dev-$stage.log"

"$build/sluice" dev --stage "$stage" --port "$port" infra/template.yaml >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
	curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.2
done
API_URL="http://127.0.0.1:$port" BUCKET="sluice-$stage-data" scripts/integ.sh
