"""Helpers shared by the benchmark scripts: timing and table printing.

Benchmarks compare against a baseline run on the same data in the same run,
and report ratios, because this machine is shared and noisy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Run `fn` `repeat` times; return the durations in seconds."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.95))] * 1000


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    line = "+".join("-" * (w + 2) for w in widths)
    print(line)
    for i, row in enumerate(cells):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print(line)
    print(line)


# -- a real `localapp serve` on 127.0.0.1 ------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (VmRSS), or its peak so far with
    `field="VmHWM"`, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def size_mib(path: Any) -> float:
    """The bytes of a file, or of every file below a folder, in MiB."""
    from pathlib import Path

    p = Path(path)
    if p.is_file():
        return p.stat().st_size / 2**20
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 2**20


class Serve:
    """`localapp serve` (this interpreter's) on a free port of 127.0.0.1, with an API
    token; `until` waits for a path to answer 200, `request` sends one."""

    def __init__(
        self,
        data_dir: Path,
        token: str | None = None,
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        """`env` adds to (or overrides) the environment; `log` keeps the server's
        output in that file (else it is dropped, and LOG_LEVEL is WARNING)."""
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "LOCALAPP_ADMIN_PASSWORD": "bench-password",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        cli = [sys.executable, "-m", "localapp"]
        if token is None:
            out = subprocess.run(
                [*cli, "token", "create", "bench", "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                env=self.env,
                check=True,
                timeout=120,
            )
            token = out.stdout.strip().splitlines()[-1]
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        self._log = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            [
                *cli,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )

    def request(
        self, method: str, path: str, body: bytes | None = None, ctype: str = "application/json"
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return int(r.status), bytes(r.read())
        except urllib.error.HTTPError as e:
            return int(e.code), bytes(e.read())

    def until(self, path: str, deadline: float = 120, *, status: int | None = 200) -> float:
        """Seconds from the start until `path` answers 200 (with status=None: answers
        at all, such as 503 while the server loads), polled every 5 ms."""
        while time.perf_counter() - self.started < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"localapp serve exited with {self.proc.returncode}")
            try:
                answer: int | None = self.request("GET", path)[0]
            except OSError:
                answer = None
            if answer is not None and status in (None, answer):
                return time.perf_counter() - self.started
            time.sleep(0.005)
        raise RuntimeError(f"{path} did not answer within {deadline} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if not isinstance(self._log, int):
            self._log.close()
