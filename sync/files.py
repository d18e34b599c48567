"""Files that records point at: product and order pictures, order sheets.

Records carry only keys (`<sha256>.<ext>`); the bytes travel separately,
by content hash: before a batch is pushed, every file its records point at
is sent upstream (a server stores it put-if-absent, so sending twice costs a
request and nothing else). A device that receives a record fetches the file
only when someone opens it (`fetch`), and checks its hash.

Where files live under the uploads folder (see images.py and orders.py):
`images/<key>` for pictures, `orders/<key>` for order sheets.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from .. import kinds

log = logging.getLogger(__name__)

KEY = re.compile(r"^([0-9a-f]{64})\.([a-z0-9]{1,8})$")


class FileRemote(Protocol):
    def put_blob(self, data: bytes) -> str: ...


def _value(record: Mapping[str, Any], name: str) -> Any:
    cell = (record.get("fields") or {}).get(name)
    return cell.get("v") if isinstance(cell, dict) else None


def file_refs(record: Mapping[str, Any]) -> Iterator[str]:
    """The relative paths (under uploads) of the files a record points at."""
    try:
        kind = kinds.by_table(str(record.get("table")))
    except KeyError:
        return
    keys: list[tuple[str, Any]] = []
    for name, fld in kind.fields.items():
        if fld.blob is None:
            continue
        # a key, a list of keys, a file ({"key": ...}) or a list of files
        value = _value(record, name)
        for item in value if isinstance(value, list) else [value]:
            keys.append((fld.blob, item.get("key") if isinstance(item, dict) else item))
    for folder, key in keys:
        if isinstance(key, str) and KEY.match(key):
            yield f"{folder}/{key}"


def upload(records: Iterable[Mapping[str, Any]], uploads: Path, remote: FileRemote) -> int:
    """Send the files these records point at and this device has; returns how many."""
    sent = 0
    seen: set[str] = set()
    for record in records:
        for rel in file_refs(record):
            if rel in seen:
                continue
            seen.add(rel)
            path = uploads / rel
            if not path.is_file():
                continue  # not here either: it will come from the device that has it
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != KEY.match(path.name)[1]:  # type: ignore[index]
                log.warning("Not sending %s: its content does not match its name", path)
                continue
            remote.put_blob(data)
            sent += 1
    return sent


def digest_of(key: str) -> str | None:
    m = KEY.match(key)
    return m[1] if m else None
