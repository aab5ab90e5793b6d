"""`krait env module` with Debian's Lmod (which reads Lua and Tcl modulefiles): `module use DIR;
module load x` in a clean `bash -c` on real environments (activation_envs.py) applies the env
(PATH, CONDA_PREFIX, an activate.d variable, a conda-meta/state variable, a program from the env)
and `module unload` restores the environment exactly; help/whatis list the requested specs;
`--root` publishes every env of envs_dirs, `--all` prunes krait's stale modules; errors leave
no file behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from activation_envs import STATE_VALUE, act_envs  # noqa: F401 (fixture)
from conftest import describe

LMOD_INIT = Path("/usr/share/lmod/lmod/init/bash")
EXT = {"lua": ".lua", "tcl": ""}


def lmod_init() -> Path:
    assert LMOD_INIT.is_file(), "Debian's lmod is needed (.ci/install-deps)"
    return LMOD_INIT


def clean_env(home: Path, **extra: str) -> Dict[str, str]:
    """What a login shell on a cluster node starts from: no duplicates on PATH (Lmod removes them)."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "krait-test"}
    env.update(extra)
    return env


def read_env0(path: Path) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for entry in path.read_bytes().split(b"\0"):
        if b"=" in entry:
            name, value = entry.decode().split("=", 1)
            out[name] = value
    return out


def without_lmod_bookkeeping(env: Dict[str, str]) -> Dict[str, str]:
    """Lmod keeps its own state in _ModuleTable*_, __LMOD_REF_COUNT_* and __LMOD_STACK_* (pushenv's
    saved values): not the env's doing."""
    return {k: v for k, v in env.items()
            if not k.startswith(("_ModuleTable", "__LMOD_REF_COUNT_", "__LMOD_STACK_"))}


def run_lmod(module_dir: Path, lines: List[str], env: Dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    script = "\n".join([f". {lmod_init()}", f"module use {module_dir}", *lines]) + "\n"
    return subprocess.run(["/bin/bash", "--noprofile", "--norc", "-c", script], env=env, cwd=workdir,
                          capture_output=True, text=True, timeout=120)


def history_date(prefix: Path) -> str:
    dates = [line for line in (prefix / "conda-meta" / "history").read_text().splitlines() if line.startswith("==>")]
    return dates[-1].strip("=<> ")[:10]


@pytest.mark.parametrize("fmt", ["lua", "tcl"])
def test_load_applies_activation_and_unload_restores_exactly(fmt, act_envs, tmp_path) -> None:
    k = act_envs.krait
    mods = tmp_path / "modules"
    proc = k("env", "module", "-p", act_envs.a, "--format", fmt, "--root", mods, "--name", "proj/1.0")
    assert proc.returncode == 0, describe(proc)
    assert (mods / "proj" / f"1.0{EXT[fmt]}").is_file(), describe(proc)
    work = tmp_path / "work"
    work.mkdir()
    # Lmod's Lua pushenv restores a previous value; its Tcl reader has setenv semantics (unset on unload)
    extra = {"CONDA_PREFIX": "/an/earlier/env"} if fmt == "lua" else {}
    proc = run_lmod(mods, [
        "command -p env -0 > before",
        "module load proj",
        "command -p env -0 > loaded",
        "acttool > tool.out",
        "module unload proj",
        "command -p env -0 > after",
    ], clean_env(tmp_path, **extra), work)
    assert proc.returncode == 0, describe(proc)
    before, loaded, after = (read_env0(work / n) for n in ("before", "loaded", "after"))
    a = str(act_envs.a)
    assert loaded["PATH"].split(":") == [f"{a}/libexec/acttool", f"{a}/bin", "/usr/bin", "/bin"], loaded["PATH"]
    assert loaded["CONDA_PREFIX"] == a
    assert loaded["CONDA_DEFAULT_ENV"] == a
    assert loaded["ACTTOOL_HOME"] == f"{a}/share/acttool"  # activate.d/10-acttool.sh
    assert loaded["ACTTOOL_ORDER"] == "1020"                # both scripts, in code-point order
    assert loaded["STATE_VAR"] == STATE_VALUE                # conda-meta/state, metacharacters intact
    assert loaded["STATE_SECOND"] == "2"
    assert "ACTTOOL_WRONG" not in loaded                     # a .txt in activate.d is not a script
    assert (work / "tool.out").read_text().strip() == f"acttool in {a} order=1020"
    assert without_lmod_bookkeeping(after) == without_lmod_bookkeeping(before)
    if extra:
        assert after["CONDA_PREFIX"] == "/an/earlier/env"


@pytest.mark.parametrize("fmt", ["lua", "tcl"])
def test_help_and_whatis_list_requested_specs(fmt, act_envs, tmp_path) -> None:
    k = act_envs.krait
    mods = tmp_path / "modules"
    proc = k("env", "module", "-n", "named", "--format", fmt, "--root", mods)
    assert proc.returncode == 0, describe(proc)
    version = history_date(act_envs.named)
    path = mods / "named" / f"{version}{EXT[fmt]}"
    assert path.is_file(), describe(proc)
    proc = run_lmod(mods, ["module help named", "module whatis named", "module load named",
                           'echo "CDE=$CONDA_DEFAULT_ENV"'], clean_env(tmp_path), tmp_path)
    assert proc.returncode == 0, describe(proc)
    # Lmod prints help and whatis on stderr
    assert f"named/{version}: the conda environment {act_envs.named}" in proc.stderr, describe(proc)
    assert "Requested packages:\n  acttool" in proc.stderr, describe(proc)
    assert f"Description: conda environment {act_envs.named}" in proc.stderr, describe(proc)
    assert "Packages: acttool" in proc.stderr, describe(proc)
    assert "CDE=named" in proc.stdout, describe(proc)


def test_stdout_and_output_file(act_envs, tmp_path) -> None:
    k = act_envs.krait
    proc = k("env", "module", "-p", act_envs.b)
    assert proc.returncode == 0, describe(proc)
    assert f'prepend_path("PATH", "{act_envs.b}/bin")' in proc.stdout, describe(proc)
    assert "source_sh" not in proc.stdout  # othertool has no activate.d scripts
    out = tmp_path / "b.lua"
    proc = k("env", "module", "-p", act_envs.b, "-o", out)
    assert proc.returncode == 0, describe(proc)
    assert out.read_text() == k("env", "module", "-p", act_envs.b).stdout


def test_root_publishes_every_env_and_all_prunes_stale_modules(act_envs, tmp_path) -> None:
    k = act_envs.krait
    mods = tmp_path / "modules"
    version = history_date(act_envs.named)
    # what an earlier run left: an older version of an env, an env since removed, and a site's own file
    (mods / "named").mkdir(parents=True)
    (mods / "gone").mkdir()
    stale_text = "-- old\n-- written by krait env module for /somewhere\n"
    (mods / "named" / "2000-01-01.lua").write_text(stale_text)
    (mods / "gone" / "2000-01-01.lua").write_text(stale_text)
    (mods / "named" / "site.lua").write_text("-- written by the site admin\n")

    proc = k("env", "module", "--root", mods)
    assert proc.returncode == 0, describe(proc)
    assert (mods / "named" / f"{version}.lua").is_file(), describe(proc)
    assert not (mods / "envA").exists()  # a path env outside envs_dirs is not published
    assert (mods / "gone" / "2000-01-01.lua").is_file()  # without --all nothing is deleted

    proc = k("env", "module", "--root", f"{mods}/", "--all")  # a trailing '/' names the same files
    assert proc.returncode == 0, describe(proc)
    assert sorted(p.name for p in (mods / "named").iterdir()) == sorted([f"{version}.lua", "site.lua"])
    assert not (mods / "gone").exists(), describe(proc)
    proc = run_lmod(mods, ["module load named", 'echo "CP=$CONDA_PREFIX"'], clean_env(tmp_path), tmp_path)
    assert f"CP={act_envs.named}" in proc.stdout, describe(proc)


def test_errors_are_clear_and_leave_no_file(act_envs, tmp_path) -> None:
    k = act_envs.krait
    out = tmp_path / "x.lua"
    proc = k("env", "module", "-n", "does-not-exist", "-o", out)
    assert proc.returncode != 0 and 'no environment named "does-not-exist"' in proc.stderr, describe(proc)
    proc = k("env", "module", "-p", tmp_path / "nowhere", "-o", out)
    assert proc.returncode != 0 and "is not an environment" in proc.stderr, describe(proc)
    for bad in ("../escape", "a b/1", "/abs/1", "name/", "-x", ".hidden/1"):
        proc = k("env", "module", "-p", act_envs.a, "--name", bad, "--root", tmp_path / "mods")
        assert proc.returncode != 0 and f'invalid module name "{bad}"' in proc.stderr, describe(proc)
    assert not (tmp_path / "mods").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    proc = k("env", "module", "-p", act_envs.a, "-o", blocker / "x.lua")
    assert proc.returncode != 0 and f"cannot write the modulefile {blocker}/x.lua" in proc.stderr, describe(proc)
    proc = k("env", "module", "-p", act_envs.a, "--root", blocker)
    assert proc.returncode != 0 and str(blocker) in proc.stderr, describe(proc)
    assert not out.exists()
    proc = k("env", "module", "-p", act_envs.a, "--format", "yaml")
    assert proc.returncode != 0 and 'unknown module format "yaml"' in proc.stderr, describe(proc)
    proc = k("env", "module", "-n", "named", "--root", tmp_path / "m", "--all")
    assert proc.returncode != 0 and "--all" in proc.stderr, describe(proc)
    # an existing module survives a failed rewrite untouched
    good = tmp_path / "good.lua"
    assert k("env", "module", "-p", act_envs.a, "-o", good).returncode == 0
    text = good.read_text()
    proc = k("env", "module", "-n", "does-not-exist", "-o", good)
    assert proc.returncode != 0 and good.read_text() == text, describe(proc)
    assert sorted(os.listdir(tmp_path)) == ["a-file", "good.lua"]
