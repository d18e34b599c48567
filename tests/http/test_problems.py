"""Rules between records that sync cannot keep (localapp/problems.py): each
situation is made for real, by offline edits on two devices whose sync
records are then exchanged (stores in tmp dirs with a Replica each), or by
two `localapp serve` desktops syncing through a third as hub. What a user
notices: the problem is listed with the names of the records involved, each
fix changes what the app shows, and the fix reaches the other device.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Server

from localapp import errors
from localapp.catalogue import Catalogue
from localapp.catalogue.orders import Orders
from localapp.problems import FixBlocked, ProblemGone, Problems
from localapp.schedule import DEFAULT_TASK_TYPES, PROJECTS, TASKS, TYPES, Schedule
from localapp.store import Store
from localapp.sync.replica import Replica

SEEDS = {(TYPES, t["id"]): dict(t) for t in DEFAULT_TASK_TYPES}


@dataclass
class Device:
    store: Store
    schedule: Schedule
    catalogue: Catalogue
    orders: Orders
    replica: Replica
    problems: Problems

    def kinds(self) -> list[str]:
        return [p["kind"] for p in self.problems.find()]

    def problem(self, kind: str) -> dict[str, Any]:
        found = [p for p in self.problems.find() if p["kind"] == kind]
        assert len(found) == 1, self.problems.find()
        return found[0]

    def fix(self, problem: dict[str, Any], action: str, **args: Any) -> dict[str, Any]:
        return self.problems.fix({"problem": problem["id"], "action": action, **args})


def device(path: Path) -> Device:
    """A store with the domain and a sync replica on it, as a desktop has."""
    store = Store.open(path)
    schedule = Schedule.open(store)
    catalogue = Catalogue(store)
    orders = Orders(catalogue, path / "uploads")
    replica = Replica.attach(store, seeds=SEEDS)
    return Device(
        store, schedule, catalogue, orders, replica, Problems(schedule, catalogue, orders)
    )


@pytest.fixture
def devices(tmp_path: Path) -> Iterator[tuple[Device, Device]]:
    a, b = device(tmp_path / "a"), device(tmp_path / "b")
    try:
        yield a, b
    finally:
        a.store.close()
        b.store.close()


def sync(*devices: Device) -> None:
    """Every device gets every other's records (what rounds through a hub do)."""
    for _ in range(2):
        for src in devices:
            for dst in devices:
                if dst is not src:
                    dst.replica.apply(src.replica.all_records())


def task(d: Device, project: str, name: str, **extra: Any) -> dict[str, Any]:
    return d.schedule.create(
        TASKS,
        {"project_id": project, "name": name, "start": "2025-03-01", "end": "2025-03-03", **extra},
    )


def live_ids(d: Device, kind: str) -> set[str]:
    return {r["id"] for r in d.schedule.list_records(kind, {"per_page": "1000"})["items"]}


# -- tasks of a deleted project --------------------------------------------------------


def _orphan(devices: tuple[Device, Device]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deletes the project (and its tasks); B, offline, adds a task to it."""
    a, b = devices
    project = a.schedule.create(PROJECTS, {"name": "新仓库"})
    task(a, project["id"], "打地基")
    sync(a, b)
    a.schedule.delete(PROJECTS, project["id"], cascade=True)
    added = task(b, project["id"], "铺管道")
    sync(a, b)
    return project, added


def test_a_task_added_to_a_project_deleted_elsewhere_is_listed_and_restoring_shows_it(
    devices: tuple[Device, Device],
) -> None:
    a, b = devices
    project, added = _orphan(devices)
    for d in (a, b):
        # What a user sees: the project is gone from the schedule, the task with it.
        assert project["id"] not in live_ids(d, PROJECTS)
        p = d.problem("orphan_tasks")
        assert p["subject"] == {
            "table": "projects",
            "id": project["id"],
            "label": "新仓库",
            "deleted": True,
        }
        assert [(r["id"], r["label"]) for r in p["records"]] == [(added["id"], "铺管道")]
        assert "新仓库" in p["message"] and "铺管道" in p["message"]
        assert [x["action"] for x in p["actions"]] == ["restore_project", "delete_tasks"]
    # The seed's client saves the whole document it read: refused while the task is orphaned.
    with pytest.raises(errors.ValidationError) as refused:
        a.schedule.replace_data(a.schedule.export_data())
    assert "project_id" in refused.value.message
    result = a.fix(a.problem("orphan_tasks"), "restore_project")
    assert result["fixed"] and result["total"] == 0
    assert result["changed"] == [{"table": "projects", "id": project["id"], "change": "restored"}]
    assert project["id"] in live_ids(a, PROJECTS)
    assert a.schedule.replace_data(a.schedule.export_data()) is None  # saves (no change)
    sync(a, b)
    assert b.kinds() == []
    assert b.schedule.get(PROJECTS, project["id"])["name"] == "新仓库"
    shown = b.schedule.list_records(TASKS, {"project_id": project["id"]})["items"]
    assert [t["name"] for t in shown] == ["铺管道"]  # the one deleted with it stays deleted


def test_deleting_the_orphan_tasks_instead_reaches_the_other_device(
    devices: tuple[Device, Device],
) -> None:
    a, b = devices
    _project, added = _orphan(devices)
    result = b.fix(b.problem("orphan_tasks"), "delete_tasks")
    assert result["changed"] == [{"table": "tasks", "id": added["id"], "change": "deleted"}]
    sync(a, b)
    for d in (a, b):
        assert d.kinds() == []
        with pytest.raises(errors.NotFound):
            d.schedule.get(TASKS, added["id"])


def test_a_fix_made_on_the_other_device_first_is_gone_here(devices: tuple[Device, Device]) -> None:
    a, b = devices
    _orphan(devices)
    stale = a.problem("orphan_tasks")
    b.fix(b.problem("orphan_tasks"), "restore_project")
    sync(a, b)
    with pytest.raises(ProblemGone) as gone:
        a.fix(stale, "delete_tasks")
    assert gone.value.status == 409 and "another device" in gone.value.message
    assert a.kinds() == []


def test_an_orphan_task_can_still_be_edited(devices: tuple[Device, Device]) -> None:
    """An edit is refused only for references it adds, not for one broken elsewhere."""
    a, _b = devices
    project, added = _orphan(devices)
    edited = a.schedule.update(TASKS, added["id"], {"name": "铺管道（改）", "progress": 50})
    assert edited["name"] == "铺管道（改）" and edited["project_id"] == project["id"]
    with pytest.raises(errors.ValidationError) as refused:
        a.schedule.update(TASKS, added["id"], {"project_id": "no-such-project"})
    assert "project_id" in refused.value.fields


# -- task types, dependencies, loops --------------------------------------------------------


def test_a_task_given_a_type_deleted_elsewhere(devices: tuple[Device, Device]) -> None:
    a, b = devices
    project = a.schedule.create(PROJECTS, {"name": "官网改版"})
    kind = a.schedule.create(TYPES, {"name": "设计评审", "color": "#722ed1"})
    t1 = task(a, project["id"], "首页设计")
    sync(a, b)
    a.schedule.delete(TYPES, kind["id"])  # unused on A
    b.schedule.update(TASKS, t1["id"], {"type_id": kind["id"]})
    sync(a, b)
    p = a.problem("missing_type")
    assert p["subject"]["label"] == "设计评审" and p["subject"]["deleted"] is True
    assert [r["label"] for r in p["records"]] == ["首页设计"]
    assert p["records"][0]["project"] == "官网改版"
    assert a.fix(p, "clear_type")["fixed"]
    sync(a, b)
    assert b.schedule.get(TASKS, t1["id"])["type_id"] is None and b.kinds() == []


def test_restoring_a_deleted_type_keeps_the_task_s_type(devices: tuple[Device, Device]) -> None:
    a, b = devices
    project = a.schedule.create(PROJECTS, {"name": "官网改版"})
    kind = a.schedule.create(TYPES, {"name": "设计评审", "color": "#722ed1"})
    t1 = task(a, project["id"], "首页设计")
    sync(a, b)
    a.schedule.delete(TYPES, kind["id"])
    b.schedule.update(TASKS, t1["id"], {"type_id": kind["id"]})
    sync(a, b)
    b.fix(b.problem("missing_type"), "restore_type")
    sync(a, b)
    assert a.schedule.get(TYPES, kind["id"])["color"] == "#722ed1"
    assert a.schedule.get(TASKS, t1["id"])["type_id"] == kind["id"] and a.kinds() == []


def _links(devices: tuple[Device, Device]) -> dict[str, dict[str, Any]]:
    """A deletes 验收; B makes 上线 wait for it. A makes 开发 wait for 测试, B the reverse."""
    a, b = devices
    project = a.schedule.create(PROJECTS, {"name": "App 2.0"})
    names = ("开发", "测试", "验收", "上线")
    t = {n: task(a, project["id"], n) for n in names}
    sync(a, b)
    a.schedule.delete(TASKS, t["验收"]["id"])
    a.schedule.update(TASKS, t["开发"]["id"], {"depends_on": [t["测试"]["id"]]})
    b.schedule.update(TASKS, t["上线"]["id"], {"depends_on": [t["验收"]["id"]]})
    b.schedule.update(TASKS, t["测试"]["id"], {"depends_on": [t["开发"]["id"]]})
    sync(a, b)
    return t


def test_a_link_to_a_task_deleted_elsewhere_and_a_loop_are_listed_and_fixed(
    devices: tuple[Device, Device],
) -> None:
    a, b = devices
    t = _links(devices)
    assert a.kinds() == ["missing_dependency", "dependency_cycle"]
    dangling = a.problem("missing_dependency")
    assert dangling["subject"]["label"] == "上线"
    assert [(r["label"], r["deleted"]) for r in dangling["records"]] == [("验收", True)]
    loop = a.problem("dependency_cycle")
    assert sorted(r["label"] for r in loop["records"]) == ["开发", "测试"]
    assert {(x["task"], x["depends_on"]) for x in loop["links"]} == {
        (t["开发"]["id"], t["测试"]["id"]),
        (t["测试"]["id"], t["开发"]["id"]),
    }
    assert "'开发'" in loop["message"] and "'测试'" in loop["message"]
    # The loop is named alike on both devices, so a list read on one fits the other.
    assert loop["id"] == b.problem("dependency_cycle")["id"]
    a.fix(loop, "drop_link", task=t["测试"]["id"], depends_on=t["开发"]["id"])
    b.fix(b.problem("missing_dependency"), "drop_dependencies")
    sync(a, b)
    for d in (a, b):
        assert d.kinds() == []
        assert d.schedule.get(TASKS, t["测试"]["id"])["depends_on"] == []
        assert d.schedule.get(TASKS, t["开发"]["id"])["depends_on"] == [t["测试"]["id"]]
        assert d.schedule.get(TASKS, t["上线"]["id"])["depends_on"] == []


def test_restoring_the_deleted_task_a_link_points_to(devices: tuple[Device, Device]) -> None:
    a, b = devices
    t = _links(devices)
    p = b.problem("missing_dependency")
    restore = next(x for x in p["actions"] if x["action"] == "restore_task")
    assert restore["task"] == t["验收"]["id"]
    b.fix(p, "restore_task", task=t["验收"]["id"])
    sync(a, b)
    assert a.schedule.get(TASKS, t["验收"]["id"])["name"] == "验收"
    assert a.kinds() == ["dependency_cycle"]


def test_a_task_in_a_loop_with_a_dead_link_can_be_fixed_either_way_first(
    devices: tuple[Device, Device],
) -> None:
    """Each fix edits one thing; another broken rule on the same task blocks neither."""
    a, b = devices
    project = a.schedule.create(PROJECTS, {"name": "App 2.0"})
    x, y, z = (task(a, project["id"], n) for n in ("X", "Y", "Z"))
    sync(a, b)
    a.schedule.delete(TASKS, z["id"])
    a.schedule.update(TASKS, x["id"], {"depends_on": [y["id"]]})
    b.schedule.update(TASKS, y["id"], {"depends_on": [x["id"], z["id"]]})
    sync(a, b)
    assert a.kinds() == ["missing_dependency", "dependency_cycle"]
    loop = a.problem("dependency_cycle")
    a.fix(loop, "drop_link", task=y["id"], depends_on=x["id"])
    assert a.kinds() == ["missing_dependency"]
    a.fix(a.problem("missing_dependency"), "drop_dependencies")
    assert a.kinds() == [] and a.schedule.get(TASKS, y["id"])["depends_on"] == []


def test_a_task_whose_project_is_deleted_too_cannot_be_restored_and_says_why(
    devices: tuple[Device, Device],
) -> None:
    a, b = devices
    p1 = a.schedule.create(PROJECTS, {"name": "一期"})
    p2 = a.schedule.create(PROJECTS, {"name": "二期"})
    old = task(a, p1["id"], "旧任务")
    new = task(a, p2["id"], "新任务")
    sync(a, b)
    a.schedule.delete(PROJECTS, p1["id"], cascade=True)
    b.schedule.update(TASKS, new["id"], {"depends_on": [old["id"]]})
    sync(a, b)
    p = a.problem("missing_dependency")
    with pytest.raises(FixBlocked) as blocked:
        a.fix(p, "restore_task", task=old["id"])
    assert "'一期'" in blocked.value.message and blocked.value.status == 409
    assert blocked.value.extra["blocked_by"][0]["label"] == "一期"
    assert a.kinds() == ["missing_dependency"]  # nothing changed
    a.fix(p, "drop_dependencies")
    assert a.kinds() == []


# -- products and orders ----------------------------------------------------------------


def test_a_manual_task_forced_before_its_predecessor_is_listed_and_scheduled(
    devices: tuple[Device, Device],
) -> None:
    """Issue 16: a violation the user forces (a manual task) is shown, not hidden;
    the fix makes it automatic, and the schedule moves it after its predecessor."""
    a, _b = devices
    p = a.schedule.create("projects", {"name": "手动"})["id"]
    first = task(a, p, "打地基", end="2025-03-05")
    forced = task(a, p, "砌墙", depends_on=[first["id"]], manual=True)
    assert forced["start"] == "2025-03-01", "a manual task keeps its dates"
    problem = a.problem("early_start")
    assert problem["subject"]["id"] == forced["id"]
    assert [r["id"] for r in problem["records"]] == [first["id"]]
    assert problem["earliest"] == "2025-03-06"
    assert "scheduled by hand" in problem["message"]
    a.fix(problem, "schedule_task")
    now = a.schedule.get(TASKS, forced["id"])
    # It was Sat 1 - Mon 3 March 2025: one working day, now Thu 6 March.
    assert (now["manual"], now["start"], now["end"]) == (False, "2025-03-06", "2025-03-06")
    assert "early_start" not in a.kinds()


def test_two_products_with_one_sku_are_listed_and_a_new_sku_settles_it(
    devices: tuple[Device, Device],
) -> None:
    a, b = devices
    mine = a.catalogue.create({"sku": "M8-40", "name": "六角螺栓 M8×40", "price": 125})
    theirs = b.catalogue.create(
        {"sku": "m8-40", "name": "螺栓 M8", "price": 130, "supplier": "宁波紧固件"}
    )
    sync(a, b)
    for d in (a, b):
        assert len(d.catalogue.list({"q": "M8"})["items"]) == 2
        p = d.problem("duplicate_sku")
        assert p["id"] == "duplicate_sku:m8-40" and p["sku"] in ("M8-40", "m8-40")
        assert [(r["label"], r["price_decimal"]) for r in p["records"]] == [
            ("六角螺栓 M8×40", "1.25"),
            ("螺栓 M8", "1.30"),
        ]
        assert p["records"][1]["supplier"] == "宁波紧固件"
    p = a.problem("duplicate_sku")
    # The catalogue's own rule: the new SKU must be free.
    with pytest.raises(errors.Conflict) as taken:
        a.fix(p, "change_sku", product=mine["id"], sku="M8-40 ")
    assert taken.value.extra["field_codes"] == {"sku": "duplicate_sku"}
    with pytest.raises(errors.ValidationError) as empty:
        a.fix(p, "change_sku", product=mine["id"], sku="  ")
    assert empty.value.fields == {"sku": "required"}
    result = a.fix(p, "change_sku", product=mine["id"], sku="M8-40A")
    assert result["fixed"] and result["changed"][0]["change"] == "edited"
    # The other product still owns the old SKU: a third one with it is refused.
    with pytest.raises(errors.Conflict):
        a.catalogue.create({"sku": "M8-40", "name": "又一个", "price": 1})
    sync(a, b)
    assert b.kinds() == []
    assert b.catalogue.get(mine["id"])["sku"] == "M8-40A"
    assert b.catalogue.get(theirs["id"])["sku"] == "m8-40"


def test_keeping_one_of_three_products_deletes_the_others_everywhere(
    devices: tuple[Device, Device], tmp_path: Path
) -> None:
    a, b = devices
    c = device(tmp_path / "c")
    try:
        a.catalogue.create({"sku": "P-1", "name": "水泥 A", "price": 3000})
        kept = b.catalogue.create({"sku": "P-1", "name": "水泥 B", "price": 3100})
        c.catalogue.create({"sku": "p-1", "name": "水泥 C", "price": 3200})
        sync(a, b, c)
        p = b.problem("duplicate_sku")
        assert [r["label"] for r in p["records"]] == ["水泥 A", "水泥 B", "水泥 C"]
        with pytest.raises(errors.ValidationError) as wrong:
            b.fix(p, "keep_product", product="not-one-of-them")
        assert wrong.value.extra["field_codes"] == {"product": "not_in_problem"}
        result = b.fix(p, "keep_product", product=kept["id"])
        assert [x["change"] for x in result["changed"]] == ["deleted", "deleted"]
        sync(a, b, c)
        for d in (a, b, c):
            assert [x["name"] for x in d.catalogue.list({"q": "水泥"})["items"]] == ["水泥 B"]
            assert d.kinds() == []
    finally:
        c.store.close()


def test_one_order_file_uploaded_on_two_devices_is_listed_once_and_one_kept(
    devices: tuple[Device, Device],
) -> None:
    a, b = devices
    sheet = "订单号,SO-88\n客户,张三五金店\n编码,名称,数量,单价\nA1,螺丝,10,1.50\n".encode()
    one = a.orders.upload(sheet, "订单.csv", fields={})
    two = b.orders.upload(sheet, "订单 (1).csv", fields={})
    sync(a, b)
    p = a.problem("duplicate_order")
    assert sorted(r["id"] for r in p["records"]) == sorted([one["id"], two["id"]])
    assert {r["label"] for r in p["records"]} == {"SO-88"}
    assert p["records"][0]["customer"] == "张三五金店"
    a.fix(p, "keep_order", order=two["id"])
    sync(a, b)
    for d in (a, b):
        assert [o["id"] for o in d.orders.live()] == [two["id"]] and d.kinds() == []


def test_a_fix_names_its_problem_and_one_of_its_actions(devices: tuple[Device, Device]) -> None:
    a, _b = devices
    _orphan(devices)
    p = a.problem("orphan_tasks")
    with pytest.raises(errors.ValidationError) as missing:
        a.problems.fix({"action": "restore_project"})
    assert missing.value.fields == {"problem": "required"}
    with pytest.raises(errors.ValidationError) as unknown:
        a.fix(p, "keep_product")
    assert "restore_project or delete_tasks" in unknown.value.message
    with pytest.raises(ProblemGone):
        a.problems.fix({"problem": "orphan_tasks:nothing", "action": "delete_tasks"})
    assert a.kinds() == ["orphan_tasks"]


def test_the_list_is_kept_until_a_table_it_reads_changes(devices: tuple[Device, Device]) -> None:
    a, _b = devices
    _orphan(devices)
    first = a.problems.find()
    assert a.problems.find()[0] is first[0]  # nothing changed: the same answer
    a.catalogue.create({"sku": "X-1", "name": "无关产品", "price": 1})
    assert a.problems.find()[0] is first[0]  # products do not touch the schedule's part
    a.fix(first[0], "delete_tasks")
    assert a.problems.find() == []
    listing = a.problems.listing(limit=0)
    assert listing == {"items": [], "total": 0, "counts": {}}


# -- over HTTP, through a hub --------------------------------------------------------------


def ok(s: Server, method: str, path: str, body: object | None = None) -> Any:
    r = s.request(method, path, body)
    assert r.status < 300, (method, path, r.status, r.body)
    return r.json()


def run(*servers: Server) -> None:
    for s in servers:
        ok(s, "POST", "/api/sync/run", {})


def test_http_problems_made_by_two_desktops_are_listed_fixed_and_synced(
    synced_desktops: tuple[Server, Server], hub: Server
) -> None:
    a, b = synced_desktops
    project = ok(a, "POST", "/api/projects", {"name": "新仓库"})
    ok(
        a,
        "POST",
        "/api/tasks",
        {"project_id": project["id"], "name": "打地基", "start": "2025-03-01", "end": "2025-03-05"},
    )
    run(a, b)
    # Offline on both: A deletes the project, B adds a task to it; both add SKU A100.
    ok(a, "DELETE", f"/api/projects/{project['id']}?cascade=1")
    added = ok(
        b,
        "POST",
        "/api/tasks",
        {"project_id": project["id"], "name": "铺管道", "start": "2025-03-10", "end": "2025-03-12"},
    )
    ok(a, "POST", "/api/products", {"sku": "A100", "name": "膨胀螺栓", "price": 80})
    theirs = ok(b, "POST", "/api/products", {"sku": "A100", "name": "膨胀螺丝", "price": 90})
    run(a, b, a)

    listed = ok(a, "GET", "/api/problems")
    assert listed["total"] == 2 and listed["counts"] == {"orphan_tasks": 1, "duplicate_sku": 1}
    orphan, dup = listed["items"]
    assert orphan["kind"] == "orphan_tasks" and orphan["subject"]["label"] == "新仓库"
    assert [r["label"] for r in orphan["records"]] == ["铺管道"]
    assert dup["kind"] == "duplicate_sku" and [r["label"] for r in dup["records"]] == [
        "膨胀螺丝",
        "膨胀螺栓",
    ]
    assert ok(a, "GET", "/api/problems?limit=0") == {
        "items": [],
        "total": 2,
        "counts": listed["counts"],
    }
    # The user's view before: the project and its new task are nowhere in the schedule.
    assert project["id"] not in [p["id"] for p in ok(a, "GET", "/api/projects")["items"]]

    r = ok(a, "POST", "/api/problems/fix", {"problem": orphan["id"], "action": "restore_project"})
    assert r["fixed"] and r["total"] == 1
    r = a.request(
        "POST",
        "/api/problems/fix",
        {
            "problem": dup["id"],
            "action": "change_sku",
            "product": theirs["product"]["id"],
            "sku": "a100",
        },
    )
    assert r.status == 409 and r.json()["error"]["field_codes"] == {"sku": "duplicate_sku"}
    assert (
        ok(
            a,
            "POST",
            "/api/problems/fix",
            {
                "problem": dup["id"],
                "action": "change_sku",
                "product": theirs["product"]["id"],
                "sku": "A100-B",
            },
        )["total"]
        == 0
    )
    assert ok(a, "GET", "/api/sync/status")["pending"] >= 2  # the fixes wait to be sent

    run(a, b)
    assert ok(b, "GET", "/api/problems") == {"items": [], "total": 0, "counts": {}}
    assert project["id"] in [p["id"] for p in ok(b, "GET", "/api/projects")["items"]]
    tasks = ok(b, "GET", f"/api/tasks?project_id={project['id']}")["items"]
    assert [t["id"] for t in tasks] == [added["id"]]
    assert ok(b, "GET", f"/api/products/{theirs['product']['id']}")["product"]["sku"] == "A100-B"
    assert ok(hub, "GET", "/api/problems")["total"] == 0


def test_http_errors_are_json_with_clear_messages(server: Server) -> None:
    r = server.request("POST", "/api/problems/fix", {"action": "restore_project"})
    assert r.status == 400
    err = r.json()["error"]
    assert err["code"] == "invalid" and err["fields"] == {"problem": "required"}
    r = server.request(
        "POST",
        "/api/problems/fix",
        {"problem": "duplicate_sku:x", "action": "keep_product", "product": "p"},
    )
    assert r.status == 409 and r.json()["error"]["code"] == "problem_gone"
    assert "another device" in r.json()["error"]["message"]
    r = server.request(
        "POST", "/api/problems/fix", b"not json", {"Content-Type": "application/json"}
    )
    assert r.status == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = server.request("GET", "/api/problems?limit=lots")
    assert r.status == 400 and r.json()["error"]["fields"] == {"limit": "must be from 0 to 200"}
    assert server.request("GET", "/api/problems", auth=False).status == 401
    assert server.request("POST", "/api/problems/fix", {}, auth=False).status == 401
    assert ok(server, "GET", "/api/problems") == {"items": [], "total": 0, "counts": {}}
