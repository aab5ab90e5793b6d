#!/usr/bin/env bash
# .ci/libsolv-source on a COPY of an apt configuration (never the machine's own):
# a site whose Debian source is a local mirror (here a file:// folder with an
# unsigned trixie Sources index) gets its deb-src entry from that mirror, with
# that source's signing option; a trixie mention elsewhere does not count; a
# second run changes nothing; a mirror without the version is a clear error.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$root/cmake/libsolv-version")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/krait-apt-test.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# One suite of a local mirror: dists/SUITE/{Release, COMPONENT/INDEX} with CONTENT.
make_suite() {
  local dir=$1 suite=$2 comp=$3 index=$4 content=$5
  mkdir -p "$dir/dists/$suite/$comp/$(dirname "$index")"
  printf '%s' "$content" > "$dir/dists/$suite/$comp/$index"
  local f=$dir/dists/$suite/$comp/$index
  cat > "$dir/dists/$suite/Release" <<REL
Origin: krait-test
Suite: $suite
Codename: $suite
Date: Sat, 01 Jan 2000 00:00:00 UTC
Components: $comp
Architectures: amd64 source
SHA256:
 $(sha256sum "$f" | cut -d' ' -f1) $(stat -c %s "$f") $comp/$index
REL
}

# A local mirror with bookworm binaries (empty) and trixie sources listing libsolv $2.
make_mirror() {
  local dir=$1 ver=$2
  make_suite "$dir" bookworm main binary-amd64/Packages ""
  make_suite "$dir" bookworm-updates main binary-amd64/Packages ""
  make_suite "$dir" trixie main source/Sources "Package: libsolv
Binary: libsolv1
Version: $ver
Maintainer: nobody <nobody@example.invalid>
Architecture: any
Format: 3.0 (quilt)
Directory: pool/main/libs/libsolv
Files:
 d41d8cd98f00b204e9800998ecf8427e 0 libsolv_$ver.dsc

"
}

# An apt configuration copy whose Debian source (bookworm) is the mirror, plus a
# third-party trixie deb-src line that must not count as "trixie sources present".
make_etc() {
  local etc=$1 mirror=$2
  mkdir -p "$etc/sources.list.d" "$etc/apt.conf.d" "$etc/preferences.d" "$etc/trusted.gpg.d"
  cat > "$etc/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: file://$mirror
Suites: bookworm bookworm-updates
Components: main
Trusted: yes
SRC
  echo "deb-src [trusted=yes] file://$tmp/elsewhere trixie contrib" > "$etc/sources.list.d/other.list"
  : > "$etc/sources.list"
}

run() { KRAIT_APT_ETC=$1 KRAIT_APT_STATE=$2 bash "$root/.ci/libsolv-source"; }
showsrc() {
  apt-cache -o "Dir::Etc=$1" -o "Dir::Etc::sourcelist=$1/sources.list" -o "Dir::Etc::sourceparts=$1/sources.list.d" \
    -o "Dir::Etc::parts=$1/apt.conf.d" -o "Dir::State::lists=$2/lists" -o "Dir::Cache=$2/cache" showsrc libsolv
}

# 1. the mirror has the version: the entry reuses its URI and signing option
make_mirror "$tmp/mirror" "$version-1"
make_suite "$tmp/elsewhere" trixie contrib source/Sources ""
make_etc "$tmp/etc" "$tmp/mirror"
out=$(run "$tmp/etc" "$tmp/state" 2>&1) || fail "libsolv-source failed on a good mirror: $out"
entry=$tmp/etc/sources.list.d/krait-trixie-src.sources
[ -f "$entry" ] || fail "no deb-src entry written: $out"
grep -qx "URIs: file://$tmp/mirror" "$entry" || fail "entry does not reuse the mirror URI: $(cat "$entry")"
grep -qx "Trusted: yes" "$entry" || fail "entry does not carry the source's signing option: $(cat "$entry")"
grep -q "deb.debian.org" "$entry" && fail "entry names deb.debian.org: $(cat "$entry")"
showsrc "$tmp/etc" "$tmp/state" | grep -qx "Version: $version-1" || fail "apt-cache showsrc lacks $version-1"
echo "ok: entry from the local mirror ($(grep URIs "$entry"))"

# 2. a second run sees the version and changes nothing
before=$(stat -c %Y.%s "$entry")
out=$(run "$tmp/etc" "$tmp/state" 2>&1) || fail "second run failed: $out"
case $out in *"already lists"*) ;; *) fail "second run did not notice the sources: $out" ;; esac
[ "$(stat -c %Y.%s "$entry")" = "$before" ] || fail "second run rewrote the entry"
echo "ok: second run changes nothing"

# 3. a mirror without that version: non-zero exit and a one-line reason
make_mirror "$tmp/old" "0.7.24-1"
make_etc "$tmp/etc2" "$tmp/old"
if out=$(run "$tmp/etc2" "$tmp/state2" 2>&1); then fail "a mirror without $version passed: $out"; fi
case $out in *"no libsolv $version source package"*) ;; *) fail "unclear error: $out" ;; esac
[ ! -e "$tmp/etc2/sources.list.d/krait-trixie-src.sources" ] || fail "a useless entry was left behind"
echo "ok: missing version reported: ${out##*$'\n'}"

# 4. the one-line sources.list format works the same
make_etc "$tmp/etc3" "$tmp/mirror"
rm "$tmp/etc3/sources.list.d/debian.sources"
echo "deb [trusted=yes] file://$tmp/mirror bookworm main" > "$tmp/etc3/sources.list"
out=$(run "$tmp/etc3" "$tmp/state3" 2>&1) || fail "one-line format failed: $out"
grep -qx "URIs: file://$tmp/mirror" "$tmp/etc3/sources.list.d/krait-trixie-src.sources" || fail "one-line: wrong URI"
echo "ok: one-line sources.list"
echo "test_libsolv_source: all passed"
