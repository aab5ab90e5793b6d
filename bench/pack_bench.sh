#!/usr/bin/env bash
# krait pack vs mksquashfs on the same ≥ 20,000-file tree, and find/stat over
# every file from the unpacked tree vs the mounted squashfs (cold cache when
# /proc/sys/vm/drop_caches is writable).
#
#   bash bench/pack_bench.sh [KRAIT_BIN] [WORKDIR]
#
# The env is a copy of Debian's python stdlib (real file sizes and layout)
# plus 20,000 generated source-like files of 200 B - 8 KiB, and a conda-meta/
# so krait sees an environment.
set -euo pipefail
KRAIT=${1:-build/krait}
WORK=${2:-$(mktemp -d /tmp/krait-pack-bench.XXXXXX)}
KRAIT=$(readlink -f "$KRAIT")
ENV=$WORK/env
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
nfiles=$(find "$ENV" -type f | wc -l)
nentries=$(find "$ENV" | wc -l)
echo "env: $nfiles files, $nentries entries, $(du -sh "$ENV" | cut -f1)"
[ "$nfiles" -ge 20000 ] || { echo "need >= 20000 files" >&2; exit 1; }

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

# CPU seconds (user + sys) are reported too: on a shared machine they say more than wall time
T="%e s wall, %U s user, %S s sys, max RSS %M KiB"
sync
t0=$(now); /usr/bin/time -f "krait pack squashfs: $T" "$KRAIT" pack -q -p "$ENV" -o "$WORK/k.sqsh" --format squashfs; t1=$(now)
krait_s=$(secs "$t0" "$t1")
t0=$(now); /usr/bin/time -f "mksquashfs: $T" mksquashfs "$ENV" "$WORK/m.sqsh" -comp zstd -noappend -quiet -no-progress >/dev/null; t1=$(now)
mk_s=$(secs "$t0" "$t1")
t0=$(now); "$KRAIT" pack -q -p "$ENV" -o "$WORK/k.tar.zst"; t1=$(now)
tar_s=$(secs "$t0" "$t1")
echo "krait pack squashfs: ${krait_s}s ($(stat -c %s "$WORK/k.sqsh") bytes)"
echo "mksquashfs -comp zstd: ${mk_s}s ($(stat -c %s "$WORK/m.sqsh") bytes)"
echo "ratio krait/mksquashfs: $(echo "scale=2; $krait_s / $mk_s" | bc)"
echo "krait pack tar.zst: ${tar_s}s ($(stat -c %s "$WORK/k.tar.zst") bytes)"

drop() { if [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 > /proc/sys/vm/drop_caches; echo cold; else echo warm; fi; }
walk() { find "$1" -printf '%s %m\n' > /dev/null; }
mkdir -p "$WORK/unpacked" "$WORK/mnt"
"$KRAIT" unpack "$WORK/k.tar.zst" "$WORK/unpacked/env" 2>/dev/null
state=$(drop); t0=$(now); walk "$WORK/unpacked/env"; t1=$(now)
echo "find/stat unpacked tree ($state): $(secs "$t0" "$t1")s"
if squashfuse "$WORK/k.sqsh" "$WORK/mnt" 2>/dev/null || mount -t squashfs -o loop,ro "$WORK/k.sqsh" "$WORK/mnt" 2>/dev/null; then
  state=$(drop); t0=$(now); walk "$WORK/mnt"; t1=$(now)
  echo "find/stat mounted squashfs ($state, $(findmnt -n -o FSTYPE "$WORK/mnt")): $(secs "$t0" "$t1")s"
  umount "$WORK/mnt"
else
  echo "mounted squashfs: cannot mount here"
fi
rm -rf "$WORK"
