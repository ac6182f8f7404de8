#!/usr/bin/env bash
# Figures of bulk imports (issue 13) through `sluice dev`: generated NDJSON
# objects of IMPORT_SIZES megabytes (default 100 and 1000) uploaded to the
# data bucket (multipart, as boto3 does) under imports/, imported by the import
# function through the local RDS Proxy into the local PostgreSQL. For each:
# the import's duration and throughput (from the S3 event to "done"), and the
# function's Max Memory Used (its REPORT line), which must not grow with the
# object. Lines carry 10 purposes and 30 vendors of a generated 1,300-vendor
# list (about 600 bytes each), one user per line. Prints figures; never fails
# on them.
set -euo pipefail
bench=bench/import.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"
sizes="${IMPORT_SIZES:-100 1000}"

python3 - "$tmp" "$PWD/db/migrations" <<'PY'
import json, re, sys
tmp, migrations = sys.argv[1], sys.argv[2]
text = open("infra/template.yaml").read()
text = re.sub(r"\n\s+Auth:\n\s+Authorizer: AWS_IAM", "", text)
text = text.replace("migrations: ../db/migrations", "migrations: " + migrations)
open(tmp + "/template.yaml", "w").write(text)
gvl = json.load(open("db/vendor-list.json"))
gvl["vendors"] = {str(i): {"id": i, "name": "Bench vendor %d" % i, "purposes": [1, 2, 3],
                           "legIntPurposes": [7], "features": [1]} for i in range(1, 1301)}
json.dump(gvl, open(tmp + "/gvl.json", "w"))
PY

port="$(free_port)"
aws_port="$(free_port)"
start_dev "$tmp/template.yaml" /health "$port" "$aws_port" "$tmp/data" --vendor-list "$tmp/gvl.json"
bucket="$(awk '$1 == "Bucket" && $2 == "DataBucket" {print $4}' "$tmp/dev.out")"

echo "imports through sluice dev ($(nproc) cores), 4 ranged GETs of 4 MiB in flight, batches of 1000"
for mb in $sizes; do
	python3 - "$tmp/f.ndjson" "$mb" <<'PY'
import json, random, sys
path, mb = sys.argv[1], int(sys.argv[2])
target, n = mb * 1000 * 1000, 0
rnd = random.Random(mb)
with open(path, "w") as f:
    size = 0
    while size < target:
        vendors = {str(v): rnd.random() < 0.7 for v in rnd.sample(range(1, 1301), 30)}
        line = json.dumps({"userId": "imp%d-%d" % (mb, n),
                           "purposes": {str(p): rnd.random() < 0.8 for p in range(1, 11)},
                           "vendors": vendors, "updatedAt": "2026-02-03T04:05:06.789Z"},
                          separators=(",", ":")) + "\n"
        f.write(line)
        size += len(line)
        n += 1
PY
	bytes=$(stat -c %s "$tmp/f.ndjson")
	python3 - "$tmp/f.ndjson" "http://127.0.0.1:$aws_port" "$bucket" "imports/bench-$mb.ndjson" <<'PY'
import sys, boto3
path, url, bucket, key = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="sluice", aws_secret_access_key="sluice-local")
s3.upload_file(path, bucket, key)
PY
	python3 - "http://127.0.0.1:$port" "bench-$mb" "$tmp/dev.err" "$bytes" <<'PY'
import json, re, sys, time, urllib.request
base, imp, log, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
while True:
    with urllib.request.urlopen(base + "/preferences/imports/" + imp) as r:
        st = json.load(r)
    if st["state"] in ("done", "failed"):
        break
    time.sleep(0.5)
text = open(log, errors="replace").read()
rid = re.search(r'"message":"import %s: done[^\n]*"requestId":"([^"]+)"' % re.escape(imp), text)
rep = rid and re.search(r"REPORT RequestId: %s\s+Duration: ([0-9.]+) ms.*?Max Memory Used: (\d+) MB"
                        % re.escape(rid.group(1)), text)
if not rep:
    print("  %s: %s, no REPORT line found" % (imp, st["state"]))
    sys.exit(0)
secs = float(rep.group(1)) / 1000
print("  %4d MB (%d lines): %s in %.1f s, %.1f MB/s, %d rows/s; Max Memory Used %s MB"
      % (size / 1e6, st["rowsRead"], st["state"], secs, size / 1e6 / secs,
         st["rowsWritten"] / secs, rep.group(2)))
PY
	rm -f "$tmp/f.ndjson"
done
stop_dev
