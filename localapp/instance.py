"""One running desktop app per data directory, and how a second launch finds it.

The desktop app (window or browser mode) holds an exclusive portalocker
lock on `<data dir>/localapp.instance.lock` for its whole life. The OS drops
the lock when the process ends, even on a crash or SIGKILL, so a stale lock
never blocks the next start; the lock file itself stays and is never
rewritten.

Once its server listens, the first instance writes `localapp.instance.json`
beside the lock (mode 0600): its pid, port, mode and a per-launch "raise"
secret. A second launch fails to take the lock, reads that file and POSTs to
the first instance's `/desktop/raise` with the secret; the first brings its
window forward, or in browser mode hands back a fresh one-time sign-in link.
The second then exits without opening the store or serving anything.

`localapp serve` does not take this lock: several servers and CLI commands
may share a data dir (the store locks every write); only the desktop app is
one-per-data-dir, so that two windows never fight over window state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import portalocker

from . import errors

log = logging.getLogger(__name__)

LOCK_NAME = "localapp.instance.lock"
INFO_NAME = "localapp.instance.json"
RAISE_PATH = "/desktop/raise"
RAISE_HEADER = "X-Localapp-Raise"


class AlreadyRunning(errors.AppError):
    """Another desktop instance holds this data dir."""

    status = 409
    code = "already_running"
    title = "Already running"

    def __init__(
        self, message: str, *, answer: dict[str, Any] | None = None, pid: int | None = None
    ) -> None:
        super().__init__(message)
        self.answer = answer or {}
        self.pid = pid


@dataclass
class Instance:
    """The held lock of the running desktop app for one data dir."""

    data_dir: Path
    lock: portalocker.Lock
    raise_secret: str

    @property
    def info_path(self) -> Path:
        return self.data_dir / INFO_NAME

    def publish(self, port: int, mode: str) -> None:
        """Tell later launches where we are: written once the server listens."""
        info = {
            "pid": os.getpid(),
            "port": port,
            "mode": mode,
            "secret": self.raise_secret,
            "started": time.time(),
        }
        tmp = self.info_path.with_name(f".{INFO_NAME}.{os.getpid()}.tmp")
        # 0600 from the start: the raise secret is for this user's programs only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info, f)
        os.replace(tmp, self.info_path)

    def release(self) -> None:
        """Forget the info file first, then drop the lock (the order a newcomer expects)."""
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()
        self.lock.release()


def _read_info(data_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((data_dir / INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _try_lock(data_dir: Path) -> portalocker.Lock | None:
    lock = portalocker.Lock(data_dir / LOCK_NAME, mode="a", timeout=0, fail_when_locked=True)
    try:
        lock.acquire()
    except portalocker.AlreadyLocked:
        return None
    return lock


def _knock(info: dict[str, Any], timeout: float = 3.0) -> dict[str, Any]:
    """POST to the running instance's raise endpoint; its JSON answer."""
    port = int(info["port"])
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{RAISE_PATH}",
        data=b"{}",
        method="POST",
        headers={RAISE_HEADER: str(info["secret"]), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = json.loads(resp.read() or b"{}")
    return answer if isinstance(answer, dict) else {}


def claim(data_dir: Path, wait: float = 5.0) -> Instance:
    """Take the data dir for this process, or raise AlreadyRunning.

    When another instance holds it, it is asked to come forward first; the
    AlreadyRunning carries its answer (e.g. a sign-in URL in browser mode).
    `wait` bounds how long we give an instance that is still starting (no
    info file yet) or just stopping (lock not yet dropped).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        lock = _try_lock(data_dir)
        if lock is not None:
            return Instance(data_dir, lock, secrets.token_urlsafe(32))
        info = _read_info(data_dir)
        if info is not None:
            try:
                answer = _knock(info)
            except (OSError, ValueError, KeyError) as exc:
                log.debug("The running instance did not answer: %s", exc)
            else:
                raise AlreadyRunning(
                    f"localapp is already running for {data_dir} (pid {info.get('pid')})",
                    answer=answer,
                    pid=info.get("pid"),
                )
        if time.monotonic() >= deadline:
            raise AlreadyRunning(
                f"localapp is already running for {data_dir}, but it does not answer; "
                "if it is still starting or closing, try again in a moment"
            )
        time.sleep(0.2)
