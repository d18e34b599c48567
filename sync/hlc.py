"""Hybrid logical clock (HLC) stamps for sync.

A stamp is `(wall_ms, counter, replica)`: milliseconds of wall time, a
counter that orders events within one millisecond (or while the wall clock
stands still or runs backwards), and the id of the replica that made it.
Stamps travel as fixed-width strings, `1732363200000-00000-<replica>`, so
sorting the strings sorts the stamps and records stay plain JSON.

`Clock.now()` stamps a local event, `Clock.update(remote)` folds in a stamp
received from another replica. A remote stamp more than `max_drift` ahead of
this machine's clock is refused with `ClockDrift` instead of dragging every
later local stamp into the future (Actual Budget's "out of sync" trap).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from .errors import BadStamp, ClockDrift

#: 5 minutes, the default the issue asks for.
DEFAULT_MAX_DRIFT_MS = 5 * 60 * 1000
WALL_DIGITS = 13  # milliseconds until the year 2286
COUNTER_DIGITS = 5
MAX_COUNTER = 10**COUNTER_DIGITS - 1
#: replica ids go into object keys and stamps: keep them boring.
REPLICA_RE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
_STAMP_RE = re.compile(rf"^(\d{{{WALL_DIGITS}}})-(\d{{{COUNTER_DIGITS}}})-([A-Za-z0-9_.]{{1,64}})$")


class Stamp(NamedTuple):
    wall_ms: int
    counter: int
    replica: str

    def encode(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.replica}"


def check_replica(replica_id: str) -> str:
    if not REPLICA_RE.match(replica_id):
        raise BadStamp(
            f"The replica id {replica_id!r} is not valid: use 1 to 64 letters, digits, '_' or '.'."
        )
    return replica_id


def parse(stamp: str) -> Stamp:
    """Decode a stamp string; raises `BadStamp` for anything else."""
    if not isinstance(stamp, str):
        raise BadStamp(f"{stamp!r} is not a sync stamp.")
    return _parse(stamp)


@functools.lru_cache(maxsize=65536)  # a record's fields share stamps; merges parse them often
def _parse(stamp: str) -> Stamp:
    m = _STAMP_RE.match(stamp)
    if m is None:
        raise BadStamp(
            f"{stamp!r} is not a sync stamp (expected "
            f"'<{WALL_DIGITS} digits>-<{COUNTER_DIGITS} digits>-<replica>')."
        )
    return Stamp(int(m[1]), int(m[2]), m[3])


def encode(wall_ms: int, counter: int, replica: str) -> str:
    return Stamp(wall_ms, counter, check_replica(replica)).encode()


def replica_of(stamp: str) -> str:
    return parse(stamp).replica


def _describe(ms: int) -> str:
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


class Clock:
    """One replica's HLC; thread-safe. `now` returns seconds like `time.time`."""

    def __init__(
        self,
        replica_id: str,
        now: Callable[[], float] = time.time,
        *,
        max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
        last: str | None = None,
    ) -> None:
        self.replica_id = check_replica(replica_id)
        self.max_drift_ms = int(max_drift_ms)
        self._now = now
        self._lock = threading.Lock()
        self._wall = 0
        self._counter = 0
        if last is not None:  # resume after a restart: never stamp below what we already sent
            s = parse(last)
            self._wall, self._counter = s.wall_ms, s.counter

    def _physical_ms(self) -> int:
        return int(self._now() * 1000)

    def _advance(self, wall: int, counter: int) -> str:
        # The counter has 5 digits; rather than widen the string (and break
        # sorting) a burst of 100,000 events in one millisecond borrows the
        # next millisecond. Logical time then runs at most a hair ahead.
        if counter > MAX_COUNTER:
            wall, counter = wall + 1, 0
        self._wall, self._counter = wall, counter
        return Stamp(wall, counter, self.replica_id).encode()

    @property
    def last(self) -> str | None:
        """The newest stamp issued or seen, to persist across restarts."""
        if self._wall == 0:
            return None
        return Stamp(self._wall, self._counter, self.replica_id).encode()

    def now(self) -> str:
        """Stamp a local event (an edit, or sending a batch)."""
        with self._lock:
            phys = self._physical_ms()
            if phys > self._wall:
                return self._advance(phys, 0)
            return self._advance(self._wall, self._counter + 1)

    def check(self, remote: str) -> Stamp:
        """Parse `remote` and refuse it if it is too far in the future."""
        r = parse(remote)
        ahead = r.wall_ms - self._physical_ms()
        if ahead > self.max_drift_ms:
            raise ClockDrift(
                f"Changes from device {r.replica!r} are stamped {_describe(ahead)} ahead of "
                f"this computer's clock (the limit is {_describe(self.max_drift_ms)}). "
                "Check the date, time and time zone on both devices, then sync again. "
                "Nothing was changed.",
                extra={"replica": r.replica, "drift_ms": ahead, "max_drift_ms": self.max_drift_ms},
            )
        return r

    def update(self, remote: str) -> str:
        """Fold in a stamp received from another replica; returns a new local stamp."""
        with self._lock:
            r = self.check(remote)
            phys = self._physical_ms()
            wall = max(phys, self._wall, r.wall_ms)
            if wall == self._wall and wall == r.wall_ms:
                counter = max(self._counter, r.counter) + 1
            elif wall == self._wall:
                counter = self._counter + 1
            elif wall == r.wall_ms:
                counter = r.counter + 1
            else:
                counter = 0
            return self._advance(wall, counter)
