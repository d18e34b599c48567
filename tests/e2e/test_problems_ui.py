"""Data problems in Debian's chromium (Playwright), against two real servers.

One `localapp serve` plays the desktop (the page is its UI), a second one the
hub it syncs with, each with its own data dir. Offline on each side: the hub
adds a task to a project the desktop deletes, and both add a product with
SKU A100. After a sync the top bar counts "2 个数据问题"; the panel explains
both in Chinese, with their fixes. "恢复项目" brings the project back with the
hub's task; in English the badge and panel say the same; "改用新编码…" refuses
the shared SKU with the catalogue's reason, then takes a free one, and the
product list behind the panel shows it. The fixes reach the hub with the
next sync. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server, run_cli
from polling import wait_for

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts: Path, name: str, **kwargs: Any) -> None:
    page.screenshot(path=str(artifacts / f"problems-{name}.png"), **kwargs)


def background_asleep(server: Server) -> bool:
    """The desktop's background loop has had its first round and waits for its
    (long) interval, so it cannot sync between the two sides' offline edits."""
    s = api(server, "GET", "/api/sync/status")
    nxt = s.get("next_attempt")
    if not (s["last_ok"] and nxt):
        return False
    return datetime.fromisoformat(nxt.replace("Z", "+00:00")).timestamp() > time.time() + 600


def test_problems_are_counted_explained_and_fixed_in_the_panel(
    page: Any, server: Server, hub: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    desk = server
    out = run_cli("token", "create", "desk", "--data-dir", str(hub.data_dir), env=hub.env)
    assert out.returncode == 0, out.stderr
    api(
        desk,
        "PUT",
        "/api/sync/settings",
        {"url": hub.url, "token": out.stdout.strip().splitlines()[-1], "interval": 3600},
    )
    project = api(desk, "POST", "/api/projects", {"name": "新仓库", "owner": "王伟"})
    api(
        desk,
        "POST",
        "/api/tasks",
        {"project_id": project["id"], "name": "打地基", "start": "2025-03-03", "end": "2025-03-07"},
    )
    api(desk, "POST", "/api/sync/run", {})
    wait_for(lambda: background_asleep(desk), "the background sync to wait for its interval", 20)

    # Offline on both sides.
    pipes = api(
        hub,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "铺设管道",
            "start": "2025-03-10",
            "end": "2025-03-14",
        },
    )
    api(desk, "DELETE", f"/api/projects/{project['id']}?cascade=1")
    api(
        desk,
        "POST",
        "/api/products",
        {"sku": "A100", "name": "膨胀螺栓 M8", "price": 80, "supplier": "宁波紧固件"},
    )
    theirs = api(
        hub,
        "POST",
        "/api/products",
        {"sku": "a100", "name": "膨胀螺丝 M8", "price": 95, "supplier": "永康工具"},
    )
    api(desk, "POST", "/api/sync/run", {})

    sign_in(page, desk, "#/catalogue")
    badge = page.locator("#sync-conflicts")
    expect(badge).to_have_text("2 个数据问题")
    expect(badge).to_have_attribute("title", "查看并处理冲突和数据问题")
    page.screenshot(
        path=str(artifacts / "problems-topbar.png"),
        clip={"x": 0, "y": 0, "width": 1440, "height": 64},
    )

    badge.click()
    panel = page.locator("dialog.sync-conflicts-dialog")
    expect(panel.locator("h2")).to_have_text("同步冲突与数据问题")
    expect(panel.locator(".sync-problems > h3")).to_have_text("数据问题")
    expect(panel.locator("#sync-conflicts-total")).to_have_text("2 个数据问题")
    orphan = panel.locator('section.sync-problem[data-kind="orphan_tasks"]')
    expect(orphan.locator(".sync-problem-kind")).to_have_text("项目已删除")
    expect(orphan.locator("h3")).to_have_text("新仓库")
    expect(orphan.locator(".sync-note")).to_have_text(
        "项目「新仓库」已在一台设备上删除，而另一台设备同时在其中添加或修改了 1 个任务。排期中看不到这个任务。"
    )
    expect(orphan.locator(".sync-problem-record")).to_contain_text("铺设管道")
    expect(orphan.locator(".sync-problem-detail")).to_have_text("2025-03-10 至 2025-03-14")
    expect(orphan.get_by_role("button", name="删除这个任务")).to_be_visible()
    dup = panel.locator('section.sync-problem[data-kind="duplicate_sku"]')
    expect(dup.locator(".sync-problem-kind")).to_have_text("编码重复")
    expect(dup.locator(".sync-problem-label")).to_have_text(["膨胀螺丝 M8", "膨胀螺栓 M8"])
    expect(dup.locator(".sync-problem-detail").first).to_contain_text("¥0.95 · 永康工具")
    expect(dup.get_by_role("button", name="只保留此产品")).to_have_count(2)
    shot(page, artifacts, "panel")

    # 恢复项目: the card goes, the count with it; the project is back with the hub's task.
    orphan.get_by_role("button", name="恢复项目").click()
    expect(page.locator("#sync-toasts")).to_contain_text("已处理")
    expect(orphan).to_have_count(0)
    expect(badge).to_have_text("1 个数据问题")
    assert api(desk, "GET", f"/api/projects/{project['id']}")["name"] == "新仓库"
    tasks = api(desk, "GET", f"/api/tasks?project_id={project['id']}")["items"]
    assert [t["id"] for t in tasks] == [pipes["id"]]

    # The same in English.
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    page.click("#lang-switch")
    expect(badge).to_have_text("1 data problem")
    badge.click()
    expect(panel.locator("h2")).to_have_text("Sync conflicts and data problems")
    expect(dup.locator(".sync-problem-kind")).to_have_text("Duplicate SKU")
    expect(dup.get_by_role("button", name="New SKU…")).to_have_count(2)
    shot(page, artifacts, "panel-en")
    page.keyboard.press("Escape")
    page.click("#lang-switch")
    expect(badge).to_have_text("1 个数据问题")

    # A new SKU for the hub's product: the shared one is refused, in place.
    badge.click()
    row = dup.locator(f'.sync-problem-record[data-id="{theirs["product"]["id"]}"]')
    row.get_by_role("button", name="改用新编码…").click()
    sku = row.get_by_role("textbox", name="新编码")
    expect(sku).to_be_focused()
    sku.fill("A100")
    row.get_by_role("button", name="保存").click()
    expect(row.locator(".sync-field-error")).to_have_text(
        "此编码已被「膨胀螺栓 M8」使用（不区分大小写）"
    )
    expect(sku).to_have_attribute("aria-invalid", "true")
    shot(page, artifacts, "sku-taken")
    sku.fill("A100-YK")
    row.get_by_role("button", name="保存").click()
    expect(panel.locator(".sync-empty")).to_contain_text("没有需要处理的冲突。")
    expect(panel.locator("h2")).to_have_text("同步冲突")
    expect(badge).to_be_hidden()
    page.keyboard.press("Escape")
    # The product list behind the panel was shown again with the new SKU.
    expect(page.locator("#view")).to_contain_text("A100-YK")
    shot(page, artifacts, "fixed-catalogue")

    # The fixes are ordinary edits: the next sync takes them to the hub.
    api(desk, "POST", "/api/sync/run", {})
    assert api(hub, "GET", "/api/problems")["total"] == 0
    assert (
        api(hub, "GET", f"/api/products/{theirs['product']['id']}")["product"]["sku"] == "A100-YK"
    )
    assert project["id"] in [p["id"] for p in api(hub, "GET", "/api/projects")["items"]]
    # the browser logs the refused SKU (409)
    no_unexpected_errors(page, allowed=("status of 409",))
