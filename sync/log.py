"""The bucket layout: an append-only change log and content-addressed blobs.

    <prefix>log/00000000000000000001.json    one batch of changes per object
    <prefix>log/00000000000000000002.json    numbered, never rewritten
    <prefix>blobs/sha256/<64 hex digits>      images and order files, by content

Every object is written put-if-absent (`IfNoneMatch='*'`), the Delta Lake
way, so any number of writers (desktops, several FaaS instances) share one
bucket without a lock and without losing a write:

- 412 PreconditionFailed on log number N: someone else owns N. The writer
  reads it: if it holds our own batch id, an earlier attempt succeeded and only
  its answer was lost, so we are done (nothing is written twice). Otherwise we
  take the next free number.
- 409 ConditionalRequestConflict (S3 saw two writes to the key at once): retry
  the same number after a short, bounded backoff.
- 5xx and dropped connections: botocore retries (3 attempts, standard mode);
  then the error surfaces as `StorageUnavailable` and the caller retries later.

A writer only ever tries number N after seeing N-1 exist, so the log has no
gaps and a reader's cursor (the last number it consumed) never skips a batch.
Compaction (remote.py) deletes the oldest entries once a snapshot covers them,
and put-if-absent cannot tell a deleted number from a free one: a writer whose
idea of the end is older than a compaction would write into the deleted part,
where no reader looks. So after each write the writer asks how far snapshots
reach (`covered`); a number at or below that is taken back and the batch
appended at the end.

All boto3/botocore calls go through `Bucket`, the one place where library
errors become our own (`errors.py`), each with a title and message.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import orjson

from .config import BucketConfig
from .errors import (
    LogContended,
    StorageCorrupt,
    StorageDenied,
    StorageUnavailable,
    StorageUnsupported,
    SyncConfigError,
    SyncError,
)

log = logging.getLogger(__name__)

LOG_DIR = "log/"
BLOB_DIR = "blobs/sha256/"
NUMBER_DIGITS = 20
_DENIED = {
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccountProblem",
    "ExpiredToken",
    "InvalidToken",
}


def log_key(number: int) -> str:
    return f"{LOG_DIR}{number:0{NUMBER_DIGITS}d}.json"


def number_of(key: str) -> int:
    """The batch number of a log key."""
    return int(key.rsplit("/", 1)[-1].split(".", 1)[0])


def _error_code(exc: BaseException) -> tuple[str, int]:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return "", 0
    code = str(response.get("Error", {}).get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code, status


def convert(exc: BaseException, action: str, bucket: str) -> SyncError:
    """Turn a botocore error into one of ours; the one conversion point."""
    code, status = _error_code(exc)
    name = type(exc).__name__
    where = f"the sync bucket {bucket!r}"
    if code == "NoSuchBucket":
        return StorageDenied(
            f"{where} does not exist. Check LOCALAPP_S3_BUCKET and the endpoint.",
            extra={"action": action},
        )
    if (
        code in _DENIED
        or status == 403
        or name in {"NoCredentialsError", "PartialCredentialsError"}
    ):
        return StorageDenied(
            f"Access to {where} was refused while trying to {action}. "
            "Check the access key, secret key and the bucket's permissions.",
            extra={"action": action, "cause": code or name},
        )
    if code == "NotImplemented" or status == 501:
        # Asking again will not help: OSS answers S3's conditional uploads so.
        return StorageUnsupported(
            f"{where} does not support what was needed to {action} "
            f"({code or 'HTTP 501'}): it is not fully S3-compatible "
            "for this. See docs/sync.md, Deploying with a bucket.",
            extra={"action": action, "cause": code or "501"},
        )
    if (
        status >= 500
        or code in {"SlowDown", "ConditionalRequestConflict", "RequestTimeout"}
        or not code
    ):
        # no code: a connection error, timeout or other transport failure
        return StorageUnavailable(
            f"Could not {action} in {where} ({code or name}). Local editing "
            "goes on; sync will try again.",
            extra={"action": action, "cause": code or name},
        )
    return SyncError(
        f"Could not {action} in {where}: {code} (HTTP {status}).",
        extra={"action": action, "cause": code},
    )


class Bucket:
    """One bucket (and key prefix) behind a boto3 S3 client."""

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        prefix: str = "",
        conflict_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.name = name
        self.prefix = prefix
        self.conflict_retries = conflict_retries
        #: whether the store takes DeleteObjects (tried until it refuses once)
        self._multi_delete = True
        self._sleep = sleep

    @classmethod
    def from_config(cls, config: BucketConfig | None, **kwargs: Any) -> Bucket:
        if config is None:
            raise SyncConfigError("Set LOCALAPP_S3_BUCKET (or OSS_BUCKET) to use sync storage.")
        return cls(config.client(), config.bucket, **kwargs)

    def _backoff(self, attempt: int) -> None:
        # jitter so two writers that collided do not collide again in step
        self._sleep(min(1.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Write `key` whatever is there (only where no condition can be had)."""
        self._put_conditional(key, body, content_type, {})

    def put_if_absent(self, key: str, body: bytes, content_type: str) -> bool:
        """Write `key` unless it exists: True if written, False if it was there."""
        return self._put_conditional(key, body, content_type, {"IfNoneMatch": "*"})

    def put_if_match(self, key: str, body: bytes, content_type: str, etag: str | None) -> bool:
        """Compare-and-swap: replace `key` only if it still has `etag`.

        `etag=None` means "only if `key` does not exist yet" (put-if-absent).
        True if written; False if someone changed (or removed) the object since
        its ETag was read: re-read it and decide again.
        """
        if etag is None:
            return self.put_if_absent(key, body, content_type)
        # IfMatch on a key that is gone answers 404 NoSuchKey, not 412: the
        # object changed under us all the same.
        return self._put_conditional(
            key, body, content_type, {"IfMatch": etag}, lost=frozenset({"NoSuchKey"})
        )

    def _put_conditional(
        self,
        key: str,
        body: bytes,
        content_type: str,
        condition: dict[str, str],
        lost: frozenset[str] = frozenset(),
    ) -> bool:
        for attempt in range(self.conflict_retries + 1):
            try:
                self.client.put_object(
                    Bucket=self.name,
                    Key=self.prefix + key,
                    Body=body,
                    ContentType=content_type,
                    **condition,
                )
                return True
            except Exception as e:
                code, status = _error_code(e)
                if code == "PreconditionFailed" or status == 412 or code in lost:
                    return False
                if (
                    code == "ConditionalRequestConflict" or status == 409
                ) and attempt < self.conflict_retries:
                    self._backoff(attempt)
                    continue
                raise convert(e, f"write {key}", self.name) from e
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if there is no such key."""
        got = self.get_with_etag(key)
        return got[0] if got is not None else None

    def get_with_etag(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag (to pass to `put_if_match`), or None."""
        try:
            response = self.client.get_object(Bucket=self.name, Key=self.prefix + key)
            return bytes(response["Body"].read()), str(response["ETag"])
        except Exception as e:
            code, status = _error_code(e)
            if code != "NoSuchBucket" and (code in {"NoSuchKey", "404"} or status == 404):
                return None
            raise convert(e, f"read {key}", self.name) from e

    def delete(self, key: str) -> None:
        """Remove `key`; a key that is already gone is not an error."""
        try:
            self.client.delete_object(Bucket=self.name, Key=self.prefix + key)
        except Exception as e:
            code, status = _error_code(e)
            if code in {"NoSuchKey", "404"} or status == 404:
                return
            raise convert(e, f"delete {key}", self.name) from e

    def delete_many(self, keys: list[str], per_request: int = 1000) -> None:
        """Remove `keys`, up to `per_request` (S3 allows 1,000) in one request
        (DeleteObjects); a store that refuses that request gets one request per
        key from then on."""
        for start in range(0, len(keys), per_request):
            chunk = keys[start : start + per_request]
            if self._multi_delete:
                try:
                    answer = self.client.delete_objects(
                        Bucket=self.name,
                        Delete={
                            "Objects": [{"Key": self.prefix + k} for k in chunk],
                            "Quiet": True,
                        },
                    )
                except Exception as e:
                    log.info("The sync bucket refused a multi-object delete (%s): one by one", e)
                    self._multi_delete = False
                else:
                    failed = [e for e in answer.get("Errors") or () if e.get("Code") != "NoSuchKey"]
                    if not failed:
                        continue
                    chunk = [str(e["Key"])[len(self.prefix) :] for e in failed]
            for key in chunk:
                self.delete(key)

    def probe(self) -> dict[str, bool]:
        """Whether this store honours conditional writes, tried on a probe key:
        `put_if_absent` (a second create of one key is refused: what the log is
        built on) and `compare_and_swap` (a write with a stale ETag is refused)."""
        key = f"probe/{uuid.uuid4().hex}"
        self.put_if_absent(key, b"1", "text/plain")  # unreachable: raises, nothing to undo
        try:
            absent = not self.put_if_absent(key, b"2", "text/plain")
            current = self.get_with_etag(key)
            cas = current is not None and not self.put_if_match(
                key, b"3", "text/plain", '"00000000000000000000000000000000"'
            )
        finally:
            try:
                self.delete(key)
            except SyncError:
                log.warning("Could not remove the probe object %s from the sync bucket", key)
        return {"put_if_absent": absent, "compare_and_swap": cas}

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.name, Key=self.prefix + key)
            return True
        except Exception as e:
            code, status = _error_code(e)
            if status == 404 or code in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise convert(e, f"look for {key}", self.name) from e

    def keys(
        self, under: str, *, after: str | None = None, limit: int | None = None
    ) -> Iterator[str]:
        """Keys below `under` in order, starting after `after`; at most `limit`."""
        for key, _size, _modified in self.listing(under, after=after, limit=limit):
            yield key

    def listing(
        self, under: str, *, after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, int, datetime]]:
        """(key, bytes, last modified) below `under` in key order, starting after
        `after`; at most `limit`."""
        kwargs: dict[str, Any] = {"Bucket": self.name, "Prefix": self.prefix + under}
        if after is not None:
            kwargs["StartAfter"] = self.prefix + after
        given = 0
        while True:
            if limit is not None:
                kwargs["MaxKeys"] = min(1000, limit - given)
            try:
                page = self.client.list_objects_v2(**kwargs)
            except Exception as e:
                raise convert(e, f"list {under}", self.name) from e
            for item in page.get("Contents") or ():
                yield item["Key"][len(self.prefix) :], int(item["Size"]), item["LastModified"]
                given += 1
            if not page.get("IsTruncated") or (limit is not None and given >= limit):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
            kwargs.pop("StartAfter", None)


class ChangeLog:
    """The numbered, append-only change log in a bucket."""

    #: log objects kept (as bytes) after reading, so a reader paging through
    #: one large batch fetches it once; entries are never rewritten
    CACHED_BATCHES = 4

    def __init__(
        self,
        bucket: Bucket,
        *,
        page_size: int = 100,
        max_tries: int = 1000,
        covered: Callable[[], int] | None = None,
    ) -> None:
        self.bucket = bucket
        self.page_size = page_size
        self.max_tries = max_tries
        #: the highest log number a snapshot in the bucket covers (compaction
        #: deletes entries at or below it), asked after each write
        self.covered = covered
        self._next: int | None = None
        self._seen = 0
        self._cache: dict[int, bytes] = {}
        self._cache_lock = threading.Lock()
        # One append at a time in this process, whatever the store: two threads
        # must never race for the same next number (a store that ignored
        # put-if-absent would keep only one of them).
        self._append_lock = threading.Lock()

    @property
    def known_tail(self) -> int:
        """The highest number known to exist (appended, listed or read here; 0: none).
        The log has no gaps, so every number up to it exists too."""
        return self._seen

    def _saw(self, n: int) -> None:
        if n > self._seen:
            self._seen = n

    def tail(self, after: int = 0) -> int:
        """The highest batch number in the log (0 when empty)."""
        last = after
        for key in self.bucket.keys(LOG_DIR, after=log_key(after) if after else None):
            last = max(last, number_of(key))
        self._saw(last)
        return last

    def append(
        self, changes: list[dict[str, Any]], *, batch_id: str | None = None, replica: str = ""
    ) -> int:
        """Write one batch of changes as the next log object; returns its number.

        Retrying with the same `batch_id` after a lost answer does not write the
        batch twice as long as no other batch landed in between.
        """
        with self._append_lock:
            return self._append(changes, batch_id, replica)

    def _append(self, changes: list[dict[str, Any]], batch_id: str | None, replica: str) -> int:
        batch_id = batch_id or uuid.uuid4().hex
        body = orjson.dumps({"batch": batch_id, "replica": replica, "changes": changes})
        # The log has no gaps: list only after the highest number known to exist
        # (read or listed here already), not the whole log.
        n = self._next if self._next is not None else self.tail(after=self._seen) + 1
        for _ in range(self.max_tries):
            if self.bucket.put_if_absent(log_key(n), body, "application/json"):
                ours = True
            else:
                existing = self._batch(n)  # our own earlier attempt, whose answer was lost?
                ours = existing is not None and existing.get("batch") == batch_id
            if ours:
                floor = self.covered() if self.covered is not None else 0
                if n <= floor:
                    # Number n was written before and deleted by a compaction
                    # since this writer last looked: readers are past it, so the
                    # entry would never be read. Take it back; append at the end.
                    log.info("Log number %d was compacted away; appending after %d", n, floor)
                    self._next = None
                    with self._cache_lock:
                        self._cache.pop(n, None)
                    self.bucket.delete(log_key(n))
                    n = self.tail(after=floor) + 1
                    continue
                self._next = n + 1
                self._saw(n)
                return n
            # Taken by another writer: move to the end of the log rather than
            # walk it one number at a time.
            n = max(n + 1, self.tail(after=n) + 1)
        raise LogContended(
            f"Could not add changes to the sync log after {self.max_tries} tries: "
            "too many devices are writing at once. Sync will try again."
        )

    def _batch(self, n: int) -> dict[str, Any] | None:
        with self._cache_lock:
            raw = self._cache.get(n)
        if raw is None:
            raw = self.bucket.get(log_key(n))
            if raw is None:
                return None
            with self._cache_lock:
                self._cache[n] = raw
                while len(self._cache) > self.CACHED_BATCHES:
                    del self._cache[min(self._cache)]
        try:
            batch = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise StorageCorrupt(f"The sync log entry {log_key(n)} is not valid JSON.") from e
        if not isinstance(batch, dict) or not isinstance(batch.get("changes"), list):
            raise StorageCorrupt(f"The sync log entry {log_key(n)} is not a batch of changes.")
        return batch

    def numbers_after(self, after: int, limit: int) -> list[int]:
        """The numbers of up to `limit` log entries after number `after`, in order."""
        keys = self.bucket.keys(LOG_DIR, after=log_key(after) if after else None, limit=limit)
        numbers = [number_of(key) for key in keys]
        if numbers:
            self._saw(numbers[-1])
        return numbers

    def batch(self, n: int) -> dict[str, Any] | None:
        """Log entry `n`, or None if there is none (yet)."""
        return self._batch(n)

    def batches_since(self, cursor: str | None) -> tuple[list[tuple[int, dict[str, Any]]], str]:
        """One page of (number, batch) after `cursor`, and the cursor to ask with next."""
        after = int(cursor) if cursor else 0
        out: list[tuple[int, dict[str, Any]]] = []
        keys = list(
            self.bucket.keys(LOG_DIR, after=log_key(after) if after else None, limit=self.page_size)
        )
        for key in keys:
            n = number_of(key)
            batch = self._batch(n)
            if batch is None:  # listed but gone: damaged, or compacted away meanwhile
                raise StorageCorrupt(f"The sync log entry {key} was listed but cannot be read.")
            out.append((n, batch))
            after = n
        return out, f"{after:0{NUMBER_DIGITS}d}"

    def read_since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
        """The changes of one page of batches after `cursor`, and the next cursor.

        An empty list means the reader is up to date; keep the cursor.
        """
        batches, nxt = self.batches_since(cursor)
        return [c for _, b in batches for c in b["changes"]], nxt


class BlobStore:
    """Files by content: `blobs/sha256/<hex>`, written once, read lazily."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    @staticmethod
    def key(digest: str) -> str:
        if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            raise ValueError(f"not a sha256 hex digest: {digest!r}")
        return BLOB_DIR + digest

    def put(self, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Upload `data` unless it is there already; returns its sha256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        # 412 means the same content is already stored: nothing to do.
        self.bucket.put_if_absent(self.key(digest), data, content_type)
        return digest

    def exists(self, digest: str) -> bool:
        return self.bucket.exists(self.key(digest))

    def get(self, digest: str) -> bytes:
        data = self.bucket.get(self.key(digest))
        if data is None:
            raise SyncError(
                f"The file {digest[:12]}… is not in the sync bucket yet. "
                "The device that added it has not finished uploading.",
                title="File not uploaded yet",
                code="blob_missing",
                status=404,
            )
        if hashlib.sha256(data).hexdigest() != digest:
            raise StorageCorrupt(
                f"The file {digest[:12]}… in the sync bucket is damaged "
                "(its content does not match its name)."
            )
        return data
