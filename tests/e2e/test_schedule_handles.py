"""The ends of a bar can be dragged whatever its progress (issue 16, defect 1).

The progress dot used to sit in the middle of the bar's progress end: at 0 %
over the start handle, at 100 % over the end handle, and drawn above them. So
a new task (0 %) could not have its start dragged, nor a finished one its end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors
from conftest import Server
from polling import wait_for
from test_schedule_browser import DAY_COLUMN_PX, bar, day, shift, sign_in

pytestmark = pytest.mark.browser


def drag_handle(page: Any, task_id: str, side: str, dx: float) -> None:
    wrapper = bar(page, task_id)
    body = wrapper.locator(".bar").bounding_box()
    assert body, "the bar is not on screen"
    page.mouse.move(body["x"] + body["width"] / 2, body["y"] + body["height"] / 2)  # hover
    box = wrapper.locator(f".handle.{side}").bounding_box()
    assert box, f"the {side} handle is not on screen"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + dx * i / 8, y)
    page.mouse.up()


@pytest.mark.parametrize(("progress", "side"), [(0, "left"), (100, "right")])
def test_the_end_under_the_progress_dot_can_be_dragged(
    page: Any, server: Server, artifacts: Path, progress: int, side: str
) -> None:
    project = api(server, "POST", "/api/projects", {"name": "手柄"})
    task = api(
        server,
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "新任务",
            "type_id": "1",
            "start": day(1),
            "end": day(6),
            "progress": progress,
        },
    )
    sign_in(page, server)
    bar(page, task["id"]).wait_for()
    box = bar(page, task["id"]).locator(".bar").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(400)  # the handles fade in
    page.screenshot(
        path=str(artifacts / f"schedule-handles-{progress}.png"),
        clip={"x": box["x"] - 40, "y": box["y"] - 30, "width": box["width"] + 80, "height": 80},
    )
    days = -2 if side == "left" else 2
    drag_handle(page, task["id"], side, days * DAY_COLUMN_PX)

    def saved() -> dict | None:
        rec = api(server, "GET", f"/api/tasks/{task['id']}")
        return rec if rec["rev"] != task["rev"] else None

    rec = wait_for(saved, f"the {side} end drag to be saved")
    if side == "left":
        assert (rec["start"], rec["end"]) == (shift(task["start"], -2), task["end"])
    else:
        assert (rec["start"], rec["end"]) == (task["start"], shift(task["end"], 2))
    assert rec["progress"] == progress, "the drag moved an end, not the progress"
    no_unexpected_errors(page)
