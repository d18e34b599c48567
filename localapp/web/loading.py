"""What a server answers while it loads: it listens first, then opens its data.

A FaaS platform gives a new instance a few seconds to listen, and a large
data file (or a sync bucket read at start) takes longer than that to open.
So `localapp serve` binds its port at once and serves this WSGI gate until
the app is built: `/health` answers 503 with what it is doing and for how
long, every other request 503 with `Retry-After`, never a partial answer.
Once `ready(app)` is called, every request goes to the app.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson

#: what a client is told to wait before asking again, in seconds
RETRY_AFTER = 1
#: the steps of a start, as /health and the 503 message name them (zh-CN, English)
PHASES = {
    "starting": ("正在启动", "starting"),
    "store": ("正在打开数据文件", "opening the data file"),
    "accounts": ("正在读取账号", "reading the accounts"),
    "services": ("正在准备服务", "preparing the services"),
    "sync": ("正在读取同步存储桶", "reading the sync bucket"),
}

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Loading:
    """A WSGI app that answers 503 until `ready(app)` hands it the real one."""

    def __init__(self, mode: str, version: str) -> None:
        self.mode = mode
        self.version = version
        self.started = time.monotonic()
        #: what is being done now, a key of PHASES
        self.phase = "starting"
        self._app: Wsgi | None = None
        self._lock = threading.Lock()

    def step(self, phase: str) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown loading phase {phase!r}")
        self.phase = phase

    def ready(self, app: Wsgi) -> None:
        with self._lock:
            self._app = app

    @property
    def is_ready(self) -> bool:
        return self._app is not None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        app = self._app
        if app is not None:
            return app(environ, start_response)
        seconds = round(time.monotonic() - self.started, 1)
        zh, en = PHASES[self.phase]
        if environ.get("PATH_INFO") == "/health":
            body: dict[str, Any] = {
                "status": "loading",
                "mode": self.mode,
                "version": self.version,
                "loading": {"phase": self.phase, "doing": en, "seconds": seconds},
            }
        else:
            body = {
                "error": {
                    "code": "loading",
                    "message": (
                        f"服务器正在加载数据（{zh}，已 {seconds} 秒），请稍后重试。 "
                        f"The server is loading its data ({en}, {seconds} s so far); "
                        "try again shortly."
                    ),
                }
            }
        data = orjson.dumps(body)
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                ("Retry-After", str(RETRY_AFTER)),
                ("Cache-Control", "no-store"),
            ],
        )
        return [data]
