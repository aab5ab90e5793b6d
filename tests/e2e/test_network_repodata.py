"""Repodata over the network (issue 7): the shard indexes, then the monolithic repodata of
every subdir of every channel are fetched as parallel batches, errors still name the failing channel, and
`krait search` / `krait repoquery search` use sharded repodata (CEP-16) for an exact name.

Parallelism is proved from the test server's request log (requests in flight, with
barriers that hold each request until the whole batch is being served), never by time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pkgbuild as pb
from installcheck import failed, ok

NATIVE = pb.native_subdir()
FAST = "remote_backoff_factor: 0.01\nremote_read_timeout_secs: 15\nremote_connect_timeout_secs: 5\n"


def _two_channels(root: Path) -> None:
    """root/a and root/b, each with a noarch and a native package."""
    for name in ("a", "b"):
        ch = pb.Channel(root / name)
        ch.add_raw(pb.Package(f"{name}noarch", noarch="generic").add_text(f"share/{name}n.txt", name), ".conda")
        ch.add_raw(pb.Package(f"{name}native").add_text(f"share/{name}p.txt", name), ".conda")
        ch.write()


def _create(krait, prefix, server, *channels, dry_run=False):
    args = ["create", "-p", prefix, "--override-channels", "-y"]
    for c in channels:
        args += ["-c", f"{server.url}/{c}"]
    if dry_run:
        args.append("--dry-run")
    return krait(*args, "anoarch", "bnative")


def _paths(channels, leaf):
    return [f"/{c}/{sd}/{leaf}" for c in channels for sd in ("noarch", NATIVE)]


def test_repodata_of_all_channels_and_subdirs_is_one_parallel_batch(krait, tmp_path, serve) -> None:
    krait.condarc.write_text(FAST)
    _two_channels(tmp_path / "srv")
    server = serve(tmp_path / "srv")
    server.delay = 0.05  # 50 ms of latency per request, as a remote server has
    index = _paths("ab", "repodata_shards.msgpack.zst")
    zst, plain = _paths("ab", "repodata.json.zst"), _paths("ab", "repodata.json")
    # each request is held until all four of its phase are being served at once: a client
    # fetching one subdir (or channel) after the other would get one at a time (after the
    # barrier's guard). Phases: the CEP-16 shard indexes, the .zst, the plain repodata.json
    for phase in (index, zst, plain):
        server.barrier(phase, 4)
    ok(_create(krait, krait.prefix(), server, "a", "b"))
    for phase in (index, zst, plain):
        assert max(r["in_flight"] for p in phase for r in server.requests_for(p)) >= 4, server.requests
    assert [len(server.requests_for(p)) for p in index + zst + plain] == [1] * 12
    assert all(r["status"] == 404 for p in index + zst for r in server.requests_for(p))
    assert (krait.prefix() / "share" / "an.txt").read_text() == "a"
    assert (krait.prefix() / "share" / "bp.txt").read_text() == "b"
    # the cache state remembers that the server has no .zst: the next run revalidates the four
    # repodata.json (conditional, 304) and asks for no .zst at all
    server.clear()
    ok(_create(krait, krait.prefix("again"), server, "a", "b", dry_run=True))
    assert sorted((r["path"], r["status"]) for r in server.requests if "repodata.json" in str(r["path"])) == \
        sorted((p, 304) for p in plain)


def test_batch_errors_name_the_failing_channel(krait, tmp_path, serve) -> None:
    krait.condarc.write_text(FAST)
    _two_channels(tmp_path / "srv")
    server = serve(tmp_path / "srv")
    # a channel that does not exist, after one that does
    out = failed(_create(krait, krait.prefix("x"), server, "a", "nochan"))
    assert f"{server.url}/nochan" in out and "404" in out and "not accessible or is invalid" in out
    assert f"{server.url}/a " not in out and "nothing provides" not in out
    # a server error on one subdir of the second channel: that URL, its status and the tries
    server.fail[f"/b/{NATIVE}/repodata.json"] = 500
    server.clear()
    out = failed(_create(krait, krait.prefix("y"), server, "a", "b"))
    assert f"{server.url}/b/{NATIVE}/repodata.json: http 500 (4 tries)" in out, out
    # the other subdirs were fetched in the same batch, once each
    assert all(len(server.requests_for(p)) == 1 for p in _paths("a", "repodata.json"))


# ---- search over sharded repodata --------------------------------------------------------------

def _sharded_channel(krait, root: Path) -> pb.Channel:
    ch = pb.Channel(root)
    ch.add_raw(pb.Package("base", "1.0").add_text("share/base.txt", "b"), ".conda")
    ch.add_raw(pb.Package("lib", "1.0", depends=["base"]).add_text("share/lib.txt", "l"), ".conda")
    ch.add_raw(pb.Package("lib", "2.0", depends=["base"]).add_text("share/lib.txt", "l"), ".conda")
    ch.add_raw(pb.Package("libextra", "1.0", noarch="generic").add_text("share/x.txt", "x"), ".conda")
    ch.add_raw(pb.Package("other", "1.0", noarch="generic").add_text("share/o.txt", "o"), ".conda")
    ch.write()
    ok(krait("index", root))
    return ch


def _shards(server) -> list:
    return [r["path"] for r in server.requests if "/shards/" in str(r["path"])]


def _monolithic(server) -> list:
    return [r["path"] for r in server.requests if str(r["path"]).endswith(("repodata.json", "repodata.json.zst"))]


def test_search_of_an_exact_name_fetches_only_its_shard(krait, tmp_path, serve) -> None:
    krait.condarc.write_text(FAST)
    _sharded_channel(krait, tmp_path / "chan")
    server = serve(tmp_path / "chan")
    found = json.loads(ok(krait("search", "--json", "-c", server.url, "--override-channels", "lib")).stdout)
    assert sorted((r["name"], r["version"]) for r in found) == [("lib", "1.0"), ("lib", "2.0")], found
    indexes = sorted(r["path"] for r in server.requests if str(r["path"]).endswith("repodata_shards.msgpack.zst"))
    assert indexes == sorted(f"/{sd}/repodata_shards.msgpack.zst" for sd in ("noarch", NATIVE))
    assert len(_shards(server)) == 1, server.requests  # lib's shard (native); not base's, which lib needs
    assert _monolithic(server) == []
    assert len(server.requests) == 3

    # repoquery search reads the channels the same way (a fresh cache: nothing cached)
    shutil.rmtree(krait.pkgs_dir / "cache")
    server.clear()
    out = ok(krait("repoquery", "search", "-c", server.url, "--override-channels", "lib>=2")).stdout
    assert "2.0" in out and "1.0" not in out, out
    assert len(_shards(server)) == 1 and _monolithic(server) == [], server.requests


def test_search_with_a_pattern_reads_the_whole_repodata_and_says_why(krait, tmp_path, serve) -> None:
    krait.condarc.write_text(FAST)
    _sharded_channel(krait, tmp_path / "chan")
    server = serve(tmp_path / "chan")
    proc = ok(krait("search", "-v", "-c", server.url, "--override-channels", "lib*"))
    assert "libextra" in proc.stdout and "lib" in proc.stdout
    assert "not one exact package name" in proc.stderr and "sharded repodata" in proc.stderr, proc.stderr
    assert _shards(server) == []
    assert sorted(_monolithic(server)) == sorted(f"/{sd}/repodata.json.zst" for sd in ("noarch", NATIVE))
    # without -v it stays quiet
    assert "not one exact" not in ok(krait("search", "-c", server.url, "--override-channels", "lib*")).stderr
