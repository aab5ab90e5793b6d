"""Serve a channel directory over real HTTP on 127.0.0.1 (stdlib only).

Why our own handler: python's SimpleHTTPRequestHandler has no ETag, and the
repodata cache must be tested against a server that answers conditional GETs
(If-None-Match / If-Modified-Since) with 304 exactly like anaconda.org or a CDN.
Every request is logged in `requests` so tests can assert what krait asked for;
`fail` injects an error status for a path (e.g. {"/noarch/repodata.json": 500}).
"""

from __future__ import annotations

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
from typing import Dict, List, Optional


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
                                   "headers": {k.lower(): v for k, v in self.headers.items()}})

    def _send_status_only(self, status: int) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self, send_body: bool) -> None:
        owner: ChannelHTTPServer = self.server.owner  # type: ignore[attr-defined]
        url_path = urllib.parse.urlsplit(self.path).path
        if owner.delay:
            time.sleep(owner.delay)
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
        self._record(200)
        self.send_response(200)
        ctype = "application/json" if rel.endswith(".json") else "application/octet-stream"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", owner.cache_control)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

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


class ChannelHTTPServer:
    """A threaded HTTP server for `root` on an ephemeral 127.0.0.1 port."""

    def __init__(self, root: os.PathLike, cache_control: str = "public, max-age=0"):
        self.root = Path(root)
        self.cache_control = cache_control
        self.requests: List[Dict[str, object]] = []
        self.fail: Dict[str, int] = {}
        self.delay = 0.0
        self.lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
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

    def stop(self) -> None:
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
