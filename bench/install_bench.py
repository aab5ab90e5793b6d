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

Memory (--long-window N): N .conda packages whose inner tarballs are written with
`zstd --long=W` (a 2^W-byte decoder buffer each, W = --window-log, default 25) and hold
more than the window, so every extraction really fills its buffer; a cold install in
automatic mode (extract_threads 0: cores, bounded by the memory budget of
krait/extract_budget.h) against a fixed 8 threads (CONDA_EXTRACT_THREADS=8): peak RSS,
wall and CPU.

Every figure: wall clock and CPU (user+sys of the process and the children it waited
for, from wait4), median of --runs; the load average is printed before and after.

usage: bench/install_bench.py [--krait build/krait] [--runs 5] [--packages 8] [--files 50] [--stdlib K]
                              [--long-window N [--window-log 25]]
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


class Cost:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one command; adds up over commands."""

    def __init__(self, wall=0.0, cpu=0.0, rss=0):
        self.wall, self.cpu, self.rss = wall, cpu, rss

    def __add__(self, o):
        return Cost(self.wall + o.wall, self.cpu + o.cpu, max(self.rss, o.rss))


def timed(cmd, env=None, shell=False):
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {err}")
    return Cost(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)


def median(costs):
    return Cost(statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs),
                statistics.median(c.rss for c in costs))


def loadavg():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


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


class Cached:
    """An archive of a channel built by an earlier run (--channel-cache)."""

    def __init__(self, path):
        self.path = path
        self.fn = os.path.basename(path)
        self.package = type("P", (), {"dist": self.fn[:-len(".conda")]})()


def cached_channel(root, copies):
    """The stdlib channel an earlier run left in root, if it has `copies` packages."""
    import glob
    import json
    ch = pkgbuild.Channel(root)
    path = os.path.join(ch.subdir_path(ch.platform_subdir), "repodata.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        fns = sorted(json.load(f)["packages.conda"])
    if len(fns) != copies or len(glob.glob(os.path.join(os.path.dirname(path), "*.conda"))) != copies:
        return None
    ch.built = [Cached(os.path.join(os.path.dirname(path), fn)) for fn in fns]
    return ch, [fn.rsplit("-", 2)[0] for fn in fns]


def build_stdlib_channel(root, copies, cache=None):
    """copies .conda packages of Debian's python3 stdlib + headers (regular files only; not
    dist-packages, which is not the stdlib, nor the static libpython archives of config-*/).
    cph compresses at zstd level 21, so building takes minutes: `cache` keeps the channel."""
    import glob
    if cache:
        found = cached_channel(cache, copies)
        if found:
            return found
    trees = sorted(glob.glob("/usr/lib/python3.[0-9]*")) + sorted(glob.glob("/usr/include/python3.[0-9]*"))
    trees = [t for t in trees if os.path.isdir(t) and not os.path.islink(t)]
    if not trees:
        raise SystemExit("Debian's python3 stdlib is not installed")
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    ch = pkgbuild.Channel(cache or os.path.join(root, "channel"))
    names = []
    for k in range(copies):
        pkg = pkgbuild.Package(name=f"bench-stdlib{k}", version="1.0")
        for tree in trees:
            for dirpath, dirnames, files in os.walk(tree):
                dirnames[:] = [d for d in dirnames if d not in ("dist-packages", "site-packages")]
                for f in files:
                    if f.endswith(".a"):
                        continue
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


def build_long_window_channel(root, n_packages, window_log):
    """n_packages .conda packages written with zstd --long=window_log, each holding
    1.25 x 2^window_log bytes: one random block of 2^window_log/8 bytes repeated, which only
    a long window compresses (the archives stay small, the decoder buffer fills)."""
    ch = pkgbuild.Channel(os.path.join(root, "channel"))
    names = []
    block_size = (1 << window_log) // 8
    for p in range(n_packages):
        pkg = pkgbuild.Package(name=f"bench-longwin{p}", version="1.0")
        block = os.urandom(block_size)
        pkg.add_file(f"share/{pkg.name}/data.bin", block * 10)
        ch.add_raw(pkg, ".conda", zstd_args=("-3", f"--long={window_log}"))
        names.append(pkg.name)
    ch.write()
    return ch, names


def memory_bench(a, work):
    # Built in a child process: a child's peak RSS (wait4) starts at its parent's when it
    # execs, so this process must stay small.
    import multiprocessing
    builder = multiprocessing.get_context("fork").Process(target=build_long_window_channel,
                                                          args=(work, a.long_window, a.window_log))
    builder.start()
    builder.join()
    if builder.exitcode != 0:
        raise SystemExit("building the long-window channel failed")
    ch = pkgbuild.Channel(os.path.join(work, "channel"))
    names = [f"bench-longwin{p}" for p in range(a.long_window)]
    print(f"{a.long_window} packages written with zstd --long={a.window_log} "
          f"({(1 << a.window_log) >> 20} MiB window, {10 * ((1 << a.window_log) // 8) >> 20} MiB each), "
          f"cold installs, {a.runs} runs each (median); {loadavg()}\n")
    pkgs = os.path.join(work, "pkgs")
    base = dict(os.environ, KRAIT_ROOT_PREFIX=os.path.join(work, "root"), CONDA_PKGS_DIRS=pkgs,
                HOME=os.path.join(work, "home"), CONDARC=os.path.join(work, "condarc"))
    open(base["CONDARC"], "w").close()
    modes = [("auto", {}), ("8 threads", {"CONDA_EXTRACT_THREADS": "8"})]
    results = {m: [] for m, _ in modes}
    for r in range(a.runs):
        for mode, extra in modes:  # interleaved, so load changes hit both
            shutil.rmtree(pkgs, ignore_errors=True)
            prefix = os.path.join(work, f"env-{r}-{mode.replace(' ', '')}")
            results[mode].append(timed([a.krait, "create", "-y", "-q", "-p", prefix, "--override-channels",
                                        "-c", ch.url] + names, dict(base, **extra)))
            shutil.rmtree(prefix, ignore_errors=True)
    print(f"{'':10} {'peak RSS':>10} {'wall':>9} {'CPU':>9}")
    for mode, _ in modes:
        m = median(results[mode])
        print(f"{mode:10} {m.rss / 1024:8.1f}MB {m.wall:8.2f}s {m.cpu:8.2f}s")
    auto, fixed = median(results["auto"]), median(results["8 threads"])
    print(f"\nauto / 8 threads: peak RSS {auto.rss / fixed.rss:.2f}, wall {auto.wall / fixed.wall:.2f}, "
          f"CPU {auto.cpu / fixed.cpu:.2f}; {loadavg()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packages", type=int, default=8)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--stdlib", type=int, default=0, help="K packages of Debian's python3 stdlib instead")
    ap.add_argument("--long-window", type=int, default=0, help="N long-window packages: peak RSS, auto vs 8")
    ap.add_argument("--window-log", type=int, default=25)
    ap.add_argument("--workdir", default=None, help="where the channel, caches and envs go (default: $TMPDIR)")
    ap.add_argument("--channel-cache", default=None, help="--stdlib: keep (and reuse) the built channel here")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="krait-install-bench-", dir=a.workdir)
    try:
        if a.long_window:
            memory_bench(a, work)
            return 0
        if a.stdlib:
            ch, names = build_stdlib_channel(work, a.stdlib, a.channel_cache)
        else:
            ch, names = build_channel(work, a.packages, a.files)
        pkgs = os.path.join(work, "pkgs")
        env = dict(os.environ, KRAIT_ROOT_PREFIX=os.path.join(work, "root"), CONDA_PKGS_DIRS=pkgs,
                   HOME=os.path.join(work, "home"), CONDARC=os.path.join(work, "condarc"))
        open(env["CONDARC"], "w").close()
        krait = lambda prefix: [a.krait, "create", "-y", "-q", "-p", prefix, "--override-channels",  # noqa: E731
                                "-c", ch.url] + names
        if a.stdlib:
            print(f"{a.stdlib} packages of Debian's python3 stdlib, {a.runs} runs each (median); {loadavg()}\n")
        else:
            print(f"{a.packages} packages, {a.packages * a.files} files, {a.runs} runs each (median); {loadavg()}\n")

        # cold: an empty cache every run. Nothing is deleted between measurements: ext4 skips
        # inodes freed in the last minutes when it allocates new ones, so whichever command ran
        # right after a big delete paid for scanning past them (a third of the kernel time).
        cold_k, cold_x = [], []
        for r in range(a.runs):
            pkgs = os.path.join(work, f"pkgs{r}")
            env["CONDA_PKGS_DIRS"] = pkgs
            cold_k.append(timed(krait(os.path.join(work, f"cold{r}")), env))
            dest = os.path.join(work, f"x{r}")
            os.makedirs(dest)
            t = Cost()
            for b in ch.built:
                out = os.path.join(dest, b.package.dist)
                os.makedirs(out)
                if b.fn.endswith(".tar.bz2"):
                    t += timed(["bsdtar", "-xf", str(b.path), "-C", out])
                else:  # each inner tarball streamed out of the zip, decompressed and unpacked
                    t += timed(f"cd {out} && for m in info pkg; do unzip -p {b.path} \"$m-*.tar.zst\" | "
                               f"zstd -dc -q | tar -x; done", shell=True)
            cold_x.append(t)

        # warm: the cache from the last cold run stays
        warm_k, warm_cp = [], []
        extracted = [os.path.join(pkgs, b.package.dist) for b in ch.built]
        for r in range(a.runs):
            warm_k.append(timed(krait(os.path.join(work, f"warm{r}")), env))
            dest = os.path.join(work, f"cp{r}")
            os.makedirs(dest)
            warm_cp.append(timed(["cp", "-al"] + extracted + [dest]))

        ck, cx = median(cold_k), median(cold_x)
        wk, wc = median(warm_k), median(warm_cp)
        print(f"{'':6} {'krait wall':>11} {'floor wall':>11} {'ratio':>6}   {'krait CPU':>10} {'floor CPU':>10} "
              f"{'ratio':>6}   floor is")
        for label, k, f, what in (("warm", wk, wc, "cp -al of the extracted trees"),
                                  ("cold", ck, cx, "bsdtar / unzip -p | zstd -d | tar -x of the archives")):
            print(f"{label:6} {k.wall*1000:9.1f}ms {f.wall*1000:9.1f}ms {k.wall/f.wall:6.2f}   "
                  f"{k.cpu*1000:8.1f}ms {f.cpu*1000:8.1f}ms {k.cpu/f.cpu:6.2f}   {what}")
        print(f"\nkrait's figures include process start, channel load and solve; the floors do not. {loadavg()}")
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
