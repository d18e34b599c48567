"""Rolling backups: whole-state copies in `<data dir>/backups/`.

A backup is a snapshot file (the same format as the data file), written
atomically, named by UTC time and reason so that names sort by age. Only the
newest `keep` are kept. `newest_good` reads backups from newest to oldest
and returns the first that parses, for the message shown when the data file
is damaged.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from pathlib import Path

from .datafile import Damaged, parse_snapshot
from .files import atomic_write

PREFIX = "localapp-"


def backup_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def list_backups(data_dir: Path) -> list[Path]:
    """Backups, newest first."""
    d = backup_dir(data_dir)
    if not d.is_dir():
        return []
    return sorted(d.glob(f"{PREFIX}*.json"), key=lambda p: p.name, reverse=True)


#: a backup's temp file untouched this long was left by a killed `localapp backup`
ABANDONED_AFTER_S = 60


def remove_abandoned_temps(data_dir: Path) -> int:
    """Delete the temp files of backups that were killed while being written
    (a backup still being written touches its temp file all along); returns how
    many. Run at open and before each backup, so they never pile up."""
    d = backup_dir(data_dir)
    if not d.is_dir():
        return 0
    removed = 0
    now = time.time()
    for path in d.glob(f".{PREFIX}*.tmp-*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > ABANDONED_AFTER_S:
                path.unlink()
                removed += 1
    return removed


def write_backup(data_dir: Path, data: bytes, reason: str, keep: int) -> Path:
    d = backup_dir(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    remove_abandoned_temps(data_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = d / f"{PREFIX}{stamp}-{reason}.json"
    atomic_write(path, data)
    for old in list_backups(data_dir)[max(1, keep) :]:
        with contextlib.suppress(OSError):
            old.unlink()
    return path


def newest_good(data_dir: Path) -> Path | None:
    for path in list_backups(data_dir):
        try:
            parse_snapshot(path.read_bytes(), path)
        except (Damaged, OSError):
            continue
        return path
    return None
