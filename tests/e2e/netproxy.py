"""A small forward proxy for tests (stdlib only): plain `GET http://host/path` requests are
forwarded, `CONNECT host:port` is tunnelled (what clients do for https:// through a proxy).
Every request line is logged in `requests`, so a test can tell that krait went through it."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import List


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _log(self) -> None:
        owner: "ForwardProxy" = self.server.owner  # type: ignore[attr-defined]
        with owner.lock:
            owner.requests.append(f"{self.command} {self.path}")

    def do_CONNECT(self) -> None:  # noqa: N802
        self._log()
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self._pipe(self.connection, upstream)

    def do_GET(self) -> None:  # noqa: N802
        self._log()
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            self.send_error(400)
            return
        upstream = socket.create_connection((url.hostname, url.port or 80), timeout=10)
        path = url.path + ("?" + url.query if url.query else "")
        head = [f"GET {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"]
        for k, v in self.headers.items():
            if k.lower() not in ("host", "connection", "proxy-connection", "keep-alive"):
                head.append(f"{k}: {v}")
        upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            self.connection.sendall(chunk)
        upstream.close()
        self.close_connection = True

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        socks = [a, b]
        try:
            while True:
                ready, _, _ = select.select(socks, [], [], 30)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            b.close()


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ForwardProxy:
    def __init__(self) -> None:
        self.requests: List[str] = []
        self.lock = threading.Lock()
        self._srv = _Server(("127.0.0.1", 0), _ProxyHandler)
        self._srv.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._srv.server_address[1]}"

    def start(self) -> "ForwardProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()
