"""Sync in Debian's chromium (Playwright), against two real servers.

One `localapp serve` plays the desktop (the page is its UI), a second one the
hub it syncs with, each with its own data dir; the desktop's device token is
made on the hub with `localapp token create`, as a user would. The user sees
"未设置同步" in the top bar, opens the settings, reads a field error from
the server, saves the hub's address and token, syncs now and sees the
summary and "已同步". Then the same product is edited on both sides and
another is deleted on the desktop while the hub edits it: after a sync the
top bar counts the conflicts and the panel shows both, with prices in yuan.
"使用此版本" takes the hub's price; in English, "Restore with this change"
brings the deleted product back. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server, device_token
from polling import wait_for

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"sync-{name}.png"))


def status(server: Server) -> dict[str, Any]:
    return api(server, "GET", "/api/sync/status")


def background_asleep(server: Server) -> bool:
    """The desktop's background loop has had its first round and now waits for
    the (long) interval, so it cannot sync between the two edits below and
    turn a conflict into an edit made after seeing the other."""
    s = status(server)
    nxt = s.get("next_attempt")
    if not (s["last_ok"] and nxt):
        return False
    return datetime.fromisoformat(nxt.replace("Z", "+00:00")).timestamp() > time.time() + 600


def test_set_up_sync_run_it_and_settle_conflicts(
    page: Any, server: Server, hub: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    desk = server
    token = device_token(hub, "desk")
    drill = api(desk, "POST", "/api/products", {"sku": "DR-01", "name": "电钻", "price": 25000})
    drill_id = drill["product"]["id"]
    saw = api(desk, "POST", "/api/products", {"sku": "SW-01", "name": "手锯", "price": 3600})
    saw_id = saw["product"]["id"]

    sign_in(page, desk, "#/catalogue")
    indicator = page.locator("#sync-status")
    expect(indicator).to_have_text("未设置同步")
    expect(indicator).to_have_attribute("data-state", "off")
    expect(page.locator("#sync-conflicts")).to_be_hidden()
    shot(page, artifacts, "off")

    # Not set up: a click opens the settings.
    indicator.click()
    dialog = page.locator("dialog.sync-settings")
    expect(dialog).to_be_visible()
    expect(page.locator("#sync-token")).to_have_attribute("placeholder", "粘贴在服务器上创建的令牌")
    expect(page.locator("#sync-run")).to_be_disabled()
    # Checked here first: an interval under 10 s.
    page.fill("#sync-url", hub.url)
    page.fill("#sync-token", token)
    page.fill("#sync-interval", "5")
    page.click("#sync-save")
    expect(dialog.locator('[data-field="interval"] .sync-field-error')).to_have_text(
        "请输入不小于 10 的整数。"
    )
    # The server's reason, next to its field: a token with a space in it.
    page.fill("#sync-interval", "3600")
    page.fill("#sync-token", "not a token")
    page.click("#sync-save")
    token_error = dialog.locator('[data-field="token"] .sync-field-error')
    expect(token_error).to_be_visible()
    expect(token_error).not_to_be_empty()
    expect(page.locator("#sync-token")).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator('[data-field="interval"] .sync-field-error')).to_be_hidden()
    shot(page, artifacts, "settings-field-error")
    assert status(desk)["configured"] is False

    # Save, then sync now: a spinner while it runs, then the summary.
    page.fill("#sync-token", token)
    page.click("#sync-save")
    expect(page.locator("#sync-toasts")).to_contain_text("同步设置已保存")
    expect(token_error).to_be_hidden()
    expect(page.locator("#sync-token")).to_have_value("")
    expect(page.locator("#sync-token")).to_have_attribute("placeholder", "已设置")
    settings = api(desk, "GET", "/api/sync/settings")
    assert settings["url"] == hub.url and settings["token_set"] and settings["interval"] == 3600
    page.click("#sync-run")
    expect(page.locator("#sync-toasts")).to_contain_text(
        re.compile(r"上传 \d+ · 下载 \d+ · 冲突 0")
    )
    expect(dialog.locator(".sync-overview")).to_contain_text("上次同步")
    shot(page, artifacts, "settings-synced")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(indicator).to_have_text(re.compile(r"^已同步 · (刚刚|\d+ 分钟前)$"))
    expect(indicator).to_have_attribute("data-state", "ok")
    assert api(hub, "GET", f"/api/products/{drill_id}")["product"]["price"] == 25000
    assert api(hub, "GET", f"/api/products/{saw_id}")["product"]["name"] == "手锯"
    page.screenshot(
        path=str(artifacts / "sync-topbar-ok.png"),
        clip={"x": 0, "y": 0, "width": 1440, "height": 64},
    )

    # Conflicts: the hub edits the drill's price and the saw, then the desktop
    # edits the drill's price (newer, so it wins here) and deletes the saw.
    wait_for(lambda: background_asleep(desk), "the background sync to wait for its interval", 20)
    hub_drill = api(hub, "GET", f"/api/products/{drill_id}")["product"]
    api(
        hub,
        "PATCH",
        f"/api/products/{drill_id}",
        {"price": 27500},
        {"If-Match": str(hub_drill["rev"])},
    )
    hub_saw = api(hub, "GET", f"/api/products/{saw_id}")["product"]
    api(hub, "PATCH", f"/api/products/{saw_id}", {"price": 3900}, {"If-Match": str(hub_saw["rev"])})
    desk_drill = api(desk, "GET", f"/api/products/{drill_id}")["product"]
    api(
        desk,
        "PATCH",
        f"/api/products/{drill_id}",
        {"price": 26000},
        {"If-Match": str(desk_drill["rev"])},
    )
    desk_saw = api(desk, "GET", f"/api/products/{saw_id}")["product"]
    api(desk, "DELETE", f"/api/products/{saw_id}", None, {"If-Match": str(desk_saw["rev"])})
    # Waiting changes show at the next poll (every 10 s).
    expect(indicator).to_have_text(re.compile(r"^\d+ 项待同步$"), timeout=15_000)
    expect(indicator).to_have_attribute("data-state", "pending")

    indicator.click()
    page.click("#sync-run")
    expect(page.locator("#sync-toasts")).to_contain_text("冲突 2")
    page.keyboard.press("Escape")
    badge = page.locator("#sync-conflicts")
    expect(badge).to_have_text("2 处冲突")
    page.screenshot(
        path=str(artifacts / "sync-topbar-conflicts.png"),
        clip={"x": 0, "y": 0, "width": 1440, "height": 64},
    )

    badge.click()
    panel = page.locator("dialog.sync-conflicts-dialog")
    expect(panel).to_be_visible()
    drill_box = panel.locator(f'section.sync-record[data-id="{drill_id}"]')
    expect(drill_box.locator(".sync-table")).to_have_text("产品")
    expect(drill_box.locator("h3")).to_have_text("电钻")
    price_conflict = drill_box.locator('li.sync-conflict[data-field="price"]')
    expect(price_conflict.locator(".sync-field-name")).to_contain_text("价格")
    expect(price_conflict.locator(".sync-current")).to_have_text("¥260.00")
    expect(price_conflict.locator(".sync-theirs")).to_have_text("¥275.00")
    hub_replica = api(hub, "GET", "/api/sync/status")["replica"]
    expect(price_conflict.locator(".sync-who")).to_contain_text(f"设备 {hub_replica}")
    saw_box = panel.locator(f'section.sync-record[data-id="{saw_id}"]')
    expect(saw_box.locator(".sync-deleted")).to_have_text("已删除")
    expect(saw_box.locator(".sync-note")).to_have_text("此记录已被删除，但另一台设备修改了它")
    expect(saw_box.locator(".sync-theirs")).to_have_text("¥39.00")
    expect(saw_box.get_by_role("button", name="恢复并使用此修改")).to_be_visible()
    expect(saw_box.get_by_role("button", name="保持删除")).to_be_visible()
    shot(page, artifacts, "conflicts")

    # "使用此版本": the hub's price wins on the desktop.
    price_conflict.get_by_role("button", name="使用此版本").click()
    expect(drill_box).to_have_count(0)
    assert api(desk, "GET", f"/api/products/{drill_id}")["product"]["price"] == 27500
    expect(badge).to_have_text("1 处冲突")

    # In English: the edit against the delete, and restoring with it.
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    page.click("#lang-switch")
    expect(badge).to_have_text("1 conflict")
    expect(indicator).to_have_text(
        re.compile(r"^(Synced · (just now|\d+ min ago)|\d+ changes? to sync)$")
    )
    badge.click()
    expect(panel.locator("h2")).to_have_text("Sync conflicts")
    expect(saw_box.locator(".sync-table")).to_have_text("Product")
    expect(saw_box.locator(".sync-note")).to_have_text(
        "This record was deleted, but another device changed it"
    )
    shot(page, artifacts, "conflicts-en")
    saw_box.get_by_role("button", name="Restore with this change").click()
    expect(panel.locator(".sync-empty")).to_contain_text("No conflicts to review.")
    restored = api(desk, "GET", f"/api/products/{saw_id}")["product"]
    assert restored["price"] == 3900
    expect(badge).to_be_hidden()
    page.keyboard.press("Escape")
    indicator.click()
    expect(page.locator("dialog.sync-settings h2")).to_have_text("Sync settings")
    expect(page.locator("#sync-token")).to_have_attribute("placeholder", "Set")
    shot(page, artifacts, "settings-en")

    # Turning sync off.
    page.click("#sync-off")
    expect(page.locator("dialog.sync-settings")).to_have_count(0)
    expect(indicator).to_have_text("Sync not set up")
    assert api(desk, "GET", "/api/sync/settings")["url"] is None
    # the browser logs the refused save (400)
    no_unexpected_errors(page, allowed=("status of 400",))


def test_offline_and_refused_token_are_shown_and_editing_goes_on(
    page: Any, server: Server, hub: Server, artifacts: Path
) -> None:
    from conftest import free_port
    from playwright.sync_api import expect

    desk = server
    sign_in(page, desk, "#/catalogue")
    indicator = page.locator("#sync-status")
    expect(indicator).to_have_text("未设置同步")

    # A server that is not there: offline is normal, amber, and says why on hover.
    nowhere = f"http://127.0.0.1:{free_port()}"
    indicator.click()
    page.fill("#sync-url", nowhere)
    page.fill("#sync-token", device_token(hub, "desk"))
    page.fill("#sync-interval", "3600")
    page.click("#sync-run")  # saves first, then runs
    problem = page.locator("#sync-problem")
    expect(problem).to_contain_text("无法连接同步服务器")
    expect(problem).to_contain_text("本机的修改已保存")
    # the server's English detail is not shown in the Chinese UI (the address is
    # in the indicator's tooltip)
    expect(problem).not_to_contain_text("Could not reach")
    expect(page.locator("#sync-toasts .toast-error")).to_contain_text("无法连接同步服务器")
    expect(page.locator("#sync-toasts")).not_to_contain_text("Could not reach")
    assert api(desk, "GET", "/api/sync/settings")["url"] == nowhere
    shot(page, artifacts, "settings-offline")
    page.keyboard.press("Escape")
    expect(indicator).to_have_text("离线")
    expect(indicator).to_have_attribute("data-state", "offline")
    expect(indicator).to_have_attribute("title", re.compile(re.escape(nowhere)))
    # Local editing is not blocked.
    made = api(desk, "POST", "/api/products", {"sku": "OFF-1", "name": "离线产品", "price": 100})
    assert made["product"]["name"] == "离线产品"

    # The hub refuses the token: red, and the page stays (no trip to the sign-in page).
    indicator.click()
    page.fill("#sync-url", hub.url)
    page.fill("#sync-token", "wrong-token")
    page.click("#sync-run")
    expect(page.locator("#sync-problem")).to_contain_text("同步令牌无效")
    page.keyboard.press("Escape")
    expect(indicator).to_have_text("同步令牌无效")
    expect(indicator).to_have_attribute("data-state", "error")
    assert "login" not in page.url
    page.screenshot(
        path=str(artifacts / "sync-topbar-error.png"),
        clip={"x": 0, "y": 0, "width": 1440, "height": 64},
    )
    no_unexpected_errors(page, allowed=("status of 503", "status of 401"))


def test_a_large_first_sync_shows_how_many_records_have_arrived(
    page: Any, server: Server, hub: Server, artifacts: Path
) -> None:
    """A first sync of 20,000 products takes seconds: the dialog says how many
    records have arrived so far, not only a spinner (issue 14, part 4)."""
    from conftest import connect, upload
    from playwright.sync_api import expect

    rows = "\n".join(f"BIG-{i:05d},大批商品 {i},{i % 900 + 1}" for i in range(20_000))
    csv = ("编码,名称,单价\n" + rows + "\n").encode()
    r = upload(hub, "/api/products/import?commit=1", "big.csv", csv, ctype="text/csv")
    assert r.status == 200, r.body
    desk = server
    connect(desk, hub, "desk-big")
    sign_in(page, desk, "#/catalogue")
    page.locator("#sync-status").click()
    page.click("#sync-run")
    text = page.locator("#sync-progress-text")
    expect(text).to_contain_text(re.compile(r"正在接收：已收到 [\d,]+ 条"), timeout=30_000)
    shot(page, artifacts, "first-sync-progress")
    expect(page.locator("#sync-toasts")).to_contain_text(
        re.compile(r"下载 2000\d"), timeout=120_000
    )
    expect(page.locator("#sync-progress")).to_be_hidden()
    assert api(desk, "GET", "/api/products?per_page=1")["total"] == 20_000
    no_unexpected_errors(page)


def test_every_sync_string_is_in_both_languages() -> None:
    """Each literal key the sync UI asks for exists in zh-CN and en, and both
    files hold the same sync.* keys (count() keys have .one and .other)."""
    import json

    from conftest import ROOT

    source = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((ROOT / "ui/js/sync").glob("*.js"))
    )
    plain = set(re.findall(r"\bt\('(sync\.[\w.]+)'", source))
    counted = set(re.findall(r"\bcount\('(sync\.[\w.]+)'", source))
    assert plain and counted
    wanted = plain | {f"{k}.{form}" for k in counted for form in ("one", "other")}
    langs = {
        name: json.loads((ROOT / "ui/i18n" / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("zh-CN", "en")
    }
    for name, strings in langs.items():
        assert not wanted - set(strings), (name, sorted(wanted - set(strings)))
    zh, en = ({k for k in s if k.startswith("sync.")} for s in langs.values())
    assert zh == en
