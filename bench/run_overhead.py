#!/usr/bin/python3
"""`krait run` overhead: the cost of running a command through `krait run -p ENV` over running
it directly, measured in the same process and run (medians of N, wall clock).

The environment is a typical one, installed with `krait create` from packages built here
(tests/e2e/pkgbuild.py): three packages with etc/conda/activate.d/*.sh scripts that export
ten variables each (as compiler activation packages do), one env_vars.d file, and a
conda-meta/state with three variables. Rows:
  direct            the command itself (fork+exec from Python)
  sh+scripts        /bin/sh sourcing the same activate.d scripts, then exec: the floor for
                    any tool that runs activate.d scripts
  krait run -p      the typical env (activation + scripts through /bin/sh)
  krait run -n      the same env by name (reads the configuration to find envs_dirs)
  krait run, bare   an env without activate.d scripts (krait execs the command directly)
Wall-clock medians and CPU-time medians (user+sys of the whole process tree, from
getrusage): on a shared machine the wall figure also holds the waits for a CPU.
Not a test: nothing is asserted. Goal (issue 12): delta of `krait run -p` <= 15 ms.

usage: bench/run_overhead.py [--krait build/krait] [--runs 200] [--cmd /bin/true]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import pkgbuild  # noqa: E402


def build_channel(root):
    ch = pkgbuild.Channel(os.path.join(root, "channel"))
    for n in range(3):
        pkg = pkgbuild.Package(f"activation-pkg{n}", "1.0", noarch="generic")
        body = "".join(f'export PKG{n}_VAR{i}="$CONDA_PREFIX/share/pkg{n}/{i}"\n' for i in range(10))
        pkg.add_text(f"etc/conda/activate.d/activate-pkg{n}.sh", body)
        pkg.add_text(f"etc/conda/deactivate.d/deactivate-pkg{n}.sh",
                     "".join(f"unset PKG{n}_VAR{i}\n" for i in range(10)))
        if n == 0:
            pkg.add_text("etc/conda/env_vars.d/pkg0.json", json.dumps({"PKG0_JSON": "1"}))
        ch.add(pkg, ".conda")
    bare = pkgbuild.Package("bare-pkg", "1.0", noarch="generic")
    bare.add_text("share/bare/README", "no scripts\n")
    ch.add(bare, ".conda")
    ch.write()
    return ch


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median_ms(argv, env, runs):
    """(median wall ms, median CPU ms of the process tree): CPU time is what the command costs
    when the machine is shared; wall time also holds the waits for a busy CPU."""
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = cpu_seconds(), time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        wall.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--cmd", default="/bin/true")
    a = ap.parse_args()
    krait = os.path.abspath(a.krait)
    with tempfile.TemporaryDirectory(prefix="krait-run-bench-") as tmp:
        ch = build_channel(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "KRAIT_"))}
        env.update({"HOME": os.path.join(tmp, "home"), "KRAIT_ROOT_PREFIX": os.path.join(tmp, "root"),
                    "CONDA_PKGS_DIRS": os.path.join(tmp, "pkgs"), "CONDARC": os.path.join(tmp, "condarc")})
        os.makedirs(env["HOME"])
        open(env["CONDARC"], "w").close()
        specs = ["activation-pkg0", "activation-pkg1", "activation-pkg2"]
        for args in (["-n", "typical", *specs], ["-n", "bare", "bare-pkg"]):
            subprocess.run([krait, "create", *args, "-c", ch.url, "--override-channels", "-y", "-q"], env=env,
                           check=True)
        typical = os.path.join(env["KRAIT_ROOT_PREFIX"], "envs", "typical")
        with open(os.path.join(typical, "conda-meta", "state"), "w") as f:
            json.dump({"env_vars": {"PROJECT": "/group/project", "OMP_NUM_THREADS": "4", "DATA": "/scratch"}}, f)
        scripts = sorted(os.path.join(typical, "etc/conda/activate.d", s)
                         for s in os.listdir(os.path.join(typical, "etc/conda/activate.d")))
        sh_body = "".join(f". '{s}'\n" for s in scripts) + 'exec "$@"'
        rows = [
            ("direct", [a.cmd]),
            ("sh+scripts", ["/bin/sh", "-c", sh_body, "sh", a.cmd]),
            ("krait run -p", [krait, "run", "-p", typical, a.cmd]),
            ("krait run -n", [krait, "run", "-n", "typical", a.cmd]),
            ("krait run, bare", [krait, "run", "-n", "bare", a.cmd]),
        ]
        for _, argv in rows:  # warm the page cache
            median_ms(argv, env, 5)
        results = [(label, median_ms(argv, env, a.runs)) for label, argv in rows]
    wall0, cpu0 = results[0][1]
    print(f"krait run overhead, median of {a.runs} runs of {a.cmd} ({len(scripts)} activate.d scripts, "
          f"{10 * len(scripts) + 4} variables); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':18} {'wall ms':>8} {'delta':>7} {'ratio':>6}   {'cpu ms':>7} {'delta':>7} {'ratio':>6}")
    for label, (wall, cpu) in results:
        print(f"{label:18} {wall:8.2f} {wall - wall0:7.2f} {wall / wall0:6.2f}   "
              f"{cpu:7.2f} {cpu - cpu0:7.2f} {cpu / cpu0 if cpu0 else float('nan'):6.2f}")


if __name__ == "__main__":
    main()
