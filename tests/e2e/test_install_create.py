"""`krait create` for real: files, prefix replacement, links, cache sharing, conda-meta, list.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import pkgbuild as pb
from installcheck import assert_consistent, create, failed, installed_names, ok, sha256_file
from prefixtools import conda_meta_records, history_lines, same_inode, link_count, tree_snapshot
from testchannel import TBIN_SUFFIX

@pytest.fixture
def tbin_env(krait, local_channel):
    prefix = krait.prefix("tbin")
    ok(create(krait, prefix, local_channel.url, "tbin"))
    return prefix


def test_create_installs_package_and_dependency(tbin_env, krait) -> None:
    assert installed_names(tbin_env) == {"tbin", "tlib"}
    rec = conda_meta_records(tbin_env)
    assert rec["tlib"]["version"] == "2.0"  # newest tlib satisfies `tlib`
    assert (tbin_env / "share/tlib/only-in-2.0.txt").is_file()
    assert not (tbin_env / "share/tlib/only-in-1.0.txt").exists()
    assert_consistent(tbin_env)


def test_binary_placeholder_is_patched(tbin_env, krait) -> None:
    for exe in ("bin/tbin", "bin/tbin-alias"):
        out = subprocess.run([str(tbin_env / exe)], capture_output=True, text=True, check=True).stdout.strip()
        assert out == str(tbin_env) + TBIN_SUFFIX
    cached = next(krait.pkgs_dir.glob("tbin-1.0-*/bin/tbin"))
    assert (tbin_env / "bin/tbin").stat().st_size == cached.stat().st_size  # padded, not shortened
    assert pb.BINARY_PLACEHOLDER.encode() not in (tbin_env / "bin/tbin").read_bytes()


def test_text_placeholder_is_replaced(tbin_env) -> None:
    assert (tbin_env / "etc/tbin.conf").read_text() == \
        f"prefix={tbin_env}\ndata={tbin_env}/share/tbin/data.txt\n"


def test_softlinks_are_links(tbin_env) -> None:
    assert os.readlink(tbin_env / "lib/libtlib.so") == "libtlib.so.1"
    assert os.readlink(tbin_env / "bin/tbin-alias") == "tbin"


def test_plain_files_hard_linked_from_cache_patched_files_are_copies(tbin_env, krait) -> None:
    extracted = next(krait.pkgs_dir.glob("tbin-1.0-*/"))
    assert (extracted / "info/index.json").is_file()
    assert same_inode(tbin_env / "share/tbin/data.txt", extracted / "share/tbin/data.txt")
    assert not same_inode(tbin_env / "etc/tbin.conf", extracted / "etc/tbin.conf")
    assert not same_inode(tbin_env / "bin/tbin", extracted / "bin/tbin")
    # The cache copy still holds the placeholder: patching never writes through a link.
    assert pb.TEXT_PLACEHOLDER in (extracted / "etc/tbin.conf").read_text()


def test_two_envs_share_inodes(tbin_env, krait, local_channel) -> None:
    other = krait.prefix("other")
    ok(create(krait, other, local_channel.url, "tbin"))
    assert same_inode(tbin_env / "share/tbin/data.txt", other / "share/tbin/data.txt")
    assert link_count(other / "share/tbin/data.txt") >= 3
    assert same_inode(tbin_env / "lib/libtlib.so.1", other / "lib/libtlib.so.1")


def test_conda_meta_record_fields(tbin_env, krait, local_channel) -> None:
    rec = conda_meta_records(tbin_env)["tbin"]
    repo = local_channel.record("tbin")
    assert rec["_meta_file"] == "tbin-1.0-h0_0.json"
    for key in ("name", "version", "build", "build_number", "md5", "sha256", "size", "depends", "subdir"):
        assert rec[key] == repo[key], key
    assert rec["fn"] == local_channel.fn("tbin")
    assert rec["url"].endswith("/" + repo["subdir"] + "/" + rec["fn"])
    assert rec["channel"]
    assert rec["requested_spec"] == "tbin"
    assert sorted(rec["files"]) == ["bin/tbin", "bin/tbin-alias", "etc/tbin.conf", "share/tbin/data.txt"]
    paths = {p["_path"]: p for p in rec["paths_data"]["paths"]}
    conf = paths["etc/tbin.conf"]
    assert conf["prefix_placeholder"] == pb.TEXT_PLACEHOLDER and conf["file_mode"] == "text"
    assert conf["sha256_in_prefix"] == sha256_file(tbin_env / "etc/tbin.conf")
    assert paths["bin/tbin"]["sha256_in_prefix"] == sha256_file(tbin_env / "bin/tbin")
    assert paths["bin/tbin-alias"]["path_type"] == "softlink"
    assert Path(rec["link"]["source"]).resolve() == next(krait.pkgs_dir.glob("tbin-1.0-*/")).resolve()
    dep = conda_meta_records(tbin_env)["tlib"]
    assert dep.get("requested_spec") in (None, "", "tlib")


def test_history(tbin_env) -> None:
    lines = history_lines(tbin_env)
    assert lines[0].startswith("==> ") and lines[0].endswith(" <==")
    assert any(line.startswith("# cmd:") and "create" in line for line in lines)
    assert any(line.startswith("+") and line.endswith("::tbin-1.0-h0_0") for line in lines)
    assert any(line.startswith("+") and line.endswith("::tlib-2.0-h0_0") for line in lines)


def test_package_cache_layout(tbin_env, krait, local_channel) -> None:
    archive = krait.pkgs_dir / local_channel.fn("tbin")
    assert archive.is_file() and sha256_file(archive) == local_channel.record("tbin")["sha256"]
    extracted = krait.pkgs_dir / "tbin-1.0-h0_0"
    rr = json.loads((extracted / "info/repodata_record.json").read_text())
    assert rr["sha256"] == local_channel.record("tbin")["sha256"] and rr["fn"] == archive.name


def test_legacy_has_prefix_package(krait, local_channel) -> None:
    prefix = krait.prefix("old")
    ok(create(krait, prefix, local_channel.url, "told"))
    assert (prefix / "etc/told.conf").read_text() == f"home={prefix}\n"
    assert sorted(conda_meta_records(prefix)["told"]["files"]) == ["etc/told.conf", "share/told/readme.txt"]
    assert_consistent(prefix)


def test_post_link_script_ran(krait, local_channel) -> None:
    prefix = krait.prefix("post")
    ok(create(krait, prefix, local_channel.url, "tpost"))
    assert (prefix / "share/tpost/post-link-ran").read_text() == f"tpost 1.0 {prefix}\n"
    # The script itself is installed and recorded like any other file.
    assert "bin/.tpost-post-link.sh" in conda_meta_records(prefix)["tpost"]["files"]
    assert_consistent(prefix, unowned_ok=["share/tpost/post-link-ran"])


def test_list_human_json_explicit(tbin_env, krait, local_channel) -> None:
    human = ok(krait("list", "-p", tbin_env)).stdout
    assert "tbin" in human and "tlib" in human and "2.0" in human
    listed = krait.json("list", "-p", tbin_env)
    assert {p["name"] for p in listed} == {"tbin", "tlib"}
    entry = next(p for p in listed if p["name"] == "tbin")
    assert entry["version"] == "1.0" and entry["build_string"] == "h0_0"
    explicit = ok(krait("list", "-p", tbin_env, "--explicit", "--md5")).stdout.splitlines()
    assert "@EXPLICIT" in explicit
    urls = [line for line in explicit if "://" in line]
    assert len(urls) == 2
    for name in ("tbin", "tlib"):
        rec = conda_meta_records(tbin_env)[name]
        assert f"{rec['url']}#{rec['md5']}" in urls


def test_create_over_http(krait, local_channel, http_channel) -> None:
    prefix = krait.prefix("http")
    ok(create(krait, prefix, http_channel.url, "tbin"))
    out = subprocess.run([str(prefix / "bin/tbin")], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(prefix) + TBIN_SUFFIX
    fetched = [r["path"] for r in http_channel.requests if r["status"] == 200]
    assert any(p.endswith("/" + local_channel.fn("tbin")) for p in fetched)
    assert conda_meta_records(prefix)["tbin"]["url"].startswith(http_channel.url)
    # A second env reuses the cached archive and revalidates repodata conditionally.
    http_channel.clear()
    ok(create(krait, krait.prefix("http2"), http_channel.url, "tbin"))
    assert not any(str(r["path"]).endswith(local_channel.fn("tbin")) for r in http_channel.requests
                   if r["method"] == "GET")
    for r in http_channel.requests:
        if str(r["path"]).endswith("repodata.json") and r["method"] == "GET":
            assert "if-none-match" in r["headers"] or "if-modified-since" in r["headers"], r


def test_dry_run_changes_nothing(krait, local_channel) -> None:
    prefix = krait.prefix("dry")
    out = krait.json("create", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "--dry-run",
                     "tbin")
    assert out["dry_run"] is True
    assert {p["name"] for p in out["actions"]["LINK"]} == {"tbin", "tlib"}
    assert not prefix.exists()
    assert not list(krait.pkgs_dir.glob("tbin-1.0-h0_0*"))  # nothing downloaded or extracted


@pytest.mark.parametrize("name", ["tbin", "tlib", "told"])
def test_package_extract_matches_cph(krait, local_channel, tmp_path: Path, name: str) -> None:
    archive = local_channel.channel.find(name).path
    ok(krait("package", "extract", archive, tmp_path / "krait-x"))
    subprocess.run(["cph", "x", str(archive), "--dest", str(tmp_path / "cph-x")], check=True, capture_output=True)
    assert tree_snapshot(tmp_path / "krait-x") == tree_snapshot(tmp_path / "cph-x")


def test_create_existing_nonempty_dir_without_conda_meta_is_refused(krait, local_channel) -> None:
    prefix = krait.prefix("notanenv")
    prefix.mkdir()
    (prefix / "precious.txt").write_text("user data\n")
    before = tree_snapshot(prefix)
    failed(create(krait, prefix, local_channel.url, "tbin"))
    assert tree_snapshot(prefix) == before


def test_create_json_reports_what_was_done(krait, local_channel) -> None:
    prefix = krait.prefix("json")
    out = krait.json("create", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tbin")
    assert out["success"] is True and out["dry_run"] is False
    assert {p["name"] for p in out["actions"]["LINK"]} == {"tbin", "tlib"}
    assert out["actions"]["PREFIX"] == str(prefix)
    assert installed_names(prefix) == {"tbin", "tlib"}


def test_conda_format_preferred_when_both_exist(krait, make_channel) -> None:
    ch = make_channel("dual")
    pkg = pb.Package("tdual", "1.0", noarch="generic")
    pkg.add_text("share/tdual/x.txt", "same payload in both formats\n")
    ch.add(pkg, ".tar.bz2")
    ch.add(pkg, ".conda")
    ch.write()
    prefix = krait.prefix("dual")
    ok(create(krait, prefix, ch.url, "tdual"))
    rec = conda_meta_records(prefix)["tdual"]
    assert rec["fn"] == "tdual-1.0-h0_0.conda" and rec["url"].endswith(".conda")
    assert (prefix / "share/tdual/x.txt").read_text() == "same payload in both formats\n"


def test_create_from_nginx(krait, local_channel, nginx_serve) -> None:
    server = nginx_serve(local_channel.root)
    prefix = krait.prefix("nginx")
    ok(create(krait, prefix, server.url, "tbin", "tpost"))
    out = subprocess.run([str(prefix / "bin/tbin")], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(prefix) + TBIN_SUFFIX
    assert_consistent(prefix, unowned_ok=["share/tpost/post-link-ran"])


def test_install_into_missing_prefix_fails_cleanly(krait, local_channel) -> None:
    prefix = krait.prefix("missing")
    failed(krait("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tlib"))
    assert not prefix.exists()
    failed(krait("list", "-p", prefix))


def test_create_from_zst_repodata_over_http(krait, make_channel, serve) -> None:
    ch = make_channel("zst")
    pkg = pb.Package("tzst", "1.0", noarch="generic")
    pkg.add_text("share/tzst/x.txt", "found through repodata.json.zst\n")
    ch.add(pkg, ".conda")
    ch.write(zst=True)
    # The plain repodata.json is a decoy that lists nothing: only the .zst knows tzst.
    (ch.root / "noarch/repodata.json").write_text(json.dumps({"info": {"subdir": "noarch"}, "packages": {},
                                                              "packages.conda": {}}))
    server = serve(ch.root)
    prefix = krait.prefix("zst")
    ok(create(krait, prefix, server.url, "tzst"))
    assert (prefix / "share/tzst/x.txt").is_file()
    assert [r["status"] for r in server.requests_for("/noarch/repodata.json.zst") if r["method"] == "GET"][:1] == [200]
