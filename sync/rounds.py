"""One sync round: push what is marked, then pull until up to date.

Pushing goes batch by batch through `Replica.take_batch` / `batch_done`, so
a round cut short anywhere (network gone, process killed) repeats nothing
twice and loses nothing: the batch in flight is sent again with the same id
and the upstream answers it as a repeat. Pulled pages are applied together
with their cursor in one transaction. Every loop is bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ..records import gc_paused, keep_long_lived
from .replica import Replica

#: records per pushed batch, and at most about this many bytes of JSON (a
#: FaaS platform takes requests of up to 6 MB; a batch has at least one record)
BATCH_SIZE = 1000
BATCH_BYTES = 3_000_000
#: records per pulled page (the server also stops a page at about 3 MB)
PAGE_SIZE = 1000
MAX_ROUND_STEPS = 100_000
#: a pull of at least this many records is a bulk load (`keep_long_lived`)
KEEP_AFTER = 10_000

Progress = Callable[[str, int, int], None]  # (phase "push"|"pull", done, total or 0)
#: called with a batch's records before the batch is pushed (to send their files)
BeforePush = Callable[[list[dict[str, Any]]], object]


class Remote(Protocol):
    def push(self, batch: str, replica: str, records: list[dict[str, Any]]) -> dict[str, Any]: ...

    def pull(
        self, cursor: str | None, limit: int, *, lines: bool = False
    ) -> tuple[list[Any], str, bool]: ...


@dataclass
class Summary:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def push(
    replica: Replica,
    remote: Remote,
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    before_push: BeforePush | None = None,
) -> int:
    total = replica.pending()
    sent = 0
    for _ in range(MAX_ROUND_STEPS):
        taken = replica.take_batch(batch_size, BATCH_BYTES)
        if taken is None:
            break
        batch, records = taken
        if before_push is not None:
            before_push(records)
        remote.push(batch, replica.replica_id, records)
        replica.batch_done(batch)
        sent += len(records)
        if progress:
            progress("push", sent, max(total, sent))
    return sent


def pull(
    replica: Replica,
    remote: Remote,
    *,
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
    cursor_key: str = "cursor",
) -> int:
    state = replica.state()
    cursor = state.get(cursor_key)
    received = 0
    # The collector paused for the whole pull, not page by page: each page
    # leaves thousands of new documents behind, and a collection after each
    # walks them again (a fifth of a 100,000-record first sync). The store
    # folds its journal once, at the end (`bulk`).
    # From a remote whose pulls wait on another process (`prefetch`: a
    # server), the next page is asked for while this one is applied, so the
    # server works meanwhile instead of waiting for us (a tenth of a
    # 100,000-record first sync). A page that fails to arrive fails the round
    # after the pages before it are in. A remote that reads in this process
    # (the bucket's snapshot) would only take turns with the applying.
    # lines: a snapshot's records as it holds them, half the bytes and stored
    # without being rebuilt (`Replica.apply`).
    prefetch = bool(getattr(remote, "prefetch", False))

    def fetch(after: str | None) -> tuple[list[Any], str, bool]:
        return remote.pull(after, page_size, lines=True)

    with (
        gc_paused(),
        replica.storage.bulk(),
        ThreadPoolExecutor(1, thread_name_prefix="sync-pull") as ahead,
    ):
        coming = ahead.submit(fetch, cursor) if prefetch else None
        for _ in range(MAX_ROUND_STEPS):
            records, cursor, more = coming.result() if coming is not None else fetch(cursor)
            coming = ahead.submit(fetch, cursor) if prefetch and more else None
            replica.apply(records, **{cursor_key: cursor})
            received += len(records)
            if progress:
                progress("pull", received, 0)
            if not more:
                break
        if received >= KEEP_AFTER:
            keep_long_lived()  # a first sync: no collection walks them all afterwards
    return received


def run_round(
    replica: Replica,
    remote: Remote,
    *,
    progress: Progress | None = None,
    cursor_key: str = "cursor",
    before_push: BeforePush | None = None,
) -> Summary:
    """Push, then pull; returns what moved. Errors propagate (a SyncError)."""
    started = time.monotonic()
    summary = Summary()
    summary.pushed = push(replica, remote, progress=progress, before_push=before_push)
    summary.pulled = pull(replica, remote, progress=progress, cursor_key=cursor_key)
    summary.conflicts = replica.conflict_count()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary
