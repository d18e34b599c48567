"""Damaged files at open: one byte of the journal flipped, or the data file cut short,
at a seeded random place. The open either refuses, naming the damage and leaving
every file as it was (the usual "nothing changed; restore from ..." message), or
gives back exactly what was written: never a silently shorter or different store.
Bounded: LOCALAPP_FAULT_DAMAGE trials of each (12 by default).
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from localapp.errors import StoreCorrupt
from localapp.store import Store
from localapp.store.storage import DB_NAME

TRIALS = int(os.environ.get("LOCALAPP_FAULT_DAMAGE", "12"))


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    data = tmp_path_factory.mktemp("damage") / "data"
    with Store.open(data) as store:
        for i in range(40):  # one journal line each
            store.table("products").insert({"sku": f"D-{i}", "name": f"损坏测试 {i}", "price": i})
        docs = [dict(d) for d in store.table("products").all()]
    return data, docs


def files_of(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}


def outcome(data: Path, docs: list[dict]) -> str:
    before = files_of(data)
    try:
        with Store.open(data) as store:
            got = [dict(d) for d in store.table("products").all()]
    except StoreCorrupt as exc:
        assert "Nothing has been changed" in exc.message
        assert files_of(data) == before, "a refused open changed a file"
        return "refused"
    assert got == docs, "opened, but not with what was written"
    return "same"


def test_a_flipped_journal_byte_is_refused_never_silently_dropped(
    tmp_path: Path, original: tuple[Path, list[dict]]
) -> None:
    data, docs = original
    journal = (data / f"{DB_NAME}.journal").read_bytes()
    header_end = journal.index(b"\n") + 1
    # a byte of a line, not a line's end (the last line's newline is what tells a
    # complete write from a torn one)
    places = [i for i in range(header_end, len(journal)) if journal[i : i + 1] != b"\n"]
    rng = random.Random(5)
    seen = []
    for trial in range(TRIALS):
        copy = tmp_path / f"t{trial}"
        shutil.copytree(data, copy)
        at = rng.choice(places)
        damaged = bytearray(journal)
        damaged[at] ^= 1 << rng.randrange(8)
        (copy / f"{DB_NAME}.journal").write_bytes(bytes(damaged))
        seen.append(outcome(copy, docs))
    print(f"{TRIALS} flipped journal bytes: {seen.count('refused')} refused")
    assert seen == ["refused"] * TRIALS


def test_a_data_file_cut_short_is_refused(
    tmp_path: Path, original: tuple[Path, list[dict]]
) -> None:
    data, docs = original
    folded = tmp_path / "folded"
    shutil.copytree(data, folded)
    with Store.open(folded) as store:
        store.storage.compact()  # everything in the data file, the journal empty
    data = folded
    snapshot = (data / DB_NAME).read_bytes()
    rng = random.Random(6)
    for trial in range(TRIALS):
        copy = tmp_path / f"c{trial}"
        shutil.copytree(data, copy)
        (copy / DB_NAME).write_bytes(snapshot[: rng.randrange(0, len(snapshot) - 1)])
        assert outcome(copy, docs) == "refused"
