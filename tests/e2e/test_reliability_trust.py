"""Nothing inside a prefix is trusted: a forged journal or conda-meta record never makes krait touch a
file outside the prefix (issue: `C ../x`, `T ../x N`, `B ../x 0` made even `krait list` destroy files)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from installcheck import LOCK_IGNORE, create, failed, installed_names, ok
from prefixtools import assert_tree_unchanged, tree_snapshot


VICTIM_TEXT = "someone else's file\n"


@pytest.fixture
def env_and_victim(krait, local_channel):
    prefix = krait.prefix("shared")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    outside = krait.base / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    return prefix, victim


def _write_journal(prefix: Path, text: str, mode: int = 0o600) -> Path:
    txn = prefix / "conda-meta" / ".krait-txn"
    (txn / "backup").mkdir(parents=True, exist_ok=True)
    journal = txn / "journal"
    journal.write_text(text)
    journal.chmod(mode)
    return journal


def _rel_to(prefix: Path, target: Path) -> str:
    return os.path.relpath(target, prefix)


@pytest.mark.parametrize("kind", ["create", "truncate", "backup", "absolute", "through-symlink", "bad-number",
                                  "not-an-entry"])
def test_forged_journal_is_refused_and_left_for_inspection(krait, local_channel, env_and_victim, kind: str) -> None:
    prefix, victim = env_and_victim
    rel = _rel_to(prefix, victim)  # ../../outside/victim.txt
    if kind == "through-symlink":
        (prefix / "share").mkdir(exist_ok=True)
        (prefix / "share" / "escape").symlink_to(victim.parent, target_is_directory=True)
    lines = {
        "create": f"C {rel}\n",
        "truncate": f"T {rel} 0\n",
        "backup": f"B {rel} 0\n",
        "absolute": f"C {victim}\n",
        "through-symlink": "C share/escape/victim.txt\n",
        "bad-number": "T lib/libtlib.so.1 ../7\n",
        "not-an-entry": "X whatever\n",
    }[kind]
    if kind == "backup":  # what a replay would move onto the victim
        (prefix / "conda-meta/.krait-txn/backup").mkdir(parents=True, exist_ok=True)
        (prefix / "conda-meta/.krait-txn/backup/0").write_text("overwritten\n")
    journal = _write_journal(prefix, lines)
    before = tree_snapshot(prefix, LOCK_IGNORE)
    for args in (["list", "-p", prefix], ["install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told"]):
        out = failed(krait(*args), "refusing to replay")
        assert str(journal) in out and "left untouched" in out
    assert victim.read_text() == VICTIM_TEXT
    assert journal.read_text() == lines, "the journal must stay for inspection"
    assert_tree_unchanged(before, prefix, LOCK_IGNORE)


def test_journal_others_could_write_is_refused(krait, env_and_victim) -> None:
    prefix, victim = env_and_victim
    journal = _write_journal(prefix, "C lib/libtlib.so.1\n", mode=0o666)
    failed(krait("list", "-p", prefix), "other users may write it")
    assert (prefix / "lib/libtlib.so.1").exists() and journal.exists()


def test_journal_through_a_symlinked_txn_dir_is_refused(krait, env_and_victim) -> None:
    prefix, victim = env_and_victim
    elsewhere = victim.parent / "txn"
    (elsewhere / "backup").mkdir(parents=True)
    (elsewhere / "journal").write_text("C lib/libtlib.so.1\n")
    (elsewhere / "journal").chmod(0o600)
    (prefix / "conda-meta" / ".krait-txn").symlink_to(elsewhere, target_is_directory=True)
    failed(krait("list", "-p", prefix), "not a directory")
    assert (prefix / "lib/libtlib.so.1").exists()


def _edit_record(prefix: Path, name: str, extra_path: str, keep_paths_data: bool) -> None:
    rec_path = next((prefix / "conda-meta").glob(f"{name}-*.json"))
    rec = json.loads(rec_path.read_text())
    rec["files"].append(extra_path)
    if keep_paths_data:
        rec["paths_data"]["paths"].append({"_path": extra_path, "path_type": "hardlink"})
    else:  # an old-style record: only the files list says what to delete
        rec.pop("paths_data", None)
    rec_path.write_text(json.dumps(rec))


@pytest.mark.parametrize("keep_paths_data", [True, False], ids=["paths_data", "files-only"])
@pytest.mark.parametrize("kind", ["dotdot", "absolute", "through-symlink"])
def test_forged_conda_meta_record_is_refused_by_remove(krait, local_channel, env_and_victim, kind: str,
                                                       keep_paths_data: bool) -> None:
    prefix, victim = env_and_victim
    if kind == "through-symlink":
        (prefix / "share").mkdir(exist_ok=True)
        (prefix / "share" / "escape").symlink_to(victim.parent, target_is_directory=True)
    bad = {"dotdot": _rel_to(prefix, victim), "absolute": str(victim),
           "through-symlink": "share/escape/victim.txt"}[kind]
    _edit_record(prefix, "tlib", bad, keep_paths_data)
    before = tree_snapshot(prefix, LOCK_IGNORE)
    out = failed(krait("remove", "-p", prefix, "-y", "tlib"), "outside the prefix", "normalized path", "unsafe path")
    assert "victim.txt" in out
    assert victim.read_text() == VICTIM_TEXT
    assert_tree_unchanged(before, prefix, LOCK_IGNORE)
    assert "tlib" in installed_names(prefix)
