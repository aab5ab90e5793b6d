#!/usr/bin/env bash
# Builds yyjson (krait's JSON reader and writer) from Debian trixie's source
# package as a static library, into a cache folder keyed by version, Debian
# revision and the hash of this script, the same way build-libsolv.sh does.
# Source comes only from Debian's archive (the deb-src entry of .ci/install-deps).
# When the mirror serves the upstream tarball but not the .dsc (seen on some
# mirrors), the tarball is used after checking its sha256 against the Sources
# index, so the bytes are still exactly Debian's.
#
# usage: cmake/build-yyjson.sh [DEPS_DIR] [release|sanitize|fuzz]
# prints the install prefix on its last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
deps=${1:-$root/.deps}
flavor=${2:-release}
version=0.10.0+ds
revision=1
script_hash=$( (echo "$version-$revision-$flavor"; cat "$0") | sha256sum | cut -c1-12)
prefix=$deps/yyjson-$version-$revision-$script_hash
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi
mkdir -p "$deps"
work=$(mktemp -d "$deps/yyjson-build.XXXXXX")
log=$deps/yyjson-build-$flavor.log
trap 'rm -rf "$work"' EXIT
trap 'echo "building yyjson failed; last lines of $log:" >&2; tail -30 "$log" >&2' ERR
exec 3>&1 >"$log" 2>&1
echo "building yyjson $version-$revision ($flavor) in $work" >&3
cd "$work"
orig=yyjson_${version}.orig.tar.xz
if apt-get source --download-only "yyjson=$version-$revision"; then
  dpkg-source -x "yyjson_${version}-${revision}.dsc" src
else
  [ -f "$orig" ] || { echo "yyjson: Debian's source package is not reachable" >&2; exit 1; }
  want=$(apt-cache showsrc yyjson | awk -v f="$orig" '$3 == f && length($1) == 64 {print $1; exit}')
  got=$(sha256sum "$orig" | cut -d' ' -f1)
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "yyjson: $orig sha256 $got does not match Debian's Sources index ($want)" >&2
    exit 1
  fi
  mkdir src && tar -xf "$orig" -C src --strip-components=1
fi
cd src
cflags="-O2 -g"
if [ "$flavor" = sanitize ]; then
  cflags="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
elif [ "$flavor" = fuzz ]; then
  cflags="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
  export CC=clang
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$cflags" \
  -DBUILD_SHARED_LIBS=OFF -DYYJSON_BUILD_TESTS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib
cmake --build build -j"$(nproc)"
cmake --install build
touch "$prefix/.complete"
echo "$prefix" >&3
