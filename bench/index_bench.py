#!/usr/bin/python3
"""`krait index` benchmark: a channel of N small archives (default 20,000), indexed cold (no
cache file, no shards), then again with nothing changed (incremental: size+mtime hits), then
after adding 1 % new archives. Not a test: nothing is asserted.

The archives are tiny .tar.bz2 files made here in memory (info/index.json + one file), each
with its own name: `krait index` refuses an archive whose index.json disagrees with its
file name, so one archive's bytes cannot simply be copied under new names.

usage: bench/index_bench.py [--krait build/krait] [--archives 20000] [--threads 0] [--quick]
"""
import argparse
import bz2
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def tiny_archive(path, name, version, subdir, deps):
    index = {"name": name, "version": version, "build": "h0_0", "build_number": 0, "depends": deps,
             "license": "MIT", "subdir": subdir, "timestamp": 1700000000000}
    if subdir == "noarch":
        index["noarch"] = "generic"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member, data in (("info/index.json", json.dumps(index).encode()),
                             (f"share/{name}.txt", f"{name} {version}\n".encode())):
            ti = tarfile.TarInfo(member)
            ti.size = len(data)
            ti.mtime = 1700000000
            tar.addfile(ti, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(bz2.compress(buf.getvalue(), 1))


def make_channel(root, n, start=0):
    for i in range(start, start + n):
        subdir = "noarch" if i % 4 == 0 else "linux-64"
        name = f"pkg{i // 3:05d}"  # three versions per name
        version = f"1.{i % 3}"
        d = os.path.join(root, subdir)
        os.makedirs(d, exist_ok=True)
        deps = [f"pkg{(i // 3 + 1) % (n // 3 + 1):05d}"] if i % 5 == 0 else []
        tiny_archive(os.path.join(d, f"{name}-{version}-h0_0.tar.bz2"), name, version, subdir, deps)


def timed(cmd):
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return dt, proc.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--archives", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="2,000 archives")
    a = ap.parse_args()
    n = 2000 if a.quick else a.archives
    base = tempfile.mkdtemp(prefix="krait-index-bench-")
    try:
        chan = os.path.join(base, "channel")
        t = time.perf_counter()
        make_channel(chan, n)
        print(f"generated {n} archives in {time.perf_counter() - t:.1f} s")
        cmd = [a.krait, "index", chan] + (["--threads", str(a.threads)] if a.threads else [])
        cold, out = timed(cmd)
        print(f"cold:         {cold:7.2f} s  ({out})")
        warm, out = timed(cmd)
        print(f"incremental:  {warm:7.2f} s  ({out})")
        extra = max(1, n // 100)
        make_channel(chan, extra, start=n)
        inc, out = timed(cmd)
        print(f"+{extra} new:    {inc:7.2f} s  ({out})")
        sizes = {f: os.path.getsize(os.path.join(chan, "linux-64", f))
                 for f in ("repodata.json", "repodata.json.zst", "repodata_shards.msgpack.zst")}
        print("linux-64 sizes:", ", ".join(f"{k} {v} B" for k, v in sizes.items()))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
