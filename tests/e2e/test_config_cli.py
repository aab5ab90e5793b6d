"""`krait config`: in-place .condarc edits through the CLI (comments and order kept), list/get with
--sources, the target files (--file, --env, --system, ~/.condarc), refusals that change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from installcheck import failed, ok

# A group's .condarc as HPC sites write them: comments, blank lines, flow list, anchor.
SITE_RC = """\
# Group configuration -- keep envs and the package cache on group storage
channels: &site_channels  # searched first to last
  - conda-forge
  - bioconda

envs_dirs: [/lustre/group/envs]   # shared
pkgs_dirs:
  - /lustre/group/pkgs  # big
default_channels: *site_channels
channel_priority: strict
"""


def test_edits_keep_comments_order_and_style(krait) -> None:
    rc = krait.base / "site.condarc"
    rc.write_text(SITE_RC)
    ok(krait("config", "prepend", "channels", "https://mirror.example/chan", "--file", rc))
    ok(krait("config", "append", "envs_dirs", "~/envs", "--file", rc))
    ok(krait("config", "set", "channel_priority", "flexible", "--file", rc))
    ok(krait("config", "set", "always_yes", "yes", "--file", rc))
    ok(krait("config", "remove", "pkgs_dirs", "/lustre/group/pkgs", "--file", rc))
    out = krait.json("config", "append", "default_channels", "defaults", "--file", rc)
    assert out == {"added_defaults": False, "file": str(rc), "key": "default_channels", "moved": False,
                   "operation": "append", "success": True, "value": "defaults"}
    assert rc.read_text() == """\
# Group configuration -- keep envs and the package cache on group storage
channels: &site_channels  # searched first to last
  - https://mirror.example/chan
  - conda-forge
  - bioconda

envs_dirs: [/lustre/group/envs, ~/envs]   # shared
pkgs_dirs: []  # big
default_channels: [https://mirror.example/chan, conda-forge, bioconda, defaults]
channel_priority: flexible
always_yes: true
"""
    ok(krait("config", "remove-key", "pkgs_dirs", "--file", rc))
    assert "pkgs_dirs" not in rc.read_text()
    assert krait.json("config", "get", "envs_dirs", "--file", rc) == {"envs_dirs": ["/lustre/group/envs", "~/envs"]}


def test_refusals_leave_the_file_alone(krait) -> None:
    rc = krait.base / "site.condarc"
    rc.write_text(SITE_RC)
    for args, words in [
        (("set", "chanels", "x"), 'did you mean "channels"'),
        (("set", "channels", "x"), "is a list"),
        (("append", "channel_priority", "x"), "not a list"),
        (("set", "always_yes", "maybe"), "true or false"),
        (("remove", "channels", "absent"), "not in the channels list"),
        (("remove-key", "offline"), "not set"),
        (("remove-key", "channels"), "invalid"),  # its anchor is used by default_channels
        (("frob", "x"), "unknown config subcommand"),
        (("set", "channel_alias"), "KEY VALUE"),
    ]:
        failed(krait("config", *args, "--file", rc), words)
        assert rc.read_text() == SITE_RC, args
    failed(krait("config", "get", "pkg_dirs"), 'did you mean "pkgs_dirs"')
    failed(krait("config", "list", "--file", rc, "--system"), "only one of")
    bad = krait.base / "bad.condarc"
    bad.write_text("channels: [a\n")
    failed(krait("config", "set", "offline", "true", "--file", bad), f"{bad}:")
    assert bad.read_text() == "channels: [a\n"


def test_list_sources_and_merge(krait) -> None:
    # the fixture's CONDARC file is read last; ~/.condarc before it
    user = krait.home / ".condarc"
    ok(krait("config", "append", "channels", "user-chan"))  # default target: ~/.condarc, as conda
    assert user.read_text() == "channels:\n  - defaults\n  - user-chan\n"
    ok(krait("config", "set", "channel_priority", "strict"))
    ok(krait("config", "prepend", "channels", "override-chan", "--file", krait.condarc))
    ok(krait("config", "set", "channel_priority", "disabled", "--file", krait.condarc))
    merged = krait.json("config", "list")
    assert merged["channels"] == ["override-chan", "defaults", "user-chan"]
    assert merged["channel_priority"] == "disabled"
    human = ok(krait("config", "list", "--sources")).stdout
    assert f"  - override-chan    # {krait.condarc}" in human
    assert f"  - user-chan    # {user}" in human
    assert f"channel_priority: disabled    # {krait.condarc}" in human
    sources = krait.json("config", "list", "--sources")
    assert sources[str(user)] == {"channels": ["defaults", "user-chan"], "channel_priority": "strict"}
    assert sources[str(krait.condarc)]["channels"] == ["override-chan", "defaults"]
    got = krait.json("config", "get", "channel_priority", "--sources")
    assert got == {"channel_priority": "disabled", "sources": [str(krait.condarc)]}
    assert ok(krait("config", "get", "channels")).stdout.splitlines() == [
        "channels:", "  - override-chan", "  - defaults", "  - user-chan"]
    # environment variables win over files, as krait applies them; conda's "envvars" source
    assert merged["pkgs_dirs"] == [str(krait.pkgs_dir)]
    assert sources["envvars"]["pkgs_dirs"] == [str(krait.pkgs_dir)]
    assert f"  - {krait.pkgs_dir}    # $CONDA_PKGS_DIRS" in human
    over = krait.json("config", "get", "channel_priority", "--sources", env={"CONDA_CHANNEL_PRIORITY": "flexible"})
    assert over == {"channel_priority": "flexible", "sources": ["$CONDA_CHANNEL_PRIORITY"]}
    # what `config` wrote is what the rest of krait reads
    info = krait.json("info")
    assert info["channel priority"] == "disabled"
    assert str(user) in info["populated config files"]
    # typed values: booleans and integers come out typed
    ok(krait("config", "set", "offline", "false"))
    ok(krait("config", "set", "extract_threads", "3"))
    merged = krait.json("config", "list")
    assert merged["offline"] is False and merged["extract_threads"] == 3


def test_env_and_system_files(krait) -> None:
    env_prefix = krait.prefix("someenv")
    (env_prefix / "conda-meta").mkdir(parents=True)
    ok(krait("config", "set", "channel_priority", "strict", "--env", "-p", env_prefix))
    assert (env_prefix / ".condarc").read_text() == "channel_priority: strict\n"
    ok(krait("config", "set", "offline", "true", "--env", env={"CONDA_PREFIX": str(env_prefix)}))
    assert (env_prefix / ".condarc").read_text() == "channel_priority: strict\noffline: true\n"
    ok(krait("config", "append", "pkgs_dirs", "/group/pkgs", "--system"))
    assert (krait.root_prefix / ".condarc").read_text() == "pkgs_dirs:\n  - /group/pkgs\n"
    failed(krait("config", "set", "offline", "true", "--env"), "no environment given")


def test_config_list_key_has_micromamba_shape(krait, shared_data) -> None:
    """conda-lock runs `micromamba config list pkgs_dirs --json`; krait answers with the same shape."""
    fixture = json.loads((shared_data / "cli-json/conda-lock-fixtures/micromamba-config-list-pkgs_dirs.json")
                         .read_text())
    rc = krait.base / "user.condarc"
    for d in fixture["pkgs_dirs"]:
        ok(krait("config", "append", "pkgs_dirs", d, "--file", rc))
    assert krait.json("config", "list", "pkgs_dirs", "--file", rc) == fixture
    assert krait.json("config", "list", "pkgs_dirs", "channels", "--file", rc) == dict(fixture, channels=None)
    failed(krait("config", "list", "pkg_dirs"), 'did you mean "pkgs_dirs"')


def test_final_keys_keep_the_value_of_their_file(krait) -> None:
    """An administrator's "#!final" (conda's marker) wins over later files and variables in `config list`
    just as it does when krait runs."""
    site = krait.root_prefix / ".condarc"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text("pkgs_dirs: #!final\n  - /group/pkgs\nchannel_priority: strict  #!final\n")
    ok(krait("config", "set", "channel_priority", "disabled"))
    merged = krait.json("config", "list", "--sources")
    assert merged[str(site)] == {"pkgs_dirs": ["/group/pkgs"], "channel_priority": "strict"}
    values = krait.json("config", "list", env={"CONDA_CHANNEL_PRIORITY": "flexible"})
    assert values["pkgs_dirs"] == ["/group/pkgs"] and values["channel_priority"] == "strict"
    assert krait.json("info")["package cache"] == ["/group/pkgs"]
    assert krait.json("info")["channel priority"] == "strict"
