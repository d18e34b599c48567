"""资源负荷 (issue 17, resource load): working days of tasks per assignee per week
against the week's working days, around the 2026 National Day holiday (1-7
October off, Saturday 10 October worked), with an overloaded week shown red."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from test_schedule_browser import sign_in

pytestmark = pytest.mark.browser


def make(server: Server) -> dict:
    project = api(server, "POST", "/api/projects", {"name": "国庆前后"})
    for name, who, start, end in (
        ("机房搬迁", "李娜", "2026-09-28", "2026-10-09"),
        ("网络割接", "李娜", "2026-09-29", "2026-09-30"),
        ("验收文档", "王伟", "2026-10-08", "2026-10-10"),
        ("布线", "", "2026-09-28", "2026-10-09"),
        ("测试", "", "2026-09-28", "2026-10-09"),
    ):
        body = {"project_id": project["id"], "name": name, "assignee": who}
        api(server, "POST", "/api/tasks", {**body, "start": start, "end": end})
    return project


def test_the_load_counts_working_days_and_flags_the_overload(server: Server) -> None:
    project = make(server)
    got = api(server, "GET", f"/api/resource-load?project_id={project['id']}")
    assert got["weeks"] == [
        {"start": "2026-09-28", "capacity": 3},  # 28-30 September; 1-4 October off
        {"start": "2026-10-05", "capacity": 3},  # 8, 9 and Saturday 10 October
    ]
    people = {p["assignee"]: p for p in got["people"]}
    assert people["李娜"]["days"] == [5, 2] and people["李娜"]["overloaded"] == [0]
    assert people["王伟"]["days"] == [0, 3] and people["王伟"]["overloaded"] == []
    # six days of unassigned work in a 3-day week: shown, but nobody's overload
    assert people[""]["days"] == [6, 4] and people[""]["overloaded"] == []
    bad = server.request("GET", "/api/resource-load?from=2026-13-01")
    assert bad.status == 400 and "from" in bad.json()["error"]["fields"]


def test_the_workload_heat_map_shows_who_is_overloaded(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    make(server)
    sign_in(page, server)
    page.click("#sched-load")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".sched-load-over")).to_contain_text("李娜")
    cell = dialog.locator('tr[data-assignee="李娜"] td[data-week="2026-09-28"]')
    expect(cell).to_have_text("5")
    expect(cell).to_have_class("sched-load-cell over")
    assert "本周只有 3 个工作日" in (cell.get_attribute("title") or "")
    calm = dialog.locator('tr[data-assignee="王伟"] td[data-week="2026-10-05"]')
    expect(calm).to_have_class("sched-load-cell")
    dialog.screenshot(path=str(artifacts / "schedule-load-zh.png"))
    dialog.get_by_role("button", name="关闭").last.click()
    page.click("#lang-switch")
    page.click("#sched-load")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".sched-load-over")).to_contain_text("Overloaded: 李娜")
    dialog.screenshot(path=str(artifacts / "schedule-load-en.png"))
    no_unexpected_errors(page)
