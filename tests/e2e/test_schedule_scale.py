"""Thousands of tasks in one scroll view (issue 17, "scale without pages"): the chart
drew at most 150 rows and paged the rest ("第 1–150 行，共 2002 行"), so a 2,000-task
project was read in fourteen pages and links between pages could not be seen. All rows
are now in one scrollable view, grid and chart side by side, and only the rows near the
view are drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from polling import wait_for
from test_schedule_browser import DAY_COLUMN_PX, bar, day, drag_bar, shift, sign_in

pytestmark = pytest.mark.browser

N = 2000
ROW = 36  # ui/js/schedule/chart.js ROW_HEIGHT


def tid(i: int) -> str:
    return f"t{i:04d}"


# The chart's day columns: how many are drawn and where, as the user would see them.
COLUMNS_JS = """el => {
  const svg = el.querySelector('svg.gantt');
  const col = 34; // the day view's column width
  const left = el.scrollLeft, right = left + el.clientWidth;
  const mid = el.scrollTop + el.clientHeight / 2;
  const ticks = [...svg.querySelectorAll('path.tick')].map((t) => t.getBBox());
  const inView = ticks.filter((b) => b.x >= left && b.x <= right);
  const texts = [...el.querySelectorAll('.lower-text')].map((t) => parseFloat(t.style.left));
  const weekends = [...svg.querySelectorAll('rect.holiday-highlight')].map((r) => r.getBBox());
  return {
    total: Math.round(svg.getBBox().width / col),
    screen: Math.floor(el.clientWidth / col),
    ticks: ticks.length,
    texts: texts.length,
    tallest: Math.max(0, ...ticks.map((b) => b.height)),
    in_view: inView.length,
    covers_view: inView.length > 0 && inView.every((b) => b.y <= mid && b.y + b.height >= mid),
    texts_in_view: texts.filter((x) => x >= left && x <= right).length,
    weekends_in_view: weekends.filter((b) => b.x >= left && b.x <= right && b.y <= mid && b.y + b.height >= mid).length,
  };
}"""


def on_screen(page: Any, task_id: str) -> bool:
    """Whether the task's grid line lies inside the grid's visible body."""
    body = page.locator(".sgrid-body").bounding_box()
    line = page.locator(f'.sgrid-row[data-task-id="{task_id}"]')
    box = line.bounding_box() if line.count() else None
    return bool(
        body
        and box
        and body["y"] <= box["y"]
        and box["y"] + box["height"] <= body["y"] + body["height"] + 1
    )


def test_two_thousand_tasks_scroll_in_one_view_with_far_links(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    tasks = []
    for i in range(N):
        task = {
            "id": tid(i),
            "project_id": "p1",
            "name": f"工序{i:04d}",
            "type_id": str(1 + i % 6),
            "start": day(-60 + i // 10),
            "end": day(-58 + i // 10),
        }
        # finish-to-start links to a task three "days" earlier (about 1,450 of them)
        if i >= 30 and i % 4:
            task["depends_on"] = [tid(i - 30)]
        tasks.append(task)
    tasks[1500]["depends_on"] = [tid(100)]  # a link 1,400 rows long
    api(server, "POST", "/api/data", {"projects": [{"id": "p1", "name": "大项目"}], "tasks": tasks})
    sign_in(page, server)
    box = page.locator(".sched-chart .gantt-container")
    expect(bar(page, tid(0))).to_have_count(1)
    expect(page.locator(f'.sgrid-row[data-task-id="{tid(0)}"]')).to_be_visible()

    # one view: no row pager, a scroll height for every row, few rows drawn
    assert page.locator(".sched-rowpager").count() == 0
    assert box.evaluate("el => el.scrollHeight") >= (N + 2) * ROW
    drawn = page.locator(".bar-wrapper[data-task-id]").count()
    assert 20 <= drawn <= 300, drawn
    assert page.locator(".sgrid-row").count() <= 300
    # and few days: ticks and day texts for the columns near the view only (about a
    # screen's width each side), each tick over the rows drawn, not all 2,000
    columns = COLUMNS_JS
    first = box.evaluate(columns)
    assert first["ticks"] <= 3 * first["screen"] + 2 < first["total"], first
    assert first["texts"] == first["ticks"], first
    assert first["tallest"] <= 400 * ROW, first

    # the far link: at its dependent's row, the predecessor 1,400 rows up is drawn too
    box.evaluate(f"el => {{ el.scrollTop = {1495 * ROW}; }}")
    wait_for(lambda: on_screen(page, tid(1500)), "the line of task 1500 to be in view")
    expect(bar(page, tid(1500))).to_have_count(1)
    expect(bar(page, tid(100))).to_have_count(1)
    expect(bar(page, tid(0))).to_have_count(0)  # far from the view: removed
    assert page.locator(".gantt g.arrow path").count() > 10
    # grid line and bar of a row are level
    line = page.locator(f'.sgrid-row[data-task-id="{tid(1500)}"]').bounding_box()
    rect = bar(page, tid(1500)).locator(".bar").bounding_box()
    assert line and rect
    assert abs((line["y"] + line["height"] / 2) - (rect["y"] + rect["height"] / 2)) < ROW / 2

    # a drag there saves, like anywhere else
    before = api(server, "GET", f"/api/tasks/{tid(1500)}")
    drag_bar(page, tid(1500), 2 * DAY_COLUMN_PX)
    moved = wait_for(
        lambda: (r := api(server, "GET", f"/api/tasks/{tid(1500)}"))["rev"] != before["rev"] and r,
        "the dragged task to be saved",
    )
    assert moved["start"] == shift(before["start"], 2)
    expect(bar(page, tid(1500))).to_have_attribute("data-start", moved["start"])
    page.screenshot(path=str(artifacts / "schedule-2000-middle-zh.png"))

    # the picture holds 150 rows from the first one on screen, not a 72,000 px
    # strip of mostly empty rows (the whole plan is the PDF, paged by time)
    page.click(".sched-menu summary")
    with page.expect_download() as info:
        page.click("#sched-export-png")
    png = Path(info.value.path()).read_bytes()
    (artifacts / "schedule-2000-export.png").write_bytes(png)
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # our own picture, wide as the plan's 200 days
    with Image.open(info.value.path()) as picture:
        width, height = picture.size
        scale = width / box.evaluate(
            "el => el.querySelector('svg.gantt').getAttribute('width') * 1 || el.scrollWidth"
        )
        assert 150 * ROW * scale <= height <= 190 * ROW * scale, (width, height, scale)
        # the bottom rows hold bars (coloured pixels), not an empty grid
        bottom = picture.convert("RGB").crop((0, int(height * 0.9), width, height))
        assert any(max(c) - min(c) > 80 for _, c in bottom.getcolors(1 << 20) or []), "no bars"

    # the end: the last task's line and bar, without paging
    box.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = page.locator(f'.sgrid-row[data-task-id="{tid(N - 1)}"]')
    expect(last).to_be_visible()
    expect(last).to_contain_text(f"工序{N - 1:04d}")
    wait_for(lambda: on_screen(page, tid(N - 1)), "the last line to be in view")
    expect(bar(page, tid(N - 1))).to_have_count(1)
    assert page.locator(".bar-wrapper[data-task-id]").count() <= 300
    page.screenshot(path=str(artifacts / "schedule-2000-end-zh.png"))
    # the days at the end of the plan, scrolled to sideways: their ticks, texts and
    # shaded weekends are there, over the rows in view
    box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    wait_for(
        lambda: box.evaluate(columns)["in_view"] >= box.evaluate(columns)["screen"] - 1,
        "the last days' columns",
    )
    end = box.evaluate(columns)
    assert end["ticks"] <= 3 * end["screen"] + 2 and end["weekends_in_view"] > 0, end
    assert end["texts_in_view"] >= end["screen"] - 1 and end["covers_view"], end
    page.screenshot(path=str(artifacts / "schedule-2000-end-right-zh.png"))
    # in English, the same view, still at the end
    page.click("#lang-switch")
    expect(page.locator(".sgrid-th").nth(1)).to_contain_text("Task")
    wait_for(lambda: on_screen(page, tid(N - 1)), "the last line to stay in view")
    page.screenshot(path=str(artifacts / "schedule-2000-end-en.png"))
    no_unexpected_errors(page)
