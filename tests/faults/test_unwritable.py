"""A journal that cannot be written (made immutable with chattr, since root ignores
file modes): writes are refused with 503 and a clear reason, reads go on, /health
says degraded, and once the file can be written again so can edits, without a
restart. (With mode 0444 as a normal user, every write answered 500 and /health
said healthy.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import ROOT, require, require_tool, start_server


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


def test_the_top_bar_says_when_nothing_can_be_saved(tmp_path: Path, page: object) -> None:
    """The page shows what /health knows: a red 无法保存 in the top bar, with the
    reason in Chinese on hover, until saving works again."""
    from browser import sign_in
    from playwright.sync_api import expect

    server = start_server(tmp_path / "data")
    journal = server.data_dir / "localapp.json.journal"
    try:
        sign_in(page, server, "#/catalogue")
        badge = page.locator("#store-problem")  # type: ignore[attr-defined]
        expect(badge).to_be_hidden()
        require(chattr("+i", journal), "chattr +i does not work on this file system")
        try:
            r = server.request(
                "POST", "/api/products", {"sku": "T-1", "name": "无法保存", "price": 1}
            )
            assert r.status == 503, r.body
            page.reload()  # type: ignore[attr-defined]
            expect(badge).to_have_text("无法保存")
            expect(badge).to_have_attribute("title", re.compile("数据文件无法写入"))
            page.screenshot(
                path=str(ROOT / "tests" / "artifacts" / "store-problem.png"),  # type: ignore[attr-defined]
                clip={"x": 0, "y": 0, "width": 1440, "height": 64},
            )
        finally:
            chattr("-i", journal)
        assert (
            server.request(
                "POST", "/api/products", {"sku": "T-2", "name": "好了", "price": 1}
            ).status
            == 201
        )
        page.reload()  # type: ignore[attr-defined]
        expect(badge).to_be_hidden()
    finally:
        chattr("-i", journal)
        server.stop()
