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
        [--scale 10000,100000] [--timeout 600] [--keep DIR]

(--runs 0 skips the push-and-pull runs and their table.)

--profile also runs push and pull once more in this process, the server's
side called directly (`SyncService` over the same bucket, no HTTP), under
cProfile, and prints where the time goes; with --scale, also each size's
cold-start catch-up (an empty store reading the bucket, in this process)
under cProfile, by cumulative time.

--scale N,... also prints the sync-at-scale figures of issue 14, once per size
N (a bucket of its own on the same moto server; no repeats), on the path a
user meets:

1. set-up: a device store with N products pushes them (`rounds.push` over
   `HttpRemote`) through a first `localapp serve` on the bucket, started with
   LOCALAPP_SYNC_SNAPSHOT_EVERY=1; the script waits until a snapshot in
   `snapshots/` covers the whole log, then stops that server;
2. cold start: a new `localapp serve` (default settings, LOG_LEVEL=INFO as by
   default) with an empty data dir on that bucket; from its process start: the first answer of /health
   (503 while it loads), /health 200, the first search
   (`/api/products?q=螺丝刀&per_page=50` answering 200 with products); its
   RSS (VmRSS) 2 s later;
3. a new desktop's first sync, against that server: `localapp sync setup` then
   `localapp sync`, each a process on an empty data dir, timed end to end;
   peak RSS = the larger VmHWM of the two, read every 20 ms while each runs
   (per process); the desktop store must then hold N products, or the
   script stops with an error;
4. 1,000 price edits (PATCH /api/products/<id> {"price": cents}) of random
   products through that server; the bucket's objects and bytes per
   top-level prefix before and after (once nothing waits, no snapshot is due
   and two LISTs 1 s apart agree), the bytes added per edit (net: the
   snapshots the server writes meanwhile, every 200 log entries, let it
   compact the log, so it can be negative), the median size of the edits' log
   entries and batch markers still in the bucket, the PATCH p50 and the
   slowest, and how many snapshots the server's log says it wrote;
5. the floor, in the same run and in this process, right after the set-up (on
   the snapshot the cold start reads): a boto3 GET of the newest snapshot
   plus gunzip and orjson parse (the client made beforehand), and the RSS
   growth of this process while the parsed snapshot is held (freed memory of
   this process may be reused, so it can understate); then the same in a
   fresh process (python -c, boto3 + orjson only), whose peak RSS (VmHWM) is
   the floor shown beside the RSS rows.

It prints a second table (products, what, localapp, floor, ratio to the
floor, goal) with issue 14's goals: first /health answer <= 1 s, first search
<= 5 s, server RSS after the cold start and desktop peak RSS <= 400 MiB,
desktop first sync <= 10 s, a price edit's log entry <= 1 KiB; cold start to
first search and the first sync are given as ratios to the floor. A third
table has the bucket's objects and bytes per prefix. Every wait is bounded
by --timeout; when a scale step fails, the end of each server's and the
desktop's log is printed to stderr. --keep DIR keeps the stores and logs.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import gzip
import io
import json
import os
import pstats
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve, free_port, print_table, rss_mib  # noqa: E402

from localapp.settings import DEFAULT_SNAPSHOT_EVERY  # noqa: E402
from localapp.store import Store  # noqa: E402
from localapp.sync import rounds  # noqa: E402
from localapp.sync.config import BucketConfig  # noqa: E402
from localapp.sync.remote import HttpRemote  # noqa: E402
from localapp.sync.replica import Replica  # noqa: E402
from localapp.sync.snapshots import snapshot_key  # noqa: E402

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


def bucket_env(config: BucketConfig, s3_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `localapp serve` on the bucket (plus `extra`)."""
    return {
        **os.environ,
        **DUMMY,
        "LOCALAPP_ADMIN_PASSWORD": "bench-admin-pw",
        "LOCALAPP_S3_BUCKET": config.bucket,
        "LOCALAPP_S3_ENDPOINT": s3_url,
        "LOCALAPP_S3_REGION": "us-east-1",
        "LOCALAPP_LOG_LEVEL": "WARNING",
        **extra,
    }


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
    server = start_server(root / "server", bucket_env(config, s3_url))
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

    def pull(
        self, cursor: str | None, limit: int, *, lines: bool = False
    ) -> tuple[list[Any], str, bool]:
        answer = self.service.pull(cursor, limit, lines=lines)
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


# -- sync at scale (issue 14): --scale N,... ---------------------------------------------

GOAL_HEALTH_S = 1.0
GOAL_SEARCH_S = 5.0
GOAL_RSS_MIB = 400.0
GOAL_FIRST_SYNC_S = 10.0
GOAL_ENTRY_BYTES = 1024
EDITS = 1000
SEARCH = "/api/products?q=" + urllib.parse.quote("螺丝刀") + "&per_page=50"
#: seconds between the cold start's first search and reading its RSS
SETTLE_S = 2.0
_LOG_KEY = re.compile(r"^log/(\d+)\.json$")
_SNAPSHOT_KEY = re.compile(r"^snapshots/(\d+)\.json\.gz$")


def bucket_objects(config: BucketConfig) -> dict[str, int]:
    """Every object in the bucket: key -> bytes (one paginated LIST)."""
    pages = config.client().get_paginator("list_objects_v2").paginate(Bucket=config.bucket)
    return {o["Key"]: int(o["Size"]) for page in pages for o in page.get("Contents", [])}


def by_prefix(objects: dict[str, int]) -> dict[str, tuple[int, int]]:
    """(objects, bytes) per top-level prefix (`log/`, ...; a top-level key as itself)."""
    out: dict[str, tuple[int, int]] = {}
    for key, size in objects.items():
        top = key.split("/", 1)[0] + "/" if "/" in key else key
        count, total = out.get(top, (0, 0))
        out[top] = (count + 1, total + size)
    return out


def numbered(objects: dict[str, int], pattern: re.Pattern[str]) -> dict[int, int]:
    """Log entries or snapshots: number -> bytes."""
    return {int(m.group(1)): size for key, size in objects.items() if (m := pattern.match(key))}


def wait_snapshot(config: BucketConfig, tail: int, timeout: float) -> float:
    """Seconds until a snapshot covering log entry `tail` is in the bucket."""
    t0 = time.perf_counter()
    newest = 0
    while time.perf_counter() - t0 < timeout:
        newest = max(numbered(bucket_objects(config), _SNAPSHOT_KEY), default=0)
        if newest >= tail:
            return time.perf_counter() - t0
        time.sleep(0.2)
    raise SystemExit(
        f"set-up: no snapshot covering log entry {tail} within {timeout:.0f} s "
        f"(newest covers {newest}); see setup.log"
    )


def fill_bucket(
    root: Path, s3_url: str, config: BucketConfig, products: list[dict[str, Any]], timeout: float
) -> dict[str, Any]:
    """Step 1: a device pushes N products through a first server, which writes a
    snapshot after every log batch (LOCALAPP_SYNC_SNAPSHOT_EVERY=1); wait until one
    covers the whole log, then stop that server."""
    env = bucket_env(config, s3_url, LOCALAPP_SYNC_SNAPSHOT_EVERY="1", LOG_LEVEL="INFO")
    (root / "setup").mkdir(parents=True)
    server = Serve(root / "setup", env=env, log=root / "setup.log")
    try:
        store, replica = device(root / "device")
        try:
            server.until("/health", timeout)
            record_products(store, products)
            t0 = time.perf_counter()
            pushed = rounds.push(replica, HttpRemote(server.url, server.token, timeout=timeout))
            push_s = time.perf_counter() - t0
        finally:
            replica.detach()
            store.close()
        if pushed != len(products):
            raise SystemExit(f"set-up: pushed {pushed} records, not {len(products)}")
        tail = max(numbered(bucket_objects(config), _LOG_KEY))
        waited = wait_snapshot(config, tail, timeout)
    finally:
        server.stop()
    return {"token": server.token, "push_s": push_s, "tail": tail, "snapshot_wait_s": waited}


#: the floor in a process of its own, for its peak RSS: prints JSON
FLOOR_CHILD = """
import gzip, sys, time, boto3, orjson
def vm(field):
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) / 1024 for x in f if x.startswith(field))
endpoint, bucket, key = sys.argv[1:4]
client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
base = vm("VmRSS:")
t0 = time.perf_counter()
lines = gzip.decompress(client.get_object(Bucket=bucket, Key=key)["Body"].read()).splitlines()
head = orjson.loads(lines[0])
records = head["records"] if "records" in head else [orjson.loads(x) for x in lines[1:] if x]
took = time.perf_counter() - t0
print(orjson.dumps({"base": base, "peak": vm("VmHWM:"), "seconds": took}).decode())
"""


def parse_snapshot(body: bytes) -> list[Any]:
    """Every record of a snapshot object parsed, kept: format 1 is one JSON
    document, format 2 a header line and a line a record (sync/snapshots.py)."""
    lines = gzip.decompress(body).split(b"\n")
    head = orjson.loads(lines[0])
    return head["records"] if "records" in head else [orjson.loads(x) for x in lines[1:] if x]


def floor(config: BucketConfig, timeout: float) -> dict[str, Any]:
    """Step 5: boto3 GET of the newest snapshot, gunzip, orjson parse, in this process
    (the client is made before the clock starts); then the same in a fresh process,
    for the peak RSS it needs (this one's freed memory is reused, so its growth
    understates)."""
    client = config.client()
    key = snapshot_key(max(numbered(bucket_objects(config), _SNAPSHOT_KEY)))
    gc.collect()
    before = rss_mib(os.getpid())
    t0 = time.perf_counter()
    body = client.get_object(Bucket=config.bucket, Key=key)["Body"].read()
    records = parse_snapshot(body)
    took = time.perf_counter() - t0
    grown = rss_mib(os.getpid()) - before
    child = subprocess.run(
        [sys.executable, "-c", FLOOR_CHILD, config.endpoint, config.bucket, key],
        capture_output=True,
        env={**os.environ, **DUMMY},
        timeout=timeout,
        check=True,
    )
    fresh = orjson.loads(child.stdout)
    return {
        "floor_s": took,
        "floor_rss": grown,
        "fresh_peak": fresh["peak"],
        "fresh_base": fresh["base"],
        "fresh_s": fresh["seconds"],
        "snapshot_key": key,
        "snapshot_bytes": len(body),
        "snapshot_records": len(records),
    }


def first_search(server: Serve, timeout: float) -> float:
    """Seconds from the server's start until a search answers 200 with products."""
    while time.perf_counter() - server.started < timeout:
        if server.proc.poll() is not None:
            raise RuntimeError(f"localapp serve exited with {server.proc.returncode}")
        try:
            status, body = server.request("GET", SEARCH)
        except OSError:
            status, body = 0, b""
        if status == 200 and orjson.loads(body).get("items"):
            return time.perf_counter() - server.started
        time.sleep(0.005)
    raise RuntimeError(f"{SEARCH} gave no products within {timeout:.0f} s")


def cold_start(
    root: Path, s3_url: str, config: BucketConfig, token: str, timeout: float
) -> tuple[Serve, dict[str, float]]:
    """Step 2: a new `localapp serve` with an empty data dir on the bucket (default
    settings, LOG_LEVEL=INFO as by default); the server is returned running."""
    (root / "cold").mkdir()
    every = str(DEFAULT_SNAPSHOT_EVERY)  # explicit: `settled_objects` relies on it
    env = bucket_env(config, s3_url, LOG_LEVEL="INFO", LOCALAPP_SYNC_SNAPSHOT_EVERY=every)
    server = Serve(root / "cold", token, env=env, log=root / "cold.log")
    try:
        out = {
            "health_any_s": server.until("/health", timeout, status=None),
            "health_200_s": server.until("/health", timeout),
            "search_s": first_search(server, timeout),
        }
        time.sleep(SETTLE_S)
        out["server_rss"] = rss_mib(server.proc.pid)
    except BaseException:
        server.stop()
        raise
    return server, out


def run_child(
    cmd: list[str], env: dict[str, str], log: Path, timeout: float
) -> tuple[float, float]:
    """Run `cmd`; (seconds, its peak RSS in MiB: VmHWM read every 20 ms while it runs).

    Not ru_maxrss from wait4: Linux starts a child's maxrss from the memory of
    the process that spawned it (the exec records the old address space's high
    water mark), so a child of this process, which held the set-up's 100,000
    records, was reported at this process's peak (2,341 MiB, the same every run)."""
    with open(log, "ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        peak = 0.0
        try:
            while proc.poll() is None:
                if time.perf_counter() - t0 > timeout:
                    proc.kill()
                    proc.wait()
                    break
                with contextlib.suppress(OSError):  # gone between poll() and the read
                    peak = max(peak, rss_mib(proc.pid, "VmHWM"))
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                proc.kill()
        took = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(
            f"{' '.join(cmd[2:])} exited with {proc.returncode} after {took:.1f} s "
            f"(killed after {timeout:.0f} s if negative); see {log.name}"
        )
    return took, peak


def desktop_first_sync(root: Path, server: Serve, n: int, timeout: float) -> dict[str, float]:
    """Step 3: `localapp sync setup` and `localapp sync` on an empty data dir, each a
    process of its own; then the store must hold the N products."""
    data_dir = root / "desktop"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCALAPP_S3_", "OSS_"))}
    env |= {**DUMMY, "LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "localapp", "--data-dir", str(data_dir), "sync"]
    log = root / "desktop.log"
    setup = [*cli, "setup", "--url", server.url, "--token", server.token]
    setup_s, setup_rss = run_child(setup, env, log, timeout)
    sync_s, sync_rss = run_child(cli, env, log, timeout)
    with Store.open(data_dir) as store, store.reading():
        got = len(store.table("products"))
    if got != n:
        raise SystemExit(f"desktop first sync: the store holds {got:,} products, not {n:,}")
    return {
        "setup_s": setup_s,
        "sync_s": sync_s,
        "first_sync_s": setup_s + sync_s,
        "desktop_rss": max(setup_rss, sync_rss),
    }


def settled_objects(server: Serve, config: BucketConfig, timeout: float) -> dict[str, int]:
    """The bucket's objects once the server has sent every edit, no snapshot is due
    (the log is < LOCALAPP_SYNC_SNAPSHOT_EVERY past the newest) and two LISTs 1 s
    apart agree (no snapshot or compaction under way)."""
    t0 = time.perf_counter()
    last: dict[str, int] | None = None
    while time.perf_counter() - t0 < timeout:
        status, body = server.request("GET", "/health")
        unflushed = (orjson.loads(body).get("sync") or {}).get("unflushed") if status == 200 else -1
        objects = bucket_objects(config)
        tail = max(numbered(objects, _LOG_KEY), default=0)
        snapshot = max(numbered(objects, _SNAPSHOT_KEY), default=0)
        due = tail - snapshot >= DEFAULT_SNAPSHOT_EVERY
        if unflushed == 0 and not due and objects == last:
            return objects
        last = objects
        time.sleep(1.0)
    raise SystemExit(f"the bucket did not settle within {timeout:.0f} s (see cold.log)")


def snapshots_logged(log: Path) -> int:
    """How many snapshots a server says it wrote (its log at INFO)."""
    return log.read_text(errors="replace").count("Wrote a sync snapshot")


def price_edits(
    server: Serve, config: BucketConfig, products: list[dict[str, Any]], timeout: float
) -> dict[str, Any]:
    """Step 4: EDITS price edits (PATCH over HTTP) of random products; the bucket's
    objects before and after, the log entries and batch markers the edits wrote
    (those compaction kept), the snapshots the server wrote meanwhile."""
    rng = random.Random(14)
    before = settled_objects(server, config, timeout)
    written = snapshots_logged(server.data_dir.parent / "cold.log")
    tail = max(numbered(before, _LOG_KEY), default=0)
    took = []
    for _ in range(EDITS):
        product = products[rng.randrange(len(products))]["id"]
        body = orjson.dumps({"price": rng.randint(100, 100_000)})
        t0 = time.perf_counter()
        status, answer = server.request("PATCH", f"/api/products/{product}", body)
        took.append(time.perf_counter() - t0)
        if status != 200:
            raise SystemExit(f"PATCH /api/products/{product}: {status} {answer[:300]!r}")
    after = settled_objects(server, config, timeout)
    entries = numbered(after, _LOG_KEY)
    kept = [size for number, size in entries.items() if number > tail]
    markers = [
        size for key, size in after.items() if key.startswith("batches/") and key not in before
    ]
    return {
        "snapshots_written": snapshots_logged(server.data_dir.parent / "cold.log") - written,
        "marker_bytes": statistics.median(markers) if markers else float("nan"),
        "before": by_prefix(before),
        "after": by_prefix(after),
        "added": sum(after.values()) - sum(before.values()),
        "entries_written": max(entries, default=tail) - tail,
        "entries_kept": len(kept),
        "entry_bytes": statistics.median(kept) if kept else float("nan"),
        "edit_p50_ms": statistics.median(took) * 1000,
        "edit_max_ms": max(took) * 1000,
    }


def profile_cold(root: Path, config: BucketConfig, top: int) -> None:
    """In-process and labelled so: the cold start's catch-up (what a new
    instance does before `/health` says 200) on the same bucket, an empty
    store, under cProfile; prints its steps by cumulative time."""
    from localapp.sync.service import SyncService

    for k, v in DUMMY.items():
        os.environ.setdefault(k, v)
    store = Store.open(root / "profile-cold")
    service = SyncService(store, bucket=config, uploads=root / "profile-cold" / "uploads")
    try:
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        service.catch_up(force=True)
        prof.disable()
        took = time.perf_counter() - t0
        with store.reading():
            got = len(store.table("products"))
    finally:
        service.replica.detach()
        store.close()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(r"(sync|store)/", top)
    print(
        f"\n== a cold start's catch-up, in-process: {got:,} products in {took:.2f} s "
        f"under cProfile; ours and the store's by cumulative time (top {top}) =="
    )
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def scale_once(
    root: Path, s3_url: str, n: int, timeout: float, profile_top: int = 0
) -> dict[str, Any]:
    """Steps 1 to 5 for N products, on a bucket of their own (`profile_top`:
    also `profile_cold`)."""
    root.mkdir(parents=True)
    products = make_products(n)
    config = new_bucket(s3_url)
    out: dict[str, Any] = {"n": n}
    out |= fill_bucket(root, s3_url, config, products, timeout)
    out |= floor(config, timeout)
    if profile_top:
        profile_cold(root, config, profile_top)
    server, figures = cold_start(root, s3_url, config, out["token"], timeout)
    out |= figures
    try:
        out |= desktop_first_sync(root, server, n, timeout)
        out |= price_edits(server, config, products, timeout)
    finally:
        server.stop()
    return out


def dump_logs(root: Path, lines: int = 40) -> None:
    """The end of every log of the scale runs, for a failure report."""
    for log in sorted(root.rglob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"\n== {log.relative_to(root)} (last {len(tail)} lines) ==", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)


def _goal(value: float, limit: float, unit: str) -> str:
    return f"<= {limit:g} {unit}: {'met' if value <= limit else 'NOT met'}"


def _ratio(ours: float, floor_s: float) -> str:
    return f"{ours / floor_s:.1f}x" if floor_s > 0 else ""


def start_rows(r: dict[str, Any]) -> list[list[object]]:
    """The set-up, the floor, the cold start and the desktop's first sync."""
    f, mib = r["floor_s"], f"{r['fresh_peak']:.0f}"
    return [
        [
            "set-up: push (device -> first server -> bucket), s",
            f"{r['push_s']:.2f}",
            "",
            "",
            f"then {r['snapshot_wait_s']:.1f} s until a snapshot covered log entry {r['tail']}",
        ],
        [
            "floor: GET newest snapshot + gunzip + orjson, s",
            "",
            f"{f:.2f}",
            "1.0x",
            f"in-process; {r['snapshot_bytes'] / 2**20:.1f} MiB gzip, "
            f"{r['snapshot_records']:,} records, {r['snapshot_key']}",
        ],
        [
            "floor: RSS growth of this process, MiB",
            "",
            f"{r['floor_rss']:.0f}",
            "",
            "in-process, parsed snapshot held (freed memory reused: may understate)",
        ],
        [
            "floor: peak RSS of a fresh process doing it, MiB",
            "",
            mib,
            "",
            f"{r['fresh_peak'] - r['fresh_base']:.0f} over its imports + client; "
            f"{r['fresh_s']:.2f} s; the floor of the RSS rows",
        ],
        [
            "cold start: first /health answer, s",
            f"{r['health_any_s']:.2f}",
            "",
            "",
            _goal(r["health_any_s"], GOAL_HEALTH_S, "s"),
        ],
        ["cold start: /health 200, s", f"{r['health_200_s']:.2f}", "", "", ""],
        [
            "cold start: first search with products, s",
            f"{r['search_s']:.2f}",
            f"{f:.2f}",
            _ratio(r["search_s"], f),
            _goal(r["search_s"], GOAL_SEARCH_S, "s"),
        ],
        [
            f"cold start: server RSS {SETTLE_S:g} s later, MiB",
            f"{r['server_rss']:.0f}",
            mib,
            "",
            _goal(r["server_rss"], GOAL_RSS_MIB, "MiB"),
        ],
        [
            "desktop first sync: setup + sync, s",
            f"{r['first_sync_s']:.2f}",
            f"{f:.2f}",
            _ratio(r["first_sync_s"], f),
            f"{_goal(r['first_sync_s'], GOAL_FIRST_SYNC_S, 's')} (setup {r['setup_s']:.2f} s)",
        ],
        [
            "desktop first sync: peak RSS, MiB",
            f"{r['desktop_rss']:.0f}",
            mib,
            "",
            f"{_goal(r['desktop_rss'], GOAL_RSS_MIB, 'MiB')} (VmHWM while it ran)",
        ],
    ]


def edit_rows(r: dict[str, Any]) -> list[list[object]]:
    """The bucket after the price edits."""
    added = r["added"]
    kept = r["entry_bytes"] + r["marker_bytes"]
    return [
        [
            f"{EDITS:,} price edits: bucket bytes added (net)",
            f"{added:+,}",
            "",
            "",
            f"{added / EDITS:+,.0f} B per edit, after compaction; "
            f"{r['snapshots_written']} snapshots written meanwhile",
        ],
        [
            "a price edit's log entry + batch marker, bytes",
            f"{kept:.0f}",
            "",
            "",
            f"median of those still in the bucket ({r['entries_kept']} of "
            f"{r['entries_written']} entries)",
        ],
        [
            "a price edit's log entry, bytes (median)",
            f"{r['entry_bytes']:.0f}",
            "",
            "",
            _goal(r["entry_bytes"], GOAL_ENTRY_BYTES, "B"),
        ],
        [
            "a price edit over HTTP (PATCH), ms",
            f"{r['edit_p50_ms']:.0f}",
            "",
            "",
            f"p50; the slowest {r['edit_max_ms']:.0f} ms",
        ],
    ]


def scale_rows(r: dict[str, Any]) -> list[list[object]]:
    return [[f"{r['n']:,}", *row] for row in start_rows(r) + edit_rows(r)]


def prefix_rows(r: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for prefix in sorted(set(r["before"]) | set(r["after"])):
        b_count, b_bytes = r["before"].get(prefix, (0, 0))
        a_count, a_bytes = r["after"].get(prefix, (0, 0))
        rows.append(
            [
                f"{r['n']:,}",
                prefix,
                b_count,
                f"{b_bytes:,}",
                a_count,
                f"{a_bytes:,}",
                f"{a_bytes - b_bytes:+,}",
            ]
        )
    before = sum(b for _, b in r["before"].values())
    after = sum(b for _, b in r["after"].values())
    rows.append(
        [f"{r['n']:,}", "total", "", f"{before:,}", "", f"{after:,}", f"{after - before:+,}"]
    )
    return rows


def print_scale(results: list[dict[str, Any]]) -> None:
    print_table(
        "Sync at scale (issue 14): a bucket of N products on moto, a cold-started "
        "`localapp serve`, a new desktop's first sync, 1,000 price edits",
        ["products", "what", "localapp", "floor", "ratio to floor", "goal / note"],
        [row for r in results for row in scale_rows(r)],
    )
    print_table(
        f"Bucket objects per prefix before and after {EDITS:,} price edits (bytes)",
        [
            "products",
            "prefix",
            "objects before",
            "bytes before",
            "objects after",
            "bytes after",
            "added",
        ],
        [row for r in results for row in prefix_rows(r)],
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument(
        "--scale",
        type=lambda s: [int(x) for x in s.split(",") if x.strip()],
        default=[],
        help="product counts for the sync-at-scale table, e.g. 10000,100000 (default: none)",
    )
    ap.add_argument(
        "--timeout", type=float, default=600, help="the longest wait of a scale step, seconds"
    )
    ap.add_argument(
        "--keep",
        type=Path,
        help="a new folder to keep the stores and the servers' logs in (default: removed)",
    )
    args = ap.parse_args()
    products = make_products(args.records)
    scaled: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)  # a new folder: the runs' folders must not exist
            root = args.keep
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sync-")))
        moto, s3_url = start_moto(root)
        try:
            runs = []
            for i in range(args.runs):
                runs.append(run_once(root / f"run{i}", s3_url, products))
            base = sqlite_baseline(root, products)
            if args.profile:
                profile(root, s3_url, products, args.top)
            for n in args.scale:
                try:
                    scaled.append(
                        scale_once(
                            root / f"scale{n}",
                            s3_url,
                            n,
                            args.timeout,
                            args.top if args.profile else 0,
                        )
                    )
                except BaseException:
                    dump_logs(root / f"scale{n}")
                    raise
        finally:
            stop(moto)
    if runs:  # --runs 0: the scale table alone
        print_push_pull(args, runs, base)
    if scaled:
        print_scale(scaled)


def print_push_pull(
    args: argparse.Namespace, runs: list[dict[str, float]], base: dict[str, float]
) -> None:
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
