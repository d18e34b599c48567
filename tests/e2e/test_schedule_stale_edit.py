"""A stale edit keeps what the user typed (issue 16, defect 4, first half).

Someone else renames a task while its dialog is open here; saving the notes
typed here used to be refused with "数据已被其他人修改，请刷新后重试", and the
notes were lost. Now the dialog stays open with what was typed, says what the
other person changed, and saves the typed change on top of theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from polling import wait_for
from test_schedule_browser import bar, seed, sign_in

pytestmark = pytest.mark.browser


def open_task(page: Any, task_id: str) -> Any:
    box = bar(page, task_id).locator(".bar").bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    dialog = page.locator("dialog[open]")
    dialog.locator("h2").wait_for()
    return dialog


def save_after_someone_else(
    page: Any, server: Server, project: str, typed: tuple[str, str], theirs: dict[str, str]
) -> tuple[dict, Any]:
    """Open the first task's dialog, type `typed` (selector, text) into it, let
    another client PATCH `theirs` meanwhile, then press 保存: (the task, the dialog)."""
    _project, (first, _second, _launch) = seed(server, project)
    sign_in(page, server)
    dialog = open_task(page, first["id"])
    dialog.locator(typed[0]).fill(typed[1])
    api(server, "PATCH", f"/api/tasks/{first['id']}", theirs)
    dialog.get_by_role("button", name="保存").click()
    return first, dialog


def test_a_stale_save_keeps_what_was_typed_and_saves_it_on_top(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    # Notes typed here while another client renames the task.
    first, dialog = save_after_someone_else(
        page,
        server,
        "同时编辑",
        ("textarea[name=notes]", "客户要求周五前交付"),
        {"name": "接口开发（二期）"},
    )

    conflict = dialog.locator(".sched-conflict")
    expect(conflict).to_contain_text("此任务刚被其他人修改过")
    expect(conflict.locator('[data-field="theirs-name"]')).to_contain_text("接口开发（二期）")
    expect(dialog.locator("textarea[name=notes]")).to_have_value("客户要求周五前交付")
    expect(page.locator(".sched-status")).to_have_text(
        "尚未保存：此任务刚被其他人修改，请在对话框中选择"
    )
    page.screenshot(path=str(artifacts / "schedule-stale-edit-zh.png"))

    conflict.locator('[data-role="keep-mine"]').click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    saved = wait_for(
        lambda: (r := api(server, "GET", f"/api/tasks/{first['id']}"))["notes"] and r,
        "the typed notes to be saved",
    )
    assert (saved["name"], saved["notes"]) == ("接口开发（二期）", "客户要求周五前交付")
    no_unexpected_errors(page, allowed=("409 (Conflict)",))  # the refused stale save


def test_loading_their_version_instead_shows_it_in_the_dialog(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    first, dialog = save_after_someone_else(
        page, server, "载入最新", ("input[name=assignee]", "我改的"), {"assignee": "别人改的"}
    )
    dialog.locator('.sched-conflict [data-role="load-theirs"]').click()
    again = page.locator("dialog[open]")
    expect(again.locator("input[name=assignee]")).to_have_value("别人改的")
    assert api(server, "GET", f"/api/tasks/{first['id']}")["assignee"] == "别人改的"
