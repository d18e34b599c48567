"""Snapshots of the replicated records, and the hint naming the newest one.

    <prefix>snapshots/00000000000000000200.json.gz   every record after log batch 200
    <prefix>manifest.json                             {"snapshot": <key>, "upto": 200, ...}

An instance restarted with an empty /tmp (a FaaS cold start) loads the newest
snapshot and reads the log only after it (`restore`), instead of replaying the
whole log. A snapshot at N is the fold of log batches 1..N, so it never goes
stale: any snapshot that parses is a correct starting point, and the log after
it does the rest (applying a change twice is harmless: `merge` is idempotent).

The layout follows Delta Lake's transaction log (docs/sync.md compares them)
and needs one primitive only, put-if-absent, which S3, OSS, MinIO, R2 and GCS
all offer:

- Snapshots are numbered objects written put-if-absent and never rewritten
  (except one found damaged at our own key, where the store allows it). An
  object put is atomic, so a snapshot that exists is whole: like a Delta
  checkpoint, it is committed by being there. Two writers snapshotting the
  same point collide on the key; either copy will do.
- manifest.json is a hint, like Delta's `_last_checkpoint`: a plain put after
  each snapshot, so a reader starts near the newest one instead of listing
  them all. It may lag (a slow writer can put an older hint last) or name a
  pruned snapshot, so a reader never trusts it alone: it lists the snapshots
  after the hint's key (`newest`, one small LIST) and takes the last. Nothing
  is compare-and-swapped, so a store without `If-Match` (Aliyun OSS) gets
  moving snapshots, compaction and fast cold starts too.
- A missing or damaged hint, or a missing or damaged snapshot, is logged and
  skipped, never raised: `latest` falls back to older snapshots and at worst
  to nothing (replay the whole log), which is slow but correct.
- Pruning keeps the newest `keep` snapshots and deletes older ones.

Each snapshot is gzip-compressed JSON lines (format 2): a header line
`{"format": 2, "upto": N, "count": C, "made_at", "replica"}`, then one line per
record, `[table, id, values, stamps]`, its field values once and their stamps
packed as the store keeps them (`packed.py`: the stamp most fields share, the
others by name), or `[table, id, null, record]` for a record kept whole. A
reader checks the whole body once (gzip's CRC, every line parses, the line
count) without keeping it, then reads the records a page at a time (`SnapshotRecords`): 100,000
products took about 1 GB parsed whole in format 1 (every field a {"v", "s"}
pair), where now the compressed bytes and one page are in memory. Format 1
(one JSON document with every record whole, written before) is still read.
Bucket errors arrive already converted (`log.Bucket`, `errors.py`).
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from ..records import gc_paused
from . import merge, packed
from .errors import StorageCorrupt, StorageUnsupported, SyncError
from .log import NUMBER_DIGITS, Bucket, ChangeLog

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "snapshots/"
MANIFEST_KEY = "manifest.json"
FORMAT = 2
#: the formats this version reads (1: one JSON document, records whole)
READS = (1, 2)
#: take a snapshot every this many log batches (see `should_snapshot`)
SNAPSHOT_EVERY = 200
#: snapshots kept, the newest
KEEP = 2
_SNAPSHOT_NAME = re.compile(rf"^{SNAPSHOT_DIR}(\d{{{NUMBER_DIGITS}}})\.json\.gz$")


def snapshot_key(upto: int) -> str:
    """The key of the snapshot taken after log batch `upto`."""
    return f"{SNAPSHOT_DIR}{upto:0{NUMBER_DIGITS}d}.json.gz"


def should_snapshot(upto: int, last_snapshot_upto: int, every: int = SNAPSHOT_EVERY) -> bool:
    """True once `every` log batches have landed since the last snapshot."""
    return upto - last_snapshot_upto >= every


@dataclass(frozen=True)
class Manifest:
    """A snapshot's key and log number: what manifest.json hints, or what `newest` found."""

    snapshot: str
    upto: int
    updated_at: str = ""
    replica: str = ""


class Written(NamedTuple):
    """The result of `SnapshotStore.write`."""

    key: str
    #: no later snapshot is in the bucket (False: someone snapshotted further already)
    current: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _line_at(key: str, line: bytes) -> list[Any]:
    """One line of a snapshot, parsed: [table, id, values or None, stamps or record]."""
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        raise StorageCorrupt(f"The sync snapshot {key} holds a damaged record ({e}).") from e
    if (
        type(item) is not list
        or len(item) != 4
        or type(item[0]) is not str
        or type(item[1]) is not str
    ):
        raise StorageCorrupt(f"The sync snapshot {key} holds something that is not a record.")
    return item


def _record_of(key: str, item: list[Any]) -> dict[str, Any]:
    try:
        record = packed.record_of_line(item)
    except ValueError as e:
        raise StorageCorrupt(f"The sync snapshot {key} holds a damaged record ({e}).") from e
    if "id" not in record or "table" not in record:
        raise StorageCorrupt(f"The sync snapshot {key} holds something that is not a record.")
    return record


def _sent_size(line: bytes, item: list[Any]) -> int:
    """About the bytes of a record's JSON (whole), from its line (within a
    few per cent): a line holds the values once and one stamp for most
    fields, the record a `{"v": …, "s": "<stamp>"}` cell per field."""
    values, stamps = item[2], item[3]
    if type(values) is not dict or type(stamps) is not dict:
        return len(line)  # kept whole
    stamp = stamps.get("s")
    stamp = stamp if type(stamp) is str else ""
    # the record's keys, less the line's brackets and its packed stamp
    fixed = len('{"id":,"table":,"fields":{},"deleted":null,"_acked":{},"_conflicts":[]}')
    fixed -= len("[,,,]\n") + len('{"s":""}') + len(stamp)
    return len(line) + fixed + len(values) * (len('{"v":,"s":""}') + len(stamp))


def _encode(upto: int, records: Iterable[Mapping[str, Any] | bytes], replica: str) -> bytes:
    """A snapshot object: records whole, or lines encoded already (`Replica.settled`)."""
    recs = records if isinstance(records, Sequence) else list(records)
    head = {"format": FORMAT, "upto": upto, "count": len(recs), "made_at": _now()}
    head["replica"] = replica
    out = io.BytesIO()
    # level 6: most of level 9's size for a fraction of its time
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as gz:
        gz.write(orjson.dumps(head) + b"\n")
        for start in range(0, len(recs), 1000):  # a write a thousand lines
            lines = [
                r if isinstance(r, bytes) else orjson.dumps(packed.line_of(r))
                for r in recs[start : start + 1000]
            ]
            gz.write(b"\n".join(lines) + b"\n")
    return out.getvalue()


class SnapshotRecords(Sequence[dict[str, Any]]):
    """The records of one snapshot, each read when asked for.

    Format 2 keeps the compressed body only and reads on from where the last
    page ended (a reader pages forward); any other position reads from the
    start again. Safe to share between threads."""

    def __init__(
        self,
        key: str,
        count: int,
        *,
        body: bytes | None = None,
        whole: list[dict[str, Any]] | None = None,
    ) -> None:
        self.key = key
        self.size = count  # `count` is Sequence's method
        self._body = body
        self._whole = whole
        self._lock = threading.Lock()
        self._stream: gzip.GzipFile | None = None
        self._at = 0  # the index of the record the stream reads next

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.size)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self.read(start, max(0, stop - start))
        i = index + self.size if index < 0 else index
        if not 0 <= i < self.size:
            raise IndexError(index)
        return self.read(i, 1)[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for start in range(0, self.size, 1000):
            yield from self.read(start, 1000)

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same records in the same order."""
        if not isinstance(other, Sequence) or len(other) != self.size:
            return False
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def read(self, start: int, n: int) -> list[dict[str, Any]]:
        """Up to `n` records from index `start`."""
        return self.page(start, n)[0]

    def page(
        self, start: int, limit: int, max_bytes: int | None = None, *, lines: bool = False
    ) -> tuple[list[Any], int]:
        """(records from `start`, the index after them): at most `limit`, and
        no more once their JSON (whole) passes `max_bytes` (at least one).
        `lines`: each record as its line (`packed.line_of`), as stored."""
        if self._whole is not None:  # format 1: parsed already (shared: read only)
            out: list[Any] = []
            end, size = start, 0
            while end < self.size and end - start < limit:
                if max_bytes is not None and out and size >= max_bytes:
                    break
                record = self._whole[end]
                out.append(packed.line_of(record) if lines else record)
                size += len(orjson.dumps(record)) if max_bytes is not None else 0
                end += 1
            return out, end
        # gc paused: a page is thousands of new dicts, and in a process holding
        # a store each collection walks all of its documents (7.8 s of pages at
        # 100,000 products, 2.3 s paused)
        with self._lock, gc_paused():
            stream = self._seek(start)
            out = []
            size = 0
            while self._at < self.size and len(out) < limit:
                if max_bytes is not None and out and size >= max_bytes:
                    break
                line = stream.readline()
                item = _line_at(self.key, line)
                out.append(item if lines else _record_of(self.key, item))
                if max_bytes is not None:
                    size += _sent_size(line, item)
                self._at += 1
            return out, self._at

    def _seek(self, start: int) -> gzip.GzipFile:
        if self._stream is None or self._at > start:
            self._stream = gzip.GzipFile(fileobj=io.BytesIO(self._body or b""), mode="rb")
            self._stream.readline()  # the header
            self._at = 0
        while self._at < start:
            self._stream.readline()
            self._at += 1
        return self._stream


def _decode(key: str, data: bytes, upto: int) -> SnapshotRecords:
    """The records of a snapshot object, after checking all of it (gzip's CRC,
    the header, every line, the count); format 2 is not kept parsed."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as gz:
            first = gz.readline()
            head = orjson.loads(first)
            lines = 0
            if isinstance(head, dict) and head.get("format") == 2:
                # every line parsed once, none kept: damage is found here, where
                # an older snapshot can still be chosen, not pages into a pull
                for line in gz:
                    if not isinstance(orjson.loads(line), list):
                        raise StorageCorrupt(f"The sync snapshot {key} holds a damaged line.")
                    lines += 1
            else:  # format 1 (or not ours): one document
                head = orjson.loads(first + gz.read())
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as e:
        raise StorageCorrupt(f"The sync snapshot {key} is damaged ({e}).") from e
    if isinstance(head, dict) and head.get("format") not in READS:
        # a newer version's layout: start from an older snapshot, or the log
        raise StorageCorrupt(
            f"The sync snapshot {key} has format {head.get('format')!r}, "
            f"this version reads {', '.join(map(str, READS))}."
        )
    if not isinstance(head, dict) or head.get("upto") != upto:
        raise StorageCorrupt(f"The sync snapshot {key} is not a snapshot of log batch {upto}.")
    if head["format"] == 2:
        if head.get("count") != lines:
            raise StorageCorrupt(f"The sync snapshot {key} is not whole.")
        return SnapshotRecords(key, lines, body=data)
    records = head.get("records")
    if (
        not isinstance(records, list)
        or head.get("count", len(records)) != len(records)
        or not all(isinstance(r, dict) and "id" in r and "table" in r for r in records)
    ):
        raise StorageCorrupt(f"The sync snapshot {key} is not a snapshot of log batch {upto}.")
    return SnapshotRecords(key, len(records), whole=records)


def _parse_manifest(data: bytes) -> Manifest:
    try:
        doc = orjson.loads(data)
        m = Manifest(
            snapshot=str(doc["snapshot"]),
            upto=int(doc["upto"]),
            updated_at=str(doc.get("updated_at", "")),
            replica=str(doc.get("replica", "")),
        )
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError) as e:
        raise StorageCorrupt(f"The sync manifest {MANIFEST_KEY} is damaged ({e}).") from e
    if _upto_of(m.snapshot) != m.upto:
        raise StorageCorrupt(
            f"The sync manifest {MANIFEST_KEY} names {m.snapshot!r} for log batch {m.upto}."
        )
    return m


def _upto_of(key: str) -> int | None:
    match = _SNAPSHOT_NAME.match(key)
    return int(match.group(1)) if match else None


class SnapshotStore:
    """Snapshots and their hint in one bucket (beside the change log)."""

    def __init__(self, bucket: Bucket, *, keep: int = KEEP, replica: str = "") -> None:
        if keep < 1:
            raise ValueError("keep at least one snapshot")
        self.bucket = bucket
        self.keep = keep
        self.replica = replica

    # -- reading ---------------------------------------------------------------

    def manifest(self) -> Manifest | None:
        """The hint, or None when there is none or it is damaged. It may lag:
        `newest` is the truth."""
        data = self.bucket.get(MANIFEST_KEY)
        if data is None:
            return None
        try:
            return _parse_manifest(data)
        except StorageCorrupt as e:
            log.warning("%s Listing the snapshots in the bucket instead.", e.message)
            return None

    def keys(self, after: str | None = None) -> list[str]:
        """The snapshot keys in the bucket (after `after`), oldest first."""
        return sorted(
            k for k in self.bucket.keys(SNAPSHOT_DIR, after=after) if _SNAPSHOT_NAME.match(k)
        )

    def _ahead(self) -> tuple[Manifest | None, list[str]]:
        """(the hint, the snapshot keys after it, oldest first): one GET and one
        LIST that starts at the hint, so it stays small however old the bucket."""
        hint = self.manifest()
        return hint, self.keys(after=hint.snapshot if hint else None)

    def newest(self) -> Manifest | None:
        """The newest snapshot in the bucket (not checked to parse), or None."""
        hint, ahead = self._ahead()
        if ahead:
            return Manifest(ahead[-1], _upto_of(ahead[-1]) or 0)
        return hint

    def highest(self) -> int:
        """The highest log number a snapshot in the bucket covers (0: none), from
        one LIST. Compaction deletes log entries only at or below it, and a
        snapshot is pruned only once newer ones exist, so it never goes down."""
        return max((upto for _key, upto in self.settled()), default=0)

    def settled(self) -> list[tuple[str, int]]:
        """(key, upto) of every snapshot in the bucket, oldest first. Each was
        written whole by one put, so each is a place a reader may start from."""
        return [(k, _upto_of(k) or 0) for k in self.keys()]

    def _load(self, key: str, upto: int) -> SnapshotRecords | None:
        data = self.bucket.get(key)
        if data is None:
            log.warning("The sync snapshot %s is missing; trying an older one.", key)
            return None
        try:
            return _decode(key, data, upto)
        except StorageCorrupt as e:
            log.warning("%s Trying an older one.", e.message)
            return None

    def load(self, upto: int) -> SnapshotRecords | None:
        """The records of the snapshot at `upto`, or None if it is gone or damaged."""
        return self._load(snapshot_key(upto), upto)

    def latest(self) -> tuple[int, SnapshotRecords]:
        """(upto, records) of the newest usable snapshot, or (0, []) if there is none.

        Read the log after `upto` (`ChangeLog.read_since(str(upto))`) to catch up.
        A missing or damaged hint or snapshot is logged and skipped, never
        raised; errors reaching the bucket are (`StorageUnavailable`, ...).
        """
        hint, ahead = self._ahead()
        tried: set[str] = set()
        for key in [*reversed(ahead), *([hint.snapshot] if hint else [])]:
            tried.add(key)
            records = self._load(key, _upto_of(key) or 0)
            if records is not None:
                return _upto_of(key) or 0, records
        # all of those are damaged or gone: the older ones, newest first
        for key in reversed(self.keys()):
            if key not in tried:
                records = self._load(key, _upto_of(key) or 0)
                if records is not None:
                    return _upto_of(key) or 0, records
        return 0, SnapshotRecords("", 0, whole=[])

    # -- writing ---------------------------------------------------------------

    def write(self, upto: int, records: Iterable[Mapping[str, Any] | bytes]) -> Written:
        """Store `records` (the fold of log batches 1..`upto`) as a snapshot,
        move the hint to it unless it names a later one already, then prune."""
        if upto < 1:
            raise ValueError(f"a snapshot needs at least one log batch, not {upto}")
        key = snapshot_key(upto)
        body = _encode(upto, records, self.replica)
        if not self.bucket.put_if_absent(key, body, "application/gzip"):
            self._repair_if_damaged(key, upto, body)
        hint = self.manifest()
        if hint is None or hint.upto < upto:
            # A plain put: two writers may race and leave the older hint last,
            # which costs a reader one more key in its LIST, nothing else.
            doc = {"format": FORMAT, "snapshot": key, "upto": upto}
            doc |= {"updated_at": _now(), "replica": self.replica}
            self.bucket.put(MANIFEST_KEY, orjson.dumps(doc), "application/json")
        current = not self.keys(after=key)
        try:
            self.prune()
        except SyncError as e:  # e.g. keys allowed to put but not to delete
            log.warning("Could not prune old sync snapshots (housekeeping only): %s", e.message)
        return Written(key, current)

    def _repair_if_damaged(self, key: str, upto: int, body: bytes) -> None:
        # Someone snapshotted the same point first; theirs is as good as ours
        # unless it is damaged, and then ours replaces it (only if unchanged).
        got = self.bucket.get_with_etag(key)
        if got is None:
            return  # pruned meanwhile: later snapshots exist
        try:
            _decode(key, got[0], upto)
        except StorageCorrupt as e:
            log.warning("%s Replacing it.", e.message)
            try:
                self.bucket.put_if_match(key, body, "application/gzip", got[1])
            except StorageUnsupported:  # no If-Match (OSS): readers skip the damaged one
                log.warning("This store cannot replace %s safely; readers skip it.", key)

    def prune(self) -> list[str]:
        """Delete all but the newest `keep` snapshots; returns the keys deleted."""
        doomed = self.keys()[: -self.keep]
        for key in doomed:
            self.bucket.delete(key)
        return doomed


def fold(record: Mapping[str, Any] | None, entry: Mapping[str, Any]) -> merge.Record:
    """Fold one log entry into a record: a change (it has a `stamp`) or a whole
    replicated record, as servers append them. Both are joins, so the order
    and repeats do not matter."""
    if "stamp" in entry:
        return merge.apply_change(record, entry)
    return merge.merge_record(record, entry) if record is not None else merge.normalize(entry)


def restore(store: SnapshotStore, changelog: ChangeLog) -> tuple[list[merge.Record], str]:
    """Every record as a full replay of the log would give it: the newest
    snapshot plus the log after it. Returns (records sorted by table and id,
    the log cursor to read from next)."""
    upto, records = store.latest()
    by_key: dict[tuple[str, str], merge.Record] = {(r["table"], r["id"]): r for r in records}
    cursor = f"{upto:0{NUMBER_DIGITS}d}"
    while True:  # ends at the log's end: each page moves the cursor forward
        entries, cursor = changelog.read_since(cursor)
        if not entries:
            break
        for entry in entries:
            k = (str(entry["table"]), str(entry["id"]))
            by_key[k] = fold(by_key.get(k), entry)
    return [by_key[k] for k in sorted(by_key)], cursor
