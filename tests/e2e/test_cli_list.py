"""krait list: table, --json (micromamba keys), --explicit --md5, regex filter."""

from __future__ import annotations

import json

import pytest

from cli_helpers import Runner, describe, parse_json


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path)


def make_env(prefix, records):
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (meta / "history").write_text("")
    for name, version, build, md5 in records:
        fn = f"{name}-{version}-{build}.conda"
        rec = {"name": name, "version": version, "build": build, "build_number": 0, "subdir": "linux-64",
               "channel": "https://conda.anaconda.org/conda-forge", "fn": fn, "md5": md5, "depends": [],
               "url": f"https://conda.anaconda.org/conda-forge/linux-64/{fn}", "files": []}
        (meta / f"{name}-{version}-{build}.json").write_text(json.dumps(rec))
    return prefix


RECORDS = [("zlib", "1.3.1", "h0_0", "a" * 32), ("libzlib", "1.3.1", "h1_1", "b" * 32), ("python", "3.12.1", "h2_0",
                                                                                            "c" * 32)]


def test_list_json(run):
    prefix = make_env(run.base / "env", RECORDS)
    listed = run.json("list", "-p", prefix)
    assert [p["name"] for p in listed] == ["libzlib", "python", "zlib"]
    z = listed[2]
    assert z["version"] == "1.3.1" and z["build_string"] == "h0_0" and z["channel"] == "conda-forge"
    assert z["dist_name"] == "zlib-1.3.1-h0_0" and z["platform"] == "linux-64"


def test_list_human_and_regex(run):
    prefix = make_env(run.base / "env", RECORDS)
    out = run.ok("list", "-p", prefix).stdout
    assert str(prefix) in out and "python" in out and "3.12.1" in out
    listed = run.json("list", "-p", prefix, "zlib$")
    assert [p["name"] for p in listed] == ["libzlib", "zlib"]


def test_list_explicit_md5(run):
    prefix = make_env(run.base / "env", RECORDS)
    lines = run.ok("list", "-p", prefix, "--explicit", "--md5").stdout.splitlines()
    assert "@EXPLICIT" in lines
    urls = [line for line in lines if "://" in line]
    assert "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-h0_0.conda#" + "a" * 32 in urls
    assert len(urls) == 3
    plain = run.ok("list", "-p", prefix, "--explicit").stdout
    assert "#" + "a" * 32 not in plain


def test_list_not_an_env(run):
    proc = run("list", "-p", run.base / "nothing")
    assert proc.returncode == 1 and proc.stderr.startswith("krait: error: ") and "not an environment" in proc.stderr


def test_list_by_name(run):
    envs = run.base / "envs"
    make_env(envs / "work", RECORDS[:1])
    listed = run.json("list", "-n", "work", env={"CONDA_ENVS_DIRS": str(envs)})
    assert [p["name"] for p in listed] == ["zlib"]


def test_remove_not_installed_fails(run, tmp_path):
    prefix = make_env(run.base / "env", RECORDS[:1])
    proc = run("remove", "-p", prefix, "--dry-run", "numpy")
    assert proc.returncode == 1 and proc.stderr.startswith("krait: error: "), describe(proc)
    assert "numpy" in proc.stderr
