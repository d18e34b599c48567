"""The schedule HTTP API against a real `localapp serve` on 127.0.0.1.

Includes the seed's own curl checks (seed 001) as cases. Tests that need a
known whole state (/api/data) get a fresh server; the REST tests share one
server and each works in its own project.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import Server, http, start_server

from localapp.schedule import DEFAULT_TASK_TYPES

SAVED = {"ok": True, "message": "数据保存成功"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("schedule-api") / "data")
    try:
        yield s
    finally:
        s.stop()


def body(res: Any) -> Any:
    return json.loads(res.body)


def new_project(server: Server, **fields: Any) -> dict[str, Any]:
    res = server.request("POST", "/api/projects", {"name": "官网改版", **fields})
    assert res.status == 201, res.body
    return body(res)


def new_task(server: Server, project_id: str, **fields: Any) -> dict[str, Any]:
    data = {
        "project_id": project_id,
        "name": "接口开发",
        "type_id": "1",
        "start": "2025-03-03",
        "end": "2025-03-07",
        **fields,
    }
    res = server.request("POST", "/api/tasks", data)
    assert res.status == 201, res.body
    return body(res)


def task_ids(server: Server, query: str) -> list[str]:
    res = server.request("GET", "/api/tasks?" + query)
    assert res.status == 200, res.body
    return [t["id"] for t in body(res)["items"]]


# -- the seed's curl checks (seed 001, "验证结果") -----------------------------------


def test_seed_curl_checks(server: Server) -> None:
    # 3. GET /api/data: the collections and the six default task types.
    res = server.request("GET", "/api/data")
    assert res.status == 200
    assert res.headers["content-type"].startswith("application/json")
    data = body(res)
    assert data["projects"] == [] and data["tasks"] == []
    assert [
        {k: t[k] for k in ("id", "name", "color", "enabled")} for t in data["taskTypes"]
    ] == DEFAULT_TASK_TYPES

    # 1. POST a project with an empty task list.
    res = server.request(
        "POST", "/api/data", {"projects": [{"id": "test-1", "name": "测试项目"}], "tasks": []}
    )
    assert (res.status, body(res)) == (200, SAVED)
    data = body(server.request("GET", "/api/data"))
    assert [(p["id"], p["name"]) for p in data["projects"]] == [("test-1", "测试项目")]
    assert data["tasks"] == []

    # 4. The lock check: three POSTs in a row, each answered exactly.
    for i in (1, 2, 3):
        res = server.request("POST", "/api/data", {"test": f"iteration-{i}"})
        assert (res.status, res.body) == (
            200,
            json.dumps(SAVED, ensure_ascii=False, separators=(",", ":")).encode(),
        )
    data = body(server.request("GET", "/api/data"))
    assert data["test"] == "iteration-3"
    assert [p["id"] for p in data["projects"]] == ["test-1"]  # no collection touched
    assert len(data["taskTypes"]) == 6

    # The same body three times, as the team brief words it.
    for _ in range(3):
        res = server.request("POST", "/api/data", {"test": "iteration-1"})
        assert (res.status, body(res)) == (200, SAVED)
    data = body(server.request("GET", "/api/data"))
    assert data["test"] == "iteration-1"
    assert [p["name"] for p in data["projects"]] == ["测试项目"]


def test_data_post_needs_sign_in(shared: Server) -> None:
    res = shared.request("POST", "/api/data", {"test": "x"}, auth=False)
    assert res.status == 401
    assert "test" not in body(shared.request("GET", "/api/data"))


@pytest.mark.parametrize(
    ("raw", "ctype", "status"),
    [
        (b"[1, 2]", "application/json", 400),
        (b'"text"', "application/json", 400),
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b'{"test": 1}', "text/plain", 415),
    ],
)
def test_data_post_body_must_be_a_json_object(
    shared: Server, raw: bytes, ctype: str, status: int
) -> None:
    res = shared.request("POST", "/api/data", raw, headers={"Content-Type": ctype})
    assert res.status == status
    assert body(res)["error"]["message"]


@pytest.mark.parametrize(
    ("sent", "fields"),
    [
        ({"tasks": {"id": 1}}, {"tasks": "must be a list of objects"}),
        ({"projects": [1]}, {"projects[0]": "must be an object"}),
        (
            {
                "projects": [{"id": "px", "name": "P"}],
                "tasks": [
                    {"id": i, "project_id": "px", "name": "T", "start": "2025-01-01"}
                    for i in range(3)
                ]
                + [
                    {
                        "id": 3,
                        "project_id": "px",
                        "name": "T",
                        "start": "2025-01-02",
                        "end": "2025-01-01",
                    }
                ],
            },
            {"tasks[3].end": "must be on or after start (2025-01-02)"},
        ),
        (
            {"taskTypes": [{"id": "1", "name": "开发", "color": "#1234", "enabled": "yes"}]},
            {
                "taskTypes[0].color": "must be a colour written #rrggbb",
                "taskTypes[0].enabled": "must be true or false",
            },
        ),
    ],
)
def test_data_post_reports_reasons_per_record(
    shared: Server, sent: dict[str, Any], fields: dict[str, str]
) -> None:
    before = body(shared.request("GET", "/api/data"))
    res = shared.request("POST", "/api/data", sent)
    assert res.status == 400
    assert body(res)["error"]["fields"] == fields
    assert body(shared.request("GET", "/api/data")) == before


def test_a_destructive_data_post_can_be_restored(server: Server) -> None:
    doc = {
        "projects": [{"id": 1, "name": "重要项目"}],
        "tasks": [
            {
                "id": 7,
                "project_id": 1,
                "name": "关键任务",
                "start": "2025-02-01",
                "end": "2025-02-03",
                "type_id": 2,
                "progress": 60,
            }
        ],
    }
    assert body(server.request("POST", "/api/data", doc)) == SAVED
    res = server.request("POST", "/api/data", {"projects": [], "tasks": []})
    assert body(res) == SAVED
    revision = res.headers["x-data-revision"]
    assert body(server.request("GET", "/api/data"))["tasks"] == []
    assert server.request("GET", "/api/tasks/7").status == 404

    revs = body(server.request("GET", "/api/data/revisions"))
    assert revs["items"][0]["id"] == revision
    assert revs["items"][0]["counts"] == {
        "projects": 1,
        "tasks": 1,
        "taskTypes": 6,
        "calendarDays": 0,
        "baselines": 0,
    }
    saved = body(server.request("GET", f"/api/data/revisions/{revision}"))
    assert [t["name"] for t in saved["data"]["tasks"]] == ["关键任务"]

    res = server.request("POST", f"/api/data/revisions/{revision}/restore")
    assert res.status == 200
    assert body(res)["ok"] is True and body(res)["revision"]
    data = body(server.request("GET", "/api/data"))
    assert [(t["id"], t["name"], t["progress"], t["type_id"]) for t in data["tasks"]] == [
        ("7", "关键任务", 60, "2")
    ]
    assert body(server.request("GET", "/api/tasks/7"))["rev"] == 3  # created, deleted, restored
    assert server.request("POST", "/api/data/revisions/999/restore").status == 404


# -- REST --------------------------------------------------------------------------------


def test_create_read_update_a_task(shared: Server) -> None:
    p = new_project(shared)
    res = shared.request(
        "POST", "/api/tasks", {"project_id": p["id"], "name": "需求评审", "start": "2025-03-03"}
    )
    assert res.status == 201
    t = body(res)
    assert res.headers["location"] == f"/api/tasks/{t['id']}"
    assert (t["end"], t["progress"], t["rev"], t["depends_on"]) == ("2025-03-03", 0, 1, [])
    res = shared.request("GET", f"/api/tasks/{t['id']}")
    assert (res.status, body(res), res.headers["etag"]) == (200, t, '"1"')
    res = shared.request(
        "PATCH",
        f"/api/tasks/{t['id']}",
        {"end": "2025-03-05", "progress": 20},
        headers={"If-Match": '"1"'},
    )
    assert res.status == 200 and body(res)["rev"] == 2 and res.headers["etag"] == '"2"'
    assert body(shared.request("GET", f"/api/tasks/{t['id']}"))["end"] == "2025-03-05"


def test_a_stale_if_match_gets_409_with_the_current_record(shared: Server) -> None:
    p = new_project(shared)
    t = new_task(shared, p["id"])
    url = f"/api/tasks/{t['id']}"
    assert shared.request("PATCH", url, {"name": "甲改的"}, headers={"If-Match": "1"}).status == 200
    res = shared.request("PATCH", url, {"name": "乙改的"}, headers={"If-Match": "1"})
    assert res.status == 409
    err = body(res)["error"]
    assert err["code"] == "conflict"
    assert (err["current"]["name"], err["current"]["rev"]) == ("甲改的", 2)
    assert body(shared.request("GET", url))["name"] == "甲改的"
    # Without If-Match the change applies; a malformed one is a 400.
    assert body(shared.request("PATCH", url, {"name": "乙改的"}))["rev"] == 3
    res = shared.request("PATCH", url, {"name": "x"}, headers={"If-Match": "abc"})
    assert res.status == 400 and "If-Match" in body(res)["error"]["fields"]


@pytest.mark.parametrize(
    ("path", "sent", "field"),
    [
        ("/api/tasks", {"progress": 120}, "progress"),
        ("/api/tasks", {"start": "2025-02-30"}, "start"),
        ("/api/tasks", {"end": "2025-03-01"}, "end"),
        ("/api/tasks", {"project_id": "nope"}, "project_id"),
        ("/api/tasks", {"type_id": "99"}, "type_id"),
        ("/api/tasks", {"depends_on": ["nope"]}, "depends_on"),
        ("/api/tasks", {"colour": "#fff000"}, "colour"),
        ("/api/projects", {"name": ""}, "name"),
        ("/api/task-types", {"color": "blue"}, "color"),
    ],
)
def test_invalid_fields_get_400_naming_the_field(
    shared: Server, path: str, sent: dict[str, Any], field: str
) -> None:
    p = new_project(shared)
    base = {
        "/api/tasks": {
            "project_id": p["id"],
            "name": "T",
            "start": "2025-03-03",
            "end": "2025-03-04",
        },
        "/api/projects": {"name": "P"},
        "/api/task-types": {"name": "评审", "color": "#123456"},
    }[path]
    res = shared.request("POST", path, {**base, **sent})
    assert res.status == 400
    err = body(res)["error"]
    assert err["code"] == "invalid" and field in err["fields"]


def test_a_dependency_cycle_is_refused(shared: Server) -> None:
    p = new_project(shared)
    a = new_task(shared, p["id"], name="设计")
    b = new_task(shared, p["id"], name="开发", depends_on=[a["id"]])
    c = new_task(shared, p["id"], name="测试", depends_on=[b["id"]])
    res = shared.request("PATCH", f"/api/tasks/{a['id']}", {"depends_on": [c["id"]]})
    assert res.status == 400
    reason = body(res)["error"]["fields"]["depends_on"]
    assert reason.startswith("would make a cycle: 设计") and "测试" in reason and "开发" in reason
    assert body(shared.request("GET", f"/api/tasks/{a['id']}"))["depends_on"] == []


def test_deleting_a_project_asks_for_cascade(shared: Server) -> None:
    p = new_project(shared)
    other = new_project(shared, name="其他")
    a = new_task(shared, p["id"])
    b = new_task(shared, other["id"], depends_on=[a["id"]])
    res = shared.request("DELETE", f"/api/projects/{p['id']}")
    assert res.status == 409 and body(res)["error"]["tasks"] == 1
    assert shared.request("GET", f"/api/tasks/{a['id']}").status == 200
    res = shared.request("DELETE", f"/api/projects/{p['id']}?cascade=1")
    assert res.status == 200
    assert body(res) == {
        "ok": True,
        "deleted": {"projects": [p["id"]], "tasks": [a["id"]]},
        "updated": {"tasks": [b["id"]]},
    }
    assert shared.request("GET", f"/api/projects/{p['id']}").status == 404
    assert shared.request("GET", f"/api/tasks/{a['id']}").status == 404
    assert task_ids(shared, f"project_id={p['id']}") == []
    assert body(shared.request("GET", f"/api/tasks/{b['id']}"))["depends_on"] == []


def test_deleted_records_are_hidden_everywhere(shared: Server) -> None:
    p = new_project(shared)
    t = new_task(shared, p["id"], name="将被删除")
    res = shared.request("DELETE", f"/api/tasks/{t['id']}")
    assert (res.status, body(res)["deleted"]) == (200, {"tasks": [t["id"]]})
    assert shared.request("GET", f"/api/tasks/{t['id']}").status == 404
    assert shared.request("DELETE", f"/api/tasks/{t['id']}").status == 404
    assert shared.request("PATCH", f"/api/tasks/{t['id']}", {"name": "x"}).status == 404
    assert task_ids(shared, f"project_id={p['id']}") == []
    assert task_ids(shared, "q=" + urllib.parse.quote("将被删除")) == []
    assert t["id"] not in {x["id"] for x in body(shared.request("GET", "/api/data"))["tasks"]}


def test_a_task_type_in_use_is_disabled_not_deleted(shared: Server) -> None:
    res = shared.request("POST", "/api/task-types", {"name": "评审", "color": "#AA00FF"})
    assert res.status == 201
    tt = body(res)
    assert tt["color"] == "#aa00ff" and tt["enabled"] is True
    p = new_project(shared)
    new_task(shared, p["id"], type_id=tt["id"])
    res = shared.request("DELETE", f"/api/task-types/{tt['id']}")
    assert res.status == 409 and "Disable" in body(res)["error"]["message"]
    res = shared.request("PATCH", f"/api/task-types/{tt['id']}", {"enabled": False})
    assert body(res)["enabled"] is False
    enabled = body(shared.request("GET", "/api/task-types?enabled=true&per_page=1000"))
    assert tt["id"] not in {t["id"] for t in enabled["items"]}


def test_list_filters_and_pages(shared: Server) -> None:
    p = new_project(shared, name="筛选项目")
    ids = [
        new_task(
            shared,
            p["id"],
            name=f"任务{i}",
            start=f"2025-04-0{i}",
            end=f"2025-04-0{i}",
            assignee="李娜" if i % 2 else "Wang",
            type_id=str(1 + i % 2),
        )["id"]
        for i in range(1, 6)
    ]
    pid = p["id"]
    assert task_ids(shared, f"project_id={pid}") == ids
    assert task_ids(shared, f"project_id={pid}&assignee=wang") == [ids[1], ids[3]]
    assert task_ids(shared, f"project_id={pid}&type_id=2") == [ids[0], ids[2], ids[4]]
    assert task_ids(shared, f"project_id={pid}&from=2025-04-02&to=2025-04-03") == ids[1:3]
    assert task_ids(shared, f"project_id={pid}&q=" + urllib.parse.quote("任务4")) == [ids[3]]
    assert task_ids(shared, "q=" + urllib.parse.quote("李娜") + f"&project_id={pid}") == [
        ids[0],
        ids[2],
        ids[4],
    ]
    page = body(shared.request("GET", f"/api/tasks?project_id={pid}&per_page=2&page=3"))
    assert ([t["id"] for t in page["items"]], page["total"]) == ([ids[4]], 5)
    res = shared.request("GET", "/api/tasks?per_page=1001&when=now")
    assert res.status == 400 and set(body(res)["error"]["fields"]) == {"per_page", "when"}
    res = shared.request("GET", f"/api/projects?q={urllib.parse.quote('筛选')}")
    assert [x["id"] for x in body(res)["items"]] == [pid]


def test_writes_by_another_process_show_up_over_http(shared: Server) -> None:
    p = new_project(shared)
    new_task(shared, p["id"], id=f"{p['id']}-mine")
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from localapp.store import Store
        from localapp.schedule import Schedule
        store = Store.open(Path(sys.argv[1]))
        sched = Schedule(store)
        pid = sys.argv[2]
        sched.create("tasks", {"id": pid + "-cli", "project_id": pid, "name": "命令行加的",
                               "start": "2025-03-01"})
        sched.delete("tasks", pid + "-mine")
        store.close()
    """)
    out = subprocess.run(
        [sys.executable, "-c", script, str(shared.data_dir), p["id"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert task_ids(shared, f"project_id={p['id']}") == [f"{p['id']}-cli"]


def test_unknown_ids_and_routes_are_json_404(shared: Server) -> None:
    for path in (
        "/api/tasks/nope",
        "/api/projects/nope",
        "/api/task-types/nope",
        "/api/data/revisions/nope",
    ):
        res = shared.request("GET", path)
        assert res.status == 404 and body(res)["error"]["code"] == "not_found"


def test_rest_needs_sign_in(shared: Server) -> None:
    res = http("POST", shared.url + "/api/projects", {"name": "匿名"})
    assert res.status == 401
    assert shared.request("GET", "/api/projects", auth=False).status == 401


def test_concurrent_edits_with_the_same_rev_let_exactly_one_win(shared: Server) -> None:
    p = new_project(shared)
    t = new_task(shared, p["id"])
    url = f"/api/tasks/{t['id']}"

    def edit(i: int) -> int:
        return shared.request("PATCH", url, {"name": f"版本{i}"}, headers={"If-Match": "1"}).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(edit, range(8)))
    assert statuses == [200] + [409] * 7
    final = body(shared.request("GET", url))
    assert final["rev"] == 2 and final["name"].startswith("版本")


def test_tasks_export_xlsx_follows_the_filters(server: Server) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    def make(kind: str, body: dict) -> dict:
        r = server.request("POST", f"/api/{kind}", body)
        assert r.status == 201, r.body
        return r.json()  # type: ignore[return-value]

    a = make("projects", {"name": "甲项目"})
    b = make("projects", {"name": "乙项目"})
    first = make(
        "tasks",
        {
            "project_id": a["id"],
            "name": "=1+1 设计",
            "type_id": "1",
            "start": "2026-11-02",
            "end": "2026-11-06",
            "progress": 40,
        },
    )
    make(
        "tasks",
        {
            "project_id": a["id"],
            "name": "联调",
            "type_id": "2",
            "start": "2026-11-09",
            "end": "2026-11-10",
            "depends_on": [first["id"]],
        },
    )
    make(
        "tasks",
        {
            "project_id": b["id"],
            "name": "别的",
            "type_id": "1",
            "start": "2026-11-02",
            "end": "2026-11-03",
        },
    )
    r = server.request("GET", f"/api/tasks/export.xlsx?project_id={a['id']}")
    assert r.status == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    rows = [list(x) for x in load_workbook(BytesIO(r.body)).active.iter_rows(values_only=True)]
    # the same headers as the UI's CSV export (one label per field, kinds.py)
    assert rows[0][:6] == ["项目", "任务", "上级任务", "类型", "开始日期", "结束日期"]
    assert [row[:4] for row in rows[1:]] == [
        ["甲项目", "=1+1 设计", None, "开发排期"],
        ["甲项目", "联调", None, "开发联调"],
    ]
    assert rows[2][9] == "=1+1 设计"  # dependency shown by name, formula-like text stays text
    assert rows[1][7] == 40


@pytest.mark.parametrize("path", ["/api/projects", "/api/task-types"])
def test_an_id_with_a_control_character_is_refused_before_anything_is_stored(
    server: Server, path: str
) -> None:
    """It used to be stored, then answered 500 (the Location header refused it),
    and a retry got 409."""
    before = server.request("GET", path).json()["total"]
    for rid in ("a\u0000b", "tab\there", "new\nline"):
        r = server.request("POST", path, {"name": "控制字符", "id": rid})
        assert r.status == 400, (rid, r.body)
        assert "id" in r.json()["error"]["fields"]
    assert server.request("GET", path).json()["total"] == before


def test_bad_input_is_a_400_never_a_500(server: Server) -> None:
    """A whole-document POST with a key nested 300 deep, and sync settings with
    a number for the address: clear 400s, and nothing is stored."""
    deep: object = "底"
    for _ in range(300):
        deep = {"k": deep}
    r = server.request("POST", "/api/data", {"projects": [], "notes": deep})
    assert r.status == 400, r.body
    assert "notes" in r.json()["error"]["fields"]
    assert "notes" not in server.request("GET", "/api/data").json()
    for body in ({"url": 5}, {"url": "https://example.com", "token": 7}, {"interval": "often"}):
        r = server.request("PUT", "/api/sync/settings", body)
        assert r.status == 400, (body, r.body)
