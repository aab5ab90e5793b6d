#!/usr/bin/python3
"""Download benchmark: N package archives over HTTP on 127.0.0.1 with 1 vs 8 parallel transfers
(download_threads), in the same run, measured twice:

  engine:  the download engine alone (build/bench/bench_net: krait_net_run over the N URLs)
  create:  `krait create` with an empty package cache (fetch + verify + extract + link, with
           extraction pipelined with the downloads)

against two servers:

  nginx:    Debian's nginx, no added latency
  latency:  the tests' fault-injecting server (tests/e2e/httpchannel.py) adding a delay to
            every request (default 50 ms), what a distant mirror costs per request

Repodata (first): N subdirs (--subdirs, each a channel's noarch/ with a repodata.json of
--records records) from the latency server into an empty repodata cache, one subdir after
the other (krait_fetch_repodata per subdir, how channels were loaded before) vs one batch
(krait_fetch_repodata_batch: every .zst request at once, then every repodata.json), through
build/bench/bench_repodata_fetch; 8 transfers (the default download_threads).

In the package runs the repodata is fetched once before timing (the timed runs revalidate it
with a 304), so the figures are the package phase: fetch + verify + extract + link, where extraction is
pipelined with the downloads. Median of --runs. Not a test: nothing is asserted.

usage: bench/net_bench.py [--krait build/krait] [--packages 200] [--size 65536] [--runs 3] [--delay 0.05]
                          [--subdirs 16] [--records 200] [--repodata-only]
On this 2-core machine shared with others, `create` is bounded by extraction and linking, so the
engine figures are the ones that show what parallel transfers buy.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import pkgbuild  # noqa: E402
from httpchannel import ChannelHTTPServer, NginxChannelServer  # noqa: E402


def build_channel(root, n, size):
    ch = pkgbuild.Channel(os.path.join(root, "channel"))
    names = []
    for i in range(n):
        pkg = pkgbuild.Package(f"dl{i:03d}", noarch="generic").add_file(f"share/dl/{i}.bin", os.urandom(size))
        ch.add_raw(pkg, ".conda" if i % 2 else ".tar.bz2")
        names.append(pkg.name)
    ch.add_raw(pkgbuild.Package("dlall", noarch="generic", depends=names).add_text("share/dlall", "x"), ".conda")
    ch.write()
    return ch


def run(krait, base, url, threads, runs):
    times = []
    for r in range(runs + 1):
        pkgs = os.path.join(base, "pkgs")
        shutil.rmtree(os.path.join(base, "envs"), ignore_errors=True)
        for entry in os.listdir(pkgs) if os.path.isdir(pkgs) else []:
            if entry != "cache":  # keep the repodata: time the package phase
                p = os.path.join(pkgs, entry)
                shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
        env = dict(os.environ, KRAIT_ROOT_PREFIX=os.path.join(base, "root"), CONDA_PKGS_DIRS=pkgs,
                   CONDARC=os.path.join(base, "condarc"), HOME=base, CONDA_DOWNLOAD_THREADS=str(threads))
        cmd = [krait, "create", "-p", os.path.join(base, "envs", "e"), "-c", url, "--override-channels", "-y", "-q",
               "dlall"]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        if r:  # the first run fills the repodata cache
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_engine(bench_net, urls_file, dest, threads, runs):
    times, peak = [], 0
    for _ in range(runs):
        shutil.rmtree(dest, ignore_errors=True)
        out = subprocess.run([bench_net, urls_file, dest, str(threads)], check=True, capture_output=True,
                             text=True).stdout.split()
        times.append(float(out[0]))
        peak = max(peak, int(out[1]))
    return statistics.median(times), peak


def build_subdirs(root, n, records):
    """n channels with a noarch/repodata.json of `records` made-up records each."""
    urls = []
    for c in range(n):
        d = os.path.join(root, "subdirs", f"c{c:02d}", "noarch")
        os.makedirs(d)
        pkgs = {f"p{c}-{i}-1.0-0.tar.bz2": {"name": f"p{c}-{i}", "version": "1.0", "build": "0", "build_number": 0,
                                            "depends": [], "subdir": "noarch", "size": 1000, "md5": "0" * 32}
                for i in range(records)}
        with open(os.path.join(d, "repodata.json"), "w") as f:
            json.dump({"info": {"subdir": "noarch"}, "packages": pkgs, "packages.conda": {}}, f)
        urls.append(f"subdirs/c{c:02d}/noarch")
    return urls


def run_repodata(bench, urls_file, cache, mode, runs):
    times, peak = [], 0
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        out = subprocess.run([bench, urls_file, cache, mode], check=True, capture_output=True, text=True).stdout.split()
        times.append(float(out[0]))
        peak = max(peak, int(out[1]))
    return statistics.median(times), peak


def bench_repodata(a, krait, tmp):
    subdirs = build_subdirs(tmp, a.subdirs, a.records)
    server = ChannelHTTPServer(tmp).start()
    server.delay = a.delay
    bench = os.path.join(os.path.dirname(krait), "bench", "bench_repodata_fetch")
    urls_file = os.path.join(tmp, "subdirs.txt")
    with open(urls_file, "w") as f:
        f.writelines(f"{server.url}/{s}\n" for s in subdirs)
    try:
        seq, _ = run_repodata(bench, urls_file, os.path.join(tmp, "rcache"), "sequential", a.runs)
        bat, peak = run_repodata(bench, urls_file, os.path.join(tmp, "rcache"), "batch", a.runs)
    finally:
        server.stop()
    print(f"repodata of {a.subdirs} subdirs ({a.records} records each, no .zst: 2 requests per subdir), "
          f"+{a.delay * 1000:.0f} ms/request, cold cache, median of {a.runs}:")
    print(f"  one subdir after the other {seq:6.2f} s   one batch {bat:6.2f} s (peak {peak} in flight)"
          f"   speed-up {seq / bat:4.1f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--packages", type=int, default=200)
    ap.add_argument("--size", type=int, default=65536)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--subdirs", type=int, default=16)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--repodata-only", action="store_true")
    a = ap.parse_args()
    krait = os.path.abspath(a.krait)
    with tempfile.TemporaryDirectory(prefix="krait-netbench-") as tmp:
        bench_repodata(a, krait, tmp)
        if a.repodata_only:
            return
        ch = build_channel(tmp, a.packages, a.size)
        open(os.path.join(tmp, "condarc"), "w").close()
        print(f"{a.packages} packages of {a.size} random bytes, median of {a.runs} runs, cold package cache")
        nginx = NginxChannelServer(ch.root, os.path.join(tmp, "nginx")).start()
        slow = ChannelHTTPServer(ch.root).start()
        slow.delay = a.delay
        bench_net = os.path.join(os.path.dirname(krait), "bench", "bench_net")
        try:
            for label, url in (("nginx", nginx.url), (f"+{a.delay * 1000:.0f} ms/request", slow.url)):
                urls_file = os.path.join(tmp, "urls.txt")
                with open(urls_file, "w") as f:
                    for b in ch.built:
                        f.write(f"{url}/{b.package.subdir}/{b.fn}\n")
                e1, p1 = run_engine(bench_net, urls_file, os.path.join(tmp, "dl"), 1, a.runs)
                e8, p8 = run_engine(bench_net, urls_file, os.path.join(tmp, "dl"), 8, a.runs)
                print(f"{label:>16} engine: 1 transfer {e1:6.2f} s   8 transfers {e8:6.2f} s (peak {p8} in flight)"
                      f"   speed-up {e1 / e8:4.1f}x")
                t1 = run(krait, os.path.join(tmp, f"b-{label[:3]}-1"), url, 1, a.runs)
                t8 = run(krait, os.path.join(tmp, f"b-{label[:3]}-8"), url, 8, a.runs)
                print(f"{label:>16} create: 1 transfer {t1:6.2f} s   8 transfers {t8:6.2f} s"
                      f"   speed-up {t1 / t8:4.1f}x")
        finally:
            nginx.stop()
            slow.stop()


if __name__ == "__main__":
    main()
