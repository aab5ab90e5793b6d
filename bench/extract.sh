#!/usr/bin/env bash
# Cold extraction benchmark: krait's extractor vs the stock tools on the same archives.
#   bench/extract.sh [BUILD_DIR]      (default: build; needs hyperfine, bsdtar, unzip, zstd, cph)
# Archive sets:
#   real   every real .conda/.tar.bz2 in ../shared/data (small packages, mostly per-archive overhead)
#   big    one package built here with `cph create` from /usr/lib/python3.x (~50 MB, ~thousands of files),
#          as .conda and .tar.bz2
# Reference: `bsdtar -xf` for .tar.bz2; `unzip` + `zstd -dc | tar -x` for .conda (one process chain
# per archive, as a shell script would do it). krait runs single-threaded with and without the
# final sync, and on all cores. Every run starts from an empty output directory (hyperfine --prepare).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bench=$build/bench/bench_extract
shared=${KRAIT_SHARED_DIR:-$root/../shared}
[ -x "$bench" ] || { echo "build first: $bench missing" >&2; exit 1; }
for t in hyperfine bsdtar unzip zstd tar; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done
work=$(mktemp -d "${TMPDIR:-/tmp}/krait-bench-extract-XXXXXX")
trap 'rm -rf "$work"' EXIT

# the reference extraction of a list of archives into $2
cat > "$work/ref.sh" <<'REF'
#!/usr/bin/env bash
set -e
out=$1; shift
k=0
for a in "$@"; do
  n=$(basename "$a"); n=$k-${n%.conda}; n=${n%.tar.bz2}; k=$((k+1))
  mkdir -p "$out/$n"
  case $a in
    *.tar.bz2) bsdtar -xf "$a" -C "$out/$n" ;;
    *.conda)
      z=$(mktemp -d "$out/.zip-XXXXXX")
      unzip -q "$a" -d "$z"
      for t in $(find "$z" -name '*.tar.zst'); do zstd -qdc "$t" | tar -x -C "$out/$n" 2>/dev/null || true; done
      rm -rf "$z" ;;
  esac
done
REF
chmod +x "$work/ref.sh"

mapfile -t real < <(find "$shared/data/packages" "$shared/data/channels" \( -name '*.conda' -o -name '*.tar.bz2' \) \
  -size +2k 2>/dev/null | grep -v -e zip64 -e 'ca-certificates' | sort)   # unzip cannot read these two
src=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | head -1)
big=()
if [ -n "$src" ] && command -v cph >/dev/null; then
  mkdir -p "$work/src/info" "$work/src/lib"
  cp -a "$src" "$work/src/lib/"
  find "$work/src" -lname '/*' -delete   # krait (rightly) refuses absolute symlinks
  echo '{"name": "bigpkg", "version": "1.0", "build": "0", "build_number": 0}' > "$work/src/info/index.json"
  (cd "$work" && cph create src bigpkg-1.0-0.conda >/dev/null 2>&1 && cph create src bigpkg-1.0-0.tar.bz2 >/dev/null 2>&1)
  big=("$work/bigpkg-1.0-0.conda" "$work/bigpkg-1.0-0.tar.bz2")
  echo "big package from $src: $(find "$work/src" -type f | wc -l) files, $(du -sh "$work/src" | cut -f1);" \
       ".conda $(du -h "${big[0]}" | cut -f1), .tar.bz2 $(du -h "${big[1]}" | cut -f1)"
fi
echo "real set: ${#real[@]} archives, $(du -ch "${real[@]}" | tail -1 | cut -f1)"

run() { # name, archives...
  local name=$1; shift
  local list; list=$(printf "'%s' " "$@")
  hyperfine -N --warmup 1 --runs "${RUNS:-10}" --export-json "$work/$name.json" \
    --prepare "rm -rf $work/out" \
    -n "krait" "$bench $work/out $list" \
    -n "krait --no-sync" "$bench --no-sync $work/out $list" \
    -n "krait $(nproc) threads" "$bench --threads $(nproc) $work/out $list" \
    -n "reference tools" "$work/ref.sh $work/out $list" >/dev/null
  /usr/bin/python3 - "$work/$name.json" "$name" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
ref = next(r for r in rs if r["command"] == "reference tools")["mean"]
print(f"\n{sys.argv[2]}:")
for r in rs:
    print(f"  {r['command']:<22} {r['mean']*1e3:9.1f} ms ± {r['stddev']*1e3:6.1f}   ratio vs reference {r['mean']/ref:5.2f}")
PY
}
run real "${real[@]}"
if [ ${#big[@]} -eq 2 ]; then
  run big-conda "${big[0]}"
  run big-tar.bz2 "${big[1]}"
fi
