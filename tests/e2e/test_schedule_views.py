"""The chart's views and its picture (issue 17, defects 1-3): the PNG's title sat in
the month header row; the week view's today pill cut off a week across two
months (11月30日–12月6日); the month view stopped well short of the right edge,
and the today line ran over a project's "完成 20%"."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from browser import no_unexpected_errors
from conftest import Server
from test_schedule_browser import bar, seed, sign_in

pytestmark = pytest.mark.browser


def ink_runs(png: bytes) -> tuple[int, list[tuple[int, int, int, int]]]:
    """(width, [(top, bottom, left, right)] of the runs of rows holding dark pixels)."""
    from PIL import Image

    img = Image.open(BytesIO(png)).convert("L")
    width, height = img.size
    px = img.load()
    runs: list[tuple[int, int, int, int]] = []
    current: list[int] | None = None
    for y in range(height):
        xs = [x for x in range(0, width, 2) if px[x, y] < 140]
        if xs and current is None:
            current = [y, y, min(xs), max(xs)]
        elif xs and current is not None:
            current[1], current[2], current[3] = y, min(current[2], *xs), max(current[3], *xs)
        elif current is not None:
            runs.append((current[0], current[1], current[2], current[3]))
            current = None
    return width, runs


def test_the_week_pill_the_month_view_and_the_picture(
    page: Any, server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _project, (first, _second, _launch) = seed(server)
    page.clock.set_fixed_time("2026-12-03T10:00:00")  # a week across November and December
    sign_in(page, server)
    expect(bar(page, first["id"])).to_be_visible()  # the chart is drawn (the export needs it)
    # defect 1: the picture's title and legend have their own band above the dates
    page.click(".sched-menu summary")
    with page.expect_download() as info:
        page.click("#sched-export-png")
    png = Path(info.value.path()).read_bytes()
    (artifacts / "schedule-export-title.png").write_bytes(png)
    width, runs = ink_runs(png)
    title = runs[0]
    assert title[3] < width * 0.5, ("the title is on its own line at the left", runs[:4])
    assert len(runs) >= 4 and title[1] < runs[2][0], runs[:4]  # title, legend, then the dates

    # defect 2: today's week pill shows its whole label
    page.click("button[data-zoom=week]")
    pill = page.locator(".lower-text.current-date-highlight")
    expect(pill).to_have_text("11月30日–12月6日")
    clipped = pill.evaluate("el => el.scrollWidth > el.clientWidth + 1")
    assert not clipped, "the week label is cut off"
    page.screenshot(path=str(artifacts / "schedule-week-zh.png"))

    # defect 3: the month view fills the chart's width, and today's line runs under
    # the project's name and progress, not over them
    page.click("button[data-zoom=month]")
    expect(page.locator(".lower-text.current-date-highlight")).to_have_text("12月")
    box = page.locator(".sched-chart .gantt-container")
    svg_width = box.evaluate("el => el.querySelector('svg.gantt').getBoundingClientRect().width")
    assert svg_width >= box.evaluate("el => el.clientWidth"), "the month view stops short"
    assert page.locator(".lg-today-line").count() == 1
    assert box.locator(".current-highlight").evaluate("el => getComputedStyle(el).visibility") == (
        "hidden"
    )
    label = page.locator(".lg-project-label").first
    assert label.evaluate("el => getComputedStyle(el).paintOrder").startswith("stroke")
    page.screenshot(path=str(artifacts / "schedule-month-zh.png"))
    no_unexpected_errors(page)
