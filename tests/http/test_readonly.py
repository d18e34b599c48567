"""A read-only data directory (the seeds' `Errno 30`): the app still serves.

Tests run as root, and root can write anywhere that is not mounted
read-only, so each case runs the real program inside a private mount
namespace (`unshare -m`) in which a temp folder is bind-mounted read-only.
The mount exists only in that namespace and vanishes with the process.

Every case checks what an operator would see: the server starts, one WARN
line names the wanted path and the fallback, /health reports the storage
as not durable, sign-in and authenticated writes work against the fallback,
and nothing was written into the read-only folder.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Server, free_port, localapp_cmd, require, require_tool, wait_healthy

ADMIN_PASSWORD = "readonly-test-pw"


@pytest.fixture(scope="module", autouse=True)
def _namespaces_work(tmp_path_factory: pytest.TempPathFactory) -> None:
    """unshare -m and a read-only bind mount must really work here."""
    require_tool("unshare")
    require_tool("mount")
    d = tmp_path_factory.mktemp("probe")
    q = shlex.quote(str(d))
    probe = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            f"mount --bind {q} {q} && mount -o remount,bind,ro {q} && ! touch {q}/x 2>/dev/null",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    require(
        probe.returncode == 0,
        f"unshare -m with a read-only bind mount does not work here: {probe.stderr.strip()}",
    )
    assert not (d / "x").exists()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "LOCALAPP_DATA_DIR",
            "UPLOAD_DIR",
            "XDG_DATA_HOME",
            "LOCALAPP_PUBLIC_READ",
            "PORT",
            "FC_SERVER_PORT",
        }
    }
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    # The fallback is <tempdir>/localapp; a private TMPDIR keeps it in this test.
    env.update(TMPDIR=str(tmpdir), LOG_LEVEL="INFO", LOCALAPP_ADMIN_PASSWORD=ADMIN_PASSWORD)
    env.update(extra)
    return env


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` (and root) with its size and mtime."""
    out = {".": (0, root.stat().st_mtime_ns)}
    for p in root.rglob("*"):
        st = p.lstat()
        out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def _read_only_folder(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "keep.txt").write_text("this folder is mounted read-only\n")
    return d


def _serve_read_only(
    tmp_path: Path,
    read_only: list[Path],
    env: dict[str, str],
    serve_args: list[str],
    before: list[str] | None = None,
) -> Server:
    """Run `localapp serve` in a namespace where `read_only` folders are read-only.

    `before` are shell command lines run first, in the same namespace.
    """
    port = free_port()
    lines = ["set -e"]
    for d in read_only:
        q = shlex.quote(str(d))
        lines += [f"mount --bind {q} {q}", f"mount -o remount,bind,ro {q}"]
    lines += before or []
    serve = localapp_cmd("serve", "--host", "127.0.0.1", "--port", str(port), *serve_args)
    lines.append("exec " + shlex.join(serve))
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", "\n".join(lines)],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    server = Server(f"http://127.0.0.1:{port}", tmp_path, proc, log_path, env=env)
    try:
        wait_healthy(server.url, proc, log_path)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def cleanup() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for s in servers:
        s.stop()


def _warn_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " WARNING " in line or " WARN " in line]


def _assert_one_warning(text: str, wanted: Path, fallback: Path) -> None:
    warns = _warn_lines(text)
    assert len(warns) == 1, f"expected exactly one WARN line, got:\n{text}"
    assert str(wanted) in warns[0] and str(fallback) in warns[0], warns[0]


def _login(server: Server) -> tuple[str, str]:
    """Sign in as admin; returns (cookie header, CSRF token)."""
    r = server.request(
        "POST", "/api/login", {"username": "admin", "password": ADMIN_PASSWORD}, auth=False
    )
    assert r.status == 200, r.body
    cookie = r.headers["set-cookie"].split(";", 1)[0]
    csrf = r.json()["csrf"]  # type: ignore[index]
    return cookie, csrf


def _assert_sign_in_and_writes_work(server: Server) -> None:
    """Sign-in writes a session to the fallback store; sign-out is an authenticated write."""
    assert server.request("POST", "/api/logout", {}, auth=False).status == 401
    cookie, csrf = _login(server)
    me = server.request("GET", "/api/session", headers={"Cookie": cookie}, auth=False).json()
    assert me["authenticated"] is True and me["user"]["name"] == "admin"  # type: ignore[index]
    out = server.request(
        "POST", "/api/logout", {}, headers={"Cookie": cookie, "X-CSRF-Token": csrf}, auth=False
    )
    assert out.status == 200, out.body
    me = server.request("GET", "/api/session", headers={"Cookie": cookie}, auth=False).json()
    assert me["authenticated"] is False  # type: ignore[index]


def test_read_only_data_dir_falls_back_and_serves(tmp_path: Path, cleanup: list[Server]) -> None:
    ro = _read_only_folder(tmp_path, "readonly")
    wanted = ro / "data"
    fallback = tmp_path / "tmp" / "localapp"
    before = _tree(ro)
    env = _env(tmp_path)
    token_out, token_err = tmp_path / "token.out", tmp_path / "token.err"
    # The token must land where the server will look: `token create` with the
    # same --data-dir in the same namespace falls back to the same folder.
    create = shlex.join(localapp_cmd("token", "create", "ro-test", "--data-dir", str(wanted)))
    server = _serve_read_only(
        tmp_path,
        [ro],
        env,
        ["--data-dir", str(wanted)],
        before=[f"{create} > {shlex.quote(str(token_out))} 2> {shlex.quote(str(token_err))}"],
    )
    cleanup.append(server)

    _assert_one_warning(token_err.read_text(), wanted, fallback)
    server.token = token_out.read_text().strip().splitlines()[-1]
    health = server.request("GET", "/health", auth=False)
    assert health.status == 200
    body = health.json()
    assert body["storage"] == {"path": str(fallback), "durable": False}  # type: ignore[index]
    assert body["uploads"]["durable"] is False  # type: ignore[index]
    assert body["uploads"]["path"] == str(fallback / "uploads")  # type: ignore[index]

    me = server.request("GET", "/api/session")  # bearer token from the fallback store
    assert me.status == 200 and me.json()["authenticated"] is True  # type: ignore[index]
    assert me.json()["user"]["name"] == "admin"  # type: ignore[index]
    _assert_sign_in_and_writes_work(server)

    server.stop()
    _assert_one_warning(server.log(), wanted, fallback)
    assert (fallback / "localapp.json.journal").exists() or (fallback / "localapp.json").exists()
    assert _tree(ro) == before, "the read-only folder was changed"


def test_read_only_default_data_dir_falls_back(tmp_path: Path, cleanup: list[Server]) -> None:
    # No --data-dir and no LOCALAPP_DATA_DIR: platformdirs' user data dir,
    # under a HOME that is read-only, as on a FaaS runtime.
    home = _read_only_folder(tmp_path, "home")
    wanted = home / ".local" / "share" / "localapp"
    fallback = tmp_path / "tmp" / "localapp"
    before = _tree(home)
    server = _serve_read_only(tmp_path, [home], _env(tmp_path, HOME=str(home)), [])
    cleanup.append(server)

    health = server.request("GET", "/health", auth=False)
    assert health.status == 200
    assert health.json()["storage"] == {"path": str(fallback), "durable": False}  # type: ignore[index]
    _assert_sign_in_and_writes_work(server)

    server.stop()
    _assert_one_warning(server.log(), wanted, fallback)
    assert _tree(home) == before, "the read-only home folder was changed"


def test_read_only_upload_dir_falls_back(tmp_path: Path, cleanup: list[Server]) -> None:
    ro = _read_only_folder(tmp_path, "uploads-ro")
    wanted = ro / "uploads"
    fallback = tmp_path / "tmp" / "localapp" / "uploads"
    data = tmp_path / "data"
    before = _tree(ro)
    server = _serve_read_only(
        tmp_path, [ro], _env(tmp_path, UPLOAD_DIR=str(wanted)), ["--data-dir", str(data)]
    )
    cleanup.append(server)

    body = server.request("GET", "/health", auth=False).json()
    assert body["storage"] == {"path": str(data), "durable": True}  # type: ignore[index]
    assert body["uploads"] == {"path": str(fallback), "durable": False}  # type: ignore[index]
    assert fallback.is_dir()
    _assert_sign_in_and_writes_work(server)

    server.stop()
    _assert_one_warning(server.log(), wanted, fallback)
    assert _tree(ro) == before, "the read-only uploads folder was changed"
