"""The bucket layout against a real S3 server on 127.0.0.1 (moto's standalone
server): numbered put-if-absent log objects, paging, content-addressed blobs,
concurrent writers, and faults injected at the HTTP boundary (409, 500, a lost
answer) to show retries are bounded and nothing is lost or written twice."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import free_port

from localapp.sync.config import BucketConfig
from localapp.sync.errors import (
    StorageCorrupt,
    StorageDenied,
    StorageUnavailable,
    SyncConfigError,
    SyncError,
)
from localapp.sync.log import BlobStore, Bucket, ChangeLog, log_key

pytest_plugins = ["s3"]  # the moto server and a fresh bucket (tests/s3.py)


def no_sleep(_: float) -> None:
    """Backoff without waiting: the number of tries is what is asserted."""


def bucket(config: BucketConfig, **kw: Any) -> Bucket:
    return Bucket.from_config(config, sleep=no_sleep, **kw)


def read_all(log: ChangeLog) -> tuple[list[dict[str, Any]], str]:
    out: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(10_000):  # bounded: a page per round
        changes, cursor = log.read_since(cursor)
        if not changes:
            return out, cursor
        out += changes
    raise AssertionError("read_since never reached the end")


# -- configuration -----------------------------------------------------------


def test_config_from_env_names_and_aliases() -> None:
    assert BucketConfig.from_env({}) is None
    cfg = BucketConfig.from_env(
        {
            "LOCALAPP_S3_BUCKET": "mine",
            "OSS_BUCKET": "seed",
            "OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com",
            "LOCALAPP_S3_REGION": "cn-hangzhou",
        }
    )
    assert cfg == BucketConfig("mine", "https://oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou")
    only_seed = BucketConfig.from_env(
        {"OSS_BUCKET": "seed", "OSS_ACCESS_KEY": "k", "OSS_SECRET_KEY": "s"}
    )
    assert only_seed == BucketConfig("seed", None, None, "k", "s")
    with pytest.raises(SyncConfigError) as e:
        BucketConfig.from_env({"OSS_ENDPOINT": "https://x.example"})
    assert "LOCALAPP_S3_BUCKET" in e.value.message and e.value.title
    with pytest.raises(SyncConfigError):
        BucketConfig.from_env({"OSS_BUCKET": "b", "OSS_ACCESS_KEY": "k"})
    with pytest.raises(SyncConfigError):
        Bucket.from_config(None)


# -- the test server itself --------------------------------------------------


def test_moto_refuses_to_overwrite_with_412(config: BucketConfig) -> None:
    """Everything below relies on this: put-if-absent on an existing key is 412."""
    b = bucket(config)
    assert b.put_if_absent("k", b"first", "text/plain") is True
    assert b.put_if_absent("k", b"second", "text/plain") is False
    assert b.get("k") == b"first"


# -- the change log ----------------------------------------------------------


def test_append_then_read_in_pages_resumes_from_the_cursor(config: BucketConfig) -> None:
    log = ChangeLog(bucket(config), page_size=2)
    numbers = [log.append([{"id": f"r{i}", "n": i}, {"id": f"r{i}b"}]) for i in range(5)]
    assert numbers == [1, 2, 3, 4, 5]
    page, cursor = log.read_since(None)
    assert [c["id"] for c in page] == ["r0", "r0b", "r1", "r1b"]
    rest, end = read_all_from(log, cursor)
    assert [c["id"] for c in rest] == ["r2", "r2b", "r3", "r3b", "r4", "r4b"]
    log.append([{"id": "late"}])
    assert log.read_since(end)[0] == [{"id": "late"}]
    # a second writer that starts later continues the numbering
    assert ChangeLog(bucket(config)).append([{"id": "other"}]) == 7


def read_all_from(log: ChangeLog, cursor: str) -> tuple[list[dict[str, Any]], str]:
    out: list[dict[str, Any]] = []
    for _ in range(1000):
        changes, cursor = log.read_since(cursor)
        if not changes:
            return out, cursor
        out += changes
    raise AssertionError("never reached the end")


def test_two_concurrent_writers_lose_nothing(config: BucketConfig) -> None:
    per_writer = 200
    numbers: dict[str, list[int]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        try:
            log = ChangeLog(bucket(config))  # its own client, like another device
            start.wait(timeout=30)
            for i in range(per_writer):
                numbers[name].append(log.append([{"id": f"{name}-{i}"}], replica=name))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors and not any(t.is_alive() for t in threads)
    everyone = numbers["w1"] + numbers["w2"]
    assert sorted(everyone) == list(range(1, 2 * per_writer + 1))  # unique, no gaps
    changes, _ = read_all(ChangeLog(bucket(config), page_size=500))
    ids = [c["id"] for c in changes]
    assert sorted(ids) == sorted(f"w{w}-{i}" for w in (1, 2) for i in range(per_writer))
    # each writer's own changes appear in the order it wrote them
    assert [i for i in ids if i.startswith("w1-")] == [f"w1-{i}" for i in range(per_writer)]


# -- blobs -------------------------------------------------------------------


def test_blobs_are_stored_once_by_content_and_checked_on_read(config: BucketConfig) -> None:
    blobs = BlobStore(bucket(config))
    data = b"\x89PNG fake image bytes"
    digest = blobs.put(data, "image/png")
    assert digest == hashlib.sha256(data).hexdigest()
    assert blobs.put(data) == digest  # already there: 412 is success
    assert blobs.exists(digest) and blobs.get(digest) == data
    missing = hashlib.sha256(b"never uploaded").hexdigest()
    assert not blobs.exists(missing)
    with pytest.raises(SyncError) as e:
        blobs.get(missing)
    assert e.value.title == "File not uploaded yet"
    damaged = hashlib.sha256(b"what it should be").hexdigest()
    config.client().put_object(Bucket=config.bucket, Key=BlobStore.key(damaged), Body=b"other")
    with pytest.raises(StorageCorrupt) as e2:
        blobs.get(damaged)
    assert "damaged" in e2.value.message


# -- faults --------------------------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _error(status: int, code: str) -> Any:
    from botocore.awsrequest import AWSResponse

    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>injected by the test</Message></Error>"
    ).encode()
    return AWSResponse("http://127.0.0.1/", status, {"Content-Type": "application/xml"}, _Raw(body))


def inject(b: Bucket, status: int, code: str, times: int, *, send_first: bool = False) -> list[int]:
    """Answer the next `times` PutObject requests with an error (optionally
    after really sending them, as when the answer is lost on the way back)."""
    calls: list[int] = []

    def hook(request: Any, **_: Any) -> Any:
        calls.append(1)
        if len(calls) > times:
            return None  # let it through
        if send_first:
            from botocore.httpsession import URLLib3Session

            URLLib3Session().send(request)
        return _error(status, code)

    b.client.meta.events.register("before-send.s3.PutObject", hook)
    return calls


def test_409_conditional_conflict_is_retried_a_bounded_number_of_times(
    config: BucketConfig,
) -> None:
    b = bucket(config, conflict_retries=4)
    calls = inject(b, 409, "ConditionalRequestConflict", times=2)
    log = ChangeLog(b)
    assert log.append([{"id": "x"}]) == 1
    assert len(calls) == 3
    assert read_all(log)[0] == [{"id": "x"}]

    b2 = bucket(config, conflict_retries=4)
    calls2 = inject(b2, 409, "ConditionalRequestConflict", times=10**6)
    with pytest.raises(StorageUnavailable) as e:
        ChangeLog(b2).append([{"id": "y"}])
    assert len(calls2) == 5  # the first try and 4 retries, then it gives up
    assert e.value.title == "Sync storage unavailable" and "try again" in e.value.message


def test_500s_are_retried_then_reported(config: BucketConfig) -> None:
    b = bucket(config)
    calls = inject(b, 500, "InternalError", times=2)
    assert ChangeLog(b).append([{"id": "x"}]) == 1
    assert len(calls) == 3  # botocore's own bounded retries
    b2 = bucket(config)
    calls2 = inject(b2, 500, "InternalError", times=10**6)
    with pytest.raises(StorageUnavailable) as e:
        ChangeLog(b2).append([{"id": "y"}])
    assert len(calls2) == 3 and "InternalError" in e.value.message
    assert [c["id"] for c in read_all(ChangeLog(bucket(config)))[0]] == ["x"]


def test_a_lost_answer_does_not_write_the_batch_twice(config: BucketConfig) -> None:
    b = bucket(config)
    calls = inject(b, 500, "InternalError", times=1, send_first=True)
    log = ChangeLog(b)
    assert log.append([{"id": "once"}], batch_id="batch-1") == 1
    assert len(calls) == 2  # the write landed, its answer was lost, the retry saw 412
    assert log.append([{"id": "next"}]) == 2
    assert [c["id"] for c in read_all(ChangeLog(bucket(config)))[0]] == ["once", "next"]


def test_missing_bucket_and_unreachable_endpoint_become_our_errors(
    config: BucketConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = Bucket(config.client(), "no-such-bucket-here", sleep=no_sleep)
    with pytest.raises(StorageDenied) as e:
        ChangeLog(gone).append([{"id": "x"}])
    assert "does not exist" in e.value.message and e.value.title
    dead = BucketConfig(
        config.bucket, f"http://127.0.0.1:{free_port()}", "us-east-1", "testing", "testing"
    )
    with pytest.raises(StorageUnavailable) as e2:
        ChangeLog(Bucket.from_config(dead, sleep=no_sleep)).read_since(None)
    assert "will try again" in e2.value.message
    assert log_key(3) == "log/00000000000000000003.json"


# -- pulling from the bucket in pages (BucketRemote) ----------------------------


def _records(prefix: str, n: int, *, note: str = "") -> list[dict[str, Any]]:
    stamp = "1732363200000-00001-desk1"
    return [
        {
            "id": f"{prefix}{i}",
            "table": "products",
            "deleted": None,
            "_acked": {},
            "_conflicts": [],
            "fields": {"name": {"v": f"螺栓 {i}", "s": stamp}, "notes": {"v": note, "s": stamp}},
        }
        for i in range(n)
    ]


def pull_all(remote: Any, limit: int) -> tuple[list[list[dict[str, Any]]], str]:
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    for _ in range(1000):  # bounded
        records, cursor, more = remote.pull(cursor, limit)
        pages.append(records)
        if not more:
            return pages, cursor
    raise AssertionError("pull never said it was done")


def test_pull_pages_hold_at_most_limit_records_even_inside_a_large_batch(
    config: BucketConfig,
) -> None:
    """A device asking for 300 records a page gets 300, although batches of
    500 were pushed: the cursor can point inside a batch. Every record arrives
    once, and a record repeated across batches arrives merged."""
    from localapp.sync.remote import BucketRemote

    writer = BucketRemote(bucket(config))
    writer.push("b1", "desk1", _records("p", 500))
    later = _records("p", 1)
    later[0]["fields"]["name"] = {"v": "改名", "s": "1732363200001-00000-desk1"}
    writer.push("b2", "desk1", [*later, *_records("q", 449)])
    reader = BucketRemote(bucket(config))  # another instance: knows nothing yet
    pages, cursor = pull_all(reader, 300)
    assert [len(p) for p in pages] == [300, 300, 300, 50]
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) + 1  # p0 is in both batches (two pages here)
    assert {r["id"] for page in pages for r in page} == {f"p{i}" for i in range(500)} | {
        f"q{i}" for i in range(449)
    }
    assert reader.pull(cursor, 300) == ([], cursor, False)
    # p0 arrives merged when both of its entries are on one page
    whole, _ = pull_all(BucketRemote(bucket(config)), 5000)
    p0 = next(r for page in whole for r in page if r["id"] == "p0")
    assert p0["fields"]["name"]["v"] == "改名"


def test_a_pull_page_stays_well_under_the_faas_response_limit(config: BucketConfig) -> None:
    """Large records make a page stop at about MAX_PAGE_BYTES (a FaaS platform
    answers at most 6 MB), whatever the limit asked for."""
    import orjson

    from localapp.sync.remote import MAX_PAGE_BYTES, BucketRemote

    writer = BucketRemote(bucket(config))
    big = _records("big", 120, note="备注" * 20_000)  # about 120 KB each
    writer.push("big1", "desk1", big[:60])
    writer.push("big2", "desk1", big[60:])
    pages, _ = pull_all(BucketRemote(bucket(config)), 1000)
    assert sum(len(p) for p in pages) == 120 and len(pages) > 1
    for page in pages:
        assert len(orjson.dumps({"records": page})) < MAX_PAGE_BYTES + 200_000 < 6_000_000


def test_a_writer_behind_a_compaction_never_writes_into_the_deleted_part(
    config: BucketConfig,
) -> None:
    """Instance `slow` pushed log entry 1 and idled while `busy` pushed 2 to 5,
    snapshotted at 3 and 5 and compacted (entries 1 to 3 deleted). slow's next
    number, 2, is free again for put-if-absent; written there, a device that
    read up to 5 would never see it (the sync property test found this: an edit
    acknowledged, then missing on every other device). It lands at 6."""
    from localapp.sync.remote import BucketRemote

    slow = BucketRemote(bucket(config))
    busy = BucketRemote(bucket(config))
    assert slow.push("s1", "desk-s", _records("s", 1))["number"] == 1
    for i in range(2, 6):
        assert busy.push(f"b{i}", "desk-b", _records(f"b{i}-", 1))["number"] == i
    everything, cursor = pull_all(BucketRemote(bucket(config)), 100)  # a device, up to date
    assert cursor == "B00000000000000000005"
    busy.write_snapshot(3, [r for page in everything for r in page][:3])
    busy.write_snapshot(5, [r for page in everything for r in page])
    assert busy.compact()["log"] == 3
    assert [k.rsplit("/", 1)[-1] for k in busy.bucket.keys("log/")] == [
        "00000000000000000004.json",
        "00000000000000000005.json",
    ]

    answer = slow.push("s2", "desk-s", _records("late", 1))
    assert answer["number"] == 6
    records, _, _ = BucketRemote(bucket(config)).pull(cursor, 100)
    assert [r["id"] for r in records] == ["late0"], "the device gets the new entry"
    assert not busy.bucket.exists(log_key(2)), "nothing is left in the deleted part"
