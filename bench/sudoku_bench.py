#!/usr/bin/python3
"""How long krait takes to report two clashing sudoku clues (tests/solver/sudoku.t).

The test cases check only the answer; the time it takes is measured here, never
asserted (a loaded CI machine or an ASan build must not fail a test).
Prints the median wall-clock seconds of N runs of `krait create --dry-run`.

usage: bench/sudoku_bench.py [--krait build/krait] [--runs 5]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("KRAIT_SHARED_DIR") or os.path.join(os.path.dirname(ROOT), "shared")
SUDOKU = os.path.join(SHARED, "data", "repodata", "synthetic", "sudoku.json")
CLASHES = [["sudoku_0_0=5", "sudoku_0_4=5"], ["sudoku_3_2=7", "sudoku_8_2=7"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--krait", default=os.path.join(ROOT, "build", "krait"))
    ap.add_argument("--runs", type=int, default=5)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        channel = os.path.join(tmp, "channel")
        os.makedirs(os.path.join(channel, "noarch"))
        shutil.copy(SUDOKU, os.path.join(channel, "noarch", "repodata.json"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "KRAIT_"))}
        env.update(HOME=tmp, KRAIT_ROOT_PREFIX=os.path.join(tmp, "root"), CONDARC=os.path.join(tmp, "rc"),
                   CONDA_PKGS_DIRS=os.path.join(tmp, "pkgs"), CONDA_SUBDIR="noarch")
        open(env["CONDARC"], "w").close()
        for specs in CLASHES:
            times = []
            for _ in range(opts.runs):
                argv = [opts.krait, "create", "-p", os.path.join(tmp, "env"), "-c", channel, "--override-channels",
                        "--dry-run", "--json", "--"] + specs
                started = time.monotonic()
                subprocess.run(argv, env=env, capture_output=True, text=True)
                times.append(time.monotonic() - started)
            print(f"{' '.join(specs)}: median {statistics.median(times):.3f} s over {opts.runs} runs")


if __name__ == "__main__":
    main()
