"""The data file's format: `localapp.json`, every table of the store with its
schema version and generation number, as one JSON object.

`parse_snapshot` checks and reads one; `snapshot_chunks` writes one in
pieces of a few thousand documents (`snapshot_bytes` joins them), so a
compaction of 100,000 products never holds a second copy of the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .memory import gc_paused, keep_long_lived

FORMAT = "localapp-store"

Tables = dict[str, dict[str, Any]]


class Damaged(Exception):
    """The snapshot or journal cannot be read; carries the problem in words."""


def parse_snapshot(data: bytes, source: Path) -> tuple[Tables, int, int]:
    """Validate snapshot bytes; return (tables, schema, generation)."""
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
    return tables, schema, gen


def snapshot_bytes(tables: Tables, schema: int, generation: int) -> bytes:
    return b"".join(snapshot_chunks(tables, schema, generation))


#: documents per piece of a data file written by `snapshot_chunks`
CHUNK_DOCS = 2000


def snapshot_chunks(tables: Tables, schema: int, generation: int) -> Iterator[bytes]:
    """The data file (`snapshot_bytes`) in pieces of a few thousand documents:
    writing 100,000 products no longer holds a second copy of all of them
    in memory (60 MB more at the peak of a first sync or an import)."""
    head = orjson.dumps(
        {
            "format": FORMAT,
            "schema": schema,
            "generation": generation,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    yield head[:-1] + b',"tables":{'
    for t, (name, docs) in enumerate(tables.items()):
        yield (b"," if t else b"") + orjson.dumps(name) + b":{"
        items = list(docs.items())
        for start in range(0, len(items), CHUNK_DOCS):
            part = orjson.dumps(dict(items[start : start + CHUNK_DOCS]))
            yield (b"," if start else b"") + part[1:-1]
        yield b"}"
    yield b"}}"
