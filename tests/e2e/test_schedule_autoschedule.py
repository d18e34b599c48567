"""Dragging a predecessor past its successor moves the successors (issue 16,
defect 3): it saved silently before, the successor stayed where it was, and the
arrow pointed backwards. The server moves the chain, the page shows what moved,
and one Ctrl+Z puts every task back."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from polling import wait_for
from test_schedule_browser import DAY_COLUMN_PX, bar, drag_bar, seed, shift, sign_in

from localapp.schedule.calendar import NATIONAL

pytestmark = pytest.mark.browser


def dates(server: Server, task: dict) -> tuple[str, str]:
    rec = api(server, "GET", f"/api/tasks/{task['id']}")
    return rec["start"], rec["end"]


def test_dragging_a_predecessor_moves_its_successors_and_one_undo_restores_all(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _project, (first, second, launch) = seed(server, "顺延测试")
    original = {t["id"]: (t["start"], t["end"]) for t in (first, second, launch)}
    sign_in(page, server)
    expect(bar(page, first["id"])).to_be_visible()

    drag_bar(page, first["id"], 3 * DAY_COLUMN_PX)  # ends 3 days later: past 联调测试's start
    wait_for(lambda: dates(server, first)[0] == shift(first["start"], 3), "the drag to be saved")
    # 联调测试 starts on the first working day after 接口开发 ends, as many working days
    # long as before; 正式上线 (a milestone) on the first working day after that.
    new_end = dt.date.fromisoformat(shift(first["end"], 3))
    s_start = NATIONAL.next_workday(new_end + dt.timedelta(days=1))
    length = NATIONAL.workdays(*map(dt.date.fromisoformat, (second["start"], second["end"])))
    s_end = NATIONAL.add_workdays(s_start, max(1, length) - 1)
    landed = max(NATIONAL.next_workday(s_end + dt.timedelta(days=1)).isoformat(), launch["start"])
    assert dates(server, second) == (s_start.isoformat(), s_end.isoformat())
    assert dates(server, launch) == (landed, landed)
    # (正式上线 moves too unless a weekend between them absorbs the shift)
    count = 1 + (landed != launch["start"])
    status = page.locator(".sched-status")
    expect(status).to_contain_text(f"{count} 个后续任务已顺延")
    expect(status).to_contain_text("联调测试")
    expect(bar(page, second["id"])).to_have_attribute("data-start", s_start.isoformat())
    expect(bar(page, launch["id"])).to_have_attribute("data-start", landed)
    page.screenshot(path=str(artifacts / "schedule-autoschedule-zh.png"))

    page.keyboard.press("Control+z")
    wait_for(
        lambda: all(dates(server, t) == original[t["id"]] for t in (first, second, launch)),
        "one undo to put all three tasks back",
    )
    expect(bar(page, second["id"])).to_have_attribute("data-start", second["start"])
    expect(page.locator("#sched-undo")).to_be_disabled()
    no_unexpected_errors(page)


def test_a_forced_violation_of_a_manual_task_is_flagged_on_the_chart(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _project, (first, second, _launch) = seed(server, "手动排程")
    r = api(server, "PATCH", f"/api/tasks/{second['id']}", {"manual": True})
    forced = api(
        server,
        "PATCH",
        f"/api/tasks/{second['id']}",
        {"start": first["start"], "end": first["end"], "rev": r["rev"]},
    )
    assert forced["start"] == first["start"], "a manual task keeps the dates it is given"
    kinds = [p["kind"] for p in api(server, "GET", "/api/problems")["items"]]
    assert "early_start" in kinds
    sign_in(page, server)
    flagged = bar(page, second["id"])
    expect(flagged).to_have_class(re.compile(r"\blg-violation\b"))
    expect(bar(page, first["id"])).not_to_have_class(re.compile(r"\blg-violation\b"))
    assert "早于前置任务结束前开始" in flagged.locator("title").text_content()
    page.screenshot(path=str(artifacts / "schedule-violation-zh.png"))
    no_unexpected_errors(page)


def test_the_critical_path_and_slack_are_shown(page: Any, server: Server, artifacts: Path) -> None:
    from playwright.sync_api import expect

    # Fixed days in March 2026 (no holiday; 7-8 March is a weekend).
    project = api(server, "POST", "/api/projects", {"name": "关键路径"})

    def add(name: str, start: str, end: str, **more: Any) -> dict:
        body = {"project_id": project["id"], "name": name, "start": start, "end": end, **more}
        return api(server, "POST", "/api/tasks", body)

    first = add("设计", "2026-03-02", "2026-03-04")
    second = add("开发", "2026-03-05", "2026-03-06", depends_on=[first["id"]])
    launch = add("上线", "2026-03-10", "2026-03-10", milestone=True, depends_on=[second["id"]])
    listed = api(server, "GET", f"/api/tasks?project_id={project['id']}")["items"]
    slack = {t["name"]: (t["slack"], t["critical"]) for t in listed}
    # 开发 ends Fri 6 and 上线 is Tue 10: one spare working day (Mon 9) on that chain.
    assert slack == {"设计": (1, False), "开发": (1, False), "上线": (0, True)}
    sign_in(page, server)
    expect(bar(page, launch["id"])).to_have_class(re.compile(r"\blg-critical\b"))
    expect(bar(page, second["id"])).not_to_have_class(re.compile(r"\blg-critical\b"))
    assert "可延后 1 个工作日" in (bar(page, second["id"]).locator("title").text_content() or "")
    expect(page.locator(".sched-legend-item", has_text="关键路径")).to_be_visible()
    # Close the gap: now the whole chain is critical.
    api(server, "PATCH", f"/api/tasks/{launch['id']}", {"start": "2026-03-09", "end": "2026-03-09"})
    page.reload()
    for task in (first, second, launch):
        expect(bar(page, task["id"])).to_have_class(re.compile(r"\blg-critical\b"))
    page.screenshot(path=str(artifacts / "schedule-critical-zh.png"))
    no_unexpected_errors(page)
