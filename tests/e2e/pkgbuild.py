"""Build real conda packages and channels at test time (stdlib only).

Why: the installer must be tested on archives made by an independent tool, not on
fixtures krait itself wrote.  A `Package` describes a package tree; `make()` lays it
out (files + info/index.json, paths.json, files, link.json, optional has_prefix) and
packs it with Debian's conda-package-handling (`cph create`), which makes both
.tar.bz2 and .conda.  Archives that cph refuses to make (a `../` member, metadata
that lies) are written by hand with tarfile/zipfile and the `zstd` CLI, because
Debian's python3 3.11 has no zstd module.

A `Channel` collects built archives and writes <subdir>/repodata.json (plus an
empty noarch/ or platform subdir so both always exist) with md5/sha256/size
computed from the files on disk, unless a test asks for a lie.

Usage:
    pkg = Package("hello", "1.0", depends=["libfoo >=1"])
    pkg.add_text("etc/hello.conf", "prefix=" + TEXT_PLACEHOLDER + "\\n", placeholder=TEXT_PLACEHOLDER)
    pkg.add_symlink("bin/hi", "hello")
    ch = Channel(tmp_path / "chan"); ch.add(pkg, fmt=".conda"); ch.write()
"""

from __future__ import annotations

import bz2
import copy
import hashlib
import io
import json
import os
import platform
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

# conda-build's default text placeholder.
TEXT_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"


def long_placeholder(length: int = 255) -> str:
    """A build-prefix-like placeholder of exactly `length` characters.

    conda-build pads the host prefix to 255 characters so that any install prefix
    up to that length fits when a binary is patched in place.
    """
    head = "/tmp/krait-build/_h_env_"
    filler = "placehold_" * (length // 10 + 1)
    return (head + filler)[:length]


BINARY_PLACEHOLDER = long_placeholder(255)


def native_subdir() -> str:
    machine = platform.machine()
    arch = {"x86_64": "64", "aarch64": "aarch64", "ppc64le": "ppc64le", "s390x": "s390x"}.get(machine, machine)
    return "linux-" + arch


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digests(path: Union[str, Path]) -> Dict[str, object]:
    """md5, sha256 and size of a file, read in chunks."""
    md5 = hashlib.md5()
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    return {"md5": md5.hexdigest(), "sha256": sha.hexdigest(), "size": size}


@dataclass
class Entry:
    """One path of the package payload (never under info/)."""

    path: str
    kind: str = "file"  # file | symlink | dir
    content: bytes = b""
    mode: int = 0o644
    target: str = ""  # symlink target (relative, as stored in the tar)
    placeholder: Optional[str] = None
    file_mode: str = "text"  # text | binary (only meaningful with a placeholder)
    no_link: bool = False


@dataclass
class Package:
    name: str
    version: str = "1.0"
    build: Optional[str] = None  # default: "<noarch-tag>_<build_number>" style, e.g. "0"
    build_number: int = 0
    depends: List[str] = field(default_factory=list)
    constrains: List[str] = field(default_factory=list)
    subdir: Optional[str] = None  # default: noarch when noarch is set, else the native subdir
    noarch: Optional[str] = None  # None | "generic" | "python"
    entry_points: List[str] = field(default_factory=list)  # noarch python: "cmd = mod:func"
    license: str = "MIT"
    timestamp: int = 1700000000000
    track_features: str = ""
    extra_index: Dict[str, object] = field(default_factory=dict)
    # Old-style metadata: write info/files + info/has_prefix and NO info/paths.json.
    legacy_metadata: bool = False
    entries: List[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.build is None:
            self.build = ("py_" if self.noarch == "python" else "h0_") + str(self.build_number)
        if self.subdir is None:
            self.subdir = "noarch" if self.noarch else native_subdir()

    # ---- payload ---------------------------------------------------------------
    @property
    def dist(self) -> str:
        return f"{self.name}-{self.version}-{self.build}"

    def add_file(self, path: str, content: Union[bytes, str], mode: int = 0o644,
                 placeholder: Optional[str] = None, file_mode: str = "text",
                 no_link: bool = False) -> "Package":
        if isinstance(content, str):
            content = content.encode()
        self.entries.append(Entry(path=path, content=content, mode=mode, placeholder=placeholder,
                                  file_mode=file_mode, no_link=no_link))
        return self

    def add_text(self, path: str, text: str, mode: int = 0o644,
                 placeholder: Optional[str] = None) -> "Package":
        return self.add_file(path, text, mode=mode, placeholder=placeholder, file_mode="text")

    def add_binary(self, path: str, data: bytes, placeholder: Optional[str], mode: int = 0o755) -> "Package":
        return self.add_file(path, data, mode=mode, placeholder=placeholder, file_mode="binary")

    def add_symlink(self, path: str, target: str) -> "Package":
        self.entries.append(Entry(path=path, kind="symlink", target=target))
        return self

    def add_post_link(self, script: str) -> "Package":
        """bin/.<name>-post-link.sh, run by the installer with PREFIX etc. in the env."""
        return self.add_file(f"bin/.{self.name}-post-link.sh", script, mode=0o755)

    def add_pre_unlink(self, script: str) -> "Package":
        return self.add_file(f"bin/.{self.name}-pre-unlink.sh", script, mode=0o755)

    def add_many(self, count: int, directory: str = "share/many", size: int = 64) -> "Package":
        """`count` small distinct files: makes linking slow enough to interrupt."""
        for i in range(count):
            self.add_file(f"{directory}/f{i:05d}.txt", (f"{self.name} file {i}\n" * (size // 16 + 1))[:size])
        return self

    # ---- metadata --------------------------------------------------------------
    def index_json(self) -> Dict[str, object]:
        index: Dict[str, object] = {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "depends": list(self.depends),
            "constrains": list(self.constrains),
            "subdir": self.subdir,
            "license": self.license,
            "timestamp": self.timestamp,
        }
        if self.noarch:
            index["noarch"] = self.noarch
            index["arch"] = None
            index["platform"] = None
        else:
            os_name, _, arch = self.subdir.partition("-")
            index["platform"] = os_name
            index["arch"] = {"64": "x86_64"}.get(arch, arch)
        if self.track_features:
            index["track_features"] = self.track_features
        index.update(self.extra_index)
        return index

    def paths_json(self) -> Dict[str, object]:
        paths = []
        for e in sorted(self.entries, key=lambda x: x.path):
            if e.kind == "dir":
                paths.append({"_path": e.path, "path_type": "directory"})
                continue
            item: Dict[str, object] = {"_path": e.path}
            if e.kind == "symlink":
                item["path_type"] = "softlink"
                data = self._symlink_target_bytes(e)
            else:
                item["path_type"] = "hardlink"
                data = e.content
            if e.placeholder:
                item["prefix_placeholder"] = e.placeholder
                item["file_mode"] = e.file_mode
            if e.no_link:
                item["no_link"] = True
            item["sha256"] = sha256_bytes(data)
            item["size_in_bytes"] = len(data)
            paths.append(item)
        return {"paths": paths, "paths_version": 1}

    def _symlink_target_bytes(self, e: Entry) -> bytes:
        # CEP 34: a softlink's sha256/size are those of the file it points to (when it
        # points inside the package); a dangling or outside link hashes as empty.
        target = os.path.normpath(os.path.join(os.path.dirname(e.path), e.target))
        for other in self.entries:
            if other.path == target and other.kind == "file":
                return other.content
        return b""

    def has_prefix_lines(self) -> List[str]:
        lines = []
        for e in self.entries:
            if e.placeholder:
                lines.append(f"{e.placeholder} {e.file_mode} {e.path}")
        return lines

    def link_json(self) -> Optional[Dict[str, object]]:
        if self.noarch == "python":
            return {"noarch": {"type": "python", "entry_points": list(self.entry_points)},
                    "package_metadata_version": 1}
        if self.noarch == "generic":
            return {"noarch": {"type": "generic"}, "package_metadata_version": 1}
        return None

    # ---- tree and archives ---------------------------------------------------------
    def write_tree(self, root: Union[str, Path]) -> Path:
        """Lay the package out under `root` (created; must not exist or be empty)."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        for e in self.entries:
            dest = root / e.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            if e.kind == "dir":
                dest.mkdir(exist_ok=True)
            elif e.kind == "symlink":
                os.symlink(e.target, dest)
            else:
                dest.write_bytes(e.content)
                os.chmod(dest, e.mode)
        info = root / "info"
        info.mkdir(exist_ok=True)
        _write_json(info / "index.json", self.index_json())
        files = sorted(e.path for e in self.entries if e.kind != "dir")
        (info / "files").write_text("".join(p + "\n" for p in files))
        if self.legacy_metadata:
            lines = self.has_prefix_lines()
            if lines:
                (info / "has_prefix").write_text("".join(line + "\n" for line in lines))
        else:
            _write_json(info / "paths.json", self.paths_json())
        link = self.link_json()
        if link is not None:
            _write_json(info / "link.json", link)
        _write_json(info / "about.json", {"summary": f"{self.name} built by krait's test suite",
                                          "license": self.license})
        # Fixed mtimes (the build timestamp) so rebuilding gives the same tar members.
        when = self.timestamp / 1000
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                os.utime(os.path.join(dirpath, name), (when, when), follow_symlinks=False)
        os.utime(root, (when, when))
        return root

    def make(self, out_dir: Union[str, Path], fmt: str = ".conda", reproducible: bool = False) -> "Built":
        """Build the archive `<dist><fmt>` into out_dir with `cph create`.

        reproducible: also pin the .conda zip's member timestamps (cph stamps them with
        the current time), so a rebuild of a committed channel gives identical bytes.
        """
        if fmt not in (".conda", ".tar.bz2"):
            raise ValueError(f"unknown package format {fmt!r}")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        fn = self.dist + fmt
        with tempfile.TemporaryDirectory(prefix="pkgbuild-") as tmp:
            tree = self.write_tree(Path(tmp) / self.dist)
            target = out_dir / fn
            if target.exists():
                target.unlink()
            run_cph_create(tree, fn, out_dir)
        if reproducible and fmt == ".conda":
            pin_zip_times(out_dir / fn, self.timestamp // 1000)
        return Built(self, out_dir / fn)


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def run_cph_create(tree: Path, fn: str, out_dir: Path) -> None:
    # cph walks the tree itself; sort order and content are what we laid out.
    proc = subprocess.run(["cph", "create", str(tree), fn, "--out-folder", str(out_dir)],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not (out_dir / fn).is_file():
        raise RuntimeError(f"cph create {fn} failed ({proc.returncode}): {proc.stderr.strip()}")


def pin_zip_times(path: Path, when: int) -> None:
    """Rewrite a stored zip with every member's timestamp set to `when` (order kept)."""
    import time as _time
    stamp = _time.gmtime(max(when, 315532800))[:6]  # zip cannot go before 1980
    with zipfile.ZipFile(path) as z:
        members = [(info.filename, z.read(info)) for info in z.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    os.replace(tmp, path)


@dataclass
class Built:
    """An archive on disk plus the package that made it."""

    package: Package
    path: Path

    @property
    def fn(self) -> str:
        return self.path.name

    def record(self) -> Dict[str, object]:
        """The repodata record: index.json fields + md5/sha256/size of the archive."""
        rec = {k: v for k, v in self.package.index_json().items() if v is not None}
        rec.update(file_digests(self.path))
        return rec


# ---- hand-made archives (what cph will not produce) -------------------------------

def _tar_bytes(members: Iterable[tuple]) -> bytes:
    """members: (name, bytes | None for dir, mode, symlink_target or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mode, link in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.mode = mode
            if link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = link
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zstd_compress(data: bytes, args: Iterable[str] = ("-3",)) -> bytes:
    """Through a pipe, so the frame header records no content size (as streaming writers do)."""
    proc = subprocess.run(["zstd", "-q", "-c", *args], input=data, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("zstd failed: " + proc.stderr.decode(errors="replace"))
    return proc.stdout


def zstd_decompress(data: bytes) -> bytes:
    proc = subprocess.run(["zstd", "-q", "-d", "-c"], input=data, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("zstd -d failed: " + proc.stderr.decode(errors="replace"))
    return proc.stdout


def build_raw(pkg: Package, out_dir: Union[str, Path], fmt: str,
              extra_members: Iterable[tuple] = (), info_overrides: Optional[Dict[str, bytes]] = None,
              zstd_args: Iterable[str] = ("-3",)) -> Built:
    """Pack `pkg` by hand, appending `extra_members` to the payload tar.

    zstd_args: how a .conda's inner tarballs are compressed (e.g. "--long=27" for a 128 MiB window).

    Used for hostile archives: a `../escape` member, an absolute path, a symlink
    pointing out of the prefix, or info files that disagree with the payload.
    extra_members are (name, bytes|None, mode, symlink_target|None) tuples and are
    NOT listed in paths.json unless the caller adds them to the package too.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pkgbuild-raw-") as tmp:
        tree = pkg.write_tree(Path(tmp) / pkg.dist)
        info_members, pkg_members = [], []
        for dirpath, dirnames, filenames in os.walk(tree):
            dirnames.sort()
            for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
                full = Path(dirpath) / name
                rel = full.relative_to(tree).as_posix()
                st = full.lstat()
                if stat.S_ISLNK(st.st_mode):
                    member = (rel, None, 0o777, os.readlink(full))
                else:
                    member = (rel, full.read_bytes(), stat.S_IMODE(st.st_mode), None)
                (info_members if rel.startswith("info/") else pkg_members).append(member)
        for name, data in (info_overrides or {}).items():
            info_members = [m for m in info_members if m[0] != name]
            info_members.append((name, data, 0o644, None))
        pkg_members.extend(extra_members)
    fn = pkg.dist + fmt
    target = out_dir / fn
    if fmt == ".tar.bz2":
        # info/ first, as conda-build does, so metadata can be read early.
        target.write_bytes(bz2.compress(_tar_bytes(info_members + pkg_members)))
    elif fmt == ".conda":
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
            z.writestr(f"pkg-{pkg.dist}.tar.zst", zstd_compress(_tar_bytes(pkg_members), zstd_args))
            z.writestr(f"info-{pkg.dist}.tar.zst", zstd_compress(_tar_bytes(info_members), zstd_args))
    else:
        raise ValueError(f"unknown package format {fmt!r}")
    return Built(pkg, target)


def list_archive(path: Union[str, Path]) -> List[str]:
    """Member names of a package, read with the stdlib (independent of cph)."""
    path = Path(path)
    if path.name.endswith(".tar.bz2"):
        with tarfile.open(path, "r:bz2") as tar:
            return sorted(m.name for m in tar.getmembers() if not m.isdir())
    names: List[str] = []
    with zipfile.ZipFile(path) as z:
        for inner in z.namelist():
            if inner.endswith(".tar.zst"):
                raw = zstd_decompress(z.read(inner))
                with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
                    names.extend(m.name for m in tar.getmembers() if not m.isdir())
    return sorted(names)


def read_member(path: Union[str, Path], name: str) -> bytes:
    """One member's bytes (e.g. "info/index.json"), read with the stdlib + zstd CLI."""
    path = Path(path)
    if path.name.endswith(".tar.bz2"):
        with tarfile.open(path, "r:bz2") as tar:
            f = tar.extractfile(name)
            if f is None:
                raise KeyError(name)
            return f.read()
    with zipfile.ZipFile(path) as z:
        for inner in z.namelist():
            if inner.endswith(".tar.zst") and inner.startswith("info-" if name.startswith("info/") else "pkg-"):
                with tarfile.open(fileobj=io.BytesIO(zstd_decompress(z.read(inner))), mode="r:") as tar:
                    f = tar.extractfile(name)
                    if f is not None:
                        return f.read()
    raise KeyError(name)


# ---- compiled placeholder program ---------------------------------------------------

PLACEHOLDER_C = r"""
#include <stdio.h>
/* The installer rewrites this NUL-terminated string in place (binary prefix mode). */
static volatile char prefix[] = "@PLACEHOLDER@";
int main(void) {
  printf("%s\n", (const char *)prefix);
  return 0;
}
"""


def compile_placeholder_program(placeholder: str, workdir: Union[str, Path],
                                suffix: str = "") -> bytes:
    """gcc a program that prints its embedded prefix; returns the ELF bytes.

    `suffix` is appended to the placeholder inside the string (e.g. "/share/data")
    to test that the rest of the string survives the rewrite.
    """
    if '"' in placeholder or "\\" in placeholder or '"' in suffix:
        raise ValueError("placeholder must not need C escaping")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "ph.c"
    exe = workdir / "ph"
    src.write_text(PLACEHOLDER_C.replace("@PLACEHOLDER@", placeholder + suffix))
    proc = subprocess.run(["gcc", "-O0", "-o", str(exe), str(src)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("gcc failed: " + proc.stderr)
    return exe.read_bytes()


# ---- channels ---------------------------------------------------------------------------

class Channel:
    """A directory channel: <root>/<subdir>/{archives, repodata.json}."""

    def __init__(self, root: Union[str, Path], platform_subdir: Optional[str] = None,
                 extra_subdirs: Iterable[str] = (), reproducible: bool = False):
        """extra_subdirs get an empty repodata.json too (a channel usable on other platforms);
        reproducible pins archive timestamps (see Package.make)."""
        self.root = Path(root)
        self.platform_subdir = platform_subdir or native_subdir()
        self.extra_subdirs = list(extra_subdirs)
        self.reproducible = reproducible
        self.built: List[Built] = []
        self.overrides: Dict[str, Dict[str, object]] = {}

    @property
    def url(self) -> str:
        return self.root.resolve().as_uri()

    def subdir_path(self, subdir: str) -> Path:
        return self.root / subdir

    def add(self, pkg: Package, fmt: str = ".conda", override: Optional[Dict[str, object]] = None) -> Built:
        built = pkg.make(self.subdir_path(pkg.subdir), fmt, reproducible=self.reproducible)
        return self.add_built(built, override)

    def add_raw(self, pkg: Package, fmt: str = ".tar.bz2", extra_members: Iterable[tuple] = (),
                override: Optional[Dict[str, object]] = None,
                info_overrides: Optional[Dict[str, bytes]] = None, zstd_args: Iterable[str] = ("-3",)) -> Built:
        built = build_raw(pkg, self.subdir_path(pkg.subdir), fmt, extra_members, info_overrides, zstd_args)
        return self.add_built(built, override)

    def add_built(self, built: Built, override: Optional[Dict[str, object]] = None) -> Built:
        """Register an archive; `override` replaces record fields (e.g. a wrong sha256)."""
        dest_dir = self.subdir_path(built.package.subdir)
        if built.path.parent.resolve() != dest_dir.resolve():
            dest_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built.path, dest_dir / built.fn)
            built = Built(built.package, dest_dir / built.fn)
        self.built = [b for b in self.built if b.fn != built.fn or b.package.subdir != built.package.subdir]
        self.built.append(built)
        if override:
            self.overrides[built.fn] = dict(override)
        return built

    def repodata(self, subdir: str) -> Dict[str, object]:
        packages: Dict[str, object] = {}
        packages_conda: Dict[str, object] = {}
        for b in sorted(self.built, key=lambda x: x.fn):
            if b.package.subdir != subdir:
                continue
            rec = b.record()
            rec.update(self.overrides.get(b.fn, {}))
            (packages_conda if b.fn.endswith(".conda") else packages)[b.fn] = rec
        return {"info": {"subdir": subdir}, "packages": packages, "packages.conda": packages_conda,
                "removed": [], "repodata_version": 1}

    def write(self, zst: bool = False) -> "Channel":
        """(Re)write repodata.json for noarch, the platform subdir and any other used subdir.

        zst: also write repodata.json.zst (what conda-forge serves and krait prefers)."""
        subdirs = {"noarch", self.platform_subdir} | set(self.extra_subdirs) | {b.package.subdir for b in self.built}
        for subdir in sorted(subdirs):
            d = self.subdir_path(subdir)
            d.mkdir(parents=True, exist_ok=True)
            text = json.dumps(self.repodata(subdir), indent=1, sort_keys=True) + "\n"
            tmp = d / "repodata.json.tmp"
            tmp.write_text(text)
            os.replace(tmp, d / "repodata.json")
            if zst:
                (d / "repodata.json.zst").write_bytes(zstd_compress(text.encode()))
            elif (d / "repodata.json.zst").exists():
                (d / "repodata.json.zst").unlink()  # never leave a stale one behind
        return self

    def find(self, name: str) -> Built:
        matches = [b for b in self.built if b.package.name == name]
        if not matches:
            raise KeyError(name)
        return matches[-1]


def deep_copy_package(pkg: Package, **changes: object) -> Package:
    """A copy of `pkg` with fields changed (e.g. version="2.0"); entries are copied."""
    new = copy.deepcopy(pkg)
    for key, value in changes.items():
        setattr(new, key, value)
    return new
