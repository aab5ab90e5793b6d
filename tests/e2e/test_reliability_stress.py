"""Many krait processes at once, and kill -9 at chosen moments, on real prefixes and one shared cache.

- stress: per round 16 processes start together: 8 install different packages into ONE prefix (the
  prefix lock must serialise them, each solving against the previous result) and 8 create separate
  prefixes from ONE empty package cache (entry locks). Then every file of every env is checked against
  its conda-meta record (existence, sha256, size). KRAIT_STRESS_ROUNDS (default 2) sets the rounds.
- kill loop: seeded (KRAIT_KILL_SEED, default 6), install/update/remove are stopped with the pause
  hook at a randomly chosen checkpoint and pass and SIGKILLed there; the next `krait list` must bring
  the env back exactly to what it was. KRAIT_KILL_LOOP_KILLS (default 8 in CI; >= 50 for a full run).
Both print their figures (run pytest with -s to see them; docs/reliability.md quotes the last full run).
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from faults import Pause
from installcheck import LOCK_IGNORE, assert_consistent, create, install, installed_names, ok
from pkgbuild import Package
from prefixtools import assert_tree_unchanged, conda_meta_records, tree_snapshot

pytestmark = [pytest.mark.usefixtures("test_hooks")]

N_PKGS = 8


def verify_env(prefix: Path, unowned_ok=()) -> int:
    """Every file every record lists is there with the recorded sha256 and size; returns files checked."""
    assert_consistent(prefix, unowned_ok=unowned_ok)
    checked = 0
    for name, rec in conda_meta_records(prefix).items():
        for entry in rec.get("paths_data", {}).get("paths", []):
            path = prefix / entry["_path"]
            if entry.get("path_type") == "softlink" or path.is_symlink():
                assert os.path.lexists(path), f"{name}: {entry['_path']} missing"
                continue
            data = path.read_bytes()
            want = entry.get("sha256_in_prefix") or entry.get("sha256")
            if want:
                assert hashlib.sha256(data).hexdigest() == want, f"{name}: {entry['_path']} differs from its record"
            if "size_in_bytes" in entry and not entry.get("prefix_placeholder"):
                assert len(data) == entry["size_in_bytes"], f"{name}: {entry['_path']} has the wrong size"
            checked += 1
    return checked


@pytest.fixture
def stress_channel(make_channel):
    ch = make_channel("stress")
    base = Package("sbase", "1.0", noarch="generic")
    base.add_many(20, "share/sbase")
    ch.add(base, ".conda")
    for i in range(N_PKGS):
        p = Package(f"s{i}", "1.0", noarch="generic", depends=["sbase"])
        p.add_many(10, f"share/s{i}")
        ch.add(p, ".conda" if i % 2 else ".tar.bz2")
    return ch.write()


def test_sixteen_processes_one_prefix_and_one_cache(krait, stress_channel) -> None:
    rounds = int(os.environ.get("KRAIT_STRESS_ROUNDS", "2"))
    names = [f"s{i}" for i in range(N_PKGS)]
    processes = checked = 0
    for r in range(rounds):
        cache = krait.base / f"pkgs-round{r}"  # empty at the start of every round
        env = {"CONDA_PKGS_DIRS": str(cache)}
        shared = krait.prefix(f"shared{r}")
        ok(krait("create", "-p", shared, "-c", stress_channel.url, "--override-channels", "-y", "sbase", env=env))
        procs = [krait.popen("install", "-p", shared, "-c", stress_channel.url, "--override-channels", "-y", n,
                             env=env) for n in names]
        separate = [krait.prefix(f"own{r}-{i}") for i in range(N_PKGS)]
        procs += [krait.popen("create", "-p", p, "-c", stress_channel.url, "--override-channels", "-y", *names,
                              env=env) for p in separate]
        processes += len(procs)
        try:
            results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    krait.kill_group(p)
        for rc, out, err in results:
            assert rc == 0, f"exit {rc}\n{out}\n{err}"
        assert installed_names(shared) == {"sbase", *names}, "an install into the shared prefix was lost"
        for prefix in [shared] + separate:
            checked += verify_env(prefix)
        leftovers = [p.name for p in cache.iterdir() if ".krait-" in p.name or p.name.endswith(".lock")]
        assert not leftovers, leftovers
    print(f"\nstress: {rounds} rounds, {processes} processes, {checked} files verified against their records")


# kill points: (step, highest pass worth aiming at) per operation kind
_POINTS = [("prefix-locked", 1), ("cache-locked", 2), ("download", 2), ("extract", 2), ("journal-write", 60),
           ("unlink-before", 2000), ("unlink-after", 2000), ("link-before", 2000), ("link-after", 2000),
           ("meta-write", 2), ("commit", 1)]


def test_kill_loop_every_interrupted_transaction_is_undone(krait, local_channel, tmp_path) -> None:
    target = int(os.environ.get("KRAIT_KILL_LOOP_KILLS", "8"))
    rng = random.Random(int(os.environ.get("KRAIT_KILL_SEED", "6")))
    prefix = krait.prefix("killed")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0", "told"))
    kills = completed = 0
    by_step: dict = {}
    env_cache = {"CONDA_PKGS_DIRS": str(krait.pkgs_dir)}
    for attempt in range(target * 4):
        if kills >= target:
            break
        recs = conda_meta_records(prefix)
        ops = [("remove", "tmany")] if "tmany" in recs else [("install", "tmany")]
        ops.append(("update", "tlib") if recs["tlib"]["version"] == "1.0" else ("install", "tlib=1.0"))
        ops.append(("remove", "told") if "told" in recs else ("install", "told"))
        op, spec = rng.choice(ops)
        step, top = rng.choice(_POINTS)
        if spec != "tmany":  # a few files only: aim at the passes that exist
            top = min(top, 6)
        n = rng.randint(1, top)
        if attempt % 5 == 0:  # now and then a fresh cache, so download/extract points are reached too
            env_cache = {"CONDA_PKGS_DIRS": str(krait.base / f"pkgs-{attempt}")}
        before = tree_snapshot(prefix, LOCK_IGNORE)
        pause = Pause(tmp_path / f"k{attempt}.fifo")
        args = [op, "-p", prefix, "-y", spec]
        if op != "remove":
            args[3:3] = ["-c", local_channel.url, "--override-channels"]
        proc = krait.popen(*args, env=dict(env_cache, **pause.env(step, n)))
        try:
            reached = pause.wait(proc)
        finally:
            if proc.poll() is None:
                krait.kill_group(proc)  # SIGKILL, paused exactly at step:n
            pause.close()
        out, err = proc.communicate()
        if not reached:  # the command finished before pass n: an ordinary run
            assert proc.returncode == 0, f"{args} failed\n{out}\n{err}"
            completed += 1
            verify_env(prefix)
            continue
        kills += 1
        by_step[step] = by_step.get(step, 0) + 1
        ok(krait("list", "-p", prefix, env=env_cache))  # recovers (rolls back) the killed transaction
        assert_tree_unchanged(before, prefix, LOCK_IGNORE)
        verify_env(prefix)
    assert kills >= target, f"only {kills} kills in {target * 4} attempts"
    print(f"\nkill loop: {kills} SIGKILLs ({by_step}), {completed} runs completed, every env restored exactly")
