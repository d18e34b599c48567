"""Store speed at 100,000 products: one durable edit, and opening the store.

Compares localapp's journaled TinyDB store with stdlib sqlite3 (one row per
product, JSON column, default rollback journal with synchronous=FULL) on the
same data in the same run, and prints a table with ratios.

    .venv/bin/python benchmarks/bench_store.py [--products 100000] [--edits 200]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_ms, p95_ms, print_table, timed  # noqa: E402

from localapp.store import Store  # noqa: E402


def make_products(n: int) -> list[dict]:
    rng = random.Random(1)
    cats = ["五金工具", "电工电料", "劳保用品", "紧固件", "办公用品"]
    return [
        {
            "id": f"p{i:06d}",
            "sku": f"SKU-{i:06d}",
            "name": f"{rng.choice(['螺丝刀', '扳手', '钳子', '电钻', '卷尺'])} {i}",
            "category": rng.choice(cats),
            "spec": f"{rng.randint(1, 300)}mm",
            "unit": "把",
            "price_cents": rng.randint(100, 100000),
            "currency": "CNY",
            "supplier": f"供应商{rng.randint(1, 200)}",
            "tags": ["常用"],
            "images": [],
            "notes": "",
            "price_history": [
                {"price_cents": 1000, "at": "2026-01-01T00:00:00Z", "source": "import"}
            ],
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "rev": 1,
        }
        for i in range(n)
    ]


def bench_localapp(root: Path, products: list[dict], edits: int) -> dict[str, list[float]]:
    d = root / "localapp"
    with Store.open(d) as store:
        t0 = time.perf_counter()
        store.table("products").insert_multiple(products)
        load = time.perf_counter() - t0
        store.storage.compact()
    rng = random.Random(2)
    opens = timed(lambda: Store.open(d).close(), 5)
    with Store.open(d) as store:
        table = store.table("products")
        n = len(products)

        def edit() -> None:
            doc_id = rng.randint(1, n)
            table.update({"price_cents": rng.randint(100, 100000)}, doc_ids=[doc_id])

        edits_t = timed(edit, edits)
    return {"load": [load], "open": opens, "edit": edits_t}


def bench_sqlite(root: Path, products: list[dict], edits: int) -> dict[str, list[float]]:
    path = root / "baseline.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
    t0 = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO products (doc) VALUES (?)",
            ((json.dumps(p, ensure_ascii=False),) for p in products),
        )
    load = time.perf_counter() - t0
    con.close()

    def open_all() -> None:
        # Comparable with our open: every product loaded and ready in memory.
        c = sqlite3.connect(path)
        {row[0]: json.loads(row[1]) for row in c.execute("SELECT id, doc FROM products")}
        c.close()

    def open_only() -> None:
        c = sqlite3.connect(path)
        c.execute("SELECT count(*) FROM products").fetchone()
        c.close()

    opens = timed(open_all, 5)
    connects = timed(open_only, 5)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=FULL")
    rng = random.Random(2)
    n = len(products)

    def edit() -> None:
        doc_id = rng.randint(1, n)
        with con:
            doc = json.loads(
                con.execute("SELECT doc FROM products WHERE id=?", (doc_id,)).fetchone()[0]
            )
            doc["price_cents"] = rng.randint(100, 100000)
            con.execute(
                "UPDATE products SET doc=? WHERE id=?",
                (json.dumps(doc, ensure_ascii=False), doc_id),
            )

    edits_t = timed(edit, edits)
    con.close()
    return {"load": [load], "open": opens, "connect": connects, "edit": edits_t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--edits", type=int, default=200)
    args = ap.parse_args()
    products = make_products(args.products)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours = bench_localapp(root, products, args.edits)
        base = bench_sqlite(root, products, args.edits)
    rows = []
    for what, label in [("edit", "one durable edit"), ("open", "open, all rows ready")]:
        o, b = median_ms(ours[what]), median_ms(base[what])
        rows.append(
            [
                label,
                f"{o:.2f}",
                f"{p95_ms(ours[what]):.2f}",
                f"{b:.2f}",
                f"{p95_ms(base[what]):.2f}",
                f"{o / b:.2f}x",
            ]
        )
    rows.append(["sqlite3 connect + count(*)", "", "", f"{median_ms(base['connect']):.2f}", "", ""])
    rows.append(
        [
            "bulk insert (one txn)",
            f"{ours['load'][0] * 1000:.0f}",
            "",
            f"{base['load'][0] * 1000:.0f}",
            "",
            f"{ours['load'][0] / base['load'][0]:.2f}x",
        ]
    )
    print_table(
        f"Store at {args.products:,} products ({args.edits} edits, 5 opens); times in ms",
        [
            "operation",
            "localapp median",
            "localapp p95",
            "sqlite3 median",
            "sqlite3 p95",
            "ratio (localapp/sqlite3)",
        ],
        rows,
    )
    print("Goals: edit <= 10 ms durable; open < 800 ms at 100,000 products.")


if __name__ == "__main__":
    main()
