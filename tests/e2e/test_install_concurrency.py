"""Several krait processes at once: a shared package cache (HPC: many hosts, one cache) and two
transactions on one prefix (the prefix lock).

INSTALLER TESTS: skipped with "installer not available (...)" until `krait create`
really installs; KRAIT_E2E_REQUIRE_INSTALLER=1 makes that skip a failure.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from installcheck import assert_consistent, create, install, installed_names, ok
from prefixtools import same_inode
from testchannel import TBIN_SUFFIX

pytestmark = [pytest.mark.installer, pytest.mark.usefixtures("installer")]


def test_concurrent_creates_share_one_cache(krait, local_channel) -> None:
    prefixes = [krait.prefix(f"c{i}") for i in range(3)]
    procs = [krait.popen("create", "-p", p, "-c", local_channel.url, "--override-channels", "-y", "tbin", "told")
             for p in prefixes]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for rc, out, err in results:
        assert rc == 0, f"exit {rc}\n{out}\n{err}"
    for prefix in prefixes:
        assert installed_names(prefix) == {"tbin", "tlib", "told"}
        assert_consistent(prefix)
        out = subprocess.run([str(prefix / "bin/tbin")], capture_output=True, text=True, check=True).stdout
        assert out.strip() == str(prefix) + TBIN_SUFFIX
    extracted = list(krait.pkgs_dir.glob("tbin-1.0-h0_0/"))
    assert len(extracted) == 1
    rr = json.loads((extracted[0] / "info/repodata_record.json").read_text())
    assert rr["sha256"] == local_channel.record("tbin")["sha256"]
    data = [p / "share/tbin/data.txt" for p in prefixes]
    assert same_inode(data[0], data[1]) and same_inode(data[1], data[2])
    # No half-written leftovers next to the finished entries.
    names = sorted(p.name for p in krait.pkgs_dir.iterdir())
    assert not [n for n in names if n.startswith("tbin") and n not in ("tbin-1.0-h0_0", local_channel.fn("tbin"))]


def test_second_transaction_on_a_busy_prefix_waits_or_fails_cleanly(krait, local_channel) -> None:
    prefix = krait.prefix("busy")
    ok(create(krait, prefix, local_channel.url, "tlib"))
    block = Path(str(prefix) + ".block")
    block.write_text("")
    first = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tafter")
    second = None
    try:
        deadline = time.monotonic() + 120
        while not (prefix / "share/tslow/started").exists():
            assert first.poll() is None, f"first install ended early: {first.communicate()}"
            assert time.monotonic() < deadline, "post-link never started"
            time.sleep(0.02)
        # The first transaction is inside its post-link script, holding the prefix.
        second = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told")
        time.sleep(2)
        second_done_early = second.poll() is not None
        block.unlink()
        assert first.wait(timeout=120) == 0, first.communicate()
        rc2 = second.wait(timeout=120)
        out2, err2 = second.communicate()
    finally:
        block.unlink(missing_ok=True)
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                krait.kill_group(proc)
    if second_done_early:
        # It did not wait: then it must have refused, saying why, and changed nothing.
        assert 0 < rc2 < 128, f"second install ran concurrently (exit {rc2})\n{out2}\n{err2}"
        assert "lock" in (out2 + err2).lower() or "busy" in (out2 + err2).lower(), out2 + err2
        assert "told" not in installed_names(prefix)
        ok(install(krait, prefix, local_channel.url, "told"))
    else:
        assert rc2 == 0, f"{out2}\n{err2}"
    assert {"tlib", "tslow", "tafter", "told"} <= installed_names(prefix)
    assert_consistent(prefix, unowned_ok=["share/tslow/started"])
