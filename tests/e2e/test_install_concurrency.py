"""Several krait processes at once: a shared package cache (HPC: many hosts, one cache) and two
transactions on one prefix (the prefix lock). Orderings are forced with the pause hook (faults.py).

"""

from __future__ import annotations

import json
import subprocess

import pytest

from faults import Pause
from installcheck import assert_consistent, create, installed_names, ok
from prefixtools import same_inode
from testchannel import TBIN_SUFFIX

pytestmark = [pytest.mark.usefixtures("test_hooks")]


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


def test_second_transaction_on_a_busy_prefix_waits_then_runs(krait, local_channel, tmp_path) -> None:
    prefix = krait.prefix("busy")
    ok(create(krait, prefix, local_channel.url, "tlib"))
    pause = Pause(tmp_path / "first.fifo")
    # the first transaction stops inside its link phase, holding the prefix (pause hook, no clock)
    first = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "tafter",
                        env=pause.env("link-after", 1))
    second = None
    try:
        assert pause.wait(first), first.communicate()
        second = krait.popen("install", "-p", prefix, "-c", local_channel.url, "--override-channels", "-y", "told")
        line = "x"
        while line and "waiting for" not in line:  # it says so before it waits
            line = second.stderr.readline()
        assert "waiting for" in line and f"process {first.pid}" in line, line + second.communicate()[1]
        assert "told" not in installed_names(prefix)
        pause.release(first)
        assert first.wait(timeout=300) == 0, first.communicate()
        rc2 = second.wait(timeout=300)
        out2, err2 = second.communicate()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                krait.kill_group(proc)
        pause.close()
    assert rc2 == 0, f"{out2}\n{err2}"
    assert {"tlib", "tslow", "tafter", "told"} <= installed_names(prefix)
    assert_consistent(prefix)
