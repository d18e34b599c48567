"""The catalogue at scale, on the path the user meets: a real `localapp serve` with
its default settings, over HTTP on 127.0.0.1, fed a price list of N products.

For each size it prints: the import of a 7-column UTF-8 CSV over HTTP, the
first search after it, search p50 and p95 (page + total, five query kinds),
one durable edit (PATCH) p50, the server's RSS, the data files' size, and
after a restart: start to the first answer (/health 503 while it loads), to
/health 200 (loaded), and to the first answered search.
Beside them, stdlib sqlite3 with an FTS5 trigram index on the same rows in the
same run (insert in one transaction, the same queries, its file size), and
the ratio. The server runs as it does by default: with no device syncing with
it, it keeps no sync records.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 10000,100000] [--searches 20] [--hub]

--hub also runs each size on a server a device syncs with (its first pull right
after the import makes it keep sync records): the rows marked [devices sync].

Goals (issue 13) at 100,000 products: import <= 5 s, first search <= 0.3 s,
restart to /health <= 0.8 s, to first search <= 1.5 s, RSS <= 300 MiB, data
file <= 1.3 x the products' own JSON, search p50 <= 15 ms and <= 5 x FTS5,
edit p50 <= 10 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve, print_table, rss_mib, size_mib  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["螺丝刀", "lsd", "WJ-0", "扳手 五金", "8寸"]
NAMES = ["十字螺丝刀", "一字螺丝刀", "活动扳手", "尖嘴钳", "卷尺", "电钻", "角磨机", "水平尺"]
#: the most rows one import takes (localapp refuses more with "split it")
IMPORT_ROWS = 200_000
CATEGORIES = ["五金", "工具", "量具", "电动工具"]


def make_rows(n: int, seed: int = 3) -> list[list[str]]:
    rng = random.Random(seed)
    return [
        [
            f"WJ-{i:07d}",
            f"{rng.choice(NAMES)} {i}",
            rng.choice(["PH2×100mm", "8寸", "6寸", "5m", ""]),
            rng.choice(["把", "个", "套"]),
            f"{rng.randint(100, 99999) / 100:.2f}",
            rng.choice(CATEGORIES),
            rng.choice(["永康工具厂", "宁波五金", "上海量具"]),
        ]
        for i in range(n)
    ]


def csv_bytes(rows: list[list[str]]) -> bytes:
    head = "编码,名称,规格,单位,单价,分类,供应商\n"
    return (head + "\n".join(",".join(r) for r in rows) + "\n").encode()


def multipart(body: bytes, boundary: str) -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )


def timed_ms(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def search_path(q: str) -> str:
    return "/api/products?" + urllib.parse.urlencode({"q": q, "per_page": 50})


def ours(
    n: int, rows: list[list[str]], root: Path, searches: int, hub: bool = False
) -> dict[str, float]:
    """The user's path on a fresh `localapp serve`; `hub`: a device syncs with it
    right after the import (its first pull), so from then on it keeps sync
    records, as a server devices sync with does."""
    data_dir = root / f"localapp-{n}{'-hub' if hub else ''}"
    body = len(csv_bytes(rows[:IMPORT_ROWS]))
    # A price list larger than the default request limit (16 MiB: 200,000 rows
    # here) needs MAX_CONTENT_LENGTH raised, as its user would be told (413).
    env = {"MAX_CONTENT_LENGTH": str(2 * body)} if body > 16 * 2**20 else None
    server = Serve(data_dir, env=env)
    out: dict[str, float] = {}
    try:
        server.until("/health")
        boundary = uuid.uuid4().hex
        out["import_s"] = 0.0
        # One import takes at most 200,000 rows (a larger sheet is refused with
        # "split it"): a user splits 300,000 into two files, so do we.
        for part in range(0, n, IMPORT_ROWS):
            form = multipart(csv_bytes(rows[part : part + IMPORT_ROWS]), boundary)
            t0 = time.perf_counter()
            status, answer = server.request(
                "POST", "/api/products/import", form, f"multipart/form-data; boundary={boundary}"
            )
            out["import_s"] += time.perf_counter() - t0
            if status != 200:
                raise RuntimeError(f"import answered {status}: {answer[:300]!r}")
        if hub:  # a device's first pull: the server stamps every record once
            t0 = time.perf_counter()
            status, answer = server.request("GET", "/api/sync/pull?limit=1000")
            out["hub_pull_s"] = time.perf_counter() - t0
            if status != 200:
                raise RuntimeError(f"pull answered {status}: {answer[:300]!r}")
        t0 = time.perf_counter()
        server.request("GET", search_path("螺丝刀"))
        out["first_search_s"] = time.perf_counter() - t0
        samples = [
            t
            for q in QUERIES
            for t in timed_ms(lambda q=q: server.request("GET", search_path(q)), searches)
        ]
        samples.sort()
        out["search_p50_ms"] = samples[len(samples) // 2]
        out["search_p95_ms"] = samples[int(len(samples) * 0.95)]
        items = json.loads(server.request("GET", "/api/products?per_page=1")[1])["items"]
        pid = items[0]["id"]
        prices = iter(range(100, 100 + searches * 5))
        edits = timed_ms(
            lambda: server.request(
                "PATCH", f"/api/products/{pid}", json.dumps({"price": next(prices)}).encode()
            ),
            searches * 5,
        )
        out["edit_p50_ms"] = edits[len(edits) // 2]
        time.sleep(3)  # the background warm-up of the index settles
        out["rss_mib"] = rss_mib(server.proc.pid)
    finally:
        server.stop()
    # the data file, its journal and the sync records kept beside them
    files = [data_dir / "localapp.json", data_dir / "localapp.json.journal"]
    files += sorted(data_dir.glob("localapp.json.sync-*"))
    out["file_mib"] = sum(size_mib(f) for f in files if f.exists())
    out["products_json_mib"] = products_json_size(data_dir)
    again = Serve(data_dir, server.token)
    try:
        out["restart_answer_s"] = again.until("/health", status=None)
        out["restart_health_s"] = again.until("/health")
        out["restart_search_s"] = again.until(search_path("螺丝刀"))
        time.sleep(3)  # the index warm-up in the background settles
        out["restart_rss_mib"] = rss_mib(again.proc.pid)
    finally:
        again.stop()
    return out


def products_json_size(data_dir: Path) -> float:
    """The products' own JSON (one object per product, as stored), in MiB."""
    sys.path.insert(0, str(ROOT))
    from localapp.store import Store

    with Store.open(data_dir) as store:
        docs = [dict(d) for d in store.table("products").all()]
    return len(json.dumps(docs, ensure_ascii=False).encode()) / 2**20


def sqlite_fts(n: int, rows: list[list[str]], root: Path, searches: int) -> dict[str, float]:
    path = root / f"sqlite-{n}.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE products(id INTEGER PRIMARY KEY, sku, name, spec, unit, price, category,"
        " supplier)"
    )
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(sku, name, spec, category, supplier,"
        " content='products', content_rowid='id', tokenize='trigram')"
    )
    t0 = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO products(sku, name, spec, unit, price, category, supplier)"
            " VALUES (?,?,?,?,?,?,?)",
            [(r[0], r[1], r[2], r[3], int(float(r[4]) * 100), r[5], r[6]) for r in rows],
        )
        db.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    out = {"import_s": time.perf_counter() - t0}

    def search(q: str) -> None:
        match = " AND ".join(f'"{w}"' for w in q.split() if len(w) >= 3) or None
        if match:
            sql = "SELECT p.* FROM fts JOIN products p ON p.id = fts.rowid WHERE fts MATCH ?"
            db.execute(f"SELECT count(*) FROM ({sql})", (match,)).fetchone()
            db.execute(sql + " ORDER BY p.name LIMIT 50", (match,)).fetchall()
        else:  # trigram needs 3 characters: what FTS5 users fall back to
            like = f"%{q}%"
            cond = "name LIKE ? OR sku LIKE ? OR spec LIKE ?"
            db.execute(f"SELECT count(*) FROM products WHERE {cond}", (like,) * 3).fetchone()
            db.execute(
                f"SELECT * FROM products WHERE {cond} ORDER BY name LIMIT 50", (like,) * 3
            ).fetchall()

    samples = sorted(t for q in QUERIES for t in timed_ms(lambda q=q: search(q), searches))
    out["search_p50_ms"] = samples[len(samples) // 2]
    out["search_p95_ms"] = samples[int(len(samples) * 0.95)]
    db.close()
    out["file_mib"] = size_mib(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--searches", type=int, default=20, help="repeats per query kind")
    parser.add_argument(
        "--hub",
        action="store_true",
        help="also measure a server devices sync with (it keeps sync records)",
    )
    args = parser.parse_args()
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in (int(s) for s in args.sizes.split(",")):
            rows = make_rows(n)
            runs = [("", ours(n, rows, root, args.searches))]
            if args.hub:
                runs.append((" [devices sync]", ours(n, rows, root, args.searches, hub=True)))
            base = sqlite_fts(n, rows, root, args.searches)

            rows_of = [
                ("import over HTTP (s)", "import_s", "{:.2f}"),
                ("first search after it (s)", "first_search_s", "{:.2f}"),
                ("search p50 (ms)", "search_p50_ms", "{:.1f}"),
                ("search p95 (ms)", "search_p95_ms", "{:.1f}"),
                ("edit (PATCH) p50 (ms)", "edit_p50_ms", "{:.1f}"),
                ("server RSS after the import (MiB)", "rss_mib", "{:.0f}"),
                ("data file (MiB)", "file_mib", "{:.1f}"),
                ("restart: to a first answer, 503 loading (s)", "restart_answer_s", "{:.2f}"),
                ("restart: to /health 200, loaded (s)", "restart_health_s", "{:.2f}"),
                ("restart: to first search (s)", "restart_search_s", "{:.2f}"),
                ("restart: RSS, index built (MiB)", "restart_rss_mib", "{:.0f}"),
            ]
            for mode, mine in runs:
                if "hub_pull_s" in mine:
                    rows_of_run = [
                        ("a device's first pull, stamps all (s)", "hub_pull_s", "{:.2f}")
                    ]
                else:
                    rows_of_run = []
                for label, key, fmt in rows_of + rows_of_run:
                    theirs = base.get(key)
                    table.append(
                        [
                            f"{n:,}",
                            label + mode,
                            fmt.format(mine[key]),
                            fmt.format(theirs) if theirs is not None else "",
                            f"{mine[key] / theirs:.1f}×" if theirs else "",
                        ]
                    )
                share = mine["file_mib"] / mine["products_json_mib"]
                what = "data file ÷ the products' own JSON" + mode
                table.append([f"{n:,}", what, f"{share:.2f}×", "", ""])
            print(f"{n:,} products measured", file=sys.stderr, flush=True)
            print_table(  # after each size, so a larger size failing keeps the smaller's
                "The catalogue through `localapp serve` (defaults, over HTTP)"
                " beside sqlite3 FTS5 trigram",
                ["products", "what", "localapp", "sqlite3", "ratio"],
                table,
            )
            table = []


if __name__ == "__main__":
    main()
