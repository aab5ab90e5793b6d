"""Where krait did something other than conda on the same files (issue 12 item 6, issue 6):
record fields, link-script messages, noarch relinks on a python upgrade, an archive that
disagrees with its paths.json, `create --force` plans, clobbered files on remove, file://
archives in the cache, and names that cannot name a file.

INSTALLER TESTS: they need a working `krait create` (see README).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import pkgbuild as pb
from installcheck import assert_consistent, create, failed, install, installed_names, ok
from prefixtools import conda_meta_records



# ---- a file two packages install: removing one keeps the other's ----

def test_remove_keeps_a_file_another_package_overwrote(krait, make_channel) -> None:
    ch = make_channel("clobber")
    first = pb.Package("tfirst", "1.0", noarch="generic")
    first.add_text("share/shared.txt", "from tfirst\n")
    first.add_text("share/tfirst/own.txt", "tfirst only\n")
    second = pb.Package("tsecond", "1.0", noarch="generic")
    second.add_text("share/shared.txt", "from tsecond\n")
    ch.add(first, ".conda")
    ch.add(second, ".conda")
    ch.write()
    prefix = krait.prefix("clobber")
    ok(create(krait, prefix, ch.url, "tfirst"))
    proc = ok(install(krait, prefix, ch.url, "tsecond"))
    assert "share/shared.txt" in proc.stderr  # the clobber is reported
    assert (prefix / "share/shared.txt").read_text() == "from tsecond\n"
    proc = ok(krait("remove", "-p", prefix, "-y", "tfirst"))
    assert installed_names(prefix) == {"tsecond"}
    assert not (prefix / "share/tfirst/own.txt").exists()
    # tsecond still owns it: it stays, with tsecond's content
    assert (prefix / "share/shared.txt").read_text() == "from tsecond\n"
    assert "tsecond" in proc.stderr and "share/shared.txt" in proc.stderr
    assert_consistent(prefix)
    # and when the last owner goes, the file goes
    ok(krait("remove", "-p", prefix, "-y", "tsecond"))
    assert not (prefix / "share/shared.txt").exists()


# ---- link-script messages are shown without -v ----

def test_link_messages_shown_by_default(krait, make_channel, shared_data) -> None:
    # a real conda test package with info/prelink_messages/{message-from-pkg,message-from-pkg2}.txt
    recipes = shared_data / "channels/conda-test-recipes"
    prefix = krait.prefix("msgs")
    proc = ok(krait("create", "-p", prefix, "-c", recipes.as_uri(), "--override-channels", "-y",
                    "pre_link_messages_package"))
    assert "Lorem ipsum dolor sit amet" in proc.stderr and "SPAM!" in proc.stderr
    assert proc.stderr.index("Lorem ipsum") < proc.stderr.index("SPAM!")  # file name order
    # a post-link script's $PREFIX/.messages.txt: shown, and not left in the prefix
    ch = make_channel("msgs")
    pkg = pb.Package("tmsg", "1.0", noarch="generic")
    pkg.add_text("share/tmsg/readme.txt", "x\n")
    pkg.add_post_link('#!/bin/sh\necho "tmsg says: read the docs at $PREFIX/share/tmsg" >> "$PREFIX/.messages.txt"\n')
    ch.add(pkg, ".conda")
    ch.write()
    proc = ok(install(krait, prefix, ch.url, "tmsg"))
    assert f"tmsg says: read the docs at {prefix}/share/tmsg" in proc.stderr
    assert not (prefix / ".messages.txt").exists()
    # -q silences them
    prefix2 = krait.prefix("quiet")
    proc = ok(krait("create", "-p", prefix2, "-c", ch.url, "--override-channels", "-y", "-q", "tmsg"))
    assert "tmsg says" not in proc.stderr


# ---- records as conda writes them ----

def _conda_channel_shape(rec: dict) -> None:
    """channel = <channel URL>/<subdir>; package_type only for noarch, and then noarch_<type>."""
    assert rec["channel"].endswith("/" + rec["subdir"]), rec["channel"]
    assert "/" + rec["subdir"] + "/" + rec["fn"] == rec["url"][len(rec["channel"]) - len(rec["subdir"]) - 1:]
    if rec.get("noarch"):
        assert rec["package_type"] == "noarch_" + rec["noarch"]
    else:
        assert "package_type" not in rec


def test_records_carry_channel_subdir_and_package_type(krait, local_channel, shared_data) -> None:
    # What conda itself wrote (the records with package_tarball_full_path and no micromamba
    # "build_string"): channel with the subdir, package_type for noarch: python.
    real = shared_data / "prefix/rattler-conda-meta"
    records = [json.loads(p.read_text()) for p in sorted(real.glob("*.json"))]
    written_by_conda = [r for r in records if r.get("package_tarball_full_path") and "build_string" not in r]
    assert {r["name"] for r in written_by_conda} == {"libsqlite", "pip", "vc", "wheel"}
    for rec in written_by_conda:
        _conda_channel_shape(rec)
        assert rec["channel"] == "https://conda.anaconda.org/conda-forge/" + rec["subdir"], rec["channel"]
    pip_rec = json.loads((real / "pip-23.0-pyhd8ed1ab_0.json").read_text())
    assert pip_rec["package_type"] == "noarch_python"

    prefix = krait.prefix("rec")
    ok(create(krait, prefix, local_channel.url, "tbin", "tpyapp", "tpost"))
    recs = conda_meta_records(prefix)
    for name in ("tbin", "tlib", "tpyapp", "tpost", "python"):
        _conda_channel_shape(recs[name])
        assert recs[name]["channel"] == local_channel.url.rstrip("/") + "/" + recs[name]["subdir"]
    assert recs["tpyapp"]["package_type"] == "noarch_python"
    assert recs["tpost"]["package_type"] == "noarch_generic"
    # the same in the cache's repodata_record.json
    for name in ("tbin", "tpyapp"):
        dist = f"{name}-{recs[name]['version']}-{recs[name]['build']}"
        rr = json.loads((krait.pkgs_dir / dist / "info/repodata_record.json").read_text())
        _conda_channel_shape(rr)
        assert rr["channel"] == recs[name]["channel"]
    # krait reads such records back: list shows the channel without the subdir doubled
    out = krait.json("list", "-p", prefix)
    row = next(r for r in out if r["name"] == "tbin")
    assert row["base_url"] == local_channel.url.rstrip("/")
    # and a later transaction on the env works as before
    ok(krait("remove", "-p", prefix, "-y", "tpost"))
    assert installed_names(prefix) == {"tbin", "tlib", "tpyapp", "python", "pip"}


# ---- a real archive that disagrees with its paths.json ----

ZLIB = "zlib-1.2.11-h7b6447c_3"


def _zlib_channel(root: Path, shared_data: Path, fmt: str) -> str:
    """The real Anaconda zlib archive of one format, with its real repodata record
    (only `depends` emptied: the channel has no libgcc-ng archive)."""
    src = shared_data / "channels/conda-format-repo/linux-64"
    repodata = json.loads((src / "repodata.json").read_text())
    key = "packages.conda" if fmt == ".conda" else "packages"
    rec = dict(repodata[key][ZLIB + fmt], depends=[])
    for sub in ("linux-64", "noarch"):
        (root / sub).mkdir(parents=True)
        (root / sub / "repodata.json").write_text(json.dumps(
            {"info": {"subdir": sub}, "packages": {}, "packages.conda": {},
             **({key: {ZLIB + fmt: rec}} if sub == "linux-64" else {})}))
    shutil.copyfile(src / (ZLIB + fmt), root / "linux-64" / (ZLIB + fmt))
    return root.as_uri()


def test_zlib_tar_bz2_empty_files_for_softlinks_install_as_conda_does(krait, tmp_path, shared_data) -> None:
    # paths.json: lib/libz.so and lib/libz.so.1 are softlinks; the tar has empty regular files.
    # conda links softlink entries by copying what the cache holds: two empty files.
    url = _zlib_channel(tmp_path / "zch", shared_data, ".tar.bz2")
    prefix = krait.prefix("zlib")
    proc = ok(krait("create", "-p", prefix, "-c", url, "--override-channels", "-y", "zlib"))
    for name in ("libz.so", "libz.so.1"):
        f = prefix / "lib" / name
        assert f.is_file() and not f.is_symlink() and f.stat().st_size == 0
        assert f"lib/{name}: paths.json says softlink but the archive holds a regular file" in proc.stderr
        assert f.stat().st_ino != (krait.pkgs_dir / ZLIB / "lib" / name).stat().st_ino  # a copy
    assert (prefix / "lib/libz.so.1.2.11").stat().st_size == 133384
    rec = conda_meta_records(prefix)["zlib"]
    paths = {p["_path"]: p for p in rec["paths_data"]["paths"]}
    empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for name in ("lib/libz.so", "lib/libz.so.1"):
        assert paths[name]["path_type"] == "softlink"  # as paths.json (and conda) say
        assert paths[name]["sha256_in_prefix"] == empty_sha  # what is really there
    assert rec["channel"] == url + "/linux-64"
    assert_consistent(prefix)
    ok(krait("remove", "-p", prefix, "-y", "zlib"))
    assert not (prefix / "lib").exists()


def test_zlib_conda_with_empty_symlink_targets_is_refused(krait, tmp_path, shared_data) -> None:
    # the .conda twin holds lib/libz.so -> "" (an empty symlink target): conda's own
    # extractor refuses it, and so does krait, naming the entry, leaving nothing behind
    url = _zlib_channel(tmp_path / "zch", shared_data, ".conda")
    prefix = krait.prefix("zlibc")
    proc = krait("create", "-p", prefix, "-c", url, "--override-channels", "-y", "zlib")
    out = failed(proc, "empty target")
    assert "lib/libz.so" in out and ZLIB in out
    assert not prefix.exists()
    assert not list(krait.pkgs_dir.glob(ZLIB + "*partial*"))
    assert not (krait.pkgs_dir / ZLIB).exists()


# ---- a python upgrade relinks the noarch: python packages ----

def _python(version: str) -> pb.Package:
    """A stand-in python X.Y: bin/pythonX.Y runs the system interpreter with the env's
    lib/pythonX.Y/site-packages first (like testchannel.python_package)."""
    xy = ".".join(version.split(".")[:2])
    pkg = pb.Package("python", version, build="h0_0")
    site = f"{pb.TEXT_PLACEHOLDER}/lib/python{xy}/site-packages"
    pkg.add_text(f"bin/python{xy}",
                 "#!/bin/sh\n"
                 f'PYTHONPATH="{site}${{PYTHONPATH:+:$PYTHONPATH}}" exec /usr/bin/python3 "$@"\n',
                 mode=0o755, placeholder=pb.TEXT_PLACEHOLDER)
    pkg.add_symlink("bin/python3", f"python{xy}")
    pkg.add_symlink("bin/python", f"python{xy}")
    pkg.add_text(f"lib/python{xy}/site-packages/README.txt", f"site-packages of python {xy}\n")
    return pkg


def test_python_upgrade_relinks_noarch_python_packages(krait, make_channel) -> None:
    ch = make_channel("pyup")
    for version in ("3.10.4", "3.12.1"):
        ch.add(_python(version), ".conda")
    pip = pb.Package("pip", "23.0", noarch="python", depends=["python"])
    pip.add_text("site-packages/pip_stub/__init__.py", "# stub\n")
    ch.add(pip, ".conda")
    app = pb.Package("tpyapp", "1.0", noarch="python", depends=["python >=3"],
                     entry_points=["tpyapp = tpyapp.cli:main"])
    app.add_text("site-packages/tpyapp/__init__.py", "VERSION = '1.0'\n")
    app.add_text("site-packages/tpyapp/cli.py",
                 "import tpyapp\n\n\ndef main():\n    print('tpyapp ok ' + tpyapp.__file__)\n    return 0\n")
    ch.add(app, ".conda")
    ch.write()
    prefix = krait.prefix("pyup")
    ok(create(krait, prefix, ch.url, "python=3.10", "tpyapp"))
    old_sp, new_sp = prefix / "lib/python3.10/site-packages", prefix / "lib/python3.12/site-packages"
    assert (old_sp / "tpyapp/cli.py").is_file() and list((old_sp / "tpyapp/__pycache__").glob("cli.*.pyc"))

    # the plan lists the relinks: tpyapp and pip are unlinked and linked again, unchanged
    plan = krait.json("install", "-p", prefix, "-c", ch.url, "--override-channels", "--dry-run", "python=3.12")
    linked = {(p["name"], p["version"]) for p in plan["actions"]["LINK"]}
    unlinked = {(p["name"], p["version"]) for p in plan["actions"]["UNLINK"]}
    assert {("python", "3.12.1"), ("tpyapp", "1.0"), ("pip", "23.0")} <= linked
    assert {("python", "3.10.4"), ("tpyapp", "1.0"), ("pip", "23.0")} <= unlinked
    human = ok(krait("install", "-p", prefix, "-c", ch.url, "--override-channels", "--dry-run", "python=3.12"))
    assert "tpyapp" in human.stdout

    ok(install(krait, prefix, ch.url, "python=3.12"))
    assert not (prefix / "lib/python3.10").exists()
    assert (new_sp / "tpyapp/cli.py").is_file() and (new_sp / "pip_stub/__init__.py").is_file()
    assert list((new_sp / "tpyapp/__pycache__").glob("cli.*.pyc"))
    entry = prefix / "bin/tpyapp"
    assert entry.read_text().splitlines()[0] == f"#!{prefix}/bin/python3.12"
    import subprocess
    run = subprocess.run([str(entry)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == f"tpyapp ok {new_sp}/tpyapp/__init__.py", run
    rec = conda_meta_records(prefix)["tpyapp"]
    assert all(not f.startswith("lib/python3.10") for f in rec["files"])
    assert "lib/python3.12/site-packages/tpyapp/cli.py" in rec["files"]
    assert_consistent(prefix)
    # a change of python that keeps X.Y relinks nothing
    plan = krait.json("install", "-p", prefix, "-c", ch.url, "--override-channels", "--dry-run", "tpyapp")
    assert not plan["actions"].get("LINK")


# ---- create --force over an existing env shows what it unlinks ----

def test_create_force_plan_lists_unlinks(krait, local_channel) -> None:
    prefix = krait.prefix("force")
    ok(create(krait, prefix, local_channel.url, "tbin", "told"))
    before = {(r["name"], r["version"]) for r in conda_meta_records(prefix).values()}
    assert before == {("tbin", "1.0"), ("tlib", "2.0"), ("told", "1.0")}
    args = ["create", "-p", prefix, "-c", local_channel.url, "--override-channels", "--force", "tlib=1.0"]
    plan = krait.json(*args, "--dry-run")
    assert {(p["name"], p["version"]) for p in plan["actions"]["UNLINK"]} == before
    assert {(p["name"], p["version"]) for p in plan["actions"]["LINK"]} == {("tlib", "1.0")}
    human = ok(krait(*args, "--dry-run"))
    assert "told" in human.stdout and "tbin" in human.stdout  # shown as removals
    assert {(r["name"], r["version"]) for r in conda_meta_records(prefix).values()} == before  # dry run
    done = krait.json(*args, "-y")
    assert {(p["name"], p["version"]) for p in done["actions"]["UNLINK"]} == before
    assert installed_names(prefix) == {"tlib"}
    assert conda_meta_records(prefix)["tlib"]["version"] == "1.0"
    assert not (prefix / "bin/tbin").exists() and not (prefix / "etc/told.conf").exists()
    assert_consistent(prefix)


# ---- names from repodata and from records never name a path outside their place ----

@pytest.mark.parametrize("field,value", [("version", "1.0/../../../escaped"), ("build", ".."),
                                         ("fn", "../../escaped.conda")])
def test_path_names_from_repodata_are_refused(krait, make_channel, field, value) -> None:
    ch = make_channel("names")
    pkg = pb.Package("tname", "1.0", noarch="generic")
    pkg.add_text("share/tname/x.txt", "x\n")
    built = ch.add(pkg, ".conda")
    ch.write()
    repodata_path = ch.root / "noarch/repodata.json"
    repodata = json.loads(repodata_path.read_text())
    rec = repodata["packages.conda"].pop(built.fn)
    if field == "fn":  # the file name is the key of the repodata entry
        fn = value
    else:
        rec[field] = value
        fn = f"tname-{rec['version']}-{rec['build']}.conda"
    repodata["packages.conda"][fn] = rec
    repodata_path.write_text(json.dumps(repodata))
    prefix = krait.prefix("names")
    out = failed(create(krait, prefix, ch.url, "tname"), "cannot name a file", "not a valid", "invalid")
    assert "tname" in out
    assert not prefix.exists()
    assert not list(krait.base.rglob("escaped*")) and not list(ch.root.parent.rglob("escaped*"))


def test_path_names_from_conda_meta_are_refused(krait, local_channel) -> None:
    prefix = krait.prefix("meta")
    ok(create(krait, prefix, local_channel.url, "tlib"))
    victim = prefix.parent / "victim.json"
    victim.write_text("{}")
    meta = next((prefix / "conda-meta").glob("tlib-*.json"))
    rec = json.loads(meta.read_text())
    rec["version"] = "../../victim"  # conda-meta/<dist>.json would be ../victim.json
    rec["build"] = "x"
    meta.write_text(json.dumps(rec))
    out = failed(krait("remove", "-p", prefix, "-y", "tlib"), "cannot name a file")
    assert "version" in out and "../../victim" in out
    assert victim.read_text() == "{}"


# ---- file:// archives are copied into pkgs/, never hard-linked ----

def test_file_channel_archives_are_copied_not_hard_linked(krait, make_channel) -> None:
    ch = make_channel("local")
    pkg = pb.Package("tcopy", "1.0", noarch="generic")
    pkg.add_text("share/tcopy/x.txt", "x\n")
    built = ch.add(pkg, ".conda")
    ch.write()
    channel_file = ch.root / "noarch" / built.fn
    original = channel_file.read_bytes()
    prefix = krait.prefix("copy")
    ok(create(krait, prefix, ch.url, "tcopy"))
    cached = krait.pkgs_dir / built.fn
    assert cached.read_bytes() == original
    assert cached.stat().st_ino != channel_file.stat().st_ino and channel_file.stat().st_nlink == 1
    # a change to the cache's copy does not reach the channel
    cached.chmod(0o644)
    with open(cached, "ab") as f:
        f.write(b"changed in the cache")
    assert channel_file.read_bytes() == original


def test_create_force_from_explicit_file_lists_unlinks(krait, local_channel, tmp_path) -> None:
    src = krait.prefix("src")
    ok(create(krait, src, local_channel.url, "tlib=1.0"))
    explicit = tmp_path / "spec.txt"
    explicit.write_text(ok(krait("list", "-p", src, "--explicit")).stdout)
    prefix = krait.prefix("target")
    ok(create(krait, prefix, local_channel.url, "tbin", "told"))
    before = {(r["name"], r["version"]) for r in conda_meta_records(prefix).values()}
    plan = krait.json("create", "-p", prefix, "--file", explicit, "--force", "--dry-run")
    assert {(p["name"], p["version"]) for p in plan["actions"]["UNLINK"]} == before
    ok(krait("create", "-p", prefix, "--file", explicit, "--force", "-y"))
    assert {(r["name"], r["version"]) for r in conda_meta_records(prefix).values()} == {("tlib", "1.0")}
    assert_consistent(prefix)
