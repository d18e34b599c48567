"""Finding data problems (localapp/problems.py) at 100,000 products and 20,000 tasks.

The store holds 100,000 products of which 100 SKUs are each on two products
(written past the catalogue's check, as sync does), and 1,000 projects of
20 tasks (dependency chains), 10 of the projects deleted under a live task
and one loop of two tasks. Times, median of N runs, in-process:

- `find (cached)`: nothing changed since the last call: what the top bar's
  poll costs;
- `find after a product edit`: the product part again (the search index
  keeps the shared SKUs, so this does not read the 100,000 products);
- `find after a task edit`: the schedule part again: one pass over the tasks;
- `naive SKU pass`: for comparison, one pass grouping all live products by
  folded SKU, what finding duplicates would cost without the index's map;
- `fix change_sku`: one fix, the catalogue's update included.

Goals: a cached find (what the top bar's poll costs) under 1 ms, and a
product edit never paying for a pass over the 100,000 products.

    .venv/bin/python benchmarks/bench_problems.py [--products 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import make_products  # noqa: E402
from common import median_ms, p95_ms, print_table, timed  # noqa: E402
from tinydb import where  # noqa: E402

from localapp.catalogue import Catalogue  # noqa: E402
from localapp.catalogue.orders import Orders  # noqa: E402
from localapp.catalogue.search import fold  # noqa: E402
from localapp.problems import Problems  # noqa: E402
from localapp.records import gc_paused, write  # noqa: E402
from localapp.schedule import PROJECTS, TASKS, Schedule  # noqa: E402
from localapp.store import Store  # noqa: E402

DUPLICATES = 100
PROJECTS_N, PER_PROJECT, ORPHANED = 1000, 20, 10


def schedule_document() -> dict[str, Any]:
    doc: dict[str, Any] = {"projects": [], "tasks": []}
    for p in range(PROJECTS_N):
        pid = f"p{p:04d}"
        doc["projects"].append({"id": pid, "name": f"项目 {p}"})
        prev = None
        for i in range(PER_PROJECT):
            tid = f"{pid}-t{i:02d}"
            doc["tasks"].append(
                {
                    "id": tid,
                    "project_id": pid,
                    "name": f"任务 {p}-{i}",
                    "type_id": str(1 + i % 6),
                    "start": "2025-03-01",
                    "end": "2025-03-05",
                    "depends_on": [prev] if prev else [],
                }
            )
            prev = tid
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    products = make_products(args.products)
    copies = []
    for i, original in enumerate(products[:DUPLICATES]):
        twin = make_products(1, seed=1000 + i)[0]
        twin["sku"] = original["sku"].lower()  # the other device typed it in lower case
        copies.append(twin)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp)) as store:
        with gc_paused(), store.transaction():
            write(store, "products", products + copies, {})
        sched = Schedule.open(store)
        sched.replace_data(schedule_document())
        catalogue = Catalogue(store)
        problems = Problems(sched, catalogue, Orders(catalogue, Path(tmp) / "uploads"))
        # What sync leaves behind (written past the schedule's rules, as sync
        # does): projects deleted with one task still in them, and one loop.
        with store.transaction():
            for p in range(ORPHANED):
                for i in range(PER_PROJECT - 1):
                    sched.delete(TASKS, f"p{p:04d}-t{i:02d}")
            projects_table, tasks_table = store.table(PROJECTS), store.table(TASKS)
            gone = [
                d.doc_id
                for d in projects_table.search(
                    where("id").one_of([f"p{p:04d}" for p in range(ORPHANED)])
                )
            ]
            projects_table.update({"deleted": True}, doc_ids=gone)
            looped = tasks_table.search(where("id") == "p0500-t05")[0]
            tasks_table.update({"depends_on": ["p0500-t06"]}, doc_ids=[looped.doc_id])

        t0 = time.perf_counter()
        with catalogue.reading():
            pass
        with sched.reading():
            pass
        index_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = problems.find()
        first_ms = (time.perf_counter() - t0) * 1000
        counts: dict[str, int] = {}
        for p in found:
            counts[p["kind"]] = counts.get(p["kind"], 0) + 1
        assert counts == {
            "orphan_tasks": ORPHANED,
            "dependency_cycle": 1,
            "duplicate_sku": DUPLICATES,
        }, counts

        some = products[DUPLICATES]["id"]
        n = [0]

        def product_edit() -> None:
            n[0] += 1
            catalogue.update(some, {"notes": f"edit {n[0]}"})

        def task_edit() -> None:
            n[0] += 1
            sched.update(TASKS, "p0999-t00", {"notes": f"edit {n[0]}"})

        def naive() -> None:
            with catalogue.reading() as index:
                seen: dict[str, int] = {}
                shared: dict[str, list[int]] = {}
                for doc_id, doc in index.live_docs():
                    sku = fold(doc.get("sku"))
                    if sku and seen.setdefault(sku, doc_id) != doc_id:
                        shared.setdefault(sku, [seen[sku]]).append(doc_id)
                assert len(shared) == DUPLICATES

        dup = [p for p in found if p["kind"] == "duplicate_sku"]

        def fix() -> None:
            p = dup.pop()
            problems.fix(
                {
                    "problem": p["id"],
                    "action": "change_sku",
                    "product": p["records"][1]["id"],
                    "sku": p["sku"] + "-B",
                }
            )

        def edited_then_found(edit: Any) -> Any:
            def run() -> float:
                edit()
                t = time.perf_counter()
                problems.find()
                return time.perf_counter() - t

            return run

        rows = []
        cached = timed(problems.find, args.repeat)
        rows.append(["find (cached)", f"{median_ms(cached):.3f}", f"{p95_ms(cached):.3f}"])
        for label, edit in (
            ("find after a product edit", product_edit),
            ("find after a task edit", task_edit),
        ):
            run = edited_then_found(edit)
            samples = [run() for _ in range(args.repeat)]
            rows.append([label, f"{median_ms(samples):.2f}", f"{p95_ms(samples):.2f}"])
        slow = timed(naive, args.repeat)
        rows.append(
            ["naive SKU pass (comparison)", f"{median_ms(slow):.2f}", f"{p95_ms(slow):.2f}"]
        )
        fixes = timed(fix, min(args.repeat, DUPLICATES))
        rows.append(["fix change_sku", f"{median_ms(fixes):.2f}", f"{p95_ms(fixes):.2f}"])
        print_table(
            f"Problems at {args.products:,} products ({DUPLICATES} shared SKUs) and "
            f"{PROJECTS_N * PER_PROJECT:,} tasks: median ms of {args.repeat}",
            ["operation", "median ms", "p95 ms"],
            rows,
        )
        print(
            f"\nfirst find (both parts, indexes built): {first_ms:.1f} ms; building the "
            f"catalogue index and schedule mirror before it: {index_s:.2f} s"
        )


if __name__ == "__main__":
    main()
