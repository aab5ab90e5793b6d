"""Serve a channel directory over real HTTP on 127.0.0.1 (stdlib only).

Why our own handler: python's SimpleHTTPRequestHandler has no ETag, and the
repodata cache must be tested against a server that answers conditional GETs
(If-None-Match / If-Modified-Since) with 304 exactly like anaconda.org or a CDN.
Every request is logged in `requests` so tests can assert what krait asked for;
`fail` injects an error status for a path (e.g. {"/noarch/repodata.json": 500}).

Fault injection (`faults`): a per-path queue of faults, one taken per request to that
path, so "503 once, then the file" is `server.inject("/noarch/a.conda", Fault(status=503))`.
A Fault can: answer a status (with Retry-After), send only the first bytes of the body
then close (truncate), close the connection without an answer (drop), send more bytes
than the file has (extra), stall after some bytes, stream an endless body, claim a wrong
Content-Encoding, or send a gzip bomb. `barrier(paths, n)` holds requests for those paths
until n of them are in flight at once (several barriers may be set), so a test can prove parallel transfers from the
log without timing anything. Every request records `in_flight` (requests being served
when it arrived, itself included); `max_in_flight` keeps the peak. Range requests are
answered with 206, as a real server does (resumed downloads).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import posixpath
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from dataclasses import dataclass
from typing import Dict, List, Optional


@dataclass
class Fault:
    status: int = 0              # answer this status (with an empty body)
    retry_after: Optional[str] = None
    truncate: int = -1           # send this many body bytes (full Content-Length), then close
    drop: bool = False           # close the connection without any answer
    extra: int = 0               # send this many bytes more than the file (Content-Length too)
    stall_after: int = -1        # send this many bytes, then nothing until the client gives up
    endless: bool = False        # 200 without length, bytes until the client gives up
    bad_encoding: bool = False   # "Content-Encoding: gzip" on a body that is not gzip
    gzip_bomb: int = 0           # a gzip body (Content-Encoding: gzip) inflating to this many bytes
    blob: bytes = b""            # (the bomb, made when injected so the answer itself is immediate)
    no_range: bool = False       # answer a Range request with 200 and the whole file (no range support)


class _Handler(BaseHTTPRequestHandler):
    server_version = "krait-test-http/1"
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # requests are recorded in server.requests instead of spamming stderr

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _record(self, status: int) -> None:
        owner: ChannelHTTPServer = self.server.owner  # type: ignore[attr-defined]
        with owner.lock:
            owner.requests.append({"method": self.command, "path": self.path, "status": status,
                                   "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "in_flight": getattr(self, "_in_flight_at_start", 0)})

    def _send_status_only(self, status: int) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self, send_body: bool) -> None:
        owner: ChannelHTTPServer = self.server.owner  # type: ignore[attr-defined]
        with owner.lock:
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
            self._in_flight_at_start = owner.in_flight
        try:
            self._serve_inner(send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a stall or endless body it cut off): expected
        finally:
            with owner.lock:
                owner.in_flight -= 1
                owner.cond.notify_all()

    def _serve_inner(self, send_body: bool) -> None:
        owner: ChannelHTTPServer = self.server.owner  # type: ignore[attr-defined]
        url_path = urllib.parse.urlsplit(self.path).path
        if owner.delay:
            time.sleep(owner.delay)  # added latency (benchmarks); tests never order events by it
        owner.wait_barrier(url_path)
        if owner.auth is not None:
            want = "Basic " + base64.b64encode(owner.auth.encode()).decode()
            if self.headers.get("Authorization") != want:
                self._record(401)
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="channel"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        fault = owner.take_fault(url_path)
        if fault is not None and self._apply_fault(fault, url_path):
            return
        if url_path in owner.fail:
            self._send_status_only(owner.fail[url_path])
            return
        rel = posixpath.normpath(urllib.parse.unquote(url_path)).lstrip("/")
        if rel.startswith("..") or "\0" in rel:
            self._send_status_only(400)
            return
        path = owner.root / rel
        if not path.is_file():
            self._send_status_only(404)
            return
        data = path.read_bytes()
        st = path.stat()
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        last_modified = formatdate(int(st.st_mtime), usegmt=True)
        if self._not_modified(etag, int(st.st_mtime)):
            self._record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.send_header("Cache-Control", owner.cache_control)
            self.end_headers()
            return
        status, start = 200, 0
        rng = self.headers.get("Range")
        if fault is not None and fault.no_range:
            rng = None
        if rng and rng.startswith("bytes=") and rng.endswith("-") and rng[6:-1].isdigit():
            start = int(rng[6:-1])
            if start < len(data):
                status = 206
            else:
                start = 0
        if fault is not None and fault.extra:
            data = data + b"X" * fault.extra
        body = data[start:]
        self._record(status)
        self.send_response(status)
        ctype = "application/json" if rel.endswith(".json") else "application/octet-stream"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", owner.cache_control)
        if fault is not None and fault.bad_encoding:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        if not send_body:
            return
        if fault is not None and fault.truncate >= 0:
            self.wfile.write(body[:fault.truncate])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault is not None and fault.stall_after >= 0:
            self.wfile.write(body[:fault.stall_after])
            self.wfile.flush()
            owner.wait_released()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _apply_fault(self, fault: "Fault", url_path: str) -> bool:
        """Answers the request per `fault`; False when the normal answer should follow (modified)."""
        owner: ChannelHTTPServer = self.server.owner  # type: ignore[attr-defined]
        if fault.drop:
            self._record(0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.status:
            self._record(fault.status)
            self.send_response(fault.status)
            if fault.retry_after is not None:
                self.send_header("Retry-After", fault.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if fault.endless:
            self._record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b" " * 65536
            while not owner.released.is_set():
                self.wfile.write(chunk)
            self.close_connection = True
            return True
        if fault.gzip_bomb:
            blob = fault.blob
            self._record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            self.wfile.write(blob)
            return True
        return False

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            # RFC 9110: If-None-Match wins over If-Modified-Since; weak comparison.
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return mtime <= int(parsedate_to_datetime(ims).timestamp())
            except (TypeError, ValueError):
                return False
        return False


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops the SYNs of a client opening 8 connections at
    # once (they come back after the kernel's 1 s retransmission); real servers queue more
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-answer (cut-off stall, endless body, bound hit) is expected."""
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ChannelHTTPServer:
    """A threaded HTTP server for `root` on an ephemeral 127.0.0.1 port."""

    def __init__(self, root: os.PathLike, cache_control: str = "public, max-age=0"):
        self.root = Path(root)
        self.cache_control = cache_control
        self.requests: List[Dict[str, object]] = []
        self.fail: Dict[str, int] = {}
        self.faults: Dict[str, List[Fault]] = {}
        self.auth: Optional[str] = None  # "user:password": basic auth required for every request
        self.delay = 0.0
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.in_flight = 0
        self.max_in_flight = 0
        self.barriers: List[Dict[str, object]] = []  # {"paths", "n", "waiting", "passed"}
        self.released = threading.Event()  # set at stop(): stalled/endless answers end
        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="channel-http", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ChannelHTTPServer":
        self._thread.start()
        return self

    def inject(self, path: str, *faults: Fault) -> None:
        """Queues faults for `path`: the next requests to it get them, one each."""
        for f in faults:
            if f.gzip_bomb and not f.blob:
                f.blob = gzip.compress(b" " * f.gzip_bomb, compresslevel=6)
        with self.lock:
            self.faults.setdefault(path, []).extend(faults)

    def take_fault(self, path: str) -> Optional[Fault]:
        with self.lock:
            queue = self.faults.get(path)
            return queue.pop(0) if queue else None

    def barrier(self, paths, n: int) -> None:
        """Requests for `paths` wait until `n` of them are being served at once. Several barriers
        (on disjoint sets of paths) may be set; each passes on its own."""
        with self.lock:
            self.barriers.append({"paths": set(paths), "n": n, "waiting": 0, "passed": False})

    def wait_barrier(self, path: str) -> None:
        with self.cond:
            b = next((b for b in self.barriers if path in b["paths"] and not b["passed"]), None)
            if b is None:
                return
            b["waiting"] += 1
            if b["waiting"] >= b["n"]:
                b["passed"] = True
                self.cond.notify_all()
            # bounded so a broken client fails the test's assertion instead of hanging it
            self.cond.wait_for(lambda: b["passed"] or self.released.is_set(), timeout=30)

    def wait_released(self) -> None:
        self.released.wait(timeout=60)

    def stop(self) -> None:
        self.released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def requests_for(self, path: str) -> List[Dict[str, object]]:
        with self.lock:
            return [r for r in self.requests if urllib.parse.urlsplit(str(r["path"])).path == path]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    types {{ application/json json; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
    }}
}}
"""


class NginxChannelServer:
    """nginx serving `root` (a second, independent HTTP implementation)."""

    def __init__(self, root: os.PathLike, rundir: os.PathLike):
        self.root = Path(root).resolve()
        self.rundir = Path(rundir)
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None

    @staticmethod
    def binary() -> Optional[str]:
        return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "NginxChannelServer":
        nginx = self.binary()
        if nginx is None:
            raise RuntimeError("nginx not installed")
        self.rundir.mkdir(parents=True, exist_ok=True)
        # As root, workers would drop to nobody and could not read a 0700 tmp dir.
        user = "user root;" if os.geteuid() == 0 else ""
        conf = self.rundir / "nginx.conf"
        # free_port() only proposes a port: another test running in parallel (ctest -j) may
        # take it first, and then nginx exits. Retry with a fresh port; a port that answers
        # only counts while our nginx is still running.
        for _attempt in range(5):
            conf.write_text(NGINX_CONF.format(user=user, run=self.rundir, port=self.port, root=self.root))
            self.proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.rundir)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if wait_for_port(self.port) and self.proc.poll() is None:
                return self
            self.stop()
            self.port = free_port()
        log = (self.rundir / "error.log")
        raise RuntimeError("nginx did not start: " + (log.read_text() if log.exists() else ""))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
