"""The one way tests wait for something to happen (a helper module, not a test file).

Everything a test waits for (a page drawing, a sync reaching another
instance, a window opening) is polled with a bound in time; nothing sleeps
a fixed time and hopes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = 10, every: float = 0.1) -> T:
    """Call `check` until it returns something truthy, and return that; fail with
    `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(every)
