"""A fault-injecting HTTP proxy in front of moto's S3 server, on 127.0.0.1.

Tests point a bucket client (or a `localapp serve`) at `FaultProxy.url`
instead of moto's, then make a fraction of requests fail (`faults`), force
the next conditional writes to fail (`forced`), shut it so that every
connection is dropped unanswered (`shut`), as when the storage is down, or
make it a store that ignores conditional writes (`ignore_conditions`).
"""

from __future__ import annotations

import random
import threading
import urllib.parse
from collections import Counter
from functools import partial
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("500", "409", "drop", "lost_answer")
_CONDITIONS = {"if-none-match", "if-match", "x-oss-forbid-overwrite"}
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def _s3_error(code: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        "<Message>injected by the test proxy</Message></Error>"
    ).encode()


class FaultProxy:
    """Forwards S3 requests to moto, failing a fraction `rate` of them.

    Kinds: "500" (InternalError, not forwarded), "409" (ConditionalRequestConflict,
    only on conditional PUTs, not forwarded), "drop" (the connection closes
    before the request is forwarded) and "lost_answer" (forwarded, so the write
    lands, then the connection closes without an answer). `forced` kinds are
    used first, one per conditional PUT (the log and marker writes). While
    `shut`, every request is dropped.
    """

    def __init__(self, upstream: str) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.rate = 0.0
        self.rng = random.Random(0)
        self.forced: list[str] = []
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self.shut = False
        #: forward conditional writes without their conditions, as stores that
        #: ignore If-None-Match / If-Match do (s3rver, some S3-compatible servers)
        self.ignore_conditions = False
        #: answer a multi-object delete (POST ?delete) 501, as some stores do
        self.refuse_multi_delete = False
        #: (method, path) of every request seen
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def faults(self, rate: float, seed: int) -> None:
        with self._lock:
            self.rate = rate
            self.rng = random.Random(seed)

    def choose(self, method: str, headers: Any) -> str | None:
        conditional = method == "PUT" and ("If-None-Match" in headers or "If-Match" in headers)
        with self._lock:
            self.requests += 1
            kind = None
            if self.shut:
                kind = "drop"
            elif self.forced and conditional:
                kind = self.forced.pop(0)
            elif self.rate and self.rng.random() < self.rate:
                kind = self.rng.choice(FAULTS if conditional else ("500", "drop", "lost_answer"))
            if kind:
                self.injected[kind] += 1
            return kind

    def forward(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = HTTPConnection(self.host, self.port, timeout=30)
        try:
            hdrs = {k: v for k, v in headers.items() if k.lower() not in _HOP}
            if self.ignore_conditions:
                hdrs = {k: v for k, v in hdrs.items() if k.lower() not in _CONDITIONS}
            hdrs["Content-Length"] = str(len(body))
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, proxy: FaultProxy, *args: Any) -> None:
        self.proxy = proxy
        super().__init__(*args)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            for _ in range(1_000_000):
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    for _ in range(1000):  # trailers, up to the blank line
                        if self.rfile.readline() in (b"\r\n", b"\n", b""):
                            break
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self) -> None:
        body = self._body()
        self.proxy.seen.append((self.command, self.path))
        if self.proxy.refuse_multi_delete and self.command == "POST" and "delete" in self.path:
            data = _s3_error("NotImplemented")
            self.send_response(501)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        kind = self.proxy.choose(self.command, self.headers)
        if kind in ("500", "409"):
            data = _s3_error("InternalError" if kind == "500" else "ConditionalRequestConflict")
            self.send_response(int(kind))
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if kind == "drop":
            self.close_connection = True
            return
        try:
            status, headers, data = self.proxy.forward(self.command, self.path, self.headers, body)
        except OSError:
            kind = "drop"  # moto itself failed: the caller sees a dropped connection
        if kind in ("lost_answer", "drop"):
            self.close_connection = True
            return
        self.send_response(status)
        length = str(len(data))
        for k, v in headers:
            if k.lower() == "content-length" and self.command == "HEAD":
                length = v
            elif k.lower() not in _HOP and k.lower() not in ("server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle
