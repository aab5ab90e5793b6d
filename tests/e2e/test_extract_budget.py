"""Extraction parallelism bounded by memory (krait/extract_budget.h), end to end.

A cold install of packages written with long zstd windows (`zstd --long=27`, a
128 MiB decoder buffer each), ordinary cph packages and a .tar.bz2 gives the
identical environment with `extract_threads: 1` and in automatic mode, and
krait says which mode it used.
"""

from __future__ import annotations

import json
import shutil

import pytest

import pkgbuild as pb
from installcheck import create, ok
from prefixtools import conda_meta_records, tree_snapshot


@pytest.fixture
def long_window_channel(tmp_path):
    ch = pb.Channel(tmp_path / "channel")
    names = []
    for k in range(4):
        pkg = pb.Package(name=f"longwin{k}", version="1.0")
        # far-apart repeats only a long window finds: the archive stays small
        block = bytes((i * 131 + k) % 251 for i in range(256 * 1024))
        pkg.add_file(f"share/longwin{k}/data.bin", block * 12)
        pkg.add_file(f"share/longwin{k}/README", f"package {k}\n")
        ch.add_raw(pkg, ".conda", zstd_args=("-3", "--long=27"))
        names.append(pkg.name)
    for k, fmt in enumerate((".conda", ".tar.bz2")):
        pkg = pb.Package(name=f"plain{k}", version="2.0").add_many(40, f"share/plain{k}")
        ch.add(pkg, fmt)
        names.append(pkg.name)
    ch.write()
    return ch, names


def test_long_window_archive_records_the_window(long_window_channel) -> None:
    ch, _ = long_window_channel
    built = next(b for b in ch.built if b.package.name == "longwin0")
    import zipfile
    with zipfile.ZipFile(built.path) as z:
        head = z.read(f"pkg-{built.package.dist}.tar.zst")[:6]
    # zstd magic, then a frame header descriptor without a content size and a window descriptor of 2^27
    assert head[:4] == b"\x28\xb5\x2f\xfd"
    assert head[4] & 0xC0 == 0 and head[4] & 0x20 == 0
    assert head[5] >> 3 == 27 - 10


def _env_state(prefix):
    snap = tree_snapshot(prefix, ignore=["conda-meta", "conda-meta/*"])
    recs = {name: (r["version"], r["build"], r["sha256"], sorted(r["files"]))
            for name, r in conda_meta_records(prefix).items()}
    return snap, recs


def test_one_thread_and_auto_give_the_same_env(krait, long_window_channel) -> None:
    ch, names = long_window_channel
    prefix = krait.prefix("budget")

    krait.condarc.write_text("extract_threads: 1\n")
    one = ok(create(krait, prefix, ch.url, *names, extra=["-vv"]))
    assert "extract_threads" in one.stderr and "no memory budget" in one.stderr, one.stderr
    state_one = _env_state(prefix)
    assert (prefix / "share/longwin3/data.bin").stat().st_size == 12 * 256 * 1024

    shutil.rmtree(prefix)
    shutil.rmtree(krait.pkgs_dir)  # cold again: every archive is extracted anew
    krait.condarc.write_text("extract_threads: 0\n")
    auto = ok(create(krait, prefix, ch.url, *names, extra=["-vv"]))
    assert "memory budget" in auto.stderr and "half of the" in auto.stderr, auto.stderr
    assert _env_state(prefix) == state_one
    assert set(json.loads((prefix / "conda-meta" / f"{ch.built[0].package.dist}.json").read_text())) >= {"files"}


def test_env_var_sets_the_thread_count(krait, long_window_channel) -> None:
    ch, names = long_window_channel
    proc = ok(create(krait, krait.prefix("envvar"), ch.url, *names[:2], extra=["-vv"]))
    assert "memory budget" in proc.stderr, proc.stderr
    shutil.rmtree(krait.pkgs_dir)
    proc = krait("create", "-p", krait.prefix("envvar2"), "-c", ch.url, "--override-channels", "-y", "-vv",
                 *names[:2], env={"CONDA_EXTRACT_THREADS": "2"})
    ok(proc)
    assert "2 threads as configured" in proc.stderr, proc.stderr
