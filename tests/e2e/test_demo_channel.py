"""The embedded demo channel (demo/channel) is valid, current, and does what the README says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import pkgbuild as pb
from installcheck import ok
from prefixtools import tree_snapshot

NAMES = {"krait-hello-1.0-0.tar.bz2", "krait-greet-1.0-0.conda"}


@pytest.fixture
def demo_channel(source_dir: Path) -> Path:
    path = source_dir / "demo" / "channel"
    if not (path / "noarch" / "repodata.json").is_file():
        pytest.fail(f"{path} is missing: it is committed to the repo (rebuild: demo/build-demo-channel.sh)")
    return path


def _records(channel: Path):
    for subdir_json in sorted(channel.glob("*/repodata.json")):
        repodata = json.loads(subdir_json.read_text())
        assert repodata["info"]["subdir"] == subdir_json.parent.name
        for key in ("packages", "packages.conda"):
            for fn, rec in repodata[key].items():
                yield subdir_json.parent, key, fn, rec


def test_demo_repodata_matches_archives(demo_channel: Path) -> None:
    seen = set()
    for subdir, key, fn, rec in _records(demo_channel):
        assert fn.endswith(".conda") == (key == "packages.conda")
        d = pb.file_digests(subdir / fn)
        assert (d["md5"], d["sha256"], d["size"]) == (rec["md5"], rec["sha256"], rec["size"]), fn
        seen.add(fn)
    assert seen == NAMES
    for platform in ("linux-64", "linux-aarch64", "osx-arm64"):
        assert (demo_channel / platform / "repodata.json").is_file()
    total = sum(p.stat().st_size for p in demo_channel.rglob("*") if p.is_file())
    assert total < 100_000, f"demo channel grew to {total} bytes"


def _extract(archive: Path, dest: Path) -> Path:
    proc = subprocess.run(["cph", "x", str(archive), "--dest", str(dest)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return dest


def _install_by_hand(channel: Path, prefix: Path, tmp: Path) -> None:
    """What an installer does for these two packages: copy payload, replace text placeholders."""
    for fn in sorted(NAMES):
        root = _extract(channel / "noarch" / fn, tmp / fn)
        paths = json.loads((root / "info/paths.json").read_text())["paths"]
        for item in paths:
            src, dst = root / item["_path"], prefix / item["_path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            if item.get("prefix_placeholder"):
                assert item["file_mode"] == "text"
                dst.write_text(dst.read_text().replace(item["prefix_placeholder"], str(prefix)))


def test_demo_programs_work_once_installed(demo_channel: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "demo-env"
    _install_by_hand(demo_channel, prefix, tmp_path / "x")
    hello = subprocess.run([str(prefix / "bin/krait-hello")], capture_output=True, text=True, check=True)
    assert hello.stdout == f"hello from {prefix}\n"
    greet = subprocess.run([str(prefix / "bin/krait-greet"), "krait"], capture_output=True, text=True, check=True)
    assert greet.stdout == f"greetings, krait\nhello from {prefix}\n"


def test_demo_greet_depends_on_hello(demo_channel: Path) -> None:
    recs = {rec["name"]: rec for _s, _k, _fn, rec in _records(demo_channel)}
    assert recs["krait-greet"]["depends"] == ["krait-hello >=1.0"]
    assert recs["krait-hello"]["noarch"] == recs["krait-greet"]["noarch"] == "generic"


def test_committed_demo_channel_is_current(demo_channel: Path, source_dir: Path, tmp_path: Path) -> None:
    """Rebuilding from demo/build-demo-channel.sh gives the same packages (contents and metadata)."""
    out = tmp_path / "rebuilt"
    proc = subprocess.run(["bash", str(source_dir / "demo/build-demo-channel.sh"), "--force", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    committed = {fn: rec for _s, _k, fn, rec in _records(demo_channel)}
    rebuilt = {fn: rec for _s, _k, fn, rec in _records(out)}
    assert committed.keys() == rebuilt.keys()
    digest_keys = {"md5", "sha256", "size"}  # tar owner names may differ between machines
    for fn in committed:
        assert {k: v for k, v in committed[fn].items() if k not in digest_keys} == \
            {k: v for k, v in rebuilt[fn].items() if k not in digest_keys}, fn
        a = _extract(demo_channel / "noarch" / fn, tmp_path / "a" / fn)
        b = _extract(out / "noarch" / fn, tmp_path / "b" / fn)
        assert tree_snapshot(a) == tree_snapshot(b), fn


def test_demo_dry_run(krait, demo_channel: Path) -> None:
    prefix = krait.prefix("demo")
    proc = krait("create", "-p", prefix, "-c", demo_channel, "--override-channels", "krait-greet", "--dry-run",
                 "--json")
    ok(proc)
    out = json.loads(proc.stdout)
    assert out["dry_run"] is True
    assert {p["name"] for p in out["actions"]["LINK"]} == {"krait-greet", "krait-hello"}
    assert not prefix.exists()


def test_demo_install_for_real(krait, demo_channel: Path) -> None:
    prefix = krait.prefix("demo")
    ok(krait("create", "-p", prefix, "-c", demo_channel, "--override-channels", "-y", "krait-greet"))
    out = subprocess.run([str(prefix / "bin/krait-hello")], capture_output=True, text=True, check=True).stdout
    assert out == f"hello from {prefix}\n"


def test_run_sh_with_this_binary(krait_bin: Path, source_dir: Path, tmp_path: Path) -> None:
    """demo/run.sh steps 3-4 with the binary under test (build steps skipped via KRAIT_DEMO_BIN)."""
    prefix = tmp_path / "demo-env"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "KRAIT_"))}
    env.update(KRAIT_DEMO_BIN=str(krait_bin), KRAIT_DEMO_PREFIX=str(prefix), KRAIT_DEMO_STATE=str(tmp_path / "st"),
               HOME=str(tmp_path))
    for _run in range(2):  # idempotent: the second run replaces the env it made
        proc = subprocess.run(["bash", str(source_dir / "demo/run.sh")], capture_output=True, text=True, env=env,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"hello from {prefix}\n" in proc.stdout
    # It refuses to clobber a directory that is not an env.
    other = tmp_path / "not-an-env"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    env["KRAIT_DEMO_PREFIX"] = str(other)
    proc = subprocess.run(["bash", str(source_dir / "demo/run.sh")], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and (other / "keep.txt").read_text() == "mine"
