#!/usr/bin/env bash
# Figures of the preferences API (issue 13) through `sluice dev`, on the
# local PostgreSQL behind the local RDS Proxy: wrk on loopback, 16
# connections, 10 s per endpoint. The template is infra/template.yaml
# without its AWS_IAM authorizers (wrk cannot sign), serving the project's
# vendor list locally. GET /messages/{id} (DynamoDB) is measured in the same
# run, as the yardstick: the goal is PUT and GET within 2x of it.
# Prints figures; never fails on them.
set -euo pipefail
bench=bench/preferences.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"

python3 - "$tmp/template.yaml" "$PWD/db/migrations" <<'PY'
import re, sys
text = open("infra/template.yaml").read()
text = re.sub(r"\n\s+Auth:\n\s+Authorizer: AWS_IAM", "", text)
text = text.replace("migrations: ../db/migrations", "migrations: " + sys.argv[2])
open(sys.argv[1], "w").write(text)
PY

# A different user per request, each PUT a new record or a new version.
wrk_lua "$tmp/put.lua" <<'LUA'
request = function()
	n = n + 1
	return wrk.format("PUT", string.format("/preferences/bench-%d-%d", tid, n % 5000),
		{["Content-Type"] = "application/json"},
		'{"purposes":{"1":true,"2":false,"3":true,"7":true},"vendors":{"1":true,"2":false,"755":true}}')
end
LUA
echo "$wrk_done_lua" >>"$tmp/put.lua"

port="$(free_port)"
start_dev "$tmp/template.yaml" /health "$port" "$(free_port)" "$tmp/data" \
	--vendor-list db/vendor-list.json
base="http://127.0.0.1:$port"
curl -fsS -X PUT -H 'Content-Type: application/json' \
	-d '{"purposes":{"1":true},"vendors":{"755":true}}' "$base/preferences/bench-user" >/dev/null
id="$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"message":"hello, bench"}' \
	"$base/messages" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"

echo "preferences API on the local PostgreSQL through the local RDS Proxy, wrk -c$conns -d$duration ($(nproc) cores)"
run_wrk "GET /messages/{id}" "$base/messages/$id"
run_wrk "GET /preferences/{userId}" "$base/preferences/bench-user"
run_wrk "PUT /preferences/{userId}" "$base/preferences/x" "$tmp/put.lua"
run_wrk "GET /vendors/{vendorId}" "$base/vendors/755"
grep -c "would pin" "$tmp/dev.err" | sed 's/^/statements that would pin an RDS Proxy session: /'
stop_dev
