#!/usr/bin/env bash
# krait's demo: build krait, then create an environment from the embedded demo channel
# (demo/channel, committed) and run a program from it.
#   ./demo/run.sh                 everything (installs Debian build deps first)
# Environment:
#   KRAIT_DEMO_PREFIX   where the demo env goes           (default /tmp/krait-demo)
#   KRAIT_DEMO_BUILD    cmake build directory             (default <repo>/build)
#   KRAIT_SKIP_DEPS=1   don't run .ci/install-deps
#   JOBS                parallel build jobs               (default: nproc)
#   KRAIT_DEMO_BIN      use this krait binary instead of building one (steps 1-2 skipped)
# Safe to run again: it rebuilds incrementally and recreates only an env it made itself
# (a directory with conda-meta/history); it never deletes anything else.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
prefix=${KRAIT_DEMO_PREFIX:-/tmp/krait-demo}
build=${KRAIT_DEMO_BUILD:-$repo/build}
channel=$here/channel
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cd "$repo"

step() { printf '\n== %s ==\n' "$*"; }

step "1/4 build dependencies"
if [ -n "${KRAIT_DEMO_BIN:-}" ]; then
  echo "skipped (KRAIT_DEMO_BIN=$KRAIT_DEMO_BIN)"
elif [ "${KRAIT_SKIP_DEPS:-0}" = 1 ]; then
  echo "skipped (KRAIT_SKIP_DEPS=1)"
elif [ -f .ci/install-deps ]; then
  bash .ci/install-deps
else
  echo "note: .ci/install-deps not found; assuming the build dependencies are installed"
fi

step "2/4 build krait"
if [ -n "${KRAIT_DEMO_BIN:-}" ]; then
  krait=$KRAIT_DEMO_BIN
  echo "skipped: using $krait"
else
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$jobs" --target krait
  krait=$build/krait
fi
[ -x "$krait" ] || { echo "error: $krait was not built" >&2; exit 1; }

if [ ! -f "$channel/noarch/repodata.json" ]; then
  bash "$here/build-demo-channel.sh"
fi

# The demo env lives outside the user's own config: a private root prefix, package cache
# and an empty condarc, so neither the user's channels nor their envs are touched.
state=${KRAIT_DEMO_STATE:-${TMPDIR:-/tmp}/krait-demo-state}
mkdir -p "$state"
: > "$state/condarc"
export KRAIT_ROOT_PREFIX=$state/root CONDA_PKGS_DIRS=$state/pkgs CONDARC=$state/condarc

if [ -e "$prefix" ]; then
  if [ -f "$prefix/conda-meta/history" ]; then
    echo "removing the previous demo env at $prefix"
    rm -rf "$prefix"
  elif [ -n "$(ls -A "$prefix" 2>/dev/null)" ]; then
    echo "error: $prefix exists and is not a conda env; move it away or set KRAIT_DEMO_PREFIX" >&2
    exit 1
  fi
fi

step "3/4 plan: krait create -p $prefix -c ./demo/channel krait-greet --dry-run"
"$krait" create -p "$prefix" -c "$channel" --override-channels krait-greet --dry-run

step "4/4 install: krait create -p $prefix -c ./demo/channel -y krait-greet"
set +e
out=$("$krait" create -p "$prefix" -c "$channel" --override-channels -y krait-greet 2>&1)
rc=$?
set -e
printf '%s\n' "$out"
if [ $rc -eq 0 ] && [ -x "$prefix/bin/krait-hello" ]; then
  echo
  echo "\$ $prefix/bin/krait-hello"
  "$prefix/bin/krait-hello"
  echo "\$ $prefix/bin/krait-greet krait"
  "$prefix/bin/krait-greet" krait
  echo
  echo "demo env: $prefix   (list it with: $krait list -p $prefix)"
elif printf '%s' "$out" | grep -qiE 'not (yet )?(available|implemented|supported)' || { [ $rc -eq 0 ] && [ ! -e "$prefix/conda-meta" ]; }; then
  echo
  echo "note: this build of krait cannot install yet; the plan above is what it would do."
else
  echo "error: krait create failed (exit $rc)" >&2
  exit 1
fi
