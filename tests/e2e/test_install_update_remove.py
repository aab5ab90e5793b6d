"""`krait install` into an existing env, upgrades, `krait remove`, noarch python.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from installcheck import LOCK_IGNORE, assert_consistent, create, install, installed_names, ok
from prefixtools import assert_tree_unchanged, conda_meta_records, history_lines, tree_snapshot
from testchannel import PY_VER

def test_install_adds_to_existing_env(krait, local_channel) -> None:
    prefix = krait.prefix("env")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    assert installed_names(prefix) == {"tlib"}
    ok(install(krait, prefix, local_channel.url, "told"))
    assert installed_names(prefix) == {"tlib", "told"}
    assert conda_meta_records(prefix)["tlib"]["version"] == "1.0"  # untouched by an unrelated install
    assert_consistent(prefix)
    assert sum(1 for line in history_lines(prefix) if line.startswith("==> ")) == 2


def test_upgrade_replaces_files(krait, local_channel) -> None:
    prefix = krait.prefix("env")
    ok(create(krait, prefix, local_channel.url, "tlib=1.0"))
    assert (prefix / "share/tlib/only-in-1.0.txt").is_file()
    ok(install(krait, prefix, local_channel.url, "tlib=2.0"))
    assert not (prefix / "share/tlib/only-in-1.0.txt").exists()
    assert (prefix / "share/tlib/only-in-2.0.txt").is_file()
    assert (prefix / "lib/libtlib.so.1").read_text() == "not really a library, version 2.0\n"
    assert [r["version"] for r in conda_meta_records(prefix).values()] == ["2.0"]
    assert not list((prefix / "conda-meta").glob("tlib-1.0-*.json"))
    lines = history_lines(prefix)
    assert any(line.startswith("-") and line.endswith("::tlib-1.0-h0_0") for line in lines)
    assert any(line.startswith("+") and line.endswith("::tlib-2.0-h0_0") for line in lines)
    assert_consistent(prefix)


def test_remove_deletes_files_and_record(krait, local_channel) -> None:
    prefix = krait.prefix("env")
    ok(create(krait, prefix, local_channel.url, "tbin", "told"))
    ok(krait("remove", "-p", prefix, "-y", "told"))
    assert installed_names(prefix) == {"tbin", "tlib"}
    assert not (prefix / "etc/told.conf").exists() and not (prefix / "share/told").exists()
    assert any(line.startswith("-") and line.endswith("::told-1.0-h0_0") for line in history_lines(prefix))
    assert_consistent(prefix)
    # The cache is untouched by remove: a later install links again without fetching.
    assert list(krait.pkgs_dir.glob("told-1.0-h0_0*"))


def test_remove_dependency_removes_dependents(krait, local_channel) -> None:
    prefix = krait.prefix("env")
    ok(create(krait, prefix, local_channel.url, "tbin"))
    ok(krait("remove", "-p", prefix, "-y", "tlib"))
    assert installed_names(prefix) == set()
    assert not (prefix / "bin/tbin").exists()
    assert (prefix / "conda-meta/history").is_file()  # still an environment, just empty


def test_remove_not_installed_changes_nothing(krait, local_channel) -> None:
    prefix = krait.prefix("env")
    ok(create(krait, prefix, local_channel.url, "tlib"))
    before = tree_snapshot(prefix, LOCK_IGNORE)
    proc = krait("remove", "-p", prefix, "-y", "told")
    # conda errors (PackagesNotFoundError); some tools say "nothing to do" and exit 0. Either way:
    # no crash, a message naming the package, and an untouched prefix.
    assert 0 <= proc.returncode < 128, proc.stderr
    assert "told" in proc.stdout + proc.stderr
    assert_tree_unchanged(before, prefix, LOCK_IGNORE)


def test_list_after_remove(krait, local_channel) -> None:
    prefix = krait.prefix("env")
    ok(create(krait, prefix, local_channel.url, "tlib", "told"))
    ok(krait("remove", "-p", prefix, "-y", "told"))
    assert {p["name"] for p in krait.json("list", "-p", prefix)} == {"tlib"}


# ---- noarch: python ------------------------------------------------------------------------

@pytest.fixture
def py_env(krait, local_channel) -> Path:
    prefix = krait.prefix("py")
    ok(create(krait, prefix, local_channel.url, "tpyapp"))
    return prefix


def test_noarch_python_layout_and_entry_point(py_env) -> None:
    assert {"python", "pip", "tpyapp"} <= installed_names(py_env)
    site = py_env / f"lib/python{PY_VER}/site-packages"
    assert (site / "tpyapp/cli.py").is_file()
    assert not (py_env / "site-packages").exists()
    entry = py_env / "bin/tpyapp"
    head = entry.read_text().splitlines()[:3]
    # A shebang to the env's python, or a /bin/sh trampoline when that would exceed 127 bytes.
    assert head[0].startswith("#!") and any(str(py_env) in line for line in head), head
    proc = subprocess.run([str(entry)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("tpyapp ok ")
    tool = py_env / "bin/tpyapp-tool"  # python-scripts/ -> bin/
    assert tool.is_file() and not (py_env / "python-scripts").exists()


def test_noarch_python_files_recorded_and_compiled(py_env) -> None:
    rec = conda_meta_records(py_env)["tpyapp"]
    files = set(rec["files"])
    assert f"lib/python{PY_VER}/site-packages/tpyapp/cli.py" in files
    assert "bin/tpyapp" in files and "bin/tpyapp-tool" in files
    pycs = [f for f in files if f.endswith(".pyc")]
    assert pycs, "no .pyc recorded"
    for f in pycs:
        assert (py_env / f).is_file(), f
    assert_consistent(py_env)


def test_remove_noarch_python_removes_generated_files(py_env, krait) -> None:
    # python was only pulled in by tpyapp: like micromamba (prune), remove takes
    # it and pip along; what history says the user asked for would stay.
    ok(krait("remove", "-p", py_env, "-y", "tpyapp"))
    assert not (py_env / "bin/tpyapp").exists()
    assert not (py_env / f"lib/python{PY_VER}/site-packages/tpyapp").exists()
    assert installed_names(py_env) == set()
    assert (py_env / "conda-meta").is_dir()  # the prefix itself stays, so the search below looks somewhere
    leftovers = [str(p.relative_to(py_env)) for p in py_env.rglob("*.pyc")]
    assert leftovers == [], leftovers
    assert_consistent(py_env)


def test_remove_keeps_requested_dependencies(krait, local_channel) -> None:
    prefix = krait.prefix("py2")
    ok(create(krait, prefix, local_channel.url, "python", "tpyapp"))
    ok(krait("remove", "-p", prefix, "-y", "tpyapp"))
    names = installed_names(prefix)
    assert "tpyapp" not in names and "python" in names, names
    assert_consistent(prefix)


def test_remove_no_prune_keeps_dependencies(krait, local_channel) -> None:
    # conda's remove: the package goes, what it pulled in stays
    prefix = krait.prefix("py3")
    ok(create(krait, prefix, local_channel.url, "tpyapp"))
    ok(krait("remove", "-p", prefix, "-y", "--no-prune", "tpyapp"))
    names = installed_names(prefix)
    assert "tpyapp" not in names and {"python", "pip"} <= names, names
    assert_consistent(prefix)
