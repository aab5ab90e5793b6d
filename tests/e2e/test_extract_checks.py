"""Extraction checks (issue 6): files are verified against info/paths.json
(sha256, size_in_bytes) while they are written, a lying package is refused
with nothing left behind, and a full disk is reported as such, naming where.

Packages are real archives built by pkgbuild (cph for honest ones,
build_raw for lying metadata); the full disk is a real 1 MiB tmpfs mounted in
a private mount namespace (unshare -m), so nothing outside the test sees it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import pkgbuild as pb
from installcheck import create, failed, ok
from prefixtools import conda_meta_records


def honest_package(name: str = "checked") -> pb.Package:
    pkg = pb.Package(name)
    pkg.add_text("share/checked/a.txt", "hello\n")
    pkg.add_file("share/checked/b.bin", bytes(range(256)) * 64)
    pkg.add_text("share/checked/empty.txt", "")
    return pkg


def lying_paths_json(pkg: pb.Package, path: str, **changes: object) -> bytes:
    doc = pkg.paths_json()
    for item in doc["paths"]:
        if item["_path"] == path:
            item.update(changes)
    return json.dumps(doc).encode()


@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
def test_honest_package_extracts(krait, tmp_path: Path, fmt: str) -> None:
    built = honest_package().make(tmp_path / "out", fmt)
    dest = tmp_path / "dest"
    ok(krait("package", "extract", built.path, dest))
    assert (dest / "share/checked/b.bin").read_bytes() == bytes(range(256)) * 64


@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
@pytest.mark.parametrize(
    "changes, words",
    [
        ({"sha256": "0" * 64}, ["sha256", "info/paths.json says " + "0" * 64]),
        ({"size_in_bytes": 7}, ["has 16384 bytes, but info/paths.json says 7"]),
        ({"_path": "share/checked/missing.bin"}, ["lists 'share/checked/missing.bin', which the archive does not contain"]),
    ],
    ids=["sha256", "size", "missing"],
)
def test_lying_paths_json_refused(krait, tmp_path: Path, fmt: str, changes: dict, words: list) -> None:
    pkg = honest_package()
    overrides = {"info/paths.json": lying_paths_json(pkg, "share/checked/b.bin", **changes)}
    built = pb.build_raw(pkg, tmp_path / "out", fmt, info_overrides=overrides)
    dest = tmp_path / "dest"
    out = failed(krait("package", "extract", built.path, dest), *words)
    assert built.fn in out
    assert not dest.exists()
    assert not [p for p in tmp_path.iterdir() if "krait-partial" in p.name], "partial tree left behind"


def test_lying_package_not_installed(krait, make_channel) -> None:
    channel = make_channel("lying")
    pkg = honest_package("liar")
    overrides = {"info/paths.json": lying_paths_json(pkg, "share/checked/a.txt", sha256="1" * 64)}
    channel.add_raw(pkg, ".conda", info_overrides=overrides)
    channel.add(honest_package("honest"))
    channel.write()
    prefix = krait.prefix("env")
    failed(create(krait, prefix, channel.url, "liar"), "info/paths.json says " + "1" * 64)
    assert not conda_meta_records(prefix) if prefix.exists() else True
    assert not list(Path(krait.pkgs_dir).glob("liar-*/info")), "the lying package stayed in the cache"
    ok(create(krait, krait.prefix("other"), channel.url, "honest"))


def can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def test_disk_full_names_the_disk_and_the_place(krait, tmp_path: Path) -> None:
    if not can_mount_tmpfs():
        # CI runs as root on a machine that allows private mounts; elsewhere say so
        if os.environ.get("CI") or os.environ.get("KRAIT_REQUIRE_MOUNTS"):
            pytest.fail("cannot mount a tmpfs in a private namespace (unshare -m)")
        pytest.skip("cannot mount a tmpfs in a private namespace (unshare -m); CI requires it")
    pkg = pb.Package("big")
    pkg.add_file("share/big/blob.bin", os.urandom(3 * 1024 * 1024))  # incompressible: 3 MiB on a 1 MiB disk
    built = pkg.make(tmp_path / "out", ".conda")
    small = tmp_path / "small"
    small.mkdir()
    script = (
        'mount -t tmpfs -o size=1m tmpfs "$1" && "$2" package extract "$3" "$1/pkgs/big" ; rc=$?; '
        'ls -A "$1/pkgs"; exit $rc'
    )
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(small), str(krait.binary), str(built.path)],
                          capture_output=True, text=True, env=krait.env, timeout=120)
    out = failed(proc, "the disk is full")
    assert str(small / "pkgs" / "big") in out, out  # where: the partial tree beside the destination
    assert "share/big/blob.bin" in out
    assert "krait-partial" not in proc.stdout, "partial tree left on the full disk: " + proc.stdout
