"""`krait package create DIR` (.conda writer) and the krait recipe checked as far
as this machine allows: the recipe's build.sh run into a scratch host prefix of
Debian's libraries (without libsquashfs, as on conda-forge), what it installed
made into a .conda by krait itself, indexed with `krait index`, installed with
`krait create`, and the recipe's test commands run against the installed binary."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import pkgbuild as pb
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


def recipe_test_commands(meta_yaml: str) -> list[str]:
    """The `test: commands:` of the recipe, in order."""
    lines = meta_yaml.splitlines()
    start = lines.index("test:")
    cmds, inside = [], False
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        if line.strip() == "commands:":
            inside = True
        elif inside and line.startswith("    - "):
            cmds.append(line[6:])
        elif inside:
            inside = False
    return cmds


def scratch_host_prefix(prefix: Path) -> None:
    """A conda-build host env made of Debian's libraries: libsolv (with conda
    support) and yyjson from this build's .deps, linked into PREFIX as
    conda-forge's libsolv-static and yyjson lay them out; curl, openssl,
    libarchive, zstd, yaml, msgpack-c found by pkg-config from Debian."""
    solv = Path(os.environ["KRAIT_LIBSOLV_PREFIX"])
    yy = Path(os.environ["KRAIT_YYJSON_PREFIX"])
    (prefix / "include").mkdir(parents=True)
    (prefix / "lib").mkdir()
    (prefix / "include/solv").symlink_to(solv / "include/solv")
    (prefix / "include/yyjson.h").symlink_to(yy / "include/yyjson.h")
    for lib in (solv / "lib/libsolv.a", solv / "lib/libsolvext.a", yy / "lib/libyyjson.a"):
        (prefix / "lib" / lib.name).symlink_to(lib)


def test_krait_recipe_builds_installs_and_passes_its_tests(krait, source_dir, tmp_path) -> None:
    """conda-recipes/krait/build.sh run as conda-build runs it (PREFIX, SRC_DIR,
    CPU_COUNT, CMAKE_ARGS; a copy of the source tree), without libsquashfs as
    on conda-forge; what it installs made into a .conda by krait, indexed by
    krait index, installed by krait create, and the recipe's test commands run
    with the installed krait first on PATH."""
    recipe = source_dir / "conda-recipes/krait"
    meta = (recipe / "meta.yaml").read_text()
    version = re.search(r'set version = "([^"]+)"', meta).group(1)
    src = tmp_path / "src"
    def ignore(d: str, names: list[str]) -> set[str]:  # build trees, caches, git
        top = Path(d) == source_dir
        return {n for n in names if n == "__pycache__" or
                (top and (n in (".git", ".deps") or (n.startswith("build") and (Path(d) / n).is_dir())))}
    shutil.copytree(source_dir, src, symlinks=True, ignore=ignore)
    prefix = tmp_path / "host"
    scratch_host_prefix(prefix)
    cmake_args = f"-DCMAKE_INSTALL_PREFIX={prefix} -DCMAKE_INSTALL_LIBDIR=lib"
    if os.environ.get("KRAIT_SANITIZE_BUILD") == "ON":  # this suite's libsolv is ASan/UBSan-instrumented
        cmake_args += " -DKRAIT_SANITIZE=ON"
    env = dict(os.environ, PREFIX=str(prefix), SRC_DIR=str(src), CPU_COUNT=str(os.cpu_count() or 1),
               CMAKE_ARGS=cmake_args)
    proc = subprocess.run(["bash", str(src / "conda-recipes/krait/build.sh")], cwd=src, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "krait pack squashfs: OFF" in proc.stdout
    built = prefix / "bin/krait"
    assert built.is_file() and os.access(built, os.X_OK)
    # the package: what build.sh installed (conda-build's new files in PREFIX)
    pkg = tmp_path / "pkg"
    subprocess.run(["install", "-Dm755", str(built), str(pkg / "bin/krait")], check=True)
    (pkg / "info").mkdir()
    subdir = pb.native_subdir()
    index = {"name": "krait", "version": version, "build": "h0_0", "build_number": 0, "subdir": subdir,
             "depends": [], "license": "BSD-3-Clause"}
    (pkg / "info/index.json").write_text(json.dumps(index))
    chan = tmp_path / "channel"
    (chan / subdir).mkdir(parents=True)
    ok(krait("package", "create", "-o", chan / subdir, pkg))
    ok(krait("index", chan))
    repodata = json.loads((chan / subdir / "repodata.json").read_text())
    assert list(repodata["packages.conda"]) == [f"krait-{version}-h0_0.conda"]
    target = tmp_path / "env"
    ok(krait("create", "-p", target, "--override-channels", "-c", chan.as_uri(), "-y", "krait"))
    kb = target / "bin/krait"
    assert kb.read_bytes() == built.read_bytes()
    # the recipe's test: (source_files: demo/channel), in a fresh directory
    work = tmp_path / "test"
    shutil.copytree(source_dir / "demo/channel", work / "demo/channel")
    cmds = recipe_test_commands(meta)
    assert cmds[0] == "krait --version" and any("squashfs" in c for c in cmds)
    test_env = dict(krait.env, PATH=f"{target / 'bin'}:{os.environ['PATH']}")
    for cmd in cmds:
        proc = subprocess.run(["bash", "-eu", "-c", cmd], cwd=work, env=test_env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{cmd}: {proc.stdout}{proc.stderr}"
    # without squashfs support: one clear line, nothing written; tar formats work
    proc = subprocess.run([str(kb), "pack", "-p", "t", "-o", "t2.sqsh"], cwd=work, env=test_env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "built without squashfs support" in proc.stderr and "--format tar.zst" in proc.stderr
    assert not (work / "t2.sqsh").exists()
    assert (work / "t.tar.zst").stat().st_size > 0
    listing = subprocess.run(["bsdtar", "-tf", str(work / "t.tar.zst")], capture_output=True, text=True,
                             check=True).stdout.split()
    assert "bin/krait-hello" in listing
