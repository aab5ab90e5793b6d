"""create/install/update/remove --dry-run against file:// channels: the
--json transaction in micromamba's shape, the human table, errors."""

from __future__ import annotations

import json

import pytest

from cli_helpers import (MICROMAMBA_RECORD_KEYS, Runner, describe, parse_json, record, shared_data,
                         small_channel, write_channel)

VP = {"CONDA_OVERRIDE_GLIBC": "2.28", "CONDA_OVERRIDE_CUDA": "", "CONDA_OVERRIDE_LINUX": "5.10"}


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path)


@pytest.fixture
def chan(tmp_path):
    return small_channel(tmp_path)


def dry(run, chan, *specs, cmd="create", prefix=None, extra=()):
    prefix = prefix or run.base / "envs" / "t"
    return run(cmd, "-p", prefix, "-c", chan, "--override-channels", "--platform", "linux-64",
               "--dry-run", *extra, *specs, env=VP)


def test_create_dry_run_json_shape(run, chan):
    prefix = run.base / "envs" / "t"
    proc = dry(run, chan, "zlib", extra=["--json"])
    assert proc.returncode == 0, describe(proc)
    obj = parse_json(proc)
    assert obj["success"] is True and obj["dry_run"] is True
    assert obj["prefix"] == str(prefix) and obj["actions"]["PREFIX"] == str(prefix)
    actions = obj["actions"]
    assert set(actions) >= {"FETCH", "LINK", "UNLINK", "PREFIX"}
    assert actions["UNLINK"] == []
    names = {r["name"]: r for r in actions["LINK"]}
    assert set(names) == {"zlib", "libzlib"}
    lib = names["libzlib"]
    assert MICROMAMBA_RECORD_KEYS <= set(lib), MICROMAMBA_RECORD_KEYS - set(lib)
    assert lib["version"] == "1.3.2" and lib["build_string"] == "h25fd6f3_2" and lib["build"] == "h25fd6f3_2"
    assert lib["build_number"] == 2 and lib["subdir"] == "linux-64"
    assert lib["fn"] == "libzlib-1.3.2-h25fd6f3_2.conda"
    assert lib["url"].startswith("file://") and lib["url"].endswith("/linux-64/libzlib-1.3.2-h25fd6f3_2.conda")
    assert len(lib["md5"]) == 32 and len(lib["sha256"]) == 64 and lib["size"] > 1000
    assert names["zlib"]["depends"] == ["libzlib 1.3.2 h25fd6f3_2"]
    # nothing is cached in a fresh pkgs dir: everything linked is fetched
    assert sorted(r["name"] for r in actions["FETCH"]) == ["libzlib", "zlib"]
    # stdout is exactly one JSON document, keys as micromamba sorts them
    assert list(obj) == sorted(obj)


def test_create_dry_run_matches_micromamba_fixture_keys(run, chan):
    data = shared_data()
    fixture = json.loads((data / "cli-json/conda-lock-fixtures/dryrun-micromamba-1.5.12-linux-64-libzlib.json")
                         .read_text())
    obj = parse_json(dry(run, chan, "libzlib", extra=["--json"]))
    assert set(fixture) <= set(obj)
    assert set(fixture["actions"]) <= set(obj["actions"])
    want = set(fixture["actions"]["LINK"][0])
    got = set(obj["actions"]["LINK"][0])
    assert want <= got, want - got


def test_dependency_pulled_and_unsatisfiable_version_skipped(run, chan):
    obj = parse_json(dry(run, chan, "app", extra=["--json"]))
    link = {r["name"]: r["version"] for r in obj["actions"]["LINK"]}
    assert link == {"app": "1.0", "zlib": "1.3.2", "libzlib": "1.3.2", "data": "0.5"}
    data = [r for r in obj["actions"]["LINK"] if r["name"] == "data"][0]
    assert data["subdir"] == "noarch"


def test_human_table(run, chan):
    proc = dry(run, chan, "zlib")
    assert proc.returncode == 0, describe(proc)
    out = proc.stdout
    assert "dry run" in out
    for word in ("Package", "Version", "Build", "Channel", "Size", "libzlib", "1.3.2", "h25fd6f3_2", "Install"):
        assert word in out, word


def test_bad_spec_is_quoted(run, chan):
    proc = dry(run, chan, "numpy >=1.2 <")
    assert proc.returncode == 1, describe(proc)
    first = proc.stderr.splitlines()[0]
    assert first.startswith("krait: error: ") and '"numpy >=1.2 <"' in first


def test_bad_spec_json_error(run, chan):
    proc = dry(run, chan, "numpy >=1.2 <", extra=["--json"])
    assert proc.returncode == 1
    obj = parse_json(proc)
    assert obj["success"] is False and "numpy >=1.2 <" in obj["error"]


def test_unsolvable_explains(run, chan):
    proc = dry(run, chan, "zlib 9.*")
    assert proc.returncode == 1, describe(proc)
    assert proc.stderr.startswith("krait: error: ")
    assert "zlib" in proc.stderr
    obj = parse_json(dry(run, chan, "zlib 9.*", extra=["--json"]))
    assert obj["success"] is False and obj["solver_problems"]


def test_unknown_channel_directory(run, tmp_path):
    missing = tmp_path / "no-such-channel"
    proc = dry(run, missing, "zlib")
    assert proc.returncode == 1, describe(proc)
    line = proc.stderr.splitlines()[0]
    assert line.startswith("krait: error: ") and "no-such-channel" in line


def test_debug_solver_writes_testcase(run, chan, tmp_path):
    out = tmp_path / "dbg"
    proc = dry(run, chan, "zlib", extra=["--debug-solver", out])
    assert proc.returncode == 0, describe(proc)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files, "no testcase written"
    assert any(p.suffix == ".t" or "testcase" in p.name for p in files), files


def test_missing_archive_fails_cleanly(run, chan):
    """This channel has repodata but no archives: installing must fail with one
    error line naming the archive it could not get, and leave no prefix behind."""
    prefix = run.base / "envs" / "t"
    proc = run("create", "-p", prefix, "-c", chan, "--override-channels", "--platform", "linux-64", "-y", "zlib",
               env=VP)
    assert proc.returncode == 1, describe(proc)
    assert "krait: error: " in proc.stderr and ".conda" in proc.stderr, proc.stderr
    assert not prefix.exists()


def test_create_refuses_existing_env_without_yes(run, chan):
    prefix = run.base / "envs" / "t"
    (prefix / "conda-meta").mkdir(parents=True)
    proc = dry(run, chan, "zlib", prefix=prefix)
    assert proc.returncode == 1 and "already" in proc.stderr, describe(proc)
    assert dry(run, chan, "zlib", prefix=prefix, extra=["-y"]).returncode == 0


def test_create_refuses_non_env_directory(run, chan):
    prefix = run.base / "stuff"
    prefix.mkdir()
    (prefix / "precious.txt").write_text("keep me")
    proc = dry(run, chan, "zlib", prefix=prefix, extra=["-y"])
    assert proc.returncode == 1 and "not an environment" in proc.stderr, describe(proc)


def test_name_resolves_to_first_envs_dir(run, chan):
    envs = run.base / "my-envs"
    proc = run("create", "-n", "foo", "-c", chan, "--override-channels", "--platform", "linux-64", "--dry-run",
               "--json", "zlib", env=dict(VP, CONDA_ENVS_DIRS=f"{envs},{run.base}/other"))
    obj = parse_json(proc)
    assert obj["prefix"] == str(envs / "foo")


def installed_env(run, prefix, records):
    """A prefix with conda-meta records (as an installer would leave them)."""
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (meta / "history").write_text("")
    for r in records:
        rec = dict(r, fn=f"{r['name']}-{r['version']}-{r['build']}.conda", channel="file:///old", files=[],
                   url=f"file:///old/{r['subdir']}/{r['name']}-{r['version']}-{r['build']}.conda")
        (meta / f"{r['name']}-{r['version']}-{r['build']}.json").write_text(json.dumps(rec))
    return prefix


def test_install_into_missing_env_fails(run, chan):
    proc = dry(run, chan, "zlib", cmd="install", prefix=run.base / "nope")
    assert proc.returncode == 1 and "not an environment" in proc.stderr, describe(proc)


def test_update_and_remove_dry_run(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [record("libzlib", "1.3.1", "h4ab18f5_1", 1)])
    obj = parse_json(dry(run, chan, "libzlib", cmd="update", prefix=prefix, extra=["--json"]))
    assert [r["version"] for r in obj["actions"]["LINK"]] == ["1.3.2"]
    assert [r["version"] for r in obj["actions"]["UNLINK"]] == ["1.3.1"]
    obj = parse_json(dry(run, chan, "libzlib", cmd="remove", prefix=prefix, extra=["--json"]))
    assert obj["actions"]["LINK"] == []
    assert [r["name"] for r in obj["actions"]["UNLINK"]] == ["libzlib"]


def test_nothing_to_install(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [])
    proc = dry(run, chan, cmd="install", prefix=prefix)
    assert proc.returncode == 1 and "SPEC" in proc.stderr, describe(proc)


def test_strict_channel_priority(run, tmp_path, chan):
    # a second channel with a newer libzlib: strict priority keeps the first channel's
    other = write_channel(tmp_path / "other", {"linux-64": [record("libzlib", "9.0", "h0_0", 0)]})
    base = ["create", "-p", run.base / "envs" / "t", "--override-channels", "--platform", "linux-64", "--dry-run",
            "--json", "-c", chan, "-c", other, "libzlib"]
    strict = parse_json(run(*base, "--strict-channel-priority", env=VP))
    assert [r["version"] for r in strict["actions"]["LINK"]] == ["1.3.2"]
    disabled = parse_json(run(*base, "--channel-priority", "disabled", env=VP))
    assert [r["version"] for r in disabled["actions"]["LINK"]] == ["9.0"]


def test_shared_channel_dry_run(run):
    data = shared_data()
    chan = data / "channels" / "micromamba-channel_a"
    obj = parse_json(run("create", "-p", run.base / "envs" / "m", "-c", chan, "--override-channels",
                         "--platform", "linux-64", "--dry-run", "--json", "b", env=VP))
    link = {r["name"]: r for r in obj["actions"]["LINK"]}
    assert set(link) >= {"a", "b"}
    assert link["a"]["url"].startswith("file://")


def test_shared_repodata_snapshot_dry_run(run, tmp_path):
    data = shared_data()
    src = data / "repodata" / "conda-forge-subchannel-py39-20240516"
    if not (src / "linux-64" / "repodata.json").exists():
        pytest.skip("conda-forge py39 slice absent")
    proc = run("create", "-p", run.base / "envs" / "py", "-c", src, "--override-channels", "--platform", "linux-64",
               "--dry-run", "--json", "python=3.9", env=VP)
    obj = parse_json(proc)
    assert proc.returncode == 0, describe(proc)
    link = {r["name"]: r for r in obj["actions"]["LINK"]}
    assert link["python"]["version"].startswith("3.9")
    # the slice's metadata.base_url points package URLs at conda-forge
    assert link["python"]["url"].startswith("https://conda.anaconda.org/conda-forge/")


def test_install_already_satisfied_is_success(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [record("libzlib", "1.3.2", "h25fd6f3_2", 2)])
    proc = run("install", "-p", prefix, "-c", chan, "--override-channels", "--platform", "linux-64", "-y",
               "libzlib", env=VP)
    assert proc.returncode == 0, describe(proc)
    assert "nothing to do" in proc.stdout


def test_spec_channel_counts_as_channel(run, chan):
    # no -c at all: the channel named in the spec is enough
    proc = run("create", "-p", run.base / "envs" / "t", "--platform", "linux-64", "--dry-run", "--json",
               f"{chan.as_uri()}::libzlib", env=VP)
    obj = parse_json(proc)
    assert [r["name"] for r in obj["actions"]["LINK"]] == ["libzlib"], describe(proc)


def test_fetch_leaves_out_cached_packages(run, chan):
    # an extracted cache entry for libzlib (repodata_record.json with the same sha256) is not fetched again
    rec = json.loads((chan / "linux-64" / "repodata.json").read_text())["packages.conda"][
        "libzlib-1.3.2-h25fd6f3_2.conda"]
    entry = run.base / "pkgs" / "libzlib-1.3.2-h25fd6f3_2" / "info"
    entry.mkdir(parents=True)
    (entry / "repodata_record.json").write_text(json.dumps(dict(
        rec, fn="libzlib-1.3.2-h25fd6f3_2.conda", channel=chan.as_uri(),
        url=f"{chan.as_uri()}/linux-64/libzlib-1.3.2-h25fd6f3_2.conda")))
    (entry / "index.json").write_text(json.dumps(rec))
    obj = parse_json(dry(run, chan, "zlib", extra=["--json"]))
    assert sorted(r["name"] for r in obj["actions"]["LINK"]) == ["libzlib", "zlib"]
    assert [r["name"] for r in obj["actions"]["FETCH"]] == ["zlib"]


def test_update_all(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [record("libzlib", "1.3.1", "h4ab18f5_1", 1)])
    obj = parse_json(dry(run, chan, cmd="update", prefix=prefix, extra=["--all", "--json"]))
    assert [(r["name"], r["version"]) for r in obj["actions"]["LINK"]] == [("libzlib", "1.3.2")]
    proc = dry(run, chan, "zlib", cmd="update", prefix=prefix, extra=["--all"])
    assert proc.returncode == 1 and "--all" in proc.stderr


def test_update_without_spec_or_all(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [])
    proc = dry(run, chan, cmd="update", prefix=prefix)
    assert proc.returncode == 1 and "--all" in proc.stderr, describe(proc)


def test_name_finds_env_in_later_envs_dir(run, chan):
    first, second = run.base / "envs-a", run.base / "envs-b"
    installed_env(run, second / "work", [record("libzlib", "1.3.1", "h4ab18f5_1", 1)])
    proc = run("update", "-n", "work", "-c", chan, "--override-channels", "--platform", "linux-64", "--dry-run",
               "--json", "libzlib", env=dict(VP, CONDA_ENVS_DIRS=f"{first},{second}"))
    obj = parse_json(proc)
    assert obj["prefix"] == str(second / "work"), describe(proc)


def test_channels_from_condarc(run, chan, tmp_path):
    rc = tmp_path / "rc.yml"
    rc.write_text(f"channels:\n  - {chan}\n")
    proc = run("create", "-p", run.base / "envs" / "t", "--platform", "linux-64", "--dry-run", "--json", "libzlib",
               env=dict(VP, CONDARC=str(rc)))
    obj = parse_json(proc)
    assert [r["name"] for r in obj["actions"]["LINK"]] == ["libzlib"], describe(proc)


def test_cli_channel_before_condarc_channel(run, chan, tmp_path):
    # condarc names a channel with a newer libzlib; -c puts ours first and strict priority keeps it
    other = write_channel(tmp_path / "other", {"linux-64": [record("libzlib", "9.0", "h0_0", 0)]})
    rc = tmp_path / "rc.yml"
    rc.write_text(f"channels:\n  - {other}\nchannel_priority: strict\n")
    obj = parse_json(run("create", "-p", run.base / "envs" / "t", "-c", chan, "--platform", "linux-64",
                         "--dry-run", "--json", "libzlib", env=dict(VP, CONDARC=str(rc))))
    assert [r["version"] for r in obj["actions"]["LINK"]] == ["1.3.2"]
    # --override-channels drops the condarc channel entirely
    obj = parse_json(run("search", "-c", chan, "--override-channels", "--platform", "linux-64", "--json",
                         "libzlib", env={"CONDARC": str(rc)}))
    assert "9.0" not in [r["version"] for r in obj]
    obj = parse_json(run("search", "-c", chan, "--platform", "linux-64", "--json", "libzlib",
                         env={"CONDARC": str(rc)}))
    assert "9.0" in [r["version"] for r in obj]


def test_no_channels_at_all(run):
    proc = run("create", "-p", run.base / "envs" / "t", "--dry-run", "zlib")
    assert proc.returncode == 1 and "no channels" in proc.stderr, describe(proc)


def test_create_without_specs_is_an_empty_env(run, chan):
    obj = parse_json(dry(run, chan, extra=["--json"]))
    assert obj["success"] is True and obj["actions"]["LINK"] == [] and obj["actions"]["FETCH"] == []
    assert "empty environment" in dry(run, chan).stdout


def test_install_already_satisfied_json(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [record("libzlib", "1.3.2", "h25fd6f3_2", 2)])
    obj = parse_json(run("install", "-p", prefix, "-c", chan, "--override-channels", "--platform", "linux-64", "-y",
                         "--json", "libzlib", env=VP))
    assert obj["success"] is True and obj["dry_run"] is False
    assert obj["actions"]["LINK"] == [] and obj["actions"]["UNLINK"] == []


def test_human_sections(run, chan):
    prefix = installed_env(run, run.base / "envs" / "old", [record("libzlib", "1.3.1", "h4ab18f5_1", 1)])
    proc = dry(run, chan, "zlib", cmd="install", prefix=prefix)
    assert proc.returncode == 0, describe(proc)
    lines = [line.strip() for line in proc.stdout.splitlines()]
    assert "Install:" in lines and "Upgrade:" in lines
    install_row = next(line for line in lines if line.startswith("+ "))
    assert install_row.split()[1:3] == ["zlib", "1.3.2"]
    upgrade_row = next(line for line in lines if line.startswith("^ "))
    assert upgrade_row.split()[1:5] == ["libzlib", "1.3.1", "->", "1.3.2"]
    proc = dry(run, chan, "libzlib", cmd="remove", prefix=prefix)
    lines = [line.strip() for line in proc.stdout.splitlines()]
    assert "Remove:" in lines and any(line.startswith("- ") and "libzlib" in line for line in lines)
