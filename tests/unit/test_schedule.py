"""The schedule domain (localapp.schedule) against a real Store in a temp dir.

Rules are table-driven: each row is an input a user could send and the field
that must be named in the answer. Cross-process behaviour uses real child
processes on the same data directory.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localapp import errors
from localapp.schedule import (
    DEFAULT_TASK_TYPES,
    PROJECTS,
    REVISIONS_KEEP,
    TASKS,
    TYPES,
    Schedule,
    find_cycle,
)
from localapp.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sched(store: Store) -> Schedule:
    return Schedule.open(store)


def project(sched: Schedule, **fields: Any) -> dict[str, Any]:
    return sched.create(PROJECTS, {"name": "官网改版", **fields})


def task(sched: Schedule, project_id: str, **fields: Any) -> dict[str, Any]:
    data = {
        "project_id": project_id,
        "name": "接口开发",
        "start": "2025-03-03",
        "end": "2025-03-07",
        "type_id": "1",
        **fields,
    }
    return sched.create(TASKS, data)


def field_errors(exc: pytest.ExceptionInfo[errors.ValidationError]) -> dict[str, str]:
    return exc.value.fields


def run_child(data_dir: Path, code: str) -> str:
    """Run Python in another process on the same data dir; returns its stdout."""
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from localapp.store import Store
        from localapp.schedule import Schedule
        store = Store.open(Path(sys.argv[1]))
        sched = Schedule(store)
    """) + textwrap.dedent(code)
    out = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- default task types ----------------------------------------------------------


def test_first_start_creates_exactly_the_six_seed_task_types(sched: Schedule) -> None:
    items = sched.list_records(TYPES)["items"]
    assert [
        {k: t[k] for k in ("id", "name", "color", "enabled")} for t in items
    ] == DEFAULT_TASK_TYPES
    assert [t["name"] for t in items] == [
        "开发排期",
        "开发联调",
        "测试排期",
        "测试联调",
        "产品UAT",
        "上线",
    ]
    assert all(t["rev"] == 1 and t["created_at"].endswith("Z") for t in items)


def test_default_types_are_never_duplicated_nor_recreated(store: Store, tmp_path: Path) -> None:
    first = Schedule.open(store)
    Schedule.open(store).setup()
    assert first.list_records(TYPES)["total"] == 6
    # A user who deleted a default type does not get it back at the next start.
    first.delete(TYPES, "6")
    Schedule.open(store)
    assert [t["id"] for t in first.list_records(TYPES)["items"]] == ["1", "2", "3", "4", "5"]


def test_two_processes_starting_at_once_create_the_types_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from localapp.store import Store
        from localapp.schedule import Schedule
        Schedule.open(Store.open(Path(sys.argv[1])))
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    with Store.open(data_dir) as store:
        assert len(store.table(TYPES).all()) == 6
        assert Schedule.open(store).list_records(TYPES)["total"] == 6


# -- field validation (table-driven) ----------------------------------------------

BAD_FIELDS: list[tuple[str, dict[str, Any], str, str]] = [
    # kind, fields sent (merged into a valid record), field named, words in the reason
    (TASKS, {"end": "2025-03-01"}, "end", "on or after start"),
    (TASKS, {"progress": 101}, "progress", "0 to 100"),
    (TASKS, {"progress": -1}, "progress", "0 to 100"),
    (TASKS, {"progress": 50.5}, "progress", "whole number"),
    (TASKS, {"progress": "50"}, "progress", "whole number"),
    (TASKS, {"progress": True}, "progress", "whole number"),
    (TASKS, {"start": "2025-13-01"}, "start", "not a real date"),
    (TASKS, {"start": "2025/03/01"}, "start", "YYYY-MM-DD"),
    (TASKS, {"start": 20250301}, "start", "YYYY-MM-DD"),
    (TASKS, {"start": None}, "start", "required"),
    (TASKS, {"name": "  "}, "name", "required"),
    (TASKS, {"name": "x" * 201}, "name", "at most 200"),
    (TASKS, {"milestone": "yes"}, "milestone", "true or false"),
    (TASKS, {"depends_on": "abc"}, "depends_on", "list"),
    (TASKS, {"depends_on": [{"id": 1}]}, "depends_on", "text or a whole number"),
    (TASKS, {"project_id": None}, "project_id", "required"),
    (TASKS, {"assignee": 7}, "assignee", "text"),
    (TASKS, {"colour": "#ffffff"}, "colour", "unknown field"),
    (PROJECTS, {"name": ""}, "name", "required"),
    (PROJECTS, {"start": "2025-05-01", "end": "2025-04-30"}, "end", "on or after start"),
    (PROJECTS, {"end": "31.12.2025"}, "end", "YYYY-MM-DD"),
    (PROJECTS, {"status": "x" * 41}, "status", "at most 40"),
    (TYPES, {"color": "#12345"}, "color", "#rrggbb"),
    (TYPES, {"color": "red"}, "color", "#rrggbb"),
    (TYPES, {"color": "#GGGGGG"}, "color", "#rrggbb"),
    (TYPES, {"enabled": 1}, "enabled", "true or false"),
    (TYPES, {"name": None}, "name", "required"),
]


def valid(kind: str, project_id: str) -> dict[str, Any]:
    return {
        PROJECTS: {"name": "P"},
        TASKS: {"project_id": project_id, "name": "T", "start": "2025-03-03", "end": "2025-03-04"},
        TYPES: {"name": "评审", "color": "#336699"},
    }[kind]


@pytest.mark.parametrize(("kind", "sent", "field", "reason"), BAD_FIELDS)
def test_invalid_fields_are_refused_with_the_field_named(
    sched: Schedule, kind: str, sent: dict[str, Any], field: str, reason: str
) -> None:
    p = project(sched)
    with pytest.raises(errors.ValidationError) as exc:
        sched.create(kind, {**valid(kind, p["id"]), **sent})
    assert reason in field_errors(exc)[field]
    assert exc.value.status == 400
    # Nothing was written.
    assert sched.list_records(kind)["total"] == {PROJECTS: 1, TASKS: 0, TYPES: 6}[kind]


@pytest.mark.parametrize(("kind", "sent", "field", "reason"), BAD_FIELDS)
def test_invalid_fields_are_refused_on_update_too(
    sched: Schedule, kind: str, sent: dict[str, Any], field: str, reason: str
) -> None:
    p = project(sched)
    rec = sched.create(kind, valid(kind, p["id"]))
    with pytest.raises(errors.ValidationError) as exc:
        sched.update(kind, rec["id"], sent)
    assert reason in field_errors(exc)[field]
    assert sched.get(kind, rec["id"]) == rec


def test_patch_end_null_makes_a_one_day_task(sched: Schedule) -> None:
    p = project(sched)
    t = task(sched, p["id"])
    assert sched.update(TASKS, t["id"], {"start": "2025-03-04"})["end"] == "2025-03-07"
    assert sched.update(TASKS, t["id"], {"end": None})["end"] == "2025-03-04"
    with pytest.raises(errors.ValidationError) as exc:
        sched.create(TASKS, {"project_id": p["id"], "name": "T", "start": "03/04"})
    assert field_errors(exc) == {"start": "must be a date written YYYY-MM-DD"}


GOOD_FIELDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # kind, fields sent, what is stored
    (TASKS, {"end": None, "start": "2025-03-03"}, {"end": "2025-03-03"}),
    (TASKS, {"progress": 100.0}, {"progress": 100}),
    (TASKS, {"type_id": 3, "depends_on": []}, {"type_id": "3"}),
    (TASKS, {"type_id": None}, {"type_id": None}),
    (TASKS, {"milestone": True, "end": "2025-03-03"}, {"milestone": True}),
    (TASKS, {"name": "  联调  "}, {"name": "联调"}),
    (TYPES, {"color": "#ABCDEF"}, {"color": "#abcdef", "enabled": True}),
    (PROJECTS, {}, {"status": "active", "owner": "", "start": None, "end": None}),
]


@pytest.mark.parametrize(("kind", "sent", "stored"), GOOD_FIELDS)
def test_valid_values_are_normalised(
    sched: Schedule, kind: str, sent: dict[str, Any], stored: dict[str, Any]
) -> None:
    p = project(sched)
    rec = sched.create(kind, {**valid(kind, p["id"]), **sent})
    assert {k: rec[k] for k in stored} == stored
    assert sched.get(kind, rec["id"]) == rec


# -- rules between records ----------------------------------------------------------


def test_task_needs_a_live_project_and_type(sched: Schedule) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        sched.create(
            TASKS, {"project_id": "nope", "name": "T", "start": "2025-01-01", "type_id": "99"}
        )
    assert field_errors(exc) == {
        "project_id": "project nope does not exist",
        "type_id": "task type 99 does not exist",
    }
    p = project(sched)
    sched.delete(PROJECTS, p["id"])
    with pytest.raises(errors.ValidationError) as exc:
        task(sched, p["id"])
    assert "project_id" in field_errors(exc)


def test_dependencies_must_exist_and_not_be_the_task_itself(sched: Schedule) -> None:
    p = project(sched)
    with pytest.raises(errors.ValidationError) as exc:
        task(sched, p["id"], depends_on=["ghost"])
    assert field_errors(exc)["depends_on"] == "no such task: ghost"
    a = task(sched, p["id"], id="a")
    with pytest.raises(errors.ValidationError) as exc:
        sched.update(TASKS, a["id"], {"depends_on": ["a"]})
    assert "itself" in field_errors(exc)["depends_on"]


def test_a_cycle_anywhere_in_the_graph_is_refused(sched: Schedule) -> None:
    p = project(sched)
    q = project(sched, name="另一个项目")
    task(sched, p["id"], id="a", name="设计")
    task(sched, p["id"], id="b", name="开发", depends_on=["a"])
    task(sched, q["id"], id="c", name="测试", depends_on=["b"])  # across projects
    with pytest.raises(errors.ValidationError) as exc:
        sched.update(TASKS, "a", {"depends_on": ["c"]})
    assert field_errors(exc)["depends_on"] == (
        "would make a cycle: 设计 (a) → 测试 (c) → 开发 (b) → 设计 (a)"
    )
    assert sched.get(TASKS, "a")["depends_on"] == []
    # A diamond is not a cycle.
    task(sched, p["id"], id="d", depends_on=["b", "c"])
    assert sched.update(TASKS, "d", {"depends_on": ["a", "b", "c"]})["rev"] == 2


@pytest.mark.parametrize(
    ("graph", "has_cycle"),
    [
        ({}, False),
        ({"a": []}, False),
        ({"a": ["a"]}, True),
        ({"a": ["b"], "b": ["a"]}, True),
        ({"a": ["b"], "b": ["c"], "c": []}, False),
        ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, False),
        ({"a": ["b"], "b": ["c"], "c": ["d"], "d": ["b"]}, True),
        ({"x": [], "a": ["b"], "b": ["c"], "c": ["a"]}, True),
    ],
)
def test_find_cycle(graph: dict[str, list[str]], has_cycle: bool) -> None:
    cycle = find_cycle(graph)
    assert (cycle is not None) == has_cycle
    if cycle:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in zip(cycle, cycle[1:], strict=False))


# -- bookkeeping and revisions --------------------------------------------------------


def test_rev_and_timestamps_follow_every_change(sched: Schedule) -> None:
    p = project(sched)
    t = task(sched, p["id"])
    assert t["rev"] == 1 and t["created_at"] == t["updated_at"]
    t2 = sched.update(TASKS, t["id"], {"progress": 30})
    assert (t2["rev"], t2["progress"], t2["created_at"]) == (2, 30, t["created_at"])
    assert {k: t2[k] for k in ("start", "end", "name")} == {
        k: t[k] for k in ("start", "end", "name")
    }
    assert t2["updated_at"] >= t["updated_at"]
    # Sending the same values again is not a change.
    assert sched.update(TASKS, t["id"], {"progress": 30, "rev": 99, "created_at": "x"}) == t2


def test_a_stale_revision_is_refused_with_the_current_record(sched: Schedule) -> None:
    p = project(sched)
    t = task(sched, p["id"])
    sched.update(TASKS, t["id"], {"name": "A 改的"}, if_match=1)
    with pytest.raises(errors.Conflict) as exc:
        sched.update(TASKS, t["id"], {"name": "B 改的"}, if_match=1)
    assert exc.value.status == 409
    assert exc.value.extra["current"]["name"] == "A 改的"
    assert exc.value.extra["current"]["rev"] == 2
    # Without a revision the change just applies.
    assert sched.update(TASKS, t["id"], {"name": "B 改的"})["rev"] == 3


def test_the_id_cannot_be_changed_and_ids_may_be_numbers(sched: Schedule) -> None:
    p = sched.create(PROJECTS, {"id": 42, "name": "数字"})
    assert p["id"] == "42" and sched.get(PROJECTS, "42")["name"] == "数字"
    with pytest.raises(errors.ValidationError) as exc:
        sched.update(PROJECTS, "42", {"id": "43"})
    assert field_errors(exc) == {"id": "cannot be changed"}
    with pytest.raises(errors.Conflict):
        sched.create(PROJECTS, {"id": "42", "name": "again"})


# -- deletes ----------------------------------------------------------------------------


def test_deletes_are_hidden_tombstones(sched: Schedule, store: Store) -> None:
    p = project(sched)
    t = task(sched, p["id"])
    sched.delete(TASKS, t["id"])
    with pytest.raises(errors.NotFound):
        sched.get(TASKS, t["id"])
    assert sched.list_records(TASKS)["total"] == 0
    assert sched.export_data()["tasks"] == []
    raw = [d for d in store.table(TASKS).all() if d["id"] == t["id"]]
    assert len(raw) == 1 and raw[0]["deleted"] is True and raw[0]["deleted_at"]
    assert raw[0]["rev"] == 2
    with pytest.raises(errors.NotFound):
        sched.delete(TASKS, t["id"])
    # Creating the id again brings the record back as its next revision.
    again = task(sched, p["id"], id=t["id"], name="回来了")
    assert again["rev"] == 3 and again["created_at"] == t["created_at"]


def test_a_project_with_tasks_is_only_deleted_with_cascade(sched: Schedule) -> None:
    p = project(sched)
    other = project(sched, name="其他")
    a = task(sched, p["id"], id="a")
    task(sched, p["id"], id="b", depends_on=["a"])
    c = task(sched, other["id"], id="c", depends_on=["a"])
    with pytest.raises(errors.Conflict) as exc:
        sched.delete(PROJECTS, p["id"])
    assert exc.value.extra["tasks"] == 2
    assert sched.get(TASKS, a["id"])["rev"] == 1
    out = sched.delete(PROJECTS, p["id"], cascade=True)
    assert out["deleted"] == {"projects": [p["id"]], "tasks": ["a", "b"]}
    assert out["updated"] == {"tasks": ["c"]}
    listed = sched.list_records(TASKS)["items"]
    computed = [(t.pop("slack"), t.pop("critical"), t.pop("workdays")) for t in listed]
    assert computed == [(0, True, 5)]  # 2025-03-10 to 14, Monday to Friday
    assert listed == [sched.get(TASKS, "c")]
    assert (
        sched.get(TASKS, "c")["depends_on"] == [] and sched.get(TASKS, "c")["rev"] == c["rev"] + 1
    )


def test_deleting_a_task_removes_it_from_dependents(sched: Schedule) -> None:
    p = project(sched)
    task(sched, p["id"], id="a")
    task(sched, p["id"], id="z")
    task(sched, p["id"], id="b", depends_on=["a", "z"])
    out = sched.delete(TASKS, "a")
    assert out == {"ok": True, "deleted": {"tasks": ["a"]}, "updated": {"tasks": ["b"]}}
    assert sched.get(TASKS, "b")["depends_on"] == ["z"]


def test_a_task_type_in_use_cannot_be_deleted_but_can_be_disabled(sched: Schedule) -> None:
    p = project(sched)
    task(sched, p["id"], type_id="2")
    with pytest.raises(errors.Conflict) as exc:
        sched.delete(TYPES, "2")
    assert "Disable it instead" in exc.value.message
    assert sched.update(TYPES, "2", {"enabled": False})["enabled"] is False
    assert sched.list_records(TYPES, {"enabled": "false"})["items"][0]["id"] == "2"
    assert sched.delete(TYPES, "3")["deleted"] == {"taskTypes": ["3"]}


def test_delete_honours_the_revision(sched: Schedule) -> None:
    p = project(sched)
    sched.update(PROJECTS, p["id"], {"notes": "changed"})
    with pytest.raises(errors.Conflict):
        sched.delete(PROJECTS, p["id"], if_match=1)
    assert sched.delete(PROJECTS, p["id"], if_match=2)["ok"] is True


# -- listing --------------------------------------------------------------------------


@pytest.fixture
def filled(sched: Schedule) -> Schedule:
    p1 = project(sched, id="p1", name="官网", owner="王伟", start="2025-03-01", end="2025-03-31")
    p2 = project(sched, id="p2", name="小程序", status="done", start="2025-05-01")
    project(sched, id="p3", name="未排期")
    rows = [
        ("t1", p1, "需求评审", "1", "2025-03-03", "2025-03-04", "李娜", "首页"),
        ("t2", p1, "接口开发", "1", "2025-03-05", "2025-03-12", "Zhang San", ""),
        ("t3", p1, "联调", "2", "2025-03-13", "2025-03-14", "zhang san", "需要 VPN"),
        ("t4", p2, "上线", "6", "2025-05-20", "2025-05-20", "", ""),
    ]
    for rid, p, name, type_id, start, end, who, notes in rows:
        task(
            sched,
            p["id"],
            id=rid,
            name=name,
            type_id=type_id,
            start=start,
            end=end,
            assignee=who,
            notes=notes,
        )
    return sched


LIST_CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (TASKS, {}, ["t1", "t2", "t3", "t4"]),
    (TASKS, {"project_id": "p1"}, ["t1", "t2", "t3"]),
    (TASKS, {"project_id": "p2,p3"}, ["t4"]),
    (TASKS, {"project_id": "p1", "type_id": "1"}, ["t1", "t2"]),
    (TASKS, {"type_id": "2,6"}, ["t3", "t4"]),
    (TASKS, {"assignee": "ZHANG SAN"}, ["t2", "t3"]),
    (TASKS, {"from": "2025-03-04", "to": "2025-03-05"}, ["t1", "t2"]),
    (TASKS, {"from": "2025-03-13"}, ["t3", "t4"]),
    (TASKS, {"to": "2025-03-03"}, ["t1"]),
    (TASKS, {"q": "vpn"}, ["t3"]),
    (TASKS, {"q": "首页"}, ["t1"]),
    (TASKS, {"q": "zhang"}, ["t2", "t3"]),
    (TASKS, {"q": "开发", "project_id": "p1"}, ["t2"]),
    (TASKS, {"sort": "-start"}, ["t4", "t3", "t2", "t1"]),
    (TASKS, {"sort": "name", "project_id": "p1"}, ["t2", "t3", "t1"]),
    (TASKS, {"assignee": "", "q": ""}, ["t1", "t2", "t3", "t4"]),
    (TASKS, {"_": "12345"}, ["t1", "t2", "t3", "t4"]),
    (PROJECTS, {}, ["p1", "p2", "p3"]),
    (PROJECTS, {"status": "done"}, ["p2"]),
    (PROJECTS, {"q": "王伟"}, ["p1"]),
    (PROJECTS, {"from": "2025-04-01", "to": "2025-04-30"}, ["p3"]),
    (PROJECTS, {"from": "2025-06-01"}, ["p2", "p3"]),
    (PROJECTS, {"project_id": "p3,p1"}, ["p1", "p3"]),
    (TYPES, {"q": "测试"}, ["3", "4"]),
    (TYPES, {"enabled": "true"}, ["1", "2", "3", "4", "5", "6"]),
]


@pytest.mark.parametrize(("kind", "params", "ids"), LIST_CASES)
def test_list_filters(filled: Schedule, kind: str, params: dict[str, str], ids: list[str]) -> None:
    page = filled.list_records(kind, params)
    assert [r["id"] for r in page["items"]] == ids
    assert page["total"] == len(ids)


def test_pages(filled: Schedule) -> None:
    first = filled.list_records(TASKS, {"per_page": "3"})
    second = filled.list_records(TASKS, {"per_page": "3", "page": "2"})
    assert [r["id"] for r in first["items"]] == ["t1", "t2", "t3"]
    assert [r["id"] for r in second["items"]] == ["t4"]
    assert first["total"] == second["total"] == 4
    assert filled.list_records(TASKS, {"page": "9"})["items"] == []
    assert filled.list_records(TASKS)["per_page"] == 50


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": "1001"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "-1"}, "page"),
        ({"page": "x"}, "page"),
        ({"from": "2025-3-1"}, "from"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "to"),
        ({"sort": "password"}, "sort"),
        ({"milestone": "maybe"}, "milestone"),
        ({"color": "red"}, "color"),
    ],
)
def test_bad_list_parameters_are_named(
    filled: Schedule, params: dict[str, str], field: str
) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        filled.list_records(TASKS, params)
    assert field in field_errors(exc)


def test_returned_records_are_copies(filled: Schedule) -> None:
    rec = filled.get(TASKS, "t2")
    rec["depends_on"].append("t1")
    rec["name"] = "changed"
    assert filled.get(TASKS, "t2")["depends_on"] == []
    assert filled.list_records(TASKS, {"project_id": "p1"})["items"][1]["name"] == "接口开发"


# -- the index stays right: other processes, rollbacks --------------------------------


def test_changes_by_another_process_are_seen(sched: Schedule, store: Store) -> None:
    p = project(sched, id="p1")
    task(sched, p["id"], id="mine")
    assert [t["id"] for t in sched.list_records(TASKS, {"project_id": "p1"})["items"]] == ["mine"]
    run_child(
        store.data_dir,
        """
        sched.create("tasks", {"id": "theirs", "project_id": "p1", "name": "别人加的",
                               "start": "2025-03-01"})
        sched.create("projects", {"id": "p2", "name": "二"})
        sched.update("tasks", "mine", {"project_id": "p2"})
    """,
    )
    assert [t["id"] for t in sched.list_records(TASKS, {"project_id": "p1"})["items"]] == ["theirs"]
    assert [t["id"] for t in sched.list_records(TASKS, {"project_id": "p2"})["items"]] == ["mine"]
    run_child(store.data_dir, 'sched.delete("tasks", "theirs")\n')
    assert sched.list_records(TASKS, {"project_id": "p1"})["total"] == 0
    with pytest.raises(errors.NotFound):
        sched.get(TASKS, "theirs")


def test_a_rolled_back_transaction_leaves_nothing_behind(sched: Schedule, store: Store) -> None:
    p = project(sched, id="p1")
    with pytest.raises(RuntimeError), store.transaction():
        task(sched, p["id"], id="ghost")
        assert sched.get(TASKS, "ghost")["name"] == "接口开发"  # visible inside
        raise RuntimeError("power cut")
    assert sched.list_records(TASKS, {"project_id": "p1"})["total"] == 0
    with pytest.raises(errors.NotFound):
        sched.get(TASKS, "ghost")


def test_the_data_survives_a_reopen(store: Store, tmp_path: Path) -> None:
    sched = Schedule.open(store)
    p = project(sched, id="p1")
    task(sched, p["id"], id="t1", depends_on=[])
    store.close()
    with Store.open(tmp_path / "data") as again:
        reopened = Schedule.open(again)
        assert reopened.get(TASKS, "t1")["project_id"] == "p1"
        assert reopened.list_records(TYPES)["total"] == 6


# -- /api/data: replace semantics ---------------------------------------------------


def test_seed_example_post_then_get(sched: Schedule) -> None:
    assert (
        sched.replace_data({"projects": [{"id": "test-1", "name": "测试项目"}], "tasks": []})
        is not None
    )
    data = sched.export_data()
    assert [(p["id"], p["name"]) for p in data["projects"]] == [("test-1", "测试项目")]
    assert data["tasks"] == []
    assert len(data["taskTypes"]) == 6


def test_extra_keys_are_kept_verbatim_and_collections_untouched(sched: Schedule) -> None:
    p = project(sched, id="p1")
    for i in (1, 2, 3):
        sched.replace_data({"test": f"iteration-{i}"})
    sched.replace_data({"settings": {"zoom": "week", "ratio": 1.5, "list": [1, None, "二"]}})
    data = sched.export_data()
    assert data["test"] == "iteration-3"
    assert data["settings"] == {"zoom": "week", "ratio": 1.5, "list": [1, None, "二"]}
    assert data["projects"] == [sched.get(PROJECTS, "p1")] == [p]
    # The same value again changes nothing and saves no revision.
    assert sched.replace_data({"test": "iteration-3"}) is None


def test_left_out_records_become_tombstones_and_numbers_become_ids(
    sched: Schedule, store: Store
) -> None:
    sched.replace_data(
        {
            "projects": [{"id": 1, "name": "一"}, {"id": 2, "name": "二"}],
            "tasks": [
                {"id": 10, "project_id": 1, "name": "a", "start": "2025-01-01", "type_id": 1},
                {
                    "id": 11,
                    "project_id": 2,
                    "name": "b",
                    "start": "2025-01-02",
                    "depends_on": [10],
                    "color": "#ff0000",
                },
            ],
        }
    )
    assert sched.get(TASKS, "11")["depends_on"] == ["10"]
    assert sched.get(TASKS, "11")["color"] == "#ff0000"  # an old client's own field, kept
    assert sched.get(TASKS, "10")["type_id"] == "1"
    sched.replace_data(
        {
            "projects": [{"id": 2, "name": "二"}],
            "tasks": [{"id": 11, "project_id": 2, "name": "b", "start": "2025-01-02"}],
        }
    )
    data = sched.export_data()
    assert [p["id"] for p in data["projects"]] == ["2"]
    assert [t["id"] for t in data["tasks"]] == ["11"]
    gone = {d["id"]: d for d in store.table(PROJECTS).all()}["1"]
    assert gone["deleted"] is True
    # Fields a posted record leaves out keep their stored values, except that a
    # dependency on a task this POST removed is dropped, as a REST delete does.
    t11 = sched.get(TASKS, "11")
    assert (t11["depends_on"], t11["color"], t11["rev"]) == ([], "#ff0000", 2)


def test_unchanged_records_keep_their_revision(sched: Schedule) -> None:
    body = {
        "projects": [{"id": "p", "name": "P"}],
        "tasks": [{"id": "t", "project_id": "p", "name": "T", "start": "2025-01-01"}],
    }
    sched.replace_data(body)
    sched.update(TASKS, "t", {"progress": 10})
    sched.replace_data({**body, "tasks": [{**body["tasks"][0], "progress": 10}]})
    assert sched.get(TASKS, "t")["rev"] == 2
    assert sched.get(PROJECTS, "p")["rev"] == 1


BAD_DATA: list[tuple[Any, dict[str, str]]] = [
    ({"tasks": {"id": 1}}, {"tasks": "must be a list of objects"}),
    ({"projects": "x"}, {"projects": "must be a list of objects"}),
    ({"taskTypes": [1, {"id": "1", "name": "ok"}]}, {"taskTypes[0]": "must be an object"}),
    (
        {"projects": [{"id": "p0", "name": "A"}, {"id": "p0", "name": "B"}]},
        {"projects[1].id": "duplicate id 'p0' (also projects[0])"},
    ),
    (
        {
            "projects": [{"id": "p", "name": "P"}],
            "tasks": [
                {"id": "ok", "project_id": "p", "name": "T", "start": "2025-01-01"},
                {"id": "x1", "project_id": "p", "name": "T", "start": "2025-01-01"},
                {"id": "x2", "project_id": "p", "name": "T", "start": "2025-01-01"},
                {
                    "id": "x3",
                    "project_id": "p",
                    "name": "T",
                    "start": "2025-01-05",
                    "end": "2025-01-04",
                },
            ],
        },
        {"tasks[3].end": "must be on or after start (2025-01-05)"},
    ),
    (
        {
            "tasks": [
                {
                    "id": "t",
                    "project_id": "missing",
                    "name": "T",
                    "start": "2025-01-01",
                    "progress": 300,
                }
            ]
        },
        {"tasks[0].progress": "must be from 0 to 100"},
    ),
    (
        {"tasks": [{"id": "t", "project_id": "missing", "name": "T", "start": "2025-01-01"}]},
        {"tasks[0].project_id": "project missing does not exist"},
    ),
    (
        {"taskTypes": [{"id": "1", "name": "开发", "color": "blue"}]},
        {"taskTypes[0].color": "must be a colour written #rrggbb"},
    ),
    (
        {
            "projects": [{"id": "p", "name": "P"}],
            "tasks": [
                {
                    "id": "a",
                    "project_id": "p",
                    "name": "A",
                    "start": "2025-01-01",
                    "depends_on": ["b"],
                },
                {
                    "id": "b",
                    "project_id": "p",
                    "name": "B",
                    "start": "2025-01-01",
                    "depends_on": ["a"],
                },
            ],
        },
        {"tasks[0].depends_on": "forms a cycle: A (a) → B (b) → A (a)"},
    ),
    (
        {
            "tasks": [
                {
                    "id": "t",
                    "project_id": "p0",
                    "name": "T",
                    "start": "2025-01-01",
                    "depends_on": ["gone"],
                }
            ]
        },
        {"tasks[0].depends_on": "no such task: gone"},
    ),
    (
        {"projects": []},
        {
            "projects": "1 task(s) still belong to project(s) left out of this "
            'list (p0); include them, or send "tasks" too'
        },
    ),
    (
        {"taskTypes": [{"id": "2", "name": "x"}]},
        {
            "taskTypes": "1 task(s) still use task type(s) left out of this list (1); include them, "
            'or send "tasks" too'
        },
    ),
]


@pytest.mark.parametrize(("body", "problems"), BAD_DATA)
def test_bad_data_is_refused_per_record(
    sched: Schedule, body: Any, problems: dict[str, str]
) -> None:
    project(sched, id="p0")
    task(sched, "p0", id="keep")
    before = sched.export_data()
    with pytest.raises(errors.ValidationError) as exc:
        sched.replace_data(body)
    assert field_errors(exc) == problems
    assert sched.export_data() == before
    assert sched.list_revisions()["total"] == 0


@pytest.mark.parametrize("body", [[], "x", 3, None])
def test_data_body_must_be_an_object(sched: Schedule, body: Any) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        sched.replace_data(body)
    assert "body" in field_errors(exc)


# -- /api/data: revisions and restore ------------------------------------------------


def test_a_destructive_post_can_be_restored(sched: Schedule) -> None:
    p = project(sched, id="p1", name="重要项目")
    task(sched, p["id"], id="t1", name="关键任务", progress=70)
    sched.replace_data({"note": "before"})
    rev = sched.replace_data({"projects": [], "tasks": [], "note": "after"})
    assert rev is not None
    assert sched.export_data()["projects"] == []
    meta = sched.list_revisions()["items"][0]
    assert meta["id"] == rev
    assert meta["counts"] == {
        "projects": 1,
        "tasks": 1,
        "taskTypes": 6,
        "calendarDays": 0,
        "baselines": 0,
    }
    saved = sched.get_revision(rev)["data"]
    assert [t["name"] for t in saved["tasks"]] == ["关键任务"]
    out = sched.restore_revision(rev)
    assert out["ok"] is True and out["revision"] is not None
    data = sched.export_data()
    assert [p["name"] for p in data["projects"]] == ["重要项目"]
    assert [(t["name"], t["progress"]) for t in data["tasks"]] == [("关键任务", 70)]
    assert data["note"] == "before"
    # The restore is undoable in its turn.
    sched.restore_revision(out["revision"])
    assert sched.export_data()["projects"] == []


def test_restore_removes_extra_keys_added_later(sched: Schedule) -> None:
    rev = sched.replace_data({"test": "iteration-1"})
    assert rev is not None
    sched.restore_revision(rev)
    assert "test" not in sched.export_data()


def test_only_the_last_revisions_are_kept(sched: Schedule) -> None:
    for i in range(REVISIONS_KEEP + 5):
        sched.replace_data({"n": i})
    revs = sched.list_revisions()
    assert revs["total"] == REVISIONS_KEEP
    ids = [int(r["id"]) for r in revs["items"]]
    assert ids == sorted(ids, reverse=True) and ids[0] == REVISIONS_KEEP + 5
    with pytest.raises(errors.NotFound):
        sched.get_revision("1")
