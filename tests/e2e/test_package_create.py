"""`krait package create DIR` (.conda writer) and the krait recipe checked as far
as this machine allows: the recipe's install step into a scratch prefix, that
prefix made into a .conda by krait itself, read by Debian's cph, indexed with a
repodata.json written here (no `krait index` yet), installed with `krait create`,
and the recipe's test commands run against the installed binary."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

import pkgbuild as pb
from cli_helpers import write_channel
from installcheck import ok



def digest(path: Path, algo: str) -> str:
    return hashlib.new(algo, path.read_bytes()).hexdigest()


def test_package_create_layout_and_cph(krait, tmp_path) -> None:
    tree = tmp_path / "tree"
    (tree / "bin").mkdir(parents=True)
    (tree / "info").mkdir()
    (tree / "bin/hello").write_text("#!/bin/sh\necho hello\n")
    (tree / "bin/hello").chmod(0o755)
    (tree / "bin/hi").symlink_to("hello")
    (tree / "info/index.json").write_text(json.dumps({"name": "tpc", "version": "1.0", "build": "0",
                                                      "build_number": 0, "subdir": "noarch"}))
    out = tmp_path / "out"
    out.mkdir()
    proc = ok(krait("package", "create", "-o", out, tree))
    conda = out / "tpc-1.0-0.conda"
    assert proc.stdout.strip() == str(conda) and sorted(p.name for p in out.iterdir()) == [conda.name]
    with zipfile.ZipFile(conda) as z:
        assert [i.filename for i in z.infolist()] == ["metadata.json", "pkg-tpc-1.0-0.tar.zst",
                                                       "info-tpc-1.0-0.tar.zst"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        assert json.loads(z.read("metadata.json")) == {"conda_pkg_format_version": 2}
    paths = json.loads((tree / "info/paths.json").read_text())
    assert paths["paths_version"] == 1
    assert paths["paths"] == [
        {"_path": "bin/hello", "path_type": "hardlink", "sha256": digest(tree / "bin/hello", "sha256"),
         "size_in_bytes": 21},
        {"_path": "bin/hi", "path_type": "softlink"}]
    assert (tree / "info/files").read_text() == "bin/hello\nbin/hi\n"
    x = tmp_path / "x"
    subprocess.run(["cph", "x", str(conda), "--dest", str(x)], check=True, capture_output=True)
    assert (x / "bin/hello").read_bytes() == (tree / "bin/hello").read_bytes()
    assert (x / "bin/hello").stat().st_mode & 0o777 == 0o755
    assert (x / "bin/hi").is_symlink() and (x / "info/paths.json").is_file()
    proc = krait("package", "create", "-o", out, tmp_path / "no-such-tree")
    assert proc.returncode == 1 and "no-such-tree" in proc.stderr


def test_krait_recipe_package_installs_and_passes_its_tests(krait, krait_bin, source_dir, tmp_path) -> None:
    recipe = source_dir / "conda-recipes/krait"
    version = re.search(r'set version = "([^"]+)"', (recipe / "meta.yaml").read_text()).group(1)
    assert 'install -Dm755 build-conda/krait "$PREFIX/bin/krait"' in (recipe / "build.sh").read_text()
    # build.sh's install step, with the binary this test run builds as build-conda/krait
    prefix = tmp_path / "build-prefix"
    subprocess.run(["install", "-Dm755", str(krait_bin), str(prefix / "bin/krait")], check=True)
    (prefix / "info").mkdir()
    subdir = pb.native_subdir()
    index = {"name": "krait", "version": version, "build": "h0_0", "build_number": 0, "subdir": subdir,
             "depends": [], "license": "BSD-3-Clause"}
    (prefix / "info/index.json").write_text(json.dumps(index))
    chan = tmp_path / "channel"
    (chan / subdir).mkdir(parents=True)
    ok(krait("package", "create", "-o", chan / subdir, prefix))
    conda = chan / subdir / f"krait-{version}-h0_0.conda"
    write_channel(chan, {subdir: [dict(index, sha256=digest(conda, "sha256"), md5=digest(conda, "md5"),
                                       size=conda.stat().st_size)]})
    env = tmp_path / "env"
    ok(krait("create", "-p", env, "--override-channels", "-c", chan.as_uri(), "-y", "krait"))
    kb = env / "bin/krait"
    assert kb.read_bytes() == Path(krait_bin).read_bytes()

    def run(*args):
        return subprocess.run([str(kb), *map(str, args)], capture_output=True, text=True, env=krait.env,
                              cwd=tmp_path, timeout=300)
    # the recipe's test: commands (source_files: demo/channel)
    assert run("--version").stdout.strip() == version
    assert run("--help").returncode == 0
    demo = source_dir / "demo/channel"
    proc = run("create", "-p", "./t", "--override-channels", "-c", demo, "--dry-run", "--json", "krait-greet")
    assert proc.returncode == 0, proc.stderr
    proc = run("create", "-p", "./t", "--override-channels", "-c", demo, "-y", "krait-greet")
    assert proc.returncode == 0, proc.stderr
    hello = subprocess.run([str(tmp_path / "t/bin/krait-hello")], capture_output=True, text=True)
    assert hello.returncode == 0, hello.stderr
