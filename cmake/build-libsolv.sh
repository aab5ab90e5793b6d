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
# usage: cmake/build-libsolv.sh [DEPS_DIR]     (default: <repo>/.deps)
# prints the install prefix on its last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
deps=${1:-$root/.deps}
upstream=$(cat "$here/libsolv-version")
# the newest Debian revision of that upstream version apt knows (e.g. 0.7.32-1)
version=$(apt-cache showsrc libsolv 2>/dev/null | sed -n "s/^Version: \(${upstream//./\\.}-.*\)/\1/p" |
          sort -V | tail -n1 || true)
if [ -z "$version" ]; then
  # Without apt lists, an existing build of this upstream version still serves.
  cached=$(ls -d "$deps"/libsolv-"$upstream"-*/.complete 2>/dev/null | sort | tail -n1 || true)
  if [ -n "$cached" ] && [ "${KRAIT_LIBSOLV_REQUIRE_SOURCE:-0}" != 1 ]; then
    echo "note: apt lists no libsolv $upstream source; using the cached build $(dirname "$cached")" >&2
    dirname "$cached"
    exit 0
  fi
  echo "build-libsolv.sh: apt-cache showsrc libsolv lists no $upstream-* source package: run .ci/install-deps" \
       "(adds a deb-src entry for trixie from your Debian mirror), or configure with -DKRAIT_LIBSOLV_PREFIX=..." >&2
  exit 1
fi
patch_hash=$( (echo "$version"; cat "$here"/libsolv-patches/*.patch 2>/dev/null; cat "$0") | sha256sum | cut -c1-12)
prefix=$deps/libsolv-$version-$patch_hash
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi
mkdir -p "$deps"
work=$(mktemp -d "$deps/libsolv-build.XXXXXX")
log=$deps/libsolv-build.log
trap 'rm -rf "$work"' EXIT
trap 'echo "building libsolv failed; last lines of $log:" >&2; tail -30 "$log" >&2' ERR
exec 3>&1 >"$log" 2>&1   # the build's chatter goes to the log; stdout (fd 3) gets only the prefix
echo "building libsolv $version with patches ($patch_hash) in $work" >&3
cd "$work"
# Source comes only from Debian: needs a deb-src entry for trixie (see .ci/libsolv-source).
apt-get source --download-only "libsolv=$version"
dpkg-source -x "libsolv_${version#*:}.dsc" src >/dev/null
cd src
for p in "$here"/libsolv-patches/*.patch; do
  [ -e "$p" ] || continue
  patch -p1 --quiet < "$p" 
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
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
