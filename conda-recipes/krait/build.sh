#!/usr/bin/env bash
# conda-build / rattler-build entry point: configure krait against the host
# environment's libraries ($PREFIX) and install it into $PREFIX.
#  - libsolv: conda-forge's libsolv-static (built with conda support), so the
#    Debian source build of cmake/build-libsolv.sh is skipped;
#  - yyjson: the host env's (cmake/build-yyjson.sh would need apt);
#  - squashfs: conda-forge has no libsquashfs (squashfs-tools-ng), so krait pack
#    writes tar.zst / tar.gz only and refuses squashfs with a message saying so.
# The variables are the ones conda-build sets: PREFIX, SRC_DIR, CPU_COUNT,
# CMAKE_ARGS (cross-compilation and install prefix flags).
set -euo pipefail
: "${PREFIX:?conda-build sets PREFIX}"
src=${SRC_DIR:-$(pwd)}
build="$src/build-conda"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of flags
cmake -S "$src" -B "$build" -G Ninja ${CMAKE_ARGS:-} \
  -DCMAKE_BUILD_TYPE=Release -DKRAIT_WERROR=OFF -DKRAIT_BUILD_TESTS=OFF \
  -DKRAIT_WITH_SQUASHFS=OFF \
  -DKRAIT_LIBSOLV_PREFIX="$PREFIX" -DKRAIT_YYJSON_PREFIX="$PREFIX" -DCMAKE_PREFIX_PATH="$PREFIX"
cmake --build "$build" --target krait -j"${CPU_COUNT:-1}"
install -Dm755 "$build/krait" "$PREFIX/bin/krait"
