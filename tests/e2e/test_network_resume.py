"""Resuming a package download left by an earlier, killed run (issue 7 item 1).

The first run is stopped at a known point without timing anything: the test server sends
half of the archive and then stalls (Fault(stall_after=...)), the test waits until all
of that half is in the cache's partial file, and SIGKILLs krait. What the second run asks
for is read from the server's request log (Range / If-Range headers, 206 or 200)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import pkgbuild as pb
from httpchannel import Fault
from installcheck import ok

# no retry of the stalled request may happen before the test kills krait
SLOW = "remote_backoff_factor: 0.01\nremote_read_timeout_secs: 600\nremote_connect_timeout_secs: 5\n"


def _big_channel(make_channel):
    ch = make_channel("big")
    # 384 KB that zstd cannot shrink: half of the archive is far more than any buffer
    blob = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(12_000))
    ch.add_raw(pb.Package("big", noarch="generic").add_file("share/big.bin", blob), ".conda")
    ch.write()
    b = ch.find("big")
    return ch, f"/noarch/{b.fn}", b.path, blob


def _wait_until(cond, proc) -> bool:
    deadline = time.monotonic() + 120  # only guards against a hung test; nothing is decided by time
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _killed_midway(krait, server, path, archive: Path):
    """Runs a create that stalls after half of the archive and SIGKILLs it; returns the
    partial file, its sidecar and the byte count."""
    half = archive.stat().st_size // 2
    server.inject(path, Fault(stall_after=half))
    partial = krait.pkgs_dir / (archive.name + ".partial")
    sidecar = krait.pkgs_dir / (archive.name + ".partial.json")
    proc = krait.popen("create", "-p", krait.prefix("killed"), "-c", server.url, "--override-channels", "-y", "big")
    try:
        got_half = _wait_until(lambda: partial.exists() and partial.stat().st_size == half, proc)
        assert got_half, proc.communicate()
    finally:
        krait.kill_group(proc)
    assert partial.stat().st_size == half
    return partial, sidecar, half


def _installed_ok(krait, prefix, archive: Path, blob: bytes) -> None:
    assert (prefix / "share" / "big.bin").read_bytes() == blob
    cached = krait.pkgs_dir / archive.name
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == hashlib.sha256(archive.read_bytes()).hexdigest()
    leftovers = [p.name for p in krait.pkgs_dir.iterdir() if ".partial" in p.name or ".krait-partial-" in p.name]
    assert leftovers == []


def _run_again(krait, server, path, name: str):
    """A second create that needs the same package; returns its prefix and the requests for path."""
    prefix = krait.prefix(name)
    ok(krait("create", "-p", prefix, "-c", server.url, "--override-channels", "-y", "big"))
    return prefix, server.requests_for(path)


@pytest.fixture
def killed(krait, make_channel, serve) -> SimpleNamespace:
    """A channel with one big package, and a first create of it SIGKILLed half-way."""
    krait.condarc.write_text(SLOW)
    ch, path, archive, blob = _big_channel(make_channel)
    server = serve(ch.root)
    partial, sidecar, half = _killed_midway(krait, server, path, archive)
    return SimpleNamespace(server=server, path=path, archive=archive, blob=blob, partial=partial, sidecar=sidecar,
                           half=half)


def test_a_killed_download_is_resumed_by_the_next_run(krait, killed) -> None:
    k = killed
    side = json.loads(k.sidecar.read_text())
    assert side["url"] == f"{k.server.url}{k.path}" and side["size"] == k.archive.stat().st_size
    assert side["etag"] and k.partial.stat().st_uid == os.geteuid()
    assert k.archive.read_bytes()[:k.half] == k.partial.read_bytes()

    prefix, reqs = _run_again(krait, k.server, k.path, "resumed")
    assert [r["status"] for r in reqs] == [200, 206]
    assert reqs[1]["headers"].get("range") == f"bytes={k.half}-"
    assert reqs[1]["headers"].get("if-range") == side["etag"]
    _installed_ok(krait, prefix, k.archive, k.blob)


def test_a_server_that_no_longer_honours_range_restarts_cleanly(krait, killed) -> None:
    k = killed
    k.server.inject(k.path, Fault(no_range=True))
    prefix, reqs = _run_again(krait, k.server, k.path, "restarted")
    assert [r["status"] for r in reqs] == [200, 200]
    assert reqs[1]["headers"].get("range") == f"bytes={k.half}-"  # asked, but got the whole file
    _installed_ok(krait, prefix, k.archive, k.blob)


def test_a_partial_file_that_does_not_match_the_record_is_discarded(krait, killed) -> None:
    k = killed
    for field, value in (("url", "http://elsewhere.invalid/noarch/" + k.archive.name), ("size", 12345),
                         ("sha256", "0" * 64)):
        side = json.loads(k.sidecar.read_text())
        side[field] = value
        k.sidecar.write_text(json.dumps(side))
        # the run fails at the download (a 404 now), after it has decided about the partial file
        k.server.fail[k.path] = 404
        k.server.clear()
        krait("create", "-p", krait.prefix(f"no-{field}"), "-c", k.server.url, "--override-channels", "-y", "big")
        del k.server.fail[k.path]
        assert [r["headers"].get("range") for r in k.server.requests_for(k.path)] == [None], field
        assert not k.partial.exists() and not k.sidecar.exists()
        # make the partial download again for the next field
        _killed_midway(krait, k.server, k.path, k.archive)
    # and the one left now resumes
    k.server.clear()
    prefix, reqs = _run_again(krait, k.server, k.path, "ok")
    assert [r["headers"].get("range") for r in reqs] == [f"bytes={k.half}-"]
    _installed_ok(krait, prefix, k.archive, k.blob)


def test_clean_tarballs_removes_partial_downloads(krait, killed) -> None:
    ok(krait("clean", "--tarballs", "-y"))
    assert not killed.partial.exists() and not killed.sidecar.exists()
    killed.server.clear()
    prefix, reqs = _run_again(krait, killed.server, killed.path, "after-clean")
    assert [r["headers"].get("range") for r in reqs] == [None]
    _installed_ok(krait, prefix, killed.archive, killed.blob)
