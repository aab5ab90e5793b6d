"""krait search: every matching record of the channels (all versions and
builds), sorted by version; --json records; channel errors."""

from __future__ import annotations

import json

import pytest

from cli_helpers import Runner, describe, parse_json, record, shared_data, small_channel, write_channel


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path)


@pytest.fixture
def chan(tmp_path):
    return small_channel(tmp_path)


def search(run, chan, *args):
    return run("search", "-c", chan, "--override-channels", "--platform", "linux-64", *args)


def test_search_json_all_versions(run, chan):
    proc = search(run, chan, "libzlib", "--json")
    assert proc.returncode == 0, describe(proc)
    recs = parse_json(proc)
    assert [r["version"] for r in recs] == ["1.3.1", "1.3.2"]
    for r in recs:
        for key in ("name", "version", "build", "build_number", "channel", "subdir", "fn", "url", "md5", "sha256",
                    "size", "depends"):
            assert key in r, key
        assert r["name"] == "libzlib" and r["subdir"] == "linux-64"
        assert r["url"].startswith("file://") and r["url"].endswith(r["fn"])
    assert recs[1]["build_number"] == 2 and recs[1]["build"] == "h25fd6f3_2"


def test_search_version_constraint(run, chan):
    recs = parse_json(search(run, chan, "libzlib >=1.3.2", "--json"))
    assert [r["version"] for r in recs] == ["1.3.2"]


def test_search_includes_noarch(run, chan):
    recs = parse_json(search(run, chan, "data", "--json"))
    assert [(r["name"], r["subdir"]) for r in recs] == [("data", "noarch")]


def test_search_human_sorted_by_version(run, tmp_path):
    chan = write_channel(tmp_path / "v", {"linux-64": [
        record("pkg", "1.10", "h0_0"), record("pkg", "1.9", "h0_0"), record("pkg", "1.9", "h1_1", 1),
        record("pkg", "1.0a1", "h0_0"), record("other", "5", "h0_0")]})
    proc = search(run, chan, "pkg")
    assert proc.returncode == 0, describe(proc)
    rows = [line.split() for line in proc.stdout.splitlines()[1:] if line.strip()]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("pkg", "1.0a1", "h0_0"), ("pkg", "1.9", "h0_0"), ("pkg", "1.9", "h1_1"), ("pkg", "1.10", "h0_0")]
    assert proc.stdout.splitlines()[0].split()[:4] == ["Name", "Version", "Build", "Channel"]


def test_search_no_match(run, chan):
    assert parse_json(search(run, chan, "nothing-like-this", "--json")) == []
    proc = search(run, chan, "nothing-like-this")
    assert proc.returncode == 0 and "No match" in proc.stdout


def test_search_bad_spec(run, chan):
    proc = search(run, chan, "numpy >=1.2 <")
    assert proc.returncode == 1
    assert proc.stderr.startswith("krait: error: ") and '"numpy >=1.2 <"' in proc.stderr


def test_search_unknown_channel_directory(run, tmp_path):
    proc = search(run, tmp_path / "does-not-exist", "zlib", "--json")
    assert proc.returncode == 1, describe(proc)
    assert proc.stderr.startswith("krait: error: ") and "does-not-exist" in proc.stderr
    obj = parse_json(proc)
    assert obj["success"] is False and "does-not-exist" in obj["error"]


def test_search_needs_one_spec(run, chan):
    proc = search(run, chan)
    assert proc.returncode == 1 and "exactly one SPEC" in proc.stderr


def test_search_shared_snapshot(run):
    data = shared_data()
    src = data / "repodata" / "conda-forge-subchannel-py39-20240516"
    if not (src / "linux-64" / "repodata.json").exists():
        pytest.skip("conda-forge py39 slice absent")
    recs = parse_json(search(run, src, "python 3.9.*", "--json"))
    assert recs and all(r["name"] == "python" and r["version"].startswith("3.9") for r in recs)
    versions = [tuple(int(x) for x in r["version"].split(".")[:3]) for r in recs]
    assert versions == sorted(versions)


def test_search_shared_channel(run):
    data = shared_data()
    recs = parse_json(search(run, data / "channels" / "micromamba-channel_a", "a", "--json"))
    assert [r["version"] for r in recs] == ["0.1.0", "0.2.0"]


def test_subdir_mismatch_is_a_warning(run, tmp_path):
    """A record whose subdir differs from its repodata's info.subdir is kept
    (under the repodata's subdir) with a warning, as conda-forge's libsolv does."""
    root = tmp_path / "mismatch"
    (root / "noarch").mkdir(parents=True)
    rec = {"name": "odd", "version": "1.0", "build": "0", "build_number": 0, "depends": [],
           "subdir": "linux-64", "md5": "0" * 32, "size": 1}
    (root / "noarch" / "repodata.json").write_text(json.dumps(
        {"info": {"subdir": "noarch"}, "packages": {"odd-1.0-0.tar.bz2": rec}, "packages.conda": {}}))
    proc = run("search", "-c", root, "--override-channels", "--platform", "linux-64", "odd", "--json")
    assert proc.returncode == 0, describe(proc)
    assert [r["subdir"] for r in parse_json(proc)] == ["noarch"]
    assert "warning" in proc.stderr and "subdir" in proc.stderr and "odd-1.0-0.tar.bz2" in proc.stderr, proc.stderr
