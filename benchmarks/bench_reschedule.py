"""Rescheduling after one move (issue 16): 2,000 tasks, 1,500 finish-to-start links.

The worst case: one chain of 1,501 tasks (1,500 links) plus 499 free tasks;
the first task of the chain is moved 5 days later, so every task of the chain
moves. Printed beside stdlib `graphlib.TopologicalSorter` over the same graph
(the floor: ordering the tasks at all):

- the engine alone, in-process (`schedule/scheduling.reschedule`);
- one PATCH of the first task through a real `localapp serve` over HTTP, which
  places and durably writes all 1,501 changed tasks in one transaction (the
  path the user meets), alternately 5 days later and back.

    .venv/bin/python benchmarks/bench_reschedule.py [--runs 15]

Goal (issue 16): the reschedule itself <= 50 ms on the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import graphlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve, median_ms, print_table, timed  # noqa: E402

from localapp.schedule.scheduling import reschedule  # noqa: E402

TASKS, LINKS = 2000, 1500
D0 = dt.date(2026, 3, 2)


def day(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


def build() -> dict[str, dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = {}
    for i in range(TASKS):
        deps = [f"t{i - 1:04d}"] if 1 <= i <= LINKS else []
        start = 3 * i if i <= LINKS else i % 30
        tasks[f"t{i:04d}"] = {
            "id": f"t{i:04d}",
            "project_id": "p1",
            "name": f"任务 {i}",
            "start": day(start),
            "end": day(start + 2),
            "depends_on": deps,
        }
    return tasks


def successors_of(tasks: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rid, t in tasks.items():
        for p in t["depends_on"]:
            out.setdefault(p, []).append(rid)
    return out


def in_process(runs: int) -> tuple[list[float], list[float], int]:
    tasks = build()
    succ = successors_of(tasks)
    moved = dict(tasks["t0000"], start=day(5), end=day(7))
    view = {**tasks, "t0000": moved}
    n = len(reschedule(["t0000"], view.get, lambda r: succ.get(r, ())))
    ours = timed(lambda: reschedule(["t0000"], view.get, lambda r: succ.get(r, ())), runs)
    graph = {rid: t["depends_on"] for rid, t in tasks.items()}
    floor = timed(lambda: list(graphlib.TopologicalSorter(graph).static_order()), runs)
    return ours, floor, n  # seconds


def over_http(runs: int, root: Path) -> tuple[list[float], int]:
    server = Serve(root / "data")
    try:
        server.until("/health")
        tasks = build()
        body = {
            "projects": [{"id": "p1", "name": "重排", "status": "active"}],
            "tasks": list(tasks.values()),
        }
        status, answer = server.request("POST", "/api/data", json.dumps(body).encode())
        if status != 200:
            raise RuntimeError(f"/api/data answered {status}: {answer[:300]!r}")
        samples, moved = [], 0
        for i in range(runs):
            later = i % 2 == 0  # 5 days later, then back (which moves nothing back)
            start, end = (day(5), day(7)) if later else (day(0), day(2))
            t0 = time.perf_counter()
            status, answer = server.request(
                "PATCH", "/api/tasks/t0000", json.dumps({"start": start, "end": end}).encode()
            )
            took = time.perf_counter() - t0
            if status != 200:
                raise RuntimeError(f"PATCH answered {status}: {answer[:300]!r}")
            n = len(json.loads(answer).get("moved") or [])
            if n:
                samples.append(took)
                moved = n
            elif later:
                raise RuntimeError("a move that should push the chain moved nothing")
            if not later:
                # put the chain back where it was for the next run (as a user would not)
                shifted = {
                    **body,
                    "tasks": [dict(t) for t in tasks.values()],
                }
                server.request("POST", "/api/data", json.dumps(shifted).encode())
        return samples, moved
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    ours, floor, n = in_process(args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        http_ms, http_moved = over_http(args.runs, Path(tmp))

    p50 = median_ms  # the samples are in seconds

    print_table(
        f"Rescheduling {TASKS:,} tasks with {LINKS:,} links after one move (median of runs)",
        ["what", "tasks moved", "localapp (ms)", "graphlib topo sort (ms)", "ratio"],
        [
            [
                "the engine alone, in-process",
                n,
                f"{p50(ours):.1f}",
                f"{p50(floor):.1f}",
                f"{p50(ours) / p50(floor):.1f}×",
            ],
            [
                "PATCH over HTTP: place, write 1,501 tasks durably, answer",
                http_moved,
                f"{p50(http_ms):.1f}",
                f"{p50(floor):.1f}",
                f"{p50(http_ms) / p50(floor):.0f}×",
            ],
        ],
    )
    print("Goal (issue 16): the reschedule <= 50 ms on the server.")


if __name__ == "__main__":
    main()
