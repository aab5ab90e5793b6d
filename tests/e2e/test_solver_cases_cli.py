"""Every tests/solver/*.t case, run through the real `krait` binary.

tests/unit/test_solver_cases.c runs these cases through krait_solve(); this
file reads the same files (format: tests/solver/README.md; an independent
Python reader, nothing shared with the C runner), materializes each case the
way the C runner does (file:// channel directories, a conda-meta prefix) and
runs `krait create|install|update|remove --dry-run --json` on it, so the
command line (argument parsing, configuration, channel URLs, JSON output)
must give the solver's answer too.

How each setting reaches the binary:
  channels      -c file://<scratch>/<label> per channel, in order, with
                --override-channels; channel_alias (a .condarc) points at the
                scratch folder so that `label::name` specs resolve
  platform      --platform
  priority      --strict-channel-priority / --channel-priority MODE
  pip           CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY
  pins          pinned_packages in the .condarc
  virtual       CONDA_OVERRIDE_* for every overridable virtual package (empty =
                absent), so the machine's own never leak in; `virtual detect`
                keeps detection (with the case's env)
  installed     conda-meta/*.json + conda-meta/history in the target prefix
                (then `install`, not `create`)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import Krait, describe  # noqa: E402

SOURCE_DIR = Path(os.environ.get("KRAIT_SOURCE_DIR") or Path(__file__).resolve().parents[2])
CASES_DIR = SOURCE_DIR / "tests" / "solver"

# The virtual packages a case gets unless it says otherwise (README: `virtual`).
DEFAULT_VIRTUALS = [("__unix", "0", "0"), ("__linux", "6.5", "0"), ("__glibc", "2.35", "0"),
                    ("__archspec", "1", "x86_64")]
# Virtual packages krait lets CONDA_OVERRIDE_<NAME> set (libpkg/src/virtpkg.c).
OVERRIDABLE = ("__linux", "__glibc", "__osx", "__win", "__cuda", "__archspec")
INLINE_SUBDIRS = ("linux-64", "noarch", "osx-arm64", "osx-64", "win-64", "linux-aarch64")


# ---- the .t format ------------------------------------------------------------------------

def tokenize(s: str) -> List[str]:
    """Splits on spaces and tabs; "double quoted" parts keep their spaces."""
    out: List[str] = []
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            break
        tok = []
        while i < n and s[i] not in " \t":
            if s[i] == '"':
                i += 1
                while i < n and s[i] != '"':
                    tok.append(s[i])
                    i += 1
                if i < n:
                    i += 1
            else:
                tok.append(s[i])
                i += 1
        out.append("".join(tok))
    return out


@dataclass
class ChannelDef:
    label: str
    shared: Optional[str]  # path under shared data; None = inline
    subdir: str


@dataclass
class Case:
    title: str = ""
    line: int = 0
    channels: List[str] = field(default_factory=list)
    platform: Optional[str] = None
    priority: Optional[str] = None
    pip: bool = True
    virtual_given: bool = False
    virtual_detect: bool = False
    virtuals: List[str] = field(default_factory=list)
    installed: List[str] = field(default_factory=list)
    history: List[str] = field(default_factory=list)
    pins: List[str] = field(default_factory=list)
    env: List[str] = field(default_factory=list)
    kind: Optional[str] = None
    needs_patch: Optional[str] = None
    specs: List[str] = field(default_factory=list)
    expect: List[str] = field(default_factory=list)
    expect_given: bool = False
    link: List[str] = field(default_factory=list)
    nolink: List[str] = field(default_factory=list)
    unlink: List[str] = field(default_factory=list)
    order: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    expect_fail: bool = False
    debug: bool = False


@dataclass
class CaseFile:
    path: Path
    pkgs: List[Tuple[str, str, List[str]]] = field(default_factory=list)  # (repo label, subdir, tokens)
    channels: Dict[str, ChannelDef] = field(default_factory=dict)
    cases: List[Case] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)


# Lists a case's first line of that directive replaces (README: "inside a case they override").
_REPLACED = ("channels", "virtuals", "installed", "history", "pins", "env")


def parse_case_file(path: Path) -> CaseFile:
    f = CaseFile(path)
    glob = Case()
    cur = glob
    replaced = set(_REPLACED)  # at file level every line adds
    repo: Optional[Tuple[str, str]] = None

    def add(listname: str, value: str) -> None:
        if listname not in replaced:
            replaced.add(listname)
            setattr(cur, listname, [])
        getattr(cur, listname).append(value)

    for lineno, raw in enumerate(path.read_text().split("\n"), 1):
        line = raw.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        cut = len(line)
        for sep in (" ", "\t"):
            at = line.find(sep)
            if at >= 0:
                cut = min(cut, at)
        kw, rest = line[:cut], line[cut + 1:].lstrip(" \t")
        tok = tokenize(rest)
        if kw == "repo" and len(tok) == 2:
            repo = (tok[0], tok[1])
        elif kw == "pkg" and len(tok) >= 3 and repo:
            f.pkgs.append((repo[0], repo[1], tok))
        elif kw == "channel" and len(tok) >= 2:
            if tok[0] not in f.channels:  # the first definition of a label wins
                f.channels[tok[0]] = ChannelDef(tok[0], None if tok[1] == "inline" else tok[1],
                                                tok[2] if len(tok) >= 3 else "linux-64")
            add("channels", tok[0])
        elif kw == "case":
            # Everything set before the first case is inherited (lists copied).
            cur = replace(glob, title=rest, line=lineno, **{k: list(getattr(glob, k)) for k in _REPLACED},
                          specs=[], expect=[], link=[], nolink=[], unlink=[], order=[], errors=[])
            replaced = set()
            f.cases.append(cur)
        elif kw == "debug-solver":
            cur.debug = True
        elif kw == "needs-patch" and len(tok) == 1:
            cur.needs_patch = tok[0]
        elif kw == "platform" and len(tok) == 1:
            cur.platform = tok[0]
        elif kw == "priority" and len(tok) == 1:
            cur.priority = tok[0]
        elif kw == "pip" and len(tok) == 1:
            cur.pip = tok[0] == "on"
        elif kw == "virtual" and len(tok) >= 1:
            if "virtuals" not in replaced:
                replaced.add("virtuals")
                cur.virtuals = []
            cur.virtual_given = True
            cur.virtual_detect = tok[0] == "detect"
            if tok[0] not in ("none", "detect"):
                cur.virtuals.append(rest)
        elif kw == "installed" and len(tok) >= 3:
            add("installed", rest)
        elif kw == "history":
            add("history", rest)
        elif kw == "pin":
            add("pins", rest)
        elif kw == "env":
            add("env", rest)
        elif kw == "kind" and len(tok) == 1:
            cur.kind = tok[0]
        elif kw == "spec" and rest:
            cur.specs.append(rest)
        elif kw == "expect":
            cur.expect_given = True
            if rest:
                cur.expect.append(rest)
        elif kw in ("link", "nolink", "unlink") and rest:
            getattr(cur, kw).append(rest)
        elif kw == "order" and len(tok) == 2:
            cur.order.append(rest)
        elif kw == "error":
            cur.expect_fail = True
            if rest:
                cur.errors.append(rest)
        else:
            f.problems.append(f"{path}:{lineno}: cannot read \"{kw} {rest}\"")
    return f


# ---- materializing a case -----------------------------------------------------------------

def record_json(tok: List[str], subdir: str, channel: Optional[str]) -> dict:
    """The repodata record of "name version build key=value..." (keys as in README)."""
    rec: dict = {"name": tok[0], "version": tok[1], "build": tok[2]}
    deps, cons, bn = [], [], 0
    for t in tok[3:]:
        key, _, val = t.partition("=")
        if key == "dep":
            deps.append(val)
        elif key == "con":
            cons.append(val)
        elif key == "bn":
            bn = int(val)
        elif key == "ts":
            rec["timestamp"] = int(val)
        elif key == "tf":
            rec["track_features"] = val
        elif key in ("md5", "noarch"):
            rec[key] = val
        elif key == "channel":
            channel = val
    fn = f"{tok[0]}-{tok[1]}-{tok[2]}.tar.bz2"
    rec.update(build_number=bn, depends=deps, constrains=cons, subdir=subdir, fn=fn)
    if channel:
        rec.update(channel=channel, url=f"{channel}/{subdir}/{fn}")
    return rec


def shared_data_dir() -> Optional[Path]:
    root = os.environ.get("KRAIT_SHARED_DIR")
    return Path(root) / "data" if root else None


def write_inline_channel(f: CaseFile, label: str, root: Path) -> None:
    for subdir in INLINE_SUBDIRS:
        packages = {}
        for repo, pkg_subdir, tok in f.pkgs:
            if repo == label and pkg_subdir == subdir:
                packages[f"{tok[0]}-{tok[1]}-{tok[2]}.tar.bz2"] = record_json(tok, subdir, None)
        d = root / label / subdir
        d.mkdir(parents=True, exist_ok=True)
        (d / "repodata.json").write_text(json.dumps({"info": {"subdir": subdir}, "packages": packages}, indent=1))


def place_shared_channel(ch: ChannelDef, root: Path, src: Path) -> None:
    """A channel directory is linked as it is; one JSON file becomes
    <subdir>/repodata.json, a bare fn -> record index wrapped as {"packages": ...}."""
    dst = root / ch.label
    if src.is_dir():
        dst.symlink_to(src)
        return
    target = dst / ch.subdir / "repodata.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = json.loads(src.read_text())
    if isinstance(doc, dict) and ("packages" in doc or "packages.conda" in doc):
        target.symlink_to(src)
    else:
        target.write_text(json.dumps({"packages": doc}))


def write_prefix(case: Case, prefix: Path, root: Path) -> bool:
    """conda-meta records and history as the C runner writes them; False when
    there was nothing to write (the prefix then does not exist)."""
    meta = prefix / "conda-meta"
    for line in case.installed:
        tok = tokenize(line)
        meta.mkdir(parents=True, exist_ok=True)
        rec = record_json(tok, "linux-64", f"file://{root}/installed")
        (meta / f"{tok[0]}-{tok[1]}-{tok[2]}.json").write_text(json.dumps(rec, indent=1))
    if not case.installed and not case.history:
        return False
    text = "==> 2024-01-01 00:00:00 <==\n# cmd: krait install\n"
    for line in case.installed:
        tok = tokenize(line)
        text += f"+installed::{tok[0]}-{tok[1]}-{tok[2]}\n"
    if case.history:
        text += "# update specs: [" + ", ".join(f'"{h}"' for h in case.history) + "]\n"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "history").write_text(text)
    return True


def channel_text(root: Path, label: str) -> str:
    """Every repodata.json text of a placed channel (to look for a name in it)."""
    return "".join(p.read_text() for p in sorted((root / label).glob("*/repodata.json")))


def subdir_has_records(root: Path, label: str, subdir: str) -> bool:
    path = root / label / subdir / "repodata.json"
    if not path.exists():
        return False
    doc = json.loads(path.read_text())
    return bool(doc.get("packages") or doc.get("packages.conda"))


def virtual_env(case: Case, platform: str, root: Path) -> Tuple[Dict[str, str], Optional[str]]:
    """CONDA_OVERRIDE_* giving exactly the case's virtual packages, or
    (_, reason) when the command line cannot express them."""
    if case.virtual_detect:
        return {}, None
    wanted = DEFAULT_VIRTUALS if not case.virtual_given else []
    for line in case.virtuals if case.virtual_given else []:
        tok = tokenize(line)
        wanted.append((tok[0], tok[1] if len(tok) > 1 else "0", tok[2] if len(tok) > 2 else "0"))
    env = {"CONDA_OVERRIDE_" + name[2:].upper(): "" for name in OVERRIDABLE}
    unix_target = platform.startswith(("linux-", "osx-", "freebsd-", "emscripten-"))
    have_unix = False
    for name, version, build in wanted:
        if name == "__unix":
            if not unix_target or (version, build) != ("0", "0"):
                return env, f"krait always adds __unix 0 0 on unix platforms and only there; the case wants " \
                            f"__unix {version} {build} for {platform}"
            have_unix = True
        elif name == "__archspec":
            if version != "1":
                return env, f"CONDA_OVERRIDE_ARCHSPEC sets the build of __archspec 1, not version {version}"
            env["CONDA_OVERRIDE_ARCHSPEC"] = build
        elif name in OVERRIDABLE:
            if build != "0":
                return env, f"CONDA_OVERRIDE_{name[2:].upper()} sets a version with build 0, not build {build}"
            env["CONDA_OVERRIDE_" + name[2:].upper()] = version
        else:
            return env, f"no CONDA_OVERRIDE_* adds the virtual package {name}"
    if unix_target and not have_unix:
        # krait (as conda) always has __unix on unix: harmless unless a record mentions it.
        for label in case.channels:
            if "__unix" in channel_text(root, label):
                return env, f"the case wants no __unix, which krait always has on {platform}, and channel " \
                            f"{label} mentions __unix"
    return env, None


# ---- collecting -----------------------------------------------------------------------------

def _collect():
    params = []
    for path in sorted(CASES_DIR.glob("*.t")):
        f = parse_case_file(path)
        if f.problems:
            params.append(pytest.param(f, None, id=f"{path.name}:0 unreadable"))
            continue
        for case in f.cases:
            params.append(pytest.param(f, case, id=f"{path.name}:{case.line} {case.title}"))
    return params


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory):
    """One scratch folder per case file: channels are written once and the
    krait root (repodata caches) is shared by the file's cases."""
    roots: Dict[Path, Path] = {}

    def root_for(f: CaseFile) -> Path:
        if f.path not in roots:
            roots[f.path] = tmp_path_factory.mktemp(f.path.stem)
        return roots[f.path]
    return root_for


def _line_matches(want: str, rec: Tuple[str, str, str]) -> bool:
    tok = tokenize(want)
    return (len(tok) >= 1 and tok[0] == rec[0] and (len(tok) < 2 or tok[1] in ("*", rec[1]))
            and (len(tok) < 3 or tok[2] in ("*", rec[2])))


def _find(recs: List[Tuple[str, str, str]], want: str) -> int:
    return next((i for i, r in enumerate(recs) if _line_matches(want, r)), -1)


def _nvb(records: List[dict]) -> List[Tuple[str, str, str]]:
    return [(r["name"], r["version"], r["build"]) for r in records]


def _show(recs) -> str:
    return "\n".join(f"    {' '.join(r)}" for r in recs)


@pytest.mark.parametrize("cfile,case", _collect())
def test_solver_case_cli(cfile: CaseFile, case: Optional[Case], krait_bin: Path, scratch) -> None:
    assert not cfile.problems, "\n".join(cfile.problems)
    assert case is not None
    # Skips as the C runner skips: shared data absent, libsolv patch absent.
    shared = shared_data_dir()
    for label in case.channels:
        ch = cfile.channels[label]
        if ch.shared and (shared is None or not os.access(shared / ch.shared, os.R_OK)):
            pytest.skip(f"shared data {ch.shared} absent")
    if case.needs_patch and not (SOURCE_DIR / "cmake" / "libsolv-patches" / case.needs_patch).exists():
        pytest.skip(f"needs libsolv patch {case.needs_patch} (branch solvpatch)")

    root = scratch(cfile)
    for label in case.channels:
        if (root / label).exists() or (root / label).is_symlink():
            continue
        ch = cfile.channels[label]
        if ch.shared:
            place_shared_channel(ch, root, shared / ch.shared)
        else:
            write_inline_channel(cfile, label, root)

    platform = case.platform or "linux-64"
    cli_platform = platform
    if platform == "noarch":
        # conda and krait solve for a real platform (`--platform noarch` is
        # refused); with only noarch records in the channels, solving for
        # linux-64 loads exactly the same records.
        cli_platform = "linux-64"
        for label in case.channels:
            if subdir_has_records(root, label, cli_platform):
                pytest.skip(f"platform noarch: channel {label} has {cli_platform} records, so a real platform "
                            "would see more than the case does")

    base = root / f"krait-{case.line}"
    if base.exists():
        shutil.rmtree(base)
    k = Krait(krait_bin, base)
    # The file's cases share the package cache dir (repodata caches live there).
    k.env["CONDA_PKGS_DIRS"] = str(root / "pkgs")
    prefix = base / "env"
    populated = write_prefix(case, prefix, root)

    condarc = [f"channel_alias: file://{root}"]
    if case.pins:
        condarc.append("pinned_packages:")
        condarc += [f"  - {json.dumps(p)}" for p in case.pins]
    k.condarc.write_text("\n".join(condarc) + "\n")

    env: Dict[str, Optional[str]] = {}
    for item in case.env:
        name, eq, value = item.partition("=")
        env[name] = value if eq else None
    overrides, why_not = virtual_env(case, cli_platform, root)
    if why_not:
        pytest.skip(f"virtual packages not expressible through the command line: {why_not}")
    env.update(overrides)  # the case's virtual packages win over its env, as in the C runner
    env["CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY"] = "true" if case.pip else "false"
    for name, value in env.items():
        if value is None:
            k.env.pop(name, None)
        else:
            k.env[name] = value

    kind = case.kind or "install"
    if kind == "install":
        argv = ["install" if populated else "create"]
    elif kind == "update-all":
        argv = ["update", "--all"]
    else:
        argv = [kind]
    argv += ["-p", prefix, "--dry-run", "--json", "--override-channels", "--platform", cli_platform]
    for label in case.channels:
        argv += ["-c", f"file://{root}/{label}"]
    priority = case.priority or "flexible"
    argv += ["--strict-channel-priority"] if priority == "strict" else ["--channel-priority", priority]
    debug_dir = base / "testcase"
    if case.debug:
        argv += ["--debug-solver", debug_dir]
    argv += ["--"] + case.specs

    proc = k(*argv, timeout=600)
    info = describe(proc)
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"stdout is not JSON\n{info}")

    if case.expect_fail:
        assert proc.returncode != 0, f"expected an error, got a solution\n{info}"
        assert out.get("success") is False and isinstance(out.get("error"), str), info
        for want in case.errors:
            assert want in out["error"] or want in proc.stderr, f"error lacks {want!r}\n{info}"
    else:
        assert proc.returncode == 0, f"solve failed\n{info}"
        assert out.get("success") is True and out.get("dry_run") is True, info
        link = _nvb(out["actions"]["LINK"])
        unlink = _nvb(out["actions"]["UNLINK"])
        installed = [tuple(tokenize(line)[:3]) for line in case.installed]
        environment = [r for r in installed if r not in unlink] + link
        problems = []
        if case.expect_given:
            missing = [w for w in case.expect if _find(environment, w) < 0]
            problems += [f"expected {w} in the environment" for w in missing]
            if missing or len(environment) != len(case.expect):
                problems.append(f"got ({len(environment)} packages, want {len(case.expect)}):\n{_show(environment)}")
        problems += [f"expected {w} to be linked" for w in case.link if _find(link, w) < 0]
        problems += [f"expected {w} not to be linked" for w in case.nolink if _find(link, w) >= 0]
        problems += [f"expected {w} to be unlinked" for w in case.unlink if _find(unlink, w) < 0]
        for pair in case.order:
            a, b = tokenize(pair)
            ia, ib = _find(link, a), _find(link, b)
            if ia < 0 or ib < 0 or ia > ib:
                problems.append(f"expected {a} linked before {b}")
        assert not problems, "\n".join(problems) + f"\nLINK:\n{_show(link)}\nUNLINK:\n{_show(unlink)}\n" \
                                                   f"stderr:\n{proc.stderr}"

    if case.debug:
        testcase = debug_dir / "testcase.t"
        assert testcase.exists(), f"--debug-solver wrote no {testcase}\n{info}"
        text = testcase.read_text()
        assert "job install" in text and "system - conda" in text, f"{testcase} names no jobs"
        testsolv = os.environ.get("KRAIT_TESTSOLV")
        if testsolv and os.access(testsolv, os.X_OK):
            replay = subprocess.run([testsolv, str(testcase)], capture_output=True, text=True, timeout=300)
            assert replay.returncode == 0, f"testsolv does not replay {testcase}:\n{replay.stdout}{replay.stderr}"
