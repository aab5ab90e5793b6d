"""Self-tests of the e2e infrastructure, checked against independent tools.

If these fail, the installer tests cannot be trusted: packages must validate with
cph and bsdtar, repodata digests must match the files, the HTTP server must answer
conditional GETs like a real one, and the placeholder program must print what the
installer is expected to patch.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

import pkgbuild as pb
from conftest import Krait
from prefixtools import (assert_tree_unchanged, same_inode, link_count, tree_diff, tree_hash, tree_snapshot,
                         conda_meta_records, history_lines, owned_paths)
from testchannel import PY_VER, SHORT_PLACEHOLDER, TBIN_SUFFIX, python_package

FORMATS = [".conda", ".tar.bz2"]


def cph_extract(archive: Path, dest: Path) -> Path:
    proc = subprocess.run(["cph", "x", str(archive), "--dest", str(dest)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return dest


def sample_package() -> pb.Package:
    pkg = pb.Package("sample", "1.2.3", build_number=4, depends=["tlib >=1.0"], constrains=["other <2"])
    pkg.add_text("etc/sample.conf", f"root={pb.TEXT_PLACEHOLDER}\n", placeholder=pb.TEXT_PLACEHOLDER)
    pkg.add_file("bin/sample", "#!/bin/sh\necho sample\n", mode=0o755)
    pkg.add_symlink("bin/sample-link", "sample")
    pkg.add_file("share/sample/data.bin", bytes(range(256)))
    return pkg


@pytest.mark.parametrize("fmt", FORMATS)
def test_cph_roundtrip_matches_package(tmp_path: Path, fmt: str) -> None:
    pkg = sample_package()
    built = pkg.make(tmp_path / "out", fmt)
    assert built.fn == f"sample-1.2.3-h0_4{fmt}"
    root = cph_extract(built.path, tmp_path / "x")
    for e in pkg.entries:
        p = root / e.path
        if e.kind == "symlink":
            assert p.is_symlink() and os.readlink(p) == e.target
        else:
            assert p.read_bytes() == e.content, e.path
            assert (p.stat().st_mode & 0o111 != 0) == (e.mode & 0o111 != 0), e.path
    index = json.loads((root / "info/index.json").read_text())
    assert (index["name"], index["version"], index["build"], index["build_number"]) == ("sample", "1.2.3", "h0_4", 4)
    assert index["depends"] == ["tlib >=1.0"] and index["constrains"] == ["other <2"]
    assert index["subdir"] == pb.native_subdir()
    paths = json.loads((root / "info/paths.json").read_text())
    assert paths["paths_version"] == 1
    by_path = {p["_path"]: p for p in paths["paths"]}
    assert sorted(by_path) == sorted(e.path for e in pkg.entries)
    for rel, item in by_path.items():
        data = (root / rel).read_bytes()  # follows the softlink: CEP 34 hashes the target
        assert item["sha256"] == hashlib.sha256(data).hexdigest(), rel
        assert item["size_in_bytes"] == len(data), rel
    assert by_path["bin/sample-link"]["path_type"] == "softlink"
    assert by_path["etc/sample.conf"]["prefix_placeholder"] == pb.TEXT_PLACEHOLDER
    assert by_path["etc/sample.conf"]["file_mode"] == "text"
    assert "prefix_placeholder" not in by_path["bin/sample"]
    files = (root / "info/files").read_text().splitlines()
    assert files == sorted(e.path for e in pkg.entries)


@pytest.mark.parametrize("fmt", FORMATS)
def test_bsdtar_lists_same_members_as_stdlib(tmp_path: Path, fmt: str) -> None:
    built = sample_package().make(tmp_path, fmt)
    expected = pb.list_archive(built.path)
    assert "info/index.json" in expected and "bin/sample-link" in expected
    if fmt == ".tar.bz2":
        out = subprocess.run(["bsdtar", "-tf", str(built.path)], capture_output=True, text=True, check=True).stdout
        names = [n.removeprefix("./") for n in out.split()]
    else:
        outer = subprocess.run(["bsdtar", "-tf", str(built.path)], capture_output=True, text=True,
                               check=True).stdout.split()
        dist = "sample-1.2.3-h0_4"
        assert sorted(outer) == sorted(["metadata.json", f"info-{dist}.tar.zst", f"pkg-{dist}.tar.zst"])
        names = []
        for inner in (f"info-{dist}.tar.zst", f"pkg-{dist}.tar.zst"):
            raw = subprocess.run(["bsdtar", "-xOf", str(built.path), inner], capture_output=True, check=True).stdout
            listing = subprocess.run(["bsdtar", "-tf", "-"], input=raw, capture_output=True, check=True).stdout
            names += [n.removeprefix("./") for n in listing.decode().split()]
            prefix_ok = all(n.startswith("info/") for n in listing.decode().split() if not n.endswith("/"))
            assert prefix_ok == inner.startswith("info-"), inner
    assert sorted(n for n in names if not n.endswith("/")) == expected


def test_conda_format_envelope(tmp_path: Path) -> None:
    built = sample_package().make(tmp_path, ".conda")
    with zipfile.ZipFile(built.path) as z:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        assert json.loads(z.read("metadata.json"))["conda_pkg_format_version"] == 2


def test_repodata_matches_archives(local_channel) -> None:
    ch = local_channel.channel
    seen = set()
    for subdir in sorted({b.package.subdir for b in ch.built} | {"noarch", ch.platform_subdir}):
        repodata = json.loads((local_channel.root / subdir / "repodata.json").read_text())
        assert repodata["info"]["subdir"] == subdir
        for key, suffix in (("packages", ".tar.bz2"), ("packages.conda", ".conda")):
            for fn, rec in repodata[key].items():
                assert fn.endswith(suffix), fn
                path = local_channel.root / subdir / fn
                digests = pb.file_digests(path)
                assert rec["md5"] == digests["md5"] and rec["size"] == digests["size"], fn
                if rec["name"] == "tbadsha":
                    assert rec["sha256"] != digests["sha256"]
                else:
                    assert rec["sha256"] == digests["sha256"], fn
                assert fn == f"{rec['name']}-{rec['version']}-{rec['build']}{suffix}"
                assert rec["subdir"] == subdir
                seen.add(rec["name"])
    assert {"tlib", "tbin", "told", "python", "pip", "tpyapp", "tpost", "tbadsha", "tescape", "tescapec",
            "tshortph", "tslow", "tafter", "tmany"} <= seen


def test_repodata_records_equal_index_json(local_channel, tmp_path: Path) -> None:
    """repodata.json on disk agrees with each archive's own info/index.json (read by cph)."""
    for built in local_channel.channel.built:
        subdir = built.package.subdir
        repodata = json.loads((local_channel.root / subdir / "repodata.json").read_text())
        key = "packages.conda" if built.fn.endswith(".conda") else "packages"
        rec = repodata[key][built.fn]
        if built.package.name.startswith("tescape"):
            # cph refuses to open these at all (see test_escape_member_present).
            index = json.loads(pb.read_member(built.path, "info/index.json"))
        else:
            dest = tmp_path / built.fn
            proc = subprocess.run(["cph", "x", "--info", str(built.path), "--dest", str(dest)],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            index = json.loads((dest / "info/index.json").read_text())
            assert index == json.loads(pb.read_member(built.path, "info/index.json"))
        for field in ("name", "version", "build", "build_number", "depends", "constrains", "subdir", "noarch"):
            assert rec.get(field) == index.get(field), (built.fn, field)


def test_placeholder_binary_prints_placeholder_and_patch_works(local_channel, tmp_path: Path) -> None:
    root = cph_extract(local_channel.channel.find("tbin").path, tmp_path / "tbin")
    exe = root / "bin/tbin"
    assert len(pb.BINARY_PLACEHOLDER) == 255
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.strip()
    assert out == pb.BINARY_PLACEHOLDER + TBIN_SUFFIX
    # What the installer must do (binary mode): rewrite the string in place, pad with NULs.
    data = exe.read_bytes()
    old = (pb.BINARY_PLACEHOLDER + TBIN_SUFFIX).encode()
    assert data.count(old) == 1
    new_prefix = str(tmp_path / "some/prefix")
    new = (new_prefix + TBIN_SUFFIX).encode()
    patched = data.replace(old, new + b"\0" * (len(old) - len(new)))
    assert len(patched) == len(data)
    exe.write_bytes(patched)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.strip()
    assert out == new_prefix + TBIN_SUFFIX


def test_text_placeholder_and_legacy_metadata(local_channel, tmp_path: Path) -> None:
    root = cph_extract(local_channel.channel.find("told").path, tmp_path / "told")
    assert not (root / "info/paths.json").exists()
    assert (root / "info/has_prefix").read_text() == f"{pb.TEXT_PLACEHOLDER} text etc/told.conf\n"
    assert (root / "info/files").read_text().splitlines() == ["etc/told.conf", "share/told/readme.txt"]
    assert pb.TEXT_PLACEHOLDER in (root / "etc/told.conf").read_text()


def test_short_binary_placeholder_package(local_channel, tmp_path: Path) -> None:
    root = cph_extract(local_channel.channel.find("tshortph").path, tmp_path / "s")
    item = json.loads((root / "info/paths.json").read_text())["paths"][0]
    assert item["file_mode"] == "binary" and item["prefix_placeholder"] == SHORT_PLACEHOLDER
    # Any prefix the tests use is longer than the placeholder, so installing must be refused.
    assert len(str(tmp_path)) > len(SHORT_PLACEHOLDER)


def test_noarch_python_metadata(local_channel, tmp_path: Path) -> None:
    root = cph_extract(local_channel.channel.find("tpyapp").path, tmp_path / "app")
    link = json.loads((root / "info/link.json").read_text())
    assert link["noarch"] == {"type": "python", "entry_points": ["tpyapp = tpyapp.cli:main"]}
    index = json.loads((root / "info/index.json").read_text())
    assert index["noarch"] == "python" and index["subdir"] == "noarch"
    assert (root / "site-packages/tpyapp/cli.py").is_file()
    assert os.access(root / "python-scripts/tpyapp-tool", os.X_OK)


def test_python_standin_runs_env_site_packages(local_channel, tmp_path: Path) -> None:
    """Do by hand what the installer will do, to prove the stand-in python works."""
    prefix = tmp_path / "env"
    py_root = cph_extract(local_channel.channel.find("python").path, tmp_path / "py")
    app_root = cph_extract(local_channel.channel.find("tpyapp").path, tmp_path / "app")
    shutil.copytree(py_root, prefix, symlinks=True, ignore=shutil.ignore_patterns("info"))
    wrapper = prefix / f"bin/python{PY_VER}"
    wrapper.write_text(wrapper.read_text().replace(pb.TEXT_PLACEHOLDER, str(prefix)))
    shutil.copytree(app_root / "site-packages", prefix / f"lib/python{PY_VER}/site-packages", dirs_exist_ok=True)
    entry = prefix / "bin/tpyapp"
    entry.write_text(f"#!{prefix}/bin/python\nimport sys\nfrom tpyapp.cli import main\nsys.exit(main())\n")
    entry.chmod(0o755)
    out = subprocess.run([str(entry)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("tpyapp ok ")


def test_post_link_script_location(local_channel, tmp_path: Path) -> None:
    root = cph_extract(local_channel.channel.find("tpost").path, tmp_path / "p")
    script = root / "bin/.tpost-post-link.sh"
    assert os.access(script, os.X_OK)
    prefix = tmp_path / "fake-prefix"
    prefix.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PREFIX": str(prefix), "PKG_NAME": "tpost", "PKG_VERSION": "1.0"}
    subprocess.run(["/bin/sh", str(script)], env=env, check=True)
    assert (prefix / "share/tpost/post-link-ran").read_text() == f"tpost 1.0 {prefix}\n"


@pytest.mark.parametrize("name,fmt", [("tescape", ".tar.bz2"), ("tescapec", ".conda")])
def test_escape_member_present(local_channel, name: str, fmt: str, tmp_path: Path) -> None:
    built = local_channel.channel.find(name)
    # An independent extractor agrees that the archive is unsafe.
    proc = subprocess.run(["cph", "x", str(built.path), "--dest", str(tmp_path / "x" / "y")],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "unsafe path" in proc.stderr
    assert not (tmp_path / "x" / f"{name}-escaped.txt").exists()
    assert built.fn.endswith(fmt)
    members = pb.list_archive(built.path)
    assert f"../{name}-escaped.txt" in members
    assert f"share/{name}/ok.txt" in members and "info/paths.json" in members


def test_build_raw_matches_cph_content(tmp_path: Path) -> None:
    """Hand-made archives (used for hostile packages) carry the same payload as cph's."""
    pkg = sample_package()
    for fmt in FORMATS:
        a = cph_extract(pb.build_raw(pkg, tmp_path / "raw", fmt).path, tmp_path / ("raw" + fmt))
        b = cph_extract(pkg.make(tmp_path / "cph", fmt).path, tmp_path / ("cph" + fmt))
        assert tree_snapshot(a) == tree_snapshot(b)


# ---- HTTP servers ------------------------------------------------------------------------

def _get(port: int, path: str, method: str = "GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def _check_conditional_get(port: int, path: str, file: Path) -> None:
    resp, body = _get(port, path)
    assert resp.status == 200 and body == file.read_bytes()
    etag, last_modified = resp.getheader("ETag"), resp.getheader("Last-Modified")
    assert etag and last_modified
    resp, body = _get(port, path, headers={"If-None-Match": etag})
    assert resp.status == 304 and body == b""
    resp, body = _get(port, path, headers={"If-Modified-Since": last_modified})
    assert resp.status == 304 and body == b""
    resp, body = _get(port, path, "HEAD")
    assert resp.status == 200 and body == b"" and int(resp.getheader("Content-Length")) == file.stat().st_size
    # Change the file: the old validators no longer match.
    file.write_bytes(file.read_bytes() + b"\n")
    later = time.time() + 5
    os.utime(file, (later, later))
    resp, body = _get(port, path, headers={"If-None-Match": etag})
    assert resp.status == 200 and body == file.read_bytes()
    resp, _ = _get(port, path, headers={"If-Modified-Since": last_modified})
    assert resp.status == 200


def test_http_server_conditional_get(local_channel, serve, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(local_channel.root, root)
    server = serve(root)
    _check_conditional_get(server.port, "/noarch/repodata.json", root / "noarch/repodata.json")
    statuses = [r["status"] for r in server.requests_for("/noarch/repodata.json")]
    assert statuses == [200, 304, 304, 200, 200, 200]
    resp, _ = _get(server.port, "/noarch/missing.json")
    assert resp.status == 404
    resp, _ = _get(server.port, "/../../etc/passwd")
    assert resp.status in (400, 404)
    server.fail["/noarch/repodata.json"] = 500
    resp, _ = _get(server.port, "/noarch/repodata.json")
    assert resp.status == 500


def test_http_channel_serves_archives(http_channel, local_channel) -> None:
    built = local_channel.channel.find("tbin")
    resp, body = _get(http_channel.port, f"/{built.package.subdir}/{built.fn}")
    assert resp.status == 200 and hashlib.sha256(body).hexdigest() == pb.file_digests(built.path)["sha256"]
    assert http_channel.url.startswith("http://127.0.0.1:")


def test_nginx_conditional_get(local_channel, nginx_serve, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(local_channel.root, root)
    server = nginx_serve(root)
    _check_conditional_get(server.port, "/noarch/repodata.json", root / "noarch/repodata.json")


# ---- prefix helpers and the krait runner ---------------------------------------------------

def test_tree_snapshot_detects_every_kind_of_change(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "d").mkdir(parents=True)
    (root / "d/f").write_text("one")
    os.symlink("f", root / "d/l")
    before = tree_snapshot(root)
    h = tree_hash(root)
    assert tree_hash(root) == h and tree_diff(before, tree_snapshot(root)) == []
    changes = [
        lambda: (root / "d/f").write_text("two"),
        lambda: os.chmod(root / "d/f", 0o600),
        lambda: (os.unlink(root / "d/l"), os.symlink("g", root / "d/l")),
        lambda: (root / "d/new").write_text(""),
        lambda: (root / "empty").mkdir(),
    ]
    for change in changes:
        shutil.rmtree(root)
        (root / "d").mkdir(parents=True)
        (root / "d/f").write_text("one")
        os.chmod(root / "d/f", 0o644)
        os.symlink("f", root / "d/l")
        assert tree_hash(root) == h
        change()
        assert tree_hash(root) != h
        assert tree_diff(before, tree_snapshot(root))
        with pytest.raises(AssertionError):
            assert_tree_unchanged(before, root)
    assert tree_snapshot(tmp_path / "absent") == {}
    assert tree_hash(root, ignore=["empty"]) == h


def test_inode_helpers(tmp_path: Path) -> None:
    a = tmp_path / "a"
    a.write_text("x")
    os.link(a, tmp_path / "b")
    shutil.copy(a, tmp_path / "c")
    assert same_inode(a, tmp_path / "b") and link_count(a) == 2
    assert not same_inode(a, tmp_path / "c") and link_count(tmp_path / "c") == 1


def test_conda_meta_helpers(tmp_path: Path) -> None:
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "history").write_text("==> 2026-01-01 00:00:00 <==\n+local::tlib-1.0-h0_0\n")
    (meta / "tlib-1.0-h0_0.json").write_text(json.dumps({"name": "tlib", "files": ["lib/libtlib.so.1"]}))
    assert conda_meta_records(tmp_path)["tlib"]["_meta_file"] == "tlib-1.0-h0_0.json"
    assert history_lines(tmp_path)[1] == "+local::tlib-1.0-h0_0"
    assert owned_paths(tmp_path) == {"lib/libtlib.so.1": "tlib"}


def test_krait_runner_isolates_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CONDA_PKGS_DIRS", "/should/not/leak")
    monkeypatch.setenv("MAMBA_ROOT_PREFIX", "/should/not/leak")
    monkeypatch.setenv("CONDARC", "/should/not/leak")
    k = Krait(Path("/usr/bin/env"), tmp_path / "k")  # `env` prints the environment it got
    out = k(check=True).stdout
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert "/should/not/leak" not in out
    assert env["HOME"] == str(k.home) and env["KRAIT_ROOT_PREFIX"] == str(k.root_prefix)
    assert env["CONDA_PKGS_DIRS"] == str(k.pkgs_dir)
    assert Path(env["CONDARC"]).read_text() == ""
    assert "MAMBA_ROOT_PREFIX" not in env
    assert k.prefix("x").parent == k.envs_root and not k.prefix("x").exists()


def test_krait_runner_json_and_kill(tmp_path: Path) -> None:
    k = Krait(Path("/bin/echo"), tmp_path / "k")
    with pytest.raises(AssertionError, match="not JSON"):
        k.json("hello")
    k2 = Krait(Path("/bin/sh"), tmp_path / "k2")
    assert k2.json("-c", 'echo "{\\"ok\\": true}"; true') == {"ok": True}
    proc = k2.popen("-c", "sleep 60 & sleep 60")
    Krait.kill_group(proc)
    assert proc.returncode == -9


def test_shared_data_fixture(shared_data: Path) -> None:
    """Our digest code agrees with a real channel's repodata (independent check)."""
    chan = shared_data / "channels/conda-test-recipes/noarch"
    if not (chan / "repodata.json").exists():
        pytest.skip("conda-test-recipes channel absent from shared data")
    repodata = json.loads((chan / "repodata.json").read_text())
    checked = 0
    for key in ("packages", "packages.conda"):
        for fn, rec in repodata.get(key, {}).items():
            if (chan / fn).exists():
                d = pb.file_digests(chan / fn)
                assert (d["md5"], d["sha256"], d["size"]) == (rec["md5"], rec["sha256"], rec["size"]), fn
                checked += 1
    assert checked > 0


def test_python_package_uses_placeholder() -> None:
    pkg = python_package()
    wrapper = next(e for e in pkg.entries if e.path == f"bin/python{PY_VER}")
    assert wrapper.placeholder == pb.TEXT_PLACEHOLDER and pb.TEXT_PLACEHOLDER.encode() in wrapper.content


def test_hand_written_tar_with_dotdot_is_what_we_claim(tmp_path: Path) -> None:
    built = pb.build_raw(pb.Package("evil", "1", noarch="generic"), tmp_path, ".tar.bz2",
                         extra_members=[("../x", b"x", 0o644, None), ("/abs", b"y", 0o644, None),
                                        ("share/link", None, 0o777, "../../..")])
    with tarfile.open(built.path) as tar:
        names = {m.name: m for m in tar.getmembers()}
    assert "../x" in names and "/abs" in names and names["share/link"].issym()
    assert names["share/link"].linkname == "../../.."
    # And nothing was written outside the output directory by building it.
    assert not (tmp_path.parent / "x").exists()


def test_channel_zst_repodata(tmp_path: Path) -> None:
    ch = pb.Channel(tmp_path / "c")
    ch.add(pb.Package("z", "1", noarch="generic").add_text("share/z", "z\n"), ".tar.bz2")
    ch.write(zst=True)
    plain = (tmp_path / "c/noarch/repodata.json").read_bytes()
    assert pb.zstd_decompress((tmp_path / "c/noarch/repodata.json.zst").read_bytes()) == plain
    assert "z-1-h0_0.tar.bz2" in json.loads(plain)["packages"]
    ch.write()
    assert not (tmp_path / "c/noarch/repodata.json.zst").exists()
