#!/usr/bin/env bash
# Post-deploy smoke test: the open /health route answers 200 with
# {"status":"ok"}, retried for a minute while a new version warms up.
#   scripts/smoke.sh API_URL
set -euo pipefail
url="${1:?usage: $0 API_URL}/health"
for _ in $(seq 1 12); do
	body="$(curl -fsS --max-time 10 "$url" 2>/dev/null || true)"
	if printf '%s' "$body" | grep -q '"status" *: *"ok"'; then
		echo "smoke: $url ok"
		exit 0
	fi
	sleep 5
done
echo "smoke: $url did not answer ok: ${body:-no answer}" >&2
exit 1
