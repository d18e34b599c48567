"""Snapshots of the replicated records, and the manifest naming the newest one.

    <prefix>snapshots/00000000000000000200.json.gz   every record after log batch 200
    <prefix>manifest.json                             {"snapshot": <key>, "upto": 200, ...}

An instance restarted with an empty /tmp (a FaaS cold start) loads the newest
snapshot and reads the log only after it (`restore`), instead of replaying the
whole log. A snapshot at N is the fold of log batches 1..N, so it never goes
stale: any snapshot that parses is a correct starting point, and the log after
it does the rest (applying a change twice is harmless: `merge` is idempotent).

- Snapshots are written put-if-absent and never rewritten (except one found
  damaged at our own key). Two writers snapshotting the same point collide on
  the key; either copy will do.
- The manifest is one small object so a cold start costs one GET rather than a
  LIST. It is moved by compare-and-swap (`IfMatch` with the ETag read, or
  `IfNoneMatch='*'` while there is none) and only ever forward: a writer that
  loses the race (412) re-reads it and stops if it already names an equal or
  later snapshot.
- The manifest is a shortcut, not the truth: when it is missing or damaged, or
  names a snapshot that is missing or damaged, `latest` logs a warning and
  falls back to the newest snapshot listed under snapshots/ that parses, and
  at worst to nothing (replay the whole log), which is slow but correct.
- Pruning keeps the newest `keep` snapshots at or below the manifest's and
  deletes older ones only once the manifest has moved past them, so the
  manifest never names a deleted snapshot. Snapshots above the manifest (a
  writer died before its compare-and-swap) are left for a later prune.

Each snapshot is gzip-compressed JSON; gzip's CRC catches a damaged body.
Bucket errors arrive already converted (`log.Bucket`, `errors.py`).
"""

from __future__ import annotations

import gzip
import logging
import random
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from . import merge
from .errors import StorageCorrupt, StorageUnavailable, SyncError
from .log import NUMBER_DIGITS, Bucket, ChangeLog

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "snapshots/"
MANIFEST_KEY = "manifest.json"
FORMAT = 1
#: take a snapshot every this many log batches (see `should_snapshot`)
SNAPSHOT_EVERY = 200
#: snapshots kept at or below the manifest's, the newest first
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
    """What manifest.json says: the newest snapshot everyone should start from."""

    snapshot: str
    upto: int
    updated_at: str = ""
    replica: str = ""


class Written(NamedTuple):
    """The result of `SnapshotStore.write`."""

    key: str
    #: the manifest names this snapshot now (False: it already named a later one)
    current: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _encode(upto: int, records: Iterable[Mapping[str, Any]], replica: str) -> bytes:
    recs = list(records)
    doc = {
        "format": FORMAT,
        "upto": upto,
        "count": len(recs),
        "made_at": _now(),
        "replica": replica,
        "records": recs,
    }
    # level 6: most of level 9's size for a fraction of its time
    return gzip.compress(orjson.dumps(doc), compresslevel=6, mtime=0)


def _decode(key: str, data: bytes, upto: int) -> list[dict[str, Any]]:
    try:
        doc = orjson.loads(gzip.decompress(data))
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as e:
        raise StorageCorrupt(f"The sync snapshot {key} is damaged ({e}).") from e
    if isinstance(doc, dict) and doc.get("format") != FORMAT:
        # a newer version's layout: start from an older snapshot, or the log
        raise StorageCorrupt(
            f"The sync snapshot {key} has format {doc.get('format')!r}, "
            f"this version reads {FORMAT}."
        )
    if (
        not isinstance(doc, dict)
        or doc.get("upto") != upto
        or not isinstance(doc.get("records"), list)
        or doc.get("count", len(doc["records"])) != len(doc["records"])
        or not all(isinstance(r, dict) and "id" in r and "table" in r for r in doc["records"])
    ):
        raise StorageCorrupt(f"The sync snapshot {key} is not a snapshot of log batch {upto}.")
    return doc["records"]


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
    """Snapshots and the manifest in one bucket (beside the change log)."""

    def __init__(
        self,
        bucket: Bucket,
        *,
        keep: int = KEEP,
        replica: str = "",
        cas_retries: int = 10,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if keep < 1:
            raise ValueError("keep at least one snapshot")
        self.bucket = bucket
        self.keep = keep
        self.replica = replica
        self.cas_retries = cas_retries
        self._sleep = sleep

    # -- reading ---------------------------------------------------------------

    def manifest(self) -> Manifest | None:
        """The manifest, or None when there is none or it is damaged."""
        return self._read_manifest()[0]

    def _read_manifest(self) -> tuple[Manifest | None, str | None]:
        """(manifest or None, its ETag or None when the object does not exist)."""
        got = self.bucket.get_with_etag(MANIFEST_KEY)
        if got is None:
            return None, None
        data, etag = got
        try:
            return _parse_manifest(data), etag
        except StorageCorrupt as e:
            log.warning("%s Falling back to the snapshots listed in the bucket.", e.message)
            return None, etag

    def keys(self) -> list[str]:
        """The snapshot keys in the bucket, oldest first."""
        return sorted(k for k in self.bucket.keys(SNAPSHOT_DIR) if _SNAPSHOT_NAME.match(k))

    def settled(self) -> list[tuple[str, int]]:
        """(key, upto) of the snapshots at or below the manifest's, oldest first."""
        manifest = self.manifest()
        if manifest is None:
            return []
        found = ((k, _upto_of(k) or 0) for k in self.keys())
        return [(k, upto) for k, upto in found if upto <= manifest.upto]

    def _load(self, key: str, upto: int) -> list[dict[str, Any]] | None:
        data = self.bucket.get(key)
        if data is None:
            log.warning("The sync snapshot %s is missing; trying an older one.", key)
            return None
        try:
            return _decode(key, data, upto)
        except StorageCorrupt as e:
            log.warning("%s Trying an older one.", e.message)
            return None

    def load(self, upto: int) -> list[dict[str, Any]] | None:
        """The records of the snapshot at `upto`, or None if it is gone or damaged."""
        return self._load(snapshot_key(upto), upto)

    def latest(self) -> tuple[int, list[dict[str, Any]]]:
        """(upto, records) of the newest usable snapshot, or (0, []) if there is none.

        Read the log after `upto` (`ChangeLog.read_since(str(upto))`) to catch up.
        A missing or damaged manifest or snapshot is logged and skipped, never
        raised; errors reaching the bucket are (`StorageUnavailable`, ...).
        """
        manifest, _ = self._read_manifest()
        tried = set()
        if manifest is not None:
            records = self._load(manifest.snapshot, manifest.upto)
            if records is not None:
                return manifest.upto, records
            tried.add(manifest.snapshot)
        for key in reversed(self.keys()):
            upto = _upto_of(key)
            if key in tried or upto is None:
                continue
            records = self._load(key, upto)
            if records is not None:
                return upto, records
        return 0, []

    # -- writing ---------------------------------------------------------------

    def write(self, upto: int, records: Iterable[Mapping[str, Any]]) -> Written:
        """Store `records` (the fold of log batches 1..`upto`) as a snapshot,
        move the manifest to it unless it names a later one already, then prune.

        Raises `StorageUnavailable` if the manifest kept changing under us for
        `cas_retries` tries (the snapshot itself is stored and usable).
        """
        if upto < 1:
            raise ValueError(f"a snapshot needs at least one log batch, not {upto}")
        key = snapshot_key(upto)
        body = _encode(upto, records, self.replica)
        if not self.bucket.put_if_absent(key, body, "application/gzip"):
            self._repair_if_damaged(key, upto, body)
        current = self._advance(key, upto)
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
            return  # pruned meanwhile: the manifest is past it already
        try:
            _decode(key, got[0], upto)
        except StorageCorrupt as e:
            log.warning("%s Replacing it.", e.message)
            self.bucket.put_if_match(key, body, "application/gzip", got[1])

    def _advance(self, key: str, upto: int) -> bool:
        for attempt in range(self.cas_retries + 1):
            manifest, etag = self._read_manifest()
            if manifest is not None and manifest.upto >= upto:
                return manifest.snapshot == key  # never move it back
            body = orjson.dumps(
                {
                    "format": FORMAT,
                    "snapshot": key,
                    "upto": upto,
                    "updated_at": _now(),
                    "replica": self.replica,
                }
            )
            if self.bucket.put_if_match(MANIFEST_KEY, body, "application/json", etag):
                return True
            if attempt < self.cas_retries:
                # someone else moved it: re-read, after a jittered pause so that
                # writers that collided do not collide again in step
                self._sleep(min(0.5, 0.01 * 2**attempt) * random.uniform(0.5, 1.0))
        raise StorageUnavailable(
            f"Could not update the sync manifest after {self.cas_retries + 1} tries: too many "
            "servers are writing snapshots at once. The snapshot is stored; sync goes on.",
            extra={"action": "update the manifest"},
        )

    def prune(self) -> list[str]:
        """Delete snapshots older than the newest `keep` at or below the
        manifest's; returns the keys deleted. Nothing without a manifest."""
        settled = [k for k, _upto in self.settled()]
        doomed = settled[: -self.keep]
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
