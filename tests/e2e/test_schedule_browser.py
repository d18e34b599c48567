"""The schedule page in Debian's chromium (Playwright), against a real server.

A user signs in through the login page, creates a project and a task with
the dialogs, drags a bar on the Gantt chart and finds the new dates on the
server and after a reload, deletes and undoes with the keyboard, sees a
refused save rolled back, exports CSV and PNG, and switches to English.
Screenshots of the chart go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from browser import api, no_unexpected_errors
from browser import sign_in as _sign_in
from conftest import Server
from polling import wait_for

from localapp.schedule.calendar import NATIONAL

DAY_COLUMN_PX = 34  # the Day zoom's column width (ui/js/schedule/chart.js)

pytestmark = pytest.mark.browser


def day(offset: int) -> str:
    return (dt.date.today() + dt.timedelta(days=offset)).isoformat()


def shift(iso: str, days: int) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=days)).isoformat()


def sign_in(page: Any, server: Server) -> None:
    _sign_in(page, server, "#/schedule")
    page.wait_for_selector(".sched-main")


def seed(server: Server, name: str = "官网改版") -> tuple[dict, list[dict]]:
    project = api(server, "POST", "/api/projects", {"name": name, "owner": "王伟"})
    first = api(
        server,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "接口开发",
            "type_id": "1",
            "start": day(-2),
            "end": day(3),
            "assignee": "李娜",
            "progress": 40,
        },
    )
    second = api(
        server,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "联调测试",
            "type_id": "2",
            "start": day(4),
            "end": day(7),
            "assignee": "张强",
            "depends_on": [first["id"]],
        },
    )
    launch = api(
        server,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "正式上线",
            "type_id": "6",
            "start": day(9),
            "end": day(9),
            "milestone": True,
            "depends_on": [second["id"]],
        },
    )
    return project, [first, second, launch]


def bar(page: Any, task_id: str) -> Any:
    return page.locator(f'.bar-wrapper[data-task-id="{task_id}"]')


def drag_bar(page: Any, task_id: str, dx: float) -> None:
    # as a user would, scroll the bar into sight first (the grid beside the
    # chart leaves it less room)
    bar(page, task_id).locator(".bar").scroll_into_view_if_needed()
    box = bar(page, task_id).locator(".bar").bounding_box()
    assert box, "the bar is not on screen"
    x, y = box["x"] + min(12, box["width"] / 2), box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    steps = 8
    for i in range(1, steps + 1):
        page.mouse.move(x + dx * i / steps, y)
    page.mouse.up()


def test_create_project_and_task_through_the_ui(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    sign_in(page, server)
    # An empty schedule offers to create a project.
    expect(page.locator(".sched-chart-message")).to_contain_text("还没有项目")

    page.click("#sched-new-project")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("h2")).to_have_text("新建项目")
    dialog.locator("input[name=name]").fill("客户门户")
    dialog.locator("input[name=owner]").fill("陈静")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator(".sched-project.selected")).to_contain_text("客户门户")
    projects = api(server, "GET", "/api/projects?q=" + quote("客户门户"))["items"]
    assert [p["owner"] for p in projects] == ["陈静"]
    project_id = projects[0]["id"]

    page.click("#sched-new-task")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("h2")).to_have_text("新建任务")
    dialog.locator("input[name=name]").fill("需求调研")
    dialog.locator("select[name=type_id]").select_option(label="测试排期")
    dialog.locator("input[name=start]").fill(day(1))
    dialog.locator("input[name=end]").fill(day(5))
    dialog.locator("input[name=assignee]").fill("赵敏")
    # A missing name is caught before anything is sent.
    dialog.locator("input[name=name]").fill("")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator('[data-field="name"] .sched-field-error')).to_have_text("必填")
    dialog.locator("input[name=name]").fill("需求调研")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("dialog[open]")).to_have_count(0)

    tasks = api(server, "GET", f"/api/tasks?project_id={project_id}")["items"]
    assert [(t["name"], t["start"], t["end"], t["type_id"], t["assignee"]) for t in tasks] == [
        ("需求调研", day(1), day(5), "3", "赵敏")
    ]
    created = bar(page, tasks[0]["id"])
    expect(created).to_be_visible()
    expect(created).to_have_attribute("data-start", day(1))
    # Coloured by its type (测试排期 #faad14).
    assert created.locator(".bar").evaluate("e => getComputedStyle(e).fill") == "rgb(250, 173, 20)"
    no_unexpected_errors(page)


def test_drag_bar_saves_dates_and_reload_keeps_them(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    project, (first, second, launch) = seed(server)
    sign_in(page, server)
    expect(bar(page, first["id"])).to_be_visible()
    expect(page.locator(".lg-project-name")).to_have_text("官网改版")
    # Today line, shaded weekends, a dependency arrow and a milestone are drawn.
    expect(page.locator(".gantt-container .current-highlight")).to_have_count(1)
    assert page.locator(".holiday-highlight").count() > 0
    assert page.locator(".gantt g.arrow path").count() == 2
    expect(bar(page, launch["id"])).to_have_class(re.compile(r"\blg-milestone\b"))

    drag_bar(page, second["id"], 3 * DAY_COLUMN_PX)

    def moved() -> dict | None:
        rec = api(server, "GET", f"/api/tasks/{second['id']}")
        return rec if rec["rev"] != second["rev"] else None

    rec = wait_for(moved, "the dragged task to be saved")
    assert (rec["start"], rec["end"]) == (shift(second["start"], 3), shift(second["end"], 3))
    expect(page.locator(".sched-status")).to_have_attribute("data-state", "saved")
    # A drag is not a click: no edit dialog opened.
    expect(page.locator("dialog[open]")).to_have_count(0)
    page.screenshot(path=str(artifacts / "schedule-chart-zh.png"))

    page.reload()
    moved_bar = bar(page, second["id"])
    expect(moved_bar).to_have_attribute("data-start", rec["start"])
    expect(moved_bar).to_have_attribute("data-end", rec["end"])
    assert api(server, "GET", f"/api/tasks/{second['id']}")["start"] == rec["start"]

    # Another drag, then Ctrl+Z: the server is back at the dates kept above.
    drag_bar(page, second["id"], 2 * DAY_COLUMN_PX)
    wait_for(
        lambda: api(server, "GET", f"/api/tasks/{second['id']}")["start"] == shift(rec["start"], 2),
        "the second drag to be saved",
    )
    expect(page.locator("#sched-undo")).to_be_enabled()
    page.keyboard.press("Control+z")
    back = wait_for(
        lambda: (
            (r := api(server, "GET", f"/api/tasks/{second['id']}"))["start"] == rec["start"] and r
        ),
        "the undo to reach the server",
    )
    assert back["end"] == rec["end"]
    expect(moved_bar).to_have_attribute("data-start", rec["start"])
    no_unexpected_errors(page)


def test_click_edits_delete_key_deletes_and_ctrl_z_restores(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    # The first task runs from day -2 to the end of day 3: the middle of its bar
    # is today's midnight. The page's clock stands at 23:30, so the today line
    # lies over the middle of the bar, where the user clicks (before, a click
    # there between about 22:30 and midnight hit the line and opened nothing).
    page.clock.set_fixed_time(dt.datetime.combine(dt.date.today(), dt.time(23, 30)))
    project, (first, second, launch) = seed(server)
    sign_in(page, server)
    box = bar(page, first["id"]).locator(".bar").bounding_box()
    line = page.locator(".current-highlight").bounding_box()
    assert line and box["x"] < line["x"] <= box["x"] + box["width"] / 2 <= line["x"] + 8, (
        line,
        box,
    )
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("h2")).to_have_text("编辑任务")
    dialog.locator("input[name=progress]").fill("75")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert api(server, "GET", f"/api/tasks/{first['id']}")["progress"] == 75

    # Esc closes a dialog without saving.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("dialog[open]")).to_have_count(1)
    page.locator("dialog[open] input[name=name]").fill("不会保存")
    page.keyboard.press("Escape")
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert api(server, "GET", f"/api/tasks/{first['id']}")["name"] == "接口开发"

    # The clicked bar stays selected: Delete asks, then deletes on the server.
    page.keyboard.press("Delete")
    confirm = page.locator("dialog[open]")
    expect(confirm).to_contain_text("接口开发")
    confirm.get_by_role("button", name="删除").click()
    expect(bar(page, first["id"])).to_have_count(0)
    assert server.request("GET", f"/api/tasks/{first['id']}").status == 404
    # The server dropped the link from the task that depended on it.
    assert api(server, "GET", f"/api/tasks/{second['id']}")["depends_on"] == []

    page.keyboard.press("Control+z")
    expect(bar(page, first["id"])).to_have_count(1)
    assert api(server, "GET", f"/api/tasks/{first['id']}")["name"] == "接口开发"
    assert api(server, "GET", f"/api/tasks/{second['id']}")["depends_on"] == [first["id"]]
    no_unexpected_errors(page, allowed=("404",))


def test_refused_saves_are_shown_and_rolled_back(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    project, (first, second, launch) = seed(server)
    sign_in(page, server)
    expect(bar(page, first["id"])).to_be_visible()

    # Someone else moves the task meanwhile: this page's drag carries a stale
    # If-Match rev, the server answers 409, and the chart shows the server's dates.
    other = api(
        server,
        "PATCH",
        f"/api/tasks/{first['id']}",
        {"start": shift(first["start"], -1), "end": shift(first["end"], -1)},
    )
    drag_bar(page, first["id"], 2 * DAY_COLUMN_PX)
    expect(page.locator(".toast-error")).to_contain_text("其他人修改")
    expect(page.locator(".sched-status")).to_have_attribute("data-state", "error")
    expect(bar(page, first["id"])).to_have_attribute("data-start", other["start"])
    assert api(server, "GET", f"/api/tasks/{first['id']}")["start"] == other["start"]
    page.locator(".toast-close").first.click()

    # Someone else deletes a task: the drag is refused (404) and the bar goes away.
    api(server, "DELETE", f"/api/tasks/{second['id']}")
    drag_bar(page, second["id"], 2 * DAY_COLUMN_PX)
    expect(page.locator(".toast-error")).to_be_visible()
    expect(bar(page, second["id"])).to_have_count(0)
    expect(bar(page, launch["id"])).to_have_attribute("data-start", launch["start"])
    no_unexpected_errors(page, allowed=("404", "409"))


def test_exports_csv_xlsx_and_chart_png(page: Any, server: Server, artifacts: Path) -> None:
    from playwright.sync_api import expect

    seed(server)
    sign_in(page, server)
    expect(page.locator(".bar-wrapper[data-task-id]")).to_have_count(3)

    page.click(".sched-menu summary")
    with page.expect_download() as info:
        page.click("#sched-export-csv")
    csv = Path(info.value.path()).read_bytes()
    # issue 17, defect 4: the files are named in the user's language, all alike
    stamp = dt.date.today().isoformat()
    assert info.value.suggested_filename == f"项目排期-官网改版-{stamp}.csv"
    assert csv.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    lines = csv.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("项目,任务,上级任务,类型,开始日期,结束日期")
    assert any(line.startswith("官网改版,接口开发,,开发排期,") for line in lines)
    assert len(lines) == 4
    # The slack and the critical path computed by the server ride along.
    head = lines[0].split(",")
    assert "可延后（工作日）" in head and "关键路径" in head
    launch = next(line.split(",") for line in lines if ",正式上线," in line)
    assert launch[head.index("关键路径")] == "是" and launch[head.index("可延后（工作日）")] == "0"
    # and the length in working days, as the server counts it (a milestone has none)
    assert launch[head.index("工期（工作日）")] == "0"
    dev = next(line.split(",") for line in lines if ",接口开发," in line)
    start, end = (dt.date.fromisoformat(dev[head.index(h)]) for h in ("开始日期", "结束日期"))
    assert dev[head.index("工期（工作日）")] == str(NATIONAL.workdays(start, end))

    page.click(".sched-menu summary")
    with page.expect_download() as info:
        page.click("#sched-export-xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    assert info.value.suggested_filename == f"项目排期-官网改版-{stamp}.xlsx"
    sheet = load_workbook(BytesIO(Path(info.value.path()).read_bytes()), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["项目", "任务", "上级任务", "类型"]
    assert ["官网改版", "接口开发", None, "开发排期"] in [r[:4] for r in rows[1:]]
    # real date cells (Excel sorts and subtracts them), and the length in working days
    dev = next(r for r in rows[1:] if r[1] == "接口开发")
    start, end = dev[rows[0].index("开始日期")], dev[rows[0].index("结束日期")]
    assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime), (start, end)
    assert dev[rows[0].index("工期（工作日）")] == NATIONAL.workdays(start.date(), end.date())
    assert len(rows) == 4
    critical = rows[0].index("关键路径")
    assert [r[critical] for r in rows[1:] if r[1] == "正式上线"] == ["是"]

    page.click(".sched-menu summary")
    with page.expect_download() as info:
        page.click("#sched-export-png")
    png = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == f"项目排期-官网改版-{stamp}.png"
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (artifacts / "schedule-export.png").write_bytes(png)
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert width > 600 and height > 150, (width, height)
    no_unexpected_errors(page)


def test_switch_to_english(page: Any, server: Server, artifacts: Path) -> None:
    from playwright.sync_api import expect

    project, (first, second, launch) = seed(server)
    sign_in(page, server)
    expect(page.locator("#sched-new-task")).to_have_text("新建任务")
    expect(page.locator("button[data-zoom=week]")).to_have_text("周")
    # Every string is translated: a missing one would show its key.
    assert "schedule." not in page.inner_text("main")
    page.click("#lang-switch")
    expect(page.locator("#sched-new-task")).to_have_text("New task")
    expect(page.locator("button[data-zoom=day]")).to_have_text("Day")
    expect(page.locator("button[data-zoom=week]")).to_have_text("Week")
    expect(page.locator("button[data-zoom=month]")).to_have_text("Month")
    expect(page.locator(".sched-side h2")).to_have_text("Projects")
    expect(page.locator(".sched-menu summary")).to_have_text("Export")
    expect(page.locator(".lg-project-meta")).to_contain_text("tasks")
    # The chart is drawn again, with English month names in its header.
    expect(bar(page, first["id"])).to_be_visible()
    month = dt.date.today().strftime("%B")
    expect(page.locator(".gantt-container .upper-text").first).to_contain_text(" 20")
    assert page.locator(".gantt-container .upper-text", has_text=month).count() >= 1
    page.click("button[data-zoom=week]")
    expect(page.locator("button[data-zoom=week]")).to_have_attribute("aria-pressed", "true")
    page.click("button[data-zoom=day]")
    assert "schedule." not in page.inner_text("main")
    page.screenshot(path=str(artifacts / "schedule-chart-en.png"))
    no_unexpected_errors(page)
