"""Real environments for the activation and `krait run` tests (test_activate.py, test_run.py).

Two packages built at test time and installed with `krait create`:
  acttool  bin/acttool, and activate.d/deactivate.d scripts for sh, fish and csh:
           10-acttool sets ACTTOOL_HOME, appends "10" to ACTTOOL_ORDER and puts libexec/acttool
           first on PATH (deactivate.d takes it off), 20-acttool appends "20"
           (so code-point order is visible); deactivate.d scripts unset them and append
           "d20"/"d10" to the file named by $ACT_LOG (so reverse order is visible)
  othertool  bin/othertool, no scripts
Environments: A (acttool + conda-meta/state with a value full of shell metacharacters),
B (othertool), and the named env "named" (acttool) in the envs dir.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

import pytest

import pkgbuild as pb
from conftest import Krait, describe

# a state value no quoting shortcut survives: quotes, $, backslash, !, spaces, unicode
STATE_VALUE = "it's a \"value\" with $HOME, `x`, \\ back!slash and ünïcode"

SH_SCRIPTS = {
    "activate.d/10-acttool.sh": 'export ACTTOOL_HOME="$CONDA_PREFIX/share/acttool"\n'
                                'export ACTTOOL_ORDER="${ACTTOOL_ORDER-}10"\n'
                                'export PATH="$CONDA_PREFIX/libexec/acttool:$PATH"\n',
    "activate.d/20-acttool.sh": 'export ACTTOOL_ORDER="${ACTTOOL_ORDER-}20"\n',
    "deactivate.d/10-acttool.sh": 'unset ACTTOOL_HOME\necho d10 >> "$ACT_LOG"\n'
                                  'PATH="${PATH#"$CONDA_PREFIX/libexec/acttool:"}"\n',
    "deactivate.d/20-acttool.sh": 'unset ACTTOOL_ORDER\necho d20 >> "$ACT_LOG"\n',
    # not sourced: wrong extension for every shell
    "activate.d/30-acttool.txt": 'export ACTTOOL_WRONG=1\n',
}
FISH_SCRIPTS = {
    "activate.d/10-acttool.fish": 'set -gx ACTTOOL_HOME "$CONDA_PREFIX/share/acttool"\n'
                                  'set -gx ACTTOOL_ORDER "$ACTTOOL_ORDER"10\n'
                                  'set -gx PATH $CONDA_PREFIX/libexec/acttool $PATH\n',
    "activate.d/20-acttool.fish": 'set -gx ACTTOOL_ORDER "$ACTTOOL_ORDER"20\n',
    "deactivate.d/10-acttool.fish": 'set -e ACTTOOL_HOME\necho d10 >> $ACT_LOG\n'
                                    'if test "$PATH[1]" = $CONDA_PREFIX/libexec/acttool; set -e PATH[1]; end\n',
    "deactivate.d/20-acttool.fish": 'set -e ACTTOOL_ORDER\necho d20 >> $ACT_LOG\n',
}
CSH_SCRIPTS = {
    "activate.d/10-acttool.csh": 'setenv ACTTOOL_HOME "$CONDA_PREFIX/share/acttool"\n'
                                 'if (! $?ACTTOOL_ORDER) setenv ACTTOOL_ORDER ""\n'
                                 'setenv ACTTOOL_ORDER "${ACTTOOL_ORDER}10"\n'
                                 'setenv PATH "${CONDA_PREFIX}/libexec/acttool:${PATH}"\n',
    "activate.d/20-acttool.csh": 'setenv ACTTOOL_ORDER "${ACTTOOL_ORDER}20"\n',
    "deactivate.d/10-acttool.csh": 'unsetenv ACTTOOL_HOME\necho d10 >> "$ACT_LOG"\n'
                                   'if ("$path[1]" == "$CONDA_PREFIX/libexec/acttool") set path = ( $path[2-] )\n',
    "deactivate.d/20-acttool.csh": 'unsetenv ACTTOOL_ORDER\necho d20 >> "$ACT_LOG"\n',
}

SHELLS = ["bash", "zsh", "fish", "tcsh", "posix"]
SHELL_BINARY = {"bash": "bash", "zsh": "zsh", "fish": "fish", "tcsh": "tcsh", "posix": "dash"}


def shell_path(shell: str) -> str:
    """The shell's binary; missing is a failure (CI installs them in .ci/install-deps)."""
    path = shutil.which(SHELL_BINARY[shell], path="/usr/bin:/bin")
    assert path, f"{SHELL_BINARY[shell]} is not installed (add it to .ci/install-deps)"
    return path


def build_packages(channel: pb.Channel) -> None:
    act = pb.Package("acttool", "1.0", noarch="generic")
    act.add_text("bin/acttool", '#!/bin/sh\necho "acttool in $CONDA_PREFIX order=${ACTTOOL_ORDER-}"\n', mode=0o755)
    act.add_text("share/acttool/README", "acttool\n")
    act.add_text("libexec/acttool/README", "on PATH while acttool's env is active\n")
    for rel, text in {**SH_SCRIPTS, **FISH_SCRIPTS, **CSH_SCRIPTS}.items():
        act.add_text(f"etc/conda/{rel}", text)
    channel.add(act, ".conda")
    other = pb.Package("othertool", "1.0", noarch="generic")
    other.add_text("bin/othertool", '#!/bin/sh\necho "othertool in $CONDA_PREFIX"\n', mode=0o755)
    channel.add(other, ".tar.bz2")
    channel.write()


@dataclass
class ActEnvs:
    krait: Krait
    a: Path
    b: Path
    named: Path
    env: Dict[str, str]  # a minimal environment without krait on PATH


def make_envs(krait_bin: Path, base: Path) -> ActEnvs:
    channel = pb.Channel(base / "channel")
    build_packages(channel)
    k = Krait(krait_bin, base / "krait")
    a, b = k.prefix("envA"), k.prefix("envB")
    for prefix, pkg in ((a, "acttool"), (b, "othertool")):
        proc = k("create", "-p", prefix, "-c", channel.url, "--override-channels", "-y", pkg)
        assert proc.returncode == 0, describe(proc)
    proc = k("create", "-n", "named", "-c", channel.url, "--override-channels", "-y", "acttool")
    assert proc.returncode == 0, describe(proc)
    named = k.root_prefix / "envs" / "named"
    assert (named / "conda-meta").is_dir(), describe(proc)
    (a / "conda-meta" / "state").write_text(json.dumps(
        {"env_vars": {"STATE_VAR": STATE_VALUE, "STATE_SECOND": "2"}}), encoding="utf-8")
    env = dict(k.env)
    env["PATH"] = "/usr/bin:/bin"  # krait itself is not on PATH: the hook must carry its path
    env["ACT_LOG"] = str(base / "deactivate.log")
    env.pop("SHELL", None)
    return ActEnvs(k, a, b, named, env)


@pytest.fixture(scope="module")
def act_envs(krait_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> ActEnvs:
    return make_envs(krait_bin, tmp_path_factory.mktemp("act"))
