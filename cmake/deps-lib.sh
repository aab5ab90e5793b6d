# Sourced by build-libsolv.sh and build-yyjson.sh: the build cache in DEPS_DIR
# and Debian source packages fetched into it. Part of both scripts' cache keys
# (a change here rebuilds both).

# deps_reuse PREFIX: when a complete build is there, prints it and ends the script.
deps_reuse() {
  if [ -f "$1/.complete" ]; then
    echo "$1"
    exit 0
  fi
}

# deps_enter_workdir DEPS NAME FLAVOR: enters a fresh folder under DEPS (removed
# on exit). From here the build's output goes to DEPS/NAME-build-FLAVOR.log
# (its tail is shown when a step fails); fd 3 keeps the script's stdout, which
# carries only the install prefix.
deps_enter_workdir() {
  local deps=$1 name=$2 flavor=$3
  mkdir -p "$deps"
  deps_work=$(mktemp -d "$deps/$name-build.XXXXXX")
  deps_log=$deps/$name-build-$flavor.log
  trap 'rm -rf "$deps_work"' EXIT
  trap 'echo "building '"$name"' failed; last lines of $deps_log:" >&2; tail -30 "$deps_log" >&2' ERR
  exec 3>&1 >"$deps_log" 2>&1
  cd "$deps_work"
}

# deps_debian_source PKG VERSION DIR [orig-fallback]: Debian's source package
# PKG at VERSION (with its Debian revision, maybe an epoch) unpacked into DIR,
# from the deb-src entries apt knows (only Debian's archive: .ci/install-deps).
# With orig-fallback, a mirror serving the upstream tarball but not the .dsc
# (seen on some mirrors) is accepted when the tarball's sha256 matches apt's
# Sources index, so the bytes are still exactly Debian's (without Debian's
# patches: only for packages that have none that matter).
deps_debian_source() {
  local pkg=$1 version=$2 dir=$3 fallback=${4:-}
  local plain=${version#*:} # file names carry no epoch
  if apt-get source --download-only "$pkg=$version"; then
    dpkg-source -x "${pkg}_${plain}.dsc" "$dir"
    return
  fi
  local orig=${pkg}_${plain%-*}.orig.tar.xz
  if [ "$fallback" != orig-fallback ] || [ ! -f "$orig" ]; then
    echo "$pkg: Debian's source package $pkg=$version is not reachable" >&2
    return 1
  fi
  local want got
  want=$(apt-cache showsrc "$pkg" | awk -v f="$orig" '$3 == f && length($1) == 64 {print $1; exit}')
  got=$(sha256sum "$orig" | cut -d' ' -f1)
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "$pkg: $orig sha256 $got does not match Debian's Sources index ($want)" >&2
    return 1
  fi
  mkdir "$dir" && tar -xf "$orig" -C "$dir" --strip-components=1
}
