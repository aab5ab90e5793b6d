"""A solve loads only the records its specs and installed packages can reach through depends
(docs/architecture.md, "Repodata in memory and on disk"), through a name index of each repodata.json
cached beside its .solv: built on the first run, read from the cache on the next, for file:// and
http channels alike. Search still reads every record; `krait clean --index-cache` removes the index."""

from __future__ import annotations

import pkgbuild as pb
from installcheck import ok

NATIVE = pb.native_subdir()


def _channel(root):
    ch = pb.Channel(root)
    ch.add_raw(pb.Package("app", depends=["lib >=1"], noarch="generic"), ".conda")  # noarch app needs a native lib
    ch.add_raw(pb.Package("lib"), ".conda")
    ch.add_raw(pb.Package("lib", version="2.0", depends=["zlib-like"]), ".conda")
    ch.add_raw(pb.Package("zlib-like"), ".conda")
    ch.add_raw(pb.Package("other", depends=["lib"]), ".conda")  # depends on lib: not reached from app
    ch.add_raw(pb.Package("tool", depends=["other"]), ".tar.bz2")
    ch.write()
    return ch


def _reachable(proc):
    """{subdir: the debug line of its reachable load}"""
    out = {}
    for line in proc.stderr.splitlines():
        if "records reachable" in line:
            out[line.split("/repodata.json")[0].rsplit("/", 1)[-1]] = line
    return out


def _dry_run(krait, url, *specs):
    return ok(krait("create", "--dry-run", "-vv", "--json", "-p", krait.prefix(), "--override-channels", "-c", url,
                    *specs))


def _linked(proc):
    import json
    return sorted(f"{r['name']}-{r['version']}" for r in json.loads(proc.stdout)["actions"]["LINK"])


def test_a_solve_reads_only_the_reachable_records_and_caches_the_index(krait, tmp_path) -> None:
    ch = _channel(tmp_path / "ch")
    first = _dry_run(krait, ch.url, "app")
    assert _linked(first) == ["app-1.0", "lib-2.0", "zlib-like-1.0"]
    lines = _reachable(first)
    assert "3 of 5 records reachable (name index built)" in lines[NATIVE], first.stderr
    assert "1 of 1 records reachable (name index built)" in lines["noarch"], first.stderr
    indexes = sorted((krait.pkgs_dir / "cache").glob("*.names"))
    assert len(indexes) == 2
    again = _dry_run(krait, ch.url, "app")
    assert _linked(again) == _linked(first)
    assert all("(name index from the cache)" in line for line in _reachable(again).values()), again.stderr
    # another request walks other names through the same index
    tool = _dry_run(krait, ch.url, "tool")
    assert _linked(tool) == ["lib-2.0", "other-1.0", "tool-1.0", "zlib-like-1.0"]
    assert "5 of 5 records reachable (name index from the cache)" in _reachable(tool)[NATIVE]
    assert "0 of 1 records reachable (name index from the cache)" in _reachable(tool)["noarch"]
    # search is not a solve: it reads every record
    found = krait.json("search", "--override-channels", "-c", ch.url, "*")
    assert sorted(f"{r['name']}-{r['version']}" for r in found) == \
        ["app-1.0", "lib-1.0", "lib-2.0", "other-1.0", "tool-1.0", "zlib-like-1.0"]
    ok(krait("clean", "--index-cache", "-y"))
    assert not any(p.exists() for p in indexes)


def test_installed_packages_are_roots_and_http_channels_are_indexed_too(krait, tmp_path, serve) -> None:
    _channel(tmp_path / "srv" / "ch")
    server = serve(tmp_path / "srv")
    url = f"{server.url}/ch"
    env = krait.prefix()
    ok(krait("create", "-y", "-p", env, "--override-channels", "-c", url, "lib=1.0", "other"))
    # an update of everything starts from the installed names: lib moves to 2.0 and brings zlib-like
    proc = ok(krait("update", "--all", "-y", "-vv", "-p", env, "--override-channels", "-c", url))
    # (a download's lines name its cache file, not its subdir)
    lines = sorted(line.rsplit(": ", 1)[-1] for line in proc.stderr.splitlines() if "records reachable" in line)
    assert lines == ["0 of 1 records reachable (name index from the cache)",
                     "4 of 5 records reachable (name index from the cache)"], proc.stderr
    listed = krait.json("list", "-p", env)
    assert sorted(f"{r['name']}-{r['version']}" for r in listed) == ["lib-2.0", "other-1.0", "zlib-like-1.0"]
