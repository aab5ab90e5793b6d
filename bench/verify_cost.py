#!/usr/bin/python3
"""Cost of checking extracted files against paths.json (sha256 + size) on the
cold install of bench/install_bench.py: two krait binaries, one built with the
check and one without, run alternately on the same channel with an empty
package cache each time. Reports medians of process CPU time (user+sys of
krait, the figure a loaded machine does not distort) and of wall time.
Not a test: nothing is asserted.

usage: bench/verify_cost.py --with build/krait --without /tmp/krait_noverify [--runs 9] [--packages 8] [--files 200]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from install_bench import build_channel  # noqa: E402


def run(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--with", dest="with_", required=True)
    ap.add_argument("--without", required=True)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--packages", type=int, default=8)
    ap.add_argument("--files", type=int, default=200)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="krait-verify-cost-")
    try:
        ch, names = build_channel(work, a.packages, a.files)
        payload = sum(len(e.content) for b in ch.built for e in b.package.entries)
        pkgs = os.path.join(work, "pkgs")
        env = dict(os.environ, KRAIT_ROOT_PREFIX=os.path.join(work, "root"), CONDA_PKGS_DIRS=pkgs,
                   HOME=os.path.join(work, "home"), CONDARC=os.path.join(work, "condarc"))
        open(env["CONDARC"], "w").close()
        figures = {"with": ([], []), "without": ([], [])}
        for r in range(a.runs):
            for label, binary in (("with", a.with_), ("without", a.without)):
                shutil.rmtree(pkgs, ignore_errors=True)
                prefix = os.path.join(work, f"{label}{r}")
                cpu, wall = run([binary, "create", "-y", "-q", "-p", prefix, "--override-channels", "-c", ch.url]
                                + names, env)
                figures[label][0].append(cpu)
                figures[label][1].append(wall)
                shutil.rmtree(prefix, ignore_errors=True)
        print(f"{a.packages} packages, {a.packages * a.files} files, {payload / 1e6:.1f} MB payload, "
              f"cold cache, {a.runs} runs each (median)")
        for label in ("with", "without"):
            cpu, wall = figures[label]
            print(f"{label + ' check':14} CPU {statistics.median(cpu) * 1000:8.1f} ms   wall {statistics.median(wall) * 1000:8.1f} ms")
        dc = statistics.median(figures["with"][0]) - statistics.median(figures["without"][0])
        base = statistics.median(figures["without"][0])
        print(f"check costs {dc * 1000:+.1f} ms CPU ({100 * dc / base:+.1f} %)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
