"""Dependencies that schedule (issue 16, defect 3): a successor never starts
before its predecessor ends. Moving or lengthening a task moves its successors
later, down the chain, keeping their lengths, in the same transaction; the
answer lists what moved. A manual task keeps its dates, and a violation the
user forced is shown. Real store in a temp dir."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localapp.schedule import Schedule
from localapp.schedule.scheduling import reschedule, violations
from localapp.store import Store

D0 = dt.date(2026, 3, 2)


def d(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def sched(tmp_path: Path) -> Iterator[Schedule]:
    with Store.open(tmp_path / "data") as store:
        yield Schedule.open(store)


def add(sched: Schedule, pid: str, name: str, start: int, end: int, **more: Any) -> dict:
    body = {"project_id": pid, "name": name, "start": d(start), "end": d(end), **more}
    return sched.create("tasks", body)


def test_moving_a_predecessor_past_its_successors_moves_the_chain(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "链"})["id"]
    a = add(sched, p, "设计", 0, 2)
    b = add(sched, p, "开发", 3, 7, depends_on=[a["id"]])
    c = add(sched, p, "测试", 8, 9, depends_on=[b["id"]])
    free = add(sched, p, "无关", 0, 1)
    answer = sched.update("tasks", a["id"], {"end": d(5)}, if_match=a["rev"])
    moved = {m["id"]: (m["start"], m["end"]) for m in answer["moved"]}
    assert moved == {b["id"]: (d(6), d(10)), c["id"]: (d(11), d(12))}, "lengths are kept"
    assert (sched.get("tasks", c["id"])["start"], sched.get("tasks", free["id"])["start"]) == (
        d(11),
        d(0),
    )
    # Making room moves nothing back, and moves nothing at all.
    again = sched.update("tasks", a["id"], {"end": d(1)})
    assert "moved" not in again
    assert sched.get("tasks", b["id"])["start"] == d(6)


def test_a_task_put_before_its_predecessor_ends_is_placed_after_it(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "前后"})["id"]
    a = add(sched, p, "前", 0, 4)
    b = add(sched, p, "后", 1, 2, depends_on=[a["id"]])
    assert (b["start"], b["end"]) == (d(5), d(6)), "created after its predecessor"
    b2 = sched.update("tasks", b["id"], {"start": d(2), "end": d(3)})
    assert (b2["start"], b2["end"]) == (d(5), d(6)), "dragged back before it: placed after"
    milestone = add(sched, p, "评审", 10, 10, milestone=True)
    c = add(sched, p, "发布", 3, 3, depends_on=[milestone["id"]])
    assert c["start"] == d(10), "a milestone's successor may start on its day"


def test_a_manual_task_keeps_its_dates_and_the_violation_is_shown(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "手动"})["id"]
    a = add(sched, p, "前", 0, 4)
    b = add(sched, p, "手动后", 1, 2, depends_on=[a["id"]], manual=True)
    assert (b["start"], b["manual"]) == (d(1), True)
    assert violations(b, lambda r: sched.get("tasks", r)) == [
        {"predecessor": a["id"], "earliest": d(5)}
    ]
    answer = sched.update("tasks", a["id"], {"end": d(8)})
    assert "moved" not in answer and sched.get("tasks", b["id"])["start"] == d(1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 5), st.sets(st.integers(0, 19), max_size=3)),
        min_size=1,
        max_size=20,
    ),
    st.integers(0, 19),
    st.integers(-5, 10),
)
def test_after_any_move_no_automatic_task_starts_before_a_predecessor_ends(
    spec: list[tuple[int, int, set[int]]], which: int, shift: int
) -> None:
    """Random graphs (links only to earlier tasks: no cycles), one task moved."""
    tasks: dict[str, dict[str, Any]] = {}
    for i, (start, length, preds) in enumerate(spec):
        deps = [f"t{j}" for j in preds if j < i]
        tasks[f"t{i}"] = {"start": d(start), "end": d(start + length), "depends_on": deps}
    # Start from a valid plan: place everything once, in order.
    for rid, new in reschedule(list(tasks), tasks.get, _successors(tasks)).items():
        tasks[rid].update(start=new[0], end=new[1])
    target = f"t{which % len(tasks)}"
    moved = dt.date.fromisoformat(tasks[target]["start"]) + dt.timedelta(days=shift)
    length = dt.date.fromisoformat(tasks[target]["end"]) - dt.date.fromisoformat(
        tasks[target]["start"]
    )
    tasks[target].update(start=moved.isoformat(), end=(moved + length).isoformat())
    before = {r: dict(t) for r, t in tasks.items()}
    for rid, new in reschedule([target], tasks.get, _successors(tasks)).items():
        tasks[rid].update(start=new[0], end=new[1])
    for rid, t in tasks.items():
        assert violations(t, tasks.get) == [], (rid, t)
        old = before[rid]
        assert t["start"] >= old["start"], "nothing moves earlier"
        span = dt.date.fromisoformat(t["end"]) - dt.date.fromisoformat(t["start"])
        assert span == dt.date.fromisoformat(old["end"]) - dt.date.fromisoformat(old["start"])


def _successors(tasks: dict[str, dict[str, Any]]) -> Any:
    succ: dict[str, list[str]] = {}
    for rid, t in tasks.items():
        for p in t["depends_on"]:
            succ.setdefault(p, []).append(rid)
    return lambda r: succ.get(r, [])


def test_slack_and_the_critical_path_come_with_the_task_list(sched: Schedule) -> None:
    """Two chains to one end: the longer is critical (no slack); the shorter may
    end later by the difference."""
    p = sched.create("projects", {"name": "关键路径"})["id"]
    a = add(sched, p, "长一", 0, 4)
    b = add(sched, p, "长二", 5, 9, depends_on=[a["id"]])
    c = add(sched, p, "短", 0, 2)
    end = add(sched, p, "验收", 10, 10, milestone=True, depends_on=[b["id"], c["id"]])
    items = {t["name"]: t for t in sched.list_records("tasks", {"project_id": p})["items"]}
    assert {n: (t["slack"], t["critical"]) for n, t in items.items()} == {
        "长一": (0, True),
        "长二": (0, True),
        "短": (7, False),  # could end on day 9 instead of day 2
        "验收": (0, True),
    }
    assert end["start"] == d(10)
