"""Dependencies that schedule (issue 16, defect 3): a successor never starts
before its predecessor ends. Moving or lengthening a task moves its successors
later, down the chain, keeping their lengths in working days, in the same
transaction; the answer lists what moved. A manual task keeps its dates, and a
violation the user forced is shown. Real store in a temp dir.

Dates are in March 2026 (no holiday; weekends 7-8, 14-15), from Monday 2 March,
and, for the holidays, around the 2026 Spring Festival."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localapp.schedule import Schedule
from localapp.schedule.calendar import NATIONAL
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
    # 开发 is Thu 5 - Mon 9 March: 3 working days; 测试 Tue 10 - Wed 11: 2.
    answer = sched.update("tasks", a["id"], {"end": d(5)}, if_match=a["rev"])  # Sat 7
    moved = {m["id"]: (m["start"], m["end"]) for m in answer["moved"]}
    assert moved == {
        b["id"]: ("2026-03-09", "2026-03-11"),  # from the next working day, 3 working days
        c["id"]: ("2026-03-12", "2026-03-13"),
    }, "lengths in working days are kept"
    assert (sched.get("tasks", c["id"])["start"], sched.get("tasks", free["id"])["start"]) == (
        "2026-03-12",
        d(0),
    )
    # Making room moves nothing back, and moves nothing at all.
    again = sched.update("tasks", a["id"], {"end": d(1)})
    assert "moved" not in again
    assert sched.get("tasks", b["id"])["start"] == "2026-03-09"


def test_a_task_put_before_its_predecessor_ends_is_placed_after_it(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "前后"})["id"]
    a = add(sched, p, "前", 0, 4)  # Mon 2 - Fri 6
    b = add(sched, p, "后", 1, 2, depends_on=[a["id"]])
    after = ("2026-03-09", "2026-03-10")  # Monday, after the weekend
    assert (b["start"], b["end"]) == after, "created after its predecessor"
    b2 = sched.update("tasks", b["id"], {"start": d(2), "end": d(3)})
    assert (b2["start"], b2["end"]) == after, "dragged back before it: placed after"
    milestone = add(sched, p, "评审", 10, 10, milestone=True)
    c = add(sched, p, "发布", 3, 3, depends_on=[milestone["id"]])
    assert c["start"] == d(10), "a milestone's successor may start on its day"


def test_a_manual_task_keeps_its_dates_and_the_violation_is_shown(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "手动"})["id"]
    a = add(sched, p, "前", 0, 4)
    b = add(sched, p, "手动后", 1, 2, depends_on=[a["id"]], manual=True)
    assert (b["start"], b["manual"]) == (d(1), True)
    assert violations(b, lambda r: sched.get("tasks", r)) == [
        {"predecessor": a["id"], "earliest": "2026-03-09"}
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
        if t != old:
            assert NATIONAL.workdays(*days(t)) == max(1, NATIONAL.workdays(*days(old))), (
                "length in working days"
            )


def days(task: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(task["start"]), dt.date.fromisoformat(task["end"])


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
        "长二": (0, True),  # placed Mon 9 - Wed 11 (3 working days) after 长一
        "短": (5, False),  # could end on Wed 11 instead of Wed 4: 5 working days later
        "验收": (0, True),
    }
    assert end["start"] == d(10)


def test_a_chain_over_the_spring_festival_skips_the_holiday_and_counts_the_saturdays(
    sched: Schedule,
) -> None:
    """2026: 15-23 February off; Saturdays 14 and 28 February are worked (调休)."""
    p = sched.create("projects", {"name": "春节"})["id"]
    a = sched.create(
        "tasks", {"project_id": p, "name": "备货", "start": "2026-02-11", "end": "2026-02-12"}
    )
    b = sched.create(
        "tasks",
        {
            "project_id": p,
            "name": "发货",
            "start": "2026-02-02",
            "end": "2026-02-04",  # 3 working days
            "depends_on": [a["id"]],
        },
    )
    # After Thu 12: Fri 13, Sat 14 (worked), then the holiday, then Tue 24.
    assert (b["start"], b["end"]) == ("2026-02-13", "2026-02-24")
    c = sched.create(
        "tasks",
        {
            "project_id": p,
            "name": "对账",
            "start": "2026-02-02",
            "end": "2026-02-02",
            "depends_on": [b["id"]],
        },
    )
    assert c["start"] == "2026-02-25"


# -- link types and lags (issue 16) ---------------------------------------------------


@pytest.mark.parametrize(
    ("link", "want"),
    [
        # 开发 Mon 2 - Fri 6 March; 测试 is two working days long
        (None, ("2026-03-09", "2026-03-10")),  # finish-to-start: the Monday after
        ({"type": "FS", "lag": 2}, ("2026-03-11", "2026-03-12")),  # two days' wait
        ({"type": "FS", "lag": -1}, ("2026-03-06", "2026-03-09")),  # a day's lead, over Sat-Sun
        ({"type": "SS", "lag": 0}, ("2026-03-02", "2026-03-03")),  # starts with it
        ({"type": "SS", "lag": 3}, ("2026-03-05", "2026-03-06")),
        ({"type": "FF", "lag": 0}, ("2026-03-05", "2026-03-06")),  # ends with it
        ({"type": "FF", "lag": 1}, ("2026-03-06", "2026-03-09")),
    ],
)
def test_each_link_type_and_lag_places_the_successor(
    sched: Schedule, link: dict[str, Any] | None, want: tuple[str, str]
) -> None:
    p = sched.create("projects", {"name": "依赖方式"})["id"]
    a = add(sched, p, "开发", 0, 4)
    links = {a["id"]: link} if link else {}
    b = add(sched, p, "测试", -20, -19, depends_on=[a["id"]], links=links)
    assert (b["start"], b["end"]) == want
    assert b["links"] == ({a["id"]: link} if link and link != {"type": "FS", "lag": 0} else {})
    # moving 开发 a week later moves 测试 by the same rule, in one answer
    moved = sched.update("tasks", a["id"], {"start": d(7), "end": d(11)})["moved"]
    shifted = tuple((dt.date.fromisoformat(x) + dt.timedelta(days=7)).isoformat() for x in want)
    assert [(m["id"], m["start"], m["end"]) for m in moved] == [(b["id"], *shifted)]
    assert not violations(sched.get("tasks", b["id"]), lambda r: sched.get("tasks", r))


def test_slack_follows_the_link_types(sched: Schedule) -> None:
    """开发 (Mon-Fri) is followed by 文档 start-to-start +1 (Tue-Wed) and 上线 (the
    Monday after). The project ends with 上线, so 开发 and 上线 are critical, and
    文档 could end three working days later (Mon 9) without delaying it."""
    p = sched.create("projects", {"name": "关键路径"})["id"]
    dev = add(sched, p, "开发", 0, 4)
    doc = add(
        sched, p, "文档", 0, 1, depends_on=[dev["id"]], links={dev["id"]: {"type": "SS", "lag": 1}}
    )
    launch = add(sched, p, "上线", 7, 7, depends_on=[dev["id"]])
    assert (doc["start"], doc["end"]) == ("2026-03-03", "2026-03-04")
    listed = {t["name"]: t for t in sched.list_records("tasks", {"project_id": p})["items"]}
    assert listed["开发"]["slack"] == 0 and listed["上线"]["critical"]
    assert listed["文档"]["slack"] == 3  # Thu 5, Fri 6, Mon 9 and not listed["文档"]["critical"]
    assert launch["start"] == d(7)


@pytest.mark.parametrize(
    "links",
    [
        "SS",
        {"x": "SS"},
        {"t1": {"type": "SF"}},
        {"t1": {"type": "FS", "lag": 1000}},
        {"t1": {"type": "FS", "lag": 1.5}},
        {"t1": {"kind": "SS"}},
    ],
)
def test_a_bad_link_is_refused_with_the_field_named(sched: Schedule, links: Any) -> None:
    from localapp import errors

    p = sched.create("projects", {"name": "坏链接"})["id"]
    add(sched, p, "a", 0, 0, id="t1")
    with pytest.raises(errors.ValidationError) as exc:
        add(sched, p, "b", 1, 1, depends_on=["t1"], links=links)
    assert "links" in (exc.value.fields or {})


def test_link_details_go_with_the_link(sched: Schedule) -> None:
    p = sched.create("projects", {"name": "随链接"})["id"]
    a = add(sched, p, "a", 0, 0)
    b = add(sched, p, "b", 1, 1, depends_on=[a["id"]], links={a["id"]: {"type": "SS"}})
    assert b["links"] == {a["id"]: {"type": "SS", "lag": 0}}
    # dropping the link drops its details; a detail for a task not depended on is dropped
    c = sched.update("tasks", b["id"], {"depends_on": [], "links": b["links"]})
    assert c["links"] == {}
