"""Shared fixtures: real data dirs, real servers on 127.0.0.1, tool checks.

Nothing here mocks our own code. A test that needs a tool (chromium, Xvfb,
unshare) asks `require(...)`: outside CI a missing tool skips the test, with
CI=true it fails it, so CI can never go green by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(ok: bool, why: str) -> None:
    """Skip (locally) or fail (CI=true) when a test's requirement is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"requirement missing in CI: {why}")
    pytest.skip(why)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    body: object | bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Response:
    """One HTTP request with the stdlib; never raises on 4xx/5xx."""
    data: bytes | None
    hdrs = dict(headers or {})
    if body is None or isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


@dataclass
class Server:
    """A real `localapp serve` process on 127.0.0.1."""

    url: str
    data_dir: Path
    proc: subprocess.Popen
    log_path: Path
    token: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: object | bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Response:
        hdrs = dict(headers or {})
        if auth and self.token:
            hdrs.setdefault("Authorization", f"Bearer {self.token}")
        return http(method, self.url + path, body, hdrs)

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def localapp_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "localapp", *args]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        localapp_cmd(*args), capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd
    )


def wait_healthy(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            if http("GET", url + "/health", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server did not answer /health in {timeout}s:\n{log_path.read_text()}")


def start_server(
    data_dir: Path,
    env: dict[str, str] | None = None,
    token: bool = True,
    args: tuple[str, ...] = (),
    wrap: list[str] | None = None,
) -> Server:
    """Start `localapp serve` on a free port; optionally create an API token first."""
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "LOCALAPP_ADMIN_PASSWORD": "admin-test-pw", **(env or {})}
    api_token = None
    if token:
        # Unique: instances sharing a sync bucket share their tokens too.
        name = f"tests-{uuid.uuid4().hex[:8]}"
        out = run_cli("token", "create", name, "--data-dir", str(data_dir), env=full_env)
        assert out.returncode == 0, out.stderr
        api_token = out.stdout.strip().splitlines()[-1]
    # free_port() only finds a port free now: another process (any outgoing
    # connection takes an ephemeral port too) may bind it before the server
    # does. That start fails with "Address already in use" and is tried again
    # on a new port, three times at most.
    for attempt in range(3):
        port = free_port()
        log_path = data_dir.parent / f"server-{port}.log"
        cmd = localapp_cmd(
            "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir), *args
        )
        if wrap:
            cmd = [*wrap, *cmd]
        with open(log_path, "wb") as logf:
            proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=full_env)
        url = f"http://127.0.0.1:{port}"
        server = Server(url, data_dir, proc, log_path, api_token, full_env)
        try:
            wait_healthy(url, proc, log_path)
        except BaseException:
            server.stop()
            taken = "Address already in use" in log_path.read_text(errors="replace")
            if taken and attempt < 2:
                continue
            raise
        return server
    raise AssertionError("unreachable: the loop returns or raises")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = start_server(tmp_path / "data")
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Server]:
    """A `localapp serve` that devices sync with (see `connect`)."""
    s = start_server(tmp_path / "hub")
    try:
        yield s
    finally:
        s.stop()


def device_token(server: Server, name: str) -> str:
    """A new API token called `name`, made on `server` the operator's way (the CLI)."""
    out = run_cli("token", "create", name, "--data-dir", str(server.data_dir), env=server.env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def multipart(
    files: dict[str, tuple[str, bytes, str]], fields: dict[str, str] | None = None
) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body and its Content-Type header."""
    import io

    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in (fields or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, data, ctype) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(
    server: Server,
    path: str,
    filename: str,
    data: bytes,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    ctype: str = "application/octet-stream",
) -> Response:
    """POST one file (as a browser's form does) to `path` on `server`."""
    body, hdrs = multipart({"file": (filename, data, ctype)}, fields)
    return server.request("POST", path, body, headers={**hdrs, **(headers or {})})


def connect(device: Server, server: Server, name: str) -> None:
    """Set `device` up to sync with `server`, with a token `name` made there."""
    r = device.request(
        "PUT",
        "/api/sync/settings",
        {"url": server.url, "token": device_token(server, name), "interval": 3600},
    )
    assert r.status == 200, r.body


@pytest.fixture
def synced_desktops(tmp_path: Path, hub: Server) -> Iterator[tuple[Server, Server]]:
    """Two desktops' servers, `a` and `b`, each set up to sync with `hub`."""
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            started.append(start_server(tmp_path / name))
            connect(started[-1], hub, f"device-{name}")
        yield started[0], started[1]
    finally:
        for s in started:
            s.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, once per test session (tests/browser.py)."""
    from browser import launch_browser

    with launch_browser() as b:
        yield b


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh zh-CN page; console errors collect in `page.problems`."""
    from browser import new_page

    with new_page(browser) as p:
        yield p
