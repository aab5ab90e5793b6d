"""Named environments: `-n` in envs_dirs, `krait env list`, `krait env remove`, `krait info --envs`.

The registry is ~/.conda/environments.txt under the test's own HOME.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import describe
from installcheck import create, failed, ok



def registry(krait) -> Path:
    return krait.home / ".conda" / "environments.txt"


def test_named_and_path_envs_are_listed(krait, local_channel) -> None:
    ok(krait("create", "-n", "alpha", "-c", local_channel.url, "--override-channels", "-y", "tlib"))
    named = krait.root_prefix / "envs" / "alpha"
    assert (named / "conda-meta").is_dir()
    by_path = krait.prefix("bypath")
    ok(create(krait, by_path, local_channel.url, "tlib"))
    lines = registry(krait).read_text().splitlines()
    assert str(named) in lines and str(by_path) in lines
    assert krait.json("env", "list") == {"envs": [str(named), str(by_path)]}
    human = ok(krait("env", "list")).stdout
    assert any(line.split() == ["alpha", str(named)] for line in human.splitlines()), human
    assert any(line.split() == [str(by_path)] for line in human.splitlines()), human
    # the active env is starred, as conda does
    starred = ok(krait("env", "list", env={"CONDA_PREFIX": str(named)})).stdout
    assert any(line.split() == ["alpha", "*", str(named)] for line in starred.splitlines()), starred
    assert ok(krait("info", "--envs")).stdout == human
    assert krait.json("info", "--envs") == {"envs": [str(named), str(by_path)]}
    assert krait.json("info")["envs"] == [str(named), str(by_path)]
    # -n finds it again for other commands
    assert "tlib" in ok(krait("list", "-n", "alpha")).stdout


def test_name_completion_offers_the_names_env_list_shows(krait, local_channel) -> None:
    """`krait __values envs` (what the completion scripts offer after -n) reads the same
    sources as `krait env list`: base, the envs dirs and ~/.conda/environments.txt."""
    ok(krait("create", "-n", "alpha", "-c", local_channel.url, "--override-channels", "-y", "tlib"))
    ok(create(krait, krait.prefix("bypath"), local_channel.url, "tlib"))
    # a second envs dir the registry knows about: named by env list once it is configured
    group = krait.base / "group-envs"
    ok(create(krait, group / "shared", local_channel.url, "tlib"))
    assert str(group / "shared") in registry(krait).read_text().splitlines()
    both = {"CONDA_ENVS_DIRS": f"{krait.root_prefix / 'envs'}:{group}"}
    for env in (None, both):
        listed = [line.split()[0] for line in ok(krait("env", "list", env=env)).stdout.splitlines()
                  if line and not line.startswith("#") and len(line.split()) > 1 and line.split()[0] != "*"]
        offered = ok(krait("__values", "envs", env=env)).stdout.split()
        assert offered == sorted(listed), (offered, listed)
    assert "shared" in ok(krait("__values", "envs", env=both)).stdout.split()
    assert "shared" not in ok(krait("__values", "envs")).stdout.split()


def test_create_by_name_skips_an_envs_dir_it_cannot_create(krait, local_channel) -> None:
    # the first envs dir lies under a regular file: it can never be created (works as root too)
    blocker = krait.base / "not-a-dir"
    blocker.write_text("x")
    usable = krait.base / "group" / "envs"
    env = {"CONDA_ENVS_DIRS": f"{blocker / 'envs'}:{usable}"}
    ok(krait("create", "-n", "beta", "-c", local_channel.url, "--override-channels", "-y", "tlib", env=env))
    assert (usable / "beta" / "conda-meta").is_dir()
    assert krait.json("env", "list", env=env)["envs"] == [str(usable / "beta")]
    # no usable envs dir at all: a clear error naming the candidates, nothing created
    proc = krait("create", "-n", "gamma", "-c", local_channel.url, "-y", "tlib",
                 env={"CONDA_ENVS_DIRS": str(blocker / "envs")})
    failed(proc, "no writable envs dir")
    assert str(blocker / "envs") in proc.stderr


def test_env_list_drops_environments_that_are_gone(krait, local_channel) -> None:
    keep, gone = krait.prefix("keep"), krait.prefix("gone")
    ok(create(krait, keep, local_channel.url, "tlib"))
    ok(create(krait, gone, local_channel.url, "tlib"))
    with registry(krait).open("a") as f:
        f.write(str(krait.base / "never-existed") + "\n")
    shutil.rmtree(gone)
    assert krait.json("env", "list")["envs"] == [str(keep)]
    assert registry(krait).read_text().splitlines() == [str(keep)]


def test_env_remove(krait, local_channel) -> None:
    ok(krait("create", "-n", "doomed", "-c", local_channel.url, "--override-channels", "-y", "tlib"))
    target = krait.root_prefix / "envs" / "doomed"
    dry = krait.json("env", "remove", "-n", "doomed", "--dry-run")
    assert dry == {"dry_run": True, "packages": ["tlib"], "prefix": str(target), "success": True}
    assert (target / "conda-meta").is_dir()
    # the active environment is refused
    failed(krait("env", "remove", "-n", "doomed", "-y", env={"CONDA_PREFIX": str(target)}), "active environment")
    out = krait.json("env", "remove", "-n", "doomed", "-y")
    assert out["dry_run"] is False and out["prefix"] == str(target)
    assert not target.exists()
    assert str(target) not in registry(krait).read_text().splitlines()
    assert krait.json("env", "list") == {"envs": []}


def test_env_remove_refuses_what_is_not_an_env(krait, local_channel) -> None:
    plain = krait.base / "data"
    (plain / "sub").mkdir(parents=True)
    (plain / "sub" / "results.csv").write_text("1,2\n")
    failed(krait("env", "remove", "-p", plain, "-y"), "not an environment")
    assert (plain / "sub" / "results.csv").read_text() == "1,2\n"
    failed(krait("env", "remove", "-y"), "-n NAME or -p PREFIX")
    failed(krait("env", "frobnicate"), "unknown command")
    # the base environment (root prefix) is never removed
    ok(create(krait, krait.root_prefix, local_channel.url, "tlib"))
    failed(krait("env", "remove", "-n", "base", "-y"), "base environment")
    assert (krait.root_prefix / "conda-meta").is_dir()
    proc = krait("env", "remove", "-p", plain, "-y", "--json")
    assert proc.returncode == 1, describe(proc)
    err = json.loads(proc.stdout)
    assert err["success"] is False and "not an environment" in err["error"]
