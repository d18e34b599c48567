"""Paging a bucket (`BucketRemote.pull`) against moto's S3 server on 127.0.0.1.

A reader that starts from nothing gets the newest snapshot in pages, then the
log after it. Whatever the page limit (1 up to a few thousand records) and the
byte cap, the snapshot's pages concatenate to exactly its records, the log's
pages fold to exactly its changes, every cursor moves forward, and the reader
is told it is done. A cursor that stood still would be served the same page
forever: every cold start of a deployed instance holding more than one page
of records hung that way (issue 14, part 1).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localapp.sync import merge, packed
from localapp.sync.config import BucketConfig
from localapp.sync.log import Bucket
from localapp.sync.remote import BucketRemote
from localapp.sync.snapshots import fold

pytest_plugins = ["s3"]

STAMP = "1732363200000-00001-desk1"
#: pulls one walk may take before it counts as a loop (far more than any case needs)
MAX_PULLS = 20_000


@pytest.fixture(scope="module")
def shared_bucket(s3_url: str) -> Iterator[BucketConfig]:
    """One bucket for the module; each example writes under a prefix of its own."""
    from s3 import DUMMY

    with pytest.MonkeyPatch.context() as mp:
        for k, v in DUMMY.items():
            mp.setenv(k, v)
        cfg = BucketConfig(f"paging-{uuid.uuid4().hex[:12]}", s3_url, "us-east-1")
        cfg.client().create_bucket(Bucket=cfg.bucket)
        yield cfg


def record(rid: str, size: int, version: int = 0) -> dict[str, Any]:
    stamp = STAMP if not version else f"17323632{version:05d}-00000-desk1"
    return {
        "id": rid,
        "table": "products",
        "deleted": None,
        "_acked": {},
        "_conflicts": [],
        "fields": {
            "name": {"v": f"螺栓 {rid} v{version}", "s": stamp},
            "notes": {"v": "备" * size, "s": stamp},
        },
    }


def cursor_order(cursor: str | None) -> tuple[int, int, int]:
    """Where a cursor stands: nothing < inside the snapshot < in the log."""
    if not cursor:
        return (-1, 0, 0)
    head, _, part = cursor[1:].partition(".")
    return ({"S": 0, "B": 1}[cursor[0]], int(head), int(part or 0))


def walk(
    remote: BucketRemote, limit: int, lines: bool = False
) -> list[tuple[list[dict[str, Any]], str]]:
    """Every page from nothing to the end, checking that each cursor moves forward
    (`lines`: asked for as lines, each turned back into its record)."""
    pages: list[tuple[list[dict[str, Any]], str]] = []
    cursor: str | None = None
    for _ in range(MAX_PULLS):
        items, nxt, more = remote.pull(cursor, limit, lines=lines)
        assert lines or all(isinstance(r, dict) for r in items)
        records = [packed.record_of_line(r) if isinstance(r, list) else r for r in items]
        assert len(records) <= limit
        if not more:
            pages.append((records, nxt))
            return pages
        assert cursor_order(nxt) > cursor_order(cursor), f"{cursor} -> {nxt}: no progress"
        pages.append((records, nxt))
        cursor = nxt
    raise AssertionError(f"still paging after {MAX_PULLS} pulls: the cursor loops")


def build(
    config: BucketConfig, rng: random.Random, snapshot_size: int, batch_sizes: list[int]
) -> tuple[Bucket, list[dict[str, Any]], list[dict[str, Any]]]:
    """A bucket with 2 log batches, a snapshot as of them, then `batch_sizes` more
    batches (new records and later versions of snapshot ones)."""
    bucket = Bucket.from_config(config, prefix=f"t{uuid.uuid4().hex[:10]}/")
    writer = BucketRemote(bucket)
    snap = [record(f"s{i:05d}", rng.choice((0, 5, 40, 300))) for i in range(snapshot_size)]
    writer.push("before1", "desk1", snap[: snapshot_size // 2] or [record("x", 1)])
    writer.push("before2", "desk1", snap[snapshot_size // 2 :] or [record("x", 2)])
    assert writer.write_snapshot(2, snap)
    entries: list[dict[str, Any]] = []
    for b, size in enumerate(batch_sizes):
        batch = []
        for j in range(size):
            if snap and rng.random() < 0.2:  # a later edit of a record in the snapshot
                batch.append(record(rng.choice(snap)["id"], 3, version=b * 1000 + j + 1))
            else:
                batch.append(record(f"n{b}-{j}", rng.choice((0, 20, 200))))
        writer.push(f"after{b}", "desk1", batch)
        entries += batch
    return bucket, snap, entries


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    snapshot_size=st.integers(0, 2500),
    batch_sizes=st.lists(st.integers(1, 700), max_size=4),
    limit=st.one_of(st.integers(1, 40), st.integers(41, 3000)),
    max_bytes=st.sampled_from([1, 700, 20_000, 300_000, 3_000_000]),
    seed=st.integers(0, 2**16),
    lines=st.booleans(),
)
def test_pages_of_a_snapshot_and_its_log_are_exactly_its_records(
    shared_bucket: BucketConfig,
    snapshot_size: int,
    batch_sizes: list[int],
    limit: int,
    max_bytes: int,
    seed: int,
    lines: bool,
) -> None:
    bucket, snap, entries = build(shared_bucket, random.Random(seed), snapshot_size, batch_sizes)
    reader = BucketRemote(bucket, max_page_bytes=max_bytes)  # a cold instance
    pages = walk(reader, limit, lines)

    # pages whose records came from the snapshot end with an S cursor, or with
    # the B cursor of the snapshot's own point (its last page)
    split = next((i for i, (_, cur) in enumerate(pages) if cur[0] == "B"), len(pages) - 1)
    in_snapshot = [r for records, _ in pages[: split + 1] for r in records]
    in_log = [r for records, _ in pages[split + 1 :] for r in records]
    assert in_snapshot == snap, "the snapshot's pages are not exactly its records"
    assert cursor_order(pages[split][1]) == (1, 2, 0)

    # the log's pages, folded, are exactly its changes folded
    want: dict[tuple[str, str], merge.Record] = {}
    for e in entries:
        key = (e["table"], e["id"])
        want[key] = fold(want.get(key), e)
    got: dict[tuple[str, str], merge.Record] = {}
    for r in in_log:
        key = (r["table"], r["id"])
        got[key] = fold(got.get(key), r)
    assert got == want
    assert len(in_log) <= len(entries)
    # at the end, the reader is up to date and stays there
    end = pages[-1][1]
    assert cursor_order(end) == (1, 2 + len(batch_sizes), 0)
    assert reader.pull(end, limit) == ([], end, False)


def test_a_snapshot_of_several_pages_is_read_to_its_end(shared_bucket: BucketConfig) -> None:
    """The case that hung: 2,508 records in a snapshot, pages of 1,000 (what an
    instance asks for), a new reader each time as after a cold start."""
    bucket, snap, entries = build(shared_bucket, random.Random(7), 2508, [3])
    pages = walk(BucketRemote(bucket), 1000)
    assert [len(records) for records, _ in pages] == [1000, 1000, 508, 3]
    assert [cur for _, cur in pages][:3] == ["S2.1000", "S2.2000", "B00000000000000000002"]
    ids = [r["id"] for records, _ in pages for r in records]
    assert len(ids) == 2511 and set(ids) >= {r["id"] for r in snap}
