"""Failures must leave the prefix exactly as it was; SIGKILL mid-transaction must be recoverable.

"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import pkgbuild as pb
from faults import Pause
from installcheck import LOCK_IGNORE, assert_consistent, create, failed, install, installed_names, ok
from prefixtools import assert_tree_unchanged, conda_meta_records, tree_snapshot

pytestmark = [pytest.mark.usefixtures("test_hooks")]


@pytest.fixture
def base_env(krait, local_channel) -> Path:
    prefix = krait.prefix("base")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0", "told"))
    return prefix


def _nothing_in_cache_for(krait, name: str, real_sha256: str) -> None:
    leftovers = []
    for dirpath, dirnames, filenames in os.walk(krait.pkgs_dir):
        for n in dirnames + filenames:
            full = Path(dirpath) / n
            if name in n:
                leftovers.append(str(full))
            elif full.is_file() and not full.is_symlink() and full.stat().st_size > 0:
                if pb.file_digests(full)["sha256"] == real_sha256:
                    leftovers.append(str(full))
    assert not leftovers, f"left in the package cache: {leftovers}"


# ---- refused before anything changes ------------------------------------------------------

def test_bad_sha256_refused_on_create(krait, local_channel) -> None:
    prefix = krait.prefix("bad")
    failed(create(krait, prefix, local_channel.url, "tbadsha"), "sha256", "checksum", "hash", "digest")
    assert not prefix.exists()
    real = pb.file_digests(local_channel.channel.find("tbadsha").path)["sha256"]
    _nothing_in_cache_for(krait, "tbadsha", real)


def test_bad_sha256_in_transaction_changes_nothing(krait, local_channel, base_env) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    failed(install(krait, base_env, local_channel.url, "tpost", "tbadsha", "tlib=2.0"),
           "sha256", "checksum", "hash", "digest")
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)
    assert installed_names(base_env) == {"tlib", "told"}


def test_bad_sha256_over_http(krait, local_channel, http_channel) -> None:
    prefix = krait.prefix("badhttp")
    failed(create(krait, prefix, http_channel.url, "tbadsha"), "sha256", "checksum", "hash", "digest")
    assert not prefix.exists()
    real = pb.file_digests(local_channel.channel.find("tbadsha").path)["sha256"]
    _nothing_in_cache_for(krait, "tbadsha", real)


@pytest.mark.parametrize("name", ["tescape", "tescapec"])
def test_dotdot_member_refused(krait, local_channel, base_env, name: str) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    failed(install(krait, base_env, local_channel.url, name, "tlib=2.0"))
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)
    escaped = [str(p) for p in krait.base.rglob(f"{name}-escaped.txt")]
    escaped += [str(p) for p in local_channel.root.rglob(f"{name}-escaped.txt")]
    assert not escaped, f"archive member escaped: {escaped}"
    assert not list(krait.pkgs_dir.glob(f"{name}-1.0-h0_0/share")), "unsafe archive left extracted in the cache"


def test_prefix_too_long_for_binary_placeholder(krait, local_channel, base_env) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    # tlib=2.0 would replace an installed package: a non-atomic installer unlinks 1.0 first.
    failed(install(krait, base_env, local_channel.url, "tpost", "tshortph", "tlib=2.0"), "placeholder", "too long")
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)


def test_prefix_too_long_on_create_creates_nothing(krait, local_channel) -> None:
    prefix = krait.prefix("short")
    failed(create(krait, prefix, local_channel.url, "tshortph"), "placeholder", "too long")
    assert not prefix.exists()


def test_prefix_longer_than_255_refused_for_tbin(krait, local_channel) -> None:
    deep = krait.base / ("d" * 200) / ("e" * 60)
    assert len(str(deep)) > len(pb.BINARY_PLACEHOLDER)
    failed(create(krait, deep, local_channel.url, "tbin"), "placeholder", "too long")
    assert not deep.exists()


def test_unsolvable_request_changes_nothing(krait, local_channel, base_env) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    failed(install(krait, base_env, local_channel.url, "no-such-package"), "no-such-package")
    failed(install(krait, base_env, local_channel.url, "tlib=9"), "tlib")
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)


def test_unreachable_channel_changes_nothing(krait, local_channel, base_env, http_channel) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    http_channel.fail["/noarch/repodata.json"] = 500
    failed(install(krait, base_env, http_channel.url, "tpost"))
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)


def test_archive_missing_on_server_changes_nothing(krait, local_channel, base_env, http_channel) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    http_channel.fail["/noarch/" + local_channel.fn("tpost")] = 404
    failed(install(krait, base_env, http_channel.url, "tpost"), "404", "not found")
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)


# ---- SIGKILL in the middle, then the next run recovers ------------------------------------

def _wait_for(path: Path, proc, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def test_sigkill_during_post_link_then_rerun_recovers(krait, local_channel, base_env) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    block = Path(str(base_env) + ".block")
    block.write_text("")
    proc = krait.popen("install", "-p", base_env, "-c", local_channel.url, "--override-channels", "-y", "tafter")
    try:
        reached = _wait_for(base_env / "share/tslow/started", proc)
        if not reached:
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"post-link never started (exit {proc.returncode})\n{out}\n{err}")
    finally:
        krait.kill_group(proc)
        block.unlink()
    # Whatever state the kill left, the next command must see a usable environment...
    listed = {p["name"] for p in krait.json("list", "-p", base_env)}
    assert {"tlib", "told"} <= listed
    # ...because the interrupted transaction was undone: the prefix is exactly what it
    # was (but for the marker the killed post-link script wrote itself).
    assert_tree_unchanged(before, base_env, LOCK_IGNORE + ["share/tslow/started", "share/tslow"])
    # ...and re-running the same request must finish it.
    ok(install(krait, base_env, local_channel.url, "tafter"))
    assert {"tlib", "told", "tslow", "tafter"} <= installed_names(base_env)
    assert_consistent(base_env, unowned_ok=["share/tslow/started"])


def test_sigkill_while_linking_many_files_then_rerun_recovers(krait, local_channel, base_env, tmp_path) -> None:
    before = tree_snapshot(base_env, LOCK_IGNORE)
    pause = Pause(tmp_path / "p.fifo")
    # stopped for certain after the 500th of 2000 files (pause hook), then killed there
    proc = krait.popen("install", "-p", base_env, "-c", local_channel.url, "--override-channels", "-y", "tmany",
                       env=pause.env("link-after", 500))
    try:
        assert pause.wait(proc), proc.communicate()
        assert len(list((base_env / "share/tmany").iterdir())) == 500
    finally:
        krait.kill_group(proc)
        pause.close()
    # The interrupted transaction must not look complete unless it is.
    recs = conda_meta_records(base_env)
    if "tmany" in recs:
        assert all((base_env / f).exists() for f in recs["tmany"]["files"])
    # The next command undoes it: not one of the files linked before the kill is left.
    krait.json("list", "-p", base_env)
    assert_tree_unchanged(before, base_env, LOCK_IGNORE)
    ok(install(krait, base_env, local_channel.url, "tmany"))
    assert len(list((base_env / "share/tmany").iterdir())) == 2000
    assert_consistent(base_env)


def test_sigkill_during_create_then_create_again(krait, local_channel) -> None:
    prefix = krait.prefix("killed")
    block = Path(str(prefix) + ".block")
    block.write_text("")
    proc = krait.popen("create", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tafter")
    try:
        assert _wait_for(prefix / "share/tslow/started", proc), "post-link never started"
    finally:
        krait.kill_group(proc)
        block.unlink()
    # Killed before the env was registered -> create again; after -> install into it.
    if (prefix / "conda-meta/history").exists():
        ok(install(krait, prefix, local_channel.url, "tafter"))
    else:
        ok(create(krait, prefix, local_channel.url, "tafter"))
    assert {"tslow", "tafter"} <= installed_names(prefix)
    assert_consistent(prefix, unowned_ok=["share/tslow/started"])
