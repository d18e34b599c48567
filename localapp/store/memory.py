"""The one pause of Python's cyclic garbage collector, for bulk work on records.

Parsing, importing or applying 100,000 documents allocates hundreds of
thousands of dicts, and the collector would walk them again and again: an
import takes about twice as long with it running, opening the store three
times as long. Plain JSON data has no reference cycles, so nothing is kept
alive meanwhile. The pause is counted: of several threads (or nested calls)
inside it at once, the last one out switches the collector back on, so one
caller can never re-enable it in the middle of another's bulk operation.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pausers = 0  # how many are inside gc_paused
_was_enabled = False  # whether the collector was on when the first one came in


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    global _pausers, _was_enabled
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()


def keep_long_lived() -> None:
    """Take every object alive now out of the collector's walks (`gc.freeze`).

    After a bulk load (a first sync, the product index prepared) the
    documents stay for the life of the process, and every full collection
    would walk them all again: about a second at 100,000 records, at some
    moment of someone's request. Reference counting still frees them when
    they go; only reference cycles alive at this moment would stay, and plain
    JSON data has none.
    """
    gc.freeze()
