"""`krait clean`: what it removes, the bytes it reports, and that --packages never removes a package
an environment uses (registry or hard links)."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from installcheck import assert_consistent, create, failed, install, ok



def apparent_size(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return os.lstat(path).st_size
    return sum(os.lstat(Path(d) / f).st_size for d, dirs, files in os.walk(path) for f in files + [
        x for x in dirs if os.path.islink(Path(d) / x)])


def test_packages_keeps_what_envs_use(krait, local_channel) -> None:
    keep = krait.prefix("keep")
    ok(create(krait, keep, local_channel.url, "tbin"))  # tbin + tlib 2.0
    other = krait.prefix("other")
    ok(create(krait, other, local_channel.url, "tlib=1.0"))
    ok(krait("env", "remove", "-p", other, "-y"))  # tlib-1.0 is now unused in the cache
    recs = {p.name: p for p in krait.pkgs_dir.iterdir() if (p / "info" / "index.json").exists()}
    unused = [p for n, p in recs.items() if n.startswith("tlib-1.0-")]
    assert len(unused) == 1, recs
    plan = krait.json("clean", "--packages", "--dry-run")
    assert plan["packages"]["files"] == [str(unused[0])]
    assert plan["packages"]["total_size"] == apparent_size(unused[0]) == plan["total_size"]
    assert sorted(plan["packages"]["kept_in_use"]) == sorted(str(p) for n, p in recs.items() if p != unused[0])
    assert unused[0].exists()  # dry run
    human = ok(krait("clean", "--packages", "--dry-run")).stdout
    assert str(unused[0]) in human and f"({plan['total_size']} bytes)" in human
    done = krait.json("clean", "--packages", "-y")
    assert done["dry_run"] is False and done["packages"]["files"] == [str(unused[0])]
    assert not unused[0].exists()
    assert all(p.exists() for p in recs.values() if p != unused[0])
    assert_consistent(keep)
    ok(krait("list", "-p", keep))


def test_packages_protects_registered_envs_without_hard_links(krait, local_channel) -> None:
    """A copy-installed env shares no inode with the cache: the registry alone must protect it."""
    env = krait.prefix("copied")
    ok(create(krait, env, local_channel.url, "tlib=1.0"))
    for f in env.rglob("*"):
        if f.is_file() and not f.is_symlink() and "conda-meta" not in f.parts:
            data = f.read_bytes()
            f.unlink()
            f.write_bytes(data)  # break the hard link
    pkg = next(p for p in krait.pkgs_dir.iterdir() if p.name.startswith("tlib-1.0-") and p.is_dir())
    assert all(os.lstat(f).st_nlink == 1 for f in pkg.rglob("*") if f.is_file() and not f.is_symlink())
    plan = krait.json("clean", "--packages", "--dry-run")
    assert plan["packages"]["files"] == [] and str(pkg) in plan["packages"]["kept_in_use"]
    # once the env is unregistered and gone, the package is unused
    ok(krait("env", "remove", "-p", env, "-y"))
    assert krait.json("clean", "--packages", "--dry-run")["packages"]["files"] == [str(pkg)]


def test_tarballs_index_cache_locks(krait, local_channel) -> None:
    env = krait.prefix("env")
    ok(create(krait, env, local_channel.url, "tlib=1.0"))
    tarballs = sorted(p for p in krait.pkgs_dir.iterdir() if p.name.endswith((".conda", ".tar.bz2")))
    assert tarballs
    held = krait.pkgs_dir / "held.lock"
    stale = krait.pkgs_dir / "stale.lock"
    stale.write_text("")
    with held.open("w") as lock:
        # conda's and mamba's lock byte, held by this process: never a stale lock
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 21)
        plan = krait.json("clean", "-a", "--dry-run")
        assert plan["tarballs"]["files"] == [str(p) for p in tarballs]
        assert plan["tarballs"]["total_size"] == sum(p.stat().st_size for p in tarballs)
        assert plan["index_cache"]["files"] == [str(krait.pkgs_dir / "cache")]
        assert str(stale) in plan["locks"]["files"] and str(held) not in plan["locks"]["files"]
        assert plan["packages"]["files"] == []
        assert plan["total_size"] == sum(plan[k]["total_size"] for k in ("tarballs", "index_cache", "locks",
                                                                           "packages"))
        ok(krait("clean", "--tarballs", "--index-cache", "--locks", "-y"))
        assert held.exists()
    assert not stale.exists() and not (krait.pkgs_dir / "cache").exists()
    assert not any(p.exists() for p in tarballs)
    assert_consistent(env)
    # the env still works from the extracted packages (reinstall from cache, no archives needed)
    ok(install(krait, env, local_channel.url, "told"))
    failed(krait("clean"), "say what to clean")
