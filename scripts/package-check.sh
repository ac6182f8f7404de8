#!/usr/bin/env bash
# Check the Lambda package: scripts/package-check.sh ZIP
#
# Fails when
#  - bootstrap is missing from the zip root or is not an executable ELF;
#  - any ELF in the zip needs a glibc symbol version newer than 2.34 (the
#    glibc of Amazon Linux 2023, which provided.al2023 runs on);
#  - the zip is over 5 MB;
#  - a bundled library does not resolve from the zip's own lib/ (RPATH);
#  - the bootstrap, run from an extracted copy with an empty environment
#    apart from the Runtime API variables and _HANDLER=health, does not
#    answer an invocation of a local Runtime API stand-in with a 200;
#  - the zip has no migrations/, the bootstrap needs a shared libpq, or its
#    own libpq does not run (the migrate function against a closed port).
set -euo pipefail

zip_in="${1:?usage: $0 ZIP}"
python="${PYTHON:-python3}"
max_glibc="2.34"
max_bytes=$((5 * 1024 * 1024))
here="$(cd "$(dirname "$0")" && pwd)"

fail() {
	echo "package-check: FAIL: $*" >&2
	exit 1
}

size=$(stat -c %s "$zip_in")
[ "$size" -le "$max_bytes" ] || fail "$zip_in is $size bytes, over $max_bytes"
echo "package-check: size $size bytes (limit $max_bytes)"

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
unzip -q "$zip_in" -d "$dir"
[ -f "$dir/bootstrap" ] || fail "no bootstrap at the zip root"
[ -x "$dir/bootstrap" ] || fail "bootstrap is not executable"

# Every ELF: the glibc versions it references (readelf -V, "Version needs").
elves=0
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] || continue
	elves=$((elves + 1))
	newest=$(readelf -V --wide "$f" | grep -o 'Name: GLIBC_[0-9.]*' |
		sed 's/Name: GLIBC_//' | sort -uV | tail -1)
	newest="${newest:-none}"
	if [ "$newest" != none ] &&
		[ "$(printf '%s\n%s\n' "$newest" "$max_glibc" | sort -V | tail -1)" != "$max_glibc" ]; then
		syms=$(objdump -T "$f" | grep -F "GLIBC_$newest" | awk '{print $NF}' | tr '\n' ' ')
		fail "${f#"$dir"/} needs GLIBC_$newest (> $max_glibc): $syms"
	fi
	echo "package-check: ${f#"$dir"/}: newest glibc symbol version $newest"
done < <(find "$dir" -type f -print0)
[ "$elves" -gt 0 ] || fail "no ELF in the zip"

# shellcheck disable=SC2016 # a literal $ORIGIN
readelf -d "$dir/bootstrap" | grep -E '\((RPATH|RUNPATH)\)' | grep -qF '$ORIGIN/lib' ||
	fail "bootstrap has no RPATH \$ORIGIN/lib"

# Each bundled library must be the one the loader picks for the bootstrap.
for lib in "$dir"/lib/*; do
	[ -e "$lib" ] || continue
	name="$(basename "$lib")"
	got=$(env -i ldd "$dir/bootstrap" | awk -v n="$name" '$1 == n && $2 == "=>" {print $3}')
	if [ -z "$got" ] || [ "$(realpath "$got")" != "$(realpath "$lib")" ]; then
		fail "$name resolves to '${got:-nothing}', not to the package's lib/"
	fi
	echo "package-check: $name resolves from lib/ through the RPATH"
done
if env -i ldd "$dir/bootstrap" | grep -q 'not found'; then
	fail "unresolved libraries: $(env -i ldd "$dir/bootstrap" | grep 'not found' | tr -s ' \t' ' ')"
fi

"$python" "$here/runtime-standin.py" --handler health -- "$dir/bootstrap" ||
	fail "the extracted bootstrap did not answer the Runtime API stand-in"

# libpq is not on provided.al2023: it is linked in. Prove it loads and runs:
# the migrate function reads the packaged migrations and connects, and
# libpq itself reports the refused connection (port 1 on loopback).
[ -n "$(ls "$dir"/migrations/*.sql 2>/dev/null)" ] || fail "no migrations/*.sql in the zip"
if readelf -d "$dir/bootstrap" | grep -q 'libpq'; then
	fail "bootstrap needs a shared libpq, which provided.al2023 does not have"
fi
"$python" "$here/runtime-standin.py" --handler migrate --event '{"command":"status"}' \
	--env PGHOST=127.0.0.1 --env PGPORT=1 --env PGUSER=postgres --env PGDATABASE=sluice \
	--expect-error 'connection to server at' -- "$dir/bootstrap" ||
	fail "the packaged libpq did not run (migrate function against a closed port)"
echo "package-check: ok"
