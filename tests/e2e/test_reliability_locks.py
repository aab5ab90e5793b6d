"""The prefix lock: taken before the solve, held to the end, shared with conda and mamba.

Every ordering here is forced with the pause hook (faults.Pause), never with sleeps."""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

import pytest

from faults import Pause
from installcheck import LOCK_IGNORE, assert_consistent, create, failed, install, installed_names, ok
from prefixtools import assert_tree_unchanged, conda_meta_records, tree_snapshot

pytestmark = [pytest.mark.usefixtures("test_hooks")]

LOCK_BYTE = 21  # conda's LOCK_BYTE ("mamba interop")


def _lock_like_conda(path: Path) -> int:
    """What conda's gateways/disk/lock.py does: fcntl.lockf on one byte at offset 21."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, LOCK_BYTE)
    return fd


def _lock_file(prefix: Path) -> Path:
    return prefix / "conda-meta" / "conda-meta.lock"


def test_second_install_waits_names_the_holder_and_solves_after_the_first(krait, local_channel, tmp_path) -> None:
    prefix = krait.prefix("busy")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    pause = Pause(tmp_path / "first.fifo")
    first = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tlib=2.0",
                        env=pause.env("prefix-locked"))
    second = None
    try:
        assert pause.wait(first), first.communicate()
        # the holder describes itself in the lock file (pid, host, command), as conda/mamba users expect
        pid, host, command = _lock_file(prefix).read_text().splitlines()[:3]
        assert int(pid) == first.pid and host == socket.gethostname() and "install" in command
        # tbin needs tlib; the second command must see what the first leaves, not what was there before it
        second = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tbin")
        waiting = ""  # printed before it starts waiting: no clock involved
        while "waiting for" not in waiting:
            line = second.stderr.readline()
            assert line, f"second ended without waiting: {second.communicate()}"
            waiting = line
        assert "waiting for" in waiting and f"process {first.pid} on host {host}" in waiting, waiting
        assert "krait install" in waiting and "tlib=2.0" in waiting, waiting
        assert "tbin" not in installed_names(prefix)
        pause.release(first)
        assert first.wait(timeout=300) == 0, first.communicate()
        assert second.wait(timeout=300) == 0, second.communicate()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                krait.kill_group(proc)
        pause.close()
    recs = conda_meta_records(prefix)
    assert recs["tlib"]["version"] == "2.0", "the second transaction undid the first one's upgrade"
    assert {"tlib", "tbin"} <= set(recs)
    assert_consistent(prefix)


def test_a_lock_taken_the_way_conda_takes_it_excludes_krait(krait, local_channel) -> None:
    prefix = krait.prefix("condalocked")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    before = tree_snapshot(prefix, LOCK_IGNORE)
    fd = _lock_like_conda(_lock_file(prefix))
    try:
        proc = krait("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told",
                     env={"CONDA_LOCK_TIMEOUT": "1"})
        out = failed(proc, "timed out")
        assert f"process {os.getpid()}" in out and "conda-meta.lock" in out and "lock_timeout" in out
        assert_tree_unchanged(before, prefix, LOCK_IGNORE)
        # the same from a .condarc key
        krait.condarc.write_text("lock_timeout: 1\n")
        failed(install(krait, prefix, local_channel.url, "told"), "timed out")
        # use_lockfiles: false (filesystems whose locks hang) does not look at the lock at all
        ok(krait("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told",
                 env={"CONDA_USE_LOCKFILES": "false"}))
    finally:
        os.close(fd)
    assert "told" in installed_names(prefix)


def test_krait_holding_the_lock_excludes_conda(krait, local_channel, tmp_path) -> None:
    prefix = krait.prefix("kraitlocked")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    pause = Pause(tmp_path / "p.fifo")
    proc = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told",
                       env=pause.env("link-after"))
    try:
        assert pause.wait(proc), proc.communicate()
        with pytest.raises(OSError):
            os.close(_lock_like_conda(_lock_file(prefix)))
        pause.release(proc)
        assert proc.wait(timeout=300) == 0, proc.communicate()
    finally:
        if proc.poll() is None:
            krait.kill_group(proc)
        pause.close()
    os.close(_lock_like_conda(_lock_file(prefix)))  # free again once krait is done


def test_bad_lock_timeout_is_a_clear_error(krait, local_channel) -> None:
    prefix = krait.prefix("lt")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    failed(krait("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told",
                 env={"CONDA_LOCK_TIMEOUT": "soon"}), "CONDA_LOCK_TIMEOUT")
    krait.condarc.write_text("lock_timeout: -3\n")
    failed(install(krait, prefix, local_channel.url, "told"), "lock_timeout")


def test_a_failed_create_leaves_no_prefix_made_for_the_lock(krait, local_channel) -> None:
    prefix = krait.prefix("never")
    failed(create(krait, prefix, local_channel.url, "no-such-package"), "no-such-package")
    assert not prefix.exists()


def test_an_explicit_file_install_waits_for_the_lock_before_reading_the_prefix(krait, local_channel,
                                                                              tmp_path) -> None:
    """`install --file` of an @EXPLICIT file solves nothing, but which installed packages it replaces is read
    from the prefix: that read, too, happens under the prefix lock."""
    src = krait.prefix("explicit-src")
    ok(create(krait, src, local_channel.url, "told"))
    spec = tmp_path / "spec.txt"
    spec.write_text(ok(krait("list", "-p", src, "--explicit")).stdout)
    prefix = krait.prefix("explicit-locked")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    before = tree_snapshot(prefix, LOCK_IGNORE)
    fd = _lock_like_conda(_lock_file(prefix))
    try:
        proc = krait("install", "-p", prefix, "--file", spec, "-y", env={"CONDA_LOCK_TIMEOUT": "1"})
        out = failed(proc, "timed out")
        assert f"process {os.getpid()}" in out
        assert_tree_unchanged(before, prefix, LOCK_IGNORE)
    finally:
        os.close(fd)
    ok(krait("install", "-p", prefix, "--file", spec, "-y"))
    assert "told" in installed_names(prefix)
