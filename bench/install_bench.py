#!/usr/bin/python3
"""Install benchmark: krait against the physical floor, in the same run.

warm: `krait create` of an environment of a few hundred real files whose packages
      are already extracted in the package cache, against `cp -al` of the same
      extracted trees (hard-linking every file is the least any installer must do).
cold: the same `krait create` with an empty package cache (copy from a file://
      channel, verify, extract, link), against extracting the same archives with
      `bsdtar -xf` (.tar.bz2) and `unzip -p | zstd -d | tar -x` (.conda).

Figures are medians of N runs (wall clock); ratios > 1 mean krait is slower than the
floor. Packages are built here with tests/e2e/pkgbuild.py (real archives via cph).
Not a test: nothing is asserted.

At scale (--stdlib K): K .conda packages each holding Debian's python3 stdlib and headers
(/usr/lib/python3.X, /usr/include/python3.X; ~1,450 files each, so K=11 gives an env of
> 15,000 files), packed with cph like any other package here.

usage: bench/install_bench.py [--krait build/krait] [--runs 5] [--packages 8] [--files 50] [--stdlib K]
"""
import argparse
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


def timed(cmd, env=None, shell=False):
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def build_channel(root, n_packages, n_files):
    """n_packages packages (half .conda, half .tar.bz2) of n_files files each, sizes 200 B..64 KiB."""
    ch = pkgbuild.Channel(os.path.join(root, "channel"))
    names = []
    for p in range(n_packages):
        pkg = pkgbuild.Package(name=f"bench-pkg{p}", version="1.0")
        for i in range(n_files):
            size = 200 * (1 + (i * 7919 + p * 104729) % 320)
            body = (f"{pkg.name} {i} " * (size // 8 + 1)).encode()[:size]
            pkg.add_file(f"share/bench/{pkg.name}/d{i % 5}/f{i:04d}.dat", body)
        ch.add(pkg, ".conda" if p % 2 == 0 else ".tar.bz2")
        names.append(pkg.name)
    ch.write()
    return ch, names


def build_stdlib_channel(root, copies):
    """copies .conda packages of Debian's python3 stdlib + headers (regular files only)."""
    import glob
    trees = sorted(glob.glob("/usr/lib/python3.[0-9]*")) + sorted(glob.glob("/usr/include/python3.[0-9]*"))
    trees = [t for t in trees if os.path.isdir(t) and not os.path.islink(t)]
    if not trees:
        raise SystemExit("Debian's python3 stdlib is not installed")
    ch = pkgbuild.Channel(os.path.join(root, "channel"))
    names = []
    for k in range(copies):
        pkg = pkgbuild.Package(name=f"bench-stdlib{k}", version="1.0")
        for tree in trees:
            for dirpath, _, files in os.walk(tree):
                for f in files:
                    src = os.path.join(dirpath, f)
                    if os.path.islink(src) or not os.path.isfile(src):
                        continue
                    rel = os.path.relpath(src, "/usr")
                    with open(src, "rb") as fh:
                        pkg.add_file(f"stdlib{k}/{rel}", fh.read())
        ch.add(pkg, ".conda")
        names.append(pkg.name)
    ch.write()
    return ch, names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packages", type=int, default=8)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--stdlib", type=int, default=0, help="K packages of Debian's python3 stdlib instead")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="krait-install-bench-")
    try:
        if a.stdlib:
            ch, names = build_stdlib_channel(work, a.stdlib)
        else:
            ch, names = build_channel(work, a.packages, a.files)
        pkgs = os.path.join(work, "pkgs")
        env = dict(os.environ, KRAIT_ROOT_PREFIX=os.path.join(work, "root"), CONDA_PKGS_DIRS=pkgs,
                   HOME=os.path.join(work, "home"), CONDARC=os.path.join(work, "condarc"))
        open(env["CONDARC"], "w").close()
        krait = lambda prefix: [a.krait, "create", "-y", "-q", "-p", prefix, "--override-channels",  # noqa: E731
                                "-c", ch.url] + names
        if a.stdlib:
            print(f"{a.stdlib} packages of Debian's python3 stdlib, {a.runs} runs each (median)\n")
        else:
            print(f"{a.packages} packages, {a.packages * a.files} files, {a.runs} runs each (median)\n")

        # cold: empty cache every run
        cold_k, cold_x = [], []
        for r in range(a.runs):
            shutil.rmtree(pkgs, ignore_errors=True)
            cold_k.append(timed(krait(os.path.join(work, f"cold{r}")), env))
            dest = os.path.join(work, f"x{r}")
            os.makedirs(dest)
            t = 0.0
            for b in ch.built:
                out = os.path.join(dest, b.package.dist)
                os.makedirs(out)
                if b.fn.endswith(".tar.bz2"):
                    t += timed(["bsdtar", "-xf", str(b.path), "-C", out])
                else:
                    t += timed(f"cd {out} && unzip -q {b.path} && for f in info-*.tar.zst pkg-*.tar.zst; do "
                               f"zstd -dc -q $f | tar -x; done", shell=True)
            cold_x.append(t)

        # warm: the cache from the last cold run stays
        warm_k, warm_cp = [], []
        extracted = [os.path.join(pkgs, b.package.dist) for b in ch.built]
        for r in range(a.runs):
            warm_k.append(timed(krait(os.path.join(work, f"warm{r}")), env))
            dest = os.path.join(work, f"cp{r}")
            os.makedirs(dest)
            warm_cp.append(timed(["cp", "-al"] + extracted + [dest]))

        ck, cx = statistics.median(cold_k), statistics.median(cold_x)
        wk, wc = statistics.median(warm_k), statistics.median(warm_cp)
        print(f"{'':6} {'krait create':>13} {'floor':>10}  ratio   floor is")
        print(f"{'warm':6} {wk*1000:11.1f}ms {wc*1000:8.1f}ms {wk/wc:6.2f}  cp -al of the extracted trees")
        print(f"{'cold':6} {ck*1000:11.1f}ms {cx*1000:8.1f}ms {ck/cx:6.2f}  bsdtar / unzip+zstd+tar of the archives")
        print("\nkrait's figures include process start, channel load and solve; the floors do not.")
        # hard links really shared: one file of the env against the cache
        n_env = sum(len(files) for _, _, files in os.walk(os.path.join(work, "warm0")))
        print(f"files in one created env (conda-meta included): {n_env}")
        sample = os.path.join(work, "warm0", "share", "bench", names[0], "d0", "f0000.dat")
        cache_file = os.path.join(pkgs, ch.built[0].package.dist, "share", "bench", names[0], "d0", "f0000.dat")
        if os.path.exists(sample):
            same = os.stat(sample).st_ino == os.stat(cache_file).st_ino
            print(f"env file shares the cache inode: {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
