"""The data file's format: `localapp.json`, every table of the store with its
schema version and generation number, as one JSON object.

`read_snapshot` checks and reads one; `snapshot_chunks` writes one in
pieces of a few thousand documents (`snapshot_bytes` joins them), so a
compaction of 100,000 products never holds a second copy of the store.

A data file may name a second file, `localapp.json.sync-<generation>` (its
`apart` field), that holds the tables kept apart (`apart.py`): the same
format, read only when one of them is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from .memory import gc_paused, keep_long_lived

FORMAT = "localapp-store"

Tables = dict[str, dict[str, Any]]


class Damaged(Exception):
    """The snapshot or journal cannot be read; carries the problem in words."""


class Snapshot(NamedTuple):
    tables: Tables
    schema: int
    generation: int
    #: the generation in the name of the file holding the tables kept apart,
    #: or None when the data file holds every table itself
    apart: int | None


def parse_snapshot(data: bytes, source: Path) -> tuple[Tables, int, int]:
    """Validate the bytes of a data file that holds every table (a backup);
    return (tables, schema, generation)."""
    snap = read_snapshot(data, source)
    if snap.apart is not None:
        raise Damaged(
            f"{source} is a data folder's main file, not a backup: its sync records "
            f"are in {source.name}.sync-{snap.apart} beside it"
        )
    return snap.tables, snap.schema, snap.generation


def read_snapshot(data: bytes, source: Path) -> Snapshot:
    """Validate snapshot bytes; return its tables, schema, generation and `apart`."""
    if not data.strip():
        raise Damaged(f"{source} is empty (0 bytes of data); it was probably truncated")
    try:
        with gc_paused():
            doc = orjson.loads(data)
        keep_long_lived()  # later collections need not rescan the loaded data
    except orjson.JSONDecodeError as exc:
        raise Damaged(f"{source} is not valid JSON ({exc}); it is damaged or truncated") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise Damaged(f"{source} is not a localapp data file")
    tables, schema, gen = doc.get("tables"), doc.get("schema"), doc.get("generation")
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise Damaged(f"{source} has no valid tables section")
    if not isinstance(schema, int) or not isinstance(gen, int):
        raise Damaged(f"{source} has no valid schema or generation number")
    apart = doc.get("apart")
    if apart is not None and not isinstance(apart, int):
        raise Damaged(f"{source} names no valid file of sync records")
    return Snapshot(tables, schema, gen, apart)


def snapshot_bytes(tables: Tables, schema: int, generation: int) -> bytes:
    return b"".join(snapshot_chunks(tables, schema, generation))


#: documents per piece of a data file written by `snapshot_chunks`
CHUNK_DOCS = 2000


def snapshot_chunks(
    tables: Tables, schema: int, generation: int, apart: int | None = None
) -> Iterator[bytes]:
    """The data file (`snapshot_bytes`) in pieces of a few thousand documents:
    writing 100,000 products no longer holds a second copy of all of them
    in memory (60 MB more at the peak of a first sync or an import).
    `apart`: the generation of the file with the tables kept apart, if any."""
    fields: dict[str, Any] = {
        "format": FORMAT,
        "schema": schema,
        "generation": generation,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if apart is not None:
        fields["apart"] = apart
    head = orjson.dumps(fields)
    yield head[:-1] + b',"tables":{'
    for t, (name, docs) in enumerate(tables.items()):
        yield (b"," if t else b"") + orjson.dumps(name) + b":{"
        items = list(docs.items())
        for start in range(0, len(items), CHUNK_DOCS):
            part = orjson.dumps(dict(items[start : start + CHUNK_DOCS]))
            yield (b"," if start else b"") + part[1:-1]
        yield b"}"
    yield b"}}"
