"""`krait shell hook` + `krait activate` / `krait deactivate` in Debian's bash, zsh, fish, tcsh and dash,
run non-interactively (as batch jobs do) on real environments (activation_envs.py), and
`krait shell init` / `deinit` on startup files."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from activation_envs import SHELLS, STATE_VALUE, act_envs, shell_path  # noqa: F401 (fixture)
from conftest import describe

HOOK_LINE = {
    "bash": 'eval "$({exe} shell hook -s bash)"',
    "zsh": 'eval "$({exe} shell hook -s zsh)"',
    "posix": 'eval "$({exe} shell hook -s posix)"',
    "fish": "{exe} shell hook -s fish | source",
    "tcsh": 'eval "`{exe} shell hook -s tcsh`"',
}
# how each shell writes its prompt variable to a file (fish's prompt is a function: not checked)
PROMPT_SET = {"bash": "PS1='my prompt$ '", "zsh": "PS1='my prompt$ '", "posix": "PS1='my prompt$ '",
              "tcsh": "set prompt = 'my prompt> '"}
PROMPT_DUMP = {"bash": 'printf %s "$PS1" > {f}', "zsh": 'printf %s "$PS1" > {f}', "posix": 'printf %s "$PS1" > {f}',
               "tcsh": 'printf %s "$prompt" > {f}'}


def run_script(shell: str, lines: List[str], env: Dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    """Runs `lines` as a script file with the shell, non-interactively (tcsh -f: no startup files)."""
    script = workdir / f"script.{shell}"
    script.write_text("\n".join(lines) + "\n")
    argv = [shell_path(shell)] + (["-f"] if shell == "tcsh" else []) + (["--no-config"] if shell == "fish" else [])
    proc = subprocess.run(argv + [str(script)], env=env, capture_output=True, text=True, timeout=120, cwd=workdir)
    assert proc.returncode == 0, describe(proc) + "\nscript:\n" + script.read_text()
    return proc


def krait_exact_env(e, env: Dict[str, str], *args) -> subprocess.CompletedProcess:
    """krait with exactly `env` (the Krait runner merges into its own environment)."""
    return subprocess.run([str(e.krait.binary)] + [str(a) for a in args], env=env, capture_output=True, text=True,
                          timeout=60)


def read_env(path: Path) -> Dict[str, str]:
    data = path.read_bytes()
    out = {}
    for item in data.split(b"\0"):
        if item:
            k, _, v = item.partition(b"=")
            out[k.decode()] = v.decode("utf-8", "surrogateescape")
    return out


@pytest.mark.parametrize("shell", SHELLS)
def test_activate_replace_stack_deactivate_restores_exactly(shell, act_envs, tmp_path) -> None:
    e = act_envs
    exe = str(e.krait.binary.resolve())
    log = Path(e.env["ACT_LOG"])
    log.unlink(missing_ok=True)
    snap = [tmp_path / f"s{i}" for i in range(7)]
    dump = "/usr/bin/env -0 > {}"
    lines = [HOOK_LINE[shell].format(exe=exe)]
    if shell in PROMPT_SET:
        lines.append(PROMPT_SET[shell])
    lines += [dump.format(snap[0]),
              f"krait activate {e.a}", dump.format(snap[1])]
    if shell in PROMPT_SET:
        lines.append(PROMPT_DUMP[shell].format(f=tmp_path / "prompt1"))
    lines += [f"krait activate {e.b}", dump.format(snap[2]),
              f"krait activate --stack {e.a}", dump.format(snap[3]),
              "krait deactivate", dump.format(snap[4]),
              "krait deactivate", dump.format(snap[5]),
              "krait deactivate", dump.format(snap[6]),
              "krait deactivate",  # nothing active: a no-op, as in conda
              dump.format(tmp_path / "s7")]
    if shell in PROMPT_SET:
        lines.append(PROMPT_DUMP[shell].format(f=tmp_path / "prompt6"))
    run_script(shell, lines, e.env, tmp_path)
    s = [read_env(p) for p in snap]
    base_path = s[0]["PATH"]
    assert "krait" not in base_path

    # 1: A active
    assert s[1]["PATH"] == f"{e.a}/libexec/acttool:{e.a}/bin:{base_path}"  # activate.d's entry first
    assert s[1]["CONDA_PREFIX"] == str(e.a)
    assert s[1]["CONDA_SHLVL"] == "1"
    assert s[1]["CONDA_DEFAULT_ENV"] == str(e.a)
    assert s[1]["CONDA_PROMPT_MODIFIER"] == f"({e.a}) "
    assert s[1]["STATE_VAR"] == STATE_VALUE
    assert s[1]["STATE_SECOND"] == "2"
    assert s[1]["ACTTOOL_HOME"] == f"{e.a}/share/acttool"
    assert s[1]["ACTTOOL_ORDER"] == "1020"  # activate.d in code-point order, the shell's extension only
    assert "ACTTOOL_WRONG" not in s[1]
    # 2: B replaces A: A's bin dir, state and activate.d variables are gone, A is remembered
    assert s[2]["PATH"] == f"{e.b}/bin:{base_path}"
    assert s[2]["CONDA_PREFIX"] == str(e.b)
    assert s[2]["CONDA_SHLVL"] == "2"
    assert s[2]["CONDA_PREFIX_1"] == str(e.a)
    for gone in ("STATE_VAR", "STATE_SECOND", "ACTTOOL_HOME", "ACTTOOL_ORDER"):
        assert gone not in s[2], gone
    # 3: A stacked on B: both bin dirs
    assert s[3]["PATH"] == f"{e.a}/libexec/acttool:{e.a}/bin:{e.b}/bin:{base_path}"
    assert s[3]["CONDA_SHLVL"] == "3"
    assert s[3]["CONDA_PREFIX_2"] == str(e.b)
    assert s[3]["ACTTOOL_ORDER"] == "1020"
    # deactivating walks back through the very same environments, byte for byte
    assert s[4] == s[2]
    assert s[5] == s[1]
    assert s[6] == s[0]
    assert read_env(tmp_path / "s7") == s[0]
    # deactivate.d ran in reverse order each time A left: replaced, unstacked, deactivated
    assert log.read_text().split() == ["d20", "d10"] * 3
    if shell in PROMPT_SET:
        start = "my prompt$ " if shell != "tcsh" else "my prompt> "
        assert (tmp_path / "prompt1").read_text() == f"({e.a}) {start}"
        assert (tmp_path / "prompt6").read_text() == start


@pytest.mark.parametrize("shell", ["bash", "tcsh"])
def test_activate_by_name_and_errors_change_nothing(shell, act_envs, tmp_path) -> None:
    e = act_envs
    exe = str(e.krait.binary.resolve())
    status = "$?" if shell != "tcsh" else "$status"
    lines = [HOOK_LINE[shell].format(exe=exe),
             f"/usr/bin/env -0 > {tmp_path / 'before'}",
             f"krait activate {tmp_path}/not-an-env",
             f"echo rc1={status}",
             "krait activate no-such-name",
             f"echo rc2={status}",
             f"/usr/bin/env -0 > {tmp_path / 'after-errors'}",
             "krait activate named",
             f"/usr/bin/env -0 > {tmp_path / 'named'}",
             "acttool",
             "krait deactivate"]
    proc = run_script(shell, lines, e.env, tmp_path)
    assert "rc1=1" in proc.stdout and "rc2=1" in proc.stdout, describe(proc)
    assert "not-an-env is not an environment" in proc.stderr
    assert 'no environment named "no-such-name"' in proc.stderr
    assert read_env(tmp_path / "after-errors") == read_env(tmp_path / "before")
    named = read_env(tmp_path / "named")
    assert named["CONDA_DEFAULT_ENV"] == "named"
    assert named["CONDA_PREFIX"] == str(e.named)
    assert named["CONDA_PROMPT_MODIFIER"] == "(named) "
    assert f"acttool in {e.named} order=1020" in proc.stdout


QUOTE = {"bash": "'{}'", "zsh": "'{}'", "posix": "'{}'", "fish": "'{}'", "tcsh": '"{}"'}


@pytest.mark.parametrize("shell", SHELLS)
def test_activate_prefix_with_blanks(shell, act_envs, tmp_path) -> None:
    """A prefix whose path holds blanks (group storage named by people) activates as one argument in
    every shell; tcsh's alias used to split it into words."""
    e = act_envs
    exe = str(e.krait.binary.resolve())
    spaced = tmp_path / "my group envs" / "env a"
    spaced.parent.mkdir()
    spaced.symlink_to(e.a)
    lines = [HOOK_LINE[shell].format(exe=exe),
             "krait activate " + QUOTE[shell].format(spaced),
             f"/usr/bin/env -0 > {tmp_path / 'active'}",
             "acttool",
             "krait deactivate",
             f"/usr/bin/env -0 > {tmp_path / 'after'}"]
    proc = run_script(shell, lines, e.env, tmp_path)
    active = read_env(tmp_path / "active")
    assert active["CONDA_PREFIX"] == str(spaced), describe(proc)
    assert active["PATH"].startswith(f"{spaced}/libexec/acttool:{spaced}/bin:")
    assert f"acttool in {spaced} order=1020" in proc.stdout
    assert "CONDA_PREFIX" not in read_env(tmp_path / "after")


def test_slurm_like_job_script(act_envs, tmp_path) -> None:
    """A batch job: #SBATCH header, non-interactive bash, krait not on PATH, both styles."""
    e = act_envs
    exe = str(e.krait.binary.resolve())
    job = tmp_path / "job.sh"
    job.write_text(f"""#!/bin/bash
#SBATCH --job-name=krait-test
#SBATCH --time=00:05:00
set -euo pipefail
eval "$({exe} shell hook -s bash)"
krait activate {e.a}
acttool
echo "state=$STATE_SECOND"
krait deactivate
{exe} run -p {e.a} acttool
{exe} run -p {e.a} sh -c 'exit 3' || echo "run-rc=$?"
""")
    proc = subprocess.run(["/bin/bash", str(job)], env=e.env, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines() == [f"acttool in {e.a} order=1020", "state=2",
                                        f"acttool in {e.a} order=1020", "run-rc=3"], describe(proc)


def test_bash_c_one_liner(act_envs) -> None:
    e = act_envs
    exe = str(e.krait.binary.resolve())
    cmd = f'eval "$({exe} shell hook -s bash)" && krait activate {e.b} && othertool && echo "$CONDA_SHLVL"'
    proc = subprocess.run(["/bin/bash", "-c", cmd], env=e.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == f"othertool in {e.b}\n1\n"


def test_activate_without_hook_explains(act_envs) -> None:
    proc = act_envs.krait("activate", act_envs.a)
    assert proc.returncode == 1
    assert "krait shell hook" in proc.stderr and "krait run" in proc.stderr


def test_corrupt_activation_record_is_named(act_envs) -> None:
    env = dict(act_envs.env, CONDA_SHLVL="1", CONDA_PREFIX=str(act_envs.a), _KRAIT_ACT_1="v1:Xgarbage")
    proc = act_envs.krait("shell", "deactivate", "-s", "bash", env=env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "_KRAIT_ACT_1" in proc.stderr and "malformed" in proc.stderr


def test_deactivate_env_activated_by_conda(act_envs, tmp_path) -> None:
    """No krait record (conda activated it): conda's way, its bin dir and variables removed."""
    e = act_envs
    env = dict(e.env, CONDA_SHLVL="1", CONDA_PREFIX=str(e.a), CONDA_DEFAULT_ENV="envA", STATE_VAR="x",
               PATH=f"{e.a}/bin:/usr/bin:/bin")
    exe = str(e.krait.binary.resolve())
    lines = [HOOK_LINE["bash"].format(exe=exe), "krait deactivate", f"/usr/bin/env -0 > {tmp_path / 'after'}"]
    run_script("bash", lines, env, tmp_path)
    after = read_env(tmp_path / "after")
    assert after["PATH"] == "/usr/bin:/bin"
    assert after["CONDA_SHLVL"] == "0"
    for gone in ("CONDA_PREFIX", "CONDA_DEFAULT_ENV", "STATE_VAR"):
        assert gone not in after


RC_FILE = {"bash": ".bashrc", "zsh": ".zshrc", "fish": ".config/fish/config.fish", "tcsh": ".tcshrc",
           "posix": ".profile"}


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_init_is_idempotent_and_deinit_restores(shell, act_envs, tmp_path) -> None:
    e = act_envs
    home = tmp_path / "home"
    home.mkdir()
    env = dict(e.env, HOME=str(home))
    env.pop("ZDOTDIR", None)
    env.pop("XDG_CONFIG_HOME", None)
    rc = home / RC_FILE[shell]
    rc.parent.mkdir(parents=True, exist_ok=True)
    original = "# my settings\nalias ll='ls -l'\n"
    rc.write_text(original)
    first = krait_exact_env(e, env, "shell", "init", "-s", shell)
    assert first.returncode == 0 and "added" in first.stdout, describe(first)
    once = rc.read_text()
    assert once.startswith(original)
    assert once.count("# >>> krait initialize >>>") == 1 and once.count("# <<< krait initialize <<<") == 1
    assert str(e.krait.binary.resolve()) in once
    again = krait_exact_env(e, env, "shell", "init", "-s", shell)
    assert again.returncode == 0 and "nothing changed" in again.stdout, describe(again)
    assert rc.read_text() == once
    gone = krait_exact_env(e, env, "shell", "deinit", "-s", shell)
    assert gone.returncode == 0 and "removed" in gone.stdout, describe(gone)
    assert rc.read_text() == original
    assert "nothing changed" in krait_exact_env(e, env, "shell", "deinit", "-s", shell).stdout


@pytest.mark.parametrize("shell", ["bash", "fish", "tcsh"])
def test_shell_init_block_works(shell, act_envs, tmp_path) -> None:
    """The block `shell init` writes really defines `krait` when the startup file is read."""
    e = act_envs
    home = tmp_path / "home"
    home.mkdir()
    env = dict(e.env, HOME=str(home))
    env.pop("XDG_CONFIG_HOME", None)
    proc = krait_exact_env(e, env, "shell", "init", "-s", shell)
    assert proc.returncode == 0, describe(proc)
    rc = home / RC_FILE[shell]
    lines = [("source " if shell != "posix" else ". ") + str(rc), f"krait activate {e.b}", "othertool"]
    out = run_script(shell, lines, env, tmp_path)
    assert f"othertool in {e.b}" in out.stdout
