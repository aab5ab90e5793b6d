"""Assertions shared by the installer tests (tests/e2e/test_install_*.py)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Iterable, List

from conftest import Krait, describe
from prefixtools import conda_meta_records, files_under

# Lock files may legitimately appear (and stay) after any run, even a failed one.
LOCK_IGNORE = ["*lock*"]


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, describe(proc)
    return proc


def failed(proc: subprocess.CompletedProcess, *words: str) -> str:
    """Assert a clean failure: non-zero exit, no crash, and (if given) one of `words` in the output."""
    assert proc.returncode != 0, "expected failure\n" + describe(proc)
    assert proc.returncode > 0 and proc.returncode < 128, "crashed\n" + describe(proc)
    output = (proc.stdout + proc.stderr).lower()
    assert "addresssanitizer" not in output and "runtime error" not in output, describe(proc)
    if words:
        assert any(w.lower() in output for w in words), f"none of {words} in output\n{describe(proc)}"
    return output


def create(k: Krait, prefix: Path, channel_url: str, *specs: str, extra: Iterable[str] = ()) -> subprocess.CompletedProcess:
    return k("create", "-p", prefix, "-c", channel_url, "--override-channels", "-y", *extra, *specs)


def install(k: Krait, prefix: Path, channel_url: str, *specs: str) -> subprocess.CompletedProcess:
    return k("install", "-p", prefix, "-c", channel_url, "--override-channels", "-y", *specs)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assert_consistent(prefix: Path, unowned_ok: Iterable[str] = ()) -> None:
    """conda-meta and the files on disk agree.

    - one record per package name;
    - every file a record lists exists (lexists: softlinks may dangle);
    - every file in the prefix outside conda-meta/ belongs to a record, except
      `unowned_ok` (files made by post-link scripts, .messages.txt) and lock files.
    """
    prefix = Path(prefix)
    meta = prefix / "conda-meta"
    assert (meta / "history").is_file(), "conda-meta/history missing"
    names: List[str] = []
    owned = set()
    for p in meta.glob("*.json"):
        rec = json.loads(p.read_text())
        assert p.name == f"{rec['name']}-{rec['version']}-{rec['build']}.json", p.name
        names.append(rec["name"])
        for f in rec.get("files", []):
            owned.add(f)
            assert os.path.lexists(prefix / f), f"{rec['name']} lists {f} but it is missing"
    assert len(names) == len(set(names)), f"duplicate records: {sorted(names)}"
    allowed = set(unowned_ok) | {".messages.txt"}
    stray = [f for f in files_under(prefix)
             if not f.startswith("conda-meta/") and f not in owned and f not in allowed and "lock" not in f]
    assert not stray, f"files no package owns (leftovers?): {stray[:20]}"


def installed_names(prefix: Path) -> set:
    return set(conda_meta_records(prefix))
