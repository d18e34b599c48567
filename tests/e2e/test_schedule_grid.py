"""The task grid beside the chart, with summary tasks (issue 17): a user builds a
project in the grid alone (names typed on the empty line, tasks indented under
a summary task with Alt+Shift+→), edits cells with the keyboard, and sees the
summary task take its subtasks' dates in the grid, in the chart and on the
server; a summary bar cannot be dragged; columns sort; summaries collapse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from polling import wait_for
from test_schedule_browser import day, sign_in

pytestmark = pytest.mark.browser


def row(page: Any, name: str) -> Any:
    return page.locator(".sgrid-row", has=page.locator(".sgrid-name", has_text=name))


def cell(page: Any, name: str, key: str) -> Any:
    return row(page, name).locator(f'[data-key="{key}"]')


def indent_of(page: Any, name: str) -> float:
    """How far a row's name is indented, in CSS pixels (the grid redraws after
    each save: read the row as it is now)."""
    try:
        style = cell(page, name, "name").evaluate("e => e.style.paddingLeft", timeout=2000)
    except Exception:  # the row was redrawn as it was read: read it again
        return -1.0
    return float(style.removesuffix("px"))


def tasks_by_name(server: Server, project_id: str) -> dict[str, dict]:
    items = api(server, "GET", f"/api/tasks?project_id={project_id}&per_page=500")["items"]
    return {t["name"]: t for t in items}


def test_build_a_project_with_summary_tasks_in_the_grid(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    project = api(server, "POST", "/api/projects", {"name": "门店上线", "owner": "王伟"})
    sign_in(page, server)
    new = page.locator(".sgrid-new")
    expect(new).to_be_visible()
    for name in ("筹备", "选址", "装修", "开业"):
        new.fill(name)
        new.press("Enter")
        expect(row(page, name)).to_have_count(1)
    # 选址 and 装修 go under 筹备 (Alt+Shift+→ on each)
    for name in ("选址", "装修"):
        cell(page, name, "name").click()
        page.keyboard.press("Alt+Shift+ArrowRight")
        wait_for(
            lambda n=name: tasks_by_name(server, project["id"])[n].get("parent"),
            f"{name} to be a subtask",
        )
    tasks = tasks_by_name(server, project["id"])
    assert tasks["选址"]["parent"] == tasks["筹备"]["id"] == tasks["装修"]["parent"]
    expect(row(page, "筹备")).to_have_class("sgrid-row sgrid-summary")
    wait_for(lambda: indent_of(page, "选址") == indent_of(page, "筹备") + 16, "选址 indented")
    # dates typed in the grid (Enter, the date, Enter); the summary follows
    # (a new start keeps the length in working days: the end moves with it)
    start, end = day(3), day(9)
    for key, value in (("start", start), ("end", end)):
        cell(page, "装修", key).click()
        page.keyboard.press("Enter")
        page.locator(".sgrid-input").fill(value)
        page.keyboard.press("Enter")
        expect(cell(page, "装修", key)).to_have_text(value)
        if key == "start":
            expect(cell(page, "装修", "end")).not_to_have_text(day(0))
    expect(cell(page, "筹备", "end")).to_have_text(end)
    assert tasks_by_name(server, project["id"])["筹备"]["end"] == end
    summary_bar = page.locator(f'.bar-wrapper.lg-summary[data-task-id="{tasks["筹备"]["id"]}"]')
    expect(summary_bar).to_have_attribute("data-end", end)
    # the assignee, typed after Enter (an input method needs a field to type into)
    cell(page, "选址", "assignee").click()
    page.keyboard.press("Enter")
    page.keyboard.insert_text("李娜")
    page.keyboard.press("Tab")  # saves and moves right, to the start date
    expect(cell(page, "选址", "assignee")).to_have_text("李娜")
    expect(page.locator(".sgrid-active")).to_have_attribute("data-key", "start")
    # a summary's dates are its subtasks': not edited, and its bar is not dragged
    cell(page, "筹备", "end").dblclick()
    expect(page.locator(".sgrid-input")).to_have_count(0)
    expect(page.locator(".sched-status")).to_have_text("汇总任务的日期和进度由其子任务决定")
    box = summary_bar.locator(".bar").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + 10, steps=6)
    page.mouse.up()
    expect(summary_bar).to_have_attribute("data-end", end)
    assert tasks_by_name(server, project["id"])["筹备"]["end"] == end
    page.screenshot(path=str(artifacts / "schedule-grid-zh.png"))
    # collapse, then sort by name: subtasks stay under their summary
    row(page, "筹备").locator(".sgrid-toggle").click()
    expect(row(page, "选址")).to_have_count(0)
    row(page, "筹备").locator(".sgrid-toggle").click()
    page.click('.sgrid-th[data-key="name"]')
    expect(page.locator('.sgrid-th[data-key="name"]')).to_have_attribute("aria-sort", "ascending")
    names = page.locator(".sgrid-name").all_inner_texts()
    assert names.index("装修") == names.index("筹备") + 2, names
    # outdent: 装修 back to the top level, and the summary shrinks to 选址
    cell(page, "装修", "name").click()
    page.keyboard.press("Alt+Shift+ArrowLeft")
    wait_for(
        lambda: not tasks_by_name(server, project["id"])["装修"].get("parent"),
        "装修 to leave the summary",
    )
    after = tasks_by_name(server, project["id"])
    assert after["筹备"]["end"] == after["选址"]["end"]
    no_unexpected_errors(page)

    page.click("text=English")
    page.wait_for_selector(".sgrid-head")
    expect(page.locator('.sgrid-th[data-key="workdays"]')).to_contain_text("Days")
    page.screenshot(path=str(artifacts / "schedule-grid-en.png"))


def test_import_an_ms_project_file_and_export_it_again(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    """A file from another tool (MPXJ's sample: summary tasks, links, people)
    opens as a new project in the grid and chart; the export menu writes it back."""
    from playwright.sync_api import expect

    from localapp.schedule import mspdi

    fixture = Path(__file__).resolve().parent.parent / "data" / "mspdi" / "mpxj-sample1.xml"
    api(server, "POST", "/api/projects", {"name": "已有项目"})
    sign_in(page, server)
    expect(page.locator(".sgrid-project")).to_have_text("已有项目")
    page.set_input_files(".sched-mspdi-file", str(fixture))
    expect(page.locator(".sched-status")).to_contain_text("已导入「MPXJ Sample」：22 项任务")
    expect(page.locator(".sched-status")).to_contain_text("按「完成后开始」导入")
    expect(page.locator(".sgrid-project")).to_have_text("MPXJ Sample")
    # an old plan (2003) is drawn over its own months, not every day up to today
    assert page.locator(".lower-text").count() < 200
    expect(row(page, "Resource Assignments")).to_have_class("sgrid-row sgrid-summary")
    expect(cell(page, "Assigned Task 1", "assignee")).to_have_text("First Resource")
    assert indent_of(page, "Assigned Task 1") == indent_of(page, "Task Relationships") + 32
    expect(cell(page, "Related Task 2b", "depends_on")).to_contain_text("FS+1")
    page.screenshot(path=str(artifacts / "schedule-mspdi-import-zh.png"))
    page.click(".sched-menu summary")
    with page.expect_download() as got:
        page.click("#sched-export-mspdi")
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    assert saved.name.startswith("项目排期-MPXJ Sample-") and saved.suffix == ".xml"
    back = mspdi.read(saved.read_bytes())
    assert len(back.tasks) == 22 and back.name == "MPXJ Sample"
    # a broken file: the reason is shown, nothing changes
    bad = tmp_path / "bad.xml"
    bad.write_text("<html>not a plan</html>")
    page.set_input_files(".sched-mspdi-file", str(bad))
    expect(page.locator(".sched-status")).to_contain_text("不是可导入的 MS Project XML 文件")
    assert api(server, "GET", "/api/projects")["total"] == 2
    no_unexpected_errors(page, allowed=("400",))
