"""Schema versions and the ordered migrations between them.

The snapshot records the schema version it was written with. At open, any
migrations newer than that run in order, after a backup, and the result is
written as a new snapshot. A store written by a newer program is refused
rather than guessed at. Append new steps at the end; never edit old ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Tables = dict[str, dict[str, Any]]


def _v1_initial(tables: Tables) -> None:
    """Version 1: the first layout. Nothing to convert."""


def _v2_sync_apart(tables: Tables) -> None:
    """Version 2: the sync tables are kept in a file of their own (apart.py).
    The tables do not change; writing the migrated store moves them. The
    version makes an older program, which would not read that file, refuse
    the data folder instead of losing its sync records."""


#: (version it produces, what it does, function changing tables in place)
MIGRATIONS: list[tuple[int, str, Callable[[Tables], None]]] = [
    (1, "initial layout", _v1_initial),
    (2, "sync records in a file of their own", _v2_sync_apart),
]

LATEST = MIGRATIONS[-1][0]


def pending(schema: int) -> list[tuple[int, str, Callable[[Tables], None]]]:
    return [m for m in MIGRATIONS if m[0] > schema]
