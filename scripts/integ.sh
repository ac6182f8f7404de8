#!/usr/bin/env bash
# The integration suite (tests/integ/) against a deployed stack:
#   API_URL=https://.../pr-42 BUCKET=sluice-pr-42-databucket-... scripts/integ.sh
# (make integ API_URL=... BUCKET=...). The suite reads SLUICE_API_URL and
# SLUICE_BUCKET and signs its requests with the caller's AWS credentials.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${API_URL:-}" ] || [ -z "${BUCKET:-}" ]; then
	echo "$0: API_URL and BUCKET are required (make outputs STAGE=... prints them)" >&2
	exit 2
fi
export SLUICE_API_URL="$API_URL" SLUICE_BUCKET="$BUCKET"
exec "${PYTHON:-python3}" -m unittest discover -s tests/integ -p 'test_*.py' -v
