"""Sign-in throttling: a brake on guessing passwords.

Failed sign-ins are counted per account and per client address. The first
few are free; after that each one makes that account (or address) wait,
twice as long each time, up to a quarter of an hour: 1 s, 2 s, 4 s ... While
it waits, a sign-in is answered 429 with Retry-After before the password is
even checked (so waiting costs no scrypt work), and one log line says who and
for how long. A good sign-in clears the account's and the address's count.
The counts live in the server's memory: a restart, or another FaaS instance,
starts afresh, which slows a guesser down without ever locking a user out.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import TooManyAttempts

log = logging.getLogger(__name__)

#: failed sign-ins allowed before the waiting starts
FREE_FAILURES = 5
#: the first wait, in seconds, doubled at every further failure
FIRST_WAIT_S = 1.0
LONGEST_WAIT_S = 15 * 60.0
#: entries kept at most (the oldest are dropped: a flood of addresses cannot fill memory)
MAX_KEYS = 10_000


@dataclass
class _Count:
    failures: int = 0
    until: float = 0.0  # monotonic time before which sign-ins wait


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, _Count] = {}

    @staticmethod
    def _keys(account: str, address: str) -> tuple[str, str]:
        return f"account:{account.strip().casefold()}", f"address:{address}"

    def check(self, account: str, address: str) -> None:
        """Raise TooManyAttempts if this account or address must wait now."""
        now = self._clock()
        with self._lock:
            waits = [
                c.until - now
                for k in self._keys(account, address)
                if (c := self._counts.get(k)) is not None and c.until > now
            ]
        if waits:
            seconds = max(1, math.ceil(max(waits)))
            raise TooManyAttempts(
                f"Too many failed sign-ins. Wait {seconds} seconds, then try again.",
                retry_after=seconds,
            )

    def failed(self, account: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(account, address):
                count = self._counts.pop(key, None) or _Count()
                count.failures += 1
                extra = count.failures - FREE_FAILURES
                if extra > 0:
                    wait = min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (extra - 1))
                    count.until = now + wait
                    log.warning(
                        "Sign-in throttled: %s failed %d times; waits %.0f s",
                        key,
                        count.failures,
                        wait,
                    )
                self._counts[key] = count  # most recent last
            while len(self._counts) > MAX_KEYS:
                del self._counts[next(iter(self._counts))]

    def succeeded(self, account: str, address: str) -> None:
        with self._lock:
            for key in self._keys(account, address):
                self._counts.pop(key, None)
