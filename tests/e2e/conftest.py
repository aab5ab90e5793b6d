"""Fixtures for end-to-end tests of the real krait binary.

Quick reference (see tests/e2e/README.md for more):
  krait            Krait runner in a throwaway root: krait("list", "-p", p) -> CompletedProcess;
                   krait.json("create", ...) -> parsed --json; krait.popen(...); krait.prefix("name")
  local_channel    the standard channel (testchannel.py), read-only; built once per build dir
                   when ctest sets KRAIT_E2E_CHANNEL_CACHE, else once per session
  make_channel     factory: make_channel("name") -> a fresh pkgbuild.Channel under tmp_path
  http_channel     the standard channel served by a real HTTP server on 127.0.0.1 (ETag, 304)
  serve            factory: serve(directory) -> ChannelHTTPServer (stopped at teardown)
  nginx_serve      factory: nginx_serve(directory) -> NginxChannelServer (skips without nginx)
  shared_data      Path to ../shared/data (skips when KRAIT_SHARED_DIR is absent)
  source_dir       the repository root
Helpers for assertions live in prefixtools.py (tree_snapshot, assert_tree_unchanged,
same_inode, conda_meta_records, history_lines, owned_paths).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from httpchannel import ChannelHTTPServer, NginxChannelServer  # noqa: E402
from pkgbuild import Channel  # noqa: E402
from testchannel import StdChannel, build_test_channel  # noqa: E402

SOURCE_DIR = Path(os.environ.get("KRAIT_SOURCE_DIR") or Path(__file__).resolve().parents[2])

# Environment variables that would let the developer's own conda/mamba/krait setup leak in.
_LEAKY_PREFIXES = ("CONDA", "MAMBA", "KRAIT_", "_CE_", "PYTHONPATH", "PYTHONHOME", "XDG_")


def require_all() -> bool:
    """In CI (CI=true, or KRAIT_REQUIRE_ALL=1 as .ci/run sets) nothing may be skipped."""
    return os.environ.get("CI") == "true" or os.environ.get("KRAIT_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A skip (missing tool, data set, server) is a failure in CI; elsewhere it stays a
    skip that `-rs` lists with its reason."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and require_all() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


def krait_binary() -> Optional[Path]:
    env = os.environ.get("KRAIT_BIN")
    if env:
        return Path(env)
    guess = SOURCE_DIR / "build" / "krait"
    return guess if guess.exists() else None


class Krait:
    """Runs the krait binary with everything user-specific redirected under `base`."""

    def __init__(self, binary: Path, base: Path):
        self.binary = Path(binary)
        self.base = Path(base)
        self.root_prefix = self.base / "root"
        self.home = self.base / "home"
        self.pkgs_dir = self.base / "pkgs"
        self.envs_root = self.base / "envs"
        self.condarc = self.base / "condarc.yml"
        for d in (self.home, self.envs_root):
            d.mkdir(parents=True, exist_ok=True)
        self.condarc.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY_PREFIXES)}
        env.update({
            "HOME": str(self.home),
            "KRAIT_ROOT_PREFIX": str(self.root_prefix),
            "CONDA_PKGS_DIRS": str(self.pkgs_dir),
            "CONDA_ENVS_DIRS": str(self.root_prefix / "envs"),
            "CONDARC": str(self.condarc),
            "MAMBARC": str(self.condarc),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "LC_ALL": "C.UTF-8",
            "NO_COLOR": "1",
        })
        self.env: Dict[str, str] = env

    def prefix(self, name: str = "env") -> Path:
        """A not-yet-existing prefix path under the throwaway base."""
        return self.envs_root / name

    def argv(self, args) -> List[str]:
        return [str(self.binary)] + [str(a) for a in args]

    def __call__(self, *args, check: bool = False, timeout: float = 300, env: Optional[Dict[str, str]] = None,
                 input: Optional[str] = None, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
        full_env = dict(self.env, **(env or {}))
        proc = subprocess.run(self.argv(args), env=full_env, capture_output=True, text=True, timeout=timeout,
                              input=input if input is not None else "", cwd=cwd or self.base)
        if check and proc.returncode != 0:
            raise AssertionError(describe(proc))
        return proc

    def json(self, *args, check: bool = True, **kw) -> dict:
        """Run with --json appended and parse stdout; failures show both streams."""
        proc = self(*args, "--json", check=check, **kw)
        return parse_json(proc)

    def popen(self, *args, env: Optional[Dict[str, str]] = None, **kw) -> subprocess.Popen:
        """Start krait in its own session so a test can SIGKILL the whole group."""
        return subprocess.Popen(self.argv(args), env=dict(self.env, **(env or {})), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                start_new_session=True, cwd=self.base, **kw)

    @staticmethod
    def kill_group(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)


def describe(proc: subprocess.CompletedProcess) -> str:
    return (f"command: {' '.join(map(str, proc.args))}\nexit: {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")


def parse_json(proc: subprocess.CompletedProcess):
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"stdout is not JSON ({e})\n{describe(proc)}") from None


@pytest.fixture(scope="session")
def krait_bin() -> Path:
    path = krait_binary()
    if path is None or not path.exists():
        pytest.skip("krait binary not found: set KRAIT_BIN or build into build/krait")
    return path


@pytest.fixture
def krait(krait_bin: Path, tmp_path: Path) -> Krait:
    return Krait(krait_bin, tmp_path / "krait")


@pytest.fixture
def source_dir() -> Path:
    return SOURCE_DIR


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    env = os.environ.get("KRAIT_SHARED_DIR")
    path = Path(env) if env else SOURCE_DIR.parent / "shared"
    if not (path / "data").is_dir():
        pytest.skip(f"shared data not found at {path} (set KRAIT_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def shared_data(shared_dir: Path) -> Path:
    return shared_dir / "data"


# ---- channels -------------------------------------------------------------------------

def _shared_std_channel(cache: Path) -> StdChannel:
    """The standard channel built once for every e2e file of a build (each file is its own
    ctest entry and pytest session): under `cache`, keyed by the sources that define it,
    built by whichever session takes the lock first; the others wait on the lock and load it."""
    here = Path(__file__).resolve().parent
    sources = b"".join((here / f).read_bytes() for f in ("testchannel.py", "pkgbuild.py"))
    key = hashlib.sha256(sources + sys.version.encode()).hexdigest()[:16]
    cache.mkdir(parents=True, exist_ok=True)
    base, saved = cache / key, cache / key / "stdchannel.pickle"
    with open(cache / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            shutil.rmtree(base, ignore_errors=True)  # a build that was interrupted
            std = build_test_channel(base / "channel", base / "work")
            (base / "stdchannel.pickle.tmp").write_bytes(pickle.dumps(std))
            os.replace(base / "stdchannel.pickle.tmp", saved)
        return pickle.loads(saved.read_bytes())


@pytest.fixture(scope="session")
def local_channel(tmp_path_factory: pytest.TempPathFactory) -> StdChannel:
    cache = os.environ.get("KRAIT_E2E_CHANNEL_CACHE")
    if cache:
        return _shared_std_channel(Path(cache))
    base = tmp_path_factory.mktemp("stdchannel")
    return build_test_channel(base / "channel", base / "work")


@pytest.fixture
def make_channel(tmp_path: Path):
    def make(name: str = "channel") -> Channel:
        return Channel(tmp_path / name)
    return make


@pytest.fixture
def serve():
    servers: List[ChannelHTTPServer] = []

    def start(root) -> ChannelHTTPServer:
        server = ChannelHTTPServer(root).start()
        servers.append(server)
        return server
    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def http_channel(local_channel: StdChannel, serve) -> ChannelHTTPServer:
    """The standard channel over HTTP; .url is the channel URL, .requests the log."""
    return serve(local_channel.root)


@pytest.fixture
def nginx_serve(tmp_path: Path):
    if NginxChannelServer.binary() is None:
        pytest.skip("nginx is not installed")
    servers: List[NginxChannelServer] = []

    def start(root) -> NginxChannelServer:
        server = NginxChannelServer(root, tmp_path / f"nginx{len(servers)}").start()
        servers.append(server)
        return server
    yield start
    for s in servers:
        s.stop()


# ---- fault-injection hooks (tests/e2e/faults.py) ------------------------------------------

@pytest.fixture(scope="session")
def test_hooks(krait_bin: Path, local_channel: StdChannel, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fails (never skips) when the binary was built without -DKRAIT_TEST_HOOKS=ON."""
    k = Krait(krait_bin, tmp_path_factory.mktemp("hooks-probe") / "krait")
    proc = k("create", "-p", k.prefix("probe"), "-c", local_channel.url, "--override-channels", "-y", "tlib",
             env={"KRAIT_TEST_FAIL_AT": "solved:1"})
    if "injected failure" not in proc.stderr:
        pytest.fail("this krait ignores KRAIT_TEST_FAIL_AT: build it with -DKRAIT_TEST_HOOKS=ON "
                    "(scripts/test.sh does)\n" + describe(proc))
