"""The UI follows the record-kind declarations (GET /api/kinds): a field added
to tasks in localapp/kinds.py can be filled in the task dialog, and the server
checks what is typed there, with no change to the JavaScript."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server, start_server

pytestmark = pytest.mark.browser

WRAPPER = Path(__file__).with_name("with_task_field.py")


@pytest.fixture
def budget_server(tmp_path: Path) -> Iterator[Server]:
    s = start_server(tmp_path / "data", wrap=[sys.executable, str(WRAPPER)])
    try:
        yield s
    finally:
        s.stop()


def test_a_declared_task_field_is_edited_in_the_task_dialog(
    page: Any, budget_server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    server = budget_server
    described = api(server, "GET", "/api/kinds")["kinds"]
    assert next(k for k in described if k["table"] == "tasks")["fields"]["budget"]["input"]
    project = api(server, "POST", "/api/projects", {"name": "预算项目"})
    sign_in(page, server, "#/schedule")
    page.wait_for_selector(".sched-main")

    page.click("#sched-new-task")
    dialog = page.locator("dialog[open]")
    budget = dialog.locator("input[name=budget]")
    expect(budget).to_have_attribute("type", "number")  # an "int" field
    # labelled by its declared label key (no translation added: the key shows)
    expect(dialog.locator('[data-field="budget"]')).to_contain_text("schedule.csv.budget")
    today = dt.date.today().isoformat()
    dialog.locator("input[name=name]").fill("采购")
    dialog.locator("input[name=start]").fill(today)
    dialog.locator("input[name=end]").fill(today)
    # The server's check of the field refuses 150 and says so on that field.
    budget.fill("150")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator('[data-field="budget"] .sched-field-error')).to_be_visible()
    page.screenshot(path=str(artifacts / "kinds-task-dialog-declared-field.png"))
    budget.fill("35")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("dialog[open]")).to_have_count(0)

    tasks = api(server, "GET", f"/api/tasks?project_id={project['id']}&sort=-budget")["items"]
    assert [(t["name"], t["budget"]) for t in tasks] == [("采购", 35)]
    # Opening it again shows the stored value.
    box = page.locator(f'.bar-wrapper[data-task-id="{tasks[0]["id"]}"] .bar').bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("dialog[open] h2")).to_have_text("编辑任务")
    expect(page.locator("dialog[open] input[name=budget]")).to_have_value("35")
    no_unexpected_errors(page, allowed=("400",))
