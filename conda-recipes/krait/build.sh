#!/usr/bin/env bash
# conda-build entry point: configure against the host env's libsolv-static and install krait into $PREFIX.
set -euo pipefail
cmake -S . -B build-conda -G Ninja ${CMAKE_ARGS:-} \
  -DCMAKE_BUILD_TYPE=Release -DKRAIT_WERROR=OFF \
  -DKRAIT_LIBSOLV_PREFIX="$PREFIX" -DCMAKE_PREFIX_PATH="$PREFIX"
cmake --build build-conda --target krait
install -Dm755 build-conda/krait "$PREFIX/bin/krait"
