"""Environment files: `krait env export|create|update`, `create/install --file`, package URLs as
specs, `create --clone`, conda-meta/state variables and the pip: section — with packages built
at test time in a private file:// channel."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import Krait
from installcheck import create, failed, ok
from pkgbuild import TEXT_PLACEHOLDER, Channel, Package
from prefixtools import conda_meta_records, history_lines, tree_snapshot

PY_VER = "3.11"


def generic(name: str, version: str = "1.0", depends=()) -> Package:
    pkg = Package(name, version, noarch="generic", depends=list(depends))
    pkg.add_text(f"share/{name}/{version}.txt", f"{name} {version}\n")
    return pkg


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict:
    """The archives, built once (cph is slow): ta -> tb; tc alone; td 1.0 and 2.0; and the
    python + pip of pip_channel()."""
    out = tmp_path_factory.mktemp("envfiles-built")
    pkgs = {"tb": (generic("tb"), ".tar.bz2"), "ta": (generic("ta", depends=["tb"]), ".conda"),
            "tc": (generic("tc"), ".conda"), "td1": (generic("td", "1.0"), ".conda"),
            "td2": (generic("td", "2.0"), ".conda"), "python": (python_package(), ".conda"),
            "pip": (pip_package(), ".conda")}
    return {key: pkg.make(out / key, fmt) for key, (pkg, fmt) in pkgs.items()}


def channel_of(make_channel, built: dict, name: str, *keys: str) -> Channel:
    """A private channel (tests may break it) holding copies of the given archives."""
    ch = make_channel(name)
    for key in keys:
        ch.add_built(built[key])
    return ch.write()


@pytest.fixture
def chan(make_channel, built) -> Channel:
    return channel_of(make_channel, built, "envchan", "ta", "tb", "tc", "td1", "td2")


def meta_names(prefix: Path) -> set:
    return {rec["_meta_file"] for rec in conda_meta_records(prefix).values()}


def update_specs(prefix: Path) -> list:
    lines = [line for line in history_lines(prefix) if line.startswith("# update specs:")]
    return lines


# ---- export -------------------------------------------------------------------------------

def test_export_yaml_json_and_file(krait: Krait, chan: Channel, tmp_path: Path):
    prefix = krait.prefix("exp")
    ok(create(krait, prefix, chan.url, "ta", "td=1.0"))
    out = ok(krait("env", "export", "-p", prefix)).stdout
    assert out.splitlines()[0] == "name: exp"
    # a file:// channel is written as its full URL, never as its last path component
    assert f"channels:\n  - {chan.url}\n" in out
    assert "dependencies:\n  - ta=1.0=h0_0\n  - tb=1.0=h0_0\n  - td=1.0=h0_0\n" in out, out
    assert out.rstrip().endswith(f"prefix: {prefix}")

    nob = ok(krait("env", "export", "-p", prefix, "--no-builds")).stdout
    assert "  - td=1.0\n" in nob and "  - ta=1.0\n" in nob

    data = krait.json("env", "export", "-p", prefix)
    assert set(data) == {"name", "channels", "dependencies", "prefix"}
    assert data["channels"] == [chan.url] and data["prefix"] == str(prefix)
    assert sorted(d.split("=")[0] for d in data["dependencies"]) == ["ta", "tb", "td"]

    target = tmp_path / "written.yml"
    proc = ok(krait("env", "export", "-p", prefix, "-f", target))
    assert proc.stdout == "" and target.read_text() == out

    hist = krait.json("env", "export", "-p", prefix, "--from-history")
    assert hist["dependencies"] == ["ta", "td=1.0"] and hist["channels"] == [chan.url]

    explicit = ok(krait("env", "export", "-p", prefix, "--explicit")).stdout.splitlines()
    assert "@EXPLICIT" in explicit
    urls = [line for line in explicit if "://" in line and not line.startswith("#")]
    # dependency order (tb before ta) and a sha256 on each URL
    names = [u.rsplit("/", 1)[1].split("-")[0] for u in urls]
    assert sorted(names) == ["ta", "tb", "td"] and names.index("tb") < names.index("ta")
    assert all(re.search(r"#sha256:[0-9a-f]{64}$", u) for u in urls), urls
    md5 = ok(krait("env", "export", "-p", prefix, "--explicit", "--md5")).stdout
    assert len(re.findall(r"\.(?:conda|tar\.bz2)#[0-9a-f]{32}\n", md5)) == 3, md5


def test_export_errors(krait: Krait, tmp_path: Path):
    failed(krait("env", "export", "-p", tmp_path / "nothing"), "not an environment")
    failed(krait("env", "export", "-p", tmp_path, "--explicit", "--no-builds"), "exclude")
    failed(krait("env", "bogus"), "unknown command")
    assert ok(krait("env", "--help")).stdout.count("export") >= 1


# ---- round trips --------------------------------------------------------------------------

def test_roundtrip_yaml_on_an_empty_config(krait: Krait, chan: Channel, tmp_path: Path, krait_bin: Path):
    src = krait.prefix("src")
    ok(create(krait, src, chan.url, "ta", "tc", "td=1.0"))
    env_yml = tmp_path / "environment.yml"
    ok(krait("env", "export", "-p", src, "-f", env_yml))
    # another user, nothing configured: the file alone says where the packages come from
    other = Krait(krait_bin, tmp_path / "other")
    ok(other("env", "create", "-f", env_yml, "-y"))
    restored = other.root_prefix / "envs" / "src"   # the file's name, in the first envs dir
    assert meta_names(restored) == meta_names(src)


def test_roundtrip_explicit_without_repodata(krait: Krait, chan: Channel, tmp_path: Path, krait_bin: Path):
    src = krait.prefix("src")
    ok(create(krait, src, chan.url, "ta", "td=1.0"))
    lock = tmp_path / "env.lock"
    ok(krait("env", "export", "-p", src, "--explicit", "-f", lock))
    # no solver, no repodata: remove every repodata.json of the channel
    for rd in Path(chan.root).rglob("repodata.json"):
        rd.unlink()
    other = Krait(krait_bin, tmp_path / "other")
    dest = other.prefix("dest")
    ok(other("create", "-p", dest, "--file", lock, "-y"))
    assert meta_names(dest) == meta_names(src)
    assert all(rec["url"].startswith("file://") for rec in conda_meta_records(dest).values())

    # a wrong checksum is refused and leaves nothing behind
    bad = tmp_path / "bad.lock"
    text = lock.read_text()
    bad.write_text(re.sub(r"#sha256:[0-9a-f]{64}", "#sha256:" + "0" * 64, text, count=1))
    third = Krait(krait_bin, tmp_path / "third")
    failed(third("create", "-p", third.prefix("bad"), "--file", bad, "-y"), "sha256", "checksum")
    assert not third.prefix("bad").exists()


def test_roundtrip_from_history(krait: Krait, chan: Channel, tmp_path: Path):
    src = krait.prefix("src")
    ok(create(krait, src, chan.url, "ta", "td=1.0"))
    hist = tmp_path / "hist.yml"
    ok(krait("env", "export", "-p", src, "--from-history", "-f", hist))
    dest = krait.prefix("dest")
    ok(krait("env", "create", "-f", hist, "-p", dest, "-y"))
    assert update_specs(dest) == update_specs(src) == ["# update specs: ['ta', 'td=1.0']"]
    assert meta_names(dest) == meta_names(src)


# ---- env create / update ------------------------------------------------------------------

def test_env_create_variables_channels_and_update_prune(krait: Krait, chan: Channel, tmp_path: Path):
    env_yml = tmp_path / "env.yml"
    env_yml.write_text(f"name: fromfile\nchannels:\n  - {chan.url}\n  - nodefaults\n"
                       "dependencies:\n  - ta\n  - tc\nvariables:\n  MY_VAR: \"My Value\"\n  LEVEL: 3\n"
                       "unknown_key: ignored\n")
    proc = ok(krait("env", "create", "-f", env_yml, "-y"))
    assert "ignoring unknown key \"unknown_key\"" in proc.stderr
    prefix = krait.root_prefix / "envs" / "fromfile"
    assert set(conda_meta_records(prefix)) == {"ta", "tb", "tc"}
    # conda's own format, byte for byte
    assert (prefix / "conda-meta" / "state").read_text() == \
        '{"env_vars": {"MY_VAR": "My Value", "LEVEL": "3"}}'
    exported = krait.json("env", "export", "-n", "fromfile")
    assert exported["variables"] == {"MY_VAR": "My Value", "LEVEL": "3"}

    # update: adds; --prune: only what the file asks for stays
    env_yml.write_text(f"channels: [{chan.url}]\ndependencies:\n  - ta\n  - td\n")
    ok(krait("env", "update", "-n", "fromfile", "-f", env_yml, "-y"))
    assert set(conda_meta_records(prefix)) == {"ta", "tb", "tc", "td"}
    ta_meta = conda_meta_records(prefix)["ta"]["_meta_file"]
    before = (prefix / "conda-meta" / ta_meta).stat().st_ino
    ok(krait("env", "update", "-n", "fromfile", "-f", env_yml, "--prune", "-y"))
    assert set(conda_meta_records(prefix)) == {"ta", "tb", "td"}
    assert (prefix / "conda-meta" / ta_meta).stat().st_ino == before, "--prune relinked a kept package"
    assert not (prefix / "share" / "tc").exists()


def test_channel_flag_goes_in_front_of_the_file_channels(krait: Krait, make_channel, built, tmp_path: Path):
    old = channel_of(make_channel, built, "old", "td1")
    new = channel_of(make_channel, built, "new", "td2")
    env_yml = tmp_path / "env.yml"
    env_yml.write_text(f"channels: [{new.url}]\ndependencies: [td]\n")
    p1 = krait.prefix("p1")
    ok(krait("env", "create", "-f", env_yml, "-p", p1, "-y"))
    assert conda_meta_records(p1)["td"]["version"] == "2.0"
    p2 = krait.prefix("p2")
    ok(krait("env", "create", "-f", env_yml, "-p", p2, "-c", old.url, "--strict-channel-priority", "-y"))
    assert conda_meta_records(p2)["td"]["version"] == "1.0"


def test_bad_files_are_rejected_with_file_and_line(krait: Krait, chan: Channel, tmp_path: Path):
    cases = {
        "sections.yml": ("dependencies:\n  - ta\n  - cargo: [x]\n", "sections.yml:3:"),
        "spec.yml": ("dependencies:\n  - ta\n  - 'ta >=>1'\n", "spec.yml:3:"),
        "notenv.yml": ("subdirs:\n  linux-64: {}\n", "notenv.yml:1: not an environment file"),
        "specs.txt": ("ta\n\n# c\nhttp://example.invalid/mypackage\n", "specs.txt:4:"),
        "explicit.txt": ("@EXPLICIT\n" + chan.url + "/noarch/broken.conda\n", "explicit.txt:2:"),
    }
    for fn, (text, where) in cases.items():
        path = tmp_path / fn
        path.write_text(text)
        prefix = krait.prefix(fn.replace(".", "_"))
        out = failed(krait("create", "-p", prefix, "-c", chan.url, "--file", path, "-y"))
        assert where.lower() in out, out
        assert not prefix.exists()
    failed(krait("env", "create", "-f", tmp_path / "missing.yml", "-n", "x"), "missing.yml")
    good = tmp_path / "good.txt"
    good.write_text("ta\n")
    failed(krait("env", "create", "-f", good), "no name")


# ---- create/install --file, URLs, --clone ---------------------------------------------------

def test_spec_list_files_and_urls_as_specs(krait: Krait, chan: Channel, tmp_path: Path):
    one = tmp_path / "one.txt"
    one.write_text("# platform: linux-64\nta   # the app\n\n")
    two = tmp_path / "two.txt"
    two.write_text("td=1.0\n")
    prefix = krait.prefix("lists")
    ok(krait("create", "-p", prefix, "-c", chan.url, "-f", one, "--file", two, "-y"))
    assert set(conda_meta_records(prefix)) == {"ta", "tb", "td"}
    three = tmp_path / "three.txt"
    three.write_text("tc\n")
    ok(krait("install", "-p", prefix, "-c", chan.url, "--file", three, "-y"))
    assert "tc" in conda_meta_records(prefix)

    # a package URL on the command line is an explicit install: td 2.0 replaces 1.0
    url = f"{chan.url}/noarch/{chan.find('td').fn}"
    assert "td-2.0-" in url
    ok(krait("install", "-p", prefix, url, "-y"))
    assert conda_meta_records(prefix)["td"]["version"] == "2.0"
    failed(krait("install", "-p", prefix, url, "tc", "-y"), "cannot be mixed")


def test_clone_from_the_package_cache(krait: Krait, chan: Channel, tmp_path: Path):
    src = krait.prefix("src")
    ok(create(krait, src, chan.url, "ta", "tc"))
    (src / "conda-meta" / "state").write_text('{"env_vars": {"A": "1"}}')
    shutil.rmtree(chan.root)   # nothing left to download from: only the cache can provide
    dest = krait.prefix("clone")
    ok(krait("create", "--clone", src, "-p", dest, "-y"))
    assert meta_names(dest) == meta_names(src)
    assert (dest / "share" / "ta" / "1.0.txt").read_text() == "ta 1.0\n"
    assert json.loads((dest / "conda-meta" / "state").read_text()) == {"env_vars": {"A": "1"}}
    assert update_specs(dest) == update_specs(src)
    failed(krait("create", "--clone", tmp_path / "nope", "-p", krait.prefix("x"), "-y"), "not an environment")


# ---- pip: ---------------------------------------------------------------------------------

def make_wheel(directory: Path) -> Path:
    """A minimal pure-python wheel, written by hand (no network, no build backend)."""
    files = {"tpipdemo/__init__.py": b"VALUE = 'pip ok'\n",
             "tpipdemo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tpipdemo\nVersion: 1.0\n",
             "tpipdemo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: krait-tests\n"
                                             b"Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("tpipdemo-1.0.dist-info/RECORD,,")
    files["tpipdemo-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / "tpipdemo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return wheel


def python_package() -> Package:
    """Debian's python3 whose pip installs into this env's site-packages (PIP_TARGET)."""
    site = f"{TEXT_PLACEHOLDER}/lib/python{PY_VER}/site-packages"
    py = Package("python", "3.11.0", build="h0_0")
    py.add_text(f"bin/python{PY_VER}",
                "#!/bin/sh\n"
                f'PYTHONPATH="{site}" PIP_TARGET="{site}" PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 '
                'exec /usr/bin/python3 "$@"\n', mode=0o755, placeholder=TEXT_PLACEHOLDER)
    py.add_symlink("bin/python", f"python{PY_VER}")
    py.add_text(f"lib/python{PY_VER}/site-packages/README.txt", "site-packages\n")
    return py


def pip_package() -> Package:
    """A marker: `python -m pip` is Debian's pip."""
    pip = Package("pip", "23.0", noarch="python", depends=["python"])
    pip.add_text("site-packages/pip_marker/__init__.py", "# marker\n")
    return pip


def test_pip_section_uses_the_envs_pip(krait: Krait, make_channel, built, tmp_path: Path):
    ch = channel_of(make_channel, built, "pychan", "python", "pip")
    project = tmp_path / "project"
    project.mkdir()
    make_wheel(project)
    env_yml = project / "environment.yml"
    # the wheel path is relative to the environment file's directory, as with conda
    env_yml.write_text(f"name: withpip\nchannels: [{ch.url}]\ndependencies:\n  - python\n  - pip\n"
                       "  - pip:\n    - --no-index\n    - ./tpipdemo-1.0-py3-none-any.whl\n")
    ok(krait("env", "create", "-f", env_yml, "-y"))
    prefix = krait.root_prefix / "envs" / "withpip"
    site = prefix / "lib" / f"python{PY_VER}" / "site-packages"
    assert (site / "tpipdemo" / "__init__.py").read_text() == "VALUE = 'pip ok'\n"
    assert {"python", "pip"} <= set(conda_meta_records(prefix))
    assert not list(project.glob("krait-pip-*")), "the requirements file was left behind"


def test_pip_section_without_pip_fails_before_changing_anything(krait: Krait, make_channel, built,
                                                                tmp_path: Path):
    ch = channel_of(make_channel, built, "pychan", "python", "pip", "tc")
    env_yml = tmp_path / "env.yml"
    env_yml.write_text(f"channels: [{ch.url}]\ndependencies:\n  - tc\n  - pip:\n    - requests\n")
    prefix = krait.prefix("nopip")
    failed(krait("env", "create", "-f", env_yml, "-p", prefix, "-y"), "no pip")
    assert not prefix.exists()
    # an existing env is left exactly as it was
    ok(create(krait, prefix, ch.url, "tc"))
    before = tree_snapshot(prefix)
    failed(krait("env", "update", "-f", env_yml, "-p", prefix, "-y"), "no pip")
    assert tree_snapshot(prefix) == before


# ---- the real explicit files of ../shared/data ----------------------------------------------

def test_real_explicit_files_dry_run(krait: Krait, shared_data: Path):
    """Each real @EXPLICIT file is planned exactly (one LINK per URL, no solver, no network: a dry
    run only looks at the package cache) or refused cleanly naming the file."""
    files = sorted(p for p in (shared_data / "lockfiles" / "explicit").rglob("*")
                   if p.is_file() and "@EXPLICIT" in p.read_text(errors="replace"))
    assert len(files) >= 15
    planned = 0
    for path in files:
        urls = [line.strip() for line in path.read_text().splitlines()
                if line.strip() and not line.strip().startswith(("#", "@"))]
        proc = krait("create", "-p", krait.prefix("x"), "--file", path, "--platform", "linux-64",
                     "--dry-run", "--json")
        if proc.returncode == 0:
            links = json.loads(proc.stdout)["actions"]["LINK"]
            assert len(links) == len(urls), path
            assert [rec["url"] for rec in links] != [] and \
                {rec["url"] for rec in links} == {u.split("#")[0] for u in urls}, path
            planned += 1
        else:
            out = failed(proc)
            assert str(path).lower() in out, out   # "FILE: the file is for platform osx-64, ..."
        assert not krait.prefix("x").exists()
    assert planned >= 8


def test_list_explicit_output_and_yaml_with_install_file(krait: Krait, chan: Channel, tmp_path: Path):
    """`krait list --explicit` prints "krait create --name <env> --file <this file>": that works, and
    install --file takes an environment.yml (its channels and specs; its name is not used)."""
    src = krait.prefix("src")
    ok(create(krait, src, chan.url, "ta"))
    listing = tmp_path / "spec.txt"
    listing.write_text(ok(krait("list", "-p", src, "--explicit", "--md5")).stdout)
    assert "--file <this file>" in listing.read_text()
    ok(krait("create", "-n", "fromlist", "--file", listing, "-y"))
    assert meta_names(krait.root_prefix / "envs" / "fromlist") == meta_names(src)

    env_yml = tmp_path / "more.yaml"
    env_yml.write_text(f"name: ignored\nchannels: [{chan.url}]\ndependencies: [tc, td=1.0]\n")
    ok(krait("install", "-p", src, "--file", env_yml, "-y"))
    assert set(conda_meta_records(src)) == {"ta", "tb", "tc", "td"}
    assert not (krait.root_prefix / "envs" / "ignored").exists()
