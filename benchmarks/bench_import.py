"""Importing a 100,000-row xlsx price list, end to end. Goal: <= 5 s.

The workbook is written once with openpyxl into a temp dir (kept between
runs, it takes a while to write) and then imported:

- `domain`: what `Catalogue.import_file` does, each phase timed: bytes ->
  imports.read_table (zip check + python-calamine) -> imports.parse_products
  -> Catalogue.apply_import(commit) on a fresh store; plus the first search
  afterwards (the index preparing 100,000 new products);
- `http`: POST /api/products/import to a real `localapp serve` on 127.0.0.1
  (multipart upload, parse, one transaction, JSON report);
- `sqlite baseline`: stdlib sqlite3 `executemany` of the same parsed rows
  into a table on disk, one transaction (synchronous=FULL).

Then a cProfile of the commit shows where its time goes: planning the rows,
the store's TinyDB insert and journal commit, and the search index.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--no-http]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve, print_table  # noqa: E402

from localapp.catalogue import Catalogue, ImportOptions, imports  # noqa: E402
from localapp.catalogue.pinyin import load_pinyin  # noqa: E402
from localapp.catalogue.search import SearchQuery  # noqa: E402
from localapp.records import gc_paused  # noqa: E402
from localapp.store import Store  # noqa: E402

GOAL_S = 5.0


def workbook(rows: int) -> Path:
    """The benchmark's xlsx, written with openpyxl once and reused."""
    import openpyxl
    from bench_search import CATEGORIES, ITEMS, KINDS, MATERIALS, SUPPLIERS

    path = Path(tempfile.gettempdir()) / "localapp-bench" / f"products-{rows}.xlsx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    t0 = time.perf_counter()
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("商品")
    ws.append(["编码", "商品名称", "规格", "单位", "单价", "分类", "供应商", "备注"])
    for i in range(rows):
        ws.append(
            [
                f"SKU-{i:06d}",
                f"{rng.choice(MATERIALS)}{rng.choice(KINDS)}{rng.choice(ITEMS)} {i % 997}",
                rng.choice(["PH1", "PH2", "M6x20", "8寸", "5m", "220V", ""]),
                rng.choice(["把", "个", "套", "盒"]),
                rng.randint(10, 500_000) / 100,
                rng.choice(CATEGORIES),
                rng.choice(SUPPLIERS),
                "" if rng.random() < 0.8 else "含税",
            ]
        )
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    os.replace(tmp, path)
    print(f"(wrote {path} with openpyxl in {time.perf_counter() - t0:.1f} s)")
    return path


def settle() -> None:
    """Start each timed import with no disk writeback pending from the previous one.

    A commit fsyncs its journal (and the compacted snapshot, ~60 MB each at
    100,000 products); without this, the second import measured waits for the
    first one's writes to reach the disk.
    """
    os.sync()
    time.sleep(1)


def domain_import(
    data: bytes, data_dir: Path, profile: bool = False
) -> tuple[dict[str, float], dict, pstats.Stats | None]:
    phases: dict[str, float] = {}
    load_pinyin()  # a server loads it at start, in the background
    with Store.open(data_dir) as store, gc_paused():  # as Catalogue.import_file does
        cat = Catalogue(store)
        t = time.perf_counter()
        table = imports.read_table(data)
        phases["read (zip check + calamine in a child process)"] = time.perf_counter() - t
        t = time.perf_counter()
        parsed = imports.parse_products(table)
        phases["parse + check rows"] = time.perf_counter() - t
        prof = cProfile.Profile() if profile else None
        settle()
        t = time.perf_counter()
        if prof:
            prof.enable()
        report = cat.apply_import(parsed, ImportOptions(commit=True, file_name="bench.xlsx"))
        if prof:
            prof.disable()
        phases["plan + commit (one transaction)"] = time.perf_counter() - t
        phases["= import total"] = sum(phases.values())
        t = time.perf_counter()
        cat.search(SearchQuery(q="lsd"))
        phases["first search afterwards (index prepares rows)"] = time.perf_counter() - t
    return phases, report, pstats.Stats(prof) if prof else None


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def http_import(data: bytes, work: Path) -> tuple[float, dict]:
    log = work / "server.log"
    # INFO: the server's own line for the import is read back below
    server = Serve(work / "http-data", env={"LOG_LEVEL": "INFO"}, log=log)
    try:
        server.until("/health")
        # A real server has been up for a while before anyone imports: let its
        # start-up work (loading pypinyin's dictionaries) finish first.
        time.sleep(3)
        body, ctype = multipart("bench.xlsx", data)
        settle()
        t = time.perf_counter()
        status, answer = server.request("POST", "/api/products/import", body, ctype)
        elapsed = time.perf_counter() - t
        if status != 200:
            raise RuntimeError(f"import answered {status}: {answer[:300]!r}")
        time.sleep(0.2)
        logged = [ln for ln in log.read_text().splitlines() if "POST /api/products/import" in ln]
        print(f"(server log: {logged[-1].split('localapp.http: ')[-1] if logged else '?'})")
        return elapsed, json.loads(answer)
    finally:
        server.stop()


def sqlite_baseline(parsed: imports.ParsedProducts, work: Path) -> float:
    path = work / "baseline.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE products (id TEXT PRIMARY KEY, sku TEXT UNIQUE, name TEXT, spec TEXT,"
        " unit TEXT, price INTEGER, category TEXT, supplier TEXT, notes TEXT, "
        "price_history TEXT, created_at TEXT, updated_at TEXT, rev INTEGER)"
    )
    now = "2025-01-01T00:00:00.000Z"
    t = time.perf_counter()
    rows = [
        (
            uuid.uuid4().hex,
            r.values.get("sku"),
            r.values.get("name"),
            r.values.get("spec"),
            r.values.get("unit"),
            r.values.get("price"),
            r.values.get("category"),
            r.values.get("supplier"),
            r.values.get("notes"),
            json.dumps([{"price": r.values.get("price"), "at": now, "source": "import"}]),
            now,
            now,
            1,
        )
        for r in parsed.rows
    ]
    with db:
        db.executemany("INSERT INTO products VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    elapsed = time.perf_counter() - t
    db.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()

    path = workbook(args.rows)
    data = path.read_bytes()
    work = Path(tempfile.mkdtemp(prefix="localapp-bench-import-"))
    try:
        http: tuple[float, dict] | None = None
        if not args.no_http:
            # First, while this process is small: a client holding the domain
            # run's 100,000 documents slows the server down by a second (its
            # garbage collector competes for the machine's two cores and cache).
            http = http_import(data, work)
            assert http[1]["counts"]["created"] == args.rows, http[1]["counts"]
        phases, report, _ = domain_import(data, work / "domain")
        assert report["counts"]["created"] == args.rows, report["counts"]
        rows = [[k, f"{v:.2f}"] for k, v in phases.items()]
        print_table(
            f"Domain import of {args.rows:,} rows ({len(data) / 1e6:.1f} MB xlsx), seconds",
            ["phase", "s"],
            rows,
        )
        parsed = imports.parse_products(imports.read_table(data))
        base = sqlite_baseline(parsed, work)
        summary = [
            [
                "domain import (read + parse + commit)",
                f"{phases['= import total']:.2f}",
                f"{phases['= import total'] / base:.1f}x",
            ],
            ["sqlite3 executemany, same rows", f"{base:.2f}", "1.0x"],
        ]
        if http is not None:
            summary.insert(
                1, ["HTTP POST /api/products/import", f"{http[0]:.2f}", f"{http[0] / base:.1f}x"]
            )
        print_table(
            f"End to end, {args.rows:,} rows (goal <= {GOAL_S:.0f} s)",
            ["path", "s", "vs sqlite"],
            summary,
        )

        _, _, stats = domain_import(data, work / "profiled", profile=True)
        assert stats is not None
        parts = {
            (
                "localapp/catalogue/importing.py",
                "apply_import",
            ): "= the whole commit (apply_import)",
            (
                "localapp/catalogue/importing.py",
                "make",
            ): "catalogue: plan the rows (new/changed/same)",
            (
                "localapp/store/tables.py",
                "insert_multiple",
            ): "store: TinyDB insert_multiple (per-document copy, undo log)",
            (
                "localapp/store/storage.py",
                "_commit",
            ): "store: commit (journal encode + fdatasync + compaction)",
            ("localapp/catalogue/search.py", "absorb"): "search index: take the written documents",
        }
        cum: dict[str, float] = {}
        for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            for (suffix, name), label in parts.items():
                if filename.endswith(suffix) and func == name:
                    cum[label] = max(cum.get(label, 0.0), ct)
        print_table(
            "Where the commit's time goes (cProfile cumulative seconds; profiling "
            "inflates Python code)",
            ["part", "s"],
            [[label, f"{cum.get(label, 0.0):.2f}"] for label in parts.values()],
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
