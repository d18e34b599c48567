"""新建任务's 前置任务 list follows the chosen project, shown on the chart or not
(issue 16, defect 2): it was filled from the chart's tasks only, so picking a
project that was not shown left it empty, with no hint why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from test_schedule_browser import day, sign_in

pytestmark = pytest.mark.browser


def test_predecessors_of_a_project_not_shown_are_offered(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    made = {}
    for name, tasks in (("甲项目", ["甲一"]), ("乙项目", ["乙一", "乙二"]), ("丙项目", [])):
        made[name] = api(server, "POST", "/api/projects", {"name": name})
        for i, task in enumerate(tasks):
            api(
                server,
                "POST",
                "/api/tasks",
                {
                    "project_id": made[name]["id"],
                    "name": task,
                    "start": day(i),
                    "end": day(i + 2),
                },
            )
    sign_in(page, server)
    shown = page.locator(".sched-project.selected").inner_text()
    hidden = next(n for n in ("乙项目", "甲项目") if n not in shown)
    expected = {"乙项目": ["乙一", "乙二"], "甲项目": ["甲一"]}[hidden]

    page.click("#sched-new-task")
    dialog = page.locator("dialog[open]")
    deps = dialog.locator("select[name=depends_on]")
    hint = dialog.locator('[data-role="deps-hint"]')
    dialog.locator("select[name=project_id]").select_option(label=hidden)
    expect(deps.locator("option")).to_have_count(len(expected))
    assert [o.split(" (")[0] for o in deps.locator("option").all_inner_texts()] == expected
    expect(hint).to_be_hidden()

    dialog.locator("select[name=project_id]").select_option(label="丙项目")
    expect(hint).to_have_text("该项目还没有其他任务，没有可选的前置任务。")
    expect(deps).to_be_disabled()
    page.screenshot(path=str(artifacts / "schedule-deps-none.png"))

    # Back to the hidden project: pick its first task and save.
    dialog.locator("select[name=project_id]").select_option(label=hidden)
    expect(deps.locator("option")).to_have_count(len(expected))
    deps.select_option(label=deps.locator("option").first.inner_text())
    dialog.locator("input[name=name]").fill("后续工作")
    dialog.locator("input[name=start]").fill(day(5))
    dialog.locator("input[name=end]").fill(day(6))
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    tasks = api(server, "GET", f"/api/tasks?project_id={made[hidden]['id']}&per_page=50")["items"]
    by_name = {t["name"]: t for t in tasks}
    assert by_name["后续工作"]["depends_on"] == [by_name[expected[0]]["id"]]
    no_unexpected_errors(page)
