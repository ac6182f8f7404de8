#!/usr/bin/env bash
# Figures of the database side (issue 13), on this machine:
#   - the stage's PostgreSQL as `sluice dev` starts it: the first start
#     (initdb included) and a later one (its log line "postgres: ... in N ms");
#   - migrations: `sluice migrate up` of 100 trivial migrations on an empty
#     database, then a run with nothing to do (wall clock of the command,
#     against the running stage);
#   - IAM authentication tokens: sign, cache hit, verify (bench/rds_token_bench.c).
# Prints figures; never fails on them.
set -euo pipefail
bench=bench/database.sh
# shellcheck source=bench/wrk-lib.bash
source "$(dirname "$0")/wrk-lib.bash"
CC=${CC:-gcc}
PKGS="jansson libcurl libcrypto libpq"

ms() { date +%s%3N; }
timed() { local t0; t0=$(ms); "$@" >/dev/null; echo $(($(ms) - t0)); }

# The service's template with an empty migrations folder: the database is up, its schema empty.
mkdir -p "$tmp/none" "$tmp/m100"
sed "s|migrations: ../db/migrations|migrations: $tmp/none|" infra/template.yaml >"$tmp/template.yaml"
for i in $(seq 1 100); do
	printf 'CREATE TABLE bench_%03d (id bigint PRIMARY KEY, note text);\n' "$i" \
		>"$tmp/m100/$(printf '%04d' "$i")_bench_$i.sql"
done

pg_start_ms() { sed -n 's/.*postgres: .* in \([0-9]*\) ms.*/\1/p' "$tmp/dev.err" | tail -1; }

echo "the local PostgreSQL, as sluice dev starts it ($(nproc) cores)"
for i in 1 2 3; do
	rm -rf "$tmp/data"
	start_dev "$tmp/template.yaml" /messages "$(free_port)" "$(free_port)" "$tmp/data"
	first=$(pg_start_ms)
	stop_dev
	start_dev "$tmp/template.yaml" /messages "$(free_port)" "$(free_port)" "$tmp/data"
	later=$(pg_start_ms)
	[ "$i" -lt 3 ] && stop_dev
	echo "  run $i: first start (initdb included) ${first} ms, a later start ${later} ms"
done

up=$(timed "$sluice" migrate up --stage dev --data-dir "$tmp/data" --dir "$tmp/m100")
noop=$(timed "$sluice" migrate up --stage dev --data-dir "$tmp/data" --dir "$tmp/m100")
noop2=$(timed "$sluice" migrate up --stage dev --data-dir "$tmp/data" --dir "$tmp/m100")
echo "sluice migrate up: 100 migrations on an empty database ${up} ms; nothing to do ${noop} ms, ${noop2} ms"
stop_dev

mkdir -p "$build/bench"
# shellcheck disable=SC2046 # pkg-config output is meant to split into words
"$CC" -std=c11 -D_GNU_SOURCE -O2 -Isrc bench/rds_token_bench.c "$build/libsluice.a" \
	$(pkg-config --cflags --libs $PKGS) -lm -lpthread -o "$build/bench/rds_token_bench"
"$build/bench/rds_token_bench"
