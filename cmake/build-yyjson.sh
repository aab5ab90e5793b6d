#!/usr/bin/env bash
# Builds yyjson (krait's JSON reader and writer) from Debian trixie's source
# package as a static library, into a cache folder keyed by version, Debian
# revision and the hash of this script (and deps-lib.sh), as build-libsolv.sh
# does. Source comes only from Debian's archive (deps_debian_source, with the
# checked upstream-tarball fallback: yyjson's Debian patches do not touch the library).
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
. "$here/deps-lib.sh"
script_hash=$( (echo "$version-$revision-$flavor"; cat "$0" "$here/deps-lib.sh") | sha256sum | cut -c1-12)
prefix=$deps/yyjson-$version-$revision-$script_hash
deps_reuse "$prefix"
deps_enter_workdir "$deps" yyjson "$flavor"
echo "building yyjson $version-$revision ($flavor) in $deps_work" >&3
deps_debian_source yyjson "$version-$revision" src orig-fallback
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
