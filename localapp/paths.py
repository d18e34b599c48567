"""Where things live on disk: the data directory, uploads and the UI files.

The data directory must be writable. On a read-only filesystem (a FaaS
runtime, a locked-down machine) the app still starts: it falls back to
`<tempdir>/localapp`, says so in one WARN line, and reports the storage as
not durable. This is the seeds' `Errno 30 Read-only file system` failure,
handled once here for the data dir and the uploads folder alike.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import platformdirs

from . import APP_NAME

log = logging.getLogger(__name__)

_UNWRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


@dataclass(frozen=True)
class Location:
    """A directory we can write to, and whether it survives a restart."""

    path: Path
    durable: bool
    wanted: Path


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def fallback_root() -> Path:
    return Path(tempfile.gettempdir()) / APP_NAME


def _writable_dir(path: Path) -> None:
    """Create `path` and prove we can write in it, or raise OSError."""
    path.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
    os.close(fd)
    os.unlink(probe)


def writable_location(wanted: Path, fallback: Path, what: str) -> Location:
    """Return `wanted` if it is writable, else `fallback` with one warning."""
    try:
        _writable_dir(wanted)
        return Location(wanted, True, wanted)
    except OSError as exc:
        if exc.errno not in _UNWRITABLE:
            raise
        reason = os.strerror(exc.errno)
    _writable_dir(fallback)
    log.warning(
        "%s %s is not writable (%s); using %s instead. "
        "Data there is NOT durable and is lost when this machine restarts.",
        what,
        wanted,
        reason,
        fallback,
    )
    return Location(fallback, False, wanted)


def data_location(data_dir: Path | None) -> Location:
    return writable_location(data_dir or default_data_dir(), fallback_root(), "Data directory")


def upload_location(upload_dir: Path | None, data: Location) -> Location:
    wanted = upload_dir or data.path / "uploads"
    loc = writable_location(wanted, fallback_root() / "uploads", "Upload directory")
    if not data.durable and loc.durable and upload_dir is None:
        # The uploads follow the data: both live in the fallback.
        return Location(loc.path, False, wanted)
    return loc


def ui_root() -> Traversable:
    """The UI files (ui/ in the source tree), from source, installed or frozen.

    importlib.resources finds package data in all three cases, so nothing
    here depends on the current directory.
    """
    return resources.files("localapp.ui")
