"""The team calendar (issue 16): a company's own 2027 days imported from an .ics
file through 团队日历, listed, shading the chart and moving the tasks scheduled
after them; a file that is no calendar is refused and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import ROOT, Server, upload
from test_schedule_browser import sign_in

pytestmark = pytest.mark.browser

TEAM_2027 = ROOT / "tests" / "data" / "team-2027.ics"


def chain(
    server: Server, project: str, names: tuple[str, str], second: tuple[str, str]
) -> tuple[dict, dict]:
    """A project with a task from Mon 18 to Wed 20 January 2027 and one after it
    (asked for the dates `second`; the answer says where the server put it)."""
    pid = api(server, "POST", "/api/projects", {"name": project})["id"]
    base = {"project_id": pid, "name": names[0]}
    first = api(server, "POST", "/api/tasks", {**base, "start": "2027-01-18", "end": "2027-01-20"})
    body = {"project_id": pid, "name": names[1], "depends_on": [first["id"]]}
    then = api(server, "POST", "/api/tasks", {**body, "start": second[0], "end": second[1]})
    return first, then


def team_days(server: Server) -> dict[str, str]:
    got = api(server, "GET", "/api/calendar-days?per_page=1000")
    return {d["date"]: d["kind"] for d in got["items"]}


def test_team_days_over_rest_and_import(server: Server) -> None:
    made = api(server, "POST", "/api/calendar-days", {"date": "2027-03-08", "kind": "holiday"})
    assert made["id"] == "2027-03-08" and made["name"] == ""
    again = server.request("POST", "/api/calendar-days", {"date": "2027-03-08", "kind": "workday"})
    assert again.status == 409
    moved = server.request("PATCH", "/api/calendar-days/2027-03-08", {"date": "2027-03-09"})
    assert moved.status == 400 and "date" in moved.json()["error"]["fields"]
    bad = server.request("POST", "/api/calendar-days", {"date": "2027-03-10", "kind": "休息"})
    assert bad.status == 400 and "kind" in bad.json()["error"]["fields"]
    # a file that is no calendar: 400 naming why, nothing imported
    refused = upload(server, "/api/calendar-days/import", "days.csv", b"date\n2027-01-01\n")
    assert refused.status == 400
    assert refused.json()["error"]["fields"] == {"file": "not_a_calendar"}
    assert team_days(server) == {"2027-03-08": "holiday"}
    got = upload(server, "/api/calendar-days/import", "x.bin", TEAM_2027.read_bytes())
    assert got.status == 200, got.body
    assert got.json() == {"days": 3, "added": 3, "changed": 0, "unchanged": 0}
    again2 = upload(server, "/api/calendar-days/import", "x.bin", TEAM_2027.read_bytes())
    assert again2.json()["unchanged"] == 3
    cal = api(server, "GET", "/api/calendar?from=2027-01-14&to=2027-01-24")
    team = {d["date"]: d["kind"] for d in cal["days"] if d.get("team")}
    assert team == {"2027-01-16": "workday", "2027-01-21": "holiday", "2027-01-22": "holiday"}
    # a task after one ending Wed 20 January skips the retreat (Thu, Fri)
    first, after = chain(server, "年底交付", ("联调", "验收"), ("2027-01-04", "2027-01-05"))
    assert (after["start"], after["end"]) == ("2027-01-25", "2027-01-26")
    # the days are part of /api/data, so a backup holds them
    assert {d["date"] for d in api(server, "GET", "/api/data")["calendarDays"]} == {
        "2027-01-16",
        "2027-01-21",
        "2027-01-22",
        "2027-03-08",
    }


def test_importing_a_team_calendar_shades_the_chart(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    project = api(server, "POST", "/api/projects", {"name": "年底交付"})
    api(
        server,
        "POST",
        "/api/tasks",
        {"project_id": project["id"], "name": "联调", "start": "2027-01-11", "end": "2027-01-29"},
    )
    sign_in(page, server)
    expect(page.locator('.lg-cal-holiday[data-date="2027-01-21"]')).to_have_count(0)
    page.click("#sched-teamdays")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("还没有团队自己的日子")
    # a wrong file first: the reason in Chinese, nothing listed
    dialog.locator("input[type=file]").set_input_files(
        files=[{"name": "days.csv", "mimeType": "text/csv", "buffer": b"date\n2027-01-01\n"}]
    )
    expect(dialog.locator(".form-error")).to_contain_text("不是 .ics 日历")
    dialog.locator("input[type=file]").set_input_files(str(TEAM_2027))
    expect(dialog.locator(".sched-teamdays-status")).to_have_text(
        "已导入 3 天：新增 3，修改 0，未变 0。"
    )
    expect(dialog.locator(".form-error")).to_be_hidden()
    expect(dialog.locator(".sched-teamday[data-date]")).to_have_count(3)
    expect(dialog.locator('.sched-teamday[data-date="2027-01-21"] input')).to_have_value("公司年会")
    # add one by hand, then change its kind
    dialog.locator(".sched-teamday-new input[type=date]").fill("2027-01-25")
    dialog.locator(".sched-teamday-new input:not([type])").fill("盘点")
    dialog.get_by_role("button", name="添加").click()
    row = dialog.locator('.sched-teamday[data-date="2027-01-25"]')
    expect(row).to_contain_text("2027-01-25")
    dialog.screenshot(path=str(artifacts / "schedule-teamdays-dialog-zh.png"))
    assert team_days(server)["2027-01-25"] == "holiday"
    row.locator("select").select_option("workday")
    expect(row).to_have_attribute("data-kind", "workday")
    assert team_days(server)["2027-01-25"] == "workday"
    dialog.get_by_role("button", name="关闭").last.click()
    # the chart: the retreat shaded and marked 休 as the team's, the Saturday worked
    mark = page.locator('.lg-cal-holiday.lg-cal-team[data-date="2027-01-21"]')
    expect(mark).to_have_count(1)
    assert "团队日历" in (mark.locator("title").text_content() or "")
    expect(page.locator('rect.holiday-highlight[class~="2027-01-21"]')).to_have_count(1)
    expect(page.locator('rect.holiday-highlight[class~="2027-01-16"]')).to_have_count(0)
    expect(page.locator('.lg-cal-workday.lg-cal-team[data-date="2027-01-16"]')).to_have_count(1)
    mark.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "schedule-teamdays-zh.png"))
    page.click("#lang-switch")
    page.click("#sched-teamdays")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Team calendar")
    expect(dialog.locator('.sched-teamday[data-date="2027-01-21"] select')).to_have_value("holiday")
    dialog.screenshot(path=str(artifacts / "schedule-teamdays-dialog-en.png"))
    dialog.get_by_role("button", name="Close").last.click()
    page.screenshot(path=str(artifacts / "schedule-teamdays-en.png"))
    no_unexpected_errors(page, allowed=("400",))


def test_a_new_team_holiday_leaves_a_listed_problem_that_its_fix_settles(
    server: Server,
) -> None:
    """A holiday added after tasks were placed does not move them silently: the task
    that now starts too early is flagged (GET /api/tasks, the problems list), and the
    problem's fix, or saving the task, places it after the holiday."""
    first, then = chain(server, "年会前后", ("备货", "发货"), ("2027-01-21", "2027-01-21"))
    assert then["start"] == "2027-01-21" and "moved" not in then
    api(server, "POST", "/api/calendar-days", {"date": "2027-01-21", "kind": "holiday"})
    listed = api(server, "GET", f"/api/tasks?project_id={first['project_id']}")["items"]
    assert {t["name"]: t.get("early_start") for t in listed} == {"备货": None, "发货": True}
    problems = api(server, "GET", "/api/problems")["items"]
    early = [p for p in problems if p["kind"] == "early_start"]
    assert [(p["subject"]["id"], p["earliest"], p["manual"]) for p in early] == [
        (then["id"], "2027-01-22", False)
    ]
    api(
        server,
        "POST",
        "/api/problems/fix",
        {"problem": early[0]["id"], "action": "schedule_task"},
    )
    placed = api(server, "GET", f"/api/tasks/{then['id']}")
    assert (placed["start"], placed["end"]) == ("2027-01-22", "2027-01-22")
    assert not [
        p for p in api(server, "GET", "/api/problems")["items"] if p["kind"] == "early_start"
    ]
