"""The record-kind registry (localapp/kinds.py): what derives from one declaration.

A kind's fields, labels, list parameters, export columns and sync policy are
declared once; the list API, the xlsx exports, sync and `GET /api/kinds`
follow it, and every label has a text in both languages.
"""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Server
from openpyxl import load_workbook

from localapp import checks, errors, kinds, schedule
from localapp.catalogue.exports import PRODUCT_COLUMNS
from localapp.schedule import Schedule
from localapp.schedule.export import tasks_xlsx
from localapp.store import Store
from localapp.sync import files, values


def translations(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((ROOT / "ui" / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def test_every_declared_label_has_a_text_in_both_languages() -> None:
    zh, en = translations("zh-CN"), translations("en")
    missing = [
        (k.table, n, f.label)
        for k in kinds.KINDS
        for n, f in k.fields.items()
        if f.label and (f.label not in zh or f.label not in en)
    ]
    assert missing == []


def test_sync_policy_is_the_declared_one() -> None:
    assert values.REPLICATED == {
        "projects": "id",
        "tasks": "id",
        "task_types": "id",
        "calendar_days": "id",
        "baselines": "id",
        "data_extras": "key",
        "products": "id",
        "images": "key",
        "orders": "id",
        "order_matches": "id",
        "customers": "id",
        "customer_prices": "id",
        "quotes": "id",
        "company": "id",
    }
    assert values.QUIET_FIELDS == {"created_at", "price_history", "grade_history"}
    assert values.JOINED_FIELDS == {"price_history", "grade_history"}
    assert values.seed_records()[("task_types", "6")]["name"] == "上线"
    assert schedule.DEFAULT_TASK_TYPES == [dict(t) for t in kinds.TASK_TYPE.seeds]
    order = {
        "table": "orders",
        "id": "o1",
        "fields": {
            "source_file": {"v": {"key": "a" * 64 + ".xlsx"}, "s": "x"},
            "attachments": {"v": [{"key": "b" * 64 + ".png"}], "s": "x"},
        },
    }
    product = {
        "table": "products",
        "id": "p1",
        "fields": {"images": {"v": ["c" * 64 + ".webp"], "s": "x"}},
    }
    assert list(files.file_refs(order)) == [
        "orders/" + "a" * 64 + ".xlsx",
        "images/" + "b" * 64 + ".png",
    ]
    assert list(files.file_refs(product)) == ["images/" + "c" * 64 + ".webp"]


def test_a_field_added_to_a_kind_is_validated_listed_exported_and_described(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worked example of docs/architecture.md: adding a field to tasks is one
    `Field(...)` line in kinds.py (plus its label in the two translation files).
    Here the line is added for the test's duration, and the real schedule, list
    query, export and description pick it up."""
    monkeypatch.setitem(
        kinds.TASK.fields,
        "budget",
        kinds.Field(
            "int",
            "schedule.csv.budget",
            sort=True,
            filter="exact",
            export=10,
            check=checks.percent,
            default=lambda: 0,
        ),
    )
    sched = Schedule.open(Store.open(tmp_path / "data"))
    sched.setup()
    project = sched.create(schedule.PROJECTS, {"name": "预算"})
    base = {"project_id": project["id"], "start": "2026-03-02", "end": "2026-03-04"}
    cheap = sched.create(schedule.TASKS, {**base, "name": "便宜", "budget": 20})
    dear = sched.create(schedule.TASKS, {**base, "name": "贵", "budget": 90})
    assert (cheap["budget"], dear["budget"]) == (20, 90)
    # validation: the field's own check
    with pytest.raises(errors.ValidationError) as refused:
        sched.create(schedule.TASKS, {**base, "name": "错", "budget": "很多"})
    assert "budget" in refused.value.fields
    # the list: sorts and filters by it
    listed = sched.list_records(schedule.TASKS, {"sort": "-budget"})["items"]
    assert [t["name"] for t in listed] == ["贵", "便宜"]
    assert [t["name"] for t in sched.list_records(schedule.TASKS, {"budget": "20"})["items"]] == [
        "便宜"
    ]
    # the export: a column headed by its label, with its values
    found = sched.tasks_for_export({"sort": "budget"})
    book = load_workbook(
        BytesIO(tasks_xlsx(found.tasks, found.project_names, found.type_names, found.task_names))
    )
    rows = list(book.active.iter_rows(values_only=True))
    # the last declared column (the computed length, slack and critical path follow it)
    at = rows[0].index("schedule.csv.budget")  # no translation yet: the key shows
    assert rows[0][at + 1 :] == ("工期（工作日）", "可延后（工作日）", "关键路径")
    assert [r[at] for r in rows[1:]] == [20, 90]
    # the description the UI and API clients read
    assert kinds.TASK.describe()["fields"]["budget"] == {
        "type": "int",
        "label": "schedule.csv.budget",
        "sort": True,
        "filter": "exact",
        "export": 10,
        "input": True,
    }


def test_exports_use_the_labels_the_ui_shows() -> None:
    zh = translations("zh-CN")
    headers = [title for _f, title, _w in kinds.TASK.export_columns()]
    # the UI's CSV export writes t('schedule.csv.<key>') for the same columns
    assert headers == [
        zh[f"schedule.csv.{k}"]
        for k in (
            "project",
            "task",
            "parent",
            "type",
            "start",
            "end",
            "assignee",
            "progress",
            "milestone",
            "dependsOn",
            "manual",
            "notes",
        )
    ]
    assert [title for _f, title, _w in PRODUCT_COLUMNS][:6] == [
        "编码",
        "名称",
        "条码",
        "规格",
        "单位",
        "单价",
    ]  # what the importer reads back


def test_the_api_describes_the_kinds_and_lists_follow_them(server: Server) -> None:
    r = server.request("GET", "/api/kinds")
    assert r.status == 200, r.body
    body: Any = r.json()
    described = {k["table"]: k for k in body["kinds"]}
    assert set(described) == {k.table for k in kinds.KINDS}
    tasks = described["tasks"]["fields"]
    assert tasks["assignee"] == {
        "type": "text",
        "label": "schedule.csv.assignee",
        "search": True,
        "sort": True,
        "filter": "exact",
        "export": 12,
        "input": True,
    }
    assert tasks["project_id"]["ref"] == "projects"
    # every declared sort is accepted by the list API, anything else is refused
    for name in kinds.TASK.names("sort"):
        assert server.request("GET", f"/api/tasks?sort=-{name}").status == 200, name
    bad = server.request("GET", "/api/tasks?sort=budget")
    assert bad.status == 400 and "sort" in bad.json()["error"]["fields"]
    # the xlsx export's header row is the declared labels
    r = server.request("GET", "/api/tasks/export.xlsx")
    assert r.status == 200
    header = next(load_workbook(BytesIO(r.body)).active.iter_rows(values_only=True))
    declared = [title for _f, title, _w in kinds.TASK.export_columns()]
    # then the computed ones
    assert list(header) == declared + ["工期（工作日）", "可延后（工作日）", "关键路径"]
