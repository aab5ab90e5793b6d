"""Inspect prefixes and caches: tree snapshots, inode sharing, conda-meta records."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Dict, Iterable, List, Tuple, Union

PathLike = Union[str, os.PathLike]


def tree_snapshot(root: PathLike, ignore: Iterable[str] = ()) -> Dict[str, Tuple[str, int, str]]:
    """Every path under root -> (kind, permission bits, sha256 of content | symlink target).

    Symlinks are not followed.  `ignore` holds fnmatch patterns on the relative path
    (e.g. "conda-meta/*.lock").  A missing root snapshots as {} so "the prefix was not
    created" compares equal to "the prefix did not exist before".
    """
    root = Path(root)
    patterns = list(ignore)
    snap: Dict[str, Tuple[str, int, str]] = {}
    if not os.path.lexists(root):
        return snap
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if any(fnmatch.fnmatch(rel, p) for p in patterns):
                continue
            st = os.lstat(full)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("symlink", 0, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", perm, "")
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    snap[rel] = ("file", perm, hashlib.sha256(f.read()).hexdigest())
            else:
                snap[rel] = ("other", perm, "")
    return snap


def tree_hash(root: PathLike, ignore: Iterable[str] = ()) -> str:
    """One digest over tree_snapshot(): equal iff paths, modes, contents and link targets are."""
    h = hashlib.sha256()
    for rel, (kind, perm, digest) in sorted(tree_snapshot(root, ignore).items()):
        h.update(f"{rel}\0{kind}\0{perm:o}\0{digest}\n".encode())
    return h.hexdigest()


def tree_diff(before: Dict[str, tuple], after: Dict[str, tuple]) -> List[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    out = []
    for rel in sorted(set(before) | set(after)):
        if rel not in after:
            out.append(f"removed: {rel}")
        elif rel not in before:
            out.append(f"added:   {rel} ({after[rel][0]})")
        elif before[rel] != after[rel]:
            out.append(f"changed: {rel} {before[rel]} -> {after[rel]}")
    return out


def assert_tree_unchanged(before: Dict[str, tuple], root: PathLike, ignore: Iterable[str] = ()) -> None:
    diff = tree_diff(before, tree_snapshot(root, ignore))
    assert not diff, f"{root} changed:\n  " + "\n  ".join(diff[:50])


def inode(path: PathLike) -> Tuple[int, int]:
    """(device, inode) of the path itself (symlinks not followed)."""
    st = os.lstat(path)
    return (st.st_dev, st.st_ino)


def same_inode(a: PathLike, b: PathLike) -> bool:
    return inode(a) == inode(b)


def link_count(path: PathLike) -> int:
    return os.lstat(path).st_nlink


def files_under(root: PathLike) -> List[str]:
    """Relative paths of non-directories under root, sorted."""
    root = Path(root)
    out = []
    for dirpath, _dirs, filenames in os.walk(root):
        for name in filenames:
            out.append(os.path.relpath(os.path.join(dirpath, name), root))
    # os.walk lists symlinks to directories among dirs; count them as entries too.
    for dirpath, dirs, _files in os.walk(root):
        for name in dirs:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                out.append(os.path.relpath(full, root))
    return sorted(out)


def conda_meta_records(prefix: PathLike) -> Dict[str, dict]:
    """name -> parsed conda-meta/<name>-<ver>-<build>.json of an installed prefix."""
    meta = Path(prefix) / "conda-meta"
    records = {}
    if not meta.is_dir():
        return records
    for p in sorted(meta.glob("*.json")):
        rec = json.loads(p.read_text())
        if isinstance(rec, dict) and "name" in rec:
            records[rec["name"]] = dict(rec, _meta_file=p.name)
    return records


def history_lines(prefix: PathLike) -> List[str]:
    path = Path(prefix) / "conda-meta" / "history"
    return path.read_text().splitlines() if path.exists() else []


def owned_paths(prefix: PathLike) -> Dict[str, str]:
    """path -> package name for every file recorded in conda-meta (the 'files' lists)."""
    owners = {}
    for name, rec in conda_meta_records(prefix).items():
        for f in rec.get("files", []):
            owners[f] = name
    return owners
