#!/usr/bin/python3
"""krait-ref: a deliberately small *reference model* of krait's installer, in Python.

Not part of krait and never shipped.  It exists to check the end-to-end installer
tests themselves before the C installer lands: running

    KRAIT_BIN=tools/krait-ref.py /usr/bin/python3 -m pytest -q tests/e2e

must pass, which shows that every expectation in tests/e2e/test_install_*.py is
achievable and self-consistent (paths, conda-meta fields, history lines, JSON shapes).
It models the semantics in docs/design.md section 3 in the simplest way: a greedy
"solver" (newest matching version, no backtracking), no locking, no journal.
Supports: create | install | remove -p PREFIX [-c CHANNEL]... [--override-channels]
[-y] [--dry-run] [--json] SPEC...; list -p PREFIX [--json] [--explicit [--md5]];
package extract ARCHIVE DIR.
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

VERSION = "0.0-ref"
_LOCK_FD = -1  # held until exit


class Fail(Exception):
    pass


# ---- versions and specs (enough for the test channels) ----------------------------------

def vkey(v: str):
    parts = []
    for comp in re.split(r"[._-]", v):
        for run in re.findall(r"\d+|[a-zA-Z]+", comp):
            parts.append((1, int(run), "") if run.isdigit() else (0, 0, run.lower()))
    while parts and parts[-1] == (1, 0, ""):
        parts.pop()
    return parts


def version_ok(version: str, constraint: str) -> bool:
    for part in constraint.split(","):
        part = part.strip()
        m = re.match(r"(==|>=|<=|!=|>|<|=)?(.*)", part)
        op, want = m.group(1) or "", m.group(2)
        if want.endswith(".*"):
            op, want = "=", want[:-2]
        a, b = vkey(version), vkey(want)
        if op == "==" or (op == "" and "*" not in want):
            if op == "" and a[:len(b)] == b:
                continue
            if a != b:
                return False
        elif op == "=":
            if a[:len(b)] != b:
                return False
        elif op == ">=" and not a >= b or op == "<=" and not a <= b or op == ">" and not a > b \
                or op == "<" and not a < b or op == "!=" and a == b:
            return False
    return True


def parse_spec(spec: str):
    spec = spec.strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    if not m:
        raise Fail(f"invalid spec: {spec!r}")
    name, rest = m.group(1), m.group(2).strip()
    if rest.startswith("=") and not rest.startswith("=="):
        rest = rest[1:] + ".*" if "*" not in rest and not re.search(r"[<>,]", rest) else rest[1:]
    return name, rest


def matches(rec: dict, constraint: str) -> bool:
    return not constraint or version_ok(rec["version"], constraint)


# ---- channels -----------------------------------------------------------------------------

def native_subdir() -> str:
    m = platform.machine()
    return "linux-" + {"x86_64": "64"}.get(m, m)


def channel_base(url: str) -> str:
    if "://" in url:
        return url.rstrip("/")
    return Path(url).resolve().as_uri()


def fetch(url: str, cache_dir: Path) -> bytes:
    if url.startswith("file://"):
        return Path(urllib.request.url2pathname(url[7:])).read_bytes()
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.md5(url.encode()).hexdigest()[:8]
    body_file, state_file = cache_dir / f"{key}.json", cache_dir / f"{key}.state.json"
    req = urllib.request.Request(url)
    if body_file.exists() and state_file.exists():
        state = json.loads(state_file.read_text())
        if state.get("etag"):
            req.add_header("If-None-Match", state["etag"])
        if state.get("mod"):
            req.add_header("If-Modified-Since", state["mod"])
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
            state = {"url": url, "etag": resp.headers.get("ETag"), "mod": resp.headers.get("Last-Modified")}
    except urllib.error.HTTPError as e:
        if e.code == 304:
            return body_file.read_bytes()
        raise Fail(f"{url}: HTTP {e.code}")
    except urllib.error.URLError as e:
        raise Fail(f"{url}: {e.reason}")
    body_file.write_bytes(data)
    state_file.write_text(json.dumps(state))
    return data


def load_index(channels, pkgs: Path):
    index = {}
    for ch in channels:
        base = channel_base(ch)
        for subdir in (native_subdir(), "noarch"):
            try:  # prefer the zstd-compressed repodata, as conda-forge clients do
                raw = fetch(f"{base}/{subdir}/repodata.json.zst", pkgs / "cache")
                raw = subprocess.run(["zstd", "-q", "-d", "-c"], input=raw, capture_output=True,
                                     check=True).stdout
            except (Fail, OSError):
                raw = fetch(f"{base}/{subdir}/repodata.json", pkgs / "cache")
            data = json.loads(raw)
            for key in ("packages", "packages.conda"):
                for fn, rec in data.get(key, {}).items():
                    rec = dict(rec, fn=fn, url=f"{base}/{subdir}/{fn}", channel=base, subdir=subdir)
                    index.setdefault(rec["name"], []).append(rec)
    for recs in index.values():
        recs.sort(key=lambda r: (vkey(r["version"]), r.get("build_number", 0), r["fn"].endswith(".conda")),
                  reverse=True)
    return index


# ---- prefix state -------------------------------------------------------------------------

def installed(prefix: Path) -> dict:
    out = {}
    meta = prefix / "conda-meta"
    for p in sorted(meta.glob("*.json")) if meta.is_dir() else []:
        rec = json.loads(p.read_text())
        out[rec["name"]] = rec
    return out


def dist(rec: dict) -> str:
    return f"{rec['name']}-{rec['version']}-{rec['build']}"


def solve(index: dict, current: dict, specs, removing=()):
    chosen = {n: r for n, r in current.items() if n not in removing}
    requested = {}
    queue = [(s, True) for s in specs]
    pinned = set()  # names decided in this solve: a later conflicting spec is an error, not a swap
    while queue:
        spec, is_req = queue.pop(0)
        name, cons = parse_spec(spec)
        if is_req:
            requested[name] = spec
        have = chosen.get(name)
        if have and matches(have, cons):
            if is_req:
                pinned.add(name)
            continue
        if have and name in pinned:
            raise Fail(f"conflict: {name} {cons} vs chosen {dist(have)}")
        cands = [r for r in index.get(name, []) if matches(r, cons)]
        if not cands:
            raise Fail(f"could not solve: nothing provides {spec}")
        rec = cands[0]
        chosen[name] = rec
        pinned.add(name)
        deps = list(rec.get("depends", []))
        if name == "python" and "pip" in index:
            deps.append("pip")
        queue.extend((d, False) for d in deps)
    return chosen, requested


# ---- packages ---------------------------------------------------------------------------

def safe_members(members, what: str):
    for m in members:
        name = m.name
        parts = Path(name).parts
        if name.startswith("/") or ".." in parts:
            raise Fail(f"{what}: unsafe path in archive: {name}")
        yield m


def extract(archive: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if archive.name.endswith(".tar.bz2"):
            with tarfile.open(archive, "r:bz2") as tar:
                tar.extractall(tmp, members=list(safe_members(tar.getmembers(), archive.name)))
        else:
            with zipfile.ZipFile(archive) as z:
                for inner in z.namelist():
                    if inner.endswith(".tar.zst"):
                        raw = subprocess.run(["zstd", "-q", "-d", "-c"], input=z.read(inner), capture_output=True,
                                             check=True).stdout
                        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
                            tar.extractall(tmp, members=list(safe_members(tar.getmembers(), archive.name)))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_and_extract(rec: dict, pkgs: Path) -> Path:
    archive = pkgs / rec["fn"]
    extracted = pkgs / dist(rec)
    if not (archive.exists() and sha256_of(archive) == rec.get("sha256")):
        if rec["url"].startswith("file://"):
            data = Path(urllib.request.url2pathname(rec["url"][7:])).read_bytes()
        else:
            try:
                with urllib.request.urlopen(rec["url"], timeout=60) as resp:
                    data = resp.read()
            except urllib.error.HTTPError as e:
                raise Fail(f"{rec['url']}: HTTP {e.code} (not found)" if e.code == 404 else f"{rec['url']}: HTTP {e.code}")
        got = hashlib.sha256(data).hexdigest()
        if rec.get("sha256") and got != rec["sha256"]:
            raise Fail(f"{rec['fn']}: sha256 mismatch: expected {rec['sha256']}, got {got}")
        pkgs.mkdir(parents=True, exist_ok=True)
        tmp = pkgs / (rec["fn"] + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, archive)
        shutil.rmtree(extracted, ignore_errors=True)
    if not (extracted / "info/repodata_record.json").exists():
        try:
            extract(archive, extracted)
        except Fail:
            archive.unlink()
            raise
        rr = {k: v for k, v in rec.items()}
        (extracted / "info/repodata_record.json").write_text(json.dumps(rr, indent=2))
        with open(pkgs / "urls.txt", "a") as f:
            f.write(rec["url"] + "\n")
    return extracted


def paths_of(extracted: Path):
    pj = extracted / "info/paths.json"
    if pj.exists():
        return json.loads(pj.read_text())["paths"]
    prefixed = {}
    hp = extracted / "info/has_prefix"
    if hp.exists():
        for line in hp.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3:
                prefixed[parts[2]] = (parts[0], parts[1])
            elif parts:
                prefixed[parts[0]] = ("/opt/anaconda1anaconda2anaconda3", "text")
    out = []
    for f in (extracted / "info/files").read_text().splitlines():
        item = {"_path": f, "path_type": "softlink" if (extracted / f).is_symlink() else "hardlink"}
        if f in prefixed:
            item["prefix_placeholder"], item["file_mode"] = prefixed[f]
        out.append(item)
    return out


def py_ver(chosen: dict) -> str:
    py = chosen.get("python")
    return ".".join(py["version"].split(".")[:2]) if py else ""


def target_path(rel: str, noarch_python: bool, pyv: str) -> str:
    if noarch_python:
        if rel.startswith("site-packages/"):
            return f"lib/python{pyv}/" + rel
        if rel.startswith("python-scripts/"):
            return "bin/" + rel[len("python-scripts/"):]
    return rel


def replace_binary(data: bytes, old: bytes, new: bytes) -> bytes:
    def fix(m):
        s = m.group(0)
        r = s.replace(old, new)
        return r + b"\0" * (len(s) - len(r))
    return re.sub(re.escape(old) + b"[^\0]*", fix, data)


def link_package(rec: dict, extracted: Path, prefix: Path, pyv: str, requested_spec: str) -> dict:
    index = json.loads((extracted / "info/index.json").read_text())
    noarch_python = index.get("noarch") == "python"
    files, paths_data = [], []
    for item in paths_of(extracted):
        rel = item["_path"]
        src = extracted / rel
        dst_rel = target_path(rel, noarch_python, pyv)
        dst = prefix / dst_rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(dst):
            dst.unlink()
        entry = dict(item, _path=dst_rel)
        if item.get("path_type") == "softlink" or src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif item.get("prefix_placeholder"):
            data = src.read_bytes()
            old, new = item["prefix_placeholder"].encode(), str(prefix).encode()
            if item.get("file_mode") == "binary":
                data = replace_binary(data, old, new)
            else:
                data = data.replace(old, new)
            dst.write_bytes(data)
            shutil.copymode(src, dst)
            entry["sha256_in_prefix"] = hashlib.sha256(data).hexdigest()
        else:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
        files.append(dst_rel)
        paths_data.append(entry)
    if noarch_python:
        link = json.loads((extracted / "info/link.json").read_text())
        for ep in link["noarch"].get("entry_points", []):
            cmd, _, target = (x.strip() for x in ep.partition("="))
            mod, _, func = target.partition(":")
            script = prefix / "bin" / cmd
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(f"#!{prefix}/bin/python\nimport sys\nfrom {mod} import {func}\n"
                              f"if __name__ == '__main__':\n    sys.exit({func}())\n")
            script.chmod(0o755)
            files.append(f"bin/{cmd}")
        pys = [f for f in files if f.endswith(".py")]
        if pys and (prefix / "bin/python").exists():
            subprocess.run([str(prefix / "bin/python"), "-m", "compileall", "-q"] + [str(prefix / f) for f in pys],
                           capture_output=True)
            tag = "cpython-" + pyv.replace(".", "")
            for f in pys:
                p = Path(f)
                pyc = p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc"
                if (prefix / pyc).exists():
                    files.append(str(pyc))
    script = prefix / "bin" / f".{rec['name']}-post-link.sh"
    if script.exists():
        env = dict(os.environ, PREFIX=str(prefix), PKG_NAME=rec["name"], PKG_VERSION=rec["version"],
                   PKG_BUILDNUM=str(rec.get("build_number", 0)))
        r = subprocess.run(["/bin/sh", str(script)], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail(f"post-link script of {rec['name']} failed: {r.stderr.strip()}")
    meta = dict(rec, files=files, paths_data={"paths": paths_data, "paths_version": 1},
                requested_spec=requested_spec or "", link={"source": str(extracted), "type": 1})
    (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
    out = prefix / "conda-meta" / f"{dist(rec)}.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, out)
    return meta


def unlink_package(rec: dict, prefix: Path) -> None:
    for f in rec.get("files", []):
        p = prefix / f
        if os.path.lexists(p):
            p.unlink()
        d = p.parent
        while d != prefix and d.is_dir() and not any(d.iterdir()):
            d.rmdir()
            d = d.parent
    (prefix / "conda-meta" / f"{dist(rec)}.json").unlink(missing_ok=True)


def order(chosen: dict, names):
    done, out = set(), []

    def visit(n):
        if n in done or n not in names:
            return
        done.add(n)
        for d in chosen[n].get("depends", []):
            visit(parse_spec(d)[0])
        if n != "python" and chosen[n].get("noarch") == "python":
            visit("python")
        out.append(n)
    for n in sorted(names):
        visit(n)
    return out


# ---- commands -----------------------------------------------------------------------------

def transact(args, creating: bool, removing=()) -> dict:
    prefix = Path(args.prefix).absolute()
    pkgs = Path(os.environ.get("CONDA_PKGS_DIRS", str(Path.home() / ".krait/pkgs")).split(",")[0])
    if creating and prefix.exists() and any(prefix.iterdir()) and not (prefix / "conda-meta/history").exists():
        raise Fail(f"{prefix}: non-conda folder exists at prefix")
    if not creating and not (prefix / "conda-meta").is_dir():
        raise Fail(f"{prefix}: not a conda environment")
    if not creating and not args.dry_run:
        # Wait for any other transaction on this prefix (POSIX record lock on byte 21, as conda does).
        global _LOCK_FD
        _LOCK_FD = os.open(prefix / "conda-meta" / "krait.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.lockf(_LOCK_FD, fcntl.LOCK_EX, 1, 21)
    current = {} if creating else installed(prefix)
    if removing:
        gone = set(removing)
        for n in removing:
            if n not in current:
                raise Fail(f"{n} is not installed in {prefix}")
        changed = True
        while changed:
            changed = False
            for n, r in current.items():
                if n not in gone and any(parse_spec(d)[0] in gone for d in r.get("depends", [])):
                    gone.add(n)
                    changed = True
        final, requested = {n: r for n, r in current.items() if n not in gone}, {}
    else:
        index = load_index(args.channel, pkgs)
        final, requested = solve(index, current, args.specs)
    unlink = [current[n] for n in current if n not in final or dist(final[n]) != dist(current[n])]
    link_names = [n for n in final if n not in current or dist(final[n]) != dist(current[n])]
    link = [final[n] for n in order(final, link_names)]
    pyv = py_ver(final)
    result = {"actions": {"PREFIX": str(prefix), "LINK": [_action(r) for r in link],
                          "UNLINK": [_action(r) for r in unlink],
                          "FETCH": [_action(r) for r in link if not (pkgs / r["fn"]).exists()]},
              "dry_run": bool(args.dry_run), "success": True, "prefix": str(prefix)}
    if args.dry_run:
        return result
    pkgs.mkdir(parents=True, exist_ok=True)
    cache_lock = os.open(pkgs / "krait.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(cache_lock, fcntl.LOCK_EX, 1, 21)  # one writer fills the shared cache at a time
    try:
        extracted = {r["name"]: fetch_and_extract(r, pkgs) for r in link}
    finally:
        os.close(cache_lock)
    for r in link:  # refuse before touching the prefix
        for item in paths_of(extracted[r["name"]]):
            ph = item.get("prefix_placeholder")
            if ph and item.get("file_mode") == "binary" and len(str(prefix)) > len(ph):
                raise Fail(f"{r['fn']}: prefix {prefix} is too long for the binary placeholder "
                           f"of {item['_path']} ({len(ph)} characters)")
    if creating and prefix.exists():
        shutil.rmtree(prefix)
    (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
    history = prefix / "conda-meta" / "history"
    if not history.exists():
        history.write_text("")
    for r in unlink:
        unlink_package(r, prefix)
    for r in link:
        link_package(r, extracted[r["name"]], prefix, pyv, requested.get(r["name"], ""))
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"==> {now} <==", "# cmd: krait " + " ".join(sys.argv[1:]), f"# krait version: {VERSION}"]
    lines += [f"-{r['channel']}::{dist(r)}" for r in unlink] + [f"+{r['channel']}::{dist(r)}" for r in link]
    with open(history, "a") as f:
        f.write("\n".join(lines) + "\n")
    return result


def _action(r: dict) -> dict:
    return {k: r.get(k) for k in ("name", "version", "build", "build_number", "channel", "fn", "url", "md5",
                                  "sha256", "subdir")}


def cmd_list(args) -> int:
    prefix = Path(args.prefix)
    if not (prefix / "conda-meta").is_dir():
        raise Fail(f"{prefix}: not a conda environment")
    recs = installed(prefix)
    if args.explicit:
        print("@EXPLICIT")
        for r in recs.values():
            print(r["url"] + (f"#{r['md5']}" if args.md5 else ""))
    elif args.json:
        print(json.dumps([{"name": r["name"], "version": r["version"], "build_string": r["build"],
                           "build_number": r.get("build_number", 0), "channel": r.get("channel"),
                           "base_url": r.get("channel"), "platform": r.get("subdir"), "dist_name": dist(r)}
                          for r in recs.values()], indent=2))
    else:
        for r in recs.values():
            print(f"{r['name']:<20} {r['version']:<10} {r['build']:<12} {r.get('channel', '')}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(prog="krait-ref")
    ap.add_argument("--version", action="version", version=VERSION)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("create", "install", "remove"):
        p = sub.add_parser(name)
        p.add_argument("-p", "--prefix", required=True)
        p.add_argument("-c", "--channel", action="append", default=[])
        p.add_argument("--override-channels", action="store_true")
        p.add_argument("-y", "--yes", action="store_true")
        p.add_argument("--dry-run", action="store_true")
        p.add_argument("--json", action="store_true")
        p.add_argument("specs", nargs="*")
    p = sub.add_parser("list")
    p.add_argument("-p", "--prefix", required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--explicit", action="store_true")
    p.add_argument("--md5", action="store_true")
    p = sub.add_parser("package")
    p.add_argument("action", choices=["extract"])
    p.add_argument("archive")
    p.add_argument("dest")
    args = ap.parse_args()
    try:
        if args.cmd == "list":
            return cmd_list(args)
        if args.cmd == "package":
            extract(Path(args.archive), Path(args.dest))
            return 0
        if args.cmd == "remove":
            result = transact(args, False, removing=[parse_spec(s)[0] for s in args.specs])
        else:
            result = transact(args, args.cmd == "create")
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            for r in result["actions"]["UNLINK"]:
                print(f"  - {r['name']} {r['version']} {r['build']}")
            for r in result["actions"]["LINK"]:
                print(f"  + {r['name']} {r['version']} {r['build']}")
        return 0
    except Fail as e:
        if getattr(args, "json", False):
            print(json.dumps({"success": False, "error": str(e)}))
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
