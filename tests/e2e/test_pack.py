"""`krait pack` / `krait unpack`: one-file environments, relocated.

The env is built at test time from the standard channel: tbin (gcc-compiled,
binary placeholder, prints its prefix), etc/tbin.conf (text placeholder),
told (legacy has_prefix), tpyapp (noarch python entry point), symlinks; the
test adds a hard-linked pair inside the env.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from installcheck import create, ok
from prefixtools import same_inode, tree_snapshot
from testchannel import TBIN_SUFFIX


MARKER = "conda-meta/.krait-packed-prefix"
# what differs legitimately between an env and its unpacked copy: every file
# with the prefix in it
RELOCATED = ("bin/tbin", "etc/tbin.conf", "etc/told.conf", "bin/tpyapp", "bin/python3.*")


@pytest.fixture
def src_env(krait, local_channel) -> Path:
    prefix = krait.prefix("src")
    ok(create(krait, prefix, local_channel.url, "tbin", "told", "tpyapp"))
    (prefix / "share/hl").mkdir()
    (prefix / "share/hl/a.txt").write_text("one file, two names\n")
    os.link(prefix / "share/hl/a.txt", prefix / "share/hl/b.txt")
    return prefix


def pack(krait, env: Path, out: Path, *extra: str):
    return krait("pack", "-p", env, "-o", out, *extra)


def modes(root: Path):
    return {rel: (kind, perm) for rel, (kind, perm, _d) in tree_snapshot(root).items()}


def check_runs_at(prefix: Path) -> None:
    out = subprocess.run([str(prefix / "bin/tbin")], capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(prefix) + TBIN_SUFFIX
    out = subprocess.run([str(prefix / "bin/tbin-alias")], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(prefix) + TBIN_SUFFIX
    assert (prefix / "etc/tbin.conf").read_text().startswith(f"prefix={prefix}\n")
    assert (prefix / "etc/told.conf").read_text() == f"home={prefix}\n"
    script = (prefix / "bin/tpyapp").read_text()
    assert script.startswith(f"#!{prefix}/bin/python")
    out = subprocess.run([str(prefix / "bin/tpyapp")], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("tpyapp ok"), out.stderr


def assert_same_tree(src: Path, dst: Path) -> None:
    a, b = tree_snapshot(src), tree_snapshot(dst)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel][:2] == b[rel][:2], rel  # kind and permission bits
        relocated = any(Path(rel).match(g) for g in RELOCATED)
        if not relocated:
            assert a[rel][2] == b[rel][2], rel
    assert same_inode(dst / "share/hl/a.txt", dst / "share/hl/b.txt")
    assert os.readlink(dst / "bin/tbin-alias") == "tbin"


@pytest.mark.parametrize("fmt", ["tar.zst", "tar.gz"])
def test_pack_unpack_elsewhere_relocates(krait, src_env, tmp_path, fmt) -> None:
    out = tmp_path / f"env.{fmt}"
    ok(pack(krait, src_env, out, "--format", fmt))
    listing = subprocess.run(["bsdtar", "-tvf", str(out)], capture_output=True, text=True, check=True).stdout
    assert "share/hl/b.txt link to share/hl/a.txt" in listing or "share/hl/a.txt link to share/hl/b.txt" in listing
    assert MARKER in listing
    dest = tmp_path / "moved" / "env-new"
    ok(krait("unpack", out, dest))
    check_runs_at(dest)
    assert_same_tree(src_env, dest)
    assert not (dest / MARKER).exists()
    assert str(dest) in (krait.home / ".conda/environments.txt").read_text().splitlines()
    names = {p["name"] for p in krait.json("list", "-p", dest)}
    assert {"tbin", "tlib", "told", "tpyapp", "python"} <= names


def test_pack_for_dest_prefix_runs_there_unchanged(krait, src_env, tmp_path) -> None:
    dest = tmp_path / "final"
    out = tmp_path / "env.tar.zst"
    ok(pack(krait, src_env, out, "--dest-prefix", dest))
    dest.mkdir()
    # plain tar, no krait: the files already hold the destination prefix
    subprocess.run(["bsdtar", "-xf", str(out), "-C", str(dest)], check=True)
    check_runs_at(dest)
    assert (dest / MARKER).read_text() == f"{dest}\n"
    # the source env is untouched
    check_runs_at(src_env)


def test_unpack_refuses_nonempty_dir_and_changes_nothing(krait, src_env, tmp_path) -> None:
    tmp_path = tmp_path / "w"
    tmp_path.mkdir()
    out = tmp_path / "env.tar.zst"
    ok(pack(krait, src_env, out))
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine\n")
    proc = krait("unpack", out, dest)
    assert proc.returncode == 1 and "not an empty directory" in proc.stderr
    assert sorted(os.listdir(dest)) == ["keep.txt"]
    assert sorted(os.listdir(tmp_path)) == sorted(["busy", "env.tar.zst"])


def test_exclude_leaves_paths_out(krait, src_env, tmp_path) -> None:
    out = tmp_path / "env.tar.gz"
    ok(pack(krait, src_env, out, "--exclude", "share/hl", "--exclude", "*.conf"))
    names = subprocess.run(["bsdtar", "-tf", str(out)], capture_output=True, text=True, check=True).stdout.split()
    assert "bin/tbin" in names
    assert not [n for n in names if n.startswith("share/hl") or n.endswith(".conf")]


def test_pip_packages_are_refused_unless_ignored(krait, src_env, tmp_path) -> None:
    site = next(src_env.glob("lib/python*/site-packages"))
    (site / "extpkg-2.1.dist-info").mkdir()
    (site / "extpkg-2.1.dist-info/INSTALLER").write_text("pip\n")
    out = tmp_path / "env.tar.zst"
    proc = pack(krait, src_env, out)
    assert proc.returncode == 1 and "installed by pip" in proc.stderr and "extpkg-2.1" in proc.stderr
    assert "tpyapp" not in proc.stderr.split("pip")[-1]  # conda's own python packages are not named
    assert not out.exists() and not list(tmp_path.glob("env.tar.zst*"))
    ok(pack(krait, src_env, out, "--ignore-pip"))
    assert out.is_file()


def test_bad_input_clear_errors_no_partial_file(krait, src_env, tmp_path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = pack(krait, tmp_path / "no-such-env", out_dir / "x.tar.zst")
    assert proc.returncode == 1 and "does not exist" in proc.stderr and "no-such-env" in proc.stderr
    proc = pack(krait, src_env, tmp_path / "missing-dir/x.tar.zst")
    assert proc.returncode == 1 and "cannot write" in proc.stderr and "missing-dir/x.tar.zst" in proc.stderr
    long_dest = "/opt/" + "d" * 300
    proc = pack(krait, src_env, out_dir / "x.tar.zst", "--dest-prefix", long_dest)
    assert proc.returncode == 1 and "bin/tbin" in proc.stderr and "tbin-1.0" in proc.stderr, proc.stderr
    proc = pack(krait, src_env, out_dir / "x.tar.zst", "--format", "zip")
    assert proc.returncode == 2 and "unknown pack format" in proc.stderr
    proc = krait("pack", "-p", src_env)
    assert proc.returncode == 2 and "-o FILE" in proc.stderr
    assert os.listdir(out_dir) == []
    # an existing output survives a failed pack
    (out_dir / "x.tar.zst").write_text("previous\n")
    proc = pack(krait, src_env, out_dir / "x.tar.zst", "--dest-prefix", long_dest)
    assert proc.returncode == 1
    assert os.listdir(out_dir) == ["x.tar.zst"] and (out_dir / "x.tar.zst").read_text() == "previous\n"
    proc = krait("unpack", tmp_path / "none.tar.zst", tmp_path / "u")
    assert proc.returncode == 1 and "does not exist" in proc.stderr and not (tmp_path / "u").exists()


def test_apptainer_def(krait, src_env, tmp_path) -> None:
    out = tmp_path / "env.tar.zst"
    d = tmp_path / "env.def"
    ok(pack(krait, src_env, out, "--dest-prefix", "/opt/env", "--apptainer-def", d))
    text = d.read_text()
    assert "Bootstrap: docker" in text and f"    {out} /krait-env.pack" in text
    assert "%environment" in text and "export PATH=/opt/env/bin:$PATH" in text
    assert "tar -xaf /krait-env.pack -C /opt/env" in text


def mount_squashfs(image: Path, at: Path) -> list:
    """Mounts image at `at`: squashfuse when /dev/fuse is usable, else a loop mount
    (root). Returns the unmount command; skips (with the reason) when the machine
    forbids both."""
    for tool in ("squashfuse", "unsquashfs"):
        assert shutil.which(tool), f"{tool} is missing (.ci/install-deps installs it)"
    at.mkdir(parents=True, exist_ok=True)
    reasons = []
    if os.access("/dev/fuse", os.R_OK | os.W_OK):
        proc = subprocess.run(["squashfuse", str(image), str(at)], capture_output=True, text=True, timeout=60)
        if proc.returncode == 0:
            return ["fusermount", "-u", str(at)] if shutil.which("fusermount") else ["umount", str(at)]
        reasons.append("squashfuse: " + proc.stderr.strip())
    else:
        reasons.append("/dev/fuse is not usable")
    if os.geteuid() == 0:
        proc = subprocess.run(["mount", "-t", "squashfs", "-o", "loop,ro", str(image), str(at)],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode == 0:
            return ["umount", str(at)]
        reasons.append("loop mount: " + proc.stderr.strip())
    else:
        reasons.append("not root, no loop mount")
    pytest.skip("cannot mount a squashfs here: " + "; ".join(reasons))


def test_squashfs_mounted_at_dest_prefix_runs(krait, src_env, tmp_path) -> None:
    dest = tmp_path / "mnt" / "env"
    image = tmp_path / "env.sqsh"
    ok(pack(krait, src_env, image, "--dest-prefix", dest))
    listing = subprocess.run(["unsquashfs", "-lls", str(image)], capture_output=True, text=True, check=True).stdout
    assert "squashfs-root/bin/tbin-alias -> tbin" in listing and "squashfs-root/" + MARKER in listing
    unmount = mount_squashfs(image, dest)
    try:
        check_runs_at(dest)
        a, b = modes(src_env), modes(dest)
        b.pop(MARKER)
        assert a == b
        # squashfuse numbers inodes itself; the link count shows the hard link
        assert os.lstat(dest / "share/hl/a.txt").st_nlink == 2 == os.lstat(dest / "share/hl/b.txt").st_nlink
        assert (dest / "share/tbin/data.txt").read_bytes() == (src_env / "share/tbin/data.txt").read_bytes()
    finally:
        subprocess.run(unmount, check=True, timeout=60)


def test_squashfs_extracts_identically(krait, src_env, tmp_path) -> None:
    image = tmp_path / "env.sqsh"
    ok(pack(krait, src_env, image, "--format", "squashfs"))
    out = tmp_path / "x"
    subprocess.run(["unsquashfs", "-q", "-n", "-d", str(out), str(image)], check=True, capture_output=True)
    assert (out / MARKER).read_text() == f"{src_env}\n"
    (out / MARKER).unlink()
    assert tree_snapshot(src_env) == tree_snapshot(out)
    assert same_inode(out / "share/hl/a.txt", out / "share/hl/b.txt")
