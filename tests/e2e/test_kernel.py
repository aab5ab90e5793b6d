"""`krait kernel install|list|remove` with Debian's jupyter-client and ipykernel: the kernelspec
runs the env's python through `krait run`, so a real kernel started by jupyter_client sees the
env's activation (CONDA_PREFIX, an activate.d variable, a conda-meta/state variable).

The env's "python" is a package built here whose bin/python execs Debian's /usr/bin/python3
(which has ipykernel); a second env's python runs with -S (no dist-packages: no ipykernel)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import pkgbuild as pb
from conftest import Krait, describe

SYSTEM_PYTHON = "/usr/bin/python3"


def have_jupyter() -> None:
    proc = subprocess.run([SYSTEM_PYTHON, "-c", "import jupyter_client, ipykernel"], capture_output=True, text=True)
    assert proc.returncode == 0, ("Debian's python3-jupyter-client and python3-ipykernel are needed "
                                  "(.ci/install-deps): " + proc.stderr)


@pytest.fixture(scope="module")
def kernel_envs(krait_bin, tmp_path_factory):
    have_jupyter()
    base = tmp_path_factory.mktemp("kernel")
    ch = pb.Channel(base / "channel")
    py = pb.Package("pywrapper", "1.0", noarch="generic")
    py.add_text("bin/python", f'#!/bin/sh\nexec {SYSTEM_PYTHON} "$@"\n', mode=0o755)
    py.add_text("etc/conda/activate.d/kernel-var.sh", 'export KERNEL_ACT_VAR="from activate.d in $CONDA_PREFIX"\n')
    py.add_file("share/jupyter/kernels/python3/logo-64x64.png", b"\x89PNG fake logo")
    ch.add(py, ".conda")
    nokernel = pb.Package("pywrapper-nosite", "1.0", noarch="generic")
    nokernel.add_text("bin/python", f'#!/bin/sh\nexec {SYSTEM_PYTHON} -S "$@"\n', mode=0o755)
    ch.add(nokernel, ".conda")
    other = pb.Package("nopython", "1.0", noarch="generic")
    other.add_text("share/nopython/README", "no python here\n")
    ch.add(other, ".conda")
    ch.write()
    k = Krait(krait_bin, base / "krait")
    for name, pkg in (("Analysis-Env", "pywrapper"), ("nosite", "pywrapper-nosite"), ("nopy", "nopython")):
        proc = k("create", "-n", name, "-c", ch.url, "--override-channels", "-y", pkg)
        assert proc.returncode == 0, describe(proc)
    env_dir = k.root_prefix / "envs"
    (env_dir / "Analysis-Env" / "conda-meta" / "state").write_text(
        json.dumps({"env_vars": {"KERNEL_STATE_VAR": "from conda-meta/state"}}))
    return k, env_dir


def jupyter_env(k: Krait) -> dict:
    env = {key: v for key, v in k.env.items() if not key.startswith("JUPYTER")}
    env.pop("XDG_DATA_HOME", None)
    env["PATH"] = "/usr/bin:/bin"
    return env


CLIENT = r"""
import json, sys
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
name = sys.argv[1]
spec = KernelSpecManager().get_kernel_spec(name)
print(json.dumps({"argv": spec.argv, "display_name": spec.display_name, "resource_dir": spec.resource_dir}))
km, kc = start_new_kernel(kernel_name=name, startup_timeout=120)
try:
    out = []
    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
    code = "import os\nfor v in ('CONDA_PREFIX', 'KERNEL_ACT_VAR', 'KERNEL_STATE_VAR'):\n    print(os.environ.get(v))"
    reply = kc.execute_interactive(code, output_hook=hook, timeout=120)
    assert reply["content"]["status"] == "ok", reply
    print("".join(out), end="")
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


def test_kernel_runs_in_activated_env(kernel_envs) -> None:
    k, envs = kernel_envs
    env = jupyter_env(k)
    prefix = envs / "Analysis-Env"
    proc = subprocess.run([str(k.binary), "kernel", "install", "-n", "Analysis-Env"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, describe(proc)
    kdir = Path(env["HOME"]) / ".local/share/jupyter/kernels/analysis-env"
    assert str(kdir) in proc.stdout
    spec = json.loads((kdir / "kernel.json").read_text())
    assert spec["argv"] == [str(k.binary.resolve()), "run", "-p", str(prefix), f"{prefix}/bin/python", "-m",
                            "ipykernel_launcher", "-f", "{connection_file}"]
    assert spec["display_name"] == "Python (Analysis-Env)" and spec["language"] == "python"
    assert (kdir / "logo-64x64.png").read_bytes() == b"\x89PNG fake logo"

    client = subprocess.run([SYSTEM_PYTHON, "-c", CLIENT, "analysis-env"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert client.returncode == 0, describe(client)
    lines = client.stdout.splitlines()
    assert json.loads(lines[0])["resource_dir"] == str(kdir)
    assert lines[1:] == [str(prefix), f"from activate.d in {prefix}", "from conda-meta/state"], describe(client)

    listed = subprocess.run([str(k.binary), "kernel", "list", "--json"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, describe(listed)
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert specs["analysis-env"] == {"display_name": "Python (Analysis-Env)", "env_prefix": str(prefix),
                                     "language": "python", "resource_dir": str(kdir)}

    refused = subprocess.run([str(k.binary), "kernel", "remove", "analysis-env"], env=env, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL)
    assert refused.returncode == 1 and "-y" in refused.stderr and kdir.is_dir()
    removed = subprocess.run([str(k.binary), "kernel", "remove", "analysis-env", "-y"], env=env,
                             capture_output=True, text=True)
    assert removed.returncode == 0 and not kdir.exists(), describe(removed)
    again = subprocess.run([str(k.binary), "kernel", "remove", "analysis-env", "-y"], env=env, capture_output=True,
                           text=True)
    assert again.returncode == 1 and 'no kernel "analysis-env"' in again.stderr


def test_kernel_install_locations_and_names(kernel_envs, tmp_path) -> None:
    k, envs = kernel_envs
    env = jupyter_env(k)
    proc = subprocess.run([str(k.binary), "kernel", "install", "-p", envs / "Analysis-Env", "--name", "proj.v2",
                           "--display-name", "Project v2", "--prefix", tmp_path / "site"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, describe(proc)
    spec = json.loads((tmp_path / "site/share/jupyter/kernels/proj.v2/kernel.json").read_text())
    assert spec["display_name"] == "Project v2"
    proc = subprocess.run([str(k.binary), "kernel", "install", "-n", "Analysis-Env", "--sys-prefix"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, describe(proc)
    assert (envs / "Analysis-Env/share/jupyter/kernels/analysis-env/kernel.json").is_file()
    bad = subprocess.run([str(k.binary), "kernel", "install", "-n", "Analysis-Env", "--name", "Bad Name"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and 'invalid kernel name "Bad Name"' in bad.stderr


def test_kernel_install_refuses_without_ipykernel(kernel_envs) -> None:
    k, envs = kernel_envs
    env = jupyter_env(k)
    kernels = Path(env["HOME"]) / ".local/share/jupyter/kernels"
    for name, words in (("nosite", "cannot import ipykernel"), ("nopy", "has no bin/python")):
        proc = subprocess.run([str(k.binary), "kernel", "install", "-n", name], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 1 and words in proc.stderr, describe(proc)
        assert not (kernels / name).exists()
    proc = subprocess.run([str(k.binary), "kernel", "install", "-n", "no-such-env"], env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 1 and 'no environment named "no-such-env"' in proc.stderr
