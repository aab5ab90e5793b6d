#!/usr/bin/env bash
# Rebuilds demo/channel/: a tiny conda channel of real packages, committed to the repo
# so a fresh clone can run ./demo/run.sh without building anything first.
#   krait-hello 1.0  noarch generic (.tar.bz2): bin/krait-hello prints "hello from <prefix>";
#                    the prefix is a text placeholder that the installer rewrites.
#   krait-greet 1.0  noarch generic (.conda), depends on krait-hello: bin/krait-greet [NAME].
# Both are shell scripts, so the channel works on any Linux or macOS architecture; every
# common platform subdir gets an empty repodata.json so the channel is complete there too.
#
# usage: demo/build-demo-channel.sh [--force] [OUT_DIR]
#   without --force: only if missing; OUT_DIR defaults to demo/channel (tests build elsewhere)
# Needs Debian's python3 and conda-package-handling (`cph`), as the e2e tests do.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
channel=${1:-$here/channel}
mkdir -p "$(dirname "$channel")"
channel=$(cd "$(dirname "$channel")" && pwd)/$(basename "$channel")
if [ $force = 0 ] && [ -f "$channel/noarch/repodata.json" ]; then
  echo "demo channel already built at $channel (use --force to rebuild)"
  exit 0
fi
command -v cph >/dev/null || { echo "error: cph not found (apt-get install conda-package-handling)" >&2; exit 1; }
python=/usr/bin/python3
[ -x "$python" ] || python=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/krait-demo-channel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
KRAIT_E2E_DIR="$root/tests/e2e" "$python" - "$tmp/channel" <<'PY'
import os
import sys

sys.path.insert(0, os.environ["KRAIT_E2E_DIR"])
from pkgbuild import TEXT_PLACEHOLDER, Channel, Package  # noqa: E402

out = sys.argv[1]
SUBDIRS = ["linux-64", "linux-aarch64", "linux-ppc64le", "osx-64", "osx-arm64"]
ch = Channel(out, platform_subdir="linux-64", extra_subdirs=SUBDIRS, reproducible=True)

hello = Package("krait-hello", "1.0", noarch="generic", build="0", license="MIT",
                timestamp=1767225600000)
hello.add_text("bin/krait-hello",
               "#!/bin/sh\n"
               "# krait demo: the installer replaces the placeholder below with the env's prefix.\n"
               f'prefix="{TEXT_PLACEHOLDER}"\n'
               'echo "hello from $prefix"\n',
               mode=0o755, placeholder=TEXT_PLACEHOLDER)
hello.add_text("share/krait-hello/README.txt",
               "krait-hello: a demo package from krait's embedded channel (demo/channel).\n")
ch.add(hello, ".tar.bz2")

greet = Package("krait-greet", "1.0", noarch="generic", build="0", depends=["krait-hello >=1.0"],
                license="MIT", timestamp=1767225600000)
greet.add_text("bin/krait-greet",
               "#!/bin/sh\n"
               "# krait demo: greets NAME (default: world), then lets krait-hello say where it lives.\n"
               'echo "greetings, ${1:-world}"\n'
               'exec "$(dirname "$0")/krait-hello"\n',
               mode=0o755)
ch.add(greet, ".conda")
ch.write()
PY
rm -rf "$channel.new"
mv "$tmp/channel" "$channel.new"
rm -rf "$channel"
mv "$channel.new" "$channel"
find "$channel" -type f | sort | while read -r f; do printf '%8d  %s\n' "$(stat -c %s "$f")" "${f#"$root"/}"; done
