"""Summary tasks (issue 17): a task that others name as `parent` takes their dates
and their progress, weighted by working days, whenever one of them is written,
in the same transaction; a summary of summaries rolls up its whole subtree.
A parent must be a live task of the same project, not a milestone, and never
below the task itself. Deleting a summary task moves its subtasks up a level.
Real store in a temp dir; dates in March 2026 (weekends 7-8, 14-15)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localapp import errors
from localapp.schedule import Schedule
from localapp.store import Store

D0 = dt.date(2026, 3, 2)  # a Monday


def d(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def sched(tmp_path: Path) -> Iterator[Schedule]:
    with Store.open(tmp_path / "data") as store:
        yield Schedule.open(store)


def add(sched: Schedule, pid: str, name: str, start: int, end: int, **more: Any) -> dict:
    body = {"project_id": pid, "name": name, "start": d(start), "end": d(end), **more}
    return sched.create("tasks", body)


def dates(sched: Schedule, rid: str) -> tuple[str, str, int]:
    t = sched.get("tasks", rid)
    return t["start"], t["end"], t["progress"]


def test_a_summary_task_rolls_up_its_subtasks_level_by_level(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "官网改版"})["id"]
    phase = add(sched, p, "一期", 20, 20)
    design = add(sched, p, "设计", 0, 1, parent=phase["id"])
    assert dates(sched, phase["id"]) == (d(0), d(1), 0), "dates are the subtask's"
    build = add(sched, p, "开发", 0, 0, parent=phase["id"])
    front = add(sched, p, "前端", 2, 4, parent=build["id"], progress=50)  # 3 working days
    back = add(sched, p, "后端", 9, 9, parent=build["id"], progress=100)  # 1 working day
    assert dates(sched, build["id"]) == (d(2), d(9), 62), "weighted by working days: 250/4"
    assert dates(sched, phase["id"])[:2] == (d(0), d(9))
    # progress of the subtree: 设计 2 days at 0, 开发 (a summary) counts as its span, 6 days
    answer = sched.update("tasks", design["id"], {"progress": 100})
    assert {t["id"] for t in answer.get("moved", [])} == {phase["id"]}
    # moving a subtask moves its summaries, and the answer names them
    answer = sched.update("tasks", back["id"], {"start": d(15), "end": d(16)})
    moved = {t["id"]: (t["start"], t["end"]) for t in answer["moved"]}
    assert moved == {build["id"]: (d(2), d(16)), phase["id"]: (d(0), d(16))}
    # a summary's own dates follow its subtasks whatever is sent
    kept = sched.update("tasks", build["id"], {"start": d(30), "end": d(31), "name": "研发"})
    assert (kept["start"], kept["end"], kept["name"]) == (d(2), d(16), "研发")
    # a subtask that leaves takes its dates with it; the old summary rolls up without it
    sched.update("tasks", front["id"], {"parent": phase["id"]})
    assert dates(sched, build["id"])[:2] == (d(15), d(16))
    assert dates(sched, phase["id"])[:2] == (d(0), d(16))


def test_a_parent_must_be_a_task_of_the_project_never_below_the_task(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "甲"})["id"]
    q = sched.create("projects", {"name": "乙"})["id"]
    top = add(sched, p, "总", 0, 1)
    mid = add(sched, p, "中", 0, 1, parent=top["id"])
    low = add(sched, p, "下", 0, 1, parent=mid["id"])
    other = add(sched, q, "别处", 0, 1)
    gate = add(sched, p, "评审", 3, 3, milestone=True)

    def refused(rid: str, parent: str) -> str:
        with pytest.raises(errors.ValidationError) as exc:
            sched.update("tasks", rid, {"parent": parent})
        return exc.value.fields["parent"]

    assert refused(top["id"], top["id"]) == "a task cannot be its own parent"
    assert refused(top["id"], low["id"]).startswith("would make a loop: 总")
    assert refused(top["id"], other["id"]) == "must be a task of the same project"
    assert refused(top["id"], gate["id"]) == "a milestone cannot hold subtasks"
    assert refused(top["id"], "nope") == "no such task: nope"
    with pytest.raises(errors.ValidationError):
        add(sched, q, "新", 0, 1, parent=top["id"])


def test_deleting_a_summary_task_moves_its_subtasks_up(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "丙"})["id"]
    top = add(sched, p, "总", 0, 0)
    mid = add(sched, p, "中", 0, 0, parent=top["id"])
    a = add(sched, p, "甲", 0, 1, parent=mid["id"])
    b = add(sched, p, "乙", 8, 9, parent=mid["id"])
    assert dates(sched, top["id"])[:2] == (d(0), d(9))
    gone = sched.delete("tasks", mid["id"])
    assert set(gone["updated"]["tasks"]) == {a["id"], b["id"]}
    assert [sched.get("tasks", r)["parent"] for r in (a["id"], b["id"])] == [top["id"]] * 2
    sched.delete("tasks", b["id"])
    assert dates(sched, top["id"])[:2] == (d(0), d(1)), "rolled up without the deleted one"
