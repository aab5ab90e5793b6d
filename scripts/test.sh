#!/usr/bin/env bash
# Builds krait and runs the whole test suite (unit tests + end-to-end tests on the real binary).
#   scripts/test.sh              normal build in build/ with -Werror
#   scripts/test.sh --sanitize   ASan+UBSan build in build-san/
# Both are test builds (-DKRAIT_TEST_HOOKS=ON: the fault-injection hooks of krait/checkpoint.h).
# Installs Debian build dependencies first (.ci/install-deps) unless KRAIT_SKIP_DEPS=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKRAIT_WERROR=ON -DKRAIT_TEST_HOOKS=ON)
if [ "${1:-}" = "--sanitize" ]; then
  build=build-san
  flags=(-DCMAKE_BUILD_TYPE=Debug -DKRAIT_WERROR=ON -DKRAIT_SANITIZE=ON -DKRAIT_TEST_HOOKS=ON)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
[ "${KRAIT_SKIP_DEPS:-0}" = 1 ] || bash .ci/install-deps
cmake -S . -B "$build" "${flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
