"""Sync speed: 10,000 changed records pushed and pulled through a real server
whose state lives in a bucket on moto's S3 server (issue 6 goal: <= 3 s).

Per run, on 127.0.0.1: moto's S3 server (its own process), a fresh bucket,
`localapp serve` with LOCALAPP_S3_BUCKET set (its own process), and two
device stores in this process:

- device A makes N products in one transaction (every write recorded as a
  stamped sync record, the "recording" line), then pushes them
  (`rounds.push` over `HttpRemote`: batches of up to 1,000 records and 3 MB,
  each appended to the bucket log, with its batch marker, before the server
  answers; the server reads the log into its own cache later, on a read);
- device B, empty, pulls them (`rounds.pull`: pages of up to 1,000 records
  and 3 MB from the bucket log, each merged and written into its store with
  its cursor in one transaction).

The baseline, on the same data in the same run: stdlib sqlite3 inserting the
same N rows as JSON in one transaction (synchronous=FULL), and reading them
back. Ratios are ours / sqlite3 insert.

    .venv/bin/python benchmarks/bench_sync.py [--records 10000] [--runs 3] [--profile]

--profile also runs push and pull once more in this process, the server's
side called directly (`SyncService` over the same bucket, no HTTP), under
cProfile, and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve, free_port, print_table  # noqa: E402

from localapp.store import Store  # noqa: E402
from localapp.sync import rounds  # noqa: E402
from localapp.sync.config import BucketConfig  # noqa: E402
from localapp.sync.remote import HttpRemote  # noqa: E402
from localapp.sync.replica import Replica  # noqa: E402

GOAL_S = 3.0
#: credentials that keep boto3 away from any real account
DUMMY = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def wait_for(url: str, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - 127.0.0.1 only
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not answer {url} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def start_moto(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(root / "moto.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/moto-api/", proc, "moto")
    return proc, url


def new_bucket(s3_url: str) -> BucketConfig:
    config = BucketConfig(
        f"bench-{uuid.uuid4().hex[:12]}", s3_url, "us-east-1", "testing", "testing"
    )
    config.client().create_bucket(Bucket=config.bucket)
    return config


def start_server(data_dir: Path, env: dict[str, str]) -> Serve:
    """`localapp serve` on the bucket, with an API token, answering /health."""
    data_dir.mkdir(parents=True)
    server = Serve(data_dir, env=env, log=data_dir.parent / "server.log")
    server.until("/health", 30)
    return server


def make_products(n: int) -> list[dict[str, Any]]:
    """Products as the catalogue stores them (the same shape as bench_store.py)."""
    rng = random.Random(1)
    cats = ["五金工具", "电工电料", "劳保用品", "紧固件", "办公用品"]
    now = "2026-01-01T00:00:00.000Z"
    return [
        {
            "id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "sku": f"SKU-{i:06d}",
            "name": f"{rng.choice(['螺丝刀', '扳手', '钳子', '电钻', '卷尺'])} {i}",
            "category": rng.choice(cats),
            "spec": f"{rng.randint(1, 300)}mm",
            "unit": "把",
            "price": rng.randint(100, 100000),
            "currency": "CNY",
            "supplier": f"供应商{rng.randint(1, 200)}",
            "tags": ["常用"],
            "images": [],
            "notes": "",
            "price_history": [{"price": 1000, "at": now, "source": "import", "by": ""}],
            "created_at": now,
            "updated_at": now,
            "rev": 1,
            "deleted": False,
            "deleted_at": None,
        }
        for i in range(n)
    ]


class CountingRemote(HttpRemote):
    """HttpRemote that counts the bytes each way (for the table only)."""

    sent = 0
    received = 0

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> bytes:
        data = super()._request(method, path, body, content_type)
        self.sent += len(body or b"")
        self.received += len(data)
        return data


def device(path: Path) -> tuple[Store, Replica]:
    store = Store.open(path)
    return store, Replica.attach(store)


def record_products(store: Store, products: list[dict[str, Any]]) -> float:
    """Insert the products in one transaction (each recorded as a sync record)."""
    t0 = time.perf_counter()
    with store.transaction():
        store.table("products").insert_multiple(products)
    return time.perf_counter() - t0


def run_once(root: Path, s3_url: str, products: list[dict[str, Any]]) -> dict[str, float]:
    config = new_bucket(s3_url)
    env = {
        **os.environ,
        **DUMMY,
        "LOCALAPP_ADMIN_PASSWORD": "bench-admin-pw",
        "LOCALAPP_S3_BUCKET": config.bucket,
        "LOCALAPP_S3_ENDPOINT": s3_url,
        "LOCALAPP_S3_REGION": "us-east-1",
        "LOCALAPP_LOG_LEVEL": "WARNING",
    }
    server = start_server(root / "server", env)
    try:
        a_store, a = device(root / "a")
        b_store, b = device(root / "b")
        try:
            recording = record_products(a_store, products)
            assert a.pending() == len(products), a.pending()
            remote = CountingRemote(server.url, server.token, timeout=120)
            t0 = time.perf_counter()
            pushed = rounds.push(a, remote)
            push_s = time.perf_counter() - t0
            pull_remote = CountingRemote(server.url, server.token, timeout=120)
            t0 = time.perf_counter()
            pulled = rounds.pull(b, pull_remote)
            pull_s = time.perf_counter() - t0
            assert pushed == len(products), pushed
            assert pulled >= len(products), pulled
            with b_store.reading():
                got = len(b_store.table("products"))
            assert got == len(products), got
        finally:
            a.detach()
            b.detach()
            a_store.close()
            b_store.close()
    finally:
        server.stop()
    return {
        "recording": recording,
        "push": push_s,
        "pull": pull_s,
        "total": push_s + pull_s,
        "push_mb": remote.sent / 1e6,
        "pull_mb": pull_remote.received / 1e6,
    }


def sqlite_baseline(root: Path, products: list[dict[str, Any]]) -> dict[str, float]:
    path = root / "baseline.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE products (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    t0 = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO products (id, doc) VALUES (?, ?)",
            ((p["id"], json.dumps(p, ensure_ascii=False)) for p in products),
        )
    insert = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = {r[0]: json.loads(r[1]) for r in con.execute("SELECT id, doc FROM products")}
    read = time.perf_counter() - t0
    assert len(rows) == len(products)
    con.close()
    return {"insert": insert, "read": read}


class DirectRemote:
    """The server's side called in this process (no HTTP), for profiling."""

    def __init__(self, service: Any) -> None:
        self.service = service

    def push(self, batch: str, replica: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self.service.push(batch, replica, records))

    def pull(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str, bool]:
        answer = self.service.pull(cursor, limit)
        return answer["records"], answer["cursor"], answer["more"]


def profile(root: Path, s3_url: str, products: list[dict[str, Any]], top: int) -> None:
    from localapp.sync.service import SyncService

    for k, v in DUMMY.items():
        os.environ.setdefault(k, v)
    config = new_bucket(s3_url)
    hub_store = Store.open(root / "hub")
    hub = SyncService(hub_store, bucket=config, uploads=root / "hub" / "uploads")
    a_store, a = device(root / "pa")
    b_store, b = device(root / "pb")
    try:
        record_products(a_store, products)
        remote = DirectRemote(hub)
        for phase, fn in (
            ("push (device A + server, no HTTP)", lambda: rounds.push(a, remote)),
            ("pull (device B + server, no HTTP)", lambda: rounds.pull(b, remote)),
        ):
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            fn()
            prof.disable()
            took = time.perf_counter() - t0
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("tottime").print_stats(top)
            print(f"\n== {phase}: {took:.2f} s under cProfile; top {top} by own time ==")
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(
                r"(sync|store|tinydb)/"
            )
            print(f"-- {phase}: ours and the store's, by cumulative time --")
            print("\n".join(line for line in out.getvalue().splitlines()[6:][:40] if line.strip()))
    finally:
        a.detach()
        b.detach()
        a_store.close()
        b_store.close()
        hub.replica.detach()
        hub_store.close()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    products = make_products(args.records)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        moto, s3_url = start_moto(root)
        try:
            runs = []
            for i in range(args.runs):
                runs.append(run_once(root / f"run{i}", s3_url, products))
            base = sqlite_baseline(root, products)
            if args.profile:
                profile(root, s3_url, products, args.top)
        finally:
            stop(moto)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    ins = base["insert"]
    rows = [
        [
            "push (device -> server -> bucket)",
            f"{med('push'):.2f}",
            f"{min(r['push'] for r in runs):.2f}",
            f"{med('push') / ins:.1f}x",
            f"{med('push_mb'):.1f} MB sent",
        ],
        [
            "pull (bucket -> server -> device)",
            f"{med('pull'):.2f}",
            f"{min(r['pull'] for r in runs):.2f}",
            f"{med('pull') / ins:.1f}x",
            f"{med('pull_mb'):.1f} MB received",
        ],
        [
            "push + pull",
            f"{med('total'):.2f}",
            f"{min(r['total'] for r in runs):.2f}",
            f"{med('total') / ins:.1f}x",
            f"goal <= {GOAL_S:.0f} s: {'met' if med('total') <= GOAL_S else 'NOT met'}",
        ],
        [
            "recording the writes on device A",
            f"{med('recording'):.2f}",
            f"{min(r['recording'] for r in runs):.2f}",
            f"{med('recording') / ins:.1f}x",
            "one transaction, not in push + pull",
        ],
        [
            "sqlite3: insert the rows as JSON",
            f"{ins:.2f}",
            "",
            "1.0x",
            "baseline, synchronous=FULL",
        ],
        ["sqlite3: read them back", f"{base['read']:.2f}", "", f"{base['read'] / ins:.1f}x", ""],
    ]
    print_table(
        f"Sync of {args.records:,} changed records through `localapp serve` on a moto "
        f"bucket ({args.runs} runs); seconds",
        ["step", "median", "best", "ratio to sqlite3 insert", "note"],
        rows,
    )


if __name__ == "__main__":
    main()
