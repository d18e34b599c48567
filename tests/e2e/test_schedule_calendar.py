"""China's working-day calendar on the chart (issue 16, a first step): the 2026
Spring Festival holiday is shaded like a weekend and marked 休, and its make-up
workdays (调休, Saturdays 14 and 28 February) are not shaded and marked 班.
The holidays come from the chinesecalendar package through GET /api/calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server, http
from test_schedule_browser import sign_in

pytestmark = pytest.mark.browser


def test_the_calendar_route_names_holidays_and_make_up_workdays(server: Server) -> None:
    got = api(server, "GET", "/api/calendar?from=2026-02-09&to=2026-03-01")
    days = {d["date"]: (d["kind"], d["name_zh"]) for d in got["days"]}
    assert days["2026-02-16"] == ("holiday", "春节")  # a Monday off
    assert days["2026-02-14"] == ("workday", "春节")  # a Saturday worked
    assert days["2026-02-28"] == ("workday", "春节")
    assert "2026-02-10" not in days and "2026-03-01" not in days  # ordinary days
    assert got["known_years"][1] >= 2026
    bad = http(
        "GET",
        server.url + "/api/calendar?from=2026-03-01&to=2026-02-01",
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert bad.status == 400 and "to" in bad.json()["error"]["fields"]  # type: ignore[index]


def test_the_spring_festival_is_shaded_and_its_make_up_days_are_marked(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    project = api(server, "POST", "/api/projects", {"name": "春节前后"})
    api(
        server,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "节前备货",
            "start": "2026-02-09",
            "end": "2026-03-06",
        },
    )
    sign_in(page, server)

    def shaded(day: str) -> Any:
        return page.locator(f'rect.holiday-highlight[class~="{day}"]')

    expect(shaded("2026-02-16")).to_have_count(1)
    expect(shaded("2026-02-14")).to_have_count(0)
    expect(shaded("2026-02-21")).to_have_count(1)
    expect(shaded("2026-03-02")).to_have_count(0)
    expect(page.locator('.lg-cal-holiday[data-date="2026-02-16"]')).to_contain_text("休春节")
    expect(page.locator('.lg-cal-workday[data-date="2026-02-14"]')).to_contain_text("班春节")
    expect(page.locator('.lg-cal-workday[data-date="2026-02-28"]')).to_contain_text("班春节")
    tip = page.locator('.lg-cal-workday[data-date="2026-02-14"] title').text_content() or ""
    assert "春节" in tip and "调休" in tip
    # A 3-working-day task after one that ends Thu 12 February: Fri 13, Sat 14
    # (worked in lieu), then after the holiday Tue 24.
    first = api(server, "GET", f"/api/tasks?project_id={project['id']}")["items"][0]
    api(
        server,
        "PATCH",
        f"/api/tasks/{first['id']}",
        {"start": "2026-02-09", "end": "2026-02-12"},
    )
    after = api(
        server,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "节后发货",
            "start": "2026-02-02",
            "end": "2026-02-04",
            "depends_on": [first["id"]],
        },
    )
    assert (after["start"], after["end"]) == ("2026-02-13", "2026-02-24")
    page.reload()
    expect(page.locator(f'.bar-wrapper[data-task-id="{after["id"]}"]')).to_have_attribute(
        "data-end", "2026-02-24"
    )
    # The dialog counts the same working days.
    page.click("#sched-new-task")
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name=start]").fill("2026-02-13")
    dialog.locator("input[name=end]").fill("2026-02-24")
    length = dialog.locator("input[name=workdays]")
    expect(length).to_have_value("3")
    expect(dialog.locator('[data-role="workdays"]')).to_contain_text("工期")
    # and typing a length in working days sets the end: a 4th is Wed 25 February
    length.fill("4")
    expect(dialog.locator("input[name=end]")).to_have_value("2026-02-25")
    dialog.get_by_role("button", name="取消").click()
    page.locator('.lg-cal-holiday[data-date="2026-02-16"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "schedule-calendar-zh.png"))
    page.click("#lang-switch")
    expect(page.locator('.lg-cal-holiday[data-date="2026-02-16"]')).to_have_count(1)
    page.screenshot(path=str(artifacts / "schedule-calendar-en.png"))
    no_unexpected_errors(page)
