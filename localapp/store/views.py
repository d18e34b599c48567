"""What a transaction works with: its undo log (`Txn`), the views TinyDB's
updaters write through (`TableView`), and the tables in memory (`MemoryTables`),
whose tables kept apart are read when first asked for (apart.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import StoreError
from .apart import APART

if TYPE_CHECKING:
    from .storage import JournalStorage


def clone(value: Any) -> Any:
    # A JSON round trip is the cheapest deep copy, and it proves the value
    # can be stored before anything is changed.
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError as exc:
        raise StoreError(f"This value cannot be stored: {exc}") from None


class Txn:
    """The undo log of one transaction."""

    __slots__ = ("undo", "written", "op_keys", "fresh", "adopt")

    def __init__(self) -> None:
        # Set while documents the caller hands over are stored (`handover`):
        # kept as given instead of copied.
        self.adopt = False
        self.undo: dict[tuple[str, str], bytes | None] = {}
        self.written: set[tuple[str, str]] = set()
        self.op_keys: set[str] = set()
        # Serialised form of documents just stored whole, valid until the
        # document is handed out again (and so may be edited in place).
        self.fresh: dict[tuple[str, str], bytes] = {}

    def touch(self, table: str, key: str, current: Any, write: bool) -> None:
        tk = (table, key)
        if tk not in self.undo:
            self.undo[tk] = None if current is None else orjson.dumps(current)
        if write:
            self.written.add(tk)
        self.op_keys.add(key)


class MemoryTables(dict[str, dict[str, Any]]):
    """The tables in memory; one kept apart and not read yet is read when asked for."""

    def __init__(self, tables: Mapping[str, dict[str, Any]], read_apart: Callable[[], bool]):
        super().__init__(tables)
        self._read_apart = read_apart

    def __missing__(self, name: str) -> dict[str, Any]:
        if name in APART and self._read_apart():
            return self[name]
        raise KeyError(name)


class TableView(MutableMapping[int, Any]):
    """What TinyDB's updaters see: int keys over our str-keyed raw table.

    Every access is recorded in the transaction, so in-place edits of a
    document (`table[id].update(...)`) are found at commit.
    """

    def __init__(self, storage: JournalStorage, name: str, txn: Txn) -> None:
        self._storage = storage
        self._name = name
        self._raw = storage._raw(name, create=True)
        self._txn = txn

    def __getitem__(self, key: int) -> Any:
        k = str(key)
        doc = self._raw[k]
        self._txn.touch(self._name, k, doc, False)
        self._txn.fresh.pop((self._name, k), None)
        return doc

    def __setitem__(self, key: int, value: Any) -> None:
        k = str(key)
        try:
            data = orjson.dumps(value)
        except TypeError as exc:
            raise StoreError(f"This value cannot be stored: {exc}") from None
        self._txn.touch(self._name, k, self._raw.get(k), True)
        # Our own copy, since the caller keeps theirs; unless handed over.
        self._raw[k] = value if self._txn.adopt else orjson.loads(data)
        self._txn.fresh[(self._name, k)] = data
        self._storage._note_id(self._name, int(key))

    def __delitem__(self, key: int) -> None:
        k = str(key)
        doc = self._raw[k]
        self._txn.touch(self._name, k, doc, True)
        del self._raw[k]

    def __contains__(self, key: object) -> bool:
        return str(key) in self._raw

    def __iter__(self) -> Iterator[int]:
        return iter([int(k) for k in self._raw])

    def __len__(self) -> int:
        return len(self._raw)

    def clear(self) -> None:
        for k in list(self._raw):
            del self[int(k)]
