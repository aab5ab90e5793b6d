"""Several users on one machine (a cluster login node): a site-wide read-only cache, a group cache with
setgid directories, caches owned by someone else. A second user is created by the test and krait runs
as that user through setpriv. Needs root and useradd (CI has both); elsewhere a counted skip says why."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from installcheck import ok
from pkgbuild import Channel, Package
from prefixtools import assert_tree_unchanged, tree_snapshot



@pytest.fixture(scope="module")
def other_user():
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"):
        pytest.skip("multi-user tests create a user: need root, useradd and setpriv (CI has them)")
    name, group = f"kru{os.getpid()}", f"krg{os.getpid()}"
    subprocess.run(["groupadd", group], check=True)
    subprocess.run(["useradd", "-M", "-N", "-g", "users", "-G", group, "-s", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name), grp.getgrnam(group)
    finally:
        subprocess.run(["userdel", name], check=False)
        subprocess.run(["groupdel", group], check=False)


@pytest.fixture
def world(tmp_path):
    """A directory every user can reach (pytest's own tmp dirs are private to root)."""
    base = Path(tempfile.mkdtemp(prefix="krait-users-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def users_channel(world):
    ch = Channel(world / "channel")
    pkg = Package("tshared", "1.0", noarch="generic")
    pkg.add_text("share/tshared/a.txt", "shared\n")
    pkg.add_text("bin/tshared-tool", "#!/bin/sh\necho ok\n", mode=0o755)
    ch.add(pkg, ".conda")
    other = Package("tmine", "1.0", noarch="generic")
    other.add_text("share/tmine/b.txt", "mine\n")
    ch.add(other, ".tar.bz2")
    ch.write()
    for dirpath, dirs, files in os.walk(world / "channel"):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)
    return ch


def user_home(user, world: Path) -> Path:
    home = world / f"home-{user.pw_name}"
    home.mkdir(exist_ok=True)
    os.chown(home, user.pw_uid, user.pw_gid)
    return home


def run_as(user, krait_bin: Path, world: Path, pkgs_dirs, *args, umask: int = 0o022):
    home = user_home(user, world)
    condarc = world / "condarc.yml"
    condarc.touch()
    condarc.chmod(0o644)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8",
           "KRAIT_ROOT_PREFIX": str(home / "root"), "CONDARC": str(condarc), "MAMBARC": str(condarc),
           "CONDA_PKGS_DIRS": ",".join(str(p) for p in pkgs_dirs), "CONDA_ENVS_DIRS": str(home / "envs")}
    argv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--",
            "sh", "-c", f"umask {umask:03o} && exec \"$@\"", "sh", str(krait_bin), *map(str, args)]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=home)


def test_site_read_only_cache_plus_the_users_writable_one(krait, krait_bin, other_user, world,
                                                         users_channel) -> None:
    user, _ = other_user
    site = world / "site-pkgs"  # filled by the admin (root), read-only to everyone else
    ok(krait("create", "-p", world / "adminenv", "-c", users_channel.url, "--override-channels", "-y", "tshared",
             env={"CONDA_PKGS_DIRS": str(site)}))
    before = tree_snapshot(site)
    mine = world / f"home-{user.pw_name}" / "pkgs"
    prefix = world / f"home-{user.pw_name}" / "env"
    proc = run_as(user, krait_bin, world, [site, mine], "create", "-p", prefix, "-c", users_channel.url,
                  "--override-channels", "-y", "tshared", "tmine")
    ok(proc)
    assert (prefix / "share/tshared/a.txt").read_text() == "shared\n"
    assert (prefix / "share/tmine/b.txt").read_text() == "mine\n"
    # tshared came from the site cache; only tmine went into the user's own cache
    assert not list(mine.glob("tshared-*")) and list(mine.glob("tmine-1.0-*"))
    assert_tree_unchanged(before, site)  # not one file added, changed or chmod-ed


def test_group_cache_with_setgid_dirs_and_the_umask(krait_bin, other_user, world, users_channel) -> None:
    user, group = other_user
    cache = world / "group-pkgs"
    cache.mkdir()
    os.chown(cache, 0, group.gr_gid)
    cache.chmod(0o2775)
    prefix = world / f"home-{user.pw_name}" / "genv"
    ok(run_as(user, krait_bin, world, [cache], "create", "-p", prefix, "-c", users_channel.url,
              "--override-channels", "-y", "tshared", umask=0o002))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o2775 and cache.stat().st_gid == group.gr_gid
    new = list(cache.rglob("*"))
    assert new
    for p in new:
        st = p.lstat()
        if stat.S_ISLNK(st.st_mode):
            continue
        assert st.st_gid == group.gr_gid, f"{p} is not in the group (setgid not inherited?)"
        assert not st.st_mode & 0o002, f"{p} is writable by others: the umask 002 was not respected"
        if stat.S_ISDIR(st.st_mode):
            assert st.st_mode & stat.S_ISGID, f"{p}: a directory without the setgid bit"


def test_a_cache_owned_by_another_user_is_never_chmod_ed(krait, krait_bin, other_user, world,
                                                        users_channel) -> None:
    user, _ = other_user
    theirs = world / "their-pkgs"  # root's, mode 0755: not writable for the user, and must stay so
    ok(krait("create", "-p", world / "rootenv", "-c", users_channel.url, "--override-channels", "-y", "tmine",
             env={"CONDA_PKGS_DIRS": str(theirs)}))
    before = tree_snapshot(theirs)
    mode_before = stat.S_IMODE(theirs.stat().st_mode)
    mine = world / f"home-{user.pw_name}" / "pkgs"
    prefix = world / f"home-{user.pw_name}" / "oenv"
    ok(run_as(user, krait_bin, world, [theirs, mine], "create", "-p", prefix, "-c", users_channel.url,
              "--override-channels", "-y", "tmine", "tshared"))
    assert stat.S_IMODE(theirs.stat().st_mode) == mode_before
    assert_tree_unchanged(before, theirs)
