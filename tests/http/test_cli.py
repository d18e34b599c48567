"""The `localapp` command line, run as a real process on real data dirs.

Tokens, backup and restore (also of a damaged store), the refusal to start
on a damaged data file, the port from the environment, and the default
command serving like `serve`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from conftest import free_port, localapp_cmd, run_cli, start_server, wait_healthy

ENV = {"LOCALAPP_ADMIN_PASSWORD": "admin-test-pw"}


def cli(
    *args: str, env: dict[str, str] | None = None, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    if input_text is None:
        return run_cli(*args, env={**ENV, **(env or {})})
    return subprocess.run(
        localapp_cmd(*args),
        capture_output=True,
        text=True,
        timeout=60,
        input=input_text,
        env={**os.environ, **ENV, **(env or {})},
    )


def token_names(data: Path) -> list[str]:
    out = cli("token", "list", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    return [line.split("\t")[0] for line in out.stdout.splitlines() if "\t" in line]


def test_token_create_prints_the_token_last_and_stores_only_its_hash(data_dir: Path) -> None:
    out = cli("token", "create", "ci", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("la_") and " " not in token
    files = b"".join(p.read_bytes() for p in data_dir.glob("localapp.json*") if p.is_file())
    assert token.encode() not in files
    assert hashlib.sha256(token.encode()).hexdigest().encode() in files

    listed = cli("token", "list", "--data-dir", str(data_dir))
    assert "ci\tadmin\t" in listed.stdout and token not in listed.stdout

    again = cli("token", "create", "ci", "--data-dir", str(data_dir))
    assert again.returncode == 1 and "already exists" in again.stderr

    assert cli("token", "revoke", "ci", "--data-dir", str(data_dir)).returncode == 0
    assert token_names(data_dir) == []
    missing = cli("token", "revoke", "ci", "--data-dir", str(data_dir))
    assert missing.returncode == 1 and "no token called 'ci'" in missing.stderr


def test_data_dir_works_before_the_sub_command_and_from_the_env(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli("--data-dir", str(first), "token", "create", "a").returncode == 0
    assert cli("token", "create", "b", env={"LOCALAPP_DATA_DIR": str(second)}).returncode == 0
    assert token_names(first) == ["a"]
    assert token_names(second) == ["b"]


def test_backup_and_restore_round_trip(data_dir: Path) -> None:
    assert cli("token", "create", "kept", "--data-dir", str(data_dir)).returncode == 0
    backup = cli("backup", "--data-dir", str(data_dir))
    assert backup.returncode == 0, backup.stderr
    path = Path(backup.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.parent == data_dir / "backups"

    assert cli("token", "create", "later", "--data-dir", str(data_dir)).returncode == 0
    assert token_names(data_dir) == ["kept", "later"]

    restored = cli("restore", str(path), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    assert f"from {path}" in restored.stdout and "kept in" in restored.stdout
    assert token_names(data_dir) == ["kept"]

    nothing = cli("restore", str(data_dir / "no-such-backup.json"), "--data-dir", str(data_dir))
    assert nothing.returncode == 1 and "no backup file" in nothing.stderr


def test_a_damaged_store_is_refused_untouched_and_restorable(data_dir: Path) -> None:
    assert cli("token", "create", "before", "--data-dir", str(data_dir)).returncode == 0
    backup = Path(cli("backup", "--data-dir", str(data_dir)).stdout.strip().splitlines()[-1])
    db = data_dir / "localapp.json"
    for p in data_dir.glob("localapp.json.journal"):
        p.unlink()  # the state now lives in the snapshot alone
    db.write_bytes(db.read_bytes()[: len(db.read_bytes()) // 2])  # truncated mid-file
    damaged = db.read_bytes()

    for args in (("token", "list"), ("serve", "--port", str(free_port())), ("backup",)):
        out = cli(*args, "--data-dir", str(data_dir))
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert str(backup) in out.stderr and "localapp restore" in out.stderr
        assert "Traceback" not in out.stderr
        assert db.read_bytes() == damaged, "a damaged data file must never be overwritten"

    restored = cli("restore", str(backup), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    kept = list(data_dir.glob("localapp.json.damaged-*"))
    assert kept and kept[0].read_bytes() == damaged, "the damaged file is kept aside"
    assert token_names(data_dir) == ["before"]


def test_user_passwd_changes_the_admin_password(data_dir: Path) -> None:
    server = start_server(data_dir, token=False)
    try:
        changed = cli(
            "user", "passwd", "admin", "--data-dir", str(data_dir), input_text="new-password-1\n"
        )
        assert changed.returncode == 0, changed.stderr
        assert "new-password-1" not in changed.stdout + changed.stderr
        for password, status in (("admin-test-pw", 401), ("new-password-1", 200)):
            res = server.request(
                "POST", "/api/login", {"username": "admin", "password": password}, auth=False
            )
            assert res.status == status, res.body
    finally:
        server.stop()
    short = cli("user", "passwd", "admin", "--data-dir", str(data_dir), input_text="short\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    nobody = cli(
        "user", "passwd", "nobody", "--data-dir", str(data_dir), input_text="new-password-2\n"
    )
    assert nobody.returncode == 1 and "no account called 'nobody'" in nobody.stderr


@pytest.mark.parametrize("env_name", ["PORT", "FC_SERVER_PORT"])
def test_serve_without_port_flag_uses_the_port_from_the_env(data_dir: Path, env_name: str) -> None:
    # (`localapp` with no sub-command is the desktop app since issue 5; see
    # tests/http/test_desktop_guard.py. The env ports are serve's.)
    port = free_port()
    log_path = data_dir.parent / "default.log"
    env = {**os.environ, **ENV, env_name: str(port)}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            localapp_cmd("serve", "--data-dir", str(data_dir)),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, log_path)
        assert f"serving on http://127.0.0.1:{port}" in log_path.read_text()
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0, log_path.read_text()
    assert "Stopped" in log_path.read_text(), "SIGTERM stops cleanly, closing the store"


@pytest.mark.parametrize("name", ["localapp.json", "localapp.json.journal"])
def test_a_data_file_that_is_a_folder_is_refused_with_the_way_back(
    data_dir: Path, name: str
) -> None:
    """It exited 1 with a bare "[Errno 21] Is a directory"."""
    assert cli("token", "create", "before", "--data-dir", str(data_dir)).returncode == 0
    assert cli("backup", "--data-dir", str(data_dir)).returncode == 0
    target = data_dir / name
    target.unlink(missing_ok=True)
    target.mkdir()
    out = cli("token", "list", "--data-dir", str(data_dir))
    assert out.returncode == 2, out.stderr
    assert "Is a directory" in out.stderr and "Nothing has been changed" in out.stderr
    assert "localapp restore" in out.stderr and "Traceback" not in out.stderr
    assert target.is_dir()
