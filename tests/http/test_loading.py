"""`localapp serve` listens before it loads its data (a FaaS cold start must
listen within seconds): until it is ready, /health and every request answer
503 with what it is doing and Retry-After, never a partial answer.

The load is held up for real: another program (a backup, `localapp token`)
holds the data file's lock, so opening the store waits for it.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import portalocker
from conftest import free_port, http, localapp_cmd, run_cli, stop_process, wait_healthy
from polling import wait_for


def test_a_server_answers_while_it_loads_and_serves_once_loaded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"LOCALAPP_ADMIN_PASSWORD": "admin-test-pw"}
    made = run_cli("token", "create", "loading", "--data-dir", str(data), env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with open(data / "localapp.json.lock", "a+b") as lock:
        portalocker.lock(lock, portalocker.LockFlags.EXCLUSIVE)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                localapp_cmd("serve", "--port", str(port), "--data-dir", str(data)),
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
            )
        try:

            def answered() -> object:
                try:
                    return http("GET", url + "/health", timeout=2)
                except OSError:
                    return None

            health = wait_for(answered, "the server to listen", timeout=20)
            assert health.status == 503, health.body
            body = health.json()
            assert body["status"] == "loading"
            assert body["loading"]["phase"] == "store"
            assert body["loading"]["doing"] == "opening the data file"
            assert health.headers["retry-after"] == "1"
            # A read is refused, not answered from half-loaded data.
            products = http(
                "GET", url + "/api/products", headers={"Authorization": f"Bearer {token}"}
            )
            assert products.status == 503
            assert products.headers["retry-after"] == "1"
            error = products.json()["error"]  # type: ignore[index]
            assert error["code"] == "loading"
            assert (
                "正在打开数据文件" in error["message"]
                and "opening the data file" in error["message"]
            )
            time.sleep(0.5)
            later = http("GET", url + "/health").json()
            assert later["loading"]["seconds"] >= 0.5, "it says how long it has been loading"
        except BaseException:
            stop_process(proc)
            raise
        portalocker.unlock(lock)
    try:
        wait_healthy(url, proc, log_path)
        products = http("GET", url + "/api/products", headers={"Authorization": f"Bearer {token}"})
        assert products.status == 200 and products.json()["total"] == 0  # type: ignore[index]
    finally:
        stop_process(proc)
    assert proc.returncode == 0
    log = log_path.read_text()
    assert log.index("listening on") < log.index("serving on")


def test_a_damaged_data_file_still_stops_the_start_with_its_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "localapp.json").write_text('{"products": {"1": {')
    out = run_cli("serve", "--port", str(free_port()), "--data-dir", str(data), timeout=30)
    assert out.returncode == 2, out.stderr
    assert "damaged" in out.stderr and "Nothing has been changed" in out.stderr
    assert (data / "localapp.json").read_text() == '{"products": {"1": {'
