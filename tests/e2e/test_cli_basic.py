"""krait --help/--version, argument errors, info (virtual package sources,
config files, env precedence)."""

from __future__ import annotations

import json

import pytest

from cli_helpers import Runner, describe, parse_json


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path)


def test_version(run):
    proc = run.ok("--version")
    assert proc.stdout.strip() == "0.1.0"


def test_main_help_lists_commands(run):
    out = run.ok("--help").stdout
    for cmd in ("create", "install", "update", "remove", "search", "info"):
        assert f"\n  {cmd} " in out, out


@pytest.mark.parametrize("cmd,must", [
    ("create", ["--prefix", "--name", "--channel", "--override-channels", "--strict-channel-priority",
                "--channel-priority", "--platform", "--dry-run", "--json", "--yes", "--debug-solver"]),
    ("install", ["--prefix", "--channel", "--dry-run", "--debug-solver"]),
    ("update", ["--all", "--dry-run"]),
    ("remove", ["--prefix", "--dry-run"]),
    ("search", ["--channel", "--override-channels", "--platform", "--json"]),
    ("info", ["--json"]),
])
def test_command_help(run, cmd, must):
    proc = run.ok(cmd, "--help")
    assert proc.stdout.startswith(f"usage: krait {cmd} "), proc.stdout
    for opt in must:
        assert opt in proc.stdout, f"{opt} missing from krait {cmd} --help"
    assert run.ok("help", cmd).stdout == proc.stdout


def test_search_help_has_no_prefix_option(run):
    assert "--prefix" not in run.ok("search", "--help").stdout


def one_error_line(proc):
    assert proc.returncode == 1, describe(proc)
    lines = proc.stderr.strip().splitlines()
    assert lines and lines[0].startswith("krait: error: "), describe(proc)
    return lines[0]


def test_unknown_command(run):
    line = one_error_line(run("frobnicate"))
    assert '"frobnicate"' in line


def test_unknown_option(run):
    line = one_error_line(run("create", "-n", "x", "--frobnicate", "zlib"))
    assert "--frobnicate" in line


def test_option_missing_value(run):
    line = one_error_line(run("create", "-n", "x", "-c"))
    assert "-c" in line


def test_unknown_option_json_error_object(run):
    proc = run("search", "--bogus", "zlib", "--json")
    one_error_line(proc)
    obj = parse_json(proc)
    assert obj["success"] is False and "--bogus" in obj["error"]


def test_override_channels_needs_channel(run):
    line = one_error_line(run("create", "-n", "x", "--override-channels", "--dry-run", "zlib"))
    assert "--override-channels" in line


def test_bad_platform(run):
    line = one_error_line(run("create", "-n", "x", "-c", "/nowhere", "--platform", "linux-65", "--dry-run", "z"))
    assert '"linux-65"' in line


def test_create_needs_target(run):
    line = one_error_line(run("create", "-c", "/nowhere", "--dry-run", "zlib"))
    assert "-n NAME or -p PREFIX" in line


def test_prefix_and_name_conflict(run, tmp_path):
    line = one_error_line(run("create", "-n", "a", "-p", tmp_path / "b", "--dry-run", "zlib"))
    assert "not both" in line


def info(run, *args, env=None):
    return run.json("info", *args, env=env)


def vp_detail(obj, name):
    for row in obj["virtual packages detail"]:
        if row["name"] == name:
            return row
    raise AssertionError(f"{name} not in {obj['virtual packages detail']}")


def test_info_json_shape(run):
    obj = info(run)
    for key in ("krait version", "platform", "virtual packages", "channels", "package cache",
                "envs directories", "base environment", "populated config files"):
        assert key in obj, key
    assert obj["base environment"] == str(run.root)
    assert obj["package cache"] == [str(run.base / "pkgs")]
    assert obj["envs directories"] == [str(run.root / "envs")]
    assert obj["populated config files"] == []
    assert all(vp.count("=") == 2 for vp in obj["virtual packages"])


def test_info_cuda_override(run):
    obj = info(run, env={"CONDA_OVERRIDE_CUDA": "12.4"})
    assert "__cuda=12.4=0" in obj["virtual packages"]
    row = vp_detail(obj, "__cuda")
    assert row["version"] == "12.4"
    assert "CONDA_OVERRIDE_CUDA" in row["source"] and "override" in row["source"]


def test_info_cuda_empty_override_is_absent(run):
    obj = info(run, env={"CONDA_OVERRIDE_CUDA": ""})
    assert not any(vp.startswith("__cuda=") for vp in obj["virtual packages"])
    row = vp_detail(obj, "__cuda")
    assert row["version"] is None
    assert row["source"].startswith("absent") and "CONDA_OVERRIDE_CUDA" in row["source"]


def test_info_glibc_override(run):
    obj = info(run, "--platform", "linux-64", env={"CONDA_OVERRIDE_GLIBC": "2.17"})
    assert "__glibc=2.17=0" in obj["virtual packages"]


def test_info_human_names_sources(run):
    out = run.ok("info", env={"CONDA_OVERRIDE_CUDA": "11.8"}).stdout
    assert "__cuda=11.8=0" in out and "CONDA_OVERRIDE_CUDA" in out
    assert "virtual packages" in out and "package cache" in out


def test_info_reads_condarc_and_env_wins(run, tmp_path):
    rc = tmp_path / "my.condarc"
    rc.write_text("channels:\n  - conda-forge\nchannel_priority: strict\n"
                  f"envs_dirs:\n  - {tmp_path}/rc-envs\n")
    obj = info(run, env={"CONDARC": str(rc), "CONDA_CHANNEL_PRIORITY": "disabled"})
    assert obj["populated config files"] == [str(rc)]
    assert obj["envs directories"] == [f"{tmp_path}/rc-envs"]
    assert obj["channel priority"] == "disabled"  # env beats condarc
    assert any("conda-forge/" in c for c in obj["channels"]), obj["channels"]
    # a flag beats both
    obj = info(run, "--channel-priority", "flexible", env={"CONDARC": str(rc), "CONDA_CHANNEL_PRIORITY": "disabled"})
    assert obj["channel priority"] == "flexible"


def test_info_home_condarc(run):
    (run.home / ".condarc").write_text("channels: [bioconda]\n")
    obj = info(run)
    assert obj["populated config files"] == [str(run.home / ".condarc")]


def test_malformed_condarc_names_file_and_line(run, tmp_path):
    rc = tmp_path / "bad.condarc"
    rc.write_text("channels:\n  - a\nalways_yes: perhaps\n")
    proc = run("info", env={"CONDARC": str(rc)})
    line = one_error_line(proc)
    assert f"{rc}:3:" in line and "always_yes" in line


def test_bad_env_value_is_an_error(run):
    line = one_error_line(run("info", env={"CONDA_CHANNEL_PRIORITY": "sometimes"}))
    assert "CONDA_CHANNEL_PRIORITY" in line


def test_info_json_is_one_document(run):
    proc = run.ok("info", "--json")
    json.loads(proc.stdout)
