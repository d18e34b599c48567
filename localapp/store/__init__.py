"""The store: TinyDB over our crash-safe, multi-process journaled storage.

`Store.open(data_dir)` is the one way in. It returns an object holding the
TinyDB database (`store.db`, `store.table(name)`), the transaction and
consistent-read helpers, and backup/restore. See docs/architecture.md for
the on-disk layout and docs/store.md for the guarantees.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import StoreCorrupt, StoreError
from . import backups, migrations
from .datafile import Damaged, parse_snapshot, snapshot_bytes
from .files import atomic_write, fsync_dir
from .storage import DB_NAME, JournalStorage, Listener
from .tables import StoreDB, StoreTable

log = logging.getLogger(__name__)

__all__ = ["Store", "StoreTable"]


def _damaged_message(data_dir: Path, problem: str) -> str:
    good = backups.newest_good(data_dir)
    if good:
        hint = (
            f"The newest good backup is {good}. To go back to it, run:\n"
            f"    localapp restore {good} --data-dir {data_dir}"
        )
    else:
        hint = "No good backup was found in " + str(backups.backup_dir(data_dir)) + "."
    return (
        f"The data file cannot be opened: {problem}.\n"
        f"Nothing has been changed or overwritten.\n{hint}"
    )


class Store:
    """The open data store of one data directory."""

    def __init__(self, storage: JournalStorage, data_dir: Path, backup_keep: int) -> None:
        self.storage = storage
        self.data_dir = data_dir
        self.backup_keep = backup_keep
        self.db = StoreDB(storage)

    @classmethod
    def open(
        cls, data_dir: Path, *, backup_keep: int = 10, compact_min_bytes: int | None = None
    ) -> Store:
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = (
            {} if compact_min_bytes is None else {"compact_min_bytes": compact_min_bytes}
        )
        try:
            storage = JournalStorage(data_dir, **kwargs)
        except Damaged as exc:
            raise StoreCorrupt(_damaged_message(data_dir, str(exc))) from None
        except (IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            # A data file or journal that is a folder, or that cannot be read:
            # damage like any other, refused untouched with the way back.
            problem = f"{exc.filename or data_dir}: {exc.strerror or exc}"
            raise StoreCorrupt(_damaged_message(data_dir, problem)) from None
        store = cls(storage, data_dir, backup_keep)
        try:
            backups.remove_abandoned_temps(data_dir)
            store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    def _migrate(self) -> None:
        with self.storage.locked():
            schema = self.storage.schema
            if schema > migrations.LATEST:
                raise StoreError(
                    f"{self.storage.path} was written by a newer version of localapp "
                    f"(schema {schema}; this program knows up to {migrations.LATEST}). "
                    "Install the newer version; nothing has been changed."
                )
            steps = migrations.pending(schema)
            if not steps:
                return
            tables = self.storage.all_tables()
            if any(tables.values()):
                path = self.backup(reason=f"before-schema-{steps[-1][0]}")
                log.info("Backed up to %s before migrating the store", path)
            for version, what, fn in steps:
                log.info("Migrating store to schema %d: %s", version, what)
                fn(tables)
            self.storage.replace_all(tables, steps[-1][0])

    # -- data access -------------------------------------------------------

    def table(self, name: str) -> StoreTable:
        return self.db.table(name)  # type: ignore[return-value]

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self.storage.transaction()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self.storage.locked():
            yield

    def add_listener(self, fn: Listener) -> None:
        self.storage.add_listener(fn)

    def info(self) -> dict[str, Any]:
        return self.storage.info()

    # -- backups -------------------------------------------------------------

    def backup(self, reason: str = "manual") -> Path:
        return backups.write_backup(self.data_dir, self.storage.dump(), reason, self.backup_keep)

    def list_backups(self) -> list[Path]:
        return backups.list_backups(self.data_dir)

    def restore(self, path: Path) -> Path:
        """Replace the whole state with a backup; returns the pre-restore backup."""
        try:
            tables, schema, _gen = parse_snapshot(Path(path).read_bytes(), Path(path))
        except Damaged as exc:
            raise StoreError(f"Cannot restore: {exc}. Nothing has been changed.") from None
        except OSError as exc:
            raise StoreError(f"Cannot read {path}: {exc.strerror}") from None
        if schema > migrations.LATEST:
            raise StoreError(
                f"{path} was written by a newer version of localapp "
                f"(schema {schema}); nothing has been changed."
            )
        with self.storage.locked():
            before = self.backup(reason="before-restore")
            for _version, _what, fn in migrations.pending(schema):
                fn(tables)
            self.storage.replace_all(tables, max(schema, migrations.LATEST))
        return before

    @classmethod
    def restore_into(cls, data_dir: Path, backup: Path, *, backup_keep: int = 10) -> list[Path]:
        """Restore `backup` into `data_dir`, even when its data file is damaged.

        A healthy store is restored as by `restore` (after a backup of its
        current state). A damaged data file or journal cannot be backed up,
        so it is renamed aside with a `.damaged-<time>` suffix, never deleted.
        Returns the paths that now hold the previous state.
        """
        data_dir = Path(data_dir)
        try:
            tables, schema, gen = parse_snapshot(Path(backup).read_bytes(), Path(backup))
        except Damaged as exc:
            raise StoreError(f"Cannot restore: {exc}. Nothing has been changed.") from None
        except OSError as exc:
            raise StoreError(f"Cannot read {backup}: {exc.strerror}") from None
        try:
            with cls.open(data_dir, backup_keep=backup_keep) as store:
                return [store.restore(backup)]
        except StoreCorrupt:
            pass
        lock = open(data_dir / f"{DB_NAME}.lock", "a+b")  # noqa: SIM115
        try:
            import portalocker

            portalocker.lock(lock, portalocker.LockFlags.EXCLUSIVE)
            stamp = time.strftime("%Y%m%dT%H%M%S")
            kept = []
            # the data file, its journal and its sync records (apart.py) go together
            names = [DB_NAME, f"{DB_NAME}.journal"]
            names += sorted(p.name for p in data_dir.glob(f"{DB_NAME}.sync-*"))
            for name in names:
                src = data_dir / name
                if src.exists():
                    dst = data_dir / f"{name}.damaged-{stamp}"
                    os.replace(src, dst)
                    kept.append(dst)
            atomic_write(data_dir / DB_NAME, snapshot_bytes(tables, schema, gen + 1))
            fsync_dir(data_dir)
        finally:
            lock.close()
        with cls.open(data_dir, backup_keep=backup_keep):
            pass  # runs any migrations the backup needs
        return kept

    def close(self) -> None:
        self.storage.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
