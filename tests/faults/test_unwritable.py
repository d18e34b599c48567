"""A journal that cannot be written (made immutable with chattr, since root ignores
file modes): writes are refused with 503 and a clear reason, reads go on, /health
says degraded, and once the file can be written again so can edits, without a
restart. (With mode 0444 as a normal user, every write answered 500 and /health
said healthy.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import require, require_tool, start_server


def chattr(flag: str, path: Path) -> bool:
    tool = require_tool("chattr")
    return subprocess.run([tool, flag, str(path)], capture_output=True, timeout=30).returncode == 0


def test_an_unwritable_journal_is_said_and_recovered_from(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    journal = server.data_dir / "localapp.json.journal"
    try:
        made = server.request("POST", "/api/products", {"sku": "W-1", "name": "可写", "price": 1})
        assert made.status == 201, made.body
        require(chattr("+i", journal), "chattr +i does not work on this file system")
        try:
            r = server.request(
                "POST", "/api/products", {"sku": "W-2", "name": "不可写", "price": 2}
            )
            assert r.status == 503, r.body
            error = r.json()["error"]
            assert error["code"] == "store_unwritable" and "Reading goes on" in error["message"]
            assert server.request("GET", "/api/products").json()["total"] == 1
            health = server.request("GET", "/health", auth=False).json()
            assert health["status"] == "degraded"
            assert "localapp.json.journal" in health["storage"]["problem"]
        finally:
            chattr("-i", journal)
        r = server.request("POST", "/api/products", {"sku": "W-2", "name": "又可写了", "price": 2})
        assert r.status == 201, r.body
        assert server.request("GET", "/health", auth=False).json()["status"] == "healthy"
    finally:
        chattr("-i", journal)
        server.stop()
