#!/usr/bin/env bash
# krait pack vs mksquashfs on the same ≥ 20,000-file tree, and find/stat over
# every file from the unpacked tree vs the mounted squashfs (cold cache when
# /proc/sys/vm/drop_caches is writable).
#
#   bash bench/pack_bench.sh [KRAIT_BIN] [WORKDIR] [ROUNDS]
#
# Both sides use the same settings: zstd at level 15 (mksquashfs's default
# for zstd and libsquashfs's SQFS_ZSTD_DEFAULT_LEVEL), 128 KiB blocks, and
# mksquashfs -processors N for N online CPUs, which runs N block and N
# fragment compressor threads; krait runs 2N block-processor workers, the
# same number of compressing threads. Each round runs krait then mksquashfs
# back to back; the ratio is per round (wall and CPU = user + sys), and the
# median over ROUNDS (default 3) is reported with the load average, since the
# machine may be shared.
#
# The env is a copy of Debian's python stdlib (real file sizes and layout)
# plus 20,000 generated source-like files of 200 B - 8 KiB, and a conda-meta/
# so krait sees an environment. When WORKDIR/env exists it is reused (and
# WORKDIR kept); otherwise it is made and WORKDIR removed at the end.
set -euo pipefail
KRAIT=${1:-build/krait}
WORK=${2:-$(mktemp -d /tmp/krait-pack-bench.XXXXXX)}
ROUNDS=${3:-3}
KRAIT=$(readlink -f "$KRAIT")
ENV=$WORK/env
CPUS=$(nproc)
keep=0
if [ -d "$ENV/conda-meta" ]; then
  keep=1
else
mkdir -p "$ENV/conda-meta" "$ENV/lib" "$ENV/share"
: > "$ENV/conda-meta/history"
cp -a /usr/lib/python3.11 "$ENV/lib/"
/usr/bin/python3 - "$ENV/lib/python3.11/site-packages/gen" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(1)
words = [w.strip() for w in open("/usr/share/dict/words")] if os.path.exists("/usr/share/dict/words") else \
        ["def", "return", "import", "class", "self", "value", "numpy", "array", "index", "None", "True"]
for i in range(20000):
    d = os.path.join(root, f"pkg{i // 200:03d}")
    os.makedirs(d, exist_ok=True)
    n = rng.randint(200, 8192)
    text = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(words) for _ in range(8)) + "\n"
        text.append(line)
        size += len(line)
    with open(os.path.join(d, f"mod{i:05d}.py"), "w") as f:
        f.write("".join(text))
PY
fi
nfiles=$(find "$ENV" -type f | wc -l)
nentries=$(find "$ENV" | wc -l)
echo "env: $nfiles files, $nentries entries, $(du -sh "$ENV" | cut -f1); $CPUS CPUs"
[ "$nfiles" -ge 20000 ] || { echo "need >= 20000 files" >&2; exit 1; }

# "<wall> <cpu>" of a command (GNU time), its output discarded
timed() { /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >/dev/null; awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$WORK/time"; }
ratio() { echo "scale=3; $1 / $2" | bc; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

sync
: > "$WORK/ratios"
for round in $(seq "$ROUNDS"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r kw kc krss < <(timed "$KRAIT" pack -q -p "$ENV" -o "$WORK/k.sqsh" --format squashfs)
  read -r mw mc mrss < <(timed mksquashfs "$ENV" "$WORK/m.sqsh" -comp zstd -Xcompression-level 15 -b 131072 \
                          -processors "$CPUS" -noappend -quiet -no-progress)
  rw=$(ratio "$kw" "$mw"); rc=$(ratio "$kc" "$mc")
  echo "$rw $rc" >> "$WORK/ratios"
  echo "round $round (load $load): krait ${kw}s wall ${kc}s CPU ${krss} KiB RSS, $(stat -c %s "$WORK/k.sqsh") B;" \
       "mksquashfs ${mw}s wall ${mc}s CPU ${mrss} KiB RSS, $(stat -c %s "$WORK/m.sqsh") B; ratio wall $rw CPU $rc"
done
echo "median ratio krait/mksquashfs over $ROUNDS rounds: wall $(cut -d' ' -f1 "$WORK/ratios" | median)," \
     "CPU $(cut -d' ' -f2 "$WORK/ratios" | median) (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
read -r tw tc _ < <(timed "$KRAIT" pack -q -p "$ENV" -o "$WORK/k.tar.zst")
echo "krait pack tar.zst: ${tw}s wall ${tc}s CPU ($(stat -c %s "$WORK/k.tar.zst") bytes)"

drop() { if [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 > /proc/sys/vm/drop_caches; echo cold; else echo warm; fi; }
walk() { find "$1" -printf '%s %m\n' > /dev/null; }
now() { date +%s.%N; }
rm -rf "$WORK/unpacked" && mkdir -p "$WORK/unpacked" "$WORK/mnt"
"$KRAIT" unpack "$WORK/k.tar.zst" "$WORK/unpacked/env" 2>/dev/null
state=$(drop); t0=$(now); walk "$WORK/unpacked/env"; t1=$(now)
echo "find/stat unpacked tree ($state): $(echo "$t1 - $t0" | bc)s"
if squashfuse "$WORK/k.sqsh" "$WORK/mnt" 2>/dev/null || mount -t squashfs -o loop,ro "$WORK/k.sqsh" "$WORK/mnt" 2>/dev/null; then
  state=$(drop); t0=$(now); walk "$WORK/mnt"; t1=$(now)
  echo "find/stat mounted squashfs ($state, $(findmnt -n -o FSTYPE "$WORK/mnt")): $(echo "$t1 - $t0" | bc)s"
  umount "$WORK/mnt"
else
  echo "mounted squashfs: cannot mount here"
fi
rm -rf "$WORK/unpacked" "$WORK/k.sqsh" "$WORK/m.sqsh" "$WORK/k.tar.zst" "$WORK/time" "$WORK/ratios"
[ "$keep" = 1 ] || rm -rf "$WORK"
