"""The append-only journal that sits beside a snapshot.

Line 1 is a header naming the snapshot generation the journal applies to:

    LOCALAPP-JOURNAL 1 <generation>

Every further line is one committed transaction:

    <crc32 as 8 hex digits> <orjson record>

A record is `{"at": <unix time>, "t": {table: {"s": {key: doc}, "d": [key]}}}`:
documents set and keys deleted. A crash can leave only the last line torn
(a single write that did not finish, never acknowledged: no newline at its
end); a complete line that fails its checksum, last or not, means the file
was damaged and is reported as such, never cut off.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import orjson

MAGIC = b"LOCALAPP-JOURNAL 1 "


class JournalDamaged(Exception):
    pass


def header(generation: int) -> bytes:
    return MAGIC + str(generation).encode() + b"\n"


def encode(record: dict[str, Any]) -> bytes:
    body = orjson.dumps(record)
    return b"%08x " % zlib.crc32(body) + body + b"\n"


@dataclass
class Parsed:
    generation: int | None  # None: no complete header yet
    records: list[dict[str, Any]]
    good_end: int  # offset just past the last good line
    torn_tail: bool  # bytes after good_end that are a torn, unacknowledged write


def parse_header(data: bytes) -> tuple[int | None, int]:
    """Return (generation, offset after header); generation None if incomplete."""
    nl = data.find(b"\n")
    if nl < 0:
        return None, 0
    line = data[:nl]
    if not line.startswith(MAGIC):
        raise JournalDamaged("the journal's first line is not a localapp journal header")
    try:
        return int(line[len(MAGIC) :]), nl + 1
    except ValueError:
        raise JournalDamaged("the journal header has no valid generation number") from None


def parse_records(data: bytes, start: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Parse complete lines from `start`; return (records, good_end, torn_tail)."""
    records: list[dict[str, Any]] = []
    pos = start
    end = len(data)
    while pos < end:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return records, pos, True  # unfinished last write
        line = data[pos:nl]
        record = _decode(line)
        if record is None:
            # A complete line (it ends with its newline) was written whole: if it
            # fails its checksum the file was damaged, even as the last line.
            # Only a line without its newline is a torn write.
            raise JournalDamaged(f"journal line at byte {pos} fails its checksum")
        records.append(record)
        pos = nl + 1
    return records, pos, False


def _decode(line: bytes) -> dict[str, Any] | None:
    if len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        record = orjson.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
