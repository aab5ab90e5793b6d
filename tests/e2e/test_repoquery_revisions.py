"""`krait repoquery depends|whoneeds|search` over an env and over channels; `krait list --revisions`
and `krait install --revision N` (conda's history-based rollback)."""

from __future__ import annotations

import pytest

from installcheck import assert_consistent, create, failed, install, installed_names, ok
from prefixtools import conda_meta_records



def test_repoquery_in_env_and_channel(krait, local_channel) -> None:
    env = krait.prefix("env")
    ok(create(krait, env, local_channel.url, "tbin", "told"))
    deps = krait.json("repoquery", "depends", "-p", env, "tbin")
    assert deps["query"] == {"query": "tbin", "type": "depends"}
    assert deps["result"]["status"] == "OK" and deps["source"] == str(env)
    assert [(p["name"], p["depth"]) for p in deps["result"]["pkgs"]] == [("tbin", 0), ("tlib", 1)]
    who = krait.json("repoquery", "whoneeds", "-p", env, "tlib", "--tree")
    assert [(p["name"], p["depth"]) for p in who["result"]["pkgs"]] == [("tlib", 0), ("tbin", 1)]
    assert krait.json("repoquery", "whoneeds", "-p", env, "told")["result"]["pkgs"][1:] == []
    tree = ok(krait("repoquery", "depends", "-p", env, "tbin", "--tree")).stdout.splitlines()
    assert tree[0].startswith("tbin 1.0 ") and tree[1].startswith("└─ tlib 2.0 ")
    # the active env is the default source
    active = krait.json("repoquery", "search", "tl*", env={"CONDA_PREFIX": str(env)})
    assert sorted(p["name"] for p in active["result"]["pkgs"]) == ["tlib"]
    # channels: every version, and the newest one answers depends
    found = krait.json("repoquery", "search", "-c", local_channel.url, "--override-channels", "tlib")
    assert sorted(p["version"] for p in found["result"]["pkgs"]) == ["1.0", "2.0"]
    assert found["source"] == "channels"
    cdeps = krait.json("repoquery", "depends", "-c", local_channel.url, "--override-channels", "tafter", "--tree")
    assert [p["name"] for p in cdeps["result"]["pkgs"]] == ["tafter", "tslow"]
    failed(krait("repoquery", "depends", "-p", env, "nosuchpkg"), 'no package matches "nosuchpkg"')
    failed(krait("repoquery", "dependz", "-p", env, "tbin"), "unknown repoquery subcommand")
    failed(krait("repoquery", "search", "--tree", "-p", env, "tbin"), "--tree goes with")
    failed(krait("repoquery", "depends", "-p", krait.prefix("nothing"), "x"), "not an environment")


def test_revisions_and_rollback(krait, local_channel) -> None:
    env = krait.prefix("env")
    ok(create(krait, env, local_channel.url, "tlib=1.0"))
    ok(install(krait, env, local_channel.url, "tlib=2.0"))
    ok(install(krait, env, local_channel.url, "told"))
    b1 = conda_meta_records(env)["tlib"]["build"]
    revs = krait.json("list", "-p", env, "--revisions")
    assert [r["rev"] for r in revs] == [0, 1, 2]
    assert revs[0]["install"][0].startswith("tlib-1.0-") and revs[0]["remove"] == []
    assert revs[1]["upgrade"] == [{"new": f"tlib-2.0-{b1}", "old": revs[0]["install"][0]}]
    assert [x.split("-")[0] for x in revs[2]["install"]] == ["told"]
    assert revs[2]["cmd"].startswith("krait install -p ")
    human = ok(krait("list", "-p", env, "--revisions")).stdout
    assert "(rev 0)" in human and "(rev 2)" in human and "{tlib-1.0-" in human and "+told-1.0-" in human
    # dry run: the plan only
    plan = krait.json("install", "-p", env, "--revision", "0", "--dry-run")
    assert sorted(r["name"] for r in plan["actions"]["UNLINK"]) == ["tlib", "told"]
    assert [(r["name"], r["version"]) for r in plan["actions"]["LINK"]] == [("tlib", "1.0")]
    assert installed_names(env) == {"tlib", "told"}
    # the channel comes from the history: no -c needed
    ok(krait("install", "-p", env, "--revision", "0", "-y"))
    assert {n: r["version"] for n, r in conda_meta_records(env).items()} == {"tlib": "1.0"}
    assert (env / "share/tlib/only-in-1.0.txt").is_file() and not (env / "share/tlib/only-in-2.0.txt").exists()
    assert_consistent(env)
    assert len(krait.json("list", "-p", env, "--revisions")) == 4
    # forward again to revision 2
    ok(krait("install", "-p", env, "--revision", "2", "-y"))
    assert {n: r["version"] for n, r in conda_meta_records(env).items()} == {"tlib": "2.0", "told": "1.0"}
    failed(krait("install", "-p", env, "--revision", "9", "-y"), "no revision 9")
    failed(krait("install", "-p", env, "--revision", "x"), "revision number")
    failed(krait("install", "-p", env, "--revision", "0", "told"), "takes no SPEC")
    failed(krait("list", "-p", env, "--revisions", "--explicit"), "--revisions")
