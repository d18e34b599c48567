"""The first screen of a long project (issue 17, defect 5): with 200 tasks from three
months ago to next week, the chart opened on today while its top rows held the
earliest tasks, so the first screen showed a project bar over an empty grid and
nothing named the rows. It now opens where the rows on screen have their tasks,
and a task scrolled out of view is named at the edge of the view in its row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from test_schedule_browser import bar, day, sign_in

pytestmark = pytest.mark.browser


def test_a_long_project_opens_on_its_rows_and_names_every_row(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    tasks = [
        {
            "id": f"t{i:03d}",
            "project_id": "p1",
            "name": f"工序{i:03d}",
            "type_id": str(1 + i % 6),
            "start": day(-90 + i // 2),
            "end": day(-88 + i // 2),
        }
        for i in range(200)
    ]
    api(
        server,
        "POST",
        "/api/data",
        {"projects": [{"id": "p1", "name": "长周期项目"}], "tasks": tasks},
    )
    sign_in(page, server)
    first = bar(page, "t000").locator(".bar")
    expect(first).to_be_visible()
    chart = page.locator(".sched-chart .gantt-container").bounding_box()
    box = first.bounding_box()
    assert chart and box
    assert chart["x"] <= box["x"] and box["x"] + box["width"] <= chart["x"] + chart["width"], (
        "the first row's task is on the first screen",
        chart,
        box,
    )
    page.screenshot(path=str(artifacts / "schedule-first-screen-zh.png"))
    # today: the early rows' bars lie to the left, and each says so in its row
    page.get_by_role("button", name="今天").click()
    away = page.locator('.lg-away[data-task-id="t000"]')
    expect(away).to_have_attribute("visibility", "visible")
    expect(away).to_have_text("‹ 工序000")
    page.screenshot(path=str(artifacts / "schedule-away-labels-zh.png"))
    # back at the start: the first rows' bars are in view (no label), the late
    # rows' bars lie to the right
    page.locator(".sched-chart .gantt-container").evaluate("el => { el.scrollLeft = 0; }")
    expect(away).to_have_attribute("visibility", "hidden")
    # down at the late rows (one scroll view: their bars are drawn once near it)
    page.locator(".sched-chart .gantt-container").evaluate("el => { el.scrollTop = 140 * 36; }")
    late = page.locator('.lg-away[data-task-id="t148"]')
    expect(late).to_have_attribute("visibility", "visible")
    expect(late).to_have_text("工序148 ›")
    no_unexpected_errors(page)
