#!/usr/bin/python3
"""Repodata at conda-forge scale, all whole-process, all figures from one run:
the py39 slice scaled (bench/scale_repodata.py) to each size in --sizes, then
`create --dry-run python=3.9 pip` with krait cold (empty repodata cache) and warm,
over file:// and over nginx on 127.0.0.1; and on the same linux-64 file libsolv's own
reader (bench_libsolv_reader, a whole process) and the reference solver
(../shared/tools/rattler-solve.mjs). --before adds another krait binary (e.g. main's
build) measured the same way. Wall and CPU (user+sys) are each the median of --runs;
RSS is the peak of all runs (wait4 rusage: the child's own). The load average is
printed with each table: on a shared machine CPU time is the steadier figure.
Not a test: prints figures and ratios only.

usage: bench/scale_bench.py [--krait build/krait] [--before /work/main/build/krait]
                            [--sizes 120000,700000] [--runs 3] [--work /tmp/krait-scale]
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
from httpchannel import NginxChannelServer  # noqa: E402

SHARED = os.environ.get("KRAIT_SHARED_DIR") or os.path.join(os.path.dirname(ROOT), "shared")
RATTLER_JS = os.environ.get("RATTLER_JS") or os.path.join(ROOT, ".deps", "rattler-js")
RATTLER_SOLVE = os.path.join(SHARED, "tools", "rattler-solve.mjs")
VIRTUALS = {"__glibc": "2.36", "__linux": "6.1", "__unix": "0"}
SPECS = ["python=3.9", "pip"]


def run(cmd, env=None):
    """(wall s, cpu s, peak RSS MiB) of one whole process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... failed: {err.strip()[-400:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def krait_env(root):
    env = dict(os.environ, KRAIT_ROOT_PREFIX=root, CONDA_PKGS_DIRS=os.path.join(root, "pkgs"),
               CONDARC=os.path.join(root, "condarc"), HOME=root, CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY="false")
    for name in ("__glibc", "__linux", "__osx", "__win", "__cuda", "__archspec"):
        env["CONDA_OVERRIDE_" + name[2:].upper()] = VIRTUALS.get(name, "")
    return env


def krait_pair(krait, channel, runs):
    """cold and warm figures: each run starts from an empty cache (cold), then repeats (warm)."""
    cold, warm = [], []
    for _ in range(runs):
        root = tempfile.mkdtemp(prefix="krait-scale-")
        open(os.path.join(root, "condarc"), "w").close()
        cmd = [krait, "create", "--dry-run", "--json", "-p", os.path.join(root, "env"), "--platform", "linux-64",
               "--override-channels", "-c", channel] + SPECS
        try:
            cold.append(run(cmd, krait_env(root)))
            warm.append(run(cmd, krait_env(root)))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return cold, warm


def summary(samples):
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            max(s[2] for s in samples))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--before", default=None)
    ap.add_argument("--sizes", default="120000,700000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "krait-scale"))
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()
    reader = os.path.join(os.path.dirname(os.path.abspath(args.krait)), "bench", "bench_libsolv_reader")
    have_rattler = shutil.which("node") and os.path.isdir(os.path.join(RATTLER_JS, "node_modules"))
    kraits = [("krait", args.krait)] + ([("before", args.before)] if args.before else [])
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        chan = os.path.join(args.work, f"{size}")
        json_path = os.path.join(chan, "linux-64", "repodata.json")
        if not os.path.exists(json_path):
            subprocess.run([sys.executable, os.path.join(HERE, "scale_repodata.py"), chan, str(size)], check=True)
        mb = os.path.getsize(json_path) / 1e6
        figs = {}
        figs["libsolv reader"] = summary([run([reader, json_path]) for _ in range(args.runs)])
        if have_rattler:
            cmd = ["node", RATTLER_SOLVE, "--platform", "linux-64", "--repodata", json_path + "=cf/linux-64",
                   "--repodata", os.path.join(chan, "noarch", "repodata.json") + "=cf/noarch"]
            cmd += [a for n, v in VIRTUALS.items() for a in ("--virtual", f"{n}={v}")] + SPECS
            figs["rattler"] = summary([run(cmd, dict(os.environ, RATTLER_JS=RATTLER_JS)) for _ in range(args.runs)])
        server = None
        if not args.no_http:
            server = NginxChannelServer(chan, os.path.join(args.work, f"nginx-{size}")).start()
        try:
            for label, binary in kraits:
                cold, warm = krait_pair(binary, "file://" + chan, args.runs)
                figs[f"{label} file:// cold"] = summary(cold)
                figs[f"{label} file:// warm"] = summary(warm)
                if server:
                    cold, warm = krait_pair(binary, server.url, args.runs)
                    figs[f"{label} http cold"] = summary(cold)
                    figs[f"{label} http warm"] = summary(warm)
        finally:
            if server:
                server.stop()
        rows.append((size, mb, figs))
        ref_r = figs.get("rattler", (float("nan"),) * 2)
        ref_l = figs["libsolv reader"]
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n== {size} linux-64 records ({mb:.0f} MB JSON) + noarch; create --dry-run {' '.join(SPECS)}"
              f" (load average at the end {load}; {os.cpu_count()} CPUs)")
        print(f"{'':24} {'wall':>8} {'cpu':>8} {'peak RSS':>9} {'wall/ratt':>9} {'cpu/ratt':>9} "
              f"{'wall/lib':>9} {'cpu/lib':>9}")
        for k, (w, c, r) in figs.items():
            print(f"{k:24} {w:7.2f}s {c:7.2f}s {r:7.0f}MB {w / ref_r[0]:9.3f} {c / ref_r[1]:9.3f} "
                  f"{w / ref_l[0]:9.3f} {c / ref_l[1]:9.3f}")
        for label, _ in kraits:
            cold, warm = figs[f"{label} file:// cold"], figs[f"{label} file:// warm"]
            print(f"{label}: cold is {ref_l[0] / cold[0]:.2f}x (wall) and {ref_l[1] / cold[1]:.2f}x (cpu) faster than"
                  f" the libsolv reader (goal >= 5),"
                  f" cold/rattler {cold[1] / ref_r[1]:.3f} cpu {cold[0] / ref_r[0]:.3f} wall (goal <= 0.18),"
                  f" warm/rattler {warm[1] / ref_r[1]:.3f} cpu {warm[0] / ref_r[0]:.3f} wall (goal <= 0.06)")
        sys.stdout.flush()
    print("\nwall, cpu: medians of the runs (cpu = user+sys, the steadier figure on a loaded machine);"
          " ratios are over the reference in the same run. libsolv reader = libsolv's"
          " repo_add_conda alone (no solve); rattler = the reference solver, whole process (node start-up"
          " included); krait = the whole create --dry-run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
