"""Deterministic fault injection for e2e tests (test builds only: -DKRAIT_TEST_HOOKS=ON).

krait's checkpoints (libpkg/include/krait/checkpoint.h) read two environment variables:
  KRAIT_TEST_FAIL_AT=<step>:<n>[:ENOSPC]   the n-th pass through <step> fails
  KRAIT_TEST_PAUSE_AT=<step>[:<n>] + KRAIT_TEST_PAUSE_FIFO=<fifo>
                                           the n-th pass announces itself in the FIFO and blocks
                                           until the test writes a line into it
Steps: prefix-locked, cache-locked, download, extract, journal-write, unlink-before,
unlink-after, link-before, link-after, meta-write, commit (and "solved" in the command line).

    pause = Pause(tmp_path / "p.fifo")
    proc = krait.popen("install", ..., env=pause.env("link-after", 3))
    pause.wait(proc)      # returns once krait sits at the 3rd link-after
    ...                   # kill it, start a competitor, send SIGTERM, ...
    pause.release(proc)   # let it go on
"""

from __future__ import annotations

import errno
import os
import select
import subprocess
from pathlib import Path
from typing import Dict, Optional

STEPS = ["prefix-locked", "cache-locked", "download", "extract", "journal-write", "unlink-before",
         "unlink-after", "link-before", "link-after", "meta-write", "commit"]


def fail_env(step: str, n: int = 1, errno_name: Optional[str] = None) -> Dict[str, str]:
    value = f"{step}:{n}" + (f":{errno_name}" if errno_name else "")
    return {"KRAIT_TEST_FAIL_AT": value}


class Pause:
    """One pause point of one krait process, driven through a FIFO."""

    def __init__(self, fifo: Path):
        self.fifo = Path(fifo)
        os.mkfifo(self.fifo)
        # Our read end is open before krait starts, so its announcement never blocks on us;
        # Linux reports no hang-up on a FIFO whose first writer has not come yet.
        self._rfd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.announced = ""

    def env(self, step: str, n: int = 1) -> Dict[str, str]:
        return {"KRAIT_TEST_PAUSE_AT": f"{step}:{n}", "KRAIT_TEST_PAUSE_FIFO": str(self.fifo)}

    def wait(self, proc: subprocess.Popen, timeout: float = 300) -> bool:
        """Block until krait announces the pause (True) or exits without reaching it (False).
        The timeout is only a guard against a hung test, never what decides the outcome."""
        buf = b""
        waited = 0.0
        while b"\n" not in buf:
            ready, _, _ = select.select([self._rfd], [], [], 0.2)
            if ready:
                chunk = os.read(self._rfd, 256)
                buf += chunk
                continue
            if proc.poll() is not None:
                return False
            waited += 0.2
            if waited > timeout:
                raise AssertionError(f"krait never reached the pause point (pid {proc.pid})")
        self.announced = buf.decode().strip()
        # Our read end must go now: while it is open, release() could write into the FIFO before
        # krait opens it for reading, and krait's open would then wait for a writer forever.
        self.close()
        return True

    def release(self, proc: subprocess.Popen, timeout: float = 300) -> None:
        """Let a paused krait continue (it waits for a line in the FIFO)."""
        waited = 0.0
        while True:
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:  # ENXIO: krait has not opened its read end yet
                if e.errno != errno.ENXIO or proc.poll() is not None:
                    return
                select.select([], [], [], 0.05)
                waited += 0.05
                if waited > timeout:
                    raise AssertionError("krait never waited for the release") from None
        os.write(fd, b"go\n")
        os.close(fd)

    def close(self) -> None:
        if self._rfd >= 0:
            os.close(self._rfd)
            self._rfd = -1
