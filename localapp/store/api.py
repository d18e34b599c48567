"""What other packages may use of the store: its contract, as typed Protocols.

`sync/` (installed as localapp.sync) builds on these, not on the concrete
classes and never on their private attributes, so the storage contract is
type-checked where it is used. `Store` and `JournalStorage` satisfy them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, Protocol

#: (table, key, the document as JSON bytes or None when deleted) per change of a
#: transaction, given to a commit hook before the transaction is saved
CommitHook = Callable[[list[tuple[str, str, bytes | None]]], None]
Listener = Callable[[str | None, "set[str] | None"], None]


class DocumentStorage(Protocol):
    """The documents of every table, and writing them inside a transaction."""

    def document(self, table: str, key: str) -> Any:
        """One stored document (not a copy: read it, never change it), or None."""

    def documents(self, table: str) -> Mapping[str, Any]:
        """A table's documents by key, read-only."""

    def view(self, name: str) -> MutableMapping[int, Any]:
        """A table to write to, inside a transaction."""

    def after_op(self, name: str) -> None:
        """Tell listeners what one operation on a view changed."""

    def next_id(self, name: str) -> int:
        """The next free document id of a table."""

    def bulk(self) -> contextlib.AbstractContextManager[None]:
        """Many transactions in a row: compacting waits for their end."""

    def add_commit_hook(self, fn: CommitHook) -> None: ...

    def remove_commit_hook(self, fn: CommitHook) -> None: ...


class StoreAPI(Protocol):
    """An open store: its documents, transactions, consistent reads and listeners."""

    @property
    def storage(self) -> DocumentStorage: ...

    @property
    def data_dir(self) -> Path: ...

    def table(self, name: str) -> Any: ...

    def transaction(self) -> contextlib.AbstractContextManager[None]: ...

    def reading(self) -> contextlib.AbstractContextManager[None]: ...

    def add_listener(self, fn: Listener) -> None: ...
