#!/usr/bin/env bash
# Installs the C interface into a prefix: include/eseal.h, lib/libeseal_ffi.so.X.Y.Z with its
# SONAME link (libeseal_ffi.so.0.1) and development link (libeseal_ffi.so), lib/libeseal_ffi.a
# and lib/pkgconfig/eseal.pc. Then: cc my.c $(pkg-config --cflags --libs eseal).
#
#   ffi/install.sh PREFIX            # builds with `cargo build --release -p eseal-ffi` first
#   ESEAL_FFI_LIB_DIR=dir ffi/install.sh PREFIX   # installs an existing build from dir
#
# Run from anywhere; DESTDIR is honoured as by make (staged installs for packagers).
set -euo pipefail
prefix="${1:?usage: ffi/install.sh PREFIX}"
ffi="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ffi/../Cargo.toml" | head -n1)"
repo="$(sed -n 's/^repository = "\(.*\)"/\1/p' "$ffi/../Cargo.toml" | head -n1)"
IFS=. read -r major minor _ <<<"$version"
if [ "$major" = 0 ]; then abi="0.$minor"; else abi="$major"; fi
libdir_src="${ESEAL_FFI_LIB_DIR:-}"
if [ -z "$libdir_src" ]; then
    (cd "$ffi/.." && cargo build --quiet --release -p eseal-ffi)
    libdir_src="${CARGO_TARGET_DIR:-$ffi/../target}/release"
fi
dest="${DESTDIR:-}$prefix"
install -d "$dest/include" "$dest/lib/pkgconfig"
install -m 644 "$ffi/include/eseal.h" "$dest/include/eseal.h"
install -m 755 "$libdir_src/libeseal_ffi.so" "$dest/lib/libeseal_ffi.so.$version"
strip --strip-unneeded "$dest/lib/libeseal_ffi.so.$version" 2>/dev/null || true
ln -sf "libeseal_ffi.so.$version" "$dest/lib/libeseal_ffi.so.$abi"
ln -sf "libeseal_ffi.so.$abi" "$dest/lib/libeseal_ffi.so"
install -m 644 "$libdir_src/libeseal_ffi.a" "$dest/lib/libeseal_ffi.a"
cat >"$dest/lib/pkgconfig/eseal.pc" <<PC
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: eseal
Description: Electronic seals (GB/T 38540) with SM2/SM3: seals, PDF and OFD signing and verification
Version: $version
URL: $repo
Cflags: -I\${includedir}
Libs: -L\${libdir} -leseal_ffi
Libs.private: -lpthread -ldl -lm
PC
echo "installed eseal $version (C) into $dest"
