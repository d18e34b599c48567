"""Product search at 100,000 products: our prepared index vs stdlib sqlite3.

Every query returns one page (50 rows) and the total count, as
GET /api/products does. Measured in-process, median over repeats:

- `index`: `Catalogue.search` over a real Store (store lock + index + copies
  of the 50 products), i.e. everything but HTTP;
- `sqlite fts5`: a trigram FTS5 table over the same searchable text (name,
  SKU, spec, supplier and the name's pinyin), COUNT + page query; queries
  shorter than 3 characters cannot use trigrams and fall back to LIKE;
- `sqlite like`: `LIKE '%q%'` over one indexed text column, COUNT + page.

Goal: index median <= 15 ms per query at 100,000 products.

    .venv/bin/python benchmarks/bench_search.py [--products 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_ms, p95_ms, print_table, timed  # noqa: E402

from localapp.catalogue import Catalogue  # noqa: E402
from localapp.catalogue.pinyin import pinyin_forms  # noqa: E402
from localapp.catalogue.search import SearchQuery  # noqa: E402
from localapp.records import gc_paused, new_ids, now_iso, write  # noqa: E402
from localapp.store import Store  # noqa: E402

MATERIALS = [
    "不锈钢",
    "碳钢",
    "合金",
    "铜",
    "铝",
    "塑料",
    "尼龙",
    "镀锌",
    "黑色",
    "加长",
    "强力",
    "迷你",
    "工业级",
    "家用",
    "防滑",
    "绝缘",
    "磁性",
    "重型",
    "精密",
    "多功能",
]
ITEMS = [
    "螺丝刀",
    "扳手",
    "钳子",
    "锤子",
    "电钻",
    "卷尺",
    "美工刀",
    "螺丝",
    "螺母",
    "垫片",
    "膨胀螺栓",
    "插座",
    "开关",
    "灯泡",
    "电线",
    "胶带",
    "手套",
    "口罩",
    "安全帽",
    "水龙头",
    "阀门",
    "管件",
    "扎带",
    "砂纸",
    "钻头",
    "锯条",
    "油漆刷",
    "密封胶",
    "万用表",
    "电烙铁",
    "工具箱",
    "梯子",
]
KINDS = ["十字", "一字", "六角", "内六角", "梅花", "套装", "单支", "双头", "可调", "快速"]
CATEGORIES = [
    "五金工具",
    "电工电料",
    "劳保用品",
    "紧固件",
    "管道阀门",
    "化工胶粘",
    "测量仪器",
    "五金配件",
]
SUPPLIERS = [
    "上海五金",
    "广州工具厂",
    "宁波紧固件",
    "永康工具",
    "温州电器",
    "义乌百货",
    "ACME Tools",
    "深圳仪表",
    "天津钢材",
    "苏州胶粘",
]


def make_products(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = now_iso()
    out = []
    for i, rid in enumerate(new_ids(n)):
        name = f"{rng.choice(MATERIALS)}{rng.choice(KINDS)}{rng.choice(ITEMS)}"
        if rng.random() < 0.5:
            name += f" {rng.randint(1, 300)}mm"
        price = rng.randint(10, 500_000)
        out.append(
            {
                "id": rid,
                "sku": f"SKU-{i:06d}",
                "name": name,
                "category": rng.choice(CATEGORIES),
                "spec": rng.choice(
                    ["PH1", "PH2", "M6x20", "M8x30", "8寸", "10寸", "5m", "220V", "3.0mm", ""]
                ),
                "unit": rng.choice(["把", "个", "套", "盒", "米"]),
                "price": price,
                "currency": "CNY",
                "supplier": rng.choice(SUPPLIERS),
                "tags": [],
                "images": [],
                "notes": "",
                "price_history": [{"price": price, "at": now, "source": "import", "by": "bench"}],
                "created_at": now,
                "updated_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "rev": 1,
                "deleted": False,
                "deleted_at": None,
            }
        )
    return out


QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("pinyin initials lsd", {"q": "lsd"}),
    ("pinyin full banshou", {"q": "banshou"}),
    ("Chinese 螺丝", {"q": "螺丝"}),
    ("Chinese 不锈钢扳手", {"q": "不锈钢十字螺丝刀"}),
    ("one SKU", {"q": "SKU-054321"}),
    ("spec ph2 + sort price", {"q": "ph2", "sort": "price"}),
    ("supplier 上海五金", {"q": "上海五金"}),
    ("1 letter 'a' (broad)", {"q": "a"}),
    ("q + category", {"q": "shou", "category": "劳保用品"}),
    ("price range, sort -price", {"min_price": 10_000, "max_price": 20_000, "sort": "-price"}),
    ("no filter, page 100, -updated_at", {"sort": "-updated_at", "page": 100}),
    ("no match", {"q": "zzzzqqq"}),
]


def sqlite_db(products: list[dict[str, Any]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE p (rowid INTEGER PRIMARY KEY, id TEXT, name TEXT, sku TEXT, "
        "spec TEXT, supplier TEXT, category TEXT, price INTEGER, updated_at TEXT, "
        "hay TEXT, name_key TEXT)"
    )
    db.execute(
        "CREATE VIRTUAL TABLE f USING fts5(hay, tokenize='trigram', content='p', "
        "content_rowid='rowid')"
    )
    rows = []
    for i, p in enumerate(products, start=1):
        full, initials = pinyin_forms(p["name"])
        hay = "\x1f".join(
            x.casefold() for x in (p["name"], p["sku"], p["spec"], p["supplier"], full, initials)
        )
        rows.append(
            (
                i,
                p["id"],
                p["name"],
                p["sku"],
                p["spec"],
                p["supplier"],
                p["category"],
                p["price"],
                p["updated_at"],
                hay,
                full or p["name"],
            )
        )
    db.executemany("INSERT INTO p VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.execute("INSERT INTO f(f) VALUES ('rebuild')")
    for col in ("name_key", "price", "updated_at", "category"):
        db.execute(f"CREATE INDEX p_{col} ON p({col})")
    db.commit()
    return db


def sqlite_query(db: sqlite3.Connection, params: dict[str, Any], fts: bool) -> tuple[int, list]:
    where, args = [], []
    q = str(params.get("q", "")).casefold()
    use_fts = fts and len(q) >= 3
    if q and use_fts:
        where.append("p.rowid IN (SELECT rowid FROM f WHERE f MATCH ?)")
        args.append('"' + q.replace('"', '""') + '"')
    elif q:
        where.append("p.hay LIKE ?")
        args.append(f"%{q}%")
    if "category" in params:
        where.append("p.category = ?")
        args.append(params["category"])
    if "min_price" in params:
        where.append("p.price >= ?")
        args.append(params["min_price"])
    if "max_price" in params:
        where.append("p.price <= ?")
        args.append(params["max_price"])
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    sort = params.get("sort", "name")
    column = {"name": "name_key", "price": "price", "updated_at": "updated_at"}[sort.lstrip("-")]
    direction = "DESC" if sort.startswith("-") else "ASC"
    page = int(params.get("page", 1))
    total = db.execute(f"SELECT count(*) FROM p{sql_where}", args).fetchone()[0]
    rows = db.execute(
        f"SELECT id, name, price FROM p{sql_where} ORDER BY {column} {direction}, "
        f"rowid LIMIT 50 OFFSET {(page - 1) * 50}",
        args,
    ).fetchall()
    return total, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    products = make_products(args.products)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp)) as store:
        t0 = time.perf_counter()
        with gc_paused(), store.transaction():
            write(store, "products", products, {})
        load_s = time.perf_counter() - t0
        cat = Catalogue(store)
        t0 = time.perf_counter()
        cat.search(SearchQuery())  # builds the index: the cost after start or a big import
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for sort in ("price", "updated_at"):
            cat.search(SearchQuery(sort=sort))
        orders_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        db = sqlite_db(products)
        sqlite_s = time.perf_counter() - t0

        rows: list[list[object]] = []
        ours: list[float] = []
        for label, params in QUERIES:
            query = SearchQuery(**{k: v for k, v in params.items()})
            result = cat.search(query)
            total_fts, _ = sqlite_query(db, params, fts=True)
            total_like, _ = sqlite_query(db, params, fts=False)
            assert result["total"] == total_fts == total_like, (
                label,
                result["total"],
                total_fts,
                total_like,
            )
            t_index = timed(lambda q=query: cat.search(q), args.repeat)
            t_fts = timed(lambda p=params: sqlite_query(db, p, fts=True), args.repeat)
            t_like = timed(lambda p=params: sqlite_query(db, p, fts=False), args.repeat)
            ours.append(median_ms(t_index))
            rows.append(
                [
                    label,
                    result["total"],
                    f"{median_ms(t_index):.2f}",
                    f"{p95_ms(t_index):.2f}",
                    f"{median_ms(t_fts):.2f}",
                    f"{median_ms(t_like):.2f}",
                    f"{median_ms(t_fts) / median_ms(t_index):.1f}x",
                    f"{median_ms(t_like) / median_ms(t_index):.1f}x",
                ]
            )
        print_table(
            f"Search at {args.products:,} products: one page of 50 + total, median ms "
            f"of {args.repeat}",
            [
                "query",
                "total",
                "index",
                "index p95",
                "sqlite fts5",
                "sqlite like",
                "fts5/index",
                "like/index",
            ],
            rows,
        )
        print(
            f"\nmedian of the index medians: {statistics.median(ours):.2f} ms "
            f"(goal <= 15 ms); worst: {max(ours):.2f} ms"
        )
        print(
            f"setup: store insert {load_s:.2f} s, index build (name order) {build_s:.2f} s, "
            f"price + updated_at orders {orders_s:.2f} s, sqlite load + fts build "
            f"{sqlite_s:.2f} s"
        )


if __name__ == "__main__":
    main()
