#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan+UBSan, instrumented
# libsolv and yyjson) and runs each for a bounded time, two at a time.
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 30 s, all targets)
# Seed corpora are assembled at run time from ../shared/data (KRAIT_SHARED_DIR);
# nothing is committed. New corpus entries and crash inputs go under
# build-fuzz/fuzz-out/<target>/; a crash fails the run and names its input,
# which then becomes a regression test (tests/unit or tests/e2e).
# A target's libFuzzer dictionary, fuzz/<target>.dict, is used when present.
# Prints per target: inputs tried, corpus size, crashes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
shift || true
shared=${KRAIT_SHARED_DIR:-$root/../shared}
data=$shared/data
[ -d "$data" ] || { echo "fuzz/run.sh: no seed data at $data (set KRAIT_SHARED_DIR)" >&2; exit 1; }
command -v clang >/dev/null || { echo "fuzz/run.sh: clang is required (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
build=$root/build-fuzz
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKRAIT_FUZZ=ON -DKRAIT_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(version matchspec json conda_meta paths_json repodata condarc extract prefix_replace
                                      environment_yml explicit name_index)
out=$build/fuzz-out
seeds=$(mktemp -d /tmp/krait-fuzz-seeds.XXXXXX)
trap 'rm -rf "$seeds"' EXIT

# ---- seed corpora from shared data ----
/usr/bin/python3 - "$data" "$seeds" <<'PY'
import glob, hashlib, json, os, sys
data, seeds = sys.argv[1], sys.argv[2]
def put(target, blob):
    d = os.path.join(seeds, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(blob, str):
        blob = blob.encode()
    with open(os.path.join(d, hashlib.sha1(blob).hexdigest()), "wb") as f:
        f.write(blob)
def files(pattern, max_size):
    for p in sorted(glob.glob(os.path.join(data, pattern), recursive=True)):
        if os.path.isfile(p) and os.path.getsize(p) <= max_size:
            yield p
def read(p):
    with open(p, "rb") as f:
        return f.read()
versions = set()
for p in files("versions/*.txt", 1 << 24):
    for line in read(p).decode("utf-8", "replace").splitlines():
        v = line.strip().split()[0] if line.strip() else ""
        if v and len(versions) < 3000:
            versions.add(v)
for v in versions:
    put("version", v)
specs = set()
for p in files("repodata/**/repodata.json", 1 << 23):
    doc = json.loads(read(p))
    for key in ("packages", "packages.conda"):
        for rec in (doc.get(key) or {}).values():
            for dep in rec.get("depends", []) + rec.get("constrains", []):
                if len(specs) < 3000:
                    specs.add(dep)
for s in specs:
    put("matchspec", s)
for s in ["conda-forge/linux-64::numpy[version='>=1.2,<2', build=py*]", "numpy[channel=\"conda#forge\"]",
          "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda", "a ^1\\.(2|3)\\..*$"]:
    put("matchspec", s)
for p in files("prefix/**/*.json", 1 << 20):
    put("conda_meta", read(p)); put("json", read(p))
for p in files("metadata/**/*.json", 1 << 20):
    put("json", read(p))
for p in files("metadata/*paths.json", 1 << 20):
    put("paths_json", read(p))
for p in files("repodata/**/*.json", 1 << 18):
    put("repodata", read(p)); put("json", read(p))
for p in files("channels/**/*repodata*.json", 1 << 18):
    put("repodata", read(p))
put("repodata", '{"info":{"a":["x"]')
# name_index: a well-formed blob (repodata/src/name_index.c's layout) over the JSON of fuzz_name_index.c
import struct
def strmap_hash(b):
    k, m = 0x9E3779B97F4A7C15, (1 << 64) - 1
    h = (len(b) * k) & m
    for i in range(0, len(b) - len(b) % 8, 8):
        h = ((h ^ int.from_bytes(b[i:i + 8], "little")) * k) & m
        h ^= h >> 32
    if len(b) % 8:
        h = ((h ^ int.from_bytes(b[len(b) - len(b) % 8:], "little")) * k) & m
        h ^= h >> 32
    return ((h * k) & m) >> 32
def pad8(b):
    return b + b"\0" * (-len(b) % 8)
js = ('{"info":{"subdir":"linux-64"},"packages":{'
      '"a-1-0.tar.bz2":{"name":"a","version":"1","build":"0","depends":["b >=1"]},'
      '"b-1-0.tar.bz2":{"name":"b","version":"1","build":"0"}},'
      '"packages.conda":{"a-1-0.conda":{"name":"a","version":"1","build":"0"}}}')
def span(key):
    k = js.index('"%s":' % key)
    v = js.index("{", k)
    depth, e = 0, v
    while True:
        depth += {"{": 1, "}": -1}.get(js[e], 0)
        e += 1
        if depth == 0:
            return (v, e - v, v - k)
recs = {"a": [span("a-1-0.tar.bz2"), span("a-1-0.conda")], "b": [span("b-1-0.tar.bz2")]}
names, strings, rec_blob, first = [], b"", b"", 0
for n in ("a", "b"):
    names.append(struct.pack("<6I", len(strings), len(n), first, len(recs[n]), 0 if n == "a" else 1,
                             1 if n == "a" else 0))
    for v, l, kb in recs[n]:
        rec_blob += struct.pack("<QII", v, l, kb)
    first += len(recs[n])
    strings += n.encode()
table = [0] * 16
for i, n in enumerate(("a", "b")):
    slot = strmap_hash(n.encode()) & 15
    while table[slot]:
        slot = (slot + 1) & 15
    table[slot] = i + 1
head = b"KRNIDX1\0" + struct.pack("<6I", 2, 3, 1, 16, len(strings), 0)
put("name_index", pad8(head) + pad8(b"".join(names)) + pad8(rec_blob) + pad8(struct.pack("<I", 1)) +
    pad8(struct.pack("<16I", *table)) + pad8(strings))
for p in files("envs/**/*.y*ml", 1 << 16):
    put("condarc", read(p)); put("environment_yml", read(p))
for p in files("lockfiles/explicit/**/*", 1 << 16):
    put("explicit", read(p))
put("explicit", "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-h4ab18f5_1.conda#sha256:" + "ab" * 32 + "\n")
put("condarc", "channels:\n  - conda-forge\n  - defaults\nchannel_priority: strict\npkgs_dirs: [/tmp/x]\n")
for p in files("packages/**/*.conda", 1 << 20):
    put("extract", read(p))
for p in files("packages/**/*.tar.bz2", 1 << 20):
    put("extract", read(p))
put("prefix_replace", b"\x00#!/opt/anaconda1anaconda2anaconda3/bin/python\nprint('/opt/anaconda1anaconda2anaconda3')\n")
put("prefix_replace", b"\x01ELF\x00/opt/anaconda1anaconda2anaconda3/lib\x00more\x00")
for p in files("metadata/shebang_test.txt", 1 << 16):
    put("prefix_replace", b"\x02" + read(p))
PY

max_len() {
  case $1 in
    repodata|json|conda_meta|paths_json) echo 262144 ;;
    environment_yml|explicit) echo 65536 ;;
    extract) echo 1048576 ;;
    condarc) echo 65536 ;;
    *) echo 4096 ;;
  esac
}

run_one() {
  local t=$1 dir=$out/$1
  mkdir -p "$dir/corpus" "$dir/crashes"
  local log=$dir/log.txt
  local rc=0
  local dict=()
  [ -f "$root/fuzz/$t.dict" ] && dict=(-dict="$root/fuzz/$t.dict")
  "$build/fuzz/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -max_len="$(max_len "$t")" \
    -print_final_stats=1 "${dict[@]}" -artifact_prefix="$dir/crashes/" "$dir/corpus" "$seeds/$t" >"$log" 2>&1 || rc=$?
  local execs corpus crashes
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(find "$dir/corpus" -type f | wc -l)
  crashes=$(find "$dir/crashes" -type f | wc -l)
  printf '%-15s %10s inputs in %ss, corpus %6s, crashes %s\n' "$t" "${execs:-?}" "$secs" "$corpus" "$crashes"
  if [ "$rc" != 0 ]; then
    echo "fuzz_$t failed (exit $rc); last lines of $log:" >&2
    tail -25 "$log" >&2
    return 1
  fi
}

echo "fuzzing ${#targets[@]} targets, ${secs}s each, two at a time (seeds from $data)"
failed=0
pids=()
names=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do
  wait "$p" || failed=1
done
exit $failed
