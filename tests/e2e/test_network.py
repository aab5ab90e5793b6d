"""The download engine against servers that misbehave the way real ones do (issue 7 items 1-3,
issue 6 item 3): retries on transient faults, clear failures on permanent ones, parallel
transfers, bounded bodies, channels that fail, secrets that never leave the process, .netrc,
proxies, HTTPS with HTTP/2 on nginx.

Every server runs on 127.0.0.1; faults come from httpchannel.Fault. Nothing is ordered by time:
the request log (status, Range header, requests in flight) is what the tests assert on."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import pkgbuild as pb
from httpchannel import ChannelHTTPServer, Fault, free_port, wait_for_port
from installcheck import create, failed, ok
from netproxy import ForwardProxy
from prefixtools import conda_meta_records

pytestmark = [pytest.mark.installer, pytest.mark.usefixtures("installer")]

# retries without waiting; a stall is noticed after 1 s
FAST = ("remote_backoff_factor: 0.01\nremote_read_timeout_secs: 1\nremote_connect_timeout_secs: 3\n")


def fast(krait, extra: str = "") -> None:
    krait.condarc.write_text(FAST + extra)


def archive_path(local_channel, name: str) -> str:
    b = local_channel.channel.find(name)
    return f"/{b.package.subdir}/{b.fn}"


def statuses(server, path: str):
    return [r["status"] for r in server.requests_for(path)]


# ---- retries ---------------------------------------------------------------------------------

def test_transient_503_is_retried_honouring_retry_after(krait, local_channel, http_channel) -> None:
    fast(krait)
    path = archive_path(local_channel, "tbin")
    http_channel.inject(path, Fault(status=503, retry_after="0"), Fault(status=429), Fault(status=502))
    ok(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert statuses(http_channel, path) == [503, 429, 502, 200]


def test_permanent_failure_names_url_status_and_tries(krait, local_channel, http_channel) -> None:
    fast(krait)
    path = archive_path(local_channel, "tbin")
    http_channel.fail[path] = 503
    out = failed(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert f"{http_channel.url}{path}" in out and "http 503" in out and "4 tries" in out
    assert statuses(http_channel, path) == [503] * 4  # remote_max_retries (3) + 1
    assert not krait.prefix().exists()


def test_404_package_is_not_retried(krait, local_channel, http_channel) -> None:
    fast(krait)
    path = archive_path(local_channel, "tbin")
    http_channel.fail[path] = 404
    out = failed(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert "http 404" in out and "1 try" in out
    assert statuses(http_channel, path) == [404]


def test_truncated_body_resumes_with_range(krait, local_channel, http_channel) -> None:
    fast(krait)
    path = archive_path(local_channel, "tbin")
    size = local_channel.channel.find("tbin").path.stat().st_size
    http_channel.inject(path, Fault(truncate=size // 2))
    prefix = krait.prefix()
    ok(create(krait, prefix, http_channel.url, "tbin"))
    reqs = http_channel.requests_for(path)
    assert [r["status"] for r in reqs] == [200, 206]
    assert reqs[1]["headers"].get("range") == f"bytes={size // 2}-"
    assert (prefix / "bin" / "tbin").exists()


def test_dropped_connection_and_stall_are_retried(krait, local_channel, http_channel) -> None:
    fast(krait)
    tbin, tlib = archive_path(local_channel, "tbin"), archive_path(local_channel, "tlib")
    http_channel.inject(tbin, Fault(drop=True))
    http_channel.inject(tlib, Fault(stall_after=10))  # headers + 10 bytes, then silence
    ok(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert statuses(http_channel, tbin) == [0, 200]
    assert len(http_channel.requests_for(tlib)) == 2


def test_body_longer_than_repodata_size_is_cut(krait, local_channel, http_channel) -> None:
    fast(krait)
    path = archive_path(local_channel, "tbin")
    size = local_channel.channel.find("tbin").path.stat().st_size
    http_channel.inject(path, Fault(extra=50_000_000))  # a server that would send 50 MB more
    out = failed(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert f"more than the {size} bytes" in out
    assert statuses(http_channel, path) == [200]  # not retried: the server is wrong, not flaky
    leftovers = [p for p in krait.pkgs_dir.rglob("*tbin*") if p.is_file()]
    assert all(p.stat().st_size <= size for p in leftovers)


# ---- parallel transfers ----------------------------------------------------------------------

def _parallel_channel(make_channel, n: int):
    ch = make_channel("par")
    names = [f"par{i}" for i in range(n)]
    for name in names:
        ch.add(pb.Package(name, noarch="generic").add_text(f"share/{name}.txt", name))
    ch.add(pb.Package("parall", noarch="generic", depends=names).add_text("share/parall.txt", "x"))
    ch.write()
    return ch, [f"/noarch/{ch.find(n).fn}" for n in names]


def test_packages_download_in_parallel(krait, make_channel, serve) -> None:
    fast(krait)
    ch, paths = _parallel_channel(make_channel, 5)
    server = serve(ch.root)
    server.barrier(paths, 5)  # each archive answer waits until all five are being served at once
    ok(create(krait, krait.prefix(), server.url, "parall"))
    assert max(r["in_flight"] for p in paths for r in server.requests_for(p)) >= 5
    assert all(statuses(server, p) == [200] for p in paths)


def test_download_threads_1_is_one_at_a_time(krait, make_channel, serve) -> None:
    fast(krait, "download_threads: 1\n")
    ch, paths = _parallel_channel(make_channel, 4)
    server = serve(ch.root)
    ok(create(krait, krait.prefix(), server.url, "parall"))
    assert max(r["in_flight"] for p in paths for r in server.requests_for(p)) == 1


# ---- repodata bounds, channels that fail -------------------------------------------------------

def test_endless_repodata_stops_at_the_ceiling(krait, local_channel, http_channel) -> None:
    fast(krait, "repodata_max_bytes: 1000000\n")
    http_channel.inject("/noarch/repodata.json", Fault(endless=True))
    out = failed(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert "larger than 1000000 bytes" in out and "repodata_max_bytes" in out
    cache = krait.pkgs_dir / "cache"
    assert all(p.stat().st_size < 2_000_000 for p in cache.rglob("*") if p.is_file())


def test_gzip_bomb_and_wrong_encoding_are_refused(krait, local_channel, http_channel) -> None:
    fast(krait, "repodata_max_bytes: 1000000\n")
    http_channel.inject("/noarch/repodata.json", Fault(gzip_bomb=200_000_000))
    out = failed(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert "larger than 1000000 bytes" in out
    http_channel.inject("/noarch/repodata.json", Fault(bad_encoding=True))
    out = failed(create(krait, krait.prefix("b"), http_channel.url, "tbin"))
    assert "/noarch/repodata.json" in out and ("decod" in out or "encoding" in out)


def test_404_channel_names_the_channel_and_status(krait, tmp_path, serve) -> None:
    fast(krait)
    (tmp_path / "empty").mkdir()
    server = serve(tmp_path / "empty")
    out = failed(create(krait, krait.prefix(), f"{server.url}/nochan", "six"))
    assert f"{server.url}/nochan" in out and "404" in out
    assert "not accessible or is invalid" in out and "nothing provides" not in out


def test_noarch_only_channel_is_fine(krait, make_channel, serve) -> None:
    fast(krait)
    ch = make_channel("onlynoarch")
    ch.add(pb.Package("solo", noarch="generic").add_text("share/solo.txt", "x"))
    ch.write()
    shutil.rmtree(ch.root / pb.native_subdir())
    server = serve(ch.root)
    proc = ok(create(krait, krait.prefix(), server.url, "solo"))
    assert "warn" not in proc.stderr.lower()


def test_refused_connection_fails_clearly(krait) -> None:
    fast(krait)
    port = free_port()  # nothing listens there
    out = failed(create(krait, krait.prefix(), f"http://127.0.0.1:{port}/chan", "six"), "refused", "connect")
    assert f"127.0.0.1:{port}/chan" in out and "4 tries" in out


def test_corrupt_download_keeps_the_cached_repodata(krait, make_channel, serve) -> None:
    fast(krait)
    ch = make_channel("keep")
    ch.add(pb.Package("keepme", noarch="generic").add_text("share/keepme.txt", "x"))
    ch.write()
    server = serve(ch.root)
    ok(create(krait, krait.prefix("a"), server.url, "keepme"))
    cached = {p: p.read_bytes() for p in (krait.pkgs_dir / "cache").glob("*.json") if ".state" not in p.name}
    assert cached
    # the channel changes, and every try of the new repodata is cut short
    ch.add(pb.Package("newer", noarch="generic").add_text("share/newer.txt", "y"))
    ch.write()
    size = (ch.root / "noarch" / "repodata.json").stat().st_size
    server.inject("/noarch/repodata.json", *[Fault(truncate=size // 2)] * 4)
    failed(create(krait, krait.prefix("b"), server.url, "newer"))
    for p, data in cached.items():
        assert p.read_bytes() == data, f"{p} was replaced by a broken download"
    ok(create(krait, krait.prefix("c"), server.url, "keepme", extra=["--offline"]))


# ---- secrets ---------------------------------------------------------------------------------

def _grep_tree(root: Path, secret: bytes):
    hits = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            try:
                if secret in p.read_bytes():
                    hits.append(str(p))
            except OSError:
                pass
    return hits


def test_token_never_leaves_the_process(krait, local_channel, tmp_path, serve) -> None:
    fast(krait)
    token = "SECRETTOKEN4711"
    root = tmp_path / "srv"
    (root / "t" / token).mkdir(parents=True)
    (root / "t" / token / "chan").symlink_to(local_channel.root)
    server = serve(root)
    url = f"{server.url}/t/{token}/chan"
    prefix = krait.prefix()
    outs = [ok(krait("create", "-p", prefix, "-c", url, "--override-channels", "-y", "-vvv", "tbin"))]
    outs.append(ok(krait("install", "-p", prefix, "-c", url, "--override-channels", "-y", "--json", "tpost")))
    outs.append(krait("list", "-p", prefix, "--json"))
    outs.append(ok(krait("info", "--json", env={"CONDA_CHANNELS": url})))
    outs.append(ok(krait("info", env={"CONDA_CHANNELS": url})))
    outs.append(krait("install", "-p", prefix, "-c", url, "--override-channels", "-y", "nosuchpkg"))
    for o in outs:
        assert token not in o.stdout + o.stderr
    assert _grep_tree(krait.base, token.encode()) == []
    rec = conda_meta_records(prefix)["tbin"]
    assert "/t/<TOKEN>/chan" in rec["url"]
    # the downloads used the real token (the server only has the files under it)
    assert any(str(r["path"]).startswith(f"/t/{token}/chan/") and r["status"] == 200 for r in server.requests)


def test_password_and_netrc(krait, local_channel, serve) -> None:
    fast(krait)
    server = serve(local_channel.root)
    server.auth = "alice:PASSW0RDXYZ"
    host = server.url.split("//", 1)[1]
    prefix = krait.prefix()
    proc = ok(create(krait, prefix, f"http://alice:PASSW0RDXYZ@{host}", "tbin"))
    assert "PASSW0RDXYZ" not in proc.stdout + proc.stderr
    assert _grep_tree(krait.base, b"PASSW0RDXYZ") == []
    # without credentials: 401, named
    out = failed(create(krait, krait.prefix("no"), server.url, "tbin"))
    assert "401" in out
    # ~/.netrc supplies them
    netrc = krait.home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login alice password PASSW0RDXYZ\n")
    netrc.chmod(0o600)
    ok(create(krait, krait.prefix("netrc"), server.url, "tbin"))


# ---- proxies ---------------------------------------------------------------------------------

@pytest.fixture
def proxy():
    p = ForwardProxy().start()
    yield p
    p.stop()


def test_proxy_variables_and_no_proxy(krait, local_channel, http_channel, proxy) -> None:
    fast(krait)
    ok(krait("create", "-p", krait.prefix("a"), "-c", http_channel.url, "--override-channels", "-y", "tbin",
             env={"HTTP_PROXY": proxy.url}))
    assert any(r.startswith(f"GET {http_channel.url}/") for r in proxy.requests)
    seen = len(proxy.requests)
    ok(krait("create", "-p", krait.prefix("b"), "-c", http_channel.url, "--override-channels", "-y", "tlib",
             env={"http_proxy": proxy.url, "NO_PROXY": "127.0.0.1"}))
    assert len(proxy.requests) == seen


def test_proxy_servers_setting(krait, local_channel, http_channel, proxy) -> None:
    fast(krait, f"proxy_servers:\n  http: {proxy.url}\n")
    ok(create(krait, krait.prefix(), http_channel.url, "tbin"))
    assert any(r.startswith(f"GET {http_channel.url}/") for r in proxy.requests)


# ---- HTTPS + HTTP/2 + basic auth on nginx ----------------------------------------------------

NGINX_TLS = """\
{user}
worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 64; }}
http {{
    log_format proto '$request $status $server_protocol';
    access_log {run}/access.log proto;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    types {{ application/json json; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {run}/cert.pem;
        ssl_certificate_key {run}/key.pem;
        root {root};
        etag on;
        auth_basic "channel";
        auth_basic_user_file {run}/htpasswd;
    }}
}}
"""


@pytest.fixture
def nginx_tls(tmp_path, local_channel):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    openssl = shutil.which("openssl")
    assert os.access(nginx, os.X_OK) and openssl, "nginx and openssl are needed (Debian packages)"
    run = tmp_path / "nginx-tls"
    run.mkdir()
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", run / "key.pem", "-out", run / "cert.pem"],
                   check=True, capture_output=True)
    hashed = subprocess.run([openssl, "passwd", "-apr1", "S3CRETPASS"], check=True, capture_output=True,
                            text=True).stdout.strip()
    (run / "htpasswd").write_text(f"bob:{hashed}\n")
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    (run / "nginx.conf").write_text(NGINX_TLS.format(user=user, run=run, port=port,
                                                     root=Path(local_channel.root).resolve()))
    proc = subprocess.Popen([nginx, "-c", run / "nginx.conf", "-p", run], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert wait_for_port(port), (run / "error.log").read_text() if (run / "error.log").exists() else "nginx failed"
    yield {"port": port, "run": run, "cert": run / "cert.pem"}
    proc.terminate()
    proc.wait(timeout=10)


def test_https_http2_basic_auth_and_ssl_verify(krait, nginx_tls) -> None:
    fast(krait)
    port, cert = nginx_tls["port"], nginx_tls["cert"]
    url = f"https://bob:S3CRETPASS@127.0.0.1:{port}"
    # the test's own CA is not trusted by default
    out = failed(create(krait, krait.prefix("untrusted"), url, "tbin"))
    assert "certificate" in out and "S3CRETPASS" not in out
    # trusted through REQUESTS_CA_BUNDLE
    ok(krait("create", "-p", krait.prefix("env"), "-c", url, "--override-channels", "-y", "tbin",
             env={"REQUESTS_CA_BUNDLE": str(cert)}))
    # through ssl_verify: <bundle>, and ssl_verify: false
    fast(krait, f"ssl_verify: {cert}\n")
    ok(create(krait, krait.prefix("rc"), url, "tbin"))
    fast(krait, "ssl_verify: false\n")
    ok(create(krait, krait.prefix("off"), url, "tbin"))
    log = (nginx_tls["run"] / "access.log").read_text()
    assert " 200 HTTP/2.0" in log  # multiplexed HTTP/2 was used
    assert _grep_tree(krait.base, b"S3CRETPASS") == []
    # nginx's ETag/Last-Modified: a second solve revalidates with 304
    fast(krait, f"ssl_verify: {cert}\n")
    ok(create(krait, krait.prefix("again"), url, "tbin", extra=["--dry-run"]))
    assert " 304 HTTP/2.0" in (nginx_tls["run"] / "access.log").read_text()


def test_bad_network_settings_are_named(krait) -> None:
    krait.condarc.write_text("remote_max_retries: lots\n")
    out = failed(krait("create", "-p", krait.prefix(), "-y", "--dry-run", "x"))
    assert "remote_max_retries" in out
    krait.condarc.write_text("")
    out = failed(krait("create", "-p", krait.prefix(), "-y", "--dry-run", "x",
                       env={"CONDA_REMOTE_READ_TIMEOUT_SECS": "-4"}))
    assert "conda_remote_read_timeout_secs" in out


# ---- progress --------------------------------------------------------------------------------

def _stderr_on_a_tty(krait, *args) -> str:
    import pty
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(krait.argv(args), env=dict(krait.env, TERM="xterm"), stdout=subprocess.PIPE,
                              stderr=slave, stdin=subprocess.DEVNULL, timeout=120, cwd=krait.base)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed and drained
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_progress_only_on_a_terminal(krait, local_channel, http_channel) -> None:
    fast(krait)
    args = ("create", "-c", http_channel.url, "--override-channels", "-y", "tbin")
    shown = _stderr_on_a_tty(krait, *args[:1], "-p", krait.prefix("tty"), *args[1:])
    assert "Downloaded 2 packages" in shown and "extracted 2, linked 2" in shown
    assert "Downloaded" not in _stderr_on_a_tty(krait, *args[:1], "-p", krait.prefix("q"), "-q", *args[1:])
    assert "Downloaded" not in _stderr_on_a_tty(krait, *args[:1], "-p", krait.prefix("j"), "--json", *args[1:])
    piped = ok(krait(*args[:1], "-p", krait.prefix("pipe"), *args[1:]))
    assert "Downloaded" not in piped.stderr and "\x1b[" not in piped.stderr
