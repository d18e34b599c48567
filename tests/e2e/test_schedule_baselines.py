"""Baselines (issue 17): save the plan of a project as it is now, move tasks, and see
the planned dates as grey bars under the current ones with each task's slip in
working days; the baseline is a record (GET /api/baselines) like any other."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from polling import wait_for
from test_schedule_browser import DAY_COLUMN_PX, bar, drag_bar, seed, shift, sign_in

from localapp.schedule.calendar import NATIONAL

pytestmark = pytest.mark.browser


def test_save_a_baseline_move_a_task_and_see_the_slip(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    project, (first, second, _launch) = seed(server, "基线对比")
    sign_in(page, server)
    expect(bar(page, first["id"])).to_be_visible()
    page.click("#sched-baseline-save")
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name=baseline-name]").fill("初版计划")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#sched-baseline option:checked")).to_have_text("初版计划 · 基线对比")
    saved = api(server, "GET", f"/api/baselines?project_id={project['id']}")["items"]
    assert [b["name"] for b in saved] == ["初版计划"]
    assert saved[0]["tasks"][first["id"]] == {"start": first["start"], "end": first["end"]}
    planned = page.locator(".lg-planned")
    expect(planned).to_have_count(3)
    expect(page.locator("#sched-legend-baseline")).to_have_text("基线")

    drag_bar(page, first["id"], 3 * DAY_COLUMN_PX)
    wait_for(
        lambda: (
            api(server, "GET", f"/api/tasks/{first['id']}")["start"] == shift(first["start"], 3)
        ),
        "the drag to be saved",
    )
    moved = api(server, "GET", f"/api/tasks/{first['id']}")
    day = dt.date.fromisoformat
    slip = NATIONAL.workdays(day(first["end"]) + dt.timedelta(days=1), day(moved["end"]))
    expect(bar(page, first["id"])).to_have_attribute("data-variance", f"比基线晚 {slip} 个工作日")
    # the planned bar stays where the task was
    expect(page.locator(f'.lg-planned[data-start="{first["start"]}"]')).to_have_count(1)
    page.screenshot(path=str(artifacts / "schedule-baseline-zh.png"))
    page.select_option("#sched-baseline", "")
    expect(planned).to_have_count(0)
    expect(page.locator("#sched-legend-baseline")).to_have_count(0)
    page.select_option("#sched-baseline", saved[0]["id"])
    expect(planned).to_have_count(3)
    page.click("#lang-switch")
    expect(bar(page, first["id"])).to_have_attribute(
        "data-variance", f"{slip} working day(s) later than the baseline"
    )
    page.screenshot(path=str(artifacts / "schedule-baseline-en.png"))
    assert second["id"] in saved[0]["tasks"]
    no_unexpected_errors(page)
