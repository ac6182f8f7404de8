#!/usr/bin/env bash
# The integration suite against the local cloud: start `sluice dev` on the
# service template for a stage (default pr-local), wait for /health, run
# tests/integ through scripts/integ.sh, stop the local cloud.
#   scripts/integ-local.sh [STAGE]
# SLUICE_DEV_PORT (default 3000) is the gateway port, SLUICE_DEV_AWS_PORT
# (default 4566) the local AWS endpoint; the stage's bucket is the one
# `sluice dev` prints as "Bucket DataBucket = <name>".
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:-pr-local}"
port="${SLUICE_DEV_PORT:-3000}"
build="${BUILD:-build}"
log="$build/sluice-dev-$stage.log"

aws_port="${SLUICE_DEV_AWS_PORT:-4566}"
data_dir="$build/integ-local"
"$build/sluice" dev --stage "$stage" --port "$port" --aws-port "$aws_port" \
	--data-dir "$data_dir" --build-dir "$build" --no-watch infra/template.yaml >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
	curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.2
done
bucket="$(sed -n 's/^ *Bucket *DataBucket = \([^ ]*\).*/\1/p' "$log" | head -1)"
if [ -z "$bucket" ]; then
	echo "integ-local: sluice dev did not print the DataBucket name" >&2
	cat "$log" >&2
	exit 1
fi
export AWS_ACCESS_KEY_ID=sluice AWS_SECRET_ACCESS_KEY=sluice-local AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$aws_port"
API_URL="http://127.0.0.1:$port" BUCKET="$bucket" scripts/integ.sh
