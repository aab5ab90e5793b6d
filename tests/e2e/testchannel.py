"""The standard e2e channel: one small real package per installer feature.

Built once per test session (session fixture `local_channel`) by pkgbuild; tests must
not modify it (use the `make_channel` fixture for a private one).

Names (all version 1.0 unless said):
  tlib 1.0 / 2.0 (.tar.bz2)  lib/libtlib.so.1 + softlink lib/libtlib.so -> libtlib.so.1;
                             share/tlib/only-in-<ver>.txt differs between versions
  tbin (.conda, native)      bin/tbin: gcc-compiled, prints its 255-char binary placeholder
                             (+ "/share/tbin"), bin/tbin-alias -> tbin (softlink),
                             etc/tbin.conf: text placeholder, share/tbin/data.txt plain;
                             depends tlib
  told (.tar.bz2)            old-style metadata: info/files + info/has_prefix, no paths.json
  python 3.X (native)        bin/python3.X: /bin/sh wrapper around /usr/bin/python3 that puts
                             the env's site-packages first (text placeholder); python3, python
                             softlinks.  Enough for noarch: python linking and entry points.
  pip (noarch python)        a stub, because python pulls in pip (add_pip_as_python_dependency)
  tpyapp (noarch python)     site-packages/tpyapp/{__init__,cli}.py, entry point
                             `tpyapp = tpyapp.cli:main` (prints "tpyapp ok <sys.prefix>"),
                             python-scripts/tpyapp-tool
  tpost (noarch generic)     post-link writes share/tpost/post-link-ran ("$PKG_NAME $PKG_VERSION $PREFIX")
  tbadsha (noarch generic)   repodata sha256 is wrong (md5 and size right)
  tescape (.tar.bz2)         payload has a member "../tescape-escaped.txt"
  tescapec (.conda)          payload .tar.zst has a member "../tescapec-escaped.txt"
  tshortph (native)          share/tshortph/blob.bin, binary mode, 9-char placeholder /opt/tsp:
                             any real test prefix is too long for it
  tslow (noarch generic)     post-link: when "<prefix>.block" exists, touches share/tslow/started and
                             waits (60 s at most) until the block file is removed: the SIGKILL and
                             lock-contention target; otherwise does nothing
  tafter (noarch generic)    depends tslow; one plain file
  tmany (noarch generic)     2000 small files (slow enough to interrupt mid-link)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pkgbuild import (BINARY_PLACEHOLDER, TEXT_PLACEHOLDER, Channel, Package, compile_placeholder_program)

PY_VER = f"{sys.version_info.major}.{sys.version_info.minor}"
PY_FULL = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
SYSTEM_PYTHON = "/usr/bin/python3"
SHORT_PLACEHOLDER = "/opt/tsp"
TBIN_SUFFIX = "/share/tbin"


@dataclass
class StdChannel:
    channel: Channel
    root: Path

    @property
    def url(self) -> str:
        return self.channel.url

    def fn(self, name: str) -> str:
        return self.channel.find(name).fn

    def record(self, name: str) -> dict:
        built = self.channel.find(name)
        rec = built.record()
        rec.update(self.channel.overrides.get(built.fn, {}))
        return rec


def python_package() -> Package:
    pkg = Package("python", PY_FULL, build="h0_0")
    site = f"{TEXT_PLACEHOLDER}/lib/python{PY_VER}/site-packages"
    pkg.add_text(f"bin/python{PY_VER}",
                 "#!/bin/sh\n"
                 "# test stand-in for CPython: the system interpreter with this env's site-packages\n"
                 f'PYTHONPATH="{site}${{PYTHONPATH:+:$PYTHONPATH}}" exec {SYSTEM_PYTHON} "$@"\n',
                 mode=0o755, placeholder=TEXT_PLACEHOLDER)
    pkg.add_symlink("bin/python3", f"python{PY_VER}")
    pkg.add_symlink("bin/python", f"python{PY_VER}")
    pkg.add_text(f"lib/python{PY_VER}/site-packages/README.txt", "site-packages of the test python\n")
    return pkg


def build_test_channel(root: Path, workdir: Path) -> StdChannel:
    ch = Channel(root)

    for ver in ("1.0", "2.0"):
        tlib = Package("tlib", ver)
        tlib.add_file("lib/libtlib.so.1", f"not really a library, version {ver}\n")
        tlib.add_symlink("lib/libtlib.so", "libtlib.so.1")
        tlib.add_text(f"share/tlib/only-in-{ver}.txt", f"tlib {ver}\n")
        ch.add(tlib, ".tar.bz2")

    tbin = Package("tbin", "1.0", depends=["tlib"])
    exe = compile_placeholder_program(BINARY_PLACEHOLDER, workdir / "tbin-cc", suffix=TBIN_SUFFIX)
    tbin.add_binary("bin/tbin", exe, BINARY_PLACEHOLDER)
    tbin.add_symlink("bin/tbin-alias", "tbin")
    tbin.add_text("etc/tbin.conf", f"prefix={TEXT_PLACEHOLDER}\ndata={TEXT_PLACEHOLDER}/share/tbin/data.txt\n",
                  placeholder=TEXT_PLACEHOLDER)
    tbin.add_text("share/tbin/data.txt", "plain data, hard-linked from the cache\n")
    ch.add(tbin, ".conda")

    told = Package("told", "1.0", legacy_metadata=True)
    told.add_text("etc/told.conf", f"home={TEXT_PLACEHOLDER}\n", placeholder=TEXT_PLACEHOLDER)
    told.add_text("share/told/readme.txt", "old-style package without paths.json\n")
    ch.add(told, ".tar.bz2")

    ch.add(python_package(), ".conda")
    pip = Package("pip", "23.0", noarch="python", depends=["python"])
    pip.add_text("site-packages/pip_stub/__init__.py", "# stub\n")
    ch.add(pip, ".conda")

    app = Package("tpyapp", "1.0", noarch="python", depends=["python >=3"],
                  entry_points=["tpyapp = tpyapp.cli:main"])
    app.add_text("site-packages/tpyapp/__init__.py", "VERSION = '1.0'\n")
    app.add_text("site-packages/tpyapp/cli.py",
                 "import sys\n\n\ndef main():\n    print('tpyapp ok ' + sys.prefix)\n    return 0\n")
    app.add_text("python-scripts/tpyapp-tool", "#!/usr/bin/env python\nprint('tpyapp-tool ok')\n", mode=0o755)
    ch.add(app, ".conda")

    post = Package("tpost", "1.0", noarch="generic")
    post.add_text("share/tpost/readme.txt", "has a post-link script\n")
    post.add_post_link('#!/bin/sh\nmkdir -p "$PREFIX/share/tpost"\n'
                       'echo "$PKG_NAME $PKG_VERSION $PREFIX" > "$PREFIX/share/tpost/post-link-ran"\n')
    ch.add(post, ".conda")

    bad = Package("tbadsha", "1.0", noarch="generic")
    bad.add_text("share/tbadsha/x.txt", "the archive is fine; repodata lies about its sha256\n")
    ch.add(bad, ".conda", override={"sha256": "0" * 64})

    esc = Package("tescape", "1.0", noarch="generic")
    esc.add_text("share/tescape/ok.txt", "harmless\n")
    ch.add_raw(esc, ".tar.bz2", extra_members=[("../tescape-escaped.txt", b"escaped!\n", 0o644, None)])
    escc = Package("tescapec", "1.0", noarch="generic")
    escc.add_text("share/tescapec/ok.txt", "harmless\n")
    ch.add_raw(escc, ".conda", extra_members=[("../tescapec-escaped.txt", b"escaped!\n", 0o644, None)])

    short = Package("tshortph", "1.0")
    short.add_binary("share/tshortph/blob.bin", b"\x00\x01head\x00" + SHORT_PLACEHOLDER.encode() + b"/lib\x00tail\x00",
                     SHORT_PLACEHOLDER, mode=0o644)
    ch.add(short, ".conda")

    slow = Package("tslow", "1.0", noarch="generic")
    slow.add_text("share/tslow/readme.txt", "post-link blocks so a test can kill the installer\n")
    # Blocks only while "<prefix>.block" exists, so the rerun after the kill can finish.
    slow.add_post_link('#!/bin/sh\nif [ -e "$PREFIX.block" ]; then\n  mkdir -p "$PREFIX/share/tslow"\n'
                       '  : > "$PREFIX/share/tslow/started"\n  i=0\n'
                       '  while [ -e "$PREFIX.block" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\nfi\n')
    ch.add(slow, ".conda")
    after = Package("tafter", "1.0", noarch="generic", depends=["tslow"])
    after.add_text("share/tafter/readme.txt", "linked after tslow\n")
    ch.add(after, ".conda")

    many = Package("tmany", "1.0", noarch="generic")
    many.add_many(2000, "share/tmany")
    ch.add(many, ".conda")

    ch.write()
    return StdChannel(ch, root)
