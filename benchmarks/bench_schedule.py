"""Schedule at scale: list one project's tasks among 20,000 (goal: under 20 ms).

Builds 1,000 projects with 20 tasks each (dependency chains inside each
project) in a temp data dir, then times, as the median and 95th percentile
over N runs:

- `Schedule.list_records("tasks", {"project_id": ...})`, the domain call;
- `GET /api/tasks?project_id=...` against a real `localapp serve` on
  127.0.0.1 (one kept-alive connection, bearer token), parse included;
- the same query on stdlib sqlite3 (indexed project_id, rows turned into
  dicts) over the same data, as the baseline;
- plus one task edit (PATCH through the domain vs an UPDATE + commit in
  sqlite3 with synchronous=FULL) and the whole /api/data document.

Run: .venv/bin/python benchmarks/bench_schedule.py [--runs 200] [--no-http]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve  # noqa: E402

from localapp.schedule import TASKS, Schedule  # noqa: E402
from localapp.store import Store  # noqa: E402

GOAL_MS = 20.0


def build_document(projects: int, per_project: int) -> dict[str, Any]:
    rnd = random.Random(3)
    doc: dict[str, Any] = {"projects": [], "tasks": []}
    for p in range(projects):
        pid = f"p{p:04d}"
        doc["projects"].append(
            {
                "id": pid,
                "name": f"项目 {p}",
                "owner": f"负责人{p % 37}",
                "status": "active",
                "start": "2025-01-01",
                "end": "2025-12-31",
                "notes": "",
            }
        )
        prev = None
        for t in range(per_project):
            month, day = 1 + rnd.randrange(12), 1 + rnd.randrange(20)
            doc["tasks"].append(
                {
                    "id": f"{pid}-t{t:02d}",
                    "project_id": pid,
                    "name": f"任务 {p}.{t}",
                    "type_id": str(1 + t % 6),
                    "start": f"2025-{month:02d}-{day:02d}",
                    "end": f"2025-{month:02d}-{day + rnd.randrange(8):02d}",
                    "assignee": f"成员{rnd.randrange(50)}",
                    "progress": rnd.randrange(101),
                    "depends_on": [prev] if prev else [],
                    "milestone": t == per_project - 1,
                    "notes": "说明" * rnd.randrange(5),
                }
            )
            prev = f"{pid}-t{t:02d}"
    return doc


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """(median, p95) in milliseconds over `runs` calls, after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def build_sqlite(path: Path, doc: dict[str, Any]) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("""CREATE TABLE tasks (id TEXT PRIMARY KEY, project_id TEXT, name TEXT,
                  type_id TEXT, start TEXT, "end" TEXT, assignee TEXT, progress INT,
                  depends_on TEXT, milestone INT, notes TEXT, created_at TEXT,
                  updated_at TEXT, rev INT, deleted INT)""")
    db.execute("CREATE INDEX tasks_project ON tasks(project_id)")
    now = "2025-01-01T00:00:00.000Z"
    db.executemany(
        "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
        [
            (
                t["id"],
                t["project_id"],
                t["name"],
                t["type_id"],
                t["start"],
                t["end"],
                t["assignee"],
                t["progress"],
                json.dumps(t["depends_on"]),
                t["milestone"],
                t["notes"],
                now,
                now,
                1,
            )
            for t in doc["tasks"]
        ],
    )
    db.commit()
    return db


def sqlite_list(db: sqlite3.Connection, pid: str) -> list[dict[str, Any]]:
    cur = db.execute(
        'SELECT id, project_id, name, type_id, start, "end", assignee, progress, depends_on, '
        "milestone, notes, created_at, updated_at, rev FROM tasks "
        'WHERE project_id = ? AND deleted = 0 ORDER BY start, "end", name, id',
        (pid,),
    )
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur:
        rec = dict(zip(cols, row, strict=True))
        rec["depends_on"] = json.loads(rec["depends_on"])
        rec["milestone"] = bool(rec["milestone"])
        out.append(rec)
    return out


class LiveServer(Serve):
    """`localapp serve` on the benchmark's data dir, read over one kept-alive
    connection (as a browser does), so the figure is the server's, not connects'."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        try:
            self.until("/health", 60)
        except RuntimeError:
            self.stop()
            raise
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def get(self, path: str) -> tuple[int, Any]:
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
        res = self.conn.getresponse()
        return res.status, json.loads(res.read())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--tasks-per-project", type=int, default=20)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--no-http", action="store_true", help="skip the live-server rows")
    args = ap.parse_args()

    doc = build_document(args.projects, args.tasks_per_project)
    n_tasks = len(doc["tasks"])
    pids = [p["id"] for p in doc["projects"]]
    rnd = random.Random(7)
    rows: list[tuple[str, float, float, float | None, str]] = []

    with tempfile.TemporaryDirectory(prefix="bench-schedule-") as tmp:
        data_dir = Path(tmp) / "data"
        store = Store.open(data_dir)
        sched = Schedule.open(store)
        t0 = time.perf_counter()
        sched.replace_data(doc)
        load_s = time.perf_counter() - t0

        db = build_sqlite(Path(tmp) / "baseline.sqlite", doc)
        sq_med, _ = timed(lambda: sqlite_list(db, rnd.choice(pids)), args.runs)

        check = sched.list_records(TASKS, {"project_id": pids[0], "per_page": "1000"})
        assert check["total"] == args.tasks_per_project, check["total"]
        med, p95 = timed(
            lambda: sched.list_records(TASKS, {"project_id": rnd.choice(pids), "per_page": "1000"}),
            args.runs,
        )
        rows.append(("list one project's tasks (domain)", med, p95, sq_med, f"< {GOAL_MS:g} ms"))

        counter = iter(range(10**9))

        def edit() -> None:
            pid = rnd.choice(pids)
            sched.update(TASKS, f"{pid}-t05", {"progress": next(counter) % 101})

        def sqlite_edit() -> None:
            db.execute(
                "UPDATE tasks SET progress = ?, rev = rev + 1 WHERE id = ?",
                (next(counter) % 101, f"{rnd.choice(pids)}-t05"),
            )
            db.commit()

        e_med, e_p95 = timed(edit, min(args.runs, 100))
        se_med, _ = timed(sqlite_edit, min(args.runs, 100))
        rows.append(("edit one task, durable (domain)", e_med, e_p95, se_med, ""))

        x_med, x_p95 = timed(sched.export_data, 5)
        rows.append(("whole /api/data document (domain)", x_med, x_p95, None, ""))
        store.close()

        # A second process's view: open the store cold and answer the first list.
        t0 = time.perf_counter()
        with Store.open(data_dir) as cold:
            Schedule(cold).list_records(TASKS, {"project_id": pids[1]})
        cold_s = time.perf_counter() - t0

        if not args.no_http:
            server = LiveServer(data_dir)
            try:
                status, body = server.get(f"/api/tasks?project_id={pids[0]}&per_page=1000")
                assert status == 200 and body["total"] == args.tasks_per_project, body
                h_med, h_p95 = timed(
                    lambda: server.get(f"/api/tasks?project_id={rnd.choice(pids)}&per_page=1000"),
                    args.runs,
                )
                rows.insert(
                    1,
                    ("list one project's tasks (HTTP)", h_med, h_p95, sq_med, f"< {GOAL_MS:g} ms"),
                )
                d_med, d_p95 = timed(lambda: server.get("/api/data"), 5)
                rows.append(("whole /api/data document (HTTP)", d_med, d_p95, None, ""))
            finally:
                server.stop()
        db.close()

    print(
        f"Schedule benchmark: {args.projects} projects, {n_tasks} tasks, "
        f"{args.tasks_per_project} per project; median over {args.runs} runs "
        f"(5 for whole documents, 100 for edits)."
    )
    print(
        f"Bulk load through POST /api/data semantics (one transaction): {load_s:.2f} s; "
        f"reopening the store + first list (full index build): {cold_s * 1000:.0f} ms\n"
    )
    head = (
        f"{'operation':<38} {'median ms':>10} {'p95 ms':>8} {'sqlite3 ms':>11} {'ratio':>7}  goal"
    )
    print(head)
    print("-" * len(head))
    for name, med, p95, base, goal in rows:
        base_s = f"{base:11.3f}" if base is not None else f"{'-':>11}"
        ratio = f"{med / base:6.1f}x" if base else f"{'-':>7}"
        ok = "" if not goal else (" ok" if med < GOAL_MS else " MISSED")
        print(f"{name:<38} {med:10.3f} {p95:8.3f} {base_s} {ratio}  {goal}{ok}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
