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


#: (version it produces, what it does, function changing tables in place)
MIGRATIONS: list[tuple[int, str, Callable[[Tables], None]]] = [
    (1, "initial layout", _v1_initial),
]

LATEST = MIGRATIONS[-1][0]


def pending(schema: int) -> list[tuple[int, str, Callable[[Tables], None]]]:
    return [m for m in MIGRATIONS if m[0] > schema]
