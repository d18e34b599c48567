"""Where a replica pushes to and pulls from.

- `HttpRemote`: a desktop's upstream, the server's `/api/sync/*` routes,
  authenticated with a per-device API token.
- `BucketRemote`: a server's upstream when a bucket is configured, the
  put-if-absent change log in the bucket (log.py) plus its snapshots.

Both speak records (sync/merge.py) in batches: `push(batch, replica, records)`
and `pull(cursor, limit) -> (records, next cursor, more)`. Cursors are opaque
strings that start with a letter naming their kind (`L` a hub's own sequence,
`B` a bucket log number, with `.k` when a page ended `k` entries into the next
batch, `S` a position inside a bucket snapshot), so a cursor
from another kind of upstream is recognised and reading starts over, which
merging makes safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from ..records import gc_paused
from . import merge
from .errors import StorageCorrupt, SyncError
from .log import LOG_DIR, NUMBER_DIGITS, BlobStore, Bucket, ChangeLog, number_of
from .snapshots import SnapshotRecords, SnapshotStore, fold

log = logging.getLogger(__name__)

BATCH_DIR = "batches/"
#: a pull page stops adding records past this many bytes of JSON, well under
#: the 6 MB a FaaS platform lets a response be (a page has at least one record)
MAX_PAGE_BYTES = 3_000_000


class SyncUnreachable(SyncError):
    status = 503
    code = "sync_unreachable"
    title = "Sync server unreachable"


class SyncDenied(SyncError):
    status = 401
    code = "sync_denied"
    title = "Sync server refused the token"


def parse_cursor(cursor: str | None, kind: str) -> int:
    """The number in a cursor of `kind`; 0 (start over) for none or another kind."""
    if not cursor or cursor[0] != kind:
        return 0
    try:
        return max(0, int(cursor[1:].split(".", 1)[0]))
    except ValueError:
        return 0


class HttpRemote:
    """The sync routes of a localapp server, over HTTP(S)."""

    #: a pull waits on the server: `rounds.pull` asks for the next page while
    #: it applies one
    prefetch = True

    def __init__(self, url: str, token: str, *, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> bytes:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        req.add_header("Authorization", f"Bearer {self._token}")
        req.add_header("Accept", "application/json")
        if body is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return bytes(resp.read())
        except urllib.error.HTTPError as e:
            raise self._error(e) from None
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            raise SyncUnreachable(
                f"Could not reach the sync server {self.url} ({reason}). Your changes are "
                "kept here and will be sent when it can be reached."
            ) from None

    def _error(self, e: urllib.error.HTTPError) -> SyncError:
        try:
            err = json.loads(e.read() or b"{}").get("error") or {}
        except (ValueError, AttributeError):
            err = {}
        message = err.get("message") or f"The sync server answered HTTP {e.code}."
        if e.code in (401, 403):
            return SyncDenied(
                f"The sync server {self.url} refused this device's token "
                f"({message}). Create a new token on the server and set it "
                "again."
            )
        if e.code >= 500 or e.code == 429:
            return SyncUnreachable(
                f"The sync server {self.url} is not working right now "
                f"({message}). Sync will try again."
            )
        return SyncError(
            message,
            title=err.get("title") or "Sync failed",
            code=err.get("code") or "sync_error",
            status=e.code,
        )

    def push(self, batch: str, replica: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        body = orjson.dumps({"batch": batch, "replica": replica, "records": records})
        return dict(orjson.loads(self._request("POST", "/api/sync/push", body)))

    def pull(
        self, cursor: str | None, limit: int, *, lines: bool = False
    ) -> tuple[list[Any], str, bool]:
        """A page of records after `cursor`; `lines`: snapshot records may come
        as lines (`packed.line_of`: about half the bytes), which an older
        server, not knowing `form`, ignores."""
        params: dict[str, Any] = {"since": cursor or "", "limit": limit}
        if lines:
            params["form"] = "lines"
        query = urllib.parse.urlencode(params)
        body = self._request("GET", f"/api/sync/pull?{query}")
        with gc_paused():
            answer = orjson.loads(body)
        return list(answer["records"]), str(answer["cursor"]), bool(answer["more"])

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._request("PUT", f"/api/sync/blobs/{digest}", data, "application/octet-stream")
        return digest

    def get_blob(self, digest: str) -> bytes:
        data = self._request("GET", f"/api/sync/blobs/{digest}")
        if hashlib.sha256(data).hexdigest() != digest:
            raise StorageCorrupt(f"The file {digest[:12]}… from the sync server is damaged.")
        return data


class BucketRemote:
    """The bucket's change log (and snapshots) as an upstream."""

    def __init__(
        self, bucket: Bucket, *, page_size: int = 100, max_page_bytes: int = MAX_PAGE_BYTES
    ) -> None:
        self.bucket = bucket
        self.max_page_bytes = max_page_bytes
        self.snapshots = SnapshotStore(bucket)
        self.log = ChangeLog(bucket, page_size=page_size, covered=self.snapshots.highest)
        self.blobs = BlobStore(bucket)
        self._snapshot: tuple[int, SnapshotRecords] | None = None  # the one being paged

    def push(self, batch: str, replica: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Append one batch; a batch id seen before is not appended again.

        The marker `batches/<id>` is written after the log entry. A crash
        between the two can add the batch to the log twice; merging makes the
        copy harmless (it changes nothing), and that is the only way it repeats.
        """
        key = BATCH_DIR + _safe(batch) + ".json"
        marker = self.bucket.get(key)
        if marker is not None:
            return {"ok": True, "number": int(orjson.loads(marker)["number"]), "duplicate": True}
        number = self.log.append(records, batch_id=batch, replica=replica)
        self.bucket.put_if_absent(key, orjson.dumps({"number": number}), "application/json")
        return {"ok": True, "number": number, "duplicate": False}

    def pull(
        self, cursor: str | None, limit: int, *, lines: bool = False
    ) -> tuple[list[Any], str, bool]:
        """A page of at most `limit` records (and about `max_page_bytes`) after `cursor`.

        A reader starting from nothing gets the newest snapshot first, in pages
        (`S<upto>.<offset>`), then the log after it: `B<number>` when every
        batch up to that number was read, `B<number>.<k>` when the first `k`
        entries of the next batch were read too (a batch larger than a page).
        `lines`: the snapshot's records as their lines (`packed.line_of`), as
        the snapshot holds them; the log's are whole either way.
        """
        if cursor and cursor[0] == "S":  # inside a snapshot: go on from there
            return self._snapshot_page(cursor, limit, lines)
        position = _log_position(cursor)
        if position is None or position == (0, 0):  # from nothing: the newest snapshot first
            upto, records = self.snapshots.latest()
            if upto:
                self._snapshot = (upto, records)
                return self._snapshot_page(f"S{upto}.0", limit, lines)
            position = (0, 0)
        return self._log_page(*position, max(1, limit), lines)

    def _log_page(
        self, after: int, skip: int, limit: int, lines: bool = False
    ) -> tuple[list[Any], str, bool]:
        entries: list[dict[str, Any]] = []
        size = 0
        cursor = _log_cursor(after, skip)
        expected = after + 1
        for n in self._numbers_after(after, min(self.log.page_size, limit + 1)):
            if n is None:  # listed as many as asked for: there may be more
                return _records_of(entries), cursor, True
            if len(entries) >= limit or size >= self.max_page_bytes:
                return _records_of(entries), cursor, True
            batch = self.log.batch(n) if n == expected else None
            if batch is None:
                if entries:  # end the page here; the next one starts at the gap
                    return _records_of(entries), cursor, True
                if self._compacted_past(expected):
                    # The cursor points into the compacted part of the log (a device
                    # offline through compactions): read from the newest snapshot
                    # again. Merging is idempotent, and local edits stay pending.
                    return self.pull(None, limit, lines=lines)
                raise StorageCorrupt(f"The sync log entry {expected} cannot be read.")
            expected = n + 1
            changes = batch["changes"]
            k = skip if n == after + 1 else 0
            while (
                k < len(changes)
                and len(entries) < limit
                and (size < self.max_page_bytes or not entries)
            ):
                entries.append(changes[k])
                size += len(orjson.dumps(changes[k]))
                k += 1
            if k < len(changes):  # the page is full inside this batch
                return _records_of(entries), _log_cursor(n - 1, k), True
            cursor = _log_cursor(n, 0)
        return _records_of(entries), cursor, False

    def _numbers_after(self, after: int, listed: int) -> Iterator[int | None]:
        """The log numbers after `after`, then None if `listed` of them were
        listed (so there may be more). The log has no gaps, so the numbers up to
        the highest one known to exist are not listed again."""
        n = after
        while n < self.log.known_tail:
            n += 1
            yield n
        numbers = self.log.numbers_after(n, listed)
        yield from numbers
        if len(numbers) >= listed:
            yield None

    def _compacted_past(self, n: int) -> bool:
        """Whether log entry `n` is missing because compaction deleted it: a
        snapshot covers it (a gap anywhere else is damage)."""
        newest = self.snapshots.newest()
        return newest is not None and newest.upto >= n

    def compact(self) -> dict[str, int]:
        """Delete what no reader needs once a snapshot is current: log entries
        and batch markers older than the previous snapshot (a reader falls back
        to it if the newest is damaged, and reads the log after it). Returns
        how many of each were deleted; nothing while there is one snapshot."""
        settled = self.snapshots.settled()
        if len(settled) < 2:
            return {"log": 0, "batches": 0}
        floor_key, floor = settled[-2]
        old_log: list[str] = []
        for key in self.bucket.keys(LOG_DIR):  # oldest first: stops at the floor
            if number_of(key) > floor:
                break
            old_log.append(key)
        self.bucket.delete_many(old_log)  # up to 1,000 a request
        written = next(
            (m for k, _size, m in self.bucket.listing(floor_key) if k == floor_key), None
        )
        old_markers: list[str] = []
        if written is not None:
            # A marker only answers a repeated push; one older than the snapshot
            # before the newest is never asked for (and a repeat merges harmlessly).
            old_markers = [
                key for key, _size, modified in self.bucket.listing(BATCH_DIR) if modified < written
            ]
            self.bucket.delete_many(old_markers)
        deleted = {"log": len(old_log), "batches": len(old_markers)}
        if any(deleted.values()):
            log.info(
                "Compacted the sync bucket: deleted %d log entries and %d batch markers older "
                "than the previous snapshot",
                deleted["log"],
                deleted["batches"],
            )
        return deleted

    def usage(self) -> dict[str, dict[str, int]]:
        """Objects and bytes under each prefix of the bucket (one LIST of it all)."""
        out: dict[str, dict[str, int]] = {}
        for key, size, _modified in self.bucket.listing(""):
            head = key.split("/", 1)[0] + "/" if "/" in key else key
            slot = out.setdefault(head, {"objects": 0, "bytes": 0})
            slot["objects"] += 1
            slot["bytes"] += size
        return out

    def _snapshot_page(
        self, cursor: str, limit: int, lines: bool = False
    ) -> tuple[list[Any], str, bool]:
        head, _, off = cursor[1:].partition(".")
        try:
            upto, offset = int(head), int(off or 0)
        except ValueError:
            return self.pull(None, limit, lines=lines)
        if self._snapshot is None or self._snapshot[0] != upto:
            loaded = self.snapshots.load(upto)
            if loaded is None:  # pruned meanwhile: start again from the newest
                return self.pull(None, limit, lines=lines)
            self._snapshot = (upto, loaded)
        records = self._snapshot[1]
        page, end = records.page(offset, max(1, limit), self.max_page_bytes, lines=lines)
        if end >= len(records):
            return page, _log_cursor(upto, 0), True
        return page, f"S{upto}.{end}", True

    def write_snapshot(self, upto: int, records: Sequence[dict[str, Any] | bytes]) -> bool:
        """Store the records as of log number `upto`; True if no later snapshot exists."""
        return self.snapshots.write(upto, records).current

    def snapshot_and_compact(self, upto: int, records: Sequence[dict[str, Any] | bytes]) -> None:
        """`write_snapshot`, then, once it is current, `compact`; a failure is
        logged (the next try is a while later), not raised."""
        try:
            current = self.write_snapshot(upto, records)
            log.info("Wrote a sync snapshot of the bucket log up to %d", upto)
            if current:
                self.compact()
        except SyncError as exc:
            log.warning("Could not write a sync snapshot: %s", exc.message)

    def put_blob(self, data: bytes) -> str:
        return self.blobs.put(data)

    def get_blob(self, digest: str) -> bytes:
        return self.blobs.get(digest)


def _log_position(cursor: str | None) -> tuple[int, int] | None:
    """(batches read, entries of the next batch read) of a `B` cursor; None otherwise."""
    if not cursor or cursor[0] != "B":
        return None
    head, _, part = cursor[1:].partition(".")
    try:
        return max(0, int(head)), max(0, int(part or 0))
    except ValueError:
        return None


def _log_cursor(after: int, skip: int) -> str:
    return f"B{after:0{NUMBER_DIGITS}d}" + (f".{skip}" if skip else "")


def _records_of(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page's log entries as records, one per (table, id), sorted by them.

    Servers append whole records, already checked and in canonical form
    (`incoming.checked`): a record that appears once on the page is passed on
    as it is. Only repeats, and changes (entries with a `stamp`, written by
    `ChangeLog.append` users), are folded together.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault((str(entry["table"]), str(entry["id"])), []).append(entry)
    out = []
    for key in sorted(groups):
        group = groups[key]
        if len(group) == 1 and "stamp" not in group[0]:
            out.append(group[0])
            continue
        record: merge.Record | None = None
        for entry in group:
            record = fold(record, entry)
        assert record is not None
        out.append(record)
    return out


def _safe(batch: str) -> str:
    if not batch or len(batch) > 64 or not all(c.isalnum() or c in "-_" for c in batch):
        raise SyncError(
            "A batch id must be 1 to 64 letters, digits, '-' or '_'.",
            title="Invalid batch",
            code="bad_batch",
            status=400,
        )
    return batch
