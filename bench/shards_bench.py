#!/usr/bin/python3
"""Sharded (CEP-16) vs monolithic repodata: bytes transferred and time of
`krait create --dry-run python numpy` against a channel of >= 300,000 records served by nginx.

The channel is generated from real record shapes: the conda-forge py39 subchannel (linux-64 +
noarch) and the conda-forge numpy slice of /work/shared/data/repodata, kept as they are, plus
renamed copies of them ("<name>-c<k>", depends renamed the same way) until the channel holds
--records records. Both forms of the same records are served by one nginx: mono/ with
repodata.json + .zst, sharded/ with repodata_shards.msgpack.zst + shards/ (written here with
python3-msgpack in the CEP-16 layout krait index writes). Cold = empty repodata cache, warm = a
second run with the cache in place. Bytes are nginx's body bytes from its access log.
Not a test: nothing is asserted.

usage: bench/shards_bench.py [--krait build/krait] [--records 300000] [--runs 3]
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from httpchannel import NginxChannelServer  # noqa: E402
SHARED = os.environ.get("KRAIT_SHARED_DIR") or os.path.join(os.path.dirname(ROOT), "shared")


def load_base():
    """Real records by subdir: {subdir: {fn: record}}."""
    out = {"linux-64": {}, "noarch": {}}
    base = os.path.join(SHARED, "data", "repodata")
    files = [os.path.join(base, "conda-forge-subchannel-py39-20240516", sd, "repodata.json") for sd in out]
    files.append(os.path.join(base, "conda-forge-numpy-slice", "conda-forge-numpy-linux-64.json"))
    for f in files:
        d = json.load(open(f))
        for key in ("packages", "packages.conda"):
            for fn, rec in d.get(key, {}).items():
                sd = rec.get("subdir") or d.get("info", {}).get("subdir", "linux-64")
                if sd in out:
                    out[sd][fn] = rec
    return out


DEP = re.compile(r"^([A-Za-z0-9_.\-]+)(.*)$")


def renamed(rec, fn, k, names):
    r = dict(rec)
    r["name"] = f"{rec['name']}-c{k}"
    deps = []
    for dep in rec.get("depends") or []:
        m = DEP.match(dep)
        deps.append(f"{m.group(1)}-c{k}{m.group(2)}" if m and m.group(1) in names else dep)
    r["depends"] = deps
    ext = ".conda" if fn.endswith(".conda") else ".tar.bz2"
    return f"{r['name']}-{r['version']}-{r['build']}{ext}", r


def generate(records_wanted):
    base = load_base()
    names = {r["name"] for recs in base.values() for r in recs.values()}
    per_copy = sum(len(v) for v in base.values())
    copies = max(0, -(-(records_wanted - per_copy) // per_copy))
    chan = {}
    for sd, recs in base.items():
        out = dict(recs)
        for k in range(1, copies + 1):
            for fn, rec in recs.items():
                nfn, nrec = renamed(rec, fn, k, names)
                out[nfn] = nrec
        chan[sd] = out
    return chan


def zstd_files(paths):
    """Compresses many files with one zstd process (replaces each by <file>.zst)."""
    for i in range(0, len(paths), 2000):
        subprocess.run(["zstd", "-q", "-3", "--rm", "-f"] + paths[i:i + 2000], check=True)


def write_mono(root, sd, recs):
    d = os.path.join(root, sd)
    os.makedirs(d, exist_ok=True)
    doc = {"info": {"subdir": sd}, "packages": {}, "packages.conda": {}, "removed": [], "repodata_version": 1}
    for fn, r in recs.items():
        doc["packages.conda" if fn.endswith(".conda") else "packages"][fn] = r
    path = os.path.join(d, "repodata.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), sort_keys=True)
    subprocess.run(["zstd", "-q", "-3", "-k", "-f", path], check=True)


def write_sharded(root, sd, recs):
    d = os.path.join(root, sd)
    sdir = os.path.join(d, "shards")
    os.makedirs(sdir, exist_ok=True)
    by_name = {}
    for fn, r in recs.items():
        by_name.setdefault(r["name"], {"packages": {}, "packages.conda": {}, "removed": []})
        rr = dict(r)
        for k in ("md5", "sha256"):
            if isinstance(rr.get(k), str):
                rr[k] = bytes.fromhex(rr[k])
        by_name[r["name"]]["packages.conda" if fn.endswith(".conda") else "packages"][fn] = rr
    tmp = []
    for i, (name, shard) in enumerate(sorted(by_name.items())):
        p = os.path.join(sdir, f"tmp{i}.msgpack")
        with open(p, "wb") as f:
            f.write(msgpack.packb(shard, use_bin_type=True))
        tmp.append((name, p))
    zstd_files([p for _, p in tmp])
    index = {}
    for name, p in tmp:
        data = open(p + ".zst", "rb").read()
        h = hashlib.sha256(data).digest()
        os.replace(p + ".zst", os.path.join(sdir, h.hex() + ".msgpack.zst"))
        index[name] = h
    doc = {"version": 1, "info": {"base_url": "./", "shards_base_url": "./shards/", "subdir": sd},
           "shards": index}
    p = os.path.join(d, "repodata_shards.msgpack")
    with open(p, "wb") as f:
        f.write(msgpack.packb(doc, use_bin_type=True))
    zstd_files([p])
    return len(by_name)


LOG = re.compile(r'"GET (\S+) HTTP/[0-9.]+" (\d+) (\d+)')


def log_bytes(access_log, start):
    with open(access_log) as f:
        f.seek(start)
        lines = f.read().splitlines()
    total, n = 0, 0
    for line in lines:
        m = LOG.search(line)
        if m:
            total += int(m.group(3))
            n += 1
    return total, n


def run(krait, base, url, fresh):
    pkgs = os.path.join(base, "pkgs")
    if fresh:
        shutil.rmtree(pkgs, ignore_errors=True)
    env = dict(os.environ, KRAIT_ROOT_PREFIX=os.path.join(base, "root"), CONDA_PKGS_DIRS=pkgs,
               CONDARC=os.path.join(base, "condarc"), MAMBARC=os.path.join(base, "condarc"),
               HOME=os.path.join(base, "home"), CONDA_OVERRIDE_GLIBC="2.36")
    cmd = [krait, "create", "-p", os.path.join(base, "env"), "--dry-run", "--json", "--override-channels",
           "-c", url, "python", "numpy"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}{proc.stdout[-2000:]}")
    link = sorted((p["name"], p["version"], p["build_string"]) for p in json.loads(proc.stdout)["actions"]["LINK"])
    return dt, link


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--records", type=int, default=300000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    base = tempfile.mkdtemp(prefix="krait-shards-bench-")
    server = None
    try:
        t = time.perf_counter()
        chan = generate(a.records)
        total = sum(len(v) for v in chan.values())
        n_names = 0
        for sd, recs in chan.items():
            write_mono(os.path.join(base, "www", "mono"), sd, recs)
            n_names += write_sharded(os.path.join(base, "www", "sharded"), sd, recs)
        print(f"channel: {total} records, {n_names} shards (names per subdir), generated in "
              f"{time.perf_counter() - t:.0f} s")
        for sd in chan:
            mono = os.path.getsize(os.path.join(base, "www", "mono", sd, "repodata.json.zst"))
            idx = os.path.getsize(os.path.join(base, "www", "sharded", sd, "repodata_shards.msgpack.zst"))
            print(f"  {sd}: repodata.json.zst {mono} B, repodata_shards.msgpack.zst {idx} B")
        server = NginxChannelServer(os.path.join(base, "www"), os.path.join(base, "nginx")).start()
        access = os.path.join(base, "nginx", "access.log")
        results = {}
        for form in ("mono", "sharded"):
            url = f"{server.url}/{form}"
            for phase in ("cold", "warm"):
                times, sizes = [], []
                for _ in range(a.runs):
                    if phase == "warm":
                        run(a.krait, base, url, fresh=True)  # fill the cache, untimed
                    start = os.path.getsize(access) if os.path.exists(access) else 0
                    dt, link = run(a.krait, base, url, fresh=(phase == "cold"))
                    times.append(dt)
                    sizes.append(log_bytes(access, start))
                    results.setdefault(form, link)
                b, n = sizes[-1]
                print(f"{form:8s} {phase}: {statistics.median(times):6.2f} s  {b:>10} B in {n} requests")
        same = results["mono"] == results["sharded"]
        print(f"same solution: {same} ({len(results['mono'])} packages)")
    finally:
        if server:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
