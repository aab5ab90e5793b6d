#!/usr/bin/env bash
# Builds libsolv from Debian's source package (trixie), with conda support, as
# static libraries, into a cache folder keyed by the exact Debian version
# (revision included) and the hash of krait's own patches
# (cmake/libsolv-patches/*.patch), so a rebuild happens only when either changes.
# Debian's binary libsolv lacks ENABLE_CONDA, hence this. The upstream version
# the patches are written for is in cmake/libsolv-version; the Debian version is
# whatever `apt-cache showsrc libsolv` lists for it (.ci/libsolv-source adds the
# deb-src entry). Offline, or without apt: configure with
# -DKRAIT_LIBSOLV_PREFIX=<an installed libsolv built with ENABLE_CONDA>.
#
# usage: cmake/build-libsolv.sh [DEPS_DIR] [sanitize]   (default: <repo>/.deps)
# "sanitize" builds a separate copy with ASan+UBSan for krait's sanitizer
# build, so the patched code runs instrumented there too; "fuzz" one built
# by clang for libFuzzer (fuzz/).
# prints the install prefix on its last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
deps=${1:-$root/.deps}
flavor=${2:-release}
upstream=$(cat "$here/libsolv-version")
# the newest Debian revision of that upstream version apt knows (e.g. 0.7.32-1)
version=$(apt-cache showsrc libsolv 2>/dev/null | sed -n "s/^Version: \(${upstream//./\\.}-.*\)/\1/p" |
          sort -V | tail -n1 || true)
if [ -z "$version" ]; then
  # Without apt lists, an existing build of this upstream version still serves.
  cached=$(ls -d "$deps"/libsolv-"$upstream"-*[0-9a-f]/.complete 2>/dev/null | sort | tail -n1 || true)
  if [ -n "$cached" ] && [ "${KRAIT_LIBSOLV_REQUIRE_SOURCE:-0}" != 1 ]; then
    echo "note: apt lists no libsolv $upstream source; using the cached build $(dirname "$cached")" >&2
    dirname "$cached"
    exit 0
  fi
  echo "build-libsolv.sh: apt-cache showsrc libsolv lists no $upstream-* source package: run .ci/install-deps" \
       "(adds a deb-src entry for trixie from your Debian mirror), or configure with -DKRAIT_LIBSOLV_PREFIX=..." >&2
  exit 1
fi
. "$here/deps-lib.sh"
patch_hash=$( (echo "$version"; cat "$here"/libsolv-patches/*.patch 2>/dev/null; cat "$0" "$here/deps-lib.sh") |
  sha256sum | cut -c1-12)
prefix=$deps/libsolv-$version-$patch_hash
cflags=""
# Two UBSan checks stay off for libsolv itself (krait's code keeps them all):
# its hash functions rely on int wrap-around (repodata.c schema hash) and it
# passes NULL with length 0 to memset/memcpy (rules.c); both are upstream
# idioms that are harmless with gcc and clang, and would stop every solve.
libsolv_ub_exceptions="-fno-sanitize=signed-integer-overflow,nonnull-attribute"
if [ "$flavor" = sanitize ]; then
  prefix=$deps/libsolv-$version-$patch_hash-san
  cflags="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer $libsolv_ub_exceptions"
elif [ "$flavor" = fuzz ]; then
  # for fuzz/: clang with coverage for libFuzzer plus ASan+UBSan
  prefix=$deps/libsolv-$version-$patch_hash-fuzz
  cflags="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer $libsolv_ub_exceptions"
  export CC=clang
fi
deps_reuse "$prefix"
deps_enter_workdir "$deps" libsolv "$flavor" # the build's chatter goes to the log; stdout only the prefix
echo "building libsolv $version with patches ($patch_hash) in $deps_work" >&3
# Source comes only from Debian: needs a deb-src entry for trixie (see .ci/libsolv-source);
# no tarball fallback: Debian's patches are part of what krait's patches apply to.
deps_debian_source libsolv "$version" src
cd src
for p in "$here"/libsolv-patches/*.patch; do
  [ -e "$p" ] || continue
  patch -p1 --quiet < "$p" 
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$cflags" \
  -DENABLE_CONDA=ON -DMULTI_SEMANTICS=ON -DENABLE_STATIC=ON -DDISABLE_SHARED=ON \
  -DENABLE_COMPLEX_DEPS=ON -DWITH_LIBXML2=OFF -DENABLE_RPMDB=OFF -DENABLE_RPMMD=OFF \
  -DENABLE_SUSEREPO=OFF -DENABLE_COMPS=OFF -DENABLE_HELIXREPO=OFF -DENABLE_DEBIAN=OFF \
  -DENABLE_MDKREPO=OFF -DENABLE_ARCHREPO=OFF -DENABLE_APPDATA=OFF -DENABLE_LZMA_COMPRESSION=OFF \
  -DENABLE_BZIP2_COMPRESSION=OFF -DENABLE_ZSTD_COMPRESSION=OFF -DENABLE_ZCHUNK_COMPRESSION=OFF \
  -DENABLE_PYTHON=OFF -DENABLE_PERL=OFF -DENABLE_RUBY=OFF -DENABLE_TCL=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_LIBDIR=lib 
cmake --build build -j"$(nproc)" 
cmake --install build 
# testsolv is handy to replay --debug-solver testcases
install -m755 build/tools/testsolv "$prefix/bin/testsolv" 2>/dev/null || true
touch "$prefix/.complete"
echo "$prefix" >&3
