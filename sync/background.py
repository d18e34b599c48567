"""The background thread of a running server: sync rounds with backoff, and the
bucket's housekeeping (edits waiting for the bucket, snapshots)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from .errors import error_dict
from .service import RETRY_LONGEST, TEND_EVERY, SyncService

log = logging.getLogger(__name__)


class Background:
    """Runs a client round every `interval` seconds while sync is set up, and
    with a bucket, the bucket housekeeping (`SyncService.tend`) in a second thread.

    Being offline is normal: a failed round waits longer each time (doubling,
    up to 15 minutes) and a successful one goes back to the interval. `poke()`
    asks for a round soon (after a local edit, or "sync now"). The housekeeping
    runs when the service sets `bucket_work` (a web edit the bucket did not
    take, a snapshot due) and at least every TEND_EVERY seconds; it retries
    waiting edits with its own backoff (RETRY_FIRST doubling to RETRY_LONGEST).
    """

    MAX_BACKOFF = 15 * 60

    def __init__(self, service: SyncService, clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failures = 0
        self.thread = threading.Thread(target=self._loop, name="localapp-sync", daemon=True)
        self.bucket_thread: threading.Thread | None = None
        if service.bucket is not None:
            self.bucket_thread = threading.Thread(
                target=self._tend_loop, name="localapp-sync-bucket", daemon=True
            )

    def start(self) -> Background:
        self.thread.start()
        if self.bucket_thread is not None:
            self.bucket_thread.start()
        return self

    def poke(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        self.service.bucket_work.set()
        self.thread.join(timeout)
        if self.bucket_thread is not None:
            self.bucket_thread.join(timeout)

    def _tend_loop(self) -> None:
        delay = TEND_EVERY
        while not self._stop.is_set():
            self.service.bucket_work.wait(delay)
            self.service.bucket_work.clear()
            if self._stop.is_set():
                return
            try:
                delay = self.service.tend()
            except Exception:  # never let housekeeping die: the edits wait on it
                log.exception("Sync bucket housekeeping failed")
                delay = RETRY_LONGEST

    def _delay(self) -> float:
        interval = self.service.client_settings()["interval"]
        if self._failures == 0:
            return float(interval)
        return float(min(self.MAX_BACKOFF, interval * 2 ** min(self._failures, 10)))

    def _loop(self) -> None:
        delay = 1.0  # first round shortly after start
        while not self._stop.is_set():
            self.service.next_attempt = (
                datetime.fromtimestamp(time.time() + delay, UTC)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z")
            )
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if not self.service.configured():
                    delay = 5.0
                    continue
                self.service.run()
                self._failures = 0
            except Exception as exc:
                self._failures += 1
                log.info(
                    "Sync round failed (%s); next try in %.0f s",
                    error_dict(exc)["title"],
                    self._delay(),
                )
            delay = self._delay()
