"""`krait run -p|-n ENV CMD ARGS...` from non-interactive callers, on real environments
(activation_envs.py): activation applied, stdio passed through, exit status and signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from activation_envs import STATE_VALUE, act_envs  # noqa: F401 (fixture)
from conftest import describe


def run(e, *args, input=None, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(e.krait.binary)] + [str(a) for a in args], env=env or e.env, capture_output=True,
                          text=True, timeout=60, input=input, cwd=cwd)


def env_of(proc: subprocess.CompletedProcess) -> dict:
    return dict(line.split("=", 1) for line in proc.stdout.split("\0") if "=" in line)


def test_run_applies_activation(act_envs) -> None:
    e = act_envs
    proc = run(e, "run", "-p", e.a, "/usr/bin/env", "-0")
    assert proc.returncode == 0, describe(proc)
    got = env_of(proc)
    assert got["PATH"] == f"{e.a}/libexec/acttool:{e.a}/bin:{e.env['PATH']}"
    assert got["CONDA_PREFIX"] == str(e.a)
    assert got["CONDA_DEFAULT_ENV"] == str(e.a)
    assert got["CONDA_SHLVL"] == "1"
    assert got["STATE_VAR"] == STATE_VALUE
    assert got["ACTTOOL_HOME"] == f"{e.a}/share/acttool"  # activate.d/*.sh sourced ...
    assert got["ACTTOOL_ORDER"] == "1020"                  # ... in order
    assert "ACTTOOL_WRONG" not in got
    assert got["ACT_LOG"] == e.env["ACT_LOG"]              # the caller's environment is kept


def test_run_by_name_finds_env_commands(act_envs) -> None:
    proc = run(act_envs, "run", "-n", "named", "acttool")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == f"acttool in {act_envs.named} order=1020\n"


def test_run_passes_stdio_and_exit_status(act_envs) -> None:
    e = act_envs
    proc = run(e, "run", "-p", e.b, "sh", "-c", 'cat; echo "to stderr" >&2; exit 42', input="line one\nline two\n")
    assert proc.returncode == 42
    assert proc.stdout == "line one\nline two\n"
    assert proc.stderr == "to stderr\n"
    # options after the command belong to the command
    proc = run(e, "run", "-p", e.b, "othertool", "-p", "--cwd")
    assert proc.returncode == 0 and proc.stdout == f"othertool in {e.b}\n", describe(proc)


def test_run_exit_status_of_signal(act_envs) -> None:
    e = act_envs
    assert run(e, "run", "-p", e.b, "sh", "-c", "kill -KILL $$").returncode == 128 + signal.SIGKILL
    assert run(e, "run", "-p", e.a, "sh", "-c", "kill -TERM $$").returncode == 128 + signal.SIGTERM


CHILD = r"""
import os, signal, sys
fifo, out, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
def handler(signum, frame):
    with open(out, "w") as f:
        f.write(f"{signal.Signals(signum).name} in {os.environ['CONDA_PREFIX']}")
    sys.exit(code)
signal.signal(signal.SIGTERM, handler)
signal.signal(signal.SIGINT, handler)
with open(fifo, "w") as f:   # the handshake: handlers are installed
    f.write(f"{os.getpid()}\n")
while True:
    signal.pause()
"""


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 42), (signal.SIGINT, 43)])
def test_run_forwards_signals_to_child(act_envs, tmp_path, sig, code) -> None:
    """A scheduler's SIGTERM (or a user's SIGINT) sent to `krait run` reaches the command."""
    e = act_envs
    fifo, out = tmp_path / "ready", tmp_path / "got"
    os.mkfifo(fifo)
    argv = [str(e.krait.binary), "run", "-p", e.a, sys.executable, "-c", CHILD, fifo, out, str(code)]
    proc = subprocess.Popen([str(a) for a in argv], env=e.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        with open(fifo) as f:   # blocks until the child has its handlers
            child_pid = int(f.read().strip())
        assert child_pid != proc.pid  # krait stays the parent: it must forward
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == code, stderr
    assert out.read_text() == f"{sig.name} in {e.a}"


def test_run_cwd(act_envs, tmp_path) -> None:
    e = act_envs
    work = tmp_path / "work dir"
    work.mkdir()
    proc = run(e, "run", "-p", e.b, "--cwd", work, "pwd")
    assert proc.returncode == 0 and proc.stdout == f"{work}\n", describe(proc)
    proc = run(e, "run", "--cwd", tmp_path / "missing", "-p", e.b, "pwd")
    assert proc.returncode == 1 and "missing: no such directory" in proc.stderr, describe(proc)


def test_run_clean_env(act_envs) -> None:
    e = act_envs
    env = dict(e.env, LEAKY_SECRET="do not pass", LC_ALL="C.UTF-8")
    proc = run(e, "run", "--clean-env", "-p", e.a, "/usr/bin/env", "-0", env=env)
    assert proc.returncode == 0, describe(proc)
    got = env_of(proc)
    assert "LEAKY_SECRET" not in got and "ACT_LOG" not in got
    assert got["HOME"] == env["HOME"] and got["LC_ALL"] == "C.UTF-8"
    assert got["PATH"].startswith(f"{e.a}/libexec/acttool:{e.a}/bin:") and "/usr/bin" in got["PATH"].split(":")
    assert got["CONDA_PREFIX"] == str(e.a) and got["STATE_VAR"] == STATE_VALUE and got["ACTTOOL_ORDER"] == "1020"


def test_run_errors(act_envs, tmp_path) -> None:
    e = act_envs
    proc = run(e, "run", "-p", e.b, "no-such-command-xyz")
    assert proc.returncode == 127 and "no-such-command-xyz" in proc.stderr, describe(proc)
    proc = run(e, "run", "-p", tmp_path, "true")
    assert proc.returncode == 1 and "is not an environment" in proc.stderr, describe(proc)
    proc = run(e, "run", "-n", "nope", "true")
    assert proc.returncode == 1 and 'no environment named "nope"' in proc.stderr, describe(proc)
    proc = run(e, "run", "-p", e.b)
    assert proc.returncode == 1 and "needs a command" in proc.stderr, describe(proc)
    proc = run(e, "run", "true")
    assert proc.returncode == 1 and "-p PREFIX or -n NAME" in proc.stderr, describe(proc)
    notexec = tmp_path / "notexec"
    notexec.write_text("#!/bin/sh\n")
    proc = run(e, "run", "-p", e.b, notexec)
    assert proc.returncode == 126, describe(proc)


def test_run_inside_activated_env_replaces_it(act_envs) -> None:
    """From a shell where A is active, `krait run -p B` gives B's environment, not a mix: A's
    deactivate.d scripts run first (they take A's libexec dir off PATH)."""
    e = act_envs
    exe = str(e.krait.binary)
    script = (f'eval "$({exe} shell hook -s bash)"; krait activate {e.a}; '
              f'{exe} run -p {e.b} sh -c \'echo "$CONDA_PREFIX|${{STATE_VAR-none}}|$CONDA_SHLVL|$PATH"\'')
    proc = subprocess.run(["/bin/bash", "-c", script], env=e.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == f"{e.b}|none|2|{e.b}/bin:{e.env['PATH']}\n"
