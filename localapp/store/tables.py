"""TinyDB classes bound to JournalStorage.

`StoreTable` keeps TinyDB's whole public API. It changes three internals:
every read-modify-write runs inside the storage's transaction (lock, catch
up, journal, rollback) instead of rewriting the whole file; new document ids
are allocated under the lock, so two processes never hand out the same id;
and returned documents are deep copies, so a caller editing a result cannot
change stored data behind the journal's back. The query cache is off,
because another process may change the data between two queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.table import Document, Table

from .storage import JournalStorage


class StoredDocument(Document):
    def __init__(self, value: Mapping, doc_id: int) -> None:
        super().__init__(orjson.loads(orjson.dumps(value)), doc_id)


class StoreTable(Table):
    document_class = StoredDocument
    _storage: JournalStorage

    def __init__(
        self, storage: JournalStorage, name: str, cache_size: int = 0, persist_empty: bool = False
    ) -> None:
        super().__init__(storage, name, cache_size=0, persist_empty=persist_empty)

    def _get_next_id(self) -> int:
        return self._storage.next_id(self.name)

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        with self._storage.transaction():
            view = self._storage.view(self.name)
            updater(view)  # type: ignore[arg-type]
            self._storage.after_op(self.name)
        self.clear_cache()

    # Allocating an id and storing the document must happen under one lock.
    def insert(self, document: Mapping) -> int:
        with self._storage.transaction():
            return super().insert(document)

    def insert_multiple(self, documents: Iterable[Mapping]) -> list[int]:
        with self._storage.transaction():
            return super().insert_multiple(documents)

    def upsert(self, document: Mapping, cond: QueryLike | None = None) -> list[int]:
        with self._storage.transaction():
            return super().upsert(document, cond)


class StoreDB(TinyDB):
    table_class = StoreTable  # type: ignore[assignment]  # its __init__ takes the store

    def __init__(self, storage: JournalStorage, **kwargs: Any) -> None:
        super().__init__(storage=lambda: storage, **kwargs)
