#!/usr/bin/python3
"""Load + solve benchmark: krait (cold JSON parse and warm .solv cache) against the
reference solver rattler (rattler-solve.mjs) on the same repodata and specs, in the
same run. Prints figures (median of N runs, wall clock) and ratios, plus peak RSS.

Data: the conda-forge py39 slice in ../shared/data (all its subdirs, each with
noarch). Not a test: no assertions on time.

usage: bench/solve_bench.py [--krait build/krait] [--runs 5] [--subdirs linux-64,osx-64,...]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("KRAIT_SHARED_DIR") or os.path.join(os.path.dirname(ROOT), "shared")
SLICE = os.path.join(SHARED, "data", "repodata", "conda-forge-subchannel-py39-20240516")
RATTLER_JS = os.environ.get("RATTLER_JS") or os.path.join(ROOT, ".deps", "rattler-js")
RATTLER_SOLVE = os.path.join(SHARED, "tools", "rattler-solve.mjs")

# virtual packages per platform family, the same for both solvers
VIRTUALS = {
    "linux": {"__glibc": "2.36", "__linux": "6.1", "__unix": "0"},
    "osx": {"__osx": "13.0", "__unix": "0"},
    "win": {"__win": "0"},
}
SPECS = [["python=3.9"], ["python=3.9", "pip"], ["python"]]


def family(subdir):
    return subdir.split("-")[0]


def run_timed(cmd, env):
    """Runs cmd, returns (seconds, peak_rss_kib, stdout, stderr, cpu_seconds); the child's peak
    RSS and CPU (user+sys) come from wait4's rusage, so they are this child's alone."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    out = p.stdout.read()
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {err.strip()[:500]}")
    return dt, ru.ru_maxrss, out, err, ru.ru_utime + ru.ru_stime


def krait_cmd(krait, subdir, specs, root):
    return [krait, "create", "--dry-run", "--json", "-p", os.path.join(root, "env"), "--platform", subdir,
            "--override-channels", "-c", "file://" + SLICE] + specs


def krait_env(subdir, root):
    env = dict(os.environ)
    env.update({"KRAIT_ROOT_PREFIX": root, "CONDA_PKGS_DIRS": os.path.join(root, "pkgs"),
                "CONDARC": os.path.join(root, "condarc"), "HOME": root,
                "CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY": "false"})
    for name in ("__glibc", "__linux", "__osx", "__win", "__cuda", "__archspec"):
        env["CONDA_OVERRIDE_" + name[2:].upper()] = VIRTUALS[family(subdir)].get(name, "")
    return env


def rattler_cmd(subdir, specs):
    cmd = ["node", RATTLER_SOLVE, "--platform", subdir,
           "--repodata", os.path.join(SLICE, subdir, "repodata.json") + "=cf/" + subdir,
           "--repodata", os.path.join(SLICE, "noarch", "repodata.json") + "=cf/noarch"]
    for name, ver in VIRTUALS[family(subdir)].items():
        cmd += ["--virtual", f"{name}={ver}"]
    return cmd + specs


def krait_names(out):
    data = json.loads(out)
    return sorted(f"{r['name']} {r['version']} {r['build_string']}" for r in data["actions"]["LINK"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--subdirs", default="linux-64,linux-aarch64,linux-ppc64le,osx-64,osx-arm64,win-64")
    args = ap.parse_args()
    if not os.path.isdir(SLICE):
        print(f"SKIPPED: {SLICE} not found (the benchmark needs ../shared/data)")
        return 0
    have_rattler = shutil.which("node") and os.path.isdir(os.path.join(RATTLER_JS, "node_modules"))
    renv = dict(os.environ, RATTLER_JS=RATTLER_JS)
    print(f"krait: {args.krait}\nrepodata: {SLICE}\nruns per figure: {args.runs} (median); "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    hdr = f"{'subdir':15} {'specs':22} {'krait cold':>11} {'krait warm':>11} {'rattler':>9} {'r.solve':>8} " \
          f"{'cold/ratt':>9} {'warm/ratt':>9} {'warm/cold':>9} {'RSS krait':>10} {'RSS ratt':>9} " \
          f"{'CPU cold':>9} {'CPU warm':>9} agree"
    print(hdr)
    print("-" * len(hdr))
    for subdir in args.subdirs.split(","):
        for specs in SPECS:
            cold, warm, ratt, ratt_inproc, cpu_cold, cpu_warm = [], [], [], [], [], []
            rss_k = rss_r = 0
            agree = "-"
            for _ in range(args.runs):
                root = tempfile.mkdtemp(prefix="krait-bench-")
                open(os.path.join(root, "condarc"), "w").close()
                env = krait_env(subdir, root)
                try:
                    dt, rss, out, _, cpu = run_timed(krait_cmd(args.krait, subdir, specs, root), env)  # cold: no .solv
                    cold.append(dt)
                    cpu_cold.append(cpu)
                    rss_k = max(rss_k, rss)
                    dt, rss, out, _, cpu = run_timed(krait_cmd(args.krait, subdir, specs, root), env)  # warm
                    warm.append(dt)
                    cpu_warm.append(cpu)
                    rss_k = max(rss_k, rss)
                finally:
                    shutil.rmtree(root, ignore_errors=True)
                if have_rattler:
                    dt, rss, rout, rerr, _ = run_timed(rattler_cmd(subdir, specs), renv)
                    ratt.append(dt)
                    m = re.search(r"solve_ms=([0-9.]+)", rerr)
                    if m:
                        ratt_inproc.append(float(m.group(1)) / 1000)
                    rss_r = max(rss_r, rss)
                    mine = [l for l in krait_names(out) if not l.startswith("__")]
                    theirs = sorted(l for l in rout.splitlines() if l.strip())
                    agree = "yes" if mine == theirs else f"no ({len(mine)} vs {len(theirs)})"
            mc, mw = statistics.median(cold), statistics.median(warm)
            mr = statistics.median(ratt) if ratt else float("nan")
            mi = statistics.median(ratt_inproc) if ratt_inproc else float("nan")
            print(f"{subdir:15} {' '.join(specs):22} {mc*1000:9.1f}ms {mw*1000:9.1f}ms "
                  f"{mr*1000:7.1f}ms {mi*1000:6.1f}ms {mc/mr:9.2f} {mw/mr:9.2f} {mw/mc:9.2f} {rss_k/1024:8.1f}MB "
                  f"{rss_r/1024:7.1f}MB {statistics.median(cpu_cold)*1000:7.1f}ms "
                  f"{statistics.median(cpu_warm)*1000:7.1f}ms {agree}")
    print("\nratios < 1 mean krait is faster. krait's figures and 'rattler' are whole processes as a user runs"
          " them (rattler's includes node start-up and WASM compile); 'r.solve' is rattler's own in-process"
          " solve_ms (repodata parse + solve) for reference.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
