#!/usr/bin/env bash
# Builds libsolv 0.7.32 from Debian trixie's source package, with conda support,
# as static libraries, into a cache folder keyed by the hash of krait's own
# patches (cmake/libsolv-patches/*.patch), so a rebuild only happens when a
# patch changes. Debian's binary libsolv lacks ENABLE_CONDA, hence this.
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
version=0.7.32
patch_hash=$( (echo "$version"; cat "$here"/libsolv-patches/*.patch 2>/dev/null; cat "$0") | sha256sum | cut -c1-12)
prefix=$deps/libsolv-$version-$patch_hash
cflags=""
if [ "$flavor" = sanitize ]; then
  prefix=$deps/libsolv-$version-$patch_hash-san
  cflags="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
elif [ "$flavor" = fuzz ]; then
  # for fuzz/: clang with coverage for libFuzzer plus ASan+UBSan
  prefix=$deps/libsolv-$version-$patch_hash-fuzz
  cflags="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
  export CC=clang
fi
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi
mkdir -p "$deps"
work=$(mktemp -d "$deps/libsolv-build.XXXXXX")
log=$deps/libsolv-build-$flavor.log
trap 'rm -rf "$work"' EXIT
trap 'echo "building libsolv failed; last lines of $log:" >&2; tail -30 "$log" >&2' ERR
exec 3>&1 >"$log" 2>&1   # the build's chatter goes to the log; stdout (fd 3) gets only the prefix
echo "building libsolv $version with patches ($patch_hash) in $work" >&3
cd "$work"
# Source comes only from Debian: needs a deb-src entry for trixie (see .ci/install-deps).
if ! apt-get source --download-only "libsolv=$version-1" ; then
  apt-get source --download-only "libsolv/trixie" >/dev/null
fi
dpkg-source -x libsolv_"$version"-*.dsc src >/dev/null
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
