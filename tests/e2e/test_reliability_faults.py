"""Faults at every step of a transaction: injected (KRAIT_TEST_FAIL_AT), a really full disk (a small
tmpfs mounted by the test), SIGTERM/SIGINT. Each time: a clear error, and nothing changed or lost."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from faults import Pause, fail_env
from installcheck import LOCK_IGNORE, assert_consistent, create, failed, install, installed_names, ok
from pkgbuild import Package
from prefixtools import assert_tree_unchanged, tree_snapshot

pytestmark = [pytest.mark.usefixtures("test_hooks")]

# tlib 1.0 -> 2.0 (unlink + link) plus tpost (new, with a post-link script): every step is passed through
REQUEST = ("tlib=2.0", "tpost")
# what tpost's post-link script writes itself is the script's business (conda does not undo it either)
IGNORE = LOCK_IGNORE + ["share/tpost", "share/tpost/post-link-ran"]


@pytest.fixture
def base_env(krait, local_channel) -> Path:
    prefix = krait.prefix("base")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0", "told"))
    return prefix


def _no_leftovers(krait, prefix: Path) -> None:
    assert not (prefix / "conda-meta" / ".krait-txn").exists(), "journal left behind"
    partial = [p.name for p in krait.pkgs_dir.iterdir() if ".krait-partial-" in p.name or p.name.endswith(".lock")]
    assert not partial, f"left in the cache: {partial}"


@pytest.mark.parametrize("step,n", [("cache-locked", 2), ("download", 1), ("extract", 2), ("prefix-locked", 1),
                                    ("journal-write", 3), ("unlink-before", 2), ("unlink-after", 1),
                                    ("link-before", 1), ("link-after", 3), ("meta-write", 1), ("commit", 1)])
def test_injected_failure_at_each_step_changes_nothing(krait, local_channel, base_env, step: str, n: int) -> None:
    before = tree_snapshot(base_env, IGNORE)
    proc = krait("install", "-p", base_env, "-c", local_channel.url, "--override-channels", "-y", *REQUEST,
                 env=fail_env(step, n))
    failed(proc, f"injected failure at step {step}")
    assert_tree_unchanged(before, base_env, IGNORE)
    _no_leftovers(krait, base_env)
    ok(install(krait, base_env, local_channel.url, *REQUEST))  # and the same request then works
    assert_consistent(base_env, unowned_ok=["share/tpost/post-link-ran"])


def test_disk_full_while_writing_conda_meta_says_so(krait, local_channel, base_env) -> None:
    before = tree_snapshot(base_env, IGNORE)
    proc = krait("install", "-p", base_env, "-c", local_channel.url, "--override-channels", "-y", *REQUEST,
                 env=fail_env("meta-write", 1, "ENOSPC"))
    failed(proc, "the disk is full")
    assert_tree_unchanged(before, base_env, IGNORE)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_link_rolls_back_before_exiting(krait, local_channel, base_env, tmp_path, sig) -> None:
    before = tree_snapshot(base_env, IGNORE)
    pause = Pause(tmp_path / "p.fifo")
    proc = krait.popen("install", "-p", base_env, "-c", local_channel.url, "--override-channels", "-y", *REQUEST,
                       env=pause.env("link-after", 2))
    try:
        assert pause.wait(proc), proc.communicate()
        assert (base_env / "conda-meta/.krait-txn/journal").exists()  # mid-transaction
        os.kill(proc.pid, sig)
        pause.release(proc)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            krait.kill_group(proc)
        pause.close()
    assert proc.returncode == 128 + sig, f"exit {proc.returncode}\n{out}\n{err}"
    assert "rolled back" in err and signal.Signals(sig).name in err, err
    # undone by the process itself, not left for the next command
    assert not (base_env / "conda-meta/.krait-txn").exists()
    assert_tree_unchanged(before, base_env, IGNORE)


# ---- a really full disk: a small tmpfs ---------------------------------------------------

@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MiB tmpfs; skipped (counted, with the reason) where the machine forbids mounts."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("full-disk tests mount a tmpfs: need root (CI runs as root)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def big_channel(make_channel):
    ch = make_channel("big")
    rnd = Package("tbigrandom", "1.0", noarch="generic")
    rnd.add_file("share/tbigrandom/blob.bin", os.urandom(2 * 1024 * 1024))  # the archive alone fills 1 MiB
    zeros = Package("tbigzeros", "1.0", noarch="generic")
    zeros.add_file("share/tbigzeros/zeros.bin", b"\0" * (3 * 1024 * 1024))  # a tiny archive, 3 MiB unpacked
    small = Package("tsmall", "1.0", noarch="generic")
    small.add_text("share/tsmall/readme.txt", "fits\n")
    for p in (rnd, zeros, small):
        ch.add(p, ".conda")
    return ch.write()


def test_full_disk_in_the_cache_at_download_and_extraction(krait, big_channel, small_tmpfs) -> None:
    pkgs = small_tmpfs / "pkgs"
    env = {"CONDA_PKGS_DIRS": str(pkgs)}
    for name in ("tbigrandom", "tbigzeros"):  # download (copy of the archive), then extraction
        prefix = krait.prefix(name)
        proc = krait("create", "-p", prefix, "-c", big_channel.url, "--override-channels", "-y", name, env=env)
        out = failed(proc, "the disk is full")
        assert str(pkgs) in out, out
        assert not prefix.exists()
        # a complete, verified archive may stay (it is what was fetched); nothing half-written may
        left = [p.name for p in pkgs.iterdir() if name in p.name and (p.is_dir() or ".krait-" in p.name)]
        assert not left, f"half-written cache entries: {left}"
        for archive in pkgs.glob(f"{name}-*.conda"):
            assert archive.read_bytes() == (Path(big_channel.root) / "noarch" / archive.name).read_bytes()
    # nothing lost: the cache still works once there is room
    ok(krait("create", "-p", krait.prefix("fits"), "-c", big_channel.url, "--override-channels", "-y", "tsmall",
             env=env))


def test_full_disk_in_the_prefix_at_link(krait, big_channel, small_tmpfs) -> None:
    prefix = small_tmpfs / "env"
    ok(create(krait, prefix, big_channel.url, "tsmall"))
    before = tree_snapshot(prefix, LOCK_IGNORE)
    out = failed(install(krait, prefix, big_channel.url, "tbigzeros"), "the disk is full")
    assert str(prefix) in out, out
    assert_tree_unchanged(before, prefix, LOCK_IGNORE)
    assert installed_names(prefix) == {"tsmall"}


def test_full_disk_while_downloading_over_http(krait, big_channel, small_tmpfs, serve) -> None:
    pkgs = small_tmpfs / "pkgs"
    server = serve(big_channel.root)
    prefix = krait.prefix("http")
    proc = krait("create", "-p", prefix, "-c", server.url, "--override-channels", "-y", "tbigrandom",
                 env={"CONDA_PKGS_DIRS": str(pkgs)})
    out = failed(proc, "the disk is full")
    assert str(pkgs) in out, out
    assert not prefix.exists()
    assert not [p.name for p in pkgs.iterdir() if "tbigrandom" in p.name], "a partial download was left"
