#!/usr/bin/env bash
# Build the Lambda deployment package: scripts/package.sh BOOTSTRAP ZIP
#
# The zip holds `bootstrap` (stripped, executable) at its root and, in lib/,
# every shared library it needs that Amazon Linux 2023's provided.al2023
# runtime does not ship. The bootstrap finds them through its RPATH
# ($ORIGIN/lib, set at link time by mk/deploy.mk).
#
# What AL2023 provides (docs/delivery.md, "The Lambda package"): glibc
# (libc, libm, libpthread, libdl, librt, libresolv, the loader), OpenSSL 3
# (libcrypto.so.3, libssl.so.3), zlib (libz.so.1) and libcurl-minimal
# (libcurl.so.4, built against that same OpenSSL with the system's CA bundle).
# Everything else the bootstrap needs, directly or through a bundled
# library, is bundled.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 BOOTSTRAP ZIP" >&2
	exit 2
fi
bootstrap="$1"
zip_out="$2"

# SONAMEs the provided.al2023 runtime has; a library not listed is bundled.
system_libs=(
	linux-vdso.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1
	libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2
	libcrypto.so.3 libssl.so.3 libz.so.1 libcurl.so.4
)

is_system() {
	local name="$1" s
	for s in "${system_libs[@]}"; do
		[ "$name" = "$s" ] && return 0
	done
	return 1
}

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"

install -m 0755 "$bootstrap" "$stage/bootstrap"
strip --strip-unneeded "$stage/bootstrap"

# Walk DT_NEEDED from the bootstrap down, stopping at system libraries (what
# they need is the system's business); ldd gives each name's resolved path.
declare -A where=()
while read -r name arrow path _; do
	[ "$arrow" = "=>" ] && where["$name"]="$path"
done < <(ldd "$bootstrap")

needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

bundled=()
queue=("$stage/bootstrap")
while ((${#queue[@]})); do
	elf="${queue[0]}"
	queue=("${queue[@]:1}")
	for name in $(needed "$elf"); do
		is_system "$name" && continue
		[ -e "$stage/lib/$name" ] && continue
		path="${where[$name]:-}"
		if [ -z "$path" ] || [ ! -f "$path" ]; then
			echo "package: cannot resolve $name (needed by $(basename "$elf"))" >&2
			exit 1
		fi
		install -m 0644 "$path" "$stage/lib/$name"
		strip --strip-unneeded "$stage/lib/$name"
		bundled+=("$name")
		queue+=("$stage/lib/$name")
	done
done

# The migrate function reads the migrations from migrations/ beside it.
migrations="$(dirname "$0")/../db/migrations"
mkdir -p "$stage/migrations"
install -m 0644 "$migrations"/*.sql "$stage/migrations/"

mkdir -p "$(dirname "$zip_out")"
zip_out="$(cd "$(dirname "$zip_out")" && pwd)/$(basename "$zip_out")"
rm -f "$zip_out"
# -X: no extra attributes, so equal inputs give an equal zip (apart from mtimes).
(cd "$stage" && zip -q -X -r "$zip_out.tmp" bootstrap lib migrations)
mv "$zip_out.tmp" "$zip_out"

size=$(stat -c %s "$zip_out")
echo "package: $zip_out ($size bytes); bundled: ${bundled[*]:-none}"
