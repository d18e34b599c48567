"""Link types and lags (issue 16): in the task dialog a predecessor's link is set
to start-to-start with a day's lag; dragging the predecessor then moves the
successor by that rule (not finish-to-start), and one Ctrl+Z puts both back."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from openpyxl import load_workbook
from polling import wait_for
from test_schedule_autoschedule import dates
from test_schedule_browser import DAY_COLUMN_PX, bar, drag_bar, seed, shift, sign_in

from localapp.schedule.calendar import NATIONAL

pytestmark = pytest.mark.browser


def test_a_start_to_start_link_with_lag_moves_the_successor_and_undoes_in_one_step(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _project, (first, second, _launch) = seed(server, "依赖方式")
    sign_in(page, server)
    box = bar(page, second["id"]).locator(".bar").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    dialog = page.locator("dialog[open]")
    link = dialog.locator(f'.sched-link[data-pred="{first["id"]}"]')
    expect(link).to_contain_text("接口开发")
    expect(link.locator("select")).to_have_value("FS")
    link.locator("select").select_option("SS")
    link.locator("input[type=number]").fill("1")
    dialog.screenshot(path=str(artifacts / "schedule-link-dialog-zh.png"))
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    saved = api(server, "GET", f"/api/tasks/{second['id']}")
    assert saved["links"] == {first["id"]: {"type": "SS", "lag": 1}}
    # the chart draws it from start to start, named with its lag
    arrow = page.locator(
        f'.lg-link[data-type="SS"][data-from="{first["id"]}"][data-to="{second["id"]}"]'
    )
    expect(arrow).to_have_count(1)
    assert arrow.locator("title").text_content() == "同时开始 +1"
    before = {t["id"]: dates(server, t) for t in (first, second)}
    # both exports name the link beside the predecessor
    r = server.request("GET", "/api/tasks/export.xlsx")
    rows = list(load_workbook(BytesIO(r.body)).active.iter_rows(values_only=True))
    head = rows[0]
    row = next(x for x in rows if x[head.index("任务")] == "联调测试")
    assert row[head.index("前置任务")] == "接口开发（同时开始 +1）"
    page.click(".sched-menu summary")
    with page.expect_download() as info:
        page.click("#sched-export-csv")
    csv = Path(info.value.path()).read_text("utf-8-sig")
    assert ",接口开发（同时开始 +1）," in csv

    drag_bar(page, first["id"], 6 * DAY_COLUMN_PX)
    new_start = shift(first["start"], 6)
    wait_for(lambda: dates(server, first)[0] == new_start, "the drag to be saved")
    day = dt.date.fromisoformat
    bound = NATIONAL.add_workdays(NATIONAL.next_workday(day(new_start)), 1)
    assert bound > day(saved["start"]), "the drag must push 联调测试 for the test to mean anything"
    length = max(1, NATIONAL.workdays(day(saved["start"]), day(saved["end"])))
    want = (bound.isoformat(), NATIONAL.add_workdays(bound, length - 1).isoformat())
    wait_for(lambda: dates(server, second) == want, "联调测试 to start a working day after")
    # finish-to-start would have put it after 接口开发's end, far later
    assert want[0] < NATIONAL.next_workday(day(dates(server, first)[1])).isoformat()
    expect(bar(page, second["id"])).to_have_attribute("data-start", want[0])
    expect(page.locator(".sched-status")).to_contain_text("联调测试")
    page.screenshot(path=str(artifacts / "schedule-link-ss-zh.png"))

    page.keyboard.press("Control+z")
    wait_for(
        lambda: all(dates(server, t) == before[t["id"]] for t in (first, second)),
        "one undo to put both tasks back",
    )
    expect(bar(page, second["id"])).to_have_attribute("data-start", before[second["id"]][0])
    # in English, the same dialog
    page.click("#lang-switch")
    expect(page.locator("#sched-teamdays")).to_have_text("Team calendar")
    expect(bar(page, second["id"]).locator(".bar")).to_be_visible()
    box = bar(page, second["id"]).locator(".bar").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    dialog = page.locator("dialog[open]")
    link = dialog.locator(f'.sched-link[data-pred="{first["id"]}"]')
    expect(link.locator("select option:checked")).to_have_text("Start to start")
    expect(link.locator("input[type=number]")).to_have_value("1")
    dialog.screenshot(path=str(artifacts / "schedule-link-dialog-en.png"))
    dialog.get_by_role("button", name="Cancel").click()
    no_unexpected_errors(page)
