"""Helpers for the CLI end-to-end tests (test_cli_*.py): run the real krait
binary in an isolated home, and write tiny file:// channels (repodata.json
only: enough for --dry-run and search, no archives needed)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import pytest

SOURCE_DIR = Path(os.environ.get("KRAIT_SOURCE_DIR") or Path(__file__).resolve().parents[2])

# micromamba's record keys in a --json transaction (shared/data/cli-json/conda-lock-fixtures)
MICROMAMBA_RECORD_KEYS = {
    "build", "build_number", "build_string", "channel", "constrains", "depends", "fn", "license", "md5",
    "name", "sha256", "size", "subdir", "timestamp", "track_features", "url", "version",
}


def binary() -> Path:
    env = os.environ.get("KRAIT_BIN")
    path = (Path(env) if env else SOURCE_DIR / "build" / "krait").resolve()
    if not path.exists():
        pytest.skip(f"krait binary not found at {path}: set KRAIT_BIN")
    return path


def shared_data() -> Path:
    root = os.environ.get("KRAIT_SHARED_DIR")
    if not root or not (Path(root) / "data").is_dir():
        pytest.skip("shared data absent (KRAIT_SHARED_DIR not set or has no data/)")
    return Path(root) / "data"


class Runner:
    """krait with HOME, root prefix, package cache and config under `base`,
    and no CONDA_*/MAMBA_*/KRAIT_* variable of the caller leaking in."""

    def __init__(self, base: Path):
        self.base = base
        self.home = base / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.root = base / "root"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("CONDA", "MAMBA", "KRAIT_", "XDG_"))}
        self.env.update({
            "HOME": str(self.home),
            "KRAIT_ROOT_PREFIX": str(self.root),
            "CONDA_PKGS_DIRS": str(base / "pkgs"),
            "LC_ALL": "C.UTF-8",
        })

    def __call__(self, *args, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        full = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = v
        return subprocess.run([str(binary())] + [str(a) for a in args], env=full, capture_output=True,
                              text=True, timeout=300, cwd=self.base)

    def ok(self, *args, **kw) -> subprocess.CompletedProcess:
        proc = self(*args, **kw)
        assert proc.returncode == 0, describe(proc)
        return proc

    def json(self, *args, **kw):
        proc = self.ok(*args, "--json", **kw)
        return parse_json(proc)


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"argv: {proc.args}\nexit: {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


def parse_json(proc: subprocess.CompletedProcess):
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"stdout is not JSON: {e}\n{describe(proc)}") from None


def record(name: str, version: str, build: str = "h0_0", build_number: int = 0, depends: Iterable[str] = (),
           subdir: str = "linux-64", ext: str = ".conda", **extra) -> dict:
    fn = f"{name}-{version}-{build}{ext}"
    digest = hashlib.sha256(fn.encode()).hexdigest()
    rec = {
        "name": name, "version": version, "build": build, "build_number": build_number,
        "depends": list(depends), "subdir": subdir, "size": 1000 + len(fn),
        "md5": hashlib.md5(fn.encode()).hexdigest(), "sha256": digest, "timestamp": 1700000000000,
        "license": "MIT",
    }
    rec.update(extra)
    return rec


def write_channel(root: Path, subdirs: Dict[str, List[dict]]) -> Path:
    """A channel directory with one repodata.json per subdir; returns root."""
    for subdir, records in subdirs.items():
        d = root / subdir
        d.mkdir(parents=True, exist_ok=True)
        packages, conda = {}, {}
        for r in records:
            r = dict(r, subdir=subdir)
            fn = f"{r['name']}-{r['version']}-{r['build']}"
            if r.pop("_tarbz2", False):
                packages[fn + ".tar.bz2"] = r
            else:
                conda[fn + ".conda"] = r
        (d / "repodata.json").write_text(json.dumps({
            "info": {"subdir": subdir}, "packages": packages, "packages.conda": conda,
            "removed": [], "repodata_version": 1}, indent=1))
    if "noarch" not in subdirs:
        write_channel(root, {"noarch": []})
    return root


def small_channel(tmp: Path) -> Path:
    """zlib/libzlib (2 versions), a python-less app depending on zlib, and a
    noarch package: the shape of a real solve without any archive."""
    return write_channel(tmp / "chan", {
        "linux-64": [
            record("libzlib", "1.3.1", "h4ab18f5_1", 1),
            record("libzlib", "1.3.2", "h25fd6f3_2", 2),
            record("zlib", "1.3.2", "h25fd6f3_2", 2, depends=["libzlib 1.3.2 h25fd6f3_2"]),
            record("app", "1.0", "h0_0", 0, depends=["zlib >=1.3", "data"]),
            record("app", "2.0", "h0_0", 0, depends=["zlib >=1.3", "data", "missing-thing"]),
        ],
        "noarch": [record("data", "0.5", "pyh_0", 0, noarch="generic")],
    })
