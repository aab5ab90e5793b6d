"""`krait index DIR` and CEP-16 sharded repodata (issue 7 items 4 and 5).

Channels are built at test time (pkgbuild) and indexed by `krait index`; the sharded
client is checked against the request log of the test HTTP server (which shards were
fetched, that repodata.json never was) and against nginx, and the indexed records are
compared field by field with the real conda-index output of /work/shared channels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import pkgbuild as pb


NATIVE = pb.native_subdir()


def index(krait, root: Path, *extra: str) -> str:
    proc = krait("index", *extra, root)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> pb.Channel:
    """A chain app -> lib -> base (native), app also needs a noarch helper; plus
    unrelated packages whose shards a request for app must never fetch. Built once
    (cph is slow); every test indexes its own copy."""
    ch = pb.Channel(tmp_path_factory.mktemp("template") / "chan")
    ch.add(pb.Package("base", "1.0"))
    ch.add(pb.Package("base", "2.0"))
    ch.add(pb.Package("lib", "1.0", depends=["base >=2"]))
    ch.add(pb.Package("helper", "0.5", noarch="generic", depends=["base"]))
    ch.add(pb.Package("app", "3.1", depends=["lib", "helper >=0.5"]), fmt=".tar.bz2")
    ch.add(pb.Package("unrelated", "9.0", depends=["other"]))
    ch.add(pb.Package("other", "1.0", noarch="generic"))
    return ch


@pytest.fixture
def chan(template, tmp_path) -> pb.Channel:
    root = tmp_path / "chan"
    shutil.copytree(template.root, root)  # copy2: sizes and mtimes as built
    ch = pb.Channel(root)
    for b in template.built:
        ch.add_built(pb.Built(b.package, root / b.package.subdir / b.fn))
    return ch


def solution(result: dict) -> list:
    return sorted((p["name"], p["version"], p["build_string"]) for p in result["actions"]["LINK"])


def dry_run(krait, channel_url: str, *specs: str) -> dict:
    return krait.json("create", "-p", krait.prefix("x"), "--dry-run", "--override-channels",
                      "-c", channel_url, *specs)


def test_index_writes_every_form_and_reads_back(krait, chan, tmp_path):
    ch = chan
    out = index(krait, ch.root)
    assert "7 packages (7 read" in out
    for sd in ("noarch", NATIVE):
        d = ch.root / sd
        rd = json.loads((d / "repodata.json").read_text())
        assert json.loads(pb.zstd_decompress((d / "repodata.json.zst").read_bytes())) == rd
        assert (d / "repodata_shards.msgpack.zst").is_file()
        # the records are those pkgbuild's own indexer writes (index.json + digests)
        for b in ch.built:
            if b.package.subdir == sd:
                key = "packages.conda" if b.fn.endswith(".conda") else "packages"
                want = {k: v for k, v in b.record().items() if k not in ("arch", "platform")}
                assert rd[key][b.fn] == want, b.fn
    cd = json.loads((ch.root / "channeldata.json").read_text())
    assert cd["packages"]["base"]["version"] == "2.0"
    assert cd["packages"]["helper"]["subdirs"] == ["noarch"]
    # read back by krait from the directory (file://)
    res = dry_run(krait, ch.url, "app")
    assert solution(res) == [("app", "3.1", "h0_0"), ("base", "2.0", "h0_0"), ("helper", "0.5", "h0_0"),
                             ("lib", "1.0", "h0_0")]


def test_shards_have_the_cep16_format(krait, chan):
    """Decoded with an independent msgpack reader: the index maps every name to the
    32-byte sha256 of its shard file; a shard holds the same records as repodata.json,
    with md5 and sha256 as bytes."""
    import hashlib
    import msgpack
    index(krait, chan.root)
    for sd in ("noarch", NATIVE):
        d = chan.root / sd
        rd = json.loads((d / "repodata.json").read_text())
        idx = msgpack.unpackb(pb.zstd_decompress((d / "repodata_shards.msgpack.zst").read_bytes()), raw=False)
        assert idx["version"] == 1 and idx["info"]["shards_base_url"] == "./shards/"
        names = {r["name"] for k in ("packages", "packages.conda") for r in rd[k].values()}
        assert set(idx["shards"]) == names
        seen = {"packages": {}, "packages.conda": {}}
        for name, digest in idx["shards"].items():
            assert isinstance(digest, bytes) and len(digest) == 32
            blob = (d / "shards" / f"{digest.hex()}.msgpack.zst").read_bytes()
            assert hashlib.sha256(blob).digest() == digest
            shard = msgpack.unpackb(pb.zstd_decompress(blob), raw=False)
            assert shard["removed"] == []
            for key in ("packages", "packages.conda"):
                for fn, rec in shard[key].items():
                    assert rec["name"] == name
                    assert isinstance(rec["md5"], bytes) and isinstance(rec["sha256"], bytes)
                    seen[key][fn] = dict(rec, md5=rec["md5"].hex(), sha256=rec["sha256"].hex())
        assert seen == {k: rd[k] for k in ("packages", "packages.conda")}


def test_index_is_incremental_and_follows_changes(krait, chan, tmp_path):
    ch = chan
    index(krait, ch.root)
    assert "7 packages (0 read, 7 from the cache), 0 new shards" in index(krait, ch.root)
    ch.add(pb.Package("base", "3.0"))
    assert "8 packages (1 read, 7 from the cache)" in index(krait, ch.root)
    (ch.root / NATIVE / "base-1.0-h0_0.conda").unlink()
    index(krait, ch.root)
    rd = json.loads((ch.root / NATIVE / "repodata.json").read_text())
    assert sorted(rd["packages.conda"]) == ["base-2.0-h0_0.conda", "base-3.0-h0_0.conda", "lib-1.0-h0_0.conda",
                                            "unrelated-9.0-h0_0.conda"]
    assert sorted(rd["packages"]) == ["app-3.1-h0_0.tar.bz2"]
    assert "7 packages (7 read, 0 from the cache)" in index(krait, ch.root, "--no-cache")


def test_index_refuses_archive_named_wrong(krait, chan, tmp_path):
    ch = chan
    good = ch.find("lib").path
    shutil.copy(good, good.parent / "lib-2.0-h0_0.conda")
    proc = krait("index", ch.root)
    assert proc.returncode == 1
    assert "lib-2.0-h0_0.conda" in proc.stderr and "lib-1.0-h0_0" in proc.stderr and "refusing" in proc.stderr
    assert not (ch.root / NATIVE / "repodata.json").exists(), "nothing may be written"


def shard_requests(server) -> list:
    return [r["path"] for r in server.requests if "/shards/" in r["path"]]


def test_sharded_client_fetches_only_reachable_shards(krait, chan, tmp_path, serve):
    ch = chan
    index(krait, ch.root)
    server = serve(ch.root)
    sharded = dry_run(krait, server.url, "app")
    paths = [r["path"] for r in server.requests]
    assert not any(p.endswith("repodata.json") or p.endswith("repodata.json.zst") for p in paths), paths
    assert sum(p.endswith("repodata_shards.msgpack.zst") for p in paths) == 2
    # app (native), lib, base (native), helper (noarch): one shard each; nothing of unrelated/other
    assert len(shard_requests(server)) == 4, paths
    # the same solution as the monolithic repodata of the same channel
    for sd in ("noarch", NATIVE):
        (ch.root / sd / "repodata_shards.msgpack.zst").rename(ch.root / sd / "hidden.msgpack.zst")
    mono = dry_run(krait, server.url, "app")
    assert solution(mono) == solution(sharded)
    assert solution(sharded) == sorted(solution(dry_run(krait, ch.url, "app")))
    for sd in ("noarch", NATIVE):
        (ch.root / sd / "hidden.msgpack.zst").rename(ch.root / sd / "repodata_shards.msgpack.zst")
    # the monolithic run saw no index (404) and forgot it: this solve fetches the
    # indexes again, but finds every shard in the cache (by hash)
    before = len(server.requests)
    assert solution(dry_run(krait, server.url, "app")) == solution(sharded)
    assert not shard_requests(server)[4:], "cached shards were downloaded again"
    # and an unchanged index costs a 304
    before = len(server.requests)
    again = dry_run(krait, server.url, "app")
    assert solution(again) == solution(sharded)
    later = [(r["path"], r["status"]) for r in server.requests[before:]]
    assert sorted(later) == sorted((f"/{sd}/repodata_shards.msgpack.zst", 304) for sd in ("noarch", NATIVE)), later


def test_sharded_client_install_from_nginx(krait, chan, tmp_path, nginx_serve):
    ch = chan
    index(krait, ch.root)
    server = nginx_serve(ch.root)
    proc = krait("create", "-p", krait.prefix("n"), "-y", "--override-channels", "-c", server.url, "app")
    assert proc.returncode == 0, proc.stderr
    meta = {p.name for p in (krait.prefix("n") / "conda-meta").glob("*.json")}
    assert meta == {"app-3.1-h0_0.json", "lib-1.0-h0_0.json", "base-2.0-h0_0.json", "helper-0.5-h0_0.json"}
    rec = json.loads((krait.prefix("n") / "conda-meta" / "app-3.1-h0_0.json").read_text())
    assert rec["url"] == f"{server.url}/{NATIVE}/app-3.1-h0_0.tar.bz2"


# ---- conda-index parity on real channels ---------------------------------------------------

# channels of /work/shared whose archives are all present and whose repodata was written by
# conda-index from those archives (repodata_from_packages.json when there is one: the
# unpatched output; repodata.json of the others is unpatched too)
REAL = ["conda-test-recipes", "conda-format-repo", "conda-index-packages", "conda-libmamba-solver-mamba_repo",
        "micromamba-test-server-repo"]


def test_index_matches_conda_index_records(krait, tmp_path, shared_data):
    compared = 0
    for name in REAL:
        src = shared_data / "channels" / name
        dst = tmp_path / name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*repodata*", "channeldata.json"))
        index(krait, dst)
        for sd_dir in sorted(p for p in src.iterdir() if p.is_dir()):
            ref_file = sd_dir / "repodata_from_packages.json"
            if not ref_file.exists():
                ref_file = sd_dir / "repodata.json"
            ref = json.loads(ref_file.read_text())
            mine = json.loads((dst / sd_dir.name / "repodata.json").read_text())
            for key in ("packages", "packages.conda"):
                for fn, rec in mine[key].items():
                    assert fn in ref[key], f"{name}/{sd_dir.name}/{fn} not in {ref_file.name}"
                    want = ref[key][fn]
                    for field in sorted(set(want) | set(rec)):
                        assert rec.get(field) == want.get(field), f"{name}/{sd_dir.name}/{fn}: {field}"
                    compared += 1
    assert compared >= 45


# ---- the reference solver reads krait's index ------------------------------------------------

def rattler_dir(source_dir: Path) -> Path:
    return source_dir / ".deps" / "rattler-js"


def test_rattler_solves_krait_index_output(krait, chan, tmp_path, source_dir, shared_dir):
    tool = shared_dir / "tools" / "rattler-solve.mjs"
    rjs = rattler_dir(source_dir)
    assert tool.is_file(), tool
    assert shutil.which("node"), "node is required (nodejs in .ci/install-deps)"
    assert rjs.is_dir(), f"rattler-js not installed at {rjs} (scripts/test.sh installs it)"
    ch = chan
    index(krait, ch.root)
    proc = subprocess.run(["node", str(tool), "--repodata", f"{ch.root / NATIVE / 'repodata.json'}=chan",
                           "--repodata", f"{ch.root / 'noarch' / 'repodata.json'}=chan", "app"],
                          capture_output=True, text=True, env=dict(os.environ, RATTLER_JS=str(rjs)), timeout=120)
    assert proc.returncode == 0, proc.stderr
    theirs = sorted(tuple(line.split()) for line in proc.stdout.splitlines() if line.strip())
    mine = solution(dry_run(krait, ch.url, "app"))
    assert theirs == [tuple(x) for x in mine]
